/* pprof encoder and decoder: round trips through the model, cross-checks against protobuf-c's
 * generated parser, Go's encoding habits, and malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "format/pprof.h"
#include "proto/profile.pb-c.h"

/* Error lines go to stderr; tests that expect hundreds of them send them to a file. */
static int saved_stderr = -1;

static void stderr_to(const char *path)
{
	fflush(stderr);
	saved_stderr = dup(2);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
}

static void stderr_restore(void)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[65536];
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[n] = 0;
	if (f)
		fclose(f);
	return buf;
}

/* A profile using every part of the model: mappings with build ids, an inlined location,
 * kernel and JIT frames, labels, two value columns. */
static struct kiln_profile *rich_profile(void)
{
	struct kiln_profile *p = kiln_profile_new();
	kiln_profile_add_value_type(p, "samples", "count");
	kiln_profile_add_value_type(p, "cpu", "nanoseconds");
	kiln_profile_set_period(p, "cpu", "nanoseconds", 10000000);
	p->time_ns = 1700000000123456789;
	p->duration_ns = 2500000000;
	p->lost_samples = 7;
	struct kiln_mapping m = {0x400000, 0x500000, 0x1000,
				 kiln_profile_intern_cstr(p, "/bin/app"),
				 kiln_profile_intern_cstr(p, "abcdef0123")};
	uint32_t map = kiln_profile_mapping(p, &m);
	struct kiln_function fmain = {kiln_profile_intern_cstr(p, "main"),
				      kiln_profile_intern_cstr(p, "main"),
				      kiln_profile_intern_cstr(p, "app.c"), 10};
	struct kiln_function fcpp = {kiln_profile_intern_cstr(p, "ns::work(int)"),
				     kiln_profile_intern_cstr(p, "_ZN2ns4workEi"),
				     kiln_profile_intern_cstr(p, "work.cc"), 3};
	uint32_t f_main = kiln_profile_function(p, &fmain);
	uint32_t f_work = kiln_profile_function(p, &fcpp);
	uint32_t f_inl = kiln_profile_function_named(p, "inlined_helper", 14);
	uint32_t f_k = kiln_profile_function_named(p, "do_syscall_64", 13);
	uint32_t f_j = kiln_profile_function_named(p, "LInterp;::run", 13);
	struct kiln_line lmain = {f_main, 12}, lwork[2] = {{f_inl, 40}, {f_work, 5}};
	struct kiln_line lk = {f_k, 0}, lj = {f_j, 0};
	uint32_t loc_main = kiln_profile_location(p, map, 0x401234, KILN_FRAME_USER, &lmain, 1);
	uint32_t loc_work = kiln_profile_location(p, map, 0x402000, KILN_FRAME_USER, lwork, 2);
	uint32_t loc_k = kiln_profile_location(p, 0, 0xffffffff81000000, KILN_FRAME_KERNEL, &lk, 1);
	uint32_t loc_j = kiln_profile_location(p, 0, 0x7f0000001000, KILN_FRAME_JIT, &lj, 1);
	uint32_t loc_raw = kiln_profile_location(p, 0, 0x403000, KILN_FRAME_USER, NULL, 0);
	uint32_t s1[] = {loc_k, loc_work, loc_main}, s2[] = {loc_work, loc_main};
	uint32_t s3[] = {loc_j, loc_raw, loc_main};
	struct kiln_labels l1 = {42, 43, kiln_profile_intern_cstr(p, "app")};
	struct kiln_labels l2 = {42, 44, kiln_profile_intern_cstr(p, "app worker")};
	int64_t v1[] = {3, 30000000}, v2[] = {5, 50000000}, v3[] = {1, 10000000};
	kiln_profile_add_sample(p, s1, 3, &l1, v1);
	kiln_profile_add_sample(p, s2, 2, &l2, v2);
	kiln_profile_add_sample(p, s3, 3, NULL, v3);
	return p;
}

