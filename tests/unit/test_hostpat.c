#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hostpat.h"

static void
test_exact(void **state)
{
	(void)state;
	assert_true(hostpat_match("padlet.com", "padlet.com"));
	assert_true(hostpat_match("padlet.com", "PADLET.com"));
	assert_true(hostpat_match("padlet.com", "padlet.com."));
	assert_false(hostpat_match("padlet.com", "www.padlet.com"));
	assert_false(hostpat_match("padlet.com", "notpadlet.com"));
	assert_false(hostpat_match("padlet.com", "padlet.co"));
	assert_false(hostpat_match("padlet.com", ""));
}

static void
test_wildcard(void **state)
{
	(void)state;
	assert_true(hostpat_match("*.bsky.app", "video.bsky.app"));
	assert_true(hostpat_match("*.bsky.app", "a.b.c.bsky.app"));
	assert_true(hostpat_match("*.bsky.app", "CDN.Bsky.App."));
	/* the domain itself needs its own exact pattern */
	assert_false(hostpat_match("*.bsky.app", "bsky.app"));
	/* a label boundary is required: no suffix tricks */
	assert_false(hostpat_match("*.bsky.app", "evilbsky.app"));
	assert_false(hostpat_match("*.bsky.app", "bsky.app.evil.com"));
	assert_false(hostpat_match("*.bsky.app", ".bsky.app"));
}

static void
test_normalise(void **state)
{
	char out[256], big[400];

	(void)state;
	assert_true(hostpat_normalise("WWW.Facebook.COM.", out, sizeof(out)));
	assert_string_equal(out, "www.facebook.com");
	assert_false(hostpat_normalise("", out, sizeof(out)));
	assert_false(hostpat_normalise("a b.com", out, sizeof(out)));
	assert_false(hostpat_normalise("<script>", out, sizeof(out)));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_false(hostpat_normalise(big, out, sizeof(out)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_wildcard),
		cmocka_unit_test(test_normalise),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
