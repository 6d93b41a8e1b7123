#include "stat/event_parse.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tracefs.h>
#include <unistd.h>

#include "util/tp_format.h"
#include "util/vec.h"

struct sym {
	const char *name;
	enum ev_kind kind;
	__u64 config;
	bool alias; /* another name for the entry before it: kiln list leaves it out */
};

static const struct sym symbols[] = {
    {"cpu-cycles", EV_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, false},
    {"cycles", EV_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, true},
    {"instructions", EV_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, false},
    {"cache-references", EV_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES, false},
    {"cache-misses", EV_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, false},
    {"branch-instructions", EV_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS, false},
    {"branches", EV_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS, true},
    {"branch-misses", EV_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES, false},
    {"bus-cycles", EV_HARDWARE, PERF_COUNT_HW_BUS_CYCLES, false},
    {"stalled-cycles-frontend", EV_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND, false},
    {"idle-cycles-frontend", EV_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND, true},
    {"stalled-cycles-backend", EV_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_BACKEND, false},
    {"idle-cycles-backend", EV_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_BACKEND, true},
    {"ref-cycles", EV_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES, false},
    {"cpu-clock", EV_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, false},
    {"task-clock", EV_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, false},
    {"page-faults", EV_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, false},
    {"faults", EV_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, true},
    {"context-switches", EV_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, false},
    {"cs", EV_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, true},
    {"cpu-migrations", EV_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS, false},
    {"migrations", EV_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS, true},
    {"minor-faults", EV_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN, false},
    {"major-faults", EV_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ, false},
    {"alignment-faults", EV_SOFTWARE, PERF_COUNT_SW_ALIGNMENT_FAULTS, false},
    {"emulation-faults", EV_SOFTWARE, PERF_COUNT_SW_EMULATION_FAULTS, false},
    {"dummy", EV_SOFTWARE, PERF_COUNT_SW_DUMMY, false},
    {"bpf-output", EV_SOFTWARE, PERF_COUNT_SW_BPF_OUTPUT, false},
    {"cgroup-switches", EV_SOFTWARE, 11 /* PERF_COUNT_SW_CGROUP_SWITCHES, newer headers */, false},
};

static const char *const caches[] = {"L1-dcache", "L1-icache", "LLC", "dTLB",
				     "iTLB",	  "branch",    "node"};
static const char *const cache_ops[][2] = {
    {"load", "loads"}, {"store", "stores"}, {"prefetch", "prefetches"}};

/* "L1-dcache-load-misses" -> its PERF_TYPE_HW_CACHE config. */
static bool cache_lookup(const char *name, size_t len, __u64 *config)
{
	for (size_t c = 0; c < sizeof(caches) / sizeof(caches[0]); c++) {
		size_t cl = strlen(caches[c]);
		if (len <= cl + 1 || strncmp(name, caches[c], cl) || name[cl] != '-')
			continue;
		const char *rest = name + cl + 1;
		size_t rl = len - cl - 1;
		for (size_t o = 0; o < 3; o++) {
			size_t ol = strlen(cache_ops[o][0]);
			if (rl == strlen(cache_ops[o][1]) && !strncmp(rest, cache_ops[o][1], rl)) {
				*config =
				    c | o << 8 | (__u64)PERF_COUNT_HW_CACHE_RESULT_ACCESS << 16;
				return true;
			}
			if (rl == ol + 7 && !strncmp(rest, cache_ops[o][0], ol) &&
			    !strncmp(rest + ol, "-misses", 7)) {
				*config = c | o << 8 | (__u64)PERF_COUNT_HW_CACHE_RESULT_MISS << 16;
				return true;
			}
		}
	}
	return false;
}

void ev_for_each_symbolic(enum ev_kind kind,
			  void (*fn)(const char *name, __u32 type, __u64 config, void *arg),
			  void *arg)
{
	if (kind == EV_CACHE) {
		char name[64];
		for (size_t c = 0; c < sizeof(caches) / sizeof(caches[0]); c++)
			for (size_t o = 0; o < 3; o++) {
				snprintf(name, sizeof(name), "%s-%s", caches[c], cache_ops[o][1]);
				fn(name, PERF_TYPE_HW_CACHE,
				   c | o << 8 | (__u64)PERF_COUNT_HW_CACHE_RESULT_ACCESS << 16,
				   arg);
				snprintf(name, sizeof(name), "%s-%s-misses", caches[c],
					 cache_ops[o][0]);
				fn(name, PERF_TYPE_HW_CACHE,
				   c | o << 8 | (__u64)PERF_COUNT_HW_CACHE_RESULT_MISS << 16, arg);
			}
		return;
	}
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++)
		if (symbols[i].kind == kind && !symbols[i].alias)
			fn(symbols[i].name,
			   kind == EV_HARDWARE ? PERF_TYPE_HARDWARE : PERF_TYPE_SOFTWARE,
			   symbols[i].config, arg);
}

