/*
 * Leases files (policy/leases.c and one parser per format:
 * leases_dnsmasq.c, leases_isc.c, leases_kea.c): what each format keeps,
 * errors that name FILE:LINE, bounds, loading and re-reading a file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "leases.h"
#include "testutil.h"

/*
 * Parse from an exact-size heap copy with no NUL after it, so that
 * AddressSanitizer catches any read past the length given.
 */
static int
parse(const char *text, enum conf_leases_format fmt, struct leases *out,
    char *err, size_t errlen)
{
	size_t len = strlen(text);
	char *copy = malloc(len > 0 ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, text, len);
	rc = leases_parse(copy, len, fmt, "test.leases", out, err, errlen);
	free(copy);
	return rc;
}

static void
assert_lease(const struct leases *ls, const char *addr, const char *hw,
    const char *host, int64_t expires)
{
	struct sg_addr a = tu_ip(addr);
	const struct lease *l = leases_find_ip(ls, &a);
	uint8_t m[6];

	if (l == NULL)
		fail_msg("no lease for %s", addr);
	tu_mac(hw, m);
	assert_memory_equal(l->mac, m, 6);
	assert_string_equal(l->hostname, host);
	assert_int_equal(l->expires, expires);
}

static void
assert_no_lease(const struct leases *ls, const char *addr)
{
	struct sg_addr a = tu_ip(addr);

	assert_null(leases_find_ip(ls, &a));
}

static const char dnsmasq_sample[] =
    "1795514400 3c:22:fb:12:34:56 10.1.0.23 MacBook-Air-J-Smith "
    "01:3c:22:fb:12:34:56\n"
    "0 b8:27:eb:aa:bb:cc 10.1.0.50 * *\n"
    "1795595400 a4-5e-60-01-02-03 10.2.0.77 Pixel-7 *\n"
    "duid 00:01:00:01:2c:5f:1a:2b:08:00:27:4e:29:5d\n"
    "1795514400 2787468899 2001:db8::1bd android-1 "
    "00:04:5d:8f:8c:6e:11:0c:ae:5c:f9:e0:82:b1:0e:0d:2f\n";

static void
test_dnsmasq(void **state)
{
	struct leases ls = { 0 };
	char err[256] = "";

	assert_int_equal(parse(dnsmasq_sample, LEASES_DNSMASQ, &ls, err,
	    sizeof(err)), 0);
	assert_int_equal(ls.n, 3);
	assert_lease(&ls, "10.1.0.23", "3c:22:fb:12:34:56",
	    "MacBook-Air-J-Smith", 1795514400);
	assert_lease(&ls, "10.1.0.50", "b8:27:eb:aa:bb:cc", "", 0);
	assert_lease(&ls, "10.2.0.77", "a4:5e:60:01:02:03", "Pixel-7",
	    1795595400);
	assert_no_lease(&ls, "2001:db8::1bd");
	assert_no_lease(&ls, "10.1.0.24");
	leases_free(&ls);
	assert_null(ls.v);
	assert_int_equal(ls.n, 0);
}

