/*
 * 802.1X sessions from FreeRADIUS detail files (policy/radius.c and
 * policy/radius_detail.c): the record parser, the session table, and the
 * follower across appends, rotation, truncation, partial records and
 * garbage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "radius.h"
#include "testutil.h"

#define REC(status, user, mac, ip, sid)					\
	"Mon Dec  7 10:00:00 2026\n"					\
	"\tAcct-Status-Type = " status "\n"				\
	"\tUser-Name = \"" user "\"\n"					\
	"\tCalling-Station-Id = \"" mac "\"\n"				\
	"\tFramed-IP-Address = " ip "\n"				\
	"\tAcct-Session-Id = \"" sid "\"\n"				\
	"\tNAS-IP-Address = 10.0.0.2\n"					\
	"\tTimestamp = 1796637600\n\n"

/* Parse from an exact-size heap copy, so ASan sees any overread. */
static size_t
parse(const char *text, bool at_eof, struct rad_table *t,
    struct rad_detail_stats *st)
{
	size_t len = strlen(text), n;
	char *copy = malloc(len > 0 ? len : 1);

	assert_non_null(copy);
	memcpy(copy, text, len);
	n = rad_detail_parse(copy, len, at_eof, t, st);
	free(copy);
	return n;
}

static const char *
user_at(const struct rad_table *t, const char *addr)
{
	struct sg_addr a = tu_ip(addr);
	const struct rad_session *s = rad_find_ip(t, &a);

	return s != NULL ? s->user : NULL;
}

static void
test_start_interim_stop(void **state)
{
	struct rad_table t = { 0 };
	struct rad_detail_stats st = { 0 };
	const struct rad_session *s;
	uint8_t m[6];
	const char *text =
	    REC("Start", "jsmith@school.sch.uk", "02-1A-2B-3C-4D-5E",
		"10.10.0.77", "s1")
	    "Mon Dec  7 10:00:01 2026\n"
	    "\tAcct-Status-Type = Start\n"
	    "\tUser-Name = \"sward\"\n"
	    "\tCalling-Station-Id = \"021a.2b3c.4d5f\"\n"
	    "\tFramed-IPv6-Address = fd00:10::77\n"
	    "\tAcct-Session-Id = \"s2\"\n\n";

	assert_int_equal(parse(text, false, &t, &st), strlen(text));
	assert_int_equal(st.records, 2);
	assert_int_equal(st.skipped, 0);
	assert_int_equal(rad_count(&t), 2);
	assert_string_equal(user_at(&t, "10.10.0.77"), "jsmith@school.sch.uk");
	assert_string_equal(user_at(&t, "fd00:10::77"), "sward");
	tu_mac("02:1a:2b:3c:4d:5e", m);
	assert_non_null(s = rad_find_mac(&t, m));
	assert_string_equal(s->user, "jsmith@school.sch.uk");
	assert_int_equal(s->started, 1796637600);
	/* an Interim-Update moves the session to a new address; the old
	 * one no longer names it, and the Start time stays */
	parse(REC("Interim-Update", "jsmith@school.sch.uk", "02-1A-2B-3C-4D-5E",
	    "10.10.0.78", "s1"), false, &t, &st);
	assert_string_equal(user_at(&t, "10.10.0.78"), "jsmith@school.sch.uk");
	assert_null(user_at(&t, "10.10.0.77"));
	assert_int_equal(rad_count(&t), 2);
	/* another session taking the address takes it over */
	parse("Mon\n\tAcct-Status-Type = Start\n\tUser-Name = \"other\"\n"
	    "\tFramed-IPv6-Address = fd00:10::77\n\n", false, &t, &st);
	assert_string_equal(user_at(&t, "fd00:10::77"), "other");
	assert_int_equal(rad_count(&t), 3);	/* sward's keeps its MAC */
	tu_mac("02:1a:2b:3c:4d:5f", m);
	assert_string_equal(rad_find_mac(&t, m)->user, "sward");
	tu_mac("02:1a:2b:3c:4d:5e", m);
	/* a Stop of another session at the address leaves it alone */
	parse(REC("Stop", "someone", "02-00-00-00-00-09", "10.10.0.78", "s9"),
	    false, &t, &st);
	assert_non_null(user_at(&t, "10.10.0.78"));
	parse(REC("Stop", "jsmith@school.sch.uk", "02-1A-2B-3C-4D-5E",
	    "10.10.0.78", "s1"), false, &t, &st);
	assert_null(user_at(&t, "10.10.0.78"));
	assert_null(rad_find_mac(&t, m));
	assert_non_null(user_at(&t, "fd00:10::77"));
	/* the NAS restarting ends its sessions */
	parse("Mon Dec  7 11:00:00 2026\n\tAcct-Status-Type = Accounting-On\n"
	    "\tNAS-IP-Address = 10.0.0.2\n\n", false, &t, &st);
	assert_non_null(user_at(&t, "fd00:10::77"));	/* had no NAS */
	parse(REC("Start", "a", "02-00-00-00-00-01", "10.10.0.5", "s5"),
	    false, &t, &st);
	parse("Mon Dec  7 11:00:00 2026\n\tAcct-Status-Type = Accounting-On\n"
	    "\tNAS-IP-Address = 10.0.0.2\n\n", false, &t, &st);
	assert_null(user_at(&t, "10.10.0.5"));
	rad_table_free(&t);
}

