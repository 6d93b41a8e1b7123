/* pprof: encoding goes through protoc-c's generated code; decoding is a small hand-written
 * protobuf reader, because readers must say where input goes wrong (protobuf-c only says
 * that it did) and must accept what Go writes (packed and unpacked repeated fields, tables in
 * any order, the string table last). */
#include "format/pprof.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "proto/profile.pb-c.h"
#include "util/atomic_file.h"
#include "util/log.h"
#include "util/vec.h"

#define KERNEL_MAPPING_NAME "[kernel.kallsyms]"
#define JIT_MAPPING_NAME "[jit]"
#define LOST_COMMENT_PREFIX "kiln: lost_samples="
/* A pprof file is never near this; larger is a corrupt or hostile gzip stream. */
#define MAX_DECOMPRESSED ((size_t)1 << 31)

/* ---------------------------------------------------------------- encoding */

struct enc {
	const struct kiln_profile *p;
	char **strings; /* the pprof string table: the profile's strings, then extras */
	size_t nstrings, cap, nbase;
	bool oom;
};

static int64_t enc_str_id(uint32_t kiln_id)
{
	return kiln_id ? (int64_t)kiln_id - 1 : 0;
}

/* Index of s in the string table, adding it if the profile does not have it. */
static int64_t enc_string(struct enc *e, const char *s)
{
	uint32_t id = intern_find(&e->p->strings, s, strlen(s));
	if (id)
		return id - 1;
	for (size_t i = e->nbase; i < e->nstrings; i++)
		if (!strcmp(e->strings[i], s))
			return (int64_t)i;
	char *copy = strdup(s);
	if (!copy || VEC_RESERVE(e->strings, e->cap, e->nstrings + 1)) {
		free(copy);
		e->oom = true;
		return 0;
	}
	e->strings[e->nstrings] = copy;
	return (int64_t)e->nstrings++;
}

static int enc_init_strings(struct enc *e)
{
	size_t n = e->p->strings.count;
	if (VEC_RESERVE(e->strings, e->cap, n + 8))
		return -ENOMEM;
	/* Kiln string id k is pprof index k - 1: id 1 is "", as pprof requires of index 0. */
	for (size_t i = 0; i < n; i++)
		e->strings[i] = (char *)kiln_profile_str(e->p, (uint32_t)i + 1);
	e->nstrings = e->nbase = n;
	return 0;
}

static void enc_free_strings(struct enc *e)
{
	for (size_t i = e->nbase; i < e->nstrings; i++)
		free(e->strings[i]);
	free(e->strings);
}

/* Everything the generated structs point at, allocated in a few blocks. */
struct enc_tables {
	Perftools__Profiles__ValueType vt[KILN_MAX_VALUES + 1], *vt_ptrs[KILN_MAX_VALUES];
	Perftools__Profiles__Function *funcs, **func_ptrs;
	Perftools__Profiles__Mapping *maps, **map_ptrs;
	Perftools__Profiles__Location *locs, **loc_ptrs;
	Perftools__Profiles__Line *lines, **line_ptrs;
	Perftools__Profiles__Sample *samples, **sample_ptrs;
	Perftools__Profiles__Label *labels, **label_ptrs;
	uint64_t *loc_ids;
	int64_t comment;
};

static void enc_tables_free(struct enc_tables *t)
{
	free(t->funcs);
	free(t->func_ptrs);
	free(t->maps);
	free(t->map_ptrs);
	free(t->locs);
	free(t->loc_ptrs);
	free(t->lines);
	free(t->line_ptrs);
	free(t->samples);
	free(t->sample_ptrs);
	free(t->labels);
	free(t->label_ptrs);
	free(t->loc_ids);
}

static int enc_tables_alloc(struct enc_tables *t, const struct kiln_profile *p)
{
	size_t nf = kiln_profile_nfunctions(p), nm = kiln_profile_nmappings(p) + 2;
	size_t nl = kiln_profile_nlocations(p), ns = p->nsamples;
	size_t nlines = 0, nlocids = 0;
	for (size_t i = 0; i < nl; i++)
		nlines += kiln_profile_get_location(p, (uint32_t)i + 1)->nlines;
	for (size_t i = 0; i < ns; i++)
		nlocids += p->samples[i].nlocs;
	/* +1 everywhere: calloc(0) may return NULL, which would read as out of memory. */
	t->funcs = calloc(nf + 1, sizeof(*t->funcs));
	t->func_ptrs = calloc(nf + 1, sizeof(*t->func_ptrs));
	t->maps = calloc(nm + 1, sizeof(*t->maps));
	t->map_ptrs = calloc(nm + 1, sizeof(*t->map_ptrs));
	t->locs = calloc(nl + 1, sizeof(*t->locs));
	t->loc_ptrs = calloc(nl + 1, sizeof(*t->loc_ptrs));
	t->lines = calloc(nlines + 1, sizeof(*t->lines));
	t->line_ptrs = calloc(nlines + 1, sizeof(*t->line_ptrs));
	t->samples = calloc(ns + 1, sizeof(*t->samples));
	t->sample_ptrs = calloc(ns + 1, sizeof(*t->sample_ptrs));
	t->labels = calloc(3 * ns + 1, sizeof(*t->labels));
	t->label_ptrs = calloc(3 * ns + 1, sizeof(*t->label_ptrs));
	t->loc_ids = calloc(nlocids + 1, sizeof(*t->loc_ids));
	if (!t->funcs || !t->func_ptrs || !t->maps || !t->map_ptrs || !t->locs || !t->loc_ptrs ||
	    !t->lines || !t->line_ptrs || !t->samples || !t->sample_ptrs || !t->labels ||
	    !t->label_ptrs || !t->loc_ids)
		return -ENOMEM;
	return 0;
}

/* The model's interned keys sit unaligned in its arena; copies keep UBSan (and strict
 * architectures) happy. */
static struct kiln_function function_at(const struct kiln_profile *p, uint32_t id)
{
	struct kiln_function f = {0};
	const struct kiln_function *src = kiln_profile_get_function(p, id);
	if (src)
		memcpy(&f, src, sizeof(f));
	return f;
}

