/*
 * The ClientHello parser: names, ECH, ALPN, a hello split over records,
 * and every way its lengths can lie.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "tlshello.h"
#include "hello.h"

static uint8_t buf[20000];

static void
test_sni_alpn(void **state)
{
	struct tlsh_hello h;
	size_t n;

	(void)state;
	n = th_hello(buf, "WWW.Facebook.com", 1, 0, 0);
	assert_int_equal(tlsh_start(buf, n), TLSH_START_HELLO);
	assert_int_equal(tlsh_parse(buf, n, &h), TLSH_OK);
	assert_string_equal(h.sni, "www.facebook.com");
	assert_string_equal(h.alpn, "h2,http/1.1");
	assert_false(h.ech);
	assert_int_equal(h.len, n);
	/* every prefix is "more", never an error */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(tlsh_parse(buf, i, &h), TLSH_MORE);
}

static void
test_no_sni_ech(void **state)
{
	struct tlsh_hello h;
	size_t n;

	(void)state;
	n = th_hello(buf, NULL, 0, 1, 0);
	assert_int_equal(tlsh_parse(buf, n, &h), TLSH_OK);
	assert_string_equal(h.sni, "");
	assert_true(h.ech);
	n = th_hello(buf, "bad name.com", 0, 0, 0);
	assert_int_equal(tlsh_parse(buf, n, &h), TLSH_OK);
	assert_true(h.sni_invalid);
	assert_string_equal(h.sni, "");
}

/* A hello of 517 bytes cut into three records, as some evasion tools do. */
static void
test_split_records(void **state)
{
	uint8_t one[1024];
	struct tlsh_hello h;
	size_t n, body, o = 0, cuts[] = { 3, 200 };
	size_t from = 0;

	(void)state;
	n = th_hello(one, "www.facebook.com", 1, 0, 400);
	body = n - 5;
	for (size_t i = 0; i <= 2; i++) {
		size_t to = i < 2 ? cuts[i] : body;
		memcpy(buf + o, one, 3);
		th_put16(buf + o + 3, to - from);
		memcpy(buf + o + 5, one + 5 + from, to - from);
		o += 5 + to - from;
		from = to;
	}
	assert_int_equal(tlsh_parse(buf, o, &h), TLSH_OK);
	assert_string_equal(h.sni, "www.facebook.com");
	assert_int_equal(h.len, o);
	assert_int_equal(tlsh_parse(buf, o - 1, &h), TLSH_MORE);
	/* an alert in the middle is not part of a hello */
	buf[5 + 3] = 21;
	assert_int_equal(tlsh_parse(buf, o, &h), TLSH_MALFORMED);
}

static void
test_not_hello(void **state)
{
	struct tlsh_hello h;
	static const uint8_t http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	static const uint8_t appdata[] = { 23, 3, 3, 0, 2, 1, 2 };
	static const uint8_t server[] = { 22, 3, 3, 0, 4, 2, 0, 0, 0 };

	(void)state;
	assert_int_equal(tlsh_parse(http, sizeof(http) - 1, &h),
	    TLSH_NOT_HELLO);
	assert_int_equal(tlsh_start(http, sizeof(http) - 1), TLSH_START_OTHER);
	assert_int_equal(tlsh_parse(appdata, sizeof(appdata), &h),
	    TLSH_NOT_HELLO);
	assert_int_equal(tlsh_start(appdata, sizeof(appdata)),
	    TLSH_START_RECORD);
	assert_int_equal(tlsh_start(server, sizeof(server)),
	    TLSH_START_RECORD);
	assert_int_equal(tlsh_parse(server, sizeof(server), &h),
	    TLSH_NOT_HELLO);
}

/* Each length field in turn made one too long, then one too short. */
static void
test_lying_lengths(void **state)
{
	struct tlsh_hello h;
	uint8_t copy[1024];
	size_t n, off[] = { 3, 6, 5 + 4 + 2 + 32 + 1, 5 + 4 + 2 + 32 + 1 + 6 + 2,
	    5 + 4 + 2 + 32 + 1 + 6 + 2 + 4, 5 + 4 + 2 + 32 + 1 + 6 + 2 + 4 + 2 };

	(void)state;
	n = th_hello(buf, "www.facebook.com", 1, 0, 0);
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		for (int d = -1; d <= 1; d += 2) {
			memcpy(copy, buf, n);
			copy[off[i] + 1] = (uint8_t)(copy[off[i] + 1] + d);
			assert_int_not_equal(tlsh_parse(copy, n, &h), TLSH_OK);
		}
	}
	/* the server_name extension twice (servers refuse that) */
	n = th_hello(buf, "a.padlet.com", 0, 0, 0);
	memcpy(copy, buf, n);
	memcpy(copy + n, buf + 54, 4 + 12 + 5);
	th_put16(copy + 52, (size_t)(n + 21 - 54));
	th_put16(copy + 3, n + 21 - 5);
	copy[8] = (uint8_t)(copy[8] + 21);
	assert_int_equal(tlsh_parse(buf, n, &h), TLSH_OK);
	assert_int_equal(tlsh_parse(copy, n + 21, &h), TLSH_MALFORMED);
	n = th_hello(buf, "www.facebook.com", 1, 0, 0);
	/* the handshake claims more than 16 KB */
	memcpy(copy, buf, n);
	copy[6] = 0x01;
	assert_int_equal(tlsh_parse(copy, n, &h), TLSH_MALFORMED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sni_alpn),
		cmocka_unit_test(test_no_sni_ech),
		cmocka_unit_test(test_split_records),
		cmocka_unit_test(test_not_hello),
		cmocka_unit_test(test_lying_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
