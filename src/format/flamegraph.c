#include "format/flamegraph.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile/frames.h"
#include "util/atomic_file.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/vec.h"

/* flamegraph.pl's geometry, so graphs look the same side by side. */
#define XPAD 10.0
#define FRAMEPAD 1.0
#define SEARCH_COLOR "rgb(230,0,230)"

void flamegraph_default_options(struct flamegraph_options *o)
{
	memset(o, 0, sizeof(*o));
	o->nametype = "Function:";
	o->colors = "hot";
	o->width = 1200;
	o->frame_height = 16;
	o->font_size = 12;
	o->font_width = 0.59;
	o->min_width = 0.1;
	o->diff_col = -1;
}

/* ---- names ---- */

struct buf {
	char *s;
	size_t len, cap;
};

static int buf_put(struct buf *b, const char *s, size_t n)
{
	if (VEC_RESERVE(b->s, b->cap, b->len + n + 1))
		return -ENOMEM;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes) that XML allows, 0 if none. */
static size_t utf8_valid(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return c >= 0x20 || c == '\t' ? 1 : 0;
	size_t len = c >= 0xc2 && c <= 0xdf   ? 2
		     : c >= 0xe0 && c <= 0xef ? 3
		     : c >= 0xf0 && c <= 0xf4 ? 4
					      : 0;
	if (!len || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
		return 0; /* overlong, surrogate or beyond U+10FFFF */
	if (c == 0xef && s[1] == 0xbf && (s[2] == 0xbe || s[2] == 0xbf))
		return 0; /* U+FFFE, U+FFFF: not XML characters */
	return len;
}

/* A frame name as folded output writes it (';' and line breaks replaced), made valid XML text:
 * bytes that are not UTF-8 and control characters become U+FFFD, so one odd symbol never
 * makes the whole file unreadable. */
static int put_name(struct buf *b, const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name);
	for (size_t i = 0; i < n;) {
		char c = (char)s[i];
		if (c == ';' || c == '\n' || c == '\r') {
			if (buf_put(b, c == ';' ? ":" : " ", 1))
				return -ENOMEM;
			i++;
			continue;
		}
		size_t len = utf8_valid(s + i, n - i);
		if (!len) {
			if (buf_put(b, "\xef\xbf\xbd", 3))
				return -ENOMEM;
			i++;
			continue;
		}
		if (buf_put(b, name + i, len))
			return -ENOMEM;
		i += len;
	}
	return 0;
}

/* ---- the frame tree ---- */

struct node {
	uint32_t name; /* id in fg.names */
	uint8_t annot;
	uint32_t first_child, last_child, next; /* node indices; 0 is the root, never a child */
	uint32_t depth;
	int64_t value, before, start; /* start: offset in value units from the left edge */
};

struct edge_key {
	uint32_t parent, name;
};

struct fg {
	const struct kiln_profile *p;
	const struct flamegraph_options *o;
	struct intern_table names; /* display names, valid UTF-8 */
	struct intern_table edges; /* merged mode: (parent, name) -> node, ids are node indices */
	struct node *nodes;
	size_t nnodes, nodes_cap;
	uint32_t *fn_names; /* per function id * 4 + annotation: cached name id, 0 = not yet */
	size_t fn_names_len;
	struct kiln_frame *frames;
	size_t frames_cap;
	uint32_t *path; /* name ids of one stack, root first */
	uint8_t *annots;
	size_t path_cap;
	struct buf name;
	/* Layout: drawn nodes in pre-order (a subtree follows its root), which the script
	 * relies on to find ancestors and descendants without geometry. */
	uint32_t *order;
	size_t norder, order_cap;
	uint32_t max_depth;
	size_t elided;	     /* frames too narrow to draw */
	int64_t max_delta;   /* differential: largest |after - before| of a drawn frame */
	double px_per_value; /* pixels per value unit */
	const char *countname;
};

static uint32_t new_node(struct fg *g, uint32_t parent, uint32_t name, uint8_t annot)
{
	if (VEC_RESERVE(g->nodes, g->nodes_cap, g->nnodes + 1))
		return 0;
	uint32_t id = (uint32_t)g->nnodes++;
	g->nodes[id] = (struct node){.name = name, .annot = annot};
	struct node *par = &g->nodes[parent];
	if (par->last_child)
		g->nodes[par->last_child].next = id;
	else
		par->first_child = id;
	par->last_child = id;
	return id;
}

/* The child of parent named name: merged graphs have one per name; flame charts merge only
 * with the latest child, so time order stays. 0 on out of memory. */
