#include "collect/perf_records.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

/* Room for the callchain split; perf caps chains at kernel.perf_event_max_stack (127) anyway. */
#define MAX_CHAIN 512

const struct perf_layout perf_records_layout = {
    .sample_type = PERF_RECORDS_SAMPLE_TYPE,
    .read_format = 0,
    .sample_id_all = true,
};

void perf_records_attr(struct perf_event_attr *attr, int sideband)
{
	attr->sample_type = PERF_RECORDS_SAMPLE_TYPE;
	attr->sample_id_all = 1;
	if (!sideband)
		return;
	/* mmap2 only takes effect together with mmap; comm_exec tells an exec from a rename. */
	attr->mmap = 1;
	attr->mmap2 = 1;
	attr->comm = 1;
	attr->comm_exec = 1;
	attr->task = 1;
}

/* A cursor over a record's body that refuses to read past its end. */
struct cursor {
	const unsigned char *p, *end;
};

static int take(struct cursor *c, void *out, size_t len)
{
	if ((size_t)(c->end - c->p) < len)
		return -EINVAL;
	if (out)
		memcpy(out, c->p, len);
	c->p += len;
	return 0;
}

static int take_u64(struct cursor *c, uint64_t *out)
{
	return take(c, out, sizeof(*out));
}

static size_t read_format_size(uint64_t rf, const struct cursor *c)
{
	size_t per_value = 8 + (rf & PERF_FORMAT_ID ? 8 : 0) + (rf & PERF_FORMAT_LOST ? 8 : 0);
	size_t times = (rf & PERF_FORMAT_TOTAL_TIME_ENABLED ? 8 : 0) +
		       (rf & PERF_FORMAT_TOTAL_TIME_RUNNING ? 8 : 0);
	if (!(rf & PERF_FORMAT_GROUP))
		return per_value + times;
	uint64_t nr;
	if ((size_t)(c->end - c->p) < sizeof(nr))
		return SIZE_MAX;
	memcpy(&nr, c->p, sizeof(nr));
	if (nr > 4096)
		return SIZE_MAX;
	return 8 + times + nr * per_value;
}

int perf_parse_sample(const struct perf_layout *l, const struct perf_event_header *h,
		      struct perf_sample *out)
{
	uint64_t t = l->sample_type;
	struct cursor c = {(const unsigned char *)(h + 1), (const unsigned char *)h + h->size};
	uint32_t pair[2];
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (t & PERF_SAMPLE_IDENTIFIER)
		err |= take_u64(&c, &out->id);
	if (t & PERF_SAMPLE_IP)
		err |= take_u64(&c, &out->ip);
	if (t & PERF_SAMPLE_TID) {
		err |= take(&c, pair, sizeof(pair));
		out->pid = pair[0], out->tid = pair[1];
	}
	if (t & PERF_SAMPLE_TIME)
		err |= take_u64(&c, &out->time);
	if (t & PERF_SAMPLE_ADDR)
		err |= take(&c, NULL, 8);
	if (t & PERF_SAMPLE_ID)
		err |= take_u64(&c, &out->id);
	if (t & PERF_SAMPLE_STREAM_ID)
		err |= take(&c, NULL, 8);
	if (t & PERF_SAMPLE_CPU)
		err |= take(&c, NULL, 8);
	if (t & PERF_SAMPLE_PERIOD)
		err |= take_u64(&c, &out->period);
	if (t & PERF_SAMPLE_READ) {
		size_t n = read_format_size(l->read_format, &c);
		err |= n == SIZE_MAX ? -EINVAL : take(&c, NULL, n);
	}
	if (t & PERF_SAMPLE_CALLCHAIN) {
		err |= take_u64(&c, &out->nr);
		if (err || out->nr > (size_t)(c.end - c.p) / 8)
			return -EINVAL;
		out->ips = (const uint64_t *)c.p;
	}
	return err ? -EINVAL : 0;
}

