#include "symbol/elf_object.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbol/debug_cache.h"
#include "symbol/debuginfo.h"
#include "symbol/elf_content_id.h"
#include "util/hash.h"
#include "util/log.h"

static void image_close(struct elf_image *im)
{
	if (im->elf)
		elf_end(im->elf);
	if (im->data) {
		if (im->malloced)
			free(im->data);
		else
			munmap(im->data, im->size);
	}
	memset(im, 0, sizeof(*im));
}

/* A private writable mapping: libelf may touch the image, the file never sees it. No swap is
 * reserved for it (MAP_NORESERVE): nothing is written in practice, and hundreds of mapped
 * libraries must not count against the commit limit. */
static int image_map_fd(struct elf_image *im, int fd, struct stat *st)
{
	memset(im, 0, sizeof(*im));
	if (fstat(fd, st))
		return -errno;
	if (!S_ISREG(st->st_mode) || st->st_size < (off_t)sizeof(Elf64_Ehdr))
		return -ENOEXEC;
	void *p = mmap(NULL, (size_t)st->st_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	im->data = p;
	im->size = (size_t)st->st_size;
	return 0;
}

static bool image_elf(struct elf_image *im)
{
	if (!im->elf) {
		elf_version(EV_CURRENT);
		im->elf = elf_memory(im->data, im->size);
	}
	return im->elf && elf_kind(im->elf) == ELF_K_ELF;
}

struct elf_object *elf_object_from_fd(int fd, const char *path)
{
	struct elf_object *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	struct stat st;
	int err = image_map_fd(&o->main, fd, &st);
	o->path = strdup(path);
	if (err || !o->path) {
		elf_object_free(o);
		errno = err ? -err : ENOMEM;
		return NULL;
	}
	o->dev = st.st_dev;
	o->ino = st.st_ino;
	o->file_size = (uint64_t)st.st_size;
	o->mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
	o->ctime_ns = (uint64_t)st.st_ctim.tv_sec * 1000000000u + (uint64_t)st.st_ctim.tv_nsec;
	return o;
}

struct elf_object *elf_object_from_memory(const void *data, size_t size, const char *name)
{
	struct elf_object *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->main.data = malloc(size);
	o->main.size = size;
	o->main.malloced = true;
	o->path = strdup(name);
	if (!o->main.data || !o->path) {
		elf_object_free(o);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(o->main.data, data, size);
	return o;
}

void elf_object_free(struct elf_object *o)
{
	if (!o)
		return;
	sym_cache_free(o->results);
	dwarf_index_free(o->dwarf_index);
	if (o->dwarf)
		dwarf_end(o->dwarf);
	image_close(&o->debug);
	image_close(&o->main);
	sym_table_free(&o->syms);
	sym_table_free(&o->plt);
	for (size_t i = 0; i < o->nplt; i++)
		free(o->plt_names[i]);
	free(o->plt_names);
	free(o->segs);
	free(o->path);
	free(o->root);
	free(o->debug_path);
	free(o);
}

static void read_segments(struct elf_object *o)
{
	size_t n;
	if (elf_getphdrnum(o->main.elf, &n) || !n)
		return;
	o->segs = calloc(n, sizeof(*o->segs));
	if (!o->segs)
		return;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(o->main.elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		o->segs[o->nsegs++] = (struct elf_segment){ph.p_offset, ph.p_filesz, ph.p_vaddr};
	}
}

/* Looks for the GNU build id among the notes in d; true when found (hex filled in). */
static bool build_id_in_notes(Elf_Data *d, char *hex, size_t hexlen)
{
	GElf_Nhdr nh;
	size_t off = 0, name_off, desc_off;
	while (d && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
		    memcmp((char *)d->d_buf + name_off, "GNU", 4))
			continue;
		const unsigned char *id = (unsigned char *)d->d_buf + desc_off;
		size_t len = nh.n_descsz;
		if (len * 2 + 1 > hexlen)
			len = (hexlen - 1) / 2;
		for (size_t i = 0; i < len; i++)
			snprintf(hex + 2 * i, 3, "%02x", id[i]);
		return true;
	}
	return false;
}

/* The GNU build id note, in hex; from the sections, or the program headers of a file stripped
 * of its section headers. */
void elf_build_id_hex(Elf *elf, char *hex, size_t hexlen)
{
	hex[0] = 0;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE &&
		    build_id_in_notes(elf_getdata(scn, NULL), hex, hexlen))
			return;
	}
	size_t n;
	if (elf_getphdrnum(elf, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_NOTE &&
		    build_id_in_notes(
			elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR),
			hex, hexlen))
			return;
	}
}

