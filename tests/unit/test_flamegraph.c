/* SVG flame graphs: frame geometry and counts, escaping, min-width elision, inverted/reversed
 * graphs, flame charts, differential colors, palettes, and that the stacks drawn are exactly
 * the folded writer's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/flamegraph.h"
#include "format/folded.h"

#define FULL 1180.0 /* default width 1200 less the two 10-pixel margins */

/* Adds `count` (and `count2` in the second column) samples of the stack "a;b;c", root first.
 * A name ending in "_[k]" becomes a kernel frame, "_[j]" a JIT frame; "x+y" is one location
 * where y was inlined into x. */
static long add_stack2(struct kiln_profile *p, const char *stack, int64_t count, int64_t count2)
{
	uint32_t locs[64];
	uint32_t n = 0;
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", stack);
	for (char *save, *tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		enum kiln_frame_kind kind = KILN_FRAME_USER;
		size_t len = strlen(tok);
		if (len > 4 && !strcmp(tok + len - 4, "_[k]"))
			kind = KILN_FRAME_KERNEL, tok[len - 4] = 0;
		else if (len > 4 && !strcmp(tok + len - 4, "_[j]"))
			kind = KILN_FRAME_JIT, tok[len - 4] = 0;
		struct kiln_line lines[2];
		uint32_t nl = 0;
		char *plus = strchr(tok, '+');
		if (plus) {
			*plus = 0;
			lines[nl++] = (struct kiln_line){
			    kiln_profile_function_named(p, plus + 1, strlen(plus + 1)), 0};
		}
		lines[nl++] =
		    (struct kiln_line){kiln_profile_function_named(p, tok, strlen(tok)), 0};
		locs[n] = kiln_profile_location(p, 0, 0x1000 + n, kind, lines, nl);
		n++;
	}
	for (uint32_t i = 0; i < n / 2; i++) {
		uint32_t t = locs[i];
		locs[i] = locs[n - 1 - i];
		locs[n - 1 - i] = t;
	}
	struct kiln_labels lab = {42, 43, kiln_profile_intern_cstr(p, "my app")};
	int64_t v[KILN_MAX_VALUES] = {count, count2};
	long idx = kiln_profile_add_sample(p, locs, n, &lab, v);
	assert_true(idx >= 0);
	return idx;
}

static long add_stack(struct kiln_profile *p, const char *stack, int64_t count)
{
	return add_stack2(p, stack, count, count);
}

static struct kiln_profile *new_profile(void)
{
	struct kiln_profile *p = kiln_profile_new();
	assert_non_null(p);
	kiln_profile_add_value_type(p, "samples", "count");
	return p;
}

static char *render(const struct kiln_profile *p, const struct flamegraph_options *o, int *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	*err = flamegraph_write(p, f, o);
	fclose(f);
	return text;
}

static char *svg_of(const struct kiln_profile *p, const struct flamegraph_options *o)
{
	int err;
	char *text = render(p, o, &err);
	assert_int_equal(err, 0);
	return text;
}

/* ---- reading the frames back ---- */

struct frame {
	char name[512];
	int64_t count, before;
	bool diff;
	double x, y, w;
	int r, g, b;
	char label[256];
};

static void unescape(const char *s, size_t n, char *out, size_t cap)
{
	static const char *const ents[][2] = {
	    {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&quot;", "\""}, {"&#39;", "'"}};
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < cap;) {
		bool done = false;
		for (size_t e = 0; e < 5 && !done; e++) {
			size_t el = strlen(ents[e][0]);
			if (i + el <= n && !memcmp(s + i, ents[e][0], el)) {
				out[k++] = ents[e][1][0];
				i += el;
				done = true;
			}
		}
		if (!done) {
			assert_true(s[i] != '<' && s[i] != '>' && s[i] != '"');
			out[k++] = s[i++];
		}
	}
	out[k] = 0;
}

static double attr(const char *tag, const char *name)
{
	char key[32];
	snprintf(key, sizeof(key), " %s=\"", name);
	const char *a = strstr(tag, key);
	assert_non_null(a);
	return strtod(a + strlen(key), NULL);
}

