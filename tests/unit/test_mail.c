/* report/mail.c and report/sendmail.c: encodings, addresses, the MIME
 * layout, and what a failing sendmail returns. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "config.h"
#include "mail.h"
#include "testutil.h"

static void
b64_is(const char *in, const char *want)
{
	char *got = mail_base64(in, strlen(in));

	assert_string_equal(got, want);
	free(got);
}

static void
test_base64(void **state)
{
	char in[58], *got;

	(void)state;
	/* RFC 4648, section 10 */
	b64_is("", "");
	b64_is("f", "Zg==\n");
	b64_is("fo", "Zm8=\n");
	b64_is("foo", "Zm9v\n");
	b64_is("foob", "Zm9vYg==\n");
	b64_is("fooba", "Zm9vYmE=\n");
	b64_is("foobar", "Zm9vYmFy\n");
	/* 57 bytes make one 76-character line; the 58th starts another */
	memset(in, 'a', sizeof(in));
	got = mail_base64(in, sizeof(in));
	assert_int_equal(strchr(got, '\n') - got, 76);
	assert_string_equal(got + 77, "YQ==\n");
	free(got);
}

static void
test_header_text(void **state)
{
	char *h;

	(void)state;
	h = mail_header_text("Weekly report", 200);
	assert_string_equal(h, "Weekly report");
	free(h);
	/* CR and LF can never start a header of their own */
	h = mail_header_text("x\r\nBcc: all@school.test", 200);
	assert_string_equal(h, "x  Bcc: all@school.test");
	free(h);
	/* non-ASCII: encoded-words, a 2-byte character never split */
	h = mail_header_text("Zo\xc3\xab", 200);
	assert_string_equal(h, "=?UTF-8?B?Wm/Dqw==?=");
	free(h);
	h = mail_header_text("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9", 200);
	assert_non_null(strstr(h, "?=\n =?UTF-8?B?"));
	assert_null(strchr(h, '\r'));
	free(h);
	/* text that looks like an encoded-word is encoded itself */
	h = mail_header_text("=?UTF-8?B?QmNjOg==?=", 200);
	assert_int_equal(strncmp(h, "=?UTF-8?B?PT9VVEYtOD9C", 22), 0);
	free(h);
}

static void
test_addresses(void **state)
{
	(void)state;
	assert_true(conf_mail_addr_ok("dsl@school.example", 254));
	assert_true(conf_mail_addr_ok("head.teacher+reports@mail.school.uk",
	    254));
	assert_false(conf_mail_addr_ok("", 254));
	assert_false(conf_mail_addr_ok("dsl", 254));
	assert_false(conf_mail_addr_ok("@school.example", 254));
	assert_false(conf_mail_addr_ok("dsl@", 254));
	assert_false(conf_mail_addr_ok("dsl@@school.example", 254));
	assert_false(conf_mail_addr_ok("-oQ@school.example", 254));
	assert_false(conf_mail_addr_ok("a b@school.example", 254));
	assert_false(conf_mail_addr_ok("a@school.example>\nBcc: x@y.z", 254));
	assert_false(conf_mail_addr_ok("a@school..example", 254));
	assert_false(conf_mail_addr_ok("a@-school.example", 254));
	assert_false(conf_mail_addr_ok("a@school.example.", 254));
	assert_false(conf_mail_addr_ok("a..b@school.example", 254));
	assert_false(conf_mail_addr_ok("\"a\"@school.example", 254));
}

static void
test_build(void **state)
{
	char *to[] = { "head@school.test", "dsl@school.test" }, *msg;
	char *bad[] = { "head@school.test>, x@evil.test" };
	struct mail_msg m = { .from = "filter@school.test",
	    .from_name = "Clifton Lodge", .to = to, .nto = 2,
	    .subject = "Report\nBcc: x@evil.test", .date = 1796601600,
	    .text = "summary", .html = "<p>summary</p>",
	    .attach = "<html></html>", .attach_len = 13,
	    .attach_name = "schoolgate-report-2026-W49.html" };
	size_t len;

	(void)state;
	assert_int_equal(mail_build(&m, &msg, &len), 0);
	assert_int_equal(strlen(msg), len);
	assert_non_null(strstr(msg, "\nTo: head@school.test,\n dsl@school.test\n"));
	assert_non_null(strstr(msg, "\nSubject: Report Bcc: x@evil.test\n"));
	assert_null(strstr(msg, "\nBcc:"));
	assert_non_null(strstr(msg, "From: =?UTF-8?B?"));
	assert_non_null(strstr(msg, "MIME-Version: 1.0\n"));
	assert_non_null(strstr(msg, "Content-Type: multipart/mixed"));
	assert_non_null(strstr(msg, "Content-Type: multipart/alternative"));
	assert_non_null(strstr(msg, "filename=\"schoolgate-report-2026-W49.html\""));
	free(msg);
	m.to = bad;
	m.nto = 1;
	assert_int_equal(mail_build(&m, &msg, &len), -1);
	m.to = to;
	m.attach_name = "../report.html";
	assert_int_equal(mail_build(&m, &msg, &len), -1);
}

static void
test_send_failures(void **state)
{
	char *to[] = { "dsl@school.test" }, *sink;
	int status;

	(void)state;
	assert_int_equal(mail_send("/bin/false", to, 1, "x\n", 2, &status),
	    MAIL_ERR_STATUS);
	assert_int_equal(status, 1);
	assert_int_equal(mail_send("/nonexistent/sendmail", to, 1, "x\n", 2,
	    &status), MAIL_ERR_EXEC);
	/* a sendmail that reads the whole message and succeeds */
	sink = tu_write_temp("#!/bin/sh\ncat >/dev/null\n");
	assert_int_equal(chmod(sink, 0700), 0);
	assert_int_equal(mail_send(sink, to, 1, "x\n", 2, &status), MAIL_SENT);
	assert_int_equal(status, 0);
	unlink(sink);
	free(sink);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_header_text),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_send_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
