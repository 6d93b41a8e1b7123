#include "format/perfscript.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "util/vec.h"

enum { C_SPACE = 1, C_DIGIT = 2, C_WORD = 4 };

/* Perl's \s, \d and \w on bytes, as one table: the per-byte loops over every line's blanks and
 * pc test one load instead of a chain of compares. */
static const unsigned char char_class[256] = {
    ['\t'] = C_SPACE,
    ['\n'] = C_SPACE,
    ['\v'] = C_SPACE,
    ['\f'] = C_SPACE,
    ['\r'] = C_SPACE,
    [' '] = C_SPACE,
    ['0' ... '9'] = C_DIGIT | C_WORD,
    ['a' ... 'z'] = C_WORD,
    ['A' ... 'Z'] = C_WORD,
    ['_'] = C_WORD,
};

static inline bool is_space(unsigned char c)
{
	return char_class[c] & C_SPACE;
}

static inline bool is_digit(unsigned char c)
{
	return char_class[c] & C_DIGIT;
}

static inline bool is_word(unsigned char c)
{
	return char_class[c] & C_WORD;
}

static int32_t parse_i32(const char *s, size_t len)
{
	int64_t v = 0;
	for (size_t i = 0; i < len && v <= INT32_MAX; i++)
		v = v * 10 + (s[i] - '0');
	return v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

static uint64_t parse_u64(const char *s, size_t len)
{
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return UINT64_MAX;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v;
}

/* The Perl pattern :\s*(\d+)?\s+(\S+):\s*$ : the event is the last token, which ends in ':'; a
 * number may sit between it and the colon before. Only one split of the tail can match, so no
 * search. */
static void parse_period_event(const char *l, size_t len, struct perfscript_event *ev)
{
	ev->period = 1;
	ev->event = NULL;
	ev->event_len = 0;
	size_t r = len;
	while (r > 0 && is_space(l[r - 1]))
		r--;
	if (r < 2 || l[r - 1] != ':')
		return;
	size_t tok_end = r - 1, q = tok_end;
	while (q > 0 && !is_space(l[q - 1]))
		q--;
	if (q == tok_end || q == 0)
		return;
	size_t w = q;
	while (w > 0 && is_space(l[w - 1]))
		w--;
	const char *digits = NULL;
	size_t ndigits = 0;
	if (w > 0 && is_digit(l[w - 1])) {
		size_t d = w;
		while (d > 0 && is_digit(l[d - 1]))
			d--;
		size_t v = d;
		while (v > 0 && is_space(l[v - 1]))
			v--;
		if (v == 0 || l[v - 1] != ':')
			return;
		digits = l + d;
		ndigits = w - d;
	} else if (w == 0 || l[w - 1] != ':') {
		return;
	}
	ev->event = l + q;
	ev->event_len = tok_end - q;
	if (ndigits) {
		uint64_t v = parse_u64(digits, ndigits);
		ev->period = v ? v : 1;
	}
}

/* The Perl pattern ^(\S.+?)\s+(\d+)\/?(\d+)?\s+ (slash and second number optional): the
 * shortest comm (2+ bytes) followed by the numbers. */
bool perfscript_parse_event(const char *l, size_t len, struct perfscript_event *ev)
{
	if (len < 4 || is_space(l[0]))
		return false;
	for (size_t c = 2; c < len; c++) {
		if (!is_space(l[c]))
			continue;
		size_t j = c;
		while (j < len && is_space(l[j]))
			j++;
		if (j >= len || !is_digit(l[j]))
			continue;
		size_t k = j;
		while (k < len && is_digit(l[k]))
			k++;
		size_t m = k;
		while (m < len && l[m] == '/')
			m++;
		size_t t = m;
		while (t < len && is_digit(l[t]))
			t++;
		if (t >= len || !is_space(l[t]))
			continue;
		ev->comm = l;
		ev->comm_len = c;
		/* Perl's truth: a missing or "0" second number means there is no pid. */
		bool two = t > m && !(t - m == 1 && l[m] == '0');
		ev->pid = two ? parse_i32(l + j, k - j) : -1;
		ev->tid = two ? parse_i32(l + m, t - m) : parse_i32(l + j, k - j);
		parse_period_event(l, len, ev);
		return true;
	}
	return false;
}

/* A token "DIGITS.DIGITS:" (seconds, up to nanoseconds after the point) is the time. */
static bool time_token(const char *s, size_t len, uint64_t *ns)
{
	size_t dot = 0;
	while (dot < len && is_digit(s[dot]))
		dot++;
	if (!dot || dot > 10 || dot + 2 > len || s[dot] != '.' || s[len - 1] != ':')
		return false;
	uint64_t secs = parse_u64(s, dot), frac = 0, scale = 1000000000;
	for (size_t i = dot + 1; i < len - 1; i++) {
		if (!is_digit(s[i]))
			return false;
		if (scale > 1) {
			scale /= 10;
			frac += (uint64_t)(s[i] - '0') * scale;
		}
	}
	if (len - 1 == dot + 1)
		return false;
	*ns = secs * 1000000000 + frac;
	return true;
}

bool perfscript_event_time(const char *l, size_t len, uint64_t *ns)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && is_space(l[i]))
			i++;
		size_t start = i;
		while (i < len && !is_space(l[i]))
			i++;
		if (i > start && time_token(l + start, i - start, ns))
			return true;
	}
	return false;
}

