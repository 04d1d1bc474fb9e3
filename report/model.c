/*
 * The parts of the report that come from the config rather than the
 * records: display names, school days and closures, the accounts
 * register; and pseudonyms in place of names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "schedule.h"

#define MODEL_ENDING_DAYS	30

static const char *const rpt_errstr[] = {
	[RPT_OK] = "no error",
	[RPT_ERR_DB] = "cannot read the records database",
	[RPT_ERR_NOMEM] = "out of memory",
	[RPT_ERR_KEY] = "cannot read or create the pseudonym key",
	[RPT_ERR_PERIOD] = "no such period in the configuration",
	[RPT_ERR_IO] = "write error",
};

const char *
rpt_strerror(enum rpt_error e)
{
	if ((unsigned)e >= sizeof(rpt_errstr) / sizeof(rpt_errstr[0]))
		return "unknown error";
	return rpt_errstr[e];
}

void
rpt_who_name(const struct sg_config *cfg, struct rpt_who *w)
{
	int i;

	if (w->person[0] != '\0') {
		i = conf_person_index(cfg, w->person);
		snprintf(w->name, sizeof(w->name), "%s",
		    i >= 0 ? cfg->people[i].name : w->person);
	} else if (w->device[0] != '\0')
		snprintf(w->name, sizeof(w->name), "%s", w->device);
	else if (rpt_mac_random(w->mac))
		snprintf(w->name, sizeof(w->name), "unregistered devices "
		    "(random MACs)");
	else
		snprintf(w->name, sizeof(w->name), "unknown device %s",
		    w->mac[0] != '\0' ? w->mac : w->ip);
}

/* A locally administered MAC, as query.c's Q_RANDOM_MAC. */
bool
rpt_mac_random(const char *mac)
{
	return mac[0] != '\0' && mac[1] != '\0' &&
	    strchr("2367abefABEF", mac[1]) != NULL;
}

