/*
 * Compliance reports for the lead team (policy 9.3), read from the
 * records database.  query.c aggregates in SQL into the plain struct
 * below (struct rpt_report); html.c, csv.c and json.c only format it.
 * Nothing here prints or logs: errors come back as return values.
 *
 * What is counted (the report's method note says the same):
 *   attempt        a blocked connection (action block)
 *   breach         a logged connection (action log: allowed, recorded)
 *   circumvention  any connection in the circumvention category
 *   name-lookup    a blocked or logged DNS lookup (app "DNS..."); counted
 *                  apart so one visit is not counted several times
 *   account-use    use of an approved professional account (6.8)
 * The kinds are disjoint.  Rule "quic-fallback" (QUIC dropped so the
 * browser retries over TLS) is not a finding at all.  A connection whose
 * decision changed while it was open (school hours began, a reload) has
 * one row per period, each under the decision then in force, so each
 * period counts as what it was; a "redecide" event links them.
 */
#ifndef SG_REPORT_H
#define SG_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "records.h"

#define RPT_KEY_LEN		32	/* pseudonym key, bytes */
#define RPT_TEXT_MAX		128	/* display names, joined lists */
#define RPT_DETAIL_MAX		512
#define RPT_TOP_APPS		10
#define RPT_MAX_EVENTS		200

enum rpt_error {
	RPT_OK = 0,
	RPT_ERR_DB,		/* cannot open or read the database */
	RPT_ERR_NOMEM,
	RPT_ERR_KEY,		/* pseudonym key unreadable or not creatable */
	RPT_ERR_PERIOD,		/* no such period in the config */
	RPT_ERR_IO,
};

const char	*rpt_strerror(enum rpt_error);

/* [from_us, to_us): whole local days first_day .. last_day. */
struct rpt_period {
	int32_t		 first_day;	/* days since 1970-01-01, local */
	int32_t		 last_day;
	int64_t		 from_us;
	int64_t		 to_us;
	char		 name[RPT_TEXT_MAX];	/* "Autumn term (2)", "" */
	char		 slug[RPT_TEXT_MAX];	/* file name part: "2026-W47" */
};

/* Local midnight (the config's zone is in force) as Unix microseconds. */
int64_t		 rpt_day_start_us(int32_t day);
void		 rpt_period_days(int32_t first, int32_t last, struct rpt_period *);
/* last-week, last-month, this-term, last-term, relative to today. */
enum rpt_error	 rpt_period_named(const struct sg_config *, const char *name,
		    int32_t today, struct rpt_period *);
/* The term whose last day was yesterday, if any: 1 found, 0 none. */
int		 rpt_period_term_ended(const struct sg_config *, int32_t today,
		    struct rpt_period *);
/* The same number of days just before p. */
void		 rpt_period_previous(const struct rpt_period *,
		    struct rpt_period *);
int32_t		 rpt_today(void);

/* Who a finding belongs to: a person, else a device, else an address. */
struct rpt_who {
	char		 person[SG_NAME_MAX];	/* id, "" if unknown */
	char		 name[RPT_TEXT_MAX];	/* for display */
	char		 group[SG_NAME_MAX];
	char		 device[SG_NAME_MAX];
	char		 mac[18];
	char		 ip[SG_ADDRSTR_MAX];
	/* how the person or device was known, as records.id_source:
	 * "8021x", "registered", "lease", "subnet"... several
	 * comma-separated when they differed; "" in old records */
	char		 idsrc[64];
};

struct rpt_totals {
	int64_t		 flows;
	int64_t		 devices;
	int64_t		 people;
	int64_t		 attempts;
	int64_t		 breaches;
	int64_t		 circumvention;
	int64_t		 lookups;
	int64_t		 account_uses;
};

/* One CSV row: the same who, site, rule and kind, in or out of hours. */
struct rpt_finding {
	struct rpt_who	 who;
	char		 kind[16];	/* attempt, breach, ... as above */
	char		 app[SG_APP_MAX];
	char		 category[SG_NAME_MAX];
	char		 host[SG_HOST_MAX];
	char		 action[8];
	char		 rule[SG_NAME_MAX];
	char		 clause[16];
	bool		 in_hours;
	int64_t		 count;
	int64_t		 days;
	int64_t		 first_us;
	int64_t		 last_us;
};

/* Per person, per app and rule: blocked and logged, in and out of hours. */
struct rpt_person_app {
	char		 app[SG_APP_MAX];
	char		 rule[SG_NAME_MAX];
	char		 clause[16];
	int64_t		 blocked_in, blocked_out;
	int64_t		 logged_in, logged_out;
};