/* The frames of an SVG in document order. */
static size_t parse_frames(const char *svg, struct frame *out, size_t max)
{
	size_t n = 0;
	for (const char *s = strstr(svg, "<g><title>"); s; s = strstr(s, "<g><title>")) {
		assert_true(n < max);
		struct frame *f = &out[n++];
		memset(f, 0, sizeof(*f));
		s += strlen("<g><title>");
		const char *end = strstr(s, "</title>");
		assert_non_null(end);
		char title[512];
		unescape(s, (size_t)(end - s), title, sizeof(title));
		char *paren = strrchr(title, '(');
		while (paren && paren > title && paren[-1] != ' ')
			paren = NULL;
		assert_non_null(paren);
		paren[-1] = 0;
		snprintf(f->name, sizeof(f->name), "%s", title);
		char digits[64];
		size_t k = 0;
		const char *c = paren + 1;
		for (; *c && *c != ' '; c++)
			if (*c != ',')
				digits[k++] = *c;
		digits[k] = 0;
		f->count = strtoll(digits, NULL, 10);
		const char *b = strstr(paren, "; before ");
		if (b) {
			f->diff = true;
			k = 0;
			for (c = b + 9; *c && *c != ','; c++)
				if (*c != ',')
					digits[k++] = *c;
			digits[k] = 0;
			f->before = strtoll(digits, NULL, 10);
		}
		const char *rect = strstr(end, "<rect");
		f->x = attr(rect, "x");
		f->y = attr(rect, "y");
		f->w = attr(rect, "width");
		const char *fill = strstr(rect, "fill=\"rgb(");
		assert_non_null(fill);
		assert_int_equal(sscanf(fill, "fill=\"rgb(%d,%d,%d)", &f->r, &f->g, &f->b), 3);
		const char *gend = strstr(rect, "</g>");
		assert_non_null(gend);
		const char *text = strstr(rect, "<text");
		if (text && text < gend) {
			text = strchr(text, '>') + 1;
			const char *tend = strstr(text, "</text>");
			unescape(text, (size_t)(tend - text), f->label, sizeof(f->label));
		}
		s = gend;
	}
	return n;
}

static const struct frame *find(const struct frame *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i].name, name))
			return &f[i];
	return NULL;
}

static void widths_and_counts(void **state)
{
	(void)state;
	struct kiln_profile *p = new_profile();
	add_stack(p, "main;work;hot", 60);
	add_stack(p, "main;work;cold", 20);
	add_stack(p, "main;other", 20);
	struct flamegraph_options o;
	flamegraph_default_options(&o);
	char *svg = svg_of(p, &o);
	struct frame f[16];
	size_t n = parse_frames(svg, f, 16);
	assert_int_equal(n, 6);
	/* Pre-order, siblings by name: all, main, other, work, cold, hot. */
	const char *order[] = {"all", "main", "other", "work", "cold", "hot"};
	for (size_t i = 0; i < n; i++)
		assert_string_equal(f[i].name, order[i]);
	assert_int_equal(f[0].count, 100);
	assert_true(fabs(f[0].w - FULL) < 1e-3 && fabs(f[0].x - 10) < 1e-3);
	const struct frame *hot = find(f, n, "hot"), *cold = find(f, n, "cold");
	const struct frame *work = find(f, n, "work"), *other = find(f, n, "other");
	assert_int_equal(hot->count, 60);
	assert_int_equal(work->count, 80);
	assert_true(fabs(hot->w - 0.6 * FULL) < 1e-3);
	assert_true(fabs(other->x - 10) < 1e-3);
	assert_true(fabs(work->x - (10 + 0.2 * FULL)) < 1e-3);
	assert_true(fabs(cold->x - work->x) < 1e-3);
	assert_true(fabs(hot->x - (cold->x + cold->w)) < 1e-3);
	/* Flame: the root at the bottom, each level one frame height (16) above. */
	assert_true(fabs(find(f, n, "main")->y - (f[0].y - 16)) < 1e-6);
	assert_true(fabs(hot->y - (f[0].y - 48)) < 1e-6);
	assert_non_null(strstr(svg, "<title>hot (60 samples, 60.00%)</title>"));
	assert_non_null(strstr(svg, ">Flame Graph</text>"));
	/* Self-contained: an inline script and no reference that would load anything. */
	assert_non_null(strstr(svg, "<script type=\"text/ecmascript\"><![CDATA["));
	assert_null(strstr(svg, "href="));
	assert_null(strstr(svg, "<!DOCTYPE"));
	free(svg);
	kiln_profile_free(p);
}

