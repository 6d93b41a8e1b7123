#include "trace/probe_spec.h"

#include <ctype.h>
#include <errno.h>
#include <event-parse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <tracefs.h>
#include <unistd.h>

#include "trace/sysnames.h"
#include "util/log.h"

static char *dup_range(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

/* Splits "a:b:c" into at most max parts (the last keeps any further colons). */
static int split_colon(const char *s, char **parts, int max)
{
	int n = 0;
	while (n < max - 1) {
		const char *c = strchr(s, ':');
		if (!c)
			break;
		parts[n++] = dup_range(s, c - s);
		s = c + 1;
	}
	parts[n++] = strdup(s);
	return n;
}

static void free_parts(char **parts, int n)
{
	for (int i = 0; i < n; i++)
		free(parts[i]);
}

static int parse_binary_probe(struct pr_spec *e, const char *text, const char *rest)
{
	char *p[3] = {NULL, NULL, NULL};
	int want = e->kind == PR_USDT ? 3 : 2;
	/* the path may not contain ':'; the function or probe comes after the last one */
	int n = split_colon(rest, p, want);
	if (n != want || !*p[0] || !*p[n - 1] || (want == 3 && !*p[1])) {
		kiln_error("-e %s: expected %s", text,
			   e->kind == PR_USDT ? "usdt:/path/to/binary:provider:probe"
					      : "u:/path/to/binary:function (ur: for returns)");
		free_parts(p, n);
		return -EINVAL;
	}
	if (access(p[0], R_OK)) {
		kiln_error("-e %s: cannot read %s: %s", text, p[0], strerror(errno));
		free_parts(p, n);
		return -ENOENT;
	}
	e->path = p[0];
	if (e->kind == PR_USDT) {
		e->provider = p[1];
		e->probe = p[2];
	} else {
		e->func = p[1];
	}
	return 0;
}

int pr_spec_add(struct pr_specs *s, const char *text, enum pr_lat_role role)
{
	if (s->n == PR_MAX_EVENTS) {
		kiln_error("-e %s: at most %d events at once", text, PR_MAX_EVENTS);
		return -E2BIG;
	}
	struct pr_spec *e = &s->ev[s->n];
	memset(e, 0, sizeof(*e));
	int err = 0;
	if (!strncmp(text, "u:", 2) || !strncmp(text, "uprobe:", 7)) {
		e->kind = PR_UPROBE;
		err = parse_binary_probe(e, text, strchr(text, ':') + 1);
	} else if (!strncmp(text, "ur:", 3) || !strncmp(text, "uretprobe:", 10)) {
		e->kind = PR_URETPROBE;
		err = parse_binary_probe(e, text, strchr(text, ':') + 1);
	} else if (!strncmp(text, "usdt:", 5)) {
		e->kind = PR_USDT;
		err = parse_binary_probe(e, text, text + 5);
	} else {
		const char *t = text;
		if (!strncmp(t, "t:", 2) || !strncmp(t, "tracepoint:", 11))
			t = strchr(t, ':') + 1;
		const char *c = strchr(t, ':');
		if (!c || c == t || !c[1] || strchr(c + 1, ':')) {
			kiln_error("-e %s: expected SUBSYSTEM:EVENT like sched:sched_process_exec, "
				   "u:BINARY:FUNCTION or usdt:BINARY:PROVIDER:PROBE",
				   text);
			return -EINVAL;
		}
		e->kind = PR_TRACEPOINT;
		e->sys = dup_range(t, c - t);
		e->name = strdup(c + 1);
	}
	if (err)
		return err;
	e->label = strdup(text);
	e->cfg.kind = e->kind;
	e->cfg.lat_role = role;
	s->n++;
	return 0;
}

static const char *closest(char **names, const char *want)
{
	const char *best = NULL;
	size_t bestd = (size_t)-1;
	for (int i = 0; names && names[i]; i++) {
		size_t d = trace_edit_distance(want, names[i]);
		if (d < bestd) {
			bestd = d;
			best = names[i];
		}
	}
	return best;
}

static int unknown_event(const struct pr_spec *e)
{
	char **systems = tracefs_event_systems(NULL);
	bool sys_ok = false;
	for (int i = 0; systems && systems[i]; i++)
		if (!strcmp(systems[i], e->sys))
			sys_ok = true;
	if (!systems) {
		kiln_error("-e %s: cannot read tracefs events (is tracefs mounted at "
			   "/sys/kernel/tracing?)",
			   e->label);
	} else if (!sys_ok) {
		const char *c = closest(systems, e->sys);
		kiln_error("-e %s: no tracepoint subsystem '%s'; did you mean '%s'? (ls "
			   "/sys/kernel/tracing/events lists them)",
			   e->label, e->sys, c ? c : "?");
	} else {
		char **events = tracefs_system_events(NULL, e->sys);
		const char *c = closest(events, e->name);
		kiln_error("-e %s: no event '%s' in '%s'; did you mean '%s:%s'?", e->label, e->name,
			   e->sys, e->sys, c ? c : "?");
		tracefs_list_free(events);
	}
	tracefs_list_free(systems);
	return -ENOENT;
}

/* The bytes of a record to copy: up to where the format's last field ends, or PR_RAW_MAX when a
 * field's data (a __data_loc string) follows the fixed part, at a length only the record
 * knows. Syscall tracepoints, whose records lie on the kernel stack, have no such field. */
static uint32_t record_size(const struct tep_event *ev)
{
	uint32_t end = 0;
	const struct tep_format_field *lists[] = {ev->format.common_fields, ev->format.fields};
	for (int l = 0; l < 2; l++)
		for (const struct tep_format_field *f = lists[l]; f; f = f->next) {
			if (f->flags & TEP_FIELD_IS_DYNAMIC)
				return PR_RAW_MAX;
			if ((uint32_t)(f->offset + f->size) > end)
				end = (uint32_t)(f->offset + f->size);
		}
	return end ? end : PR_RAW_MAX;
}

int pr_spec_resolve(struct pr_specs *s)
{
	bool any = false;
	for (int i = 0; i < s->n; i++)
		any = any || s->ev[i].kind == PR_TRACEPOINT;
	if (!any)
		return 0;
	/* (tracefs_tracing_dir_is_mounted would do, but leaks a string on every call) */
	if (access("/sys/kernel/tracing/events", F_OK) &&
	    mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
		kiln_error("tracefs is not mounted and could not be: mount -t tracefs nodev "
			   "/sys/kernel/tracing");
		return -ENOENT;
	}
	/* Only the named events' format files: a whole subsystem (syscalls has ~700) costs far
	 * more to parse than the trace takes to start. */
	s->tep = tep_alloc();
	if (!s->tep)
		return -ENOMEM;
	for (int i = 0; i < s->n; i++) {
		struct pr_spec *e = &s->ev[i];
		if (e->kind != PR_TRACEPOINT)
			continue;
		e->tep_event = tep_find_event_by_name(s->tep, e->sys, e->name);
		if (e->tep_event)
			continue;
		int size = 0;
		char *fmt = tracefs_event_file_read(NULL, e->sys, e->name, "format", &size);
		if (fmt && size > 0)
			tep_parse_event(s->tep, fmt, size, e->sys);
		free(fmt);
		e->tep_event = tep_find_event_by_name(s->tep, e->sys, e->name);
		if (!e->tep_event)
			return unknown_event(e);
	}
	for (int i = 0; i < s->n; i++)
		if (s->ev[i].kind == PR_TRACEPOINT)
			s->ev[i].cfg.raw_size = record_size(s->ev[i].tep_event);
	return 0;
}

/* Resolves NAME for event e: a tracepoint field, argN/retval, or a builtin. */
static int resolve_value(const struct pr_spec *e, const char *name, bool builtins_first,
			 struct pr_value *v, bool *is_str, bool *is_stack)
{
	static const struct {
		const char *name;
		int src;
	} builtins[] = {{"pid", PR_SRC_PID},	    {"tid", PR_SRC_TID},
			{"cpu", PR_SRC_CPU},	    {"comm", PR_SRC_COMM},
			{"ustack", PR_SRC_USTACK},  {"kstack", PR_SRC_KSTACK},
			{"latency", PR_SRC_LATENCY}};
	memset(v, 0, sizeof(*v));
	*is_str = false;
	if (is_stack)
		*is_stack = false;
	if (!strncmp(name, "args.", 5))
		name += 5, builtins_first = false;
	else if (!strncmp(name, "args->", 6))
		name += 6, builtins_first = false;
	for (int pass = 0; pass < 2; pass++) {
		bool try_builtins = (pass == 0) == builtins_first;
		if (try_builtins) {
			for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
				if (!strcmp(name, builtins[i].name)) {
					v->src = builtins[i].src;
					*is_str = v->src == PR_SRC_COMM;
					if (is_stack)
						*is_stack = v->src == PR_SRC_USTACK ||
							    v->src == PR_SRC_KSTACK;
					return 0;
				}
			continue;
		}
		if (e->kind == PR_TRACEPOINT) {
			struct tep_format_field *f = tep_find_field(e->tep_event, name);
			if (!f)
				continue;
			v->offset = f->offset;
			v->size = f->size;
			v->is_signed = !!(f->flags & TEP_FIELD_IS_SIGNED);
			if (f->flags & TEP_FIELD_IS_DYNAMIC) {
				v->src = PR_SRC_DATALOC;
				*is_str = true;
			} else if ((f->flags & TEP_FIELD_IS_STRING) ||
				   (f->flags & TEP_FIELD_IS_ARRAY)) {
				v->src = PR_SRC_STRFIELD;
				*is_str = true;
			} else if (f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8) {
				v->src = PR_SRC_FIELD;
			} else {
				continue;
			}
			return 0;
		}
		int n = -1;
		if (!strcmp(name, "retval") && e->kind == PR_URETPROBE) {
			v->src = PR_SRC_RETVAL;
			return 0;
		}
		if (sscanf(name, "arg%d", &n) == 1 && n >= 0 && n < PR_NVALS &&
		    e->kind != PR_URETPROBE) {
			char check[8];
			snprintf(check, sizeof(check), "arg%d", n);
			if (!strcmp(check, name)) {
				v->src = PR_SRC_ARG;
				v->arg = n;
				v->is_signed = 1;
				return 0;
			}
		}
	}
	return -ENOENT;
}

static void list_fields(const struct pr_spec *e, char *buf, size_t len)
{
	buf[0] = 0;
	if (e->kind == PR_TRACEPOINT) {
		size_t used = 0;
		for (struct tep_format_field *f = e->tep_event->format.fields; f && used < len;
		     f = f->next)
			used += snprintf(buf + used, len - used, "%s%s", used ? ", " : "", f->name);
	} else if (e->kind == PR_URETPROBE) {
		snprintf(buf, len, "retval");
	} else {
		snprintf(buf, len, "arg0..arg5");
	}
}

static int unknown_name(const struct pr_spec *e, const char *what, const char *name)
{
	char fields[512];
	list_fields(e, fields, sizeof(fields));
	kiln_error("%s: %s has no field '%s'; it has %s (and pid, tid, comm, cpu)", what, e->label,
		   name, fields);
	return -ENOENT;
}

/* ---- --filter ---- */

struct lexer {
	const char *text, *p;
};

static void skip_ws(struct lexer *lx)
{
	while (isspace((unsigned char)*lx->p))
		lx->p++;
}

static int filter_error(const struct lexer *lx, const char *what)
{
	int col = (int)(lx->p - lx->text) + 1;
	kiln_error("--filter '%s': %s at column %d: '%.10s'", lx->text, what, col,
		   *lx->p ? lx->p : "(end)");
	return -EINVAL;
}

static int parse_op(struct lexer *lx, __u8 *op)
{
	static const struct {
		const char *s;
		int op;
	} ops[] = {{"==", PR_OP_EQ}, {"!=", PR_OP_NE}, {"<=", PR_OP_LE}, {">=", PR_OP_GE},
		   {"<", PR_OP_LT},  {">", PR_OP_GT},  {"&", PR_OP_AND}, {"=", PR_OP_EQ}};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].s);
		if (!strncmp(lx->p, ops[i].s, n) &&
		    !(n == 1 && lx->p[0] == '&' && lx->p[1] == '&')) {
			/* "==" followed by another operator character is malformed */
			if (strchr("=<>!&", lx->p[n]) && lx->p[n])
				return -1;
			*op = ops[i].op;
			lx->p += n;
			return 0;
		}
	}
	return -1;
}