static uint32_t child(struct fg *g, uint32_t parent, uint32_t name, uint8_t annot)
{
	if (g->o->flamechart) {
		uint32_t last = g->nodes[parent].last_child;
		if (last && g->nodes[last].name == name)
			return last;
		return new_node(g, parent, name, annot);
	}
	struct edge_key key = {parent, name};
	bool added = false;
	uint32_t id = intern_get(&g->edges, &key, sizeof(key), &added);
	if (!id || !added)
		return id;
	/* Edges are interned in node order, so the new edge's id is the next node's index. */
	uint32_t node = new_node(g, parent, name, annot);
	return node == id ? node : 0;
}

static int add_path(struct fg *g, size_t n, int64_t value, int64_t before)
{
	if (g->o->reverse) {
		for (size_t a = 0, b = n ? n - 1 : 0; a < b; a++, b--) {
			uint32_t t = g->path[a];
			g->path[a] = g->path[b];
			g->path[b] = t;
			uint8_t u = g->annots[a];
			g->annots[a] = g->annots[b];
			g->annots[b] = u;
		}
	}
	uint32_t cur = 0;
	g->nodes[0].value += value;
	g->nodes[0].before += before;
	for (size_t i = 0; i < n; i++) {
		cur = child(g, cur, g->path[i], g->annots[i]);
		if (!cur)
			return -ENOMEM;
		g->nodes[cur].value += value;
		g->nodes[cur].before += before;
	}
	return 0;
}

static uint32_t intern_buf(struct fg *g)
{
	return intern_get(&g->names, g->name.s ? g->name.s : "", g->name.len, NULL);
}

static uint32_t frame_name(struct fg *g, const struct kiln_frame *f)
{
	size_t slot = (size_t)f->function * 4 + (size_t)f->annot;
	if (f->function && slot < g->fn_names_len && g->fn_names[slot])
		return g->fn_names[slot];
	g->name.len = 0;
	if (put_name(&g->name, f->name))
		return 0;
	const char *suffix = g->o->annotate ? kiln_annot_suffix(f->annot) : "";
	if (buf_put(&g->name, suffix, strlen(suffix)))
		return 0;
	uint32_t id = intern_buf(g);
	if (f->function && slot < g->fn_names_len)
		g->fn_names[slot] = id;
	return id;
}

/* stackcollapse-perf.pl's process frame, as folded writes it: "comm", "comm-PID",
 * "comm-PID/TID", '?' for an unknown id, spaces as underscores. */
static uint32_t process_name(struct fg *g, const struct kiln_labels *l)
{
	g->name.len = 0;
	if (put_name(&g->name, l->comm ? kiln_profile_str(g->p, l->comm) : ""))
		return 0;
	for (size_t i = 0; i < g->name.len; i++)
		if (g->name.s[i] == ' ')
			g->name.s[i] = '_';
	char num[32];
	if (g->o->pid || g->o->tid) {
		if (l->pid >= 0)
			snprintf(num, sizeof(num), "-%d", l->pid);
		else
			snprintf(num, sizeof(num), "-?");
		if (buf_put(&g->name, num, strlen(num)))
			return 0;
	}
	if (g->o->tid) {
		if (l->tid >= 0)
			snprintf(num, sizeof(num), "/%d", l->tid);
		else
			snprintf(num, sizeof(num), "/?");
		if (buf_put(&g->name, num, strlen(num)))
			return 0;
	}
	return intern_buf(g);
}

static int add_sample(struct fg *g, const struct kiln_sample *s, int64_t value, int64_t before)
{
	size_t n;
	for (;;) {
		n = kiln_sample_frames(g->p, s, g->frames, g->frames_cap);
		if (n <= g->frames_cap)
			break;
		if (VEC_RESERVE(g->frames, g->frames_cap, n))
			return -ENOMEM;
	}
	size_t need = n + 1;
	if (need > g->path_cap) {
		size_t cap = g->path_cap;
		if (VEC_RESERVE(g->path, cap, need))
			return -ENOMEM;
		uint8_t *a = realloc(g->annots, cap);
		if (!a)
			return -ENOMEM;
		g->annots = a;
		g->path_cap = cap;
	}
	size_t k = 0;
	bool process = g->o->comm || g->o->pid || g->o->tid;
	if (process) {
		g->annots[k] = KILN_ANNOT_NONE;
		if (!(g->path[k++] = process_name(g, &s->labels)))
			return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		g->annots[k] = (uint8_t)g->frames[i].annot;
		if (!(g->path[k++] = frame_name(g, &g->frames[i])))
			return -ENOMEM;
	}
	return add_path(g, k, value, before);
}

static int64_t sample_value(const struct fg *g, const struct kiln_sample *s)
{
	int64_t v = s->values[g->o->value_col];
	return v > 0 ? v : 0; /* widths cannot be negative; flamegraph.pl ignores such lines */
}

