/* A known sequence of system calls for kiln trace's tests:
 *   openat(FILE) = 3, newfstatat(3), read(3, N bytes), openat("/nonexistent/kiln-trace") = ENOENT,
 *   openat("/dev/null", O_WRONLY) = 4, write(4, "kiln trace workload\n", 20), close(3), close(4),
 *   a 20 ms clock_nanosleep, then exactly K getppid calls through syscall(SYS_getppid).
 * With "fork" it then forks a child that execs this program as "child": the child makes
 * CHILD_GETPPID getppid calls and one failed openat("/nonexistent/kiln-child").
 * Usage: trace_seq FILE N K [fork] | trace_seq child */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILD_GETPPID 7

static void getppid_n(long k)
{
	for (long i = 0; i < k; i++)
		syscall(SYS_getppid);
}

static int child(void)
{
	getppid_n(CHILD_GETPPID);
	if (open("/nonexistent/kiln-child", O_RDONLY) >= 0)
		return 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "child"))
		return child();
	if (argc < 4)
		return 2;
	static char buf[4096];
	size_t n = strtoul(argv[2], NULL, 10);
	long k = strtol(argv[3], NULL, 10);
	if (n > sizeof(buf))
		return 2;
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || read(fd, buf, n) != (ssize_t)n)
		return 1;
	if (open("/nonexistent/kiln-trace", O_RDONLY) >= 0)
		return 1;
	int out = open("/dev/null", O_WRONLY);
	static const char msg[] = "kiln trace workload\n";
	if (out < 0 || write(out, msg, sizeof(msg) - 1) != sizeof(msg) - 1)
		return 1;
	close(fd);
	close(out);
	struct timespec ts = {0, 20 * 1000 * 1000};
	nanosleep(&ts, NULL);
	getppid_n(k);
	if (argc > 4 && !strcmp(argv[4], "fork")) {
		pid_t pid = fork();
		if (pid == 0) {
			execl("/proc/self/exe", "trace_seq", "child", (char *)NULL);
			_exit(127);
		}
		int status;
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			return 1;
	}
	return 0;
}
