/* Unwind tables from DWARF CFI through libdw.
 *
 * libdw evaluates CFA programs (dwarf_cfi_addrframe) but has no call that lists FDEs, so the
 * FDE ranges come from walking the section with dwarf_next_cfi and decoding each FDE's
 * initial location (the only pointer encoding libdw leaves to callers). Each FDE is then
 * evaluated row by row: dwarf_frame_info says where the current row ends, which is exactly
 * the next address where a rule can change. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbol/debug_cache.h"
#include "symbol/elf_content_id.h"
#include "unwind/cfi_table.h"
#include "util/vec.h"

#define REG_RBP 6
#define REG_RSP 7
#define REG_RIP 16

/* A row with the end of the range it covers, before sorting and merging. */
struct span {
	uint64_t lo, hi;
	uint8_t prio; /* at equal addresses the lower wins: .eh_frame over .debug_frame */
	struct cfi_row row;
};

struct builder {
	struct span *spans;
	size_t nspans, cap;
	uint8_t prio; /* of the section being read */
	struct cfi_table_stats stats;
};

static int add_span(struct builder *b, uint64_t lo, uint64_t hi, const struct cfi_row *row)
{
	if (hi <= lo)
		return 0;
	if (hi > UINT32_MAX) {
		b->stats.fdes_skipped++;
		return 0;
	}
	if (VEC_RESERVE(b->spans, b->cap, b->nspans + 1))
		return -ENOMEM;
	struct span *s = &b->spans[b->nspans++];
	s->lo = lo;
	s->hi = hi;
	s->prio = b->prio;
	s->row = *row;
	s->row.pc = (uint32_t)lo;
	return 0;
}

/* --- FDE enumeration: decoding DW_EH_PE pointers ------------------------------------------- */

struct cie_info {
	Dwarf_Off offset;
	uint8_t fde_encoding;
	bool valid;
};

static int read_uleb(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t byte = *(*p)++;
		v |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

static int read_sleb(const uint8_t **p, const uint8_t *end, int64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;
	while (*p < end && shift < 64) {
		uint8_t byte = *(*p)++;
		v |= (uint64_t)(byte & 0x7f) << shift;
		shift += 7;
		if (!(byte & 0x80)) {
			if (shift < 64 && (byte & 0x40))
				v |= ~0ULL << shift;
			*out = (int64_t)v;
			return 0;
		}
	}
	return -1;
}

/* Reads one value in the format part (low nibble) of a DW_EH_PE encoding. */
static int read_encoded(const uint8_t **p, const uint8_t *end, uint8_t enc, uint64_t *out)
{
	size_t need;
	switch (enc & 0x0f) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		need = 8;
		break;
	case DW_EH_PE_udata2:
	case DW_EH_PE_sdata2:
		need = 2;
		break;
	case DW_EH_PE_udata4:
	case DW_EH_PE_sdata4:
		need = 4;
		break;
	case DW_EH_PE_uleb128:
		return read_uleb(p, end, out);
	case DW_EH_PE_sleb128:
		return read_sleb(p, end, (int64_t *)out);
	default:
		return -1;
	}
	if ((size_t)(end - *p) < need)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < need; i++)
		v |= (uint64_t)(*p)[i] << (8 * i);
	if (need < 8 && (enc & 0x08)) { /* signed formats: sign-extend */
		unsigned bits = 8 * (unsigned)need;
		if (v & (1ULL << (bits - 1)))
			v |= ~0ULL << bits;
	}
	*p += need;
	*out = v;
	return 0;
}

