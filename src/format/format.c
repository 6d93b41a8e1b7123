#include "format/format.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "format/perfscript.h"
#include "format/pprof.h"
#include "format/timeline.h"
#include "util/log.h"

/* Formats other modules provide are referenced weakly (and only when their header exists),
 * so the registry links whichever of them this tree has. */
#if __has_include("format/folded.h")
#include "format/folded.h"
#pragma weak folded_read_file
#pragma weak folded_write_file
#define HAVE_FOLDED 1
#endif
#if __has_include("format/flamegraph.h")
#include "format/flamegraph.h"
#pragma weak flamegraph_write_file
#pragma weak flamegraph_default_options
#define HAVE_FLAMEGRAPH 1
#endif
#if __has_include("format/perfdata.h")
#include "format/perfdata.h"
#pragma weak perfdata_read_file
#define HAVE_PERFDATA 1
#endif

void kiln_write_options_init(struct kiln_write_options *o)
{
	memset(o, 0, sizeof(*o));
	o->diff_col = -1;
}

static int pprof_write(const struct kiln_profile *p, const char *path,
		       const struct kiln_write_options *o)
{
	(void)o; /* pprof keeps every column and label */
	return pprof_write_file(p, path);
}

#ifdef HAVE_FOLDED
static int folded_write_registered(const struct kiln_profile *p, const char *path,
				   const struct kiln_write_options *o)
{
	struct folded_options fo = {.comm = o->comm || o->pid || o->tid,
				    .pid = o->pid,
				    .tid = o->tid,
				    .annotate = o->annotate,
				    .value_col = o->value_col};
	return folded_write_file(p, path, &fo);
}
#endif

#ifdef HAVE_FLAMEGRAPH
static int svg_write(const struct kiln_profile *p, const char *path,
		     const struct kiln_write_options *o)
{
	struct flamegraph_options fo;
	flamegraph_default_options(&fo);
	if (o->title)
		fo.title = o->title;
	if (o->subtitle)
		fo.subtitle = o->subtitle;
	fo.comm = o->comm || o->pid || o->tid;
	fo.pid = o->pid;
	fo.tid = o->tid;
	fo.annotate = o->annotate;
	fo.value_col = o->value_col;
	fo.diff_col = o->diff_col;
	if (o->countname)
		fo.countname = o->countname;
	if (o->nametype)
		fo.nametype = o->nametype;
	if (o->colors)
		fo.colors = o->colors;
	if (o->width > 0)
		fo.width = o->width;
	if (o->frame_height > 0)
		fo.frame_height = o->frame_height;
	if (o->font_size > 0)
		fo.font_size = o->font_size;
	if (o->min_width_set) {
		fo.min_width = o->min_width;
		fo.min_width_pct = o->min_width_pct;
	}
	fo.inverted = o->inverted;
	fo.reverse = o->reverse;
	fo.flamechart = o->flamechart;
	fo.negate = o->negate;
	return flamegraph_write_file(p, path, &fo);
}
#endif

static struct kiln_format formats[] = {
    {"pprof", ".pb.gz .pprof .pb .prof", pprof_read_file, pprof_write, false},
    {"folded", ".folded .txt .collapsed", NULL, NULL, false},
    {"svg", ".svg", NULL, NULL, false},
    {"perf", ".data", NULL, NULL, false},
    {"perf-script", ".perf-script .perfscript", perfscript_read_file, NULL, false},
    /* Timelines of timestamped samples; written only. */
    {"chrome", ".json", NULL, chrome_trace_write_file, true},
    {"perfetto", ".perfetto-trace .pftrace", NULL, perfetto_trace_write_file, true},
};
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

/* Fills in the entries whose code is linked in; the weak references are NULL otherwise. */
static void registry_init(void)
{
	static bool done;
	if (done)
		return;
	done = true;
#ifdef HAVE_FOLDED
	if (folded_read_file)
		formats[1].read = folded_read_file;
	if (folded_write_file)
		formats[1].write = folded_write_registered;
#endif
#ifdef HAVE_FLAMEGRAPH
	if (flamegraph_write_file && flamegraph_default_options)
		formats[2].write = svg_write;
#endif
#ifdef HAVE_PERFDATA
	if (perfdata_read_file)
		formats[3].read = perfdata_read_file;
#endif
}

