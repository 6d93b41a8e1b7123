/* Calls into libplugin.so (next to the executable) loaded with dlopen() after start-up:
 * main -> call_plugin -> plugin_work -> plugin_leaf. With argv[2] "late" it works in its own
 * code (main -> own_work) until SIGUSR1, so the library appears while a profiler records. */
#include <dlfcn.h>
#include <signal.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;
static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	go = sig;
}

__attribute__((noinline)) static void own_work(void)
{
	for (int i = 0; i < 100000; i++)
		sink = sink * 31 + (uint64_t)i;
}

__attribute__((noinline)) static void call_plugin(uint64_t (*fn)(uint64_t))
{
	sink += fn(sink);
	sink++;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	if (n < 0)
		return 1;
	path[n] = '\0';
	strcpy(strrchr(path, '/') + 1, "libplugin.so");
	if (argc > 2 && strcmp(argv[2], "late") == 0) {
		signal(SIGUSR1, on_usr1);
		while (!go)
			own_work();
	} else {
		usleep(300000);
	}
	void *h = dlopen(path, RTLD_NOW);
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	uint64_t (*fn)(uint64_t) = (uint64_t(*)(uint64_t))dlsym(h, "plugin_work");
	time_t end = time(NULL) + (time_t)secs;
	while (fn && time(NULL) < end)
		call_plugin(fn);
	return 0;
}
