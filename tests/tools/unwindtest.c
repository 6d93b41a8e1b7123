/* Test harness for the BPF DWARF unwinder (collect/unwindtest.bpf.c + collect/unwind.bpf.h).
 *
 *   unwindtest record PID SECONDS [FREQ] [COPY_BYTES]
 *       samples PID (and a child it forks: lines tagged C) on cpu-clock, prints one line per
 *       sample: "B stop ip ip ..." (the kernel's
 *       unwind, leaf first, hex) and with COPY_BYTES also "R stop ip ..." (the user-space
 *       reference unwinder on the copied stack) and "L 0 ip ..." (libdw on the same copy).
 *       Summary on stderr.
 *   unwindtest record-fp PID SECONDS [FREQ]
 *       the same with bpf_get_stack (frame pointers), to compare the per-sample cost.
 *   unwindtest cost[-fp] PID SECONDS [FREQ]
 *       unwinds (or bpf_get_stack) without sending anything: the BPF run time per sample.
 *   unwindtest fold PID < stacks
 *       symbolizes lines "tag stop ip ip ..." (ip: hex address, or hex file offset@path as
 *       perf script prints them) with PID's mappings (ELF .symtab/.dynsym) into
 *       folded stacks (root first) on stdout; on stderr the share of samples reaching main.
 *   unwindtest sizes
 *       loads the tables of every process into BPF maps and reports their size.
 *   unwindtest compare A.folded B.folded
 *       share of A's weight whose stack also occurs in B and the reverse, and the overlap of
 *       the two distributions.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collect/unwind_maps.h"
#include "collect/unwindtest.h"
#include "collect/unwindtest.skel.h"
#include "unwind/proc_maps.h"
#include "unwind/unwind_libdw.h"
#include "unwind/unwind_user.h"
#include "util/hash.h"
#include "util/perf_event.h"
#include "util/vec.h"

static const char *const stop_names[] = {"end",		"max", "memory", "noinfo",
					 "unsupported", "bad", "noregs"};

/* --- record --------------------------------------------------------------------------------- */

struct recorder {
	int pid;
	struct unwind_space space; /* reference: rebuilt with each rescan */
	struct unwind_libdw *dw;   /* the copy mode's libdw unwinder */
	uint64_t samples, agree, dw_agree, compared, stops[UNWIND_BPF_STOP_NR];
};

static void print_stack(char tag, uint32_t stop, const uint64_t *ips, uint32_t n)
{
	printf("%c %s", tag, stop < UNWIND_BPF_STOP_NR ? stop_names[stop] : "?");
	for (uint32_t i = 0; i < n; i++)
		printf(" %" PRIx64, ips[i]);
	putchar('\n');
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct recorder *r = ctx;
	const struct unwindtest_event *e = data;
	if (size < sizeof(*e))
		return 0;
	uint32_t n = e->n < UNWIND_MAX_FRAMES ? e->n : UNWIND_MAX_FRAMES;
	r->samples++;
	r->stops[e->stop < UNWIND_BPF_STOP_NR ? e->stop : UNWIND_BPF_BAD]++;
	print_stack(e->pid == (uint32_t)r->pid ? 'B' : 'C', e->stop, (const uint64_t *)e->ips, n);
	if (!e->copy.size)
		return 0;
	struct unwind_regs regs = {e->copy.ip, e->copy.sp, e->copy.bp,
				   e->copy.flags & UNWIND_COPY_AFTER_SYSCALL};
	struct unwind_mem mem = {e->copy.sp, e->copy.data, e->copy.size};
	uint64_t ips[UNWIND_MAX_FRAMES];
	enum unwind_stop stop;
	int rn = unwind_user(&r->space, &regs, &mem, ips, UNWIND_MAX_FRAMES, &stop);
	print_stack('R', (uint32_t)stop, ips, (uint32_t)rn);
	r->compared++;
	if ((uint32_t)rn == n && memcmp(ips, e->ips, n * sizeof(*ips)) == 0)
		r->agree++;
	int dn = r->dw ? unwind_libdw(r->dw, &regs, &mem, ips, UNWIND_MAX_FRAMES) : 0;
	if (dn > 0)
		print_stack('L', 0, ips, (uint32_t)dn);
	if (dn > 0 && (uint32_t)dn == n && memcmp(ips, e->ips, n * sizeof(*ips)) == 0)
		r->dw_agree++;
	return 0;
}