/* A sample's frames as "name:line:kind|..." leaf first, to compare profiles whose ids differ. */
static void sample_string(const struct kiln_profile *p, const struct kiln_sample *s, char *out,
			  size_t cap)
{
	size_t n = (size_t)snprintf(out, cap, "%d/%d/%s:", s->labels.pid, s->labels.tid,
				    kiln_profile_str(p, s->labels.comm));
	const uint32_t *locs = kiln_profile_sample_locs(p, s);
	for (uint32_t i = 0; i < s->nlocs && n < cap; i++) {
		const struct kiln_location *loc = kiln_profile_get_location(p, locs[i]);
		struct kiln_mapping mc;
		const struct kiln_mapping *m = kiln_profile_get_mapping(p, loc->mapping);
		if (m)
			memcpy(&mc, m, sizeof(mc)), m = &mc;
		n += (size_t)snprintf(out + n, cap - n, "[%#lx %d %s %s]",
				      (unsigned long)loc->address, loc->kind,
				      m ? kiln_profile_str(p, m->filename) : "-",
				      m ? kiln_profile_str(p, m->build_id) : "-");
		for (uint32_t l = 0; l < loc->nlines && n < cap; l++) {
			const struct kiln_line *line = &p->lines[loc->first_line + l];
			struct kiln_function fc;
			memcpy(&fc, kiln_profile_get_function(p, line->function), sizeof(fc));
			const struct kiln_function *f = &fc;
			n += (size_t)snprintf(
			    out + n, cap - n, "%s/%s/%s/%d:%d;", kiln_profile_str(p, f->name),
			    kiln_profile_str(p, f->system_name), kiln_profile_str(p, f->filename),
			    f->start_line, line->line);
		}
	}
	snprintf(out + n < out + cap ? out + n : out, n < cap ? cap - n : 1, "=%ld,%ld",
		 (long)s->values[0], (long)s->values[1]);
}

static void assert_same_samples(const struct kiln_profile *a, const struct kiln_profile *b)
{
	assert_int_equal(a->nsamples, b->nsamples);
	char x[2048], y[2048];
	for (size_t i = 0; i < a->nsamples; i++) {
		sample_string(a, &a->samples[i], x, sizeof(x));
		bool found = false;
		for (size_t j = 0; j < b->nsamples && !found; j++) {
			sample_string(b, &b->samples[j], y, sizeof(y));
			found = !strcmp(x, y);
		}
		if (!found)
			fail_msg("sample not found after round trip: %s", x);
	}
}

static struct kiln_profile *round_trip(const struct kiln_profile *p)
{
	uint8_t *buf;
	size_t len;
	assert_int_equal(pprof_encode(p, &buf, &len), 0);
	struct kiln_profile *q = kiln_profile_new();
	assert_int_equal(pprof_decode(q, buf, len, "mem"), 0);
	free(buf);
	return q;
}

static void round_trip_keeps_everything(void **state)
{
	(void)state;
	struct kiln_profile *p = rich_profile();
	struct kiln_profile *q = round_trip(p);
	assert_int_equal(q->nvalues, 2);
	assert_string_equal(kiln_profile_str(q, q->value_types[1].type), "cpu");
	assert_string_equal(kiln_profile_str(q, q->value_types[1].unit), "nanoseconds");
	assert_string_equal(kiln_profile_str(q, q->period_type.type), "cpu");
	assert_int_equal(q->period, 10000000);
	assert_int_equal(q->time_ns, p->time_ns);
	assert_int_equal(q->duration_ns, p->duration_ns);
	assert_int_equal(q->lost_samples, 7);
	assert_int_equal(kiln_profile_total(q, 0), 9);
	assert_int_equal(kiln_profile_total(q, 1), 90000000);
	/* The kind-carrying mappings do not turn into real ones. */
	assert_int_equal(kiln_profile_nmappings(q), 1);
	assert_same_samples(p, q);
	kiln_profile_free(p);
	kiln_profile_free(q);
}

