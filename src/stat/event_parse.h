/* Event strings as perf stat -e takes them: symbolic names, hardware cache events, raw rNNNN,
 * pmu/term=value,.../ from sysfs, tracepoints sys:name (globs expand), :ukhGHpD modifiers and
 * {a,b} groups. */
#ifndef KILN_EVENT_PARSE_H
#define KILN_EVENT_PARSE_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stddef.h>

enum ev_kind { EV_SOFTWARE, EV_HARDWARE, EV_CACHE, EV_RAW, EV_PMU, EV_TRACEPOINT };

struct ev_spec {
	char *name; /* as perf prints it: what the user wrote, modifiers included */
	enum ev_kind kind;
	struct perf_event_attr attr; /* type, config*, exclude_*, precise_ip, pinned */
	int leader;		     /* index of the group leader in the list; itself when alone */
	int group_size;		     /* members of its group, leader included (1 when alone) */
};

struct ev_list {
	struct ev_spec *v;
	size_t n, cap;
};

/* Where PMUs and tracepoints are described; NULL fields mean the running system's. */
struct ev_env {
	const char *pmu_dir;	 /* /sys/bus/event_source/devices */
	const char *tracing_dir; /* tracefs mount point */
};

struct ev_error {
	size_t column; /* 1-based position in the string of the offending character */
	char msg[200];
};

/* Appends the events of `str` to `out`. 0, or -EINVAL with `err` set (the list is then left as it
 * was before the call), -ENOMEM. */
int ev_parse(const char *str, const struct ev_env *env, struct ev_list *out, struct ev_error *err);
/* Appends one event by name, alone in its group (for default sets). */
int ev_add(struct ev_list *l, const char *name, const struct ev_env *env);
void ev_list_free(struct ev_list *l);
/* Restricts an event to user space and names it so (":u"), as perf does when the kernel refuses
 * kernel counting to an unprivileged user. 0 or -ENOMEM. */
int ev_user_only(struct ev_spec *e);

/* The symbolic names the parser knows, for kiln list: kind EV_SOFTWARE, EV_HARDWARE or EV_CACHE.
 * Calls fn for each primary name (aliases left out) with its type and config. */
void ev_for_each_symbolic(enum ev_kind kind,
			  void (*fn)(const char *name, __u32 type, __u64 config, void *arg),
			  void *arg);

/* Reads a PMU's numeric type from sysfs. 0 or -errno. */
int ev_pmu_type(const char *pmu_dir, const char *pmu, __u32 *type);
const char *ev_default_pmu_dir(void);
/* The tracefs mount point (mounted when absent), NULL when there is none. */
const char *ev_default_tracing_dir(void);

#endif
