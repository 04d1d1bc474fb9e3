#include <sys/socket.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lists.h"
#include "policy.h"
#include "schedule.h"

#define TRACE(...) do { if (trace) trace(targ, __VA_ARGS__); } while (0)

static bool
name_listed(char **names, size_t n, const char *master, const char *proto)
{
	for (size_t i = 0; i < n; i++)
		if ((proto[0] && strcasecmp(names[i], proto) == 0) ||
		    (master[0] && strcasecmp(names[i], master) == 0))
			return true;
	return false;
}

uint64_t
policy_categories(const struct sg_config *cfg, const char *master,
    const char *proto, const char *host)
{
	uint64_t mask = lists_match_host(cfg->lists_index, host);

	for (size_t i = 0; i < cfg->ncategories; i++) {
		const struct conf_category *c = &cfg->categories[i];
		if (name_listed(c->protocols, c->nprotocols, master, proto))
			mask |= UINT64_C(1) << i;
	}
	return mask;
}

uint64_t
policy_addr_categories(const struct sg_config *cfg,
    const struct sg_addr *server, const char **list)
{
	int li;
	uint64_t mask = lists_match_addr(cfg->lists_index, server, &li);

	*list = li >= 0 ? cfg->lists[li].name : NULL;
	return mask;
}

int
policy_primary_category(uint64_t mask)
{
	for (int i = 0; i < 64; i++)
		if (mask & (UINT64_C(1) << i))
			return i;
	return -1;
}

bool
policy_in_school_hours(const struct sg_config *cfg, time_t when)
{
	struct sched_local lt;

	if (cfg->school_hours < 0)
		return false;
	sched_localtime(when, &lt);
	return sched_active(&cfg->schedules[cfg->school_hours], &lt, NULL, 0);
}

