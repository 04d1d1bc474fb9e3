/*
 * The "reports" and "alerts" sections: who receives the weekly report and
 * the alerts by mail, and through which sendmail.  Addresses are checked
 * here so that nothing from the config can add a header to a mail.
 */
#include <string.h>

#include "conf_priv.h"

static const char *const alert_kinds[] = { "circumvention", "gap", NULL };

unsigned int
conf_alert_kind(const char *name)
{
	for (size_t i = 0; alert_kinds[i] != NULL; i++)
		if (strcmp(name, alert_kinds[i]) == 0)
			return 1u << i;
	return 0;
}

/*
 * local@domain: the local part of letters, digits and the RFC 5322 atom
 * characters (no quoted strings), the domain of dot-separated labels of
 * letters, digits and hyphens.  Stricter than the RFC on purpose: no
 * space, comma, angle bracket, quote or control character gets through.
 */
int
conf_mail_addr_ok(const char *s, size_t max)
{
	const char *at = strchr(s, '@'), *p;
	size_t label = 0;

	if (at == NULL || at == s || strlen(s) >= max || at[1] == '\0' ||
	    s[0] == '.' || at[-1] == '.' || s[0] == '-')
		return 0;
	for (p = s; p < at; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') ||
		    strchr("!#$%&'*+-/=?^_`{|}~.", *p) != NULL) ||
		    (p[0] == '.' && p[1] == '.'))
			return 0;
	for (p = at + 1; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || (*p == '-' && label > 0)) ||
		    ++label > 63)
			return 0;
	}
	return label > 0 && p[-1] != '-';
}

static void
conf_parse_reports(struct conf_ctx *c, const config_setting_t *root)
{
	static const char *const keys[] = { "mail_to", "mail_from",
	    "sendmail", NULL };
	const config_setting_t *s = conf_get_section_group(c, root, "reports");
	const char *w = "reports", *from;

	if (s == NULL)
		return;
	conf_check_keys(c, s, keys, w);
	conf_copy_list_checked(c, s, "mail_to", w, conf_mail_addr_ok,
	    CONF_MAIL_ADDR_MAX, &c->conf->report_mail_to,
	    &c->conf->nreport_mail_to);
	if ((from = conf_get_str(c, s, "mail_from", w)) != NULL) {
		if (conf_mail_addr_ok(from, CONF_MAIL_ADDR_MAX))
			c->conf->mail_from = conf_strdup(c, s, from);
		else
			conf_err(c, conf_member(s, "mail_from"), "%s: invalid "
			    "mail_from address \"%s\"", w, from);
	}
	conf_get_path(c, s, "sendmail", w, &c->conf->sendmail);
}

static void
conf_parse_alert_kinds(struct conf_ctx *c, const config_setting_t *s,
    const char *w)
{
	const config_setting_t *l = conf_get_str_list(c, s, "kinds", w);
	unsigned int bit;

	if (l == NULL)
		return;
	c->conf->alert_kinds = 0;
	for (int i = 0; i < config_setting_length(l); i++) {
		const config_setting_t *e = config_setting_get_elem(l, i);
		const char *k = config_setting_get_string(e);

		if ((bit = conf_alert_kind(k)) == 0)
			conf_err(c, e, "%s: unknown kind \"%s\" (circumvention "
			    "or gap)", w, k);
		c->conf->alert_kinds |= bit;
	}
}

static void
conf_parse_alerts(struct conf_ctx *c, const config_setting_t *root)
{
	static const char *const keys[] = { "mail_to", "kinds", "groups",
	    "rate_limit", NULL };
	const config_setting_t *s = conf_get_section_group(c, root, "alerts");
	const char *w = "alerts";

	if (s == NULL)
		return;
	conf_check_keys(c, s, keys, w);
	conf_copy_list_checked(c, s, "mail_to", w, conf_mail_addr_ok,
	    CONF_MAIL_ADDR_MAX, &c->conf->alert_mail_to,
	    &c->conf->nalert_mail_to);
	conf_parse_alert_kinds(c, s, w);
	conf_copy_str_list(c, s, "groups", w, SG_NAME_MAX,
	    &c->conf->alert_groups, &c->conf->nalert_groups);
	for (size_t i = 0; i < c->conf->nalert_groups; i++)
		if (conf_group_index(c->conf, c->conf->alert_groups[i]) < 0)
			conf_err(c, conf_member(s, "groups"), "%s: unknown "
			    "group \"%s\"", w, c->conf->alert_groups[i]);
	conf_get_uint(c, s, "rate_limit", w, 0, 7 * 86400,
	    &c->conf->alert_rate_limit);
}

void
conf_parse_mail(struct conf_ctx *c, const config_setting_t *root)
{
	conf_parse_reports(c, root);
	conf_parse_alerts(c, root);
}