/* Where the last " (" in l[from - 1..to) starts (from > 0), 0 when none. memrchr for the '('
 * skips over the module path in one call: this search was the parser's hottest loop when done
 * byte by byte. */
static size_t module_open(const char *l, size_t from, size_t to)
{
	while (to > from) {
		const char *open = memrchr(l + from, '(', to - from);
		if (!open)
			return 0;
		size_t q = (size_t)(open - l);
		if (l[q - 1] == ' ')
			return q - 1;
		to = q;
	}
	return 0;
}

/* Where the pc of a frame line (the pattern's \w+ after blanks) ends, *start where it starts;
 * 0 when the line has none. */
static size_t pc_end(const char *l, size_t len, size_t *start)
{
	size_t i0 = 0;
	while (i0 < len && is_space(l[i0]))
		i0++;
	size_t i1 = i0;
	while (i1 < len && is_word(l[i1]))
		i1++;
	*start = i0;
	return i1 > i0 ? i1 : 0;
}

/* The Perl pattern ^\s*(\w+)\s*(.+) \((.*)\) : the symbol runs to the last " (" that a ')'
 * follows, the module to the last ')'. Backtracking only matters for odd lines; this reproduces it.
 */
bool perfscript_parse_frame(const char *l, size_t len, struct perfscript_frame *f)
{
	size_t i0, i1 = pc_end(l, len, &i0);
	if (!i1)
		return false;
	const char *rp = memrchr(l + i1, ')', len - i1);
	if (!rp)
		return false;
	size_t close = (size_t)(rp - l);
	size_t e = module_open(l, i0 + 3, close);
	if (!e)
		return false;
	size_t i2 = i1;
	while (i2 < len && is_space(l[i2]))
		i2++;
	size_t s = i2 < e - 1 ? i2 : e - 1;
	if (s < i0 + 1)
		return false;
	f->pc = l + i0;
	f->pc_len = (s < i1 ? s : i1) - i0;
	f->sym = l + s;
	f->sym_len = e - s;
	f->mod = l + e + 2;
	f->mod_len = close - (e + 2);
	return true;
}

static bool has_prefix(const char *s, size_t len, const char *pre)
{
	size_t n = strlen(pre);
	return len >= n && !memcmp(s, pre, n);
}

static bool has_suffix(const char *s, size_t len, const char *suf)
{
	size_t n = strlen(suf);
	return len >= n && !memcmp(s + len - n, suf, n);
}

static bool contains(const char *s, size_t len, const char *needle)
{
	return memmem(s, len, needle, strlen(needle)) != NULL;
}

/* Go methods ("net/http.(*Client).Do") keep their parentheses: \.\(.*\)\. matches. */
static bool looks_like_go_method(const char *s, size_t len)
{
	const char *open = memmem(s, len, ".(", 2);
	if (!open)
		return false;
	for (size_t j = len - 1; j > 0; j--)
		if (s[j - 1] == ')' && s[j] == '.')
			return j - 1 >= (size_t)(open - s) + 2;
	return false;
}

