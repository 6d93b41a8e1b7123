/* A callback through libc (built without frame pointers): qsort calls our comparator, which
 * does the work. main -> sort_round -> qsort -> ...libc... -> compare_slow. */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static volatile uint64_t sink;

__attribute__((noinline)) static int compare_slow(const void *a, const void *b)
{
	uint64_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	for (int i = 0; i < 40; i++)
		sink += (x ^ y) * (uint64_t)i;
	return x < y ? -1 : x > y;
}

__attribute__((noinline)) static void sort_round(uint32_t *v, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		v[i] = seed >> 8;
	}
	qsort(v, n, sizeof(*v), compare_slow);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	time_t end = time(NULL) + (time_t)secs;
	static uint32_t v[512]; /* small: few distinct merge-sort depths to compare */
	uint32_t seed = 1;
	while (time(NULL) < end)
		sort_round(v, sizeof(v) / sizeof(v[0]), seed++);
	return (int)(sink & 1);
}
