#include "symbol/sym_cache.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
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

#define MAGIC "KILNSYM\n"
/* Raised whenever resolution would answer differently (new naming rules, new fields), so that
 * answers stored by an older kiln are not trusted. */
#define FORMAT 2
#define SUFFIX ".sym"
/* Bounds on one object's file: far more distinct addresses than a profile names. */
#define MAX_RECORDS 100000
#define MAX_FILE_BYTES (32u << 20)
#define NO_STRING 0xffff

/* The file: MAGIC, u32 FORMAT, u32 identity length, the identity, zeros to a multiple of 8,
 * u64 record count, then the index, one {u64 vaddr, u64 offset of the record in the file} per
 * record in vaddr order, then the records. It is mapped and searched where it lies: a run
 * touches the few pages its lookups read, however many addresses earlier runs stored.
 *
 * A record: u64 vaddr, u8 frame count, then per frame i32 line, i32 decl_line and two strings
 * (name, decl_file), each a u16 length (NO_STRING for none) and that many bytes plus a NUL, so
 * that strings are used where they lie. Native byte order: the cache never leaves the host. */
struct index_entry {
	uint64_t vaddr, offset;
};

/* A record resolved in this run, not yet in the file. */
struct added {
	uint64_t vaddr;
	uint8_t *bytes;
	size_t len;
};

struct sym_cache {
	char *build_id;
	char *identity;
	const uint8_t *map; /* the file as stored, or NULL */
	size_t map_len;
	const struct index_entry *index;
	size_t nstored;
	struct added *added;
	size_t nadded, added_cap;
	struct addr_map added_index; /* (vaddr, 0) -> added index + 1 */
	bool dirty;		     /* added to since the file was written */
};

static size_t header_len(const char *identity)
{
	size_t n = sizeof(MAGIC) - 1 + 2 * sizeof(uint32_t) + strlen(identity);
	return (n + 7) / 8 * 8 + sizeof(uint64_t);
}

/* Bytes of the string at p (its length field included), or 0 when it runs past end. */
static size_t string_len(const uint8_t *p, const uint8_t *end)
{
	uint16_t n;
	if (end - p < (ptrdiff_t)sizeof(n))
		return 0;
	memcpy(&n, p, sizeof(n));
	if (n == NO_STRING)
		return sizeof(n);
	if (end - p < (ptrdiff_t)(sizeof(n) + n + 1u) || p[sizeof(n) + n] != 0)
		return 0;
	return sizeof(n) + n + 1u;
}

/* Bytes of the record at p, or 0 when it is damaged or cut short. */
static size_t record_len(const uint8_t *p, const uint8_t *end)
{
	if (end - p < (ptrdiff_t)sizeof(uint64_t) + 1 || p[sizeof(uint64_t)] == 0)
		return 0;
	const uint8_t *q = p + sizeof(uint64_t) + 1;
	for (unsigned i = 0; i < p[sizeof(uint64_t)]; i++) {
		if (end - q < (ptrdiff_t)(2 * sizeof(int32_t)))
			return 0;
		q += 2 * sizeof(int32_t);
		for (int s = 0; s < 2; s++) {
			size_t n = string_len(q, end);
			if (!n)
				return 0;
			q += n;
		}
	}
	return (size_t)(q - p);
}

static uint64_t record_vaddr(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* Takes the mapped file as the stored records when its header says they were found with this
 * identity; records themselves are checked when read. */
static void use_file(struct sym_cache *c, const uint8_t *data, size_t len)
{
	uint32_t format, idlen;
	size_t at = sizeof(MAGIC) - 1, head = header_len(c->identity);
	uint64_t n;
	if (len < head || memcmp(data, MAGIC, at))
		return;
	memcpy(&format, data + at, sizeof(format));
	memcpy(&idlen, data + at + sizeof(format), sizeof(idlen));
	at += 2 * sizeof(uint32_t);
	if (format != FORMAT || idlen != strlen(c->identity) ||
	    memcmp(data + at, c->identity, idlen))
		return;
	memcpy(&n, data + head - sizeof(n), sizeof(n));
	if (n > MAX_RECORDS || n > (len - head) / sizeof(struct index_entry))
		return;
	c->index = (const struct index_entry *)(data + head); /* head is a multiple of 8 */
	c->nstored = (size_t)n;
}

struct sym_cache *sym_cache_open(const char *build_id, const char *debug_identity)
{
	char dir[PATH_MAX], path[PATH_MAX];
	if (!build_id[0] || debug_cache_dir(dir, sizeof(dir)))
		return NULL;
	struct sym_cache *c = calloc(1, sizeof(*c));
	if (!c || !(c->build_id = strdup(build_id)) || !(c->identity = strdup(debug_identity))) {
		sym_cache_free(c);
		return NULL;
	}
	int fd = debug_cache_open_kind(build_id, SUFFIX, path, sizeof(path));
	if (fd < 0)
		return c;
	struct stat st;
	if (!fstat(fd, &st) && st.st_size > 0 && (uint64_t)st.st_size <= MAX_FILE_BYTES) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (m != MAP_FAILED) {
			c->map = m;
			c->map_len = (size_t)st.st_size;
			use_file(c, c->map, c->map_len);
		}
	}
	close(fd);
	return c;
}