/* The 'R' augmentation gives the FDE pointer encoding; .debug_frame has absolute addresses. */
static uint8_t cie_fde_encoding(const Dwarf_CIE *cie, bool eh)
{
	if (!eh)
		return DW_EH_PE_absptr;
	const char *aug = cie->augmentation;
	if (!aug || aug[0] != 'z')
		return DW_EH_PE_absptr;
	const uint8_t *p = cie->augmentation_data;
	const uint8_t *end = p + cie->augmentation_data_size;
	for (const char *a = aug + 1; *a && p < end; a++) {
		switch (*a) {
		case 'R':
			return *p;
		case 'L':
			p++;
			break;
		case 'P': {
			uint8_t penc = *p++;
			uint64_t ignored;
			if ((penc & 0x0f) == DW_EH_PE_absptr)
				p += 8;
			else if (read_encoded(&p, end, penc, &ignored))
				return DW_EH_PE_omit;
			break;
		}
		case 'S':
		case 'B':
			break;
		default:
			return DW_EH_PE_omit; /* cannot know what follows */
		}
	}
	return DW_EH_PE_absptr;
}

struct cfi_section {
	Elf_Data *data;
	uint64_t addr; /* sh_addr, for pc-relative pointers */
	bool eh;
};

static int fde_range(const struct cfi_section *sec, const unsigned char *ident,
		     struct cie_info *cie, const Dwarf_FDE *fde, uint64_t *lo, uint64_t *hi)
{
	if (!cie->valid || cie->offset != fde->CIE_pointer) {
		Dwarf_CFI_Entry ce;
		Dwarf_Off next;
		cie->valid = false;
		if (dwarf_next_cfi(ident, sec->data, sec->eh, fde->CIE_pointer, &next, &ce) != 0 ||
		    ce.CIE_id != LIBDW_CIE_ID)
			return -1;
		cie->offset = fde->CIE_pointer;
		cie->fde_encoding = cie_fde_encoding(&ce.cie, sec->eh);
		cie->valid = true;
	}
	uint8_t enc = cie->fde_encoding;
	if (enc == DW_EH_PE_omit || (enc & DW_EH_PE_indirect))
		return -1;
	const uint8_t *p = fde->start;
	uint64_t field = sec->addr + (uint64_t)(p - (const uint8_t *)sec->data->d_buf);
	uint64_t start, len;
	if (read_encoded(&p, fde->end, enc, &start) || read_encoded(&p, fde->end, enc & 0x0f, &len))
		return -1;
	switch (enc & 0x70) {
	case DW_EH_PE_absptr:
		break;
	case DW_EH_PE_pcrel:
		start += field;
		break;
	case DW_EH_PE_datarel:
		/* On x86-64 datarel is relative to .eh_frame_hdr, only used in the header itself.
		 */
	default:
		return -1;
	}
	*lo = start;
	*hi = start + len;
	return 0;
}

/* --- Rules of one row ---------------------------------------------------------------------- */

/* The x86-64 lazy PLT CFA: rsp + K + ((rip & 15) >= T ? 8 : 0), as ld writes it. */
static bool is_plt_expression(const Dwarf_Op *ops, size_t n, int64_t *off, int32_t *thr)
{
	if (n != 9 || ops[0].atom != DW_OP_breg7 || ops[1].atom != DW_OP_breg16 ||
	    ops[1].number != 0 || ops[2].atom != DW_OP_lit15 || ops[3].atom != DW_OP_and ||
	    ops[4].atom < DW_OP_lit0 || ops[4].atom > DW_OP_lit15 || ops[5].atom != DW_OP_ge ||
	    ops[6].atom != DW_OP_lit3 || ops[7].atom != DW_OP_shl || ops[8].atom != DW_OP_plus)
		return false;
	*off = (int64_t)ops[0].number;
	*thr = ops[4].atom - DW_OP_lit0;
	return true;
}

/* Whether a row can hold this CFA offset (cfi_row.h): then it does. */
static bool set_cfa_off(struct cfi_row *r, int64_t off)
{
	if (off % 8 || off < CFI_CFA_OFF_MIN || off > CFI_CFA_OFF_MAX)
		return false;
	r->cfa_off8 = (int16_t)(off / 8);
	return true;
}

