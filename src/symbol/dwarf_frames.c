#include "symbol/dwarf_frames.h"

#include <dwarf.h>
#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "symbol/addr_map.h"
#include "util/vec.h"

/* A function or inlined instance of one unit; parent is the enclosing one (-1: none). */
struct scope_fn {
	Dwarf_Die die;
	int32_t parent;
	bool inlined;
};

/* One address range of a scope_fn; deeper ones sort after shallower ones at equal lo. */
struct scope_piece {
	uint64_t lo, hi;
	uint32_t fn;
	uint32_t depth;
};

struct unit_index {
	Dwarf_Die cudie;
	struct scope_fn *fns;
	size_t nfns, fns_cap;
	struct scope_piece *pieces;
	size_t npieces, pieces_cap;
};

/* Address range of a compilation unit: found from the units themselves, since clang writes no
 * .debug_aranges (where dwarf_addrdie looks) unless asked to. */
struct unit_range {
	uint64_t lo, hi;
	Dwarf_Die cudie;
};

struct dwarf_index {
	Dwarf *dw;
	Elf_Data *aranges; /* .debug_aranges, NULL when the file has none */
	bool aranges_looked_up;
	struct unit_range *ranges;
	size_t nranges, ranges_cap;
	bool ranges_built;
	struct addr_map by_offset; /* (unit DIE offset, 0) -> unit index + 1 */
	struct unit_index **units;
	size_t nunits, units_cap;
};

struct dwarf_index *dwarf_index_new(Dwarf *dw)
{
	struct dwarf_index *ix = calloc(1, sizeof(*ix));
	if (ix)
		ix->dw = dw;
	return ix;
}

void dwarf_index_free(struct dwarf_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->nunits; i++) {
		free(ix->units[i]->fns);
		free(ix->units[i]->pieces);
		free(ix->units[i]);
	}
	free(ix->units);
	free(ix->ranges);
	addr_map_free(&ix->by_offset);
	free(ix);
}

static bool is_function(int tag)
{
	return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
	       tag == DW_TAG_entry_point;
}

/* Tags under which code-bearing DIEs can sit; everything else (types, variables) is skipped
 * without reading its children. */
static bool may_hold_code(int tag)
{
	switch (tag) {
	case DW_TAG_subprogram:
	case DW_TAG_inlined_subroutine:
	case DW_TAG_entry_point:
	case DW_TAG_lexical_block:
	case DW_TAG_namespace:
	case DW_TAG_module:
	case DW_TAG_class_type:
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_try_block:
	case DW_TAG_catch_block:
		return true;
	default:
		return false;
	}
}

static int add_fn(struct unit_index *u, Dwarf_Die *die, int32_t parent, int tag, uint32_t depth)
{
	if (VEC_RESERVE(u->fns, u->fns_cap, u->nfns + 1))
		return -1;
	int32_t idx = (int32_t)u->nfns;
	u->fns[u->nfns++] = (struct scope_fn){*die, parent, tag == DW_TAG_inlined_subroutine};
	Dwarf_Addr base, lo, hi;
	ptrdiff_t off = 0;
	while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
		if (hi <= lo)
			continue;
		if (VEC_RESERVE(u->pieces, u->pieces_cap, u->npieces + 1))
			return -1;
		u->pieces[u->npieces++] = (struct scope_piece){lo, hi, (uint32_t)idx, depth};
	}
	return idx;
}

static void walk(struct unit_index *u, Dwarf_Die *parent_die, int32_t parent, uint32_t depth)
{
	Dwarf_Die child;
	if (dwarf_child(parent_die, &child))
		return;
	do {
		int tag = dwarf_tag(&child);
		if (!may_hold_code(tag))
			continue;
		int32_t p = parent;
		uint32_t d = depth;
		if (is_function(tag)) {
			p = add_fn(u, &child, parent, tag, depth);
			if (p < 0)
				return;
			d = depth + 1;
		}
		if (dwarf_haschildren(&child))
			walk(u, &child, p, d);
	} while (dwarf_siblingof(&child, &child) == 0);
}

static int cmp_piece(const void *pa, const void *pb)
{
	const struct scope_piece *a = pa, *b = pb;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return a->depth < b->depth ? -1 : a->depth > b->depth;
}

