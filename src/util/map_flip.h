/* Double-buffered BPF maps: the programs write the map an `active` variable (in .bss) names,
 * and user space reads the other one, so reading never races with writers. */
#ifndef KILN_MAP_FLIP_H
#define KILN_MAP_FLIP_H

#include <stdint.h>

/* Points the programs at the other map and waits out any still writing the old one; returns
 * the index (0 or 1) of the map they left, now safe to read and empty. */
uint32_t map_flip(uint32_t *active);

#endif
