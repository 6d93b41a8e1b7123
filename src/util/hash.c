#include "util/hash.h"

#include <stdlib.h>
#include <string.h>

#include "util/vec.h"

/* FNV-1a over 8-byte words, then a murmur finalizer: fast and good enough for interning. */
uint64_t hash_bytes(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL ^ len;
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
		p += 8;
		len -= 8;
	}
	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

void intern_init(struct intern_table *t)
{
	memset(t, 0, sizeof(*t));
}

void intern_free(struct intern_table *t)
{
	free(t->slots);
	free(t->arena);
	free(t->key_off);
	free(t->key_len);
	free(t->hashes);
	memset(t, 0, sizeof(*t));
}

const void *intern_key(const struct intern_table *t, uint32_t id, size_t *len)
{
	if (len)
		*len = t->key_len[id];
	return t->arena + t->key_off[id];
}

static bool key_equals(const struct intern_table *t, uint32_t id, const void *key, size_t len)
{
	size_t klen;
	const void *k = intern_key(t, id, &klen);
	return klen == len && memcmp(k, key, len) == 0;
}

static size_t probe(const struct intern_table *t, uint64_t h, const void *key, size_t len)
{
	size_t mask = t->nslots - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t id = t->slots[i];
		if (!id || (t->hashes[id] == h && key_equals(t, id, key, len)))
			return i;
	}
}

static int grow(struct intern_table *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 1024;
	uint32_t *slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -1;
	for (uint32_t id = 1; id <= t->count; id++) {
		size_t i = t->hashes[id] & (n - 1);
		while (slots[i])
			i = (i + 1) & (n - 1);
		slots[i] = id;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
	return 0;
}

uint32_t intern_find(const struct intern_table *t, const void *key, size_t len)
{
	if (!t->nslots)
		return 0;
	return t->slots[probe(t, hash_bytes(key, len), key, len)];
}

uint32_t intern_get(struct intern_table *t, const void *key, size_t len, bool *added)
{
	if (added)
		*added = false;
	if ((t->count + 1) * 4 >= t->nslots * 3 && grow(t))
		return 0;
	uint64_t h = hash_bytes(key, len);
	size_t slot = probe(t, h, key, len);
	if (t->slots[slot])
		return t->slots[slot];
	uint32_t id = (uint32_t)t->count + 1;
	/* The key may be a piece of a stored one (a prefix up to an embedded NUL, say): growing
	 * the arena would move it, so it is found again by offset. */
	uintptr_t k = (uintptr_t)key, a = (uintptr_t)t->arena;
	bool inside = t->arena && k >= a && k < a + t->arena_len;
	size_t key_at = inside ? (size_t)(k - a) : 0;
	if (VEC_RESERVE(t->key_off, t->off_cap, (size_t)id + 1) ||
	    VEC_RESERVE(t->key_len, t->len_cap, (size_t)id + 1) ||
	    VEC_RESERVE(t->hashes, t->hash_cap, (size_t)id + 1) ||
	    VEC_RESERVE(t->arena, t->arena_cap, t->arena_len + len + 1))
		return 0;
	if (inside)
		key = t->arena + key_at;
	memcpy(t->arena + t->arena_len, key, len);
	t->arena[t->arena_len + len] = '\0';
	t->key_off[id] = t->arena_len;
	t->key_len[id] = len;
	t->arena_len += len + 1;
	t->hashes[id] = h;
	t->slots[slot] = id;
	t->count = id;
	if (added)
		*added = true;
	return id;
}