/* Where the Perl script cuts a name's argument list: at the first '(' that does not open
 * "(anonymous namespace)". */
static size_t argument_list_start(const char *s, size_t len)
{
	static const char anon[] = "anonymous namespace)";
	for (size_t i = 0; i < len; i++)
		if (s[i] == '(' && !(len - i - 1 >= sizeof(anon) - 1 &&
				     !memcmp(s + i + 1, anon, sizeof(anon) - 1)))
			return i;
	return len;
}

static size_t basename_start(const char *s, size_t len)
{
	const char *slash = memrchr(s, '/', len);
	return slash ? (size_t)(slash - s) + 1 : 0;
}

struct outbuf {
	char *p;
	size_t len, cap;
	bool overflow;
};

static void put_bytes(struct outbuf *b, const char *s, size_t n)
{
	if (b->len + n >= b->cap) {
		b->overflow = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

size_t perfscript_frame_name(const char *piece, size_t len, const struct perfscript_frame *f,
			     bool java, bool addrs, char *out, size_t cap)
{
	struct outbuf b = {out, 0, cap, false};
	if (len == 9 && !memcmp(piece, "[unknown]", 9)) {
		/* Name the module instead, when perf knew it. */
		bool known = !(f->mod_len == 9 && !memcmp(f->mod, "[unknown]", 9));
		size_t base = known ? basename_start(f->mod, f->mod_len) : 0;
		put_bytes(&b, "[", 1);
		if (known)
			put_bytes(&b, f->mod + base, f->mod_len - base);
		else
			put_bytes(&b, "unknown", 7);
		if (addrs) {
			put_bytes(&b, " <", 2);
			put_bytes(&b, f->pc, f->pc_len);
			put_bytes(&b, ">", 1);
		}
		put_bytes(&b, "]", 1);
	} else {
		put_bytes(&b, piece, len);
	}
	if (b.overflow)
		return (size_t)-1;

	char *s = out;
	size_t n = b.len;
	for (size_t i = 0; i < n; i++)
		if (s[i] == ';')
			s[i] = ':';
	if (!looks_like_go_method(s, n))
		n = argument_list_start(s, n);
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '"' && s[i] != '\'')
			s[w++] = s[i];
	n = w;
	/* Java's "Lpkg/Class;" type descriptors lose the L. */
	if (java && n > 0 && s[0] == 'L' && memchr(s, '/', n)) {
		memmove(s, s + 1, n - 1);
		n--;
	}
	s[n] = '\0';
	return n;
}

static bool is_kernel_module(const char *mod, size_t len)
{
	return (has_prefix(mod, len, "[") || has_suffix(mod, len, "vmlinux")) &&
	       !contains(mod, len, "unknown");
}

/* m:/tmp/perf-\d+\.map: anywhere in the module. */
static bool is_jit_module(const char *mod, size_t len)
{
	const char *s = mod, *end = mod + len;
	while ((s = memmem(s, (size_t)(end - s), "/tmp/perf-", 10))) {
		const char *d = s + 10, *q = d;
		while (q < end && is_digit((unsigned char)*q))
			q++;
		if (q > d && end - q >= 4 && !memcmp(q, ".map", 4))
			return true;
		s++;
	}
	return false;
}

int perfscript_parser_init(struct perfscript_parser *ps, struct kiln_profile *p,
			   const struct perfscript_options *o)
{
	memset(ps, 0, sizeof(*ps));
	ps->p = p;
	ps->o = *o;
	for (int i = 0; i < 4; i++)
		intern_init(&ps->frame_cache[i]);
	if (o->event_filter && !(ps->filter = strdup(o->event_filter)))
		return -ENOMEM;
	if (p->nvalues == 0 && kiln_profile_add_value_type(p, "samples", "count") < 0)
		return -ENOMEM;
	return 0;
}

void perfscript_parser_free(struct perfscript_parser *ps)
{
	for (int i = 0; i < 4; i++) {
		intern_free(&ps->frame_cache[i]);
		free(ps->frame_loc[i]);
	}
	free(ps->filter);
	free(ps->locs);
	free(ps->scratch);
	memset(ps, 0, sizeof(*ps));
}

static int end_sample(struct perfscript_parser *ps)
{
	int err = 0;
	if (ps->in_sample && !ps->skipping) {
		int64_t values[KILN_MAX_VALUES] = {ps->period};
		long r = kiln_profile_add_sample(ps->p, ps->locs, (uint32_t)ps->nlocs, &ps->labels,
						 values);
		if (r >= 0 && ps->o.timeline && ps->has_time &&
		    kiln_profile_add_event(ps->p, ps->time_ns, (uint32_t)r, ps->period))
			r = -ENOMEM;
		if (r == -EOVERFLOW)
			kiln_error("%s:%llu: expected sample periods that add up to at most 2^63-1",
				   ps->name, (unsigned long long)ps->stats.lines);
		if (r < 0)
			err = r == -EOVERFLOW ? -EINVAL : (int)r;
		ps->stats.samples++;
	} else if (ps->in_sample) {
		ps->stats.skipped_samples++;
	}
	ps->in_sample = ps->skipping = false;
	ps->nlocs = 0;
	return err;
}

static uint32_t comm_id(struct perfscript_parser *ps, const char *comm, size_t len)
{
	if (ps->comm_id && len == ps->comm_len && !memcmp(comm, ps->comm_buf, len))
		return ps->comm_id;
	uint32_t id = kiln_profile_intern(ps->p, comm, len);
	if (id && len <= sizeof(ps->comm_buf)) {
		memcpy(ps->comm_buf, comm, len);
		ps->comm_len = len;
		ps->comm_id = id;
	}
	return id;
}

static int event_line(struct perfscript_parser *ps, const struct perfscript_event *ev)
{
	ps->in_sample = true;
	ps->skipping = false;
	ps->labels.comm = comm_id(ps, ev->comm, ev->comm_len);
	if (!ps->labels.comm)
		return -ENOMEM;
	ps->labels.pid = ps->o.pid || ps->o.tid ? ev->pid : -1;
	ps->labels.tid = ps->o.tid ? ev->tid : -1;
	ps->java = has_prefix(ev->comm, ev->comm_len, "java");
	ps->period = ev->period > INT64_MAX ? INT64_MAX : (int64_t)ev->period;
	if (!ev->event)
		return 0;
	if (!ps->filter) {
		/* Adding up different events (cycles and instructions) would mislead. */
		ps->filter = strndup(ev->event, ev->event_len);
		if (!ps->filter)
			return -ENOMEM;
		ps->p->value_types[0].type = kiln_profile_intern_cstr(ps->p, ps->filter);
	} else if (strlen(ps->filter) != ev->event_len ||
		   memcmp(ps->filter, ev->event, ev->event_len)) {
		ps->skipping = true;
	}
	return 0;
}

static char *scratch(struct perfscript_parser *ps, size_t need)
{
	if (VEC_RESERVE(ps->scratch, ps->scratch_cap, need))
		return NULL;
	return ps->scratch;
}

/* Builds the location of a frame line: one line per piece of perf's "a->b" inline chain,
 * innermost first as the model keeps them. 0 when the frame is dropped, UINT32_MAX on ENOMEM. */
static uint32_t make_location(struct perfscript_parser *ps, const struct perfscript_frame *f)
{
	const char *sym = f->sym;
	size_t len = f->sym_len;
	/* Linux 4.8+ prints symbol offsets: "func+0x1f". */
	size_t h = len;
	while (h > 0 && (is_digit(sym[h - 1]) || (sym[h - 1] >= 'a' && sym[h - 1] <= 'f')))
		h--;
	if (h < len && h >= 3 && !memcmp(sym + h - 3, "+0x", 3))
		len = h - 3;
	if (len > 0 && sym[0] == '(')
		return 0; /* perf's "(process name)" pseudo frames */

	size_t npieces = 1;
	for (const char *a = sym; (a = memmem(a, (size_t)(sym + len - a), "->", 2)); a += 2)
		npieces++;
	struct kiln_line stackbuf[16];
	struct kiln_line *lines = npieces <= 16 ? stackbuf : calloc(npieces, sizeof(*lines));
	if (!lines)
		return UINT32_MAX;
	enum kiln_frame_kind kind = KILN_FRAME_USER;
	uint32_t id = UINT32_MAX;
	size_t cap = len + f->mod_len + f->pc_len + 16;
	char *name = scratch(ps, cap);
	if (!name)
		goto out;
	const char *piece = sym;
	for (size_t i = 0; i < npieces; i++) {
		const char *arrow = memmem(piece, (size_t)(sym + len - piece), "->", 2);
		size_t plen = arrow ? (size_t)(arrow - piece) : (size_t)(sym + len - piece);
		size_t n = perfscript_frame_name(piece, plen, f, ps->java, ps->o.addrs, name, cap);
		if (n == (size_t)-1)
			goto out;
		if (i > 0) {
			/* The Perl script adds _[i] only where the name lacks it; so do we. */
			if (has_suffix(name, n, "_[i]"))
				n -= 4;
		} else if (ps->o.kernel && is_kernel_module(f->mod, f->mod_len)) {
			kind = KILN_FRAME_KERNEL;
		} else if (ps->o.jit && is_jit_module(f->mod, f->mod_len)) {
			kind = KILN_FRAME_JIT;
			if (has_suffix(name, n, "_[j]"))
				n -= 4;
		}
		uint32_t fn = kiln_profile_function_named(ps->p, name, n);
		if (!fn)
			goto out;
		lines[npieces - 1 - i] = (struct kiln_line){fn, 0};
		piece += plen + 2;
	}
	struct kiln_mapping m = {.filename = kiln_profile_intern(ps->p, f->mod, f->mod_len)};
	uint32_t map = m.filename ? kiln_profile_mapping(ps->p, &m) : 0;
	if (map)
		id = kiln_profile_location(ps->p, map, 0, kind, lines, (uint32_t)npieces);
	if (!id)
		id = UINT32_MAX;
out:
	if (lines != stackbuf)
		free(lines);
	return id;
}

static int push_location(struct perfscript_parser *ps, uint32_t loc)
{
	if (!loc)
		return 0; /* a dropped frame */
	if (VEC_RESERVE(ps->locs, ps->locs_cap, ps->nlocs + 1))
		return -ENOMEM;
	ps->locs[ps->nlocs++] = loc;
	return 0;
}

/* The location of frame f, cached under key in table ti. UINT32_MAX on ENOMEM. */
static uint32_t cached_location(struct perfscript_parser *ps, int ti, const char *key,
				size_t keylen, const struct perfscript_frame *f)
{
	bool added;
	uint32_t kid = intern_get(&ps->frame_cache[ti], key, keylen, &added);
	if (!kid)
		return UINT32_MAX;
	if (added) {
		uint32_t loc = make_location(ps, f);
		if (loc == UINT32_MAX ||
		    VEC_RESERVE(ps->frame_loc[ti], ps->frame_loc_cap[ti], (size_t)kid + 1))
			return UINT32_MAX;
		ps->frame_loc[ti][kid] = loc;
	}
	return ps->frame_loc[ti][kid];
}

/* The location of parsed frame line l, whose pc ends at pc_end. The key is the text that
 * decides the frame: the line after its pc, so that a later line with the same text needs no
 * parse (frame_line); from the pc on where --addrs prints it, for unknown symbols. */
static uint32_t frame_location(struct perfscript_parser *ps, const char *l, size_t len,
			       size_t pc_end, const struct perfscript_frame *f)
{
	int ti = ps->java ? 1 : 0;
	if (ps->o.addrs && memmem(f->sym, f->sym_len, "[unknown]", 9))
		return cached_location(ps, ti + 2, f->pc, (size_t)(f->mod + f->mod_len - f->pc), f);
	if (f->sym >= l + pc_end)
		return cached_location(ps, ti, l + pc_end, len - pc_end, f);
	/* Odd lines whose symbol begins inside the pc's bytes: the text after the pc does not
	 * decide them, so they are not cached (the profile still merges their locations). */
	return make_location(ps, f);
}

/* A frame line: its location added to the sample. 1 when l is no frame line. Lines whose text
 * after the pc was seen before take their location from the cache without being parsed: the
 * pattern's symbol and module lie in that text, so the same text gives the same frame. */
static int frame_line(struct perfscript_parser *ps, const char *l, size_t len)
{
	/* Frames outside a sample, or of an event filtered out, are only recognized. */
	bool counted = ps->in_sample && !ps->skipping;
	size_t pc_start, end = pc_end(l, len, &pc_start);
	int ti = ps->java ? 1 : 0;
	if (counted && end) {
		uint32_t kid = intern_find(&ps->frame_cache[ti], l + end, len - end);
		if (kid)
			return push_location(ps, ps->frame_loc[ti][kid]);
	}
	struct perfscript_frame f;
	if (!perfscript_parse_frame(l, len, &f))
		return 1;
	if (!counted)
		return 0;
	uint32_t loc = frame_location(ps, l, len, end, &f);
	return loc == UINT32_MAX ? -ENOMEM : push_location(ps, loc);
}

static bool seen_event(const struct perfscript_parser *ps)
{
	return ps->in_sample || ps->stats.samples || ps->stats.skipped_samples;
}

static void warn_line(const struct perfscript_parser *ps, uint64_t lineno, const char *l,
		      size_t len)
{
	/* Shown as text: control bytes would garble the terminal. */
	char shown[201];
	size_t n = len < sizeof(shown) - 1 ? len : sizeof(shown) - 1;
	for (size_t i = 0; i < n; i++)
		shown[i] = (unsigned char)l[i] < 0x20 || l[i] == 0x7f ? '?' : l[i];
	shown[n] = 0;
	kiln_warn("%s:%llu: unrecognized line ignored: %s", ps->name, (unsigned long long)lineno,
		  shown);
}

/* Lines before the first event line are only counted: if no event line ever comes, the input
 * is no perf script and one error says so; otherwise one warning covers them. */
static void unrecognized(struct perfscript_parser *ps, const char *l, size_t len)
{
	if (!ps->stats.unrecognized++)
		ps->stats.first_unrecognized = ps->stats.lines;
	if (seen_event(ps) && ps->stats.unrecognized <= 5)
		warn_line(ps, ps->stats.lines, l, len);
}

static void warn_unrecognized_head(struct perfscript_parser *ps)
{
	if (ps->stats.unrecognized && !seen_event(ps))
		kiln_warn("%s:%llu: %llu unrecognized line(s) before the first sample ignored",
			  ps->name, (unsigned long long)ps->stats.first_unrecognized,
			  (unsigned long long)ps->stats.unrecognized);
}

/* perf script is text: a NUL means some binary file was given (perf.data itself, often).
 * Looked for in each chunk before its lines, so no warning about its garbage lines comes before
 * the error (binary files have NULs in their first bytes). */
static int reject_binary(struct perfscript_parser *ps, const char *buf, size_t len)
{
	const char *nul = memchr(buf, 0, len);
	if (!nul)
		return 0;
	uint64_t line = ps->stats.lines + 1;
	for (const char *q = buf; (q = memchr(q, '\n', (size_t)(nul - q))); q++)
		line++;
	kiln_error("%s:%llu: expected perf script text, found binary data (for perf.data, use "
		   "'kiln convert' or 'perf script | kiln collapse')",
		   ps->name, (unsigned long long)line);
	return -EINVAL;
}

/* Garbage is skipped line by line, but input with no event line at all is no perf script. */
static int reject_not_perfscript(struct perfscript_parser *ps)
{
	const struct perfscript_stats *st = &ps->stats;
	if (st->samples || st->skipped_samples || !st->unrecognized || ps->in_sample)
		return 0;
	kiln_error("%s:%llu: expected a perf script event line 'COMM PID[/TID] ... EVENT:' "
		   "followed by frame lines; found no event line",
		   ps->name, (unsigned long long)st->first_unrecognized);
	return -EINVAL;
}

static int parse_line(struct perfscript_parser *ps, const char *l, size_t len)
{
	if (len == 0)
		return end_sample(ps);
	if (l[0] == '#')
		return 0;
	struct perfscript_event ev;
	if (!is_space((unsigned char)l[0]) && perfscript_parse_event(l, len, &ev)) {
		if (ps->o.timeline)
			ps->has_time =
			    perfscript_event_time(l + ev.comm_len, len - ev.comm_len, &ps->time_ns);
		warn_unrecognized_head(ps);
		return event_line(ps, &ev);
	}
	int r = frame_line(ps, l, len);
	if (r == 1)
		unrecognized(ps, l, len);
	return r == 1 ? 0 : r;
}

/* Lines of buf, all whole but maybe the last; a sample pending at its end stays pending. */
static int parse_lines(struct perfscript_parser *ps, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	int err = reject_binary(ps, buf, len);
	if (err)
		return err;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		ps->stats.lines++;
		err = parse_line(ps, p, (size_t)(e - p));
		if (err)
			return err;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* The end of one input: the Perl script loses a last sample with no blank line after it; we
 * keep it. */
static int finish_input(struct perfscript_parser *ps)
{
	int err = end_sample(ps);
	return err ? err : reject_not_perfscript(ps);
}

int perfscript_parse(struct perfscript_parser *ps, const char *buf, size_t len, const char *name)
{
	ps->name = name;
	int err = parse_lines(ps, buf, len);
	return err ? err : finish_input(ps);
}

/* Input is read in chunks into one reused buffer rather than mapped or read whole: each chunk
 * is still in cache while its lines are parsed, and the buffer's pages fault in once. Every
 * first touch of a mapped page costs a fault (in this VM a shadow page-table fill too), which
 * cost more than the parsing itself: 25 MB took 17 ms to scan mapped, 5.5 ms read in chunks. */
#define PERFSCRIPT_CHUNK (64u << 10)

struct chunk_buf {
	char *p;
	size_t len, cap;
};

/* Reads more after what b holds, growing it when one line fills it. Bytes read or -errno. */
static ssize_t read_more(int fd, struct chunk_buf *b)
{
	if (b->len == b->cap && VEC_RESERVE(b->p, b->cap, b->cap * 2))
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, b->p + b->len, b->cap - b->len);
		if (n >= 0 || errno != EINTR)
			return n < 0 ? -errno : n;
	}
}

