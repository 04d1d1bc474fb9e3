/*
 * Who and when: the school, its schedules, groups, people and devices.
 */
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"

/* ---- school ---- */

void
conf_parse_school(struct conf_ctx *c, const config_setting_t *root)
{
	static const char *const keys[] = { "name", "timezone", "school_hours",
	    NULL };
	const config_setting_t *s;
	const char *tz;

	if (conf_member(root, "school") == NULL) {
		conf_err(c, NULL, "missing \"school\" section");
		return;
	}
	if ((s = conf_get_section_group(c, root, "school")) == NULL)
		return;
	conf_check_keys(c, s, keys, "school");
	if (conf_require(c, s, "name", "school"))
		conf_get_text(c, s, "name", "school", &c->conf->school_name);
	if ((tz = conf_get_str(c, s, "timezone", "school")) != NULL) {
		if (!conf_timezone_ok(tz))
			conf_err(c, conf_member(s, "timezone"),
			    "unknown timezone \"%s\"", tz);
		else {
			free(c->conf->timezone);
			c->conf->timezone = conf_strdup(c, s, tz);
		}
	}
	if (conf_member(s, "school_hours") == NULL)
		conf_err(c, s, "school: missing \"school_hours\"");
	else
		c->conf->school_hours = conf_resolve_one(c, s, "school_hours",
		    "school_hours", "schedule", conf_schedule_index);
}

/* ---- schedules ---- */

static void
conf_parse_weekdays(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_schedule *sc)
{
	const config_setting_t *l;
	int n, d;

	if (conf_member(e, "weekdays") == NULL) {
		conf_err(c, e, "%s: missing \"weekdays\"", where);
		return;
	}
	if ((l = conf_get_str_list(c, e, "weekdays", where)) == NULL)
		return;
	if ((n = config_setting_length(l)) == 0)
		conf_err(c, l, "%s: empty \"weekdays\" list", where);
	for (int i = 0; i < n; i++) {
		const config_setting_t *x = config_setting_get_elem(l, i);
		const char *s = config_setting_get_string(x);

		if ((d = conf_parse_weekday(s)) < 0)
			conf_err(c, x, "%s: invalid weekday \"%s\"", where, s);
		else
			sc->weekdays |= (uint8_t)(1u << d);
	}
}

static void
conf_parse_times(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_schedule *sc)
{
	const config_setting_t *l = conf_get_str_list(c, e, "times", where);
	int n, r;

	if (l == NULL || (n = config_setting_length(l)) == 0)
		return;
	if ((sc->times = conf_calloc(c, l, (size_t)n,
	    sizeof(*sc->times))) == NULL)
		return;
	for (int i = 0; i < n; i++) {
		const config_setting_t *x = config_setting_get_elem(l, i);
		const char *s = config_setting_get_string(x);

		r = conf_parse_timerange(s, &sc->times[sc->ntimes]);
		if (r == -1)
			conf_err(c, x, "%s: invalid time range \"%s\"", where,
			    s);
		else if (r == -2)
			conf_err(c, x, "%s: time range \"%s\" ends before it "
			    "starts", where, s);
		else
			sc->ntimes++;
	}
}

static int
conf_term_overlaps(struct conf_ctx *c, const config_setting_t *e,
    const char *where, const struct conf_schedule *sc,
    const struct conf_daterange *t)
{
	for (size_t j = 0; j < sc->nterms; j++)
		if (t->first <= sc->terms[j].last &&
		    sc->terms[j].first <= t->last) {
			conf_err(c, e, "%s: overlapping terms \"%s\" and "
			    "\"%s\"", where, sc->terms[j].label ?
			    sc->terms[j].label : "?", t->label ? t->label :
			    "?");
			return 1;
		}
	return 0;
}

static void
conf_parse_term(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_schedule *sc)
{
	static const char *const keys[] = { "name", "from", "to", NULL };
	struct conf_daterange t = { 0 };

	conf_check_keys(c, e, keys, "schedule terms");
	conf_get_text(c, e, "name", where, &t.label);
	if (conf_date(c, e, "from", where, &t.first) == -1 ||
	    conf_date(c, e, "to", where, &t.last) == -1)
		goto label;
	if (t.last < t.first) {
		conf_err(c, conf_member(e, "to"), "%s: term ends before it "
		    "starts", where);
		goto label;
	}
	if (conf_term_overlaps(c, e, where, sc, &t))
		goto label;
	sc->terms[sc->nterms++] = t;
	return;
label:
	free(t.label);
}

static void
conf_parse_terms(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_schedule *sc)
{
	const config_setting_t *l = conf_get_section_list(c, e, "terms");
	int n;

	if (l == NULL || (n = config_setting_length(l)) == 0)
		return;
	if ((sc->terms = conf_calloc(c, l, (size_t)n,
	    sizeof(*sc->terms))) == NULL)
		return;
	for (int i = 0; i < n; i++) {
		const config_setting_t *t = conf_entry(c, l, i, "terms");

		if (t != NULL)
			conf_parse_term(c, t, where, sc);
	}
}