static struct unit_index *unit_for(struct dwarf_index *ix, Dwarf_Die *cudie)
{
	Dwarf_Off off = dwarf_dieoffset(cudie);
	uint32_t i = addr_map_get(&ix->by_offset, off, 0);
	if (i)
		return ix->units[i - 1];
	if (VEC_RESERVE(ix->units, ix->units_cap, ix->nunits + 1))
		return NULL;
	struct unit_index *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->cudie = *cudie;
	walk(u, cudie, -1, 0);
	if (u->npieces)
		qsort(u->pieces, u->npieces, sizeof(*u->pieces), cmp_piece);
	ix->units[ix->nunits++] = u;
	addr_map_put(&ix->by_offset, off, 0, (uint32_t)ix->nunits);
	return u;
}

/* The deepest function-like scope holding pc: scanning back from the last piece starting at or
 * before pc, the first one that holds it is the deepest, because a nested scope's piece lies
 * within its parent's and sorts after it. */
static int32_t innermost(const struct unit_index *u, uint64_t pc)
{
	size_t lo = 0, hi = u->npieces;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (u->pieces[mid].lo <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0;)
		if (pc < u->pieces[i].hi)
			return (int32_t)u->pieces[i].fn;
	return -1;
}

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *n = NULL;
	/* Integrate: inlined instances and out-of-line copies name their abstract origin. */
	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a))
		n = dwarf_formstring(&a);
	if (!n && dwarf_attr_integrate(die, DW_AT_name, &a))
		n = dwarf_formstring(&a);
	return n;
}

static int attr_int(Dwarf_Die *die, unsigned int name)
{
	Dwarf_Attribute a;
	Dwarf_Word v;
	if (!dwarf_attr(die, name, &a) || dwarf_formudata(&a, &v))
		return 0;
	return (int)v;
}

