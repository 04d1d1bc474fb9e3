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

static struct policy_decision
decide(const struct sg_config *cfg, const char *who, const char *master,
    const char *proto, const char *host, time_t when)
{
	struct policy_decision d;
	struct policy_flow f;
	struct sg_addr ip;
	struct ident id;
	uint8_t mac[6];
	bool is_mac = sg_mac_parse(who, mac) == 0;

	memset(&ip, 0, sizeof(ip));
	if (!is_mac)
		assert_int_equal(sg_addr_parse(who, &ip), 0);
	ident_resolve(cfg, NULL, is_mac ? mac : NULL, &ip, NULL, -1, &id);
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
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