static bool
index_listed(const int *v, size_t n, int x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* A rule naming groups, people or devices applies to any one of them. */
static bool
rule_who_matches(const struct conf_rule *r, const struct ident *id)
{
	if (r->ngroups == 0 && r->npeople == 0 && r->ndevices == 0)
		return true;
	return index_listed(r->groups, r->ngroups, id->group) ||
	    (id->person >= 0 && index_listed(r->people, r->npeople, id->person)) ||
	    (id->device >= 0 && index_listed(r->devices, r->ndevices, id->device));
}

static bool
rule_what_matches(const struct conf_rule *r, const struct policy_flow *f)
{
	if (r->categories == 0 && r->napps == 0)
		return true;
	return (r->categories & f->categories) != 0 ||
	    name_listed(r->apps, r->napps, f->master, f->proto);
}

static bool
rule_when_matches(const struct sg_config *cfg, const struct conf_rule *r,
    const struct sched_local *lt, char *why, size_t whylen)
{
	bool active;

	if (r->schedule < 0) {
		snprintf(why, whylen, "any time");
		return true;
	}
	active = sched_active(&cfg->schedules[r->schedule], lt, why, whylen);
	return active != r->schedule_negate;
}

/*
 * The flow is covered by the account's platform only if every category
 * that made the rule match is the platform itself, so a messaging
 * category matched alongside a social platform stays enforced (6.9).
 */
static bool
account_covers(const struct sg_config *cfg, const struct conf_account *a,
    const struct conf_rule *r, const struct policy_flow *f)
{
	uint64_t hit = r->categories & f->categories;

	if (a->category >= 0) {
		if (r->napps > 0 && name_listed(r->apps, r->napps, f->master,
		    f->proto))
			return false;
		return hit == (UINT64_C(1) << a->category);
	}
	if (strcasecmp(a->app, f->proto) != 0 && strcasecmp(a->app, f->master) != 0)
		return false;
	for (size_t i = 0; i < cfg->ncategories; i++) {
		const struct conf_category *c = &cfg->categories[i];
		if ((hit & (UINT64_C(1) << i)) &&
		    !name_listed(c->protocols, c->nprotocols, "", a->app))
			return false;
	}
	return true;
}

/* A listed device, or any device when auth = "8021x" lists none. */
static bool
account_device_ok(const struct conf_account *a, const struct ident *id)
{
	if (a->ndevices == 0)
		return a->auth_8021x;
	return id->device >= 0 &&
	    index_listed(a->devices, a->ndevices, id->device);
}

static bool
account_signed_in(const struct conf_account *a, const struct ident *id)
{
	return id->source == IDSRC_8021X && id->person >= 0 &&
	    index_listed(a->owners, a->nowners, id->person);
}

static int
find_exemption(const struct sg_config *cfg, const struct conf_rule *r,
    const struct policy_flow *f, int32_t today, policy_trace_fn *trace,
    void *targ)
{
	for (size_t i = 0; i < cfg->naccounts; i++) {
		const struct conf_account *a = &cfg->accounts[i];
		if (!account_device_ok(a, f->id))
			continue;
		if (a->auth_8021x && !account_signed_in(a, f->id)) {
			TRACE("professional account \"%s\": needs an 802.1X "
			    "session signed in as an owner; %s", a->name,
			    f->id->source == IDSRC_8021X ? "this one is not" :
			    "there is none");
			continue;
		}
		if (!account_covers(cfg, a, r, f)) {
			TRACE("professional account \"%s\": registered device, "
			    "but this traffic is not its platform", a->name);
			continue;
		}
		if (today > a->ends) {
			TRACE("professional account \"%s\": exemption lapsed "
			    "(ended before today)", a->name);
			continue;
		}
		if (today < a->approved) {
			TRACE("professional account \"%s\": not yet approved",
			    a->name);
			continue;
		}
		return (int)i;
	}
	return -1;
}

static void
decide_default(const struct sg_config *cfg, const struct policy_flow *f,
    struct policy_decision *d, policy_trace_fn *trace, void *targ)
{
	d->rule = -1;
	if (f->unknown && f->categories == 0) {
		d->action = cfg->unknown_action;
		d->rule_name = "unknown-traffic";
		d->clause = cfg->unknown_clause ? cfg->unknown_clause : "";
		TRACE("no rule matched and the application is unknown: %s",
		    sg_action_name(d->action));
		return;
	}
	d->action = SG_ALLOW;
	d->rule_name = "default";
	d->clause = "";
	TRACE("no rule matched: allow");
}

/*
 * dns.enforce_school_resolver: encrypted DNS is refused for everyone,
 * before any rule or account, since lookups the gateway cannot read
 * leave the DNS cache nothing to name ECH and front-only flows by.
 */
static bool
encrypted_dns_refused(const struct sg_config *cfg, const struct policy_flow *f,
    struct policy_decision *d)
{
	if (!cfg->enforce_school_resolver || cfg->encrypted_dns < 0 ||
	    !(f->categories & (UINT64_C(1) << cfg->encrypted_dns)))
		return false;
	d->action = SG_BLOCK;
	d->rule = -1;
	d->rule_name = "enforce-school-resolver";
	d->clause = cfg->unknown_clause ? cfg->unknown_clause : "";
	return true;
}

void
policy_decide(const struct sg_config *cfg, const struct policy_flow *f,
    struct policy_decision *d, policy_trace_fn *trace, void *targ)
{
	struct sched_local lt;
	char why[160];

	sched_localtime(f->when, &lt);
	memset(d, 0, sizeof(*d));
	d->account = -1;
	d->in_school_hours = policy_in_school_hours(cfg, f->when);
	TRACE("%s school hours", d->in_school_hours ? "within" : "outside");
	if (encrypted_dns_refused(cfg, f, d)) {
		TRACE("encrypted DNS (category \"%s\") with "
		    "dns.enforce_school_resolver: block, clause %s",
		    cfg->categories[cfg->encrypted_dns].name, d->clause);
		return;
	}

	for (size_t i = 0; i < cfg->nrules; i++) {
		const struct conf_rule *r = &cfg->rules[i];
		if (!rule_who_matches(r, f->id)) {
			TRACE("rule %zu \"%s\": not for this device, person or group",
			    i + 1, r->name);
			continue;
		}
		if (!rule_what_matches(r, f)) {
			TRACE("rule %zu \"%s\": not this category or app", i + 1,
			    r->name);
			continue;
		}
		if (!rule_when_matches(cfg, r, &lt, why, sizeof(why))) {
			TRACE("rule %zu \"%s\": schedule %s%s does not apply (%s)",
			    i + 1, r->name, r->schedule_negate ? "not " : "",
			    cfg->schedules[r->schedule].name, why);
			continue;
		}
		TRACE("rule %zu \"%s\" matches (%s): %s, clause %s", i + 1,
		    r->name, why, sg_action_name(r->action), r->clause);
		d->rule = (int)i;
		d->rule_name = r->name;
		d->clause = r->clause;
		d->action = r->action;
		if (r->action != SG_ALLOW) {
			d->account = find_exemption(cfg, r, f, lt.day, trace, targ);
			if (d->account >= 0) {
				d->action = SG_ALLOW;
				TRACE("exempt: registered professional account \"%s\" "
				    "(clause 6.8): allow",
				    cfg->accounts[d->account].name);
			}
		}
		return;
	}
	decide_default(cfg, f, d, trace, targ);
}

void
policy_flow_init(struct policy_flow *pf, const struct sg_config *cfg,
    const struct ident *id, const char *master, const char *proto,
    const char *host, time_t when)
{
	memset(pf, 0, sizeof(*pf));
	pf->id = id;
	pf->master = master;
	pf->proto = proto;
	pf->host = host;
	pf->categories = policy_categories(cfg, master, proto, host);
	pf->unknown = (proto[0] == '\0' || strcmp(proto, "Unknown") == 0) &&
	    host[0] == '\0';
	pf->when = when;
}

void
policy_rule_label(const struct sg_config *cfg, const struct policy_decision *d,
    char *rule, size_t rulelen, char *clause, size_t clauselen)
{
	if (d->account >= 0) {
		snprintf(rule, rulelen, "account:%s", cfg->accounts[d->account].name);
		snprintf(clause, clauselen, "6.8");
		return;
	}
	snprintf(rule, rulelen, "%s", d->rule_name ? d->rule_name : "");
	snprintf(clause, clauselen, "%s", d->clause ? d->clause : "");
}

/* Outcomes policy_decide gives without a rule; any other rule-less
 * outcome is the engine's own. */
static bool
policy_is_rules_outcome(const struct policy_decision *d)
{
	return d->rule >= 0 || (d->rule_name != NULL &&
	    (strcmp(d->rule_name, "default") == 0 ||
	    strcmp(d->rule_name, "unknown-traffic") == 0));
}

void
policy_kept_init(struct policy_kept *k, const struct ident *id,
    const char *iface, const char *master, const char *proto,
    const char *host, const struct policy_decision *d)
{
	memset(k, 0, sizeof(*k));
	k->has_mac = id->has_mac;
	memcpy(k->mac, id->mac, sizeof(k->mac));
	k->ip = id->ip;
	snprintf(k->iface, sizeof(k->iface), "%s", iface ? iface : "");
	snprintf(k->master, sizeof(k->master), "%s", master);
	snprintf(k->proto, sizeof(k->proto), "%s", proto);
	snprintf(k->host, sizeof(k->host), "%s", host);
	if (id->source == IDSRC_8021X)
		snprintf(k->user, sizeof(k->user), "%s", id->user);
	k->fixed = !policy_is_rules_outcome(d);
	snprintf(k->addr_list, sizeof(k->addr_list), "%s",
	    d->addr_list ? d->addr_list : "");
}

/* The category of the list named so in cfg, as a bit; 0 if none. */
static uint64_t
policy_list_category(const struct sg_config *cfg, const char *name,
    const char **list)
{
	for (size_t i = 0; i < cfg->nlists; i++)
		if (strcmp(cfg->lists[i].name, name) == 0) {
			*list = cfg->lists[i].name;
			return UINT64_C(1) << cfg->lists[i].category;
		}
	return 0;
}

void
policy_redecide(const struct sg_config *cfg, const struct policy_kept *k,
    time_t when, struct ident *id, uint64_t *categories,
    struct policy_decision *d)
{
	struct policy_flow pf;
	struct rad_session s;
	struct rad_table one = { 0 };
	struct ident_data data = { NULL, &one };
	const char *list = NULL;

	/* no leases: the MAC they gave at the time is the one kept; the
	 * 802.1X session, the one it was decided under (the main thread has
	 * no view of the workers' session tables) */
	memset(&s, 0, sizeof(s));
	if (k->user[0] != '\0') {
		snprintf(s.user, sizeof(s.user), "%s", k->user);
		if (k->ip.family == AF_INET6)
			s.ip6 = k->ip;
		else
			s.ip4 = k->ip;
		if (rad_apply(&one, RAD_START, &s) == -1)
			data.radius = NULL;
	}
	ident_resolve(cfg, &data, k->has_mac ? k->mac : NULL, &k->ip,
	    k->iface[0] ? k->iface : NULL, -1, id);
	rad_table_free(&one);
	policy_flow_init(&pf, cfg, id, k->master, k->proto, k->host, when);
	if (pf.categories == 0 && k->addr_list[0] != '\0')
		pf.categories = policy_list_category(cfg, k->addr_list, &list);
	*categories = pf.categories;
	policy_decide(cfg, &pf, d, NULL, NULL);
	d->addr_list = list;
}

/*
 * A flow that hides its name from the gateway (the engine's evasion
 * signals).  "auto" blocks it for senders that any block rule covers and
 * logs it for the others: hiding a name is only worth anything where a
 * name could be blocked.
 */
void
policy_evasion(const struct sg_config *cfg, const struct ident *id,
    time_t when, struct policy_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->rule = -1;
	d->account = -1;
	d->rule_name = "evasion";
	d->clause = cfg->unknown_clause ? cfg->unknown_clause : "";
	d->in_school_hours = policy_in_school_hours(cfg, when);
	if (cfg->evasion_action != CONF_EVASION_AUTO) {
		d->action = (enum sg_action)cfg->evasion_action;
		return;
	}
	d->action = policy_guarded(cfg, id) ? SG_BLOCK : SG_LOG;
}

bool
policy_guarded(const struct sg_config *cfg, const struct ident *id)
{
	for (size_t i = 0; i < cfg->nrules; i++)
		if (cfg->rules[i].action == SG_BLOCK &&
		    rule_who_matches(&cfg->rules[i], id))
			return true;
	return false;
}

bool
policy_strip_ech(const struct sg_config *cfg, const struct ident *id)
{
	int s = cfg->groups[id->group].strip_ech;

	return s == CONF_AUTO ? policy_guarded(cfg, id) : s != 0;
}

bool
policy_name_listed(char *const *list, size_t n, const char *name)
{
	size_t len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len &&
		    strncasecmp(list[i], name, len) == 0)
			return true;
	return false;
}

void
policy_canary(const struct sg_config *cfg, time_t when,
    struct policy_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->action = SG_BLOCK;
	d->rule = -1;
	d->account = -1;
	d->rule_name = "dns-canary";
	d->clause = cfg->unknown_clause ? cfg->unknown_clause : "";
	d->in_school_hours = policy_in_school_hours(cfg, when);
}
