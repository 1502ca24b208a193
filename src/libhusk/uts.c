#include "uts.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int hk_uts_set(const struct oci_config *c, struct hk_err **err)
{
	if (c->hostname != NULL && sethostname(c->hostname, strlen(c->hostname)) < 0)
		return hk_fail(err, errno, "hostname: sethostname \"%s\"", c->hostname);
	if (c->domainname != NULL && setdomainname(c->domainname, strlen(c->domainname)) < 0)
		return hk_fail(err, errno, "domainname: setdomainname \"%s\"", c->domainname);
	return 0;
}
