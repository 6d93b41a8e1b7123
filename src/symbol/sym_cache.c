#include "symbol/sym_cache.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbol/addr_map.h"
#include "symbol/debug_cache.h"
#include "util/log.h"
#include "util/vec.h"

#define MAGIC "KILNSYM\n"
/* Raised whenever resolution would answer differently (new naming rules, new fields), so that
 * answers stored by an older kiln are not trusted. */
#define FORMAT 1
#define SUFFIX ".sym"
/* Bounds on one object's file: far more distinct addresses than a profile names, and a file
 * size past which reading it would cost more than it saves. */
#define MAX_RECORDS 200000
#define MAX_FILE_BYTES (32u << 20)
#define NO_STRING 0xffff

/* A record: u64 vaddr, u8 frame count, then per frame i32 line, i32 decl_line and two strings
 * (name, decl_file), each a u16 length (NO_STRING for none) and that many bytes plus a NUL, so
 * that strings are used where they lie. Native byte order: the cache never leaves the host. */
struct record {
	const uint8_t *bytes;
	size_t len;
	bool owned; /* added this run, else a slice of the file as read */
};

struct sym_cache {
	char *build_id;
	char *identity;
	uint8_t *file; /* as read; never moved, as strings handed out point into it */
	struct record *recs;
	size_t nrecs, recs_cap;
	struct addr_map index; /* (vaddr, 0) -> record index + 1 */
	bool dirty;
};

static size_t header_len(const char *identity)
{
	return sizeof(MAGIC) - 1 + 2 * sizeof(uint32_t) + strlen(identity);
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

static int add_record(struct sym_cache *c, const uint8_t *bytes, size_t len, bool owned)
{
	if (c->nrecs >= MAX_RECORDS || VEC_RESERVE(c->recs, c->recs_cap, c->nrecs + 1))
		return -ENOSPC;
	if (addr_map_put(&c->index, record_vaddr(bytes), 0, (uint32_t)c->nrecs + 1))
		return -ENOMEM;
	c->recs[c->nrecs++] = (struct record){bytes, len, owned};
	return 0;
}

static bool read_whole(int fd, uint8_t **data, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) || st.st_size <= 0 || (uint64_t)st.st_size > MAX_FILE_BYTES)
		return false;
	*len = (size_t)st.st_size;
	*data = malloc(*len);
	size_t got = 0;
	while (*data && got < *len) {
		ssize_t n = read(fd, *data + got, *len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return *data && got == *len;
}

/* The records of a file found with this identity; anything unusable leaves the cache dirty,
 * so that saving replaces the file. */
static void load_file(struct sym_cache *c, uint8_t *data, size_t len)
{
	uint32_t format, idlen;
	size_t at = sizeof(MAGIC) - 1;
	c->dirty = true;
	if (len < header_len("") || memcmp(data, MAGIC, at))
		return;
	memcpy(&format, data + at, sizeof(format));
	memcpy(&idlen, data + at + sizeof(format), sizeof(idlen));
	at += 2 * sizeof(uint32_t);
	if (format != FORMAT || idlen != strlen(c->identity) || len - at < idlen ||
	    memcmp(data + at, c->identity, idlen))
		return;
	at += idlen;
	const uint8_t *end = data + len;
	while (at < len) {
		size_t n = record_len(data + at, end);
		if (!n || addr_map_get(&c->index, record_vaddr(data + at), 0) ||
		    add_record(c, data + at, n, false))
			return;
		at += n;
	}
	c->dirty = false;
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
	size_t len = 0;
	if (read_whole(fd, &c->file, &len))
		load_file(c, c->file, len);
	close(fd);
	return c;
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
	uint32_t id = addr_map_get(&c->index, vaddr, 0);
	if (!id)
		return 0;
	const uint8_t *p = c->recs[id - 1].bytes + sizeof(uint64_t);
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
	if (addr_map_get(&c->index, vaddr, 0))
		return 0;
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
	int err = add_record(c, rec, len, true);
	if (err) {
		free(rec);
		return err;
	}
	c->dirty = true;
	return 0;
}

static int write_cache(FILE *out, void *arg)
{
	const struct sym_cache *c = arg;
	uint32_t format = FORMAT, idlen = (uint32_t)strlen(c->identity);
	fwrite(MAGIC, 1, sizeof(MAGIC) - 1, out);
	fwrite(&format, sizeof(format), 1, out);
	fwrite(&idlen, sizeof(idlen), 1, out);
	fwrite(c->identity, 1, idlen, out);
	for (size_t i = 0; i < c->nrecs; i++)
		fwrite(c->recs[i].bytes, 1, c->recs[i].len, out);
	return ferror(out) ? -EIO : 0;
}

int sym_cache_save(struct sym_cache *c)
{
	if (!c || !c->dirty)
		return 0;
	long long size = (long long)header_len(c->identity);
	for (size_t i = 0; i < c->nrecs; i++)
		size += (long long)c->recs[i].len;
	if (size > MAX_FILE_BYTES)
		return -EFBIG;
	size_t added = 0;
	for (size_t i = 0; i < c->nrecs; i++)
		added += c->recs[i].owned;
	kiln_debug("%zu of %zu addresses of build id %s resolved afresh", added, c->nrecs,
		   c->build_id);
	int err = debug_cache_store_kind(c->build_id, SUFFIX, size, write_cache, c);
	if (!err)
		c->dirty = false;
	return err;
}

void sym_cache_free(struct sym_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nrecs; i++)
		if (c->recs[i].owned)
			free((void *)c->recs[i].bytes);
	free(c->recs);
	addr_map_free(&c->index);
	free(c->file);
	free(c->build_id);
	free(c->identity);
	free(c);
}
