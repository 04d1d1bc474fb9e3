/*
 * struct sg_config to a blob and back.  The blob is a sequence of fixed
 * width integers in host order and strings as a 32-bit length and their
 * bytes (CP_NULL for a NULL pointer), arrays as a 32-bit count and their
 * elements, in the order of struct sg_config's fields.
 *
 * Reading uses a sticky error: each cp_get_* does nothing once one has
 * failed, so the readers below stay straight-line and conf_unpack checks
 * once.  Indexes are checked afterwards, in cp_check_*.
 *
 * A field added to struct sg_config must be added to both conf_pack and
 * conf_unpack; tests/unit/test_confpack.c fails on a changed size to say
 * so.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "confpack.h"

#define CP_MAGIC	0x46434753u	/* "SGCF" */
#define CP_VERSION	1u
#define CP_NULL		0xffffffffu

struct cp_w {
	uint8_t		*buf;
	size_t		 len;
	size_t		 cap;
	int		 err;		/* errno of the first failure */
};

struct cp_r {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	char		 err[128];	/* "" while all is well */
};

/* ---- writing ---- */

static void
cp_put(struct cp_w *w, const void *p, size_t n)
{
	size_t	 cap;
	uint8_t	*nb;

	if (w->err != 0)
		return;
	if (n > CONF_PACK_MAX - w->len) {
		w->err = EMSGSIZE;
		return;
	}
	if (w->len + n > w->cap) {
		cap = w->cap ? w->cap : 4096;
		while (cap < w->len + n)
			cap *= 2;
		if ((nb = realloc(w->buf, cap)) == NULL) {
			w->err = ENOMEM;
			return;
		}
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

#define CP_PUT(w, type, v)	do {	\
	type cp_v_ = (type)(v);		\
	cp_put((w), &cp_v_, sizeof(cp_v_)); \
} while (0)

static void
cp_put_str(struct cp_w *w, const char *s)
{
	size_t	 n;

	if (s == NULL) {
		CP_PUT(w, uint32_t, CP_NULL);
		return;
	}
	n = strlen(s);
	CP_PUT(w, uint32_t, n);
	cp_put(w, s, n);
}

static void
cp_put_strv(struct cp_w *w, char *const *v, size_t n)
{
	CP_PUT(w, uint32_t, n);
	for (size_t i = 0; i < n; i++)
		cp_put_str(w, v[i]);
}

static void
cp_put_ints(struct cp_w *w, const int *v, size_t n)
{
	CP_PUT(w, uint32_t, n);
	for (size_t i = 0; i < n; i++)
		CP_PUT(w, int32_t, v[i]);
}

static void
cp_put_addr(struct cp_w *w, const struct sg_addr *a)
{
	CP_PUT(w, uint8_t, a->family);
	cp_put(w, a->a, sizeof(a->a));
}

static void
cp_put_schedule(struct cp_w *w, const struct conf_schedule *s)
{
	cp_put_str(w, s->name);
	CP_PUT(w, uint8_t, s->weekdays);
	CP_PUT(w, uint32_t, s->ntimes);
	for (size_t i = 0; i < s->ntimes; i++) {
		CP_PUT(w, uint16_t, s->times[i].start);
		CP_PUT(w, uint16_t, s->times[i].end);
	}
	CP_PUT(w, uint32_t, s->nterms);
	for (size_t i = 0; i < s->nterms; i++) {
		CP_PUT(w, int32_t, s->terms[i].first);
		CP_PUT(w, int32_t, s->terms[i].last);
		cp_put_str(w, s->terms[i].label);
	}
	CP_PUT(w, uint32_t, s->nclosures);
	for (size_t i = 0; i < s->nclosures; i++) {
		CP_PUT(w, int32_t, s->closures[i].day);
		cp_put_str(w, s->closures[i].label);
	}
	CP_PUT(w, int32_t, s->line);
}

static void
cp_put_group(struct cp_w *w, const struct conf_group *g)
{
	cp_put_str(w, g->name);
	CP_PUT(w, uint32_t, g->nsubnets);
	for (size_t i = 0; i < g->nsubnets; i++) {
		cp_put_addr(w, &g->subnets[i].addr);
		CP_PUT(w, uint8_t, g->subnets[i].prefix);
	}
	cp_put_strv(w, g->interfaces, g->ninterfaces);
	cp_put_ints(w, g->devices, g->ndevices);
	CP_PUT(w, uint8_t, g->block_quic);
	CP_PUT(w, int32_t, g->line);
}

static void
cp_put_person(struct cp_w *w, const struct conf_person *p)
{
	cp_put_str(w, p->id);
	cp_put_str(w, p->name);
	CP_PUT(w, int32_t, p->group);
	cp_put_strv(w, p->roles, p->nroles);
	CP_PUT(w, int32_t, p->line);
}

static void
cp_put_device(struct cp_w *w, const struct conf_device *d)
{
	cp_put_str(w, d->name);
	CP_PUT(w, uint8_t, d->has_mac);
	cp_put(w, d->mac, sizeof(d->mac));
	CP_PUT(w, uint8_t, d->has_ip);
	cp_put_addr(w, &d->ip);
	CP_PUT(w, int32_t, d->owner);
	CP_PUT(w, int32_t, d->group);
	CP_PUT(w, uint8_t, d->school_owned);
	CP_PUT(w, int32_t, d->line);
}

static void
cp_put_category(struct cp_w *w, const struct conf_category *c)
{
	cp_put_str(w, c->name);
	cp_put_str(w, c->description);
	cp_put_strv(w, c->protocols, c->nprotocols);
	cp_put_strv(w, c->hosts, c->nhosts);
	CP_PUT(w, int32_t, c->line);
}

static void
cp_put_rule(struct cp_w *w, const struct conf_rule *r)
{
	cp_put_str(w, r->name);
	cp_put_str(w, r->clause);
	CP_PUT(w, uint8_t, r->action);
	cp_put_ints(w, r->groups, r->ngroups);
	cp_put_ints(w, r->people, r->npeople);
	cp_put_ints(w, r->devices, r->ndevices);
	CP_PUT(w, uint64_t, r->categories);
	cp_put_strv(w, r->apps, r->napps);
	CP_PUT(w, int32_t, r->schedule);
	CP_PUT(w, uint8_t, r->schedule_negate);
	CP_PUT(w, int32_t, r->line);
}

static void
cp_put_account(struct cp_w *w, const struct conf_account *a)
{
	cp_put_str(w, a->name);
	CP_PUT(w, int32_t, a->category);
	cp_put_str(w, a->app);
	cp_put_ints(w, a->owners, a->nowners);
	cp_put_ints(w, a->devices, a->ndevices);
	CP_PUT(w, int32_t, a->approved);
	CP_PUT(w, int32_t, a->review_by);
	CP_PUT(w, int32_t, a->ends);
	CP_PUT(w, int32_t, a->line);
}

/* Each array: its count, then each element with its writer. */
#define CP_PUT_ARRAY(w, v, n, fn)	do {		\
	CP_PUT((w), uint32_t, (n));			\
	for (size_t cp_i_ = 0; cp_i_ < (n); cp_i_++)	\
		fn((w), &(v)[cp_i_]);			\
} while (0)

