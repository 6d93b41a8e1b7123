#include "stat/elf_probes.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

#define NT_STAPSDT 3

struct elf_file {
	int fd;
	Elf *elf;
};

static int elf_open(const char *path, struct elf_file *ef)
{
	elf_version(EV_CURRENT);
	ef->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ef->fd < 0) {
		int err = errno;
		kiln_error("cannot open %s: %s", path, strerror(err));
		return -err;
	}
	ef->elf = elf_begin(ef->fd, ELF_C_READ, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF) {
		kiln_error("%s is not an ELF binary: %s", path, elf_errmsg(-1));
		if (ef->elf)
			elf_end(ef->elf);
		close(ef->fd);
		return -ENOEXEC;
	}
	return 0;
}

static void elf_close(struct elf_file *ef)
{
	elf_end(ef->elf);
	close(ef->fd);
}

static uint64_t read_addr(const char *p, bool is64, bool swap)
{
	if (is64) {
		uint64_t v;
		memcpy(&v, p, 8);
		return swap ? __builtin_bswap64(v) : v;
	}
	uint32_t v;
	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* Desc: pc, base, semaphore (address-sized), then "provider\0name\0args\0". */
static int decode_note(const char *desc, size_t size, bool is64, bool swap, struct usdt_probe *p)
{
	size_t asz = is64 ? 8 : 4;
	if (size < 3 * asz + 3)
		return -EINVAL;
	p->pc = read_addr(desc, is64, swap);
	p->base = read_addr(desc + asz, is64, swap);
	p->semaphore = read_addr(desc + 2 * asz, is64, swap);
	const char *s = desc + 3 * asz, *end = desc + size;
	const char **out[3] = {&p->provider, &p->name, &p->args};
	for (int i = 0; i < 3; i++) {
		const char *nul = memchr(s, '\0', (size_t)(end - s));
		if (!nul)
			return -EINVAL;
		*out[i] = s;
		s = nul + 1;
		if (s >= end && i < 2)
			return -EINVAL;
	}
	return 0;
}

int usdt_probes_each(const char *path, void (*fn)(const struct usdt_probe *p, void *arg), void *arg)
{
	struct elf_file ef;
	int err = elf_open(path, &ef);
	if (err)
		return err;
	GElf_Ehdr eh;
	if (!gelf_getehdr(ef.elf, &eh)) {
		elf_close(&ef);
		kiln_error("%s: cannot read the ELF header", path);
		return -ENOEXEC;
	}
	bool is64 = eh.e_ident[EI_CLASS] == ELFCLASS64;
	bool swap = eh.e_ident[EI_DATA] !=
		    (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB);
	size_t shstrndx;
	elf_getshdrstrndx(ef.elf, &shstrndx);
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(ef.elf, scn)) && !err;) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		const char *sname = elf_strptr(ef.elf, shstrndx, sh.sh_name);
		if (!sname || strcmp(sname, ".note.stapsdt"))
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		size_t off = 0, name_off, desc_off;
		GElf_Nhdr nh;
		while (data && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			const char *base = data->d_buf;
			if (nh.n_type != NT_STAPSDT || nh.n_namesz != 8 ||
			    memcmp(base + name_off, "stapsdt", 8))
				continue;
			struct usdt_probe p;
			if (decode_note(base + desc_off, nh.n_descsz, is64, swap, &p)) {
				kiln_error("%s: malformed .note.stapsdt entry at offset %zu", path,
					   desc_off);
				err = -EINVAL;
				break;
			}
			fn(&p, arg);
		}
	}
	elf_close(&ef);
	return err;
}

static int cmp_func(const void *a, const void *b)
{
	const struct elf_function *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return strcmp(x->name, y->name);
}

int elf_functions_each(const char *path, void (*fn)(const struct elf_function *f, void *arg),
		       void *arg)
{
	struct elf_file ef;
	int err = elf_open(path, &ef);
	if (err)
		return err;
	struct elf_function *v = NULL;
	size_t n = 0, cap = 0;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(ef.elf, scn)) && !err;) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		size_t count = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; data && i < count; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(data, (int)i, &sym))
				break;
			int type = GELF_ST_TYPE(sym.st_info);
			if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
			    sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE ||
			    !sym.st_size)
				continue;
			const char *name = elf_strptr(ef.elf, sh.sh_link, sym.st_name);
			GElf_Shdr text;
			Elf_Scn *ts = elf_getscn(ef.elf, sym.st_shndx);
			if (!name || !*name || !ts || !gelf_getshdr(ts, &text))
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 256;
				struct elf_function *nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					err = -ENOMEM;
					break;
				}
				v = nv;
			}
			v[n++] =
			    (struct elf_function){name, sym.st_value, sym.st_size,
						  sym.st_value - text.sh_addr + text.sh_offset};
		}
	}
	if (!err && n) {
		qsort(v, n, sizeof(*v), cmp_func);
		for (size_t i = 0; i < n; i++)
			/* .symtab and .dynsym both list exported functions: once each */
			if (i == 0 || v[i].addr != v[i - 1].addr ||
			    strcmp(v[i].name, v[i - 1].name))
				fn(&v[i], arg);
	}
	if (err)
		kiln_error("out of memory reading the symbols of %s", path);
	free(v);
	elf_close(&ef);
	return err;
}