const struct kiln_format *kiln_format_at(size_t i)
{
	registry_init();
	return i < NFORMATS ? &formats[i] : NULL;
}

const struct kiln_format *kiln_format_named(const char *name)
{
	registry_init();
	for (size_t i = 0; i < NFORMATS; i++)
		if (!strcmp(formats[i].name, name))
			return &formats[i];
	return NULL;
}

static bool ends_with_extension(const char *path, const char *ext, size_t extlen)
{
	size_t n = strlen(path);
	return n > extlen && !strncmp(path + n - extlen, ext, extlen);
}

const struct kiln_format *kiln_format_for_path(const char *path)
{
	registry_init();
	/* "perf.data" and "perf.data.old" are perf's names; no extension says it. */
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!strncmp(base, "perf.data", 9))
		return kiln_format_named("perf");
	for (size_t i = 0; i < NFORMATS; i++) {
		const char *e = formats[i].extensions;
		while (*e) {
			size_t len = strcspn(e, " ");
			if (len && ends_with_extension(path, e, len))
				return &formats[i];
			e += len;
			e += strspn(e, " ");
		}
	}
	return NULL;
}

const char *kiln_format_names(bool writable)
{
	static char buf[128];
	registry_init();
	buf[0] = 0;
	for (size_t i = 0; i < NFORMATS; i++) {
		if (!(writable ? (void *)formats[i].write : (void *)formats[i].read))
			continue;
		if (buf[0])
			strcat(buf, ", ");
		strcat(buf, formats[i].name);
	}
	return buf;
}

static int read_magic(const char *path, unsigned char *buf, size_t len, size_t *got)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	*got = fread(buf, 1, len, f);
	int err = ferror(f) ? -EIO : 0;
	fclose(f);
	return err;
}

const struct kiln_format *kiln_format_sniff(const char *path)
{
	unsigned char magic[8];
	size_t got = 0;
	int err = read_magic(path, magic, sizeof(magic), &got);
	if (err) {
		kiln_error("cannot read %s: %s", path, strerror(-err));
		return NULL;
	}
	const struct kiln_format *f = NULL;
	if (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
		f = kiln_format_named("pprof");
	else if (got == 8 && !memcmp(magic, "PERFILE2", 8))
		f = kiln_format_named("perf");
	else
		f = kiln_format_for_path(path);
	if (!f || !f->read) {
		/* Text of any other name is most likely folded stacks (flamegraph.pl's input). */
		const struct kiln_format *folded = kiln_format_named("folded");
		if (!f || f == folded || !strcmp(f->name, "svg"))
			f = folded;
	}
	if (!f->read) {
		kiln_error("%s: reading %s files is not built into this kiln (it reads: %s)", path,
			   f->name, kiln_format_names(false));
		return NULL;
	}
	return f;
}

int kiln_profile_read_any(struct kiln_profile *p, const char *path)
{
	const struct kiln_format *f = kiln_format_sniff(path);
	return f ? f->read(p, path) : -EINVAL;
}

int kiln_default_input(char *buf, size_t cap)
{
	struct stat st;
	if (!stat("kiln.folded", &st) && S_ISREG(st.st_mode)) {
		snprintf(buf, cap, "kiln.folded");
		return 0;
	}
	DIR *d = opendir(".");
	if (!d)
		return -errno;
	struct timespec newest = {0, 0};
	bool found = false;
	for (struct dirent *e; (e = readdir(d));) {
		const struct kiln_format *f = kiln_format_for_path(e->d_name);
		if (!f || !f->read || stat(e->d_name, &st) || !S_ISREG(st.st_mode))
			continue;
		bool newer =
		    st.st_mtim.tv_sec > newest.tv_sec ||
		    (st.st_mtim.tv_sec == newest.tv_sec && st.st_mtim.tv_nsec > newest.tv_nsec);
		if (!found || newer) {
			newest = st.st_mtim;
			snprintf(buf, cap, "%s", e->d_name);
			found = true;
		}
	}
	closedir(d);
	return found ? 0 : -ENOENT;
}