static void
cp_put_settings(struct cp_w *w, const struct sg_config *c)
{
	cp_put_str(w, c->leases_path);
	CP_PUT(w, uint8_t, c->leases_format);
	CP_PUT(w, uint32_t, c->max_packets);
	CP_PUT(w, uint8_t, c->unknown_action);
	cp_put_str(w, c->unknown_clause);
	CP_PUT(w, int32_t, c->circumvention);
	cp_put_str(w, c->protocols_file);
	CP_PUT(w, int32_t, c->evasion_action);
	cp_put_str(w, c->db_path);
	CP_PUT(w, uint32_t, c->retention_days);
	cp_put_str(w, c->pseudonym_key_path);
	CP_PUT(w, uint8_t, c->syslog_records);
	CP_PUT(w, uint32_t, c->memory_rows);
	CP_PUT(w, uint32_t, c->queue_first);
	CP_PUT(w, uint32_t, c->queue_count);
	CP_PUT(w, uint32_t, c->queue_maxlen);
	CP_PUT(w, uint8_t, c->fail_open);
	CP_PUT(w, uint32_t, c->mark_mask);
	cp_put_str(w, c->user);
	cp_put_str(w, c->control_socket);
	cp_put_str(w, c->metrics_file);
}

int
conf_pack(const struct sg_config *c, uint8_t **blob, size_t *len)
{
	struct cp_w	 w = { NULL, 0, 0, 0 };

	CP_PUT(&w, uint32_t, CP_MAGIC);
	CP_PUT(&w, uint32_t, CP_VERSION);
	cp_put_str(&w, c->path);
	cp_put_str(&w, c->school_name);
	cp_put_str(&w, c->timezone);
	CP_PUT(&w, int32_t, c->school_hours);
	CP_PUT_ARRAY(&w, c->schedules, c->nschedules, cp_put_schedule);
	CP_PUT_ARRAY(&w, c->groups, c->ngroups, cp_put_group);
	CP_PUT(&w, int32_t, c->default_group);
	CP_PUT_ARRAY(&w, c->people, c->npeople, cp_put_person);
	CP_PUT_ARRAY(&w, c->devices, c->ndevices, cp_put_device);
	CP_PUT_ARRAY(&w, c->categories, c->ncategories, cp_put_category);
	CP_PUT_ARRAY(&w, c->rules, c->nrules, cp_put_rule);
	CP_PUT_ARRAY(&w, c->accounts, c->naccounts, cp_put_account);
	cp_put_settings(&w, c);
	if (w.err != 0) {
		free(w.buf);
		errno = w.err;
		return -1;
	}
	*blob = w.buf;
	*len = w.len;
	return 0;
}