static int64_t sample_before(const struct fg *g, const struct kiln_sample *s)
{
	return g->o->diff_col >= 0 ? s->values[g->o->diff_col] : 0;
}

static int build_by_samples(struct fg *g)
{
	for (size_t i = 0; i < g->p->nsamples; i++) {
		const struct kiln_sample *s = &g->p->samples[i];
		int64_t v = sample_value(g, s), b = sample_before(g, s);
		if (!v && !b)
			continue;
		int err = add_sample(g, s, v, b);
		if (err)
			return err;
	}
	return 0;
}

static int compare_events(const void *a, const void *b)
{
	const struct kiln_event *x = *(const struct kiln_event *const *)a;
	const struct kiln_event *y = *(const struct kiln_event *const *)b;
	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	return x < y ? -1 : x > y; /* stable: input order among equal times */
}

/* A flame chart from timestamped events: each event draws its sample's stack with the share
 * of the sample's value its weight stands for (so other columns than the weight's keep their
 * totals); samples without events follow in input order. */
static int build_by_events(struct fg *g)
{
	const struct kiln_profile *p = g->p;
	size_t ns = p->nsamples, ne = p->nevents;
	const struct kiln_event **ev = calloc(ne ? ne : 1, sizeof(*ev));
	int64_t *wsum = calloc(ns ? ns : 1, sizeof(*wsum)),
		*wseen = calloc(ns ? ns : 1, sizeof(*wseen));
	int64_t *given = calloc(ns ? ns : 1, sizeof(*given)),
		*bgiven = calloc(ns ? ns : 1, sizeof(*bgiven));
	int err = ev && wsum && wseen && given && bgiven ? 0 : -ENOMEM;
	size_t m = 0;
	for (size_t i = 0; !err && i < ne; i++) {
		if (p->events[i].sample >= ns || p->events[i].weight <= 0)
			continue;
		ev[m++] = &p->events[i];
		wsum[p->events[i].sample] += p->events[i].weight;
	}
	if (!err && m)
		qsort(ev, m, sizeof(*ev), compare_events);
	for (size_t i = 0; !err && i < m; i++) {
		uint32_t si = ev[i]->sample;
		const struct kiln_sample *s = &p->samples[si];
		wseen[si] += ev[i]->weight;
		/* Cumulative rounding: the parts add up to the sample's value exactly. */
		double share = (double)wseen[si] / (double)wsum[si];
		int64_t v = (int64_t)llround((double)sample_value(g, s) * share) - given[si];
		int64_t b = (int64_t)llround((double)sample_before(g, s) * share) - bgiven[si];
		given[si] += v;
		bgiven[si] += b;
		if (v || b)
			err = add_sample(g, s, v, b);
	}
	for (size_t i = 0; !err && i < ns; i++) {
		const struct kiln_sample *s = &p->samples[i];
		int64_t v = sample_value(g, s), b = sample_before(g, s);
		if (!wsum[i] && (v || b))
			err = add_sample(g, s, v, b);
	}
	free(ev);
	free(wsum);
	free(wseen);
	free(given);
	free(bgiven);
	return err;
}

static int compare_names(const void *a, const void *b, void *arg)
{
	const struct fg *g = arg;
	size_t la, lb;
	const char *x = intern_key(&g->names, g->nodes[*(const uint32_t *)a].name, &la);
	const char *y = intern_key(&g->names, g->nodes[*(const uint32_t *)b].name, &lb);
	int c = memcmp(x, y, la < lb ? la : lb);
	return c ? c : la < lb ? -1 : la > lb;
}

/* Siblings in bytewise name order, like flamegraph.pl's sorted input. */
static int sort_children(struct fg *g)
{
	uint32_t *kids = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < g->nnodes; i++) {
		size_t n = 0;
		for (uint32_t c = g->nodes[i].first_child; c; c = g->nodes[c].next) {
			if (VEC_RESERVE(kids, cap, n + 1)) {
				free(kids);
				return -ENOMEM;
			}
			kids[n++] = c;
		}
		if (n < 2)
			continue;
		qsort_r(kids, n, sizeof(*kids), compare_names, g);
		g->nodes[i].first_child = kids[0];
		g->nodes[i].last_child = kids[n - 1];
		for (size_t k = 0; k + 1 < n; k++)
			g->nodes[kids[k]].next = kids[k + 1];
		g->nodes[kids[n - 1]].next = 0;
	}
	free(kids);
	return 0;
}

