/*
 * Read the records for a period and aggregate them in SQL.  The database
 * is opened read-only and every value is bound, never spliced into SQL.
 *
 * One pass copies the period's findings (a small share of all flows) into
 * a temporary table with their local day, hour and weekday; every other
 * figure is a GROUP BY over that table, so a report over a million rows
 * stays within seconds.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "report.h"
#include "rows.h"
#include "schedule.h"

#define Q_BUSY_MS	5000
#define Q_MMAP_BYTES	"1073741824"	/* 1 GiB of address space */

/* The kind of each row, as report.h defines it; NULL: not a finding. */
#define Q_IS_DNS	"(app = 'DNS' OR app LIKE 'DNS.%')"
#define Q_KIND \
	"CASE WHEN rule = 'quic-fallback' THEN NULL" \
	" WHEN rule LIKE 'account:%' THEN 'account-use'" \
	" WHEN action = 'allow' AND (category != ?3 OR " Q_IS_DNS ")" \
	"  THEN NULL" \
	" WHEN " Q_IS_DNS " THEN 'name-lookup'" \
	" WHEN category = ?3 THEN 'circumvention'" \
	" WHEN action = 'block' THEN 'attempt'" \
	" WHEN action = 'log' THEN 'breach' END"
/*
 * COL is "start_us" to use the index, or "+start_us" for a plain scan:
 * when the period holds most of the table, fetching each row through the
 * index costs ten times a scan (P8 in BENCHMARKS.md).
 */
#define Q_RANGE(col) \
	col " >= ?1 AND " col " < ?2 AND (?4 = '' OR person = ?4)"
#define Q_SCAN_SHARE	5	/* scan when the period has > 1/5 of rows */
#define Q_LOCAL(fmt) \
	"CAST(strftime('" fmt "', start_us / 1000000, 'unixepoch'," \
	" 'localtime') AS INTEGER)"
/* every query using it groups by who: the sources are aggregated */
#define Q_WHO_COLS	"who, person, grp, device, mac, ip," \
	" group_concat(DISTINCT NULLIF(idsrc, ''))"
#define Q_ACTS		"kind IN ('attempt', 'breach', 'circumvention')"

/*
 * A locally administered MAC (second bit of the first octet: a phone's
 * random, per-network address) that no device registers is no stable
 * device: all of them count as one "unregistered device", not a new
 * device each day.
 */
#define Q_RANDOM_MAC \
	"(device = '' AND lower(substr(mac, 2, 1)) IN" \
	" ('2', '3', '6', '7', 'a', 'b', 'e', 'f'))"
#define Q_TOTALS(col) \
    "SELECT count(*)," \
    " count(DISTINCT CASE WHEN device != '' THEN 'd' || device" \
    "  WHEN " Q_RANDOM_MAC " THEN 'u'" \
    "  WHEN mac != '' THEN 'm' || mac ELSE 'i' || ip END)," \
    " count(DISTINCT NULLIF(person, ''))," \
    " total(k = 'attempt'), total(k = 'breach'), total(k = 'circumvention')," \
    " total(k = 'name-lookup'), total(k = 'account-use')" \
    " FROM (SELECT " Q_KIND " AS k, device, mac, ip, person FROM flows" \
    " WHERE " Q_RANGE(col) ")"
static const char *const sql_totals[2] = {
	Q_TOTALS("start_us"), Q_TOTALS("+start_us")
};

#define Q_FINDINGS_TABLE(col) \
    "CREATE TEMP TABLE f AS SELECT * FROM (SELECT" \
    " CASE WHEN person != '' THEN 'p:' || person" \
    "  WHEN device != '' THEN 'd:' || device" \
    "  WHEN " Q_RANDOM_MAC " THEN 'u:'" \
    "  WHEN mac != '' THEN 'a:' || mac ELSE 'a:' || ip END AS who," \
    " person, grp, device, mac, ip, app, category, host, action, rule," \
    " clause, in_school_hours AS ih, start_us, " Q_KIND " AS kind," \
    " coalesce(id_source, '') AS idsrc," \
    " CASE WHEN instr(app, '.') > 0 THEN substr(app, instr(app, '.') + 1)" \
    "  ELSE app END AS appname," \
    " " Q_LOCAL("%s") " / 86400 AS lday," \
    " " Q_LOCAL("%H") " AS lhour," \
    " (" Q_LOCAL("%w") " + 6) % 7 AS lwd" \
    " FROM flows WHERE " Q_RANGE(col) ") WHERE kind IS NOT NULL"
