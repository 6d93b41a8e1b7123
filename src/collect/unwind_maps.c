#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "collect/unwind_maps.h"
#include "unwind/cfi_table.h"
#include "unwind/proc_maps.h"
#include "util/proc_maps_text.h"
#include "util/percpu.h"
#include "util/log.h"
#include "util/vec.h"

/* An ELF object's table in the shared row array. Slot index = id in unwind_objs; 0 unused. */
struct obj {
	bool used;
	bool no_cfi; /* tried: no usable CFI, frame pointers */
	uint8_t build_id[CFI_BUILD_ID_MAX];
	uint32_t build_id_len;
	uint32_t first_row, nrows; /* nrows 0: not loaded (never, or evicted) */
	uint64_t last_used;
	uint32_t refs; /* processes mapping it */
};

/* A file (device + inode, or the vdso) known to hold an object. */
struct alias {
	uint64_t dev, inode;
	bool vdso;
	uint32_t obj;
};

/* A mapping as last seen, so that rescans need not reopen its file for the load bias. */
struct known_map {
	uint64_t start, end, offset, dev, inode;
	uint64_t bias;
};

struct proc {
	int pid;
	uint32_t *objs;
	size_t nobjs;
	struct known_map *known;
	size_t nknown;
};

struct extent {
	uint32_t start, len;
};

/* The row array as seen from kiln: address space for all of it, reserved at the start, into
 * which each chunk is mapped the first time rows land there and stays until the end. Mapping
 * pages only while they are written cost an unmap per object, and on this VM each unmap is a
 * TLB shootdown on the other CPUs (5 ms of a 50 ms recording); mapping all of it up front
 * would count the whole array in kiln's resident memory. */
enum chunk_state { CHUNK_RESERVED, CHUNK_MAPPED, CHUNK_LOST };
struct rows_window {
	unsigned char *base; /* NULL: rows go through bpf() */
	size_t len;
	uint8_t *chunks; /* enum chunk_state of each ROWS_CHUNK bytes */
	size_t nchunks;
};
#define ROWS_CHUNK ((size_t)256 << 10)

struct unwind_maps {
	struct unwind_maps_fds fds;
	uint32_t capacity;
	/* The row array mapped into kiln (BPF_F_MMAPABLE): rows are written straight into it, not
	 * through bpf() at a quarter microsecond each. */
	struct rows_window window;
	struct obj objs[UNWIND_MAX_OBJS];
	uint32_t objs_end; /* slots from here on were never used: scans stop here */
	struct alias *aliases;
	size_t naliases, alias_cap;
	struct proc *procs;
	size_t nprocs, proc_cap;
	struct extent *free;
	size_t nfree, free_cap;
	uint64_t clock;
	uint64_t rows_used, evictions, mappings_dropped;
	struct unwind_proc *scratch;
};

/* An array map's elements sit 8-byte aligned in its memory; rows are exactly that long, so a
 * table is written with one copy. */
#define ROW_STRIDE ((sizeof(struct cfi_row) + 7) & ~(size_t)7)
_Static_assert(ROW_STRIDE == UNWIND_ROW_BYTES, "unwind.h states the row array's stride");
_Static_assert(ROW_STRIDE == sizeof(struct cfi_row), "rows lie in the array as in a table");

/* The last chunk ends with the array. */
static size_t chunk_len(const struct rows_window *w, size_t chunk)
{
	size_t off = chunk * ROWS_CHUNK;
	return w->len - off < ROWS_CHUNK ? w->len - off : ROWS_CHUNK;
}

static int map_rows_chunk(struct rows_window *w, int fd, size_t chunk)
{
	size_t off = chunk * ROWS_CHUNK;
	void *mem = mmap(w->base + off, chunk_len(w, chunk), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, fd, (off_t)off);
	if (mem == MAP_FAILED) {
		int err = -errno;
		/* The reservation there may be gone: never unmap that range, another mapping
		 * could take its place. */
		w->chunks[chunk] = CHUNK_LOST;
		return err;
	}
	w->chunks[chunk] = CHUNK_MAPPED;
	return 0;
}

