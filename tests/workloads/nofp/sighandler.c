/* Work inside a signal handler: a CPU-time interval timer fires often, and the handler spins,
 * so samples land under __restore_rt's signal frame as well as in the interrupted loop.
 * main -> work_loop -> spin_main ; handler frames: on_prof -> spin_handler. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static volatile uint64_t sink;

__attribute__((noinline)) static void spin_handler(void)
{
	for (int i = 0; i < 300000; i++)
		sink = sink * 31 + (uint64_t)i;
}

__attribute__((noinline)) static void on_prof(int sig)
{
	spin_handler();
	sink += (uint64_t)sig;
}

__attribute__((noinline)) static void spin_main(void)
{
	for (int i = 0; i < 100000; i++)
		sink = sink * 17 + (uint64_t)i;
}

__attribute__((noinline)) static void work_loop(time_t end)
{
	while (time(NULL) < end) {
		spin_main();
		sink++;
	}
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	struct sigaction sa = {.sa_handler = on_prof};
	sigaction(SIGPROF, &sa, NULL);
	struct itimerval it = {{0, 2000}, {0, 2000}};
	setitimer(ITIMER_PROF, &it, NULL);
	work_loop(time(NULL) + (time_t)secs);
	return 0;
}
