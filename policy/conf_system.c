/*
 * How schoolgate runs: the leases file, classification settings, the
 * records store and the daemon.  Each is one group { ... } of settings.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"
#include "records.h"

void
conf_parse_leases(struct conf_ctx *c, const config_setting_t *root)
{
	static const char *const keys[] = { "file", "format", NULL };
	static const char *const formats[] = { "auto", "dnsmasq", "isc",
	    "kea" };
	const config_setting_t *s = conf_get_section_group(c, root, "leases");
	const char *f;
	size_t k;

	if (s == NULL)
		return;
	conf_check_keys(c, s, keys, "leases");
	if (conf_require(c, s, "file", "leases"))
		conf_get_path(c, s, "file", "leases", &c->conf->leases_path);
	if ((f = conf_get_str(c, s, "format", "leases")) == NULL)
		return;
	for (k = 0; k < sizeof(formats) / sizeof(formats[0]); k++)
		if (strcmp(f, formats[k]) == 0)
			break;
	if (k == sizeof(formats) / sizeof(formats[0]))
		conf_err(c, conf_member(s, "format"), "leases: invalid format "
		    "\"%s\" (auto, dnsmasq, isc or kea)", f);
	else
		c->conf->leases_format = (enum conf_leases_format)k;
}

/* identity = { radius_detail = [ GLOB, ... ]; people_file = "CSV"; }:
 * FreeRADIUS detail files and the staff directory (conf_people.c) */
void
conf_parse_identity(struct conf_ctx *c, const config_setting_t *root)
{
	static const char *const keys[] = { "radius_detail", "people_file",
	    NULL };
	const config_setting_t *s = conf_get_section_group(c, root,
	    "identity");
	struct sg_config *conf = c->conf;

	if (s == NULL)
		return;
	conf_check_keys(c, s, keys, "identity");
	conf_copy_str_list(c, s, "radius_detail", "identity", CONF_PATH_MAX,
	    &conf->radius_detail, &conf->nradius_detail);
	for (size_t i = 0; i < conf->nradius_detail; i++)
		if (conf->radius_detail[i][0] != '/')
			conf_err(c, conf_member(s, "radius_detail"), "identity: "
			    "radius_detail \"%s\" is not an absolute path",
			    conf->radius_detail[i]);
	conf_get_path(c, s, "people_file", "identity", &conf->people_file);
	if (conf->people_file != NULL)
		conf_load_people_file(c, conf->people_file);
}

/* A DNS name as a list holds it: letters, digits, '-', '_' and dots. */
static bool
conf_dns_name_ok(const char *s)
{
	size_t	 len = strlen(s), label = 0;

	if (len == 0 || len > 253 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_') || ++label > 63)
			return false;
	}
	return true;
}

/*
 * A list of DNS names, or the defaults when the key (or its section) is
 * absent; an empty list turns the feature off.
 */
static void
conf_get_names(struct conf_ctx *c, const config_setting_t *s,
    const char *key, const char *w, const char *const *defaults,
    char ***out, size_t *nout)
{
	const config_setting_t *l;
	size_t	 n = 0;

	if (s == NULL || conf_member(s, key) == NULL) {
		while (defaults[n] != NULL)
			n++;
		if ((*out = calloc(n, sizeof(**out))) == NULL && n > 0)
			conf_err(c, NULL, "%s: out of memory", w);
		for (size_t i = 0; *out != NULL && i < n; i++)
			if (((*out)[(*nout)++] = strdup(defaults[i])) == NULL)
				conf_err(c, NULL, "%s: out of memory", w);
		return;
	}
	conf_copy_str_list(c, s, key, w, SG_HOST_MAX, out, nout);
	if ((l = conf_member(s, key)) == NULL ||
	    (!config_setting_is_array(l) && !config_setting_is_list(l)))
		return;
	for (int i = 0; i < config_setting_length(l); i++) {
		const config_setting_t *e = config_setting_get_elem(l, i);
		const char *name = config_setting_get_string(e);

		if (name != NULL && strlen(name) < SG_HOST_MAX &&
		    !conf_dns_name_ok(name))
			conf_err(c, e, "%s: %s entry \"%s\" is not a DNS name",
			    w, key, name);
	}
}