/* Assigns positions and depths in pre-order and picks the frames wide enough to draw. */
static int layout(struct fg *g, double min_px)
{
	uint32_t *stack = NULL;
	size_t sp = 0, cap = 0;
	int err = VEC_RESERVE(stack, cap, 1);
	if (!err)
		stack[sp++] = 0;
	while (!err && sp) {
		uint32_t i = stack[--sp];
		struct node *n = &g->nodes[i];
		if (n->value <= 0)
			continue; /* differential: gone in "after", it still counts in its parents
				   */
		if (i && (double)n->value * g->px_per_value < min_px) {
			g->elided++; /* its subtree is narrower still; those count too */
			for (uint32_t c = n->first_child; c; c = g->nodes[c].next)
				if (!(err = VEC_RESERVE(stack, cap, sp + 1)))
					stack[sp++] = c;
				else
					break;
			continue;
		}
		if (VEC_RESERVE(g->order, g->order_cap, g->norder + 1)) {
			err = -ENOMEM;
			break;
		}
		g->order[g->norder++] = i;
		if (n->depth > g->max_depth)
			g->max_depth = n->depth;
		int64_t delta = n->value - n->before;
		if (delta < 0)
			delta = -delta;
		if (delta > g->max_delta)
			g->max_delta = delta;
		size_t first = sp;
		int64_t start = n->start;
		for (uint32_t c = n->first_child; c; c = g->nodes[c].next) {
			if ((err = VEC_RESERVE(stack, cap, sp + 1)))
				break;
			g->nodes[c].start = start;
			g->nodes[c].depth = n->depth + 1;
			start += g->nodes[c].value;
			stack[sp++] = c;
		}
		/* Reversed, so the first child comes off the stack first. */
		for (size_t a = first, b = sp ? sp - 1 : 0; a < b; a++, b--) {
			uint32_t t = stack[a];
			stack[a] = stack[b];
			stack[b] = t;
		}
	}
	free(stack);
	return err;
}

/* ---- colors (flamegraph.pl's palettes and --hash, so a function keeps its color across
 * graphs and tools) ---- */

static double name_hash(const char *s, size_t len, bool reversed)
{
#define AT(i) ((unsigned char)s[reversed ? len - 1 - (i) : (i)])
	/* A "module`function" name is hashed by its function part. */
	size_t from = 0;
	for (size_t i = 1; i < len; i++)
		if (AT(i) == '`') {
			from = i + 1;
			break;
		}
	double vector = 0, weight = 1, max = 1;
	unsigned mod = 10;
	for (size_t i = from; i < len && mod <= 12; i++, mod++) {
		vector += (double)(AT(i) % mod) / (double)(mod - 1) * weight;
		max += weight;
		weight *= 0.70;
	}
#undef AT
	return 1 - vector / max;
}

struct rgb {
	int r, g, b;
};

static bool has(const char *s, const char *needle)
{
	return strstr(s, needle) != NULL;
}

static bool java_package(const char *s)
{
	static const char *const pkgs[] = {"java/", "javax/", "jdk/", "net/",
					   "org/",  "com/",   "io/",  "sun/"};
	if (*s == 'L')
		s++;
	for (size_t i = 0; i < sizeof(pkgs) / sizeof(pkgs[0]); i++)
		if (!strncmp(s, pkgs[i], strlen(pkgs[i])))
			return true;
	return false;
}

/* A language palette picks a hue by what the frame is (flamegraph.pl's rules, with kiln's
 * frame annotations in place of matching the _[j] _[i] _[k] suffixes). */
static const char *language_hue(const char *palette, const char *name, enum kiln_annot a)
{
	if (!strcmp(palette, "java")) {
		if (a == KILN_ANNOT_JIT)
			return "green";
		if (a == KILN_ANNOT_INLINE)
			return "aqua";
		if (java_package(name) || has(name, ":::"))
			return "green";
		if (has(name, "::"))
			return "yellow";
		return a == KILN_ANNOT_KERNEL ? "orange" : "red";
	}
	if (!strcmp(palette, "js")) {
		if (a == KILN_ANNOT_JIT)
			return has(name, "/") ? "green" : "aqua";
		if (has(name, "::"))
			return "yellow";
		const char *slash = strchr(name, '/');
		if (slash && has(slash, ".js"))
			return "green";
		if (has(name, ":"))
			return "aqua";
		if (!strcmp(name, " "))
			return "green";
		return a == KILN_ANNOT_KERNEL ? "orange" : "red";
	}
	if (!strcmp(palette, "perl")) {
		if (has(name, "::"))
			return "yellow";
		if (has(name, "Perl") || has(name, ".pl"))
			return "green";
		return a == KILN_ANNOT_KERNEL ? "orange" : "red";
	}
	return palette;
}

static const char *const palettes[] = {"hot",	"mem",	"io",	"java",	  "js",	    "perl",  "red",
				       "green", "blue", "aqua", "yellow", "purple", "orange"};
#define NPALETTES (sizeof(palettes) / sizeof(palettes[0]))

