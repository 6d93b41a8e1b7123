#include "util/map_flip.h"

#include <time.h>

uint32_t map_flip(uint32_t *active)
{
	uint32_t idle = __atomic_load_n(active, __ATOMIC_SEQ_CST);
	__atomic_store_n(active, !idle, __ATOMIC_SEQ_CST);
	/* A program that read the old value finishes within microseconds (it runs in an
	 * interrupt or a probe); give it ample time before the map it wrote is read. */
	struct timespec ts = {0, 2 * 1000 * 1000};
	nanosleep(&ts, NULL);
	return idle;
}