int perf_parse_trailer(const struct perf_layout *l, const struct perf_event_header *h,
		       struct perf_sample *out)
{
	uint64_t t = l->sample_type;
	memset(out, 0, sizeof(*out));
	if (!l->sample_id_all)
		return 0;
	size_t len = (t & PERF_SAMPLE_TID ? 8 : 0) + (t & PERF_SAMPLE_TIME ? 8 : 0) +
		     (t & PERF_SAMPLE_ID ? 8 : 0) + (t & PERF_SAMPLE_STREAM_ID ? 8 : 0) +
		     (t & PERF_SAMPLE_CPU ? 8 : 0) + (t & PERF_SAMPLE_IDENTIFIER ? 8 : 0);
	if (h->size < sizeof(*h) + len)
		return -EINVAL;
	struct cursor c = {(const unsigned char *)h + h->size - len,
			   (const unsigned char *)h + h->size};
	uint32_t pair[2];
	if (t & PERF_SAMPLE_TID) {
		take(&c, pair, sizeof(pair));
		out->pid = pair[0], out->tid = pair[1];
	}
	if (t & PERF_SAMPLE_TIME)
		take_u64(&c, &out->time);
	if (t & PERF_SAMPLE_ID)
		take_u64(&c, &out->id);
	if (t & PERF_SAMPLE_STREAM_ID)
		take(&c, NULL, 8);
	if (t & PERF_SAMPLE_CPU)
		take(&c, NULL, 8);
	if (t & PERF_SAMPLE_IDENTIFIER)
		take_u64(&c, &out->id);
	return 0;
}

uint64_t perf_record_time(const struct perf_event_header *h, void *unused)
{
	struct perf_sample s;
	(void)unused;
	int err = h->type == PERF_RECORD_SAMPLE ? perf_parse_sample(&perf_records_layout, h, &s)
						: perf_parse_trailer(&perf_records_layout, h, &s);
	return err ? 0 : s.time;
}

/* The fixed-size heads of the sideband records kiln applies (see perf_event.h). */
struct rec_mmap {
	uint32_t pid, tid;
	uint64_t addr, len, pgoff;
	char filename[];
};

struct rec_mmap2 {
	uint32_t pid, tid;
	uint64_t addr, len, pgoff;
	uint8_t id[24]; /* maj/min/ino/generation, or a build id: kiln reads the file itself */
	uint32_t prot, flags;
	char filename[];
};

struct rec_comm {
	uint32_t pid, tid;
	char comm[];
};

struct rec_task {
	uint32_t pid, ppid, tid, ptid;
	uint64_t time;
};

struct rec_lost {
	uint64_t id, lost;
};

/* The string at the end of a record, bounded by the record (it is NUL padded, but a corrupt
 * file may not be). Returns false when there is no room for one. */
static bool record_string(const struct perf_event_header *h, const char *s, char *buf, size_t cap)
{
	const char *end = (const char *)h + h->size;
	if (s >= end)
		return false;
	size_t n = strnlen(s, (size_t)(end - s));
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, s, n);
	buf[n] = 0;
	return true;
}

static int apply_mmap(struct symbolizer *sym, const struct perf_event_header *h)
{
	char name[4096];
	bool exec = !(h->misc & PERF_RECORD_MISC_MMAP_DATA);
	if (h->type == PERF_RECORD_MMAP) {
		const struct rec_mmap *m = (const void *)(h + 1);
		if (h->size < sizeof(*h) + sizeof(*m) ||
		    !record_string(h, m->filename, name, sizeof(name)))
			return -EINVAL;
		if (exec)
			sym_process_mmap(sym, (int)m->pid, m->addr, m->len, m->pgoff, name, true);
		return 0;
	}
	const struct rec_mmap2 *m = (const void *)(h + 1);
	if (h->size < sizeof(*h) + sizeof(*m) || !record_string(h, m->filename, name, sizeof(name)))
		return -EINVAL;
	if (m->prot & PROT_EXEC)
		sym_process_mmap(sym, (int)m->pid, m->addr, m->len, m->pgoff, name, true);
	return 0;
}

