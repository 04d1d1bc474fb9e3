/*
 * JSON: the whole report for other tools, built with jansson so every
 * string is escaped by the library.  Names off the wire need not be valid
 * UTF-8; those bytes are written as \xNN text rather than dropped.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "report.h"

/* Text that may not be UTF-8 (names off the wire): \xNN for high bytes,
 * so one bad byte never loses the whole string. */
json_t *
rpt_json_str(const char *s)
{
	char buf[4 * SG_HOST_MAX + 64];
	size_t o = 0;
	json_t *j;

	if ((j = json_string(s)) != NULL)
		return j;
	for (; *s && o + 5 < sizeof(buf); s++) {
		if ((unsigned char)*s < 0x80)
			buf[o++] = *s;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x",
			    (unsigned char)*s);
	}
	buf[o] = '\0';
	return json_string(buf);
}

static json_t *
json_day(int32_t day)
{
	char b[16];

	rpt_fmt_day(day, b, sizeof(b));
	return json_string(b);
}

static json_t *
json_time(int64_t us)
{
	char b[32];

	rpt_fmt_time(us, b, sizeof(b));
	return json_string(b);
}

static json_t *
json_who(const struct rpt_who *w)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
	    "person", rpt_json_str(w->person), "name", rpt_json_str(w->name),
	    "group", rpt_json_str(w->group), "device", rpt_json_str(w->device),
	    "mac", rpt_json_str(w->mac), "ip", rpt_json_str(w->ip),
	    "identified_by", rpt_json_str(w->idsrc));
}

static json_t *
json_totals(const struct rpt_totals *t)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "flows", (json_int_t)t->flows, "devices", (json_int_t)t->devices,
	    "people", (json_int_t)t->people,
	    "attempts", (json_int_t)t->attempts,
	    "breaches", (json_int_t)t->breaches,
	    "circumvention", (json_int_t)t->circumvention,
	    "name_lookups", (json_int_t)t->lookups,
	    "account_uses", (json_int_t)t->account_uses);
}

static json_t *
json_period(const struct rpt_period *p)
{
	return json_pack("{s:o,s:o,s:o}", "from", json_day(p->first_day),
	    "to", json_day(p->last_day), "name", rpt_json_str(p->name));
}

static json_t *
json_person(const struct rpt_person *p)
{
	json_t *apps = json_array();

	for (size_t i = 0; i < p->napps; i++)
		json_array_append_new(apps, json_pack(
		    "{s:o,s:o,s:o,s:I,s:I,s:I,s:I}",
		    "app", rpt_json_str(p->apps[i].app),
		    "rule", rpt_json_str(p->apps[i].rule),
		    "clause", rpt_json_str(p->apps[i].clause),
		    "blocked_in_hours", (json_int_t)p->apps[i].blocked_in,
		    "blocked_out_of_hours", (json_int_t)p->apps[i].blocked_out,
		    "logged_in_hours", (json_int_t)p->apps[i].logged_in,
		    "logged_out_of_hours", (json_int_t)p->apps[i].logged_out));
	return json_pack("{s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o}",
	    "who", json_who(&p->who), "attempts", (json_int_t)p->attempts,
	    "breaches", (json_int_t)p->breaches,
	    "circumvention", (json_int_t)p->circumvention,
	    "name_lookups", (json_int_t)p->lookups,
	    "in_school_hours", (json_int_t)p->in_hours,
	    "out_of_school_hours", (json_int_t)p->out_hours,
	    "days_with_findings", (json_int_t)p->days,
	    "first_seen", json_time(p->first_us),
	    "last_seen", json_time(p->last_us),
	    "clauses", rpt_json_str(p->clauses), "apps", apps);
}

static json_t *
json_finding(const struct rpt_finding *x)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:I,s:I,s:o,"
	    "s:o}", "who", json_who(&x->who), "kind", rpt_json_str(x->kind),
	    "app", rpt_json_str(x->app), "category", rpt_json_str(x->category),
	    "host", rpt_json_str(x->host), "action", rpt_json_str(x->action),
	    "rule", rpt_json_str(x->rule), "clause", rpt_json_str(x->clause),
	    "in_school_hours", x->in_hours, "count", (json_int_t)x->count,
	    "days", (json_int_t)x->days, "first_seen", json_time(x->first_us),
	    "last_seen", json_time(x->last_us));
}

static json_t *
json_days(const struct rpt_report *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->ndays; i++)
		json_array_append_new(a, json_pack("{s:o,s:I,s:I,s:b,s:b,s:o}",
		    "date", json_day(r->days[i].day),
		    "attempts", (json_int_t)r->days[i].attempts,
		    "breaches", (json_int_t)r->days[i].breaches,
		    "school_day", r->days[i].school_day,
		    "recorded", r->days[i].flows > 0,
		    "closure", rpt_json_str(r->days[i].closure)));
	return a;
}

static json_t *
json_heat(const struct rpt_report *r)
{
	json_t *a = json_array(), *row;

	for (int d = 0; d < 7; d++) {
		row = json_array();
		for (int h = 0; h < 24; h++)
			json_array_append_new(row,
			    json_integer((json_int_t)r->heat[d][h]));
		json_array_append_new(a, row);
	}
	return a;
}

