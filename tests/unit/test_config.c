/*
 * conf_load(): the shipped example resolves as the policy intends, and a
 * broken file yields every error with the right line.  Runs from the repo
 * root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "config.h"

#define EXAMPLE	"conf/schoolgate.conf"

static int32_t
day(const char *s)
{
	int32_t d = -1;

	assert_int_equal(sg_date_parse(s, &d), 0);
	return d;
}

/* Writes text to a fresh temporary file; path must hold 64 bytes. */
static void
write_temp(char *path, const char *text)
{
	int fd;

	snprintf(path, 64, "/tmp/test_config.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static const struct conf_rule *
find_rule(const struct sg_config *c, const char *name)
{
	for (size_t i = 0; i < c->nrules; i++)
		if (strcmp(c->rules[i].name, name) == 0)
			return &c->rules[i];
	fail_msg("no rule %s", name);
	return NULL;
}

static int
has_index(const int *v, size_t n, int want)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == want)
			return 1;
	return 0;
}

static void
assert_error(const struct conf_errors *e, size_t i, const char *path,
    int line, const char *substr)
{
	char prefix[128];

	assert_true(i < e->n);
	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	if (strncmp(e->msg[i], prefix, strlen(prefix)) != 0 ||
	    strstr(e->msg[i], substr) == NULL)
		fail_msg("error %zu is \"%s\", want \"%s...%s\"", i, e->msg[i],
		    prefix, substr);
}

static void
test_example_school_and_schedule(void **state)
{
	struct conf_errors errs;
	struct sg_config *c = conf_load(EXAMPLE, &errs);
	const struct conf_schedule *s;
	int32_t may_day = day("2027-05-03");
	int found = 0;

	if (c == NULL)
		fail_msg("example rejected: %s", errs.n ? errs.msg[0] : "?");
	assert_int_equal(errs.n, 0);
	assert_string_equal(c->school_name, "Clifton Lodge School");
	assert_string_equal(c->timezone, "Europe/London");
	assert_int_equal(c->school_hours,
	    conf_schedule_index(c, "school-hours"));
	s = &c->schedules[c->school_hours];
	assert_int_equal(s->weekdays, 0x1f);	/* Monday..Friday */
	assert_int_equal(s->ntimes, 1);
	assert_int_equal(s->times[0].start, 8 * 60);
	assert_int_equal(s->times[0].end, 16 * 60 + 30);
	assert_int_equal(s->nterms, 6);
	assert_int_equal(s->terms[0].first, day("2026-09-03"));
	assert_int_equal(s->terms[0].last, day("2026-10-23"));
	assert_int_equal(s->terms[1].first, day("2026-11-02"));
	assert_int_equal(s->terms[5].last, day("2027-07-21"));
	for (size_t i = 0; i < s->nclosures; i++)
		found |= s->closures[i].day == may_day;
	assert_true(found);
	conf_free(c);
}

static void
test_example_people_and_rules(void **state)
{
	struct conf_errors errs;
	struct sg_config *c = conf_load(EXAMPLE, &errs);
	const struct conf_rule *r;
	int staff, social, ipad, sward;

	assert_non_null(c);
	staff = conf_group_index(c, "staff");
	social = conf_category_index(c, "personal-social");
	ipad = conf_device_index(c, "comms-ipad");
	sward = conf_person_index(c, "sward");
	assert_true(staff >= 0 && social >= 0 && ipad >= 0 && sward >= 0);
	assert_int_equal(c->default_group, conf_group_index(c, "guests"));
	assert_int_equal(c->groups[staff].subnets[0].addr.family, AF_INET);
	assert_int_equal(c->groups[staff].subnets[0].prefix, 16);
	assert_int_equal(c->groups[staff].subnets[0].addr.a[1], 10);
	assert_int_equal(c->groups[staff].subnets[1].prefix, 64);
	assert_true(has_index(c->groups[staff].devices,
	    c->groups[staff].ndevices, ipad));
	assert_int_equal(c->devices[ipad].owner, sward);
	assert_true(c->devices[ipad].has_mac && c->devices[ipad].has_ip);
	assert_int_equal(c->devices[ipad].mac[5], 0x32);
	assert_true(c->devices[ipad].school_owned);

	r = find_rule(c, "staff-social-in-hours");
	assert_string_equal(r->clause, "7.3");
	assert_int_equal(r->action, SG_BLOCK);
	assert_true(has_index(r->groups, r->ngroups, staff));
	assert_int_equal(r->categories, UINT64_C(1) << social);
	assert_int_equal(r->schedule, c->school_hours);
	assert_false(r->schedule_negate);
	r = find_rule(c, "staff-social-out-of-hours");
	assert_int_equal(r->action, SG_LOG);
	assert_true(r->schedule_negate);
	assert_int_equal(c->circumvention,
	    conf_category_index(c, "circumvention"));
	conf_free(c);
}