/* A record without its blank line is left for the next read. */
static void
test_partial_record(void **state)
{
	struct rad_table t = { 0 };
	struct rad_detail_stats st = { 0 };
	const char *one = REC("Start", "a", "02-00-00-00-00-01", "10.0.0.1",
	    "s1");
	char text[1024];
	size_t n;

	snprintf(text, sizeof(text), "%s%s", one, "Mon Dec  7 10:00:00 2026\n"
	    "\tAcct-Status-Type = Start\n\tUser-Name = \"b\"\n"
	    "\tFramed-IP-Address = 10.0.");
	n = parse(text, false, &t, &st);
	assert_int_equal(n, strlen(one));
	assert_int_equal(st.records, 1);
	assert_null(user_at(&t, "10.0.0.2"));
	/* nothing applied from the half record, not even a wrong address */
	assert_null(user_at(&t, "10.0.0.0"));
	assert_int_equal(rad_count(&t), 1);
	/* once finished it is read whole */
	n = parse("Mon Dec  7 10:00:00 2026\n\tAcct-Status-Type = Start\n"
	    "\tUser-Name = \"b\"\n\tFramed-IP-Address = 10.0.0.2\n\n", false,
	    &t, &st);
	assert_string_equal(user_at(&t, "10.0.0.2"), "b");
	rad_table_free(&t);
}

