/*
 * The school's configuration, parsed from a libconfig file into one value
 * that is never modified after conf_load() returns.  The daemon swaps the
 * whole value on SIGHUP; nothing holds pointers into an old one after that.
 *
 * Cross references (a rule's groups, a device's owner...) are resolved to
 * indexes into the arrays below at load time, so lookups never compare
 * names on the packet path.
 */
#ifndef SG_CONFIG_H
#define SG_CONFIG_H

#include <stdatomic.h>
#include <stdbool.h>
#include "sg.h"

#define CONF_MAX_CATEGORIES	64	/* categories are a uint64_t bitmask */

/* minutes since local midnight; start inclusive, end exclusive */
struct conf_timerange {
	uint16_t	 start;
	uint16_t	 end;
};

/* inclusive, as sg_days_from_civil() */
struct conf_daterange {
	int32_t		 first;
	int32_t		 last;
	char		*label;		/* "Autumn term", may be NULL */
};

struct conf_closure {
	int32_t		 day;
	char		*label;		/* "INSET day", may be NULL */
};

struct conf_schedule {
	char		*name;
	uint8_t		 weekdays;	/* bit 0 = Monday ... bit 6 = Sunday */
	struct conf_timerange *times;	/* none means all day */
	size_t		 ntimes;
	struct conf_daterange *terms;	/* none means every date */
	size_t		 nterms;
	struct conf_closure *closures;
	size_t		 nclosures;
	int		 line;
};

struct conf_cidr {
	struct sg_addr	 addr;		/* host bits cleared */
	uint8_t		 prefix;
};

struct conf_group {
	char		*name;
	struct conf_cidr *subnets;
	size_t		 nsubnets;
	char		**interfaces;
	size_t		 ninterfaces;
	int		*devices;	/* device indexes */
	size_t		 ndevices;
	bool		 block_quic;	/* drop QUIC so browsers fall back to TLS */
	int8_t		 strip_ech;	/* CONF_AUTO, 0 or 1 (policy_strip_ech) */
	int		 line;
};

struct conf_person {
	char		*id;
	char		*name;		/* display name */
	int		 group;		/* group index */
	char		**roles;
	size_t		 nroles;
	/* 802.1X User-Names besides the id ("jsmith@school.sch.uk"),
	 * matched case-insensitively, with or without the realm */
	char		**logins;
	size_t		 nlogins;
	int		 line;
};

struct conf_device {
	char		*name;
	bool		 has_mac;
	uint8_t		 mac[6];
	bool		 has_ip;
	struct sg_addr	 ip;
	int		 owner;		/* person index, -1 if none */
	int		 group;		/* group index, -1: the owner's group */
	bool		 school_owned;
	int		 line;
};

/*
 * A category matches a flow when any of its nDPI protocol names equals
 * the flow's app protocol or master protocol ("Facebook" matches
 * "TLS.Facebook"), or any host pattern matches the flow's host.
 */
struct conf_category {
	char		*name;
	char		*description;
	char		**protocols;
	size_t		 nprotocols;
	char		**hosts;	/* "example.org" or "*.example.org" */
	size_t		 nhosts;
	int		 line;
};

enum conf_list_kind {
	CONF_LIST_HOSTS = 0,		/* "*.hosts": host patterns */
	CONF_LIST_CIDR,			/* "*.cidr": address ranges */
};

/*
 * A list file a category names (categories[].lists), read whole at load
 * time so a reload picks up its changes (policy/lists.c).
 */
struct conf_list {
	char		*name;		/* as the config names it */
	char		*path;		/* lists_dir + name */
	int		 category;	/* category index */
	uint8_t		 kind;		/* enum conf_list_kind */
	/* the header: "# source:", "# date:", "# licence:", "# description:" */
	char		*source;
	int32_t		 date;		/* days, as sg_date_parse() */
	char		*licence;
	char		*description;	/* may be NULL */
	char		**hosts;	/* CONF_LIST_HOSTS, normalised */
	size_t		 nhosts;
	struct conf_cidr *cidrs;	/* CONF_LIST_CIDR, host bits clear */
	size_t		 ncidrs;
	int		 line;		/* where the config names it */
};

/* Every host pattern and range of the config, compiled for lookups
 * (policy/lists.c); rebuilt, never packed, by conf_unpack. */
struct lists_index;

