#include "format/report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "profile/frames.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/vec.h"

void report_default_options(struct report_options *o)
{
	memset(o, 0, sizeof(*o));
	o->n = 10;
	o->pid = -1;
	o->by_self = o->by_cum = true;
	o->threshold = 1.0;
}

int report_value_col(const struct kiln_profile *p, const char *spec)
{
	if (!spec)
		return 0;
	for (size_t i = 0; i < p->nvalues; i++)
		if (!strcmp(kiln_profile_str(p, p->value_types[i].type), spec))
			return (int)i;
	char *end;
	unsigned long idx = strtoul(spec, &end, 10);
	if (*spec && !*end && idx < p->nvalues)
		return (int)idx;
	char names[256] = "";
	for (size_t i = 0; i < p->nvalues; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 i ? ", " : "", kiln_profile_str(p, p->value_types[i].type));
	kiln_error("no value '%s' in this profile; it has: %s (or an index from 0)", spec, names);
	return -EINVAL;
}

static bool sample_selected(const struct kiln_profile *p, const struct kiln_sample *s,
			    const struct report_options *o)
{
	if (o->pid >= 0 && s->labels.pid != o->pid)
		return false;
	if (o->comm && strcmp(kiln_profile_str(p, s->labels.comm), o->comm))
		return false;
	return true;
}

struct frame_buf {
	struct kiln_frame *frames;
	size_t cap;
};

/* The sample's frames root first in fb; the count, or -ENOMEM. */
static long sample_frames(const struct kiln_profile *p, const struct kiln_sample *s,
			  struct frame_buf *fb)
{
	size_t n = kiln_sample_frames(p, s, fb->frames, fb->cap);
	if (n <= fb->cap)
		return (long)n;
	if (VEC_RESERVE(fb->frames, fb->cap, n))
		return -ENOMEM;
	return (long)kiln_sample_frames(p, s, fb->frames, fb->cap);
}

/* Accumulates per-name values; last_sample stops recursion counting twice toward cum. */
struct fn_acc {
	struct intern_table names;
	struct report_fn *fns;
	size_t cap;
	size_t *last_sample;
	size_t last_cap;
	/* Caller->callee pairs (two function indices) as pprof's graph has them: an edge is
	 * inline when every call along it was, and counts once per sample. */
	struct intern_table edges;
	struct fn_edge *edge_state;
	size_t edge_cap;
};

struct fn_edge {
	size_t last_sample;
	bool inlined;
};

static long acc_index(struct fn_acc *a, const char *name)
{
	bool added;
	uint32_t id = intern_get(&a->names, name, strlen(name), &added);
	if (!id || VEC_RESERVE(a->fns, a->cap, id) || VEC_RESERVE(a->last_sample, a->last_cap, id))
		return -ENOMEM;
	if (added) {
		/* The name is filled in at the end: the arena holding it may still move. */
		a->fns[id - 1] = (struct report_fn){.name = NULL};
		a->last_sample[id - 1] = 0;
	}
	return (long)id - 1;
}

static int acc_edge(struct fn_acc *a, long caller, long callee, bool inlined, size_t stamp)
{
	uint32_t key[2] = {(uint32_t)caller, (uint32_t)callee};
	bool added;
	uint32_t id = intern_get(&a->edges, key, sizeof(key), &added);
	if (!id || VEC_RESERVE(a->edge_state, a->edge_cap, id))
		return -ENOMEM;
	struct fn_edge *e = &a->edge_state[id - 1];
	if (added)
		*e = (struct fn_edge){stamp, inlined};
	else if (e->last_sample != stamp)
		*e = (struct fn_edge){stamp, e->inlined && inlined};
	return 0;
}

