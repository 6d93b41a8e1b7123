#include "symbol/symbolizer.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "symbol/addr_map.h"
#include "symbol/demangle.h"
#include "symbol/dwarf_frames.h"
#include "symbol/elf_object.h"
#include "symbol/kallsyms.h"
#include "symbol/ksym_loader.h"
#include "symbol/process.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/proc_maps_text.h"
#include "util/vec.h"

/* Inline depth kept per location; deeper chains keep their innermost frames. */
#define MAX_INLINE 16
/* Cached location ids carry "unresolved" in the top bit, so cache hits still count right. */
/* Every change of a process's maps starts its entries afresh, leaving the old ones behind: past
 * this many the address cache is emptied (the object-level caches stay, so refilling is cheap). */
#define LOC_CACHE_MAX (1u << 22)
#define UNRESOLVED_BIT 0x80000000u

/* Lines resolved for one (object, address): profile ids, valid for the cached profile only. */
struct line_run {
	uint32_t first, n;
	bool resolved;
};

struct symbolizer {
	struct process **procs;
	size_t nprocs, procs_cap;
	struct addr_map pid_index; /* (pid, 0) -> index + 1 */
	struct elf_object **objs;
	size_t nobjs, objs_cap;
	struct addr_map obj_index; /* (dev, inode) -> object id */
	struct elf_object *vdso;
	bool vdso_tried;
	struct intern_table names; /* mapping names */
	uint64_t gen;
	/* Kernel symbols: asked of the kernel through BPF (klive) where kiln may, else read from a
	 * kallsyms file. */
	struct ksym_live *klive;
	struct kallsyms ksyms;
	bool ksyms_tried;
	struct sym_stats stats;

	/* Caches of profile ids, dropped when another profile comes. */
	struct kiln_profile *cached;
	struct addr_map loc_cache;  /* (process gen << 1 | ra, addr) -> location */
	struct addr_map kloc_cache; /* (ra, addr) -> location */
	uint64_t *kqueue;	    /* kernel addresses to look up together (sym_kernel_prefetch) */
	size_t nkqueue, kqueue_cap;
	struct addr_map run_cache;  /* (object id, lookup vaddr) -> run index + 1 */
	struct addr_map name_cache; /* (string address, 0 raw | 1 demangled) -> string id */
	struct line_run *runs;
	size_t nruns, runs_cap;
	struct kiln_line *lines;
	size_t nlines, lines_cap;
};

struct symbolizer *symbolizer_new(void)
{
	struct symbolizer *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	intern_init(&s->names);
	if (!intern_get(&s->names, "", 0, NULL)) {
		symbolizer_free(s);
		return NULL;
	}
	elf_version(EV_CURRENT);
	return s;
}

static void drop_caches(struct symbolizer *s)
{
	addr_map_clear(&s->loc_cache);
	addr_map_clear(&s->kloc_cache);
	addr_map_clear(&s->run_cache);
	addr_map_clear(&s->name_cache);
	s->nruns = s->nlines = 0;
}

void sym_forget_profile(struct symbolizer *s)
{
	drop_caches(s);
	s->cached = NULL;
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nprocs; i++)
		process_free(s->procs[i]);
	free(s->procs);
	for (size_t i = 0; i < s->nobjs; i++) {
		elf_object_save_caches(s->objs[i]);
		elf_object_free(s->objs[i]);
	}
	free(s->objs);
	addr_map_free(&s->pid_index);
	addr_map_free(&s->obj_index);
	addr_map_free(&s->loc_cache);
	addr_map_free(&s->kloc_cache);
	free(s->kqueue);
	addr_map_free(&s->run_cache);
	addr_map_free(&s->name_cache);
	intern_free(&s->names);
	kallsyms_free(&s->ksyms);
	ksym_live_free(s->klive);
	free(s->runs);
	free(s->lines);
	free(s);
}

/* ---- processes ---- */

static struct process *find_process(const struct symbolizer *s, int pid)
{
	uint32_t i = addr_map_get(&s->pid_index, (uint64_t)(uint32_t)pid, 0);
	return i ? s->procs[i - 1] : NULL;
}

