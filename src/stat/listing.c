#include <errno.h>
#include <event-parse.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tracefs.h>
#include <unistd.h>

#include "stat/elf_probes.h"
#include "stat/event_parse.h"
#include "stat/listing.h"
#include "util/log.h"
#include "util/tp_format.h"
#include "util/perf_event.h"

struct list_ctx {
	const char *glob;
	bool verbose;
	size_t shown;
};

static bool wanted(const struct list_ctx *c, const char *name)
{
	return !c->glob || fnmatch(c->glob, name, 0) == 0;
}

static void print_event(struct list_ctx *c, const char *name, const char *kind)
{
	printf("  %-48s [%s]\n", name, kind);
	c->shown++;
}

/* Counts only what opens here: a VM without a PMU has no hardware events to offer. */
static bool can_count(__u32 type, __u64 config)
{
	struct perf_event_attr a = {0};
	a.size = sizeof(a);
	a.type = type;
	a.config = config;
	a.disabled = 1;
	int fd = sys_perf_event_open(&a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		/* Without kernel access, the same event for user space. */
		a.exclude_kernel = 1;
		a.exclude_hv = 1;
		fd = sys_perf_event_open(&a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	}
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

struct sym_ctx {
	struct list_ctx *c;
	const char *kind;
};

static void list_symbolic_one(const char *name, __u32 type, __u64 config, void *arg)
{
	struct sym_ctx *s = arg;
	if (wanted(s->c, name) && can_count(type, config))
		print_event(s->c, name, s->kind);
}

static void list_symbolic(struct list_ctx *c, enum ev_kind kind)
{
	struct sym_ctx s = {c, kind == EV_SOFTWARE   ? "Software event"
			       : kind == EV_HARDWARE ? "Hardware event"
						     : "Hardware cache event"};
	ev_for_each_symbolic(kind, list_symbolic_one, &s);
}

static void read_line(const char *path, char *buf, size_t size)
{
	buf[0] = '\0';
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* path: <pmu_dir>/PMU/events/EVENT, listed as PMU/EVENT/. */
static void list_pmu_event(struct list_ctx *c, const char *path)
{
	const char *ev = strrchr(path, '/') + 1;
	/* scale and unit files describe an event, they are not events */
	if (strchr(ev, '.'))
		return;
	const char *pmu_end = strstr(path + strlen(ev_default_pmu_dir()) + 1, "/events/");
	const char *pmu = path + strlen(ev_default_pmu_dir()) + 1;
	char name[256], terms[256];
	snprintf(name, sizeof(name), "%.*s/%s/", (int)(pmu_end - pmu), pmu, ev);
	if (!wanted(c, name))
		return;
	print_event(c, name, "Kernel PMU event");
	if (c->verbose) {
		read_line(path, terms, sizeof(terms));
		printf("      %.*s/%s/\n", (int)(pmu_end - pmu), pmu, terms);
	}
}

static int list_pmu(struct list_ctx *c)
{
	char pattern[512];
	glob_t g;
	snprintf(pattern, sizeof(pattern), "%s/*/events/*", ev_default_pmu_dir());
	if (glob(pattern, 0, NULL, &g))
		return 0;
	for (size_t i = 0; i < g.gl_pathc; i++)
		list_pmu_event(c, g.gl_pathv[i]);
	globfree(&g);
	return 0;
}

/* The tracepoint's format file, malloc'd; NULL when it cannot be read. */
static char *read_format(const char *dir, const char *sys, const char *name)
{
	char *buf = tracefs_event_file_read(NULL, sys, name, "format", NULL);
	/* tracefs_event_file_read looks at the default mount; read ours directly */
	return buf ? buf : tp_format_read(dir, sys, name);
}

static void print_fields(const char *dir, const char *sys, const char *name)
{
	char *buf = read_format(dir, sys, name);
	if (!buf)
		return;
	struct tep_handle *tep = tep_alloc();
	struct tep_event *ev = NULL;
	if (tep && tep_parse_format(tep, &ev, buf, strlen(buf), sys) == TEP_ERRNO__SUCCESS && ev) {
		for (struct tep_format_field *f = ev->format.fields; f; f = f->next)
			printf("      %s %s; offset %d, size %d\n", f->type, f->name, f->offset,
			       f->size);
	}
	if (tep)
		tep_free(tep);
	free(buf);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts a NULL-terminated list of names (tracefs returns them in directory order) and returns its
 * length; 0 for a NULL list. */
static size_t sort_names(char **l)
{
	size_t n = 0;
	while (l && l[n])
		n++;
	if (n)
		qsort(l, n, sizeof(*l), cmp_str);
	return n;
}

static void list_system(struct list_ctx *c, const char *dir, const char *sys)
{
	char **events = tracefs_system_events(dir, sys);
	size_t ne = sort_names(events);
	for (size_t j = 0; j < ne; j++) {
		char name[512];
		snprintf(name, sizeof(name), "%s:%s", sys, events[j]);
		if (!wanted(c, name))
			continue;
		print_event(c, name, "Tracepoint event");
		if (c->verbose)
			print_fields(dir, sys, events[j]);
	}
	tracefs_list_free(events);
}

static int list_tracepoints(struct list_ctx *c)
{
	const char *dir = ev_default_tracing_dir();
	if (!dir) {
		kiln_error("tracefs is not mounted and cannot be: mount -t tracefs nodev "
			   "/sys/kernel/tracing");
		return -ENOENT;
	}
	char **systems = tracefs_event_systems(dir);
	size_t ns = sort_names(systems);
	for (size_t i = 0; i < ns; i++)
		list_system(c, dir, systems[i]);
	tracefs_list_free(systems);
	return 0;
}

static void usdt_one(const struct usdt_probe *p, void *arg)
{
	struct list_ctx *c = arg;
	char name[512];
	snprintf(name, sizeof(name), "%s:%s", p->provider, p->name);
	if (!wanted(c, name))
		return;
	printf("  %-40s location 0x%llx, base 0x%llx, semaphore 0x%llx, args: %s\n", name,
	       (unsigned long long)p->pc, (unsigned long long)p->base,
	       (unsigned long long)p->semaphore, *p->args ? p->args : "(none)");
	c->shown++;
}

static void func_one(const struct elf_function *f, void *arg)
{
	struct list_ctx *c = arg;
	if (!wanted(c, f->name))
		return;
	printf("  %-40s address 0x%llx, offset 0x%llx, size %llu\n", f->name,
	       (unsigned long long)f->addr, (unsigned long long)f->offset,
	       (unsigned long long)f->size);
	c->shown++;
}

int list_kind_parse(const char *name, enum list_kind *kind)
{
	static const struct {
		const char *name;
		enum list_kind kind;
	} kinds[] = {{"sw", LIST_SW},	    {"software", LIST_SW},   {"hw", LIST_HW},
		     {"hardware", LIST_HW}, {"cache", LIST_CACHE},   {"hwcache", LIST_CACHE},
		     {"pmu", LIST_PMU},	    {"tracepoint", LIST_TP}, {"tp", LIST_TP},
		     {"usdt", LIST_USDT},   {"sdt", LIST_USDT},	     {"uprobe", LIST_UPROBE}};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(name, kinds[i].name)) {
			*kind = kinds[i].kind;
			return 0;
		}
	return -EINVAL;
}

static bool kind_listed(const struct list_request *req, enum list_kind kind)
{
	return req->kind == LIST_ALL || req->kind == kind;
}

static int list_kind(struct list_ctx *c, const struct list_request *req)
{
	int err = 0;
	if (kind_listed(req, LIST_HW))
		list_symbolic(c, EV_HARDWARE);
	if (kind_listed(req, LIST_SW))
		list_symbolic(c, EV_SOFTWARE);
	if (kind_listed(req, LIST_CACHE))
		list_symbolic(c, EV_CACHE);
	if (kind_listed(req, LIST_PMU))
		err = list_pmu(c);
	if (!err && kind_listed(req, LIST_TP))
		err = list_tracepoints(c);
	if (req->kind == LIST_USDT)
		err = usdt_probes_each(req->binary, usdt_one, c);
	if (req->kind == LIST_UPROBE)
		err = elf_functions_each(req->binary, func_one, c);
	return err;
}

/* An empty listing says why, so it is not taken for a failure. */
static void note_empty(const struct list_request *req)
{
	if (req->kind == LIST_USDT && !req->glob)
		kiln_info("%s has no USDT probes (no .note.stapsdt section)", req->binary);
	else if (req->kind == LIST_UPROBE && !req->glob)
		kiln_info("%s has no function symbols (stripped?)", req->binary);
	else if (req->glob)
		kiln_info("nothing matches %s", req->glob);
}

int list_events(const struct list_request *req)
{
	struct list_ctx c = {req->glob, req->verbose, 0};
	int err = list_kind(&c, req);
	if (!err && !c.shown)
		note_empty(req);
	return err;
}
