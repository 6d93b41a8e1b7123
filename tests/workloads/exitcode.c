/* Exits with the status given, after a little work: checks that kiln passes it through. */
#include <stdlib.h>

static volatile unsigned long sink;

int main(int argc, char **argv)
{
	for (unsigned long i = 0; i < 50000000UL; i++)
		sink += i;
	return argc > 1 ? atoi(argv[1]) : 0;
}
