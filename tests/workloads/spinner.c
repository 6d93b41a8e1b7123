/* Runs until killed (or for SECONDS), burning CPU in spin_forever(); for -p and -a tests.
 * Usage: spinner [SECONDS] */
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

__attribute__((noinline)) static void spin_forever(double seconds)
{
	time_t end = seconds > 0 ? time(NULL) + (time_t)seconds : 0;
	unsigned long x = 1;
	for (;;) {
		for (int i = 0; i < 1000000; i++)
			x = x * 6364136223846793005UL + 1;
		sink = x;
		if (end && time(NULL) >= end)
			return;
	}
}

int main(int argc, char **argv)
{
	spin_forever(argc > 1 ? atof(argv[1]) : 0);
	return 0;
}
