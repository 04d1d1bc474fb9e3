/*
 * What the policy says: categories, rules and the register of approved
 * professional accounts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"
#include "lists.h"

/* ---- categories ---- */

static void
conf_parse_hosts(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_category *cat)
{
	const config_setting_t *l = conf_get_str_list(c, e, "hosts", where);
	char buf[SG_HOST_MAX];
	int n;

	if (l == NULL || (n = config_setting_length(l)) == 0)
		return;
	if ((cat->hosts = conf_calloc(c, l, (size_t)n,
	    sizeof(*cat->hosts))) == NULL)
		return;
	for (int i = 0; i < n; i++) {
		const config_setting_t *x = config_setting_get_elem(l, i);
		const char *s = config_setting_get_string(x);

		if (conf_norm_host(s, buf, sizeof(buf)) == -1)
			conf_err(c, x, "%s: invalid host pattern \"%s\"",
			    where, s);
		else
			cat->hosts[cat->nhosts++] = conf_strdup(c, x, buf);
	}
}

/* The names only: the files are read once lists_dir is known. */
static void
conf_parse_category_lists(struct conf_ctx *c, const config_setting_t *e,
    const char *where, size_t cat)
{
	const config_setting_t *l = conf_get_str_list(c, e, "lists", where);
	struct sg_config *cf = c->conf;
	struct conf_list *v;
	int n;

	if (l == NULL || (n = config_setting_length(l)) == 0)
		return;
	if ((v = reallocarray(cf->lists, cf->nlists + (size_t)n,
	    sizeof(*v))) == NULL) {
		conf_err(c, l, "out of memory");
		return;
	}
	cf->lists = v;
	for (int i = 0; i < n; i++) {
		const config_setting_t *x = config_setting_get_elem(l, i);
		const char *s = config_setting_get_string(x);

		if (!conf_text_ok(s, SG_NAME_MAX) || strchr(s, '/') != NULL ||
		    s[0] == '.' || lists_kind(s) == -1) {
			conf_err(c, x, "%s: invalid list \"%s\" (a file name "
			    "in classification.lists_dir ending in .hosts "
			    "or .cidr)", where, s);
			continue;
		}
		v = &cf->lists[cf->nlists++];
		memset(v, 0, sizeof(*v));
		v->name = conf_strdup(c, x, s);
		v->category = (int)cat;
		v->line = config_setting_source_line(x);
	}
}

static void
conf_list_err(void *arg, const char *file, int line, const char *msg)
{
	conf_err_at(arg, file, line, "%s", msg);
}

/* Each list a category names, read from lists_dir ("lists" beside the
 * config file unless classification.lists_dir says otherwise). */
void
conf_read_lists(struct conf_ctx *c)
{
	struct sg_config *cf = c->conf;
	const char *slash = strrchr(c->path, '/');
	int dirlen = slash == NULL ? 1 : (int)(slash - c->path);
	const char *dir = slash == NULL ? "." : c->path;

	if (cf->lists_dir == NULL && asprintf(&cf->lists_dir, "%.*s/lists",
	    dirlen, dir) == -1) {
		cf->lists_dir = NULL;
		conf_err(c, NULL, "out of memory");
		return;
	}
	for (size_t i = 0; i < cf->nlists; i++) {
		struct conf_list *l = &cf->lists[i];

		if (l->name == NULL)
			continue;
		if (asprintf(&l->path, "%s/%s", cf->lists_dir, l->name) == -1) {
			l->path = NULL;
			conf_err(c, NULL, "out of memory");
			return;
		}
		lists_read(l, conf_list_err, c);
	}
}

static void
conf_parse_category(struct conf_ctx *c, const config_setting_t *e, size_t i)
{
	static const char *const keys[] = { "name", "description",
	    "protocols", "hosts", "lists", NULL };
	struct conf_category *cat = &c->conf->categories[i];
	char where[SG_NAME_MAX + 32];

	cat->line = config_setting_source_line(e);
	conf_check_keys(c, e, keys, "categories");
	cat->name = conf_req_name(c, e, "name", conf_where(where,
	    sizeof(where), "category", NULL, i));
	conf_where(where, sizeof(where), "category", cat->name, i);
	conf_check_dup(c, e, "category", cat->name, conf_category_index, i);
	conf_get_text(c, e, "description", where, &cat->description);
	conf_copy_str_list(c, e, "protocols", where, SG_APP_MAX,
	    &cat->protocols, &cat->nprotocols);
	conf_parse_hosts(c, e, where, cat);
	conf_parse_category_lists(c, e, where, i);
}

void
conf_parse_categories(struct conf_ctx *c, const config_setting_t *root)
{
	const config_setting_t *l;

	c->conf->categories = conf_section_alloc(c, root, "categories",
	    CONF_MAX_CATEGORIES, sizeof(*c->conf->categories),
	    &c->conf->ncategories, &l);
	conf_section_each(c, l, "categories", c->conf->ncategories,
	    conf_parse_category);
}

/* ---- rules ---- */

static void
conf_parse_rule_action(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_rule *r)
{
	const char *s = conf_req_str(c, e, "action", where);

	if (s != NULL && sg_action_parse(s, &r->action) == -1)
		conf_err(c, conf_member(e, "action"), "%s: invalid action "
		    "\"%s\" (allow, log or block)", where, s);
}