static void rows_window_release(struct rows_window *w)
{
	for (size_t i = 0; w->base && i < w->nchunks; i++)
		if (w->chunks[i] != CHUNK_LOST)
			munmap(w->base + i * ROWS_CHUNK, chunk_len(w, i));
	free(w->chunks);
	memset(w, 0, sizeof(*w));
}

/* Reserves the window and maps its first chunk, which also tells whether this kernel lets
 * the array be mapped. */
static void rows_window_open(struct unwind_maps *um)
{
	struct rows_window *w = &um->window;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	w->len = ((size_t)um->capacity * ROW_STRIDE + page - 1) & ~(page - 1);
	if (!w->len)
		return;
	w->nchunks = (w->len + ROWS_CHUNK - 1) / ROWS_CHUNK;
	w->chunks = calloc(w->nchunks, sizeof(*w->chunks));
	void *base =
	    mmap(NULL, w->len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!w->chunks || base == MAP_FAILED) {
		free(w->chunks);
		memset(w, 0, sizeof(*w));
		return;
	}
	w->base = base;
	if (map_rows_chunk(w, um->fds.rows, 0))
		rows_window_release(w);
}

static int write_rows_mapped(struct unwind_maps *um, uint32_t first, const struct cfi_table *t)
{
	struct rows_window *w = &um->window;
	size_t start = (size_t)first * ROW_STRIDE, len = (size_t)t->nrows * ROW_STRIDE;
	for (size_t c = start / ROWS_CHUNK; c <= (start + len - 1) / ROWS_CHUNK; c++) {
		if (w->chunks[c] == CHUNK_LOST)
			return -EFAULT;
		if (w->chunks[c] == CHUNK_RESERVED) {
			int err = map_rows_chunk(w, um->fds.rows, c);
			if (err)
				return err;
		}
	}
	memcpy(w->base + start, t->rows, len);
	return 0;
}

int unwind_maps_new(struct unwind_maps **out, const struct unwind_maps_fds *fds,
		    uint32_t rows_capacity)
{
	struct unwind_maps *um = calloc(1, sizeof(*um));
	if (!um)
		return -ENOMEM;
	um->fds = *fds;
	um->capacity = rows_capacity;
	um->objs_end = 1;
	um->scratch = calloc(1, sizeof(*um->scratch));
	um->free = malloc(sizeof(*um->free));
	if (!um->scratch || !um->free) {
		unwind_maps_free(um);
		return -ENOMEM;
	}
	um->free[0] = (struct extent){0, rows_capacity};
	um->nfree = rows_capacity ? 1 : 0;
	um->free_cap = 1;
	rows_window_open(um);
	*out = um;
	return 0;
}

void unwind_maps_free(struct unwind_maps *um)
{
	if (!um)
		return;
	for (size_t i = 0; i < um->nprocs; i++) {
		free(um->procs[i].objs);
		free(um->procs[i].known);
	}
	free(um->procs);
	free(um->aliases);
	free(um->free);
	free(um->scratch);
	rows_window_release(&um->window);
	free(um);
}

/* --- Row allocation: first fit over a sorted free list --------------------------------------- */

static int rows_alloc(struct unwind_maps *um, uint32_t n, uint32_t *start)
{
	for (size_t i = 0; i < um->nfree; i++) {
		struct extent *e = &um->free[i];
		if (e->len < n)
			continue;
		*start = e->start;
		e->start += n;
		e->len -= n;
		if (!e->len) {
			memmove(e, e + 1, (um->nfree - i - 1) * sizeof(*e));
			um->nfree--;
		}
		um->rows_used += n;
		return 0;
	}
	return -ENOSPC;
}

