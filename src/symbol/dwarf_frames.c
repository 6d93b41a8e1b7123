#include "symbol/dwarf_frames.h"

#include <dwarf.h>
#include <stdbool.h>
#include <stdlib.h>

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

static bool is_function(int tag)
{
	return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
	       tag == DW_TAG_entry_point;
}

static void fill(struct src_frame *f, Dwarf_Die *die, int line)
{
	f->name = die_name(die);
	f->line = line;
	f->decl_file = dwarf_decl_file(die);
	f->decl_line = 0;
	dwarf_decl_line(die, &f->decl_line);
}

int dwarf_src_frames(Dwarf *dw, uint64_t vaddr, struct src_frame *out, int max)
{
	Dwarf_Die cudie;
	if (!dw || max <= 0 || !dwarf_addrdie(dw, vaddr, &cudie))
		return 0;
	int line = 0;
	Dwarf_Line *l = dwarf_getsrc_die(&cudie, vaddr);
	if (l)
		dwarf_lineno(l, &line);
	/* getscopes finds the innermost scope; its DIE-tree parents are then the physical
	 * nesting of inlined instances in their callers (getscopes itself continues into the
	 * abstract origin instead, which is right for variables but not for call chains). */
	Dwarf_Die *scopes = NULL;
	int n = dwarf_getscopes(&cudie, vaddr, &scopes);
	if (n <= 0) {
		free(scopes);
		return 0;
	}
	Dwarf_Die inner = scopes[0];
	free(scopes);
	scopes = NULL;
	n = dwarf_getscopes_die(&inner, &scopes);
	int k = 0;
	for (int i = 0; i < n && k < max; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (!is_function(tag))
			continue;
		fill(&out[k++], &scopes[i], line);
		if (tag != DW_TAG_inlined_subroutine)
			break;
		/* The caller is at the call site's line. */
		line = attr_int(&scopes[i], DW_AT_call_line);
	}
	free(scopes);
	return k;
}
