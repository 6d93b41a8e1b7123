/* Sleeping until something needs attention: one of a set of descriptors turns readable (a ring
 * buffer filling, a process ending, a stop request) or a timeout passes. Edge-triggered: each
 * event wakes one wait, and whoever is woken takes in everything ready, not one item. */
#ifndef KILN_WAITSET_H
#define KILN_WAITSET_H

#include <stdint.h>

struct waitset {
	int epfd; /* -1: none could be made, waits are plain sleeps */
};

/* 0 or -errno; a waitset that failed still sleeps (its timeouts, no early wake-ups). */
int waitset_init(struct waitset *w);
/* Adds fd (which stays the caller's). 0 or -errno. */
int waitset_add(struct waitset *w, int fd);
/* Returns after timeout_ns at most: sooner once a descriptor turned readable or hung up since
 * the last wait, or a signal arrived. */
void waitset_wait(struct waitset *w, uint64_t timeout_ns);
void waitset_close(struct waitset *w);

#endif
