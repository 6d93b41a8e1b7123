#include "format/folded.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile/frames.h"
#include "util/atomic_file.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/vec.h"

/* ---- writing ---- */

struct strbuf {
	char *s;
	size_t len, cap;
};

static int sb_put(struct strbuf *b, const char *s, size_t n)
{
	if (VEC_RESERVE(b->s, b->cap, b->len + n + 1))
		return -ENOMEM;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	return 0;
}

/* Frame names must not carry the separators of the format itself. */
static int sb_put_name(struct strbuf *b, const char *name, bool spaces_to_underscores)
{
	size_t start = b->len, n = strlen(name);
	if (sb_put(b, name, n))
		return -ENOMEM;
	for (char *c = b->s + start; c < b->s + b->len; c++) {
		if (*c == ';')
			*c = ':';
		else if (*c == '\n' || *c == '\r')
			*c = ' ';
		if (spaces_to_underscores && *c == ' ')
			*c = '_';
	}
	return 0;
}

/* stackcollapse-perf.pl's process frame: "comm", "comm-PID" or "comm-PID/TID", '?' for an
 * unknown pid, spaces as underscores. */
static int put_process(struct strbuf *b, const struct kiln_profile *p, const struct kiln_labels *l,
		       const struct folded_options *o)
{
	char num[32];
	if (sb_put_name(b, l->comm ? kiln_profile_str(p, l->comm) : "", true))
		return -ENOMEM;
	if (o->pid || o->tid) {
		if (l->pid >= 0)
			snprintf(num, sizeof(num), "-%d", l->pid);
		else
			snprintf(num, sizeof(num), "-?");
		if (sb_put(b, num, strlen(num)))
			return -ENOMEM;
	}
	if (o->tid) {
		if (l->tid >= 0)
			snprintf(num, sizeof(num), "/%d", l->tid);
		else
			snprintf(num, sizeof(num), "/?");
		if (sb_put(b, num, strlen(num)))
			return -ENOMEM;
	}
	return 0;
}

struct stack_sums {
	struct intern_table stacks; /* the stack text, without count */
	int64_t *sums;		    /* per stack id */
	size_t sums_cap;
	struct kiln_frame *frames;
	size_t frames_cap;
	struct strbuf line;
};

static int sample_frames(struct stack_sums *ss, const struct kiln_profile *p,
			 const struct kiln_sample *s, size_t *n)
{
	for (;;) {
		*n = kiln_sample_frames(p, s, ss->frames, ss->frames_cap);
		if (*n <= ss->frames_cap)
			return 0;
		if (VEC_RESERVE(ss->frames, ss->frames_cap, *n))
			return -ENOMEM;
	}
}

static int stack_text(struct stack_sums *ss, const struct kiln_profile *p,
		      const struct kiln_sample *s, const struct folded_options *o)
{
	struct strbuf *b = &ss->line;
	b->len = 0;
	size_t n;
	if (sample_frames(ss, p, s, &n))
		return -ENOMEM;
	bool process = o->comm || o->pid || o->tid;
	if (process && put_process(b, p, &s->labels, o))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if ((i > 0 || process) && sb_put(b, ";", 1))
			return -ENOMEM;
		if (sb_put_name(b, ss->frames[i].name, false))
			return -ENOMEM;
		const char *suffix = o->annotate ? kiln_annot_suffix(ss->frames[i].annot) : "";
		if (sb_put(b, suffix, strlen(suffix)))
			return -ENOMEM;
	}
	return 0;
}

static int sum_stacks(struct stack_sums *ss, const struct kiln_profile *p,
		      const struct folded_options *o)
{
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct kiln_sample *s = &p->samples[i];
		int64_t v = s->values[o->value_col];
		if (v == 0)
			continue;
		if (stack_text(ss, p, s, o))
			return -ENOMEM;
		uint32_t id =
		    intern_get(&ss->stacks, ss->line.s ? ss->line.s : "", ss->line.len, NULL);
		if (!id)
			return -ENOMEM;
		if (id >= ss->sums_cap) {
			size_t old = ss->sums_cap;
			if (VEC_RESERVE(ss->sums, ss->sums_cap, (size_t)id + 1))
				return -ENOMEM;
			memset(ss->sums + old, 0, (ss->sums_cap - old) * sizeof(*ss->sums));
		}
		ss->sums[id] += v;
	}
	return 0;
}

struct folded_line {
	const char *stack;
	size_t len;
	int64_t count;
};

/* Bytewise like strcmp, and like Perl's cmp for stacks that hold a NUL. */
static int compare_lines(const void *a, const void *b)
{
	const struct folded_line *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->stack, y->stack, n);
	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static void stack_sums_free(struct stack_sums *ss)
{
	intern_free(&ss->stacks);
	free(ss->sums);
	free(ss->frames);
	free(ss->line.s);
}

