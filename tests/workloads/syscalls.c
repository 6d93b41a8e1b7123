/* Spends most of its time in the kernel: big reads from /dev/zero and writes to /dev/null.
 * Usage: syscalls [SECONDS] */
#include <fcntl.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 20];

/* The syscall instruction is issued from a function with a frame pointer: libc's read() and
 * write() have none, so frame-pointer stacks through them skip their caller. */
__attribute__((noinline)) static long raw_syscall3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

__attribute__((noinline)) static void read_zero_loop(int fd)
{
	for (int i = 0; i < 64; i++)
		if (raw_syscall3(SYS_read, fd, (long)buf, sizeof(buf)) < 0)
			exit(1);
}

__attribute__((noinline)) static void write_null_loop(int fd)
{
	for (int i = 0; i < 64; i++)
		if (raw_syscall3(SYS_write, fd, (long)buf, sizeof(buf)) < 0)
			exit(1);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2.0;
	int zero = open("/dev/zero", O_RDONLY), null = open("/dev/null", O_WRONLY);
	if (zero < 0 || null < 0)
		return 1;
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		read_zero_loop(zero);
		write_null_loop(null);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
	return 0;
}