static struct kiln_mapping mapping_at(const struct kiln_profile *p, uint32_t id)
{
	struct kiln_mapping m = {0};
	const struct kiln_mapping *src = kiln_profile_get_mapping(p, id);
	if (src)
		memcpy(&m, src, sizeof(m));
	return m;
}

static void enc_functions(const struct kiln_profile *p, struct enc_tables *t,
			  Perftools__Profiles__Profile *out)
{
	size_t n = kiln_profile_nfunctions(p);
	for (size_t i = 0; i < n; i++) {
		struct kiln_function f = function_at(p, (uint32_t)i + 1);
		Perftools__Profiles__Function *pf = &t->funcs[i];
		perftools__profiles__function__init(pf);
		pf->id = i + 1;
		pf->name = enc_str_id(f.name);
		pf->system_name = enc_str_id(f.system_name);
		pf->filename = enc_str_id(f.filename);
		pf->start_line = f.start_line;
		t->func_ptrs[i] = pf;
	}
	out->n_function = n;
	out->function = t->func_ptrs;
}

static void enc_mappings(const struct kiln_profile *p, struct enc_tables *t,
			 Perftools__Profiles__Profile *out)
{
	size_t n = kiln_profile_nmappings(p);
	for (size_t i = 0; i < n; i++) {
		struct kiln_mapping m = mapping_at(p, (uint32_t)i + 1);
		Perftools__Profiles__Mapping *pm = &t->maps[i];
		perftools__profiles__mapping__init(pm);
		pm->id = i + 1;
		pm->memory_start = m.start;
		pm->memory_limit = m.limit;
		pm->file_offset = m.offset;
		pm->filename = enc_str_id(m.filename);
		pm->build_id = enc_str_id(m.build_id);
		t->map_ptrs[i] = pm;
	}
	out->n_mapping = n;
	out->mapping = t->map_ptrs;
}

/* The mapping that carries a kernel or JIT frame's kind when it has no mapping of its own. */
static uint64_t enc_kind_mapping(struct enc *e, struct enc_tables *t,
				 Perftools__Profiles__Profile *out, uint8_t kind)
{
	const char *name = kind == KILN_FRAME_KERNEL ? KERNEL_MAPPING_NAME : JIT_MAPPING_NAME;
	int64_t sid = enc_string(e, name);
	for (size_t i = kiln_profile_nmappings(e->p); i < out->n_mapping; i++)
		if (t->maps[i].filename == sid)
			return t->maps[i].id;
	Perftools__Profiles__Mapping *pm = &t->maps[out->n_mapping];
	perftools__profiles__mapping__init(pm);
	pm->id = out->n_mapping + 1;
	pm->filename = sid;
	t->map_ptrs[out->n_mapping++] = pm;
	return pm->id;
}

/* pprof viewers re-symbolize mappings whose flags say symbols are missing. */
static void enc_mapping_flags(const struct kiln_profile *p, const struct kiln_location *loc,
			      Perftools__Profiles__Mapping *pm)
{
	if (!loc->nlines)
		return;
	pm->has_functions = true;
	if (loc->nlines > 1)
		pm->has_inline_frames = true;
	for (uint32_t l = 0; l < loc->nlines; l++) {
		const struct kiln_line *line = &p->lines[loc->first_line + l];
		struct kiln_function f = function_at(p, line->function);
		if (line->line > 0)
			pm->has_line_numbers = true;
		if (f.filename && kiln_profile_str(p, f.filename)[0])
			pm->has_filenames = true;
	}
}

static void enc_locations(struct enc *e, struct enc_tables *t, Perftools__Profiles__Profile *out)
{
	const struct kiln_profile *p = e->p;
	size_t n = kiln_profile_nlocations(p), nlines = 0;
	for (size_t i = 0; i < n; i++) {
		const struct kiln_location *loc = kiln_profile_get_location(p, (uint32_t)i + 1);
		Perftools__Profiles__Location *pl = &t->locs[i];
		perftools__profiles__location__init(pl);
		pl->id = i + 1;
		pl->address = loc->address;
		pl->mapping_id = loc->mapping;
		if (!loc->mapping && loc->kind != KILN_FRAME_USER)
			pl->mapping_id = enc_kind_mapping(e, t, out, loc->kind);
		if (pl->mapping_id)
			enc_mapping_flags(p, loc, &t->maps[pl->mapping_id - 1]);
		pl->n_line = loc->nlines;
		pl->line = t->line_ptrs + nlines;
		for (uint32_t l = 0; l < loc->nlines; l++) {
			const struct kiln_line *kl = &p->lines[loc->first_line + l];
			Perftools__Profiles__Line *line = &t->lines[nlines];
			perftools__profiles__line__init(line);
			line->function_id = kl->function;
			line->line = kl->line;
			t->line_ptrs[nlines++] = line;
		}
		t->loc_ptrs[i] = pl;
	}
	out->n_location = n;
	out->location = t->loc_ptrs;
}

static void enc_label(struct enc *e, Perftools__Profiles__Label *l, const char *key)
{
	perftools__profiles__label__init(l);
	l->key = enc_string(e, key);
}

static size_t enc_labels(struct enc *e, const struct kiln_labels *kl,
			 Perftools__Profiles__Label *labels, Perftools__Profiles__Label **ptrs)
{
	size_t n = 0;
	if (kl->pid >= 0) {
		enc_label(e, &labels[n], "pid");
		labels[n].num = kl->pid;
		ptrs[n] = &labels[n], n++;
	}
	if (kl->tid >= 0) {
		enc_label(e, &labels[n], "tid");
		labels[n].num = kl->tid;
		ptrs[n] = &labels[n], n++;
	}
	if (kl->comm) {
		enc_label(e, &labels[n], "comm");
		labels[n].str = enc_str_id(kl->comm);
		ptrs[n] = &labels[n], n++;
	}
	return n;
}

static void enc_samples(struct enc *e, struct enc_tables *t, Perftools__Profiles__Profile *out)
{
	const struct kiln_profile *p = e->p;
	size_t nids = 0;
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct kiln_sample *s = &p->samples[i];
		const uint32_t *locs = kiln_profile_sample_locs(p, s);
		Perftools__Profiles__Sample *ps = &t->samples[i];
		perftools__profiles__sample__init(ps);
		ps->n_location_id = s->nlocs;
		ps->location_id = t->loc_ids + nids;
		for (uint32_t j = 0; j < s->nlocs; j++)
			t->loc_ids[nids++] = locs[j];
		ps->n_value = p->nvalues;
		/* protobuf-c only reads it; the cast spares a copy of every value. */
		ps->value = (int64_t *)s->values;
		ps->label = t->label_ptrs + 3 * i;
		ps->n_label = enc_labels(e, &s->labels, t->labels + 3 * i, ps->label);
		t->sample_ptrs[i] = ps;
	}
	out->n_sample = p->nsamples;
	out->sample = t->sample_ptrs;
}

