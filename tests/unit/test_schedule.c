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

/* A config with one schedule, for sched_next_change alone. */
static struct sg_config *
one_schedule(const char *sched)
{
	char text[1024];

	snprintf(text, sizeof(text),
	    "school = { name = \"T\"; timezone = \"Europe/London\";"
	    "  school_hours = \"s\"; };\n"
	    "schedules = ( { name = \"s\"; %s } );\n"
	    "groups = ( { name = \"staff\"; } );\n"
	    "default_group = \"staff\";\n", sched);
	return tu_load_config(text);
}

#define NEXT(cfg, y, mo, d, h, mi) \
	sched_next_change((cfg), tu_utc((y), (mo), (d), (h), (mi)))

/* Range edges on school days; midnight every day, even at weekends. */
static void
test_next_change_weekdays(void **state)
{
	const struct sg_config *cfg = *state;

	/* Tuesday 17 November 2026, GMT: local time is UTC */
	assert_int_equal(NEXT(cfg, 2026, 11, 17, 7, 0),
	    tu_utc(2026, 11, 17, 8, 0));
	assert_int_equal(NEXT(cfg, 2026, 11, 17, 10, 30),
	    tu_utc(2026, 11, 17, 16, 30));
	/* at a boundary, the next one: "after now" */
	assert_int_equal(NEXT(cfg, 2026, 11, 17, 16, 30),
	    tu_utc(2026, 11, 18, 0, 0));
	assert_int_equal(sched_next_change(cfg, tu_utc(2026, 11, 17, 16, 29) +
	    59), tu_utc(2026, 11, 17, 16, 30));
	/* Friday evening: Saturday's midnight, then Sunday's, Monday's */
	assert_int_equal(NEXT(cfg, 2026, 11, 20, 17, 0),
	    tu_utc(2026, 11, 21, 0, 0));
	assert_int_equal(NEXT(cfg, 2026, 11, 21, 0, 0),
	    tu_utc(2026, 11, 22, 0, 0));
	assert_int_equal(NEXT(cfg, 2026, 11, 23, 0, 0),
	    tu_utc(2026, 11, 23, 8, 0));
	/* BST: local midnight is 23:00 UTC the day before */
	assert_int_equal(NEXT(cfg, 2026, 10, 23, 16, 0),
	    tu_utc(2026, 10, 23, 23, 0));
	assert_int_equal(NEXT(cfg, 2026, 10, 22, 6, 0),
	    tu_utc(2026, 10, 22, 7, 0));
}

/* Outside term and on closures the hours never start: next midnight. */
static void
test_next_change_terms_closures(void **state)
{
	struct sg_config *cfg;

	(void)state;
	cfg = one_schedule("weekdays = [\"mon\",\"tue\",\"wed\",\"thu\","
	    "\"fri\"]; times = [\"08:00-16:30\"];"
	    "terms = ( { name = \"A\"; from = \"2026-11-02\";"
	    " to = \"2026-12-18\"; } );"
	    "closures = ( { date = \"2026-11-30\"; name = \"INSET\"; } );");
	assert_non_null(cfg);
	/* Friday 30 October: half term */
	assert_int_equal(NEXT(cfg, 2026, 10, 30, 0, 0),
	    tu_utc(2026, 10, 31, 0, 0));
	/* Monday 2 November: first day of term */
	assert_int_equal(NEXT(cfg, 2026, 11, 2, 0, 0),
	    tu_utc(2026, 11, 2, 8, 0));
	/* Monday 30 November: INSET day, then Tuesday as usual */
	assert_int_equal(NEXT(cfg, 2026, 11, 30, 0, 0),
	    tu_utc(2026, 12, 1, 0, 0));
	assert_int_equal(NEXT(cfg, 2026, 12, 1, 0, 0),
	    tu_utc(2026, 12, 1, 8, 0));
	/* Friday 18 December, last day: its end, then no more */
	assert_int_equal(NEXT(cfg, 2026, 12, 18, 9, 0),
	    tu_utc(2026, 12, 18, 16, 30));
	assert_int_equal(NEXT(cfg, 2026, 12, 21, 0, 0),
	    tu_utc(2026, 12, 22, 0, 0));
	conf_free(cfg);
}

/*
 * Sunday 25 October 2026: 01:00-02:00 happens twice (BST, then GMT), so
 * a 01:30-01:45 range starts and ends twice.  Sunday 28 March 2027:
 * 01:00-02:00 never happens, so 01:30-02:30 starts at 02:00 BST.
 */
static void
test_next_change_dst(void **state)
{
	struct sg_config *cfg;

	(void)state;
	cfg = one_schedule("weekdays = [\"sun\"];"
	    " times = [\"01:30-01:45\", \"03:00-03:10\"];");
	assert_non_null(cfg);
	/* 00:00 UTC is 01:00 BST */
	assert_int_equal(NEXT(cfg, 2026, 10, 25, 0, 0),
	    tu_utc(2026, 10, 25, 0, 30));
	assert_int_equal(NEXT(cfg, 2026, 10, 25, 0, 30),
	    tu_utc(2026, 10, 25, 0, 45));
	/* then 01:00 GMT comes, and 01:30 GMT */
	assert_int_equal(NEXT(cfg, 2026, 10, 25, 0, 45),
	    tu_utc(2026, 10, 25, 1, 30));
	assert_int_equal(NEXT(cfg, 2026, 10, 25, 1, 30),
	    tu_utc(2026, 10, 25, 1, 45));
	assert_int_equal(NEXT(cfg, 2026, 10, 25, 1, 45),
	    tu_utc(2026, 10, 25, 3, 0));
	conf_free(cfg);

	cfg = one_schedule("weekdays = [\"sun\"]; times = [\"01:30-02:30\"];");
	assert_non_null(cfg);
	/* 00:59 UTC is 00:59 GMT; a minute later it is 02:00 BST */
	assert_int_equal(NEXT(cfg, 2027, 3, 28, 0, 0),
	    tu_utc(2027, 3, 28, 1, 0));
	assert_int_equal(NEXT(cfg, 2027, 3, 28, 1, 0),
	    tu_utc(2027, 3, 28, 1, 30));
	/* midnight BST */
	assert_int_equal(NEXT(cfg, 2027, 3, 28, 1, 30),
	    tu_utc(2027, 3, 28, 23, 0));
	conf_free(cfg);
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
		cmocka_unit_test(test_next_change_weekdays),
		cmocka_unit_test(test_next_change_terms_closures),
		cmocka_unit_test(test_next_change_dst),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
