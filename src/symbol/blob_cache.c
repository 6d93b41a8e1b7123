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
#include "util/vec.h"

#define MAGIC "KILNBLB\n"
#define MAX_BLOBS 100000
#define MAX_FILE_BYTES (64u << 20)
#define ALIGN 8

/* The file: MAGIC, u32 format, u32 identity length, the identity, zeros to a multiple of 8,
 * u64 blob count, one index entry per blob in key order, then the blobs, each at a multiple
 * of 8. Native byte order: the cache never leaves the host. */
struct index_entry {
	uint64_t key, offset, len;
};

struct added {
	uint64_t key;
	void *data;
	size_t len;
};

struct blob_cache {
	char *build_id, *suffix, *identity;
	uint32_t format;
	const uint8_t *map; /* the file as stored, or NULL */
	size_t map_len;
	const struct index_entry *index;
	size_t nstored;
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
static void use_file(struct blob_cache *c)
{
	uint32_t format, idlen;
	size_t at = sizeof(MAGIC) - 1, head = header_len(c->identity);
	uint64_t n;
	if (c->map_len < head || memcmp(c->map, MAGIC, at))
		return;
	memcpy(&format, c->map + at, sizeof(format));
	memcpy(&idlen, c->map + at + sizeof(format), sizeof(idlen));
	at += 2 * sizeof(uint32_t);
	if (format != c->format || idlen != strlen(c->identity) ||
	    memcmp(c->map + at, c->identity, idlen))
		return;
	memcpy(&n, c->map + head - sizeof(n), sizeof(n));
	if (n > MAX_BLOBS || n > (c->map_len - head) / sizeof(struct index_entry))
		return;
	c->index = (const struct index_entry *)(c->map + head); /* head is a multiple of 8 */
	c->nstored = (size_t)n;
}

struct blob_cache *blob_cache_open(const char *build_id, const char *suffix, uint32_t format,
				   const char *identity)
{
	char dir[PATH_MAX], path[PATH_MAX];
	if (!build_id[0] || debug_cache_dir(dir, sizeof(dir)))
		return NULL;
	struct blob_cache *c = calloc(1, sizeof(*c));
	if (!c || !(c->build_id = strdup(build_id)) || !(c->suffix = strdup(suffix)) ||
	    !(c->identity = strdup(identity))) {
		blob_cache_free(c);
		return NULL;
	}
	c->format = format;
	int fd = debug_cache_open_kind(build_id, suffix, path, sizeof(path));
	if (fd < 0)
		return c;
	struct stat st;
	if (!fstat(fd, &st) && st.st_size > 0 && (uint64_t)st.st_size <= MAX_FILE_BYTES) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (m != MAP_FAILED) {
			c->map = m;
			c->map_len = (size_t)st.st_size;
			use_file(c);
		}
	}
	close(fd);
	return c;
}

static const void *stored_blob(const struct blob_cache *c, uint64_t key, size_t *len)
{
	size_t lo = 0, hi = c->nstored;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->index[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->nstored || c->index[lo].key != key)
		return NULL;
	const struct index_entry *e = &c->index[lo];
	if (e->offset % ALIGN || e->offset > c->map_len || e->len > c->map_len - e->offset)
		return NULL;
	*len = (size_t)e->len;
	return c->map + e->offset;
}

const void *blob_cache_get(const struct blob_cache *c, uint64_t key, size_t *len)
{
	const void *b = stored_blob(c, key, len);
	if (b)
		return b;
	uint32_t id = addr_map_get(&c->added_index, key, 0);
	if (!id)
		return NULL;
	*len = c->added[id - 1].len;
	return c->added[id - 1].data;
}