static const char *const sql_findings_table[2] = {
	Q_FINDINGS_TABLE("start_us"), Q_FINDINGS_TABLE("+start_us")
};

/* rows in a range (from the index alone) and in the table */
static const char sql_share[] =
    "SELECT (SELECT count(*) FROM flows WHERE start_us >= ?1"
    " AND start_us < ?2), (SELECT max(id) - min(id) + 1 FROM flows)";

static const char sql_findings[] =
    "SELECT " Q_WHO_COLS ", kind, app, category, host, action, rule,"
    " clause, ih, count(*), count(DISTINCT lday), min(start_us),"
    " max(start_us) FROM f"
    " GROUP BY who, kind, app, host, action, rule, clause, ih"
    " ORDER BY who, min(start_us)";

/* ?1: ",staff,pupils," -- the groups shown, in order */
static const char sql_people[] =
    "SELECT " Q_WHO_COLS ","
    " total(kind = 'attempt'), total(kind = 'breach'),"
    " total(kind = 'circumvention'), total(kind = 'name-lookup'),"
    " total(" Q_ACTS " AND ih), total(" Q_ACTS " AND NOT ih),"
    " count(DISTINCT CASE WHEN " Q_ACTS " THEN lday END),"
    " min(start_us), max(start_us),"
    " group_concat(DISTINCT CASE WHEN " Q_ACTS " THEN clause END)"
    " FROM f WHERE kind != 'account-use'"
    "  AND instr(?1, ',' || grp || ',') > 0"
    " GROUP BY who ORDER BY instr(?1, ',' || grp || ','),"
    "  total(" Q_ACTS ") DESC, who";

static const char sql_person_apps[] =
    "SELECT who, app, rule, clause,"
    " total(action = 'block' AND ih), total(action = 'block' AND NOT ih),"
    " total(action = 'log' AND ih), total(action = 'log' AND NOT ih)"
    " FROM f WHERE " Q_ACTS
    " GROUP BY who, app, rule, clause ORDER BY who, count(*) DESC";

static const char sql_apps[] =
    "SELECT appname, total(kind = 'attempt'), total(kind = 'breach') FROM f"
    " WHERE kind IN ('attempt', 'breach') GROUP BY appname"
    " ORDER BY count(*) DESC, appname LIMIT 10";

static const char sql_days[] =
    "SELECT lday, total(kind = 'attempt'), total(kind = 'breach') FROM f"
    " WHERE kind IN ('attempt', 'breach') GROUP BY lday";

static const char sql_day_any[] =
    "SELECT EXISTS (SELECT 1 FROM flows WHERE start_us >= ?1"
    " AND start_us < ?2)";

static const char sql_heat[] =
    "SELECT lwd, lhour, count(*) FROM f"
    " WHERE kind IN ('attempt', 'breach') GROUP BY lwd, lhour";

#define Q_CIRC(app, only, by) \
    "SELECT " Q_WHO_COLS ", " app ", max(host), action, count(*)," \
    " min(start_us), max(start_us) FROM f WHERE kind = 'circumvention'" \
    only " GROUP BY who, device, " by "action ORDER BY count(*) DESC, who" \
    " LIMIT 200"
static const char sql_circ[] = Q_CIRC("app", "", "app, ");
/* encrypted DNS: nDPI's name for it, or enforce_school_resolver's rule */
static const char sql_encdns[] = Q_CIRC("max(app)", " AND (rule ="
    " 'enforce-school-resolver' OR app LIKE '%DoH_DoT%' OR app LIKE"
    " '%DNScrypt%')", "");

