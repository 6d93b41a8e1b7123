/* USDT probes from systemtap's <sys/sdt.h> with zero to three arguments, each with the
 * semaphore a tracer increments while attached (one probe fires only then), for kiln list usdt.
 * Usage: sdt_probes [N] */
#define _SDT_HAS_SEMAPHORES 1
#include <stdlib.h>
#include <sys/sdt.h>

/* sdt.h finds each probe's semaphore by the name PROVIDER_NAME_semaphore. */
#define SEMAPHORE(name)                                                                            \
	__extension__ unsigned short kiln_##name##_semaphore __attribute__((unused))               \
	__attribute__((section(".probes")))
SEMAPHORE(start);
SEMAPHORE(step);
SEMAPHORE(guarded);
SEMAPHORE(done);

static volatile long sink;

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 3;
	STAP_PROBE(kiln, start);
	for (long i = 0; i < n; i++) {
		long sq = i * i;
		STAP_PROBE2(kiln, step, i, sq);
		sink += sq;
		if (kiln_guarded_semaphore)
			STAP_PROBE3(kiln, guarded, i, (int)sq, &sink);
	}
	STAP_PROBE1(kiln, done, sink);
	return 0;
}