static struct process *get_process(struct symbolizer *s, int pid)
{
	struct process *p = find_process(s, pid);
	if (p)
		return p;
	if (VEC_RESERVE(s->procs, s->procs_cap, s->nprocs + 1))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	p->gen = ++s->gen;
	if (addr_map_put(&s->pid_index, (uint64_t)(uint32_t)pid, 0, (uint32_t)s->nprocs + 1)) {
		free(p);
		return NULL;
	}
	s->procs[s->nprocs++] = p;
	return p;
}

static void maps_changed(struct symbolizer *s, struct process *p)
{
	p->gen = ++s->gen;
}

static void set_comm(struct process *p, const char *comm)
{
	/* The kernel's comm is at most 15 characters; longer input is cut like it would be. */
	size_t len = comm ? strnlen(comm, sizeof(p->comm) - 1) : 0;
	if (len)
		memcpy(p->comm, comm, len);
	p->comm[len] = 0;
}

const char *sym_process_name(struct symbolizer *s, int pid)
{
	struct process *p = find_process(s, pid);
	return p && p->comm[0] ? p->comm : NULL;
}

uint64_t sym_process_gen(struct symbolizer *s, int pid)
{
	struct process *p = find_process(s, pid);
	return p ? p->gen : 0;
}

void sym_process_comm(struct symbolizer *s, int pid, const char *comm, bool exec)
{
	struct process *p = get_process(s, pid);
	if (!p)
		return;
	set_comm(p, comm);
	if (exec) {
		/* The new image's mmaps follow; the old address space is gone. */
		p->n = 0;
		p->exited = false;
		perfmap_free(&p->jit);
		p->jit_loaded = false;
		p->jit_loaded_ns = 0;
		maps_changed(s, p);
	}
}

void sym_process_fork(struct symbolizer *s, int ppid, int pid)
{
	if (ppid == pid)
		return; /* a thread: it shares its process's maps */
	struct process *parent = find_process(s, ppid);
	struct process *child = get_process(s, pid);
	if (!child)
		return;
	child->exited = false;
	perfmap_free(&child->jit);
	child->jit_loaded = false;
	child->jit_loaded_ns = 0;
	if (parent) {
		set_comm(child, parent->comm);
		process_copy_maps(child, parent);
	} else {
		child->n = 0;
	}
	maps_changed(s, child);
}

void sym_process_exit(struct symbolizer *s, int pid)
{
	struct process *p = find_process(s, pid);
	if (p)
		p->exited = true;
}

/* ---- ELF objects ---- */

static struct elf_object *register_object(struct symbolizer *s, struct elf_object *o)
{
	if (VEC_RESERVE(s->objs, s->objs_cap, s->nobjs + 1)) {
		elf_object_free(o);
		return NULL;
	}
	s->objs[s->nobjs++] = o;
	o->id = (uint32_t)s->nobjs;
	return o;
}

static struct elf_object *vdso_object(struct symbolizer *s)
{
	if (s->vdso_tried)
		return s->vdso;
	s->vdso_tried = true;
	/* Every 64-bit process maps the same vdso image: kiln's own copy is as good as theirs. */
	size_t size;
	const void *image = vdso_image(&size);
	if (image) {
		struct elf_object *o = elf_object_from_memory(image, size, "[vdso]");
		if (o)
			s->vdso = register_object(s, o);
	}
	return s->vdso;
}

/* A process whose root is not ours lives in a container: its paths mean files under its root. */
static bool foreign_root(int pid)
{
	char path[64];
	struct stat a, b;
	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	return !stat(path, &a) && !stat("/", &b) && (a.st_dev != b.st_dev || a.st_ino != b.st_ino);
}

static struct elf_object *object_for_fd(struct symbolizer *s, int fd, const char *path, int pid)
{
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return NULL;
	uint32_t id = addr_map_get(&s->obj_index, st.st_dev, st.st_ino);
	if (id)
		return s->objs[id - 1];
	struct elf_object *o = elf_object_from_fd(fd, path);
	if (!o)
		return NULL;
	o = register_object(s, o);
	if (!o)
		return NULL;
	addr_map_put(&s->obj_index, st.st_dev, st.st_ino, o->id);
	if (pid > 0 && foreign_root(pid)) {
		if (asprintf(&o->root, "/proc/%d/root", pid) < 0)
			o->root = NULL;
		/* Its debug files are reachable only while it lives: look for them now. */
		elf_object_parse(o);
	}
	return o;
}

