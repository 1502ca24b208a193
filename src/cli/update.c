/* husk update [--resources FILE|-] [--memory N] ... ID: new limits for a live container. The
 * flags override what the resources file says, as with runc; devices are fixed at create. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "cli.h"
#include "config.h"
#include "container_cgroup.h"
#include "units.h"

enum group { G_MEMORY, G_CPU, G_PIDS, G_BLKIO };
enum kind { K_SIZE, K_I64, K_U64, K_U16, K_STR };

struct setting {
	const char *flag;
	enum group group;
	enum kind kind;
	size_t offset; /* in the group's struct */
};

#define AT(type, member) offsetof(struct type, member)
static const struct setting settings[] = {
    {"memory", G_MEMORY, K_SIZE, AT(oci_memory, limit)},
    {"memory-reservation", G_MEMORY, K_SIZE, AT(oci_memory, reservation)},
    {"memory-swap", G_MEMORY, K_SIZE, AT(oci_memory, swap)},
    {"kernel-memory", G_MEMORY, K_SIZE, AT(oci_memory, kernel)},
    {"kernel-memory-tcp", G_MEMORY, K_SIZE, AT(oci_memory, kernel_tcp)},
    {"cpu-share", G_CPU, K_U64, AT(oci_cpu, shares)},
    {"cpu-period", G_CPU, K_U64, AT(oci_cpu, period)},
    {"cpu-quota", G_CPU, K_I64, AT(oci_cpu, quota)},
    {"cpu-burst", G_CPU, K_U64, AT(oci_cpu, burst)},
    {"cpu-rt-period", G_CPU, K_U64, AT(oci_cpu, realtime_period)},
    {"cpu-rt-runtime", G_CPU, K_I64, AT(oci_cpu, realtime_runtime)},
    {"cpu-idle", G_CPU, K_I64, AT(oci_cpu, idle)},
    {"cpuset-cpus", G_CPU, K_STR, AT(oci_cpu, cpus)},
    {"cpuset-mems", G_CPU, K_STR, AT(oci_cpu, mems)},
    {"pids-limit", G_PIDS, K_I64, AT(oci_pids, limit)},
    {"blkio-weight", G_BLKIO, K_U16, AT(oci_blkio, weight)},
};
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static const struct cli_flag flags[] = {
    {"resources", 'r', CLI_VALUE, "FILE", "a linux.resources JSON document, - for stdin", NULL},
    {"memory", 'm', CLI_VALUE, "N", "memory limit (bytes, or 512m, 1g)", NULL},
    {"memory-reservation", 0, CLI_VALUE, "N", "soft memory limit", NULL},
    {"memory-swap", 0, CLI_VALUE, "N", "memory plus swap limit, -1 for none", NULL},
    {"kernel-memory", 0, CLI_VALUE, "N", "kernel memory limit (ignored where unsupported)", NULL},
    {"kernel-memory-tcp", 0, CLI_VALUE, "N", "kernel tcp buffer limit", NULL},
    {"cpu-share", 0, CLI_VALUE, "N", "relative cpu weight (v1 shares)", NULL},
    {"cpu-period", 0, CLI_VALUE, "N", "cfs period in microseconds", NULL},
    {"cpu-quota", 0, CLI_VALUE, "N", "cfs quota per period in microseconds, -1 for none", NULL},
    {"cpu-burst", 0, CLI_VALUE, "N", "cfs burst in microseconds", NULL},
    {"cpu-rt-period", 0, CLI_VALUE, "N", "realtime period in microseconds (v1)", NULL},
    {"cpu-rt-runtime", 0, CLI_VALUE, "N", "realtime runtime in microseconds (v1)", NULL},
    {"cpu-idle", 0, CLI_VALUE, "N", "1: the cgroup runs as SCHED_IDLE", NULL},
    {"cpuset-cpus", 0, CLI_VALUE, "LIST", "cpus allowed, e.g. 0-2,4", NULL},
    {"cpuset-mems", 0, CLI_VALUE, "LIST", "memory nodes allowed", NULL},
    {"pids-limit", 0, CLI_VALUE, "N", "maximum number of tasks, -1 for none", NULL},
    {"blkio-weight", 0, CLI_VALUE, "N", "block I/O weight, 10 to 1000", NULL},
    {"l3-cache-schema", 0, CLI_VALUE, "S", "Intel RDT L3 schema (not supported)", NULL},
    {"mem-bw-schema", 0, CLI_VALUE, "S", "Intel RDT memory bandwidth schema (not supported)", NULL},
    {0},
};