/* Functions outrank untyped labels (hand-written assembly such as ld.so's _start) at an address
 * both name; among each, global over weak over local. */
static uint8_t symbol_rank(int type, unsigned char bind)
{
	uint8_t b = bind == STB_GLOBAL ? 2 : bind == STB_WEAK ? 1 : 0;
	return type == STT_NOTYPE ? b : (uint8_t)(3 + b);
}

static bool in_code_section(Elf *elf, size_t shndx)
{
	GElf_Shdr sh;
	Elf_Scn *scn = shndx < SHN_LORESERVE ? elf_getscn(elf, shndx) : NULL;
	return scn && gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_EXECINSTR);
}

static bool wanted_symbol(Elf *elf, const GElf_Sym *sym)
{
	int type = GELF_ST_TYPE(sym->st_info);
	if (sym->st_shndx == SHN_UNDEF || !sym->st_value)
		return false;
	if (type == STT_FUNC || type == STT_GNU_IFUNC)
		return true;
	return type == STT_NOTYPE && in_code_section(elf, sym->st_shndx);
}

/* Where the function symbols of a file go: a table, or a search for one address. */
struct symbol_sink {
	bool (*wants)(void *arg, uint64_t addr); /* NULL: every symbol */
	int (*add)(void *arg, const struct sym_entry *e);
	void *arg;
};

static void read_symbols(Elf *elf, const struct symbol_sink *sink)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d || !sh.sh_entsize)
			continue;
		/* A 64-bit file's symbols are read in place: gelf_getsym takes a lock and copies
		 * for each of the tens of thousands a search goes through. */
		const GElf_Sym *in_place = gelf_getclass(elf) == ELFCLASS64 &&
						   d->d_type == ELF_T_SYM &&
						   sh.sh_entsize == sizeof(GElf_Sym)
					       ? d->d_buf
					       : NULL;
		size_t n = in_place ? d->d_size / sizeof(GElf_Sym) : sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym copy;
			const GElf_Sym *symp =
			    in_place ? &in_place[i] : gelf_getsym(d, (int)i, &copy);
			if (!symp)
				break;
			const GElf_Sym sym = *symp;
			if ((sink->wants && !sink->wants(sink->arg, sym.st_value)) ||
			    !wanted_symbol(elf, &sym))
				continue;
			const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
			/* Assembler-local and mapping labels are not functions. */
			if (!name || !*name || name[0] == '$' || !strncmp(name, ".L", 2))
				continue;
			struct sym_entry e = {.addr = sym.st_value,
					      .size = sym.st_size,
					      .name = name,
					      .bind_rank = symbol_rank(GELF_ST_TYPE(sym.st_info),
								       GELF_ST_BIND(sym.st_info))};
			if (sink->add(sink->arg, &e))
				return;
		}
	}
}

/* Every function symbol of the object, its debug file's and its PLT stubs'. */
static void each_symbol(struct elf_object *o, const struct symbol_sink *sink)
{
	read_symbols(o->main.elf, sink);
	for (size_t i = 0; i < o->plt.n; i++)
		if (!sink->wants || sink->wants(sink->arg, o->plt.e[i].addr))
			sink->add(sink->arg, &o->plt.e[i]);
	if (o->debug.elf)
		read_symbols(o->debug.elf, sink);
}

static Elf_Scn *section_named(Elf *elf, const char *want, GElf_Shdr *sh)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		if (gelf_getshdr(scn, sh) && (name = elf_strptr(elf, shstrndx, sh->sh_name)) &&
		    !strcmp(name, want))
			return scn;
	}
	return NULL;
}

/* x86-64 PLT stubs get perf's "foo@plt" names: stub i (in .plt.sec when the binary has one,
 * else after .plt's header stub) jumps through the GOT slot of .rela.plt's entry i. */
#define PLT_ENTRY_SIZE 16