static const char sql_account_uses[] =
    "SELECT count(*) FROM f WHERE kind = 'account-use' AND rule = ?1";

/* the owner's use of the platform, by device */
static const char sql_account_devices[] =
    "SELECT device, mac, count(*) FROM f"
    " WHERE kind IN ('attempt', 'breach', 'account-use') AND person = ?1"
    " AND (category = ?2 OR app = ?3 OR app LIKE '%.' || ?3)"
    " GROUP BY device, mac";

static const char sql_events[] =
    "SELECT ts_us, kind, detail FROM events WHERE ts_us >= ?1"
    " AND ts_us < ?2 AND kind IN ('gap', 'delay', 'config', 'reload',"
    " 'purge', 'start', 'stop', 'redecide') ORDER BY ts_us, id";

struct q_ctx {
	sqlite3			*db;
	const struct sg_config	*cfg;
	const struct rpt_options *o;
	struct rpt_report	*r;
	const char		*circ;	/* the circumvention category name */
	int			 scan;	/* 1: plain scans, not the index */
};

#define Q_RANGE_BINDS	5	/* q_range: four values and the end */

/* Every query runs through rows.c with this context. */
static enum rpt_error
q_each(struct q_ctx *q, const char *sql, const struct rpt_bind *b,
    rpt_row_fn row, void *out)
{
	return rpt_each(q->db, sql, b, row, q, out);
}

/* ?1 from, ?2 to, ?3 circumvention category, ?4 person or "" */
static const struct rpt_bind *
q_range(struct q_ctx *q, const struct rpt_period *p,
    struct rpt_bind b[Q_RANGE_BINDS])
{
	b[0] = (struct rpt_bind)RPT_INT(p->from_us);
	b[1] = (struct rpt_bind)RPT_INT(p->to_us);
	b[2] = (struct rpt_bind)RPT_TEXT(q->circ);
	b[3] = (struct rpt_bind)RPT_TEXT(q->o->person ? q->o->person : "");
	b[4] = (struct rpt_bind)RPT_END;
	return b;
}

/* Columns col .. col+6: who, person, grp, device, mac, ip, sources. */
static void
q_who(struct q_ctx *q, sqlite3_stmt *st, int col, struct rpt_who *w)
{
	memset(w, 0, sizeof(*w));
	rpt_col_text(st, col + 1, w->person, sizeof(w->person));
	rpt_col_text(st, col + 2, w->group, sizeof(w->group));
	rpt_col_text(st, col + 3, w->device, sizeof(w->device));
	rpt_col_text(st, col + 4, w->mac, sizeof(w->mac));
	rpt_col_text(st, col + 5, w->ip, sizeof(w->ip));
	rpt_col_text(st, col + 6, w->idsrc, sizeof(w->idsrc));
	rpt_who_name(q->cfg, w);
	if (q->o->key)
		rpt_who_pseudonymise(q->o->key, w);
}

/* A single count: the first column into an int64_t. */
static enum rpt_error
q_count_row(void *ctx, sqlite3_stmt *st, void *out)
{
	*(int64_t *)out = sqlite3_column_int64(st, 0);
	return RPT_OK;
}

static enum rpt_error
q_totals_row(void *ctx, sqlite3_stmt *st, void *out)
{
	struct rpt_totals *t = out;

	t->flows = sqlite3_column_int64(st, 0);
	t->devices = sqlite3_column_int64(st, 1);
	t->people = sqlite3_column_int64(st, 2);
	t->attempts = sqlite3_column_int64(st, 3);
	t->breaches = sqlite3_column_int64(st, 4);
	t->circumvention = sqlite3_column_int64(st, 5);
	t->lookups = sqlite3_column_int64(st, 6);
	t->account_uses = sqlite3_column_int64(st, 7);
	return RPT_OK;
}

