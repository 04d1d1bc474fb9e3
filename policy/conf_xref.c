/*
 * Cross references between sections: names of groups, people, devices,
 * categories and schedules resolved to indexes, duplicate names and
 * addresses two devices claim.  The section parsers call these as they
 * read each entry, so errors still come out in file order.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "conf_priv.h"

#define CONF_INDEX(arr, n, field) do {					\
	if (conf == NULL || name == NULL)				\
		return -1;						\
	for (size_t i_ = 0; i_ < conf->n; i_++)				\
		if (conf->arr[i_].field != NULL &&			\
		    strcmp(conf->arr[i_].field, name) == 0)		\
			return (int)i_;					\
	return -1;							\
} while (0)

/* ---- lookups ---- */

int
conf_group_index(const struct sg_config *conf, const char *name)
{
	CONF_INDEX(groups, ngroups, name);
}

int
conf_person_index(const struct sg_config *conf, const char *name)
{
	CONF_INDEX(people, npeople, id);
}

int
conf_device_index(const struct sg_config *conf, const char *name)
{
	CONF_INDEX(devices, ndevices, name);
}

int
conf_category_index(const struct sg_config *conf, const char *name)
{
	CONF_INDEX(categories, ncategories, name);
}

int
conf_schedule_index(const struct sg_config *conf, const char *name)
{
	CONF_INDEX(schedules, nschedules, name);
}

/* ---- per entry ---- */

void
conf_check_dup(struct conf_ctx *c, const config_setting_t *e,
    const char *kind, const char *name, conf_lookup_fn fn, size_t i)
{
	if (name != NULL && fn(c->conf, name) != (int)i)
		conf_err(c, conf_member(e, strcmp(kind, "person") == 0 ?
		    "id" : "name"), "duplicate %s \"%s\"", kind, name);
}

/* Names of groups, people or devices, resolved to indexes. */
void
conf_resolve_list(struct conf_ctx *c, const config_setting_t *grp,
    const char *key, const char *where, const char *kind, conf_lookup_fn fn,
    int **out, size_t *nout)
{
	const config_setting_t *l = conf_get_str_list(c, grp, key, where);
	int n;

	if (l == NULL)
		return;
	if ((n = config_setting_length(l)) == 0) {
		conf_err(c, l, "%s: empty \"%s\" list", where, key);
		return;
	}
	if ((*out = conf_calloc(c, l, (size_t)n, sizeof(**out))) == NULL)
		return;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(l, i);
		const char *s = config_setting_get_string(e);
		int idx = fn(c->conf, s);

		if (idx < 0)
			conf_err(c, e, "%s: unknown %s \"%s\"", where, kind, s);
		else
			(*out)[(*nout)++] = idx;
	}
}

int
conf_resolve_one(struct conf_ctx *c, const config_setting_t *grp,
    const char *key, const char *where, const char *kind, conf_lookup_fn fn)
{
	const char *s = conf_get_str(c, grp, key, where);
	int idx;

	if (s == NULL)
		return -1;
	if ((idx = fn(c->conf, s)) < 0)
		conf_err(c, conf_member(grp, key), "%s: unknown %s \"%s\"",
		    where, kind, s);
	return idx;
}

/* ---- per section ---- */

/* Groups name devices, devices name groups: this half runs last. */
void
conf_resolve_group_devices(struct conf_ctx *c, const config_setting_t *root)
{
	const config_setting_t *l = conf_member(root, "groups");
	char where[SG_NAME_MAX + 32];

	if (l == NULL || c->conf->groups == NULL)
		return;
	for (size_t i = 0; i < c->conf->ngroups; i++) {
		const config_setting_t *e = config_setting_get_elem(l,
		    (unsigned int)i);
		struct conf_group *g = &c->conf->groups[i];

		if (e == NULL || !config_setting_is_group(e))
			continue;
		conf_where(where, sizeof(where), "group", g->name, i);
		conf_resolve_list(c, e, "devices", where, "device",
		    conf_device_index, &g->devices, &g->ndevices);
	}
}

void
conf_resolve_default_group(struct conf_ctx *c, const config_setting_t *root)
{
	if (conf_member(root, "default_group") == NULL) {
		conf_err(c, NULL, "missing \"default_group\"");
		return;
	}
	c->conf->default_group = conf_resolve_one(c, root, "default_group",
	    "default_group", "group", conf_group_index);
}

