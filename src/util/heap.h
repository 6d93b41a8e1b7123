/* Where kiln's heap lives. */
#ifndef KILN_HEAP_H
#define KILN_HEAP_H

/* Call first thing in main, before anything allocates. Puts the start of the heap on
 * transparent huge pages where the kernel allows them (see heap.c); a no-op when malloc is
 * already in use or the heap is not brk-based (sanitizers). */
void heap_prefer_huge_pages(void);

#endif