static enum rpt_error
q_totals(struct q_ctx *q, const struct rpt_period *p, struct rpt_totals *t)
{
	struct rpt_bind b[Q_RANGE_BINDS];

	return q_each(q, sql_totals[q->scan], q_range(q, p, b), q_totals_row,
	    t);
}

static enum rpt_error
q_make_findings(struct q_ctx *q)
{
	struct rpt_bind b[Q_RANGE_BINDS];

	return q_each(q, sql_findings_table[q->scan],
	    q_range(q, &q->r->period, b), NULL, NULL);
}

static enum rpt_error
q_finding_row(void *ctx, sqlite3_stmt *st, void *out)
{
	struct q_ctx *q = ctx;
	struct rpt_finding *f = out;

	q_who(q, st, 0, &f->who);
	rpt_col_text(st, 7, f->kind, sizeof(f->kind));
	rpt_col_text(st, 8, f->app, sizeof(f->app));
	rpt_col_text(st, 9, f->category, sizeof(f->category));
	rpt_col_text(st, 10, f->host, sizeof(f->host));
	rpt_col_text(st, 11, f->action, sizeof(f->action));
	rpt_col_text(st, 12, f->rule, sizeof(f->rule));
	rpt_col_text(st, 13, f->clause, sizeof(f->clause));
	f->in_hours = sqlite3_column_int(st, 14) != 0;
	f->count = sqlite3_column_int64(st, 15);
	f->days = sqlite3_column_int64(st, 16);
	f->first_us = sqlite3_column_int64(st, 17);
	f->last_us = sqlite3_column_int64(st, 18);
	return RPT_OK;
}

static enum rpt_error
q_findings(struct q_ctx *q)
{
	return RPT_ROWS(q->db, sql_findings, NULL, q_finding_row, q,
	    q->r->findings, q->r->nfindings);
}

static void
q_group_list(const struct rpt_options *o, char *buf, size_t len,
    char *shown, size_t shownlen)
{
	size_t off;

	off = (size_t)snprintf(buf, len, ",staff,");
	snprintf(shown, shownlen, "staff");
	for (size_t i = 0; i < o->ngroups && off < len; i++) {
		if (strcmp(o->groups[i], "staff") == 0)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s,",
		    o->groups[i]);
		strncat(shown, ", ", shownlen - strlen(shown) - 1);
		strncat(shown, o->groups[i], shownlen - strlen(shown) - 1);
	}
}

/* Each person's "who" key, in the order of r->people. */
struct q_keys {
	char		**v;
	size_t		 n;
};

static enum rpt_error
q_person_row(void *ctx, sqlite3_stmt *st, void *out)
{
	struct q_ctx *q = ctx;
	struct q_keys *keys = out;
	struct rpt_person *p;
	char key[RPT_DETAIL_MAX], **k;

	rpt_col_text(st, 0, key, sizeof(key));
	if ((k = rpt_push(&keys->v, &keys->n, sizeof(*k))) == NULL ||
	    (*k = strdup(key)) == NULL ||
	    (p = rpt_push(&q->r->people, &q->r->npeople, sizeof(*p))) == NULL)
		return RPT_ERR_NOMEM;
	q_who(q, st, 0, &p->who);
	p->attempts = sqlite3_column_int64(st, 7);
	p->breaches = sqlite3_column_int64(st, 8);
	p->circumvention = sqlite3_column_int64(st, 9);
	p->lookups = sqlite3_column_int64(st, 10);
	p->in_hours = sqlite3_column_int64(st, 11);
	p->out_hours = sqlite3_column_int64(st, 12);
	p->days = sqlite3_column_int64(st, 13);
	p->first_us = sqlite3_column_int64(st, 14);
	p->last_us = sqlite3_column_int64(st, 15);
	rpt_col_text(st, 16, p->clauses, sizeof(p->clauses));
	return RPT_OK;
}

