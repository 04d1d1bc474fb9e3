/*
 * DNS response parsing on hand-built messages, hostile ones included,
 * and the bounded per-client answer cache.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dnscache.h"
#include "dnsmsg.h"

static void
t_header(struct t_msg *m, uint16_t flags, uint16_t qd, uint16_t an)
{
	m->len = 0;
	t_put16(m, 0x1234);
	t_put16(m, flags);
	t_put16(m, qd);
	t_put16(m, an);
	t_put16(m, 0);
	t_put16(m, 0);
}

static size_t
t_question(struct t_msg *m, const char *name, uint16_t type)
{
	size_t	 at = t_name(m, name);

	t_put16(m, type);
	t_put16(m, 1);
	return at;
}

/* The owner name must already be written. */
static void
t_rr_tail(struct t_msg *m, uint16_t type, uint32_t ttl, const void *rd,
    uint16_t rdlen)
{
	t_put16(m, type);
	t_put16(m, 1);
	t_put32(m, ttl);
	t_put16(m, rdlen);
	t_put(m, rd, rdlen);
}

static void
t_addr(struct sg_addr *a, const char *s)
{
	assert_int_equal(sg_addr_parse(s, a), 0);
}

static void
t_assert_answer(const struct dns_answer *ans, const char *addr, uint32_t ttl)
{
	struct sg_addr	 want;

	t_addr(&want, addr);
	assert_true(sg_addr_eq(&ans->addr, &want));
	assert_int_equal(ans->ttl, ttl);
}

/* www.example.org A 192.0.2.1 TTL 300, owner by pointer to the question */
static void
t_build_simple_a(struct t_msg *m)
{
	const uint8_t	 ip[4] = { 192, 0, 2, 1 };
	size_t		 q;

	t_header(m, 0x8180, 1, 1);
	q = t_question(m, "WWW.Example.ORG", 1);
	t_ptr(m, q);
	t_rr_tail(m, 1, 300, ip, 4);
}

static void
t_simple_a(void **state)
{
	struct t_msg		 m;
	struct dns_response	 r;

	t_build_simple_a(&m);
	assert_int_equal(dns_parse_response(m.b, m.len, &r), 0);
	assert_string_equal(r.qname, "www.example.org");
	assert_int_equal(r.nanswers, 1);
	t_assert_answer(&r.answers[0], "192.0.2.1", 300);
}

static void
t_aaaa(void **state)
{
	struct t_msg		 m;
	struct dns_response	 r;
	struct sg_addr		 a;
	size_t			 q;

	t_addr(&a, "2001:db8::53");
	t_header(&m, 0x8180, 1, 2);
	q = t_question(&m, "v6.example.org", 28);
	t_ptr(&m, q);
	t_rr_tail(&m, 28, 0xfffffff0u, a.a, 16);
	/* an A record with a bad length is skipped, not trusted */
	t_ptr(&m, q);
	t_rr_tail(&m, 1, 60, a.a, 16);
	assert_int_equal(dns_parse_response(m.b, m.len, &r), 0);
	assert_string_equal(r.qname, "v6.example.org");
	assert_int_equal(r.nanswers, 1);
	t_assert_answer(&r.answers[0], "2001:db8::53", 0xfffffff0u);
}

/*
 * www.facebook.com CNAME star-mini.c10r.facebook.com
 * star-mini.c10r.facebook.com A 157.240.1.35
 * unrelated.example A 192.0.2.99 (not on the chain: ignored)
 */
static void
t_build_cname(struct t_msg *m, int reversed)
{
	const uint8_t	 fb[4] = { 157, 240, 1, 35 }, other[4] = { 192, 0, 2, 99 };
	struct t_msg	 rd;
	size_t		 q, target = 0;

	t_header(m, 0x8180, 1, 3);
	q = t_question(m, "www.facebook.com", 1);
	if (reversed) {
		/* the A record first, with its owner spelled out */
		target = t_name(m, "star-mini.c10r.facebook.com");
		t_rr_tail(m, 1, 60, fb, 4);
	}
	t_ptr(m, q);
	/* rdata: "star-mini.c10r" then a pointer to "facebook.com" */
	rd.len = 0;
	if (reversed)
		t_ptr(&rd, target);
	else {
		t_put(&rd, "\x09star-mini\x04" "c10r", 15);
		t_ptr(&rd, q + 4);
	}
	t_rr_tail(m, 5, 3600, rd.b, (uint16_t)rd.len);
	if (!reversed) {
		target = m->len - rd.len;
		t_ptr(m, target);
		t_rr_tail(m, 1, 60, fb, 4);
	}
	t_name(m, "unrelated.example");
	t_rr_tail(m, 1, 60, other, 4);
}

