/* A small open-addressing hash map from a pair of 64-bit keys to a non-zero 32-bit value.
 * The symbolizer's caches live on it: (mapping, address) -> location, (object, vaddr) -> lines,
 * pid -> process. Values are ids, which are never 0, so 0 marks an empty slot. */
#ifndef KILN_SYM_ADDR_MAP_H
#define KILN_SYM_ADDR_MAP_H

#include <stddef.h>
#include <stdint.h>

struct addr_map_slot {
	uint64_t k1, k2;
	uint32_t v;
};

struct addr_map {
	struct addr_map_slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t count;
};

void addr_map_free(struct addr_map *m);
void addr_map_clear(struct addr_map *m);
/* Returns the value for (k1, k2), or 0 when absent. */
uint32_t addr_map_get(const struct addr_map *m, uint64_t k1, uint64_t k2);
/* Sets (k1, k2) to v (v != 0); 0 or -ENOMEM. */
int addr_map_put(struct addr_map *m, uint64_t k1, uint64_t k2, uint32_t v);

#endif
