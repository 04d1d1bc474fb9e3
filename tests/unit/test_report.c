/*
 * Report helpers: HTML and CSV escaping, keyed pseudonyms, period
 * computation across term boundaries and clock changes, and the RFC 5424
 * syslog formatter.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "report.h"
#include "schedule.h"
#include "testutil.h"

static const char *conf_text =
    "school = { name = \"T\"; timezone = \"Europe/London\";"
    "  school_hours = \"hours\"; };\n"
    "schedules = (\n"
    "  { name = \"hours\"; weekdays = [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"];\n"
    "    times = [\"08:00-16:30\"];\n"
    "    terms = ( { name = \"Autumn term (1)\"; from = \"2026-09-03\";"
    "                to = \"2026-10-23\"; },\n"
    "              { name = \"Autumn term (2)\"; from = \"2026-11-02\";"
    "                to = \"2026-12-18\"; } ); }\n"
    ");\n"
    "groups = ( { name = \"staff\"; } );\n"
    "default_group = \"staff\";\n";

/* What f() writes, as a malloc'd string. */
static char *
capture(void (*put)(FILE *, const char *), const char *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	put(f, in);
	fclose(f);
	return buf;
}

static void
test_html_escape(void **state)
{
	char *s;

	s = capture(rpt_html_put, "<script>\"a\"&'b'</script>");
	assert_string_equal(s, "&lt;script&gt;&quot;a&quot;&amp;&#39;b&#39;"
	    "&lt;/script&gt;");
	free(s);
	s = capture(rpt_html_put, "esc\x1b[31m\x07\n");
	assert_string_equal(s, "esc\\x1b[31m\\x07\\x0a");
	free(s);
	s = capture(rpt_html_put, "caf\xc3\xa9");	/* UTF-8 passes */
	assert_string_equal(s, "caf\xc3\xa9");
	free(s);
}

static void
test_csv_escape(void **state)
{
	char *s;

	s = capture(rpt_csv_put, "plain");
	assert_string_equal(s, "\"plain\"");
	free(s);
	s = capture(rpt_csv_put, "a \"quoted\", b\r\nc");
	assert_string_equal(s, "\"a \"\"quoted\"\", b\r\nc\"");
	free(s);
	s = capture(rpt_csv_put, "=cmd|' /C calc'!A0");
	assert_string_equal(s, "\"'=cmd|' /C calc'!A0\"");
	free(s);
	for (const char *p = "+-@\t\r"; *p; p++) {
		char in[4] = { *p, '1', '\0' }, want[8] = { '"', '\'', *p, '1',
		    '"', '\0' };

		s = capture(rpt_csv_put, in);
		assert_string_equal(s, want);
		free(s);
	}
	s = capture(rpt_csv_put, "");
	assert_string_equal(s, "\"\"");
	free(s);
}

static void
test_pseudonym(void **state)
{
	uint8_t k1[RPT_KEY_LEN], k2[RPT_KEY_LEN];
	char a[16], b[16], c[16], d[16];

	memset(k1, 1, sizeof(k1));
	memset(k2, 2, sizeof(k2));
	assert_int_equal(rpt_pseudonym(k1, sizeof(k1), "person", "jsmith", a,
	    sizeof(a)), 0);
	assert_int_equal(rpt_pseudonym(k1, sizeof(k1), "person", "jsmith", b,
	    sizeof(b)), 0);
	assert_int_equal(rpt_pseudonym(k2, sizeof(k2), "person", "jsmith", c,
	    sizeof(c)), 0);
	assert_int_equal(rpt_pseudonym(k1, sizeof(k1), "person", "apatel", d,
	    sizeof(d)), 0);
	assert_string_equal(a, b);		/* stable */
	assert_string_not_equal(a, c);		/* keyed */
	assert_string_not_equal(a, d);		/* per name */
	assert_int_equal(strlen(a), 12);
	assert_memory_equal(a, "P-", 2);
	assert_null(strstr(a, "jsmith"));
	assert_int_equal(rpt_pseudonym(k1, sizeof(k1), "device", "x", a, 8),
	    -1);				/* too small */
}

static void
test_key_file(void **state)
{
	uint8_t k1[RPT_KEY_LEN], k2[RPT_KEY_LEN];
	char path[] = "/tmp/sg-key-XXXXXX";
	struct stat st;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	assert_int_equal(rpt_key_load(path, k1), RPT_OK);	/* creates */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, RPT_KEY_LEN);
	assert_int_equal(rpt_key_load(path, k2), RPT_OK);	/* reads */
	assert_memory_equal(k1, k2, RPT_KEY_LEN);
	unlink(path);
}

static int32_t
day(int y, int m, int d)
{
	return sg_days_from_civil(y, m, d);
}

