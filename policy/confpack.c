/*
 * struct sg_config to a blob and back.  The blob is a sequence of fixed
 * width integers in host order and strings as a 32-bit length and their
 * bytes (CP_NULL for a NULL pointer), arrays as a 32-bit count and their
 * elements, in the order of struct sg_config's fields.
 *
 * One codec walks the config both ways, field by field, so packing and
 * unpacking cannot drift apart: writing, cp_num and friends append each
 * field to the blob; reading, they fill it from the blob.  Errors are
 * sticky: once one step fails the rest do nothing, so each walker stays
 * straight-line and the caller checks once.  Indexes are checked after
 * reading, in cp_check_*.
 *
 * A field added to struct sg_config needs one line in its walker here;
 * tests/unit/test_confpack.c fails on a changed struct size to say so.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "confpack.h"
#include "lists.h"

#define CP_MAGIC	0x46434753u	/* "SGCF" */
#define CP_VERSION	1u
#define CP_NULL		0xffffffffu

struct cp {
	bool		 reading;
	uint8_t		*buf;		/* writing: the blob so far */
	size_t		 cap;
	const uint8_t	*p;		/* reading: the blob */
	size_t		 len;		/* bytes written, or the blob's size */
	size_t		 off;		/* reading: bytes consumed */
	char		 err[128];	/* "" while all is well */
	int		 errnum;	/* writing: ENOMEM or EMSGSIZE */
};

static void
cp_fail(struct cp *c, int errnum, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (c->err[0] != '\0')
		return;
	c->errnum = errnum;
	n = snprintf(c->err, sizeof(c->err), "config blob at byte %zu: ",
	    c->reading ? c->off : c->len);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(c->err))
		vsnprintf(c->err + n, sizeof(c->err) - (size_t)n, fmt, ap);
	va_end(ap);
}

static void
cp_put(struct cp *c, const void *v, size_t n)
{
	size_t	 cap;
	uint8_t	*nb;

	if (n > CONF_PACK_MAX - c->len) {
		cp_fail(c, EMSGSIZE, "over %u bytes", CONF_PACK_MAX);
		return;
	}
	if (c->len + n > c->cap) {
		cap = c->cap ? c->cap : 4096;
		while (cap < c->len + n)
			cap *= 2;
		if ((nb = realloc(c->buf, cap)) == NULL) {
			cp_fail(c, ENOMEM, "out of memory");
			return;
		}
		c->buf = nb;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, v, n);
	c->len += n;
}

/* n bytes of a field, either way; a failed read leaves zeros. */
static void
cp_bytes(struct cp *c, void *v, size_t n)
{
	if (c->err[0] != '\0') {
		if (c->reading)
			memset(v, 0, n);
		return;
	}
	if (!c->reading) {
		cp_put(c, v, n);
		return;
	}
	if (n > c->len - c->off) {
		cp_fail(c, 0, "truncated");
		memset(v, 0, n);
		return;
	}
	memcpy(v, c->p + c->off, n);
	c->off += n;
}

/*
 * A scalar field as a wire type.  Writing never stores into the config:
 * conf_pack's config may be shared with threads that read it.
 */
#define CP_NUM(c, type, field)	do {			\
	type cp_v_ = (type)(field);			\
	cp_bytes((c), &cp_v_, sizeof(cp_v_));		\
	if ((c)->reading)				\
		(field) = cp_v_;			\
} while (0)

static void
cp_str(struct cp *c, char **s)
{
	uint32_t	 n = CP_NULL;

	if (!c->reading) {
		if (*s != NULL)
			n = (uint32_t)strlen(*s);
		cp_bytes(c, &n, sizeof(n));
		if (n != CP_NULL)
			cp_bytes(c, *s, n);
		return;
	}
	*s = NULL;
	cp_bytes(c, &n, sizeof(n));
	if (c->err[0] != '\0' || n == CP_NULL)
		return;
	if (n > c->len - c->off)
		cp_fail(c, 0, "string of %u bytes past the end", n);
	else if (memchr(c->p + c->off, '\0', n) != NULL)
		cp_fail(c, 0, "NUL inside a string");
	else if ((*s = strndup((const char *)c->p + c->off, n)) == NULL)
		cp_fail(c, ENOMEM, "out of memory");
	else
		c->off += n;
}

