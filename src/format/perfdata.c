/* perf.data, as perf's tools/perf/Documentation/perf.data-file-format.txt describes it.
 *
 * File mode: a header (magic "PERFILE2", its size 104, the size of one attribute entry, the
 * attribute, data and event-type sections, a feature bitmap), attribute entries (a
 * perf_event_attr and the section of its sample ids), the data section (records), then one
 * section descriptor per feature bit set, in bit order (HEADER_BUILD_ID is bit 2).
 * Pipe mode: a 16-byte header, then records only; attributes, build ids and features come as
 * records of perf's own types (HEADER_ATTR, HEADER_BUILD_ID, HEADER_FEATURE...).
 *
 * Records are applied in time order within perf's rounds (FINISHED_ROUND: everything up to the
 * previous round's newest time may go), so a process's MMAP comes before its samples even when
 * they were written from different CPUs' buffers. Samples go through the live recorder's
 * decoder and stack sink, symbolized by kiln's symbolizer. */
#include "format/perfdata.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect/perf_records.h"
#include "collect/stack_sink.h"
#include "symbol/elf_object.h"
#include "symbol/symbolizer.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/read_all.h"
#include "util/vec.h"

#define PERF_MAGIC2 0x32454c4946524550ULL /* "PERFILE2" read as a little-endian u64 */
#define PERF_MAGIC2_SWAPPED 0x50455246494c4532ULL
#define FILE_HEADER_SIZE 104
#define PIPE_HEADER_SIZE 16
#define FEAT_BITS 256
#define HEADER_BUILD_ID 2
#define BUILD_ID_SIZE_MISC (1 << 15) /* PERF_RECORD_MISC_BUILD_ID_SIZE */

/* perf's own record types (tools/perf/util/event.h), 64 and up. */
enum {
	REC_HEADER_ATTR = 64,
	REC_HEADER_EVENT_TYPE = 65,
	REC_HEADER_TRACING_DATA = 66,
	REC_HEADER_BUILD_ID = 67,
	REC_FINISHED_ROUND = 68,
	REC_AUXTRACE = 71,
	REC_HEADER_FEATURE = 80,
	REC_COMPRESSED = 81,
};

struct pd_section {
	uint64_t offset, size;
};

struct pd_attr {
	struct perf_event_attr attr;
	struct perf_layout layout;
	const uint8_t *ids; /* u64 each, unaligned */
	size_t nids;
};

struct pd_rec {
	const struct perf_event_header *h;
	uint64_t time;
	size_t seq;
	size_t off; /* in the file */
};

struct pd_chunk;

struct pd_reader {
	const char *name;
	const uint8_t *buf;
	size_t len;
	bool pipe;
	struct pd_attr *attrs;
	size_t nattrs, attrs_cap;
	struct kiln_profile *p;
	struct symbolizer *sym;
	struct stack_sink sink;
	bool sink_ready;
	struct perf_record_counts counts;
	long kept_attr; /* the event whose samples are kept: the first one sampled */
	uint64_t skipped_other, bad_samples, build_ids, build_id_mismatch;
	char mismatch_example[4096];
	/* Thread names (COMM records, inherited over FORK): perf script shows a thread's. */
	struct intern_table tids;
	char (*comms)[16];
	size_t comms_cap;
	/* Records of the current round, and the time up to which they may be applied. */
	struct pd_rec *queue;
	size_t nqueue, queue_cap, seq;
	uint64_t round_max, flush_limit;
	bool have_time;
	uint64_t *scratch; /* an aligned copy of a record that is not 8-byte aligned */
	size_t scratch_cap;
	struct pd_chunk *chunks; /* aligned copies of records (see aligned_record) */
	size_t cur_off;		 /* offset of the record being applied */
};

__attribute__((format(printf, 3, 4))) static int fail_at(const struct pd_reader *r, size_t off,
							 const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	kiln_error("%s: offset %zu: %s", r->name, off, what);
	return -EINVAL;
}

/* The file offset of a pointer into the file, or, for a record copied to be aligned, the
 * offset of the record being applied. */
