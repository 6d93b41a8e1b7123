/* A process's executable file mappings (/proc/PID/maps) with the load bias that turns their
 * runtime addresses into the ELF virtual addresses of unwind tables. */
#ifndef KILN_PROC_MAPS_H
#define KILN_PROC_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct proc_map {
	uint64_t start, end, offset;
	uint64_t inode;
	uint64_t dev; /* makedev(major, minor) */
	bool vdso;    /* [vdso]: its image is the same in every process (same kernel) */
	char *path;   /* as /proc/PID/maps shows it; NULL for anonymous executable memory */
};

/* Executable mappings of pid (0 = self), sorted by start. 0 or -errno (-ESRCH: no such
 * process). */
int proc_maps_read(int pid, struct proc_map **out, size_t *n);
void proc_maps_free(struct proc_map *maps, size_t n);

/* Where to open a mapped file: /proc/PID/map_files/START-END works for deleted files and
 * other mount namespaces; fall back to /proc/PID/root/PATH, then PATH. Returns an fd or
 * -errno. */
int proc_map_open(int pid, const struct proc_map *m);

/* bias such that runtime address = ELF vaddr + bias, from the PT_LOAD segment holding the
 * mapping's file offset. 0 or -errno. */
int elf_fd_load_bias(int fd, uint64_t map_start, uint64_t map_offset, uint64_t *bias);
int elf_mem_load_bias(const void *image, size_t size, uint64_t map_start, uint64_t map_offset,
		      uint64_t *bias);

#endif