/* Where a register is saved: 1 = at CFA + *off, 0 = same value, -1 = undefined, -2 other. */
static int saved_at_cfa(Dwarf_Frame *f, int reg, int64_t *off)
{
	Dwarf_Op mem[3], *ops;
	size_t n;
	if (dwarf_frame_register(f, reg, mem, &ops, &n) != 0)
		return -2;
	if (n == 0)
		return ops ? -1 : 0;
	if (ops[0].atom != DW_OP_call_frame_cfa)
		return -2;
	if (n == 1) {
		*off = 0;
		return 1;
	}
	if (n == 2 && ops[1].atom == DW_OP_plus_uconst) {
		*off = (int64_t)ops[1].number;
		return 1;
	}
	return -2;
}

static void row_from_frame(Dwarf_Frame *f, struct cfi_row *r, struct cfi_table_stats *st)
{
	Dwarf_Addr lo, hi;
	bool signal = false;
	memset(r, 0, sizeof(*r));
	int ra = dwarf_frame_info(f, &lo, &hi, &signal);
	if (signal) {
		r->cfa_type = CFI_CFA_SIGNAL;
		st->signal_rows++;
		return;
	}
	int64_t ra_off = 0;
	int rarule = ra == REG_RIP ? saved_at_cfa(f, REG_RIP, &ra_off) : -2;
	if (rarule == -1) {
		r->cfa_type = CFI_CFA_END;
		return;
	}
	r->cfa_type = CFI_CFA_UNSUPPORTED;
	if (rarule != 1 || ra_off != -8)
		return;

	Dwarf_Op *ops;
	size_t n;
	if (dwarf_frame_cfa(f, &ops, &n) != 0 || n == 0)
		return;
	int64_t plt_off;
	int32_t plt_threshold;
	if (n == 1 && ops[0].atom == DW_OP_bregx &&
	    (ops[0].number == REG_RSP || ops[0].number == REG_RBP)) {
		int64_t off = (int64_t)ops[0].number2;
		if (!set_cfa_off(r, off))
			return;
		r->cfa_type = ops[0].number == REG_RSP ? CFI_CFA_RSP : CFI_CFA_RBP;
	} else if (is_plt_expression(ops, n, &plt_off, &plt_threshold) && set_cfa_off(r, plt_off)) {
		r->cfa_type = CFI_CFA_PLT;
		r->rbp_off = (int8_t)plt_threshold;
		st->plt_rows++;
		return; /* PLT stubs never touch rbp */
	} else {
		st->expressions++;
		return;
	}

	int64_t bp_off = 0;
	switch (saved_at_cfa(f, REG_RBP, &bp_off)) {
	case 0:
		r->rbp_type = CFI_RBP_SAME;
		break;
	case 1:
		if (bp_off >= CFI_RBP_OFF_MIN && bp_off <= CFI_RBP_OFF_MAX) {
			r->rbp_type = CFI_RBP_AT_CFA;
			r->rbp_off = (int8_t)bp_off;
			break;
		}
		/* fall through */
	default:
		r->rbp_type = CFI_RBP_UNDEFINED;
	}
}

/* Rows of one FDE: each dwarf_cfi_addrframe answers for the pc range up to the next change. */
static int add_fde_rows(struct builder *b, Dwarf_CFI *cfi, uint64_t lo, uint64_t hi)
{
	uint64_t pc = lo;
	while (pc < hi) {
		Dwarf_Frame *f = NULL;
		if (dwarf_cfi_addrframe(cfi, pc, &f) != 0) {
			b->stats.fdes_skipped++;
			return 0;
		}
		Dwarf_Addr start, end;
		bool sig;
		dwarf_frame_info(f, &start, &end, &sig);
		struct cfi_row row;
		row_from_frame(f, &row, &b->stats);
		free(f);
		if (end <= pc || end > hi)
			end = hi;
		int err = add_span(b, pc, end, &row);
		if (err)
			return err;
		pc = end;
	}
	return 0;
}