static void enc_header(struct enc *e, struct enc_tables *t, Perftools__Profiles__Profile *out)
{
	const struct kiln_profile *p = e->p;
	for (size_t i = 0; i < p->nvalues; i++) {
		perftools__profiles__value_type__init(&t->vt[i]);
		t->vt[i].type = enc_str_id(p->value_types[i].type);
		t->vt[i].unit = enc_str_id(p->value_types[i].unit);
		t->vt_ptrs[i] = &t->vt[i];
	}
	out->n_sample_type = p->nvalues;
	out->sample_type = t->vt_ptrs;
	if (p->period_type.type || p->period_type.unit) {
		Perftools__Profiles__ValueType *pt = &t->vt[KILN_MAX_VALUES];
		perftools__profiles__value_type__init(pt);
		pt->type = enc_str_id(p->period_type.type);
		pt->unit = enc_str_id(p->period_type.unit);
		out->period_type = pt;
	}
	out->period = p->period;
	out->time_nanos = p->time_ns;
	out->duration_nanos = p->duration_ns;
	if (p->lost_samples) {
		/* pprof has no field for it; a comment keeps it visible (pprof -comments). */
		char text[64];
		snprintf(text, sizeof(text), LOST_COMMENT_PREFIX "%" PRIu64, p->lost_samples);
		t->comment = enc_string(e, text);
		out->n_comment = 1;
		out->comment = &t->comment;
	}
}

int pprof_encode(const struct kiln_profile *p, uint8_t **out, size_t *len)
{
	struct enc e = {.p = p};
	struct enc_tables t = {0};
	Perftools__Profiles__Profile prof = PERFTOOLS__PROFILES__PROFILE__INIT;
	int err = enc_init_strings(&e);
	if (!err)
		err = enc_tables_alloc(&t, p);
	if (!err) {
		enc_header(&e, &t, &prof);
		enc_functions(p, &t, &prof);
		enc_mappings(p, &t, &prof);
		enc_locations(&e, &t, &prof);
		enc_samples(&e, &t, &prof);
		prof.n_string_table = e.nstrings;
		prof.string_table = e.strings;
		err = e.oom ? -ENOMEM : 0;
	}
	if (!err) {
		size_t size = perftools__profiles__profile__get_packed_size(&prof);
		*out = malloc(size + 1);
		if (*out)
			*len = perftools__profiles__profile__pack(&prof, *out);
		else
			err = -ENOMEM;
	}
	enc_tables_free(&t);
	enc_free_strings(&e);
	return err;
}

/* ---------------------------------------------------------------- files */

/* gzip of buf into a malloc'ed buffer. */
static int gzip_buffer(const uint8_t *buf, size_t len, uint8_t **out, size_t *outlen)
{
	z_stream z = {0};
	/* 15 + 16: a gzip header, as pprof files have. */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -ENOMEM;
	size_t cap = deflateBound(&z, len);
	*out = malloc(cap);
	if (!*out) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)buf;
	z.avail_in = (uInt)len;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	*outlen = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		return -EIO;
	}
	return 0;
}

struct buffer {
	const void *data;
	size_t len;
};

static int buffer_write(FILE *out, void *arg)
{
	const struct buffer *b = arg;
	return fwrite(b->data, 1, b->len, out) == b->len ? 0 : -EIO;
}

int pprof_write_file(const struct kiln_profile *p, const char *path)
{
	uint8_t *raw = NULL, *gz = NULL;
	size_t rawlen = 0, gzlen = 0;
	int err = pprof_encode(p, &raw, &rawlen);
	if (!err)
		err = gzip_buffer(raw, rawlen, &gz, &gzlen);
	if (!err)
		err = atomic_write_file(path, buffer_write, &(struct buffer){gz, gzlen});
	if (err)
		kiln_error("cannot write %s: %s", path, strerror(-err));
	free(raw);
	free(gz);
	return err;
}

static int read_whole_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;
	int err = 0;
	for (;;) {
		if (VEC_RESERVE(buf, cap, n + 65536)) {
			err = -ENOMEM;
			break;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				err = -EIO;
			break;
		}
	}
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*len = n;
	return 0;
}

int pprof_read_file(struct kiln_profile *p, const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int err = read_whole_file(path, &buf, &len);
	if (err) {
		kiln_error("cannot read %s: %s", path, strerror(-err));
		return err;
	}
	err = pprof_decode(p, buf, len, path);
	free(buf);
	return err;
}

/* ---------------------------------------------------------------- decoding: wire format */

struct pb {
	const uint8_t *buf;
	size_t pos, end;
	const char *name; /* for messages */
	bool failed;	  /* an error was already reported */
};

__attribute__((format(printf, 3, 4))) static int pb_fail(struct pb *r, size_t off, const char *fmt,
							 ...)
{
	if (!r->failed) {
		char what[256];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		kiln_error("%s: offset %zu: %s", r->name, off, what);
		r->failed = true;
	}
	return -EINVAL;
}

static int pb_varint(struct pb *r, uint64_t *v)
{
	size_t start = r->pos;
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 70; shift += 7) {
		if (r->pos >= r->end)
			return pb_fail(r, start, "expected a varint, data ends after %zu bytes",
				       r->pos - start);
		uint8_t b = r->buf[r->pos++];
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return pb_fail(r, start, "expected a varint of at most 10 bytes");
}

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

struct pb_field {
	uint32_t num;
	unsigned wt;
	size_t off;  /* where the key starts */
	uint64_t v;  /* varint value, or length of WT_LEN */
	size_t data; /* WT_LEN: where the bytes start */
};

