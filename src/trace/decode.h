/* strace-style decoding of captured system calls: names, symbolic flags, quoted strings,
 * struct summaries and return values with errno names. */
#ifndef KILN_TRACE_DECODE_H
#define KILN_TRACE_DECODE_H

#include <stdbool.h>
#include <stddef.h>

#include "trace/syscalls.h"

#define SC_TEXT_MAX 8192

/* A bounded text buffer: appends never overflow, output is truncated instead. */
struct sc_text {
	char buf[SC_TEXT_MAX];
	size_t len;
};

void sc_text_reset(struct sc_text *t);
void sc_text_puts(struct sc_text *t, const char *s);
void sc_text_putc(struct sc_text *t, char c);
void sc_text_printf(struct sc_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends S quoted and escaped like strace ("a\tb\n", octal for the rest), at most MAX bytes of
 * it followed by "..." when longer (max < 0: no limit). */
void sc_text_quote(struct sc_text *t, const char *s, size_t len, int max, bool more);
/* Appends S as a JSON string (quotes included). */
void sc_text_json(struct sc_text *t, const char *s, size_t len);

struct sc_decoded {
	struct sc_text text; /* the arguments, then the return value */
	size_t arg_start[6], arg_end[6];
	int nargs;
	size_t ret_start, ret_end; /* "3", "-1 ENOENT (No such file or directory)", "?" */
	const char *errname;	   /* NULL unless the call failed */
};

struct sc_decode_opts {
	int strsize; /* -s: bytes of data strings shown */
};

/* Fills the capture specs the kernel needs for each known syscall. */
void sc_fill_specs(struct sc_spec *specs, int n);
/* Decodes one event of `size` bytes (head-only events have no captures). */
void sc_decode(const struct sc_event *ev, size_t size, const struct sc_decode_opts *o,
	       struct sc_decoded *d);
/* Name of a syscall number ("syscall_0x1c3" style for unknown ones, in a static buffer). */
const char *sc_name(int nr);
/* The errno name ("ENOENT") or NULL. */
const char *sc_errno_name(int err);

/* Syscall classes for -e trace=%file etc.; returns false for an unknown class. */
bool sc_class_members(const char *cls, bool member[SC_NR_MAX]);

#endif
