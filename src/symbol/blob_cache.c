#include "symbol/blob_cache.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbol/addr_map.h"
#include "symbol/debug_cache.h"
#include "util/log.h"
#include "util/vec.h"

#define MAGIC "KILNBL2\n"
#define MAGIC_UNFENCED "KILNBLB\n" /* before the fence: read, and rewritten at the next save */
#define MAX_BLOBS 100000
#define MAX_FILE_BYTES (64u << 20)
#define ALIGN 8

/* The file: MAGIC, u32 format, u32 identity length, the identity, zeros to a multiple of 8,
 * u64 blob count, the fence (the key of every FENCE-th index entry), one index entry per blob
 * in key order, then the blobs, each at a multiple of 8. Native byte order: the cache never
 * leaves the host.
 *
 * A lookup searches the fence, then one block of FENCE entries: a few pages of the file, where
 * a search of the whole index would touch a page per step. On a VM each page a process touches
 * for the first time costs microseconds, more than the search. */
struct index_entry {
	uint64_t key, offset, len;
};
#define FENCE 128

static size_t fence_count(size_t n)
{
	return (n + FENCE - 1) / FENCE;
}

struct added {
	uint64_t key;
	void *data;
	size_t len;
};

/* One file as mapped. Blobs go to a small delta file first (DELTA_PREFIX + suffix), folded into
 * the base file once it holds an eighth as many: a run that met a few new addresses writes a
 * few blobs, not the whole base again. */
struct stored {
	const uint8_t *map; /* NULL when there is no usable file */
	size_t map_len;
	const uint64_t *fence; /* NULL in an unfenced file */
	const struct index_entry *index;
	size_t n;
};

enum { BASE, DELTA, LEVELS };
#define DELTA_PREFIX ".d"
#define DELTA_MIN 256

struct blob_cache {
	char *build_id, *identity;
	char *suffix[LEVELS];
	uint32_t format;
	struct stored level[LEVELS];
	struct added *added; /* put this run; never moved once handed out */
	size_t nadded, added_cap;
	struct addr_map added_index; /* (key, 0) -> added index + 1 */
	bool dirty;
};

static size_t pad(size_t n)
{
	return (n + ALIGN - 1) / ALIGN * ALIGN;
}

static size_t header_len(const char *identity)
{
	return pad(sizeof(MAGIC) - 1 + 2 * sizeof(uint32_t) + strlen(identity)) + sizeof(uint64_t);
}

/* Takes the mapped file's index when its header matches; each blob's bounds are checked when
 * it is read. */
static void use_file(const struct blob_cache *c, struct stored *f)
{
	uint32_t format, idlen;
	size_t at = sizeof(MAGIC) - 1, head = header_len(c->identity);
	uint64_t n;
	if (f->map_len < head)
		return;
	bool fenced = !memcmp(f->map, MAGIC, at);
	if (!fenced && memcmp(f->map, MAGIC_UNFENCED, at))
		return;
	memcpy(&format, f->map + at, sizeof(format));
	memcpy(&idlen, f->map + at + sizeof(format), sizeof(idlen));
	at += 2 * sizeof(uint32_t);
	if (format != c->format || idlen != strlen(c->identity) ||
	    memcmp(f->map + at, c->identity, idlen))
		return;
	memcpy(&n, f->map + head - sizeof(n), sizeof(n));
	size_t fence_bytes = fenced ? fence_count((size_t)n) * sizeof(uint64_t) : 0;
	if (n > MAX_BLOBS ||
	    n * sizeof(struct index_entry) + fence_bytes > (uint64_t)(f->map_len - head))
		return;
	/* head and the fence are multiples of 8 bytes */
	f->fence = fenced ? (const uint64_t *)(f->map + head) : NULL;
	f->index = (const struct index_entry *)(f->map + head + fence_bytes);
	f->n = (size_t)n;
}

static void map_file(struct blob_cache *c, int level)
{
	char path[PATH_MAX];
	int fd = debug_cache_open_kind(c->build_id, c->suffix[level], path, sizeof(path));
	if (fd < 0)
		return;
	struct stat st;
	struct stored *f = &c->level[level];
	if (!fstat(fd, &st) && st.st_size > 0 && (uint64_t)st.st_size <= MAX_FILE_BYTES) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (m != MAP_FAILED) {
			f->map = m;
			f->map_len = (size_t)st.st_size;
			use_file(c, f);
		}
	}
	close(fd);
}

