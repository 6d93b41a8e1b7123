/* Deep recursion without frame pointers: main -> descend x DEPTH -> crunch. Runs argv[1]
 * seconds (default 5). The leaf does the work so samples carry the whole chain. */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define DEPTH 80

static volatile uint64_t sink;

__attribute__((noinline)) static uint64_t crunch(uint64_t x)
{
	for (int i = 0; i < 200000; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	return x;
}

/* The local array and the add after the call keep a real frame per level. */
__attribute__((noinline)) static uint64_t descend(int depth, uint64_t seed)
{
	volatile char pad[24];
	pad[depth % 24] = (char)seed;
	if (depth == 0)
		return crunch(seed);
	return descend(depth - 1, seed + pad[depth % 24]) + (uint64_t)depth;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	time_t end = time(NULL) + (time_t)secs;
	while (time(NULL) < end)
		sink += descend(DEPTH, sink);
	return 0;
}
