#include "profile/profile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/vec.h"

struct kiln_profile *kiln_profile_new(void)
{
	struct kiln_profile *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	intern_init(&p->strings);
	intern_init(&p->functions);
	intern_init(&p->mappings);
	intern_init(&p->locations);
	intern_init(&p->sample_keys);
	/* pprof requires string_table[0] == ""; keeping "" at a fixed id makes export trivial. */
	if (kiln_profile_intern(p, "", 0) != 1) {
		kiln_profile_free(p);
		return NULL;
	}
	return p;
}

void kiln_profile_free(struct kiln_profile *p)
{
	if (!p)
		return;
	intern_free(&p->strings);
	intern_free(&p->functions);
	intern_free(&p->mappings);
	intern_free(&p->locations);
	intern_free(&p->sample_keys);
	free(p->locs);
	free(p->lines);
	free(p->stack_locs);
	free(p->samples);
	free(p->events);
	free(p);
}

uint32_t kiln_profile_intern(struct kiln_profile *p, const char *s, size_t len)
{
	return intern_get(&p->strings, s, len, NULL);
}

uint32_t kiln_profile_intern_cstr(struct kiln_profile *p, const char *s)
{
	return kiln_profile_intern(p, s ? s : "", s ? strlen(s) : 0);
}

const char *kiln_profile_str(const struct kiln_profile *p, uint32_t id)
{
	if (!id || id > p->strings.count)
		return "";
	return intern_key(&p->strings, id, NULL);
}

/* Interns two strings either of which may live in p's own string arena, which interning the
 * first can move: the second is copied first. 0 or -ENOMEM. */
static int intern_pair(struct kiln_profile *p, const char *a, const char *b, uint32_t *ida,
		       uint32_t *idb)
{
	char *copy = strdup(b ? b : "");
	if (!copy)
		return -ENOMEM;
	*ida = kiln_profile_intern_cstr(p, a);
	*idb = kiln_profile_intern_cstr(p, copy);
	free(copy);
	return *ida && *idb ? 0 : -ENOMEM;
}

int kiln_profile_add_value_type(struct kiln_profile *p, const char *type, const char *unit)
{
	if (p->nvalues >= KILN_MAX_VALUES)
		return -ENOSPC;
	struct kiln_value_type vt;
	if (intern_pair(p, type, unit, &vt.type, &vt.unit))
		return -ENOMEM;
	p->value_types[p->nvalues] = vt;
	return (int)p->nvalues++;
}

void kiln_profile_set_period(struct kiln_profile *p, const char *type, const char *unit,
			     int64_t period)
{
	uint32_t t, u;
	if (intern_pair(p, type, unit, &t, &u))
		t = u = 0;
	p->period_type.type = t;
	p->period_type.unit = u;
	p->period = period;
}

uint32_t kiln_profile_function(struct kiln_profile *p, const struct kiln_function *f)
{
	struct kiln_function key = *f;
	if (!key.system_name)
		key.system_name = key.name;
	return intern_get(&p->functions, &key, sizeof(key), NULL);
}

uint32_t kiln_profile_function_named(struct kiln_profile *p, const char *name, size_t len)
{
	struct kiln_function f = {.name = kiln_profile_intern(p, name, len)};
	return f.name ? kiln_profile_function(p, &f) : 0;
}

uint32_t kiln_profile_mapping(struct kiln_profile *p, const struct kiln_mapping *m)
{
	return intern_get(&p->mappings, m, sizeof(*m), NULL);
}

/* A location's identity is everything about it; the key is built in a stack buffer for the
 * common short case. */
struct location_key_head {
	uint64_t address;
	uint32_t mapping;
	uint32_t kind;
};

uint32_t kiln_profile_location(struct kiln_profile *p, uint32_t mapping, uint64_t address,
			       enum kiln_frame_kind kind, const struct kiln_line *lines,
			       uint32_t nlines)
{
	struct location_key_head head = {address, mapping, (uint32_t)kind};
	size_t keylen = sizeof(head) + nlines * sizeof(*lines);
	char stackbuf[sizeof(head) + 8 * sizeof(struct kiln_line)];
	char *key = keylen <= sizeof(stackbuf) ? stackbuf : malloc(keylen);
	if (!key)
		return 0;
	memcpy(key, &head, sizeof(head));
	if (nlines)
		memcpy(key + sizeof(head), lines, nlines * sizeof(*lines));
	bool added;
	uint32_t id = intern_get(&p->locations, key, keylen, &added);
	if (key != stackbuf)
		free(key);
	if (!id || !added)
		return id;
	if (VEC_RESERVE(p->locs, p->locs_cap, id) ||
	    VEC_RESERVE(p->lines, p->lines_cap, p->nlines + nlines))
		return 0;
	p->locs[id - 1] = (struct kiln_location){.mapping = mapping,
						 .address = address,
						 .kind = (uint8_t)kind,
						 .nlines = nlines,
						 .first_line = (uint32_t)p->nlines};
	if (nlines)
		memcpy(p->lines + p->nlines, lines, nlines * sizeof(*lines));
	p->nlines += nlines;
	return id;
}