static int acc_sample(struct fn_acc *a, const struct kiln_frame *frames, long n, size_t stamp,
		      int64_t v)
{
	long parent = -1;
	for (long i = 0; i < n; i++) {
		long idx = acc_index(a, frames[i].name);
		if (idx < 0)
			return (int)idx;
		/* Recursion is no edge to pprof, so it cannot make a function "inline". */
		if (parent >= 0 && parent != idx) {
			int err =
			    acc_edge(a, parent, idx, frames[i].annot == KILN_ANNOT_INLINE, stamp);
			if (err)
				return err;
		}
		parent = idx;
		if (i == n - 1)
			a->fns[idx].flat += v;
		if (a->last_sample[idx] != stamp) {
			a->last_sample[idx] = stamp;
			a->fns[idx].cum += v;
		}
	}
	return 0;
}

/* Tags each function from the edges into it, as pprof's text report does. */
static int acc_inline_tags(struct fn_acc *a, size_t nfns)
{
	enum { INLINED = 1, CALLED = 2 };
	unsigned char *how = calloc(nfns + 1, 1);
	if (!how)
		return -ENOMEM;
	for (uint32_t id = 1; id <= a->edges.count; id++) {
		uint32_t key[2];
		memcpy(key, intern_key(&a->edges, id, NULL), sizeof(key));
		how[key[1]] |= a->edge_state[id - 1].inlined ? INLINED : CALLED;
	}
	for (size_t i = 0; i < nfns; i++)
		a->fns[i].inlined = how[i] == INLINED		   ? REPORT_INLINED
				    : how[i] == (INLINED | CALLED) ? REPORT_PARTLY_INLINED
								   : REPORT_NOT_INLINED;
	free(how);
	return 0;
}

int report_compute(const struct kiln_profile *p, const struct report_options *o,
		   struct report_table *t)
{
	struct fn_acc a = {0};
	struct frame_buf fb = {0};
	int err = 0;
	memset(t, 0, sizeof(*t));
	intern_init(&a.names);
	intern_init(&a.edges);
	if (o->value_col >= p->nvalues && p->nsamples)
		err = -EINVAL;
	for (size_t i = 0; i < p->nsamples && !err; i++) {
		const struct kiln_sample *s = &p->samples[i];
		int64_t v = s->values[o->value_col];
		if (!v || !sample_selected(p, s, o))
			continue;
		long n = sample_frames(p, s, &fb);
		err = n < 0 ? (int)n : acc_sample(&a, fb.frames, n, i + 1, v);
		t->total += v;
	}
	free(fb.frames);
	free(a.last_sample);
	size_t nfns = a.names.count;
	if (!err && nfns)
		err = acc_inline_tags(&a, nfns);
	intern_free(&a.edges);
	free(a.edge_state);
	/* Names must outlive the accumulator: copy them next to the table. */
	for (size_t i = 0; i < nfns && !err; i++) {
		a.fns[i].name = strdup(intern_key(&a.names, (uint32_t)i + 1, NULL));
		if (!a.fns[i].name)
			err = -ENOMEM, nfns = i;
	}
	intern_free(&a.names);
	t->fns = a.fns;
	t->nfns = nfns;
	if (err)
		report_table_free(t);
	return err;
}

void report_table_free(struct report_table *t)
{
	for (size_t i = 0; i < t->nfns; i++)
		free((char *)t->fns[i].name);
	free(t->fns);
	memset(t, 0, sizeof(*t));
}

static int cmp_i64_desc(int64_t a, int64_t b)
{
	return a > b ? -1 : a < b;
}

static int cmp_by_flat(const void *x, const void *y)
{
	const struct report_fn *a = x, *b = y;
	int c = cmp_i64_desc(a->flat, b->flat);
	return c ? c : strcmp(a->name, b->name);
}

static int cmp_by_cum(const void *x, const void *y)
{
	const struct report_fn *a = x, *b = y;
	int c = cmp_i64_desc(a->cum, b->cum);
	return c ? c : strcmp(a->name, b->name);
}

