#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "schedule.h"

/*
 * When the filter was not running, from the daemon's events: a "stop"
 * until the next "start" (a clean stop), and a crash's "gap", whose
 * detail the daemon writes as "... not monitored from about T1 to T2 ..."
 * (Unix seconds, daemon/run.c).  Stopped time within school hours is a
 * monitoring gap; a crash is one whenever it happened (its gap event is
 * counted by query.c already, so only clean stops are added here).
 */

static const char sql_down[] =
    "SELECT ts_us, kind, detail FROM events WHERE ts_us < ?1"
    " AND kind IN ('start', 'stop', 'gap') ORDER BY ts_us, id";

#define DOWN_STEP_S	60

/* Seconds of [from_us, to_us) inside the schedule, to the minute. */
static int64_t
down_school_seconds(const struct conf_schedule *s, int64_t from_us,
    int64_t to_us)
{
	struct sched_local lt;
	int64_t t, next, sum = 0;

	if (s == NULL)
		return 0;
	for (t = from_us / 1000000; t < to_us / 1000000; t = next) {
		next = (t / DOWN_STEP_S + 1) * DOWN_STEP_S;
		if (next > to_us / 1000000)
			next = to_us / 1000000;
		sched_localtime((time_t)t, &lt);
		if (sched_active(s, &lt, NULL, 0))
			sum += next - t;
	}
	return sum;
}

static enum rpt_error
down_add(const struct sg_config *cfg, struct rpt_quality *q, int64_t from_us,
    int64_t to_us, int clean, const struct rpt_period *p)
{
	const struct conf_schedule *s = NULL;
	struct rpt_down *d;

	if (from_us < p->from_us)
		from_us = p->from_us;
	if (to_us > p->to_us)
		to_us = p->to_us;
	if (to_us <= from_us)
		return RPT_OK;
	if (cfg->school_hours >= 0)
		s = &cfg->schedules[cfg->school_hours];
	if ((d = realloc(q->down, (q->ndown + 1) * sizeof(*d))) == NULL)
		return RPT_ERR_NOMEM;
	q->down = d;
	d = &q->down[q->ndown++];
	d->from_us = from_us;
	d->to_us = to_us;
	d->clean = clean;
	d->school_s = down_school_seconds(s, from_us, to_us);
	q->down_school_s += d->school_s;
	if (clean && d->school_s > 0)
		q->gaps++;
	return RPT_OK;
}

enum rpt_error
rpt_downtime(sqlite3 *db, const struct sg_config *cfg, struct rpt_report *r)
{
	int64_t ts, stopped = -1, now = (int64_t)time(NULL) * 1000000;
	long long beat, until;
	enum rpt_error err = RPT_OK;
	const char *kind, *detail;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql_down, -1, &st, NULL) != SQLITE_OK)
		return RPT_ERR_DB;
	sqlite3_bind_int64(st, 1, r->period.to_us);
	while (err == RPT_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		ts = sqlite3_column_int64(st, 0);
		kind = (const char *)sqlite3_column_text(st, 1);
		detail = (const char *)sqlite3_column_text(st, 2);
		if (kind == NULL)
			continue;
		if (strcmp(kind, "stop") == 0)
			stopped = ts;
		else if (strcmp(kind, "start") == 0 && stopped >= 0) {
			err = down_add(cfg, &r->quality, stopped, ts, 1,
			    &r->period);
			stopped = -1;
		} else if (strcmp(kind, "gap") == 0 && detail != NULL &&
		    (detail = strstr(detail, "not monitored from about ")) &&
		    sscanf(detail, "not monitored from about %lld to %lld",
		    &beat, &until) == 2)
			err = down_add(cfg, &r->quality, beat * 1000000LL,
			    until * 1000000LL, 0, &r->period);
	}
	if (err == RPT_OK && rc != SQLITE_DONE)
		err = RPT_ERR_DB;
	/* still stopped at the end of the period, or now */
	if (err == RPT_OK && stopped >= 0)
		err = down_add(cfg, &r->quality, stopped,
		    r->period.to_us < now ? r->period.to_us : now, 1,
		    &r->period);
	sqlite3_finalize(st);
	return err;
}
