#include "profile/frames.h"

const char *kiln_annot_suffix(enum kiln_annot a)
{
	switch (a) {
	case KILN_ANNOT_KERNEL:
		return "_[k]";
	case KILN_ANNOT_JIT:
		return "_[j]";
	case KILN_ANNOT_INLINE:
		return "_[i]";
	default:
		return "";
	}
}

static enum kiln_annot kind_annot(uint8_t kind)
{
	if (kind == KILN_FRAME_KERNEL)
		return KILN_ANNOT_KERNEL;
	if (kind == KILN_FRAME_JIT)
		return KILN_ANNOT_JIT;
	return KILN_ANNOT_NONE;
}

static void put(struct kiln_frame *out, size_t max, size_t *n, struct kiln_frame f)
{
	if (*n < max)
		out[*n] = f;
	(*n)++;
}

size_t kiln_sample_frames(const struct kiln_profile *p, const struct kiln_sample *s,
			  struct kiln_frame *out, size_t max)
{
	const uint32_t *locs = kiln_profile_sample_locs(p, s);
	size_t n = 0;
	/* Locations are stored leaf first; within a location lines[0] is the innermost inline. */
	for (uint32_t i = s->nlocs; i-- > 0;) {
		const struct kiln_location *loc = kiln_profile_get_location(p, locs[i]);
		if (!loc)
			continue;
		if (!loc->nlines) {
			put(out, max, &n,
			    (struct kiln_frame){"[unknown]", kind_annot(loc->kind), 0});
			continue;
		}
		for (uint32_t l = loc->nlines; l-- > 0;) {
			const struct kiln_line *line = &p->lines[loc->first_line + l];
			const struct kiln_function *fn =
			    kiln_profile_get_function(p, line->function);
			/* The outermost line is the function the code sits in; the inner ones
			 * were inlined into it, so they carry perf's _[i]. */
			enum kiln_annot a =
			    l + 1 < loc->nlines ? KILN_ANNOT_INLINE : kind_annot(loc->kind);
			put(out, max, &n,
			    (struct kiln_frame){fn ? kiln_profile_str(p, fn->name) : "[unknown]", a,
						line->function});
		}
	}
	return n;
}