/* ---- reading ---- */

static void
cp_fail(struct cp_r *r, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (r->err[0] != '\0')
		return;
	n = snprintf(r->err, sizeof(r->err), "config blob at byte %zu: ",
	    r->off);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(r->err))
		vsnprintf(r->err + n, sizeof(r->err) - (size_t)n, fmt, ap);
	va_end(ap);
}

static void
cp_get(struct cp_r *r, void *out, size_t n)
{
	if (r->err[0] != '\0' || n > r->len - r->off) {
		cp_fail(r, "truncated");
		memset(out, 0, n);
		return;
	}
	memcpy(out, r->p + r->off, n);
	r->off += n;
}

#define CP_GET(r, type, dst)	do {		\
	type cp_v_;				\
	cp_get((r), &cp_v_, sizeof(cp_v_));	\
	(dst) = cp_v_;				\
} while (0)

static char *
cp_get_str(struct cp_r *r)
{
	uint32_t	 n;
	char		*s;

	cp_get(r, &n, sizeof(n));
	if (r->err[0] != '\0' || n == CP_NULL)
		return NULL;
	if (n > r->len - r->off) {
		cp_fail(r, "string of %u bytes past the end", n);
		return NULL;
	}
	if (memchr(r->p + r->off, '\0', n) != NULL) {
		cp_fail(r, "NUL inside a string");
		return NULL;
	}
	if ((s = strndup((const char *)r->p + r->off, n)) == NULL)
		cp_fail(r, "out of memory");
	else
		r->off += n;
	return s;
}

/*
 * An array's count and storage.  Every element takes at least min_bytes
 * of the blob, so a count larger than what is left is a lie, and never
 * becomes a large allocation.
 */
static void *
cp_get_array(struct cp_r *r, size_t *n, size_t elem, size_t min_bytes)
{
	uint32_t	 count;
	void		*v;

	*n = 0;
	cp_get(r, &count, sizeof(count));
	if (r->err[0] != '\0' || count == 0)
		return NULL;
	if (count > (r->len - r->off) / min_bytes) {
		cp_fail(r, "count %u larger than the blob", count);
		return NULL;
	}
	if ((v = calloc(count, elem)) == NULL) {
		cp_fail(r, "out of memory");
		return NULL;
	}
	*n = count;
	return v;
}

static char **
cp_get_strv(struct cp_r *r, size_t *n)
{
	char	**v = cp_get_array(r, n, sizeof(char *), sizeof(uint32_t));

	for (size_t i = 0; i < *n; i++)
		v[i] = cp_get_str(r);
	return v;
}

static int *
cp_get_ints(struct cp_r *r, size_t *n)
{
	int	*v = cp_get_array(r, n, sizeof(int), sizeof(int32_t));

	for (size_t i = 0; i < *n; i++)
		CP_GET(r, int32_t, v[i]);
	return v;
}

static void
cp_get_addr(struct cp_r *r, struct sg_addr *a)
{
	CP_GET(r, uint8_t, a->family);
	cp_get(r, a->a, sizeof(a->a));
}