static volatile sig_atomic_t stop_flag;
static void on_sigint(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_cpu_clock(int cpu, uint64_t freq)
{
	struct perf_event_attr attr = {
	    .type = PERF_TYPE_SOFTWARE,
	    .config = PERF_COUNT_SW_CPU_CLOCK,
	    .size = sizeof(attr),
	    .freq = 1,
	    .sample_freq = freq,
	};
	return sys_perf_event_open(&attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static int cmd_record(int pid, double seconds, uint64_t freq, uint32_t copy, bool fp, bool discard)
{
	struct unwindtest_bpf *skel = unwindtest_bpf__open();
	if (!skel) {
		fprintf(stderr, "unwindtest: cannot open BPF object\n");
		return 1;
	}
	skel->rodata->target_tgid = (uint32_t)pid;
	skel->rodata->copy_bytes = copy;
	skel->rodata->use_fp = fp;
	skel->rodata->discard = discard;
	int err = unwindtest_bpf__load(skel);
	if (err) {
		fprintf(stderr, "unwindtest: BPF load failed: %s\n", strerror(-err));
		return 1;
	}
	struct unwind_maps_fds fds = {
	    .rows = bpf_map__fd(skel->maps.unwind_rows),
	    .objs = bpf_map__fd(skel->maps.unwind_objs),
	    .procs = bpf_map__fd(skel->maps.unwind_procs),
	    .stats = bpf_map__fd(skel->maps.unwind_stats),
	    .wanted = bpf_map__fd(skel->maps.unwind_wanted),
	};
	struct unwind_maps *um;
	double t0 = now();
	if ((err = unwind_maps_new(&um, &fds, bpf_map__max_entries(skel->maps.unwind_rows))) ||
	    (err = unwind_maps_add_pid(um, pid))) {
		fprintf(stderr, "unwindtest: cannot load unwind tables of %d: %s\n", pid,
			strerror(-err));
		return 1;
	}
	double load_s = now() - t0;
	struct recorder r = {.pid = pid};
	unwind_space_from_pid(pid, &r.space);
	if (copy && unwind_libdw_new(pid, &r.dw))
		r.dw = NULL;

	int ncpu = libbpf_num_possible_cpus();
	struct bpf_link **links = calloc((size_t)ncpu, sizeof(*links));
	int *pfds = calloc((size_t)ncpu, sizeof(*pfds));
	for (int c = 0; c < ncpu; c++) {
		pfds[c] = open_cpu_clock(c, freq);
		if (pfds[c] < 0)
			continue;
		links[c] = bpf_program__attach_perf_event(skel->progs.unwindtest_sample, pfds[c]);
		if (!links[c]) {
			fprintf(stderr, "unwindtest: attach failed on cpu %d\n", c);
			return 1;
		}
	}
	struct bpf_link *exec_link = bpf_program__attach(skel->progs.unwindtest_exec);
	struct bpf_link *fork_link = bpf_program__attach(skel->progs.unwindtest_fork);
	uint64_t execs = 0, misses = 0; /* either changing means new code: rescan now */
	double last_scan = 0;
	int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME); /* per-sample cost */
	struct ring_buffer *rb =
	    ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, &r, NULL);
	signal(SIGINT, on_sigint);
	signal(SIGTERM, on_sigint);
	double end = now() + seconds, next_scan = now() + 0.5;
	while (!stop_flag && now() < end) {
		ring_buffer__poll(rb, 100);
		uint64_t cnt[UNWIND_STAT_NR];
		bool miss =
		    unwind_maps_read_counters(um, cnt) == 0 && cnt[UNWIND_STAT_MAP_MISS] != misses;
		if (now() >= next_scan || skel->bss->execs != execs ||
		    (miss && now() >= last_scan + 0.05)) {
			last_scan = now();
			execs = skel->bss->execs;
			misses = cnt[UNWIND_STAT_MAP_MISS];
			next_scan = now() + 0.5;
			if (unwind_maps_add_pid(um, pid) == -ESRCH)
				break;
			unwind_space_free(&r.space);
			unwind_space_from_pid(pid, &r.space);
			if (r.dw)
				unwind_libdw_refresh(r.dw);
		}
	}
	for (int c = 0; c < ncpu; c++) {
		bpf_link__destroy(links[c]);
		if (pfds[c] >= 0)
			close(pfds[c]);
	}
	ring_buffer__consume(rb);
	bpf_link__destroy(exec_link);
	bpf_link__destroy(fork_link);
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);
	if (stats_fd >= 0 &&
	    bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.unwindtest_sample), &info, &len) ==
		0 &&
	    info.run_cnt)
		fprintf(stderr,
			"bpf program: %llu runs, %.0f ns per run, %.0f ns per sample (%s)\n",
			(unsigned long long)info.run_cnt, (double)info.run_time_ns / info.run_cnt,
			skel->bss->sampled ? (double)info.run_time_ns / (double)skel->bss->sampled
					   : 0.0,
			fp     ? "frame pointers"
			: copy ? "dwarf + stack copy"
			       : "dwarf");
	if (stats_fd >= 0)
		close(stats_fd);

	uint64_t cnt[UNWIND_STAT_NR];
	struct unwind_maps_stats st;
	unwind_maps_read_counters(um, cnt);
	unwind_maps_get_stats(um, &st);
	fprintf(stderr, "samples %" PRIu64 " dropped %llu", r.samples,
		(unsigned long long)skel->bss->dropped);
	for (int i = 0; i < UNWIND_BPF_STOP_NR; i++)
		fprintf(stderr, " %s %" PRIu64, stop_names[i], r.stops[i]);
	fprintf(stderr,
		"\nframes %" PRIu64 " dwarf-steps %" PRIu64 " fp-steps %" PRIu64 " no-proc %" PRIu64
		"\ntables: %u objects (%u without CFI), %" PRIu64 " rows, %" PRIu64
		" bytes, loaded in %.0f ms\n",
		cnt[UNWIND_STAT_FRAMES], cnt[UNWIND_STAT_DWARF_FRAMES], cnt[UNWIND_STAT_FP_FRAMES],
		cnt[UNWIND_STAT_NO_PROC], st.objects, st.objects_no_cfi, st.rows_used,
		st.table_bytes, load_s * 1e3);
	if (r.compared)
		fprintf(stderr, "reference agreement %" PRIu64 "/%" PRIu64 " (%.2f%%)\n", r.agree,
			r.compared, 100.0 * (double)r.agree / (double)r.compared);
	if (r.compared && r.dw)
		fprintf(stderr, "libdw agreement %" PRIu64 "/%" PRIu64 " (%.2f%%)\n", r.dw_agree,
			r.compared, 100.0 * (double)r.dw_agree / (double)r.compared);
	unwind_libdw_free(r.dw);
	ring_buffer__free(rb);
	unwind_space_free(&r.space);
	unwind_maps_free(um);
	unwindtest_bpf__destroy(skel);
	free(links);
	free(pfds);
	return r.samples || discard ? 0 : 2;
}

