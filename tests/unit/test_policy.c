#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "policy.h"
#include "schedule.h"
#include "testutil.h"

static const char *conf_text =
    "school = { name = \"T\"; school_hours = \"hours\"; };\n"
    "schedules = ( { name = \"hours\";\n"
    "  weekdays = [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"];\n"
    "  times = [\"08:00-16:30\"]; } );\n"
    "groups = (\n"
    "  { name = \"staff\"; subnets = [\"10.10.0.0/16\"]; },\n"
    "  { name = \"pupils\"; subnets = [\"10.20.0.0/16\"]; },\n"
    "  { name = \"guests\"; } );\n"
    "default_group = \"guests\";\n"
    "people = ( { id = \"sward\"; name = \"Sue Ward\"; group = \"staff\"; },\n"
    "           { id = \"jsmith\"; name = \"John Smith\"; group = \"staff\"; } );\n"
    "devices = (\n"
    "  { name = \"comms-ipad\"; mac = \"02:00:00:00:10:32\"; owner = \"sward\"; },\n"
    "  { name = \"old-phone\"; mac = \"02:00:00:00:10:33\"; owner = \"jsmith\"; },\n"
    "  { name = \"js-laptop\"; ip = \"10.10.0.77\"; owner = \"jsmith\"; } );\n"
    "categories = (\n"
    "  { name = \"personal-social\"; protocols = [\"Facebook\",\"Twitter\"];\n"
    "    hosts = [\"bsky.app\", \"*.bsky.app\"]; },\n"
    "  { name = \"messaging\"; protocols = [\"WhatsApp\",\"Messenger\"];\n"
    "    hosts = [\"*.messenger.com\"]; },\n"
    "  { name = \"circumvention\"; protocols = [\"OpenVPN\",\"Tor\"]; },\n"
    "  { name = \"education\"; hosts = [\"padlet.com\", \"*.padlet.com\"]; } );\n"
    "rules = (\n"
    "  { name = \"education\"; clause = \"2.3\"; action = \"allow\";\n"
    "    categories = [\"education\"]; },\n"
    "  { name = \"staff-social-hours\"; clause = \"7.3\"; action = \"block\";\n"
    "    groups = [\"staff\"]; categories = [\"personal-social\", \"messaging\"];\n"
    "    schedule = \"hours\"; },\n"
    "  { name = \"staff-social-after\"; clause = \"7.3\"; action = \"log\";\n"
    "    groups = [\"staff\"]; categories = [\"personal-social\", \"messaging\"];\n"
    "    schedule = \"!hours\"; },\n"
    "  { name = \"circumvention\"; clause = \"9.1\"; action = \"log\";\n"
    "    categories = [\"circumvention\"]; },\n"
    "  { name = \"pupils-social\"; clause = \"8.1\"; action = \"block\";\n"
    "    groups = [\"pupils\"]; categories = [\"personal-social\", \"messaging\"]; },\n"
    "  { name = \"tor-for-john\"; clause = \"9.1\"; action = \"block\";\n"
    "    people = [\"jsmith\"]; apps = [\"Tor\"]; } );\n"
    "professional_accounts = (\n"
    "  { name = \"School Facebook\"; platform = \"Facebook\"; owners = [\"sward\"];\n"
    "    devices = [\"comms-ipad\"]; approved = \"2025-09-01\";\n"
    "    review_by = \"2026-09-01\"; ends = \"2027-08-31\"; },\n"
    "  { name = \"Old Twitter\"; platform = \"personal-social\";\n"
    "    owners = [\"jsmith\"]; devices = [\"old-phone\"];\n"
    "    approved = \"2024-09-01\"; review_by = \"2025-09-01\";\n"
    "    ends = \"2026-07-31\"; } );\n"
    "classification = { unknown_action = \"log\"; unknown_clause = \"9.1\"; };\n";

struct fixture {
	struct sg_config *cfg;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL || (fx->cfg = tu_load_config(conf_text)) == NULL)
		return -1;
	if (sched_set_timezone(fx->cfg->timezone) == -1)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	conf_free(fx->cfg);
	free(fx);
	return 0;
}