/* Opens a mapped file as the process sees it: through map_files (works for deleted and
 * replaced binaries), then through its root (containers), then by the plain path. */
static struct elf_object *open_object(struct symbolizer *s, int pid, uint64_t start, uint64_t end,
				      const char *path)
{
	if (!strcmp(path, "[vdso]"))
		return vdso_object(s);
	if (path[0] != '/' || !strncmp(path, "//anon", 6))
		return NULL;
	char buf[PATH_MAX + 64];
	int fd = -1;
	if (pid > 0) {
		snprintf(buf, sizeof(buf), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, start,
			 end);
		fd = open(buf, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			snprintf(buf, sizeof(buf), "/proc/%d/root%s", pid, path);
			fd = open(buf, O_RDONLY | O_CLOEXEC);
		}
	}
	if (fd < 0)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct elf_object *o = object_for_fd(s, fd, path, pid);
	close(fd);
	return o;
}

/* " (deleted)" is how the kernel marks an unlinked file; the name without it is the one the
 * user knows. */
static size_t clean_path_len(const char *path)
{
	size_t len = strlen(path);
	static const char deleted[] = " (deleted)";
	if (len > sizeof(deleted) - 1 && !strcmp(path + len - (sizeof(deleted) - 1), deleted))
		len -= sizeof(deleted) - 1;
	return len;
}

static void add_mapping(struct symbolizer *s, struct process *p, uint64_t start, uint64_t end,
			uint64_t pgoff, const char *filename)
{
	char path[PATH_MAX];
	size_t len = clean_path_len(filename);
	if (len >= sizeof(path))
		len = sizeof(path) - 1;
	memcpy(path, filename, len);
	path[len] = 0;
	struct vmap m = {.start = start, .end = end, .pgoff = pgoff};
	m.obj = open_object(s, p->pid, start, end, path);
	m.name = intern_get(&s->names, path, len, NULL);
	process_add_map(p, &m);
	maps_changed(s, p);
}

void sym_process_mmap(struct symbolizer *s, int pid, uint64_t start, uint64_t len, uint64_t pgoff,
		      const char *filename, bool executable)
{
	struct process *p = get_process(s, pid);
	if (!p || !len)
		return;
	if (!executable) {
		/* Mapped over: whatever code was there is gone. */
		process_remove_range(p, start, start + len);
		maps_changed(s, p);
		return;
	}
	add_mapping(s, p, start, start + len, pgoff, filename ? filename : "");
}

static void read_comm(struct process *p, int pid)
{
	char path[64], comm[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	if (n <= 0)
		return;
	comm[n] = 0;
	comm[strcspn(comm, "\n")] = 0;
	set_comm(p, comm);
}

struct scan {
	struct symbolizer *s;
	struct process *p;
};

static int scan_line(void *arg, const struct maps_line *m)
{
	struct scan *sc = arg;
	if (m->exec)
		add_mapping(sc->s, sc->p, m->start, m->end, m->offset, m->path);
	return 0;
}

int sym_scan_process(struct symbolizer *s, int pid)
{
	char *text;
	size_t len;
	int err = maps_read_text(pid, &text, &len);
	if (err)
		return err;
	struct process *p = get_process(s, pid);
	if (!p) {
		free(text);
		return -ENOMEM;
	}
	/* What /proc says now replaces what was known. */
	p->n = 0;
	p->exited = false;
	maps_changed(s, p);
	read_comm(p, pid);
	maps_parse_text(text, len, scan_line, &(struct scan){s, p});
	free(text);
	return 0;
}

int sym_scan_all(struct symbolizer *s)
{
	DIR *d = opendir("/proc");
	if (!d)
		return -errno;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		/* Processes that exit meanwhile or hide from us are simply not tracked. */
		sym_scan_process(s, atoi(e->d_name));
	}
	closedir(d);
	return 0;
}

/* ---- resolution ---- */

static void use_profile(struct symbolizer *s, struct kiln_profile *p)
{
	if (s->cached != p) {
		drop_caches(s);
		s->cached = p;
	}
}

/* String ids for names that live as long as the symbolizer (ELF images, kallsyms): keyed by
 * address, so each is hashed and demangled once. */
