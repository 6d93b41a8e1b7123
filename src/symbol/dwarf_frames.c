#include "symbol/dwarf_frames.h"

#include <dwarf.h>
#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "symbol/addr_map.h"
#include "symbol/blob_cache.h"
#include "util/hash.h"
#include "util/vec.h"

/* A unit's index, built from libdw once and kept in the unit cache (symbol/blob_cache.h, key:
 * the unit's header offset) as one blob: the header, then the line rows, the scope pieces and
 * the functions, then their strings. Every part is a multiple of 8 bytes, so a mapped blob is
 * used where it lies. Raise UNIT_FORMAT whenever what it holds or means changes. */
#define UNIT_FORMAT 1
#define NO_STRING UINT32_MAX

struct unit_header {
	uint32_t nrows, npieces, nfns, nstrings; /* nstrings: bytes */
};

/* The unit's line table as libdw sorts it (by address, sequence ends included). */
struct unit_row {
	uint64_t addr;
	int32_t line;
	uint32_t end_sequence;
};

/* One address range of a function; deeper ones sort after shallower ones at equal lo. */
struct scope_piece {
	uint64_t lo, hi;
	uint32_t fn;
	uint32_t depth;
};

/* A function or inlined instance; parent is the enclosing one (-1: none). */
struct unit_fn {
	int32_t parent;
	uint32_t inlined;
	uint32_t name, decl_file; /* offsets in the strings, NO_STRING: none */
	int32_t decl_line;
	int32_t call_line; /* inlined: the caller's line */
};

struct unit_index {
	struct unit_header h;
	const struct unit_row *rows;
	const struct scope_piece *pieces;
	const struct unit_fn *fns;
	const char *strings;
};

/* Address range of a compilation unit: found from the units themselves, since clang writes no
 * .debug_aranges (where dwarf_addrdie looks) unless asked to. */
struct unit_range {
	uint64_t lo, hi;
	Dwarf_Off unit; /* header offset */
};

struct dwarf_index {
	Dwarf *dw;
	struct blob_cache *cache; /* units of earlier runs, and this run's */
	Elf_Data *aranges;	  /* .debug_aranges, NULL when the file has none */
	bool aranges_looked_up;
	struct unit_range *ranges;
	size_t nranges, ranges_cap;
	bool ranges_built;
	struct addr_map by_offset; /* (unit header offset, 0) -> unit index + 1 */
	struct unit_index *units;
	size_t nunits, units_cap;
	void **owned; /* blobs built without a cache to keep them */
	size_t nowned, owned_cap;
};

struct dwarf_index *dwarf_index_new(Dwarf *dw, const char *build_id, const char *identity)
{
	struct dwarf_index *ix = calloc(1, sizeof(*ix));
	if (!ix)
		return NULL;
	ix->dw = dw;
	ix->cache = blob_cache_open(build_id, ".cu", UNIT_FORMAT, identity);
	return ix;
}

int dwarf_index_save(struct dwarf_index *ix)
{
	return ix ? blob_cache_save(ix->cache) : 0;
}

void dwarf_index_free(struct dwarf_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->nowned; i++)
		free(ix->owned[i]);
	free(ix->owned);
	free(ix->units);
	free(ix->ranges);
	addr_map_free(&ix->by_offset);
	blob_cache_free(ix->cache);
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

/* A unit's index while libdw is walked. */
struct unit_build {
	Dwarf_Die *dies; /* per function */
	struct unit_fn *fns;
	size_t nfns, fns_cap, dies_cap;
	struct scope_piece *pieces;
	size_t npieces, pieces_cap;
	struct intern_table strings;
};

static int add_fn(struct unit_build *u, Dwarf_Die *die, int32_t parent, int tag, uint32_t depth)
{
	size_t dcap = u->dies_cap;
	if (VEC_RESERVE(u->fns, u->fns_cap, u->nfns + 1) || VEC_RESERVE(u->dies, dcap, u->nfns + 1))
		return -1;
	u->dies_cap = dcap;
	int32_t idx = (int32_t)u->nfns;
	u->dies[u->nfns] = *die;
	u->fns[u->nfns++] =
	    (struct unit_fn){.parent = parent, .inlined = tag == DW_TAG_inlined_subroutine};
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

static void walk(struct unit_build *u, Dwarf_Die *parent_die, int32_t parent, uint32_t depth)
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

/* The deepest function-like scope holding pc: scanning back from the last piece starting at or
 * before pc, the first one that holds it is the deepest, because a nested scope's piece lies
 * within its parent's and sorts after it. */
static int32_t innermost(const struct unit_index *u, uint64_t pc)
{
	size_t lo = 0, hi = u->h.npieces;
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

/* The unit cache also keeps the table of unit ranges, under a key no unit header has: walking
 * libc's 1600 units for it cost 10 to 20 ms (most in libdw's allocations) in every run that met
 * an address .debug_aranges does not cover, such as its assembly string functions. */
#define RANGES_KEY UINT64_MAX

static bool load_ranges(struct dwarf_index *ix)
{
	size_t len;
	const void *blob = ix->cache ? blob_cache_get(ix->cache, RANGES_KEY, &len) : NULL;
	size_t n = blob ? len / sizeof(struct unit_range) : 0;
	if (!n || len % sizeof(struct unit_range) || VEC_RESERVE(ix->ranges, ix->ranges_cap, n))
		return false;
	memcpy(ix->ranges, blob, len);
	ix->nranges = n;
	return true;
}

static void store_ranges(struct dwarf_index *ix)
{
	size_t len = ix->nranges * sizeof(struct unit_range);
	void *copy = ix->cache && len ? malloc(len) : NULL;
	if (!copy)
		return;
	memcpy(copy, ix->ranges, len);
	if (blob_cache_adopt(ix->cache, RANGES_KEY, copy, len))
		free(copy); /* only a cache */
}

static void build_ranges(struct dwarf_index *ix)
{
	ix->ranges_built = true;
	if (load_ranges(ix))
		return;
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
				ix->ranges[ix->nranges++] = (struct unit_range){lo, hi, off};
			}
		}
		off = next;
	}
	if (ix->nranges)
		qsort(ix->ranges, ix->nranges, sizeof(*ix->ranges), cmp_range);
	store_ranges(ix);
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