/* A Tuesday in term, 10:30 BST, and the same day at 19:00. */
#define IN_HOURS	tu_utc(2026, 10, 20, 9, 30)
#define AFTER_HOURS	tu_utc(2026, 10, 20, 18, 0)

/* who: a MAC or an address */
static void
resolve_who(const struct sg_config *cfg, const char *who, const char *iface,
    struct ident *id)
{
	struct sg_addr ip;
	uint8_t mac[6];
	bool is_mac = sg_mac_parse(who, mac) == 0;

	memset(&ip, 0, sizeof(ip));
	if (!is_mac)
		assert_int_equal(sg_addr_parse(who, &ip), 0);
	ident_resolve(cfg, NULL, is_mac ? mac : NULL, &ip, iface, -1, id);
}

static struct policy_decision
decide(const struct sg_config *cfg, const char *who, const char *master,
    const char *proto, const char *host, time_t when)
{
	struct policy_decision d;
	struct policy_flow f;
	struct ident id;

	resolve_who(cfg, who, NULL, &id);
	memset(&f, 0, sizeof(f));
	f.id = &id;
	f.master = master;
	f.proto = proto;
	f.host = host;
	f.categories = policy_categories(cfg, master, proto, host);
	f.unknown = proto[0] == '\0' && host[0] == '\0';
	f.when = when;
	policy_decide(cfg, &f, &d, NULL, NULL);
	return d;
}

/* dns.enforce_school_resolver: encrypted DNS blocked for everyone,
 * staff too, before any rule; without it the rules decide as before. */
#define ENC_CONF(enforce) \
    "school = { name = \"T\"; school_hours = \"hours\"; };\n" \
    "schedules = ( { name = \"hours\"; weekdays = [\"tue\"];\n" \
    "  times = [\"08:00-16:30\"]; } );\n" \
    "groups = ( { name = \"staff\"; subnets = [\"10.10.0.0/16\"]; },\n" \
    "  { name = \"guests\"; } );\n" \
    "default_group = \"guests\";\n" \
    "categories = (\n" \
    "  { name = \"circumvention\"; protocols = [\"Tor\", \"DoH_DoT\"];\n" \
    "    hosts = [\"dns.nextdns.io\"]; },\n" \
    "  { name = \"encrypted-dns\"; protocols = [\"DoH_DoT\"];\n" \
    "    hosts = [\"dns.nextdns.io\"]; } );\n" \
    "rules = ( { name = \"staff-circ\"; clause = \"9.1\"; action = \"log\";\n" \
    "  groups = [\"staff\"]; categories = [\"circumvention\"]; } );\n" \
    "classification = { unknown_clause = \"9.1\"; };\n" \
    "dns = { enforce_school_resolver = " enforce "; };\n"

static void
test_enforce_school_resolver(void **state)
{
	struct sg_config *on = tu_load_config(ENC_CONF("true"));
	struct sg_config *off = tu_load_config(ENC_CONF("false"));
	struct policy_decision d;

	assert_non_null(on);
	assert_non_null(off);
	assert_int_equal(on->encrypted_dns, 1);
	assert_true(on->enforce_school_resolver);
	d = decide(on, "10.10.0.9", "TLS", "DoH_DoT", "", IN_HOURS);
	assert_int_equal(d.action, SG_BLOCK);
	assert_int_equal(d.rule, -1);
	assert_string_equal(d.rule_name, "enforce-school-resolver");
	assert_string_equal(d.clause, "9.1");
	/* by the resolver's name alone, as a list names it */
	d = decide(on, "10.10.0.9", "TLS", "TLS", "dns.nextdns.io", IN_HOURS);
	assert_string_equal(d.rule_name, "enforce-school-resolver");
	/* other circumvention is the rules' business */
	d = decide(on, "10.10.0.9", "TLS", "Tor", "", IN_HOURS);
	assert_int_equal(d.action, SG_LOG);
	assert_string_equal(d.rule_name, "staff-circ");
	/* enforce_school_resolver = false: staff encrypted DNS is logged */
	d = decide(off, "10.10.0.9", "TLS", "DoH_DoT", "", IN_HOURS);
	assert_int_equal(d.action, SG_LOG);
	assert_string_equal(d.rule_name, "staff-circ");
	conf_free(on);
	conf_free(off);
}