/* protobuf-c's own parser must see what we meant: field numbers and the pprof conventions. */
static void encoding_matches_protobuf_c(void **state)
{
	(void)state;
	struct kiln_profile *p = rich_profile();
	uint8_t *buf;
	size_t len;
	assert_int_equal(pprof_encode(p, &buf, &len), 0);
	Perftools__Profiles__Profile *pb = perftools__profiles__profile__unpack(NULL, len, buf);
	assert_non_null(pb);
	assert_string_equal(pb->string_table[0], "");
	assert_int_equal(pb->n_sample_type, 2);
	assert_string_equal(pb->string_table[pb->sample_type[0]->type], "samples");
	assert_int_equal(pb->n_sample, 3);
	assert_int_equal(pb->period, 10000000);
	assert_int_equal(pb->n_function, 5);
	/* 1 real mapping + [kernel.kallsyms] + [jit] */
	assert_int_equal(pb->n_mapping, 3);
	int kernel = 0;
	for (size_t i = 0; i < pb->n_mapping; i++) {
		assert_int_equal(pb->mapping[i]->id, i + 1);
		if (!strcmp(pb->string_table[pb->mapping[i]->filename], "[kernel.kallsyms]"))
			kernel++;
		if (!strcmp(pb->string_table[pb->mapping[i]->filename], "/bin/app")) {
			assert_string_equal(pb->string_table[pb->mapping[i]->build_id],
					    "abcdef0123");
			assert_true(pb->mapping[i]->has_functions);
			assert_true(pb->mapping[i]->has_inline_frames);
			assert_true(pb->mapping[i]->has_line_numbers);
		}
	}
	assert_int_equal(kernel, 1);
	/* The inlined location lists the innermost function first. */
	bool saw_inline = false;
	for (size_t i = 0; i < pb->n_location; i++) {
		Perftools__Profiles__Location *l = pb->location[i];
		if (l->n_line != 2)
			continue;
		Perftools__Profiles__Function *f = pb->function[l->line[0]->function_id - 1];
		assert_string_equal(pb->string_table[f->name], "inlined_helper");
		assert_int_equal(l->line[0]->line, 40);
		saw_inline = true;
	}
	assert_true(saw_inline);
	/* Labels: pid and tid numeric, comm a string. */
	int pids = 0, comms = 0;
	for (size_t i = 0; i < pb->n_sample; i++)
		for (size_t j = 0; j < pb->sample[i]->n_label; j++) {
			Perftools__Profiles__Label *lab = pb->sample[i]->label[j];
			const char *key = pb->string_table[lab->key];
			if (!strcmp(key, "pid"))
				pids += lab->num == 42;
			if (!strcmp(key, "comm"))
				comms += !strncmp(pb->string_table[lab->str], "app", 3);
		}
	assert_int_equal(pids, 2);
	assert_int_equal(comms, 2);
	perftools__profiles__profile__free_unpacked(pb, NULL);
	free(buf);
	kiln_profile_free(p);
}

/* Hand-encoded like Go's runtime/pprof: unpacked and packed repeated fields mixed, samples
 * before the tables they refer to, strings last, unknown fields and labels. */
struct wbuf {
	uint8_t b[4096];
	size_t n;
};

static void put_varint(struct wbuf *w, uint64_t v)
{
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		w->b[w->n++] = c | (v ? 0x80 : 0);
	} while (v);
}

static void put_key(struct wbuf *w, unsigned field, unsigned wt)
{
	put_varint(w, (uint64_t)field << 3 | wt);
}

static void put_int(struct wbuf *w, unsigned field, uint64_t v)
{
	put_key(w, field, 0);
	put_varint(w, v);
}

static void put_bytes(struct wbuf *w, unsigned field, const void *data, size_t len)
{
	put_key(w, field, 2);
	put_varint(w, len);
	memcpy(w->b + w->n, data, len);
	w->n += len;
}

static void put_msg(struct wbuf *w, unsigned field, const struct wbuf *m)
{
	put_bytes(w, field, m->b, m->n);
}

