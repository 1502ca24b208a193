/* Each bad document gets its own exact message: the file, the JSON path and what was expected.
 * Documents are written with ' for " to stay readable; the test swaps them back. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "tap.h"

#define DOC(x)	   "{'ociVersion':'1.2.0','root':{'path':'rootfs'}," x "}"
#define PROC(x)	   DOC("'process':{'args':['sh'],'cwd':'/'," x "}")
#define LINUX(x)   DOC("'linux':{" x "}")
#define RES(x)	   LINUX("'resources':{" x "}")
#define SECCOMP(x) LINUX("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW'," x "}")
#define C	   "config.json: "

static const struct {
	const char *doc, *message;
} cases[] = {
    /* syntax */
    {"", C "line 1, column 1: invalid JSON: premature EOF"},
    {"{'ociVersion': '1.2.0',\n 'root': {'path': 'rootfs'},\n 'process': [1, 2,]\n}",
     C "line 3, column 19: invalid JSON: unallowed token at this point in JSON text"},
    {"{'ociVersion':'1.2.0'} trailing", C "line 1, column 24: invalid JSON: trailing garbage"},
    {"{'a':tru}", C "line 1, column 6: invalid JSON: invalid string in json text."},
    {"{'ociVersion':'1.2.0\x01'}",
     C "line 1, column 21: invalid JSON: invalid character inside string."},
    {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]"
     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
     C "line 1, column 65: invalid JSON: nested deeper than 64 levels"},
    {"[]", C "expected an object, got an array"},
    {"'just a string'", C "expected an object, got \"just a string\""},
    /* required fields and versions */
    {"{'root':{'path':'rootfs'}}", C "ociVersion: required field is missing"},
    {"{'ociVersion':'1.2.0'}", C "root: required field is missing"},
    {"{'ociVersion':'1.2.0','root':{}}", C "root.path: required field is missing"},
    {"{'ociVersion':'1.2.0','root':{'path':''}}", C "root.path: must not be empty"},
    {"{'ociVersion':'2.0.0','root':{'path':'r'}}",
     C "ociVersion: unsupported version \"2.0.0\": husk supports 1.0.0 to 1.3.x"},
    {"{'ociVersion':'0.6.0','root':{'path':'r'}}",
     C "ociVersion: unsupported version \"0.6.0\": husk supports 1.0.0 to 1.3.x"},
    {"{'ociVersion':'1.2','root':{'path':'r'}}",
     C "ociVersion: invalid version \"1.2\", expected MAJOR.MINOR.PATCH"},
    {"{'ociVersion':'1.2.0~rc1','root':{'path':'r'}}",
     C "ociVersion: invalid version \"1.2.0~rc1\", expected MAJOR.MINOR.PATCH"},
    {"{'ociVersion':120,'root':{'path':'r'}}", C "ociVersion: expected a string, got 120"},
    {"{'ociVersion':'1.2.0','root':'rootfs'}", C "root: expected an object, got \"rootfs\""},
    {DOC("'root':{'path':'rootfs','readonly':'yes'}"),
     C "root.readonly: expected true or false, got \"yes\""},
    /* process */
    {DOC("'process':{'cwd':'/'}"), C "process.args: required field is missing"},
    {DOC("'process':{'args':[],'cwd':'/'}"), C "process.args: must not be empty"},
    {DOC("'process':{'args':['sh']}"), C "process.cwd: required field is missing"},
    {DOC("'process':{'args':['sh'],'cwd':'tmp'}"),
     C "process.cwd: must be an absolute path, got \"tmp\""},
    {DOC("'process':{'args':'sh','cwd':'/'}"),
     C "process.args: expected an array of strings, got \"sh\""},
    {DOC("'process':{'args':['sh',7],'cwd':'/'}"), C "process.args[1]: expected a string, got 7"},
    {DOC("'process':{'args':['sh\\u0000-c'],'cwd':'/'}"),
     C "process.args[0]: contains a NUL character"},
    {PROC("'env':{'A':'1'}"), C "process.env: expected an array of strings, got an object"},
    {PROC("'terminal':1"), C "process.terminal: expected true or false, got 1"},
    {PROC("'user':{'uid':0}"), C "process.user.gid: required field is missing"},
    {PROC("'user':{'uid':-1,'gid':0}"),
     C "process.user.uid: expected an integer from 0 to 4294967295, got -1"},
    {PROC("'user':{'uid':4294967296,'gid':0}"),
     C "process.user.uid: expected an integer from 0 to 4294967295, got 4294967296"},
    {PROC("'user':{'uid':1.5,'gid':0}"), C "process.user.uid: expected an integer, got 1.5"},
    {PROC("'user':{'uid':1e3,'gid':0}"), C "process.user.uid: expected an integer, got 1e3"},
    {PROC("'user':{'uid':0,'gid':0,'additionalGids':[1,'2']}"),
     C "process.user.additionalGids[1]: expected an integer, got \"2\""},
    {PROC("'consoleSize':{'height':24}"), C "process.consoleSize.width: required field is missing"},
    {PROC("'capabilities':{'bounding':['CAP_CHOWN','CAP_TEST']}"),
     C "process.capabilities.bounding[1]: unknown capability \"CAP_TEST\""},
    {PROC("'capabilities':{'ambient':['chown']}"),
     C "process.capabilities.ambient[0]: unknown capability \"chown\""},
    {PROC("'rlimits':[{'type':'RLIMIT_NOFILE','hard':10,'soft':10},"
	  "{'type':'RLIMIT_NOFILE','hard':20,'soft':20}]"),
     C "process.rlimits[1]: duplicate rlimit RLIMIT_NOFILE"},
    {PROC("'rlimits':[{'type':'RLIMIT_FOO','hard':1,'soft':1}]"),
     C "process.rlimits[0].type: unknown rlimit type \"RLIMIT_FOO\""},
    {PROC("'rlimits':[{'type':'RLIMIT_CORE','hard':1}]"),
     C "process.rlimits[0].soft: required field is missing"},
    {PROC("'rlimits':[{'type':'RLIMIT_CORE','hard':1,'soft':2}]"),
     C "process.rlimits[0]: soft limit is above the hard limit"},
    {PROC("'rlimits':[{'type':'RLIMIT_CORE','hard':18446744073709551616,'soft':1}]"),
     C "process.rlimits[0].hard: expected an integer from 0 to 18446744073709551615, got "
       "18446744073709551616"},
    {PROC("'oomScoreAdj':1001"), C "process.oomScoreAdj: expected -1000 to 1000, got 1001"},
    {PROC("'oomScoreAdj':2147483648"),
     C "process.oomScoreAdj: expected an integer from -2147483648 to 2147483647, got 2147483648"},
    {PROC("'ioPriority':{'class':'IOPRIO_CLASS_FAST'}"),
     C "process.ioPriority.class: unknown I/O priority class \"IOPRIO_CLASS_FAST\""},
    {PROC("'ioPriority':{'class':'IOPRIO_CLASS_BE','priority':8}"),
     C "process.ioPriority.priority: expected 0 to 7, got 8"},
    {PROC("'scheduler':{'policy':'SCHED_FAST'}"),
     C "process.scheduler.policy: unknown scheduler policy \"SCHED_FAST\""},
    {PROC("'scheduler':{'policy':'SCHED_RR','flags':['SCHED_FLAG_X']}"),
     C "process.scheduler.flags[0]: unknown scheduler flag \"SCHED_FLAG_X\""},
    /* mounts and hooks */
    {DOC("'mounts':[{'type':'proc','source':'proc'}]"),
     C "mounts[0].destination: required field is missing"},
    {DOC("'mounts':[{'destination':'/proc'},{'destination':''}]"),
     C "mounts[1].destination: must not be empty"},
    {DOC("'mounts':[{'destination':'/x','options':'ro'}]"),
     C "mounts[0].options: expected an array of strings, got \"ro\""},
    {DOC("'mounts':[{'destination':'/x','uidMappings':[{'containerID':0,'hostID':1}]}]"),
     C "mounts[0].uidMappings[0].size: required field is missing"},
    {DOC("'mounts':{'destination':'/x'}"), C "mounts: expected an array, got an object"},
    {DOC("'hooks':{'prestart':[{'path':'hook'}]}"),
     C "hooks.prestart[0].path: must be an absolute path, got \"hook\""},
    {DOC("'hooks':{'poststop':[{'args':['x']}]}"),
     C "hooks.poststop[0].path: required field is missing"},
    {DOC("'hooks':{'createRuntime':[{'path':'/bin/true','timeout':0}]}"),
     C "hooks.createRuntime[0].timeout: must be greater than zero, got 0"},
    {DOC("'annotations':{'a':'b','c':3}"), C "annotations[\"c\"]: expected a string, got 3"},
    {DOC("'annotations':['a']"), C "annotations: expected an object of strings, got an array"},
    {DOC("'hostname':'box'"), C "hostname: needs a UTS namespace of the container's own"},
    /* linux */
    {LINUX("'namespaces':[{'type':'pid'},{'type':'mount'},{'type':'pidd'}]"),
     C "linux.namespaces[2].type: unknown namespace type \"pidd\""},
    {LINUX("'namespaces':[{'type':'pid'},{'type':'pid'}]"),
     C "linux.namespaces[1]: duplicate namespace type \"pid\""},
    {LINUX("'namespaces':[{'path':'/proc/1/ns/net'}]"),
     C "linux.namespaces[0].type: required field is missing"},
    {LINUX("'namespaces':[{'type':'network','path':'proc/1/ns/net'}]"),
     C "linux.namespaces[0].path: must be an absolute path, got \"proc/1/ns/net\""},
    {LINUX("'namespaces':[{'type':'user'}]"),
     C "linux.uidMappings: a new user namespace needs uid and gid mappings"},
    {LINUX("'uidMappings':[{'containerID':0,'hostID':1000,'size':1}]"),
     C "linux.uidMappings: mappings need a user namespace in linux.namespaces"},
    {LINUX("'timeOffsets':{'monotonic':{'secs':1}}"),
     C "linux.timeOffsets: offsets need a time namespace"},
    {LINUX("'namespaces':[{'type':'time'}],'timeOffsets':{'realtime':{'secs':1}}"),
     C "linux.timeOffsets[\"realtime\"]: unknown clock, expected \"monotonic\" or \"boottime\""},
    {LINUX("'namespaces':[{'type':'time'}],'timeOffsets':{'boottime':{'nanosecs':1000000000}}"),
     C "linux.timeOffsets[\"boottime\"].nanosecs: must be below 1000000000"},
    {LINUX("'devices':[{'type':'c','path':'/dev/fuse','major':10}]"),
     C "linux.devices[0].minor: required for a device of type \"c\""},
    {LINUX("'devices':[{'type':'x','path':'/dev/x'}]"),
     C "linux.devices[0].type: unknown device type \"x\""},
    {LINUX("'devices':[{'type':'c','path':'dev/null','major':1,'minor':3}]"),
     C "linux.devices[0].path: must be an absolute path, got \"dev/null\""},
    {LINUX("'rootfsPropagation':'sharedd'"),
     C "linux.rootfsPropagation: unknown propagation \"sharedd\""},
    {LINUX("'maskedPaths':['/proc/kcore','proc/keys']"),
     C "linux.maskedPaths[1]: must be an absolute path, got \"proc/keys\""},
    {LINUX("'readonlyPaths':[null]"), C "linux.readonlyPaths[0]: expected a string, got null"},
    {LINUX("'sysctl':{'net.ipv4.ip_forward':1}"),
     C "linux.sysctl[\"net.ipv4.ip_forward\"]: expected a string, got 1"},
    {LINUX("'personality':{'domain':'LINUX64'}"),
     C "linux.personality.domain: unknown personality domain \"LINUX64\""},
    {LINUX("'personality':{'domain':'LINUX','flags':['ADDR_NO_RANDOMIZE']}"),
     C "linux.personality.flags[0]: unknown personality flag \"ADDR_NO_RANDOMIZE\""},
    {LINUX("'memoryPolicy':{'mode':'MPOL_FAST'}"),
     C "linux.memoryPolicy.mode: unknown memory policy mode \"MPOL_FAST\""},
    {LINUX("'netDevices':{'eth0':{'name':5}}"),
     C "linux.netDevices[\"eth0\"].name: expected a string, got 5"},
    /* resources */
    {RES("'memory':{'limit':'1G'}"),
     C "linux.resources.memory.limit: expected an integer, got \"1G\""},
    {RES("'memory':{'limit':9223372036854775808}"),
     C "linux.resources.memory.limit: expected an integer from -9223372036854775808 to "
       "9223372036854775807, got 9223372036854775808"},
    {RES("'memory':{'swappiness':101}"),
     C "linux.resources.memory.swappiness: expected 0 to 100, got 101"},
    {RES("'memory':{'disableOOMKiller':'false'}"),
     C "linux.resources.memory.disableOOMKiller: expected true or false, got \"false\""},
    {RES("'cpu':{'shares':-2}"),
     C "linux.resources.cpu.shares: expected an integer from 0 to 18446744073709551615, got -2"},
    {RES("'cpu':{'cpus':[0,1]}"), C "linux.resources.cpu.cpus: expected a string, got an array"},
    {RES("'pids':{'limit':true}"), C "linux.resources.pids.limit: expected an integer, got true"},
    {RES("'devices':[{'access':'rwm'}]"),
     C "linux.resources.devices[0].allow: required field is missing"},
    {RES("'devices':[{'allow':true,'access':'rwx'}]"),
     C "linux.resources.devices[0].access: expected letters of \"rwm\", got \"rwx\""},
    {RES("'devices':[{'allow':true,'access':'rr'}]"),
     C "linux.resources.devices[0].access: expected letters of \"rwm\", got \"rr\""},
    {RES("'devices':[{'allow':true,'type':'p'}]"),
     C "linux.resources.devices[0].type: unknown device type \"p\""},
    {RES("'blockIO':{'weight':70000}"),
     C "linux.resources.blockIO.weight: expected an integer from 0 to 65535, got 70000"},
    {RES("'blockIO':{'throttleReadBpsDevice':[{'major':8,'minor':0}]}"),
     C "linux.resources.blockIO.throttleReadBpsDevice[0].rate: required field is missing"},
    {RES("'hugepageLimits':[{'limit':1}]"),
     C "linux.resources.hugepageLimits[0].pageSize: required field is missing"},
    {RES("'network':{'priorities':[{'name':'eth0'}]}"),
     C "linux.resources.network.priorities[0].priority: required field is missing"},
    {RES("'rdma':{'mlx5_1':{'hcaHandles':-3}}"),
     C "linux.resources.rdma[\"mlx5_1\"].hcaHandles: expected an integer from 0 to 4294967295, "
       "got -3"},
    {RES("'unified':{'memory.max':1024}"),
     C "linux.resources.unified[\"memory.max\"]: expected a string, got 1024"},
    /* seccomp */
    {LINUX("'seccomp':{'syscalls':[]}"),
     C "linux.seccomp.defaultAction: required field is missing"},
    {LINUX("'seccomp':{'defaultAction':'SCMP_ACT_DENY'}"),
     C "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_DENY\""},
    {LINUX("'seccomp':{'defaultAction':'SCMP_ACT_NOTIFY','listenerPath':'/s'}"),
     C "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default"},
    {SECCOMP("'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_Z80']"),
     C "linux.seccomp.architectures[1]: unknown seccomp architecture \"SCMP_ARCH_Z80\""},
    {SECCOMP("'flags':['SECCOMP_FILTER_FLAG_NEW_LISTENER']"),
     C "linux.seccomp.flags[0]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\""},
    {SECCOMP("'syscalls':[{'action':'SCMP_ACT_ERRNO'}]"),
     C "linux.seccomp.syscalls[0].names: required field is missing"},
    {SECCOMP("'syscalls':[{'names':[],'action':'SCMP_ACT_ERRNO'}]"),
     C "linux.seccomp.syscalls[0].names: must not be empty"},
    {SECCOMP("'syscalls':[{'names':['read']}]"),
     C "linux.seccomp.syscalls[0].action: required field is missing"},
    {SECCOMP("'syscalls':[{'names':['read'],'action':'SCMP_ACT_ALLOW'},"
	     "{'names':['mkdir'],'action':'SCMP_ACT_NOTIFY'}]"),
     C "linux.seccomp.syscalls[1]: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath"},
    {SECCOMP("'syscalls':[{'names':['read'],'action':'SCMP_ACT_ALLOW',"
	     "'args':[{'index':6,'value':1,'op':'SCMP_CMP_EQ'}]}]"),
     C "linux.seccomp.syscalls[0].args[0].index: expected 0 to 5, got 6"},
    {SECCOMP("'syscalls':[{'names':['read'],'action':'SCMP_ACT_ALLOW',"
	     "'args':[{'index':0,'value':1,'op':'SCMP_CMP_XOR'}]}]"),
     C "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"SCMP_CMP_XOR\""},
    {SECCOMP("'syscalls':[{'names':['read'],'action':'SCMP_ACT_ALLOW',"
	     "'args':[{'index':0,'op':'SCMP_CMP_EQ'}]}]"),
     C "linux.seccomp.syscalls[0].args[0].value: required field is missing"},
    {SECCOMP("'syscalls':[{'names':['read'],'action':'SCMP_ACT_ALLOW',"
	     "'args':[{'index':0,'value':-1,'op':'SCMP_CMP_EQ'}]}]"),
     C "linux.seccomp.syscalls[0].args[0].value: expected an integer from 0 to "
       "18446744073709551615, got -1"},
    {SECCOMP("'listenerPath':''"), C "linux.seccomp.listenerPath: must not be empty"},
};