void report_sort(struct report_table *t, bool by_cum)
{
	if (t->nfns)
		qsort(t->fns, t->nfns, sizeof(*t->fns), by_cum ? cmp_by_cum : cmp_by_flat);
}

static double pct(int64_t v, int64_t total)
{
	return total ? 100.0 * (double)v / (double)total : 0.0;
}

static const char *value_name(const struct kiln_profile *p, size_t col)
{
	return col < p->nvalues ? kiln_profile_str(p, p->value_types[col].type) : "samples";
}

/* pprof -top's notation, so the tables read the same in both tools. */
static const char *inline_tag(const struct report_fn *f)
{
	return f->inlined == REPORT_INLINED	     ? " (inline)"
	       : f->inlined == REPORT_PARTLY_INLINED ? " (partial-inline)"
						     : "";
}

static void print_table(const struct report_table *t, FILE *out, size_t n, const char *heading)
{
	size_t rows = n && n < t->nfns ? n : t->nfns;
	fprintf(out, "%s (showing %zu of %zu functions)\n", heading, rows, t->nfns);
	fprintf(out, "%12s %7s %7s %12s %7s  %s\n", "flat", "flat%", "sum%", "cum", "cum%",
		"function");
	int64_t sum = 0;
	for (size_t i = 0; i < rows; i++) {
		const struct report_fn *f = &t->fns[i];
		sum += f->flat;
		fprintf(out, "%12" PRId64 " %6.2f%% %6.2f%% %12" PRId64 " %6.2f%%  %s%s\n", f->flat,
			pct(f->flat, t->total), pct(sum, t->total), f->cum, pct(f->cum, t->total),
			f->name, inline_tag(f));
	}
}

static void print_header(const struct kiln_profile *p, FILE *out, const struct report_table *t,
			 size_t col)
{
	const char *unit = col < p->nvalues ? kiln_profile_str(p, p->value_types[col].unit) : "";
	fprintf(out, "Total: %" PRId64 " %s%s%s%s\n", t->total, value_name(p, col),
		unit[0] ? " (" : "", unit, unit[0] ? ")" : "");
	if (p->lost_samples)
		fprintf(out, "Lost: %" PRIu64 " samples were dropped while recording\n",
			p->lost_samples);
}

int report_print_top(const struct kiln_profile *p, FILE *out, size_t n, size_t value_col)
{
	struct report_options o;
	report_default_options(&o);
	o.n = n;
	o.value_col = value_col;
	o.by_cum = false;
	return report_print(p, out, &o);
}

/* ---------------------------------------------------------------- tree */

struct tree_node {
	const char *name;
	int64_t total, self;
	uint32_t first_child, next_sibling; /* node indices, 0 = none (0 is the root) */
};

struct tree {
	struct tree_node *nodes;
	size_t n, cap;
};

static long tree_child(struct tree *t, size_t parent, const char *name)
{
	for (uint32_t c = t->nodes[parent].first_child; c; c = t->nodes[c].next_sibling)
		if (t->nodes[c].name == name || !strcmp(t->nodes[c].name, name))
			return c;
	if (t->n >= UINT32_MAX || VEC_RESERVE(t->nodes, t->cap, t->n + 1))
		return -ENOMEM;
	t->nodes[t->n] = (struct tree_node){name, 0, 0, 0, t->nodes[parent].first_child};
	t->nodes[parent].first_child = (uint32_t)t->n;
	return (long)t->n++;
}

static int tree_add(struct tree *t, const struct kiln_frame *frames, long n, int64_t v)
{
	size_t cur = 0;
	t->nodes[0].total += v;
	for (long i = 0; i < n; i++) {
		long c = tree_child(t, cur, frames[i].name);
		if (c < 0)
			return (int)c;
		cur = (size_t)c;
		t->nodes[cur].total += v;
	}
	t->nodes[cur].self += v;
	return 0;
}

