/* Inlined code for the deep-symbolization test: hot_outer() does all the work through two
 * levels of always-inlined helpers, so samples land in inline frames with known source lines
 * (the LINE markers are read by the test). Usage: inlined [SECONDS] */
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

static inline __attribute__((always_inline)) unsigned long mix_deeper(unsigned long x)
{
	for (int i = 0; i < 1000; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL; /* LINE:deeper */
	return x;
}

static inline __attribute__((always_inline)) unsigned long mix_inline(unsigned long x)
{
	x = mix_deeper(x); /* LINE:mix_calls_deeper */
	return x ^ (x >> 7);
}

__attribute__((noinline)) void hot_outer(unsigned long rounds)
{
	unsigned long x = sink;
	for (unsigned long r = 0; r < rounds; r++)
		x = mix_inline(x); /* LINE:outer_calls_mix */
	sink = x;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2.0;
	double end = now() + seconds;
	while (now() < end)
		hot_outer(2000);
	return 0;
}
