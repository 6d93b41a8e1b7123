#include "util/percpu.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int percpu_array_sum(int fd, uint32_t n, uint64_t *out)
{
	memset(out, 0, n * sizeof(*out));
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	uint64_t *per_cpu = calloc((size_t)ncpu, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	int err = 0;
	for (uint32_t k = 0; k < n && !err; k++) {
		if (bpf_map_lookup_elem(fd, &k, per_cpu)) {
			err = -errno;
			break;
		}
		for (int cpu = 0; cpu < ncpu; cpu++)
			out[k] += per_cpu[cpu];
	}
	free(per_cpu);
	return err;
}