static json_t *
json_accounts(const struct rpt_report *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->naccounts; i++) {
		const struct rpt_account *x = &r->accounts[i];

		json_array_append_new(a, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,"
		    "s:o,s:I,s:I,s:o,s:b,s:b,s:b}",
		    "name", rpt_json_str(x->name), "platform", rpt_json_str(x->platform),
		    "owners", rpt_json_str(x->owners),
		    "devices", rpt_json_str(x->devices),
		    "approved", json_day(x->approved),
		    "review_by", json_day(x->review_by),
		    "ends", json_day(x->ends), "uses", (json_int_t)x->uses,
		    "unregistered_device_uses", (json_int_t)x->unregistered,
		    "unregistered_devices", rpt_json_str(x->unreg_devices),
		    "review_overdue", x->review_overdue,
		    "ending_within_30_days", x->ending_soon,
		    "ended", x->ended));
	}
	return a;
}

/* the circumvention or the encrypted DNS table */
static json_t *
json_circ(const struct rpt_circ *rows, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:o,s:o,s:o,s:o,s:I,s:o,"
		    "s:o}", "who", json_who(&rows[i].who),
		    "app", rpt_json_str(rows[i].app),
		    "host", rpt_json_str(rows[i].host),
		    "action", rpt_json_str(rows[i].action),
		    "count", (json_int_t)rows[i].count,
		    "first_seen", json_time(rows[i].first_us),
		    "last_seen", json_time(rows[i].last_us)));
	return a;
}

static json_t *
json_quality(const struct rpt_quality *q)
{
	json_t *ev = json_array(), *down = json_array(), *lists = json_array();
	char day[16];

	for (size_t i = 0; i < q->ndown; i++)
		json_array_append_new(down, json_pack("{s:o,s:o,s:s,s:I}",
		    "from", json_time(q->down[i].from_us),
		    "to", json_time(q->down[i].to_us),
		    "why", q->down[i].clean ? "stopped" : "crashed",
		    "school_hours_seconds", (json_int_t)q->down[i].school_s));
	for (size_t i = 0; i < q->nevents; i++)
		json_array_append_new(ev, json_pack("{s:o,s:o,s:o}",
		    "time", json_time(q->events[i].ts_us),
		    "kind", rpt_json_str(q->events[i].kind),
		    "detail", rpt_json_str(q->events[i].detail)));
	for (size_t i = 0; i < q->nlists; i++) {
		rpt_fmt_day(q->lists[i].date, day, sizeof(day));
		json_array_append_new(lists, json_pack("{s:o,s:o,s:o,s:s,s:I,"
		    "s:b}", "name", rpt_json_str(q->lists[i].name),
		    "category", rpt_json_str(q->lists[i].category),
		    "source", rpt_json_str(q->lists[i].source), "date", day,
		    "entries", (json_int_t)q->lists[i].entries,
		    "out_of_date", q->lists[i].old));
	}
	return json_pack("{s:b,s:b,s:I,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,"
	    "s:o,s:I,s:o}",
	    "verify_ran", q->verify_ran, "verify_ok", q->verify_ok,
	    "verified", (json_int_t)q->verified,
	    "verify_result", rpt_json_str(q->verify_msg),
	    "latest_seal", rpt_json_str(q->seal_msg),
	    "gaps", (json_int_t)q->gaps,
	    "late_writes", (json_int_t)q->delays,
	    "config_changes", (json_int_t)(q->config_changes + q->reloads),
	    "purges", (json_int_t)q->purges, "starts", (json_int_t)q->starts,
	    "school_days_without_records", (json_int_t)q->missing_school_days,
	    "redecisions", (json_int_t)q->redecisions,
	    "events", ev, "not_monitored", down,
	    "school_hours_not_monitored_seconds", (json_int_t)q->down_school_s,
	    "lists", lists);
}

static json_t *
json_report(const struct rpt_report *r)
{
	json_t *people = json_array(), *apps = json_array(),
	    *findings = json_array();

	for (size_t i = 0; i < r->npeople; i++)
		json_array_append_new(people, json_person(&r->people[i]));
	for (size_t i = 0; i < r->napps; i++)
		json_array_append_new(apps, json_pack("{s:o,s:I,s:I}",
		    "app", rpt_json_str(r->apps[i].app),
		    "attempts", (json_int_t)r->apps[i].attempts,
		    "breaches", (json_int_t)r->apps[i].breaches));
	for (size_t i = 0; i < r->nfindings; i++)
		json_array_append_new(findings, json_finding(&r->findings[i]));
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:o,s:o,s:o,s:o,s:o,"
	    "s:o,s:o,s:o,s:o,s:o,s:o}",
	    "school", rpt_json_str(r->school), "school_hours", rpt_json_str(r->hours),
	    "timezone", rpt_json_str(r->timezone),
	    "period", json_period(&r->period),
	    "previous_period", json_period(&r->prev),
	    "pseudonymised", r->pseudonymised,
	    "totals", json_totals(&r->cur),
	    "previous_totals", json_totals(&r->before),
	    "people", people, "top_apps", apps, "days", json_days(r),
	    "heat_weekday_hour", json_heat(r),
	    "circumvention", json_circ(r->circ, r->ncirc),
	    "encrypted_dns", json_circ(r->encdns, r->nencdns),
	    "accounts", json_accounts(r), "findings", findings,
	    "data_quality", json_quality(&r->quality),
	    "groups_shown", rpt_json_str(r->groups));
}

int
rpt_write_json(FILE *f, const struct rpt_report *r)
{
	json_t *j;
	int rc;

	if ((j = json_report(r)) == NULL)
		return -1;
	rc = json_dumpf(j, f, JSON_INDENT(1) | JSON_ENSURE_ASCII);
	json_decref(j);
	fputc('\n', f);
	return rc == 0 && !ferror(f) ? 0 : -1;
}