/* --- fold: a small ELF symbolizer ----------------------------------------------------------- */

struct sym {
	uint64_t addr, size;
	const char *name;
};

struct object {
	struct proc_map map;
	uint64_t bias;
	struct sym *syms;
	size_t nsyms;
	char *strings;
};

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void load_symbols(struct object *o, Elf *elf)
{
	size_t cap = 0, scap = 0, slen = 0;
	for (int pass = 0; pass < 2 && !o->nsyms; pass++) {
		Elf_Scn *scn = NULL;
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh) ||
			    sh.sh_type != (pass == 0 ? SHT_SYMTAB : SHT_DYNSYM) || !sh.sh_entsize)
				continue;
			Elf_Data *d = elf_getdata(scn, NULL);
			for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
				GElf_Sym s;
				const char *name;
				if (!gelf_getsym(d, (int)i, &s) ||
				    GELF_ST_TYPE(s.st_info) != STT_FUNC || !s.st_value ||
				    !(name = elf_strptr(elf, sh.sh_link, s.st_name)))
					continue;
				size_t len = strlen(name) + 1;
				if (VEC_RESERVE(o->syms, cap, o->nsyms + 1) ||
				    VEC_RESERVE(o->strings, scap, slen + len))
					return;
				memcpy(o->strings + slen, name, len);
				o->syms[o->nsyms++] =
				    (struct sym){s.st_value, s.st_size, (char *)slen};
				slen += len;
			}
		}
	}
	for (size_t i = 0; i < o->nsyms; i++)
		o->syms[i].name = o->strings + (size_t)o->syms[i].name;
	if (o->nsyms) /* gzip has no .symtab: no symbols, and qsort must not see NULL */
		qsort(o->syms, o->nsyms, sizeof(*o->syms), sym_cmp);
}