static struct rpt_person *
q_person_by_key(struct rpt_report *r, const struct q_keys *keys,
    const char *key)
{
	for (size_t i = 0; i < r->npeople && i < keys->n; i++)
		if (strcmp(keys->v[i], key) == 0)
			return &r->people[i];
	return NULL;
}

static enum rpt_error
q_person_app_row(void *ctx, sqlite3_stmt *st, void *out)
{
	struct q_ctx *q = ctx;
	struct rpt_person *p;
	struct rpt_person_app *a;
	char key[RPT_DETAIL_MAX];

	rpt_col_text(st, 0, key, sizeof(key));
	if ((p = q_person_by_key(q->r, out, key)) == NULL)
		return RPT_OK;	/* a group not shown */
	if ((a = rpt_push(&p->apps, &p->napps, sizeof(*a))) == NULL)
		return RPT_ERR_NOMEM;
	rpt_col_text(st, 1, a->app, sizeof(a->app));
	rpt_col_text(st, 2, a->rule, sizeof(a->rule));
	rpt_col_text(st, 3, a->clause, sizeof(a->clause));
	a->blocked_in = sqlite3_column_int64(st, 4);
	a->blocked_out = sqlite3_column_int64(st, 5);
	a->logged_in = sqlite3_column_int64(st, 6);
	a->logged_out = sqlite3_column_int64(st, 7);
	return RPT_OK;
}

static enum rpt_error
q_people_all(struct q_ctx *q)
{
	struct rpt_report *r = q->r;
	struct q_keys keys = { NULL, 0 };
	char groups[512];
	struct rpt_bind b[] = { RPT_TEXT(groups), RPT_END };
	enum rpt_error err;

	q_group_list(q->o, groups, sizeof(groups), r->groups, sizeof(r->groups));
	err = q_each(q, sql_people, b, q_person_row, &keys);
	if (err == RPT_OK)
		err = q_each(q, sql_person_apps, NULL, q_person_app_row, &keys);
	for (size_t i = 0; i < keys.n; i++)
		free(keys.v[i]);
	free(keys.v);
	return err;
}

static enum rpt_error
q_app_row(void *ctx, sqlite3_stmt *st, void *out)
{
	struct rpt_app_total *a = out;

	rpt_col_text(st, 0, a->app, sizeof(a->app));
	a->attempts = sqlite3_column_int64(st, 1);
	a->breaches = sqlite3_column_int64(st, 2);
	return RPT_OK;
}

static enum rpt_error
q_apps(struct q_ctx *q)
{
	return RPT_ROWS(q->db, sql_apps, NULL, q_app_row, q, q->r->apps,
	    q->r->napps);
}

/* Whether anything at all was recorded on each day of the period. */
static enum rpt_error
q_days_recorded(struct q_ctx *q)
{
	struct rpt_report *r = q->r;
	enum rpt_error err;

	for (size_t i = 0; i < r->ndays; i++) {
		struct rpt_day *d = &r->days[i];
		struct rpt_bind b[] = { RPT_INT(rpt_day_start_us(d->day)),
		    RPT_INT(rpt_day_start_us(d->day + 1)), RPT_END };

		if ((err = q_each(q, sql_day_any, b, q_count_row,
		    &d->flows)) != RPT_OK)
			return err;
		if (d->flows == 0 && d->school_day && d->day <= r->today)
			r->quality.missing_school_days++;
	}
	return RPT_OK;
}

static enum rpt_error
q_day_row(void *ctx, sqlite3_stmt *st, void *out)
{
	struct q_ctx *q = ctx;
	struct rpt_report *r = q->r;
	int64_t d = sqlite3_column_int64(st, 0) - r->period.first_day;

	if (d < 0 || (size_t)d >= r->ndays)
		return RPT_OK;	/* the clock-change edge of a day */
	r->days[d].attempts = sqlite3_column_int64(st, 1);
	r->days[d].breaches = sqlite3_column_int64(st, 2);
	return RPT_OK;
}

