/* A cache identity for an ELF file that carries no GNU build id (Go binaries, copies stripped
 * of their notes, some statically linked helpers): a hash of its section headers and of the
 * sections every kiln cache derives from. Without it such files were read afresh on every
 * run. */
#ifndef KILN_ELF_CONTENT_ID_H
#define KILN_ELF_CONTENT_ID_H

#include <libelf.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_CONTENT_ID_LEN 16 /* two 64-bit hashes */

/* Fills id and returns ELF_CONTENT_ID_LEN, or 0 when the sections cannot be read. */
size_t elf_content_id(Elf *elf, uint8_t id[ELF_CONTENT_ID_LEN]);
/* The same in hex ("" when it cannot be read); hexlen >= 2 * ELF_CONTENT_ID_LEN + 1. */
void elf_content_id_hex(Elf *elf, char *hex, size_t hexlen);

#endif