/*
 * An array's count, and when reading its zeroed storage.  Every element
 * takes at least min_bytes of the blob, so a count larger than what is
 * left is a lie, and never becomes a large allocation.
 */
static void *
cp_array(struct cp *c, void *v, size_t *n, size_t elem, size_t min_bytes)
{
	uint32_t	 count = (uint32_t)*n;

	cp_bytes(c, &count, sizeof(count));
	if (!c->reading)
		return v;
	*n = 0;
	if (c->err[0] != '\0' || count == 0)
		return NULL;
	if (count > (c->len - c->off) / min_bytes) {
		cp_fail(c, 0, "count %u larger than the blob", count);
		return NULL;
	}
	if ((v = calloc(count, elem)) == NULL) {
		cp_fail(c, ENOMEM, "out of memory");
		return NULL;
	}
	*n = count;
	return v;
}

#define CP_ARRAY(c, v, n, min)	do {				\
	void *cp_a_ = cp_array((c), (v), &(n), sizeof(*(v)), (min));	\
	if ((c)->reading)					\
		(v) = cp_a_;					\
} while (0)

/* Each element of an array with its walker. */
#define CP_EACH(c, v, n, fn, min)	do {			\
	CP_ARRAY((c), (v), (n), (min));				\
	for (size_t cp_i_ = 0; cp_i_ < (n); cp_i_++)		\
		fn((c), &(v)[cp_i_]);				\
} while (0)

static void
cp_strv(struct cp *c, char ***v, size_t *n)
{
	CP_ARRAY(c, *v, *n, sizeof(uint32_t));
	for (size_t i = 0; i < *n; i++)
		cp_str(c, &(*v)[i]);
}

static void
cp_ints(struct cp *c, int **v, size_t *n)
{
	CP_ARRAY(c, *v, *n, sizeof(int32_t));
	for (size_t i = 0; i < *n; i++)
		CP_NUM(c, int32_t, (*v)[i]);
}

static void
cp_addr(struct cp *c, struct sg_addr *a)
{
	CP_NUM(c, uint8_t, a->family);
	cp_bytes(c, a->a, sizeof(a->a));
}

/* ---- the config, field by field ---- */

static void
cp_timerange(struct cp *c, struct conf_timerange *t)
{
	CP_NUM(c, uint16_t, t->start);
	CP_NUM(c, uint16_t, t->end);
}

static void
cp_daterange(struct cp *c, struct conf_daterange *d)
{
	CP_NUM(c, int32_t, d->first);
	CP_NUM(c, int32_t, d->last);
	cp_str(c, &d->label);
}

static void
cp_closure(struct cp *c, struct conf_closure *d)
{
	CP_NUM(c, int32_t, d->day);
	cp_str(c, &d->label);
}

static void
cp_schedule(struct cp *c, struct conf_schedule *s)
{
	cp_str(c, &s->name);
	CP_NUM(c, uint8_t, s->weekdays);
	CP_EACH(c, s->times, s->ntimes, cp_timerange, 4);
	CP_EACH(c, s->terms, s->nterms, cp_daterange, 12);
	CP_EACH(c, s->closures, s->nclosures, cp_closure, 8);
	CP_NUM(c, int32_t, s->line);
}

static void
cp_cidr(struct cp *c, struct conf_cidr *n)
{
	cp_addr(c, &n->addr);
	CP_NUM(c, uint8_t, n->prefix);
}

