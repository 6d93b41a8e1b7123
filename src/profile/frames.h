/* A sample's stack as display frames, root first: what folded stacks and flame graphs draw.
 * Inlined functions become frames of their own, marked like perf does. */
#ifndef KILN_FRAMES_H
#define KILN_FRAMES_H

#include <stddef.h>

#include "profile/profile.h"

enum kiln_annot {
	KILN_ANNOT_NONE = 0,
	KILN_ANNOT_KERNEL, /* _[k] */
	KILN_ANNOT_JIT,	   /* _[j] */
	KILN_ANNOT_INLINE, /* _[i] */
};

struct kiln_frame {
	const char *name;
	enum kiln_annot annot;
	uint32_t function; /* function id, 0 for unsymbolized frames */
};

/* The perf-style suffix for an annotation ("" for none). */
const char *kiln_annot_suffix(enum kiln_annot a);

/* Fills out[0..max) with the sample's frames, root first; returns how many frames the stack
 * has (more than max means out holds only the root-most max). Locations without lines are
 * "[unknown]": the symbolizer and readers give frames they cannot resolve a function named
 * like perf ("[module]"), so this only shows for profiles read without any symbols. */
size_t kiln_sample_frames(const struct kiln_profile *p, const struct kiln_sample *s,
			  struct kiln_frame *out, size_t max);

#endif