static void
t_cname_chain(void **state)
{
	struct t_msg		 m;
	struct dns_response	 r;

	for (int reversed = 0; reversed <= 1; reversed++) {
		t_build_cname(&m, reversed);
		assert_int_equal(dns_parse_response(m.b, m.len, &r), 0);
		assert_string_equal(r.qname, "www.facebook.com");
		assert_int_equal(r.nanswers, 1);
		t_assert_answer(&r.answers[0], "157.240.1.35", 60);
	}
}

/* A question name built of a label and a pointer to a later suffix. */
static void
t_compression(void **state)
{
	const uint8_t		 ip[4] = { 198, 51, 100, 7 };
	struct t_msg		 m;
	struct dns_response	 r;

	t_header(&m, 0x8180, 1, 1);
	/* question: "a" + pointer to offset 12+2+2+4 = "b.example" */
	t_put(&m, "\x01" "a", 2);
	t_ptr(&m, 12 + 2 + 2 + 4);
	t_put16(&m, 1);
	t_put16(&m, 1);
	assert_int_equal(m.len, 20);
	/* answer owner is "b.example" itself, placed here */
	t_name(&m, "b.example");
	t_rr_tail(&m, 1, 5, ip, 4);
	assert_int_equal(dns_parse_response(m.b, m.len, &r), 0);
	assert_string_equal(r.qname, "a.b.example");
	/* the A record's owner is b.example, not on the chain */
	assert_int_equal(r.nanswers, 0);
}

static void
t_pointer_loop(void **state)
{
	struct t_msg		 m;
	struct dns_response	 r;

	/* the question name points at itself */
	t_header(&m, 0x8180, 1, 0);
	t_ptr(&m, 12);
	t_put16(&m, 1);
	t_put16(&m, 1);
	assert_int_equal(dns_parse_response(m.b, m.len, &r), -1);

	/* two labels pointing at each other */
	t_header(&m, 0x8180, 1, 0);
	t_put(&m, "\x01" "x", 2);
	t_ptr(&m, 16);
	t_put(&m, "\x01" "y", 2);
	t_ptr(&m, 12);
	assert_int_equal(dns_parse_response(m.b, m.len, &r), -1);

	/* a pointer past the end */
	t_header(&m, 0x8180, 1, 0);
	t_ptr(&m, 0x3fff);
	t_put16(&m, 1);
	t_put16(&m, 1);
	assert_int_equal(dns_parse_response(m.b, m.len, &r), -1);
}

static void
t_bad_names(void **state)
{
	struct t_msg		 m;
	struct dns_response	 r;
	uint8_t			 lab[64];

	/* a 64-byte label */
	t_header(&m, 0x8180, 1, 0);
	lab[0] = 64;
	memset(lab + 1, 'a', 63);
	t_put(&m, lab, 64);
	t_put(&m, "a\0\0\x01\0\x01", 6);
	assert_int_equal(dns_parse_response(m.b, m.len, &r), -1);

	/* 5 labels of 63: 321 bytes on the wire */
	t_header(&m, 0x8180, 1, 0);
	lab[0] = 63;
	for (int i = 0; i < 5; i++)
		t_put(&m, lab, 64);
	t_put(&m, "\0\0\x01\0\x01", 5);
	assert_int_equal(dns_parse_response(m.b, m.len, &r), -1);

	/* exactly 255 on the wire (253 as text) is fine */
	t_header(&m, 0x8180, 1, 0);
	for (int i = 0; i < 3; i++)
		t_put(&m, lab, 64);
	lab[0] = 61;
	t_put(&m, lab, 62);
	t_put(&m, "\0\0\x01\0\x01", 5);
	assert_int_equal(dns_parse_response(m.b, m.len, &r), 0);
	assert_int_equal(strlen(r.qname), 253);

	/* a NUL inside a label */
	t_header(&m, 0x8180, 1, 0);
	t_put(&m, "\x03" "a\0b\0\0\x01\0\x01", 9);
	assert_int_equal(dns_parse_response(m.b, m.len, &r), -1);
}

static void
t_header_checks(void **state)
{
	struct t_msg		 m;
	struct dns_response	 r;

	t_build_simple_a(&m);
	m.b[2] &= 0x7f;		/* QR = 0: a query */
	assert_int_equal(dns_parse_response(m.b, m.len, &r), -1);

	t_build_simple_a(&m);
	m.b[4] = m.b[5] = 0;	/* QDCOUNT = 0 */
	assert_int_equal(dns_parse_response(m.b, m.len, &r), -1);

	t_build_simple_a(&m);
	m.b[7] = 2;		/* ANCOUNT larger than the message */
	assert_int_equal(dns_parse_response(m.b, m.len, &r), -1);
}