static void
cp_group(struct cp *c, struct conf_group *g)
{
	cp_str(c, &g->name);
	CP_EACH(c, g->subnets, g->nsubnets, cp_cidr, 18);
	cp_strv(c, &g->interfaces, &g->ninterfaces);
	cp_ints(c, &g->devices, &g->ndevices);
	CP_NUM(c, uint8_t, g->block_quic);
	CP_NUM(c, int8_t, g->strip_ech);
	CP_NUM(c, int32_t, g->line);
}

static void
cp_person(struct cp *c, struct conf_person *p)
{
	cp_str(c, &p->id);
	cp_str(c, &p->name);
	CP_NUM(c, int32_t, p->group);
	cp_strv(c, &p->roles, &p->nroles);
	cp_strv(c, &p->logins, &p->nlogins);
	CP_NUM(c, int32_t, p->line);
}

static void
cp_device(struct cp *c, struct conf_device *d)
{
	cp_str(c, &d->name);
	CP_NUM(c, uint8_t, d->has_mac);
	cp_bytes(c, d->mac, sizeof(d->mac));
	CP_NUM(c, uint8_t, d->has_ip);
	cp_addr(c, &d->ip);
	CP_NUM(c, int32_t, d->owner);
	CP_NUM(c, int32_t, d->group);
	CP_NUM(c, uint8_t, d->school_owned);
	CP_NUM(c, int32_t, d->line);
}

static void
cp_category(struct cp *c, struct conf_category *cat)
{
	cp_str(c, &cat->name);
	cp_str(c, &cat->description);
	cp_strv(c, &cat->protocols, &cat->nprotocols);
	cp_strv(c, &cat->hosts, &cat->nhosts);
	CP_NUM(c, int32_t, cat->line);
}

static void
cp_list(struct cp *c, struct conf_list *l)
{
	cp_str(c, &l->name);
	cp_str(c, &l->path);
	CP_NUM(c, int32_t, l->category);
	CP_NUM(c, uint8_t, l->kind);
	cp_str(c, &l->source);
	CP_NUM(c, int32_t, l->date);
	cp_str(c, &l->licence);
	cp_str(c, &l->description);
	cp_strv(c, &l->hosts, &l->nhosts);
	CP_EACH(c, l->cidrs, l->ncidrs, cp_cidr, 18);
	CP_NUM(c, int32_t, l->line);
}

static void
cp_rule(struct cp *c, struct conf_rule *r)
{
	cp_str(c, &r->name);
	cp_str(c, &r->clause);
	CP_NUM(c, uint8_t, r->action);
	cp_ints(c, &r->groups, &r->ngroups);
	cp_ints(c, &r->people, &r->npeople);
	cp_ints(c, &r->devices, &r->ndevices);
	CP_NUM(c, uint64_t, r->categories);
	cp_strv(c, &r->apps, &r->napps);
	CP_NUM(c, int32_t, r->schedule);
	CP_NUM(c, uint8_t, r->schedule_negate);
	CP_NUM(c, int32_t, r->line);
}

static void
cp_account(struct cp *c, struct conf_account *a)
{
	cp_str(c, &a->name);
	CP_NUM(c, int32_t, a->category);
	cp_str(c, &a->app);
	cp_ints(c, &a->owners, &a->nowners);
	cp_ints(c, &a->devices, &a->ndevices);
	CP_NUM(c, int32_t, a->approved);
	CP_NUM(c, int32_t, a->review_by);
	CP_NUM(c, int32_t, a->ends);
	CP_NUM(c, uint8_t, a->auth_8021x);
	CP_NUM(c, int32_t, a->line);
}

