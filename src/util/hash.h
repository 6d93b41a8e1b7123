/* Byte-key interning: maps a key to a dense id (1-based; 0 means "none"), storing keys once.
 * The profile model uses one of these per kind of object (strings, functions, locations,
 * samples), which is what makes adding a million identical samples cheap. */
#ifndef KILN_HASH_H
#define KILN_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct intern_table {
	uint32_t *slots; /* id per slot, 0 = empty */
	size_t nslots;	 /* power of two */
	size_t count;
	char *arena; /* keys back to back */
	size_t arena_len, arena_cap;
	/* Per id (index 0 unused): where its key starts in the arena, its length, its hash.
	 * Every key is followed by a NUL so string keys can be used as C strings. */
	size_t *key_off;
	size_t *key_len;
	uint64_t *hashes;
	size_t off_cap, len_cap, hash_cap;
};

uint64_t hash_bytes(const void *data, size_t len);
void intern_init(struct intern_table *t);
void intern_free(struct intern_table *t);
/* Returns the id of key, adding it if new (*added set when non-NULL); 0 on out of memory. */
uint32_t intern_get(struct intern_table *t, const void *key, size_t len, bool *added);
/* Returns the id of key if present, else 0. */
uint32_t intern_find(const struct intern_table *t, const void *key, size_t len);
const void *intern_key(const struct intern_table *t, uint32_t id, size_t *len);

#endif
