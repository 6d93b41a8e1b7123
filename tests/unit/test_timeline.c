/* Timelines: slices from consecutive samples per thread (nesting, pauses, the last sample),
 * thread and process names, and the Chrome JSON and Perfetto encodings of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/timeline.h"
#include "proto/perfetto_trace.pb-c.h"

/* Adds a sample of stack "a;b;c" (root first) for pid/tid/comm at time_ns. */
static void add_at(struct kiln_profile *p, uint64_t time_ns, const char *stack, int pid, int tid,
		   const char *comm)
{
	uint32_t locs[16];
	uint32_t n = 0;
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", stack);
	for (char *save, *tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		struct kiln_line l = {kiln_profile_function_named(p, tok, strlen(tok)), 0};
		locs[n] = kiln_profile_location(p, 0, 0x1000 + n * 0x10 + (uint64_t)tok[0],
						KILN_FRAME_USER, &l, 1);
		n++;
	}
	for (uint32_t i = 0; i < n / 2; i++) {
		uint32_t t = locs[i];
		locs[i] = locs[n - 1 - i];
		locs[n - 1 - i] = t;
	}
	struct kiln_labels lab = {pid, tid, kiln_profile_intern_cstr(p, comm)};
	int64_t one[1] = {1};
	long s = kiln_profile_add_sample(p, locs, n, &lab, one);
	assert_true(s >= 0);
	assert_int_equal(kiln_profile_add_event(p, time_ns, (uint32_t)s, 1), 0);
}

static struct kiln_profile *new_profile(void)
{
	struct kiln_profile *p = kiln_profile_new();
	kiln_profile_add_value_type(p, "samples", "count");
	kiln_profile_set_period(p, "cpu", "nanoseconds", 10);
	return p;
}

/* The ops as text, one "T B|E depth name" per op, for exact comparison. */
static char *ops_text(const struct timeline *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	for (size_t i = 0; i < t->nops; i++) {
		const struct timeline_op *op = &t->ops[i];
		fprintf(f, "%llu %s%u %s t%d\n", (unsigned long long)op->time_ns,
			op->kind == TIMELINE_BEGIN ? "B" : "E", op->depth, op->name,
			t->threads[op->thread].tid);
	}
	fclose(f);
	return buf;
}

static void slices_follow_consecutive_samples(void **state)
{
	(void)state;
	struct kiln_profile *p = new_profile();
	add_at(p, 100, "main;a;b", 1, 1, "app");
	add_at(p, 110, "main;a;c", 1, 1, "app");
	add_at(p, 120, "main;a;c", 1, 1, "app");
	/* A pause over two intervals: what was open ends at 130. */
	add_at(p, 200, "main;d", 1, 1, "app");
	struct timeline t;
	assert_int_equal(timeline_build(p, &t), 0);
	assert_int_equal(t.interval_ns, 10);
	assert_int_equal(t.samples, 4);
	char *text = ops_text(&t);
	assert_string_equal(text, "100 B0 main t1\n"
				  "100 B1 a t1\n"
				  "100 B2 b t1\n"
				  "110 E2 b t1\n"
				  "110 B2 c t1\n"
				  "130 E2 c t1\n"
				  "130 E1 a t1\n"
				  "130 E0 main t1\n"
				  "200 B0 main t1\n"
				  "200 B1 d t1\n"
				  "210 E1 d t1\n"
				  "210 E0 main t1\n");
	free(text);
	timeline_free(&t);
	kiln_profile_free(p);
}

static void threads_interleave_and_get_names(void **state)
{
	(void)state;
	struct kiln_profile *p = new_profile();
	/* Events out of order: the builder sorts them per thread. */
	add_at(p, 105, "start;work", 7, 8, "worker");
	add_at(p, 100, "main", 7, 7, "server");
	add_at(p, 110, "main;poll", 7, 7, "server");
	add_at(p, 100, "start;work", 7, 8, "worker");
	add_at(p, 100, "other", 9, 9, "tool");
	struct timeline t;
	assert_int_equal(timeline_build(p, &t), 0);
	assert_int_equal(t.nthreads, 3);
	assert_int_equal(t.nprocesses, 2);
	for (size_t i = 0; i < t.nprocesses; i++)
		assert_string_equal(t.processes[i].name,
				    t.processes[i].pid == 7 ? "server" : "tool");
	char *text = ops_text(&t);
	assert_string_equal(text, "100 B0 start t8\n"
				  "100 B1 work t8\n"
				  "100 B0 main t7\n"
				  "100 B0 other t9\n"
				  "110 B1 poll t7\n"
				  "110 E0 other t9\n"
				  "115 E1 work t8\n"
				  "115 E0 start t8\n"
				  "120 E1 poll t7\n"
				  "120 E0 main t7\n");
	free(text);
	timeline_free(&t);
	kiln_profile_free(p);
}

static void no_events_is_enodata(void **state)
{
	(void)state;
	struct kiln_profile *p = new_profile();
	struct timeline t;
	assert_int_equal(timeline_build(p, &t), -ENODATA);
	kiln_profile_free(p);
}