int folded_write(const struct kiln_profile *p, FILE *out, const struct folded_options *o)
{
	if (o->value_col >= KILN_MAX_VALUES)
		return -EINVAL;
	struct stack_sums ss = {0};
	intern_init(&ss.stacks);
	struct folded_line *lines = NULL;
	int err = sum_stacks(&ss, p, o);
	size_t n = ss.stacks.count;
	if (!err && n && !(lines = calloc(n, sizeof(*lines))))
		err = -ENOMEM;
	for (size_t i = 0; !err && i < n; i++) {
		uint32_t id = (uint32_t)i + 1;
		lines[i].stack = intern_key(&ss.stacks, id, &lines[i].len);
		lines[i].count = ss.sums[id];
	}
	if (!err && n)
		qsort(lines, n, sizeof(*lines), compare_lines);
	for (size_t i = 0; !err && i < n; i++) {
		if (lines[i].count == 0)
			continue;
		fwrite(lines[i].stack, 1, lines[i].len, out);
		fprintf(out, " %lld\n", (long long)lines[i].count);
	}
	if (!err && (fflush(out) || ferror(out)))
		err = errno ? -errno : -EIO;
	free(lines);
	stack_sums_free(&ss);
	return err;
}

struct folded_job {
	const struct kiln_profile *p;
	const struct folded_options *o;
};

static int folded_job_write(FILE *out, void *arg)
{
	const struct folded_job *j = arg;
	return folded_write(j->p, out, j->o);
}

int folded_write_file(const struct kiln_profile *p, const char *path,
		      const struct folded_options *o)
{
	struct folded_job job = {p, o};
	int err = atomic_write_file(path, folded_job_write, &job);
	if (err)
		kiln_error("cannot write %s: %s", path, strerror(-err));
	return err;
}

/* ---- reading ---- */

static char last_error[512];

/* A frame of a folded line, its perf suffix taken off. */
struct folded_frame {
	const char *name;
	size_t len;
	enum kiln_annot annot;
};

struct folded_reader {
	struct kiln_profile *p;
	const char *name;
	size_t lineno;
	size_t ncols, cols_line; /* value columns, set by the first line */
	struct folded_frame *frames;
	size_t frames_cap;
	uint32_t *locs;
	size_t locs_cap;
	struct kiln_line *lines;
	size_t lines_cap;
};