/* Smallest packed element of each array: its strings empty or NULL. */
#define CP_MIN_SCHEDULE	(4 + 1 + 4 + 4 + 4 + 4)
#define CP_MIN_GROUP	(4 + 4 + 4 + 4 + 1 + 1 + 4)
#define CP_MIN_PERSON	(4 + 4 + 4 + 4 + 4 + 4)
#define CP_MIN_DEVICE	(4 + 1 + 6 + 1 + 17 + 4 + 4 + 1 + 4)
#define CP_MIN_CATEGORY	(4 + 4 + 4 + 4 + 4)
#define CP_MIN_LIST	(4 + 4 + 4 + 1 + 4 + 4 + 4 + 4 + 4 + 4 + 4)
#define CP_MIN_RULE	(4 + 4 + 1 + 4 + 4 + 4 + 8 + 4 + 4 + 1 + 4)
#define CP_MIN_ACCOUNT	(4 + 4 + 4 + 4 + 4 + 4 + 4 + 4 + 1 + 4)

static void
cp_settings(struct cp *c, struct sg_config *cf)
{
	cp_str(c, &cf->leases_path);
	CP_NUM(c, uint8_t, cf->leases_format);
	cp_strv(c, &cf->radius_detail, &cf->nradius_detail);
	cp_str(c, &cf->people_file);
	CP_NUM(c, uint32_t, cf->max_packets);
	CP_NUM(c, uint8_t, cf->unknown_action);
	cp_str(c, &cf->unknown_clause);
	CP_NUM(c, int32_t, cf->circumvention);
	cp_str(c, &cf->protocols_file);
	cp_str(c, &cf->lists_dir);
	CP_NUM(c, int32_t, cf->evasion_action);
	cp_strv(c, &cf->ech_fronts, &cf->nech_fronts);
	cp_strv(c, &cf->dns_canaries, &cf->ndns_canaries);
	CP_NUM(c, uint8_t, cf->enforce_school_resolver);
	CP_NUM(c, int32_t, cf->encrypted_dns);
	cp_str(c, &cf->db_path);
	CP_NUM(c, uint32_t, cf->retention_days);
	cp_str(c, &cf->pseudonym_key_path);
	CP_NUM(c, uint8_t, cf->syslog_records);
	CP_NUM(c, uint32_t, cf->memory_rows);
	cp_str(c, &cf->seal_state);
	CP_NUM(c, uint32_t, cf->seal_interval);
	cp_str(c, &cf->syslog_socket);
	CP_NUM(c, uint32_t, cf->queue_first);
	CP_NUM(c, uint32_t, cf->queue_count);
	CP_NUM(c, uint32_t, cf->queue_maxlen);
	CP_NUM(c, uint8_t, cf->fail_open);
	CP_NUM(c, uint32_t, cf->mark_mask);
	cp_str(c, &cf->user);
	cp_str(c, &cf->control_socket);
	cp_str(c, &cf->metrics_file);
	cp_strv(c, &cf->lan_interfaces, &cf->nlan_interfaces);
	cp_strv(c, &cf->report_mail_to, &cf->nreport_mail_to);
	cp_str(c, &cf->mail_from);
	cp_str(c, &cf->sendmail);
	cp_strv(c, &cf->alert_mail_to, &cf->nalert_mail_to);
	cp_strv(c, &cf->alert_groups, &cf->nalert_groups);
	CP_NUM(c, uint32_t, cf->alert_kinds);
	CP_NUM(c, uint32_t, cf->alert_rate_limit);
}