/* Reads the next key and its payload (varints decoded, other types skipped over). */
static int pb_next(struct pb *r, struct pb_field *f)
{
	uint64_t key;
	f->off = r->pos;
	if (pb_varint(r, &key))
		return -EINVAL;
	f->num = (uint32_t)(key >> 3);
	f->wt = key & 7;
	if (f->num == 0 || key >> 32)
		return pb_fail(r, f->off, "expected a field key, found field number %" PRIu64,
			       key >> 3);
	switch (f->wt) {
	case WT_VARINT:
		return pb_varint(r, &f->v);
	case WT_LEN:
		if (pb_varint(r, &f->v))
			return -EINVAL;
		if (f->v > r->end - r->pos)
			return pb_fail(r, f->off,
				       "field %u: expected %" PRIu64 " bytes, only %zu left",
				       f->num, f->v, r->end - r->pos);
		f->data = r->pos;
		r->pos += f->v;
		return 0;
	case WT_I64:
	case WT_I32: {
		size_t n = f->wt == WT_I64 ? 8 : 4;
		if (n > r->end - r->pos)
			return pb_fail(r, f->off, "field %u: expected %zu bytes, only %zu left",
				       f->num, n, r->end - r->pos);
		r->pos += n;
		return 0;
	}
	default:
		return pb_fail(r, f->off, "field %u: unsupported wire type %u", f->num, f->wt);
	}
}

static int pb_expect(struct pb *r, const struct pb_field *f, unsigned wt, const char *what)
{
	if (f->wt == wt)
		return 0;
	return pb_fail(r, f->off, "%s (field %u): expected wire type %u, found %u", what, f->num,
		       wt, f->wt);
}

/* A reader over a length-delimited field's bytes, offsets still relative to the whole input. */
static struct pb pb_sub(struct pb *r, const struct pb_field *f)
{
	struct pb sub = {r->buf, f->data, f->data + f->v, r->name, false};
	return sub;
}

/* Repeated integers come packed (one length-delimited run) or one varint per field. */
static int pb_repeated(struct pb *r, const struct pb_field *f, uint64_t **vals, size_t *n,
		       size_t *cap, const char *what)
{
	if (f->wt == WT_VARINT) {
		if (VEC_RESERVE(*vals, *cap, *n + 1))
			return -ENOMEM;
		(*vals)[(*n)++] = f->v;
		return 0;
	}
	if (pb_expect(r, f, WT_LEN, what))
		return -EINVAL;
	struct pb sub = pb_sub(r, f);
	while (sub.pos < sub.end) {
		uint64_t v;
		if (pb_varint(&sub, &v)) {
			r->failed = true;
			return -EINVAL;
		}
		if (VEC_RESERVE(*vals, *cap, *n + 1))
			return -ENOMEM;
		(*vals)[(*n)++] = v;
	}
	return 0;
}

/* ---------------------------------------------------------------- decoding: raw tables */

struct raw_vt {
	size_t off;
	int64_t type, unit;
};
struct raw_label {
	size_t off;
	int64_t key, str, num;
};
struct raw_sample {
	size_t off;
	size_t loc_first, nloc, val_first, nval, lab_first, nlab;
};
struct raw_mapping {
	size_t off;
	uint64_t id, start, limit, offset;
	int64_t filename, build_id;
	uint32_t kiln_id;
	uint32_t unknown_fn; /* function "[basename]" for its unsymbolized locations, 0 = none */
	uint8_t kind;
};
struct raw_line {
	size_t off;
	uint64_t function_id;
	int64_t line;
};
struct raw_location {
	size_t off;
	uint64_t id, mapping_id, address;
	size_t line_first, nline;
};
struct raw_function {
	size_t off;
	uint64_t id;
	int64_t name, system_name, filename, start_line;
	uint32_t kiln_id;
};
struct raw_string {
	size_t off, len;
};

struct raw {
	struct raw_vt *vts;
	size_t nvts, vts_cap;
	struct raw_vt period_type;
	struct raw_sample *samples;
	size_t nsamples, samples_cap;
	uint64_t *locids; /* all samples' location ids back to back */
	size_t nlocids, locids_cap;
	uint64_t *values;
	size_t nvalues, values_cap;
	struct raw_label *labels;
	size_t nlabels, labels_cap;
	struct raw_mapping *maps;
	size_t nmaps, maps_cap;
	struct raw_location *locs;
	size_t nlocs, locs_cap;
	struct raw_line *lines;
	size_t nlines, lines_cap;
	struct raw_function *funcs;
	size_t nfuncs, funcs_cap;
	struct raw_string *strings;
	size_t nstrings, strings_cap;
	uint64_t *comments;
	size_t ncomments, comments_cap;
	int64_t time_ns, duration_ns, period;
	size_t end; /* offset of the end of the input */
};

static void raw_free(struct raw *w)
{
	free(w->vts);
	free(w->samples);
	free(w->locids);
	free(w->values);
	free(w->labels);
	free(w->maps);
	free(w->locs);
	free(w->lines);
	free(w->funcs);
	free(w->strings);
	free(w->comments);
}

static int parse_value_type(struct pb *r, const struct pb_field *f, struct raw_vt *vt)
{
	struct pb sub = pb_sub(r, f);
	struct pb_field g;
	vt->off = f->off;
	while (sub.pos < sub.end) {
		if (pb_next(&sub, &g))
			return -EINVAL;
		if ((g.num == 1 || g.num == 2) && pb_expect(&sub, &g, WT_VARINT, "ValueType"))
			return -EINVAL;
		if (g.num == 1)
			vt->type = (int64_t)g.v;
		else if (g.num == 2)
			vt->unit = (int64_t)g.v;
	}
	return 0;
}

static int parse_label(struct pb *r, const struct pb_field *f, struct raw *w)
{
	if (VEC_RESERVE(w->labels, w->labels_cap, w->nlabels + 1))
		return -ENOMEM;
	struct raw_label *l = &w->labels[w->nlabels++];
	memset(l, 0, sizeof(*l));
	l->off = f->off;
	struct pb sub = pb_sub(r, f);
	struct pb_field g;
	while (sub.pos < sub.end) {
		if (pb_next(&sub, &g))
			return -EINVAL;
		if (g.num >= 1 && g.num <= 4 && pb_expect(&sub, &g, WT_VARINT, "Label"))
			return -EINVAL;
		if (g.num == 1)
			l->key = (int64_t)g.v;
		else if (g.num == 2)
			l->str = (int64_t)g.v;
		else if (g.num == 3)
			l->num = (int64_t)g.v;
	}
	return 0;
}

