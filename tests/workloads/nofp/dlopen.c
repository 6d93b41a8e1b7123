/* Calls into a library loaded with dlopen() after start-up (argv[2] or libplugin.so next to
 * the executable): main -> call_plugin -> plugin_work -> plugin_leaf. */
#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;

__attribute__((noinline)) static void call_plugin(uint64_t (*fn)(uint64_t))
{
	sink += fn(sink);
	sink++;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	char path[PATH_MAX];
	if (argc > 2) {
		snprintf(path, sizeof(path), "%s", argv[2]);
	} else {
		ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
		if (n < 0)
			return 1;
		path[n] = '\0';
		strcpy(strrchr(path, '/') + 1, "libplugin.so");
	}
	usleep(300000); /* map the library after the profiler has seen the process */
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