void
conf_parse_dns(struct conf_ctx *c, const config_setting_t *root)
{
	static const char *const keys[] = { "canaries",
	    "enforce_school_resolver", "encrypted_dns_category", NULL };
	static const char *const canaries[] = { "use-application-dns.net",
	    "mask.icloud.com", "mask-h2.icloud.com", NULL };
	const config_setting_t *s = conf_get_section_group(c, root, "dns");

	c->conf->encrypted_dns = conf_category_index(c->conf, "encrypted-dns");
	if (s != NULL)
		conf_check_keys(c, s, keys, "dns");
	conf_get_names(c, s, "canaries", "dns", canaries,
	    &c->conf->dns_canaries, &c->conf->ndns_canaries);
	if (s == NULL)
		return;
	conf_get_bool(c, s, "enforce_school_resolver", "dns",
	    &c->conf->enforce_school_resolver);
	if (conf_member(s, "encrypted_dns_category") != NULL)
		c->conf->encrypted_dns = conf_resolve_one(c, s,
		    "encrypted_dns_category", "dns", "category",
		    conf_category_index);
	else if (c->conf->enforce_school_resolver &&
	    c->conf->encrypted_dns < 0)
		conf_err(c, conf_member(s, "enforce_school_resolver"),
		    "dns: enforce_school_resolver needs the encrypted DNS "
		    "category: add a category \"encrypted-dns\" or name one "
		    "in encrypted_dns_category");
}

/* A relative lists_dir is taken from the config file's folder, as the
 * default is, so the config means the same from any working directory. */
static void
conf_get_lists_dir(struct conf_ctx *c, const config_setting_t *s,
    const char *w)
{
	const char *slash = strrchr(c->path, '/');
	char *dir = NULL;

	conf_get_path(c, s, "lists_dir", w, &dir);
	if (dir == NULL)
		return;
	free(c->conf->lists_dir);
	c->conf->lists_dir = NULL;
	if (dir[0] == '/' || slash == NULL)
		c->conf->lists_dir = dir;
	else {
		if (asprintf(&c->conf->lists_dir, "%.*s/%s",
		    (int)(slash - c->path), c->path, dir) == -1) {
			c->conf->lists_dir = NULL;
			conf_err(c, conf_member(s, "lists_dir"),
			    "out of memory");
		}
		free(dir);
	}
}

void
conf_parse_classification(struct conf_ctx *c, const config_setting_t *root)
{
	static const char *const keys[] = { "max_packets", "unknown_action",
	    "unknown_clause", "circumvention_category", "protocols_file",
	    "evasion_action", "ech_fronts", "lists_dir", NULL };
	static const char *const fronts[] = { "cloudflare-ech.com", NULL };
	const config_setting_t *s = conf_get_section_group(c, root,
	    "classification");
	const char *w = "classification", *a;

	c->conf->circumvention = conf_category_index(c->conf, "circumvention");
	conf_get_names(c, s, "ech_fronts", w, fronts, &c->conf->ech_fronts,
	    &c->conf->nech_fronts);
	if (s == NULL)
		return;
	conf_check_keys(c, s, keys, w);
	conf_get_uint(c, s, "max_packets", w, 1, 255, &c->conf->max_packets);
	if ((a = conf_get_str(c, s, "unknown_action", w)) != NULL &&
	    sg_action_parse(a, &c->conf->unknown_action) == -1)
		conf_err(c, conf_member(s, "unknown_action"), "%s: invalid "
		    "action \"%s\" (allow, log or block)", w, a);
	conf_get_text(c, s, "unknown_clause", w, &c->conf->unknown_clause);
	if ((a = conf_get_str(c, s, "evasion_action", w)) != NULL) {
		enum sg_action ea;

		if (strcmp(a, "auto") == 0)
			c->conf->evasion_action = CONF_EVASION_AUTO;
		else if (sg_action_parse(a, &ea) == 0)
			c->conf->evasion_action = (int)ea;
		else
			conf_err(c, conf_member(s, "evasion_action"), "%s: "
			    "invalid action \"%s\" (auto, allow, log or "
			    "block)", w, a);
	}
	if (conf_member(s, "circumvention_category") != NULL)
		c->conf->circumvention = conf_resolve_one(c, s,
		    "circumvention_category", w, "category",
		    conf_category_index);
	conf_get_lists_dir(c, s, w);
	conf_get_path(c, s, "protocols_file", w, &c->conf->protocols_file);
	if (c->conf->protocols_file != NULL)
		c->conf->protocols_file_line = config_setting_source_line(
		    conf_member(s, "protocols_file"));
}

