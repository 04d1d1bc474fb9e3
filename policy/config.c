/*
 * Configuration loader: one libconfig file into one immutable sg_config.
 *
 * Every problem is collected rather than stopping at the first, so an
 * administrator fixes a broken file in one pass.  Sections are parsed in
 * dependency order (schedules, categories, groups, people, devices, then
 * everything that refers to them) so each reference resolves to an index
 * the moment it is read; the one cycle, a group's devices, is resolved
 * after the devices.
 *
 * The parts: conf_access.c reads the libconfig tree and collects errors;
 * conf_value.c checks single values; conf_who.c, conf_what.c and
 * conf_system.c parse the sections; conf_xref.c resolves references
 * between them; conf_check.c adds what needs more than the file itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"
#include "lists.h"
#include "records.h"

static const char *const root_keys[] = { "school", "schedules", "groups",
    "default_group", "people", "devices", "leases", "identity", "categories",
    "rules", "professional_accounts", "classification", "dns", "records",
    "daemon", "reports", "alerts", NULL };

static int
conf_set_defaults(struct sg_config *conf)
{
	conf->timezone = strdup("Europe/London");
	conf->db_path = strdup("/var/lib/schoolgate/records.db");
	conf->pseudonym_key_path = strdup("/var/lib/schoolgate/pseudonym.key");
	conf->seal_state = strdup("/var/lib/schoolgate/seal.state");
	conf->syslog_socket = strdup("/dev/log");
	conf->seal_interval = 300;
	conf->user = strdup("schoolgate");
	conf->control_socket = strdup("/run/schoolgate/control.sock");
	conf->metrics_file = strdup("/var/lib/schoolgate/metrics.prom");
	conf->school_hours = -1;
	conf->default_group = -1;
	conf->circumvention = -1;
	conf->encrypted_dns = -1;
	conf->max_packets = 12;
	conf->unknown_action = SG_ALLOW;
	conf->retention_days = 400;
	conf->memory_rows = REC_PENDING_MAX;
	conf->queue_first = 0;
	conf->queue_count = 1;
	conf->queue_maxlen = 4096;
	conf->fail_open = true;
	conf->mark_mask = CONF_MARK_MASK_DEFAULT;
	conf->evasion_action = CONF_EVASION_AUTO;
	conf->leases_format = LEASES_AUTO;
	conf->sendmail = strdup("/usr/sbin/sendmail");
	conf->alert_kinds = CONF_ALERT_CIRCUMVENTION | CONF_ALERT_GAP;
	conf->alert_rate_limit = 3600;
	if (conf->timezone == NULL || conf->db_path == NULL ||
	    conf->pseudonym_key_path == NULL || conf->user == NULL ||
	    conf->control_socket == NULL || conf->metrics_file == NULL ||
	    conf->sendmail == NULL || conf->seal_state == NULL ||
	    conf->syslog_socket == NULL)
		return -1;
	return 0;
}

static void
conf_parse_root(struct conf_ctx *c, const config_setting_t *root)
{
	conf_check_keys(c, root, root_keys, "the top level");
	conf_parse_schedules(c, root);
	conf_parse_categories(c, root);
	conf_parse_groups(c, root);
	conf_parse_people(c, root);
	conf_parse_identity(c, root);	/* the people file adds people */
	conf_parse_devices(c, root);
	conf_add_people_devices(c);
	conf_resolve_group_devices(c, root);
	conf_parse_school(c, root);
	conf_resolve_default_group(c, root);
	conf_parse_rules(c, root);
	conf_parse_accounts(c, root);
	conf_parse_leases(c, root);
	conf_parse_classification(c, root);
	conf_read_lists(c);
	conf_parse_dns(c, root);
	conf_parse_records(c, root);
	conf_parse_daemon(c, root);
	conf_parse_mail(c, root);
}

static int
conf_read(struct conf_ctx *c, config_t *cfg)
{
	FILE *fp;
	int ok;

	if ((fp = fopen(c->path, "r")) == NULL) {
		conf_err(c, NULL, "cannot open: %s", strerror(errno));
		return -1;
	}
	ok = config_read(cfg, fp);
	fclose(fp);
	if (ok == CONFIG_TRUE)
		return 0;
	conf_err_at(c, config_error_file(cfg), config_error_line(cfg), "%s",
	    config_error_text(cfg));
	return -1;
}

