/*
 * protofile_check_line() and protofile_check(): every line of an nDPI 4.2
 * protocols file nDPI would misread is refused with a reason, and a file's
 * bad lines are reported by number.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "protofile.h"
#include "testutil.h"

static int
check(const char *line, char *proto, char *err)
{
	proto[0] = err[0] = '\0';
	return protofile_check_line(line, proto, 64, err, 256);
}

static void
ok_rule(const char *line, const char *want_proto)
{
	char proto[64], err[256];

	if (check(line, proto, err) != 1)
		fail_msg("\"%s\" refused: %s", line, err);
	assert_string_equal(proto, want_proto);
}

static void
bad_rule(const char *line, const char *want_err)
{
	char proto[64], err[256];

	if (check(line, proto, err) != -1)
		fail_msg("\"%s\" accepted", line);
	if (strstr(err, want_err) == NULL)
		fail_msg("\"%s\": error \"%s\" lacks \"%s\"", line, err,
		    want_err);
}

static void
test_good_lines(void **state)
{
	char proto[64], err[256];

	(void)state;
	ok_rule("host:\"padlet.com\"@Padlet", "Padlet");
	ok_rule("host:padlet.com@Padlet", "Padlet");
	ok_rule("host:\"a.example\",host:\"*.b-c.example\"@Two_Names",
	    "Two_Names");
	ok_rule("host:\"Example.ORG\"@Facebook", "Facebook");
	ok_rule("tcp:81,tcp:8181@HTTP", "HTTP");
	ok_rule("udp:5061-5062@SIP", "SIP");
	ok_rule("tcp:860,udp:860,tcp:3260,udp:3260@iSCSI", "iSCSI");
	ok_rule("ip:213.75.170.11/32:443@CustomProtocol", "CustomProtocol");
	ok_rule("ip:8.248.73.247:443@AmazonPrime", "AmazonPrime");
	ok_rule("ip:54.80.47.130@AmazonPrime", "AmazonPrime");
	ok_rule("ip:10.0.0.0/8@Lan", "Lan");
	assert_int_equal(check("", proto, err), 0);
	assert_int_equal(check("   \t", proto, err), 0);
	assert_int_equal(check("# host:\"x\"@Y", proto, err), 0);
	assert_int_equal(check("#", proto, err), 0);
}

static void
test_bad_lines(void **state)
{
	(void)state;
	bad_rule("host:\"padlet.com\"", "no \"@Protocol\"");
	bad_rule("host:\"padlet.com\"@", "no protocol name");
	bad_rule("host:\"padlet.com\" @Padlet", "unbalanced quotes");
	bad_rule("host:\"padlet.com@Padlet", "unbalanced quotes");
	bad_rule("host:\"\"@Every", "empty host name");
	bad_rule("host:pad let.com@Padlet", "invalid host name");
	bad_rule("host:\"padlet.com\"@Pad let", "invalid protocol name");
	bad_rule("host:\"padlet.com\"@TLS.Padlet", "invalid protocol name");
	bad_rule("host:\"padlet.com\"@ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
	    "too long");
	bad_rule("hots:\"padlet.com\"@Padlet", "unknown element");
	bad_rule("padlet.com@Padlet", "unknown element");
	bad_rule("host:\"a.example\",,host:\"b.example\"@Two", "empty element");
	bad_rule("tcp:abc@Port", "invalid port");
	bad_rule("tcp:0@Port", "invalid port");
	bad_rule("tcp:65536@Port", "invalid port");
	bad_rule("tcp:80x@Port", "invalid port");
	bad_rule("udp:5062-5061@SIP", "ends before it starts");
	bad_rule("udp:5061-@SIP", "invalid port");
	bad_rule("ip:2001:db8::1@V6", "IPv4 addresses only");
	bad_rule("ip:10.0.0.256@X", "invalid IPv4 address");
	bad_rule("ip:10.0.0.1/33@X", "invalid prefix length");
	bad_rule("ip:10.0.0.1/@X", "invalid prefix length");
	bad_rule("ip:10.0.0.1:0@X", "invalid port");
	bad_rule("  host:\"x.example\"@X", "leading space");
	bad_rule("  # mail me@Example", "leading space");
	bad_rule("host:\"x.example\"@X\r", "carriage return");
	bad_rule("host:\"x.example\"\t@X", "control character");
}

struct seen {
	unsigned lines[8];
	char	 msgs[8][256];
	size_t	 nbad;
	char	 names[8][64];
	size_t	 nnames;
};

static void
seen_bad(unsigned line, const char *msg, void *arg)
{
	struct seen *s = arg;

	if (s->nbad < 8) {
		s->lines[s->nbad] = line;
		snprintf(s->msgs[s->nbad], sizeof(s->msgs[0]), "%s", msg);
	}
	s->nbad++;
}

static void
seen_name(const char *proto, void *arg)
{
	struct seen *s = arg;

	if (s->nnames < 8)
		snprintf(s->names[s->nnames], sizeof(s->names[0]), "%s", proto);
	s->nnames++;
}

static int
check_file(const char *text, struct seen *s, char *err, size_t errlen)
{
	const struct protofile_report rep = { seen_bad, seen_name, s };
	char *path = tu_write_temp(text);
	int r;

	memset(s, 0, sizeof(*s));
	r = protofile_check(path, &rep, err, errlen);
	unlink(path);
	free(path);
	return r;
}

static void
test_file(void **state)
{
	static const char text[] =
	    "# custom protocols\n"			/* 1 */
	    "\n"					/* 2 */
	    "host:\"padlet.com\"@Padlet\n"		/* 3 */
	    "tcp:8o@Typo\n"				/* 4 */
	    "host:\"x.example\" @Spaced\n"		/* 5 */
	    "udp:5061-5062@SIP\n"			/* 6 */
	    "ip:10.1.2.3:443@Last";			/* 7: no newline */
	struct seen s;
	char err[256] = "";

	(void)state;
	assert_int_equal(check_file(text, &s, err, sizeof(err)), 3);
	assert_int_equal(s.nbad, 3);
	assert_int_equal(s.lines[0], 4);
	assert_non_null(strstr(s.msgs[0], "invalid port \"tcp:8o\""));
	assert_int_equal(s.lines[1], 5);
	assert_non_null(strstr(s.msgs[1], "unbalanced quotes"));
	assert_int_equal(s.lines[2], 7);
	assert_non_null(strstr(s.msgs[2], "no newline"));
	assert_int_equal(s.nnames, 2);
	assert_string_equal(s.names[0], "Padlet");
	assert_string_equal(s.names[1], "SIP");

	assert_int_equal(check_file("host:\"a.example\"@A\n# end", &s, err,
	    sizeof(err)), 0);
	assert_int_equal(s.nnames, 1);
}

/* A NUL byte would end the line early for nDPI's strlen. */
static void
test_nul_byte(void **state)
{
	static const char bytes[] = "host:\"a.example\"@A\0B\n";
	char path[] = "/tmp/sg-test-XXXXXX", err[256] = "";
	struct seen s;
	const struct protofile_report rep = { seen_bad, seen_name, &s };
	int fd;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, bytes, sizeof(bytes) - 1),
	    (ssize_t)sizeof(bytes) - 1);
	close(fd);
	assert_int_equal(protofile_check(path, &rep, err, sizeof(err)), 1);
	unlink(path);
	assert_int_equal(s.lines[0], 1);
	assert_non_null(strstr(s.msgs[0], "NUL byte"));
}

static void
test_unreadable(void **state)
{
	const struct protofile_report rep = { seen_bad, seen_name, NULL };
	char err[256] = "";

	(void)state;
	assert_int_equal(protofile_check("/nonexistent/protos.txt", &rep, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open"));
	err[0] = '\0';
	assert_int_equal(protofile_check("/tmp", &rep, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_lines),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_unreadable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