const struct kiln_function *kiln_profile_get_function(const struct kiln_profile *p, uint32_t id)
{
	if (!id || id > p->functions.count)
		return NULL;
	return intern_key(&p->functions, id, NULL);
}

const struct kiln_mapping *kiln_profile_get_mapping(const struct kiln_profile *p, uint32_t id)
{
	if (!id || id > p->mappings.count)
		return NULL;
	return intern_key(&p->mappings, id, NULL);
}

const struct kiln_location *kiln_profile_get_location(const struct kiln_profile *p, uint32_t id)
{
	if (!id || id > p->locations.count)
		return NULL;
	return &p->locs[id - 1];
}

size_t kiln_profile_nfunctions(const struct kiln_profile *p)
{
	return p->functions.count;
}

size_t kiln_profile_nmappings(const struct kiln_profile *p)
{
	return p->mappings.count;
}

size_t kiln_profile_nlocations(const struct kiln_profile *p)
{
	return p->locations.count;
}

const uint32_t *kiln_profile_sample_locs(const struct kiln_profile *p, const struct kiln_sample *s)
{
	/* No stack has a frame yet: there is no array to point into. */
	return p->stack_locs ? p->stack_locs + s->first_loc : NULL;
}

/* The column magnitudes after adding values, or -EOVERFLOW. */
static int grow_magnitude(const struct kiln_profile *p, const int64_t *values, uint64_t *next)
{
	for (size_t i = 0; i < p->nvalues; i++) {
		int64_t v = values ? values[i] : 0;
		if (v == INT64_MIN)
			return -EOVERFLOW;
		uint64_t m = (uint64_t)(v < 0 ? -v : v);
		if (m > (uint64_t)INT64_MAX - p->magnitude[i])
			return -EOVERFLOW;
		next[i] = p->magnitude[i] + m;
	}
	return 0;
}

long kiln_profile_add_sample(struct kiln_profile *p, const uint32_t *locs, uint32_t nlocs,
			     const struct kiln_labels *labels, const int64_t *values)
{
	uint64_t magnitude[KILN_MAX_VALUES];
	if (grow_magnitude(p, values, magnitude))
		return -EOVERFLOW;
	struct kiln_labels lab = labels ? *labels : kiln_labels_none();
	size_t keylen = sizeof(lab) + nlocs * sizeof(*locs);
	uint32_t stackbuf[64 + sizeof(lab) / sizeof(uint32_t)];
	char *key = keylen <= sizeof(stackbuf) ? (char *)stackbuf : malloc(keylen);
	if (!key)
		return -ENOMEM;
	memcpy(key, &lab, sizeof(lab));
	if (nlocs)
		memcpy(key + sizeof(lab), locs, nlocs * sizeof(*locs));
	bool added;
	uint32_t id = intern_get(&p->sample_keys, key, keylen, &added);
	if (key != (char *)stackbuf)
		free(key);
	if (!id)
		return -ENOMEM;
	if (added) {
		if (VEC_RESERVE(p->samples, p->samples_cap, id) ||
		    VEC_RESERVE(p->stack_locs, p->stack_locs_cap, p->nstack_locs + nlocs))
			return -ENOMEM;
		struct kiln_sample *s = &p->samples[id - 1];
		memset(s, 0, sizeof(*s));
		s->nlocs = nlocs;
		s->first_loc = (uint32_t)p->nstack_locs;
		s->labels = lab;
		if (nlocs)
			memcpy(p->stack_locs + p->nstack_locs, locs, nlocs * sizeof(*locs));
		p->nstack_locs += nlocs;
		p->nsamples = id;
	}
	struct kiln_sample *s = &p->samples[id - 1];
	for (size_t i = 0; i < p->nvalues && values; i++)
		s->values[i] += values[i];
	memcpy(p->magnitude, magnitude, p->nvalues * sizeof(*magnitude));
	return (long)(id - 1);
}

int kiln_profile_add_to_sample(struct kiln_profile *p, long sample, const int64_t *values)
{
	if (sample < 0 || (size_t)sample >= p->nsamples)
		return -EINVAL;
	uint64_t magnitude[KILN_MAX_VALUES];
	if (grow_magnitude(p, values, magnitude))
		return -EOVERFLOW;
	for (size_t i = 0; i < p->nvalues; i++)
		p->samples[sample].values[i] += values[i];
	memcpy(p->magnitude, magnitude, p->nvalues * sizeof(*magnitude));
	return 0;
}

int kiln_profile_add_event(struct kiln_profile *p, uint64_t time_ns, uint32_t sample,
			   int64_t weight)
{
	if (p->skip_events)
		return 0;
	if (VEC_RESERVE(p->events, p->events_cap, p->nevents + 1))
		return -ENOMEM;
	p->events[p->nevents++] = (struct kiln_event){time_ns, sample, weight};
	return 0;
}

int64_t kiln_profile_total(const struct kiln_profile *p, size_t col)
{
	int64_t total = 0;
	for (size_t i = 0; i < p->nsamples; i++)
		total += p->samples[i].values[col];
	return total;
}