/* Malformed records are counted and skipped; the table keeps its state. */
static void
test_garbage(void **state)
{
	struct rad_table t = { 0 };
	struct rad_detail_stats st = { 0 };
	char *big;
	size_t n;
	const char *text =
	    REC("Start", "a", "02-00-00-00-00-01", "10.0.0.1", "s1")
	    "not a date line but then\n\tAcct-Status-Type = Stop\n"
	    "\tUser-Name = \"a\"\n\tFramed-IP-Address = 10.0.0.1\n"
	    "this line is not an attribute\n\n"
	    "Mon\n\tAcct-Status-Type = Stop\n\tUser-Name = \"a\\\n\n"
	    "Mon\n\tAcct-Status-Type = Bogus\n\tUser-Name = \"a\"\n"
	    "\tFramed-IP-Address = 10.0.0.1\n\n"
	    "Mon\n\tAcct-Status-Type = Stop\n\tUser-Name = \"a\"\n"
	    "\tFramed-IP-Address = 10.0.0.999\n\n"
	    "Mon\n\tAcct-Status-Type = Start\n\tUser-Name = \"x\001y\"\n"
	    "\tFramed-IP-Address = 10.0.0.3\n\n"
	    "Mon\n\tAcct-Status-Type = Start\n"
	    "\tUser-Name = \"0123456789012345678901234567890123456789"
	    "012345678901234567890123456789\"\n"
	    "\tFramed-IP-Address = 10.0.0.4\n\n"
	    "Mon\n\tAcct-Status-Type = Start\n\tFramed-IP-Address = 10.0.0.5"
	    "\n\n";

	n = parse(text, false, &t, &st);
	assert_int_equal(n, strlen(text));
	assert_int_equal(st.records, 1);
	assert_int_equal(st.skipped, 7);
	assert_string_equal(user_at(&t, "10.0.0.1"), "a");
	assert_null(user_at(&t, "10.0.0.4"));
	assert_null(user_at(&t, "10.0.0.5"));
	/* a run of bytes with no record end is dropped, not kept forever */
	assert_non_null(big = malloc(64 * 1024 + 1));
	memset(big, 'x', 64 * 1024);
	big[64 * 1024] = '\0';
	n = parse(big, false, &t, &st);
	assert_int_equal(n, 64 * 1024);
	assert_int_equal(st.skipped, 8);
	free(big);
	/* NUL bytes in a record */
	n = rad_detail_parse("Mon\n\tUser-Name = \"a\0b\"\n\n", 24, false, &t,
	    &st);
	assert_int_equal(n, 24);
	assert_int_equal(st.skipped, 9);
	assert_string_equal(user_at(&t, "10.0.0.1"), "a");
	rad_table_free(&t);
}

static void
test_login_matches(void **state)
{
	char *logins[] = { "John.Smith@cliftonlodge.sch.uk", "js2" };

	assert_true(rad_login_matches("jsmith", "jsmith", NULL, 0));
	assert_true(rad_login_matches("JSmith@cliftonlodge.sch.uk", "jsmith",
	    NULL, 0));
	assert_true(rad_login_matches("john.smith", "jsmith", logins, 2));
	assert_true(rad_login_matches("JOHN.SMITH@CLIFTONLODGE.SCH.UK",
	    "jsmith", logins, 2));
	assert_true(rad_login_matches("js2@anywhere", "jsmith", logins, 2));
	/* two different realms are two different people */
	assert_false(rad_login_matches("john.smith@other.sch.uk", "jsmith",
	    logins, 2));
	assert_false(rad_login_matches("jsmith2", "jsmith", NULL, 0));
	assert_false(rad_login_matches("@cliftonlodge.sch.uk", "jsmith",
	    NULL, 0));
	assert_false(rad_login_matches("", "jsmith", NULL, 0));
}

static void
put_session(struct rad_table *t, unsigned i, enum rad_status st)
{
	struct rad_session s;

	memset(&s, 0, sizeof(s));
	snprintf(s.user, sizeof(s.user), "user%u", i);
	snprintf(s.sid, sizeof(s.sid), "sid%u", i);
	s.ip4.family = AF_INET;
	s.ip4.a[0] = 10;
	s.ip4.a[1] = (uint8_t)(i >> 16);
	s.ip4.a[2] = (uint8_t)(i >> 8);
	s.ip4.a[3] = (uint8_t)i;
	s.has_mac = true;
	s.mac[0] = 0x02;
	s.mac[3] = (uint8_t)(i >> 16);
	s.mac[4] = (uint8_t)(i >> 8);
	s.mac[5] = (uint8_t)i;
	assert_int_equal(rad_apply(t, st, &s), 0);
}