/* The header offset of the unit holding pc. */
static bool unit_at(struct dwarf_index *ix, uint64_t pc, Dwarf_Off *unit)
{
	/* .debug_aranges (gcc writes it) finds the unit without reading the others; walking
	 * every unit's ranges costs libc's 1600 units on the first address. */
	if (!ix->aranges_looked_up) {
		ix->aranges_looked_up = true;
		ix->aranges = section_data(dwarf_getelf(ix->dw), ".debug_aranges");
	}
	if (ix->aranges && arange_unit(ix->aranges, pc, unit))
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
			*unit = ix->ranges[i].unit;
			return true;
		}
	/* The table holds every unit's ranges, and .debug_aranges was asked: libdw would walk
	 * every unit again to find none. */
	if (ix->nranges)
		return false;
	Dwarf_Die cudie;
	if (!dwarf_addrdie(ix->dw, pc, &cudie))
		return false;
	*unit = dwarf_dieoffset(&cudie) - dwarf_cuoffset(&cudie);
	return true;
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

static uint32_t string_at(struct unit_build *b, const char *str)
{
	if (!str)
		return NO_STRING;
	uint32_t id = intern_get(&b->strings, str, strlen(str), NULL);
	return id ? (uint32_t)b->strings.key_off[id] : NO_STRING;
}

/* Names, files and lines of every function walked: what lookups need without libdw. */
static void describe_fns(struct unit_build *b)
{
	for (size_t i = 0; i < b->nfns; i++) {
		Dwarf_Die *die = &b->dies[i];
		struct unit_fn *fn = &b->fns[i];
		fn->name = string_at(b, die_name(die));
		fn->decl_file = string_at(b, decl_file(die));
		int line = 0;
		dwarf_decl_line(die, &line);
		fn->decl_line = line;
		fn->call_line = fn->inlined ? attr_int(die, DW_AT_call_line) : 0;
	}
}

static size_t blob_size(const struct unit_header *h)
{
	return sizeof(*h) + h->nrows * sizeof(struct unit_row) +
	       h->npieces * sizeof(struct scope_piece) + h->nfns * sizeof(struct unit_fn) +
	       (h->nstrings + 7u) / 8 * 8;
}

/* The unit's index as one blob (malloc'd), from libdw; NULL when it cannot be read. */
static void *build_unit(Dwarf *dw, Dwarf_Off unit, size_t *len)
{
	Dwarf_Die cudie;
	if (!unit_die_at(dw, unit, &cudie))
		return NULL;
	struct unit_build b = {0};
	intern_init(&b.strings);
	walk(&b, &cudie, -1, 0);
	if (b.npieces)
		qsort(b.pieces, b.npieces, sizeof(*b.pieces), cmp_piece);
	describe_fns(&b);
	Dwarf_Lines *lines = NULL;
	size_t nlines = 0;
	if (dwarf_getsrclines(&cudie, &lines, &nlines))
		nlines = 0;
	struct unit_header h = {(uint32_t)nlines, (uint32_t)b.npieces, (uint32_t)b.nfns,
				(uint32_t)b.strings.arena_len};
	*len = blob_size(&h);
	uint8_t *blob = calloc(1, *len), *p = blob;
	if (blob) {
		memcpy(p, &h, sizeof(h));
		p += sizeof(h);
		for (size_t i = 0; i < nlines; i++, p += sizeof(struct unit_row)) {
			Dwarf_Line *l = dwarf_onesrcline(lines, i);
			struct unit_row r = {0};
			bool end = false;
			if (l) {
				dwarf_lineaddr(l, &r.addr);
				dwarf_lineno(l, &r.line);
				dwarf_lineendsequence(l, &end);
			}
			r.end_sequence = end;
			memcpy(p, &r, sizeof(r));
		}
		memcpy(p, b.pieces, b.npieces * sizeof(*b.pieces));
		p += b.npieces * sizeof(*b.pieces);
		memcpy(p, b.fns, b.nfns * sizeof(*b.fns));
		p += b.nfns * sizeof(*b.fns);
		memcpy(p, b.strings.arena, b.strings.arena_len);
	}
	free(b.dies);
	free(b.fns);
	free(b.pieces);
	intern_free(&b.strings);
	return blob;
}

