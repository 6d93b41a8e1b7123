#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unwind/proc_maps.h"
#include "unwind/unwind_user.h"
#include "util/proc_maps_text.h"
#include "util/vec.h"

const char *unwind_stop_name(enum unwind_stop s)
{
	static const char *const names[] = {"end",     "max-frames",  "memory",
					    "no-info", "unsupported", "bad"};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static bool read_u64(const struct unwind_mem *mem, uint64_t addr, uint64_t *out)
{
	if (addr < mem->start || addr - mem->start > mem->len || mem->len - (addr - mem->start) < 8)
		return false;
	memcpy(out, mem->data + (addr - mem->start), 8);
	return true;
}

const struct unwind_map *unwind_space_find(const struct unwind_space *space, uint64_t addr)
{
	size_t lo = 0, hi = space->nmaps;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct unwind_map *m = &space->maps[mid];
		if (addr < m->start)
			hi = mid;
		else if (addr >= m->end)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

/* The row for pc; a return address is looked up one byte earlier because the call may be the
 * last instruction of its function. */
static struct cfi_row row_for(const struct unwind_space *space, uint64_t pc, bool exact)
{
	struct cfi_row none = {.cfa_type = CFI_CFA_NONE};
	const struct unwind_map *m = unwind_space_find(space, pc);
	if (!m || !m->table)
		return none;
	const struct cfi_row *r = cfi_table_lookup(m->table, (exact ? pc : pc - 1) - m->bias);
	return r ? *r : none;
}

int unwind_user(const struct unwind_space *space, const struct unwind_regs *regs,
		const struct unwind_mem *mem, uint64_t *ips, int max, enum unwind_stop *stop)
{
	uint64_t pc = regs->rip, sp = regs->rsp, bp = regs->rbp;
	/* pc is not a return address: the first frame, or after a signal */
	bool exact = !regs->after_syscall;
	int n = 0;
	*stop = UNWIND_STOP_MAX;
	while (n < max) {
		ips[n++] = pc;
		struct cfi_row r = row_for(space, pc, exact);
		uint64_t cfa;
		switch (r.cfa_type) {
		case CFI_CFA_END:
			*stop = UNWIND_STOP_END;
			return n;
		case CFI_CFA_UNSUPPORTED:
			*stop = UNWIND_STOP_UNSUPPORTED;
			return n;
		case CFI_CFA_SIGNAL:
			if (!read_u64(mem, sp + CFI_UCONTEXT_RIP, &pc) ||
			    !read_u64(mem, sp + CFI_UCONTEXT_RBP, &bp) ||
			    !read_u64(mem, sp + CFI_UCONTEXT_RSP, &sp)) {
				*stop = UNWIND_STOP_MEMORY;
				return n;
			}
			exact = true;
			continue;
		case CFI_CFA_RSP:
			cfa = sp + CFI_ROW_CFA_OFF(r);
			break;
		case CFI_CFA_RBP:
			cfa = bp + CFI_ROW_CFA_OFF(r);
			break;
		case CFI_CFA_PLT:
			cfa = sp + CFI_ROW_CFA_OFF(r) + ((int64_t)(pc & 15) >= r.rbp_off ? 8 : 0);
			break;
		default: /* no table: the frame-pointer convention, rbp saved at CFA-16 */
			if (!bp) {
				*stop = UNWIND_STOP_NOINFO;
				return n;
			}
			cfa = bp + 16;
			r.rbp_type = CFI_RBP_AT_CFA;
			r.rbp_off = -16;
		}
		if (cfa <= sp) {
			*stop = UNWIND_STOP_BAD;
			return n;
		}
		uint64_t ra;
		if (!read_u64(mem, cfa - 8, &ra)) {
			*stop = UNWIND_STOP_MEMORY;
			return n;
		}
		if (r.rbp_type == CFI_RBP_AT_CFA) {
			if (!read_u64(mem, cfa + (int64_t)r.rbp_off, &bp)) {
				*stop = UNWIND_STOP_MEMORY;
				return n;
			}
		} else if (r.rbp_type == CFI_RBP_UNDEFINED) {
			bp = 0;
		}
		sp = cfa;
		pc = ra;
		exact = false;
		if (!pc) {
			*stop = UNWIND_STOP_END;
			return n;
		}
	}
	return n;
}

/* --- Address spaces ------------------------------------------------------------------------ */

struct table_key {
	uint64_t dev, inode;
	bool vdso;
};

static int add_table(struct unwind_space *s, struct table_key **keys, size_t *kcap,
		     struct cfi_table *t, const struct table_key *key)
{
	size_t tcap = s->ntables; /* exact: grown by one each time */
	if (VEC_RESERVE(*keys, *kcap, s->ntables + 1) ||
	    VEC_RESERVE(s->tables, tcap, s->ntables + 1))
		return -ENOMEM;
	(*keys)[s->ntables] = *key;
	s->tables[s->ntables++] = t;
	return 0;
}

static int map_one(int pid, struct unwind_space *s, const struct proc_map *pm,
		   struct table_key **keys, size_t *kcap, struct unwind_map *um)
{
	struct table_key key = {.dev = pm->dev, .inode = pm->inode, .vdso = pm->vdso};
	um->start = pm->start;
	um->end = pm->end;
	um->table = NULL;
	if (!pm->vdso && !pm->path)
		return 0;
	size_t vsize = 0;
	const void *vimg = pm->vdso ? vdso_image(&vsize) : NULL;
	int fd = -1;
	if (pm->vdso) {
		if (!vimg || elf_mem_load_bias(vimg, vsize, pm->start, 0, &um->bias))
			return 0;
	} else {
		fd = proc_map_open(pid, pm);
		if (fd < 0)
			return 0;
		if (elf_fd_load_bias(fd, pm->start, pm->offset, &um->bias)) {
			close(fd);
			return 0;
		}
	}
	for (size_t i = 0; i < s->ntables; i++) {
		const struct table_key *k = &(*keys)[i];
		if (k->vdso == key.vdso && k->dev == key.dev && k->inode == key.inode) {
			um->table = s->tables[i];
			if (fd >= 0)
				close(fd);
			return 0;
		}
	}
	struct cfi_table *t = NULL;
	int err = pm->vdso ? cfi_table_from_memory(vimg, vsize, &t) : cfi_table_from_fd(fd, &t);
	if (fd >= 0)
		close(fd);
	if (err)
		return err == -ENOMEM ? err : 0; /* no CFI: frame pointers */
	if ((err = add_table(s, keys, kcap, t, &key))) {
		cfi_table_free(t);
		return err;
	}
	um->table = t;
	return 0;
}

int unwind_space_from_pid(int pid, struct unwind_space *s)
{
	memset(s, 0, sizeof(*s));
	struct proc_map *pms;
	size_t n;
	int err = proc_maps_read(pid, &pms, &n);
	if (err)
		return err;
	struct table_key *keys = NULL;
	size_t kcap = 0;
	s->maps = calloc(n ? n : 1, sizeof(*s->maps));
	if (!s->maps)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < n; i++) {
		err = map_one(pid, s, &pms[i], &keys, &kcap, &s->maps[s->nmaps]);
		if (!err)
			s->nmaps++;
	}
	free(keys);
	proc_maps_free(pms, n);
	if (err)
		unwind_space_free(s);
	return err;
}

void unwind_space_free(struct unwind_space *s)
{
	for (size_t i = 0; i < s->ntables; i++)
		cfi_table_free(s->tables[i]);
	free(s->tables);
	free(s->maps);
	memset(s, 0, sizeof(*s));
}