static int walk_section(struct builder *b, const struct cfi_section *sec, Dwarf_CFI *cfi,
			const unsigned char *ident)
{
	struct cie_info cie = {0};
	Dwarf_Off off = 0, next;
	Dwarf_CFI_Entry e;
	int rc;
	while ((rc = dwarf_next_cfi(ident, sec->data, sec->eh, off, &next, &e)) == 0) {
		off = next;
		if (e.CIE_id == LIBDW_CIE_ID)
			continue;
		uint64_t lo, hi;
		b->stats.fdes++;
		if (fde_range(sec, ident, &cie, &e.fde, &lo, &hi) || hi <= lo) {
			b->stats.fdes_skipped++;
			continue;
		}
		int err = add_fde_rows(b, cfi, lo, hi);
		if (err)
			return err;
	}
	return rc < 0 && b->nspans == 0 ? -ENODATA : 0;
}

/* --- PLT stubs without CFI ----------------------------------------------------------------- */

static bool covered(const struct builder *b, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < b->nspans; i++)
		if (b->spans[i].lo < hi && b->spans[i].hi > lo)
			return true;
	return false;
}

/* ld's rules: PLT0 runs after an entry pushed the relocation index (CFA rsp+16) and pushes one
 * more word at +6; entries push at a fixed offset that depends on their layout. */
static int synthesize_plt(struct builder *b, Elf *elf)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx))
		return 0;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR))
			continue;
		const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strncmp(name, ".plt", 4) != 0)
			continue;
		uint64_t lo = sh.sh_addr, hi = sh.sh_addr + sh.sh_size;
		if (covered(b, lo, hi))
			continue;
		struct cfi_row r = {.cfa_type = CFI_CFA_RSP, .cfa_off8 = 1};
		int err;
		if (strcmp(name, ".plt") != 0 || sh.sh_size < 32) {
			/* .plt.sec / .plt.got: a single indirect jump, nothing pushed. */
			err = add_span(b, lo, hi, &r);
		} else {
			int32_t thr = 11; /* jmp *GOT(%rip) (6 bytes); push $n (5) */
			Elf_Data *d = elf_getdata(scn, NULL);
			if (d && d->d_buf && d->d_size >= 20) {
				const uint8_t *e1 = (const uint8_t *)d->d_buf + 16;
				if (e1[0] == 0xf3 && e1[1] == 0x0f && e1[2] == 0x1e &&
				    e1[3] == 0xfa)
					thr = 9; /* endbr64 (4); push (5) */
				else if (e1[0] == 0xf2 && e1[1] == 0xff && e1[2] == 0x25)
					thr = 12; /* bnd jmp (7); push (5) */
			}
			r.cfa_off8 = 2;
			err = add_span(b, lo, lo + 6, &r);
			r.cfa_off8 = 3;
			err = err ? err : add_span(b, lo + 6, lo + 16, &r);
			struct cfi_row plt = {
			    .cfa_type = CFI_CFA_PLT, .cfa_off8 = 1, .rbp_off = (int8_t)thr};
			err = err ? err : add_span(b, lo + 16, hi, &plt);
		}
		if (err)
			return err;
		b->stats.plt_rows++;
	}
	return 0;
}

/* --- Sorting, gaps, merging ---------------------------------------------------------------- */

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return (int)x->prio - (int)y->prio;
}

static bool same_rules(const struct cfi_row *a, const struct cfi_row *b)
{
	return a->cfa_type == b->cfa_type && a->cfa_off8 == b->cfa_off8 &&
	       a->rbp_type == b->rbp_type && a->rbp_off == b->rbp_off;
}

static int push_row(struct cfi_table *t, size_t *cap, const struct cfi_row *r)
{
	if (t->nrows && same_rules(&t->rows[t->nrows - 1], r))
		return 0;
	if (t->nrows && t->rows[t->nrows - 1].pc == r->pc) {
		t->rows[t->nrows - 1] = *r; /* an empty range: the later row wins */
		return 0;
	}
	if (VEC_RESERVE(t->rows, *cap, (size_t)t->nrows + 1))
		return -ENOMEM;
	t->rows[t->nrows++] = *r;
	return 0;
}

