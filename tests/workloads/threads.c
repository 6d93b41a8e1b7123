/* Three named threads doing 50%, 30% and 20% of a fixed amount of work, so each thread's CPU
 * time share is known whatever the scheduling. Usage: threads [SCALE] */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned long scale = 40;

struct job {
	const char *name;
	unsigned long units;
	unsigned long result;
};

__attribute__((noinline)) static unsigned long thread_work(unsigned long n)
{
	unsigned long x = n;
	for (unsigned long i = 0; i < n; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	return x;
}

static void *run(void *arg)
{
	struct job *j = arg;
	pthread_setname_np(pthread_self(), j->name);
	j->result = thread_work(j->units * scale * 1000000UL / 10);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		scale = strtoul(argv[1], NULL, 10);
	struct job jobs[3] = {{"worker-50", 5, 0}, {"worker-30", 3, 0}, {"worker-20", 2, 0}};
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, run, &jobs[i]);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	printf("%lu\n", jobs[0].result ^ jobs[1].result ^ jobs[2].result);
	return 0;
}