static enum rpt_error
q_days(struct q_ctx *q)
{
	struct rpt_report *r = q->r;
	enum rpt_error err;

	rpt_days_from_config(q->cfg, r);
	if (r->ndays > 0 && r->days == NULL)
		return RPT_ERR_NOMEM;
	if ((err = q_each(q, sql_days, NULL, q_day_row, NULL)) != RPT_OK)
		return err;
	return q_days_recorded(q);
}

static enum rpt_error
q_heat_row(void *ctx, sqlite3_stmt *st, void *out)
{
	struct q_ctx *q = ctx;
	struct rpt_report *r = q->r;
	int wd = sqlite3_column_int(st, 0), h = sqlite3_column_int(st, 1);

	if (wd < 0 || wd > 6 || h < 0 || h > 23)
		return RPT_OK;
	r->heat[wd][h] = sqlite3_column_int64(st, 2);
	if (r->heat[wd][h] > r->heat_max)
		r->heat_max = r->heat[wd][h];
	return RPT_OK;
}

static enum rpt_error
q_heat(struct q_ctx *q)
{
	return q_each(q, sql_heat, NULL, q_heat_row, NULL);
}

static enum rpt_error
q_circ_row(void *ctx, sqlite3_stmt *st, void *out)
{
	struct q_ctx *q = ctx;
	struct rpt_circ *c = out;

	q_who(q, st, 0, &c->who);
	rpt_col_text(st, 7, c->app, sizeof(c->app));
	rpt_col_text(st, 8, c->host, sizeof(c->host));
	rpt_col_text(st, 9, c->action, sizeof(c->action));
	c->count = sqlite3_column_int64(st, 10);
	c->first_us = sqlite3_column_int64(st, 11);
	c->last_us = sqlite3_column_int64(st, 12);
	return RPT_OK;
}

static enum rpt_error
q_circ(struct q_ctx *q)
{
	enum rpt_error err = RPT_ROWS(q->db, sql_circ, NULL, q_circ_row, q,
	    q->r->circ, q->r->ncirc);

	return err != RPT_OK ? err : RPT_ROWS(q->db, sql_encdns, NULL,
	    q_circ_row, q, q->r->encdns, q->r->nencdns);
}

static int
q_account_has_device(const struct conf_account *a, const struct sg_config *cfg,
    const char *device)
{
	for (size_t i = 0; i < a->ndevices; i++)
		if (strcmp(cfg->devices[a->devices[i]].name, device) == 0)
			return 1;
	return 0;
}

static void
q_note_device(struct rpt_account *ra, const struct rpt_who *w, int64_t n)
{
	size_t len = strlen(ra->unreg_devices);
	char label[RPT_TEXT_MAX];

	ra->unregistered += n;
	rpt_who_label(w, label, sizeof(label));
	snprintf(ra->unreg_devices + len, sizeof(ra->unreg_devices) - len,
	    "%s%s (%lld)", len ? ", " : "", label, (long long)n);
}

/* An account as configured, and its line in the report. */
struct q_account {
	const struct conf_account *a;
	struct rpt_account	*ra;
};

static enum rpt_error
q_account_device_row(void *ctx, sqlite3_stmt *st, void *out)
{
	struct q_ctx *q = ctx;
	struct q_account *acc = out;
	struct rpt_who w;

	memset(&w, 0, sizeof(w));
	rpt_col_text(st, 0, w.device, sizeof(w.device));
	rpt_col_text(st, 1, w.mac, sizeof(w.mac));
	if (q_account_has_device(acc->a, q->cfg, w.device))
		return RPT_OK;
	rpt_who_name(q->cfg, &w);
	if (q->o->key)
		rpt_who_pseudonymise(q->o->key, &w);
	q_note_device(acc->ra, &w, sqlite3_column_int64(st, 2));
	return RPT_OK;
}

/* The owners' use of the platform from devices the account does not list. */
static enum rpt_error
q_account_unregistered(struct q_ctx *q, const struct conf_account *a,
    struct rpt_account *ra)
{
	const struct sg_config *cfg = q->cfg;
	struct q_account acc = { a, ra };
	enum rpt_error err = RPT_OK;