static void big_counts_and_labels(void **state)
{
	(void)state;
	struct kiln_profile *p = new_profile();
	add_stack(p, "main;a_function_with_a_rather_long_name_that_will_not_fit", 1234567);
	add_stack(p, "main;b", 8765433);
	struct flamegraph_options o;
	flamegraph_default_options(&o);
	o.countname = "ns";
	char *svg = svg_of(p, &o);
	assert_non_null(strstr(svg, "<title>all (10,000,000 ns, 100.00%)</title>"));
	struct frame f[8];
	size_t n = parse_frames(svg, f, 8);
	const struct frame *a = find(f, n, "a_function_with_a_rather_long_name_that_will_not_fit");
	assert_non_null(a);
	/* 145.7 px at 12 * 0.59 px a character: 20 characters, the last two "..". */
	assert_string_equal(a->label, "a_function_with_a_..");
	assert_string_equal(find(f, n, "b")->label, "b");
	free(svg);
	kiln_profile_free(p);
}

static void names_are_escaped(void **state)
{
	(void)state;
	struct kiln_profile *p = new_profile();
	add_stack(p, "main;std::vector<int>::push_back(int const&);say \"hi\" & 'bye'", 10);
	add_stack(p, "main;bad\xff\x01utf8", 10);
	struct flamegraph_options o;
	flamegraph_default_options(&o);
	o.title = "<script>alert(1)</script>";
	o.subtitle = "a & b";
	char *svg = svg_of(p, &o);
	assert_null(strstr(svg, "<script>alert"));
	assert_non_null(strstr(svg, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(svg, ">a &amp; b</text>"));
	assert_non_null(strstr(svg, "std::vector&lt;int&gt;::push_back(int const&amp;)"));
	assert_non_null(strstr(svg, "say &quot;hi&quot; &amp; &#39;bye&#39;"));
	/* Bytes that are not UTF-8 and control characters would make the file unreadable. */
	assert_null(strchr(svg, '\xff'));
	assert_null(strchr(svg, '\x01'));
	assert_non_null(strstr(svg, "bad\xef\xbf\xbd\xef\xbf\xbdutf8"));
	struct frame f[8];
	size_t n = parse_frames(svg, f, 8);
	assert_non_null(find(f, n, "say \"hi\" & 'bye'"));
	free(svg);
	kiln_profile_free(p);
}

static void narrow_frames_are_elided(void **state)
{
	(void)state;
	struct kiln_profile *p = new_profile();
	add_stack(p, "main;big;leaf", 100000);
	add_stack(p, "main;mini;deeper", 5); /* 0.059 px: under the 0.1 px default */
	add_stack(p, "main;small", 20);	     /* 0.236 px: drawn */
	struct flamegraph_options o;
	flamegraph_default_options(&o);
	char *svg = svg_of(p, &o);
	struct frame f[16];
	size_t n = parse_frames(svg, f, 16);
	assert_null(find(f, n, "mini"));
	assert_null(find(f, n, "deeper"));
	assert_non_null(find(f, n, "small"));
	/* Left out, but still counted where they belong. */
	assert_int_equal(find(f, n, "main")->count, 100025);
	assert_int_equal(f[0].count, 100025);
	assert_non_null(strstr(svg, "data-elided=\"2\""));
	/* The frame after the elided one keeps its place: the elided width stays a gap. */
	const struct frame *big = find(f, n, "big"), *small = find(f, n, "small");
	assert_true(fabs(small->x - (big->x + big->w + 5 * FULL / 100025)) < 1e-3);
	free(svg);

	/* In percent of the total: 0.1% leaves out "small" (0.02%) too. */
	o.min_width = 0.1;
	o.min_width_pct = true;
	svg = svg_of(p, &o);
	n = parse_frames(svg, f, 16);
	assert_null(find(f, n, "small"));
	assert_non_null(strstr(svg, "data-elided=\"3\""));
	free(svg);

	o.min_width = 0;
	o.min_width_pct = false;
	svg = svg_of(p, &o);
	n = parse_frames(svg, f, 16);
	assert_non_null(find(f, n, "deeper"));
	assert_non_null(strstr(svg, "data-elided=\"0\""));
	free(svg);
	kiln_profile_free(p);
}

static void inverted_and_reversed(void **state)
{
	(void)state;
	struct kiln_profile *p = new_profile();
	add_stack(p, "main;work;hot", 30);
	add_stack(p, "main;play;hot", 10);
	add_stack(p, "main;work;cold", 10);
	struct flamegraph_options o;
	flamegraph_default_options(&o);
	o.inverted = true;
	char *svg = svg_of(p, &o);
	struct frame f[16];
	size_t n = parse_frames(svg, f, 16);
	/* Icicle: the root at the top (below the 36-pixel title band), deeper frames lower. */
	assert_true(fabs(f[0].y - 36) < 1e-6);
	assert_true(fabs(find(f, n, "main")->y - 52) < 1e-6);
	assert_non_null(strstr(svg, ">Icicle Graph</text>"));
	free(svg);

	o.inverted = false;
	o.reverse = true;
	svg = svg_of(p, &o);
	n = parse_frames(svg, f, 16);
	/* Leaves are roots now: all, cold, hot (40), and main at the top of every stack. */
	assert_int_equal(n, 9);
	assert_string_equal(f[1].name, "cold");
	assert_string_equal(f[4].name, "hot");
	assert_int_equal(f[4].count, 40);
	assert_string_equal(f[5].name, "play");
	assert_string_equal(f[7].name, "work");
	assert_int_equal(f[7].count, 30);
	assert_string_equal(f[8].name, "main");
	assert_true(f[8].y < f[7].y);
	free(svg);
	kiln_profile_free(p);
}

static void flame_chart_keeps_time_order(void **state)
{
	(void)state;
	struct kiln_profile *p = new_profile();
	long a = add_stack(p, "main;a", 3);
	long b = add_stack(p, "main;b", 1);
	struct flamegraph_options o;
	flamegraph_default_options(&o);
	o.flamechart = true;
	/* Without timestamps: input order, a then b. */
	char *svg = svg_of(p, &o);
	struct frame f[16];
	size_t n = parse_frames(svg, f, 16);
	assert_int_equal(n, 4);
	assert_string_equal(f[2].name, "a");
	assert_string_equal(f[3].name, "b");
	assert_non_null(strstr(svg, ">Flame Chart</text>"));
	free(svg);
	/* With them: b at 1, a at 2 and 3 (one frame), b at 4 again: not merged with the first b.
	 */
	assert_int_equal(kiln_profile_add_event(p, 2, (uint32_t)a, 1), 0);
	assert_int_equal(kiln_profile_add_event(p, 1, (uint32_t)b, 1), 0);
	assert_int_equal(kiln_profile_add_event(p, 3, (uint32_t)a, 2), 0);
	assert_int_equal(kiln_profile_add_event(p, 4, (uint32_t)b, 0), 0); /* no weight: none */
	svg = svg_of(p, &o);
	n = parse_frames(svg, f, 16);
	assert_int_equal(n, 4);
	assert_string_equal(f[2].name, "b");
	assert_string_equal(f[3].name, "a");
	assert_int_equal(f[3].count, 3);
	assert_true(f[3].x > f[2].x);
	free(svg);
	kiln_profile_free(p);
	/* b, a, b in time: two b frames. */
	p = new_profile();
	a = add_stack(p, "main;a", 1);
	b = add_stack(p, "main;b", 2);
	kiln_profile_add_event(p, 1, (uint32_t)b, 1);
	kiln_profile_add_event(p, 2, (uint32_t)a, 1);
	kiln_profile_add_event(p, 3, (uint32_t)b, 1);
	svg = svg_of(p, &o);
	n = parse_frames(svg, f, 16);
	assert_int_equal(n, 5);
	assert_string_equal(f[2].name, "b");
	assert_string_equal(f[3].name, "a");
	assert_string_equal(f[4].name, "b");
	free(svg);
	kiln_profile_free(p);
}

static void differential_colors(void **state)
{
	(void)state;
	struct kiln_profile *p = kiln_profile_new();
	kiln_profile_add_value_type(p, "before", "count");
	kiln_profile_add_value_type(p, "after", "count");
	add_stack2(p, "main;grew", 10, 30);
	add_stack2(p, "main;shrank", 30, 10);
	add_stack2(p, "main;same", 20, 20);
	add_stack2(p, "main;gone", 5, 0);
	struct flamegraph_options o;
	flamegraph_default_options(&o);
	o.diff_col = 0;
	o.value_col = 1;
	char *svg = svg_of(p, &o);
	struct frame f[16];
	size_t n = parse_frames(svg, f, 16);
	const struct frame *grew = find(f, n, "grew"), *shrank = find(f, n, "shrank");
	const struct frame *same = find(f, n, "same"), *main_ = find(f, n, "main");
	/* Widths are "after"; a stack gone in "after" has no frame but its loss shows in main. */
	assert_null(find(f, n, "gone"));
	assert_int_equal(grew->count, 30);
	assert_int_equal(grew->before, 10);
	assert_true(grew->diff);
	assert_int_equal(main_->count, 60);
	assert_int_equal(main_->before, 65);
	/* The largest change (20) is fully saturated. */
	assert_true(grew->r == 255 && grew->g == 0 && grew->b == 0);
	assert_true(shrank->b == 255 && shrank->r == 0 && shrank->g == 0);
	assert_true(same->r == 255 && same->g == 255 && same->b == 255);
	/* main shrank by 5 of 20: a light blue. */
	assert_true(main_->b == 255 && main_->r == 157 && main_->g == 157);
	assert_non_null(
	    strstr(svg, "<title>grew (30 samples, 50.00%; before 10, +33.33%)</title>"));
	free(svg);

	o.negate = true;
	svg = svg_of(p, &o);
	n = parse_frames(svg, f, 16);
	grew = find(f, n, "grew");
	shrank = find(f, n, "shrank");
	assert_true(grew->b == 255 && grew->r == 0);
	assert_true(shrank->r == 255 && shrank->b == 0);
	assert_non_null(
	    strstr(svg, "<title>grew (30 samples, 50.00%; before 10, -33.33%)</title>"));
	free(svg);
	kiln_profile_free(p);
}

static void palettes_hash_like_flamegraph_pl(void **state)
{
	(void)state;
	struct kiln_profile *p = new_profile();
	add_stack(p, "java;Interpreter_[j];Lorg/foo/Bar:::baz;JavaThread::run;sys_read_[k];x+y", 1);
	struct flamegraph_options o;
	flamegraph_default_options(&o);
	char *svg = svg_of(p, &o);
	struct frame f[16];
	size_t n = parse_frames(svg, f, 16);
	/* flamegraph.pl --hash gives "all" rgb(230,128,28) in the hot palette. */
	assert_true(f[0].r == 230 && f[0].g == 128 && f[0].b == 28);
	free(svg);

	o.colors = "java";
	svg = svg_of(p, &o);
	n = parse_frames(svg, f, 16);
	const struct frame *jit = find(f, n, "Interpreter"),
			   *java = find(f, n, "Lorg/foo/Bar:::baz");
	const struct frame *cpp = find(f, n, "JavaThread::run"), *kern = find(f, n, "sys_read");
	const struct frame *inl = find(f, n, "y"), *sys = find(f, n, "x");
	assert_true(jit->g > jit->r && jit->r == jit->b);     /* green */
	assert_true(java->g > java->r && java->r == java->b); /* green */
	assert_true(cpp->r == cpp->g && cpp->b < cpp->r);     /* yellow */
	assert_true(kern->b == 0 && kern->r > kern->g);	      /* orange */
	assert_true(inl->g == inl->b && inl->r < inl->g);     /* aqua */
	assert_true(sys->r > sys->g && sys->g == sys->b);     /* red */
	free(svg);

	/* --annotate shows the suffixes but does not change colors. */
	o.annotate = true;
	svg = svg_of(p, &o);
	struct frame g[16];
	size_t m = parse_frames(svg, g, 16);
	const struct frame *jit2 = find(g, m, "Interpreter_[j]");
	assert_non_null(jit2);
	assert_non_null(find(g, m, "y_[i]"));
	assert_true(jit2->r == jit->r && jit2->g == jit->g && jit2->b == jit->b);
	free(svg);

	o.annotate = false;
	o.colors = "js";
	svg = svg_of(p, &o);
	n = parse_frames(svg, f, 16);
	jit = find(f, n, "Interpreter");
	assert_true(jit->g == jit->b && jit->r < jit->g); /* JIT without a path: aqua */
	free(svg);

	/* Same name, same color, whatever else the graph holds. */
	struct kiln_profile *q = new_profile();
	add_stack(q, "other;JavaThread::run", 7);
	o.colors = "java";
	svg = svg_of(q, &o);
	m = parse_frames(svg, g, 16);
	const struct frame *cpp2 = find(g, m, "JavaThread::run");
	assert_true(cpp2->r == cpp->r && cpp2->g == cpp->g && cpp2->b == cpp->b);
	free(svg);
	kiln_profile_free(q);

	const char *all[] = {"hot",   "mem",  "io",   "java",	"js",	  "perl",  "red",
			     "green", "blue", "aqua", "yellow", "purple", "orange"};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		assert_true(flamegraph_palette_valid(all[i]));
	assert_false(flamegraph_palette_valid("rainbow"));
	kiln_profile_free(p);
}

/* Rebuilds folded lines from the frames (self count = count - children) and compares them
 * with what the folded writer prints for the same profile and options. */
static void stacks_match_folded(void **state)
{
	(void)state;
	struct kiln_profile *p = new_profile();
	add_stack(p, "main;work+inl;hot_[k]", 7);
	add_stack(p, "main;work+inl", 3);
	add_stack(p, "main;semi;colon;x", 2);
	add_stack(p, "main;work;jit_[j]", 5);
	struct flamegraph_options o;
	flamegraph_default_options(&o);
	o.comm = o.pid = true;
	o.annotate = true;
	o.min_width = 0;
	char *svg = svg_of(p, &o);
	struct frame f[32];
	size_t n = parse_frames(svg, f, 32);
	char got[2048] = "";
	const char *path[32];
	for (size_t i = 1; i < n; i++) {
		size_t d = (size_t)lround((f[0].y - f[i].y) / 16);
		path[d] = f[i].name;
		int64_t self = f[i].count;
		for (size_t j = i + 1; j < n; j++) {
			size_t dj = (size_t)lround((f[0].y - f[j].y) / 16);
			if (dj <= d)
				break;
			if (dj == d + 1)
				self -= f[j].count;
		}
		if (!self)
			continue;
		for (size_t k = 1; k <= d; k++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
				 k > 1 ? ";" : "", path[k]);
		snprintf(got + strlen(got), sizeof(got) - strlen(got), " %lld\n", (long long)self);
	}
	char *want = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&want, &len);
	struct folded_options fo = {.comm = true, .pid = true, .annotate = true};
	assert_int_equal(folded_write(p, mf, &fo), 0);
	fclose(mf);
	assert_string_equal(got, want);
	assert_non_null(strstr(want, "my_app-42;main;work;inl_[i];hot_[k] 7\n"));
	free(want);
	free(svg);
	kiln_profile_free(p);
}