static bool symbolic_lookup(const char *name, size_t len, struct ev_spec *e)
{
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++)
		if (strlen(symbols[i].name) == len && !strncmp(symbols[i].name, name, len)) {
			e->kind = symbols[i].kind;
			e->attr.type =
			    e->kind == EV_HARDWARE ? PERF_TYPE_HARDWARE : PERF_TYPE_SOFTWARE;
			e->attr.config = symbols[i].config;
			return true;
		}
	if (cache_lookup(name, len, &e->attr.config)) {
		e->kind = EV_CACHE;
		e->attr.type = PERF_TYPE_HW_CACHE;
		return true;
	}
	/* rNNNN: a raw hardware event code, in hex */
	if (len >= 2 && len <= 17 && name[0] == 'r') {
		for (size_t i = 1; i < len; i++)
			if (!isxdigit((unsigned char)name[i]))
				return false;
		char hex[17];
		memcpy(hex, name + 1, len - 1);
		hex[len - 1] = '\0';
		e->kind = EV_RAW;
		e->attr.type = PERF_TYPE_RAW;
		e->attr.config = strtoull(hex, NULL, 16);
		return true;
	}
	return false;
}

const char *ev_default_pmu_dir(void)
{
	return "/sys/bus/event_source/devices";
}

const char *ev_default_tracing_dir(void)
{
	return tp_tracing_dir();
}