static uint32_t cached_str(struct symbolizer *s, struct kiln_profile *p, const char *str,
			   bool demangled)
{
	uint64_t k2 = demangled ? 1 : 0;
	uint32_t id = addr_map_get(&s->name_cache, (uintptr_t)str, k2);
	if (id)
		return id;
	char *dm = demangled ? kiln_demangle(str) : NULL;
	id = kiln_profile_intern_cstr(p, dm ? dm : str);
	free(dm);
	if (id)
		addr_map_put(&s->name_cache, (uintptr_t)str, k2, id);
	return id;
}

static uint32_t function_id(struct symbolizer *s, struct kiln_profile *p, const char *raw,
			    const char *decl_file, int decl_line)
{
	/* A name the demangler leaves alone needs one string id, not two. */
	uint32_t system_name = cached_str(s, p, raw, false);
	struct kiln_function f = {.name = kiln_may_be_mangled(raw) ? cached_str(s, p, raw, true)
								   : system_name,
				  .system_name = system_name,
				  .filename = decl_file ? cached_str(s, p, decl_file, false) : 0,
				  .start_line = decl_line};
	if (!f.name || !f.system_name)
		return 0;
	return kiln_profile_function(p, &f);
}

static uint32_t plain_function(struct kiln_profile *p, const char *name)
{
	return kiln_profile_function_named(p, name, strlen(name));
}

/* "[libfoo.so]" for code in a mapping without a symbol, perf's convention. */
static uint32_t module_function(struct symbolizer *s, struct kiln_profile *p, uint32_t name_id)
{
	const char *path = intern_key(&s->names, name_id, NULL);
	if (!path || !*path)
		return plain_function(p, "[unknown]");
	if (path[0] == '[')
		return plain_function(p, path);
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char buf[PATH_MAX + 2];
	snprintf(buf, sizeof(buf), "[%s]", base);
	return plain_function(p, buf);
}

static struct line_run *new_run(struct symbolizer *s, const struct kiln_line *lines, uint32_t n,
				bool resolved)
{
	if (VEC_RESERVE(s->runs, s->runs_cap, s->nruns + 1) ||
	    VEC_RESERVE(s->lines, s->lines_cap, s->nlines + n))
		return NULL;
	struct line_run *r = &s->runs[s->nruns++];
	*r = (struct line_run){(uint32_t)s->nlines, n, resolved};
	memcpy(s->lines + s->nlines, lines, n * sizeof(*lines));
	s->nlines += n;
	return r;
}

/* Symbol and inline chain at a link-time address of an object, read from the object: innermost
 * first, the outermost (out-of-line) function last, named by the ELF symbol where there is one.
 * A NULL name last: nothing names the address. */
static int frames_in_object(struct elf_object *o, uint64_t vaddr, struct src_frame *out)
{
	int nf = dwarf_src_frames(elf_object_dwarf(o), vaddr, out, MAX_INLINE);
	const struct sym_entry *sym = elf_object_symbol(o, vaddr);
	if (!nf)
		out[nf++] = (struct src_frame){0};
	if (sym)
		out[nf - 1].name = sym->name;
	return nf;
}

/* The frames at vaddr from the results cache, or read from the object and stored there. */
static int object_frames(struct elf_object *o, uint64_t vaddr, struct src_frame *out)
{
	struct sym_cache *c = elf_object_results(o);
	int n = c ? sym_cache_get(c, vaddr, out, MAX_INLINE) : 0;
	if (n)
		return n;
	n = frames_in_object(o, vaddr, out);
	if (c) /* only a cache: a failure to store costs time, not results */
		sym_cache_put(c, vaddr, out, n);
	return n;
}

/* The lines of an address as profile ids: innermost first, an unnamed out-of-line function
 * named after its mapping like perf ("[libfoo.so]"). */
static uint32_t resolve_in_object(struct symbolizer *s, struct kiln_profile *p,
				  struct elf_object *o, uint64_t vaddr, uint32_t module,
				  struct kiln_line *out, bool *resolved)
{
	struct src_frame fr[MAX_INLINE];
	int nf = object_frames(o, vaddr, fr);
	for (int i = 0; i + 1 < nf; i++) {
		const char *name = fr[i].name ? fr[i].name : "[unknown]";
		out[i] = (struct kiln_line){
		    function_id(s, p, name, fr[i].decl_file, fr[i].decl_line), fr[i].line};
	}
	const struct src_frame *outer = &fr[nf - 1];
	*resolved = outer->name != NULL;
	if (outer->name)
		out[nf - 1] = (struct kiln_line){
		    function_id(s, p, outer->name, outer->decl_file, outer->decl_line),
		    outer->line};
	else
		out[nf - 1] = (struct kiln_line){module_function(s, p, module), 0};
	for (int i = 0; i < nf; i++)
		if (!out[i].function)
			return 0;
	return (uint32_t)nf;
}