static void
cp_get_schedule(struct cp_r *r, struct conf_schedule *s)
{
	s->name = cp_get_str(r);
	CP_GET(r, uint8_t, s->weekdays);
	s->times = cp_get_array(r, &s->ntimes, sizeof(*s->times), 4);
	for (size_t i = 0; i < s->ntimes; i++) {
		CP_GET(r, uint16_t, s->times[i].start);
		CP_GET(r, uint16_t, s->times[i].end);
	}
	s->terms = cp_get_array(r, &s->nterms, sizeof(*s->terms), 12);
	for (size_t i = 0; i < s->nterms; i++) {
		CP_GET(r, int32_t, s->terms[i].first);
		CP_GET(r, int32_t, s->terms[i].last);
		s->terms[i].label = cp_get_str(r);
	}
	s->closures = cp_get_array(r, &s->nclosures, sizeof(*s->closures), 8);
	for (size_t i = 0; i < s->nclosures; i++) {
		CP_GET(r, int32_t, s->closures[i].day);
		s->closures[i].label = cp_get_str(r);
	}
	CP_GET(r, int32_t, s->line);
}

static void
cp_get_group(struct cp_r *r, struct conf_group *g)
{
	g->name = cp_get_str(r);
	g->subnets = cp_get_array(r, &g->nsubnets, sizeof(*g->subnets), 18);
	for (size_t i = 0; i < g->nsubnets; i++) {
		cp_get_addr(r, &g->subnets[i].addr);
		CP_GET(r, uint8_t, g->subnets[i].prefix);
	}
	g->interfaces = cp_get_strv(r, &g->ninterfaces);
	g->devices = cp_get_ints(r, &g->ndevices);
	CP_GET(r, uint8_t, g->block_quic);
	CP_GET(r, int32_t, g->line);
}

static void
cp_get_person(struct cp_r *r, struct conf_person *p)
{
	p->id = cp_get_str(r);
	p->name = cp_get_str(r);
	CP_GET(r, int32_t, p->group);
	p->roles = cp_get_strv(r, &p->nroles);
	CP_GET(r, int32_t, p->line);
}

static void
cp_get_device(struct cp_r *r, struct conf_device *d)
{
	d->name = cp_get_str(r);
	CP_GET(r, uint8_t, d->has_mac);
	cp_get(r, d->mac, sizeof(d->mac));
	CP_GET(r, uint8_t, d->has_ip);
	cp_get_addr(r, &d->ip);
	CP_GET(r, int32_t, d->owner);
	CP_GET(r, int32_t, d->group);
	CP_GET(r, uint8_t, d->school_owned);
	CP_GET(r, int32_t, d->line);
}

static void
cp_get_category(struct cp_r *r, struct conf_category *c)
{
	c->name = cp_get_str(r);
	c->description = cp_get_str(r);
	c->protocols = cp_get_strv(r, &c->nprotocols);
	c->hosts = cp_get_strv(r, &c->nhosts);
	CP_GET(r, int32_t, c->line);
}

static void
cp_get_rule(struct cp_r *r, struct conf_rule *ru)
{
	ru->name = cp_get_str(r);
	ru->clause = cp_get_str(r);
	CP_GET(r, uint8_t, ru->action);
	ru->groups = cp_get_ints(r, &ru->ngroups);
	ru->people = cp_get_ints(r, &ru->npeople);
	ru->devices = cp_get_ints(r, &ru->ndevices);
	CP_GET(r, uint64_t, ru->categories);
	ru->apps = cp_get_strv(r, &ru->napps);
	CP_GET(r, int32_t, ru->schedule);
	CP_GET(r, uint8_t, ru->schedule_negate);
	CP_GET(r, int32_t, ru->line);
}

static void
cp_get_account(struct cp_r *r, struct conf_account *a)
{
	a->name = cp_get_str(r);
	CP_GET(r, int32_t, a->category);
	a->app = cp_get_str(r);
	a->owners = cp_get_ints(r, &a->nowners);
	a->devices = cp_get_ints(r, &a->ndevices);
	CP_GET(r, int32_t, a->approved);
	CP_GET(r, int32_t, a->review_by);
	CP_GET(r, int32_t, a->ends);
	CP_GET(r, int32_t, a->line);
}

/* Smallest packed element of each array: its strings empty or NULL. */
#define CP_MIN_SCHEDULE	(4 + 1 + 4 + 4 + 4 + 4)
#define CP_MIN_GROUP	(4 + 4 + 4 + 4 + 1 + 4)
#define CP_MIN_PERSON	(4 + 4 + 4 + 4 + 4)
#define CP_MIN_DEVICE	(4 + 1 + 6 + 1 + 17 + 4 + 4 + 1 + 4)
#define CP_MIN_CATEGORY	(4 + 4 + 4 + 4 + 4)
#define CP_MIN_RULE	(4 + 4 + 1 + 4 + 4 + 4 + 8 + 4 + 4 + 1 + 4)
#define CP_MIN_ACCOUNT	(4 + 4 + 4 + 4 + 4 + 4 + 4 + 4 + 4)