static void
test_example_accounts(void **state)
{
	struct conf_errors errs;
	struct sg_config *c = conf_load(EXAMPLE, &errs);
	const struct conf_account *a;

	assert_non_null(c);
	assert_true(c->naccounts >= 2);
	a = &c->accounts[0];
	assert_string_equal(a->name, "Clifton Lodge School Facebook page");
	assert_int_equal(a->category, -1);
	assert_string_equal(a->app, "Facebook");
	assert_int_equal(a->approved, day("2025-09-01"));
	assert_int_equal(a->review_by, day("2026-09-01"));
	assert_int_equal(a->ends, day("2027-08-31"));
	assert_int_equal(a->nowners, 1);
	assert_int_equal(a->owners[0], conf_person_index(c, "sward"));
	assert_int_equal(a->devices[0], conf_device_index(c, "comms-ipad"));
	assert_true(a->auth_8021x);	/* a copied MAC gets nothing */
	assert_false(c->accounts[1].auth_8021x);
	assert_true(c->accounts[1].ends < day("2026-09-01"));
	conf_free(c);
}

static void
test_defaults_and_normalising(void **state)
{
	static const char text[] =
	    "school = { name = \"S\"; school_hours = \"h\"; };\n"
	    "schedules = ( { name = \"h\"; weekdays = [ \"sat\", \"sun\" ];\n"
	    "  times = [ \"18:00-24:00\" ]; closures = ( \"2026-12-25\" ); } );\n"
	    "groups = ( { name = \"g\"; subnets = [ \"10.10.5.7/16\","
	    " \"fd00:10::99/64\" ]; } );\n"
	    "default_group = \"g\";\n"
	    "categories = ( { name = \"c\"; hosts = [ \"*.Example.ORG\" ]; } );\n"
	    "rules = ( { name = \"r\"; clause = \"1\"; action = \"log\";\n"
	    "  schedule = \"!h\"; } );\n";
	struct conf_errors errs;
	struct sg_config *c;
	char path[64];

	write_temp(path, text);
	c = conf_load(path, &errs);
	unlink(path);
	if (c == NULL)
		fail_msg("rejected: %s", errs.n ? errs.msg[0] : "?");
	assert_string_equal(c->timezone, "Europe/London");
	assert_int_equal(c->max_packets, 12);
	assert_int_equal(c->unknown_action, SG_ALLOW);
	assert_null(c->unknown_clause);
	assert_int_equal(c->circumvention, -1);
	assert_null(c->leases_path);
	assert_string_equal(c->db_path, "/var/lib/schoolgate/records.db");
	assert_int_equal(c->retention_days, 400);
	assert_int_equal(c->queue_count, 1);
	assert_int_equal(c->queue_maxlen, 4096);
	assert_true(c->fail_open);
	assert_string_equal(c->user, "schoolgate");
	assert_int_equal(c->schedules[0].weekdays, 0x60);
	assert_int_equal(c->schedules[0].times[0].end, 24 * 60);
	assert_int_equal(c->schedules[0].closures[0].day, day("2026-12-25"));
	/* host bits cleared */
	assert_int_equal(c->groups[0].subnets[0].addr.a[2], 0);
	assert_int_equal(c->groups[0].subnets[0].addr.a[3], 0);
	assert_int_equal(c->groups[0].subnets[1].addr.a[15], 0);
	assert_string_equal(c->categories[0].hosts[0], "*.example.org");
	assert_int_equal(c->rules[0].schedule, 0);
	assert_true(c->rules[0].schedule_negate);
	assert_int_equal(c->rules[0].categories, 0);
	assert_int_equal(c->rules[0].ngroups, 0);
	conf_free(c);
}

static void
test_every_error_reported(void **state)
{
	static const char text[] =
	    "school = { name = \"S\"; school_hours = \"h\"; };\n"	/* 1 */
	    "schedules = ( { name = \"h\"; weekdays = [ \"mon\" ];\n"	/* 2 */
	    "  times = [ \"08:00-25:00\" ]; } );\n"			/* 3 */
	    "groups = ( { name = \"g\"; subnets = [ \"10.0.0.0/33\" ]; },\n"
	    "  { name = \"g\"; } );\n"				/* 5 */
	    "default_group = \"nobody\";\n"				/* 6 */
	    "rules = ( { name = \"r\"; clause = \"1\";\n"		/* 7 */
	    "  action = \"deny\"; categories = [ \"bogus\" ]; } );\n"	/* 8 */
	    "whatever = 1;\n";					/* 9 */
	struct conf_errors errs;
	struct sg_config *c;
	char path[64];

	write_temp(path, text);
	c = conf_load(path, &errs);
	unlink(path);
	assert_null(c);
	assert_int_equal(errs.n, 7);
	/* reported in the order sections are checked */
	assert_error(&errs, 0, path, 9, "unknown key \"whatever\"");
	assert_error(&errs, 1, path, 3, "invalid time range \"08:00-25:00\"");
	assert_error(&errs, 2, path, 4, "invalid subnet \"10.0.0.0/33\"");
	assert_error(&errs, 3, path, 5, "duplicate group \"g\"");
	assert_error(&errs, 4, path, 6, "unknown group \"nobody\"");
	assert_error(&errs, 5, path, 8, "invalid action \"deny\"");
	assert_error(&errs, 6, path, 8, "unknown category \"bogus\"");
	conf_errors_clear(&errs);
	assert_int_equal(errs.n, 0);
	assert_null(errs.msg);
}

