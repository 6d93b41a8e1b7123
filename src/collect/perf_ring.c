#include "collect/perf_ring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/vec.h"

int perf_ring_map(struct perf_ring *r, int fd, int cpu, size_t pages)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->cpu = cpu;
	r->data_size = pages * page;
	r->base = mmap(NULL, (pages + 1) * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r->base == MAP_FAILED) {
		r->base = NULL;
		return -errno;
	}
	return 0;
}

void perf_ring_unmap(struct perf_ring *r)
{
	if (r->base)
		munmap(r->base, r->data_size + (size_t)sysconf(_SC_PAGESIZE));
	r->base = NULL;
}

static int batch_append(struct perf_batch *b, const void *src, size_t len)
{
	if (VEC_RESERVE(b->data, b->cap, b->len + len))
		return -ENOMEM;
	memcpy(b->data + b->len, src, len);
	b->len += len;
	return 0;
}

/* Copies the ring's pending bytes out (wrapping), then releases them to the kernel. */
static int drain_ring(struct perf_batch *b, struct perf_ring *r, size_t *first, size_t *last)
{
	struct perf_event_mmap_page *meta = r->base;
	const char *data = (const char *)r->base + (size_t)sysconf(_SC_PAGESIZE);
	uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = meta->data_tail;
	*first = b->len;
	while (tail < head) {
		size_t off = tail % r->data_size;
		size_t chunk = r->data_size - off;
		if (chunk > head - tail)
			chunk = head - tail;
		if (batch_append(b, data + off, chunk))
			return -ENOMEM;
		tail += chunk;
	}
	*last = b->len;
	__atomic_store_n(&meta->data_tail, head, __ATOMIC_RELEASE);
	return 0;
}

static int index_records(struct perf_batch *b, size_t from, size_t to,
			 uint64_t (*time_of)(const struct perf_event_header *, void *), void *arg)
{
	size_t off = from;
	while (off + sizeof(struct perf_event_header) <= to) {
		struct perf_event_header *h = (void *)(b->data + off);
		if (h->size < sizeof(*h) || off + h->size > to)
			break; /* corrupt tail: the kernel never writes partial records */
		if (VEC_RESERVE(b->recs, b->recs_cap, b->nrecs + 1))
			return -ENOMEM;
		/* Store the offset for now: data may still move while other rings are appended. */
		b->recs[b->nrecs++] = (struct perf_record){0, h->size, (void *)(uintptr_t)off};
		off += h->size;
	}
	(void)time_of;
	(void)arg;
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const struct perf_record *x = a, *y = b;
	return x->time < y->time ? -1 : x->time > y->time;
}

int perf_batch_fill(struct perf_batch *b, struct perf_ring *rings, size_t nrings,
		    uint64_t (*time_of)(const struct perf_event_header *hdr, void *arg), void *arg)
{
	b->len = 0;
	b->nrecs = 0;
	for (size_t i = 0; i < nrings; i++) {
		size_t first, last;
		if (!rings[i].base)
			continue;
		int err = drain_ring(b, &rings[i], &first, &last);
		if (!err)
			err = index_records(b, first, last, time_of, arg);
		if (err)
			return err;
	}
	for (size_t i = 0; i < b->nrecs; i++) {
		b->recs[i].hdr = (void *)(b->data + (uintptr_t)b->recs[i].hdr);
		b->recs[i].time = time_of(b->recs[i].hdr, arg);
	}
	/* Sideband must be applied in order across CPUs: a FORK seen on one CPU precedes the
	 * child's MMAP2 on another. qsort is not stable, but equal times carry no order anyway. */
	if (b->nrecs)
		qsort(b->recs, b->nrecs, sizeof(*b->recs), by_time);
	return 0;
}

void perf_batch_free(struct perf_batch *b)
{
	free(b->data);
	free(b->recs);
	memset(b, 0, sizeof(*b));
}

int cpus_possible(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);
	return n > 0 ? (int)n : 1;
}

int cpu_online(int cpu)
{
	char path[64];
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	FILE *f = fopen(path, "r");
	if (!f)
		return 1; /* cpu0 often has no "online" file: it cannot go offline */
	int c = fgetc(f);
	fclose(f);
	return c != '0';
}

const char *perf_open_hint(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
		return "permission denied: run as root, or grant CAP_PERFMON (and CAP_BPF for bpf "
		       "mode), or lower /proc/sys/kernel/perf_event_paranoid "
		       "(sysctl kernel.perf_event_paranoid=-1)";
	case ENOENT:
	case EOPNOTSUPP:
		return "this event is not supported by this kernel or CPU (virtual machines often "
		       "have no hardware PMU); use -e cpu-clock";
	case EMFILE:
		return "too many open files: raise the limit with 'ulimit -n'";
	case ESRCH:
		return "no such process";
	default:
		return strerror(err);
	}
}