bool flamegraph_palette_valid(const char *name)
{
	for (size_t i = 0; i < NPALETTES; i++)
		if (!strcmp(name, palettes[i]))
			return true;
	return false;
}

const char *flamegraph_palette_names(void)
{
	static char buf[128];
	if (!buf[0])
		for (size_t i = 0; i < NPALETTES; i++)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
				 i ? ", " : "", palettes[i]);
	return buf;
}

static struct rgb palette_color(const char *palette, const char *name, enum kiln_annot annot,
				const char *base, size_t base_len)
{
	double v1 = name_hash(base, base_len, false);
	double v2 = name_hash(base, base_len, true), v3 = v2;
	if (!strcmp(palette, "hot"))
		return (struct rgb){205 + (int)(50 * v3), (int)(230 * v1), (int)(55 * v2)};
	if (!strcmp(palette, "mem"))
		return (struct rgb){0, 190 + (int)(50 * v2), (int)(210 * v1)};
	if (!strcmp(palette, "io")) {
		int x = 80 + (int)(60 * v1);
		return (struct rgb){x, x, 190 + (int)(55 * v2)};
	}
	const char *hue = language_hue(palette, name, annot);
	if (!strcmp(hue, "red")) {
		int x = 50 + (int)(80 * v1);
		return (struct rgb){200 + (int)(55 * v1), x, x};
	}
	if (!strcmp(hue, "green")) {
		int x = 50 + (int)(60 * v1);
		return (struct rgb){x, 200 + (int)(55 * v1), x};
	}
	if (!strcmp(hue, "blue")) {
		int x = 80 + (int)(60 * v1);
		return (struct rgb){x, x, 205 + (int)(50 * v1)};
	}
	if (!strcmp(hue, "yellow")) {
		int x = 175 + (int)(55 * v1);
		return (struct rgb){x, x, 50 + (int)(20 * v1)};
	}
	if (!strcmp(hue, "purple")) {
		int x = 190 + (int)(65 * v1);
		return (struct rgb){x, 80 + (int)(60 * v1), x};
	}
	if (!strcmp(hue, "aqua"))
		return (struct rgb){50 + (int)(60 * v1), 165 + (int)(55 * v1),
				    165 + (int)(55 * v1)};
	if (!strcmp(hue, "orange"))
		return (struct rgb){190 + (int)(65 * v1), 90 + (int)(65 * v1), 0};
	return (struct rgb){0, 0, 0};
}

/* Differential: red grew, blue shrank, white unchanged, saturated at the largest change. */
static struct rgb delta_color(const struct fg *g, int64_t delta)
{
	struct rgb c = {255, 255, 255};
	if (g->o->negate)
		delta = -delta;
	if (!g->max_delta || !delta)
		return c;
	double mag = (double)(delta < 0 ? -delta : delta) / (double)g->max_delta;
	int shade = (int)(210 * (1 - mag));
	if (delta > 0)
		c.g = c.b = shade;
	else
		c.r = c.g = shade;
	return c;
}

static struct rgb node_color(const struct fg *g, const struct node *n, const char *name, size_t len)
{
	if (g->o->diff_col >= 0)
		return delta_color(g, n->value - n->before);
	if (!strcmp(name, "--"))
		return (struct rgb){160, 160, 160}; /* stack separators of stackcollapse tools */
	if (!strcmp(name, "-"))
		return (struct rgb){200, 200, 200};
	/* Hashed without the annotation, so --annotate does not change a function's color. */
	size_t base = len;
	if (g->o->annotate && n->annot != KILN_ANNOT_NONE) {
		size_t sl = strlen(kiln_annot_suffix((enum kiln_annot)n->annot));
		base = len >= sl ? len - sl : len;
	}
	return palette_color(g->o->colors, name, (enum kiln_annot)n->annot, name, base);
}

/* ---- SVG text ---- */

static void put_escaped(FILE *f, const char *s, size_t len)
{
	const char *run = s, *end = s + len;
	for (const char *c = s; c < end; c++) {
		const char *rep = *c == '&'    ? "&amp;"
				  : *c == '<'  ? "&lt;"
				  : *c == '>'  ? "&gt;"
				  : *c == '"'  ? "&quot;"
				  : *c == '\'' ? "&#39;"
					       : NULL;
		if (!rep)
			continue;
		fwrite(run, 1, (size_t)(c - run), f);
		fputs(rep, f);
		run = c + 1;
	}
	fwrite(run, 1, (size_t)(end - run), f);
}

/* Option text (titles) is the user's: made valid XML like frame names. */
static int put_text(FILE *f, const char *s)
{
	struct buf b = {0};
	int err = put_name(&b, s);
	if (!err)
		put_escaped(f, b.s ? b.s : "", b.len);
	free(b.s);
	return err;
}