static int finish(struct builder *b, struct cfi_table *t)
{
	qsort(b->spans, b->nspans, sizeof(*b->spans), span_cmp);
	size_t cap = 0;
	uint64_t end = 0;
	for (size_t i = 0; i < b->nspans; i++) {
		const struct span *s = &b->spans[i];
		if (s->hi <= end)
			continue; /* overlapping FDEs: the first keeps its range */
		if (i && s->lo > end) {
			struct cfi_row gap = {.pc = (uint32_t)end, .cfa_type = CFI_CFA_NONE};
			if (push_row(t, &cap, &gap))
				return -ENOMEM;
		}
		struct cfi_row r = s->row;
		if (s->lo < end)
			r.pc = (uint32_t)end;
		if (push_row(t, &cap, &r))
			return -ENOMEM;
		end = s->hi;
	}
	if (b->nspans) {
		struct cfi_row last = {.pc = (uint32_t)end, .cfa_type = CFI_CFA_NONE};
		if (push_row(t, &cap, &last))
			return -ENOMEM;
	}
	return 0;
}

/* --- Entry points -------------------------------------------------------------------------- */

static Elf_Scn *find_section(Elf *elf, const char *want, GElf_Shdr *sh)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		const char *name;
		if (gelf_getshdr(scn, sh) && (name = elf_strptr(elf, shstrndx, sh->sh_name)) &&
		    strcmp(name, want) == 0 && sh->sh_type != SHT_NOBITS)
			return scn;
	}
	return NULL;
}

static int read_eh_frame(struct builder *b, Elf *elf, const unsigned char *ident)
{
	GElf_Shdr sh;
	Elf_Scn *scn = find_section(elf, ".eh_frame", &sh);
	Dwarf_CFI *cfi = scn ? dwarf_getcfi_elf(elf) : NULL;
	if (!cfi)
		return -ENODATA;
	struct cfi_section sec = {.data = elf_getdata(scn, NULL), .addr = sh.sh_addr, .eh = true};
	int err = sec.data ? walk_section(b, &sec, cfi, ident) : -ENODATA;
	dwarf_cfi_end(cfi);
	b->stats.fdes_eh = b->stats.fdes;
	return err;
}

static int read_debug_frame(struct builder *b, Elf *elf, const unsigned char *ident)
{
	GElf_Shdr sh;
	Elf_Scn *scn = find_section(elf, ".debug_frame", &sh);
	Dwarf *dw = scn ? dwarf_begin_elf(elf, DWARF_C_READ, NULL) : NULL;
	Dwarf_CFI *cfi = dw ? dwarf_getcfi(dw) : NULL;
	int err = -ENODATA;
	if (cfi) {
		struct cfi_section sec = {.data = elf_getdata(scn, NULL), .addr = sh.sh_addr};
		err = sec.data ? walk_section(b, &sec, cfi, ident) : -ENODATA;
	}
	if (dw)
		dwarf_end(dw);
	return err;
}

static int build(Elf *elf, struct cfi_table **out)
{
	GElf_Ehdr eh;
	if (!gelf_getehdr(elf, &eh) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_machine != EM_X86_64)
		return -ENOEXEC;
	const unsigned char *ident = eh.e_ident;

	struct builder b = {0};
	/* .eh_frame first; .debug_frame fills what it lacks (objects built without unwind tables
	 * have only the C runtime's FDEs in .eh_frame). */
	int eh_err = read_eh_frame(&b, elf, ident);
	b.prio = 1;
	int dbg_err = read_debug_frame(&b, elf, ident);
	b.stats.from_debug_frame = b.stats.fdes - b.stats.fdes_eh;
	int err = 0;
	if (eh_err == -ENOMEM || dbg_err == -ENOMEM)
		err = -ENOMEM;
	else if (!b.nspans)
		err = -ENODATA;
	if (!err)
		err = synthesize_plt(&b, elf);

	struct cfi_table *t = NULL;
	if (!err && !(t = calloc(1, sizeof(*t))))
		err = -ENOMEM;
	if (!err)
		err = finish(&b, t);
	free(b.spans);
	if (err) {
		cfi_table_free(t);
		return err;
	}
	t->stats = b.stats;
	const void *id;
	ssize_t len = dwelf_elf_gnu_build_id(elf, &id);
	if (len > 0 && len <= CFI_BUILD_ID_MAX) {
		memcpy(t->build_id, id, (size_t)len);
		t->build_id_len = (uint32_t)len;
	}
	*out = t;
	return 0;
}