struct rpt_person {
	struct rpt_who	 who;
	int64_t		 attempts, breaches, circumvention, lookups;
	int64_t		 in_hours, out_hours;	/* attempts + breaches + circ. */
	int64_t		 days;			/* days with any of them */
	int64_t		 first_us, last_us;
	char		 clauses[RPT_TEXT_MAX];	/* "6.9, 7.3" */
	struct rpt_person_app *apps;
	size_t		 napps;
};

struct rpt_app_total {
	char		 app[SG_APP_MAX];
	int64_t		 attempts;
	int64_t		 breaches;
};

struct rpt_day {
	int32_t		 day;
	int64_t		 attempts;
	int64_t		 breaches;
	int64_t		 flows;		/* 0: nothing recorded that day */
	bool		 school_day;	/* in term, a school weekday, no closure */
	char		 closure[64];	/* "INSET day", "" */
};

struct rpt_circ {
	struct rpt_who	 who;
	char		 app[SG_APP_MAX];
	char		 host[SG_HOST_MAX];
	char		 action[8];
	int64_t		 count;
	int64_t		 first_us, last_us;
};

struct rpt_account {
	char		 name[RPT_TEXT_MAX];
	char		 platform[SG_NAME_MAX];
	char		 owners[RPT_TEXT_MAX];
	char		 devices[RPT_TEXT_MAX];
	int32_t		 approved, review_by, ends;
	int64_t		 uses;		/* allowed through the exemption */
	int64_t		 unregistered;	/* owners' use from other devices */
	char		 unreg_devices[RPT_TEXT_MAX];
	bool		 review_overdue;
	bool		 ending_soon;	/* ends within 30 days of the report */
	bool		 ended;
};

struct rpt_event {
	int64_t		 ts_us;
	char		 kind[16];
	char		 detail[RPT_DETAIL_MAX];
};

/* A time the filter was not running (downtime.c). */
struct rpt_down {
	int64_t		 from_us, to_us;	/* within the period */
	int64_t		 school_s;	/* seconds of it in school hours */
	int		 clean;		/* 1: stopped, 0: crashed or killed */
};

/* A category list the config names, and whether it is out of date. */
#define RPT_LIST_OLD_DAYS	90
struct rpt_list {
	char		 name[SG_NAME_MAX];	/* "tor-relays.cidr" */
	char		 category[SG_NAME_MAX];
	char		 source[RPT_TEXT_MAX];
	int32_t		 date;			/* days */
	size_t		 entries;
	bool		 old;	/* over RPT_LIST_OLD_DAYS at the period's end */
};

struct rpt_quality {
	bool		 verify_ran;
	bool		 verify_ok;
	uint64_t	 verified;
	char		 verify_msg[320];
	/* the newest seal: pins the records this report was made from */
	char		 seal_msg[256];
	int64_t		 gaps, config_changes, reloads, purges, starts;
	int64_t		 delays;	/* spans written late (store failed) */
	int64_t		 redecisions;	/* open flows decided differently at a
					   boundary or reload: split rows */
	int64_t		 missing_school_days;	/* school days with no record */
	struct rpt_event *events;
	size_t		 nevents;
	struct rpt_down	*down;
	size_t		 ndown;
	int64_t		 down_school_s;
	struct rpt_list	*lists;
	size_t		 nlists;
};

struct rpt_report {
	char		 school[RPT_TEXT_MAX];
	char		 hours[RPT_TEXT_MAX];	/* the school-hours definition */
	char		 timezone[64];
	uint8_t		 hours_weekdays;	/* bit 0 = Monday */
	uint16_t	 hours_start;		/* minutes, for the heat map */
	uint16_t	 hours_end;
	struct rpt_period period, prev;
	int64_t		 generated_us;
	int32_t		 today;
	bool		 pseudonymised;
	char		 groups[RPT_TEXT_MAX];	/* per-person groups shown */
	char		 only_person[SG_NAME_MAX];

	struct rpt_totals cur, before;
	struct rpt_person *people;
	size_t		 npeople;
	struct rpt_app_total *apps;	/* by attempts + breaches, top first */
	size_t		 napps;
	struct rpt_day	*days;
	size_t		 ndays;
	int64_t		 heat[7][24];	/* Monday first; local hour */
	int64_t		 heat_max;
	struct rpt_circ	*circ;
	size_t		 ncirc;
	/* the circumvention rows that were encrypted DNS (DoH, DoT, DoQ,
	 * DNSCrypt), by device: how often each tried to bypass the school's
	 * resolver */
	struct rpt_circ	*encdns;
	size_t		 nencdns;
	struct rpt_account *accounts;
	size_t		 naccounts;
	struct rpt_finding *findings;
	size_t		 nfindings;
	struct rpt_quality quality;
};

