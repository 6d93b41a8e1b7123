/* Deterministic write sizes for histogram tests: N writes of 1..N bytes to /dev/null on one
 * descriptor, then M writes of 1..M bytes on a second one. Usage: trace_writes N M */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static char buf[1 << 16];

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000, m = argc > 2 ? atoi(argv[2]) : 300;
	int a = open("/dev/null", O_WRONLY), b = open("/dev/null", O_WRONLY);
	if (a < 0 || b < 0 || n > (int)sizeof(buf) || m > (int)sizeof(buf))
		return 1;
	for (int i = 1; i <= n; i++)
		if (write(a, buf, i) != i)
			return 1;
	for (int i = 1; i <= m; i++)
		if (write(b, buf, i) != i)
			return 1;
	return 0;
}
