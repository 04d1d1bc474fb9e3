/*
 * Report periods in the school's local time.  A period is a run of whole
 * local days; its bounds are local midnights, so a week that spans the
 * October clock change is 7 days of 24 or 25 hours, as the school lives it.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "schedule.h"

int64_t
rpt_day_start_us(int32_t day)
{
	struct tm tm;
	int y, m, d;

	sg_civil_from_days(day, &y, &m, &d);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_isdst = -1;	/* let the zone rules decide */
	return (int64_t)mktime(&tm) * 1000000;
}

int32_t
rpt_today(void)
{
	struct sched_local lt;

	sched_localtime(time(NULL), &lt);
	return lt.day;
}

void
rpt_fmt_day(int32_t day, char *buf, size_t len)
{
	int y, m, d;

	sg_civil_from_days(day, &y, &m, &d);
	snprintf(buf, len, "%04d-%02d-%02d", y, m, d);
}

void
rpt_fmt_time(int64_t us, char *buf, size_t len)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(buf, len,
	    "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, len, "?");
}

void
rpt_period_days(int32_t first, int32_t last, struct rpt_period *p)
{
	char a[16], b[16];

	memset(p, 0, sizeof(*p));
	p->first_day = first;
	p->last_day = last;
	p->from_us = rpt_day_start_us(first);
	p->to_us = rpt_day_start_us(last + 1);
	rpt_fmt_day(first, a, sizeof(a));
	rpt_fmt_day(last, b, sizeof(b));
	snprintf(p->slug, sizeof(p->slug), "%s_%s", a, b);
}

void
rpt_period_previous(const struct rpt_period *p, struct rpt_period *out)
{
	int32_t n = p->last_day - p->first_day + 1;

	rpt_period_days(p->first_day - n, p->first_day - 1, out);
}

/* Monday = 0; 1970-01-01 was a Thursday. */
static int
period_weekday(int32_t day)
{
	int w = (int)((day + 3) % 7);

	return w < 0 ? w + 7 : w;
}

/* ISO 8601 week: the week's Thursday decides the year. */
static void
period_iso_week(int32_t monday, char *buf, size_t len)
{
	int32_t thu = monday + 3, jan1;
	int y, m, d;

	sg_civil_from_days(thu, &y, &m, &d);
	jan1 = sg_days_from_civil(y, 1, 1);
	snprintf(buf, len, "%04d-W%02d", y, (int)((thu - jan1) / 7 + 1));
}

static void
period_last_month(int32_t today, struct rpt_period *p)
{
	int y, m, d;

	sg_civil_from_days(today, &y, &m, &d);
	if (--m == 0) {
		m = 12;
		y--;
	}
	rpt_period_days(sg_days_from_civil(y, m, 1), m == 12 ?
	    sg_days_from_civil(y + 1, 1, 1) - 1 :
	    sg_days_from_civil(y, m + 1, 1) - 1, p);
	snprintf(p->slug, sizeof(p->slug), "%04d-%02d", y, m);
}

static const struct conf_schedule *
period_hours(const struct sg_config *cfg)
{
	if (cfg->school_hours < 0 || (size_t)cfg->school_hours >=
	    cfg->nschedules)
		return NULL;
	return &cfg->schedules[cfg->school_hours];
}

static void
period_term(const struct conf_daterange *t, int32_t last,
    struct rpt_period *p)
{
	char a[16];
	size_t i;

	rpt_period_days(t->first, last, p);
	snprintf(p->name, sizeof(p->name), "%s", t->label ? t->label : "");
	rpt_fmt_day(t->first, a, sizeof(a));
	snprintf(p->slug, sizeof(p->slug), "term-%s-", a);
	i = strlen(p->slug);
	if (t->label == NULL) {
		p->slug[i - 1] = '\0';		/* no name: drop the '-' */
		return;
	}
	/* a file name part from the label: letters and digits only */
	for (const char *s = t->label; *s && i + 2 < sizeof(p->slug); s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))
			p->slug[i++] = *s;
		else if (*s >= 'A' && *s <= 'Z')
			p->slug[i++] = (char)(*s - 'A' + 'a');
		else if (p->slug[i - 1] != '-')
			p->slug[i++] = '-';
	}
	while (i > 0 && p->slug[i - 1] == '-')
		i--;
	p->slug[i] = '\0';
}

/* this-term: the term today is in, else the last one that started. */
static enum rpt_error
period_this_term(const struct conf_schedule *s, int32_t today,
    struct rpt_period *p)
{
	const struct conf_daterange *best = NULL;

	for (size_t i = 0; i < s->nterms; i++)
		if (s->terms[i].first <= today &&
		    (best == NULL || s->terms[i].first > best->first))
			best = &s->terms[i];
	if (best == NULL)
		return RPT_ERR_PERIOD;
	period_term(best, best->last < today ? best->last : today, p);
	return RPT_OK;
}

/* last-term: the latest term that ended before today. */
static enum rpt_error
period_last_term(const struct conf_schedule *s, int32_t today,
    struct rpt_period *p)
{
	const struct conf_daterange *best = NULL;

	for (size_t i = 0; i < s->nterms; i++)
		if (s->terms[i].last < today &&
		    (best == NULL || s->terms[i].last > best->last))
			best = &s->terms[i];
	if (best == NULL)
		return RPT_ERR_PERIOD;
	period_term(best, best->last, p);
	return RPT_OK;
}

enum rpt_error
rpt_period_named(const struct sg_config *cfg, const char *name,
    int32_t today, struct rpt_period *p)
{
	const struct conf_schedule *s = period_hours(cfg);
	int32_t monday;

	if (strcmp(name, "last-week") == 0) {
		monday = today - period_weekday(today) - 7;
		rpt_period_days(monday, monday + 6, p);
		period_iso_week(monday, p->slug, sizeof(p->slug));
		return RPT_OK;
	}
	if (strcmp(name, "last-month") == 0) {
		period_last_month(today, p);
		return RPT_OK;
	}
	if (s == NULL)
		return RPT_ERR_PERIOD;
	if (strcmp(name, "this-term") == 0)
		return period_this_term(s, today, p);
	if (strcmp(name, "last-term") == 0)
		return period_last_term(s, today, p);
	return RPT_ERR_PERIOD;
}

int
rpt_period_term_ended(const struct sg_config *cfg, int32_t today,
    struct rpt_period *p)
{
	const struct conf_schedule *s = period_hours(cfg);

	if (s == NULL)
		return 0;
	for (size_t i = 0; i < s->nterms; i++)
		if (s->terms[i].last == today - 1) {
			period_term(&s->terms[i], s->terms[i].last, p);
			return 1;
		}
	return 0;
}
