/* kiln trace for tracepoints, uprobes and USDT probes: stream events decoded through their
 * tracefs formats, or print what the kernel aggregated in bpftrace's layouts. */
#include <errno.h>
#include <event-parse.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trace/decode.h"
#include "trace/hist.h"
#include "trace/options.h"
#include "trace/probe_spec.h"
#include "trace/probes_loader.h"
#include "util/log.h"

struct prun {
	struct trace_opts *o;
	struct pr_specs *specs;
	struct pr_tracer *t;
	enum pr_agg agg;
	int agg_kind;	/* TRACE_AGG_* for PR_AGG_STATS */
	bool label_key; /* the event is the first key (several events, or -c) */
	int64_t lh_min, lh_max, lh_step;
	int64_t mono_to_real_ns;
	uint64_t lost_seen, events;
	struct sc_text line;
	/* collected aggregation entries */
	struct agg_entry {
		struct pr_agg_key key;
		struct pr_agg_val val;
	} * ents;
	size_t nents, cap;
};

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void put_time(struct prun *r, uint64_t ts)
{
	struct sc_text *l = &r->line;
	if (!r->o->tstamps) {
		sc_text_printf(l, "%" PRIu64 ".%06" PRIu64, ts / 1000000000,
			       ts % 1000000000 / 1000);
		return;
	}
	int64_t real = (int64_t)ts + r->mono_to_real_ns;
	time_t sec = real / 1000000000;
	struct tm tm;
	localtime_r(&sec, &tm);
	sc_text_printf(l, "%02d:%02d:%02d.%06ld", tm.tm_hour, tm.tm_min, tm.tm_sec,
		       (long)(real % 1000000000 / 1000));
}

static void put_values(struct prun *r, const struct pr_spec *e, const struct pr_event *ev)
{
	struct sc_text *l = &r->line;
	if (e->kind == PR_URETPROBE) {
		sc_text_printf(l, "retval=%lld", (long long)ev->vals[0]);
		return;
	}
	for (unsigned i = 0; i < ev->nvals && i < PR_NVALS; i++)
		sc_text_printf(l, "%sarg%u=%lld", i ? " " : "", i, (long long)ev->vals[i]);
}

/* A tracepoint's fields as the tracefs format file lays them out: name=value text, or JSON. */
static void put_tp_fields(struct prun *r, const struct pr_spec *e, const struct pr_event *ev,
			  bool json)
{
	struct sc_text *l = &r->line;
	bool first = true;
	for (struct tep_format_field *f = e->tep_event->format.fields; f; f = f->next) {
		if (f->offset + f->size > (int)ev->raw_len)
			continue;
		if (json)
			sc_text_printf(l, "%s\"%s\":", first ? "" : ",", f->name);
		else
			sc_text_printf(l, "%s%s=", first ? "" : " ", f->name);
		first = false;
		if (f->flags & TEP_FIELD_IS_DYNAMIC) {
			unsigned loc = 0;
			memcpy(&loc, ev->raw + f->offset, 4);
			unsigned off = loc & 0xffff, len = loc >> 16;
			if (off + len > ev->raw_len)
				len = off < ev->raw_len ? ev->raw_len - off : 0;
			const char *s = (const char *)ev->raw + off;
			if (json)
				sc_text_json(l, s, strnlen(s, len));
			else
				sc_text_printf(l, "%.*s", (int)strnlen(s, len), s);
		} else if ((f->flags & TEP_FIELD_IS_STRING) ||
			   ((f->flags & TEP_FIELD_IS_ARRAY) && f->elementsize == 1)) {
			const char *s = (const char *)ev->raw + f->offset;
			if (json)
				sc_text_json(l, s, strnlen(s, f->size));
			else
				sc_text_printf(l, "%.*s", (int)strnlen(s, f->size), s);
		} else if (f->flags & TEP_FIELD_IS_ARRAY) {
			sc_text_puts(l, json ? "null" : "[...]");
		} else {
			unsigned long long v = 0;
			tep_read_number_field(f, ev->raw, &v);
			if (f->flags & TEP_FIELD_IS_SIGNED) {
				long long sv = f->size == 1   ? (signed char)v
					       : f->size == 2 ? (short)v
					       : f->size == 4 ? (int)v
							      : (long long)v;
				sc_text_printf(l, "%lld", sv);
			} else if (!json && (f->flags & TEP_FIELD_IS_POINTER)) {
				sc_text_printf(l, "%#llx", v);
			} else {
				sc_text_printf(l, "%llu", v);
			}
		}
	}
}

