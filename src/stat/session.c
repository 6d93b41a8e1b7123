#include <errno.h>
#include <locale.h>
#include <stdlib.h>

#include "stat/outfile.h"
#include "stat/scale.h"
#include "stat/session.h"

struct session {
	struct stat_config *cfg;
	struct stat_printer pr;
	char *target;		      /* how the header names what was counted */
	struct run_stats *rows, wall; /* -r: per row, the mean over the runs and its spread */
	int status;
};

static char *describe_target(const struct stat_config *cfg)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	if (!f)
		return NULL;
	if (cfg->cpu_list)
		fprintf(f, "'CPU(s) %s'", cfg->cpu_list);
	else if (cfg->system_wide)
		fprintf(f, "'system wide'");
	else if (cfg->pid_list)
		fprintf(f, "process id '%s'", cfg->pid_list);
	else
		for (char **a = cfg->cmd; *a; a++)
			fprintf(f, "%s%s%s", a == cfg->cmd ? "'" : " ", *a, a[1] ? "" : "'");
	fclose(f);
	return s;
}

static int accumulate(struct session *s, const struct measurement *m)
{
	if (!s->rows)
		s->rows = calloc(m->nrows + 1, sizeof(*s->rows));
	if (!s->rows)
		return -ENOMEM;
	for (size_t i = 0; i < m->nrows; i++)
		if (m->rows[i].state == ROW_OK)
			stats_update(&s->rows[i], m->rows[i].value);
	stats_update(&s->wall, (m->end_ns - m->start_ns) / 1e9);
	return 0;
}

static void apply_means(const struct session *s, struct stat_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s->rows[i].n) {
			rows[i].state = ROW_OK;
			rows[i].value = s->rows[i].mean;
			rows[i].noise = stats_rel_pct(&s->rows[i]);
		}
	}
}

static double seconds(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static void print_totals(struct session *s, struct measurement *m)
{
	bool repeated = s->cfg->repeat > 1;
	double wall = (m->end_ns - m->start_ns) / 1e9;
	if (repeated) {
		apply_means(s, m->rows, m->nrows);
		wall = s->wall.mean;
	}
	stat_print_header(&s->pr, s->target ? s->target : "'?'", s->wall.n);
	stat_print_rows(&s->pr, m->rows, m->nrows, repeated ? wall * 1e9 : m->end_ns - m->start_ns,
			-1);
	stat_print_footer(&s->pr, wall, stats_stderr(&s->wall), stats_rel_pct(&s->wall),
			  m->t.child && !s->cfg->system_wide, seconds(&m->ru.ru_utime),
			  seconds(&m->ru.ru_stime));
}

static int failure_status(const struct measurement *m, int err)
{
	if (!m->exec_failed)
		return 1;
	return err == -ENOENT ? 127 : 126;
}

/* One of the runs; the totals are printed after the last (or the one a signal ended).
 * 0, or -errno with s->status set. */
static int run_one(struct session *s, bool last_planned)
{
	struct measurement m;
	int err = measure_once(&m, s->cfg, &s->pr);
	if (err) {
		s->status = failure_status(&m, err);
	} else {
		s->status = target_exit_code(&m.t);
		bool last = last_planned || measure_stop_signal();
		if (s->cfg->repeat > 1)
			err = accumulate(s, &m);
		if (err)
			s->status = 1;
		else if (last)
			print_totals(s, &m);
	}
	measure_free(&m);
	return err;
}

int stat_session_run(struct stat_config *cfg)
{
	struct stat_outfile out;
	if (stat_outfile_open(&out, cfg->output))
		return 1;
	struct session s = {cfg,
			    {out.f, cfg->format, cfg->sep, cfg->repeat > 1, cfg->per_cpu},
			    describe_target(cfg),
			    NULL,
			    {0, 0, 0},
			    0};
	if (cfg->format == STAT_TEXT)
		setlocale(LC_NUMERIC,
			  ""); /* perf's thousands separators where the locale has them */
	/* The command sees ^C; kiln waits for it and prints what was counted. */
	measure_catch_signals();
	int err = 0;
	for (int i = 0; i < cfg->repeat && !err && !measure_stop_signal(); i++)
		err = run_one(&s, i == cfg->repeat - 1);
	free(s.rows);
	free(s.target);
	if (stat_outfile_close(&out, !err) && !err && !s.status)
		s.status = 1;
	return s.status;
}