int blob_cache_put(struct blob_cache *c, uint64_t key, const void *data, size_t len)
{
	size_t ignored;
	if (blob_cache_get(c, key, &ignored))
		return 0;
	if (c->nstored + c->nadded >= MAX_BLOBS)
		return -ENOSPC;
	if (VEC_RESERVE(c->added, c->added_cap, c->nadded + 1))
		return -ENOMEM;
	void *copy = malloc(len ? len : 1); /* malloc's alignment is at least 8 */
	if (!copy)
		return -ENOMEM;
	memcpy(copy, data, len);
	if (addr_map_put(&c->added_index, key, 0, (uint32_t)c->nadded + 1)) {
		free(copy);
		return -ENOMEM;
	}
	struct added *a = &c->added[c->nadded++];
	a->key = key;
	a->data = copy;
	a->len = len;
	c->dirty = true;
	return 0;
}

size_t blob_cache_added(const struct blob_cache *c)
{
	return c->nadded;
}

size_t blob_cache_count(const struct blob_cache *c)
{
	return c->nstored + c->nadded;
}

/* Every blob, stored and put, in key order: what the new file holds. */
struct merged {
	struct added *blobs;
	size_t n;
	uint64_t size; /* of the whole file */
};

static int by_key(const void *pa, const void *pb)
{
	const struct added *a = pa, *b = pb;
	return (a->key > b->key) - (a->key < b->key);
}

static int merge(const struct blob_cache *c, struct merged *m)
{
	m->blobs = calloc(c->nstored + c->nadded + 1, sizeof(*m->blobs));
	if (!m->blobs)
		return -ENOMEM;
	for (size_t i = 0; i < c->nstored; i++) {
		size_t len;
		const void *b = stored_blob(c, c->index[i].key, &len);
		if (b && (!m->n || m->blobs[m->n - 1].key < c->index[i].key))
			m->blobs[m->n++] = (struct added){c->index[i].key, (void *)b, len};
	}
	memcpy(m->blobs + m->n, c->added, c->nadded * sizeof(*c->added));
	m->n += c->nadded;
	qsort(m->blobs, m->n, sizeof(*m->blobs), by_key);
	m->size = header_len(c->identity) + m->n * sizeof(struct index_entry);
	for (size_t k = 0; k < m->n; k++)
		m->size += pad(m->blobs[k].len);
	return 0;
}

struct writing {
	const struct blob_cache *c;
	const struct merged *m;
};

static int write_cache(FILE *out, void *arg)
{
	const struct writing *w = arg;
	const char *identity = w->c->identity;
	static const uint8_t zeros[ALIGN];
	uint32_t format = w->c->format, idlen = (uint32_t)strlen(identity);
	uint64_t n = w->m->n;
	size_t head = header_len(identity);
	fwrite(MAGIC, 1, sizeof(MAGIC) - 1, out);
	fwrite(&format, sizeof(format), 1, out);
	fwrite(&idlen, sizeof(idlen), 1, out);
	fwrite(identity, 1, idlen, out);
	fwrite(zeros, 1, head - sizeof(n) - (sizeof(MAGIC) - 1 + 2 * sizeof(uint32_t) + idlen),
	       out);
	fwrite(&n, sizeof(n), 1, out);
	uint64_t offset = head + n * sizeof(struct index_entry);
	for (size_t k = 0; k < w->m->n; k++) {
		struct index_entry e = {w->m->blobs[k].key, offset, w->m->blobs[k].len};
		fwrite(&e, sizeof(e), 1, out);
		offset += pad(w->m->blobs[k].len);
	}
	for (size_t k = 0; k < w->m->n; k++) {
		size_t len = w->m->blobs[k].len;
		fwrite(w->m->blobs[k].data, 1, len, out);
		fwrite(zeros, 1, pad(len) - len, out);
	}
	return ferror(out) ? -EIO : 0;
}

int blob_cache_save(struct blob_cache *c)
{
	if (!c || !c->dirty)
		return 0;
	struct merged m = {0};
	int err = merge(c, &m);
	if (!err && m.size > MAX_FILE_BYTES)
		err = -EFBIG;
	if (!err) {
		struct writing w = {c, &m};
		err = debug_cache_store_kind(c->build_id, c->suffix, (long long)m.size, write_cache,
					     &w);
	}
	free(m.blobs);
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
	if (c->map)
		munmap((void *)c->map, c->map_len);
	free(c->build_id);
	free(c->suffix);
	free(c->identity);
	free(c);
}