static int cmp_nodes(const void *x, const void *y, void *arg)
{
	const struct tree_node *nodes = arg;
	const struct tree_node *a = &nodes[*(const uint32_t *)x], *b = &nodes[*(const uint32_t *)y];
	int c = cmp_i64_desc(a->total, b->total);
	return c ? c : strcmp(a->name, b->name);
}

static int tree_print(const struct tree *t, FILE *out, uint32_t node, int depth, int64_t total,
		      double threshold)
{
	size_t nkids = 0;
	for (uint32_t c = t->nodes[node].first_child; c; c = t->nodes[c].next_sibling)
		nkids++;
	uint32_t *kids = calloc(nkids + 1, sizeof(*kids));
	if (!kids)
		return -ENOMEM;
	nkids = 0;
	for (uint32_t c = t->nodes[node].first_child; c; c = t->nodes[c].next_sibling)
		kids[nkids++] = c;
	qsort_r(kids, nkids, sizeof(*kids), cmp_nodes, t->nodes);
	int err = 0;
	for (size_t i = 0; i < nkids && !err; i++) {
		const struct tree_node *k = &t->nodes[kids[i]];
		if (pct(k->total, total) < threshold)
			continue;
		fprintf(out, "%6.2f%% %12" PRId64 " %12" PRId64 "  %*s%s\n", pct(k->total, total),
			k->total, k->self, 2 * depth, "", k->name);
		err = tree_print(t, out, kids[i], depth + 1, total, threshold);
	}
	free(kids);
	return err;
}

static int print_tree(const struct kiln_profile *p, FILE *out, const struct report_options *o)
{
	struct tree t = {0};
	struct frame_buf fb = {0};
	int err = VEC_RESERVE(t.nodes, t.cap, 1);
	if (!err)
		t.nodes[t.n++] = (struct tree_node){"", 0, 0, 0, 0};
	for (size_t i = 0; i < p->nsamples && !err; i++) {
		const struct kiln_sample *s = &p->samples[i];
		int64_t v = s->values[o->value_col];
		if (!v || !sample_selected(p, s, o))
			continue;
		long n = sample_frames(p, s, &fb);
		err = n < 0 ? (int)n : tree_add(&t, fb.frames, n, v);
	}
	if (!err) {
		fprintf(out, "Call tree, callers above callees (nodes under %.2f%% hidden)\n",
			o->threshold);
		fprintf(out, "%7s %12s %12s  %s\n", "cum%", "cum", "self", "function");
		err = tree_print(&t, out, 0, 0, t.nodes[0].total, o->threshold);
	}
	free(fb.frames);
	free(t.nodes);
	return err;
}

int report_print(const struct kiln_profile *p, FILE *out, const struct report_options *o)
{
	struct report_table t;
	if (o->value_col >= p->nvalues && p->nvalues)
		return -EINVAL;
	int err = report_compute(p, o, &t);
	if (err)
		return err;
	print_header(p, out, &t, o->value_col);
	if (o->tree) {
		err = print_tree(p, out, o);
	} else {
		if (o->by_self) {
			report_sort(&t, false);
			print_table(&t, out, o->n, "By self");
		}
		if (o->by_self && o->by_cum)
			fputc('\n', out);
		if (o->by_cum) {
			report_sort(&t, true);
			print_table(&t, out, o->n, "By cumulative");
		}
	}
	report_table_free(&t);
	return err;
}

/* ---------------------------------------------------------------- diff */

struct diff_row {
	const char *name;
	double self_before, self_after, cum_before, cum_after;
};

/* How much a function moved: the larger of its self and cumulative share changes. */
static double diff_weight(const struct diff_row *r)
{
	return fmax(fabs(r->self_after - r->self_before), fabs(r->cum_after - r->cum_before));
}