static void
test_categories(void **state)
{
	struct fixture *fx = *state;
	const struct sg_config *cfg = fx->cfg;

	assert_int_equal(policy_categories(cfg, "TLS", "Facebook", ""), 1);
	assert_int_equal(policy_categories(cfg, "TLS", "TLS", "cdn.bsky.app"), 1);
	assert_int_equal(policy_categories(cfg, "TLS", "TLS", "x.messenger.com"), 2);
	assert_int_equal(policy_categories(cfg, "Tor", "", ""), 4);
	/* Google is not GooglePlus, nor Facebook a prefix match */
	assert_int_equal(policy_categories(cfg, "TLS", "Google", "google.com"), 0);
	assert_int_equal(policy_categories(cfg, "TLS", "FacebookX", ""), 0);
	assert_int_equal(policy_primary_category(6), 1);
	assert_int_equal(policy_primary_category(0), -1);
}

static void
test_first_match_wins(void **state)
{
	struct fixture *fx = *state;
	struct policy_decision d;

	d = decide(fx->cfg, "10.10.0.9", "TLS", "Facebook", "www.facebook.com",
	    IN_HOURS);
	assert_int_equal(d.action, SG_BLOCK);
	assert_string_equal(d.rule_name, "staff-social-hours");
	assert_string_equal(d.clause, "7.3");
	assert_true(d.in_school_hours);
	/* education comes first, so padlet is allowed even for staff */
	d = decide(fx->cfg, "10.10.0.9", "TLS", "TLS", "padlet.com", IN_HOURS);
	assert_int_equal(d.action, SG_ALLOW);
	assert_string_equal(d.rule_name, "education");
	/* a person rule after a group rule: log (circumvention) comes first */
	d = decide(fx->cfg, "10.10.0.77", "TLS", "Tor", "", IN_HOURS);
	assert_int_equal(d.action, SG_LOG);
	assert_string_equal(d.rule_name, "circumvention");
}

static void
test_negated_schedule(void **state)
{
	struct fixture *fx = *state;
	struct policy_decision d;

	d = decide(fx->cfg, "10.10.0.9", "TLS", "WhatsApp", "", AFTER_HOURS);
	assert_int_equal(d.action, SG_LOG);
	assert_string_equal(d.rule_name, "staff-social-after");
	assert_false(d.in_school_hours);
	/* Saturday: outside school hours as well */
	d = decide(fx->cfg, "10.10.0.9", "TLS", "Twitter", "",
	    tu_utc(2026, 10, 24, 10, 0));
	assert_int_equal(d.action, SG_LOG);
}

static void
test_groups(void **state)
{
	struct fixture *fx = *state;
	struct policy_decision d;

	d = decide(fx->cfg, "10.20.3.4", "TLS", "Facebook", "", AFTER_HOURS);
	assert_int_equal(d.action, SG_BLOCK);
	assert_string_equal(d.rule_name, "pupils-social");
	/* guests have no social rule: allowed by default */
	d = decide(fx->cfg, "192.168.1.1", "TLS", "Facebook", "", IN_HOURS);
	assert_int_equal(d.action, SG_ALLOW);
	assert_string_equal(d.rule_name, "default");
	assert_int_equal(d.rule, -1);
}