static void put_count(FILE *f, int64_t v)
{
	char digits[32], out[48];
	int n = snprintf(digits, sizeof(digits), "%lld", (long long)(v < 0 ? -v : v));
	size_t k = 0;
	if (v < 0)
		out[k++] = '-';
	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			out[k++] = ',';
		out[k++] = digits[i];
	}
	fwrite(out, 1, k, f);
}

static size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/* Bytes of the first `chars` characters of s. */
static size_t utf8_prefix(const char *s, size_t len, size_t chars)
{
	size_t i = 0;
	for (size_t seen = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && seen++ == chars)
			break;
	}
	return i;
}

/* The label that fits a frame, by flamegraph.pl's estimate of character width (the script
 * computes the same when zooming). Frames too narrow for one get no text element at all: most
 * frames of a big graph are narrow, and fewer elements load and zoom faster. */
static void put_label(FILE *f, const struct fg *g, const char *name, size_t len, double x, double y,
		      double w)
{
	double chars = floor(w / (g->o->font_size * g->o->font_width));
	if (chars < 3)
		return;
	fprintf(f, "<text x=\"%.8g\" y=\"%.6g\">", x + 3,
		y + (g->o->frame_height - FRAMEPAD) / 2 + 3);
	size_t have = utf8_chars(name, len);
	if ((double)have <= chars) {
		put_escaped(f, name, len);
	} else {
		put_escaped(f, name, utf8_prefix(name, len, (size_t)chars - 2));
		fputs("..", f);
	}
	fputs("</text>", f);
}

static void put_title(FILE *f, const struct fg *g, const struct node *n, const char *name,
		      size_t len, int64_t total)
{
	put_escaped(f, name, len);
	fputs(" (", f);
	put_count(f, n->value);
	fprintf(f, " ");
	put_text(f, g->countname);
	fprintf(f, ", %.2f%%", total ? 100.0 * (double)n->value / (double)total : 0.0);
	if (g->o->diff_col >= 0) {
		int64_t delta = n->value - n->before;
		if (g->o->negate)
			delta = -delta;
		fputs("; before ", f);
		put_count(f, n->before);
		fprintf(f, ", %+.2f%%", total ? 100.0 * (double)delta / (double)total : 0.0);
	}
	fputs(")", f);
}

struct geometry {
	double width, height, full;
	double ypad1, ypad2;
	double y0, dy; /* top of the rect at depth 0, and per depth */
};

static void geometry(const struct fg *g, struct geometry *geo)
{
	const struct flamegraph_options *o = g->o;
	double fs = o->font_size;
	geo->width = o->width;
	geo->full = o->width - 2 * XPAD;
	geo->ypad1 = fs * 3 + (o->subtitle ? fs * 2 : 0);
	geo->ypad2 = fs * 2 + 10;
	geo->height = (g->max_depth + 1) * o->frame_height + geo->ypad1 + geo->ypad2;
	if (o->inverted) {
		geo->y0 = geo->ypad1;
		geo->dy = o->frame_height;
	} else {
		geo->y0 = geo->height - geo->ypad2 - o->frame_height + FRAMEPAD;
		geo->dy = -o->frame_height;
	}
}

static const char *background(const struct fg *g, const char **top)
{
	const char *c = g->o->colors;
	if (g->o->diff_col >= 0) {
		*top = "#f8f8f8";
		return "#e8e8e8";
	}
	if (!strcmp(c, "mem")) {
		*top = "#eeeeee";
		return "#e0e0ff";
	}
	if (!strcmp(c, "io")) {
		*top = "#f8f8f8";
		return "#e8e8e8";
	}
	*top = "#eeeeee";
	return "#eeeeb0";
}

extern const char flamegraph_script[];

