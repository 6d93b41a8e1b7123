/* Exported functions and USDT probes with known arguments, for uprobe/USDT tests:
 *   kiln_add(i, 2 * i) for i in 0..N-1 (returns 3 * i),
 *   USDT kiln:tick(i, i * i) for i in 0..N-1,
 *   kiln_sleep_ms(10) S times (about 10 ms each, for --latency).
 * Usage: trace_probes N S */
#include <stdlib.h>
#include <sys/sdt.h>
#include <time.h>

__attribute__((noinline, used)) long kiln_add(long a, long b)
{
	return a + b;
}

__attribute__((noinline, used)) void kiln_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100;
	int s = argc > 2 ? atoi(argv[2]) : 3;
	volatile long sink = 0;
	for (long i = 0; i < n; i++) {
		sink += kiln_add(i, 2 * i);
		DTRACE_PROBE2(kiln, tick, i, i * i);
	}
	for (int i = 0; i < s; i++)
		kiln_sleep_ms(10);
	return sink == 3 * n * (n - 1) / 2 ? 0 : 1;
}
