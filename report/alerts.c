/*
 * What is worth an alert, read from the records: circumvention in school
 * hours by a device of a watched group, a monitoring gap the daemon
 * recorded at its next start, and the daemon not running now (its
 * heartbeat file stale).  Each device and kind gets one mail per
 * alerts.rate_limit seconds; those in between are counted and the count
 * goes into the next one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "alerts.h"
#include "mail.h"
#include "rows.h"

struct alert_scan {
	const struct sg_config	*cfg;
	struct alert_state	*st;
	int64_t			 now;
	enum rpt_error		 err;
};

/* Valid UTF-8 kept, anything else (and control characters but the line
 * end) as '?': the state file is JSON and the text goes into a mail. */
static void
alert_clean(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t n, i;

	while (*p != '\0') {
		n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 :
		    (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
		for (i = 1; n > 1 && i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				n = 0;
		if (n == 0 || (n == 1 && ((*p < 0x20 && *p != '\n') ||
		    *p == 0x7f))) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

static struct alert_limit *
alert_limit_find(struct alert_state *st, const char *kind, const char *who)
{
	struct alert_limit *l;

	for (size_t i = 0; i < st->nlimits; i++)
		if (strcmp(st->limits[i].kind, kind) == 0 &&
		    strcmp(st->limits[i].who, who) == 0)
			return &st->limits[i];
	if ((l = rpt_push(&st->limits, &st->nlimits, sizeof(*l))) == NULL)
		return NULL;
	snprintf(l->kind, sizeof(l->kind), "%s", kind);
	snprintf(l->who, sizeof(l->who), "%s", who);
	alert_clean(l->who);	/* a state file key: valid UTF-8 */
	l->last = INT64_MIN;
	return l;
}

/*
 * Queue subject and text unless who had a kind alert within the rate
 * limit: then only count it.  The next one says how many were not sent.
 */
static enum rpt_error
alert_raise(struct alert_scan *s, const char *kind, const char *who,
    char *subject, const char *text)
{
	struct alert_limit *l = alert_limit_find(s->st, kind, who);
	char body[4096];

	if (l == NULL)
		return RPT_ERR_NOMEM;
	if (l->last != INT64_MIN &&
	    s->now - l->last < (int64_t)s->cfg->alert_rate_limit) {
		l->suppressed++;
		s->st->suppressed++;
		return RPT_OK;
	}
	snprintf(body, sizeof(body), "%s", text);
	if (l->suppressed > 0)
		snprintf(body + strlen(body), sizeof(body) - strlen(body),
		    "\nAlso %llu more of this kind for %s since the last alert "
		    "(not mailed: at most one per %u s).\n",
		    (unsigned long long)l->suppressed, who,
		    s->cfg->alert_rate_limit);
	l->last = s->now;
	l->suppressed = 0;
	alert_clean(subject);
	alert_clean(body);
	return alert_enqueue(s->st, subject, body, s->now);
}

static bool
alert_group_watched(const struct sg_config *cfg, const char *group)
{
	if (cfg->nalert_groups == 0)
		return cfg->default_group < 0 ||
		    strcmp(group, cfg->groups[cfg->default_group].name) != 0;
	for (size_t i = 0; i < cfg->nalert_groups; i++)
		if (strcmp(group, cfg->alert_groups[i]) == 0)
			return true;
	return false;
}

static enum rpt_error
alert_flow_row(void *ctx, sqlite3_stmt *q, void *out)
{
	struct alert_scan *s = ctx;
	struct rpt_who who;
	char when[32], label[RPT_TEXT_MAX], raw[SG_HOST_MAX];
	char app[4 * SG_APP_MAX], host[4 * SG_HOST_MAX], action[16];
	char rule[SG_NAME_MAX], subject[512], text[2048], key[ALERT_WHO_MAX];

	memset(&who, 0, sizeof(who));
	rpt_col_text(q, 1, who.device, sizeof(who.device));
	rpt_col_text(q, 2, who.mac, sizeof(who.mac));
	rpt_col_text(q, 3, who.ip, sizeof(who.ip));
	rpt_col_text(q, 4, who.person, sizeof(who.person));
	rpt_col_text(q, 5, who.group, sizeof(who.group));
	if (!alert_group_watched(s->cfg, who.group))
		return RPT_OK;
	/* names from the wire: printable ASCII, the rest as \xNN */
	rpt_col_text(q, 6, raw, sizeof(raw));
	sg_printable(raw, app, sizeof(app));
	rpt_col_text(q, 7, raw, sizeof(raw));
	sg_printable(raw, host, sizeof(host));
	rpt_col_text(q, 8, action, sizeof(action));
	rpt_col_text(q, 9, rule, sizeof(rule));
	rpt_fmt_time(sqlite3_column_int64(q, 0), when, sizeof(when));
	rpt_who_name(s->cfg, &who);
	rpt_who_label(&who, label, sizeof(label));
	snprintf(key, sizeof(key), "%s", who.device[0] ? who.device :
	    who.mac[0] ? who.mac : who.ip);
	snprintf(subject, sizeof(subject), "schoolgate alert: circumvention "
	    "by %.100s (%.200s)", label, host[0] ? host : app);
	snprintf(text, sizeof(text), "Circumvention in school hours "
	    "(policy 9.1): a VPN, proxy, Tor or encrypted DNS that hides "
	    "traffic from monitoring.\n\nWho:     %s\nGroup:   %s\n"
	    "Device:  %s %s %s\nWhen:    %s\nWhat:    %s\nSite:    %s\n"
	    "Outcome: %s (rule %s)\n", label, who.group, who.device, who.mac,
	    who.ip, when, app, host[0] ? host : "-", action, rule);
	return alert_raise(s, "circumvention", key, subject, text);
}

static enum rpt_error
alert_event_row(void *ctx, sqlite3_stmt *q, void *out)
{
	struct alert_scan *s = ctx;
	char when[32], detail[RPT_DETAIL_MAX], text[RPT_DETAIL_MAX + 256];
	char subject[] = "schoolgate alert: a gap in monitoring";

	rpt_fmt_time(sqlite3_column_int64(q, 0), when, sizeof(when));
	rpt_col_text(q, 1, detail, sizeof(detail));
	snprintf(text, sizeof(text), "The filter recorded a gap in "
	    "monitoring at %s:\n\n%s\n", when, detail);
	return alert_raise(s, "gap", "recorded gaps", subject, text);
}

/* The daemon writes <db>.alive every few seconds while it runs. */
static enum rpt_error
alert_heartbeat(struct alert_scan *s, const char *db)
{
	char path[4096], when[32], text[512];
	char subject[] = "schoolgate alert: the filter is not running";
	long long beat = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s.alive", db);
	if ((fp = fopen(path, "r")) != NULL) {
		if (fscanf(fp, "%lld", &beat) != 1)
			beat = 0;
		fclose(fp);
	}
	if (s->now - beat <= ALERT_STALE_S) {
		s->st->down_alerted = false;
		return RPT_OK;
	}
	if (s->st->down_alerted)
		return RPT_OK;
	s->st->down_alerted = true;
	if (beat > 0)
		rpt_fmt_time(beat * 1000000, when, sizeof(when));
	snprintf(text, sizeof(text), "schoolgate has not written its "
	    "heartbeat (%.300s) since %s: the filter is stopped or hung, and "
	    "traffic is %s.\n", path, beat > 0 ? when : "it was installed",
	    s->cfg->fail_open ? "passing uninspected (fail-open)" :
	    "refused (fail-closed)");
	return alert_raise(s, "gap", "the filter", subject, text);
}

static const char alert_flows_sql[] =
    "SELECT start_us, device, mac, ip, person, grp, app, host, action, "
    "rule FROM flows WHERE id > ?1 AND id <= ?2 AND category = ?3 AND "
    "in_school_hours = 1 ORDER BY id";
static const char alert_events_sql[] =
    "SELECT ts_us, detail FROM events WHERE id > ?1 AND id <= ?2 AND "
    "kind = 'gap' ORDER BY id";

static enum rpt_error
alert_max_id(sqlite3 *db, const char *table, int64_t *out)
{
	char sql[64];
	sqlite3_stmt *q;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT coalesce(max(id), 0) FROM %s",
	    table);
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return RPT_ERR_DB;
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		*out = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? RPT_OK : RPT_ERR_DB;
}

static enum rpt_error
alert_read(struct alert_scan *s, sqlite3 *db, int64_t max_flow,
    int64_t max_event)
{
	const struct sg_config *cfg = s->cfg;
	struct alert_state *st = s->st;
	enum rpt_error err = RPT_OK;

	if ((cfg->alert_kinds & CONF_ALERT_CIRCUMVENTION) &&
	    cfg->circumvention >= 0) {
		struct rpt_bind b[] = { RPT_INT(st->flow_id),
		    RPT_INT(max_flow),
		    RPT_TEXT(cfg->categories[cfg->circumvention].name),
		    RPT_END };

		err = rpt_each(db, alert_flows_sql, b, alert_flow_row, s, NULL);
	}
	if (err == RPT_OK && (cfg->alert_kinds & CONF_ALERT_GAP)) {
		struct rpt_bind b[] = { RPT_INT(st->event_id),
		    RPT_INT(max_event), RPT_END };

		err = rpt_each(db, alert_events_sql, b, alert_event_row, s,
		    NULL);
	}
	return err;
}

enum rpt_error
alert_scan(const struct sg_config *cfg, const char *dbpath,
    struct alert_state *st, int64_t now)
{
	struct alert_scan s = { cfg, st, now, RPT_OK };
	int64_t max_flow = 0, max_event = 0;
	enum rpt_error err;
	sqlite3 *db = NULL;

	err = RPT_ERR_DB;
	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK) {
		sqlite3_busy_timeout(db, 5000);
		if ((err = alert_max_id(db, "flows", &max_flow)) == RPT_OK &&
		    (err = alert_max_id(db, "events", &max_event)) ==
		    RPT_OK && st->started)
			err = alert_read(&s, db, max_flow, max_event);
	}
	sqlite3_close(db);
	if (err == RPT_OK) {
		/* all read and queued: move the cursor (a fresh state
		 * starts here) */
		st->flow_id = max_flow;
		st->event_id = max_event;
		st->started = true;
	}
	/* even without a database: a daemon that never ran is down too */
	if ((cfg->alert_kinds & CONF_ALERT_GAP) &&
	    alert_heartbeat(&s, dbpath) != RPT_OK)
		return RPT_ERR_NOMEM;
	return err;
}

static enum mail_send_result
alert_send_one(const struct sg_config *cfg, const struct alert_pending *p,
    time_t now)
{
	char from[CONF_MAIL_ADDR_MAX + 1], *msg;
	struct mail_msg m = { .from = from, .from_name = cfg->school_name,
	    .to = cfg->alert_mail_to, .nto = cfg->nalert_mail_to,
	    .subject = p->subject, .date = now, .text = p->text };
	enum mail_send_result res;
	size_t len;
	int status;

	if (cfg->mail_from)
		snprintf(from, sizeof(from), "%s", cfg->mail_from);
	else
		mail_default_from(from, sizeof(from));
	if (mail_build(&m, &msg, &len) == -1)
		return MAIL_ERR_WRITE;
	res = mail_send(cfg->sendmail, cfg->alert_mail_to,
	    cfg->nalert_mail_to, msg, len, &status);
	free(msg);
	return res;
}

size_t
alert_send_due(const struct sg_config *cfg, struct alert_state *st,
    int64_t now)
{
	size_t sent = 0, i = 0;
	int64_t wait;

	while (i < st->nqueue && cfg->nalert_mail_to > 0) {
		struct alert_pending *p = &st->queue[i];

		if (p->next > now) {
			i++;
			continue;
		}
		if (alert_send_one(cfg, p, (time_t)now) != MAIL_SENT) {
			st->failed++;
			p->attempts++;
			wait = (int64_t)60 << (p->attempts < 6 ? p->attempts : 6);
			p->next = now + (wait < ALERT_RETRY_MAX_S ? wait :
			    ALERT_RETRY_MAX_S);
			i++;
			continue;
		}
		st->sent++;
		sent++;
		free(p->subject);
		free(p->text);
		memmove(p, p + 1, (st->nqueue - i - 1) * sizeof(*p));
		st->nqueue--;
	}
	return sent;
}