static void
test_professional_account(void **state)
{
	struct fixture *fx = *state;
	struct policy_decision d;

	/* the registered iPad may use the school's Facebook page (6.8) */
	d = decide(fx->cfg, "02:00:00:00:10:32", "TLS", "Facebook",
	    "www.facebook.com", IN_HOURS);
	assert_int_equal(d.action, SG_ALLOW);
	assert_int_equal(d.account, 0);
	assert_string_equal(d.rule_name, "staff-social-hours");
	/* but not messaging, even by Facebook's own Messenger (6.9) */
	d = decide(fx->cfg, "02:00:00:00:10:32", "TLS", "Messenger", "",
	    IN_HOURS);
	assert_int_equal(d.action, SG_BLOCK);
	assert_int_equal(d.account, -1);
	/* nor a Facebook-labelled flow to a messaging host */
	d = decide(fx->cfg, "02:00:00:00:10:32", "TLS", "Facebook",
	    "edge.messenger.com", IN_HOURS);
	assert_int_equal(d.action, SG_BLOCK);
	/* nor another platform */
	d = decide(fx->cfg, "02:00:00:00:10:32", "TLS", "Twitter", "", IN_HOURS);
	assert_int_equal(d.action, SG_BLOCK);
	/* the owner's other devices are not registered */
	d = decide(fx->cfg, "10.10.0.9", "TLS", "Facebook", "", IN_HOURS);
	assert_int_equal(d.action, SG_BLOCK);
}

static void
test_exemption_expiry(void **state)
{
	struct fixture *fx = *state;
	struct policy_decision d;

	/* the old Twitter account ended on 2026-07-31 */
	d = decide(fx->cfg, "02:00:00:00:10:33", "TLS", "Twitter", "",
	    tu_utc(2026, 7, 31, 9, 30));
	assert_int_equal(d.action, SG_ALLOW);
	assert_int_equal(d.account, 1);
	d = decide(fx->cfg, "02:00:00:00:10:33", "TLS", "Twitter", "",
	    tu_utc(2026, 8, 3, 9, 30));
	assert_int_equal(d.action, SG_BLOCK);
	assert_int_equal(d.account, -1);
	/* nor was it in force before approval */
	d = decide(fx->cfg, "02:00:00:00:10:33", "TLS", "Twitter", "",
	    tu_utc(2024, 6, 3, 9, 30));
	assert_int_equal(d.action, SG_BLOCK);
}

static void
test_unknown(void **state)
{
	struct fixture *fx = *state;
	struct policy_decision d;

	d = decide(fx->cfg, "10.30.0.5", "", "", "", IN_HOURS);
	assert_int_equal(d.action, SG_LOG);
	assert_string_equal(d.rule_name, "unknown-traffic");
	assert_string_equal(d.clause, "9.1");
}

static void
trace_count(void *arg, const char *fmt, ...)
{
	(void)fmt;
	++*(int *)arg;
}

static void
test_trace(void **state)
{
	struct fixture *fx = *state;
	struct policy_decision d;
	struct policy_flow f;
	struct sg_addr ip;
	struct ident id;
	int lines = 0;

	sg_addr_parse("10.10.0.9", &ip);
	ident_resolve(fx->cfg, NULL, NULL, &ip, NULL, -1, &id);
	memset(&f, 0, sizeof(f));
	f.id = &id;
	f.master = "TLS";
	f.proto = "Facebook";
	f.host = "";
	f.categories = 1;
	f.when = IN_HOURS;
	policy_decide(fx->cfg, &f, &d, trace_count, &lines);
	/* school hours, education skipped, the staff rule matched */
	assert_int_equal(lines, 3);
}

/* A flow kept as the worker keeps it, decided first at when. */
static struct policy_kept
kept_flow(const struct sg_config *cfg, const char *who, const char *proto,
    const char *host, time_t when, struct policy_decision *first)
{
	struct policy_kept k;
	struct ident id;

	resolve_who(cfg, who, "lan-staff", &id);
	*first = decide(cfg, who, "TLS", proto, host, when);
	policy_kept_init(&k, &id, "lan-staff", "TLS", proto, host, first);
	return k;
}

static void
redecide(const struct sg_config *cfg, const struct policy_kept *k,
    time_t when, struct ident *id, struct policy_decision *d)
{
	uint64_t cats;

	policy_redecide(cfg, k, when, id, &cats, d);
}

