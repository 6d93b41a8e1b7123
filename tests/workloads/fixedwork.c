/* A fixed amount of CPU work under a known call chain, for overhead benchmarks: its CPU time
 * with and without a profiler attached is the profiler's cost.
 * Usage: fixedwork [-c CPU] [-b SECONDS] [-a SECONDS] [-r] [MILLIONS]
 *   -c pins the work to CPU, -b / -a idle that long before / after the work, -r prints the
 *   work's own CPU seconds and the whole run's wall seconds. The benchmark needs all of this
 *   from one process: each helper it would start instead (taskset, time, sleep, date) is a new
 *   process with new stacks and mappings inside the window it measures. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

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

static double monotonic_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User plus system time: their sum is exact, the split between them is not. */
static double own_cpu_seconds(void)
{
	struct rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	return (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
	       (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static void idle_for(double seconds)
{
	if (seconds <= 0)
		return;
	struct timespec ts = {.tv_sec = (time_t)seconds,
			      .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static int pin_to_cpu(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		perror("fixedwork: sched_setaffinity");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	double before = 0, after = 0;
	int report = 0, opt;
	while ((opt = getopt(argc, argv, "c:b:a:r")) != -1) {
		switch (opt) {
		case 'c':
			if (pin_to_cpu(atoi(optarg)) != 0)
				return 1;
			break;
		case 'b':
			before = atof(optarg);
			break;
		case 'a':
			after = atof(optarg);
			break;
		case 'r':
			report = 1;
			break;
		default:
			fprintf(stderr, "usage: fixedwork [-c CPU] [-b SECONDS] [-a SECONDS] [-r] "
					"[MILLIONS]\n");
			return 2;
		}
	}
	unsigned long millions = optind < argc ? strtoul(argv[optind], NULL, 10) : 2000;
	double start = monotonic_seconds();
	idle_for(before);
	double cpu_before = own_cpu_seconds();
	for (unsigned long m = 0; m < millions; m++)
		fixed_middle(1000000);
	double work_cpu = own_cpu_seconds() - cpu_before;
	idle_for(after);
	if (report)
		printf("%.6f %.6f\n", work_cpu, monotonic_seconds() - start);
	return 0;
}