static int apply_comm(struct symbolizer *sym, const struct perf_event_header *h)
{
	const struct rec_comm *c = (const void *)(h + 1);
	char comm[32];
	if (h->size < sizeof(*h) + sizeof(*c) || !record_string(h, c->comm, comm, sizeof(comm)))
		return -EINVAL;
	bool exec = h->misc & PERF_RECORD_MISC_COMM_EXEC;
	/* A thread renaming itself is not the process's name. */
	if (exec || c->pid == c->tid)
		sym_process_comm(sym, (int)c->pid, comm, exec);
	return 0;
}

static int apply_task(struct symbolizer *sym, const struct perf_event_header *h)
{
	const struct rec_task *t = (const void *)(h + 1);
	if (h->size < sizeof(*h) + sizeof(*t))
		return -EINVAL;
	if (t->pid != t->tid)
		return 0; /* threads share their process's address space */
	if (h->type == PERF_RECORD_FORK && t->pid != t->ppid)
		sym_process_fork(sym, (int)t->ppid, (int)t->pid);
	else if (h->type == PERF_RECORD_EXIT)
		sym_process_exit(sym, (int)t->pid);
	return 0;
}

int perf_record_sideband(struct symbolizer *sym, const struct perf_event_header *h,
			 struct perf_record_counts *counts)
{
	int err = 0;
	switch (h->type) {
	case PERF_RECORD_SAMPLE:
		counts->samples++;
		return 1;
	case PERF_RECORD_MMAP:
	case PERF_RECORD_MMAP2:
		err = apply_mmap(sym, h);
		break;
	case PERF_RECORD_COMM:
		err = apply_comm(sym, h);
		break;
	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT:
		err = apply_task(sym, h);
		break;
	case PERF_RECORD_LOST: {
		const struct rec_lost *l = (const void *)(h + 1);
		if (h->size < sizeof(*h) + sizeof(*l))
			return -EINVAL;
		counts->lost += l->lost;
		return 0;
	}
	case PERF_RECORD_LOST_SAMPLES: {
		uint64_t lost;
		if (h->size < sizeof(*h) + sizeof(lost))
			return -EINVAL;
		memcpy(&lost, h + 1, sizeof(lost));
		counts->lost += lost;
		return 0;
	}
	default:
		return 0; /* THROTTLE, SWITCH, KSYMBOL...: nothing kiln needs */
	}
	if (!err)
		counts->sideband++;
	return err;
}

int perf_sample_deliver(struct stack_sink *sink, const struct perf_sample *s, const char *comm,
			int64_t weight)
{
	uint64_t kernel[MAX_CHAIN], user[MAX_CHAIN];
	uint32_t nk = 0, nu = 0;
	enum { NONE, KERNEL, USER } ctx = NONE;

	for (uint64_t i = 0; i < s->nr; i++) {
		uint64_t ip = s->ips[i];
		if (ip >= (uint64_t)PERF_CONTEXT_MAX) {
			ctx = ip == (uint64_t)PERF_CONTEXT_KERNEL ? KERNEL
			      : ip == (uint64_t)PERF_CONTEXT_USER ? USER
								  : NONE; /* guest, hypervisor */
			continue;
		}
		if (ctx == KERNEL && nk < MAX_CHAIN)
			kernel[nk++] = ip;
		else if (ctx == USER && nu < MAX_CHAIN)
			user[nu++] = ip;
	}
	/* Without a callchain the sample still counts, at its ip. */
	if (!(s->nr) && s->ip) {
		if (s->ip >= 0x8000000000000000ULL)
			kernel[nk++] = s->ip;
		else
			user[nu++] = s->ip;
	}
	struct raw_stack rs = {
	    .pid = (int32_t)s->pid,
	    .tid = (int32_t)s->tid,
	    .comm = comm,
	    .kernel = kernel,
	    .nkernel = nk,
	    .user = user,
	    .nuser = nu,
	    .count = 1,
	    .weight = weight,
	    .time_ns = s->time,
	};
	return stack_sink_add(sink, &rs);
}