/* The clock alone: logged after hours, blocked in them, and back. */
static void
test_redecide_clock(void **state)
{
	struct fixture *fx = *state;
	struct policy_decision first, d;
	struct policy_kept k;
	struct ident id;

	k = kept_flow(fx->cfg, "10.10.0.77", "Facebook", "www.facebook.com",
	    AFTER_HOURS, &first);
	assert_string_equal(first.rule_name, "staff-social-after");
	assert_false(k.fixed);
	redecide(fx->cfg, &k, IN_HOURS, &id, &d);
	assert_int_equal(d.action, SG_BLOCK);
	assert_string_equal(d.rule_name, "staff-social-hours");
	assert_true(d.in_school_hours);
	assert_string_equal(fx->cfg->people[id.person].id, "jsmith");
	assert_string_equal(fx->cfg->devices[id.device].name, "js-laptop");
	redecide(fx->cfg, &k, AFTER_HOURS, &id, &d);
	assert_int_equal(d.action, SG_LOG);
	assert_string_equal(d.rule_name, "staff-social-after");
	/* education is allowed whenever: the same outcome both times */
	k = kept_flow(fx->cfg, "10.10.0.77", "TLS", "padlet.com", IN_HOURS,
	    &first);
	redecide(fx->cfg, &k, AFTER_HOURS, &id, &d);
	assert_int_equal(d.action, first.action);
	assert_string_equal(d.rule_name, first.rule_name);
}

/* A config with the same rules but other people, devices and groups. */
static struct sg_config *
reloaded(const char *from, const char *to)
{
	char text[8192];
	const char *at = strstr(conf_text, from);

	assert_non_null(at);
	snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - conf_text),
	    conf_text, to, at + strlen(from));
	return tu_load_config(text);
}

/* After a reload, names are resolved again in the new config. */
static void
test_redecide_reload(void **state)
{
	struct fixture *fx = *state;
	struct policy_decision first, d;
	struct sg_config *cfg;
	struct policy_kept k;
	struct ident id;

	k = kept_flow(fx->cfg, "10.10.0.77", "Facebook", "www.facebook.com",
	    IN_HOURS, &first);
	assert_int_equal(first.action, SG_BLOCK);

	/* the laptop is gone: its address still puts it in staff */
	cfg = reloaded("  { name = \"js-laptop\"; ip = \"10.10.0.77\"; "
	    "owner = \"jsmith\"; } );", "  { name = \"x\"; ip = \"10.9.9.9\"; } );");
	assert_non_null(cfg);
	redecide(cfg, &k, IN_HOURS, &id, &d);
	assert_int_equal(id.device, -1);
	assert_int_equal(id.person, -1);
	assert_string_equal(cfg->groups[id.group].name, "staff");
	assert_int_equal(d.action, SG_BLOCK);
	conf_free(cfg);

	/* staff's subnet moved: the owner's group still says staff */
	cfg = reloaded("subnets = [\"10.10.0.0/16\"]", "subnets = [\"10.11.0.0/16\"]");
	assert_non_null(cfg);
	redecide(cfg, &k, IN_HOURS, &id, &d);
	assert_string_equal(cfg->groups[id.group].name, "staff");
	assert_int_equal(d.action, SG_BLOCK);
	conf_free(cfg);
	/* the owner is gone too: the default group, which no rule names */
	cfg = reloaded("subnets = [\"10.10.0.0/16\"]", "subnets = [\"10.11.0.0/16\"]");
	assert_non_null(cfg);
	cfg->devices[conf_device_index(cfg, "js-laptop")].owner = -1;
	redecide(cfg, &k, IN_HOURS, &id, &d);
	assert_string_equal(cfg->groups[id.group].name, "guests");
	assert_int_equal(d.action, SG_ALLOW);
	assert_string_equal(d.rule_name, "default");
	conf_free(cfg);

	/* the rule itself changed: now a log in hours too */
	cfg = reloaded("{ name = \"staff-social-hours\"; clause = \"7.3\"; "
	    "action = \"block\";", "{ name = \"staff-social-hours\"; "
	    "clause = \"7.4\"; action = \"log\";");
	assert_non_null(cfg);
	redecide(cfg, &k, IN_HOURS, &id, &d);
	assert_int_equal(d.action, SG_LOG);
	assert_string_equal(d.clause, "7.4");
	conf_free(cfg);
}

