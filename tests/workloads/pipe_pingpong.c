/* N blocking round trips of one byte between two processes over two pipes: each side sleeps in
 * read(2) once per trip, so at least 2N context switches. Both run on one CPU: on two, a reply
 * can arrive before its reader has gone to sleep, and that trip switches nothing.
 * Usage: pipe_pingpong [N] */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	int ping[2], pong[2];
	char c = 'x';
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (pipe(ping) || pipe(pong) || sched_setaffinity(0, sizeof(one), &one))
		return 1;
	pid_t child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		for (long i = 0; i < n; i++)
			if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	for (long i = 0; i < n; i++)
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			return 1;
	int status;
	waitpid(child, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