static void
cp_config(struct cp *c, struct sg_config *cf)
{
	uint32_t	 magic = CP_MAGIC, version = CP_VERSION;

	cp_bytes(c, &magic, sizeof(magic));
	cp_bytes(c, &version, sizeof(version));
	if (magic != CP_MAGIC || version != CP_VERSION) {
		cp_fail(c, 0, "not a version %u config blob", CP_VERSION);
		return;
	}
	cp_str(c, &cf->path);
	cp_str(c, &cf->school_name);
	cp_str(c, &cf->timezone);
	CP_NUM(c, int32_t, cf->school_hours);
	CP_EACH(c, cf->schedules, cf->nschedules, cp_schedule,
	    CP_MIN_SCHEDULE);
	CP_EACH(c, cf->groups, cf->ngroups, cp_group, CP_MIN_GROUP);
	CP_NUM(c, int32_t, cf->default_group);
	CP_EACH(c, cf->people, cf->npeople, cp_person, CP_MIN_PERSON);
	CP_EACH(c, cf->devices, cf->ndevices, cp_device, CP_MIN_DEVICE);
	CP_EACH(c, cf->categories, cf->ncategories, cp_category,
	    CP_MIN_CATEGORY);
	CP_EACH(c, cf->lists, cf->nlists, cp_list, CP_MIN_LIST);
	CP_EACH(c, cf->rules, cf->nrules, cp_rule, CP_MIN_RULE);
	CP_EACH(c, cf->accounts, cf->naccounts, cp_account, CP_MIN_ACCOUNT);
	cp_settings(c, cf);
}

int
conf_pack(const struct sg_config *cfg, uint8_t **blob, size_t *len)
{
	struct cp	 c;

	memset(&c, 0, sizeof(c));
	/* writing only reads the config (see CP_NUM) */
	cp_config(&c, (struct sg_config *)(uintptr_t)cfg);
	if (c.err[0] != '\0') {
		free(c.buf);
		errno = c.errnum;
		return -1;
	}
	*blob = c.buf;
	*len = c.len;
	return 0;
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
cp_check_schedules(struct cp *r, const struct sg_config *c)
{
	for (size_t i = 0; i < c->nschedules; i++) {
		const struct conf_schedule *s = &c->schedules[i];

		if (s->name == NULL || s->weekdays > 0x7f)
			cp_fail(r, 0, "schedule %zu malformed", i);
		for (size_t j = 0; j < s->ntimes; j++)
			if (s->times[j].start > 1440 || s->times[j].end > 1440)
				cp_fail(r, 0, "schedule %zu: time out of range",
				    i);
	}
}

static void
cp_check_entities(struct cp *r, const struct sg_config *c)
{
	for (size_t i = 0; i < c->ngroups; i++) {
		const struct conf_group *g = &c->groups[i];

		if (g->name == NULL || g->strip_ech < CONF_AUTO ||
		    g->strip_ech > 1 ||
		    !cp_indexes_ok(g->devices, g->ndevices, c->ndevices))
			cp_fail(r, 0, "group %zu malformed", i);
		for (size_t j = 0; j < g->nsubnets; j++)
			if (!cp_addr_ok(&g->subnets[j].addr,
			    g->subnets[j].prefix))
				cp_fail(r, 0, "group %zu: bad subnet", i);
	}
	for (size_t i = 0; i < c->npeople; i++)
		if (c->people[i].id == NULL ||
		    !cp_index_ok(c->people[i].group, c->ngroups, false))
			cp_fail(r, 0, "person %zu malformed", i);
	for (size_t i = 0; i < c->ndevices; i++) {
		const struct conf_device *d = &c->devices[i];

		if (d->name == NULL ||
		    (d->has_ip && !cp_addr_ok(&d->ip, 0)) ||
		    !cp_index_ok(d->owner, c->npeople, true) ||
		    !cp_index_ok(d->group, c->ngroups, true))
			cp_fail(r, 0, "device %zu malformed", i);
	}
}

static bool
cp_strv_ok(char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == NULL)
			return false;
	return true;
}