static int parse_sample(struct pb *r, const struct pb_field *f, struct raw *w)
{
	struct raw_sample s = {.off = f->off,
			       .loc_first = w->nlocids,
			       .val_first = w->nvalues,
			       .lab_first = w->nlabels};
	struct pb sub = pb_sub(r, f);
	struct pb_field g;
	int err = 0;
	while (!err && sub.pos < sub.end) {
		if (pb_next(&sub, &g))
			return -EINVAL;
		/* Fields interleave (Go writes values first), so runs are only contiguous because
		 * each repeated field gets its own array. */
		if (g.num == 1)
			err = pb_repeated(&sub, &g, &w->locids, &w->nlocids, &w->locids_cap,
					  "Sample.location_id");
		else if (g.num == 2)
			err = pb_repeated(&sub, &g, &w->values, &w->nvalues, &w->values_cap,
					  "Sample.value");
		else if (g.num == 3)
			err =
			    pb_expect(&sub, &g, WT_LEN, "Sample.label") ?: parse_label(&sub, &g, w);
	}
	if (err)
		return err;
	s.nloc = w->nlocids - s.loc_first;
	s.nval = w->nvalues - s.val_first;
	s.nlab = w->nlabels - s.lab_first;
	if (VEC_RESERVE(w->samples, w->samples_cap, w->nsamples + 1))
		return -ENOMEM;
	w->samples[w->nsamples++] = s;
	return 0;
}

static int parse_mapping(struct pb *r, const struct pb_field *f, struct raw *w)
{
	struct raw_mapping m = {.off = f->off};
	struct pb sub = pb_sub(r, f);
	struct pb_field g;
	while (sub.pos < sub.end) {
		if (pb_next(&sub, &g))
			return -EINVAL;
		if (g.num >= 1 && g.num <= 10 && pb_expect(&sub, &g, WT_VARINT, "Mapping"))
			return -EINVAL;
		switch (g.num) {
		case 1:
			m.id = g.v;
			break;
		case 2:
			m.start = g.v;
			break;
		case 3:
			m.limit = g.v;
			break;
		case 4:
			m.offset = g.v;
			break;
		case 5:
			m.filename = (int64_t)g.v;
			break;
		case 6:
			m.build_id = (int64_t)g.v;
			break;
		default:
			break; /* the has_* flags: kiln recomputes them */
		}
	}
	if (VEC_RESERVE(w->maps, w->maps_cap, w->nmaps + 1))
		return -ENOMEM;
	w->maps[w->nmaps++] = m;
	return 0;
}

static int parse_line(struct pb *r, const struct pb_field *f, struct raw *w)
{
	struct raw_line l = {.off = f->off};
	struct pb sub = pb_sub(r, f);
	struct pb_field g;
	while (sub.pos < sub.end) {
		if (pb_next(&sub, &g))
			return -EINVAL;
		if (g.num >= 1 && g.num <= 3 && pb_expect(&sub, &g, WT_VARINT, "Line"))
			return -EINVAL;
		if (g.num == 1)
			l.function_id = g.v;
		else if (g.num == 2)
			l.line = (int64_t)g.v;
	}
	if (VEC_RESERVE(w->lines, w->lines_cap, w->nlines + 1))
		return -ENOMEM;
	w->lines[w->nlines++] = l;
	return 0;
}

static int parse_location(struct pb *r, const struct pb_field *f, struct raw *w)
{
	struct raw_location l = {.off = f->off, .line_first = w->nlines};
	struct pb sub = pb_sub(r, f);
	struct pb_field g;
	int err = 0;
	while (!err && sub.pos < sub.end) {
		if (pb_next(&sub, &g))
			return -EINVAL;
		if (g.num == 4) {
			err =
			    pb_expect(&sub, &g, WT_LEN, "Location.line") ?: parse_line(&sub, &g, w);
			continue;
		}
		if (g.num >= 1 && g.num <= 5 && pb_expect(&sub, &g, WT_VARINT, "Location"))
			return -EINVAL;
		if (g.num == 1)
			l.id = g.v;
		else if (g.num == 2)
			l.mapping_id = g.v;
		else if (g.num == 3)
			l.address = g.v;
	}
	if (err)
		return err;
	l.nline = w->nlines - l.line_first;
	if (VEC_RESERVE(w->locs, w->locs_cap, w->nlocs + 1))
		return -ENOMEM;
	w->locs[w->nlocs++] = l;
	return 0;
}

static int parse_function(struct pb *r, const struct pb_field *f, struct raw *w)
{
	struct raw_function fn = {.off = f->off};
	struct pb sub = pb_sub(r, f);
	struct pb_field g;
	while (sub.pos < sub.end) {
		if (pb_next(&sub, &g))
			return -EINVAL;
		if (g.num >= 1 && g.num <= 5 && pb_expect(&sub, &g, WT_VARINT, "Function"))
			return -EINVAL;
		switch (g.num) {
		case 1:
			fn.id = g.v;
			break;
		case 2:
			fn.name = (int64_t)g.v;
			break;
		case 3:
			fn.system_name = (int64_t)g.v;
			break;
		case 4:
			fn.filename = (int64_t)g.v;
			break;
		case 5:
			fn.start_line = (int64_t)g.v;
			break;
		default:
			break;
		}
	}
	if (VEC_RESERVE(w->funcs, w->funcs_cap, w->nfuncs + 1))
		return -ENOMEM;
	w->funcs[w->nfuncs++] = fn;
	return 0;
}

static int parse_string(struct pb *r, const struct pb_field *f, struct raw *w)
{
	if (pb_expect(r, f, WT_LEN, "Profile.string_table"))
		return -EINVAL;
	if (VEC_RESERVE(w->strings, w->strings_cap, w->nstrings + 1))
		return -ENOMEM;
	w->strings[w->nstrings++] = (struct raw_string){f->data, f->v};
	return 0;
}