/* process.json, as `exec --process` reads it: the same rules as config.json's process. */
static const struct {
	const char *doc, *message;
} process_cases[] = {
    {"{'args':['ls'],'cwd':'/','user':{'uid':0,'gid':0},'env':['A=1'],"
     "'capabilities':{'bounding':['CAP_KILL']},'noNewPrivileges':true}",
     NULL},
    {"{'args':['ls']}", "process.json: cwd: required field is missing"},
    {"{'args':['ls'],'cwd':'/','user':{'uid':'root','gid':0}}",
     "process.json: user.uid: expected an integer, got \"root\""},
    {"{'args':['ls'],'cwd':'/','capabilities':{'effective':['CAP_NOPE']}}",
     "process.json: capabilities.effective[0]: unknown capability \"CAP_NOPE\""},
    {"{'args':['ls'],'cwd':'/',", "process.json: line 1, column 25: invalid JSON: premature EOF"},
};

static char *unquote(const char *doc)
{
	char *s = strdup(doc), *p;

	for (p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hk_cleanup_err struct hk_err *err = NULL;
		struct oci_config_doc doc = {0};
		char *text = unquote(cases[i].doc);
		int ret = oci_config_parse(text, strlen(text), "config.json", &doc, &err);
		int same = ret < 0 && err != NULL && strcmp(err->msg, cases[i].message) == 0;

		tap_ok(same, "bad document %zu: %s", i, cases[i].message);
		if (!same)
			tap_diag("got: %s", ret == 0 ? "(parsed fine)" : err->msg);
		oci_config_doc_free(&doc);
		free(text);
	}
	tap_ok(i >= 60, "at least 60 bad documents (%zu)", i);
	for (i = 0; i < sizeof(process_cases) / sizeof(process_cases[0]); i++) {
		hk_cleanup_err struct hk_err *err = NULL;
		struct oci_process_doc doc = {0};
		char *text = unquote(process_cases[i].doc);
		int ret = oci_process_parse(text, strlen(text), "process.json", &doc, &err);
		const char *want = process_cases[i].message;

		if (want == NULL)
			tap_ok(ret == 0 && doc.process->args.len == 1, "process.json %zu parses",
			       i);
		else
			tap_ok(ret < 0 && strcmp(err->msg, want) == 0, "process.json %zu: %s", i,
			       want);
		if ((want == NULL) != (ret == 0))
			tap_diag("got: %s", err ? err->msg : "(parsed fine)");
		oci_process_doc_free(&doc);
		free(text);
	}
	return tap_done();
}