static const char isc_sample[] =
    "# The format of this file is documented in the dhcpd.leases(5) manual"
    " page.\n"
    "# This lease file was written by isc-dhcp-4.4.3-P1\n"
    "\n"
    "# authoring-byte-order entry is generated, DO NOT DELETE\n"
    "authoring-byte-order little-endian;\n"
    "\n"
    "server-duid \"\\000\\001\\000\\001,\\262\\234\\022\\010\\000'N)]\";\n"
    "\n"
    "failover peer \"dhcp-failover\" state {\n"
    "  my state normal at 2 2026/11/24 08:00:00;\n"
    "  partner state normal at 2 2026/11/24 08:00:00;\n"
    "}\n"
    "lease 10.1.0.23 {\n"
    "  starts 2 2026/11/24 09:00:00;\n"
    "  ends 2 2026/11/24 10:00:00;\n"
    "  cltt 2 2026/11/24 09:00:00;\n"
    "  binding state active;\n"
    "  next binding state free;\n"
    "  rewind binding state free;\n"
    "  hardware ethernet 3c:22:fb:12:34:56;\n"
    "  uid \"\\001<\\\"{\\3724V\";\n"
    "  set vendor-class-identifier = \"MSFT 5.0\";\n"
    "  client-hostname \"MacBook-Air-J-Smith\";\n"
    "}\n"
    "lease 10.1.0.24 {\n"
    "  starts 2 2026/11/24 07:00:00;\n"
    "  ends 2 2026/11/24 08:00:00;\n"
    "  tstp 2 2026/11/24 08:00:00;\n"
    "  binding state free;\n"
    "  hardware ethernet 00:11:22:33:44:55;\n"
    "}\n"
    "lease 10.1.0.30 {\n"
    "  ends never;\n"
    "  hardware ethernet 00:11:22:33:44:66;\n"
    "  client-hostname \"old \\\"dhcpd\\\"\";\n"
    "}\n"
    "lease 10.1.0.31 {\n"
    "  ends epoch 1795595400; # Wed Nov 25 08:30:00 2026\n"
    "  binding state active;\n"
    "  hardware ethernet 00:11:22:33:44:77;\n"
    "}\n"
    "lease 10.1.0.32 {\n"
    "  binding state active;\n"
    "  hardware ethernet 00:11:22:33:44:88;\n"
    "}\n"
    "lease 10.1.0.23 {\n"
    "  starts 2 2026/11/24 09:30:00;\n"
    "  ends 3 2026/11/25 08:30:00;\n"
    "  binding state active;\n"
    "  hardware ethernet 3c:22:fb:12:34:99;\n"
    "  client-hostname \"renewed\";\n"
    "}\n"
    "lease 10.1.0.32 {\n"
    "  binding state released;\n"
    "  hardware ethernet 00:11:22:33:44:88;\n"
    "}\n"
    "ia-na \"\\001\\000\\000\\000\\000\\001\" {\n"
    "  cltt 2 2026/11/24 09:00:00;\n"
    "  iaaddr 2001:db8::5 {\n"
    "    binding state active;\n"
    "  }\n"
    "}\n";