/* Reads a small sysfs/tracefs file into buf, newline stripped. 0 or -errno. */
static int read_small(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int ev_pmu_type(const char *pmu_dir, const char *pmu, __u32 *type)
{
	char path[512], buf[32], *end;
	snprintf(path, sizeof(path), "%s/%s/type", pmu_dir ? pmu_dir : ev_default_pmu_dir(), pmu);
	int err = read_small(path, buf, sizeof(buf));
	if (err)
		return err;
	unsigned long v = strtoul(buf, &end, 10);
	if (end == buf || *end)
		return -EINVAL;
	*type = (__u32)v;
	return 0;
}

struct parser {
	const char *s, *p;
	struct ev_env env;
	struct ev_list *out;
	struct ev_error *err;
	bool in_group;
};

__attribute__((format(printf, 3, 4))) static int fail(struct parser *ps, const char *at,
						      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	va_end(ap);
	ps->err->column = (size_t)(at - ps->s) + 1;
	return -EINVAL;
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' || c == '*' ||
	       c == '?';
}

static const char *scan_name(const char *p)
{
	while (name_char(*p))
		p++;
	return p;
}

static const char *describe(char c)
{
	static char buf[8];
	if (!c)
		return "the end";
	snprintf(buf, sizeof(buf), "'%c'", c);
	return buf;
}

static struct ev_spec *new_spec(struct parser *ps)
{
	if (VEC_RESERVE(ps->out->v, ps->out->cap, ps->out->n + 1))
		return NULL;
	struct ev_spec *e = &ps->out->v[ps->out->n];
	memset(e, 0, sizeof(*e));
	e->leader = (int)ps->out->n;
	e->group_size = 1;
	return e;
}

/* Commits the spec new_spec returned, named by the text between start and end. */
static int push_spec(struct parser *ps, struct ev_spec *e, const char *start, size_t len)
{
	e->name = strndup(start, len);
	if (!e->name)
		return -ENOMEM;
	ps->out->n++;
	return 0;
}

struct mods {
	bool u, k, h, G, H, D;
	int precise;
};

/* At ':' — reads the modifier letters up to the next separator. */
static int parse_mods(struct parser *ps, struct mods *m)
{
	const char *colon = ps->p++;
	memset(m, 0, sizeof(*m));
	if (!*ps->p || *ps->p == ',' || *ps->p == '}')
		return fail(ps, colon, "':' must be followed by modifiers (u k h G H p D)");
	for (; *ps->p && *ps->p != ',' && *ps->p != '}'; ps->p++) {
		switch (*ps->p) {
		case 'u':
			m->u = true;
			break;
		case 'k':
			m->k = true;
			break;
		case 'h':
			m->h = true;
			break;
		case 'G':
			m->G = true;
			break;
		case 'H':
			m->H = true;
			break;
		case 'D':
			m->D = true;
			break;
		case 'p':
			if (++m->precise > 3)
				return fail(ps, ps->p,
					    "at most three 'p' modifiers (precise_ip 3)");
			break;
		default:
			return fail(ps, ps->p,
				    "unknown modifier %s; modifiers are u (user), k (kernel), h "
				    "(hypervisor), G (guest), H (host), p (precise), D (pinned)",
				    describe(*ps->p));
		}
	}
	return 0;
}

static void apply_mods(struct perf_event_attr *a, const struct mods *m)
{
	if (m->u || m->k || m->h) {
		a->exclude_user = !m->u;
		a->exclude_kernel = !m->k;
		a->exclude_hv = !m->h;
	}
	if (m->G)
		a->exclude_host = 1;
	if (m->H)
		a->exclude_guest = 1;
	if (m->precise)
		a->precise_ip = (unsigned)m->precise;
	if (m->D)
		a->pinned = 1;
}

static int read_tracepoint_id(const char *path, __u64 *id)
{
	char buf[32], *end;
	int err = read_small(path, buf, sizeof(buf));
	if (err)
		return err;
	*id = strtoull(buf, &end, 10);
	return end == buf || *end ? -EINVAL : 0;
}

/* sys:name, globs allowed in both parts: one event per matching tracefs directory. */
static int parse_tracepoint(struct parser *ps, const char *start, const char *sys_end)
{
	const char *name = sys_end + 1;
	const char *name_end = scan_name(name);
	if (name_end == name)
		return fail(ps, name, "expected a tracepoint name after '%.*s:'",
			    (int)(sys_end - start), start);
	ps->p = name_end;
	struct mods m = {0};
	bool has_mods = *ps->p == ':';
	if (has_mods) {
		int err = parse_mods(ps, &m);
		if (err)
			return err;
	}
	/* tracefs is looked up only when a tracepoint is named: it costs start-up time. */
	if (!ps->env.tracing_dir)
		ps->env.tracing_dir = ev_default_tracing_dir();
	const char *dir = ps->env.tracing_dir;
	if (!dir)
		return fail(
		    ps, start,
		    "tracepoints need tracefs, which is not mounted and cannot be (mount -t "
		    "tracefs nodev /sys/kernel/tracing)");
	char pattern[1024];
	snprintf(pattern, sizeof(pattern), "%s/events", dir);
	if (access(pattern, R_OK | X_OK))
		return fail(ps, start,
			    "cannot read %s: %s; run as root or make tracefs readable "
			    "(mount -o remount,mode=755 %s)",
			    pattern, strerror(errno), dir);
	snprintf(pattern, sizeof(pattern), "%s/events/%.*s/%.*s/id", dir, (int)(sys_end - start),
		 start, (int)(name_end - name), name);
	glob_t g;
	int rc = glob(pattern, 0, NULL, &g);
	if (rc == GLOB_NOSPACE)
		return -ENOMEM;
	if (rc) {
		return fail(ps, start, "no tracepoint %.*s; 'kiln list tracepoint' shows them",
			    (int)(name_end - start), start);
	}
	size_t dlen = strlen(dir) + strlen("/events/");
	int err = 0;
	for (size_t i = 0; i < g.gl_pathc && !err; i++) {
		struct ev_spec *e = new_spec(ps);
		if (!e) {
			err = -ENOMEM;
			break;
		}
		e->kind = EV_TRACEPOINT;
		e->attr.type = PERF_TYPE_TRACEPOINT;
		if (read_tracepoint_id(g.gl_pathv[i], &e->attr.config)) {
			err = fail(ps, start, "cannot read %s", g.gl_pathv[i]);
			break;
		}
		apply_mods(&e->attr, &m);
		/* events/SYS/NAME/id -> SYS:NAME[:mods] */
		const char *rel = g.gl_pathv[i] + dlen;
		const char *slash = strchr(rel, '/');
		size_t nlen = strlen(rel) - strlen("/id");
		char label[512];
		snprintf(label, sizeof(label), "%.*s:%.*s%.*s", (int)(slash - rel), rel,
			 (int)(nlen - (size_t)(slash - rel) - 1), slash + 1,
			 has_mods ? (int)(ps->p - name_end) : 0, name_end);
		err = push_spec(ps, e, label, strlen(label));
	}
	globfree(&g);
	return err;
}

/* "config:0-7,32-35" -> which attr word, and where each value bit goes. */
static int place_bits(const char *format, __u64 value, struct perf_event_attr *a, int *bits_out)
{
	__u64 *word;
	const char *ranges;
	if (!strncmp(format, "config:", 7)) {
		word = (__u64 *)&a->config;
		ranges = format + 7;
	} else if (!strncmp(format, "config1:", 8)) {
		word = (__u64 *)&a->config1;
		ranges = format + 8;
	} else if (!strncmp(format, "config2:", 8)) {
		word = (__u64 *)&a->config2;
		ranges = format + 8;
	} else {
		return -EINVAL;
	}
	int bit = 0;
	const char *p = ranges;
	while (*p) {
		char *end;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;
		if (end == p || lo > 63)
			return -EINVAL;
		p = end;
		if (*p == '-') {
			hi = strtoul(p + 1, &end, 10);
			if (end == p + 1 || hi > 63 || hi < lo)
				return -EINVAL;
			p = end;
		}
		for (unsigned long b = lo; b <= hi; b++, bit++)
			if (bit < 64 && (value >> bit & 1))
				*word |= 1ULL << b;
		if (*p == ',')
			p++;
		else if (*p)
			return -EINVAL;
	}
	*bits_out = bit;
	return 0;
}

static void list_dir_names(const char *dir, char *buf, size_t size)
{
	char pattern[1100];
	glob_t g;
	snprintf(pattern, sizeof(pattern), "%s/*", dir);
	buf[0] = '\0';
	if (glob(pattern, 0, NULL, &g))
		return;
	size_t len = 0;
	for (size_t i = 0; i < g.gl_pathc && len + 2 < size; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/') + 1;
		int n = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", base);
		if (n < 0 || (size_t)n >= size - len)
			break;
		len += (size_t)n;
	}
	globfree(&g);
}

static int apply_term(struct parser *ps, const char *pmu, const char *term, size_t tlen,
		      __u64 value, bool has_value, const char *at, struct perf_event_attr *a,
		      int depth);

/* An event alias from sysfs events/NAME: "event=0x3c,umask=0x00". */
static int apply_alias(struct parser *ps, const char *pmu, const char *alias, const char *at,
		       struct perf_event_attr *a, int depth)
{
	char *save, *tok;
	char copy[256];
	snprintf(copy, sizeof(copy), "%s", alias);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		__u64 v = 1;
		if (eq) {
			char *end;
			v = strtoull(eq + 1, &end, 0);
			if (end == eq + 1 || *end)
				return fail(ps, at,
					    "%s's event alias '%s' has a value kiln cannot use",
					    pmu, tok);
		}
		int err = apply_term(ps, pmu, tok, eq ? (size_t)(eq - tok) : strlen(tok), v, true,
				     at, a, depth + 1);
		if (err)
			return err;
	}
	return 0;
}

