/* Touches N pages of fresh anonymous memory once each: at least N page faults.
 * Usage: touch_pages [N] */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	long page = sysconf(_SC_PAGESIZE);
	volatile char *mem = mmap(NULL, (size_t)(n * page), PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	/* No transparent huge pages: one fault per 4 KiB page, as the test counts them. */
	madvise((void *)mem, (size_t)(n * page), MADV_NOHUGEPAGE);
	for (long i = 0; i < n; i++)
		mem[i * page] = 1;
	return 0;
}