/* An empty list would silently widen a rule to match everything. */
static void
conf_check_rule_what(struct conf_ctx *c, const config_setting_t *e,
    const char *where, const struct conf_rule *r)
{
	const config_setting_t *cats = conf_member(e, "categories");
	const config_setting_t *apps = conf_member(e, "apps");

	if ((cats == NULL && apps == NULL) || r->categories != 0 ||
	    r->napps != 0)
		return;
	if ((cats != NULL && config_setting_is_aggregate(cats) &&
	    config_setting_length(cats) != 0) ||
	    (apps != NULL && config_setting_is_aggregate(apps) &&
	    config_setting_length(apps) != 0))
		return;	/* already reported as bad entries */
	if ((cats != NULL && !config_setting_is_aggregate(cats)) ||
	    (apps != NULL && !config_setting_is_aggregate(apps)))
		return;	/* already reported as a wrong type */
	conf_err(c, cats ? cats : apps, "%s: empty categories and apps lists "
	    "match nothing", where);
}

static void
conf_parse_rule(struct conf_ctx *c, const config_setting_t *e, size_t i)
{
	static const char *const keys[] = { "name", "clause", "action",
	    "groups", "people", "devices", "categories", "apps", "schedule",
	    NULL };
	struct conf_rule *r = &c->conf->rules[i];
	char where[SG_NAME_MAX + 32];

	r->line = config_setting_source_line(e);
	conf_check_keys(c, e, keys, "rules");
	r->name = conf_req_name(c, e, "name", conf_where(where,
	    sizeof(where), "rule", NULL, i));
	conf_where(where, sizeof(where), "rule", r->name, i);
	for (size_t j = 0; r->name != NULL && j < i; j++)
		if (c->conf->rules[j].name != NULL &&
		    strcmp(c->conf->rules[j].name, r->name) == 0)
			conf_err(c, conf_member(e, "name"), "duplicate rule "
			    "\"%s\"", r->name);
	if (conf_require(c, e, "clause", where))
		conf_get_text(c, e, "clause", where, &r->clause);
	conf_parse_rule_action(c, e, where, r);
	conf_resolve_list(c, e, "groups", where, "group", conf_group_index,
	    &r->groups, &r->ngroups);
	conf_resolve_list(c, e, "people", where, "person", conf_person_index,
	    &r->people, &r->npeople);
	conf_resolve_list(c, e, "devices", where, "device", conf_device_index,
	    &r->devices, &r->ndevices);
	conf_resolve_rule_categories(c, e, where, r);
	conf_copy_str_list(c, e, "apps", where, SG_APP_MAX, &r->apps,
	    &r->napps);
	conf_check_rule_what(c, e, where, r);
	conf_resolve_rule_schedule(c, e, where, r);
}

void
conf_parse_rules(struct conf_ctx *c, const config_setting_t *root)
{
	const config_setting_t *l;

	c->conf->rules = conf_section_alloc(c, root, "rules", 0,
	    sizeof(*c->conf->rules), &c->conf->nrules, &l);
	conf_section_each(c, l, "rules", c->conf->nrules, conf_parse_rule);
}

/* ---- professional accounts ---- */

static void
conf_parse_account_dates(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_account *a)
{
	int ok = conf_date(c, e, "approved", where, &a->approved) == 0;

	if (conf_date(c, e, "review_by", where, &a->review_by) == 0 && ok &&
	    a->review_by < a->approved)
		conf_err(c, conf_member(e, "review_by"), "%s: review_by is "
		    "before approved", where);
	if (conf_date(c, e, "ends", where, &a->ends) == 0 && ok &&
	    a->ends < a->approved)
		conf_err(c, conf_member(e, "ends"), "%s: ends is before "
		    "approved", where);
}

/* "device" (the default): a listed device is enough; "8021x": the
 * device's 802.1X session must be signed in as one of the owners. */
static void
conf_parse_account_auth(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_account *a)
{
	const char *s = conf_get_str(c, e, "auth", where);

	if (s == NULL || strcmp(s, "device") == 0)
		return;
	if (strcmp(s, "8021x") == 0)
		a->auth_8021x = true;
	else
		conf_err(c, conf_member(e, "auth"), "%s: invalid auth \"%s\" "
		    "(device or 8021x)", where, s);
}

static void
conf_parse_account(struct conf_ctx *c, const config_setting_t *e, size_t i)
{
	static const char *const keys[] = { "name", "platform", "owners",
	    "devices", "approved", "review_by", "ends", "auth", NULL };
	struct conf_account *a = &c->conf->accounts[i];
	char where[CONF_TEXT_MAX + 32];
	a->line = config_setting_source_line(e);
	conf_check_keys(c, e, keys, "professional_accounts");
	conf_where(where, sizeof(where), "account", NULL, i);
	if (conf_require(c, e, "name", where)) {
		conf_get_text(c, e, "name", where, &a->name);
		conf_where(where, sizeof(where), "account", a->name, i);
	}
	conf_resolve_account_platform(c, e, where, a);
	conf_resolve_list(c, e, "owners", where, "person", conf_person_index,
	    &a->owners, &a->nowners);
	conf_resolve_list(c, e, "devices", where, "device", conf_device_index,
	    &a->devices, &a->ndevices);
	conf_parse_account_dates(c, e, where, a);
	conf_parse_account_auth(c, e, where, a);
}

void
conf_parse_accounts(struct conf_ctx *c, const config_setting_t *root)
{
	const config_setting_t *l;

	c->conf->accounts = conf_section_alloc(c, root,
	    "professional_accounts", 0, sizeof(*c->conf->accounts),
	    &c->conf->naccounts, &l);
	conf_section_each(c, l, "professional_accounts", c->conf->naccounts,
	    conf_parse_account);
}