static int apply_term(struct parser *ps, const char *pmu, const char *term, size_t tlen,
		      __u64 value, bool has_value, const char *at, struct perf_event_attr *a,
		      int depth)
{
	char path[1024], buf[256];
	const char *pmu_dir = ps->env.pmu_dir;
	if (tlen == 6 && !strncmp(term, "config", 6)) {
		a->config = value;
		return 0;
	}
	if (tlen == 7 && !strncmp(term, "config1", 7)) {
		a->config1 = value;
		return 0;
	}
	if (tlen == 7 && !strncmp(term, "config2", 7)) {
		a->config2 = value;
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s/format/%.*s", pmu_dir, pmu, (int)tlen, term);
	if (read_small(path, buf, sizeof(buf)) == 0) {
		int bits;
		if (place_bits(buf, value, a, &bits))
			return fail(ps, at, "cannot use %s's format '%s' for '%.*s'", pmu, buf,
				    (int)tlen, term);
		if (bits < 64 && value >> bits)
			return fail(ps, at, "value 0x%llx does not fit the %d bits of '%.*s'",
				    (unsigned long long)value, bits, (int)tlen, term);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s/events/%.*s", pmu_dir, pmu, (int)tlen, term);
	if (!has_value && depth == 0 && read_small(path, buf, sizeof(buf)) == 0)
		return apply_alias(ps, pmu, buf, at, a, depth);
	char formats[160];
	snprintf(path, sizeof(path), "%s/%s/format", pmu_dir, pmu);
	list_dir_names(path, formats, sizeof(formats));
	return fail(ps, at, "PMU '%s' has no term '%.*s' (its formats: %s)", pmu, (int)tlen, term,
		    formats[0] ? formats : "none");
}

/* Optional ":mods" after an event, applied to attr. 0 or the parse error. */
static int take_mods(struct parser *ps, struct perf_event_attr *attr)
{
	if (*ps->p != ':')
		return 0;
	struct mods m;
	int err = parse_mods(ps, &m);
	if (!err)
		apply_mods(attr, &m);
	return err;
}

/* After an item of a list that `close` ends: steps over a ',' and returns 1 (another item
 * follows), 0 at `close` (left for the caller), -1 at anything else. */
static int next_item(struct parser *ps, char close)
{
	if (*ps->p == ',') {
		ps->p++;
		return 1;
	}
	return *ps->p == close ? 0 : -1;
}

/* One TERM[=VALUE] of pmu/.../, VALUE 1 when left out. */
static int parse_term(struct parser *ps, const char *pmu, struct perf_event_attr *attr)
{
	const char *tstart = ps->p, *tend = scan_name(ps->p);
	if (tend == tstart)
		return fail(ps, tstart, "expected a term name, found %s", describe(*tstart));
	ps->p = tend;
	__u64 value = 1;
	bool has_value = false;
	if (*ps->p == '=') {
		char *end;
		const char *vstart = ++ps->p;
		errno = 0;
		value = strtoull(vstart, &end, 0);
		if (end == vstart || errno || *vstart == '-')
			return fail(ps, vstart, "expected a number after '%.*s='",
				    (int)(tend - tstart), tstart);
		ps->p = end;
		has_value = true;
	}
	return apply_term(ps, pmu, tstart, (size_t)(tend - tstart), value, has_value, tstart, attr,
			  0);
}

/* pmu/term[=value],.../ — p at the opening slash. */
static int parse_pmu(struct parser *ps, const char *start, const char *name_end)
{
	char pmu[128];
	if ((size_t)(name_end - start) >= sizeof(pmu))
		return fail(ps, start, "PMU name too long");
	snprintf(pmu, sizeof(pmu), "%.*s", (int)(name_end - start), start);
	__u32 type;
	if (ev_pmu_type(ps->env.pmu_dir, pmu, &type))
		return fail(ps, start,
			    "no PMU named '%s' on this machine; 'kiln list pmu' shows them", pmu);
	struct ev_spec *e = new_spec(ps);
	if (!e)
		return -ENOMEM;
	e->kind = EV_PMU;
	e->attr.type = type;
	ps->p = name_end + 1;
	if (*ps->p == '/')
		return fail(ps, ps->p, "empty term list: write %s/event=0x../ or %s/ALIAS/", pmu,
			    pmu);
	int more;
	do {
		int err = parse_term(ps, pmu, &e->attr);
		if (err)
			return err;
	} while ((more = next_item(ps, '/')) > 0);
	if (more < 0 && !*ps->p)
		return fail(ps, ps->p, "missing the closing '/' of %s/.../", pmu);
	if (more < 0)
		return fail(ps, ps->p, "expected ',' or '/' in the terms of %s, found %s", pmu,
			    describe(*ps->p));
	ps->p++;
	int err = take_mods(ps, &e->attr);
	if (err)
		return err;
	return push_spec(ps, e, start, (size_t)(ps->p - start));
}

static int parse_event(struct parser *ps)
{
	const char *start = ps->p, *end = scan_name(ps->p);
	if (end == start) {
		if (*start == '{' && ps->in_group)
			return fail(ps, start, "groups cannot be nested");
		return fail(ps, start, "expected an event name, found %s", describe(*start));
	}
	if (*end == '/')
		return parse_pmu(ps, start, end);
	struct ev_spec probe;
	memset(&probe, 0, sizeof(probe));
	bool known = symbolic_lookup(start, (size_t)(end - start), &probe);
	if (!known && *end == ':')
		return parse_tracepoint(ps, start, end);
	if (!known)
		return fail(ps, start, "unknown event '%.*s'; 'kiln list' shows the events",
			    (int)(end - start), start);
	ps->p = end;
	int err = take_mods(ps, &probe.attr);
	if (err)
		return err;
	struct ev_spec *e = new_spec(ps);
	if (!e)
		return -ENOMEM;
	e->kind = probe.kind;
	e->attr = probe.attr;
	return push_spec(ps, e, start, (size_t)(ps->p - start));
}

/* Appends ":mods" text to the names of entries [from, n). */
static int suffix_names(struct ev_list *l, size_t from, const char *mods, size_t len)
{
	for (size_t i = from; i < l->n; i++) {
		size_t nl = strlen(l->v[i].name);
		bool has = strchr(l->v[i].name, ':') && l->v[i].kind != EV_TRACEPOINT;
		char *n = malloc(nl + len + 2);
		if (!n)
			return -ENOMEM;
		/* A member with its own modifiers gets the group's letters after its own. */
		snprintf(n, nl + len + 2, "%s%s%.*s", l->v[i].name, has ? "" : ":", (int)len, mods);
		free(l->v[i].name);
		l->v[i].name = n;
	}
	return 0;
}

static int parse_group(struct parser *ps)
{
	const char *open = ps->p++;
	size_t first = ps->out->n;
	ps->in_group = true;
	int more;
	do {
		int err = parse_event(ps);
		if (err)
			return err;
	} while ((more = next_item(ps, '}')) > 0);
	if (more < 0 && !*ps->p)
		return fail(ps, ps->p, "missing '}' for the group opened at column %zu",
			    (size_t)(open - ps->s) + 1);
	if (more < 0)
		return fail(ps, ps->p, "expected ',' or '}' in the group, found %s",
			    describe(*ps->p));
	ps->in_group = false;
	ps->p++;
	if (*ps->p == ':') {
		const char *mstart = ps->p + 1;
		struct mods m;
		int err = parse_mods(ps, &m);
		if (err)
			return err;
		for (size_t i = first; i < ps->out->n; i++)
			apply_mods(&ps->out->v[i].attr, &m);
		err = suffix_names(ps->out, first, mstart, (size_t)(ps->p - mstart));
		if (err)
			return err;
	}
	for (size_t i = first; i < ps->out->n; i++)
		ps->out->v[i].leader = (int)first;
	ps->out->v[first].group_size = (int)(ps->out->n - first);
	return 0;
}

static void truncate_list(struct ev_list *l, size_t n)
{
	while (l->n > n)
		free(l->v[--l->n].name);
}

int ev_parse(const char *str, const struct ev_env *env, struct ev_list *out, struct ev_error *err)
{
	struct parser ps = {.s = str, .p = str, .out = out, .err = err};
	if (env)
		ps.env = *env;
	if (!ps.env.pmu_dir)
		ps.env.pmu_dir = ev_default_pmu_dir();
	size_t n0 = out->n;
	int rc = 0;
	err->column = 0;
	err->msg[0] = '\0';
	if (!*str) {
		rc = fail(&ps, str, "empty event list");
		goto out;
	}
	for (;;) {
		rc = *ps.p == '{' ? parse_group(&ps) : parse_event(&ps);
		if (rc)
			goto out;
		if (*ps.p == ',' && ps.p[1]) {
			ps.p++;
			continue;
		}
		if (!*ps.p)
			break;
		if (*ps.p == ',')
			rc = fail(&ps, ps.p, "trailing ','");
		else if (*ps.p == '}')
			rc = fail(&ps, ps.p, "'}' without a group opened by '{'");
		else
			rc = fail(&ps, ps.p, "expected ',' between events, found %s",
				  describe(*ps.p));
		goto out;
	}
out:
	if (rc)
		truncate_list(out, n0);
	return rc;
}

int ev_user_only(struct ev_spec *e)
{
	size_t len = strlen(e->name);
	bool has_mods = strchr(e->name, ':') && e->kind != EV_TRACEPOINT;
	char *n = malloc(len + 3);
	if (!n)
		return -ENOMEM;
	snprintf(n, len + 3, "%s%su", e->name, has_mods ? "" : ":");
	free(e->name);
	e->name = n;
	e->attr.exclude_kernel = 1;
	e->attr.exclude_hv = 1;
	return 0;
}

int ev_add(struct ev_list *l, const char *name, const struct ev_env *env)
{
	struct ev_error err;
	return ev_parse(name, env, l, &err);
}

void ev_list_free(struct ev_list *l)
{
	truncate_list(l, 0);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