static void go_style_profile(struct wbuf *out)
{
	struct wbuf m;
	/* strings: 0 "", 1 samples, 2 count, 3 cpu, 4 nanoseconds, 5 main.main, 6 main.hot,
	 * 7 /x/main.go, 8 /bin/prog, 9 user-label, 10 v */
	static const char *strs[] = {
	    "",		  "samples",   "count",	     "cpu", "nanoseconds", "main.main", "main.hot",
	    "/x/main.go", "/bin/prog", "user-label", "v"};
	memset(out, 0, sizeof(*out));
	put_int(out, 9, 1234);
	m.n = 0, put_int(&m, 1, 1), put_int(&m, 2, 2), put_msg(out, 1, &m);
	m.n = 0, put_int(&m, 1, 3), put_int(&m, 2, 4), put_msg(out, 1, &m);
	put_int(out, 10, 999);
	m.n = 0, put_int(&m, 1, 3), put_int(&m, 2, 4), put_msg(out, 11, &m);
	put_int(out, 12, 10000000);
	/* sample 1: packed values, packed locations, a string label kiln does not know */
	struct wbuf packed, lab;
	m.n = 0;
	packed.n = 0, put_varint(&packed, 4), put_varint(&packed, 40000000);
	put_msg(&m, 2, &packed);
	packed.n = 0, put_varint(&packed, 20), put_varint(&packed, 10);
	put_msg(&m, 1, &packed);
	lab.n = 0, put_int(&lab, 1, 9), put_int(&lab, 2, 10), put_msg(&m, 3, &lab);
	put_msg(out, 2, &m);
	/* sample 2: unpacked, only main.main */
	m.n = 0, put_int(&m, 1, 10), put_int(&m, 2, 2), put_int(&m, 2, 20000000);
	put_msg(out, 2, &m);
	/* locations 20 (hot) and 10 (main), functions 7 and 3: ids need not be dense */
	struct wbuf line;
	m.n = 0, put_int(&m, 1, 20), put_int(&m, 2, 1), put_int(&m, 3, 0x1010);
	line.n = 0, put_int(&line, 1, 7), put_int(&line, 2, 9), put_msg(&m, 4, &line);
	put_msg(out, 4, &m);
	m.n = 0, put_int(&m, 1, 10), put_int(&m, 2, 1), put_int(&m, 3, 0x1020);
	line.n = 0, put_int(&line, 1, 3), put_int(&line, 2, 4), put_msg(&m, 4, &line);
	put_int(&m, 5, 0); /* is_folded */
	put_msg(out, 4, &m);
	m.n = 0, put_int(&m, 1, 7), put_int(&m, 2, 6), put_int(&m, 3, 6), put_int(&m, 4, 7);
	put_msg(out, 5, &m);
	m.n = 0, put_int(&m, 1, 3), put_int(&m, 2, 5), put_int(&m, 3, 5), put_int(&m, 4, 7);
	put_msg(out, 5, &m);
	m.n = 0, put_int(&m, 1, 1), put_int(&m, 2, 0x1000), put_int(&m, 3, 0x2000),
	put_int(&m, 5, 8), put_int(&m, 7, 1);
	put_msg(out, 3, &m);
	put_int(out, 99, 5); /* a field from the future */
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		put_bytes(out, 6, strs[i], strlen(strs[i]));
}

static void reads_go_style_encoding(void **state)
{
	(void)state;
	struct wbuf w;
	go_style_profile(&w);
	struct kiln_profile *p = kiln_profile_new();
	assert_int_equal(pprof_decode(p, w.b, w.n, "go"), 0);
	assert_int_equal(p->nsamples, 2);
	assert_int_equal(kiln_profile_total(p, 0), 6);
	assert_int_equal(kiln_profile_total(p, 1), 60000000);
	assert_int_equal(p->time_ns, 1234);
	assert_int_equal(p->duration_ns, 999);
	const struct kiln_sample *s = &p->samples[0];
	assert_int_equal(s->nlocs, 2);
	const struct kiln_location *leaf =
	    kiln_profile_get_location(p, kiln_profile_sample_locs(p, s)[0]);
	const struct kiln_function *f =
	    kiln_profile_get_function(p, p->lines[leaf->first_line].function);
	assert_string_equal(kiln_profile_str(p, f->name), "main.hot");
	assert_string_equal(kiln_profile_str(p, f->filename), "/x/main.go");
	assert_int_equal(p->lines[leaf->first_line].line, 9);
	assert_int_equal(leaf->address, 0x1010);
	assert_int_equal(s->labels.pid, -1);
	kiln_profile_free(p);
}

static int decode_quietly(const uint8_t *buf, size_t len)
{
	struct kiln_profile *p = kiln_profile_new();
	int rc = pprof_decode(p, buf, len, "t");
	kiln_profile_free(p);
	return rc;
}