	for (size_t i = 0; i < a->nowners && err == RPT_OK; i++) {
		struct rpt_bind b[] = { RPT_TEXT(cfg->people[a->owners[i]].id),
		    RPT_TEXT(a->category >= 0 ?
		    cfg->categories[a->category].name : ""),
		    RPT_TEXT(a->app ? a->app : ""), RPT_END };

		err = q_each(q, sql_account_devices, b, q_account_device_row,
		    &acc);
	}
	return err;
}

static enum rpt_error
q_accounts(struct q_ctx *q)
{
	struct rpt_report *r = q->r;
	char rule[SG_NAME_MAX + 16];
	struct rpt_bind b[] = { RPT_TEXT(rule), RPT_END };
	enum rpt_error err;

	rpt_accounts_from_config(q->cfg, r);
	if (q->cfg->naccounts > 0 && r->accounts == NULL)
		return RPT_ERR_NOMEM;
	if (q->o->key)
		for (size_t i = 0; i < r->naccounts; i++)
			rpt_pseudonymise_account(q->cfg, q->o->key, i,
			    &r->accounts[i]);
	for (size_t i = 0; i < r->naccounts; i++) {
		/* the engine records at most SG_NAME_MAX bytes of it */
		snprintf(rule, SG_NAME_MAX, "account:%s",
		    q->cfg->accounts[i].name);
		if ((err = q_each(q, sql_account_uses, b, q_count_row,
		    &r->accounts[i].uses)) != RPT_OK ||
		    (err = q_account_unregistered(q, &q->cfg->accounts[i],
		    &r->accounts[i])) != RPT_OK)
			return err;
	}
	return RPT_OK;
}

static void
q_count_event(struct rpt_quality *qa, const char *kind)
{
	if (strcmp(kind, "gap") == 0)
		qa->gaps++;
	else if (strcmp(kind, "delay") == 0)
		qa->delays++;
	else if (strcmp(kind, "config") == 0)
		qa->config_changes++;
	else if (strcmp(kind, "reload") == 0)
		qa->reloads++;
	else if (strcmp(kind, "purge") == 0)
		qa->purges++;
	else if (strcmp(kind, "start") == 0)
		qa->starts++;
	else if (strcmp(kind, "redecide") == 0)
		qa->redecisions++;
}

static enum rpt_error
q_event_row(void *ctx, sqlite3_stmt *st, void *out)
{
	struct q_ctx *q = ctx;
	struct rpt_quality *qa = &q->r->quality;
	struct rpt_event *e, tmp;

	tmp.ts_us = sqlite3_column_int64(st, 0);
	rpt_col_text(st, 1, tmp.kind, sizeof(tmp.kind));
	rpt_col_text(st, 2, tmp.detail, sizeof(tmp.detail));
	q_count_event(qa, tmp.kind);
	if (qa->nevents >= RPT_MAX_EVENTS)
		return RPT_OK;	/* counted, not listed */
	if ((e = rpt_push(&qa->events, &qa->nevents, sizeof(*e))) == NULL)
		return RPT_ERR_NOMEM;
	*e = tmp;
	return RPT_OK;
}

static enum rpt_error
q_events(struct q_ctx *q)
{
	struct rpt_bind b[] = { RPT_INT(q->r->period.from_us),
	    RPT_INT(q->r->period.to_us), RPT_END };

	return q_each(q, sql_events, b, q_event_row, NULL);
}

struct q_verify_job {
	const struct rpt_options *o;
	struct rpt_quality	*qa;
};

static void *
q_verify(void *arg)
{
	struct q_verify_job *job = arg;

	rpt_integrity(job->o, job->qa);
	return NULL;
}

static enum rpt_error
q_share_row(void *ctx, sqlite3_stmt *st, void *out)
{
	*(int *)out = sqlite3_column_int64(st, 0) * Q_SCAN_SHARE >
	    sqlite3_column_int64(st, 1);
	return RPT_OK;
}