const char *
rpt_idsrc_words(const char *idsrc)
{
	static const struct { const char *src, *words; } m[] = {
		{ "8021x", "802.1X sign-in" },
		{ "registered", "registered device" },
		{ "lease", "DHCP lease of a registered device" },
		{ "interface", "network interface only" },
		{ "subnet", "subnet only" },
		{ "default", "nothing (default group)" },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (strcmp(idsrc, m[i].src) == 0)
			return m[i].words;
	return idsrc;
}

static void
model_pseudo_field(const uint8_t *key, const char *kind, char *field,
    size_t len)
{
	char p[16];

	if (field[0] == '\0')
		return;
	if (rpt_pseudonym(key, RPT_KEY_LEN, kind, field, p, sizeof(p)) == -1)
		snprintf(p, sizeof(p), "?");
	snprintf(field, len, "%s", p);
}

/* Every identifying field is replaced; the group stays (it is not a name). */
void
rpt_who_pseudonymise(const uint8_t *key, struct rpt_who *w)
{
	model_pseudo_field(key, "person", w->person, sizeof(w->person));
	model_pseudo_field(key, "device", w->device, sizeof(w->device));
	model_pseudo_field(key, "mac", w->mac, sizeof(w->mac));
	model_pseudo_field(key, "ip", w->ip, sizeof(w->ip));
	if (w->person[0] != '\0')
		snprintf(w->name, sizeof(w->name), "%s", w->person);
	else if (w->device[0] != '\0')
		snprintf(w->name, sizeof(w->name), "device %s", w->device);
	else
		snprintf(w->name, sizeof(w->name), "unknown device %s",
		    w->mac[0] != '\0' ? w->mac : w->ip);
}

const char *
rpt_who_label(const struct rpt_who *w, char *buf, size_t len)
{
	if (w->name[0] != '\0')
		snprintf(buf, len, "%s", w->name);
	else if (w->device[0] != '\0')
		snprintf(buf, len, "%s", w->device);
	else
		snprintf(buf, len, "unknown device %s",
		    w->mac[0] != '\0' ? w->mac : w->ip);
	return buf;
}

static void
model_append(char *buf, size_t len, const char *s)
{
	size_t off = strlen(buf);

	snprintf(buf + off, len - off, "%s%s", off ? ", " : "", s);
}

static void
model_account(const struct sg_config *cfg, const struct conf_account *a,
    int32_t today, struct rpt_account *ra)
{
	memset(ra, 0, sizeof(*ra));
	snprintf(ra->name, sizeof(ra->name), "%s", a->name);
	snprintf(ra->platform, sizeof(ra->platform), "%s", a->app ? a->app :
	    a->category >= 0 ? cfg->categories[a->category].name : "");
	for (size_t i = 0; i < a->nowners; i++)
		model_append(ra->owners, sizeof(ra->owners),
		    cfg->people[a->owners[i]].name);
	for (size_t i = 0; i < a->ndevices; i++)
		model_append(ra->devices, sizeof(ra->devices),
		    cfg->devices[a->devices[i]].name);
	ra->approved = a->approved;
	ra->review_by = a->review_by;
	ra->ends = a->ends;
	ra->ended = a->ends < today;
	ra->review_overdue = !ra->ended && a->review_by < today;
	ra->ending_soon = !ra->ended && a->ends - today <= MODEL_ENDING_DAYS;
}

void
rpt_accounts_from_config(const struct sg_config *cfg, struct rpt_report *r)
{
	r->naccounts = 0;
	if (cfg->naccounts == 0 ||
	    (r->accounts = calloc(cfg->naccounts, sizeof(*r->accounts))) == NULL)
		return;
	r->naccounts = cfg->naccounts;
	for (size_t i = 0; i < cfg->naccounts; i++)
		model_account(cfg, &cfg->accounts[i], r->today, &r->accounts[i]);
}

void
rpt_pseudonymise_account(const struct sg_config *cfg, const uint8_t *key,
    size_t i, struct rpt_account *ra)
{
	const struct conf_account *a = &cfg->accounts[i];
	char p[SG_NAME_MAX];

	ra->owners[0] = ra->devices[0] = '\0';
	for (size_t j = 0; j < a->nowners; j++) {
		snprintf(p, sizeof(p), "%s", cfg->people[a->owners[j]].id);
		model_pseudo_field(key, "person", p, sizeof(p));
		model_append(ra->owners, sizeof(ra->owners), p);
	}
	for (size_t j = 0; j < a->ndevices; j++) {
		snprintf(p, sizeof(p), "%s", cfg->devices[a->devices[j]].name);
		model_pseudo_field(key, "device", p, sizeof(p));
		model_append(ra->devices, sizeof(ra->devices), p);
	}
}

static bool
model_school_day(const struct conf_schedule *s, int32_t day, int weekday)
{
	if ((s->weekdays & (1u << weekday)) == 0)
		return false;
	if (s->nterms > 0 && !sched_in_term(s, day, NULL))
		return false;
	return !sched_is_closure(s, day, NULL);
}

void
rpt_days_from_config(const struct sg_config *cfg, struct rpt_report *r)
{
	const struct conf_schedule *s = NULL;
	const char *label;
	int32_t day;

	r->ndays = (size_t)(r->period.last_day - r->period.first_day + 1);
	if ((r->days = calloc(r->ndays, sizeof(*r->days))) == NULL)
		return;
	if (cfg->school_hours >= 0)
		s = &cfg->schedules[cfg->school_hours];
	for (size_t i = 0; i < r->ndays; i++) {
		day = r->period.first_day + (int32_t)i;
		r->days[i].day = day;
		if (s == NULL)
			continue;
		r->days[i].school_day = model_school_day(s, day,
		    (int)(((day + 3) % 7 + 7) % 7));
		label = NULL;
		if (sched_is_closure(s, day, &label))
			snprintf(r->days[i].closure, sizeof(r->days[i].closure),
			    "%s", label ? label : "closure");
	}
}

int
rpt_lists(const struct sg_config *cfg, struct rpt_report *r)
{
	struct rpt_quality *q = &r->quality;

	if (cfg->nlists == 0)
		return 0;
	if ((q->lists = calloc(cfg->nlists, sizeof(*q->lists))) == NULL)
		return -1;
	for (size_t i = 0; i < cfg->nlists; i++) {
		const struct conf_list *l = &cfg->lists[i];
		struct rpt_list *o = &q->lists[q->nlists++];

		snprintf(o->name, sizeof(o->name), "%s", l->name);
		snprintf(o->category, sizeof(o->category), "%s",
		    cfg->categories[l->category].name);
		snprintf(o->source, sizeof(o->source), "%s", l->source);
		o->date = l->date;
		o->entries = l->kind == CONF_LIST_HOSTS ? l->nhosts : l->ncidrs;
		o->old = r->period.last_day - l->date > RPT_LIST_OLD_DAYS;
	}
	return 0;
}

void
rpt_free(struct rpt_report *r)
{
	for (size_t i = 0; i < r->npeople; i++)
		free(r->people[i].apps);
	free(r->people);
	free(r->apps);
	free(r->days);
	free(r->circ);
	free(r->encdns);
	free(r->accounts);
	free(r->findings);
	free(r->quality.events);
	free(r->quality.down);
	free(r->quality.lists);
	memset(r, 0, sizeof(*r));
}