void
conf_parse_records(struct conf_ctx *c, const config_setting_t *root)
{
	static const char *const keys[] = { "database", "retention_days",
	    "pseudonym_key", "syslog", "memory_rows", "seal_state",
	    "seal_interval", "syslog_socket", NULL };
	const config_setting_t *s = conf_get_section_group(c, root, "records");
	const char *w = "records";

	if (s == NULL)
		return;
	conf_check_keys(c, s, keys, w);
	conf_get_path(c, s, "database", w, &c->conf->db_path);
	conf_get_uint(c, s, "retention_days", w, 1, 100000,
	    &c->conf->retention_days);
	conf_get_path(c, s, "pseudonym_key", w, &c->conf->pseudonym_key_path);
	conf_get_bool(c, s, "syslog", w, &c->conf->syslog_records);
	conf_get_uint(c, s, "memory_rows", w, REC_BATCH_ROWS, 1U << 20,
	    &c->conf->memory_rows);
	conf_get_path(c, s, "seal_state", w, &c->conf->seal_state);
	conf_get_uint(c, s, "seal_interval", w, 10, 86400,
	    &c->conf->seal_interval);
	conf_get_path(c, s, "syslog_socket", w, &c->conf->syslog_socket);
}

/*
 * Our marks are three values in one run of contiguous bits: at least two
 * bits, so that allow, log and block differ from each other and from 0.
 */
static void
conf_get_mark_mask(struct conf_ctx *c, const config_setting_t *s,
    const char *w, uint32_t *out)
{
	const config_setting_t *m = conf_member(s, "mark_mask");
	long long v;
	uint32_t low;

	if (m == NULL)
		return;
	if (config_setting_type(m) != CONFIG_TYPE_INT &&
	    config_setting_type(m) != CONFIG_TYPE_INT64) {
		conf_err(c, m, "%s: mark_mask must be a number such as "
		    "0x0000ff00", w);
		return;
	}
	v = config_setting_get_int64(m);
	low = (uint32_t)v & (uint32_t)-(int64_t)(uint32_t)v;
	if (v <= 0 || v > 0xffffffffLL ||
	    (((uint32_t)v + low) & (uint32_t)v) != 0 ||
	    ((uint32_t)v >> __builtin_ctz((uint32_t)v)) < 3)
		conf_err(c, m, "%s: mark_mask 0x%llx must be one run of at "
		    "least two contiguous bits", w, (unsigned long long)v);
	else
		*out = (uint32_t)v;
}

void
conf_parse_daemon(struct conf_ctx *c, const config_setting_t *root)
{
	static const char *const keys[] = { "queue_first", "queue_count",
	    "queue_maxlen", "fail_open", "user", "control_socket",
	    "metrics_file", "mark_mask", "lan_interfaces", NULL };
	const config_setting_t *s = conf_get_section_group(c, root, "daemon");
	struct sg_config *conf = c->conf;
	const char *w = "daemon";

	if (s == NULL)
		return;
	conf_check_keys(c, s, keys, w);
	if (conf_get_uint(c, s, "queue_first", w, 0, 65535,
	    &conf->queue_first) == 0 &&
	    conf_get_uint(c, s, "queue_count", w, 1, 16,
	    &conf->queue_count) == 0 &&
	    conf->queue_first + conf->queue_count > 65536)
		conf_err(c, s, "daemon: queues %u..%u exceed 65535",
		    conf->queue_first, conf->queue_first + conf->queue_count -
		    1);
	conf_get_uint(c, s, "queue_maxlen", w, 1, 1 << 24,
	    &conf->queue_maxlen);
	conf_get_bool(c, s, "fail_open", w, &conf->fail_open);
	conf_get_mark_mask(c, s, w, &conf->mark_mask);
	conf_get_text(c, s, "user", w, &conf->user);
	conf_get_path(c, s, "control_socket", w, &conf->control_socket);
	conf_get_path(c, s, "metrics_file", w, &conf->metrics_file);
	conf_copy_list_checked(c, s, "lan_interfaces", w, conf_ifname_ok,
	    CONF_IFNAME_MAX, &conf->lan_interfaces, &conf->nlan_interfaces);
}