static int parse_profile_scalar(struct pb *r, const struct pb_field *f, struct raw *w)
{
	if (pb_expect(r, f, WT_VARINT, "Profile"))
		return -EINVAL;
	if (f->num == 9)
		w->time_ns = (int64_t)f->v;
	else if (f->num == 10)
		w->duration_ns = (int64_t)f->v;
	else if (f->num == 12)
		w->period = (int64_t)f->v;
	return 0; /* drop_frames, keep_frames, default_sample_type, doc_url: not used */
}

static int parse_profile_field(struct pb *r, const struct pb_field *f, struct raw *w)
{
	bool msg = f->num <= 5 || f->num == 11;
	if (msg && pb_expect(r, f, WT_LEN, "Profile"))
		return -EINVAL;
	switch (f->num) {
	case 1:
		if (VEC_RESERVE(w->vts, w->vts_cap, w->nvts + 1))
			return -ENOMEM;
		w->vts[w->nvts] = (struct raw_vt){0};
		return parse_value_type(r, f, &w->vts[w->nvts++]);
	case 2:
		return parse_sample(r, f, w);
	case 3:
		return parse_mapping(r, f, w);
	case 4:
		return parse_location(r, f, w);
	case 5:
		return parse_function(r, f, w);
	case 6:
		return parse_string(r, f, w);
	case 11:
		return parse_value_type(r, f, &w->period_type);
	case 13:
		return pb_repeated(r, f, &w->comments, &w->ncomments, &w->comments_cap,
				   "Profile.comment");
	case 7:
	case 8:
	case 9:
	case 10:
	case 12:
	case 14:
	case 15:
		return parse_profile_scalar(r, f, w);
	default:
		return 0; /* fields from newer versions of the format */
	}
}

static int parse_profile(struct pb *r, struct raw *w)
{
	struct pb_field f;
	while (r->pos < r->end) {
		if (pb_next(r, &f))
			return -EINVAL;
		int err = parse_profile_field(r, &f, w);
		if (err)
			return r->failed ? -EINVAL : err;
	}
	return 0;
}

/* ---------------------------------------------------------------- decoding: building */

struct build {
	struct kiln_profile *p;
	struct pb *r;
	struct raw *w;
	uint32_t *str_ids; /* pprof string index -> kiln string id, 0 = not interned yet */
	struct id_index *map_index, *loc_index, *func_index;
	uint32_t *loc_kiln; /* per raw location: its kiln location id */
};

struct id_index {
	uint64_t id;
	size_t idx;
};

