#include "symbol/elf_content_id.h"

#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/hash.h"

/* What the caches are built from: call frames (unwind tables), symbols (names), line
 * tables (file:line). The section headers cover every other section's size and place. */
static bool hashed_section(const char *name)
{
	static const char *const names[] = {".eh_frame", ".debug_frame", ".symtab",    ".dynsym",
					    ".strtab",	 ".dynstr",	 ".debug_line"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

size_t elf_content_id(Elf *elf, uint8_t id[ELF_CONTENT_ID_LEN])
{
	const uint64_t mix = 0x9e3779b97f4a7c15ULL;
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx))
		return 0;
	uint64_t headers = 0, contents = 0;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			return 0;
		headers = hash_bytes(&sh, sizeof(sh)) ^ headers * mix;
		const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || sh.sh_type == SHT_NOBITS || !hashed_section(name))
			continue;
		Elf_Data *d = elf_rawdata(scn, NULL);
		if (!d || !d->d_buf)
			return 0;
		contents = hash_bytes(d->d_buf, d->d_size) ^ contents * mix;
	}
	memcpy(id, &headers, sizeof(headers));
	memcpy(id + sizeof(headers), &contents, sizeof(contents));
	return ELF_CONTENT_ID_LEN;
}

void elf_content_id_hex(Elf *elf, char *hex, size_t hexlen)
{
	uint8_t id[ELF_CONTENT_ID_LEN];
	hex[0] = 0;
	if (hexlen < 2 * ELF_CONTENT_ID_LEN + 1 || !elf_content_id(elf, id))
		return;
	for (size_t i = 0; i < ELF_CONTENT_ID_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
}
