#include "symbol/sym_cache.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "symbol/blob_cache.h"

/* Raised whenever resolution would answer differently (new naming rules, new fields), so that
 * answers stored by an older kiln are not trusted. */
#define FORMAT 3
#define NO_STRING 0xffff

/* One address's blob: u8 frame count, then per frame i32 line, i32 decl_line and two strings
 * (name, decl_file), each a u16 length (NO_STRING for none) and that many bytes plus a NUL, so
 * that strings are used where they lie. */
struct sym_cache {
	struct blob_cache *blobs;
};

struct sym_cache *sym_cache_open(const char *build_id, const char *debug_identity)
{
	struct sym_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->blobs = blob_cache_open(build_id, ".sym", FORMAT, debug_identity);
	if (!c->blobs) {
		sym_cache_free(c);
		return NULL;
	}
	return c;
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

/* True when the record is whole and exactly len bytes. */
static bool record_ok(const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len, *q = p + 1;
	if (!len || !p[0])
		return false;
	for (unsigned i = 0; i < p[0]; i++) {
		if (end - q < (ptrdiff_t)(2 * sizeof(int32_t)))
			return false;
		q += 2 * sizeof(int32_t);
		for (int s = 0; s < 2; s++) {
			size_t n = string_len(q, end);
			if (!n)
				return false;
			q += n;
		}
	}
	return q == end;
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
	const uint8_t *p = blob_cache_get(c->blobs, vaddr, &len);
	if (!p || !record_ok(p, len))
		return 0;
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
	size_t len = 1;
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
	*p++ = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		int32_t line = frames[i].line, decl_line = frames[i].decl_line;
		memcpy(p, &line, sizeof(line));
		memcpy(p + sizeof(line), &decl_line, sizeof(decl_line));
		p += sizeof(line) + sizeof(decl_line);
		p = put_string(p, frames[i].name);
		p = put_string(p, frames[i].decl_file);
	}
	int err = blob_cache_adopt(c->blobs, vaddr, rec, len);
	if (err)
		free(rec);
	return err == -EEXIST ? 0 : err;
}

int sym_cache_save(struct sym_cache *c)
{
	return c ? blob_cache_save(c->blobs) : 0;
}

void sym_cache_free(struct sym_cache *c)
{
	if (!c)
		return;
	blob_cache_free(c->blobs);
	free(c);
}