struct blob_cache *blob_cache_open(const char *build_id, const char *suffix, uint32_t format,
				   const char *identity)
{
	char dir[PATH_MAX];
	if (!build_id[0] || debug_cache_dir(dir, sizeof(dir)))
		return NULL;
	struct blob_cache *c = calloc(1, sizeof(*c));
	if (!c || !(c->build_id = strdup(build_id)) || !(c->identity = strdup(identity)) ||
	    !(c->suffix[BASE] = strdup(suffix)) ||
	    asprintf(&c->suffix[DELTA], "%s%s", DELTA_PREFIX, suffix) < 0) {
		if (c)
			c->suffix[DELTA] = NULL;
		blob_cache_free(c);
		return NULL;
	}
	c->format = format;
	map_file(c, BASE);
	map_file(c, DELTA);
	return c;
}

/* The blob of index entry i, bounds checked, or NULL. */
static const void *entry_blob(const struct stored *f, size_t i, size_t *len)
{
	const struct index_entry *e = &f->index[i];
	if (e->offset % ALIGN || e->offset > f->map_len || e->len > f->map_len - e->offset)
		return NULL;
	*len = (size_t)e->len;
	return f->map + e->offset;
}

/* The block of index entries that holds key if any entry does: [*lo, *hi). */
static void fence_block(const struct stored *f, uint64_t key, size_t *lo, size_t *hi)
{
	*lo = 0;
	*hi = f->n;
	if (!f->fence)
		return;
	size_t a = 0, b = fence_count(f->n); /* the first fence key above key */
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (f->fence[mid] <= key)
			a = mid + 1;
		else
			b = mid;
	}
	size_t block = a ? a - 1 : 0;
	*lo = block * FENCE;
	*hi = *lo + FENCE < f->n ? *lo + FENCE : f->n;
}

