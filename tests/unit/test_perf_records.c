/* Decoding perf records by sample_type: samples, trailers, callchain contexts, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "collect/perf_records.h"

/* A record assembled field by field, as the kernel writes it. */
struct rec {
	uint64_t words[64];
	size_t n;
};

static void put(struct rec *r, uint64_t v)
{
	r->words[r->n++] = v;
}

static struct perf_event_header *finish(struct rec *r, uint32_t type)
{
	struct perf_event_header *h = (void *)r->words;
	h->type = type;
	h->misc = 0;
	h->size = (uint16_t)(r->n * 8);
	return h;
}

/* kiln's own layout: IP, TID, TIME, CPU, PERIOD, CALLCHAIN. */
static struct perf_event_header *kiln_sample(struct rec *r, const uint64_t *chain, size_t n)
{
	r->n = 1;			 /* header */
	put(r, 0x401000);		 /* ip */
	put(r, (uint64_t)43 << 32 | 42); /* pid 42, tid 43 */
	put(r, 123456789);		 /* time */
	put(r, 1);			 /* cpu 1 */
	put(r, 1000000);		 /* period */
	put(r, n);
	for (size_t i = 0; i < n; i++)
		put(r, chain[i]);
	return finish(r, PERF_RECORD_SAMPLE);
}

static void sample_fields_decode(void **state)
{
	(void)state;
	struct rec r;
	uint64_t chain[] = {(uint64_t)PERF_CONTEXT_KERNEL, 0xffffffff81000010ULL,
			    (uint64_t)PERF_CONTEXT_USER, 0x401000, 0x401234};
	struct perf_event_header *h = kiln_sample(&r, chain, 5);
	struct perf_sample s;
	assert_int_equal(perf_parse_sample(&perf_records_layout, h, &s), 0);
	assert_int_equal(s.ip, 0x401000);
	assert_int_equal(s.pid, 42);
	assert_int_equal(s.tid, 43);
	assert_int_equal(s.time, 123456789);
	assert_int_equal(s.period, 1000000);
	assert_int_equal(s.nr, 5);
	assert_int_equal(s.ips[1], 0xffffffff81000010ULL);
	assert_int_equal(perf_record_time(h, NULL), 123456789);
}

static void truncated_callchain_is_rejected(void **state)
{
	(void)state;
	struct rec r;
	uint64_t chain[] = {1, 2, 3};
	struct perf_event_header *h = kiln_sample(&r, chain, 3);
	r.words[6] = 1000; /* nr claims more entries than the record holds */
	struct perf_sample s;
	assert_int_equal(perf_parse_sample(&perf_records_layout, h, &s), -EINVAL);
	h->size = 8 * 3; /* cut inside the tid field */
	r.words[6] = 3;
	assert_int_equal(perf_parse_sample(&perf_records_layout, h, &s), -EINVAL);
}

static void trailer_of_sideband_records(void **state)
{
	(void)state;
	struct rec r = {.n = 1};
	/* COMM: pid, tid, "worker\0\0", then the trailer: tid, time, cpu. */
	put(&r, (uint64_t)7 << 32 | 7);
	uint64_t name;
	memcpy(&name, "worker\0\0", 8);
	put(&r, name);
	put(&r, (uint64_t)7 << 32 | 7);
	put(&r, 555);
	put(&r, 0);
	struct perf_event_header *h = finish(&r, PERF_RECORD_COMM);
	struct perf_sample s;
	assert_int_equal(perf_parse_trailer(&perf_records_layout, h, &s), 0);
	assert_int_equal(s.time, 555);
	assert_int_equal(s.pid, 7);
	assert_int_equal(perf_record_time(h, NULL), 555);
	h->size = 16; /* too short to hold a trailer */
	assert_int_equal(perf_parse_trailer(&perf_records_layout, h, &s), -EINVAL);
}

static void other_layouts_decode(void **state)
{
	(void)state;
	/* perf record's usual layout: IDENTIFIER first, then IP, TID, TIME, ID, CPU, PERIOD,
	 * READ (one value), CALLCHAIN. */
	struct perf_layout l = {
	    .sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
			   PERF_SAMPLE_TIME | PERF_SAMPLE_ID | PERF_SAMPLE_CPU |
			   PERF_SAMPLE_PERIOD | PERF_SAMPLE_READ | PERF_SAMPLE_CALLCHAIN,
	    .read_format = PERF_FORMAT_ID,
	};
	struct rec r = {.n = 1};
	put(&r, 99);   /* identifier */
	put(&r, 0x10); /* ip */
	put(&r, 0x500000005ULL);
	put(&r, 1000); /* time */
	put(&r, 99);   /* id */
	put(&r, 0);    /* cpu */
	put(&r, 4000); /* period */
	put(&r, 12);   /* read: value */
	put(&r, 99);   /* read: id */
	put(&r, 1);    /* nr */
	put(&r, 0x10);
	struct perf_event_header *h = finish(&r, PERF_RECORD_SAMPLE);
	struct perf_sample s;
	assert_int_equal(perf_parse_sample(&l, h, &s), 0);
	assert_int_equal(s.id, 99);
	assert_int_equal(s.period, 4000);
	assert_int_equal(s.nr, 1);
	assert_int_equal(s.ips[0], 0x10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sample_fields_decode),
	    cmocka_unit_test(truncated_callchain_is_rejected),
	    cmocka_unit_test(trailer_of_sideband_records),
	    cmocka_unit_test(other_layouts_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