static void
test_10k_sessions(void **state)
{
	struct rad_table t = { 0 }, copy;
	char addr[32], want[32];
	double probes;
	size_t maxp;
	unsigned i;

	for (i = 0; i < 10000; i++)
		put_session(&t, i, RAD_START);
	assert_int_equal(rad_count(&t), 10000);
	assert_int_equal(t.nkeys, 20000);
	rad_probe_len(&t, &probes, &maxp);
	assert_true(probes < 2.0);
	for (i = 0; i < 10000; i += 2)
		put_session(&t, i, RAD_STOP);
	assert_int_equal(rad_count(&t), 5000);
	assert_int_equal(t.nkeys, 10000);
	/* stopped sessions' entries are used again, not added */
	for (i = 0; i < 10000; i += 2)
		put_session(&t, i, RAD_START);
	assert_int_equal(t.nsess, 10000);
	for (i = 0; i < 10000; i += 2)
		put_session(&t, i, RAD_STOP);
	assert_int_equal(rad_table_copy(&copy, &t), 0);
	rad_table_free(&t);
	for (i = 0; i < 10000; i++) {
		snprintf(addr, sizeof(addr), "10.%u.%u.%u", i >> 16,
		    (i >> 8) & 255, i & 255);
		if (i % 2 == 0) {
			assert_null(user_at(&copy, addr));
			continue;
		}
		snprintf(want, sizeof(want), "user%u", i);
		assert_string_equal(user_at(&copy, addr), want);
	}
	rad_table_free(&copy);
}

/* ---- the follower ---- */

struct follow_fx {
	char		 dir[32];
	char		 glob[64];
	char		*globs[1];
	struct rad_follow f;
};

static int
follow_setup(void **state)
{
	struct follow_fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/sg-rad-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->glob, sizeof(fx->glob), "%s/detail*", fx->dir);
	fx->globs[0] = fx->glob;
	rad_follow_init(&fx->f, fx->globs, 1);
	*state = fx;
	return 0;
}