static const char *symbolize(struct object *objs, size_t n, uint64_t addr, char *buf, size_t size)
{
	for (size_t i = 0; i < n; i++) {
		struct object *o = &objs[i];
		if (addr < o->map.start || addr >= o->map.end)
			continue;
		uint64_t v = addr - o->bias;
		size_t lo = 0, hi = o->nsyms;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (o->syms[mid].addr <= v)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo &&
		    v < o->syms[lo - 1].addr + (o->syms[lo - 1].size ? o->syms[lo - 1].size : 1))
			return o->syms[lo - 1].name;
		const char *base = o->map.path ? strrchr(o->map.path, '/') : NULL;
		snprintf(buf, size, "[%s]", base ? base + 1 : o->map.vdso ? "vdso" : "?");
		return buf;
	}
	return "[unknown]";
}

/* perf script prints user frames as file offset + path: back to this process's address. */
static bool file_address(const struct proc_map *pms, size_t n, const char *path, uint64_t off,
			 uint64_t *addr)
{
	for (size_t i = 0; i < n; i++) {
		const struct proc_map *m = &pms[i];
		if (m->path && strcmp(m->path, path) == 0 && off >= m->offset &&
		    off - m->offset < m->end - m->start) {
			*addr = m->start + (off - m->offset);
			return true;
		}
	}
	return false;
}