static const void *stored_blob(const struct stored *f, uint64_t key, size_t *len)
{
	size_t lo, hi, end;
	fence_block(f, key, &lo, &hi);
	end = hi;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->index[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < end && f->index[lo].key == key ? entry_blob(f, lo, len) : NULL;
}

const void *blob_cache_get(const struct blob_cache *c, uint64_t key, size_t *len)
{
	for (int l = 0; l < LEVELS; l++) {
		const void *b = stored_blob(&c->level[l], key, len);
		if (b)
			return b;
	}
	uint32_t id = addr_map_get(&c->added_index, key, 0);
	if (!id)
		return NULL;
	*len = c->added[id - 1].len;
	return c->added[id - 1].data;
}

static size_t blob_count(const struct blob_cache *c)
{
	return c->level[BASE].n + c->level[DELTA].n + c->nadded;
}

int blob_cache_adopt(struct blob_cache *c, uint64_t key, void *data, size_t len)
{
	size_t ignored;
	if (blob_cache_get(c, key, &ignored))
		return -EEXIST;
	if (blob_count(c) >= MAX_BLOBS)
		return -ENOSPC;
	if (VEC_RESERVE(c->added, c->added_cap, c->nadded + 1))
		return -ENOMEM;
	if (addr_map_put(&c->added_index, key, 0, (uint32_t)c->nadded + 1))
		return -ENOMEM;
	struct added *a = &c->added[c->nadded++];
	a->key = key;
	a->data = data;
	a->len = len;
	c->dirty = true;
	return 0;
}

static int by_key(const void *pa, const void *pb)
{
	const struct added *a = *(const struct added *const *)pa;
	const struct added *b = *(const struct added *const *)pb;
	return (a->key > b->key) - (a->key < b->key);
}

/* A merge, in key order, of stored files and this run's blobs (sorted apart: added_index
 * refers to their places). Damaged entries and repeated keys are left out. */
struct merge {
	const struct stored *files[LEVELS];
	size_t nfiles, at[LEVELS];
	const struct added **added;
	size_t nadded, added_at;
	uint64_t last;
	bool any;
};

static void merge_rewind(struct merge *m)
{
	memset(m->at, 0, sizeof(m->at));
	m->added_at = 0;
	m->any = false;
}

/* The next blob in key order; false at the end. */
static bool merge_next(struct merge *m, uint64_t *key, const void **data, size_t *len)
{
	for (;;) {
		int from = -1; /* a file, or LEVELS for the added blobs */
		uint64_t best = 0;
		for (size_t f = 0; f < m->nfiles; f++)
			if (m->at[f] < m->files[f]->n &&
			    (from < 0 || m->files[f]->index[m->at[f]].key < best)) {
				from = (int)f;
				best = m->files[f]->index[m->at[f]].key;
			}
		if (m->added_at < m->nadded && (from < 0 || m->added[m->added_at]->key < best))
			from = LEVELS;
		if (from < 0)
			return false;
		if (from == LEVELS) {
			const struct added *a = m->added[m->added_at++];
			*key = a->key;
			*data = a->data;
			*len = a->len;
		} else {
			size_t i = m->at[from]++;
			*key = m->files[from]->index[i].key;
			*data = entry_blob(m->files[from], i, len);
		}
		if (!*data || (m->any && *key <= m->last))
			continue;
		m->any = true;
		m->last = *key;
		return true;
	}
}

struct writing {
	const char *identity;
	uint32_t format;
	struct merge *m;
	uint64_t n; /* blobs the merge yields */
};

static int write_blobs(FILE *out, void *arg)
{
	struct writing *w = arg;
	static const uint8_t zeros[ALIGN];
	uint32_t idlen = (uint32_t)strlen(w->identity);
	size_t head = header_len(w->identity);
	fwrite(MAGIC, 1, sizeof(MAGIC) - 1, out);
	fwrite(&w->format, sizeof(w->format), 1, out);
	fwrite(&idlen, sizeof(idlen), 1, out);
	fwrite(w->identity, 1, idlen, out);
	fwrite(zeros, 1, head - sizeof(w->n) - (sizeof(MAGIC) - 1 + 2 * sizeof(uint32_t) + idlen),
	       out);
	fwrite(&w->n, sizeof(w->n), 1, out);
	uint64_t key, i = 0;
	const void *data;
	size_t len;
	merge_rewind(w->m);
	while (merge_next(w->m, &key, &data, &len))
		if (i++ % FENCE == 0)
			fwrite(&key, sizeof(key), 1, out);
	uint64_t offset =
	    head + fence_count(w->n) * sizeof(uint64_t) + w->n * sizeof(struct index_entry);
	merge_rewind(w->m);
	while (merge_next(w->m, &key, &data, &len)) {
		struct index_entry e = {key, offset, len};
		fwrite(&e, sizeof(e), 1, out);
		offset += pad(len);
	}
	merge_rewind(w->m);
	while (merge_next(w->m, &key, &data, &len)) {
		fwrite(data, 1, len, out);
		fwrite(zeros, 1, pad(len) - len, out);
	}
	return ferror(out) ? -EIO : 0;
}

int blob_cache_save(struct blob_cache *c)
{
	if (!c || !c->dirty)
		return 0;
	kiln_debug("%zu new of %zu blobs for %s%s", c->nadded, blob_count(c), c->build_id,
		   c->suffix[BASE]);
	const struct added **added = calloc(c->nadded + 1, sizeof(*added));
	if (!added)
		return -ENOMEM;
	for (size_t k = 0; k < c->nadded; k++)
		added[k] = &c->added[k];
	qsort(added, c->nadded, sizeof(*added), by_key);
	/* The delta while it stays small next to the base; else everything into a new base. */
	size_t delta = c->level[DELTA].n + c->nadded;
	const struct stored *base = &c->level[BASE];
	bool to_base = (delta > DELTA_MIN && delta > base->n / 8) || (base->n && !base->fence);
	struct merge m = {.added = added, .nadded = c->nadded};
	if (to_base)
		m.files[m.nfiles++] = &c->level[BASE];
	m.files[m.nfiles++] = &c->level[DELTA];
	struct writing w = {c->identity, c->format, &m, 0};
	uint64_t size = header_len(c->identity), key;
	const void *data;
	size_t len;
	while (merge_next(&m, &key, &data, &len)) {
		w.n++;
		size += sizeof(struct index_entry) + pad(len);
	}
	size += fence_count(w.n) * sizeof(uint64_t);
	int err = size > MAX_FILE_BYTES ? -EFBIG : 0;
	if (!err)
		err = debug_cache_store_kind(c->build_id, c->suffix[to_base ? BASE : DELTA],
					     (long long)size, write_blobs, &w);
	if (!err && to_base)
		debug_cache_remove_kind(c->build_id, c->suffix[DELTA]);
	free(added);
	if (!err)
		c->dirty = false;
	return err;
}

void blob_cache_free(struct blob_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nadded; i++)
		free(c->added[i].data);
	free(c->added);
	addr_map_free(&c->added_index);
	for (int l = 0; l < LEVELS; l++) {
		if (c->level[l].map)
			munmap((void *)c->level[l].map, c->level[l].map_len);
		free(c->suffix[l]);
	}
	free(c->build_id);
	free(c->identity);
	free(c);
}