static size_t offset_of(const struct pd_reader *r, const void *at)
{
	uintptr_t a = (uintptr_t)at, b = (uintptr_t)r->buf;
	return a >= b && a - b < r->len ? (size_t)(a - b) : r->cur_off;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static bool section_ok(const struct pd_reader *r, const struct pd_section *s)
{
	return s->offset <= r->len && s->size <= r->len - s->offset;
}

static int read_section(const struct pd_reader *r, size_t at, struct pd_section *s,
			const char *what)
{
	if (at > r->len || r->len - at < sizeof(*s))
		return fail_at(r, at, "expected the %s section descriptor, the file ends", what);
	memcpy(s, r->buf + at, sizeof(*s));
	if (!section_ok(r, s))
		return fail_at(r, at,
			       "expected the %s section inside the file (%zu bytes), found offset "
			       "%" PRIu64 " size %" PRIu64,
			       what, r->len, s->offset, s->size);
	return 0;
}

/* ---------------------------------------------------------------- attributes */

static int add_attr(struct pd_reader *r, const uint8_t *at, size_t attr_len, const uint8_t *ids,
		    size_t nids)
{
	if (VEC_RESERVE(r->attrs, r->attrs_cap, r->nattrs + 1))
		return -ENOMEM;
	struct pd_attr *a = &r->attrs[r->nattrs++];
	memset(a, 0, sizeof(*a));
	memcpy(&a->attr, at, attr_len < sizeof(a->attr) ? attr_len : sizeof(a->attr));
	a->layout.sample_type = a->attr.sample_type;
	a->layout.read_format = a->attr.read_format;
	a->layout.sample_id_all = a->attr.sample_id_all;
	a->ids = ids;
	a->nids = nids;
	if (a->attr.sample_type & PERF_SAMPLE_TIME)
		r->have_time = true;
	return 0;
}

static int read_file_attrs(struct pd_reader *r, uint64_t attr_size, const struct pd_section *s)
{
	/* An entry is a perf_event_attr (of the size perf was built with) and an ids section. */
	if (attr_size < PERF_ATTR_SIZE_VER0 + sizeof(struct pd_section) || attr_size > 4096)
		return fail_at(r, 16,
			       "expected an attribute entry size of at least %zu, found %" PRIu64,
			       PERF_ATTR_SIZE_VER0 + sizeof(struct pd_section), attr_size);
	if (!s->size || s->size % attr_size)
		return fail_at(r, 24,
			       "expected the attribute section to hold whole entries of %" PRIu64
			       " bytes, found %" PRIu64 " bytes",
			       attr_size, s->size);
	for (uint64_t off = s->offset; off < s->offset + s->size; off += attr_size) {
		struct pd_section ids;
		int err = read_section(r, off + attr_size - sizeof(ids), &ids, "sample ids");
		if (err)
			return err;
		if (ids.size % 8)
			return fail_at(r, off + attr_size - sizeof(ids),
				       "expected sample ids of 8 bytes each, found %" PRIu64
				       " bytes",
				       ids.size);
		err = add_attr(r, r->buf + off, attr_size - sizeof(ids), r->buf + ids.offset,
			       ids.size / 8);
		if (err)
			return err;
	}
	return 0;
}

/* The attribute a sample belongs to: by its id when there are several. -1 when unknown. */
static long sample_attr(const struct pd_reader *r, const struct perf_event_header *h)
{
	if (r->nattrs == 1)
		return 0;
	uint64_t t = r->attrs[0].attr.sample_type;
	const uint8_t *body = (const uint8_t *)(h + 1);
	size_t pos;
	if (t & PERF_SAMPLE_IDENTIFIER)
		pos = 0;
	else if (t & PERF_SAMPLE_ID)
		pos = !!(t & PERF_SAMPLE_IP) + !!(t & PERF_SAMPLE_TID) + !!(t & PERF_SAMPLE_TIME) +
		      !!(t & PERF_SAMPLE_ADDR);
	else
		return 0; /* perf cannot tell them apart either: the first */
	if (h->size < sizeof(*h) + 8 * (pos + 1))
		return -1;
	uint64_t id = get_u64(body + 8 * pos);
	for (size_t i = 0; i < r->nattrs; i++)
		for (size_t j = 0; j < r->attrs[i].nids; j++)
			if (get_u64(r->attrs[i].ids + 8 * j) == id)
				return (long)i;
	return -1;
}

/* ---------------------------------------------------------------- build ids */

/* A recorded binary whose file now has another build id: its frames may be misnamed. */
static void check_build_id(struct pd_reader *r, const char *path, const char *want)
{
	if (path[0] != '/')
		return; /* [kernel.kallsyms], [vdso]: nothing on disk to compare */
	/* Non-blocking and regular files only: a recorded name may now be a FIFO or a device. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return;
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	char got[2 * 64 + 1] = "";
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf) {
		elf_build_id_hex(elf, got, sizeof(got));
		elf_end(elf);
	}
	close(fd);
	if (got[0] && strcmp(got, want)) {
		if (!r->build_id_mismatch++)
			snprintf(r->mismatch_example, sizeof(r->mismatch_example), "%s", path);
	}
}

/* One build-id record: header, pid, 24 bytes of id (its size in byte 20 when misc says so),
 * the file name. rec may be unaligned (feature sections sit anywhere). */
static int build_id_record(struct pd_reader *r, const uint8_t *rec)
{
	struct perf_event_header h;
	memcpy(&h, rec, sizeof(h));
	const uint8_t *b = rec + sizeof(h);
	if (h.size < sizeof(h) + 4 + 24 + 1)
		return fail_at(r, offset_of(r, rec),
			       "expected a build-id record of at least %zu bytes, found %u",
			       sizeof(h) + 4 + 24 + 1, h.size);
	size_t idlen = h.misc & BUILD_ID_SIZE_MISC ? b[4 + 20] : 20;
	if (idlen > 20)
		return fail_at(r, offset_of(r, rec),
			       "expected a build id of at most 20 bytes, found %zu", idlen);
	char hex[41];
	for (size_t i = 0; i < idlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[4 + i]);
	hex[2 * idlen] = 0;
	const char *name = (const char *)b + 4 + 24;
	size_t room = h.size - sizeof(h) - 4 - 24;
	char path[4096];
	size_t n = strnlen(name, room);
	if (n >= sizeof(path))
		n = sizeof(path) - 1;
	memcpy(path, name, n);
	path[n] = 0;
	r->build_ids++;
	check_build_id(r, path, hex);
	return 0;
}

static int read_build_ids(struct pd_reader *r, const uint8_t *at, size_t len)
{
	const uint8_t *end = at + len;
	while (at < end) {
		struct perf_event_header h;
		if ((size_t)(end - at) < sizeof(h))
			return fail_at(r, offset_of(r, at),
				       "expected a build-id record header, the section ends");
		memcpy(&h, at, sizeof(h));
		if (h.size < sizeof(h) || h.size > (size_t)(end - at))
			return fail_at(r, offset_of(r, at),
				       "expected a build-id record of at most %zu bytes, found %u",
				       (size_t)(end - at), h.size);
		int err = build_id_record(r, at);
		if (err)
			return err;
		at += h.size;
	}
	return 0;
}

static int read_features(struct pd_reader *r, const struct pd_section *data)
{
	uint64_t bits[FEAT_BITS / 64];
	memcpy(bits, r->buf + 72, sizeof(bits));
	size_t at = data->offset + data->size;
	for (int feat = 0; feat < FEAT_BITS; feat++) {
		if (!(bits[feat / 64] >> (feat % 64) & 1))
			continue;
		struct pd_section s;
		int err = read_section(r, at, &s, "feature");
		if (err)
			return err;
		at += sizeof(s);
		if (feat == HEADER_BUILD_ID && (err = read_build_ids(r, r->buf + s.offset, s.size)))
			return err;
	}
	return 0;
}

/* ---------------------------------------------------------------- threads' names */

static char *thread_comm(struct pd_reader *r, uint32_t tid, bool create)
{
	uint32_t id = create ? intern_get(&r->tids, &tid, sizeof(tid), NULL)
			     : intern_find(&r->tids, &tid, sizeof(tid));
	if (!id)
		return NULL;
	size_t old = r->comms_cap;
	if (VEC_RESERVE(r->comms, r->comms_cap, id))
		return NULL;
	if (r->comms_cap > old)
		memset(r->comms + old, 0, (r->comms_cap - old) * sizeof(*r->comms));
	return r->comms[id - 1];
}

/* Keeps the per-thread names the symbolizer (per process) does not. */
static void track_comm(struct pd_reader *r, const struct perf_event_header *h)
{
	const uint8_t *b = (const uint8_t *)(h + 1);
	size_t body = h->size - sizeof(*h);
	if (h->type == PERF_RECORD_COMM && body > 8) {
		uint32_t tid;
		memcpy(&tid, b + 4, 4);
		char *c = thread_comm(r, tid, true);
		if (c) {
			size_t n = strnlen((const char *)b + 8, body - 8);
			n = n < 15 ? n : 15;
			memcpy(c, b + 8, n);
			c[n] = 0;
		}
	} else if (h->type == PERF_RECORD_FORK && body >= 16) {
		uint32_t ids[4]; /* pid, ppid, tid, ptid */
		memcpy(ids, b, sizeof(ids));
		char *parent = thread_comm(r, ids[3], false);
		char name[16];
		if (parent && parent[0]) {
			memcpy(name, parent, sizeof(name));
			char *c = thread_comm(r, ids[2], true);
			if (c)
				memcpy(c, name, sizeof(name));
		}
	}
}

/* ---------------------------------------------------------------- records */

static int init_sink(struct pd_reader *r, const struct pd_attr *a)
{
	/* What one sample stands for in CPU time: the clock events count nanoseconds. */
	int64_t period = 1;
	if (a->attr.freq && a->attr.sample_freq)
		period = (int64_t)(1000000000ULL / a->attr.sample_freq);
	else if (!a->attr.freq && a->attr.sample_period)
		period = (int64_t)a->attr.sample_period;
	int err = stack_sink_init(&r->sink, r->p, r->sym, period ? period : 1, true);
	r->sink_ready = !err;
	return err;
}

static bool counts_nanoseconds(const struct perf_event_attr *a)
{
	return a->type == PERF_TYPE_SOFTWARE &&
	       (a->config == PERF_COUNT_SW_CPU_CLOCK || a->config == PERF_COUNT_SW_TASK_CLOCK);
}

static int apply_sample(struct pd_reader *r, const struct perf_event_header *h)
{
	long ai = sample_attr(r, h);
	if (ai < 0) {
		r->bad_samples++;
		return 0;
	}
	if (r->kept_attr < 0) {
		r->kept_attr = ai;
		int err = init_sink(r, &r->attrs[ai]);
		if (err)
			return err;
	}
	if (ai != r->kept_attr) {
		/* Adding up different events (cycles and instructions) would mislead. */
		r->skipped_other++;
		return 0;
	}
	const struct pd_attr *a = &r->attrs[ai];
	struct perf_sample s;
	if (perf_parse_sample(&a->layout, h, &s))
		return fail_at(r, offset_of(r, h),
			       "expected a sample of %u bytes to hold what its sample_type "
			       "0x%llx lists",
			       h->size, (unsigned long long)a->layout.sample_type);
	const char *comm = thread_comm(r, s.tid, false);
	int64_t weight = counts_nanoseconds(&a->attr) ? (int64_t)s.period : 0;
	if (weight < 0)
		weight = 0;
	return perf_sample_deliver(&r->sink, &s, comm && comm[0] ? comm : NULL, weight);
}

/* Applies a kernel record (sample or sideband), from an 8-byte aligned copy if need be. */
static int apply_record(struct pd_reader *r, const struct perf_event_header *h)
{
	if ((uintptr_t)h % 8) {
		size_t words = (h->size + 7) / 8;
		if (VEC_RESERVE(r->scratch, r->scratch_cap, words))
			return -ENOMEM;
		memcpy(r->scratch, h, h->size);
		h = (const struct perf_event_header *)r->scratch;
	}
	if (h->type == PERF_RECORD_SAMPLE)
		return apply_sample(r, h);
	const struct perf_event_header *orig = h;
	track_comm(r, h);
	int rc = perf_record_sideband(r->sym, h, &r->counts);
	if (rc < 0)
		return fail_at(r, offset_of(r, orig),
			       "expected a whole record of type %u, found %u "
			       "bytes",
			       h->type, h->size);
	return 0;
}

static int cmp_rec(const void *x, const void *y)
{
	const struct pd_rec *a = x, *b = y;
	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Applies the queued records up to limit (all of them when flush_all), in time order. */
static int flush_queue(struct pd_reader *r, uint64_t limit, bool flush_all)
{
	if (!r->nqueue)
		return 0;
	qsort(r->queue, r->nqueue, sizeof(*r->queue), cmp_rec);
	size_t i = 0;
	int err = 0;
	for (; i < r->nqueue && !err && (flush_all || r->queue[i].time <= limit); i++)
		r->cur_off = r->queue[i].off, err = apply_record(r, r->queue[i].h);
	memmove(r->queue, r->queue + i, (r->nqueue - i) * sizeof(*r->queue));
	r->nqueue -= i;
	return err;
}

static uint64_t record_time(const struct pd_reader *r, const struct perf_event_header *h)
{
	struct perf_sample s;
	if (h->type == PERF_RECORD_SAMPLE) {
		long ai = sample_attr(r, h);
		if (ai < 0 || perf_parse_sample(&r->attrs[ai].layout, h, &s))
			return 0;
		return s.time;
	}
	if (perf_parse_trailer(&r->attrs[0].layout, h, &s))
		return 0;
	return s.time;
}

static int queue_record(struct pd_reader *r, const struct perf_event_header *h)
{
	if (!r->nattrs)
		return fail_at(
		    r, offset_of(r, h),
		    "expected the event attributes (HEADER_ATTR) before the first record");
	if (!r->have_time)
		return apply_record(r, h); /* no times to order by: file order, like perf */
	if (VEC_RESERVE(r->queue, r->queue_cap, r->nqueue + 1))
		return -ENOMEM;
	uint64_t t = record_time(r, h);
	r->queue[r->nqueue++] = (struct pd_rec){h, t, r->seq++, r->cur_off};
	if (t > r->round_max)
		r->round_max = t;
	return 0;
}

/* perf's rounds: at FINISHED_ROUND, what is not newer than the previous round's newest
 * record can no longer be preceded by anything still unread. */
static int finished_round(struct pd_reader *r)
{
	int err = flush_queue(r, r->flush_limit, false);
	r->flush_limit = r->round_max;
	return err;
}

static int pipe_attr(struct pd_reader *r, const struct perf_event_header *h)
{
	const uint8_t *b = (const uint8_t *)(h + 1);
	size_t body = h->size - sizeof(*h);
	uint32_t attr_size = 0;
	if (body >= 8)
		memcpy(&attr_size, b + 4, 4);
	if (attr_size < PERF_ATTR_SIZE_VER0 || attr_size > body || (body - attr_size) % 8)
		return fail_at(
		    r, offset_of(r, h),
		    "expected an attribute of at least %d bytes and its ids in a %zu-byte "
		    "record, found attribute size %u",
		    PERF_ATTR_SIZE_VER0, body, attr_size);
	return add_attr(r, b, attr_size, b + attr_size, (body - attr_size) / 8);
}

/* Records perf adds to the stream (type 64 and up); *skip: bytes of data that follow. */
static int perf_own_record(struct pd_reader *r, const struct perf_event_header *h, uint64_t *skip)
{
	const uint8_t *b = (const uint8_t *)(h + 1);
	size_t body = h->size - sizeof(*h);
	*skip = 0;
	switch (h->type) {
	case REC_HEADER_ATTR:
		return pipe_attr(r, h);
	case REC_HEADER_BUILD_ID:
		return build_id_record(r, (const uint8_t *)h);
	case REC_FINISHED_ROUND:
		return finished_round(r);
	case REC_HEADER_TRACING_DATA:
	case REC_AUXTRACE: {
		/* Their data follows the record: a u32 size (tracing data), a u64 (aux). */
		uint64_t size = 0;
		if (body < (h->type == REC_AUXTRACE ? 8u : 4u))
			return fail_at(r, offset_of(r, h),
				       "expected the size of the data that "
				       "follows the record");
		memcpy(&size, b, h->type == REC_AUXTRACE ? 8 : 4);
		*skip = size;
		return 0;
	}
	case REC_HEADER_FEATURE: {
		uint64_t feat;
		if (body < sizeof(feat))
			return fail_at(r, offset_of(r, h), "expected a feature id");
		feat = get_u64(b);
		return feat == HEADER_BUILD_ID ? read_build_ids(r, b + 8, body - 8) : 0;
	}
	case REC_COMPRESSED:
		return fail_at(r, offset_of(r, h),
			       "expected uncompressed records; this perf.data was recorded with -z "
			       "(zstd): 'perf inject -i IN -o OUT' writes it uncompressed");
	default:
		return 0; /* ID_INDEX, THREAD_MAP, CPU_MAP, TIME_CONV, STAT...: nothing needed */
	}
}

/* Records are read as kernel structs, 8-byte aligned; perf's own records need not be a
 * multiple of 8 long (a pipe's HEADER_FEATURE), which shifts every record after them. Those
 * are copied into chunks that stay put until the end (queued records point into them). */
struct pd_chunk {
	struct pd_chunk *next;
	size_t used, cap; /* in u64 words */
	uint64_t words[];
};

static const struct perf_event_header *aligned_record(struct pd_reader *r, const uint8_t *at,
						      size_t size)
{
	if ((uintptr_t)at % 8 == 0)
		return (const struct perf_event_header *)at;
	size_t words = (size + 7) / 8;
	struct pd_chunk *c = r->chunks;
	if (!c || c->cap - c->used < words) {
		size_t cap = words > 65536 ? words : 65536;
		c = malloc(sizeof(*c) + cap * 8);
		if (!c)
			return NULL;
		*c = (struct pd_chunk){r->chunks, 0, cap};
		r->chunks = c;
	}
	uint64_t *dst = c->words + c->used;
	memcpy(dst, at, size);
	c->used += words;
	return (const struct perf_event_header *)dst;
}

static int read_records(struct pd_reader *r, size_t start, size_t end)
{
	size_t at = start;
	while (at < end) {
		struct perf_event_header h;
		if (end - at < sizeof(h))
			return fail_at(r, at, "expected a record header (8 bytes), %zu left",
				       end - at);
		memcpy(&h, r->buf + at, sizeof(h));
		if (h.size < sizeof(h) || h.size > end - at)
			return fail_at(
			    r, at, "expected a record of 8 to %zu bytes, found size %u (type %u)",
			    end - at, h.size, h.type);
		r->cur_off = at;
		const struct perf_event_header *rec = aligned_record(r, r->buf + at, h.size);
		if (!rec)
			return -ENOMEM;
		uint64_t skip = 0;
		int err = h.type >= REC_HEADER_ATTR ? perf_own_record(r, rec, &skip)
						    : queue_record(r, rec);
		if (err)
			return err;
		at += h.size;
		if (skip > end - at)
			return fail_at(r, at, "expected %" PRIu64 " bytes of data, %zu left", skip,
				       end - at);
		at += skip;
	}
	return flush_queue(r, 0, true);
}

/* ---------------------------------------------------------------- headers */

static int read_file_mode(struct pd_reader *r)
{
	if (r->len < FILE_HEADER_SIZE)
		return fail_at(r, r->len, "expected a perf.data header of %d bytes, the file ends",
			       FILE_HEADER_SIZE);
	uint64_t attr_size = get_u64(r->buf + 16);
	struct pd_section attrs = {0, 0}, data = {0, 0};
	int err = read_section(r, 24, &attrs, "attribute");
	if (!err)
		err = read_section(r, 40, &data, "data");
	if (!err)
		err = read_file_attrs(r, attr_size, &attrs);
	if (!err)
		err = read_features(r, &data);
	if (!err)
		err = read_records(r, data.offset, data.offset + data.size);
	return err;
}

static int read_perfdata(struct pd_reader *r)
{
	if (r->len < PIPE_HEADER_SIZE)
		return fail_at(r, r->len,
			       "expected a perf.data header (PERFILE2), the file has %zu "
			       "bytes",
			       r->len);
	uint64_t magic = get_u64(r->buf), size = get_u64(r->buf + 8);
	if (magic == PERF_MAGIC2_SWAPPED)
		return fail_at(r, 0, "expected a little-endian perf.data; this one is big-endian");
	if (magic != PERF_MAGIC2)
		return fail_at(r, 0, "expected perf.data's magic PERFILE2");
	if (size == PIPE_HEADER_SIZE) {
		r->pipe = true;
		return read_records(r, PIPE_HEADER_SIZE, r->len);
	}
	if (size != FILE_HEADER_SIZE)
		return fail_at(r, 8,
			       "expected a header size of %d (file) or %d (pipe), found %" PRIu64,
			       FILE_HEADER_SIZE, PIPE_HEADER_SIZE, size);
	return read_file_mode(r);
}

static void report(struct pd_reader *r)
{
	if (r->skipped_other)
		kiln_warn("%s: kept only the samples of the first event sampled; %" PRIu64
			  " samples of other events skipped",
			  r->name, r->skipped_other);
	if (r->bad_samples)
		kiln_warn("%s: %" PRIu64 " samples with an id of no event were skipped", r->name,
			  r->bad_samples);
	if (r->counts.lost)
		kiln_warn("%s: perf lost %" PRIu64 " samples while recording", r->name,
			  r->counts.lost);
	if (r->build_id_mismatch)
		kiln_warn("%s: %" PRIu64 " of %" PRIu64
			  " recorded binaries changed since (build id "
			  "differs), e.g. %s: their frames may be misnamed",
			  r->name, r->build_id_mismatch, r->build_ids, r->mismatch_example);
}

/* Where records start: after a pipe header, or at the data section of a file. */
static size_t records_start(const uint8_t *buf, size_t len)
{
	if (len >= PIPE_HEADER_SIZE && get_u64(buf + 8) == PIPE_HEADER_SIZE)
		return PIPE_HEADER_SIZE;
	return len >= FILE_HEADER_SIZE ? (size_t)get_u64(buf + 40) : 0;
}

static int read_aligned(struct kiln_profile *p, const uint8_t *buf, size_t len, const char *name,
			struct symbolizer *sym);

int perfdata_read_buffer(struct kiln_profile *p, const uint8_t *buf, size_t len, const char *name)
{
	return perfdata_read_buffer_sym(p, buf, len, name, NULL);
}

int perfdata_read_buffer_sym(struct kiln_profile *p, const uint8_t *buf, size_t len,
			     const char *name, struct symbolizer *sym)
{
	/* Records are read in place as kernel structs: 8-byte aligned, else from a copy. */
	size_t start = records_start(buf, len);
	if (((uintptr_t)buf + start) % 8 == 0)
		return read_aligned(p, buf, len, name, sym);
	size_t shift = (8 - start % 8) % 8;
	uint8_t *copy = malloc(len + shift + 1);
	if (!copy) {
		kiln_error("%s: out of memory reading perf.data", name);
		return -ENOMEM;
	}
	memcpy(copy + shift, buf, len);
	int err = read_aligned(p, copy + shift, len, name, sym);
	free(copy);
	return err;
}

static int read_aligned(struct kiln_profile *p, const uint8_t *buf, size_t len, const char *name,
			struct symbolizer *sym)
{
	struct pd_reader r = {.name = name, .buf = buf, .len = len, .p = p, .kept_attr = -1};
	intern_init(&r.tids);
	r.sym = sym ? sym : symbolizer_new();
	int err = r.sym ? read_perfdata(&r) : -ENOMEM;
	if (!err && !r.sink_ready && r.nattrs)
		err = init_sink(&r, &r.attrs[0]); /* no samples: an empty profile, with its types */
	if (!err && !r.nattrs)
		err = fail_at(&r, len, "expected event attributes, found none");
	if (!err) {
		p->lost_samples += r.counts.lost;
		report(&r);
	}
	if (err == -ENOMEM)
		kiln_error("%s: out of memory reading perf.data", name);
	if (r.sink_ready)
		stack_sink_free(&r.sink);
	if (!sym)
		symbolizer_free(r.sym);
	intern_free(&r.tids);
	free(r.comms);
	free(r.queue);
	free(r.attrs);
	free(r.scratch);
	while (r.chunks) {
		struct pd_chunk *next = r.chunks->next;
		free(r.chunks);
		r.chunks = next;
	}
	return err;
}

int perfdata_read_file(struct kiln_profile *p, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;
		kiln_error("cannot read %s: %s", path, strerror(-err));
		return err;
	}
	struct stat st;
	int err = fstat(fd, &st) ? -errno : 0;
	if (!err && S_ISREG(st.st_mode) && st.st_size > 0) {
		size_t len = (size_t)st.st_size;
		void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map != MAP_FAILED) {
			close(fd);
			err = perfdata_read_buffer(p, map, len, path);
			munmap(map, len);
			return err;
		}
	}
	/* A pipe (perf record -o -), or a file that cannot be mapped. */
	uint8_t *buf = NULL;
	size_t len = 0;
	if (!err)
		err = read_all(fd, (void **)&buf, &len);
	close(fd);
	if (err) {
		kiln_error("cannot read %s: %s", path, strerror(-err));
		return err;
	}
	err = perfdata_read_buffer(p, buf, len, path);
	free(buf);
	return err;
}