static const struct line_run *object_lines(struct symbolizer *s, struct kiln_profile *p,
					   struct elf_object *o, uint64_t vaddr, uint32_t module)
{
	uint32_t r = addr_map_get(&s->run_cache, o->id, vaddr);
	if (r)
		return &s->runs[r - 1];
	struct kiln_line lines[MAX_INLINE];
	bool resolved;
	uint32_t n = resolve_in_object(s, p, o, vaddr, module, lines, &resolved);
	if (!n)
		return NULL;
	struct line_run *run = new_run(s, lines, n, resolved);
	if (run)
		addr_map_put(&s->run_cache, o->id, vaddr, (uint32_t)(run - s->runs) + 1);
	return run;
}

static uint32_t profile_mapping(struct symbolizer *s, struct kiln_profile *p, const struct vmap *m)
{
	const char *name = intern_key(&s->names, m->name, NULL);
	struct kiln_mapping km = {.start = m->start,
				  .limit = m->end,
				  .offset = m->pgoff,
				  .filename = kiln_profile_intern_cstr(p, name)};
	if (m->obj && m->obj->build_id[0])
		km.build_id = kiln_profile_intern_cstr(p, m->obj->build_id);
	return kiln_profile_mapping(p, &km);
}

/* The pid a process knows itself by (the last NSpid entry): inside a container it is not the
 * host's, and its JIT writes /tmp/perf-<that pid>.map under the container's root. */
static int namespace_pid(int pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	int ns = pid;
	if (!f)
		return pid;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "NSpid:", 6))
			continue;
		char *save = NULL;
		for (char *tok = strtok_r(line + 6, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save))
			ns = atoi(tok);
		break;
	}
	fclose(f);
	return ns;
}

