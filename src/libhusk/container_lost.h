/* What delete --force does for a container whose record is missing or damaged. */
#ifndef HUSK_CONTAINER_LOST_H
#define HUSK_CONTAINER_LOST_H

#include "hk_error.h"

/* Kills the processes holding its exec.fifo and those in the cgroup its saved config (or its id)
 * names, removes that cgroup and the state directory. A missing directory is success. */
int hk_container_delete_lost(const char *root, const char *id, struct hk_err **err);

#endif