struct rpt_options {
	const char	*db;
	struct rpt_period period;
	const char	*groups[8];	/* per-person groups after staff */
	size_t		 ngroups;
	const char	*person;	/* NULL: everyone */
	bool		 verify;	/* walk the hash chain */
	bool		 findings;	/* one row per finding (CSV, JSON) */
	const uint8_t	*key;		/* pseudonym key, NULL: real names */
};

/* query.c: fill r from the database (read-only). */
enum rpt_error	 rpt_build(const struct sg_config *, const struct rpt_options *,
		    struct rpt_report *r);
void		 rpt_free(struct rpt_report *);
/* integrity.c: the chain and seal lines of r's quality (o->verify: run
 * the check, else "not checked"). */
void		 rpt_integrity(const struct rpt_options *, struct rpt_quality *);
/* downtime.c: stopped and crashed times; clean stops within school
 * hours are added to quality.gaps. */
struct sqlite3;
enum rpt_error	 rpt_downtime(struct sqlite3 *, const struct sg_config *,
		    struct rpt_report *);

/* model.c: what the config knows, and pseudonyms. */
/* The config's category lists into r->quality, each judged against the
 * period's last day; -1 on ENOMEM. */
int		 rpt_lists(const struct sg_config *, struct rpt_report *);
void		 rpt_who_name(const struct sg_config *, struct rpt_who *);
/* "aa:bb:..." is locally administered: a random, per-network MAC. */
bool		 rpt_mac_random(const char *mac);
/* "8021x" -> "802.1X sign-in", and so on; unknown ones as they are. */
const char	*rpt_idsrc_words(const char *idsrc);
void		 rpt_who_pseudonymise(const uint8_t *key, struct rpt_who *);
void		 rpt_accounts_from_config(const struct sg_config *,
		    struct rpt_report *);
void		 rpt_pseudonymise_account(const struct sg_config *,
		    const uint8_t *key, size_t i, struct rpt_account *);
void		 rpt_days_from_config(const struct sg_config *,
		    struct rpt_report *);
/* "Sue Ward", "jsmith-laptop", "unknown device 02:00:..". */
const char	*rpt_who_label(const struct rpt_who *, char *, size_t);

/* pseudo.c */
enum rpt_error	 rpt_key_load(const char *path, uint8_t key[RPT_KEY_LEN]);
/* "P-" plus 10 hex digits of HMAC-SHA256(key, kind ":" value). */
int		 rpt_pseudonym(const uint8_t *key, size_t keylen,
		    const char *kind, const char *value, char *out, size_t);

/* Escaping: each writes s to f safely for its format. */
/* A JSON string for text that may not be UTF-8: \xNN for high bytes. */
struct json_t;
struct json_t	*rpt_json_str(const char *);

/* The HTML report's colours (html.c's style sheet, html_chart.c's SVG). */
#define H_RED		"#b42318"
#define H_AMBER		"#c4700b"
#define H_NAVY		"#1d2939"

void		 rpt_html_put(FILE *, const char *s);
/* A day as strftime's fmt gives it, without a leading zero. */
void		 rpt_html_day(FILE *, int32_t day, const char *fmt);
/* The charts section of the HTML report (html_chart.c). */
void		 rpt_html_charts(FILE *, const struct rpt_report *);
void		 rpt_csv_put(FILE *, const char *s);

/* Formats. */
int		 rpt_write_html(FILE *, const struct rpt_report *);
int		 rpt_write_csv(FILE *, const struct rpt_report *);
int		 rpt_write_json(FILE *, const struct rpt_report *);

/*
 * mailreport.c: r as a MIME message for sendmail (report/mail.h): a
 * summary for a phone in the body, html (the full report) attached.
 * Addresses are checked by the caller.
 */
enum rpt_error	 rpt_mail_build(const struct sg_config *,
		    const struct rpt_report *, const char *html,
		    size_t html_len, char *const *to, size_t nto, char **msg,
		    size_t *len);

/* "2026-11-17", "2026-11-17 10:30" in local time. */
void		 rpt_fmt_day(int32_t day, char *, size_t);
void		 rpt_fmt_time(int64_t us, char *, size_t);

/*
 * syslog5424.c: one RFC 5424 line (no newline) for a finished record,
 * with the record in structured data [schoolgate@32473 ...].  Returns the
 * line's length, or -1 if it did not fit.
 */
int		 rpt_syslog5424(const struct rec_flow *, const char *hostname,
		    int pid, char *out, size_t outlen);
/* A datagram socket connected to the syslog daemon at path
 * ("/dev/log"), or -1 with errno. */
int		 rpt_syslog_connect(const char *path);
/* A seal (records/seal.c) as one RFC 5424 line, MSGID "seal". */
int		 rpt_syslog5424_seal(const struct rec_seal_info *,
		    const char *hostname, int pid, char *out, size_t outlen);

#endif
