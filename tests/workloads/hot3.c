/* Three leaf functions doing 60%, 30% and 10% of the work, under a fixed call chain
 * main -> run_workload -> stage_{a,b,c} -> leaf_{a,b,c}. Usage: hot3 [SECONDS] */
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

#define UNIT 200000UL

/* A macro, not an inline function: the leaves must be the innermost frames, and the symbolizer
 * shows inlined functions as frames of their own (from DWARF). */
#define spin(n)                                                                                    \
	do {                                                                                       \
		unsigned long x_ = sink;                                                           \
		for (unsigned long i_ = 0; i_ < (n); i_++)                                         \
			x_ = x_ * 6364136223846793005UL + 1442695040888963407UL;                   \
		sink = x_;                                                                         \
	} while (0)

__attribute__((noinline)) void leaf_a(void) { spin(6 * UNIT); }
__attribute__((noinline)) void leaf_b(void) { spin(3 * UNIT); }
__attribute__((noinline)) void leaf_c(void) { spin(1 * UNIT); }
__attribute__((noinline)) void stage_a(void) { leaf_a(); }
__attribute__((noinline)) void stage_b(void) { leaf_b(); }
__attribute__((noinline)) void stage_c(void) { leaf_c(); }

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void run_workload(double seconds)
{
	double end = now() + seconds;
	while (now() < end) {
		stage_a();
		stage_b();
		stage_c();
	}
}

int main(int argc, char **argv)
{
	run_workload(argc > 1 ? atof(argv[1]) : 3.0);
	return 0;
}
