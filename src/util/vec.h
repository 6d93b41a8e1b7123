/* Growable arrays: amortized doubling, abort-free (callers check the return). */
#ifndef KILN_VEC_H
#define KILN_VEC_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

/* Ensures room for `need` elements of size `elem` in *buf (capacity in *cap). 0 or -ENOMEM. */
static inline int vec_reserve(void **buf, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	void *p = realloc(*buf, ncap * elem);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = ncap;
	return 0;
}

#define VEC_RESERVE(ptr, cap, need) vec_reserve((void **)&(ptr), &(cap), (need), sizeof(*(ptr)))

#endif