/* The ELF file open on fd, or NULL when it is none. */
static Elf *open_elf(int fd)
{
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		elf = NULL;
	}
	return elf;
}

int cfi_table_from_fd(int fd, struct cfi_table **out)
{
	Elf *elf = open_elf(fd);
	if (!elf)
		return -ENOEXEC;
	int err = build(elf, out);
	elf_end(elf);
	return err;
}

/* A table kept in the cache: this header, then nrows rows. The magic names the row format;
 * change it whenever what a row means changes, and old files are rebuilt. */
#define CACHE_MAGIC "kilncfi3"

struct cache_header {
	char magic[8];
	uint32_t row_size, nrows;
	uint32_t build_id_len, pad;
	uint8_t build_id[CFI_BUILD_ID_MAX];
	struct cfi_table_stats stats;
};

/* The cached rows are used where they lie in the file's mapping: reading them into fresh
 * memory costs several times more (a page fault per page, where the page cache is mapped
 * several pages at a time). */
_Static_assert(sizeof(struct cache_header) % _Alignof(struct cfi_row) == 0,
	       "rows are used where they lie in the cache file");

static int read_cached(int fd, const void *id, size_t id_len, struct cfi_table **out)
{
	struct stat st;
	if (fstat(fd, &st) || (uint64_t)st.st_size < sizeof(struct cache_header))
		return -EINVAL;
	size_t len = (size_t)st.st_size;
	void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	struct cache_header h;
	memcpy(&h, map, sizeof(h));
	if (memcmp(h.magic, CACHE_MAGIC, sizeof(h.magic)) || h.row_size != sizeof(struct cfi_row) ||
	    h.build_id_len != id_len || memcmp(h.build_id, id, id_len) || !h.nrows ||
	    (uint64_t)len != sizeof(h) + (uint64_t)h.nrows * sizeof(struct cfi_row)) {
		munmap(map, len);
		return -EINVAL;
	}
	struct cfi_table *t = calloc(1, sizeof(*t));
	if (!t) {
		munmap(map, len);
		return -ENOMEM;
	}
	t->mapping = map;
	t->mapping_len = len;
	t->rows = (struct cfi_row *)((char *)map + sizeof(h));
	t->nrows = h.nrows;
	t->stats = h.stats;
	memcpy(t->build_id, id, id_len);
	t->build_id_len = (uint32_t)id_len;
	*out = t;
	return 0;
}

static int write_cached(FILE *f, void *arg)
{
	const struct cfi_table *t = arg;
	struct cache_header h = {.row_size = sizeof(struct cfi_row),
				 .nrows = t->nrows,
				 .build_id_len = t->build_id_len,
				 .stats = t->stats};
	memcpy(h.magic, CACHE_MAGIC, sizeof(h.magic));
	memcpy(h.build_id, t->build_id, t->build_id_len);
	if (fwrite(&h, sizeof(h), 1, f) != 1 ||
	    fwrite(t->rows, sizeof(*t->rows), t->nrows, f) != t->nrows)
		return -EIO;
	return 0;
}

