#include "symbol/addr_map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t k1, uint64_t k2)
{
	uint64_t x = k1 * 0x9e3779b97f4a7c15ull ^ (k2 + 0x632be59bd9b4e019ull);
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return x;
}

void addr_map_free(struct addr_map *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

void addr_map_clear(struct addr_map *m)
{
	if (m->slots)
		memset(m->slots, 0, m->cap * sizeof(*m->slots));
	m->count = 0;
}

uint32_t addr_map_get(const struct addr_map *m, uint64_t k1, uint64_t k2)
{
	if (!m->cap)
		return 0;
	size_t mask = m->cap - 1;
	for (size_t i = mix(k1, k2) & mask;; i = (i + 1) & mask) {
		const struct addr_map_slot *s = &m->slots[i];
		if (!s->v)
			return 0;
		if (s->k1 == k1 && s->k2 == k2)
			return s->v;
	}
}

static void insert(struct addr_map_slot *slots, size_t cap, struct addr_map_slot e)
{
	size_t mask = cap - 1;
	size_t i = mix(e.k1, e.k2) & mask;
	while (slots[i].v && (slots[i].k1 != e.k1 || slots[i].k2 != e.k2))
		i = (i + 1) & mask;
	slots[i] = e;
}

static int grow(struct addr_map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 256;
	struct addr_map_slot *n = calloc(ncap, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].v)
			insert(n, ncap, m->slots[i]);
	free(m->slots);
	m->slots = n;
	m->cap = ncap;
	return 0;
}

int addr_map_put(struct addr_map *m, uint64_t k1, uint64_t k2, uint32_t v)
{
	/* Load factor at most 1/2 keeps probe chains short for sequential addresses. */
	if ((m->count + 1) * 2 > m->cap && grow(m))
		return -ENOMEM;
	size_t mask = m->cap - 1;
	for (size_t i = mix(k1, k2) & mask;; i = (i + 1) & mask) {
		struct addr_map_slot *s = &m->slots[i];
		if (!s->v) {
			*s = (struct addr_map_slot){k1, k2, v};
			m->count++;
			return 0;
		}
		if (s->k1 == k1 && s->k2 == k2) {
			s->v = v;
			return 0;
		}
	}
}