static void read_plt(struct elf_object *o)
{
	Elf *elf = o->main.elf;
	GElf_Shdr rel_sh, plt_sh, sym_sh;
	Elf_Scn *rel = section_named(elf, ".rela.plt", &rel_sh);
	Elf_Scn *plt = section_named(elf, ".plt.sec", &plt_sh);
	uint64_t first = 0;
	if (!plt) {
		plt = section_named(elf, ".plt", &plt_sh);
		first = PLT_ENTRY_SIZE;
	}
	if (!rel || !plt || rel_sh.sh_type != SHT_RELA || !rel_sh.sh_entsize)
		return;
	Elf_Scn *dynsym = elf_getscn(elf, rel_sh.sh_link);
	Elf_Data *rd = elf_getdata(rel, NULL), *sd = dynsym ? elf_getdata(dynsym, NULL) : NULL;
	if (!rd || !sd || !gelf_getshdr(dynsym, &sym_sh))
		return;
	size_t n = rel_sh.sh_size / rel_sh.sh_entsize;
	if (first + n * PLT_ENTRY_SIZE > plt_sh.sh_size)
		return; /* not the layout this reads */
	o->plt_names = calloc(n, sizeof(*o->plt_names));
	if (!o->plt_names)
		return;
	for (size_t i = 0; i < n; i++) {
		GElf_Rela r;
		GElf_Sym sym;
		if (!gelf_getrela(rd, (int)i, &r) ||
		    !gelf_getsym(sd, (int)GELF_R_SYM(r.r_info), &sym))
			continue;
		const char *name = elf_strptr(elf, sym_sh.sh_link, sym.st_name);
		if (!name || !*name || asprintf(&o->plt_names[o->nplt], "%s@plt", name) < 0)
			continue;
		struct sym_entry e = {.addr = plt_sh.sh_addr + first + i * PLT_ENTRY_SIZE,
				      .size = PLT_ENTRY_SIZE,
				      .name = o->plt_names[o->nplt++]};
		sym_table_add(&o->plt, &e);
	}
}

/* The decompressed copy of this build id's debug file, when one was stored before. */
static bool load_cached_debug_file(struct elf_object *o)
{
	char path[PATH_MAX], id[sizeof(o->build_id)];
	int fd = o->build_id[0] ? debug_cache_open(o->build_id, path, sizeof(path)) : -ENOENT;
	if (fd < 0)
		return false;
	struct stat st;
	bool ok = !image_map_fd(&o->debug, fd, &st) && image_elf(&o->debug);
	close(fd);
	if (ok) {
		elf_build_id_hex(o->debug.elf, id, sizeof(id));
		ok = !strcmp(id, o->build_id);
	}
	if (ok)
		memcpy(o->debug_build_id, id, sizeof(id));
	if (!ok || !(o->debug_path = strdup(path))) {
		image_close(&o->debug);
		unlink(path); /* damaged or not this file's: stored again when next read */
		return false;
	}
	kiln_debug("debug file for %s: %s (decompressed copy)", o->path, path);
	return true;
}

/* The symbols of a debug file share the binary's link-time addresses, so both tables merge. */
static void load_debug_file(struct elf_object *o)
{
	if (load_cached_debug_file(o))
		return;
	char *path = NULL;
	struct debug_query q = {o->root, o->path, o->main.elf, o->build_id, o->dev, o->ino};
	int fd = debuginfo_find(&q, &path);
	if (fd < 0)
		return;
	struct stat st;
	if (image_map_fd(&o->debug, fd, &st) || !image_elf(&o->debug)) {
		image_close(&o->debug);
		free(path);
	} else {
		o->debug_path = path;
		elf_build_id_hex(o->debug.elf, o->debug_build_id, sizeof(o->debug_build_id));
		o->debug_to_cache = o->build_id[0] && debug_cache_worth_it(o->debug.elf);
		kiln_debug("debug file for %s: %s", o->path, path);
	}
	close(fd);
}

static int write_content_id(FILE *out, void *arg)
{
	fputs(arg, out);
	return ferror(out) ? -EIO : 0;
}

/* The content hash of a file without a build id, remembered in the cache by the file's version
 * (device, inode, size, change times: a change of content changes ctime): hashing its sections
 * read most of a large binary on every run. */
static void content_id(struct elf_object *o)
{
	char key[17] = "", stored[2 * ELF_CONTENT_ID_LEN + 2], path[PATH_MAX];
	if (o->ino) {
		uint64_t version[5] = {o->dev, o->ino, o->file_size, o->mtime_ns, o->ctime_ns};
		snprintf(key, sizeof(key), "%016llx",
			 (unsigned long long)hash_bytes(version, sizeof(version)));
		int fd = debug_cache_open_kind(key, ".cid", path, sizeof(path));
		ssize_t n = fd >= 0 ? read(fd, stored, sizeof(stored) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n == 2 * ELF_CONTENT_ID_LEN) {
			stored[n] = 0;
			memcpy(o->cache_id, stored, (size_t)n + 1);
			return;
		}
	}
	elf_content_id_hex(o->main.elf, o->cache_id, sizeof(o->cache_id));
	if (*key && strlen(o->cache_id) == 2 * ELF_CONTENT_ID_LEN)
		debug_cache_store_kind(key, ".cid", 2 * ELF_CONTENT_ID_LEN, write_content_id,
				       o->cache_id);
}