static void put_header(FILE *f, const struct fg *g, const struct geometry *geo)
{
	const struct flamegraph_options *o = g->o;
	const char *top, *bottom = background(g, &top);
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
		"xmlns=\"http://www.w3.org/2000/svg\">\n",
		geo->width, geo->height, geo->width, geo->height);
	fprintf(
	    f,
	    "<!-- Flame graph written by kiln: %zu frames drawn, %zu frames narrower than the "
	    "minimum width left out (their samples still count in their parents). Click a frame "
	    "to zoom, Ctrl-F to search. -->\n",
	    g->norder, g->elided);
	fprintf(f,
		"<defs><linearGradient id=\"background\" y1=\"0\" y2=\"1\" x1=\"0\" x2=\"0\">"
		"<stop stop-color=\"%s\" offset=\"5%%\"/><stop stop-color=\"%s\" offset=\"95%%\"/>"
		"</linearGradient></defs>\n",
		top, bottom);
	fprintf(f,
		"<style type=\"text/css\">\n"
		"text { font-family: Verdana, 'DejaVu Sans', sans-serif; font-size: %.6gpx; "
		"fill: rgb(0,0,0); }\n"
		"#title { text-anchor: middle; font-size: %.6gpx; }\n"
		"#subtitle { text-anchor: middle; fill: rgb(160,160,160); }\n"
		"#search, #ignorecase { opacity: 0.1; cursor: pointer; }\n"
		"#search:hover, #search.show, #ignorecase:hover, #ignorecase.show { opacity: 1; }\n"
		"#unzoom { cursor: pointer; }\n"
		"#matched { text-anchor: end; }\n"
		"#frames > g:hover > rect, #zoomed > g:hover > rect { stroke: black; "
		"stroke-width: 0.5; }\n"
		"#frames > g, #zoomed > g { cursor: pointer; }\n"
		".hide { display: none; }\n"
		".parent { opacity: 0.5; }\n"
		"</style>\n",
		o->font_size, o->font_size + 5);
	fprintf(
	    f, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"url(#background)\"/>\n",
	    geo->width, geo->height);
	fprintf(f, "<text id=\"title\" x=\"%.2f\" y=\"%.2f\">", geo->width / 2, o->font_size * 2);
	const char *title = o->title	    ? o->title
			    : o->flamechart ? "Flame Chart"
			    : o->inverted   ? "Icicle Graph"
					    : "Flame Graph";
	put_text(f, title);
	fputs("</text>\n", f);
	if (o->subtitle) {
		fprintf(f, "<text id=\"subtitle\" x=\"%.2f\" y=\"%.2f\">", geo->width / 2,
			o->font_size * 4);
		put_text(f, o->subtitle);
		fputs("</text>\n", f);
	}
	double bottom_y = geo->height - geo->ypad2 / 2;
	fprintf(f, "<text id=\"details\" x=\"%.2f\" y=\"%.2f\"> </text>\n", XPAD, bottom_y);
	fprintf(f, "<text id=\"unzoom\" class=\"hide\" x=\"%.2f\" y=\"%.2f\">Reset Zoom</text>\n",
		XPAD, o->font_size * 2);
	fprintf(f, "<text id=\"search\" x=\"%.2f\" y=\"%.2f\">Search</text>\n",
		geo->width - XPAD - 100, o->font_size * 2);
	fprintf(f, "<text id=\"ignorecase\" x=\"%.2f\" y=\"%.2f\">ic</text>\n",
		geo->width - XPAD - 16, o->font_size * 2);
	fprintf(f, "<text id=\"matched\" x=\"%.2f\" y=\"%.2f\"> </text>\n", geo->width - XPAD,
		bottom_y);
}

static void put_frames(FILE *f, const struct fg *g, const struct geometry *geo)
{
	const struct flamegraph_options *o = g->o;
	int64_t total = g->nodes[0].value;
	fprintf(f,
		"<g id=\"frames\" data-xpad=\"%.6g\" data-width=\"%.6g\" data-font-size=\"%.6g\" "
		"data-font-width=\"%.6g\" data-y0=\"%.6g\" data-dy=\"%.6g\" "
		"data-search-color=\"%s\" data-nametype=\"",
		XPAD, geo->width, o->font_size, o->font_width, geo->y0, geo->dy, SEARCH_COLOR);
	put_text(f, o->nametype);
	fputs("\" data-countname=\"", f);
	put_text(f, g->countname);
	fprintf(f, "\" data-elided=\"%zu\">\n", g->elided);
	for (size_t k = 0; k < g->norder; k++) {
		const struct node *n = &g->nodes[g->order[k]];
		size_t len;
		const char *name = k ? intern_key(&g->names, n->name, &len) : "all";
		if (!k)
			len = 3;
		double x = XPAD + (double)n->start * g->px_per_value;
		double w = (double)n->value * g->px_per_value;
		double y = geo->y0 + n->depth * geo->dy;
		struct rgb c = node_color(g, n, name, len);
		fputs("<g><title>", f);
		put_title(f, g, n, name, len, total);
		fprintf(f,
			"</title><rect x=\"%.8g\" y=\"%.6g\" width=\"%.8g\" height=\"%.6g\" "
			"fill=\"rgb(%d,%d,%d)\" rx=\"2\" ry=\"2\"/>",
			x, y, w, o->frame_height - FRAMEPAD, c.r, c.g, c.b);
		put_label(f, g, name, len, x, y, w);
		fputs("</g>\n", f);
	}
	fputs("</g>\n", f);
}

