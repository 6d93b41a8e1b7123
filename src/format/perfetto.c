/* Perfetto's native trace format: a Trace message is a run of TracePacket fields (number 1), so
 * packets are encoded one at a time with protobuf-c (proto/perfetto_trace.proto) and framed by
 * hand, never holding the whole trace in memory. Every process and thread gets a track
 * (TrackDescriptor with a ProcessDescriptor or ThreadDescriptor, threads under their process);
 * slices are TYPE_SLICE_BEGIN/END TrackEvents on the thread's track. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/timeline.h"
#include "proto/perfetto_trace.pb-c.h"

/* All packets come from one writer: one sequence. */
#define KILN_SEQUENCE_ID 1
#define SEQ_INCREMENTAL_STATE_CLEARED 1

struct file_buffer {
	ProtobufCBuffer base;
	FILE *out;
};

static void file_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
	struct file_buffer *fb = (struct file_buffer *)b;
	fwrite(data, 1, len, fb->out);
}

static void put_varint(FILE *out, uint64_t v)
{
	while (v >= 0x80) {
		fputc((int)(v & 0x7f) | 0x80, out);
		v >>= 7;
	}
	fputc((int)v, out);
}

/* One Trace.packet field: tag (field 1, length-delimited), length, the packet. */
static void write_packet(FILE *out, Perfetto__Protos__TracePacket *pkt)
{
	struct file_buffer fb = {{file_append}, out};
	fputc((1 << 3) | 2, out);
	put_varint(out, perfetto__protos__trace_packet__get_packed_size(pkt));
	perfetto__protos__trace_packet__pack_to_buffer(pkt, &fb.base);
}

static uint64_t process_uuid(size_t i)
{
	return 1 + (uint64_t)i;
}

static uint64_t thread_uuid(const struct timeline *t, size_t i)
{
	return 1 + (uint64_t)t->nprocesses + (uint64_t)i;
}

static int32_t known_or_zero(int32_t id)
{
	return id >= 0 ? id : 0;
}

static void write_descriptors(const struct timeline *t, FILE *out)
{
	for (size_t i = 0; i < t->nprocesses; i++) {
		Perfetto__Protos__ProcessDescriptor pd = PERFETTO__PROTOS__PROCESS_DESCRIPTOR__INIT;
		Perfetto__Protos__TrackDescriptor td = PERFETTO__PROTOS__TRACK_DESCRIPTOR__INIT;
		Perfetto__Protos__TracePacket pkt = PERFETTO__PROTOS__TRACE_PACKET__INIT;
		pd.has_pid = 1;
		pd.pid = known_or_zero(t->processes[i].pid);
		pd.process_name = (char *)t->processes[i].name;
		td.has_uuid = 1;
		td.uuid = process_uuid(i);
		td.process = &pd;
		pkt.has_trusted_packet_sequence_id = 1;
		pkt.trusted_packet_sequence_id = KILN_SEQUENCE_ID;
		if (i == 0) {
			/* The sequence's first packet: nothing before it to depend on. */
			pkt.has_sequence_flags = 1;
			pkt.sequence_flags = SEQ_INCREMENTAL_STATE_CLEARED;
		}
		pkt.track_descriptor = &td;
		write_packet(out, &pkt);
	}
	for (size_t i = 0; i < t->nthreads; i++) {
		const struct timeline_thread *th = &t->threads[i];
		int32_t pid = known_or_zero(t->processes[th->process].pid);
		Perfetto__Protos__ThreadDescriptor thd = PERFETTO__PROTOS__THREAD_DESCRIPTOR__INIT;
		Perfetto__Protos__TrackDescriptor td = PERFETTO__PROTOS__TRACK_DESCRIPTOR__INIT;
		Perfetto__Protos__TracePacket pkt = PERFETTO__PROTOS__TRACE_PACKET__INIT;
		thd.has_pid = thd.has_tid = 1;
		thd.pid = pid;
		thd.tid = th->tid >= 0 ? th->tid : pid;
		thd.thread_name = (char *)th->name;
		td.has_uuid = td.has_parent_uuid = 1;
		td.uuid = thread_uuid(t, i);
		td.parent_uuid = process_uuid(th->process);
		td.thread = &thd;
		pkt.has_trusted_packet_sequence_id = 1;
		pkt.trusted_packet_sequence_id = KILN_SEQUENCE_ID;
		pkt.track_descriptor = &td;
		write_packet(out, &pkt);
	}
}

static void write_slice_op(const struct timeline *t, FILE *out, const struct timeline_op *op)
{
	Perfetto__Protos__TrackEvent te = PERFETTO__PROTOS__TRACK_EVENT__INIT;
	Perfetto__Protos__TracePacket pkt = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	char *category = (char *)timeline_category(op->annot);
	te.has_type = te.has_track_uuid = 1;
	te.track_uuid = thread_uuid(t, op->thread);
	if (op->kind == TIMELINE_BEGIN) {
		te.type = PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_BEGIN;
		te.name = (char *)op->name;
		te.n_categories = 1;
		te.categories = &category;
	} else {
		/* An end closes the innermost open slice of its track: it needs no name. */
		te.type = PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_END;
	}
	pkt.has_timestamp = 1;
	pkt.timestamp = op->time_ns;
	pkt.has_trusted_packet_sequence_id = 1;
	pkt.trusted_packet_sequence_id = KILN_SEQUENCE_ID;
	pkt.track_event = &te;
	write_packet(out, &pkt);
}

int perfetto_trace_write(const struct timeline *t, FILE *out)
{
	write_descriptors(t, out);
	for (size_t i = 0; i < t->nops; i++)
		write_slice_op(t, out, &t->ops[i]);
	return ferror(out) ? -EIO : 0;
}