void
conf_check_device_clash(struct conf_ctx *c, const config_setting_t *e,
    const char *where, size_t i)
{
	const struct conf_device *d = &c->conf->devices[i];
	char buf[SG_ADDRSTR_MAX];

	for (size_t j = 0; j < i; j++) {
		const struct conf_device *o = &c->conf->devices[j];

		if (d->has_mac && o->has_mac && memcmp(d->mac, o->mac, 6) == 0)
			conf_err(c, conf_member(e, "mac"), "%s: MAC address "
			    "already used by device \"%s\"", where,
			    o->name ? o->name : "?");
		if (d->has_ip && o->has_ip && sg_addr_eq(&d->ip, &o->ip))
			conf_err(c, conf_member(e, "ip"), "%s: IP address %s "
			    "already used by device \"%s\"", where,
			    sg_addr_str(&d->ip, buf, sizeof(buf)),
			    o->name ? o->name : "?");
	}
}

void
conf_resolve_rule_categories(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_rule *r)
{
	const config_setting_t *l = conf_get_str_list(c, e, "categories",
	    where);
	int n, idx;

	if (l == NULL)
		return;
	n = config_setting_length(l);
	for (int i = 0; i < n; i++) {
		const config_setting_t *x = config_setting_get_elem(l, i);
		const char *s = config_setting_get_string(x);

		if ((idx = conf_category_index(c->conf, s)) < 0)
			conf_err(c, x, "%s: unknown category \"%s\"", where, s);
		else
			r->categories |= UINT64_C(1) << idx;
	}
}

void
conf_resolve_rule_schedule(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_rule *r)
{
	const char *s = conf_get_str(c, e, "schedule", where);

	r->schedule = -1;
	if (s == NULL)
		return;
	if (s[0] == '!') {
		r->schedule_negate = true;
		s++;
	}
	if ((r->schedule = conf_schedule_index(c->conf, s)) < 0)
		conf_err(c, conf_member(e, "schedule"), "%s: unknown schedule "
		    "\"%s\"", where, s);
}

void
conf_resolve_account_platform(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_account *a)
{
	const char *s = conf_req_str(c, e, "platform", where);

	a->category = -1;
	if (s == NULL)
		return;
	if ((a->category = conf_category_index(c->conf, s)) >= 0)
		return;
	if (!conf_text_ok(s, SG_APP_MAX))
		conf_err(c, conf_member(e, "platform"), "%s: invalid platform "
		    "\"%s\"", where, s);
	else
		a->app = conf_strdup(c, e, s);
}

/* Interfaces match both families; subnets only their own. */
static void
conf_warn_ipv6(const struct sg_config *conf, const struct conf_group *g,
    void (*fn)(void *, const char *), void *arg)
{
	bool v4 = false, v6 = false;
	char msg[512];

	for (size_t i = 0; i < g->nsubnets; i++) {
		v4 |= g->subnets[i].addr.family == AF_INET;
		v6 |= g->subnets[i].addr.family == AF_INET6;
	}
	if (!v4 || v6 || g->ninterfaces > 0)
		return;
	snprintf(msg, sizeof(msg), "%s:%d: warning: group \"%s\" has IPv4 "
	    "subnets but no IPv6 subnet or interface: its devices' IPv6 "
	    "traffic (global addresses from the ISP) falls into the default "
	    "group; add the LAN's interface or VLAN (\"interfaces\")",
	    conf->path, g->line, g->name);
	fn(arg, msg);
}

void
conf_warnings(const struct sg_config *conf,
    void (*fn)(void *arg, const char *msg), void *arg)
{
	char msg[512];

	for (size_t i = 0; i < conf->ngroups; i++)
		conf_warn_ipv6(conf, &conf->groups[i], fn, arg);
	for (size_t i = 0; i < conf->naccounts && conf->nradius_detail == 0;
	    i++) {
		if (!conf->accounts[i].auth_8021x)
			continue;
		snprintf(msg, sizeof(msg), "%s:%d: warning: account \"%s\" "
		    "wants an 802.1X session but identity.radius_detail names "
		    "no files: it exempts nobody", conf->path,
		    conf->accounts[i].line, conf->accounts[i].name);
		fn(arg, msg);
	}
}
