#include "symbol/ksym_loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbol/addr_map.h"
#include "symbol/ksym.h"
#include "symbol/ksym.skel.h"
#include "util/libbpf_log.h"
#include "util/log.h"
#include "util/vec.h"

struct ksym_module {
	char *name;
	uint64_t lo, hi;
};

struct ksym_live {
	struct ksym_bpf *skel;
	struct sym_table syms; /* the functions named so far; sorted after every batch */
	struct sym_entry pending[KSYM_BATCH]; /* named by the batch in progress */
	size_t npending;
	struct addr_map unknown; /* (0, addr) -> 1: the kernel has no symbol there */
	struct ksym_module *mods;
	size_t nmods, mods_cap;
};

static int add_module(struct ksym_live *k, const char *name, uint64_t lo, uint64_t hi)
{
	if (VEC_RESERVE(k->mods, k->mods_cap, k->nmods + 1))
		return -ENOMEM;
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	struct ksym_module *m = &k->mods[k->nmods++];
	m->name = copy;
	m->lo = lo;
	m->hi = hi;
	return (int)k->nmods - 1;
}

int ksym_live_open(struct ksym_live **out)
{
	struct ksym_live *k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	kiln_libbpf_quiet();
	k->skel = ksym_bpf__open_and_load();
	int err = k->skel ? 0 : -errno;
	if (!err && bpf_prog_test_run_opts(bpf_program__fd(k->skel->progs.ksym_text_range), NULL))
		err = -errno;
	if (!err && add_module(k, "kernel.kallsyms", k->skel->bss->batch.stext,
			       k->skel->bss->batch.etext) < 0)
		err = -ENOMEM;
	if (err) {
		kiln_debug("kernel symbols from BPF: %s; reading /proc/kallsyms", strerror(-err));
		ksym_live_free(k);
		return err;
	}
	*out = k;
	return 0;
}

void ksym_live_free(struct ksym_live *k)
{
	if (!k)
		return;
	ksym_bpf__destroy(k->skel);
	for (size_t i = 0; i < k->syms.n; i++)
		free((char *)k->syms.e[i].name);
	sym_table_free(&k->syms);
	addr_map_free(&k->unknown);
	for (size_t i = 0; i < k->nmods; i++)
		free(k->mods[i].name);
	free(k->mods);
	free(k);
}

/* Module text ranges, for the profile's mappings: /proc/modules gives each one's base and
 * size, read when a module's function is first met. */
static void read_module_ranges(struct ksym_live *k)
{
	FILE *f = fopen("/proc/modules", "re");
	if (!f)
		return;
	char name[64];
	unsigned long size;
	uint64_t base;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lu %*s %*s %*s %" SCNx64, name, &size, &base) != 3)
			continue;
		for (size_t i = 1; i < k->nmods; i++)
			if (!strcmp(k->mods[i].name, name)) {
				k->mods[i].lo = base;
				k->mods[i].hi = base + size;
			}
	}
	fclose(f);
}

static int module_index(struct ksym_live *k, const char *name)
{
	for (size_t i = 0; i < k->nmods; i++)
		if (!strcmp(k->mods[i].name, name))
			return (int)i;
	int m = add_module(k, name, 0, 0);
	if (m > 0 && strcmp(name, "bpf"))
		read_module_ranges(k);
	return m;
}

/* Parses %pS: "name+0xoff/0xsize", then " [module]" for a module's function, or just the
 * address in hex when the kernel has no symbol there. */
static int parse_symbol(struct ksym_live *k, uint64_t addr, char *text)
{
	char *mod = strstr(text, " [");
	if (mod) {
		*mod = '\0';
		mod += 2;
		mod[strcspn(mod, " ]")] =
		    '\0'; /* "[module buildid]" with CONFIG_STACKTRACE_BUILD_ID */
	}
	char *plus = strrchr(text, '+');
	uint64_t off, size;
	if (!plus || plus == text || sscanf(plus, "+%" SCNx64 "/%" SCNx64, &off, &size) != 2 ||
	    off > addr || !size)
		return addr_map_put(&k->unknown, 0, addr, 1);
	*plus = '\0';
	const char *module = mod ? mod : !strncmp(text, "bpf_prog_", 9) ? "bpf" : NULL;
	int m = module ? module_index(k, module) : 0;
	if (m < 0)
		return m;
	uint64_t start = addr - off;
	const struct sym_entry *seen = sym_table_find(&k->syms, start);
	for (size_t i = 0; i < k->npending && !seen; i++)
		if (k->pending[i].addr == start)
			seen = &k->pending[i];
	if (seen)
		return 0; /* another address of a function already named */
	char *name = strdup(text);
	if (!name)
		return -ENOMEM;
	k->pending[k->npending++] =
	    (struct sym_entry){.addr = start, .size = size, .name = name, .group = (uint16_t)m};
	return 0;
}

static int run_batch(struct ksym_live *k)
{
	struct ksym_batch *b = &k->skel->bss->batch;
	if (bpf_prog_test_run_opts(bpf_program__fd(k->skel->progs.ksym_resolve), NULL))
		return -errno;
	int err = 0;
	for (uint32_t i = 0; i < b->n && !err; i++) {
		b->text[i][KSYM_TEXT_LEN - 1] = '\0';
		err = parse_symbol(k, b->addrs[i], b->text[i]);
	}
	for (size_t i = 0; i < k->npending; i++)
		if (err || (err = sym_table_add(&k->syms, &k->pending[i])))
			free((char *)k->pending[i].name);
	k->npending = 0;
	sym_table_finish(&k->syms);
	b->n = 0;
	return err;
}

int ksym_live_prefetch(struct ksym_live *k, const uint64_t *addrs, size_t n)
{
	struct ksym_batch *b = &k->skel->bss->batch;
	b->n = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t a = addrs[i];
		if (sym_table_find(&k->syms, a) || addr_map_get(&k->unknown, 0, a))
			continue;
		bool queued = false;
		for (uint32_t j = 0; j < b->n && !queued; j++)
			queued = b->addrs[j] == a;
		if (queued)
			continue;
		b->addrs[b->n++] = a;
		if (b->n == KSYM_BATCH) {
			int err = run_batch(k);
			if (err)
				return err;
		}
	}
	return b->n ? run_batch(k) : 0;
}

const struct sym_entry *ksym_live_find(struct ksym_live *k, uint64_t addr)
{
	const struct sym_entry *sym = sym_table_find(&k->syms, addr);
	if (sym || addr_map_get(&k->unknown, 0, addr))
		return sym;
	if (ksym_live_prefetch(k, &addr, 1))
		return NULL;
	return sym_table_find(&k->syms, addr);
}

const char *ksym_live_module(const struct ksym_live *k, uint16_t module, uint64_t *lo, uint64_t *hi)
{
	const struct ksym_module *m = &k->mods[module < k->nmods ? module : 0];
	*lo = m->lo;
	*hi = m->hi;
	return m->name;
}