static int check_options(const struct kiln_profile *p, const struct flamegraph_options *o)
{
	if (o->value_col >= p->nvalues && !(o->value_col == 0 && p->nvalues == 0)) {
		kiln_error("flame graph: the profile has no value column %zu", o->value_col);
		return -EINVAL;
	}
	if (o->diff_col >= 0 && (size_t)o->diff_col >= p->nvalues) {
		kiln_error("flame graph: the profile has no \"before\" column %ld", o->diff_col);
		return -EINVAL;
	}
	if (!o->colors || !flamegraph_palette_valid(o->colors)) {
		kiln_error("unknown flame graph palette '%s'; use one of: %s",
			   o->colors ? o->colors : "", flamegraph_palette_names());
		return -EINVAL;
	}
	if (!(o->width >= 100 && o->width <= 1e6) || !(o->frame_height >= 1) ||
	    !(o->frame_height <= 1000) || !(o->font_size > 0 && o->font_size <= 1000) ||
	    !(o->font_width > 0 && o->font_width <= 10) || !(o->min_width >= 0) ||
	    (o->min_width_pct && o->min_width > 100)) {
		kiln_error("flame graph: width 100..1000000, frame height 1..1000, font size "
			   "above 0 and minimum width 0 or more (0..100%%) are what make sense");
		return -EINVAL;
	}
	return 0;
}

/* What a count is: "samples", or the unit of a column that measures something else. */
static const char *default_countname(const struct kiln_profile *p, size_t col)
{
	if (col >= p->nvalues)
		return "samples";
	const char *unit = kiln_profile_str(p, p->value_types[col].unit);
	if (!unit || !*unit || !strcmp(unit, "count"))
		return "samples";
	return unit;
}

static void fg_free(struct fg *g)
{
	intern_free(&g->names);
	intern_free(&g->edges);
	free(g->nodes);
	free(g->fn_names);
	free(g->frames);
	free(g->path);
	free(g->annots);
	free(g->name.s);
	free(g->order);
}

static int build(struct fg *g)
{
	g->fn_names_len = (kiln_profile_nfunctions(g->p) + 1) * 4;
	g->fn_names = calloc(g->fn_names_len, sizeof(*g->fn_names));
	if (!g->fn_names || VEC_RESERVE(g->nodes, g->nodes_cap, 1))
		return -ENOMEM;
	g->nodes[0] = (struct node){0};
	g->nnodes = 1;
	/* Only a flame chart cares about time; without events, input order stands for it. */
	int err = g->o->flamechart && g->p->nevents ? build_by_events(g) : build_by_samples(g);
	if (!err && !g->o->flamechart)
		err = sort_children(g);
	if (err)
		return err;
	int64_t total = g->nodes[0].value;
	double full = g->o->width - 2 * XPAD;
	g->px_per_value = total > 0 ? full / (double)total : 0;
	double min_px = g->o->min_width_pct ? full * g->o->min_width / 100 : g->o->min_width;
	return layout(g, min_px);
}

int flamegraph_write(const struct kiln_profile *p, FILE *out, const struct flamegraph_options *o)
{
	int err = check_options(p, o);
	if (err)
		return err;
	struct fg g = {.p = p, .o = o};
	g.countname = o->countname ? o->countname : default_countname(p, o->value_col);
	intern_init(&g.names);
	intern_init(&g.edges);
	err = build(&g);
	if (!err) {
		struct geometry geo;
		geometry(&g, &geo);
		put_header(out, &g, &geo);
		if (g.nodes[0].value > 0)
			put_frames(out, &g, &geo);
		else
			fprintf(out,
				"<g id=\"frames\"></g>\n<text x=\"%.2f\" y=\"%.2f\" "
				"style=\"text-anchor: middle\">No samples in this profile</text>\n",
				geo.width / 2, geo.height - geo.ypad2 - o->frame_height / 2);
		fputs("<script type=\"text/ecmascript\"><![CDATA[\n", out);
		fputs(flamegraph_script, out);
		fputs("]]></script>\n</svg>\n", out);
		if (fflush(out) || ferror(out))
			err = errno ? -errno : -EIO;
	}
	fg_free(&g);
	return err;
}

struct flamegraph_job {
	const struct kiln_profile *p;
	const struct flamegraph_options *o;
};

static int flamegraph_job_write(FILE *out, void *arg)
{
	const struct flamegraph_job *j = arg;
	return flamegraph_write(j->p, out, j->o);
}

int flamegraph_write_file(const struct kiln_profile *p, const char *path,
			  const struct flamegraph_options *o)
{
	struct flamegraph_job job = {p, o};
	int err = atomic_write_file(path, flamegraph_job_write, &job);
	/* Option errors (-EINVAL) were explained already. */
	if (err && err != -EINVAL)
		kiln_error("cannot write %s: %s", path, strerror(-err));
	return err;
}