static void
conf_parse_closure(struct conf_ctx *c, const config_setting_t *x,
    const char *where, struct conf_schedule *sc)
{
	static const char *const keys[] = { "date", "name", NULL };
	struct conf_closure cl = { 0 };
	const char *s;

	if (config_setting_type(x) == CONFIG_TYPE_STRING) {
		s = config_setting_get_string(x);
		if (sg_date_parse(s, &cl.day) == -1)
			conf_err(c, x, "%s: invalid date \"%s\"", where, s);
		else
			sc->closures[sc->nclosures++] = cl;
		return;
	}
	if (!config_setting_is_group(x)) {
		conf_err(c, x, "%s: a closure must be a date string or a "
		    "group { ... }", where);
		return;
	}
	conf_check_keys(c, x, keys, "schedule closures");
	conf_get_text(c, x, "name", where, &cl.label);
	if (conf_date(c, x, "date", where, &cl.day) == 0)
		sc->closures[sc->nclosures++] = cl;
	else
		free(cl.label);
}

static void
conf_parse_closures(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_schedule *sc)
{
	const config_setting_t *l = conf_member(e, "closures");
	int n;

	if (l == NULL)
		return;
	if (!config_setting_is_list(l) && !config_setting_is_array(l)) {
		conf_err(c, l, "%s: \"closures\" must be a list", where);
		return;
	}
	if ((n = config_setting_length(l)) == 0)
		return;
	if ((sc->closures = conf_calloc(c, l, (size_t)n,
	    sizeof(*sc->closures))) == NULL)
		return;
	for (int i = 0; i < n; i++)
		conf_parse_closure(c, config_setting_get_elem(l, i), where,
		    sc);
}

static void
conf_parse_schedule(struct conf_ctx *c, const config_setting_t *e, size_t i)
{
	static const char *const keys[] = { "name", "weekdays", "times",
	    "terms", "closures", NULL };
	struct conf_schedule *sc = &c->conf->schedules[i];
	char where[SG_NAME_MAX + 32];

	sc->line = config_setting_source_line(e);
	conf_check_keys(c, e, keys, "schedules");
	sc->name = conf_req_name(c, e, "name", conf_where(where,
	    sizeof(where), "schedule", NULL, i));
	conf_where(where, sizeof(where), "schedule", sc->name, i);
	conf_check_dup(c, e, "schedule", sc->name, conf_schedule_index, i);
	conf_parse_weekdays(c, e, where, sc);
	conf_parse_times(c, e, where, sc);
	conf_parse_terms(c, e, where, sc);
	conf_parse_closures(c, e, where, sc);
}

void
conf_parse_schedules(struct conf_ctx *c, const config_setting_t *root)
{
	const config_setting_t *l;

	c->conf->schedules = conf_section_alloc(c, root, "schedules", 0,
	    sizeof(*c->conf->schedules), &c->conf->nschedules, &l);
	conf_section_each(c, l, "schedules", c->conf->nschedules,
	    conf_parse_schedule);
}

/* ---- groups ---- */

static void
conf_parse_subnets(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_group *g)
{
	const config_setting_t *l = conf_get_str_list(c, e, "subnets", where);
	int n;

	if (l == NULL || (n = config_setting_length(l)) == 0)
		return;
	if ((g->subnets = conf_calloc(c, l, (size_t)n,
	    sizeof(*g->subnets))) == NULL)
		return;
	for (int i = 0; i < n; i++) {
		const config_setting_t *x = config_setting_get_elem(l, i);
		const char *s = config_setting_get_string(x);

		if (conf_parse_cidr(s, &g->subnets[g->nsubnets]) == -1)
			conf_err(c, x, "%s: invalid subnet \"%s\"", where, s);
		else
			g->nsubnets++;
	}
}

static void
conf_parse_group(struct conf_ctx *c, const config_setting_t *e, size_t i)
{
	static const char *const keys[] = { "name", "subnets", "interfaces",
	    "devices", "block_quic", "strip_ech", NULL };
	struct conf_group *g = &c->conf->groups[i];
	char where[SG_NAME_MAX + 32];
	bool strip = false;

	g->line = config_setting_source_line(e);
	conf_check_keys(c, e, keys, "groups");
	g->name = conf_req_name(c, e, "name", conf_where(where,
	    sizeof(where), "group", NULL, i));
	conf_where(where, sizeof(where), "group", g->name, i);
	conf_check_dup(c, e, "group", g->name, conf_group_index, i);
	conf_parse_subnets(c, e, where, g);
	conf_copy_list_checked(c, e, "interfaces", where, conf_ifname_ok,
	    CONF_IFNAME_MAX, &g->interfaces, &g->ninterfaces);
	conf_get_bool(c, e, "block_quic", where, &g->block_quic);
	g->strip_ech = CONF_AUTO;
	if (conf_get_bool(c, e, "strip_ech", where, &strip) == 0 &&
	    conf_member(e, "strip_ech") != NULL)
		g->strip_ech = strip;
}