/* Every prefix of a good message, each in an exact-size heap buffer. */
static void
t_truncated(void **state)
{
	struct t_msg		 m;
	struct dns_response	 r;

	for (int kind = 0; kind < 2; kind++) {
		if (kind == 0)
			t_build_simple_a(&m);
		else
			t_build_cname(&m, 0);
		assert_int_equal(dns_parse_response(m.b, m.len, &r), 0);
		for (size_t n = 0; n < m.len; n++) {
			uint8_t *b = malloc(n ? n : 1);

			assert_non_null(b);
			memcpy(b, m.b, n);
			assert_int_equal(dns_parse_response(b, n, &r), -1);
			free(b);
		}
	}
}

static void
t_random(void **state)
{
	struct dns_response	 r;
	uint64_t		 x = 0x9e3779b97f4a7c15ULL;
	int			 ok = 0;

	for (int i = 0; i < 100000; i++) {
		size_t	 n;
		uint8_t	*b;

		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		n = (size_t)(x % 300);
		assert_non_null(b = malloc(n ? n : 1));
		for (size_t j = 0; j < n; j++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			b[j] = (uint8_t)x;
		}
		/* a plausible header so the parser gets past it often */
		if (n >= 12) {
			b[2] |= 0x80;
			b[4] = 0;
			b[5] = 1;
			b[6] = 0;
			b[7] &= 3;
		}
		if (dns_parse_response(b, n, &r) == 0) {
			ok++;
			assert_true(r.nanswers <= DNS_MAX_ANSWERS);
			assert_true(strlen(r.qname) <= 253);
		}
		free(b);
	}
	/* some random messages do parse, so the loop reached the answers */
	assert_true(ok > 0);
}

/* A response for qname with one A answer. */
static void
t_resp(struct dns_response *r, const char *qname, const char *addr,
    uint32_t ttl)
{
	memset(r, 0, sizeof(*r));
	strncpy(r->qname, qname, sizeof(r->qname) - 1);
	t_addr(&r->answers[0].addr, addr);
	r->answers[0].ttl = ttl;
	r->nanswers = 1;
}

static void
t_cache_ttl(void **state)
{
	struct dns_cache	*c;
	struct dns_response	 r;
	struct sg_addr		 cl, a;
	const char		*name;

	assert_non_null(c = dns_cache_new(16, 3600));
	t_addr(&cl, "10.1.2.3");
	t_addr(&a, "157.240.1.35");
	t_resp(&r, "www.facebook.com", "157.240.1.35", 300);
	dns_cache_add(c, &cl, &r, 1000);
	assert_non_null(name = dns_cache_lookup(c, &cl, &a, 1000 + 299));
	assert_string_equal(name, "www.facebook.com");
	assert_null(dns_cache_lookup(c, &cl, &a, 1000 + 300));
	assert_null(dns_cache_lookup(c, &cl, &a, 1000 + 299));
	dns_cache_free(c);
}

/* A TTL-0 answer (dnsmasq's own names) still names the connection that
 * follows it, for 10 s; dns_cache_get copies the name out. */
static void
t_cache_ttl_zero(void **state)
{
	struct dns_cache	*c;
	struct dns_response	 r;
	struct sg_addr		 cl, a;
	char			 name[SG_HOST_MAX];

	assert_non_null(c = dns_cache_new(16, 3600));
	t_addr(&cl, "10.1.2.3");
	t_addr(&a, "157.240.1.35");
	t_resp(&r, "www.facebook.com", "157.240.1.35", 0);
	dns_cache_add(c, &cl, &r, 1000);
	assert_true(dns_cache_get(c, &cl, &a, 1000 + 9, name));
	assert_string_equal(name, "www.facebook.com");
	assert_false(dns_cache_get(c, &cl, &a, 1000 + 10, name));
	dns_cache_free(c);
}

static void
t_cache_max_ttl(void **state)
{
	struct dns_cache	*c;
	struct dns_response	 r;
	struct sg_addr		 cl, a;

	assert_non_null(c = dns_cache_new(16, 60));
	t_addr(&cl, "2001:db8::10");
	t_addr(&a, "2001:db8:f::1");
	t_resp(&r, "example.org", "2001:db8:f::1", 86400);
	dns_cache_add(c, &cl, &r, 50);
	assert_non_null(dns_cache_lookup(c, &cl, &a, 50 + 59));
	assert_null(dns_cache_lookup(c, &cl, &a, 50 + 60));
	dns_cache_free(c);
}