static int rows_release(struct unwind_maps *um, uint32_t start, uint32_t n)
{
	size_t i = 0;
	while (i < um->nfree && um->free[i].start < start)
		i++;
	um->rows_used -= n;
	bool join_prev = i > 0 && um->free[i - 1].start + um->free[i - 1].len == start;
	bool join_next = i < um->nfree && start + n == um->free[i].start;
	if (join_prev && join_next) {
		um->free[i - 1].len += n + um->free[i].len;
		memmove(&um->free[i], &um->free[i + 1], (um->nfree - i - 1) * sizeof(*um->free));
		um->nfree--;
	} else if (join_prev) {
		um->free[i - 1].len += n;
	} else if (join_next) {
		um->free[i].start = start;
		um->free[i].len += n;
	} else {
		if (VEC_RESERVE(um->free, um->free_cap, um->nfree + 1))
			return -ENOMEM;
		memmove(&um->free[i + 1], &um->free[i], (um->nfree - i) * sizeof(*um->free));
		um->free[i] = (struct extent){start, n};
		um->nfree++;
	}
	return 0;
}

static void obj_unload(struct unwind_maps *um, uint32_t id)
{
	struct obj *o = &um->objs[id];
	if (!o->nrows)
		return;
	struct unwind_obj none = {0, 0};
	bpf_map_update_elem(um->fds.objs, &id, &none, BPF_ANY);
	rows_release(um, o->first_row, o->nrows);
	o->nrows = 0;
	um->evictions++;
}

/* Least recently used loaded object not pinned by the scan in progress; 0 when none. */
static uint32_t lru_victim(struct unwind_maps *um, uint64_t pinned_clock, bool unreferenced_only)
{
	uint32_t best = 0;
	for (uint32_t id = 1; id < um->objs_end; id++) {
		const struct obj *o = &um->objs[id];
		if (!o->used || !o->nrows || o->last_used >= pinned_clock)
			continue;
		if (unreferenced_only && o->refs)
			continue;
		if (!best || o->last_used < um->objs[best].last_used)
			best = id;
	}
	return best;
}

