/* A fixed amount of CPU work under a known call chain, for overhead benchmarks: its CPU time
 * with and without a profiler attached is the profiler's cost. Usage: fixedwork [MILLIONS] */
#include <stdio.h>
#include <stdlib.h>

static volatile unsigned long sink;

__attribute__((noinline)) static void fixed_leaf(unsigned long n)
{
	unsigned long x = sink;
	for (unsigned long i = 0; i < n; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	sink = x;
}

__attribute__((noinline)) static void fixed_middle(unsigned long n)
{
	fixed_leaf(n);
}

int main(int argc, char **argv)
{
	unsigned long millions = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000;
	for (unsigned long m = 0; m < millions; m++)
		fixed_middle(1000000);
	return 0;
}
