#include "stat/scale.h"

#include <math.h>

enum count_state count_scale(const struct count *c, double *scaled, double *pct_running)
{
	*scaled = 0;
	*pct_running = 100.0;
	if (c->run == 0) {
		/* Never scheduled on the PMU: nothing measured, nothing to extrapolate from. */
		*pct_running = 0;
		return COUNT_NOT_COUNTED;
	}
	if (c->ena <= c->run) {
		*scaled = (double)c->val;
		return COUNT_OK;
	}
	/* 128-bit product: val * ena overflows 64 bits for long runs of fast counters. */
	unsigned __int128 prod = (unsigned __int128)c->val * c->ena;
	*scaled = (double)(prod / c->run) + (double)(prod % c->run) / (double)c->run;
	*pct_running = 100.0 * (double)c->run / (double)c->ena;
	return COUNT_OK;
}

void count_add(struct count *sum, const struct count *c)
{
	sum->val += c->val;
	sum->ena += c->ena;
	sum->run += c->run;
}

static uint64_t sub(uint64_t a, uint64_t b)
{
	return a >= b ? a - b : a;
}

struct count count_delta(const struct count *cur, const struct count *prev)
{
	struct count d = {sub(cur->val, prev->val), sub(cur->ena, prev->ena),
			  sub(cur->run, prev->run)};
	return d;
}

void stats_update(struct run_stats *s, double x)
{
	s->n++;
	double delta = x - s->mean;
	s->mean += delta / s->n;
	s->m2 += delta * (x - s->mean);
}

double stats_stddev(const struct run_stats *s)
{
	return s->n < 2 ? 0 : sqrt(s->m2 / (s->n - 1));
}

double stats_stderr(const struct run_stats *s)
{
	return s->n < 2 ? 0 : stats_stddev(s) / sqrt(s->n);
}

double stats_rel_pct(const struct run_stats *s)
{
	return s->mean == 0 ? 0 : 100.0 * stats_stderr(s) / fabs(s->mean);
}