static int write_rows(struct unwind_maps *um, uint32_t first, const struct cfi_table *t)
{
	enum { CHUNK = 65536 };
	if (um->window.base && !write_rows_mapped(um, first, t))
		return 0;
	uint32_t *keys = malloc(CHUNK * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	int err = 0;
	for (uint32_t done = 0; !err && done < t->nrows;) {
		uint32_t n = t->nrows - done < CHUNK ? t->nrows - done : CHUNK;
		for (uint32_t i = 0; i < n; i++)
			keys[i] = first + done + i;
		__u32 count = n;
		if (bpf_map_update_batch(um->fds.rows, keys, t->rows + done, &count, NULL)) {
			/* Kernels without batch support for arrays: one by one. */
			for (uint32_t i = 0; i < n && !err; i++)
				if (bpf_map_update_elem(um->fds.rows, &keys[i], &t->rows[done + i],
							0))
					err = -errno;
		}
		done += n;
	}
	free(keys);
	return err;
}

static int obj_load(struct unwind_maps *um, uint32_t id, const struct cfi_table *t)
{
	struct obj *o = &um->objs[id];
	uint32_t first;
	if (t->nrows == 0 || t->nrows >= (1u << (UNWIND_ROW_SEARCH_STEPS - 1)))
		return -E2BIG;
	/* Unreferenced objects go first, then those of other processes, oldest first. */
	while (rows_alloc(um, t->nrows, &first)) {
		uint32_t victim = lru_victim(um, um->clock, true);
		if (!victim)
			victim = lru_victim(um, um->clock, false);
		if (!victim)
			return -ENOSPC;
		obj_unload(um, victim);
	}
	int err = write_rows(um, first, t);
	struct unwind_obj val = {first, t->nrows};
	if (!err && bpf_map_update_elem(um->fds.objs, &id, &val, BPF_ANY))
		err = -errno;
	if (err) {
		rows_release(um, first, t->nrows);
		return err;
	}
	o->first_row = first;
	o->nrows = t->nrows;
	return 0;
}

/* --- Objects and aliases ------------------------------------------------------------------ */

static uint32_t alias_find(const struct unwind_maps *um, const struct proc_map *pm)
{
	for (size_t i = 0; i < um->naliases; i++) {
		const struct alias *a = &um->aliases[i];
		if (a->vdso == pm->vdso && a->dev == pm->dev && a->inode == pm->inode)
			return a->obj;
	}
	return 0;
}

static int alias_add(struct unwind_maps *um, const struct proc_map *pm, uint32_t id)
{
	if (VEC_RESERVE(um->aliases, um->alias_cap, um->naliases + 1))
		return -ENOMEM;
	um->aliases[um->naliases++] =
	    (struct alias){.dev = pm->dev, .inode = pm->inode, .vdso = pm->vdso, .obj = id};
	return 0;
}

/* A free object slot, reclaiming an unreferenced one when all are taken. 0 when none. */
static uint32_t obj_slot(struct unwind_maps *um)
{
	for (uint32_t id = 1; id < UNWIND_MAX_OBJS; id++) {
		if (!um->objs[id].used) {
			if (id >= um->objs_end)
				um->objs_end = id + 1;
			return id;
		}
	}
	uint32_t victim = 0;
	for (uint32_t id = 1; id < UNWIND_MAX_OBJS; id++)
		if (!um->objs[id].refs &&
		    (!victim || um->objs[id].last_used < um->objs[victim].last_used))
			victim = id;
	if (!victim)
		return 0;
	obj_unload(um, victim);
	size_t w = 0;
	for (size_t i = 0; i < um->naliases; i++)
		if (um->aliases[i].obj != victim)
			um->aliases[w++] = um->aliases[i];
	um->naliases = w;
	memset(&um->objs[victim], 0, sizeof(um->objs[victim]));
	return victim;
}

static uint32_t obj_by_build_id(const struct unwind_maps *um, const struct cfi_table *t)
{
	if (!t->build_id_len)
		return 0;
	for (uint32_t id = 1; id < um->objs_end; id++) {
		const struct obj *o = &um->objs[id];
		if (o->used && o->build_id_len == t->build_id_len &&
		    memcmp(o->build_id, t->build_id, t->build_id_len) == 0)
			return id;
	}
	return 0;
}

static int build_table(int pid, const struct proc_map *pm, struct cfi_table **t)
{
	if (pm->vdso) {
		size_t size;
		const void *img = vdso_image(&size);
		return img ? cfi_table_from_memory(img, size, t) : -ENOENT;
	}
	int fd = proc_map_open(pid, pm);
	if (fd < 0)
		return fd;
	int err = cfi_table_from_fd_cached(fd, t);
	close(fd);
	return err;
}

static int mapping_bias(int pid, const struct proc_map *pm, uint64_t *bias)
{
	if (pm->vdso) {
		size_t size;
		const void *img = vdso_image(&size);
		return img ? elf_mem_load_bias(img, size, pm->start, 0, bias) : -ENOENT;
	}
	int fd = proc_map_open(pid, pm);
	if (fd < 0)
		return fd;
	int err = elf_fd_load_bias(fd, pm->start, pm->offset, bias);
	close(fd);
	return err;
}

/* The object id for a mapping with its rows loaded, or 0 (frame pointers). */
static uint32_t object_for(struct unwind_maps *um, int pid, const struct proc_map *pm)
{
	uint32_t id = alias_find(um, pm);
	if (id && (um->objs[id].nrows || um->objs[id].no_cfi)) {
		um->objs[id].last_used = um->clock;
		return um->objs[id].no_cfi ? 0 : id;
	}
	struct cfi_table *t = NULL;
	int err = build_table(pid, pm, &t);
	if (!id && t)
		id = obj_by_build_id(um, t);
	bool new_alias = !alias_find(um, pm);
	if (!id) {
		id = obj_slot(um);
		if (!id) {
			cfi_table_free(t);
			return 0;
		}
		struct obj *o = &um->objs[id];
		o->used = true;
		o->no_cfi = err != 0;
		if (t) {
			memcpy(o->build_id, t->build_id, t->build_id_len);
			o->build_id_len = t->build_id_len;
		}
	}
	if (new_alias && alias_add(um, pm, id)) {
		cfi_table_free(t);
		return 0;
	}
	struct obj *o = &um->objs[id];
	o->last_used = um->clock;
	if (t && !o->nrows && (err = obj_load(um, id, t)))
		kiln_debug("unwind: no room for %s's %u rows (%s)", pm->path ? pm->path : "[vdso]",
			   t->nrows, strerror(-err));
	cfi_table_free(t);
	return o->nrows ? id : 0;
}

/* --- Processes ------------------------------------------------------------------------------ */

/* pid's slot in procs, or nprocs when it has none. */
static size_t proc_index(const struct unwind_maps *um, int pid)
{
	size_t i = 0;
	while (i < um->nprocs && um->procs[i].pid != pid)
		i++;
	return i;
}

static struct proc *proc_find(struct unwind_maps *um, int pid)
{
	size_t i = proc_index(um, pid);
	return i < um->nprocs ? &um->procs[i] : NULL;
}

static void proc_set_objs(struct unwind_maps *um, struct proc *p, uint32_t *objs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		um->objs[objs[i]].refs++;
	for (size_t i = 0; i < p->nobjs; i++)
		if (um->objs[p->objs[i]].refs)
			um->objs[p->objs[i]].refs--;
	free(p->objs);
	p->objs = objs;
	p->nobjs = n;
}

void unwind_maps_remove_pid(struct unwind_maps *um, int pid)
{
	struct proc *p = proc_find(um, pid);
	__u32 key = (__u32)pid;
	bpf_map_delete_elem(um->fds.procs, &key);
	if (!p)
		return;
	proc_set_objs(um, p, NULL, 0);
	free(p->known);
	*p = um->procs[--um->nprocs];
}

/* The bias of an identical mapping seen in the previous scan. */
static bool known_bias(const struct proc *p, struct known_map *k)
{
	for (size_t i = 0; p && i < p->nknown; i++) {
		const struct known_map *o = &p->known[i];
		if (o->start == k->start && o->end == k->end && o->offset == k->offset &&
		    o->dev == k->dev && o->inode == k->inode) {
			k->bias = o->bias;
			return true;
		}
	}
	return false;
}

int unwind_maps_add_pid(struct unwind_maps *um, int pid)
{
	struct proc_map *pms;
	size_t n;
	int err = proc_maps_read(pid, &pms, &n);
	if (err) {
		if (err == -ESRCH)
			unwind_maps_remove_pid(um, pid);
		return err;
	}
	um->clock++;
	struct unwind_proc *val = um->scratch;
	memset(val, 0, sizeof(*val));
	uint32_t *objs = calloc(n ? n : 1, sizeof(*objs));
	struct known_map *known = calloc(n ? n : 1, sizeof(*known));
	size_t nobjs = 0, nknown = 0;
	if (!objs || !known) {
		free(objs);
		free(known);
		proc_maps_free(pms, n);
		return -ENOMEM;
	}
	const struct proc *old = proc_find(um, pid);
	for (size_t i = 0; i < n; i++) {
		const struct proc_map *pm = &pms[i];
		if (!pm->path && !pm->vdso)
			continue; /* anonymous code (JITs): frame pointers */
		if (val->nmaps >= UNWIND_MAX_MAPS) {
			um->mappings_dropped++;
			continue;
		}
		struct known_map k = {pm->start, pm->end, pm->offset, pm->dev, pm->inode, 0};
		if (!known_bias(old, &k) && mapping_bias(pid, pm, &k.bias))
			continue;
		known[nknown++] = k;
		uint64_t bias = k.bias;
		uint32_t id = object_for(um, pid, pm);
		struct unwind_mapping *m = &val->maps[val->nmaps++];
		m->start = pm->start;
		m->end = pm->end;
		m->bias = bias;
		m->obj = id;
		if (id) {
			bool seen = false;
			for (size_t k = 0; k < nobjs && !seen; k++)
				seen = objs[k] == id;
			if (!seen)
				objs[nobjs++] = id;
		}
	}
	proc_maps_free(pms, n);

	struct proc *p = proc_find(um, pid);
	if (!p) {
		if (VEC_RESERVE(um->procs, um->proc_cap, um->nprocs + 1)) {
			free(objs);
			free(known);
			return -ENOMEM;
		}
		p = &um->procs[um->nprocs++];
		memset(p, 0, sizeof(*p));
		p->pid = pid;
	}
	proc_set_objs(um, p, objs, nobjs);
	free(p->known);
	p->known = known;
	p->nknown = nknown;
	__u32 key = (__u32)pid;
	if (bpf_map_update_elem(um->fds.procs, &key, val, BPF_ANY))
		return -errno;
	return 0;
}

bool unwind_maps_has_pid(const struct unwind_maps *um, int pid)
{
	return proc_index(um, pid) < um->nprocs;
}

int unwind_maps_add_wanted(struct unwind_maps *um, int skip_pid)
{
	if (um->fds.wanted < 0)
		return 0;
	int loaded = 0;
	__u32 key;
	/* Deleting each key before loading it: a request made meanwhile is a new one. */
	while (!bpf_map_get_next_key(um->fds.wanted, NULL, &key)) {
		if (bpf_map_delete_elem(um->fds.wanted, &key))
			return -errno;
		/* Asked before the tables (of an exec, say) were loaded this poll. */
		bool loaded_since = unwind_maps_has_pid(um, (int)key) &&
				    !bpf_map_lookup_elem(um->fds.procs, &key, um->scratch);
		if ((int)key == skip_pid || loaded_since)
			continue;
		int err = unwind_maps_add_pid(um, (int)key);
		kiln_debug("unwind tables of %u, sampled without them: %s", key,
			   err ? strerror(-err) : "loaded");
		if (!err) {
			loaded++;
		} else if (err != -ESRCH) {
			/* Unreadable maps: an empty entry stops the requests; frame pointers. */
			memset(um->scratch, 0, sizeof(*um->scratch));
			bpf_map_update_elem(um->fds.procs, &key, um->scratch, BPF_NOEXIST);
		}
	}
	return loaded;
}

int unwind_maps_rescan(struct unwind_maps *um)
{
	for (size_t i = 0; i < um->nprocs;) {
		int pid = um->procs[i].pid;
		if (unwind_maps_add_pid(um, pid) == -ESRCH)
			continue; /* removed: the slot now holds another process */
		i++;
	}
	return (int)um->nprocs;
}

void unwind_maps_get_stats(const struct unwind_maps *um, struct unwind_maps_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->processes = (uint32_t)um->nprocs;
	for (uint32_t id = 1; id < um->objs_end; id++) {
		st->objects += um->objs[id].nrows ? 1 : 0;
		st->objects_no_cfi += um->objs[id].no_cfi ? 1 : 0;
	}
	st->rows_used = um->rows_used;
	st->rows_capacity = um->capacity;
	st->table_bytes = um->rows_used * sizeof(struct cfi_row);
	st->evictions = um->evictions;
	st->mappings_dropped = um->mappings_dropped;
}

int unwind_maps_read_counters(const struct unwind_maps *um, uint64_t out[UNWIND_STAT_NR])
{
	return percpu_array_sum(um->fds.stats, UNWIND_STAT_NR, out);
}
