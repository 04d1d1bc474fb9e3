#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "schedule.h"

static const char *const day_abbr[] = {
	"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"
};

int
sched_set_timezone(const char *tz)
{
	char path[512];
	struct stat st;

	if (tz == NULL || *tz == '\0' || tz[0] == '/' || strstr(tz, "..") != NULL)
		return -1;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
		return -1;
	if (setenv("TZ", tz, 1) == -1)
		return -1;
	tzset();
	return 0;
}

void
sched_localtime(time_t t, struct sched_local *lt)
{
	struct tm tm;

	localtime_r(&t, &tm);
	lt->day = sg_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday);
	lt->weekday = (tm.tm_wday + 6) % 7;
	lt->minute = tm.tm_hour * 60 + tm.tm_min;
	lt->dst = tm.tm_isdst > 0;
}

static int
local_to_time(int y, int mo, int d, int h, int mi, time_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_isdst = -1;	/* let the zone rules say whether DST applies */
	*out = mktime(&tm);
	return *out == (time_t)-1 ? -1 : 0;
}

int
sched_parse_local(const char *s, time_t *out)
{
	char date[11];
	int32_t day;
	int y, mo, d, h, mi, n = 0;

	if (strlen(s) != 16 || (s[10] != ' ' && s[10] != 'T'))
		return -1;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (sg_date_parse(date, &day) == -1)
		return -1;
	if (sscanf(s + 11, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5 ||
	    h > 23 || mi > 59 || h < 0 || mi < 0)
		return -1;
	sg_civil_from_days(day, &y, &mo, &d);
	return local_to_time(y, mo, d, h, mi, out);
}

int
sched_parse_day(const char *s, time_t *out)
{
	int32_t day;
	int y, mo, d;

	if (sg_date_parse(s, &day) == -1)
		return -1;
	sg_civil_from_days(day, &y, &mo, &d);
	return local_to_time(y, mo, d, 0, 0, out);
}

bool
sched_is_closure(const struct conf_schedule *s, int32_t day, const char **label)
{
	for (size_t i = 0; i < s->nclosures; i++)
		if (s->closures[i].day == day) {
			if (label)
				*label = s->closures[i].label;
			return true;
		}
	return false;
}

bool
sched_in_term(const struct conf_schedule *s, int32_t day, const char **label)
{
	if (s->nterms == 0) {
		if (label)
			*label = NULL;
		return true;
	}
	for (size_t i = 0; i < s->nterms; i++)
		if (day >= s->terms[i].first && day <= s->terms[i].last) {
			if (label)
				*label = s->terms[i].label;
			return true;
		}
	return false;
}

static void
fmt_minute(char *buf, size_t len, int minute)
{
	snprintf(buf, len, "%02d:%02d", minute / 60, minute % 60);
}

static const struct conf_timerange *
time_match(const struct conf_schedule *s, int minute)
{
	static const struct conf_timerange all_day = { 0, 24 * 60 };

	if (s->ntimes == 0)
		return &all_day;
	for (size_t i = 0; i < s->ntimes; i++)
		if (minute >= s->times[i].start && minute < s->times[i].end)
			return &s->times[i];
	return NULL;
}

/* sched_active without the explanation: sched_next_change asks often. */
static bool
sched_on(const struct conf_schedule *s, const struct sched_local *lt)
{
	return !sched_is_closure(s, lt->day, NULL) &&
	    sched_in_term(s, lt->day, NULL) &&
	    (s->weekdays & (1u << lt->weekday)) &&
	    time_match(s, lt->minute) != NULL;
}

bool
sched_active(const struct conf_schedule *s, const struct sched_local *lt,
    char *why, size_t whylen)
{
	const struct conf_timerange *tr;
	const char *label = NULL;
	char now[16], a[16], b[16];

	if (why == NULL)
		return sched_on(s, lt);
	fmt_minute(now, sizeof(now), lt->minute);
	if (sched_is_closure(s, lt->day, &label)) {
		snprintf(why, whylen, "closure day (%s)", label ? label : "closed");
		return false;
	}
	if (!sched_in_term(s, lt->day, &label)) {
		snprintf(why, whylen, "outside term dates");
		return false;
	}
	if (!(s->weekdays & (1u << lt->weekday))) {
		snprintf(why, whylen, "%s is not one of its days",
		    day_abbr[lt->weekday]);
		return false;
	}
	if ((tr = time_match(s, lt->minute)) == NULL) {
		snprintf(why, whylen, "%s %s is outside its hours",
		    day_abbr[lt->weekday], now);
		return false;
	}
	fmt_minute(a, sizeof(a), tr->start);
	fmt_minute(b, sizeof(b), tr->end);
	snprintf(why, whylen, "%s %s within %s-%s%s%s", day_abbr[lt->weekday],
	    now, a, b, label ? " in " : "", label ? label : "");
	return true;
}

/* Runs of consecutive days collapse: "Mon-Fri", "Mon,Wed". */
static void
describe_days(uint8_t days, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < 7 && off < len; i++) {
		if (!(days & (1u << i)))
			continue;
		int j = i;
		while (j + 1 < 7 && (days & (1u << (j + 1))))
			j++;
		int n = j > i + 1 ?
		    snprintf(buf + off, len - off, "%s%s-%s", off ? "," : "",
		    day_abbr[i], day_abbr[j]) :
		    snprintf(buf + off, len - off, "%s%s", off ? "," : "",
		    day_abbr[i]);
		if (n < 0)
			return;
		off += (size_t)n;
		if (j > i + 1)
			i = j;
	}
}

void
sched_describe(const struct conf_schedule *s, char *buf, size_t len)
{
	char days[64], a[16], b[16];
	size_t off;

	describe_days(s->weekdays, days, sizeof(days));
	off = (size_t)snprintf(buf, len, "%s", days);
	if (s->ntimes == 0 && off < len)
		off += (size_t)snprintf(buf + off, len - off, " all day");
	for (size_t i = 0; i < s->ntimes && off < len; i++) {
		fmt_minute(a, sizeof(a), s->times[i].start);
		fmt_minute(b, sizeof(b), s->times[i].end);
		off += (size_t)snprintf(buf + off, len - off, "%s%s-%s",
		    i ? ", " : " ", a, b);
	}
	if (s->nterms > 0 && off < len)
		snprintf(buf + off, len - off, ", in term time");
}

static bool
sched_any_differs(const struct sg_config *cfg, const struct sched_local *a,
    const struct sched_local *b)
{
	for (size_t i = 0; i < cfg->nschedules; i++)
		if (sched_on(&cfg->schedules[i], a) !=
		    sched_on(&cfg->schedules[i], b))
			return true;
	return false;
}

/*
 * Walk the wall clock a minute at a time (the schedules' grain) in the
 * school's zone: whatever the zone rules do to local time, including an
 * hour that happens twice or not at all, the first minute whose local
 * time puts any schedule in a different state is found as sched_active
 * will see it.  A new local day always counts: term dates, closures and
 * professional accounts' approval and end dates change then.  So the
 * walk is at most a day and an hour of minutes, and only runs when the
 * previous boundary has passed.
 */
time_t
sched_next_change(const struct sg_config *cfg, time_t now)
{
	struct sched_local lt0, lt;
	time_t t;

	sched_localtime(now, &lt0);
	for (t = now - now % 60 + 60;; t += 60) {
		sched_localtime(t, &lt);
		if (lt.day != lt0.day || sched_any_differs(cfg, &lt0, &lt))
			return t;
	}
}
