/* pprof's profile.proto format (what `go tool pprof`, Go's runtime/pprof and many profilers
 * use), both ways on the profile model.
 *
 * Frame kinds have no field in pprof, so they travel in mapping file names the way perf's
 * converters name them: kernel frames without a mapping get a mapping "[kernel.kallsyms]",
 * JIT frames one named "[jit]"; reading classifies locations by their mapping's file name. */
#ifndef KILN_PPROF_H
#define KILN_PPROF_H

#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"

/* Encodes p as an uncompressed protobuf Profile into a malloc'ed buffer. 0 or -errno. */
int pprof_encode(const struct kiln_profile *p, uint8_t **out, size_t *len);

/* Decodes a profile (gzipped or raw protobuf) into p, which must be empty (just created).
 * name labels error messages ("NAME: offset N: what was expected"; offsets count bytes of the
 * decompressed protobuf). Unknown fields and labels other than pid/tid/comm are skipped.
 * 0, -EINVAL on malformed input (after one kiln_error line), or -ENOMEM. */
int pprof_decode(struct kiln_profile *p, const uint8_t *buf, size_t len, const char *name);

/* Writes p gzipped to path whole (temp file + rename). 0 or -errno, after a kiln_error line. */
int pprof_write_file(const struct kiln_profile *p, const char *path);
/* Reads a gzipped or raw pprof file into the empty profile p. 0 or -errno (-EINVAL: bad data). */
int pprof_read_file(struct kiln_profile *p, const char *path);

#endif
