#include "util/hash.h"

#include <stdlib.h>
#include <string.h>

#include "util/vec.h"

/* Folds a 64x64-bit product into 64 bits: one multiply mixes two words well (wyhash's idea). */
static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t load64(const unsigned char *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	return w;
}

/* 16 bytes per multiply: interning hashes every frame name of every sample read, so this is
 * what parsing perf script text spends much of its time on. */
uint64_t hash_bytes(const void *data, size_t len)
{
	const uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL;
	const unsigned char *p = data;
	uint64_t h = k0 ^ len;
	while (len >= 16) {
		h = fold_mul(load64(p) ^ k1 ^ h, load64(p + 8) ^ k0);
		p += 16;
		len -= 16;
	}
	uint64_t a = 0, b = 0;
	if (len >= 8) {
		a = load64(p);
		b = load64(p + len - 8);
	} else if (len) {
		memcpy(&a, p, len);
	}
	return fold_mul(fold_mul(a ^ k1 ^ h, b ^ k0), k1 ^ len);
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

/* Keys start 8-byte aligned, so struct keys (functions, mappings) can be read in place. */
static size_t key_start(const struct intern_table *t)
{
	return (t->arena_len + 7) & ~(size_t)7;
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
	    VEC_RESERVE(t->arena, t->arena_cap, key_start(t) + len + 1))
		return 0;
	if (inside)
		key = t->arena + key_at;
	size_t at = key_start(t);
	memcpy(t->arena + at, key, len);
	t->arena[at + len] = '\0';
	t->key_off[id] = at;
	t->key_len[id] = len;
	t->arena_len = at + len + 1;
	t->hashes[id] = h;
	t->slots[slot] = id;
	t->count = id;
	if (added)
		*added = true;
	return id;
}