/* The stored record of vaddr, checked, or NULL. */
static const uint8_t *stored_record(const struct sym_cache *c, uint64_t vaddr, size_t *len)
{
	size_t lo = 0, hi = c->nstored;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->index[mid].vaddr < vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->nstored || c->index[lo].vaddr != vaddr || c->index[lo].offset >= c->map_len)
		return NULL;
	const uint8_t *rec = c->map + c->index[lo].offset;
	*len = record_len(rec, c->map + c->map_len);
	return *len && record_vaddr(rec) == vaddr ? rec : NULL;
}

static const uint8_t *get_string(const uint8_t **p)
{
	uint16_t n;
	memcpy(&n, *p, sizeof(n));
	*p += sizeof(n);
	if (n == NO_STRING)
		return NULL;
	const uint8_t *s = *p;
	*p += n + 1u;
	return s;
}

int sym_cache_get(struct sym_cache *c, uint64_t vaddr, struct src_frame *out, int max)
{
	size_t len;
	const uint8_t *p = stored_record(c, vaddr, &len);
	uint32_t id = p ? 0 : addr_map_get(&c->added_index, vaddr, 0);
	if (id)
		p = c->added[id - 1].bytes;
	if (!p)
		return 0;
	p += sizeof(uint64_t);
	int n = *p++;
	if (n > max)
		return 0; /* deeper than the caller keeps: resolved afresh */
	for (int i = 0; i < n; i++) {
		int32_t line, decl_line;
		memcpy(&line, p, sizeof(line));
		memcpy(&decl_line, p + sizeof(line), sizeof(decl_line));
		p += sizeof(line) + sizeof(decl_line);
		out[i].line = line;
		out[i].decl_line = decl_line;
		out[i].name = (const char *)get_string(&p);
		out[i].decl_file = (const char *)get_string(&p);
	}
	return n;
}

static uint8_t *put_string(uint8_t *p, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	uint16_t len = s ? (uint16_t)n : NO_STRING;
	memcpy(p, &len, sizeof(len));
	p += sizeof(len);
	if (s) {
		memcpy(p, s, n + 1);
		p += n + 1;
	}
	return p;
}

int sym_cache_put(struct sym_cache *c, uint64_t vaddr, const struct src_frame *frames, int n)
{
	if (n < 1 || n > UINT8_MAX)
		return -EINVAL;
	size_t ignored;
	if (stored_record(c, vaddr, &ignored) || addr_map_get(&c->added_index, vaddr, 0))
		return 0;
	if (c->nstored + c->nadded >= MAX_RECORDS)
		return -ENOSPC;
	size_t len = sizeof(vaddr) + 1;
	for (int i = 0; i < n; i++) {
		const char *str[2] = {frames[i].name, frames[i].decl_file};
		len += 2 * sizeof(int32_t);
		for (int s = 0; s < 2; s++) {
			size_t sl = str[s] ? strlen(str[s]) : 0;
			if (sl >= NO_STRING)
				return -ENAMETOOLONG; /* not worth a wider length field */
			len += sizeof(uint16_t) + (str[s] ? sl + 1 : 0);
		}
	}
	if (VEC_RESERVE(c->added, c->added_cap, c->nadded + 1))
		return -ENOMEM;
	uint8_t *rec = malloc(len), *p = rec;
	if (!rec)
		return -ENOMEM;
	memcpy(p, &vaddr, sizeof(vaddr));
	p += sizeof(vaddr);
	*p++ = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		int32_t line = frames[i].line, decl_line = frames[i].decl_line;
		memcpy(p, &line, sizeof(line));
		memcpy(p + sizeof(line), &decl_line, sizeof(decl_line));
		p += sizeof(line) + sizeof(decl_line);
		p = put_string(p, frames[i].name);
		p = put_string(p, frames[i].decl_file);
	}
	if (addr_map_put(&c->added_index, vaddr, 0, (uint32_t)c->nadded + 1)) {
		free(rec);
		return -ENOMEM;
	}
	c->added[c->nadded++] = (struct added){vaddr, rec, len};
	c->dirty = true;
	return 0;
}