/* Parses the whole lines b holds and keeps the partial last one for the next read. */
static int parse_whole_lines(struct perfscript_parser *ps, struct chunk_buf *b, size_t fresh)
{
	/* The bytes before the fresh ones hold no newline: they are a carried partial line. */
	const char *nl = memrchr(b->p + b->len - fresh, '\n', fresh);
	if (!nl)
		return 0;
	size_t whole = (size_t)(nl - b->p) + 1;
	int err = parse_lines(ps, b->p, whole);
	memmove(b->p, b->p + whole, b->len - whole);
	b->len -= whole;
	return err;
}

static int parse_fd(struct perfscript_parser *ps, int fd, const char *name)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
		return -EISDIR;
	struct chunk_buf b = {.p = malloc(PERFSCRIPT_CHUNK), .cap = PERFSCRIPT_CHUNK};
	if (!b.p)
		return -ENOMEM;
	ps->name = name;
	int err = 0;
	for (;;) {
		ssize_t n = read_more(fd, &b);
		if (n <= 0) {
			/* At the end, a last line without a newline is still a line. */
			err = n < 0 ? (int)n : parse_lines(ps, b.p, b.len);
			break;
		}
		b.len += (size_t)n;
		err = parse_whole_lines(ps, &b, (size_t)n);
		if (err)
			break;
	}
	free(b.p);
	return err ? err : finish_input(ps);
}

int perfscript_parse_file(struct perfscript_parser *ps, const char *path)
{
	bool is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "<stdin>" : path;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;
		kiln_error("cannot read %s: %s", path, strerror(-err));
		return err;
	}
	int err = parse_fd(ps, fd, name);
	if (!is_stdin)
		close(fd);
	if (err == -ENOMEM)
		kiln_error("%s: out of memory while reading perf script output", name);
	else if (err && err != -EINVAL)
		kiln_error("cannot read %s: %s", name, strerror(-err));
	return err;
}

int perfscript_read_file(struct kiln_profile *p, const char *path)
{
	struct perfscript_options o = {
	    .pid = true, .tid = true, .kernel = true, .jit = true, .timeline = true};
	struct perfscript_parser ps;
	int err = perfscript_parser_init(&ps, p, &o);
	if (err)
		kiln_error("%s: out of memory while reading perf script output", path);
	else
		err = perfscript_parse_file(&ps, path);
	perfscript_parser_free(&ps);
	return err;
}