static void
test_periods(void **state)
{
	const struct sg_config *cfg = *state;
	struct rpt_period p, q;

	/* Wednesday 4 November 2026: last week is Mon 26 Oct - Sun 1 Nov */
	assert_int_equal(rpt_period_named(cfg, "last-week", day(2026, 11, 4),
	    &p), RPT_OK);
	assert_int_equal(p.first_day, day(2026, 10, 26));
	assert_int_equal(p.last_day, day(2026, 11, 1));
	assert_string_equal(p.slug, "2026-W44");
	/* a Monday: the whole week before */
	assert_int_equal(rpt_period_named(cfg, "last-week", day(2026, 11, 2),
	    &p), RPT_OK);
	assert_int_equal(p.first_day, day(2026, 10, 26));
	assert_int_equal(p.to_us - p.from_us, (int64_t)168 * 3600 * 1000000);
	/* the week of the October clock change (25th) lasts 169 hours */
	assert_int_equal(rpt_period_named(cfg, "last-week", day(2026, 10, 28),
	    &p), RPT_OK);
	assert_int_equal(p.first_day, day(2026, 10, 19));
	assert_int_equal(p.to_us - p.from_us, (int64_t)169 * 3600 * 1000000);
	/* ISO week 53 of 2026 runs into 2027 */
	assert_int_equal(rpt_period_named(cfg, "last-week", day(2027, 1, 6),
	    &p), RPT_OK);
	assert_string_equal(p.slug, "2026-W53");
	/* last month from January is December */
	assert_int_equal(rpt_period_named(cfg, "last-month", day(2027, 1, 15),
	    &p), RPT_OK);
	assert_int_equal(p.first_day, day(2026, 12, 1));
	assert_int_equal(p.last_day, day(2026, 12, 31));
	/* in the half-term break: this term is the one just ended */
	assert_int_equal(rpt_period_named(cfg, "this-term", day(2026, 10, 28),
	    &p), RPT_OK);
	assert_int_equal(p.first_day, day(2026, 9, 3));
	assert_int_equal(p.last_day, day(2026, 10, 23));
	/* during a term: from its first day up to today */
	assert_int_equal(rpt_period_named(cfg, "this-term", day(2026, 11, 10),
	    &p), RPT_OK);
	assert_int_equal(p.first_day, day(2026, 11, 2));
	assert_int_equal(p.last_day, day(2026, 11, 10));
	assert_string_equal(p.name, "Autumn term (2)");
	/* last term: on the first day of term 2 it is term 1 */
	assert_int_equal(rpt_period_named(cfg, "last-term", day(2026, 11, 2),
	    &p), RPT_OK);
	assert_int_equal(p.first_day, day(2026, 9, 3));
	assert_string_equal(p.slug, "term-2026-09-03-autumn-term-1");
	/* before any term ended there is no last term */
	assert_int_equal(rpt_period_named(cfg, "last-term", day(2026, 9, 10),
	    &p), RPT_ERR_PERIOD);
	assert_int_equal(rpt_period_named(cfg, "next-term", day(2026, 9, 10),
	    &p), RPT_ERR_PERIOD);
	/* the term-end timer fires the day after a term's last day only */
	assert_int_equal(rpt_period_term_ended(cfg, day(2026, 10, 24), &p), 1);
	assert_int_equal(p.last_day, day(2026, 10, 23));
	assert_int_equal(rpt_period_term_ended(cfg, day(2026, 10, 23), &p), 0);
	/* the previous period has the same length */
	rpt_period_days(day(2026, 11, 23), day(2026, 12, 6), &p);
	rpt_period_previous(&p, &q);
	assert_int_equal(q.first_day, day(2026, 11, 9));
	assert_int_equal(q.last_day, day(2026, 11, 22));
	assert_int_equal(q.to_us, p.from_us);
}

static void
flow_fixture(struct rec_flow *r)
{
	memset(r, 0, sizeof(*r));
	r->start_us = 1794911400000000;		/* 2026-11-17 10:30 UTC */
	r->end_us = r->start_us + 1500000;
	snprintf(r->action, sizeof(r->action), "block");
	snprintf(r->app, sizeof(r->app), "TLS.Facebook");
	snprintf(r->host, sizeof(r->host), "a\"b\\c]d\ne");
	snprintf(r->rule, sizeof(r->rule), "staff-social-in-hours");
	snprintf(r->clause, sizeof(r->clause), "7.3");
	snprintf(r->person, sizeof(r->person), "jsmith");
	snprintf(r->ip, sizeof(r->ip), "10.10.0.5");
	r->dst_port = 443;
	r->bytes_out = 1234;
	r->in_school_hours = true;
}

static void
test_syslog5424(void **state)
{
	struct rec_flow r;
	const char *want = "<132>1 2026-11-17T10:30:01.500000Z gw1 "
	    "schoolgate 42 flow [schoolgate@32473 action=\"block\"";
	char line[2048], small[40];
	int n;

	flow_fixture(&r);
	n = rpt_syslog5424(&r, "gw1", 42, line, sizeof(line));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(line));
	/* local0.warning = 16 * 8 + 4 */
	assert_memory_equal(line, want, strlen(want));
	/* 6.3.3: '"', '\' and ']' escaped; a newline cannot end the line */
	assert_non_null(strstr(line, " host=\"a\\\"b\\\\c\\]d\\\\x0ae\""));
	assert_null(strchr(line, '\n'));
	assert_non_null(strstr(line, " dport=\"443\""));
	assert_non_null(strstr(line, " bytesOut=\"1234\""));
	assert_non_null(strstr(line, " inSchoolHours=\"1\"]"));
	assert_non_null(strstr(line, "] block TLS.Facebook a\"b\\c]d\\x0ae "
	    "rule staff-social-in-hours"));
	/* no usable host name: the nil value */
	assert_true(rpt_syslog5424(&r, "bad host", 1, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "Z - schoolgate 1 flow "));
	snprintf(r.action, sizeof(r.action), "allow");
	assert_true(rpt_syslog5424(&r, NULL, 1, line, sizeof(line)) > 0);
	assert_memory_equal(line, "<134>1 ", 7);
	assert_int_equal(rpt_syslog5424(&r, "gw", 1, small, sizeof(small)), -1);
}

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_escape),
		cmocka_unit_test(test_csv_escape),
		cmocka_unit_test(test_pseudonym),
		cmocka_unit_test(test_key_file),
		cmocka_unit_test(test_periods),
		cmocka_unit_test(test_syslog5424),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