#define CP_GET_ARRAY(r, v, n, fn, min)	do {			\
	(v) = cp_get_array((r), &(n), sizeof(*(v)), (min));	\
	for (size_t cp_i_ = 0; cp_i_ < (n); cp_i_++)		\
		fn((r), &(v)[cp_i_]);				\
} while (0)

static void
cp_get_settings(struct cp_r *r, struct sg_config *c)
{
	c->leases_path = cp_get_str(r);
	CP_GET(r, uint8_t, c->leases_format);
	CP_GET(r, uint32_t, c->max_packets);
	CP_GET(r, uint8_t, c->unknown_action);
	c->unknown_clause = cp_get_str(r);
	CP_GET(r, int32_t, c->circumvention);
	c->protocols_file = cp_get_str(r);
	CP_GET(r, int32_t, c->evasion_action);
	c->db_path = cp_get_str(r);
	CP_GET(r, uint32_t, c->retention_days);
	c->pseudonym_key_path = cp_get_str(r);
	CP_GET(r, uint8_t, c->syslog_records);
	CP_GET(r, uint32_t, c->memory_rows);
	CP_GET(r, uint32_t, c->queue_first);
	CP_GET(r, uint32_t, c->queue_count);
	CP_GET(r, uint32_t, c->queue_maxlen);
	CP_GET(r, uint8_t, c->fail_open);
	CP_GET(r, uint32_t, c->mark_mask);
	c->user = cp_get_str(r);
	c->control_socket = cp_get_str(r);
	c->metrics_file = cp_get_str(r);
}

static void
cp_get_config(struct cp_r *r, struct sg_config *c)
{
	uint32_t	 magic, version;

	cp_get(r, &magic, sizeof(magic));
	cp_get(r, &version, sizeof(version));
	if (magic != CP_MAGIC || version != CP_VERSION) {
		cp_fail(r, "not a version %u config blob", CP_VERSION);
		return;
	}
	c->path = cp_get_str(r);
	c->school_name = cp_get_str(r);
	c->timezone = cp_get_str(r);
	CP_GET(r, int32_t, c->school_hours);
	CP_GET_ARRAY(r, c->schedules, c->nschedules, cp_get_schedule,
	    CP_MIN_SCHEDULE);
	CP_GET_ARRAY(r, c->groups, c->ngroups, cp_get_group, CP_MIN_GROUP);
	CP_GET(r, int32_t, c->default_group);
	CP_GET_ARRAY(r, c->people, c->npeople, cp_get_person, CP_MIN_PERSON);
	CP_GET_ARRAY(r, c->devices, c->ndevices, cp_get_device,
	    CP_MIN_DEVICE);
	CP_GET_ARRAY(r, c->categories, c->ncategories, cp_get_category,
	    CP_MIN_CATEGORY);
	CP_GET_ARRAY(r, c->rules, c->nrules, cp_get_rule, CP_MIN_RULE);
	CP_GET_ARRAY(r, c->accounts, c->naccounts, cp_get_account,
	    CP_MIN_ACCOUNT);
	cp_get_settings(r, c);
	if (r->err[0] == '\0' && r->off != r->len)
		cp_fail(r, "%zu bytes after the config", r->len - r->off);
}

/* ---- checking what was read ---- */

static bool
cp_index_ok(int i, size_t n, bool none_ok)
{
	return (none_ok && i == -1) || (i >= 0 && (size_t)i < n);
}

static bool
cp_indexes_ok(const int *v, size_t nv, size_t n)
{
	for (size_t i = 0; i < nv; i++)
		if (!cp_index_ok(v[i], n, false))
			return false;
	return true;
}

static bool
cp_addr_ok(const struct sg_addr *a, unsigned prefix)
{
	return (a->family == AF_INET && prefix <= 32) ||
	    (a->family == AF_INET6 && prefix <= 128);
}

static void
cp_check_schedules(struct cp_r *r, const struct sg_config *c)
{
	for (size_t i = 0; i < c->nschedules; i++) {
		const struct conf_schedule *s = &c->schedules[i];

		if (s->name == NULL || s->weekdays > 0x7f)
			cp_fail(r, "schedule %zu malformed", i);
		for (size_t j = 0; j < s->ntimes; j++)
			if (s->times[j].start > 1440 || s->times[j].end > 1440)
				cp_fail(r, "schedule %zu: time out of range",
				    i);
	}
}

