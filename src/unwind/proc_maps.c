#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "unwind/proc_maps.h"
#include "util/proc_maps_text.h"
#include "util/vec.h"

struct maps_vec {
	struct proc_map *maps;
	size_t n, cap;
};

static int add_exec_mapping(void *arg, const struct maps_line *l)
{
	struct maps_vec *v = arg;
	if (!l->exec)
		return 0;
	struct proc_map m = {.start = l->start,
			     .end = l->end,
			     .offset = l->offset,
			     .inode = l->inode,
			     .dev = makedev(l->dev_major, l->dev_minor),
			     .vdso = !strcmp(l->path, "[vdso]")};
	if (l->path[0] == '/' && !(m.path = strdup(l->path)))
		return -ENOMEM;
	if (VEC_RESERVE(v->maps, v->cap, v->n + 1)) {
		free(m.path);
		return -ENOMEM;
	}
	v->maps[v->n++] = m;
	return 0;
}

int proc_maps_read(int pid, struct proc_map **out, size_t *n)
{
	struct maps_vec v = {0};
	int err = maps_each_line(pid, add_exec_mapping, &v);
	if (err) {
		proc_maps_free(v.maps, v.n);
		return err;
	}
	*out = v.maps; /* the kernel lists mappings in address order */
	*n = v.n;
	return 0;
}

void proc_maps_free(struct proc_map *maps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(maps[i].path);
	free(maps);
}

int proc_map_open(int pid, const struct proc_map *m)
{
	char p[4200];
	int fd;
	if (!m->path)
		return -ENOENT;
	if (pid) {
		snprintf(p, sizeof(p), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, m->start,
			 m->end);
		if ((fd = open(p, O_RDONLY | O_CLOEXEC)) >= 0)
			return fd;
		snprintf(p, sizeof(p), "/proc/%d/root%s", pid, m->path);
		if ((fd = open(p, O_RDONLY | O_CLOEXEC)) >= 0)
			return fd;
	}
	fd = open(m->path, O_RDONLY | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

static int load_bias(Elf *elf, uint64_t map_start, uint64_t map_offset, uint64_t *bias)
{
	size_t nph;
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getphdrnum(elf, &nph))
		return -ENOEXEC;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		uint64_t page_off = ph.p_offset & ~(uint64_t)0xfff;
		if (map_offset < page_off || map_offset >= ph.p_offset + ph.p_filesz)
			continue;
		*bias = map_start - (ph.p_vaddr + (map_offset - ph.p_offset));
		return 0;
	}
	return -ENOENT;
}

int elf_fd_load_bias(int fd, uint64_t map_start, uint64_t map_offset, uint64_t *bias)
{
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	int err = load_bias(elf, map_start, map_offset, bias);
	elf_end(elf);
	return err;
}

int elf_mem_load_bias(const void *image, size_t size, uint64_t map_start, uint64_t map_offset,
		      uint64_t *bias)
{
	elf_version(EV_CURRENT);
	Elf *elf = elf_memory((char *)image, size);
	int err = load_bias(elf, map_start, map_offset, bias);
	elf_end(elf);
	return err;
}