static int parse_size(const char *flag, const char *text, long long *out, struct hk_err **err)
{
	if (hk_parse_size(text, out) == 0)
		return 0;
	return hk_fail(err, 0, "update: --%s: expected a size like 1024, 512m or 1g, got \"%s\"",
		       flag, text);
}

static int parse_number(const struct setting *s, const char *text, long long *out,
			struct hk_err **err)
{
	char *end;

	if (s->kind == K_SIZE)
		return parse_size(s->flag, text, out, err);
	errno = 0;
	*out = strtoll(text, &end, 10);
	if (end == text || *end || errno || (s->kind != K_I64 && *out < 0) ||
	    (s->kind == K_U16 && *out > 65535))
		return hk_fail(err, 0, "update: --%s: expected %s number, got \"%s\"", s->flag,
			       s->kind == K_I64 ? "a" : "a non-negative", text);
	return 0;
}

/* The struct of the setting's group in r, made on first use. */
static void *group_of(struct oci_resources *r, enum group g, struct oci_arena *arena)
{
	void **slot = g == G_MEMORY ? (void **)&r->memory
		      : g == G_CPU  ? (void **)&r->cpu
		      : g == G_PIDS ? (void **)&r->pids
				    : (void **)&r->block_io;
	static const size_t sizes[] = {sizeof(struct oci_memory), sizeof(struct oci_cpu),
				       sizeof(struct oci_pids), sizeof(struct oci_blkio)};

	if (*slot == NULL)
		*slot = oci_arena_alloc(arena, sizes[g]);
	return *slot;
}

static int apply_flag(struct oci_resources *r, const struct setting *s, const char *text,
		      struct oci_arena *arena, struct hk_err **err)
{
	char *at = (char *)group_of(r, s->group, arena) + s->offset;
	long long v = 0;

	if (s->kind == K_STR) {
		*(char **)at = oci_arena_strdup(arena, text);
		return 0;
	}
	if (parse_number(s, text, &v, err) < 0)
		return -1;
	if (s->kind == K_U16)
		*(struct oci_opt_u32 *)at = (struct oci_opt_u32){(uint32_t)v, true};
	else if (s->kind == K_U64)
		*(struct oci_opt_u64 *)at = (struct oci_opt_u64){(uint64_t)v, true};
	else
		*(struct oci_opt_i64 *)at = (struct oci_opt_i64){v, true};
	return 0;
}

static int read_resources(const char *file, struct oci_arena **arena, struct oci_resources **r,
			  struct hk_err **err)
{
	char *text = NULL;
	size_t len = 0;
	int ret;

	if (oci_read_input(file, OCI_CONFIG_MAX_BYTES, &text, &len, err) < 0)
		return -1;
	ret =
	    oci_resources_parse(text, len, strcmp(file, "-") == 0 ? "stdin" : file, arena, r, err);
	free(text);
	return ret;
}

static int run_update(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	struct oci_arena *arena = NULL;
	struct oci_resources *r = NULL;
	const char *file, *value;
	struct cli_parsed p;
	size_t i;
	int ret = 0;

	if (cli_parse(&cmd_update, argc, argv, &p, err) < 0 ||
	    cli_expect_args(&cmd_update, &p, 1, 1, err) < 0)
		return -1;
	if (cli_value(&cmd_update, &p, "l3-cache-schema") ||
	    cli_value(&cmd_update, &p, "mem-bw-schema"))
		return hk_fail(err, 0, "update: Intel RDT (resctrl) is not supported by husk");
	file = cli_value(&cmd_update, &p, "resources");
	if (file != NULL && read_resources(file, &arena, &r, err) < 0)
		return -1;
	if (arena == NULL) {
		arena = oci_arena_new();
		r = oci_arena_alloc(arena, sizeof(*r));
	}
	for (i = 0; ret == 0 && i < NSETTINGS; i++)
		if ((value = cli_value(&cmd_update, &p, settings[i].flag)) != NULL)
			ret = apply_flag(r, &settings[i], value, arena, err);
	if (ret == 0)
		ret = hk_container_update(g->root, p.argv[0], r, err);
	oci_arena_free(arena);
	return ret;
}

const struct cli_command cmd_update = {
    "update", "ID", "change a container's resource limits", flags, run_update, false, false, false};
