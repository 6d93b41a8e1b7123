#include "trace/hist.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define BAR_WIDTH 52

void hist_label(char *buf, size_t len, int power)
{
	static const char suffix[] = {0, 'K', 'M', 'G', 'T', 'P', 'E'};
	int s = power / 10;
	if (s > 6)
		s = 6;
	unsigned long long v = 1ULL << (power - 10 * s);
	if (suffix[s])
		snprintf(buf, len, "%llu%c", v, suffix[s]);
	else
		snprintf(buf, len, "%llu", v);
}

static void bar_line(FILE *f, const char *label, uint64_t n, uint64_t max)
{
	int width = max ? (int)((double)n / (double)max * BAR_WIDTH) : 0;
	char bar[BAR_WIDTH + 1];
	memset(bar, '@', width);
	bar[width] = 0;
	fprintf(f, "%-16s%8llu |%-*s|\n", label, (unsigned long long)n, BAR_WIDTH, bar);
}

static bool used_range(const uint64_t *slots, int nslots, int *lo, int *hi, uint64_t *max)
{
	*lo = -1;
	*hi = -1;
	*max = 0;
	for (int i = 0; i < nslots; i++) {
		if (slots[i]) {
			if (*lo < 0)
				*lo = i;
			*hi = i;
		}
		if (slots[i] > *max)
			*max = slots[i];
	}
	return *lo >= 0;
}

void hist_print(FILE *f, const uint64_t *slots, int nslots)
{
	int lo, hi;
	uint64_t max;
	if (!used_range(slots, nslots, &lo, &hi, &max))
		return;
	for (int i = lo; i <= hi; i++) {
		char label[64], a[16], b[16];
		if (i == 0) {
			snprintf(label, sizeof(label), "(..., 0)");
		} else if (i == 1) {
			snprintf(label, sizeof(label), "[0]");
		} else if (i == 2) {
			snprintf(label, sizeof(label), "[1]");
		} else {
			hist_label(a, sizeof(a), i - 2);
			hist_label(b, sizeof(b), i - 1);
			snprintf(label, sizeof(label), "[%s, %s)", a, b);
		}
		bar_line(f, label, slots[i], max);
	}
}

/* lhist labels: multiples of 1M and 1K shortened, as bpftrace does */
static void lhist_label(char *buf, size_t len, int64_t v)
{
	if (v != 0 && v % (1024 * 1024) == 0)
		snprintf(buf, len, "%lldM", (long long)(v / (1024 * 1024)));
	else if (v != 0 && v % 1024 == 0)
		snprintf(buf, len, "%lldK", (long long)(v / 1024));
	else
		snprintf(buf, len, "%lld", (long long)v);
}

void lhist_print(FILE *f, const uint64_t *slots, int nslots, int64_t min, int64_t max, int64_t step)
{
	int lo, hi;
	uint64_t top;
	if (!used_range(slots, nslots, &lo, &hi, &top))
		return;
	for (int i = lo; i <= hi; i++) {
		char label[64], a[24], b[24];
		if (i == 0) {
			lhist_label(a, sizeof(a), min);
			snprintf(label, sizeof(label), "(..., %s)", a);
		} else if (i == nslots - 1) {
			lhist_label(a, sizeof(a), max);
			snprintf(label, sizeof(label), "[%s, ...)", a);
		} else {
			lhist_label(a, sizeof(a), (i - 1) * step + min);
			lhist_label(b, sizeof(b), i * step + min);
			snprintf(label, sizeof(label), "[%s, %s)", a, b);
		}
		bar_line(f, label, slots[i], top);
	}
}

struct ksym {
	uint64_t addr;
	char *name;
};

static struct ksym *ksyms;
static size_t nksyms;
static bool ksyms_loaded;

static int by_addr(const void *a, const void *b)
{
	uint64_t x = ((const struct ksym *)a)->addr, y = ((const struct ksym *)b)->addr;
	return x < y ? -1 : x > y;
}

static void load_ksyms(void)
{
	ksyms_loaded = true;
	FILE *f = fopen("/proc/kallsyms", "re");
	if (!f)
		return;
	char line[512];
	size_t cap = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type, name[256];
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 || !addr)
			continue;
		if (type != 't' && type != 'T')
			continue;
		if (nksyms == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			struct ksym *n = realloc(ksyms, ncap * sizeof(*n));
			if (!n)
				break;
			ksyms = n;
			cap = ncap;
		}
		ksyms[nksyms].addr = addr;
		ksyms[nksyms].name = strdup(name);
		if (ksyms[nksyms].name)
			nksyms++;
	}
	fclose(f);
	qsort(ksyms, nksyms, sizeof(*ksyms), by_addr);
}

const char *trace_ksym(uint64_t addr)
{
	static char buf[300];
	if (!ksyms_loaded)
		load_ksyms();
	size_t lo = 0, hi = nksyms;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ksyms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	snprintf(buf, sizeof(buf), "%s+%llu", ksyms[lo - 1].name,
		 (unsigned long long)(addr - ksyms[lo - 1].addr));
	return buf;
}