/* Whether the period holds so much of the table that a scan is faster;
 * if that cannot be told, the index. */
static int
q_choose_scan(struct q_ctx *q, const struct rpt_period *p)
{
	struct rpt_bind b[] = { RPT_INT(p->from_us), RPT_INT(p->to_us),
	    RPT_END };
	int scan = 0;

	if (q_each(q, sql_share, b, q_share_row, &scan) != RPT_OK)
		return 0;
	return scan;
}

static enum rpt_error
q_downtime(struct q_ctx *q)
{
	return rpt_downtime(q->db, q->cfg, q->r);
}

static enum rpt_error
q_run(struct q_ctx *q)
{
	enum rpt_error (*steps[])(struct q_ctx *) = {
		q_make_findings, q_findings, q_people_all, q_apps, q_days,
		q_heat, q_circ, q_accounts, q_events, q_downtime,
	};
	enum rpt_error err;

	q->scan = q_choose_scan(q, &q->r->prev);
	if ((err = q_totals(q, &q->r->prev, &q->r->before)) != RPT_OK)
		return err;
	q->scan = q_choose_scan(q, &q->r->period);
	if ((err = q_totals(q, &q->r->period, &q->r->cur)) != RPT_OK)
		return err;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (steps[i] == q_findings && !q->o->findings)
			continue;
		if ((err = steps[i](q)) != RPT_OK)
			return err;
	}
	return RPT_OK;
}

static void
q_header(const struct sg_config *cfg, const struct rpt_options *o,
    struct rpt_report *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->school, sizeof(r->school), "%s",
	    cfg->school_name ? cfg->school_name : "");
	snprintf(r->timezone, sizeof(r->timezone), "%s",
	    cfg->timezone ? cfg->timezone : "");
	if (cfg->school_hours >= 0) {
		const struct conf_schedule *s = &cfg->schedules[cfg->school_hours];

		sched_describe(s, r->hours, sizeof(r->hours));
		r->hours_weekdays = s->weekdays;
		if (s->ntimes > 0) {
			r->hours_start = s->times[0].start;
			r->hours_end = s->times[s->ntimes - 1].end;
		}
	}
	r->period = o->period;
	rpt_period_previous(&o->period, &r->prev);
	r->generated_us = (int64_t)time(NULL) * 1000000;
	r->today = rpt_today();
	r->pseudonymised = o->key != NULL;
	if (o->person)
		snprintf(r->only_person, sizeof(r->only_person), "%s",
		    o->person);
}

enum rpt_error
rpt_build(const struct sg_config *cfg, const struct rpt_options *o,
    struct rpt_report *r)
{
	struct q_verify_job job;
	struct q_ctx q;
	enum rpt_error err;
	pthread_t tid;
	bool threaded;

	q_header(cfg, o, r);
	memset(&q, 0, sizeof(q));
	q.cfg = cfg;
	q.o = o;
	q.r = r;
	q.circ = cfg->circumvention >= 0 ?
	    cfg->categories[cfg->circumvention].name : "";
	if (sqlite3_open_v2(o->db, &q.db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(q.db);
		return RPT_ERR_DB;
	}
	sqlite3_busy_timeout(q.db, Q_BUSY_MS);
	/* the queries scan the table more than once: map it rather than
	 * copy every page through read(2) each time */
	sqlite3_exec(q.db, "PRAGMA mmap_size=" Q_MMAP_BYTES, NULL, NULL, NULL);
	if (rpt_db_compat(q.db) != RPT_OK) {
		sqlite3_close(q.db);
		return RPT_ERR_DB;
	}
	/* the chain check reads every row: run it beside the queries */
	job.o = o;
	job.qa = &r->quality;
	threaded = pthread_create(&tid, NULL, q_verify, &job) == 0;
	err = q_run(&q);
	sqlite3_close(q.db);
	if (threaded)
		pthread_join(tid, NULL);
	else
		q_verify(&job);
	return err;
}
