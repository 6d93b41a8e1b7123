/* Chrome Trace Event JSON: the "JSON Object Format" of the Trace Event Format document, which
 * chrome://tracing, the Perfetto UI and speedscope read. Slices are B/E pairs (begin, end) on
 * their thread; process and thread names are M (metadata) events. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "format/timeline.h"

/* Bytes of a valid UTF-8 sequence starting at s (at most n bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	if (!len || len > n || s[0] >= 0xf5 || s[0] == 0xc0 || s[0] == 0xc1)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong forms and surrogates are not UTF-8 either. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xf0 && s[1] < 0x90) ||
	    (s[0] == 0xed && s[1] >= 0xa0) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return len;
}

/* A JSON string: symbol names are bytes, and JSON must be UTF-8, so invalid bytes become
 * U+FFFD. */
static void json_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);
	fputc('"', out);
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			fputc(c, out);
			i++;
		} else {
			size_t len = utf8_len(s + i, n - i);
			if (len) {
				fwrite(s + i, 1, len, out);
				i += len;
			} else {
				fputs("\\ufffd", out);
				i++;
			}
		}
	}
	fputc('"', out);
}

/* Microseconds with the nanoseconds as decimals, exact (no floating point on the way). */
static void json_ts(FILE *out, uint64_t ns)
{
	fprintf(out, "%" PRIu64 ".%03u", ns / 1000, (unsigned)(ns % 1000));
}

static int32_t thread_pid(const struct timeline *t, const struct timeline_thread *th)
{
	int32_t pid = t->processes[th->process].pid;
	return pid >= 0 ? pid : 0;
}

static int32_t thread_tid(const struct timeline *t, const struct timeline_thread *th)
{
	return th->tid >= 0 ? th->tid : thread_pid(t, th);
}

static void write_metadata(const struct timeline *t, FILE *out)
{
	for (size_t i = 0; i < t->nprocesses; i++) {
		const struct timeline_process *pr = &t->processes[i];
		int32_t pid = pr->pid >= 0 ? pr->pid : 0;
		fprintf(out, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,", pid,
			pid);
		fputs("\"args\":{\"name\":", out);
		json_string(out, pr->name);
		fputs("}},\n", out);
	}
	for (size_t i = 0; i < t->nthreads; i++) {
		const struct timeline_thread *th = &t->threads[i];
		fprintf(out, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,",
			thread_pid(t, th), thread_tid(t, th));
		fputs("\"args\":{\"name\":", out);
		json_string(out, th->name);
		fputs("}},\n", out);
	}
}

/* Viewers that pair B and E events by name when their times are equal (speedscope does, for
 * empty slices) would pair the end of one "f" with the begin of another "f"; so begins that
 * follow ends on their thread at the same instant are written 1 ns later. A thread's ends at
 * an instant come before its begins there (timeline.h). */
int chrome_trace_write(const struct timeline *t, FILE *out)
{
	/* Per thread, 1 + the time of its latest end (0: none yet). */
	uint64_t *ended = calloc(t->nthreads + 1, sizeof(*ended));
	if (!ended)
		return -ENOMEM;
	fprintf(out,
		"{\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"kiln\","
		"\"sampling_interval_ns\":%" PRIu64 ",\"samples\":%" PRIu64 "},\n"
		"\"traceEvents\":[\n",
		t->interval_ns, t->samples);
	write_metadata(t, out);
	for (size_t i = 0; i < t->nops; i++) {
		const struct timeline_op *op = &t->ops[i];
		const struct timeline_thread *th = &t->threads[op->thread];
		fputs("{\"name\":", out);
		json_string(out, op->name);
		fprintf(out, ",\"cat\":\"%s\",\"ph\":\"%s\",\"ts\":", timeline_category(op->annot),
			op->kind == TIMELINE_BEGIN ? "B" : "E");
		if (op->kind == TIMELINE_END)
			ended[op->thread] = op->time_ns + 1;
		json_ts(out, op->time_ns + (op->kind == TIMELINE_BEGIN &&
					    ended[op->thread] == op->time_ns + 1));
		fprintf(out, ",\"pid\":%d,\"tid\":%d}%s\n", thread_pid(t, th), thread_tid(t, th),
			i + 1 < t->nops ? "," : "");
	}
	fputs("]}\n", out);
	free(ended);
	return ferror(out) ? -EIO : 0;
}