static void gzip_round_trip_and_truncation(void **state)
{
	(void)state;
	char path[] = "/tmp/kiln-test-pprof-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	struct kiln_profile *p = rich_profile();
	assert_int_equal(pprof_write_file(p, path), 0);
	struct kiln_profile *q = kiln_profile_new();
	assert_int_equal(pprof_read_file(q, path), 0);
	assert_same_samples(p, q);
	kiln_profile_free(q);

	FILE *f = fopen(path, "rb");
	static uint8_t gz[65536];
	size_t n = fread(gz, 1, sizeof(gz), f);
	fclose(f);
	assert_true(gz[0] == 0x1f && gz[1] == 0x8b);
	stderr_to("/tmp/kiln-test-pprof.err");
	/* Every cut of a gzip stream loses its trailer: all must fail, none may crash. */
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(decode_quietly(gz, cut), -EINVAL);
	stderr_restore();
	assert_non_null(strstr(slurp("/tmp/kiln-test-pprof.err"), "kiln: error: t: offset "));
	unlink(path);
	unlink("/tmp/kiln-test-pprof.err");
	kiln_profile_free(p);
}

static void truncated_raw_input_is_rejected(void **state)
{
	(void)state;
	struct kiln_profile *p = rich_profile();
	uint8_t *buf;
	size_t len;
	assert_int_equal(pprof_encode(p, &buf, &len), 0);
	/* protobuf-c writes fields in number order: up to the end of the string table, every
	 * cut leaves a field unfinished or a reference dangling. Past it only optional scalars
	 * (time, duration, period, comment) remain, so a cut between those may parse. */
	Perftools__Profiles__Profile *pb = perftools__profiles__profile__unpack(NULL, len, buf);
	assert_non_null(pb);
	pb->time_nanos = pb->duration_nanos = pb->period = 0;
	Perftools__Profiles__ValueType *period_type = pb->period_type;
	size_t ncomment = pb->n_comment;
	pb->period_type = NULL;
	pb->n_comment = 0;
	size_t head = perftools__profiles__profile__get_packed_size(pb);
	pb->period_type = period_type;
	pb->n_comment = ncomment;
	perftools__profiles__profile__free_unpacked(pb, NULL);
	assert_true(head > len / 2 && head < len);
	stderr_to("/dev/null");
	for (size_t cut = 0; cut < len; cut++) {
		int rc = decode_quietly(buf, cut);
		if (cut < head)
			assert_int_equal(rc, -EINVAL);
		else
			assert_true(rc == 0 || rc == -EINVAL);
	}
	stderr_restore();
	free(buf);
	kiln_profile_free(p);
}

static void garbage_is_rejected(void **state)
{
	(void)state;
	static uint8_t junk[4096];
	srand(12345);
	stderr_to("/dev/null");
	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)(rand() % (int)sizeof(junk));
		for (size_t i = 0; i < n; i++)
			junk[i] = (uint8_t)rand();
		if (round % 2 && n > 2)
			junk[0] = 0x1f, junk[1] = 0x8b; /* looks gzipped */
		int rc = decode_quietly(junk, n);
		assert_true(rc == 0 || rc == -EINVAL);
	}
	/* Flipping bytes of a valid profile: every reference is checked against its table. */
	struct wbuf w;
	go_style_profile(&w);
	for (size_t i = 0; i < w.n; i++)
		for (int bit = 0; bit < 8; bit++) {
			uint8_t save = w.b[i];
			w.b[i] ^= (uint8_t)(1 << bit);
			int rc = decode_quietly(w.b, w.n);
			assert_true(rc == 0 || rc == -EINVAL);
			w.b[i] = save;
		}
	stderr_restore();
	const char text[] = "main;foo;bar 12\n";
	stderr_to("/tmp/kiln-test-pprof.err");
	assert_int_equal(decode_quietly((const uint8_t *)text, sizeof(text) - 1), -EINVAL);
	stderr_restore();
	assert_non_null(strstr(slurp("/tmp/kiln-test-pprof.err"), "t: offset "));
	unlink("/tmp/kiln-test-pprof.err");
}

