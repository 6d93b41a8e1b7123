/* Forks many short-lived children that each burn about 20 ms of CPU in child_burn() and exit,
 * two at a time. The clock is read rarely: libc's clock_gettime has no frame pointer, so its
 * samples skip child_burn in frame-pointer stacks. Usage: forker [CHILDREN] */
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

__attribute__((noinline)) static void child_burn(double seconds)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	double end = ts.tv_sec + ts.tv_nsec / 1e9 + seconds;
	unsigned long x = sink;
	do {
		for (int i = 0; i < 200000; i++)
			x = x * 6364136223846793005UL + 1;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	} while (ts.tv_sec + ts.tv_nsec / 1e9 < end);
	sink = x;
}

__attribute__((noinline)) static void spawn_child(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		child_burn(0.020);
		_exit(0);
	}
	if (pid < 0)
		exit(1);
}

int main(int argc, char **argv)
{
	int children = argc > 1 ? atoi(argv[1]) : 200;
	int running = 0;
	for (int i = 0; i < children; i++) {
		spawn_child();
		if (++running == 2) {
			wait(NULL);
			running--;
		}
	}
	while (running-- > 0)
		wait(NULL);
	return 0;
}