int pr_spec_filter(struct pr_specs *s, const char *filter)
{
	for (int i = 0; i < s->n; i++) {
		struct pr_spec *e = &s->ev[i];
		struct lexer lx = {filter, filter};
		int nt = 0;
		bool or_next = false;
		for (;;) {
			skip_ws(&lx);
			const char *start = lx.p;
			while (isalnum((unsigned char)*lx.p) || *lx.p == '_' || *lx.p == '.' ||
			       (*lx.p == '-' && lx.p[1] == '>') ||
			       (lx.p > start && lx.p[-1] == '-'))
				lx.p++;
			if (lx.p == start)
				return filter_error(&lx, "expected a field name");
			char *name = dup_range(start, lx.p - start);
			if (nt == PR_MAX_TERMS) {
				free(name);
				return filter_error(&lx, "too many comparisons (8 at most)");
			}
			struct pr_term *t = &e->cfg.terms[nt];
			memset(t, 0, sizeof(*t));
			bool is_str;
			if (resolve_value(e, name, false, &t->v, &is_str, NULL)) {
				const char *save = lx.p;
				lx.p = start;
				int err = unknown_name(e, "--filter", name);
				lx.p = save;
				free(name);
				return err;
			}
			free(name);
			skip_ws(&lx);
			if (parse_op(&lx, &t->op))
				return filter_error(&lx,
						    "expected an operator (== != < <= > >= &)");
			skip_ws(&lx);
			t->is_str = is_str;
			if (is_str) {
				if (t->op != PR_OP_EQ && t->op != PR_OP_NE)
					return filter_error(&lx,
							    "strings compare only with == or !=");
				char quote = (*lx.p == '"' || *lx.p == '\'') ? *lx.p++ : 0;
				const char *vs = lx.p;
				while (*lx.p && (quote ? *lx.p != quote
						       : !isspace((unsigned char)*lx.p) &&
							     *lx.p != '&' && *lx.p != '|'))
					lx.p++;
				if (quote && *lx.p != quote)
					return filter_error(&lx, "unterminated string");
				size_t n = lx.p - vs;
				if (n >= PR_STR_MAX)
					return filter_error(&lx, "string longer than 31 bytes");
				memcpy(t->str, vs, n);
				if (quote)
					lx.p++;
			} else {
				char *end;
				errno = 0;
				long long v = strtoll(lx.p, &end, 0);
				if (end == lx.p || errno)
					return filter_error(&lx, "expected a number");
				lx.p = end;
				t->num = v;
			}
			t->or_before = or_next;
			nt++;
			skip_ws(&lx);
			if (!*lx.p)
				break;
			if (!strncmp(lx.p, "&&", 2)) {
				or_next = false;
			} else if (!strncmp(lx.p, "||", 2)) {
				or_next = true;
			} else {
				return filter_error(&lx, "expected && or ||");
			}
			lx.p += 2;
		}
		e->cfg.nterms = nt;
	}
	return 0;
}

