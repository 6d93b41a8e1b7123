#include "stat/print.h"

#include <math.h>
#include <string.h>

/* A counted row beside rows[i] (same CPU) of the given type and config, or NULL. */
static const struct stat_row *sibling(const struct stat_row *rows, size_t n, int cpu, __u32 type,
				      __u64 config)
{
	for (size_t j = 0; j < n; j++)
		if (rows[j].cpu == cpu && rows[j].state == ROW_OK &&
		    rows[j].ev->attr.type == type && rows[j].ev->attr.config == config)
			return &rows[j];
	return NULL;
}

static bool is_clock(const struct ev_spec *e)
{
	return e->attr.type == PERF_TYPE_SOFTWARE && (e->attr.config == PERF_COUNT_SW_TASK_CLOCK ||
						      e->attr.config == PERF_COUNT_SW_CPU_CLOCK);
}

static struct stat_metric ratio(const struct stat_row *r, const struct stat_row *base,
				const char *unit)
{
	struct stat_metric m = {false, 0, unit, true};
	if (base && base->value > 0) {
		m.has = true;
		m.value = 100.0 * r->value / base->value;
	}
	return m;
}

static const char *cache_label(__u64 cache)
{
	static const char *const labels[] = {
	    "of all L1-dcache accesses",  "of all L1-icache accesses",	"of all LL-cache accesses",
	    "of all dTLB cache accesses", "of all iTLB cache accesses", "of all branch accesses",
	    "of all node accesses"};
	return cache < sizeof(labels) / sizeof(labels[0]) ? labels[cache] : "of all accesses";
}

static struct stat_metric hardware_metric(const struct stat_row *rows, size_t n,
					  const struct stat_row *r, const struct stat_row *clock)
{
	struct stat_metric m = {false, 0, NULL, false};
	const struct stat_row *cycles =
	    sibling(rows, n, r->cpu, PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES);
	switch (r->ev->attr.config) {
	case PERF_COUNT_HW_CPU_CYCLES:
		m.unit = "GHz";
		if (clock && clock->value > 0)
			m = (struct stat_metric){true, r->value / clock->value, "GHz", false};
		return m;
	case PERF_COUNT_HW_INSTRUCTIONS:
		/* Without cycles, no figure at all (as perf): not a rate per second instead. */
		m.unit = "insn per cycle";
		if (cycles && cycles->value > 0)
			m = (struct stat_metric){true, r->value / cycles->value, "insn per cycle",
						 false};
		return m;
	case PERF_COUNT_HW_BRANCH_MISSES:
		return ratio(
		    r,
		    sibling(rows, n, r->cpu, PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS),
		    "of all branches");
	case PERF_COUNT_HW_CACHE_MISSES:
		return ratio(
		    r, sibling(rows, n, r->cpu, PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES),
		    "of all cache refs");
	case PERF_COUNT_HW_STALLED_CYCLES_FRONTEND:
		return ratio(r, cycles, "frontend cycles idle");
	case PERF_COUNT_HW_STALLED_CYCLES_BACKEND:
		return ratio(r, cycles, "backend cycles idle");
	}
	m.unit = "";
	return m;
}

static struct stat_metric rate(const struct stat_row *r, const struct stat_row *clock)
{
	static const char *const units[] = {"/sec", "K/sec", "M/sec", "G/sec"};
	struct stat_metric m = {false, 0, NULL, false};
	if (!clock || clock->value <= 0)
		return m;
	double v = r->value / (clock->value / 1e9);
	size_t u = 0;
	while (v >= 1000 && u < 3) {
		v /= 1000;
		u++;
	}
	return (struct stat_metric){true, v, units[u], false};
}