static int cmp_diff_rows(const void *x, const void *y)
{
	const struct diff_row *a = x, *b = y;
	double wa = diff_weight(a), wb = diff_weight(b);
	if (wa != wb)
		return wa > wb ? -1 : 1;
	double sa = fabs(a->self_after - a->self_before), sb = fabs(b->self_after - b->self_before);
	if (sa != sb)
		return sa > sb ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* Adds one side's shares to rows found by name (names: index of rows). */
static int diff_collect(struct intern_table *names, struct diff_row **rows, size_t *cap,
			const struct report_table *t, bool after)
{
	for (size_t i = 0; i < t->nfns; i++) {
		const struct report_fn *f = &t->fns[i];
		bool added;
		uint32_t id = intern_get(names, f->name, strlen(f->name), &added);
		if (!id || VEC_RESERVE(*rows, *cap, id))
			return -ENOMEM;
		struct diff_row *r = &(*rows)[id - 1];
		if (added)
			*r = (struct diff_row){NULL, 0, 0, 0, 0};
		if (after) {
			r->self_after = pct(f->flat, t->total);
			r->cum_after = pct(f->cum, t->total);
		} else {
			r->self_before = pct(f->flat, t->total);
			r->cum_before = pct(f->cum, t->total);
		}
	}
	return 0;
}

static void print_diff_rows(FILE *out, const struct diff_row *rows, size_t n, size_t limit)
{
	size_t shown = limit && limit < n ? limit : n;
	fprintf(out, "Functions whose share changed most (showing %zu of %zu)\n", shown, n);
	fprintf(out, "%8s %8s %8s   %8s %8s %8s  %s\n", "self%", "->", "delta", "cum%", "->",
		"delta", "function");
	for (size_t i = 0; i < shown; i++) {
		const struct diff_row *r = &rows[i];
		fprintf(out, "%7.2f%% %7.2f%% %+7.2f%%   %7.2f%% %7.2f%% %+7.2f%%  %s\n",
			r->self_before, r->self_after, r->self_after - r->self_before,
			r->cum_before, r->cum_after, r->cum_after - r->cum_before, r->name);
	}
}

int report_print_diff(const struct kiln_profile *before, const struct kiln_profile *after,
		      FILE *out, const struct report_options *o)
{
	struct report_table tb, ta;
	int err = report_compute(before, o, &tb);
	if (err)
		return err;
	err = report_compute(after, o, &ta);
	if (err) {
		report_table_free(&tb);
		return err;
	}
	struct intern_table names;
	struct diff_row *rows = NULL;
	size_t cap = 0;
	intern_init(&names);
	err = diff_collect(&names, &rows, &cap, &tb, false);
	if (!err)
		err = diff_collect(&names, &rows, &cap, &ta, true);
	if (!err) {
		size_t n = names.count;
		/* Only now: adding names may have moved the arena they live in. */
		for (size_t i = 0; i < n; i++)
			rows[i].name = intern_key(&names, (uint32_t)i + 1, NULL);
		if (n)
			qsort(rows, n, sizeof(*rows), cmp_diff_rows);
		fprintf(out, "Before: %" PRId64 " %s, after: %" PRId64 " %s (%+.1f%%)\n", tb.total,
			value_name(before, o->value_col), ta.total, value_name(after, o->value_col),
			pct(ta.total - tb.total, tb.total));
		print_diff_rows(out, rows, n, o->n);
	}
	free(rows);
	intern_free(&names);
	report_table_free(&tb);
	report_table_free(&ta);
	return err;
}

/* ---------------------------------------------------------------- merging for diff graphs */

struct copier {
	struct kiln_profile *dst;
	const struct kiln_profile *src;
	uint32_t *loc_map; /* src location id -> dst location id, 0 = not copied yet */
};

static uint32_t copy_str(struct copier *c, uint32_t id)
{
	return id ? kiln_profile_intern_cstr(c->dst, kiln_profile_str(c->src, id)) : 0;
}

static uint32_t copy_function(struct copier *c, uint32_t id)
{
	struct kiln_function f = {0};
	const struct kiln_function *src = kiln_profile_get_function(c->src, id);
	if (src)
		memcpy(&f, src, sizeof(f)); /* interned keys are not aligned */
	f.name = copy_str(c, f.name);
	f.system_name = copy_str(c, f.system_name);
	f.filename = copy_str(c, f.filename);
	return kiln_profile_function(c->dst, &f);
}

static uint32_t copy_mapping(struct copier *c, uint32_t id)
{
	struct kiln_mapping m;
	const struct kiln_mapping *src = kiln_profile_get_mapping(c->src, id);
	if (!src)
		return 0;
	memcpy(&m, src, sizeof(m));
	m.filename = copy_str(c, m.filename);
	m.build_id = copy_str(c, m.build_id);
	return kiln_profile_mapping(c->dst, &m);
}

static uint32_t copy_location(struct copier *c, uint32_t id)
{
	if (c->loc_map[id])
		return c->loc_map[id];
	const struct kiln_location *loc = kiln_profile_get_location(c->src, id);
	struct kiln_line *lines = calloc(loc->nlines + 1, sizeof(*lines));
	if (!lines)
		return 0;
	for (uint32_t l = 0; l < loc->nlines; l++) {
		const struct kiln_line *sl = &c->src->lines[loc->first_line + l];
		lines[l] = (struct kiln_line){copy_function(c, sl->function), sl->line};
	}
	c->loc_map[id] = kiln_profile_location(c->dst, copy_mapping(c, loc->mapping), loc->address,
					       (enum kiln_frame_kind)loc->kind, lines, loc->nlines);
	free(lines);
	return c->loc_map[id];
}

static int copy_samples(struct copier *c, size_t src_col, size_t dst_col)
{
	uint32_t *locs = NULL;
	size_t cap = 0;
	int err = 0;
	for (size_t i = 0; i < c->src->nsamples && !err; i++) {
		const struct kiln_sample *s = &c->src->samples[i];
		const uint32_t *sl = kiln_profile_sample_locs(c->src, s);
		if (VEC_RESERVE(locs, cap, s->nlocs + 1)) {
			err = -ENOMEM;
			break;
		}
		for (uint32_t j = 0; j < s->nlocs && !err; j++)
			if (!(locs[j] = copy_location(c, sl[j])))
				err = -ENOMEM;
		struct kiln_labels lab = s->labels;
		lab.comm = copy_str(c, lab.comm);
		int64_t values[KILN_MAX_VALUES] = {0};
		values[dst_col] = src_col < c->src->nvalues ? s->values[src_col] : 0;
		if (!err && kiln_profile_add_sample(c->dst, locs, s->nlocs, &lab, values) < 0)
			err = -ENOMEM;
	}
	free(locs);
	return err;
}

static int merge_one(struct kiln_profile *dst, const struct kiln_profile *src, size_t col,
		     size_t dst_col)
{
	struct copier c = {dst, src, calloc(kiln_profile_nlocations(src) + 1, sizeof(uint32_t))};
	if (!c.loc_map)
		return -ENOMEM;
	int err = copy_samples(&c, col, dst_col);
	free(c.loc_map);
	return err;
}

struct kiln_profile *report_merge_diff(const struct kiln_profile *before,
				       const struct kiln_profile *after, size_t value_col)
{
	struct kiln_profile *q = kiln_profile_new();
	if (!q)
		return NULL;
	const char *unit = value_col < after->nvalues
			       ? kiln_profile_str(after, after->value_types[value_col].unit)
			       : "count";
	if (kiln_profile_add_value_type(q, "before", unit) < 0 ||
	    kiln_profile_add_value_type(q, "after", unit) < 0 ||
	    merge_one(q, before, value_col, 0) || merge_one(q, after, value_col, 1)) {
		kiln_profile_free(q);
		return NULL;
	}
	return q;
}