static int cmp_range(const void *pa, const void *pb)
{
	const struct unit_range *a = pa, *b = pb;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

static void build_ranges(struct dwarf_index *ix)
{
	ix->ranges_built = true;
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (dwarf_nextcu(ix->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cudie;
		if (dwarf_offdie(ix->dw, off + hsize, &cudie)) {
			Dwarf_Addr base, lo, hi;
			ptrdiff_t r = 0;
			while ((r = dwarf_ranges(&cudie, r, &base, &lo, &hi)) > 0) {
				if (hi <= lo)
					continue;
				if (VEC_RESERVE(ix->ranges, ix->ranges_cap, ix->nranges + 1))
					return;
				ix->ranges[ix->nranges++] = (struct unit_range){lo, hi, cudie};
			}
		}
		off = next;
	}
	if (ix->nranges)
		qsort(ix->ranges, ix->nranges, sizeof(*ix->ranges), cmp_range);
}

static Elf_Data *section_data(Elf *elf, const char *want)
{
	size_t shstrndx;
	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		const char *name;
		if (gelf_getshdr(scn, &sh) && sh.sh_type != SHT_NOBITS &&
		    (name = elf_strptr(elf, shstrndx, sh.sh_name)) && !strcmp(name, want))
			return elf_getdata(scn,
					   NULL); /* libdw inflated it when it opened the file */
	}
	return NULL;
}

static uint64_t read_le(const unsigned char *p, unsigned size)
{
	uint64_t v = 0;
	for (unsigned i = size; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* The header offset of the unit .debug_aranges gives for pc, by reading the section itself:
 * dwarf_addrdie (dwarf_getaranges) first interns every unit of the file, which for libc is
 * 1600 units and 2 MiB of fresh memory spent before the first answer. Little-endian only,
 * like the unwinder; anything unexpected ends the search and the slow path answers. */
static bool arange_unit(const Elf_Data *d, uint64_t pc, Dwarf_Off *unit)
{
	const unsigned char *p = d->d_buf, *end = p + d->d_size;
	while (end - p >= 4) {
		const unsigned char *start = p;
		uint64_t len = read_le(p, 4);
		unsigned offset_size = 4;
		p += 4;
		if (len == 0xffffffff) {
			if (end - p < 8)
				return false;
			len = read_le(p, 8);
			offset_size = 8;
			p += 8;
		} else if (len >= 0xfffffff0) {
			return false;
		}
		if ((uint64_t)(end - p) < len || len < 2 + offset_size + 2)
			return false;
		const unsigned char *unit_end = p + len;
		uint64_t cu = read_le(p + 2, offset_size);
		unsigned addr_size = p[2 + offset_size], seg_size = p[3 + offset_size];
		unsigned tuple = 2 * addr_size + seg_size;
		if ((addr_size != 4 && addr_size != 8) || seg_size > 8)
			return false;
		/* Tuples start at a multiple of their size from the unit's start. */
		size_t header = (size_t)(p + 4 + offset_size - start);
		p = start + (header + tuple - 1) / tuple * tuple;
		for (; unit_end - p >= (ptrdiff_t)tuple; p += tuple) {
			uint64_t lo = read_le(p + seg_size, addr_size);
			uint64_t n = read_le(p + seg_size + addr_size, addr_size);
			if (!lo && !n)
				break;
			if (pc - lo < n) {
				*unit = cu;
				return true;
			}
		}
		p = unit_end;
	}
	return false;
}

static bool unit_die_at(Dwarf *dw, Dwarf_Off unit, Dwarf_Die *cudie)
{
	Dwarf_Off next;
	size_t header;
	return dwarf_nextcu(dw, unit, &next, &header, NULL, NULL, NULL) == 0 &&
	       dwarf_offdie(dw, unit + header, cudie) != NULL;
}

static bool unit_at(struct dwarf_index *ix, uint64_t pc, Dwarf_Die *cudie)
{
	/* .debug_aranges (gcc writes it) finds the unit without reading the others; walking
	 * every unit's ranges costs libc's 1600 units on the first address. */
	if (!ix->aranges_looked_up) {
		ix->aranges_looked_up = true;
		ix->aranges = section_data(dwarf_getelf(ix->dw), ".debug_aranges");
	}
	Dwarf_Off unit;
	if (!ix->ranges_built && ix->aranges && arange_unit(ix->aranges, pc, &unit) &&
	    unit_die_at(ix->dw, unit, cudie))
		return true;
	if (!ix->ranges_built)
		build_ranges(ix);
	size_t lo = 0, hi = ix->nranges;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->ranges[mid].lo <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Unit ranges do not nest; a few back covers units that overlap by mistake. */
	for (size_t i = lo, k = 0; i-- > 0 && k < 4; k++)
		if (pc < ix->ranges[i].hi) {
			*cudie = ix->ranges[i].cudie;
			return true;
		}
	return dwarf_addrdie(ix->dw, pc, cudie) != NULL;
}

/* dwarf_decl_file of libdw 0.188 rejects file index 0, which DWARF 5 (clang's default) uses for
 * the unit's main source file: resolve the index in the declaring unit's file table here. */
static const char *decl_file(Dwarf_Die *die)
{
	const char *f = dwarf_decl_file(die);
	if (f)
		return f;
	Dwarf_Attribute a;
	Dwarf_Word idx;
	Dwarf_Die cu;
	Dwarf_Files *files;
	size_t n;
	if (!dwarf_attr_integrate(die, DW_AT_decl_file, &a) || dwarf_formudata(&a, &idx) ||
	    !dwarf_cu_die(a.cu, &cu, NULL, NULL, NULL, NULL, NULL, NULL) ||
	    dwarf_getsrcfiles(&cu, &files, &n) || idx >= n)
		return NULL;
	f = dwarf_filesrc(files, idx, NULL, NULL);
	return f && strcmp(f, "???") ? f : NULL;
}

int dwarf_src_frames(struct dwarf_index *ix, uint64_t vaddr, struct src_frame *out, int max)
{
	Dwarf_Die cudie;
	if (!ix || max <= 0 || !unit_at(ix, vaddr, &cudie))
		return 0;
	struct unit_index *u = unit_for(ix, &cudie);
	if (!u)
		return 0;
	int32_t f = innermost(u, vaddr);
	if (f < 0)
		return 0;
	int line = 0;
	Dwarf_Line *l = dwarf_getsrc_die(&cudie, vaddr);
	if (l)
		dwarf_lineno(l, &line);
	int k = 0;
	for (; f >= 0 && k < max; f = u->fns[f].parent) {
		struct scope_fn *fn = &u->fns[f];
		struct src_frame *o = &out[k++];
		o->name = die_name(&fn->die);
		o->line = line;
		o->decl_file = decl_file(&fn->die);
		o->decl_line = 0;
		dwarf_decl_line(&fn->die, &o->decl_line);
		if (!fn->inlined)
			break;
		/* The caller is at the call site's line. */
		line = attr_int(&fn->die, DW_AT_call_line);
	}
	return k;
}