static int cmd_fold(int pid)
{
	struct proc_map *pms;
	size_t n;
	if (proc_maps_read(pid, &pms, &n)) {
		fprintf(stderr, "unwindtest: no process %d\n", pid);
		return 1;
	}
	elf_version(EV_CURRENT);
	struct object *objs = calloc(n ? n : 1, sizeof(*objs));
	for (size_t i = 0; i < n; i++) {
		objs[i].map = pms[i];
		int fd = pms[i].path ? proc_map_open(pid, &pms[i]) : -1;
		if (fd < 0)
			continue;
		Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
		if (elf && elf_fd_load_bias(fd, pms[i].start, pms[i].offset, &objs[i].bias) == 0)
			load_symbols(&objs[i], elf);
		elf_end(elf);
		close(fd);
	}
	struct intern_table stacks;
	intern_init(&stacks);
	uint64_t *counts = NULL;
	size_t ccap = 0;
	uint64_t total = 0, with_main = 0;
	char *line = NULL, *folded = malloc(1 << 16);
	size_t len = 0;
	while (getline(&line, &len, stdin) > 0) {
		uint64_t ips[256];
		int k = 0;
		char *save, *tok = strtok_r(line, " \n", &save);
		tok = tok ? strtok_r(NULL, " \n", &save) : NULL; /* skip tag, then stop */
		while (tok && (tok = strtok_r(NULL, " \n", &save)) && k < 256) {
			char *at = strchr(tok, '@');
			uint64_t a = strtoull(tok, NULL, 16);
			if (at && !file_address(pms, n, at + 1, a, &a))
				continue; /* kernel or unmapped frame in perf's output */
			if (a < 0xffff800000000000ULL)
				ips[k++] = a;
		}
		if (!k)
			continue;
		size_t fl = 0;
		bool main_seen = false;
		for (int i = k - 1; i >= 0; i--) {
			char buf[256];
			const char *name = symbolize(objs, n, ips[i], buf, sizeof(buf));
			main_seen = main_seen || strcmp(name, "main") == 0;
			fl += (size_t)snprintf(folded + fl, (1 << 16) - fl, "%s%s", fl ? ";" : "",
					       name);
			if (fl >= (1 << 16) - 300)
				break;
		}
		bool added;
		uint32_t id = intern_get(&stacks, folded, fl, &added);
		if (!id || VEC_RESERVE(counts, ccap, (size_t)id + 1))
			break;
		if (added)
			counts[id] = 0;
		counts[id]++;
		total++;
		with_main += main_seen;
	}
	for (uint32_t id = 1; id <= stacks.count; id++)
		printf("%s %" PRIu64 "\n", (const char *)intern_key(&stacks, id, NULL), counts[id]);
	fprintf(stderr, "samples %" PRIu64 " reaching main %" PRIu64 " (%.2f%%)\n", total,
		with_main, total ? 100.0 * (double)with_main / (double)total : 0.0);
	free(line);
	free(folded);
	free(counts);
	intern_free(&stacks);
	for (size_t i = 0; i < n; i++) {
		free(objs[i].syms);
		free(objs[i].strings);
	}
	free(objs);
	proc_maps_free(pms, n);
	return 0;
}

/* --- compare -------------------------------------------------------------------------------- */

struct folded {
	struct intern_table keys;
	uint64_t *counts;
	size_t cap;
	uint64_t total;
};

static int read_folded(const char *path, struct folded *f)
{
	FILE *in = fopen(path, "r");
	if (!in)
		return -errno;
	intern_init(&f->keys);
	char *line = NULL;
	size_t len = 0;
	ssize_t got;
	while ((got = getline(&line, &len, in)) > 0) {
		char *sp = strrchr(line, ' ');
		if (!sp)
			continue;
		uint64_t c = strtoull(sp + 1, NULL, 10);
		bool added;
		uint32_t id = intern_get(&f->keys, line, (size_t)(sp - line), &added);
		if (!id || VEC_RESERVE(f->counts, f->cap, (size_t)id + 1))
			break;
		if (added)
			f->counts[id] = 0;
		f->counts[id] += c;
		f->total += c;
	}
	free(line);
	fclose(in);
	return 0;
}

static void folded_free(struct folded *f)
{
	intern_free(&f->keys);
	free(f->counts);
}

/* Share of a's weight whose stack b also has. */
static double covered_share(const struct folded *a, const struct folded *b)
{
	uint64_t w = 0;
	for (uint32_t id = 1; id <= a->keys.count; id++) {
		size_t klen;
		const char *k = intern_key(&a->keys, id, &klen);
		if (intern_find(&b->keys, k, klen))
			w += a->counts[id];
	}
	return a->total ? 100.0 * (double)w / (double)a->total : 0.0;
}