static int by_vaddr(const void *pa, const void *pb)
{
	const struct added *a = *(const struct added *const *)pa,
			   *b = *(const struct added *const *)pb;
	return (a->vaddr > b->vaddr) - (a->vaddr < b->vaddr);
}

/* Stored and added records merged in vaddr order; damaged stored ones are left out. */
struct merged {
	const uint8_t **bytes;
	size_t *len;
	size_t n;
	uint64_t size; /* of the whole file */
};

static int merge(struct sym_cache *c, struct merged *m)
{
	size_t cap = c->nstored + c->nadded;
	m->bytes = calloc(cap ? cap : 1, sizeof(*m->bytes));
	m->len = calloc(cap ? cap : 1, sizeof(*m->len));
	/* Sorted apart: the added records keep their places, which added_index refers to. */
	const struct added **added = calloc(c->nadded ? c->nadded : 1, sizeof(*added));
	if (!m->bytes || !m->len || !added) {
		free(added);
		return -ENOMEM;
	}
	for (size_t k = 0; k < c->nadded; k++)
		added[k] = &c->added[k];
	qsort(added, c->nadded, sizeof(*added), by_vaddr);
	size_t i = 0, j = 0;
	uint64_t last = 0;
	while (i < c->nstored || j < c->nadded) {
		bool take_stored =
		    j == c->nadded || (i < c->nstored && c->index[i].vaddr < added[j]->vaddr);
		const uint8_t *rec;
		size_t len = 0;
		if (take_stored) {
			rec = stored_record(c, c->index[i++].vaddr, &len);
		} else {
			rec = added[j]->bytes;
			len = added[j++]->len;
		}
		if (!rec || (m->n && record_vaddr(rec) <= last))
			continue; /* damaged, or out of order: dropped */
		last = record_vaddr(rec);
		m->bytes[m->n] = rec;
		m->len[m->n++] = len;
	}
	free(added);
	m->size = header_len(c->identity) + m->n * sizeof(struct index_entry);
	for (size_t k = 0; k < m->n; k++)
		m->size += m->len[k];
	return 0;
}

struct writing {
	const struct sym_cache *c;
	const struct merged *m;
};

static int write_cache(FILE *out, void *arg)
{
	const struct writing *w = arg;
	const char *identity = w->c->identity;
	uint32_t format = FORMAT, idlen = (uint32_t)strlen(identity);
	uint64_t n = w->m->n, zero = 0;
	size_t head = header_len(identity);
	fwrite(MAGIC, 1, sizeof(MAGIC) - 1, out);
	fwrite(&format, sizeof(format), 1, out);
	fwrite(&idlen, sizeof(idlen), 1, out);
	fwrite(identity, 1, idlen, out);
	fwrite(&zero, 1, head - sizeof(n) - (sizeof(MAGIC) - 1 + 2 * sizeof(uint32_t) + idlen),
	       out);
	fwrite(&n, sizeof(n), 1, out);
	uint64_t offset = head + n * sizeof(struct index_entry);
	for (size_t k = 0; k < w->m->n; k++) {
		struct index_entry e = {record_vaddr(w->m->bytes[k]), offset};
		fwrite(&e, sizeof(e), 1, out);
		offset += w->m->len[k];
	}
	for (size_t k = 0; k < w->m->n; k++)
		fwrite(w->m->bytes[k], 1, w->m->len[k], out);
	return ferror(out) ? -EIO : 0;
}

int sym_cache_save(struct sym_cache *c)
{
	if (!c || !c->dirty)
		return 0;
	struct merged m = {0};
	int err = merge(c, &m);
	if (!err && m.size > MAX_FILE_BYTES)
		err = -EFBIG;
	if (!err) {
		kiln_debug("%zu of %zu addresses of build id %s resolved afresh", c->nadded, m.n,
			   c->build_id);
		struct writing w = {c, &m};
		err =
		    debug_cache_store_kind(c->build_id, SUFFIX, (long long)m.size, write_cache, &w);
	}
	free(m.bytes);
	free(m.len);
	if (!err)
		c->dirty = false;
	return err;
}

void sym_cache_free(struct sym_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nadded; i++)
		free(c->added[i].bytes);
	free(c->added);
	addr_map_free(&c->added_index);
	if (c->map)
		munmap((void *)c->map, c->map_len);
	free(c->build_id);
	free(c->identity);
	free(c);
}