static void
test_syntax_error_and_missing_file(void **state)
{
	struct conf_errors errs;
	char path[64];

	write_temp(path, "school = {\n  name = \"S\"\n  oops\n};\n");
	assert_null(conf_load(path, &errs));
	unlink(path);
	assert_int_equal(errs.n, 1);
	assert_error(&errs, 0, path, 4, "syntax error");
	conf_errors_clear(&errs);

	assert_null(conf_load("/nonexistent/schoolgate.conf", &errs));
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.msg[0], "/nonexistent/schoolgate.conf:"));
	conf_errors_clear(&errs);
}

/* enforce_school_resolver needs the category it enforces, by default
 * "encrypted-dns"; a named one must exist. */
#define ENC_BASE \
	"school = { name = \"S\"; school_hours = \"h\"; };\n"		\
	"schedules = ( { name = \"h\"; weekdays = [ \"mon\" ]; } );\n"	\
	"groups = ( { name = \"g\"; } );\ndefault_group = \"g\";\n"
static void
test_enforce_school_resolver_category(void **state)
{
	static const struct { const char *dns; int line; const char *msg; }
	    cases[] = {
		{ "dns = {\n  enforce_school_resolver = true;\n};\n", 6,
		    "enforce_school_resolver needs" },
		{ "dns = { enforce_school_resolver = true;\n"
		    "  encrypted_dns_category = \"nope\"; };\n", 6, "nope" },
	};
	struct conf_errors errs;
	char path[64], text[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", ENC_BASE, cases[i].dns);
		write_temp(path, text);
		assert_null(conf_load(path, &errs));
		assert_int_equal(errs.n, 1);
		assert_error(&errs, 0, path, cases[i].line, cases[i].msg);
		conf_errors_clear(&errs);
		unlink(path);
	}
}

#define PF_CONF(csv) \
	"school = { name = \"S\"; school_hours = \"h\"; };\n"	\
	"schedules = ( { name = \"h\"; weekdays = [ \"mon\" ]; } );\n" \
	"groups = ( { name = \"staff\"; }, { name = \"pupils\"; } );\n" \
	"default_group = \"pupils\";\n"					\
	"people = ( { id = \"sward\"; name = \"Sue Ward\"; group = \"staff\"; } );\n" \
	"devices = ( { name = \"ipad\"; mac = \"02:00:00:00:10:32\"; } );\n" \
	"identity = { people_file = \"" csv "\"; };\n"

/* The staff directory CSV: people and devices beside the config's own,
 * and every bad row as FILE:LINE. */
static void
test_people_file(void **state)
{
	struct conf_errors errs;
	struct sg_config *c;
	char csv[64], path[64], text[1024];
	int p;

	write_temp(csv, "# exported from the MIS\n"
	    "ID,Name,Group,Roles,Logins,Devices\r\n"
	    "jsmith,\"Smith, John \"\"JS\"\"\",staff,teacher,"
	    "john.smith@school.sch.uk;js2,02:00:00:00:10:03 06:11:22:33:44:55\n"
	    "\n"
	    "apupil,A Pupil,pupils,,,\n");
	snprintf(text, sizeof(text), PF_CONF("%s"), csv);
	write_temp(path, text);
	c = conf_load(path, &errs);
	unlink(path);
	assert_non_null(c);
	assert_int_equal(c->npeople, 3);
	p = conf_person_index(c, "jsmith");
	assert_int_equal(p, 1);
	assert_string_equal(c->people[p].name, "Smith, John \"JS\"");
	assert_int_equal(c->people[p].group, conf_group_index(c, "staff"));
	assert_int_equal(c->people[p].nlogins, 2);
	assert_string_equal(c->people[p].logins[1], "js2");
	assert_int_equal(c->people[p].nroles, 1);
	assert_int_equal(c->people[p].line, 3);
	assert_int_equal(c->ndevices, 3);
	assert_int_equal(c->devices[conf_device_index(c, "jsmith-2")].owner, p);
	assert_int_equal(conf_person_index(c, "apupil"), 2);
	conf_free(c);

	/* re-read as it is now: a reload sees the new file */
	write_temp(path, "id,name,group,devices\n"
	    "sward,Sue Again,staff,\n"			/* 2 */
	    "x,X,nogroup,\n"				/* 3 */
	    "y,Y,staff\n"				/* 4 */
	    "z,Z,staff,02:00:00:00:10:32\n"		/* 5 */
	    "w,\"W,staff,\n"				/* 6 */
	    "v,V,staff,not-a-mac\n");			/* 7 */
	snprintf(text, sizeof(text), PF_CONF("%s"), path);
	write_temp(csv, text);
	c = conf_load(csv, &errs);
	unlink(csv);
	unlink(path);
	assert_null(c);
	assert_int_equal(errs.n, 6);
	assert_error(&errs, 0, path, 2, "person \"sward\" is already defined");
	assert_error(&errs, 1, path, 3, "unknown group \"nogroup\"");
	assert_error(&errs, 2, path, 4, "not as many columns as the header");
	assert_error(&errs, 3, path, 6, "unterminated quoted field");
	assert_error(&errs, 4, path, 7, "invalid MAC \"not-a-mac\"");
	assert_error(&errs, 5, path, 5, "MAC already used by device \"ipad\"");
	conf_errors_clear(&errs);
}

