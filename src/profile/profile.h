/* The in-memory profile model every collector fills and every reader/writer uses.
 *
 * It follows pprof's profile.proto: samples point at locations (leaf first), a location is an
 * address in a mapping resolved to one or more lines (several when functions were inlined:
 * lines[0] is the innermost), a line names a function. Everything is deduplicated on insert, so
 * adding the same stack again only adds to its values. Ids are 1-based; 0 means "none". */
#ifndef KILN_PROFILE_H
#define KILN_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hash.h"

#define KILN_MAX_VALUES 4

/* Where a frame's code lives; folded output marks kernel/jit/inline frames like perf. */
enum kiln_frame_kind {
	KILN_FRAME_USER = 0,
	KILN_FRAME_KERNEL = 1,
	KILN_FRAME_JIT = 2,
};

struct kiln_function {
	uint32_t name;	      /* string id: display name (demangled) */
	uint32_t system_name; /* string id: raw symbol name */
	uint32_t filename;    /* string id, 0 when unknown */
	int32_t start_line;
}; /* no padding: instances are hashed as bytes */

struct kiln_mapping {
	uint64_t start, limit, offset;
	uint32_t filename; /* string id */
	uint32_t build_id; /* string id (hex), 0 when unknown */
};			   /* no padding: hashed as bytes */

struct kiln_line {
	uint32_t function; /* function id */
	int32_t line;	   /* 0 when unknown */
};			   /* no padding: hashed as bytes */

struct kiln_location {
	uint32_t mapping; /* mapping id, 0 when unknown */
	uint64_t address;
	uint8_t kind;	 /* enum kiln_frame_kind */
	uint32_t nlines; /* lines in profile->lines from first_line; 0 = unsymbolized */
	uint32_t first_line;
};

/* The labels kiln attaches to every sample: pprof labels "pid", "tid", "comm". */
struct kiln_labels {
	int32_t pid;   /* -1 when unknown */
	int32_t tid;   /* -1 when unknown */
	uint32_t comm; /* string id, 0 when unknown */
};

struct kiln_sample {
	uint32_t nlocs;
	uint32_t first_loc; /* in profile->stack_locs, leaf first */
	struct kiln_labels labels;
	int64_t values[KILN_MAX_VALUES];
};

struct kiln_value_type {
	uint32_t type; /* string id, e.g. "samples", "cpu" */
	uint32_t unit; /* string id, e.g. "count", "nanoseconds" */
};

/* One timestamped sample, kept only when a timeline was asked for. */
struct kiln_event {
	uint64_t time_ns;
	uint32_t sample; /* index into samples (0-based) */
	int64_t weight;
};

struct kiln_profile {
	struct intern_table strings;   /* id 1.. ; "" is always id 1 */
	struct intern_table functions; /* key: struct kiln_function */
	struct intern_table mappings;  /* key: struct kiln_mapping */
	struct intern_table locations; /* key: mapping, address, kind and lines */
	struct intern_table sample_keys;

	/* Dense arrays indexed by id - 1 (functions, mappings, locations) or by index (samples). */
	struct kiln_location *locs;
	size_t locs_cap;
	struct kiln_line *lines;
	size_t nlines, lines_cap;
	uint32_t *stack_locs;
	size_t nstack_locs, stack_locs_cap;
	struct kiln_sample *samples;
	size_t nsamples, samples_cap;
	struct kiln_event *events;
	size_t nevents, events_cap;

	struct kiln_value_type value_types[KILN_MAX_VALUES];
	size_t nvalues;
	struct kiln_value_type period_type;
	int64_t period;
	int64_t time_ns, duration_ns;
	/* Counted and reported, never dropped silently. */
	uint64_t lost_samples;
	/* Set before reading when no output will use per-sample times (timelines, flame charts
	 * do): kiln_profile_add_event then keeps nothing, sparing a growing array per sample. */
	bool skip_events;
	/* Per column, the sum of |value| over everything added: kept <= INT64_MAX, so no sum of
	 * values (a total, a filtered total, a function's) can overflow. */
	uint64_t magnitude[KILN_MAX_VALUES];
};

struct kiln_profile *kiln_profile_new(void);
void kiln_profile_free(struct kiln_profile *p);

/* Returns the string's id (0 on out of memory). */
uint32_t kiln_profile_intern(struct kiln_profile *p, const char *s, size_t len);
uint32_t kiln_profile_intern_cstr(struct kiln_profile *p, const char *s);
const char *kiln_profile_str(const struct kiln_profile *p, uint32_t id);

/* Appends a value type (a column); returns its index or -ENOSPC / -ENOMEM. */
int kiln_profile_add_value_type(struct kiln_profile *p, const char *type, const char *unit);
void kiln_profile_set_period(struct kiln_profile *p, const char *type, const char *unit,
			     int64_t period);

uint32_t kiln_profile_function(struct kiln_profile *p, const struct kiln_function *f);
/* Convenience: a function known only by name. */
uint32_t kiln_profile_function_named(struct kiln_profile *p, const char *name, size_t len);
uint32_t kiln_profile_mapping(struct kiln_profile *p, const struct kiln_mapping *m);
uint32_t kiln_profile_location(struct kiln_profile *p, uint32_t mapping, uint64_t address,
			       enum kiln_frame_kind kind, const struct kiln_line *lines,
			       uint32_t nlines);

const struct kiln_function *kiln_profile_get_function(const struct kiln_profile *p, uint32_t id);
const struct kiln_mapping *kiln_profile_get_mapping(const struct kiln_profile *p, uint32_t id);
const struct kiln_location *kiln_profile_get_location(const struct kiln_profile *p, uint32_t id);
size_t kiln_profile_nfunctions(const struct kiln_profile *p);
size_t kiln_profile_nmappings(const struct kiln_profile *p);
size_t kiln_profile_nlocations(const struct kiln_profile *p);
const uint32_t *kiln_profile_sample_locs(const struct kiln_profile *p, const struct kiln_sample *s);

/* Adds values to the sample with this stack (leaf first) and labels, creating it if new.
 * Returns the sample's index, -ENOMEM, or -EOVERFLOW when a column's values would add up past
 * INT64_MAX (readers report that as bad input). */
long kiln_profile_add_sample(struct kiln_profile *p, const uint32_t *locs, uint32_t nlocs,
			     const struct kiln_labels *labels, const int64_t *values);
/* Adds values to the sample at this index (one kiln_profile_add_sample returned). */
int kiln_profile_add_to_sample(struct kiln_profile *p, long sample, const int64_t *values);
int kiln_profile_add_event(struct kiln_profile *p, uint64_t time_ns, uint32_t sample,
			   int64_t weight);

/* Sum of value column `col` over all samples. */
int64_t kiln_profile_total(const struct kiln_profile *p, size_t col);

static inline struct kiln_labels kiln_labels_none(void)
{
	struct kiln_labels l = {.pid = -1, .tid = -1, .comm = 0};
	return l;
}

#endif