static char *write_to_string(const struct timeline *t, int (*w)(const struct timeline *, FILE *),
			     size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	assert_int_equal(w(t, f), 0);
	fclose(f);
	return buf;
}

static void chrome_json_escapes_and_orders(void **state)
{
	(void)state;
	struct kiln_profile *p = new_profile();
	add_at(p, 1000, "m\"a\\in;f", 1, 1, "bad\x01\xff");
	add_at(p, 1010, "m\"a\\in;g;f", 1, 1, "bad\x01\xff");
	struct timeline t;
	assert_int_equal(timeline_build(p, &t), 0);
	size_t len;
	char *json = write_to_string(&t, chrome_trace_write, &len);
	assert_non_null(strstr(json, "\"traceEvents\":["));
	assert_non_null(strstr(json, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":1,"
				     "\"args\":{\"name\":\"bad\\u0001\\ufffd\"}}"));
	assert_non_null(strstr(json, "{\"name\":\"m\\\"a\\\\in\",\"cat\":\"user\",\"ph\":\"B\","
				     "\"ts\":1.000,\"pid\":1,\"tid\":1}"));
	/* f ends at 1010 and another f begins there: the begin is written 1 ns later. */
	assert_non_null(
	    strstr(json, "{\"name\":\"f\",\"cat\":\"user\",\"ph\":\"E\",\"ts\":1.010,"));
	assert_non_null(
	    strstr(json, "{\"name\":\"g\",\"cat\":\"user\",\"ph\":\"B\",\"ts\":1.011,"));
	assert_non_null(
	    strstr(json, "{\"name\":\"f\",\"cat\":\"user\",\"ph\":\"B\",\"ts\":1.011,"));
	assert_non_null(strstr(json, "\"ts\":1.020,\"pid\":1,\"tid\":1}\n]}\n"));
	free(json);
	timeline_free(&t);
	kiln_profile_free(p);
}

static void perfetto_packets_decode(void **state)
{
	(void)state;
	struct kiln_profile *p = new_profile();
	add_at(p, 500, "main;a", 3, 3, "proc");
	add_at(p, 500, "thr", 3, 4, "helper");
	struct timeline t;
	assert_int_equal(timeline_build(p, &t), 0);
	size_t len;
	char *bytes = write_to_string(&t, perfetto_trace_write, &len);
	Perfetto__Protos__Trace *tr =
	    perfetto__protos__trace__unpack(NULL, len, (const uint8_t *)bytes);
	assert_non_null(tr);
	/* 1 process + 2 thread descriptors, then 3 begins and 3 ends. */
	assert_int_equal(tr->n_packet, 9);
	Perfetto__Protos__TracePacket **pk = tr->packet;
	assert_non_null(pk[0]->track_descriptor);
	assert_non_null(pk[0]->track_descriptor->process);
	assert_int_equal(pk[0]->track_descriptor->process->pid, 3);
	assert_string_equal(pk[0]->track_descriptor->process->process_name, "proc");
	assert_int_equal(pk[0]->sequence_flags, 1);
	uint64_t proc_uuid = pk[0]->track_descriptor->uuid;
	uint64_t thread_uuid[2];
	for (int i = 0; i < 2; i++) {
		Perfetto__Protos__TrackDescriptor *td = pk[1 + i]->track_descriptor;
		assert_non_null(td->thread);
		assert_int_equal(td->parent_uuid, proc_uuid);
		assert_int_equal(td->thread->pid, 3);
		assert_string_equal(td->thread->thread_name,
				    td->thread->tid == 3 ? "proc" : "helper");
		thread_uuid[td->thread->tid - 3] = td->uuid;
	}
	size_t begins = 0, ends = 0;
	for (size_t i = 3; i < tr->n_packet; i++) {
		Perfetto__Protos__TrackEvent *te = pk[i]->track_event;
		assert_non_null(te);
		assert_int_equal(pk[i]->trusted_packet_sequence_id, 1);
		if (te->type == PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_BEGIN) {
			begins++;
			assert_int_equal(pk[i]->timestamp, 500);
			if (!strcmp(te->name, "thr"))
				assert_int_equal(te->track_uuid, thread_uuid[1]);
			else
				assert_int_equal(te->track_uuid, thread_uuid[0]);
			assert_string_equal(te->categories[0], "user");
		} else {
			assert_int_equal(te->type,
					 PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_END);
			assert_int_equal(pk[i]->timestamp, 510);
			ends++;
		}
	}
	assert_int_equal(begins, 3);
	assert_int_equal(ends, 3);
	perfetto__protos__trace__free_unpacked(tr, NULL);
	free(bytes);
	timeline_free(&t);
	kiln_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(slices_follow_consecutive_samples),
	    cmocka_unit_test(threads_interleave_and_get_names),
	    cmocka_unit_test(no_events_is_enodata),
	    cmocka_unit_test(chrome_json_escapes_and_orders),
	    cmocka_unit_test(perfetto_packets_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