static int bad_line(struct folded_reader *r, const char *what)
{
	snprintf(last_error, sizeof(last_error), "%s:%zu: %s", r->name, r->lineno, what);
	kiln_error("%s", last_error);
	return -EINVAL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* The number that ends s[0..*len), after whitespace that separates it from what precedes;
 * *len becomes where that whitespace starts. 1 found, 0 none, -ERANGE too large. */
static int take_count(const char *s, size_t *len, int64_t *out)
{
	size_t e = *len, d = e;
	while (d > 0 && s[d - 1] >= '0' && s[d - 1] <= '9')
		d--;
	if (d == e || d == 0 || !is_blank(s[d - 1]))
		return 0;
	int64_t v = 0;
	for (size_t i = d; i < e; i++) {
		if (v > (INT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (s[i] - '0');
	}
	size_t w = d;
	while (w > 0 && is_blank(s[w - 1]))
		w--;
	*out = v;
	*len = w;
	return 1;
}

static enum kiln_annot strip_annotation(const char *s, size_t *len)
{
	static const enum kiln_annot kinds[] = {KILN_ANNOT_KERNEL, KILN_ANNOT_JIT,
						KILN_ANNOT_INLINE};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *suf = kiln_annot_suffix(kinds[i]);
		size_t n = strlen(suf);
		if (*len > n && !memcmp(s + *len - n, suf, n)) {
			*len -= n;
			return kinds[i];
		}
	}
	return KILN_ANNOT_NONE;
}

static int split_frames(struct folded_reader *r, const char *s, size_t len, size_t *nframes)
{
	size_t n = 0;
	const char *p = s, *end = s + len;
	for (;;) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *e = semi ? semi : end;
		if (VEC_RESERVE(r->frames, r->frames_cap, n + 1))
			return -ENOMEM;
		struct folded_frame *f = &r->frames[n++];
		f->name = p;
		f->len = (size_t)(e - p);
		f->annot = strip_annotation(p, &f->len);
		/* An inlined frame needs a caller to sit in; at the root the suffix is a name. */
		if (f->annot == KILN_ANNOT_INLINE && n == 1) {
			f->len += 4;
			f->annot = KILN_ANNOT_NONE;
		}
		if (!semi)
			break;
		p = semi + 1;
	}
	*nframes = n;
	return 0;
}

static enum kiln_frame_kind annot_kind(enum kiln_annot a)
{
	return a == KILN_ANNOT_KERNEL ? KILN_FRAME_KERNEL
	       : a == KILN_ANNOT_JIT  ? KILN_FRAME_JIT
				      : KILN_FRAME_USER;
}

/* Frames root first become locations leaf first; a frame and the _[i] frames after it are
 * one location (lines innermost first), which is how the model keeps inlining. */
static int build_locations(struct folded_reader *r, size_t nframes, size_t *nlocs)
{
	size_t n = 0;
	if (VEC_RESERVE(r->locs, r->locs_cap, nframes + 1) ||
	    VEC_RESERVE(r->lines, r->lines_cap, nframes + 1))
		return -ENOMEM;
	for (size_t i = 0; i < nframes;) {
		size_t j = i + 1;
		while (j < nframes && r->frames[j].annot == KILN_ANNOT_INLINE)
			j++;
		for (size_t k = i; k < j; k++) {
			uint32_t fn =
			    kiln_profile_function_named(r->p, r->frames[k].name, r->frames[k].len);
			if (!fn)
				return -ENOMEM;
			r->lines[j - 1 - k] = (struct kiln_line){fn, 0};
		}
		uint32_t loc = kiln_profile_location(r->p, 0, 0, annot_kind(r->frames[i].annot),
						     r->lines, (uint32_t)(j - i));
		if (!loc)
			return -ENOMEM;
		r->locs[n++] = loc;
		i = j;
	}
	/* Leaf first. */
	for (size_t a = 0, b = n ? n - 1 : 0; a < b; a++, b--) {
		uint32_t t = r->locs[a];
		r->locs[a] = r->locs[b];
		r->locs[b] = t;
	}
	*nlocs = n;
	return 0;
}

static int set_columns(struct folded_reader *r, size_t ncols)
{
	r->ncols = ncols;
	r->cols_line = r->lineno;
	if (ncols == 1)
		return kiln_profile_add_value_type(r->p, "samples", "count") < 0 ? -ENOMEM : 0;
	if (kiln_profile_add_value_type(r->p, "before", "count") < 0 ||
	    kiln_profile_add_value_type(r->p, "after", "count") < 0)
		return -ENOMEM;
	return 0;
}

static int read_line(struct folded_reader *r, const char *s, size_t len)
{
	while (len > 0 && is_blank(s[len - 1]))
		len--;
	if (len == 0)
		return 0;
	int64_t values[KILN_MAX_VALUES] = {0}, last, first;
	int got = take_count(s, &len, &last);
	if (got < 0)
		return bad_line(r, "count too large (at most 9223372036854775807)");
	if (got == 0)
		return bad_line(r, "expected 'frame;frame;... COUNT' (a stack, a space, a whole "
				   "number)");
	/* Two numbers: flamegraph.pl's differential input, "stack before after". */
	size_t ncols = 1;
	size_t keep = len;
	got = take_count(s, &len, &first);
	if (got < 0)
		return bad_line(r, "count too large (at most 9223372036854775807)");
	if (got == 1) {
		ncols = 2;
		values[0] = first;
		values[1] = last;
	} else {
		len = keep;
		values[0] = last;
	}
	if (!r->ncols && set_columns(r, ncols))
		return -ENOMEM;
	if (ncols != r->ncols) {
		char what[160];
		snprintf(what, sizeof(what), "expected %s like line %zu ('stack %s')",
			 r->ncols == 1 ? "one count" : "two counts", r->cols_line,
			 r->ncols == 1 ? "COUNT" : "BEFORE AFTER");
		return bad_line(r, what);
	}
	size_t nframes, nlocs;
	if (split_frames(r, s, len, &nframes) || build_locations(r, nframes, &nlocs))
		return -ENOMEM;
	struct kiln_labels none = kiln_labels_none();
	long rc = kiln_profile_add_sample(r->p, r->locs, (uint32_t)nlocs, &none, values);
	if (rc == -EOVERFLOW)
		return bad_line(r, "counts add up to more than 9223372036854775807");
	return rc < 0 ? (int)rc : 0;
}

int folded_read_buffer(struct kiln_profile *p, const char *buf, size_t len, const char *name)
{
	struct folded_reader r = {.p = p, .name = name};
	int err = 0;
	const char *s = buf, *end = buf + len;
	while (!err && s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		r.lineno++;
		err = read_line(&r, s, (size_t)(e - s));
		s = nl ? nl + 1 : end;
	}
	if (!err && !r.ncols && kiln_profile_add_value_type(p, "samples", "count") < 0)
		err = -ENOMEM;
	if (err == -ENOMEM)
		kiln_error("%s: out of memory reading folded stacks", name);
	free(r.frames);
	free(r.locs);
	free(r.lines);
	return err;
}

static int slurp(FILE *in, char **out, size_t *outlen)
{
	errno = 0;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (VEC_RESERVE(buf, cap, len + 65536)) {
			free(buf);
			return -ENOMEM;
		}
		size_t n = fread(buf + len, 1, cap - len, in);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(in)) {
		int err = errno ? -errno : -EIO;
		free(buf);
		return err;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

int folded_read(struct kiln_profile *p, FILE *in, const char *name)
{
	char *buf;
	size_t len;
	int err = slurp(in, &buf, &len);
	if (err) {
		kiln_error("cannot read %s: %s", name, strerror(-err));
		return err;
	}
	err = folded_read_buffer(p, buf, len, name);
	free(buf);
	return err;
}

int folded_read_file(struct kiln_profile *p, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		int err = -errno;
		kiln_error("cannot read %s: %s", path, strerror(-err));
		return err;
	}
	int err = folded_read(p, f, path);
	fclose(f);
	return err;
}

const char *folded_last_error(void)
{
	return last_error;
}