struct conf_rule {
	char		*name;
	char		*clause;	/* policy clause, "7.3" */
	enum sg_action	 action;
	int		*groups;	/* any of; none means every group */
	size_t		 ngroups;
	int		*people;
	size_t		 npeople;
	int		*devices;
	size_t		 ndevices;
	uint64_t	 categories;	/* bitmask; 0 with no apps: any */
	char		**apps;		/* nDPI names, matched as categories are */
	size_t		 napps;
	int		 schedule;	/* -1: any time */
	bool		 schedule_negate;
	int		 line;
};

/* Clauses 5.x, 9.3 and 9.4: the register of approved school accounts. */
struct conf_account {
	char		*name;
	int		 category;	/* -1 if the platform is an app */
	char		*app;		/* NULL if the platform is a category */
	int		*owners;	/* person indexes */
	size_t		 nowners;
	int		*devices;	/* device indexes allowed to use it */
	size_t		 ndevices;
	int32_t		 approved;	/* days, as sg_date_parse() */
	int32_t		 review_by;
	int32_t		 ends;		/* the exemption lapses after this day */
	/* auth = "8021x": exempt only a device whose 802.1X session is
	 * signed in as one of the owners, so a copied MAC gets nothing */
	bool		 auth_8021x;
	int		 line;
};

enum conf_leases_format {
	LEASES_AUTO = 0,
	LEASES_DNSMASQ,
	LEASES_ISC,
	LEASES_KEA,
};

#define CONF_EVASION_AUTO	(-1)
#define CONF_AUTO		(-1)	/* a tri-state setting left to policy_guarded */
#define CONF_MARK_MASK_DEFAULT	0x0000ff00u

struct sg_config {
	char		*path;

	/* school */
	char		*school_name;
	char		*timezone;	/* "Europe/London" */
	int		 school_hours;	/* schedule index for the in-hours flag */

	struct conf_schedule *schedules;
	size_t		 nschedules;
	struct conf_group *groups;
	size_t		 ngroups;
	int		 default_group;	/* group index for unknown devices */
	struct conf_person *people;
	size_t		 npeople;
	struct conf_device *devices;
	size_t		 ndevices;
	struct conf_category *categories;
	size_t		 ncategories;
	struct conf_list *lists;	/* every category's, in config order */
	size_t		 nlists;
	struct lists_index *lists_index;
	struct conf_rule *rules;
	size_t		 nrules;
	struct conf_account *accounts;
	size_t		 naccounts;

	/* leases */
	char		*leases_path;	/* NULL: no leases file */
	enum conf_leases_format leases_format;

	/* identity: FreeRADIUS detail files (globs) with 802.1X sessions */
	char		**radius_detail;
	size_t		 nradius_detail;
	/* the staff directory, CSV; its people follow the config's own */
	char		*people_file;

	/* classification */
	unsigned int	 max_packets;	/* give up after this many, default 12 */
	enum sg_action	 unknown_action;
	char		*unknown_clause;
	int		 circumvention;	/* category index or -1, for reports */
	char		*protocols_file; /* extra nDPI protocols, may be NULL */
	int		 protocols_file_line;	/* where the config names it */
	/* where categories[].lists live; default: "lists" beside the config */
	char		*lists_dir;
	/* What a flow that hides its name gets (a split or repeated
	 * ClientHello, overlapping segments with different data, TLS or
	 * QUIC still unnamed after max_packets): CONF_EVASION_AUTO blocks
	 * it for groups that have block rules and logs it otherwise. */
	int		 evasion_action;	/* enum sg_action, or AUTO */
	/* SNIs that name an ECH provider's front, never the site */
	char		**ech_fronts;
	size_t		 nech_fronts;

	/* dns: names whose lookups are answered NXDOMAIN for guarded
	 * senders, telling browsers and phones to leave DoH and relays off */
	char		**dns_canaries;
	size_t		 ndns_canaries;
	/* dns.enforce_school_resolver: a flow in the encrypted DNS category
	 * (DoH, DoT, DoQ to a resolver other than the school's) is blocked
	 * for every sender, before the rules: lookups the gateway cannot
	 * read would defeat the DNS cache that names ECH and front SNIs. */
	bool		 enforce_school_resolver;
	int		 encrypted_dns;	/* dns.encrypted_dns_category, or -1 */