static void
test_isc(void **state)
{
	struct leases ls = { 0 };
	char err[256] = "";

	if (parse(isc_sample, LEASES_ISC, &ls, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(ls.n, 3);
	/* The later block for .23 replaced the earlier one. */
	assert_lease(&ls, "10.1.0.23", "3c:22:fb:12:34:99", "renewed",
	    1795595400);
	assert_no_lease(&ls, "10.1.0.24");	/* free */
	assert_lease(&ls, "10.1.0.30", "00:11:22:33:44:66", "old \"dhcpd\"", 0);
	assert_lease(&ls, "10.1.0.31", "00:11:22:33:44:77", "", 1795595400);
	assert_no_lease(&ls, "10.1.0.32");	/* released later */
	assert_no_lease(&ls, "2001:db8::5");
	leases_free(&ls);
}

static void
test_isc_expiry_time(void **state)
{
	struct leases ls = { 0 };
	char err[256] = "";

	assert_int_equal(parse("lease 10.0.0.5 {\n"
	    "  ends 2 2026/11/24 10:00:00;\n"
	    "  hardware ethernet aa:bb:cc:dd:ee:ff;\n"
	    "  client-hostname \"x\";\n"
	    "}\n", LEASES_ISC, &ls, err, sizeof(err)), 0);
	assert_lease(&ls, "10.0.0.5", "aa:bb:cc:dd:ee:ff", "x", 1795514400);
	leases_free(&ls);
}

static const char kea_sample[] =
    "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,"
    "fqdn_rev,hostname,state,user_context,pool_id\n"
    "10.1.0.23,3c:22:fb:12:34:56,01:3c:22:fb:12:34:56,3600,1795514400,1,0,"
    "0,macbook-air-j-smith,0,,0\n"
    "10.1.0.24,00:11:22:33:44:55,,3600,1795514400,1,0,0,printer,1,,0\n"
    "10.1.0.25,00:11:22:33:44:66,,3600,1795514400,1,0,0,pc&#x2cone,0,"
    "{ \"ISC\": { \"relay-agent-info\": \"0x01\"&#x2c \"x\": 1 } },0\n"
    "10.1.0.26,00:11:22:33:44:77,,4294967295,4294967295,1,0,0,,0,,0\n"
    "10.1.0.27,00:11:22:33:44:88,,3600,1795514400,1,0,0,gone,0,,0\n"
    "10.1.0.27,00:11:22:33:44:88,,0,1795510800,1,0,0,gone,0,,0\n"
    "10.1.0.23,3c:22:fb:12:34:56,01:3c:22:fb:12:34:56,3600,1795595400,1,0,"
    "0,macbook-air-j-smith,0,,0\n";

static void
test_kea(void **state)
{
	struct leases ls = { 0 };
	char err[256] = "";

	if (parse(kea_sample, LEASES_KEA, &ls, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(ls.n, 3);
	assert_lease(&ls, "10.1.0.23", "3c:22:fb:12:34:56",
	    "macbook-air-j-smith", 1795595400);
	assert_no_lease(&ls, "10.1.0.24");	/* declined */
	assert_lease(&ls, "10.1.0.25", "00:11:22:33:44:66", "pc,one",
	    1795514400);
	assert_lease(&ls, "10.1.0.26", "00:11:22:33:44:77", "", 0);
	assert_no_lease(&ls, "10.1.0.27");	/* released */
	leases_free(&ls);
}

static void
test_kea_header_order(void **state)
{
	struct leases ls = { 0 };
	char err[256] = "";

	/* Columns are found by name, not by position. */
	assert_int_equal(parse("address,state,hostname,expire,hwaddr,"
	    "valid_lifetime\n"
	    "192.168.7.9,0,tablet,1795514400,de:ad:be:ef:00:01,3600\n",
	    LEASES_KEA, &ls, err, sizeof(err)), 0);
	assert_int_equal(ls.n, 1);
	assert_lease(&ls, "192.168.7.9", "de:ad:be:ef:00:01", "tablet",
	    1795514400);
	leases_free(&ls);
}

static void
test_auto(void **state)
{
	static const char *const samples[] = {
		dnsmasq_sample, isc_sample, kea_sample,
	};
	static const enum conf_leases_format fmts[] = {
		LEASES_DNSMASQ, LEASES_ISC, LEASES_KEA,
	};
	char err[256] = "";

	for (size_t i = 0; i < 3; i++) {
		struct leases a = { 0 }, b = { 0 };

		assert_int_equal(parse(samples[i], LEASES_AUTO, &a, err,
		    sizeof(err)), 0);
		assert_int_equal(parse(samples[i], fmts[i], &b, err,
		    sizeof(err)), 0);
		assert_int_equal(a.n, b.n);
		assert_true(a.n > 0);
		assert_memory_equal(a.v, b.v, a.n * sizeof(a.v[0]));
		/* The wrong parser must not accept another format. */
		for (size_t j = 0; j < 3; j++) {
			struct leases c = { 0 };

			if (j != i)
				assert_int_equal(parse(samples[i], fmts[j], &c,
				    err, sizeof(err)), -1);
		}
		leases_free(&a);
		leases_free(&b);
	}

	struct leases e = { 0 };
	assert_int_equal(parse("", LEASES_AUTO, &e, err, sizeof(err)), 0);
	assert_int_equal(e.n, 0);
	leases_free(&e);
}

/* On error, *out keeps the last good mapping, and err names the line. */
static void
check_error(const char *text, enum conf_leases_format fmt, const char *want)
{
	struct leases ls = { 0 };
	char err[256] = "";
	struct lease *keep;

	assert_int_equal(parse("1 02:00:00:00:00:01 10.0.0.1 kept *\n",
	    LEASES_DNSMASQ, &ls, err, sizeof(err)), 0);
	keep = ls.v;
	assert_int_equal(parse(text, fmt, &ls, err, sizeof(err)), -1);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("error \"%s\", wanted it to start \"%s\"", err, want);
	assert_ptr_equal(ls.v, keep);
	assert_int_equal(ls.n, 1);
	assert_lease(&ls, "10.0.0.1", "02:00:00:00:00:01", "kept", 1);
	leases_free(&ls);
}

static void
test_errors(void **state)
{
	check_error("1795514400 3c:22:fb:12:34:56 10.1.0.23 a *\n"
	    "1795514400 3c:22:fb:12:34 10.1.0.24 b *\n",
	    LEASES_DNSMASQ, "test.leases:2: bad MAC");
	check_error("\n\n1795514400 3c:22:fb:12:34:56 10.1.0.300 a *\n",
	    LEASES_AUTO, "test.leases:3: bad IP");
	check_error("1795514400 3c:22:fb:12:34:56\n", LEASES_DNSMASQ,
	    "test.leases:1: expected");
	check_error("soon 3c:22:fb:12:34:56 10.1.0.23 a *\n", LEASES_DNSMASQ,
	    "test.leases:1: bad expiry");
	check_error("lease 10.1.0.23 {\n  hardware ethernet 3c:22:fb:zz:34:56;\n"
	    "}\n", LEASES_AUTO, "test.leases:2: bad MAC");
	check_error("lease 10.1.0 {\n}\n", LEASES_ISC, "test.leases:1: bad IP");
	check_error("# c\nlease 10.1.0.23 {\n  ends 2 2026/13/24 10:00:00;\n"
	    "}\n", LEASES_ISC, "test.leases:3: bad ends");
	check_error("lease 10.1.0.23 {\n  ends never;\n", LEASES_ISC,
	    "test.leases:1: lease block not closed");
	check_error("this is not a leases file at all\n", LEASES_AUTO,
	    "test.leases:1: garbage");
	check_error("lease 10.1.0.23 {\n  hello world\n}\n", LEASES_ISC,
	    "test.leases:2: garbage");
	check_error("address,hwaddr,expire\n10.0.0.1,00:11:22:33:44:55\n",
	    LEASES_KEA, "test.leases:2: expected 3 columns");
	check_error("address,hwaddr,expire\n10.0.0.1,00:11:22:33:44:55,x\n",
	    LEASES_AUTO, "test.leases:2: bad expire");
	check_error("address,hwaddr,expire\n10.0.0.1,00-11-22,1\n",
	    LEASES_KEA, "test.leases:2: bad MAC");
	check_error("10.0.0.1,00:11:22:33:44:55,1\n", LEASES_KEA,
	    "test.leases:1: expected a Kea CSV header");
}

static void
test_bounds(void **state)
{
	struct leases ls = { 0 };
	char err[256] = "";
	char *big;
	size_t n = 5000;

	/* An overlong line is refused, not truncated into something else. */
	assert_non_null(big = malloc(n + 1));
	memset(big, 'a', n);
	big[n] = '\0';
	assert_int_equal(parse(big, LEASES_DNSMASQ, &ls, err, sizeof(err)), -1);
	assert_string_equal(err, "test.leases:1: line too long");
	free(big);

	/* A NUL inside the text is not an end of line. */
	static const char nul[] = "0 02:00:00:00:00:01 10.0.0.1 a\0b *\n";
	assert_int_equal(leases_parse(nul, sizeof(nul) - 1, LEASES_DNSMASQ,
	    "n", &ls, err, sizeof(err)), -1);
	assert_string_equal(err, "n:1: NUL byte in line");

	/* The size is refused before a byte is read. */
	assert_int_equal(leases_parse("", (size_t)64 * 1024 * 1024 + 1,
	    LEASES_AUTO, "huge", &ls, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "huge"));

	/* A long hostname is cut at the field, and a tiny err buffer holds. */
	char line[300];
	char host[200];
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	snprintf(line, sizeof(line), "0 02:00:00:00:00:01 10.0.0.1 %s *\n",
	    host);
	assert_int_equal(parse(line, LEASES_DNSMASQ, &ls, err, 4), 0);
	assert_int_equal(strlen(ls.v[0].hostname), SG_NAME_MAX - 1);
	leases_free(&ls);
	assert_int_equal(parse("x", LEASES_ISC, &ls, err, 4), -1);
	assert_string_equal(err, "tes");
}

static void
test_load(void **state)
{
	char path[] = "/tmp/sg-test-leases-XXXXXX";
	char err[256] = "";
	struct leases ls = { 0 };
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, kea_sample, strlen(kea_sample)),
	    (ssize_t)strlen(kea_sample));
	close(fd);
	assert_int_equal(leases_load(path, LEASES_AUTO, &ls, err, sizeof(err)),
	    0);
	assert_int_equal(ls.n, 3);
	/* Loading again replaces the mapping (ASan checks the old is freed). */
	assert_int_equal(leases_load(path, LEASES_KEA, &ls, err, sizeof(err)),
	    0);
	assert_int_equal(ls.n, 3);
	unlink(path);
	assert_int_equal(leases_load(path, LEASES_AUTO, &ls, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, path));
	assert_int_equal(ls.n, 3);
	assert_int_equal(leases_load("/", LEASES_AUTO, &ls, err, sizeof(err)),
	    -1);
	assert_int_equal(ls.n, 3);
	leases_free(&ls);
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* Re-read on change; a bad file keeps the last good mapping and is
 * reported once, not on every poll. */
static void
test_refresh(void **state)
{
	char path[] = "/tmp/sg-test-refresh-XXXXXX", err[256];
	struct leases_file lf;
	struct sg_addr ip;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	close(fd);
	write_file(path, "0 02:00:00:00:10:03 10.10.0.23 laptop *\n");
	memset(&lf, 0, sizeof(lf));
	lf.path = path;
	lf.format = LEASES_DNSMASQ;
	assert_int_equal(leases_refresh(&lf, err, sizeof(err)), 1);
	assert_int_equal(leases_refresh(&lf, err, sizeof(err)), 0);
	sg_addr_parse("10.10.0.23", &ip);
	assert_non_null(leases_find_ip(&lf.cur, &ip));

	write_file(path, "garbage that is not a lease at all\n");
	assert_int_equal(leases_refresh(&lf, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(leases_find_ip(&lf.cur, &ip));	/* last good kept */
	assert_int_equal(leases_refresh(&lf, err, sizeof(err)), 0);

	write_file(path, "0 02:00:00:00:10:04 10.10.0.24 phone *\n"
	    "0 02:00:00:00:10:03 10.10.0.23 laptop *\n");
	assert_int_equal(leases_refresh(&lf, err, sizeof(err)), 1);
	assert_int_equal(lf.cur.n, 2);

	unlink(path);
	assert_int_equal(leases_refresh(&lf, err, sizeof(err)), -1);
	assert_int_equal(lf.cur.n, 2);
	/* a missing file is reported once, not on every poll */
	assert_int_equal(leases_refresh(&lf, err, sizeof(err)), 0);
	write_file(path, "0 02:00:00:00:10:03 10.10.0.23 laptop *\n");
	assert_int_equal(leases_refresh(&lf, err, sizeof(err)), 1);
	assert_int_equal(lf.cur.n, 1);
	unlink(path);
	leases_free(&lf.cur);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dnsmasq),
		cmocka_unit_test(test_isc),
		cmocka_unit_test(test_isc_expiry_time),
		cmocka_unit_test(test_kea),
		cmocka_unit_test(test_kea_header_order),
		cmocka_unit_test(test_auto),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_refresh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