static void dangling_references_are_rejected(void **state)
{
	(void)state;
	struct wbuf w, m;
	static const char *strs[] = {"", "samples", "count"};
	/* A sample pointing at location 5 which does not exist. */
	memset(&w, 0, sizeof(w));
	m.n = 0, put_int(&m, 1, 1), put_int(&m, 2, 2), put_msg(&w, 1, &m);
	m.n = 0, put_int(&m, 1, 5), put_int(&m, 2, 1), put_msg(&w, 2, &m);
	for (size_t i = 0; i < 3; i++)
		put_bytes(&w, 6, strs[i], strlen(strs[i]));
	stderr_to("/tmp/kiln-test-pprof.err");
	assert_int_equal(decode_quietly(w.b, w.n), -EINVAL);
	stderr_restore();
	assert_non_null(strstr(slurp("/tmp/kiln-test-pprof.err"), "location"));
	/* A sample type naming string 77 of a 3-string table. */
	memset(&w, 0, sizeof(w));
	m.n = 0, put_int(&m, 1, 77), put_int(&m, 2, 2), put_msg(&w, 1, &m);
	for (size_t i = 0; i < 3; i++)
		put_bytes(&w, 6, strs[i], strlen(strs[i]));
	stderr_to("/tmp/kiln-test-pprof.err");
	assert_int_equal(decode_quietly(w.b, w.n), -EINVAL);
	stderr_restore();
	assert_non_null(
	    strstr(slurp("/tmp/kiln-test-pprof.err"), "offset 0: expected a string index below 3"));
	/* Two values for one sample type. */
	memset(&w, 0, sizeof(w));
	m.n = 0, put_int(&m, 1, 1), put_int(&m, 2, 2), put_msg(&w, 1, &m);
	m.n = 0, put_int(&m, 2, 1), put_int(&m, 2, 1), put_msg(&w, 2, &m);
	for (size_t i = 0; i < 3; i++)
		put_bytes(&w, 6, strs[i], strlen(strs[i]));
	stderr_to("/dev/null");
	assert_int_equal(decode_quietly(w.b, w.n), -EINVAL);
	stderr_restore();
	unlink("/tmp/kiln-test-pprof.err");
}

/* pprof shows a frame without symbols in /bin/app as "[app]"; so does kiln, like perf. */
static void unsymbolized_frames_name_their_file(void **state)
{
	(void)state;
	struct kiln_profile *p = kiln_profile_new();
	kiln_profile_add_value_type(p, "samples", "count");
	struct kiln_mapping m = {0x1000, 0x2000, 0,
				 kiln_profile_intern_cstr(p, "/usr/lib/libz.so.1"), 0};
	uint32_t loc =
	    kiln_profile_location(p, kiln_profile_mapping(p, &m), 0x1234, KILN_FRAME_USER, NULL, 0);
	int64_t one = 1;
	kiln_profile_add_sample(p, &loc, 1, NULL, &one);
	struct kiln_profile *q = round_trip(p);
	const struct kiln_location *l =
	    kiln_profile_get_location(q, kiln_profile_sample_locs(q, &q->samples[0])[0]);
	assert_int_equal(l->nlines, 1);
	assert_int_equal(l->address, 0x1234);
	struct kiln_function f;
	memcpy(&f, kiln_profile_get_function(q, q->lines[l->first_line].function), sizeof(f));
	assert_string_equal(kiln_profile_str(q, f.name), "[libz.so.1]");
	kiln_profile_free(p);
	kiln_profile_free(q);
}

static void empty_profile_round_trips(void **state)
{
	(void)state;
	struct kiln_profile *p = kiln_profile_new();
	kiln_profile_add_value_type(p, "samples", "count");
	struct kiln_profile *q = round_trip(p);
	assert_int_equal(q->nsamples, 0);
	assert_int_equal(q->nvalues, 1);
	kiln_profile_free(p);
	kiln_profile_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(round_trip_keeps_everything),
	    cmocka_unit_test(encoding_matches_protobuf_c),
	    cmocka_unit_test(reads_go_style_encoding),
	    cmocka_unit_test(gzip_round_trip_and_truncation),
	    cmocka_unit_test(truncated_raw_input_is_rejected),
	    cmocka_unit_test(garbage_is_rejected),
	    cmocka_unit_test(dangling_references_are_rejected),
	    cmocka_unit_test(unsymbolized_frames_name_their_file),
	    cmocka_unit_test(empty_profile_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