bool elf_object_parse(struct elf_object *o)
{
	if (o->parsed)
		return o->is_elf;
	o->parsed = true;
	if (!image_elf(&o->main))
		return false;
	o->is_elf = true;
	read_segments(o);
	elf_build_id_hex(o->main.elf, o->build_id, sizeof(o->build_id));
	if (o->build_id[0])
		memcpy(o->cache_id, o->build_id, sizeof(o->cache_id));
	else
		content_id(o);
	read_plt(o);
	load_debug_file(o);
	return true;
}

static int add_to_table(void *arg, const struct sym_entry *e)
{
	return sym_table_add(arg, e);
}

static bool nearest_wants(void *arg, uint64_t addr)
{
	return sym_nearest_wants(arg, addr);
}

static int add_to_nearest(void *arg, const struct sym_entry *e)
{
	sym_nearest_add(arg, e);
	return 0;
}

/* A library with a debug file has tens of thousands of symbols, and a table of them costs
 * reading, sorting and a MiB of fresh memory: worth it only for many lookups. The first ones
 * scan the symbols instead (an address the results cache, symbol/sym_cache.h, answers never
 * gets here). */
#define LOOKUPS_BEFORE_TABLE 32

const struct sym_entry *elf_object_symbol(struct elf_object *o, uint64_t vaddr)
{
	if (!elf_object_parse(o))
		return NULL;
	if (!o->symbols_read && o->symbol_scans < LOOKUPS_BEFORE_TABLE) {
		o->symbol_scans++;
		sym_nearest_init(&o->nearest, vaddr);
		each_symbol(o, &(struct symbol_sink){nearest_wants, add_to_nearest, &o->nearest});
		return sym_nearest_result(&o->nearest);
	}
	if (!o->symbols_read) {
		o->symbols_read = true;
		each_symbol(o, &(struct symbol_sink){NULL, add_to_table, &o->syms});
		sym_table_finish(&o->syms);
	}
	return sym_table_find(&o->syms, vaddr);
}

/* What, besides the object's own content, decides what its addresses resolve to: whether a
 * debug file was found, and which (a debug file found by .gnu_debuglink may have no build
 * id). Both of its caches are kept under it. */
static void debug_identity(struct elf_object *o, char *buf, size_t len)
{
	char content[2 * ELF_CONTENT_ID_LEN + 1] = "";
	if (!elf_object_parse(o) || !o->debug.elf) {
		snprintf(buf, len, "debug none");
		return;
	}
	const char *id = o->debug_build_id;
	if (!*id) {
		elf_content_id_hex(o->debug.elf, content, sizeof(content));
		id = *content ? content : "unknown";
	}
	snprintf(buf, len, "debug %s", id);
}

uint64_t elf_object_vaddr(const struct elf_object *o, uint64_t file_offset)
{
	for (size_t i = 0; i < o->nsegs; i++) {
		const struct elf_segment *s = &o->segs[i];
		if (file_offset >= s->offset && file_offset - s->offset < s->filesz)
			return file_offset - s->offset + s->vaddr;
	}
	/* Past every segment's file contents (or no segments): offsets are addresses. */
	if (o->nsegs)
		return file_offset - o->segs[0].offset + o->segs[0].vaddr;
	return file_offset;
}

struct dwarf_index *elf_object_dwarf(struct elf_object *o)
{
	if (o->dwarf_tried)
		return o->dwarf_index;
	o->dwarf_tried = true;
	if (!elf_object_parse(o))
		return NULL;
	if (o->debug.elf)
		o->dwarf = dwarf_begin_elf(o->debug.elf, DWARF_C_READ, NULL);
	/* libdw has just inflated the sections: the next run maps them instead. */
	if (o->dwarf && o->debug_to_cache) {
		int err = debug_cache_store(o->debug.elf, o->build_id);
		if (err)
			kiln_debug("no decompressed copy of %s: %s", o->debug_path, strerror(-err));
	}
	if (!o->dwarf)
		o->dwarf = dwarf_begin_elf(o->main.elf, DWARF_C_READ, NULL);
	if (o->dwarf) {
		char identity[160];
		debug_identity(o, identity, sizeof(identity));
		o->dwarf_index = dwarf_index_new(o->dwarf, o->cache_id, identity);
	}
	return o->dwarf_index;
}

struct sym_cache *elf_object_results(struct elf_object *o)
{
	if (o->results_tried)
		return o->results;
	o->results_tried = true;
	if (!elf_object_parse(o))
		return NULL;
	char identity[160];
	debug_identity(o, identity, sizeof(identity));
	o->results = sym_cache_open(o->cache_id, identity);
	return o->results;
}

void elf_object_save_caches(struct elf_object *o)
{
	/* Only caches: a failure to store costs the next run time, not results. */
	sym_cache_save(o->results);
	dwarf_index_save(o->dwarf_index);
}