	/* records */
	char		*db_path;
	unsigned int	 retention_days;
	char		*pseudonym_key_path;
	bool		 syslog_records;	/* each finished record to syslog */
	unsigned int	 memory_rows;	/* held while the store fails */
	/* forward-secure sealing (records/seal.c): the state file, how
	 * often, and where seals and flow lines go to syslog */
	char		*seal_state;
	unsigned int	 seal_interval;	/* seconds */
	char		*syslog_socket;

	/* daemon (used by "schoolgate run") */
	unsigned int	 queue_first;
	unsigned int	 queue_count;
	unsigned int	 queue_maxlen;
	bool		 fail_open;
	/* The bits of the packet and connection mark that are ours; the
	 * rest belong to QoS, multi-WAN and the like (docs/ARCHITECTURE.md). */
	uint32_t	 mark_mask;
	/* LAN interfaces queued besides those the groups name (a LAN whose
	 * groups match by subnet only): the ruleset's --lan list is both. */
	char		**lan_interfaces;
	size_t		 nlan_interfaces;
	char		*user;
	char		*control_socket;
	char		*metrics_file;

	/* reports and alerts by mail (policy/conf_mail.c) */
	char		**report_mail_to;	/* the weekly report's readers */
	size_t		 nreport_mail_to;
	char		*mail_from;	/* NULL: schoolgate@HOSTNAME */
	char		*sendmail;	/* the MTA's sendmail interface */
	char		**alert_mail_to;
	size_t		 nalert_mail_to;
	char		**alert_groups;	/* none: every group but the default */
	size_t		 nalert_groups;
	unsigned int	 alert_kinds;	/* CONF_ALERT_* bits */
	unsigned int	 alert_rate_limit;	/* seconds per device and kind */
};

/* What "schoolgate alerts" mails about (alerts.kinds). */
#define CONF_ALERT_CIRCUMVENTION	0x1u	/* in hours, by a known group */
#define CONF_ALERT_GAP			0x2u	/* gap events, daemon not alive */
#define CONF_MAIL_ADDR_MAX		254	/* RFC 5321 path limit */

/* A plain addr-spec (local@domain), nothing a mail header could be
 * bent with: for recipients and the sender. */
int		 conf_mail_addr_ok(const char *, size_t max);
/* "circumvention" or "gap" as a CONF_ALERT_* bit; 0 if unknown. */
unsigned int	 conf_alert_kind(const char *);

/* Every problem found, each as "FILE:LINE: message". */
struct conf_errors {
	char		**msg;
	size_t		 n;
};

/*
 * Parse and validate path.  On success returns the config and leaves
 * errs empty; on failure returns NULL with every error in errs.
 */
struct sg_config *conf_load(const char *path, struct conf_errors *errs);
/*
 * The one validator for whatever enforces the config ("run", "reload",
 * "check-config"): conf_load(), then the protocols file line by line and
 * every nDPI protocol name the categories, rules and accounts use, against
 * nDPI 4.2 with that file loaded (policy/conf_check.c).  Same contract.
 */
struct sg_config *conf_load_checked(const char *path,
		    struct conf_errors *errs);
void		 conf_free(struct sg_config *);
/*
 * What is valid but probably not meant, each as "FILE:LINE: message",
 * handed to fn (check-config prints them): a group matched by IPv4
 * subnets with nothing to match IPv6 (a device's global IPv6 address
 * would land in the default group); an account with auth = "8021x" and
 * no RADIUS detail files to find sessions in.
 */
void		 conf_warnings(const struct sg_config *,
		    void (*fn)(void *arg, const char *msg), void *arg);
/* All of conf_load_checked but the app names against nDPI's, for the
 * daemon, which never loads nDPI itself (it runs check-config for those,
 * daemon/confcheck.c). */
struct sg_config *conf_load_checked_but_names(const char *path,
		    struct conf_errors *);
void		 conf_errors_clear(struct conf_errors *);

int		 conf_group_index(const struct sg_config *, const char *);
int		 conf_person_index(const struct sg_config *, const char *);
int		 conf_device_index(const struct sg_config *, const char *);
int		 conf_category_index(const struct sg_config *, const char *);
int		 conf_schedule_index(const struct sg_config *, const char *);

/* A config shared by the daemon's threads; freed with its last user
 * (policy/cfgref.c). */
struct cfg_ref {
	struct sg_config *cfg;
	atomic_int	 refs;
	unsigned	 generation;
};

struct cfg_ref	*cfg_ref_new(struct sg_config *, unsigned generation);
void		 cfg_ref_get(struct cfg_ref *);
void		 cfg_ref_put(struct cfg_ref *);

#endif
