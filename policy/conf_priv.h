/*
 * Shared by the parts of the config loader (policy/config.c and the
 * conf_*.c files it names); nothing outside policy/ includes this.
 */
#ifndef SG_CONF_PRIV_H
#define SG_CONF_PRIV_H

#include <libconfig.h>
#include <stdbool.h>

#include "config.h"

#define CONF_ZONEINFO	"/usr/share/zoneinfo"
#define CONF_TEXT_MAX	512	/* descriptions, display names, labels */
#define CONF_IFNAME_MAX	16	/* IFNAMSIZ */
#define CONF_PATH_MAX	4096

/* A MAC the people file lists, registered once the devices are parsed. */
struct conf_pending_mac {
	uint8_t			 mac[6];
	int			 owner;	/* person index */
	int			 line;
	int			 n;	/* the person's first, second... */
};

/* One load: the config being filled and every error found so far. */
struct conf_ctx {
	struct sg_config	*conf;
	struct conf_errors	*errs;
	const char		*path;
	size_t			 nerr;	/* counted even if msg was not stored */
	/* conf_people.c */
	const char		*people_file;
	int			 nconf_people;	/* people in the config itself */
	struct conf_pending_mac	*macs;
	size_t			 nmacs;
};

typedef int	 (*conf_lookup_fn)(const struct sg_config *, const char *);
typedef void	 conf_entry_parser(struct conf_ctx *, const config_setting_t *,
		    size_t);

/* conf_access.c: errors, memory, typed reads of the libconfig tree */
void		 conf_err(struct conf_ctx *, const config_setting_t *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
void		 conf_err_at(struct conf_ctx *, const char *, int,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
char		*conf_strdup(struct conf_ctx *, const config_setting_t *,
		    const char *);
void		*conf_calloc(struct conf_ctx *, const config_setting_t *,
		    size_t, size_t);
int		 conf_text_ok(const char *, size_t max);
int		 conf_ifname_ok(const char *, size_t max);
const char	*conf_where(char *, size_t, const char *kind, const char *name,
		    size_t idx);
void		 conf_check_keys(struct conf_ctx *, const config_setting_t *,
		    const char *const *allowed, const char *where);
const config_setting_t *conf_member(const config_setting_t *, const char *);
int		 conf_require(struct conf_ctx *, const config_setting_t *,
		    const char *key, const char *where);
const char	*conf_get_str(struct conf_ctx *, const config_setting_t *,
		    const char *key, const char *where);
const char	*conf_req_str(struct conf_ctx *, const config_setting_t *,
		    const char *key, const char *where);
char		*conf_req_name(struct conf_ctx *, const config_setting_t *,
		    const char *key, const char *where);
void		 conf_get_text(struct conf_ctx *, const config_setting_t *,
		    const char *key, const char *where, char **out);
void		 conf_get_path(struct conf_ctx *, const config_setting_t *,
		    const char *key, const char *where, char **out);
int		 conf_get_bool(struct conf_ctx *, const config_setting_t *,
		    const char *key, const char *where, bool *out);
int		 conf_get_uint(struct conf_ctx *, const config_setting_t *,
		    const char *key, const char *where, long long lo,
		    long long hi, unsigned int *out);
int		 conf_date(struct conf_ctx *, const config_setting_t *,
		    const char *key, const char *where, int32_t *out);
const config_setting_t *conf_get_str_list(struct conf_ctx *,
		    const config_setting_t *, const char *key,
		    const char *where);
void		 conf_copy_str_list(struct conf_ctx *,
		    const config_setting_t *, const char *key,
		    const char *where, size_t max, char ***out, size_t *nout);
/* The same, each entry checked by ok(entry, max). */
void		 conf_copy_list_checked(struct conf_ctx *,
		    const config_setting_t *, const char *key,
		    const char *where, int (*ok)(const char *, size_t),
		    size_t max, char ***out, size_t *nout);
const config_setting_t *conf_get_section_list(struct conf_ctx *,
		    const config_setting_t *root, const char *key);
const config_setting_t *conf_get_section_group(struct conf_ctx *,
		    const config_setting_t *root, const char *key);
const config_setting_t *conf_entry(struct conf_ctx *,
		    const config_setting_t *list, int i, const char *section);
void		*conf_section_alloc(struct conf_ctx *,
		    const config_setting_t *root, const char *key, int max,
		    size_t size, size_t *count, const config_setting_t **list);
void		 conf_section_each(struct conf_ctx *,
		    const config_setting_t *list, const char *key, size_t n,
		    conf_entry_parser *);

/* conf_value.c: single values */
int		 conf_parse_timerange(const char *, struct conf_timerange *);
int		 conf_parse_weekday(const char *);
int		 conf_parse_cidr(const char *, struct conf_cidr *);
int		 conf_norm_host(const char *, char *out, size_t outlen);
int		 conf_timezone_ok(const char *);

/* conf_xref.c: references between sections */
void		 conf_check_dup(struct conf_ctx *, const config_setting_t *,
		    const char *kind, const char *name, conf_lookup_fn,
		    size_t i);
void		 conf_resolve_list(struct conf_ctx *, const config_setting_t *,
		    const char *key, const char *where, const char *kind,
		    conf_lookup_fn, int **out, size_t *nout);
int		 conf_resolve_one(struct conf_ctx *, const config_setting_t *,
		    const char *key, const char *where, const char *kind,
		    conf_lookup_fn);
void		 conf_check_device_clash(struct conf_ctx *,
		    const config_setting_t *, const char *where, size_t i);
void		 conf_resolve_group_devices(struct conf_ctx *,
		    const config_setting_t *root);
void		 conf_resolve_default_group(struct conf_ctx *,
		    const config_setting_t *root);
void		 conf_resolve_rule_categories(struct conf_ctx *,
		    const config_setting_t *, const char *where,
		    struct conf_rule *);
void		 conf_resolve_rule_schedule(struct conf_ctx *,
		    const config_setting_t *, const char *where,
		    struct conf_rule *);
void		 conf_resolve_account_platform(struct conf_ctx *,
		    const config_setting_t *, const char *where,
		    struct conf_account *);

/* the sections, in the order config.c parses them */
void		 conf_parse_schedules(struct conf_ctx *,
		    const config_setting_t *);
void		 conf_parse_categories(struct conf_ctx *,
		    const config_setting_t *);
void		 conf_read_lists(struct conf_ctx *);
void		 conf_parse_groups(struct conf_ctx *, const config_setting_t *);
void		 conf_parse_people(struct conf_ctx *, const config_setting_t *);
void		 conf_parse_devices(struct conf_ctx *,
		    const config_setting_t *);
void		 conf_parse_school(struct conf_ctx *, const config_setting_t *);
void		 conf_parse_rules(struct conf_ctx *, const config_setting_t *);
void		 conf_parse_accounts(struct conf_ctx *,
		    const config_setting_t *);
void		 conf_parse_leases(struct conf_ctx *, const config_setting_t *);
void		 conf_parse_identity(struct conf_ctx *,
		    const config_setting_t *);
/* conf_people.c: the staff directory CSV (identity.people_file) */
void		 conf_load_people_file(struct conf_ctx *, const char *path);
void		 conf_add_people_devices(struct conf_ctx *);
void		 conf_parse_dns(struct conf_ctx *, const config_setting_t *);
void		 conf_parse_classification(struct conf_ctx *,
		    const config_setting_t *);
void		 conf_parse_records(struct conf_ctx *,
		    const config_setting_t *);
void		 conf_parse_daemon(struct conf_ctx *, const config_setting_t *);
void		 conf_parse_mail(struct conf_ctx *, const config_setting_t *);

#endif