static int cmp_id_index(const void *a, const void *b)
{
	const struct id_index *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Sorted (id, index) pairs so references resolve in O(log n) whatever ids a writer chose. */
static int index_ids(struct build *b, struct id_index **out, size_t n, const uint64_t *ids,
		     size_t stride, const size_t *offs, const char *what)
{
	struct id_index *ix = calloc(n + 1, sizeof(*ix));
	if (!ix)
		return -ENOMEM;
	*out = ix;
	for (size_t i = 0; i < n; i++) {
		uint64_t id = *(const uint64_t *)((const char *)ids + i * stride);
		size_t off = *(const size_t *)((const char *)offs + i * stride);
		if (!id)
			return pb_fail(b->r, off, "expected a %s id other than 0", what);
		ix[i] = (struct id_index){id, i};
	}
	qsort(ix, n, sizeof(*ix), cmp_id_index);
	for (size_t i = 1; i < n; i++)
		if (ix[i].id == ix[i - 1].id)
			return pb_fail(
			    b->r, *(const size_t *)((const char *)offs + ix[i].idx * stride),
			    "expected unique %s ids, %" PRIu64 " is used twice", what, ix[i].id);
	return 0;
}

static long find_id(const struct id_index *ix, size_t n, uint64_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix[mid].id == id)
			return (long)ix[mid].idx;
		if (ix[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Kiln string id for pprof string index idx; *out = 0 for index 0 when zero_is_none. */
static int build_str(struct build *b, int64_t idx, size_t off, bool zero_is_none, uint32_t *out)
{
	if (idx < 0 || (uint64_t)idx >= b->w->nstrings)
		return pb_fail(b->r, off, "expected a string index below %zu, found %" PRId64,
			       b->w->nstrings, idx);
	if (idx == 0 && zero_is_none) {
		*out = 0;
		return 0;
	}
	if (!b->str_ids[idx]) {
		const struct raw_string *s = &b->w->strings[idx];
		b->str_ids[idx] =
		    kiln_profile_intern(b->p, (const char *)b->r->buf + s->off, s->len);
		if (!b->str_ids[idx])
			return -ENOMEM;
	}
	*out = b->str_ids[idx];
	return 0;
}

static const char *kstr(const struct build *b, uint32_t kiln_id)
{
	return kiln_profile_str(b->p, kiln_id);
}

static int build_header(struct build *b)
{
	struct raw *w = b->w;
	if (!w->nstrings || w->strings[0].len)
		return pb_fail(b->r, w->nstrings ? w->strings[0].off : w->end,
			       "expected the string table to start with \"\"");
	if (w->nvts > KILN_MAX_VALUES)
		kiln_warn("%s: %zu sample types, keeping the first %d", b->r->name, w->nvts,
			  KILN_MAX_VALUES);
	for (size_t i = 0; i < w->nvts && i < KILN_MAX_VALUES; i++) {
		uint32_t type, unit;
		if (build_str(b, w->vts[i].type, w->vts[i].off, false, &type) ||
		    build_str(b, w->vts[i].unit, w->vts[i].off, false, &unit))
			return -EINVAL;
		int rc = kiln_profile_add_value_type(b->p, kstr(b, type), kstr(b, unit));
		if (rc < 0)
			return rc;
	}
	uint32_t ptype, punit;
	if (build_str(b, w->period_type.type, w->period_type.off, true, &ptype) ||
	    build_str(b, w->period_type.unit, w->period_type.off, true, &punit))
		return -EINVAL;
	b->p->period_type = (struct kiln_value_type){ptype, punit};
	b->p->period = w->period;
	b->p->time_ns = w->time_ns;
	b->p->duration_ns = w->duration_ns;
	for (size_t i = 0; i < w->ncomments; i++) {
		uint32_t c;
		if (build_str(b, (int64_t)w->comments[i], w->end, false, &c))
			return -EINVAL;
		const char *text = kstr(b, c);
		if (!strncmp(text, LOST_COMMENT_PREFIX, strlen(LOST_COMMENT_PREFIX)))
			b->p->lost_samples = strtoull(text + strlen(LOST_COMMENT_PREFIX), NULL, 10);
	}
	return 0;
}

static int build_functions(struct build *b)
{
	for (size_t i = 0; i < b->w->nfuncs; i++) {
		struct raw_function *rf = &b->w->funcs[i];
		struct kiln_function f = {.start_line = (int32_t)rf->start_line};
		if (build_str(b, rf->name, rf->off, false, &f.name) ||
		    build_str(b, rf->system_name, rf->off, true, &f.system_name) ||
		    build_str(b, rf->filename, rf->off, true, &f.filename))
			return -EINVAL;
		rf->kiln_id = kiln_profile_function(b->p, &f);
		if (!rf->kiln_id)
			return -ENOMEM;
	}
	return 0;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* Frame kind from a mapping: kernel addresses (modules are "[name]" mappings up there), or its
 * file name as perf and its converters name them. */
static uint8_t mapping_kind(const char *file, uint64_t start)
{
	if (start >= 0xffff800000000000ULL || has_prefix(file, "[kernel") ||
	    has_prefix(file, "[vmlinux") || has_suffix(file, ".ko") ||
	    has_prefix(file, "/lib/modules/"))
		return KILN_FRAME_KERNEL;
	if (!strcmp(file, JIT_MAPPING_NAME) ||
	    (has_prefix(file, "/tmp/perf-") && has_suffix(file, ".map")))
		return KILN_FRAME_JIT;
	return KILN_FRAME_USER;
}

/* Frames without symbols in a known file are "[file]", as perf and pprof name them. */
static int unknown_function(struct build *b, const char *file, uint32_t *out)
{
	const char *base = strrchr(file, '/');
	base = base && base[1] ? base + 1 : file;
	size_t len = strlen(base);
	char *name = malloc(len + 3);
	if (!name)
		return -ENOMEM;
	snprintf(name, len + 3, "[%s]", base);
	*out = kiln_profile_function_named(b->p, name, len + 2);
	free(name);
	return *out ? 0 : -ENOMEM;
}

static int build_mappings(struct build *b)
{
	for (size_t i = 0; i < b->w->nmaps; i++) {
		struct raw_mapping *rm = &b->w->maps[i];
		struct kiln_mapping m = {rm->start, rm->limit, rm->offset, 0, 0};
		if (build_str(b, rm->filename, rm->off, true, &m.filename) ||
		    build_str(b, rm->build_id, rm->off, true, &m.build_id))
			return -EINVAL;
		const char *file = kstr(b, m.filename);
		rm->kind = mapping_kind(file, rm->start);
		/* The kind-only mappings kiln writes stand for "no mapping" in the model. */
		bool kind_only =
		    !m.start && !m.limit && !m.offset && !m.build_id &&
		    (!strcmp(file, KERNEL_MAPPING_NAME) || !strcmp(file, JIT_MAPPING_NAME));
		rm->kiln_id = kind_only ? 0 : kiln_profile_mapping(b->p, &m);
		if (!kind_only && !rm->kiln_id)
			return -ENOMEM;
		if (!kind_only && file[0] && unknown_function(b, file, &rm->unknown_fn))
			return -ENOMEM;
	}
	return 0;
}

static int build_location_lines(struct build *b, const struct raw_location *rl,
				struct kiln_line *out)
{
	for (size_t l = 0; l < rl->nline; l++) {
		const struct raw_line *line = &b->w->lines[rl->line_first + l];
		long fi = find_id(b->func_index, b->w->nfuncs, line->function_id);
		if (fi < 0)
			return pb_fail(b->r, line->off,
				       "expected the id of a function, found %" PRIu64,
				       line->function_id);
		out[l] = (struct kiln_line){b->w->funcs[fi].kiln_id, (int32_t)line->line};
	}
	return 0;
}

static int build_locations(struct build *b)
{
	struct kiln_line *lines = NULL;
	size_t cap = 0;
	int err = 0;
	for (size_t i = 0; i < b->w->nlocs && !err; i++) {
		const struct raw_location *rl = &b->w->locs[i];
		uint32_t mapping = 0, unknown_fn = 0;
		uint8_t kind = KILN_FRAME_USER;
		if (rl->mapping_id) {
			long mi = find_id(b->map_index, b->w->nmaps, rl->mapping_id);
			if (mi < 0) {
				err = pb_fail(b->r, rl->off,
					      "expected the id of a mapping, found %" PRIu64,
					      rl->mapping_id);
				break;
			}
			mapping = b->w->maps[mi].kiln_id;
			kind = b->w->maps[mi].kind;
			unknown_fn = b->w->maps[mi].unknown_fn;
		}
		if (VEC_RESERVE(lines, cap, rl->nline + 1)) {
			err = -ENOMEM;
			break;
		}
		err = build_location_lines(b, rl, lines);
		if (err)
			break;
		uint32_t nlines = (uint32_t)rl->nline;
		if (!nlines && unknown_fn)
			lines[nlines++] = (struct kiln_line){unknown_fn, 0};
		b->loc_kiln[i] =
		    kiln_profile_location(b->p, mapping, rl->address, kind, lines, nlines);
		if (!b->loc_kiln[i])
			err = -ENOMEM;
	}
	free(lines);
	return err;
}

static int build_labels(struct build *b, const struct raw_sample *rs, struct kiln_labels *out)
{
	*out = kiln_labels_none();
	for (size_t i = 0; i < rs->nlab; i++) {
		const struct raw_label *l = &b->w->labels[rs->lab_first + i];
		uint32_t key, str;
		if (build_str(b, l->key, l->off, false, &key) ||
		    build_str(b, l->str, l->off, true, &str))
			return -EINVAL;
		const char *k = kstr(b, key);
		/* Other labels (Go's pprof.Do labels, ...) have no place in the model. */
		if (!strcmp(k, "pid") && !str && l->num >= 0 && l->num <= INT32_MAX)
			out->pid = (int32_t)l->num;
		else if (!strcmp(k, "tid") && !str && l->num >= 0 && l->num <= INT32_MAX)
			out->tid = (int32_t)l->num;
		else if (!strcmp(k, "comm") && str)
			out->comm = str;
	}
	return 0;
}

static int build_sample(struct build *b, const struct raw_sample *rs, uint32_t **locs, size_t *cap)
{
	if (rs->nval != b->w->nvts)
		return pb_fail(b->r, rs->off,
			       "expected %zu sample values (one per sample type), found %zu",
			       b->w->nvts, rs->nval);
	if (VEC_RESERVE(*locs, *cap, rs->nloc + 1))
		return -ENOMEM;
	for (size_t j = 0; j < rs->nloc; j++) {
		long li = find_id(b->loc_index, b->w->nlocs, b->w->locids[rs->loc_first + j]);
		if (li < 0)
			return pb_fail(b->r, rs->off,
				       "expected the id of a location, found %" PRIu64,
				       b->w->locids[rs->loc_first + j]);
		(*locs)[j] = b->loc_kiln[li];
	}
	int64_t values[KILN_MAX_VALUES] = {0};
	for (size_t v = 0; v < rs->nval && v < KILN_MAX_VALUES; v++)
		values[v] = (int64_t)b->w->values[rs->val_first + v];
	struct kiln_labels labels;
	if (build_labels(b, rs, &labels))
		return -EINVAL;
	long rc = kiln_profile_add_sample(b->p, *locs, (uint32_t)rs->nloc, &labels, values);
	if (rc == -EOVERFLOW)
		return pb_fail(b->r, rs->off,
			       "expected sample values that add up to at most 2^63-1 per type");
	return rc < 0 ? (int)rc : 0;
}

static int build_samples(struct build *b)
{
	uint32_t *locs = NULL;
	size_t cap = 0;
	int err = 0;
	for (size_t i = 0; i < b->w->nsamples && !err; i++)
		err = build_sample(b, &b->w->samples[i], &locs, &cap);
	free(locs);
	return err;
}

static int build_indexes(struct build *b)
{
	struct raw *w = b->w;
	int err = index_ids(b, &b->func_index, w->nfuncs, &w->funcs[0].id, sizeof(*w->funcs),
			    &w->funcs[0].off, "function");
	if (!err)
		err = index_ids(b, &b->map_index, w->nmaps, &w->maps[0].id, sizeof(*w->maps),
				&w->maps[0].off, "mapping");
	if (!err)
		err = index_ids(b, &b->loc_index, w->nlocs, &w->locs[0].id, sizeof(*w->locs),
				&w->locs[0].off, "location");
	return err;
}

static int build_profile(struct kiln_profile *p, struct pb *r, struct raw *w)
{
	struct build b = {.p = p, .r = r, .w = w};
	/* The +1s keep calloc(0) from reading as out of memory; dummy rows make &w->x[0] valid. */
	if (VEC_RESERVE(w->funcs, w->funcs_cap, w->nfuncs + 1) ||
	    VEC_RESERVE(w->maps, w->maps_cap, w->nmaps + 1) ||
	    VEC_RESERVE(w->locs, w->locs_cap, w->nlocs + 1))
		return -ENOMEM;
	b.str_ids = calloc(w->nstrings + 1, sizeof(*b.str_ids));
	b.loc_kiln = calloc(w->nlocs + 1, sizeof(*b.loc_kiln));
	int err = b.str_ids && b.loc_kiln ? 0 : -ENOMEM;
	if (!err)
		err = build_header(&b);
	if (!err)
		err = build_indexes(&b);
	if (!err)
		err = build_functions(&b);
	if (!err)
		err = build_mappings(&b);
	if (!err)
		err = build_locations(&b);
	if (!err)
		err = build_samples(&b);
	free(b.str_ids);
	free(b.loc_kiln);
	free(b.func_index);
	free(b.map_index);
	free(b.loc_index);
	return err;
}

/* ---------------------------------------------------------------- decoding: entry */

static int gunzip(const uint8_t *buf, size_t len, const char *name, uint8_t **out, size_t *outlen)
{
	z_stream z = {0};
	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return -ENOMEM;
	uint8_t *dst = NULL;
	size_t cap = 0, n = 0;
	int rc = Z_OK, err = 0;
	z.next_in = (Bytef *)buf;
	z.avail_in = (uInt)len;
	while (!err) {
		if (n > MAX_DECOMPRESSED || VEC_RESERVE(dst, cap, n + 65536 + len)) {
			err = -ENOMEM;
			break;
		}
		z.next_out = dst + n;
		z.avail_out = (uInt)(cap - n);
		rc = inflate(&z, Z_NO_FLUSH);
		n = cap - z.avail_out;
		if (rc == Z_STREAM_END && z.avail_in == 0)
			break;
		if (rc == Z_STREAM_END) /* another gzip member follows */
			rc = inflateReset(&z);
		if (rc == Z_BUF_ERROR && z.avail_in == 0)
			err = -EINVAL,
			kiln_error("%s: offset %zu: gzip data ends early", name, len);
		else if (rc != Z_OK && rc != Z_BUF_ERROR)
			err = -EINVAL, kiln_error("%s: offset %lu: expected gzip data (%s)", name,
						  z.total_in, z.msg ? z.msg : "corrupt");
	}
	inflateEnd(&z);
	if (err == -ENOMEM)
		kiln_error("%s: decompressed data too large (over %zu bytes)", name, n);
	if (err) {
		free(dst);
		return err;
	}
	*out = dst;
	*outlen = n;
	return 0;
}

static int decode_raw(struct kiln_profile *p, const uint8_t *buf, size_t len, const char *name)
{
	struct pb r = {buf, 0, len, name, false};
	struct raw w = {.end = len};
	int err = parse_profile(&r, &w);
	if (!err)
		err = build_profile(p, &r, &w);
	raw_free(&w);
	if (err == -ENOMEM)
		kiln_error("%s: out of memory reading the profile", name);
	return err;
}

int pprof_decode(struct kiln_profile *p, const uint8_t *buf, size_t len, const char *name)
{
	if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b) {
		uint8_t *raw = NULL;
		size_t rawlen = 0;
		int err = gunzip(buf, len, name, &raw, &rawlen);
		if (err)
			return err;
		err = decode_raw(p, raw, rawlen, name);
		free(raw);
		return err;
	}
	if (!len) {
		kiln_error("%s: offset 0: expected a pprof profile, the file is empty", name);
		return -EINVAL;
	}
	return decode_raw(p, buf, len, name);
}