static void put_values_json(struct sc_text *l, const struct pr_spec *e, const struct pr_event *ev)
{
	if (e->kind == PR_URETPROBE) {
		sc_text_printf(l, "\"retval\":%lld", (long long)ev->vals[0]);
		return;
	}
	for (unsigned i = 0; i < ev->nvals && i < PR_NVALS; i++)
		sc_text_printf(l, "%s\"arg%u\":%lld", i ? "," : "", i, (long long)ev->vals[i]);
}

static void put_json_fields(struct prun *r, const struct pr_spec *e, const struct pr_event *ev)
{
	struct sc_text *l = &r->line;
	sc_text_puts(l, ",\"fields\":{");
	if (e->kind == PR_TRACEPOINT) {
		put_tp_fields(r, e, ev, true);
	} else {
		put_values_json(l, e, ev);
	}
	sc_text_putc(l, '}');
}

static int on_event(void *ctx, const struct pr_event *ev, size_t size)
{
	struct prun *r = ctx;
	(void)size;
	if (ev->event >= (unsigned)r->specs->n)
		return 0;
	const struct pr_spec *e = &r->specs->ev[ev->event];
	struct sc_text *l = &r->line;
	if (ev->lost > r->lost_seen) {
		unsigned long long n = ev->lost - r->lost_seen;
		if (r->o->json)
			fprintf(r->o->out, "{\"lost\":%llu}\n", n);
		else
			fprintf(r->o->out, "--- %llu events lost (ring buffer full) ---\n", n);
		r->lost_seen = ev->lost;
	}
	sc_text_reset(l);
	if (r->o->chrome) { /* single events are instants on their thread's track */
		trace_chrome_begin(r->o);
		sc_text_puts(l, "{\"name\":");
		sc_text_json(l, e->label, strlen(e->label));
		sc_text_printf(
		    l, ",\"ph\":\"i\",\"s\":\"t\",\"ts\":%.3f,\"pid\":%u,\"tid\":%u,\"args\":{",
		    ev->ts / 1e3, ev->pid, ev->tid);
		if (e->kind == PR_TRACEPOINT)
			put_tp_fields(r, e, ev, true);
		else
			put_values_json(l, e, ev);
		sc_text_puts(l, "}}");
		fwrite(l->buf, 1, l->len, r->o->out);
		r->events++;
		return 0;
	}
	if (r->o->json) {
		sc_text_printf(l, "{\"ts\":%.6f,\"pid\":%u,\"tid\":%u,\"cpu\":%u,\"comm\":",
			       (ev->ts + r->mono_to_real_ns) / 1e9, ev->pid, ev->tid, ev->cpu);
		sc_text_json(l, ev->comm, strnlen(ev->comm, sizeof(ev->comm)));
		sc_text_puts(l, ",\"event\":");
		sc_text_json(l, e->label, strlen(e->label));
		put_json_fields(r, e, ev);
		sc_text_putc(l, '}');
	} else {
		sc_text_printf(l, "%16.16s %6u/%-6u [%03u] ", ev->comm, ev->pid, ev->tid, ev->cpu);
		put_time(r, ev->ts);
		sc_text_printf(l, ": %s: ", e->label);
		if (e->kind == PR_TRACEPOINT)
			put_tp_fields(r, e, ev, false);
		else
			put_values(r, e, ev);
	}
	sc_text_putc(l, '\n');
	fwrite(l->buf, 1, l->len, r->o->out);
	r->events++;
	return 0;
}

/* ---- aggregations ---- */