int pr_spec_keys(struct pr_specs *s, const char *keys)
{
	for (int i = 0; i < s->n; i++) {
		struct pr_spec *e = &s->ev[i];
		char *copy = strdup(keys);
		if (!copy)
			return -ENOMEM;
		int nk = 0, err = 0;
		for (char *save, *tok = strtok_r(copy, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			if (nk == PR_MAX_KEYS) {
				kiln_error("--count-by %s: at most %d keys", keys, PR_MAX_KEYS);
				err = -E2BIG;
				break;
			}
			if (resolve_value(e, tok, true, &e->cfg.keys[nk], &e->str_key[nk],
					  &e->stack_key[nk])) {
				err = unknown_name(e, "--count-by", tok);
				break;
			}
			nk++;
		}
		free(copy);
		if (err)
			return err;
		e->cfg.nkeys = nk;
	}
	return 0;
}

int pr_spec_expr(struct pr_specs *s, const char *expr, const char *what)
{
	for (int i = 0; i < s->n; i++) {
		struct pr_spec *e = &s->ev[i];
		if (e->cfg.lat_role == PR_LAT_START)
			continue;
		bool is_str;
		if (resolve_value(e, expr, false, &e->cfg.agg, &is_str, NULL))
			return unknown_name(e, what, expr);
		if (is_str || e->cfg.agg.src == PR_SRC_USTACK || e->cfg.agg.src == PR_SRC_KSTACK) {
			kiln_error("%s %s: needs a number, and %s is not one", what, expr, expr);
			return -EINVAL;
		}
	}
	return 0;
}

void pr_specs_free(struct pr_specs *s)
{
	for (int i = 0; i < s->n; i++) {
		struct pr_spec *e = &s->ev[i];
		free(e->label);
		free(e->sys);
		free(e->name);
		free(e->path);
		free(e->func);
		free(e->provider);
		free(e->probe);
	}
	if (s->tep)
		tep_free(s->tep);
	s->n = 0;
}