int cfi_table_from_fd_cached(int fd, struct cfi_table **out)
{
	Elf *elf = open_elf(fd);
	if (!elf)
		return -ENOEXEC;
	const void *id;
	uint8_t content[ELF_CONTENT_ID_LEN];
	ssize_t len = dwelf_elf_gnu_build_id(elf, &id);
	if (len <= 0) {
		len = (ssize_t)elf_content_id(elf, content);
		id = content;
	}
	char hex[2 * CFI_BUILD_ID_MAX + 1] = "", path[PATH_MAX];
	for (ssize_t i = 0; len > 0 && len <= CFI_BUILD_ID_MAX && i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", ((const unsigned char *)id)[i]);
	int cached = *hex ? debug_cache_open_kind(hex, ".cfi", path, sizeof(path)) : -ENOENT;
	int err = cached >= 0 ? read_cached(cached, id, (size_t)len, out) : cached;
	if (cached >= 0)
		close(cached);
	if (err) {
		err = build(elf, out);
		if (!err && id == content) { /* the table's identity, for sharing it */
			memcpy((*out)->build_id, content, (size_t)len);
			(*out)->build_id_len = (uint32_t)len;
		}
		if (!err && *hex)
			debug_cache_store_kind(hex, ".cfi",
					       (long long)(sizeof(struct cache_header) +
							   (*out)->nrows * sizeof(struct cfi_row)),
					       write_cached, *out);
	}
	elf_end(elf);
	return err;
}

int cfi_table_from_path(const char *path, struct cfi_table **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int err = cfi_table_from_fd(fd, out);
	close(fd);
	return err;
}

int cfi_table_from_memory(const void *image, size_t size, struct cfi_table **out)
{
	elf_version(EV_CURRENT);
	Elf *elf = elf_memory((char *)image, size);
	if (!elf)
		return -ENOEXEC;
	int err = elf_kind(elf) == ELF_K_ELF ? build(elf, out) : -ENOEXEC;
	elf_end(elf);
	return err;
}

void cfi_table_free(struct cfi_table *t)
{
	if (!t)
		return;
	if (t->mapping)
		munmap(t->mapping, t->mapping_len);
	else
		free(t->rows);
	free(t);
}

const struct cfi_row *cfi_table_lookup(const struct cfi_table *t, uint64_t vaddr)
{
	if (!t->nrows || vaddr < t->rows[0].pc)
		return NULL;
	if (vaddr > UINT32_MAX)
		return &t->rows[t->nrows - 1];
	uint32_t lo = 0, hi = t->nrows; /* answer in [lo, hi) */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (t->rows[mid].pc <= vaddr)
			lo = mid;
		else
			hi = mid;
	}
	return &t->rows[lo];
}

size_t cfi_table_bytes(const struct cfi_table *t)
{
	return sizeof(*t) + (size_t)t->nrows * sizeof(struct cfi_row);
}

void cfi_table_build_id_hex(const struct cfi_table *t, char *buf, size_t size)
{
	if (!size)
		return;
	buf[0] = '\0';
	for (uint32_t i = 0; i < t->build_id_len && 2 * i + 2 < size; i++)
		snprintf(buf + 2 * i, 3, "%02x", t->build_id[i]);
}

void cfi_row_format(const struct cfi_row *r, char *buf, size_t size)
{
	char bp[32] = "";
	if (r->rbp_type == CFI_RBP_AT_CFA)
		snprintf(bp, sizeof(bp), " rbp=c%+d", r->rbp_off);
	else if (r->rbp_type == CFI_RBP_UNDEFINED)
		snprintf(bp, sizeof(bp), " rbp=u");
	switch (r->cfa_type) {
	case CFI_CFA_RSP:
	case CFI_CFA_RBP:
		snprintf(buf, size, "%s%+d%s", r->cfa_type == CFI_CFA_RSP ? "rsp" : "rbp",
			 (int)CFI_ROW_CFA_OFF(*r), bp);
		break;
	case CFI_CFA_PLT:
		snprintf(buf, size, "plt rsp%+d ge%d", (int)CFI_ROW_CFA_OFF(*r), r->rbp_off);
		break;
	case CFI_CFA_SIGNAL:
		snprintf(buf, size, "signal");
		break;
	case CFI_CFA_END:
		snprintf(buf, size, "end");
		break;
	case CFI_CFA_UNSUPPORTED:
		snprintf(buf, size, "unsupported");
		break;
	default:
		snprintf(buf, size, "none");
	}
}
