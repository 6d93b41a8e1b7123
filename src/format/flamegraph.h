/* SVG flame graphs: flamegraph.pl's drawing and options, as one self-contained interactive file
 * (inline script and style: tooltips, click to zoom, Ctrl-F search). Stacks are the display
 * frames of profile/frames.h, so a graph shows exactly the stacks folded output holds. */
#ifndef KILN_FLAMEGRAPH_H
#define KILN_FLAMEGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "profile/profile.h"

struct flamegraph_options {
	const char *title;     /* NULL: "Flame Graph", "Icicle Graph" or "Flame Chart" */
	const char *subtitle;  /* NULL for none */
	const char *countname; /* what a count is; NULL: "samples", or the value's unit */
	const char *nametype;  /* the word before a frame's name in the details line */
	const char *colors;    /* palette: see flamegraph_palette_valid */
	double width;	       /* image width, pixels */
	double frame_height;   /* pixels */
	double font_size;      /* pixels */
	double font_width;     /* average character width as a fraction of font_size */
	double min_width;      /* frames narrower are left out: pixels, or % with min_width_pct */
	bool min_width_pct;
	bool comm, pid, tid; /* process name (and pid/tid) as the root frame, as in folded */
	bool annotate;	     /* _[k] _[j] _[i] suffixes on names, as in folded */
	bool inverted;	     /* icicle graph: roots at the top */
	bool reverse;	     /* stacks reversed: leaves become roots */
	bool flamechart;     /* samples in time order, siblings not merged by name */
	bool negate;	     /* differential: swap red and blue */
	size_t value_col;    /* the column frame widths show */
	long diff_col;	     /* -1, or the "before" column: colors show value_col - diff_col */
};

void flamegraph_default_options(struct flamegraph_options *o);

/* Whether name is a palette this writer knows: hot mem io java js perl red green blue aqua
 * yellow purple orange. */
bool flamegraph_palette_valid(const char *name);
/* "hot, mem, ...": the palettes, for messages. */
const char *flamegraph_palette_names(void);

/* Writes the graph to out. 0 or -errno (-EINVAL for options that make no sense, with a
 * message). */
int flamegraph_write(const struct kiln_profile *p, FILE *out, const struct flamegraph_options *o);
/* Temp file + rename, never a partial file. 0 or -errno (message printed). */
int flamegraph_write_file(const struct kiln_profile *p, const char *path,
			  const struct flamegraph_options *o);

#endif
