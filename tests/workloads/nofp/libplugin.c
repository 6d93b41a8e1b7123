/* The library dlopen.c loads at run time: its code is mapped after the process started. */
#include <stdint.h>

static volatile uint64_t sink;

__attribute__((noinline)) static uint64_t plugin_leaf(uint64_t x)
{
	for (int i = 0; i < 100000; i++)
		x = x * 2862933555777941757ULL + 3037000493ULL;
	return x;
}

__attribute__((noinline)) uint64_t plugin_work(uint64_t x)
{
	uint64_t r = plugin_leaf(x);
	sink += r;
	return r + 1;
}