void
conf_parse_groups(struct conf_ctx *c, const config_setting_t *root)
{
	const config_setting_t *l;

	c->conf->groups = conf_section_alloc(c, root, "groups", 0,
	    sizeof(*c->conf->groups), &c->conf->ngroups, &l);
	if (l == NULL && conf_member(root, "groups") == NULL)
		conf_err(c, NULL, "missing \"groups\" section");
	conf_section_each(c, l, "groups", c->conf->ngroups, conf_parse_group);
}

/* ---- people ---- */

static void
conf_parse_person(struct conf_ctx *c, const config_setting_t *e, size_t i)
{
	static const char *const keys[] = { "id", "name", "group", "roles",
	    "logins", NULL };
	struct conf_person *p = &c->conf->people[i];
	char where[SG_NAME_MAX + 32];

	p->line = config_setting_source_line(e);
	p->group = -1;
	conf_check_keys(c, e, keys, "people");
	p->id = conf_req_name(c, e, "id", conf_where(where, sizeof(where),
	    "person", NULL, i));
	conf_where(where, sizeof(where), "person", p->id, i);
	conf_check_dup(c, e, "person", p->id, conf_person_index, i);
	conf_get_text(c, e, "name", where, &p->name);
	if (conf_member(e, "group") == NULL)
		conf_err(c, e, "%s: missing \"group\"", where);
	else
		p->group = conf_resolve_one(c, e, "group", where, "group",
		    conf_group_index);
	conf_copy_str_list(c, e, "roles", where, SG_NAME_MAX, &p->roles,
	    &p->nroles);
	conf_copy_str_list(c, e, "logins", where, SG_NAME_MAX, &p->logins,
	    &p->nlogins);
}

void
conf_parse_people(struct conf_ctx *c, const config_setting_t *root)
{
	const config_setting_t *l;

	c->conf->people = conf_section_alloc(c, root, "people", 0,
	    sizeof(*c->conf->people), &c->conf->npeople, &l);
	conf_section_each(c, l, "people", c->conf->npeople, conf_parse_person);
}

/* ---- devices ---- */

static void
conf_parse_device_addrs(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_device *d)
{
	const char *mac = conf_get_str(c, e, "mac", where);
	const char *ip = conf_get_str(c, e, "ip", where);

	if (mac != NULL) {
		if (sg_mac_parse(mac, d->mac) == -1)
			conf_err(c, conf_member(e, "mac"), "%s: invalid MAC "
			    "address \"%s\"", where, mac);
		else
			d->has_mac = true;
	}
	if (ip != NULL) {
		if (sg_addr_parse(ip, &d->ip) == -1)
			conf_err(c, conf_member(e, "ip"), "%s: invalid IP "
			    "address \"%s\"", where, ip);
		else
			d->has_ip = true;
	}
	if (conf_member(e, "mac") == NULL && conf_member(e, "ip") == NULL)
		conf_err(c, e, "%s: needs a mac or an ip", where);
}

static void
conf_parse_device(struct conf_ctx *c, const config_setting_t *e, size_t i)
{
	static const char *const keys[] = { "name", "mac", "ip", "owner",
	    "group", "school_owned", NULL };
	struct conf_device *d = &c->conf->devices[i];
	char where[SG_NAME_MAX + 32];

	d->line = config_setting_source_line(e);
	d->owner = d->group = -1;
	conf_check_keys(c, e, keys, "devices");
	d->name = conf_req_name(c, e, "name", conf_where(where,
	    sizeof(where), "device", NULL, i));
	conf_where(where, sizeof(where), "device", d->name, i);
	conf_check_dup(c, e, "device", d->name, conf_device_index, i);
	conf_parse_device_addrs(c, e, where, d);
	conf_check_device_clash(c, e, where, i);
	d->owner = conf_resolve_one(c, e, "owner", where, "person",
	    conf_person_index);
	d->group = conf_resolve_one(c, e, "group", where, "group",
	    conf_group_index);
	conf_get_bool(c, e, "school_owned", where, &d->school_owned);
}

void
conf_parse_devices(struct conf_ctx *c, const config_setting_t *root)
{
	const config_setting_t *l;

	c->conf->devices = conf_section_alloc(c, root, "devices", 0,
	    sizeof(*c->conf->devices), &c->conf->ndevices, &l);
	conf_section_each(c, l, "devices", c->conf->ndevices,
	    conf_parse_device);
}
