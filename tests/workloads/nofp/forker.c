/* Forks one child on SIGUSR1 (or after argv[2] seconds): parent and child both keep working,
 * the child under main -> child_loop -> child_spin. For following children's mappings. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;
static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	go = sig;
}

__attribute__((noinline)) static void spin(int n)
{
	for (int i = 0; i < n; i++)
		sink = sink * 6364136223846793005ULL + 1;
}

__attribute__((noinline)) static void child_spin(void)
{
	spin(200000);
	sink++;
}

__attribute__((noinline)) static void child_loop(time_t end)
{
	while (time(NULL) < end)
		child_spin();
}

__attribute__((noinline)) static void parent_loop(time_t end, int until_signal)
{
	while (time(NULL) < end && !(until_signal && go)) {
		spin(200000);
		sink++;
	}
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	double delay = argc > 2 ? atof(argv[2]) : secs;
	time_t end = time(NULL) + (time_t)secs;
	signal(SIGUSR1, on_usr1);
	parent_loop(time(NULL) + (time_t)delay, 1);
	pid_t child = fork();
	if (child == 0) {
		child_loop(end);
		_exit(0);
	}
	parent_loop(end, 0);
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	return 0;
}