static int
follow_teardown(void **state)
{
	struct follow_fx *fx = *state;
	char cmd[64];

	rad_follow_free(&fx->f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static void
append(struct follow_fx *fx, const char *name, const char *mode,
    const char *text)
{
	char path[96];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	assert_non_null(fp = fopen(path, mode));
	fputs(text, fp);
	fclose(fp);
}

static int
poll_ok(struct follow_fx *fx)
{
	char err[256];
	int rc = rad_follow_poll(&fx->f, err, sizeof(err));

	if (rc == -1)
		fail_msg("%s", err);
	return rc;
}

static void
test_follow_append_and_partial(void **state)
{
	struct follow_fx *fx = *state;

	assert_int_equal(poll_ok(fx), 0);	/* no file yet */
	append(fx, "detail", "w", REC("Start", "a", "02-00-00-00-00-01",
	    "10.0.0.1", "s1"));
	assert_int_equal(poll_ok(fx), 1);
	assert_string_equal(user_at(&fx->f.table, "10.0.0.1"), "a");
	assert_int_equal(poll_ok(fx), 0);
	/* FreeRADIUS half-way through a record */
	append(fx, "detail", "a", "Mon Dec  7 10:00:00 2026\n"
	    "\tAcct-Status-Type = Stop\n\tUser-Name = \"a\"\n");
	assert_int_equal(poll_ok(fx), 0);
	assert_non_null(user_at(&fx->f.table, "10.0.0.1"));
	append(fx, "detail", "a", "\tFramed-IP-Address = 10.0.0.1\n"
	    "\tAcct-Session-Id = \"s1\"\n\n");
	assert_int_equal(poll_ok(fx), 1);
	assert_null(user_at(&fx->f.table, "10.0.0.1"));
}

/* logrotate renames the file and FreeRADIUS opens a new one: the renamed
 * file is not read again, the new one is read from its start. */
static void
test_follow_rotation(void **state)
{
	struct follow_fx *fx = *state;
	char from[96], to[96];

	append(fx, "detail", "w", REC("Start", "a", "02-00-00-00-00-01",
	    "10.0.0.1", "s1"));
	assert_int_equal(poll_ok(fx), 1);
	snprintf(from, sizeof(from), "%s/detail", fx->dir);
	snprintf(to, sizeof(to), "%s/detail.1", fx->dir);
	assert_int_equal(rename(from, to), 0);
	append(fx, "detail", "w", REC("Stop", "a", "02-00-00-00-00-01",
	    "10.0.0.1", "s1") REC("Start", "b", "02-00-00-00-00-02",
	    "10.0.0.2", "s2"));
	assert_int_equal(poll_ok(fx), 1);
	assert_null(user_at(&fx->f.table, "10.0.0.1"));
	assert_string_equal(user_at(&fx->f.table, "10.0.0.2"), "b");
	assert_int_equal(fx->f.stats.records, 3);
	/* the rotated file gone (compressed away): nothing changes */
	assert_int_equal(unlink(to), 0);
	assert_int_equal(poll_ok(fx), 0);
	assert_int_equal(fx->f.nfiles, 1);
	assert_string_equal(user_at(&fx->f.table, "10.0.0.2"), "b");
}

/* copytruncate: the file shrinks and what is in it now is new. */
static void
test_follow_truncation(void **state)
{
	struct follow_fx *fx = *state;

	append(fx, "detail", "w", REC("Start", "a", "02-00-00-00-00-01",
	    "10.0.0.1", "s1") REC("Start", "b", "02-00-00-00-00-02",
	    "10.0.0.2", "s2"));
	assert_int_equal(poll_ok(fx), 1);
	append(fx, "detail", "w", REC("Stop", "a", "02-00-00-00-00-01",
	    "10.0.0.1", "s1"));
	assert_int_equal(poll_ok(fx), 1);
	assert_null(user_at(&fx->f.table, "10.0.0.1"));
	assert_string_equal(user_at(&fx->f.table, "10.0.0.2"), "b");
	/* emptied: the sessions read so far stay */
	append(fx, "detail", "w", "");
	assert_int_equal(poll_ok(fx), 0);
	assert_string_equal(user_at(&fx->f.table, "10.0.0.2"), "b");
	append(fx, "detail", "a", REC("Start", "c", "02-00-00-00-00-03",
	    "10.0.0.3", "s3"));
	assert_int_equal(poll_ok(fx), 1);
	assert_string_equal(user_at(&fx->f.table, "10.0.0.3"), "c");
}

/* Garbage appended to a good file keeps the good state. */
static void
test_follow_garbage(void **state)
{
	struct follow_fx *fx = *state;

	append(fx, "detail", "w", REC("Start", "a", "02-00-00-00-00-01",
	    "10.0.0.1", "s1"));
	assert_int_equal(poll_ok(fx), 1);
	append(fx, "detail", "a", "\x01\x02garbage\n\tfoo\n\n\n");
	assert_int_equal(poll_ok(fx), 0);
	assert_int_equal(fx->f.stats.skipped, 1);
	assert_string_equal(user_at(&fx->f.table, "10.0.0.1"), "a");
}

/* Years of daily files: the old ones are not read at all. */
static void
test_follow_stale_files(void **state)
{
	struct follow_fx *fx = *state;
	struct timespec old[2] = { { .tv_sec = 1000000000 },
	    { .tv_sec = 1000000000 } };
	char path[96];

	append(fx, "detail-20010909", "w", REC("Start", "gone",
	    "02-00-00-00-00-09", "10.0.0.9", "s9"));
	snprintf(path, sizeof(path), "%s/detail-20010909", fx->dir);
	assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
	append(fx, "detail-today", "w", REC("Start", "a", "02-00-00-00-00-01",
	    "10.0.0.1", "s1"));
	assert_int_equal(poll_ok(fx), 1);
	assert_null(user_at(&fx->f.table, "10.0.0.9"));
	assert_string_equal(user_at(&fx->f.table, "10.0.0.1"), "a");
	assert_int_equal(fx->f.nfiles, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_interim_stop),
		cmocka_unit_test(test_partial_record),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_login_matches),
		cmocka_unit_test(test_10k_sessions),
#define F(f)	cmocka_unit_test_setup_teardown(f, follow_setup, follow_teardown)
		F(test_follow_append_and_partial),
		F(test_follow_rotation),
		F(test_follow_truncation),
		F(test_follow_garbage),
		F(test_follow_stale_files),
#undef F
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