static void
collect(void *arg, const char *msg)
{
	struct conf_errors *w = arg;

	w->msg = realloc(w->msg, (w->n + 1) * sizeof(*w->msg));
	assert_non_null(w->msg);
	w->msg[w->n++] = strdup(msg);
}

/* A group with IPv4 subnets and nothing for IPv6 is warned about; an
 * interface or an IPv6 subnet answers it.  So is an 802.1X account with
 * no sessions to find.  The shipped config has neither. */
static void
test_warn_ipv6(void **state)
{
	static const char text[] =
	    "school = { name = \"S\"; school_hours = \"h\"; };\n"
	    "schedules = ( { name = \"h\"; weekdays = [ \"mon\" ]; } );\n"
	    "groups = ( { name = \"a\"; subnets = [ \"10.1.0.0/16\" ]; },\n"
	    "  { name = \"b\"; subnets = [ \"10.2.0.0/16\" ];\n"
	    "    interfaces = [ \"eth2\" ]; },\n"
	    "  { name = \"c\"; subnets = [ \"10.3.0.0/16\", \"fd00::/64\" ]; },\n"
	    "  { name = \"d\"; } );\n"
	    "default_group = \"d\";\n"
	    "people = ( { id = \"p\"; name = \"P\"; group = \"d\"; } );\n"
	    "professional_accounts = ( { name = \"page\"; platform = \"Facebook\";\n"
	    "  owners = [ \"p\" ]; auth = \"8021x\"; approved = \"2025-01-01\";\n"
	    "  review_by = \"2026-01-01\"; ends = \"2027-01-01\"; } );\n";
	struct conf_errors errs, warns = { NULL, 0 };
	struct sg_config *c;
	char path[64];

	write_temp(path, text);
	c = conf_load(path, &errs);
	unlink(path);
	assert_non_null(c);
	conf_warnings(c, collect, &warns);
	assert_int_equal(warns.n, 2);
	assert_error(&warns, 0, path, 3, "warning: group \"a\" has IPv4");
	assert_error(&warns, 1, path, 10, "account \"page\" wants an 802.1X");
	conf_errors_clear(&warns);
	conf_free(c);
	assert_non_null(c = conf_load(EXAMPLE, &errs));
	conf_warnings(c, collect, &warns);
	assert_int_equal(warns.n, 0);
	conf_free(c);
}

static void
test_lookups_absent(void **state)
{
	struct conf_errors errs;
	struct sg_config *c = conf_load(EXAMPLE, &errs);

	assert_non_null(c);
	assert_int_equal(conf_group_index(c, "nope"), -1);
	assert_int_equal(conf_person_index(c, "nope"), -1);
	assert_int_equal(conf_device_index(c, "nope"), -1);
	assert_int_equal(conf_category_index(c, "nope"), -1);
	assert_int_equal(conf_schedule_index(c, "nope"), -1);
	assert_int_equal(conf_group_index(NULL, "staff"), -1);
	conf_free(c);
	conf_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_school_and_schedule),
		cmocka_unit_test(test_example_people_and_rules),
		cmocka_unit_test(test_example_accounts),
		cmocka_unit_test(test_defaults_and_normalising),
		cmocka_unit_test(test_every_error_reported),
		cmocka_unit_test(test_syntax_error_and_missing_file),
		cmocka_unit_test(test_lookups_absent),
		cmocka_unit_test(test_people_file),
		cmocka_unit_test(test_enforce_school_resolver_category),
		cmocka_unit_test(test_warn_ipv6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
