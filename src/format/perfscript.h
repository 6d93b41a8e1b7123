/* `perf script` text into the profile model, with stackcollapse-perf.pl's rules: which lines
 * start a sample, how frame names are tidied, which event is kept. */
#ifndef KILN_PERFSCRIPT_H
#define KILN_PERFSCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"
#include "util/hash.h"

struct perfscript_options {
	bool pid, tid; /* keep the pid (and tid) label: samples of other processes stay apart */
	bool kernel;   /* mark kernel frames, so annotated output shows _[k] */
	bool jit;      /* mark frames from /tmp/perf-PID.map, so annotated output shows _[j] */
	bool addrs;    /* unknown symbols as "[module <pc>]" instead of "[module]" */
	const char *event_filter; /* keep only this event; NULL: the first event seen */
	bool timeline;		  /* keep each sample's time ("SECS.FRACTION:") as a kiln_event */
};

/* The parts of an event line ("comm pid/tid ...: period event:"). */
struct perfscript_event {
	const char *comm;
	size_t comm_len;
	int32_t pid, tid;  /* pid -1 when the line has only one number */
	uint64_t period;   /* 1 when the line has none, or 0 */
	const char *event; /* NULL when the line names no event */
	size_t event_len;
};

/* The parts of a frame line ("  pc symbol (module)"). */
struct perfscript_frame {
	const char *pc, *sym, *mod;
	size_t pc_len, sym_len, mod_len;
};

struct perfscript_stats {
	uint64_t lines, samples, skipped_samples, unrecognized;
	uint64_t first_unrecognized; /* its line number, 0 when none */
};

/* Parser state; a pending sample and the event filter carry over between buffers, like the
 * Perl script reading several files as one stream. */
struct perfscript_parser {
	struct kiln_profile *p;
	struct perfscript_options o;
	const char *name; /* for messages */
	char *filter;	  /* the event kept, once known */
	struct perfscript_stats stats;
	/* The sample being read. */
	bool in_sample, skipping;
	struct kiln_labels labels;
	bool java;
	int64_t period;
	bool has_time;
	uint64_t time_ns;
	uint32_t *locs;
	size_t nlocs, locs_cap;
	/* Last comm interned, so runs of samples from one process hash it once. */
	char comm_buf[64];
	size_t comm_len;
	uint32_t comm_id;
	/* Frame line text after the pc (from the pc on where --addrs prints it) -> location id; one
	 * table per naming rule (java process or not, pc in the key or not). */
	struct intern_table frame_cache[4];
	uint32_t *frame_loc[4];
	size_t frame_loc_cap[4];
	char *scratch;
	size_t scratch_cap;
};

/* Matches stackcollapse-perf.pl's event line pattern; false when the line is not one. */
bool perfscript_parse_event(const char *line, size_t len, struct perfscript_event *ev);
/* The time of an event line (perf script's "SECS.FRACTION:" field) in nanoseconds; false when
 * the line shows none. */
bool perfscript_event_time(const char *line, size_t len, uint64_t *ns);
/* Matches its frame line pattern; false when the line is not one. */
bool perfscript_parse_frame(const char *line, size_t len, struct perfscript_frame *f);
/* The display name of one piece of a symbol (perf's "a->b" inline chains have several), tidied
 * like the Perl script: "[module]" for unknown symbols, ';' to ':', argument lists and quotes
 * cut, Java's leading L dropped (java). Writes it into out (cap bytes, NUL added) and returns
 * its length, or (size_t)-1 when it does not fit. */
size_t perfscript_frame_name(const char *piece, size_t len, const struct perfscript_frame *f,
			     bool java, bool addrs, char *out, size_t cap);

int perfscript_parser_init(struct perfscript_parser *ps, struct kiln_profile *p,
			   const struct perfscript_options *o);
/* Parses a buffer of whole lines (the last may lack its newline) and counts the sample pending
 * at its end. name is used in messages. Lines that are no perf script are skipped like the Perl
 * script does, unless nothing so far was (binary data, or text without a single event line):
 * then -EINVAL after "NAME:LINE: what was expected". 0, -EINVAL or -ENOMEM. */
int perfscript_parse(struct perfscript_parser *ps, const char *buf, size_t len, const char *name);
void perfscript_parser_free(struct perfscript_parser *ps);

/* Parses a file ("-" for stdin) through ps, read in chunks. 0 or -errno (message printed). */
int perfscript_parse_file(struct perfscript_parser *ps, const char *path);

/* The format registry's reader: a perf script capture into the empty profile p with pid, tid
 * and comm labels, kernel and JIT frames marked, and each sample's time kept (timelines).
 * 0 or -errno (message printed). */
int perfscript_read_file(struct kiln_profile *p, const char *path);

#endif