static void jit_map_path(const struct process *pr, char *path, size_t len)
{
	snprintf(path, len, "/tmp/perf-%d.map", pr->pid);
	if (pr->exited || !access(path, R_OK))
		return;
	int ns = namespace_pid(pr->pid);
	if (ns != pr->pid)
		snprintf(path, len, "/proc/%d/root/tmp/perf-%d.map", pr->pid, ns);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A busy JIT appends all the time; reading its whole map again for every address it has not
 * written yet would be quadratic, so a grown map is read again at most this often. */
#define JIT_RELOAD_NS (50 * 1000000ull)
/* Most processes have no map: looked for again (it may appear) at most this often, so stray
 * addresses do not cost a few system calls each. */
#define JIT_RETRY_NS (1000 * 1000000ull)

/* JIT code: the process's perf map, read again when the JIT has appended to it since. */
static const struct sym_entry *jit_symbol(struct process *pr, uint64_t addr)
{
	uint64_t now = now_ns();
	if (pr->jit_loaded) {
		const struct sym_entry *e = sym_table_find(&pr->jit.syms, addr);
		if (e || now - pr->jit_loaded_ns < JIT_RELOAD_NS)
			return e;
	} else if (pr->jit_loaded_ns && now - pr->jit_loaded_ns < JIT_RETRY_NS) {
		return NULL;
	}
	char path[96];
	jit_map_path(pr, path, sizeof(path));
	struct stat st;
	pr->jit_loaded_ns = now;
	if (stat(path, &st) || (pr->jit_loaded && st.st_size == pr->jit.size))
		return NULL;
	perfmap_free(&pr->jit);
	pr->jit_loaded = !perfmap_load(&pr->jit, path);
	return pr->jit_loaded ? sym_table_find(&pr->jit.syms, addr) : NULL;
}

/* JIT frames sit in a mapping named after the perf map, as perf names their dso: readers of the
 * profile (pprof) tell JIT code by that name. */
static uint32_t jit_mapping(struct kiln_profile *p, const struct process *pr, const struct vmap *m,
			    const struct sym_entry *j)
{
	char name[64];
	snprintf(name, sizeof(name), "/tmp/perf-%d.map", pr->pid);
	struct kiln_mapping km = {.start = m ? m->start : j->addr,
				  .limit = m ? m->end : j->addr + j->size,
				  .filename = kiln_profile_intern_cstr(p, name)};
	return km.filename ? kiln_profile_mapping(p, &km) : 0;
}

static uint32_t resolve_user(struct symbolizer *s, struct kiln_profile *p, struct process *pr,
			     uint64_t addr, bool ra, bool *resolved)
{
	const struct vmap *m = process_find_map(pr, addr);
	uint32_t mapping = m ? profile_mapping(s, p, m) : 0;
	if (m && m->obj && elf_object_parse(m->obj)) {
		uint64_t vaddr = elf_object_vaddr(m->obj, addr - m->start + m->pgoff);
		const struct line_run *run =
		    object_lines(s, p, m->obj, ra && vaddr ? vaddr - 1 : vaddr, m->name);
		if (!run)
			return 0;
		*resolved = run->resolved;
		/* Build the mapping again: parsing just now may have found its build id. */
		mapping = profile_mapping(s, p, m);
		return kiln_profile_location(p, mapping, addr, KILN_FRAME_USER,
					     s->lines + run->first, run->n);
	}
	const struct sym_entry *j = jit_symbol(pr, ra && addr ? addr - 1 : addr);
	if (j) {
		*resolved = true;
		struct kiln_line l = {plain_function(p, j->name), 0};
		mapping = jit_mapping(p, pr, m, j);
		return l.function ? kiln_profile_location(p, mapping, addr, KILN_FRAME_JIT, &l, 1)
				  : 0;
	}
	*resolved = false;
	struct kiln_line l = {m ? module_function(s, p, m->name) : plain_function(p, "[unknown]"),
			      0};
	return l.function ? kiln_profile_location(p, mapping, addr, KILN_FRAME_USER, &l, 1) : 0;
}

static uint32_t user_location(struct symbolizer *s, struct kiln_profile *p, int pid, uint64_t addr,
			      bool ra)
{
	use_profile(s, p);
	struct process *pr = get_process(s, pid);
	if (!pr)
		return 0;
	uint64_t key = pr->gen << 1 | (ra ? 1 : 0);
	uint32_t v = addr_map_get(&s->loc_cache, key, addr);
	if (!v) {
		bool resolved = false;
		uint32_t loc = resolve_user(s, p, pr, addr, ra, &resolved);
		if (!loc)
			return 0;
		v = loc | (resolved ? 0 : UNRESOLVED_BIT);
		if (s->loc_cache.count >= LOC_CACHE_MAX)
			addr_map_clear(&s->loc_cache);
		addr_map_put(&s->loc_cache, key, addr, v);
	}
	if (v & UNRESOLVED_BIT)
		s->stats.user_unresolved++;
	else
		s->stats.user_resolved++;
	return v & ~UNRESOLVED_BIT;
}

uint32_t sym_user_location(struct symbolizer *s, struct kiln_profile *p, int pid, uint64_t addr)
{
	return user_location(s, p, pid, addr, false);
}

uint32_t sym_user_location_ra(struct symbolizer *s, struct kiln_profile *p, int pid, uint64_t addr)
{
	return user_location(s, p, pid, addr, true);
}

/* ---- kernel ---- */

int sym_load_kallsyms(struct symbolizer *s, const char *path)
{
	kallsyms_free(&s->ksyms);
	ksym_live_free(s->klive);
	s->klive = NULL;
	s->ksyms_tried = true;
	drop_caches(s);
	s->cached = NULL;
	int err = kallsyms_load(&s->ksyms, path);
	s->stats.kernel_addresses_hidden = s->ksyms.hidden;
	if (err)
		kiln_warn("cannot read %s (%s): kernel frames show as [unknown]", path,
			  strerror(-err));
	else if (s->ksyms.hidden)
		kiln_warn(
		    "kernel addresses are hidden (kernel.kptr_restrict): kernel frames show "
		    "as [unknown]; run as root with sysctl kernel.kptr_restrict=0 to see them");
	return err;
}

static void kernel_symbols_ready(struct symbolizer *s)
{
	if (s->ksyms_tried)
		return;
	s->ksyms_tried = true;
	if (ksym_live_open(&s->klive))
		sym_load_kallsyms(s, "/proc/kallsyms");
}

static uint32_t kernel_mapping(struct kiln_profile *p, const char *module, uint64_t lo, uint64_t hi)
{
	char name[256];
	snprintf(name, sizeof(name), "[%s]", module);
	struct kiln_mapping km = {
	    .start = lo, .limit = hi, .filename = kiln_profile_intern_cstr(p, name)};
	return kiln_profile_mapping(p, &km);
}

/* The function and mapping of a kernel address, from whichever source is in use: both keep
 * functions in a sym_table whose group is the module. */
static bool kernel_symbol(struct symbolizer *s, struct kiln_profile *p, uint64_t addr,
			  const char **name, uint32_t *mapping)
{
	const struct sym_entry *e =
	    s->klive ? ksym_live_find(s->klive, addr) : kallsyms_find(&s->ksyms, addr);
	if (!e)
		return false;
	uint64_t lo, hi;
	const char *module;
	if (s->klive) {
		module = ksym_live_module(s->klive, e->group, &lo, &hi);
	} else {
		module = s->ksyms.mods[e->group];
		lo = s->ksyms.lo[e->group];
		hi = s->ksyms.hi[e->group];
	}
	*name = e->name;
	*mapping = kernel_mapping(p, module, lo, hi);
	return true;
}

static uint32_t resolve_kernel(struct symbolizer *s, struct kiln_profile *p, uint64_t addr, bool ra,
			       bool *resolved)
{
	const char *name;
	uint32_t mapping = 0;
	*resolved = kernel_symbol(s, p, ra && addr ? addr - 1 : addr, &name, &mapping);
	struct kiln_line l = {
	    *resolved ? function_id(s, p, name, NULL, 0) : plain_function(p, "[unknown]"), 0};
	return l.function ? kiln_profile_location(p, mapping, addr, KILN_FRAME_KERNEL, &l, 1) : 0;
}

void sym_kernel_prefetch(struct symbolizer *s, const uint64_t *stack, size_t n)
{
	kernel_symbols_ready(s);
	if (!s->klive || !n || VEC_RESERVE(s->kqueue, s->kqueue_cap, s->nkqueue + n))
		return;
	for (size_t i = 0; i < n; i++)
		if (!addr_map_get(&s->kloc_cache, i ? 1 : 0, stack[i]))
			s->kqueue[s->nkqueue++] = i && stack[i] ? stack[i] - 1 : stack[i];
}

/* What fails here is looked up one by one. */
static void run_kernel_queue(struct symbolizer *s)
{
	if (s->klive && s->nkqueue)
		ksym_live_prefetch(s->klive, s->kqueue, s->nkqueue);
	s->nkqueue = 0;
}

static uint32_t kernel_location(struct symbolizer *s, struct kiln_profile *p, uint64_t addr,
				bool ra)
{
	kernel_symbols_ready(s);
	run_kernel_queue(s);
	use_profile(s, p);
	uint32_t v = addr_map_get(&s->kloc_cache, ra ? 1 : 0, addr);
	if (!v) {
		bool resolved;
		uint32_t loc = resolve_kernel(s, p, addr, ra, &resolved);
		if (!loc)
			return 0;
		v = loc | (resolved ? 0 : UNRESOLVED_BIT);
		addr_map_put(&s->kloc_cache, ra ? 1 : 0, addr, v);
	}
	if (v & UNRESOLVED_BIT)
		s->stats.kernel_unresolved++;
	else
		s->stats.kernel_resolved++;
	return v & ~UNRESOLVED_BIT;
}

uint32_t sym_kernel_location(struct symbolizer *s, struct kiln_profile *p, uint64_t addr)
{
	return kernel_location(s, p, addr, false);
}

uint32_t sym_kernel_location_ra(struct symbolizer *s, struct kiln_profile *p, uint64_t addr)
{
	return kernel_location(s, p, addr, true);
}

void sym_get_stats(const struct symbolizer *s, struct sym_stats *out)
{
	*out = s->stats;
	out->processes = s->nprocs;
	out->elf_files = s->nobjs;
	out->debug_files = 0;
	for (size_t i = 0; i < s->nobjs; i++)
		out->debug_files += s->objs[i]->debug.elf != NULL;
}