/* An exemption that lapses, and an engine outcome that stays. */
static void
test_redecide_account_and_fixed(void **state)
{
	struct fixture *fx = *state;
	struct policy_decision first, d;
	struct policy_kept k;
	struct ident id;
	char rule[SG_NAME_MAX], clause[16];

	k = kept_flow(fx->cfg, "02:00:00:00:10:32", "Facebook",
	    "www.facebook.com", IN_HOURS, &first);
	assert_int_equal(first.action, SG_ALLOW);
	policy_rule_label(fx->cfg, &first, rule, sizeof(rule), clause,
	    sizeof(clause));
	assert_string_equal(rule, "account:School Facebook");
	assert_string_equal(clause, "6.8");
	/* the day after the account ends, the same open flow is blocked */
	redecide(fx->cfg, &k, tu_utc(2027, 9, 1, 9, 30), &id, &d);
	assert_int_equal(d.action, SG_BLOCK);
	assert_int_equal(d.account, -1);
	assert_string_equal(d.rule_name, "staff-social-hours");
	policy_rule_label(fx->cfg, &d, rule, sizeof(rule), clause,
	    sizeof(clause));
	assert_string_equal(rule, "staff-social-hours");

	first.rule = -1;
	first.rule_name = "quic-fallback";
	policy_kept_init(&k, &id, NULL, "QUIC", "QUIC", "", &first);
	assert_true(k.fixed);
	first.rule_name = "default";
	policy_kept_init(&k, &id, NULL, "TLS", "TLS", "", &first);
	assert_false(k.fixed);
}

/* A flow decided under an 802.1X session keeps it when decided again:
 * the main thread has no session table, and John Smith at a guest
 * address must not turn into a guest at the school-hours boundary. */
static void
test_redecide_8021x(void **state)
{
	struct fixture *fx = *state;
	struct rad_table t = { 0 };
	struct rad_session s;
	struct policy_decision first, d;
	struct policy_flow f;
	struct policy_kept k;
	struct ident id;

	memset(&s, 0, sizeof(s));
	snprintf(s.user, sizeof(s.user), "JSmith@school.sch.uk");
	s.ip4 = tu_ip("10.30.0.5");
	assert_int_equal(rad_apply(&t, RAD_START, &s), 0);
	ident_resolve(fx->cfg, &(struct ident_data){ NULL, &t }, NULL, &s.ip4,
	    NULL, -1, &id);
	rad_table_free(&t);
	assert_int_equal(id.source, IDSRC_8021X);
	policy_flow_init(&f, fx->cfg, &id, "TLS", "Facebook",
	    "www.facebook.com", AFTER_HOURS);
	policy_decide(fx->cfg, &f, &first, NULL, NULL);
	assert_string_equal(first.rule_name, "staff-social-after");
	policy_kept_init(&k, &id, NULL, "TLS", "Facebook", "www.facebook.com",
	    &first);
	redecide(fx->cfg, &k, IN_HOURS, &id, &d);
	assert_int_equal(id.source, IDSRC_8021X);
	assert_string_equal(fx->cfg->people[id.person].id, "jsmith");
	assert_int_equal(d.action, SG_BLOCK);
	assert_string_equal(d.rule_name, "staff-social-hours");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_categories),
		cmocka_unit_test(test_first_match_wins),
		cmocka_unit_test(test_negated_schedule),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_professional_account),
		cmocka_unit_test(test_exemption_expiry),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_redecide_clock),
		cmocka_unit_test(test_redecide_reload),
		cmocka_unit_test(test_redecide_account_and_fixed),
		cmocka_unit_test(test_redecide_8021x),
		cmocka_unit_test(test_enforce_school_resolver),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
