/* Exactly N getppid system calls, through syscall(2) so no libc cache can skip one, spread over
 * BATCHES batches with a pause of PAUSE_MS between them (for interval counting).
 * Usage: getppid_loop [N [BATCHES [PAUSE_MS]]] */
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	long batches = argc > 2 ? atol(argv[2]) : 1;
	long pause_ms = argc > 3 ? atol(argv[3]) : 0;
	if (batches < 1)
		batches = 1;
	for (long b = 0; b < batches; b++) {
		long todo = n / batches + (b < n % batches);
		for (long i = 0; i < todo; i++)
			syscall(SYS_getppid);
		if (pause_ms && b + 1 < batches) {
			struct timespec ts = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}
