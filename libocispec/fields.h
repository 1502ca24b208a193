/* Shorthands for descriptor tables: each table defines T as the struct it describes. */
#ifndef HUSK_FIELDS_H
#define HUSK_FIELDS_H

#include "schema.h"

#define F(json, kind, member, flags)	     OCI_FIELD(json, kind, T, member, flags, NULL, NULL)
#define OBJ(json, kind, member, flags, type) OCI_FIELD(json, kind, T, member, flags, &type, NULL)
#define NAMED(json, kind, member, flags, names)                                                    \
	OCI_FIELD(json, kind, T, member, flags, NULL, &names)
#define REQ OCI_REQUIRED
#define ABS OCI_ABSOLUTE

#endif