static int collect(void *ctx, const struct pr_agg_key *key, const struct pr_agg_val *val)
{
	struct prun *r = ctx;
	if (r->nents == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 256;
		struct agg_entry *n = realloc(r->ents, ncap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		r->ents = n;
		r->cap = ncap;
	}
	r->ents[r->nents].key = *key;
	r->ents[r->nents].val = *val;
	r->nents++;
	return 0;
}

static void put_stack(struct prun *r, struct sc_text *l, int64_t id, bool kernel)
{
	uint64_t ips[127];
	if (id < 0 || pr_tracer_stack(r->t, (uint32_t)id, ips)) {
		sc_text_puts(l, "\n        [lost stack]\n");
		return;
	}
	sc_text_putc(l, '\n');
	for (int i = 0; i < 127 && ips[i]; i++) {
		const char *sym = kernel ? trace_ksym(ips[i]) : NULL;
		if (sym)
			sc_text_printf(l, "        %s\n", sym);
		else
			sc_text_printf(l, "        0x%" PRIx64 "\n", ips[i]);
	}
}

static void put_key(struct prun *r, struct sc_text *l, const struct pr_agg_key *k)
{
	const struct pr_spec *e = &r->specs->ev[k->event < (unsigned)r->specs->n ? k->event : 0];
	int nk = e->cfg.nkeys;
	sc_text_putc(l, '@');
	if (!nk && !r->label_key)
		return;
	sc_text_putc(l, '[');
	bool first = true;
	if (r->label_key) {
		sc_text_puts(l, e->label);
		first = false;
	}
	for (int i = 0; i < nk; i++) {
		if (!first)
			sc_text_puts(l, ", ");
		first = false;
		if (e->str_key[i])
			sc_text_printf(l, "%.*s", PR_STR_MAX, k->s[i]);
		else if (e->stack_key[i])
			put_stack(r, l, (int64_t)k->k[i], e->cfg.keys[i].src == PR_SRC_KSTACK);
		else
			sc_text_printf(l, "%lld", (long long)k->k[i]);
	}
	sc_text_putc(l, ']');
}

static int64_t scalar_of(const struct prun *r, const struct pr_agg_val *v)
{
	if (r->agg == PR_AGG_COUNT)
		return (int64_t)v->count;
	switch (r->agg_kind) {
	case TRACE_AGG_SUM:
		return v->sum;
	case TRACE_AGG_MIN:
		return v->min;
	case TRACE_AGG_MAX:
		return v->max;
	case TRACE_AGG_AVG:
		return v->count ? v->sum / (int64_t)v->count : 0;
	}
	return (int64_t)v->count;
}

static const struct prun *sort_run;

static int by_scalar(const void *a, const void *b)
{
	int64_t x = scalar_of(sort_run, &((const struct agg_entry *)a)->val);
	int64_t y = scalar_of(sort_run, &((const struct agg_entry *)b)->val);
	return x < y ? -1 : x > y;
}

/* Same group: everything but the histogram slot. */
static int by_group(const void *a, const void *b)
{
	struct pr_agg_key x = ((const struct agg_entry *)a)->key;
	struct pr_agg_key y = ((const struct agg_entry *)b)->key;
	x.slot = y.slot = 0;
	int c = memcmp(&x, &y, sizeof(x));
	if (c)
		return c;
	return ((const struct agg_entry *)a)->key.slot - ((const struct agg_entry *)b)->key.slot;
}

static bool same_group(const struct pr_agg_key *a, const struct pr_agg_key *b)
{
	struct pr_agg_key x = *a, y = *b;
	x.slot = y.slot = 0;
	return !memcmp(&x, &y, sizeof(x));
}

static void print_aggs(struct prun *r)
{
	FILE *f = r->o->out;
	struct sc_text *l = &r->line;
	if (r->agg == PR_AGG_HIST || r->agg == PR_AGG_LHIST) {
		qsort(r->ents, r->nents, sizeof(*r->ents), by_group);
		int nslots = r->agg == PR_AGG_HIST
				 ? PR_HIST_SLOTS
				 : (int)((r->lh_max - r->lh_min) / r->lh_step) + 2;
		uint64_t *slots = calloc(nslots, sizeof(*slots));
		if (!slots)
			return;
		/* groups in bpftrace's order: smallest total first */
		struct group {
			size_t from, to;
			uint64_t total;
		} *groups = calloc(r->nents, sizeof(*groups));
		size_t ng = 0;
		for (size_t i = 0; groups && i < r->nents; ng++) {
			size_t j = i;
			uint64_t total = 0;
			for (; j < r->nents && same_group(&r->ents[i].key, &r->ents[j].key); j++)
				total += r->ents[j].val.count;
			groups[ng] = (struct group){i, j, total};
			i = j;
		}
		for (size_t a = 1; a < ng; a++) /* stable insertion sort: few groups */
			for (size_t b = a; b > 0 && groups[b - 1].total > groups[b].total; b--) {
				struct group tmp = groups[b];
				groups[b] = groups[b - 1];
				groups[b - 1] = tmp;
			}
		for (size_t g = 0; g < ng; g++) {
			memset(slots, 0, nslots * sizeof(*slots));
			for (size_t j = groups[g].from; j < groups[g].to; j++)
				if (r->ents[j].key.slot >= 0 && r->ents[j].key.slot < nslots)
					slots[r->ents[j].key.slot] += r->ents[j].val.count;
			sc_text_reset(l);
			put_key(r, l, &r->ents[groups[g].from].key);
			fprintf(f, "%s:\n", l->buf);
			if (r->agg == PR_AGG_HIST)
				hist_print(f, slots, nslots);
			else
				lhist_print(f, slots, nslots, r->lh_min, r->lh_max, r->lh_step);
			fputc('\n', f);
		}
		free(groups);
		free(slots);
		return;
	}
	sort_run = r;
	qsort(r->ents, r->nents, sizeof(*r->ents), by_scalar);
	for (size_t i = 0; i < r->nents; i++) {
		sc_text_reset(l);
		put_key(r, l, &r->ents[i].key);
		fprintf(f, "%s: %lld\n", l->buf, (long long)scalar_of(r, &r->ents[i].val));
	}
}

static int dump_aggs(struct prun *r)
{
	r->nents = 0;
	int err = pr_tracer_aggs(r->t, collect, r);
	if (err)
		return err;
	print_aggs(r);
	fflush(r->o->out);
	return 0;
}

/* ---- set-up ---- */

static int parse_lhist(struct prun *r, const char *spec, char **expr)
{
	char *copy = strdup(spec);
	if (!copy)
		return -ENOMEM;
	char *parts[4];
	int n = 0;
	for (char *save, *tok = strtok_r(copy, ",", &save); tok && n < 4;
	     tok = strtok_r(NULL, ",", &save))
		parts[n++] = tok;
	char *end1 = NULL, *end2 = NULL, *end3 = NULL;
	if (n == 4) {
		r->lh_min = strtoll(parts[1], &end1, 0);
		r->lh_max = strtoll(parts[2], &end2, 0);
		r->lh_step = strtoll(parts[3], &end3, 0);
	}
	if (n != 4 || *end1 || *end2 || *end3 || r->lh_step <= 0 || r->lh_max <= r->lh_min ||
	    (r->lh_max - r->lh_min) / r->lh_step > 1000) {
		kiln_error("--lhist %s: expected EXPR,MIN,MAX,STEP with MIN < MAX, STEP > 0 and at "
			   "most 1000 buckets",
			   spec);
		free(copy);
		return -EINVAL;
	}
	*expr = strdup(parts[0]);
	free(copy);
	return *expr ? 0 : -ENOMEM;
}

static int build_specs(struct prun *r, struct pr_specs *s)
{
	struct trace_opts *o = r->o;
	int err = 0;
	for (int i = 0; i < o->nevents && !err; i++)
		err = pr_spec_add(s, o->events[i], PR_LAT_NONE);
	if (!err && o->latency) {
		const char *comma = strchr(o->latency, ',');
		if (!comma || comma == o->latency || !comma[1] || o->nevents) {
			kiln_error("--latency %s: expected START,END (two events, e.g. "
				   "u:BIN:FUNC,ur:BIN:FUNC), and no other -e",
				   o->latency);
			return -EINVAL;
		}
		char *start = strndup(o->latency, comma - o->latency);
		err = start ? pr_spec_add(s, start, PR_LAT_START) : -ENOMEM;
		free(start);
		if (!err)
			err = pr_spec_add(s, comma + 1, PR_LAT_END);
	}
	if (!err)
		err = pr_spec_resolve(s);
	if (!err && o->filter)
		err = pr_spec_filter(s, o->filter);
	if (!err && o->count_by)
		err = pr_spec_keys(s, o->count_by);
	char *expr = NULL;
	r->agg = PR_AGG_NONE;
	if (!err && o->lhist) {
		r->agg = PR_AGG_LHIST;
		err = parse_lhist(r, o->lhist, &expr);
		if (!err)
			err = pr_spec_expr(s, expr, "--lhist");
	} else if (!err && o->hist) {
		r->agg = PR_AGG_HIST;
		err = pr_spec_expr(s, o->hist, "--hist");
	} else if (!err && o->agg_kind) {
		r->agg = PR_AGG_STATS;
		r->agg_kind = o->agg_kind;
		err = pr_spec_expr(s, o->agg_expr, "--sum/--min/--max/--avg");
	} else if (!err && o->latency) {
		r->agg = PR_AGG_HIST;
		err = pr_spec_expr(s, "latency", "--latency");
	} else if (!err && (o->count_by || o->summary)) {
		r->agg = PR_AGG_COUNT;
	}
	free(expr);
	if (!err && o->latency && r->agg != PR_AGG_HIST && r->agg != PR_AGG_LHIST) {
		kiln_error("--latency gives a histogram: combine it with --lhist latency,... or "
			   "nothing");
		err = -EINVAL;
	}
	/* latency values only exist on the end event */
	if (!err && o->latency && s->n == 2)
		s->ev[1].cfg.agg.src = PR_SRC_LATENCY;
	r->label_key = o->summary || (s->n > 1 && !o->latency);
	return err;
}

static bool finished(struct trace_opts *o, struct pr_tracer *t)
{
	if (o->target.system_wide)
		return false;
	if (o->target.child) {
		bool done = target_child_done(&o->target);
		return done && (!o->follow || !pr_tracer_targets_alive(t));
	}
	return !pr_tracer_targets_alive(t) || target_pids_gone(&o->target);
}

int trace_probes_run(struct trace_opts *o)
{
	struct pr_specs specs;
	memset(&specs, 0, sizeof(specs));
	struct prun *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->o = o;
	r->specs = &specs;
	r->mono_to_real_ns = now_ns(CLOCK_REALTIME) - now_ns(CLOCK_MONOTONIC);
	int err = build_specs(r, &specs);
	struct pr_tracer_opts to = {
	    .filter_pids = !o->target.system_wide,
	    .follow = o->follow,
	    .agg = r->agg,
	    .lh_min = r->lh_min,
	    .lh_max = r->lh_max,
	    .lh_step = r->lh_step,
	};
	if (!err)
		err = pr_tracer_open(&r->t, &to);
	if (!err && o->target.child)
		err = pr_tracer_add_target(r->t, o->target.child, true);
	for (size_t i = 0; !err && i < o->target.npids; i++)
		err = pr_tracer_add_target(r->t, o->target.pids[i], false);
	if (!err)
		err = pr_tracer_attach(r->t, &specs, r->agg == PR_AGG_NONE ? on_event : NULL, r);
	if (!err && o->target.child)
		err = trace_release_command(o);
	int64_t next_dump =
	    o->interval > 0 ? now_ns(CLOCK_MONOTONIC) + (int64_t)(o->interval * 1e9) : INT64_MAX;
	while (!err && !trace_stop) {
		int n = pr_tracer_poll(r->t, 50);
		if (n < 0) {
			kiln_error("reading the event ring buffer: %s", strerror(-n));
			err = n;
			break;
		}
		if (finished(o, r->t))
			break;
		if (r->agg != PR_AGG_NONE && now_ns(CLOCK_MONOTONIC) >= next_dump) {
			time_t now = time(NULL);
			struct tm tm;
			localtime_r(&now, &tm);
			fprintf(o->out, "%02d:%02d:%02d\n", tm.tm_hour, tm.tm_min, tm.tm_sec);
			err = dump_aggs(r);
			next_dump += (int64_t)(o->interval * 1e9);
		}
		if (!o->out_path || n > 0)
			fflush(o->out);
	}
	if (!err) {
		while (r->agg == PR_AGG_NONE && pr_tracer_poll(r->t, 0) > 0)
			;
		if (r->agg != PR_AGG_NONE)
			err = dump_aggs(r);
		fflush(o->out);
		uint64_t c[PR_CNT_NR];
		pr_tracer_counters(r->t, c);
		if (c[PR_CNT_LOST])
			kiln_warn("%" PRIu64 " of %" PRIu64
				  " events lost: the ring buffer was full "
				  "(aggregate in the kernel with -c, --count-by or --hist instead)",
				  c[PR_CNT_LOST], c[PR_CNT_LOST] + r->events);
		if (c[PR_CNT_AGG_FULL])
			kiln_warn("%" PRIu64 " events not aggregated: the kernel map was full",
				  c[PR_CNT_AGG_FULL]);
		if (c[PR_CNT_NO_START])
			kiln_info("%" PRIu64 " end events had no start event on their thread",
				  c[PR_CNT_NO_START]);
		if (c[PR_CNT_STACK])
			kiln_warn("%" PRIu64 " stacks could not be captured", c[PR_CNT_STACK]);
	}
	pr_tracer_close(r->t);
	free(r->ents);
	free(r);
	pr_specs_free(&specs);
	if (err)
		return err;
	target_child_done(&o->target);
	return target_exit_code(&o->target);
}
