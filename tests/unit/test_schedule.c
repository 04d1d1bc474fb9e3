#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "schedule.h"
#include "testutil.h"

static const char *conf_text =
    "school = { name = \"T\"; timezone = \"Europe/London\";"
    "  school_hours = \"hours\"; };\n"
    "schedules = (\n"
    "  { name = \"hours\"; weekdays = [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"];\n"
    "    times = [\"08:00-16:30\"]; },\n"
    "  { name = \"termtime\"; weekdays = [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"];\n"
    "    times = [\"08:00-16:30\"];\n"
    "    terms = ( { name = \"Autumn\"; from = \"2026-09-03\"; to = \"2026-10-23\"; },\n"
    "              { name = \"Autumn 2\"; from = \"2026-11-02\"; to = \"2026-12-18\"; } );\n"
    "    closures = ( { date = \"2026-11-30\"; name = \"INSET day\"; } ); }\n"
    ");\n"
    "groups = ( { name = \"staff\"; } );\n"
    "default_group = \"staff\";\n";

static int
setup(void **state)
{
	struct sg_config *cfg = tu_load_config(conf_text);

	if (cfg == NULL || sched_set_timezone(cfg->timezone) == -1)
		return -1;
	*state = cfg;
	return 0;
}

static int
teardown(void **state)
{
	conf_free(*state);
	return 0;
}

static bool
active_at(const struct sg_config *cfg, const char *sched, time_t t)
{
	struct sched_local lt;

	sched_localtime(t, &lt);
	return sched_active(&cfg->schedules[conf_schedule_index(cfg, sched)],
	    &lt, NULL, 0);
}

/* Clocks go back at 02:00 BST on Sunday 25 October 2026. */
static void
test_october_change(void **state)
{
	const struct sg_config *cfg = *state;

	/* Friday before: 07:30 UTC is 08:30 BST, school has started */
	assert_true(active_at(cfg, "hours", tu_utc(2026, 10, 23, 7, 30)));
	/* 15:45 UTC is 16:45 BST: school is over */
	assert_false(active_at(cfg, "hours", tu_utc(2026, 10, 23, 15, 45)));
	/* Monday after: GMT, so 07:30 UTC is 07:30 local, too early */
	assert_false(active_at(cfg, "hours", tu_utc(2026, 10, 26, 7, 30)));
	assert_true(active_at(cfg, "hours", tu_utc(2026, 10, 26, 8, 0)));
	assert_true(active_at(cfg, "hours", tu_utc(2026, 10, 26, 16, 29)));
	assert_false(active_at(cfg, "hours", tu_utc(2026, 10, 26, 16, 30)));
}

/* Clocks go forward at 01:00 GMT on Sunday 28 March 2027. */
static void
test_march_change(void **state)
{
	const struct sg_config *cfg = *state;
	struct sched_local lt;

	assert_true(active_at(cfg, "hours", tu_utc(2027, 3, 26, 8, 15)));
	assert_false(active_at(cfg, "hours", tu_utc(2027, 3, 26, 7, 45)));
	/* Monday after: 07:15 UTC is 08:15 BST */
	assert_true(active_at(cfg, "hours", tu_utc(2027, 3, 29, 7, 15)));
	assert_false(active_at(cfg, "hours", tu_utc(2027, 3, 29, 6, 45)));
	assert_false(active_at(cfg, "hours", tu_utc(2027, 3, 29, 15, 30)));
	sched_localtime(tu_utc(2027, 3, 29, 7, 15), &lt);
	assert_true(lt.dst);
	assert_int_equal(lt.minute, 8 * 60 + 15);
	assert_int_equal(lt.weekday, 0);
}

static void
test_parse_local_across_changes(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(sched_parse_local("2026-10-23 10:30", &t), 0);
	assert_int_equal(t, tu_utc(2026, 10, 23, 9, 30));	/* BST */
	assert_int_equal(sched_parse_local("2026-10-27 10:30", &t), 0);
	assert_int_equal(t, tu_utc(2026, 10, 27, 10, 30));	/* GMT */
	assert_int_equal(sched_parse_local("2027-03-29T10:30", &t), 0);
	assert_int_equal(t, tu_utc(2027, 3, 29, 9, 30));
	assert_int_equal(sched_parse_local("2027-02-30 10:30", &t), -1);
	assert_int_equal(sched_parse_local("2027-02-01 24:00", &t), -1);
	assert_int_equal(sched_parse_local("2027-02-01 10:3", &t), -1);
	assert_int_equal(sched_parse_local("yesterday", &t), -1);
}

static void
test_term_boundaries(void **state)
{
	const struct sg_config *cfg = *state;

	/* last day of the first half term, first day of the second */
	assert_true(active_at(cfg, "termtime", tu_utc(2026, 10, 23, 9, 0)));
	assert_false(active_at(cfg, "termtime", tu_utc(2026, 10, 27, 10, 0)));
	assert_false(active_at(cfg, "termtime", tu_utc(2026, 10, 30, 10, 0)));
	assert_true(active_at(cfg, "termtime", tu_utc(2026, 11, 2, 10, 0)));
	assert_true(active_at(cfg, "termtime", tu_utc(2026, 12, 18, 10, 0)));
	assert_false(active_at(cfg, "termtime", tu_utc(2026, 12, 21, 10, 0)));
	assert_false(active_at(cfg, "termtime", tu_utc(2026, 9, 2, 10, 0)));
	/* the untermed schedule does not care */
	assert_true(active_at(cfg, "hours", tu_utc(2026, 10, 27, 10, 0)));
}

static void
test_closure_and_weekend(void **state)
{
	const struct sg_config *cfg = *state;
	struct sched_local lt;
	char why[128];

	assert_false(active_at(cfg, "termtime", tu_utc(2026, 11, 30, 10, 0)));
	assert_true(active_at(cfg, "termtime", tu_utc(2026, 12, 1, 10, 0)));
	sched_localtime(tu_utc(2026, 11, 30, 10, 0), &lt);
	sched_active(&cfg->schedules[1], &lt, why, sizeof(why));
	assert_non_null(strstr(why, "INSET day"));
	/* Saturday 28 November */
	assert_false(active_at(cfg, "termtime", tu_utc(2026, 11, 28, 10, 0)));
	sched_localtime(tu_utc(2026, 11, 28, 10, 0), &lt);
	sched_active(&cfg->schedules[1], &lt, why, sizeof(why));
	assert_non_null(strstr(why, "Sat"));
}

static void
test_describe(void **state)
{
	const struct sg_config *cfg = *state;
	char buf[128];

	sched_describe(&cfg->schedules[0], buf, sizeof(buf));
	assert_string_equal(buf, "Mon-Fri 08:00-16:30");
	sched_describe(&cfg->schedules[1], buf, sizeof(buf));
	assert_string_equal(buf, "Mon-Fri 08:00-16:30, in term time");
}

static void
test_bad_timezone(void **state)
{
	(void)state;
	assert_int_equal(sched_set_timezone("Europe/Nowhere"), -1);
	assert_int_equal(sched_set_timezone("../../etc/passwd"), -1);
	assert_int_equal(sched_set_timezone("/etc/localtime"), -1);
	assert_int_equal(sched_set_timezone("Europe/London"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_october_change),
		cmocka_unit_test(test_march_change),
		cmocka_unit_test(test_parse_local_across_changes),
		cmocka_unit_test(test_term_boundaries),
		cmocka_unit_test(test_closure_and_weekend),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_bad_timezone),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