static void
cp_check_entities(struct cp_r *r, const struct sg_config *c)
{
	for (size_t i = 0; i < c->ngroups; i++) {
		const struct conf_group *g = &c->groups[i];

		if (g->name == NULL ||
		    !cp_indexes_ok(g->devices, g->ndevices, c->ndevices))
			cp_fail(r, "group %zu malformed", i);
		for (size_t j = 0; j < g->nsubnets; j++)
			if (!cp_addr_ok(&g->subnets[j].addr,
			    g->subnets[j].prefix))
				cp_fail(r, "group %zu: bad subnet", i);
	}
	for (size_t i = 0; i < c->npeople; i++)
		if (c->people[i].id == NULL ||
		    !cp_index_ok(c->people[i].group, c->ngroups, false))
			cp_fail(r, "person %zu malformed", i);
	for (size_t i = 0; i < c->ndevices; i++) {
		const struct conf_device *d = &c->devices[i];

		if (d->name == NULL ||
		    (d->has_ip && !cp_addr_ok(&d->ip, 0)) ||
		    !cp_index_ok(d->owner, c->npeople, true) ||
		    !cp_index_ok(d->group, c->ngroups, true))
			cp_fail(r, "device %zu malformed", i);
	}
}

static void
cp_check_policy(struct cp_r *r, const struct sg_config *c)
{
	uint64_t known = c->ncategories >= 64 ? ~(uint64_t)0 :
	    ((uint64_t)1 << c->ncategories) - 1;

	if (c->ncategories > CONF_MAX_CATEGORIES)
		cp_fail(r, "%zu categories", c->ncategories);
	for (size_t i = 0; i < c->ncategories; i++)
		if (c->categories[i].name == NULL)
			cp_fail(r, "category %zu has no name", i);
	for (size_t i = 0; i < c->nrules; i++) {
		const struct conf_rule *ru = &c->rules[i];

		if (ru->name == NULL || ru->action > SG_BLOCK ||
		    !cp_indexes_ok(ru->groups, ru->ngroups, c->ngroups) ||
		    !cp_indexes_ok(ru->people, ru->npeople, c->npeople) ||
		    !cp_indexes_ok(ru->devices, ru->ndevices, c->ndevices) ||
		    (ru->categories & ~known) != 0 ||
		    !cp_index_ok(ru->schedule, c->nschedules, true))
			cp_fail(r, "rule %zu malformed", i);
	}
	for (size_t i = 0; i < c->naccounts; i++) {
		const struct conf_account *a = &c->accounts[i];

		if (a->name == NULL ||
		    !cp_index_ok(a->category, c->ncategories, true) ||
		    !cp_indexes_ok(a->owners, a->nowners, c->npeople) ||
		    !cp_indexes_ok(a->devices, a->ndevices, c->ndevices))
			cp_fail(r, "account %zu malformed", i);
	}
}

static void
cp_check_config(struct cp_r *r, const struct sg_config *c)
{
	cp_check_schedules(r, c);
	cp_check_entities(r, c);
	cp_check_policy(r, c);
	if (c->timezone == NULL ||
	    !cp_index_ok(c->school_hours, c->nschedules, true) ||
	    !cp_index_ok(c->default_group, c->ngroups, false) ||
	    !cp_index_ok(c->circumvention, c->ncategories, true) ||
	    c->unknown_action > SG_BLOCK ||
	    c->evasion_action < CONF_EVASION_AUTO ||
	    c->evasion_action > SG_BLOCK ||
	    c->leases_format > LEASES_KEA || c->unknown_clause == NULL)
		cp_fail(r, "settings out of range");
}

struct sg_config *
conf_unpack(const uint8_t *blob, size_t len, char *err, size_t errlen)
{
	struct cp_r		 r = { blob, len, 0, "" };
	struct sg_config	*c;

	if (len > CONF_PACK_MAX) {
		snprintf(err, errlen, "config blob of %zu bytes", len);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	cp_get_config(&r, c);
	if (r.err[0] == '\0')
		cp_check_config(&r, c);
	if (r.err[0] != '\0') {
		snprintf(err, errlen, "%s", r.err);
		conf_free(c);
		return NULL;
	}
	return c;
}