static void
t_cache_per_client(void **state)
{
	struct dns_cache	*c;
	struct dns_response	 r;
	struct sg_addr		 ca, cb, a, a6;

	assert_non_null(c = dns_cache_new(16, 3600));
	t_addr(&ca, "10.0.0.1");
	t_addr(&cb, "10.0.0.2");
	t_addr(&a, "192.0.2.1");
	t_resp(&r, "a.example", "192.0.2.1", 300);
	dns_cache_add(c, &ca, &r, 0);
	t_resp(&r, "b.example", "192.0.2.1", 300);
	dns_cache_add(c, &cb, &r, 0);
	assert_string_equal(dns_cache_lookup(c, &ca, &a, 1), "a.example");
	assert_string_equal(dns_cache_lookup(c, &cb, &a, 1), "b.example");
	/* a v6 address whose first bytes spell the v4 one is another key */
	t_addr(&a6, "c000:201::");
	assert_null(dns_cache_lookup(c, &ca, &a6, 1));
	assert_int_equal(dns_cache_count(c), 2);
	dns_cache_free(c);
}

static void
t_cache_replace(void **state)
{
	struct dns_cache	*c;
	struct dns_response	 r;
	struct sg_addr		 cl, a;

	assert_non_null(c = dns_cache_new(16, 3600));
	t_addr(&cl, "10.0.0.1");
	t_addr(&a, "192.0.2.1");
	t_resp(&r, "old.example", "192.0.2.1", 30);
	dns_cache_add(c, &cl, &r, 0);
	t_resp(&r, "new.example", "192.0.2.1", 300);
	dns_cache_add(c, &cl, &r, 10);
	assert_int_equal(dns_cache_count(c), 1);
	assert_string_equal(dns_cache_lookup(c, &cl, &a, 100), "new.example");
	dns_cache_free(c);
}

static void
t_cache_bounded(void **state)
{
	const size_t		 max = 64;
	struct dns_cache	*c;
	struct dns_response	 r;
	struct sg_addr		 cl, a;
	char			 ip[32];
	size_t			 found = 0;

	assert_non_null(c = dns_cache_new(max, 3600));
	t_addr(&cl, "10.0.0.1");
	for (size_t i = 0; i < max * 10; i++) {
		snprintf(ip, sizeof(ip), "10.200.%zu.%zu", i / 256, i % 256);
		t_resp(&r, "bulk.example", ip, 300);
		dns_cache_add(c, &cl, &r, (time_t)i);
		assert_true(dns_cache_count(c) <= max);
	}
	assert_int_equal(dns_cache_count(c), max);
	/* the newest survive, the oldest were evicted */
	for (size_t i = 0; i < max * 10; i++) {
		snprintf(ip, sizeof(ip), "10.200.%zu.%zu", i / 256, i % 256);
		t_addr(&a, ip);
		if (dns_cache_lookup(c, &cl, &a, (time_t)(max * 10)) != NULL) {
			assert_true(i >= max * 9);
			found++;
		}
	}
	assert_int_equal(found, max);
	dns_cache_free(c);
}

/* Parsed answers go into the cache under the question's name. */
static void
t_parse_then_cache(void **state)
{
	struct dns_cache	*c;
	struct t_msg		 m;
	struct dns_response	 r;
	struct sg_addr		 cl, a;

	t_build_cname(&m, 0);
	assert_int_equal(dns_parse_response(m.b, m.len, &r), 0);
	assert_non_null(c = dns_cache_new(8, 3600));
	t_addr(&cl, "10.0.0.9");
	t_addr(&a, "157.240.1.35");
	dns_cache_add(c, &cl, &r, 0);
	assert_string_equal(dns_cache_lookup(c, &cl, &a, 59), "www.facebook.com");
	t_addr(&a, "192.0.2.99");
	assert_null(dns_cache_lookup(c, &cl, &a, 1));
	dns_cache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_simple_a),
		cmocka_unit_test(t_aaaa),
		cmocka_unit_test(t_cname_chain),
		cmocka_unit_test(t_compression),
		cmocka_unit_test(t_pointer_loop),
		cmocka_unit_test(t_bad_names),
		cmocka_unit_test(t_header_checks),
		cmocka_unit_test(t_truncated),
		cmocka_unit_test(t_random),
		cmocka_unit_test(t_cache_ttl),
		cmocka_unit_test(t_cache_ttl_zero),
		cmocka_unit_test(t_cache_max_ttl),
		cmocka_unit_test(t_cache_per_client),
		cmocka_unit_test(t_cache_replace),
		cmocka_unit_test(t_cache_bounded),
		cmocka_unit_test(t_parse_then_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