struct stat_metric stat_metric_for(const struct stat_row *rows, size_t n, size_t i, double wall_ns)
{
	const struct stat_row *r = &rows[i];
	struct stat_metric none = {false, 0, NULL, false};
	if (r->state != ROW_OK)
		return none;
	const struct ev_spec *e = r->ev;
	if (is_clock(e)) {
		if (wall_ns <= 0)
			return none;
		return (struct stat_metric){true, r->value / wall_ns, "CPUs utilized", false};
	}
	const struct stat_row *clock =
	    sibling(rows, n, r->cpu, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
	if (!clock)
		clock = sibling(rows, n, r->cpu, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK);
	if (e->attr.type == PERF_TYPE_HARDWARE) {
		struct stat_metric m = hardware_metric(rows, n, r, clock);
		if (m.unit)
			return m;
	}
	if (e->attr.type == PERF_TYPE_HW_CACHE &&
	    (e->attr.config >> 16) == PERF_COUNT_HW_CACHE_RESULT_MISS) {
		__u64 access = e->attr.config & 0xffff;
		return ratio(r, sibling(rows, n, r->cpu, PERF_TYPE_HW_CACHE, access),
			     cache_label(e->attr.config & 0xff));
	}
	return rate(r, clock);
}

static const char *state_text(enum row_state s)
{
	return s == ROW_NOT_SUPPORTED ? "<not supported>" : "<not counted>";
}

void stat_print_header(const struct stat_printer *p, const char *target, int runs)
{
	if (p->format != STAT_TEXT)
		return;
	fprintf(p->out, "\n Performance counter stats for %s", target);
	if (runs > 1)
		fprintf(p->out, " (%d runs)", runs);
	fprintf(p->out, ":\n\n");
}

void stat_print_interval_header(const struct stat_printer *p)
{
	if (p->format != STAT_TEXT)
		return;
	if (p->per_cpu)
		fprintf(p->out, "#           time CPU                    counts unit events\n");
	else
		fprintf(p->out, "#           time             counts unit events\n");
}

static void text_row(const struct stat_printer *p, const struct stat_row *r,
		     const struct stat_metric *m)
{
	FILE *o = p->out;
	bool clock = is_clock(r->ev);
	if (r->state != ROW_OK)
		fprintf(o, "%18s %-4s %-32s%28s", state_text(r->state), clock ? "msec" : "",
			r->ev->name, "");
	else if (clock)
		fprintf(o, "%'18.2f msec %-32s", r->value / 1e6, r->ev->name);
	else
		fprintf(o, "%'18.0f      %-32s", r->value, r->ev->name);
	if (r->state == ROW_OK) {
		if (m->has && m->percent)
			fprintf(o, " # %7.2f%% %-23s", m->value, m->unit);
		else if (m->has)
			fprintf(o, " # %8.3f %-23s", m->value, m->unit);
		else
			fprintf(o, "%35s", "");
	}
	if (p->repeated && r->noise > 0)
		fprintf(o, "  ( +-%6.2f%% )", r->noise);
	if (r->state == ROW_OK && r->pct < 100)
		fprintf(o, "  (%.2f%%)", r->pct);
	fputc('\n', o);
}

static void csv_row(const struct stat_printer *p, const struct stat_row *r,
		    const struct stat_metric *m)
{
	FILE *o = p->out;
	const char *s = p->sep;
	bool clock = is_clock(r->ev);
	if (r->state != ROW_OK)
		fprintf(o, "%s%s%s", state_text(r->state), s, clock ? "msec" : "");
	else if (clock)
		fprintf(o, "%.2f%smsec", r->value / 1e6, s);
	else
		fprintf(o, "%.0f%s", r->value, s);
	fprintf(o, "%s%s", s, r->ev->name);
	if (p->repeated)
		fprintf(o, "%s%.2f%%", s, r->noise > 0 ? r->noise : 0);
	fprintf(o, "%s%llu%s%.2f", s, (unsigned long long)r->run, s,
		r->state == ROW_OK ? r->pct : 100.0);
	if (m->has)
		fprintf(o, "%s%.*f%s%s", s, m->percent ? 2 : 3, m->value, s, m->unit);
	else
		fprintf(o, "%s%s", s, s);
	fputc('\n', o);
}

static void json_string(FILE *o, const char *str)
{
	fputc('"', o);
	for (; *str; str++) {
		if (*str == '"' || *str == '\\')
			fputc('\\', o);
		if ((unsigned char)*str < 0x20)
			fprintf(o, "\\u%04x", *str);
		else
			fputc(*str, o);
	}
	fputc('"', o);
}

static void json_row(const struct stat_printer *p, const struct stat_row *r,
		     const struct stat_metric *m, double interval_s)
{
	FILE *o = p->out;
	bool clock = is_clock(r->ev);
	fputc('{', o);
	if (interval_s >= 0)
		fprintf(o, "\"interval\" : %.9f, ", interval_s);
	if (r->cpu >= 0)
		fprintf(o, "\"cpu\" : \"%d\", ", r->cpu);
	if (r->state != ROW_OK)
		fprintf(o, "\"counter-value\" : \"%s\", ", state_text(r->state));
	else
		fprintf(o, "\"counter-value\" : \"%f\", ", clock ? r->value / 1e6 : r->value);
	fprintf(o, "\"unit\" : \"%s\", \"event\" : ", clock ? "msec" : "");
	json_string(o, r->ev->name);
	if (p->repeated)
		fprintf(o, ", \"variance\" : %.2f", r->noise > 0 ? r->noise : 0);
	fprintf(o, ", \"event-runtime\" : %llu, \"pcnt-running\" : %.2f",
		(unsigned long long)r->run, r->state == ROW_OK ? r->pct : 100.0);
	fprintf(o, ", \"metric-value\" : %f, \"metric-unit\" : ", m->has ? m->value : 0.0);
	json_string(o, m->has ? m->unit : "");
	fprintf(o, "}\n");
}

void stat_print_rows(const struct stat_printer *p, const struct stat_row *rows, size_t n,
		     double wall_ns, double interval_s)
{
	for (size_t i = 0; i < n; i++) {
		struct stat_metric m = stat_metric_for(rows, n, i, wall_ns);
		const struct stat_row *r = &rows[i];
		if (p->format == STAT_JSON) {
			json_row(p, r, &m, interval_s);
			continue;
		}
		const char *sep = p->format == STAT_CSV ? p->sep : " ";
		if (interval_s >= 0)
			fprintf(p->out, "%16.9f%s", interval_s, sep);
		if (r->cpu >= 0) {
			if (p->format == STAT_CSV)
				fprintf(p->out, "CPU%d%s", r->cpu, sep);
			else
				fprintf(p->out, "CPU%-7d%s", r->cpu, sep);
		}
		if (p->format == STAT_CSV)
			csv_row(p, r, &m);
		else
			text_row(p, r, &m);
	}
}

/* Decimals enough to show the error's first significant digit and one more, like perf. */
static int precision_for(double err)
{
	if (err <= 0)
		return 9;
	int digits = (int)-floor(log10(err)) + 2;
	return digits < 1 ? 1 : digits > 9 ? 9 : digits;
}

void stat_print_footer(const struct stat_printer *p, double wall_s, double wall_err_s,
		       double wall_rel_pct, bool show_rusage, double user_s, double sys_s)
{
	if (p->format != STAT_TEXT)
		return;
	FILE *o = p->out;
	if (p->repeated) {
		int prec = precision_for(wall_err_s);
		fprintf(o, "\n%18.*f +- %.*f seconds time elapsed  ( +- %5.2f%% )\n\n", prec,
			wall_s, prec, wall_err_s, wall_rel_pct);
		return;
	}
	fprintf(o, "\n%18.9f seconds time elapsed\n\n", wall_s);
	if (show_rusage)
		fprintf(o, "%18.9f seconds user\n%18.9f seconds sys\n\n\n", user_s, sys_s);
}