static void bad_options_and_empty_profiles(void **state)
{
	(void)state;
	struct kiln_profile *p = new_profile();
	add_stack(p, "main", 1);
	struct flamegraph_options o;
	flamegraph_default_options(&o);
	int err;
	o.colors = "rainbow";
	free(render(p, &o, &err));
	assert_int_equal(err, -EINVAL);
	flamegraph_default_options(&o);
	o.value_col = 3;
	free(render(p, &o, &err));
	assert_int_equal(err, -EINVAL);
	flamegraph_default_options(&o);
	o.width = 5;
	free(render(p, &o, &err));
	assert_int_equal(err, -EINVAL);
	kiln_profile_free(p);

	p = new_profile();
	flamegraph_default_options(&o);
	char *svg = svg_of(p, &o);
	assert_non_null(strstr(svg, "No samples in this profile"));
	assert_non_null(strstr(svg, "</svg>\n"));
	free(svg);
	kiln_profile_free(p);
}

static void files_are_whole_or_absent(void **state)
{
	(void)state;
	char dir[] = "/tmp/kiln-fg-test.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/out.svg", dir);
	struct kiln_profile *p = new_profile();
	add_stack(p, "main;x", 3);
	struct flamegraph_options o;
	flamegraph_default_options(&o);
	assert_int_equal(flamegraph_write_file(p, path, &o), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 1000);
	/* A failed write leaves neither a partial file nor a temp file. */
	o.colors = "rainbow";
	char bad[160];
	snprintf(bad, sizeof(bad), "%s/bad.svg", dir);
	assert_int_equal(flamegraph_write_file(p, bad, &o), -EINVAL);
	assert_int_equal(stat(bad, &st), -1);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "test $(ls %s | wc -l) -eq 1", dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	kiln_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(widths_and_counts),
	    cmocka_unit_test(big_counts_and_labels),
	    cmocka_unit_test(names_are_escaped),
	    cmocka_unit_test(narrow_frames_are_elided),
	    cmocka_unit_test(inverted_and_reversed),
	    cmocka_unit_test(flame_chart_keeps_time_order),
	    cmocka_unit_test(differential_colors),
	    cmocka_unit_test(palettes_hash_like_flamegraph_pl),
	    cmocka_unit_test(stacks_match_folded),
	    cmocka_unit_test(bad_options_and_empty_profiles),
	    cmocka_unit_test(files_are_whole_or_absent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