static int cmd_compare(const char *pa, const char *pb)
{
	struct folded a = {0}, b = {0};
	if (read_folded(pa, &a) || read_folded(pb, &b) || !a.total || !b.total) {
		fprintf(stderr, "unwindtest: cannot read %s or %s (or empty)\n", pa, pb);
		folded_free(&a);
		folded_free(&b);
		return 1;
	}
	double overlap = 0;
	for (uint32_t id = 1; id <= a.keys.count; id++) {
		size_t klen;
		const char *k = intern_key(&a.keys, id, &klen);
		uint32_t other = intern_find(&b.keys, k, klen);
		if (!other)
			continue;
		double x = (double)a.counts[id] / (double)a.total;
		double y = (double)b.counts[other] / (double)b.total;
		overlap += x < y ? x : y;
	}
	printf("a-in-b %.2f b-in-a %.2f overlap %.2f\n", covered_share(&a, &b),
	       covered_share(&b, &a), 100.0 * overlap);
	folded_free(&a);
	folded_free(&b);
	return 0;
}

/* --- sizes: tables for every process ------------------------------------------------------ */

static int cmd_sizes(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, noprealloc, .map_flags = BPF_F_NO_PREALLOC);
	struct unwind_maps_fds fds = {
	    .rows = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sz_rows", 4, sizeof(struct cfi_row),
				   UNWIND_DEFAULT_ROWS, NULL),
	    .objs = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sz_objs", 4, sizeof(struct unwind_obj),
				   UNWIND_MAX_OBJS, NULL),
	    .procs = bpf_map_create(BPF_MAP_TYPE_HASH, "sz_procs", 4, sizeof(struct unwind_proc),
				    UNWIND_MAX_PROCS, &noprealloc),
	    .stats = -1,
	    .wanted = -1,
	};
	struct unwind_maps *um;
	if (fds.rows < 0 || fds.objs < 0 || fds.procs < 0 ||
	    unwind_maps_new(&um, &fds, UNWIND_DEFAULT_ROWS)) {
		fprintf(stderr, "unwindtest: cannot create BPF maps: %s\n", strerror(errno));
		return 1;
	}
	double t0 = now();
	DIR *d = opendir("/proc");
	struct dirent *de;
	int procs = 0;
	while (d && (de = readdir(d))) {
		int pid = atoi(de->d_name);
		if (pid > 0 && pid != getpid() && unwind_maps_add_pid(um, pid) == 0)
			procs++;
	}
	if (d)
		closedir(d);
	double scan_s = now() - t0;
	t0 = now();
	unwind_maps_rescan(um);
	struct unwind_maps_stats st;
	unwind_maps_get_stats(um, &st);
	printf("processes %d objects %u without-cfi %u rows %" PRIu64 " bytes %" PRIu64
	       " evictions %" PRIu64 " seconds %.2f rescan-seconds %.3f\n",
	       procs, st.objects, st.objects_no_cfi, st.rows_used, st.table_bytes, st.evictions,
	       scan_s, now() - t0);
	unwind_maps_free(um);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "sizes") == 0)
		return cmd_sizes();
	if (argc >= 4 && (strcmp(argv[1], "record") == 0 || strcmp(argv[1], "record-fp") == 0))
		return cmd_record(atoi(argv[2]), atof(argv[3]),
				  argc > 4 ? strtoull(argv[4], NULL, 10) : 999,
				  argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 10) : 0,
				  strcmp(argv[1], "record-fp") == 0, false);
	if (argc >= 4 && (strcmp(argv[1], "cost") == 0 || strcmp(argv[1], "cost-fp") == 0))
		return cmd_record(atoi(argv[2]), atof(argv[3]),
				  argc > 4 ? strtoull(argv[4], NULL, 10) : 999, 0,
				  strcmp(argv[1], "cost-fp") == 0, true);
	if (argc == 3 && strcmp(argv[1], "fold") == 0)
		return cmd_fold(atoi(argv[2]));
	if (argc == 4 && strcmp(argv[1], "compare") == 0)
		return cmd_compare(argv[2], argv[3]);
	fprintf(stderr, "usage: unwindtest record PID SECONDS [FREQ] [COPY_BYTES] | fold PID | "
			"compare A B | sizes\n");
	return 2;
}