/* Points u into a blob, after checking that everything in it stays inside. */
static bool view_unit(const void *blob, size_t len, struct unit_index *u)
{
	if (len < sizeof(u->h))
		return false;
	memcpy(&u->h, blob, sizeof(u->h));
	if (u->h.nrows > len || u->h.npieces > len || u->h.nfns > len || u->h.nstrings > len ||
	    blob_size(&u->h) != len)
		return false;
	const uint8_t *p = (const uint8_t *)blob + sizeof(u->h);
	u->rows = (const struct unit_row *)p;
	p += u->h.nrows * sizeof(struct unit_row);
	u->pieces = (const struct scope_piece *)p;
	p += u->h.npieces * sizeof(struct scope_piece);
	u->fns = (const struct unit_fn *)p;
	p += u->h.nfns * sizeof(struct unit_fn);
	u->strings = (const char *)p;
	if (u->h.nstrings && u->strings[u->h.nstrings - 1])
		return false; /* every string ends inside */
	for (uint32_t i = 0; i < u->h.npieces; i++)
		if (u->pieces[i].fn >= u->h.nfns)
			return false;
	for (uint32_t i = 0; i < u->h.nfns; i++) {
		const struct unit_fn *f = &u->fns[i];
		if (f->parent >= (int32_t)i || f->parent < -1 ||
		    (f->name != NO_STRING && f->name >= u->h.nstrings) ||
		    (f->decl_file != NO_STRING && f->decl_file >= u->h.nstrings))
			return false;
	}
	return true;
}

/* The unit's index: this run's, an earlier run's from the cache, or built now. */
static const struct unit_index *unit_get(struct dwarf_index *ix, Dwarf_Off unit)
{
	uint32_t i = addr_map_get(&ix->by_offset, unit, 0);
	if (i)
		return &ix->units[i - 1];
	size_t len = 0;
	const void *blob = ix->cache ? blob_cache_get(ix->cache, unit, &len) : NULL;
	void *built = NULL;
	if (!blob) {
		blob = built = build_unit(ix->dw, unit, &len);
		if (built && ix->cache && !blob_cache_adopt(ix->cache, unit, built, len))
			built = NULL; /* the cache holds it now, for as long as the index */
	}
	struct unit_index u;
	if (!blob || !view_unit(blob, len, &u) ||
	    VEC_RESERVE(ix->units, ix->units_cap, ix->nunits + 1)) {
		free(built);
		return NULL;
	}
	/* Without a cache, the blob built stays for the index's life (freed with it). */
	if (built) {
		if (VEC_RESERVE(ix->owned, ix->owned_cap, ix->nowned + 1)) {
			free(built);
			return NULL;
		}
		ix->owned[ix->nowned++] = built;
	}
	ix->units[ix->nunits++] = u;
	addr_map_put(&ix->by_offset, unit, 0, (uint32_t)ix->nunits);
	return &ix->units[ix->nunits - 1];
}

/* The line row holding pc, as dwarf_getsrc_die picks it: the last row at or below pc, unless it
 * ends a sequence (then the row before it at the same address, if any). -1: none. */
static int row_at(const struct unit_index *u, uint64_t pc)
{
	size_t n = u->h.nrows;
	if (!n)
		return -1;
	size_t l = 0, h = n - 1;
	while (l < h) {
		size_t idx = h - (h - l) / 2;
		if (pc < u->rows[idx].addr)
			h = idx - 1;
		else
			l = idx;
	}
	if (u->rows[l].addr == pc)
		while (l > 0 && u->rows[l].end_sequence && u->rows[l - 1].addr == pc)
			l--;
	if (!u->rows[l].end_sequence && u->rows[l].addr <= pc)
		return (int)l;
	return -1;
}

static const char *unit_string(const struct unit_index *u, uint32_t off)
{
	return off == NO_STRING ? NULL : u->strings + off;
}

int dwarf_src_frames(struct dwarf_index *ix, uint64_t vaddr, struct src_frame *out, int max)
{
	Dwarf_Off unit;
	if (!ix || max <= 0 || !unit_at(ix, vaddr, &unit))
		return 0;
	const struct unit_index *u = unit_get(ix, unit);
	if (!u)
		return 0;
	int32_t f = innermost(u, vaddr);
	if (f < 0)
		return 0;
	int row = row_at(u, vaddr);
	int line = row >= 0 ? u->rows[row].line : 0;
	int k = 0;
	for (; f >= 0 && k < max; f = u->fns[f].parent) {
		const struct unit_fn *fn = &u->fns[f];
		struct src_frame *o = &out[k++];
		o->name = unit_string(u, fn->name);
		o->line = line;
		o->decl_file = unit_string(u, fn->decl_file);
		o->decl_line = fn->decl_line;
		if (!fn->inlined)
			break;
		/* The caller is at the call site's line. */
		line = fn->call_line;
	}
	return k;
}
