/* The registry of profile file formats: which reader and writer a file name or its content
 * calls for. Commands look formats up here instead of knowing each one. */
#ifndef KILN_FORMAT_H
#define KILN_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "profile/profile.h"

/* What writers may use; each takes what applies to it and ignores the rest. */
struct kiln_write_options {
	const char *title;    /* flame graph title; NULL for the writer's default */
	const char *subtitle; /* NULL for none */
	size_t value_col;     /* which value column to write or draw */
	long diff_col;	      /* -1, or the "before" column of a differential graph */
	bool comm, pid, tid;  /* put the process (and pid/tid) at the root of stacks */
	bool annotate;	      /* folded: perf's _[k] _[j] _[i] frame suffixes */
	/* svg (flamegraph.pl's options); NULL or 0 for the writer's default */
	const char *countname; /* what a count is: "samples" */
	const char *nametype;  /* the details line's word before a name: "Function:" */
	const char *colors;    /* palette: hot mem io java js perl red green blue ... */
	double width;	       /* image width, pixels */
	double frame_height;   /* pixels */
	double font_size;      /* pixels */
	double min_width;      /* narrower frames are left out: pixels, or % with min_width_pct */
	bool min_width_set, min_width_pct;
	bool inverted, reverse, flamechart, negate;
};

void kiln_write_options_init(struct kiln_write_options *o);

struct kiln_format {
	const char *name;
	const char *extensions; /* space separated, each with its dot: ".pb.gz .pprof" */
	/* NULL when the format cannot be read (or written) by this build. */
	int (*read)(struct kiln_profile *p, const char *path);
	int (*write)(const struct kiln_profile *p, const char *path,
		     const struct kiln_write_options *o);
	bool timeline; /* writes per-sample times (kiln_profile's events) */
};

/* The format whose extension path ends with, or NULL. */
const struct kiln_format *kiln_format_for_path(const char *path);
/* The format called name ("pprof", "folded", "svg", "perf"), or NULL. */
const struct kiln_format *kiln_format_named(const char *name);
/* Formats in order, for listing and searching: NULL past the last. */
const struct kiln_format *kiln_format_at(size_t i);
/* "folded, pprof, svg": the names of formats that can read (or write), for messages. */
const char *kiln_format_names(bool writable);

/* Which format a file holds: by magic bytes (gzip: pprof, PERFILE2: perf.data), else by
 * extension, else folded text. NULL (after a message) when that format is not built in. */
const struct kiln_format *kiln_format_sniff(const char *path);
/* Reads path into the empty profile p in the format sniffed. 0 or -errno (message printed). */
int kiln_profile_read_any(struct kiln_profile *p, const char *path);

/* The profile `kiln report` reads when given none: kiln.folded, else the newest file in the
 * current directory that kiln can read (by name). 0 (path in buf) or -ENOENT. */
int kiln_default_input(char *buf, size_t cap);

#endif