struct sg_config *
conf_load(const char *path, struct conf_errors *errs)
{
	struct conf_ctx c = { .errs = errs, .path = path };
	config_t cfg;

	errs->msg = NULL;
	errs->n = 0;
	if ((c.conf = calloc(1, sizeof(*c.conf))) == NULL ||
	    conf_set_defaults(c.conf) == -1 ||
	    (c.conf->path = strdup(path)) == NULL) {
		conf_err(&c, NULL, "out of memory");
		conf_free(c.conf);
		return NULL;
	}
	config_init(&cfg);
	if (conf_read(&c, &cfg) == 0)
		conf_parse_root(&c, config_root_setting(&cfg));
	config_destroy(&cfg);
	if (c.nerr == 0 &&
	    (c.conf->lists_index = lists_index_build(c.conf)) == NULL)
		conf_err(&c, NULL, "out of memory for the host and address "
		    "lists");
	if (c.nerr > 0) {
		conf_free(c.conf);
		return NULL;
	}
	return c.conf;
}

void
conf_errors_clear(struct conf_errors *errs)
{
	if (errs == NULL)
		return;
	for (size_t i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
}

static void
conf_free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
conf_free_schedules(struct conf_schedule *s, size_t n)
{
	for (size_t i = 0; s != NULL && i < n; i++) {
		free(s[i].name);
		free(s[i].times);
		for (size_t j = 0; j < s[i].nterms; j++)
			free(s[i].terms[j].label);
		free(s[i].terms);
		for (size_t j = 0; j < s[i].nclosures; j++)
			free(s[i].closures[j].label);
		free(s[i].closures);
	}
	free(s);
}

static void
conf_free_entities(struct sg_config *conf)
{
	for (size_t i = 0; conf->groups != NULL && i < conf->ngroups; i++) {
		free(conf->groups[i].name);
		free(conf->groups[i].subnets);
		conf_free_strv(conf->groups[i].interfaces,
		    conf->groups[i].ninterfaces);
		free(conf->groups[i].devices);
	}
	free(conf->groups);
	for (size_t i = 0; conf->people != NULL && i < conf->npeople; i++) {
		free(conf->people[i].id);
		free(conf->people[i].name);
		conf_free_strv(conf->people[i].roles, conf->people[i].nroles);
		conf_free_strv(conf->people[i].logins,
		    conf->people[i].nlogins);
	}
	free(conf->people);
	for (size_t i = 0; conf->devices != NULL && i < conf->ndevices; i++)
		free(conf->devices[i].name);
	free(conf->devices);
}

static void
conf_free_policy(struct sg_config *conf)
{
	for (size_t i = 0; conf->categories != NULL &&
	    i < conf->ncategories; i++) {
		struct conf_category *cat = &conf->categories[i];

		free(cat->name);
		free(cat->description);
		conf_free_strv(cat->protocols, cat->nprotocols);
		conf_free_strv(cat->hosts, cat->nhosts);
	}
	free(conf->categories);
	for (size_t i = 0; conf->lists != NULL && i < conf->nlists; i++)
		lists_clear(&conf->lists[i]);
	free(conf->lists);
	lists_index_free(conf->lists_index);
	for (size_t i = 0; conf->rules != NULL && i < conf->nrules; i++) {
		struct conf_rule *r = &conf->rules[i];

		free(r->name);
		free(r->clause);
		free(r->groups);
		free(r->people);
		free(r->devices);
		conf_free_strv(r->apps, r->napps);
	}
	free(conf->rules);
	for (size_t i = 0; conf->accounts != NULL && i < conf->naccounts;
	    i++) {
		free(conf->accounts[i].name);
		free(conf->accounts[i].app);
		free(conf->accounts[i].owners);
		free(conf->accounts[i].devices);
	}
	free(conf->accounts);
}

void
conf_free(struct sg_config *conf)
{
	if (conf == NULL)
		return;
	conf_free_schedules(conf->schedules, conf->nschedules);
	conf_free_entities(conf);
	conf_free_policy(conf);
	free(conf->path);
	free(conf->school_name);
	free(conf->timezone);
	free(conf->leases_path);
	conf_free_strv(conf->radius_detail, conf->nradius_detail);
	free(conf->people_file);
	free(conf->unknown_clause);
	free(conf->protocols_file);
	free(conf->lists_dir);
	conf_free_strv(conf->ech_fronts, conf->nech_fronts);
	conf_free_strv(conf->dns_canaries, conf->ndns_canaries);
	free(conf->db_path);
	free(conf->pseudonym_key_path);
	free(conf->seal_state);
	free(conf->syslog_socket);
	free(conf->user);
	free(conf->control_socket);
	free(conf->metrics_file);
	conf_free_strv(conf->lan_interfaces, conf->nlan_interfaces);
	conf_free_strv(conf->report_mail_to, conf->nreport_mail_to);
	free(conf->mail_from);
	free(conf->sendmail);
	conf_free_strv(conf->alert_mail_to, conf->nalert_mail_to);
	conf_free_strv(conf->alert_groups, conf->nalert_groups);
	free(conf);
}