static void
cp_check_policy(struct cp *r, const struct sg_config *c)
{
	uint64_t known = c->ncategories >= 64 ? ~(uint64_t)0 :
	    ((uint64_t)1 << c->ncategories) - 1;

	if (c->ncategories > CONF_MAX_CATEGORIES)
		cp_fail(r, 0, "%zu categories", c->ncategories);
	for (size_t i = 0; i < c->ncategories; i++)
		if (c->categories[i].name == NULL)
			cp_fail(r, 0, "category %zu has no name", i);
	for (size_t i = 0; i < c->nlists; i++) {
		const struct conf_list *l = &c->lists[i];

		if (l->name == NULL || l->kind > CONF_LIST_CIDR ||
		    !cp_index_ok(l->category, c->ncategories, false) ||
		    !cp_strv_ok(l->hosts, l->nhosts))
			cp_fail(r, 0, "list %zu malformed", i);
		for (size_t j = 0; j < l->ncidrs; j++)
			if (!cp_addr_ok(&l->cidrs[j].addr, l->cidrs[j].prefix))
				cp_fail(r, 0, "list %zu: bad range", i);
	}
	for (size_t i = 0; i < c->nrules; i++) {
		const struct conf_rule *ru = &c->rules[i];

		if (ru->name == NULL || ru->action > SG_BLOCK ||
		    !cp_indexes_ok(ru->groups, ru->ngroups, c->ngroups) ||
		    !cp_indexes_ok(ru->people, ru->npeople, c->npeople) ||
		    !cp_indexes_ok(ru->devices, ru->ndevices, c->ndevices) ||
		    (ru->categories & ~known) != 0 ||
		    !cp_index_ok(ru->schedule, c->nschedules, true))
			cp_fail(r, 0, "rule %zu malformed", i);
	}
	for (size_t i = 0; i < c->naccounts; i++) {
		const struct conf_account *a = &c->accounts[i];

		if (a->name == NULL ||
		    !cp_index_ok(a->category, c->ncategories, true) ||
		    !cp_indexes_ok(a->owners, a->nowners, c->npeople) ||
		    !cp_indexes_ok(a->devices, a->ndevices, c->ndevices))
			cp_fail(r, 0, "account %zu malformed", i);
	}
}

static void
cp_check_config(struct cp *r, const struct sg_config *c)
{
	cp_check_schedules(r, c);
	cp_check_entities(r, c);
	cp_check_policy(r, c);
	if (c->timezone == NULL ||
	    !cp_index_ok(c->school_hours, c->nschedules, true) ||
	    !cp_index_ok(c->default_group, c->ngroups, false) ||
	    !cp_index_ok(c->circumvention, c->ncategories, true) ||
	    !cp_index_ok(c->encrypted_dns, c->ncategories, true) ||
	    c->unknown_action > SG_BLOCK ||
	    c->evasion_action < CONF_EVASION_AUTO ||
	    c->evasion_action > SG_BLOCK ||
	    c->leases_format > LEASES_KEA || c->unknown_clause == NULL ||
	    !cp_strv_ok(c->ech_fronts, c->nech_fronts) ||
	    !cp_strv_ok(c->dns_canaries, c->ndns_canaries) ||
	    !cp_strv_ok(c->lan_interfaces, c->nlan_interfaces))
		cp_fail(r, 0, "settings out of range");
}

struct sg_config *
conf_unpack(const uint8_t *blob, size_t len, char *err, size_t errlen)
{
	struct cp		 c;
	struct sg_config	*cf;

	if (len > CONF_PACK_MAX) {
		snprintf(err, errlen, "config blob of %zu bytes", len);
		return NULL;
	}
	if ((cf = calloc(1, sizeof(*cf))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(&c, 0, sizeof(c));
	c.reading = true;
	c.p = blob;
	c.len = len;
	cp_config(&c, cf);
	if (c.err[0] == '\0' && c.off != c.len)
		cp_fail(&c, 0, "%zu bytes after the config", c.len - c.off);
	if (c.err[0] == '\0')
		cp_check_config(&c, cf);
	/* the index is the lists compiled, never sent */
	if (c.err[0] == '\0' &&
	    (cf->lists_index = lists_index_build(cf)) == NULL)
		cp_fail(&c, ENOMEM, "out of memory for the lists");
	if (c.err[0] != '\0') {
		snprintf(err, errlen, "%s", c.err);
		conf_free(cf);
		return NULL;
	}
	return cf;
}
