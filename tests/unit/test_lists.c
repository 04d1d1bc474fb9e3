/*
 * policy/lists.c: list files read and checked line by line, downloaded
 * lines taken apart, and the index (classifiers/hostset.c, cidrset.c) the
 * policy looks hosts and addresses up in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confpack.h"
#include "lists.h"
#include "policy.h"
#include "testutil.h"

#define HDR "# source: test\n# date: 2026-09-01\n# licence: CC0\n"

static char dir[64];

static void
put(const char *name, const char *text)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

struct errs {
	char	 text[4096];
	size_t	 n;
};

static void
collect(void *arg, const char *file, int line, const char *msg)
{
	struct errs *e = arg;
	size_t len = strlen(e->text);

	snprintf(e->text + len, sizeof(e->text) - len, "%s:%d: %s\n",
	    strrchr(file, '/') + 1, line, msg);
	e->n++;
}

static size_t
read_list(const char *name, struct conf_list *l, struct errs *e)
{
	char path[128];

	memset(l, 0, sizeof(*l));
	memset(e, 0, sizeof(*e));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	l->name = strdup(name);
	l->path = strdup(path);
	lists_read(l, collect, e);
	fputs(e->text, stderr);		/* what a failure shows */
	return e->n;
}

static void
test_read_good(void **state)
{
	struct conf_list l;
	struct errs e;

	(void)state;
	put("ok.hosts", HDR "# description: a test list\n#\n"
	    "Example.ORG.   # trailing dot and case\n"
	    "*.example.net\n\n# a comment: not a header any more\n"
	    "xn--bcher-kva.example\n");
	assert_int_equal(read_list("ok.hosts", &l, &e), 0);
	assert_int_equal(l.kind, CONF_LIST_HOSTS);
	assert_string_equal(l.source, "test");
	assert_string_equal(l.licence, "CC0");
	assert_string_equal(l.description, "a test list");
	assert_int_equal(l.date, sg_days_from_civil(2026, 9, 1));
	assert_int_equal(l.nhosts, 3);
	assert_string_equal(l.hosts[0], "example.org");
	assert_string_equal(l.hosts[1], "*.example.net");
	lists_clear(&l);

	put("ok.cidr", HDR "192.0.2.0/24\n2001:db8::/32  # docs\n"
	    "198.51.100.7\n2001:db8:1::1\n");
	assert_int_equal(read_list("ok.cidr", &l, &e), 0);
	assert_int_equal(l.kind, CONF_LIST_CIDR);
	assert_int_equal(l.ncidrs, 4);
	assert_int_equal(l.cidrs[0].prefix, 24);
	assert_int_equal(l.cidrs[1].prefix, 32);
	assert_int_equal(l.cidrs[2].prefix, 32);	/* a bare address */
	assert_int_equal(l.cidrs[3].prefix, 128);
	lists_clear(&l);
}

static void
test_read_errors(void **state)
{
	struct conf_list l;
	struct errs e;

	(void)state;
	put("bad.hosts", "# source: test\n# date: 2026-13-01\n"
	    "good.example\nbad..example\nb\xc3\xbc" "cher.example\n"
	    "two.example three.example\nwww.*.example\n");
	assert_int_equal(read_list("bad.hosts", &l, &e), 6);
	assert_string_equal(e.text,
	    "bad.hosts:2: date \"2026-13-01\" is not a YYYY-MM-DD date\n"
	    "bad.hosts:4: \"bad..example\": not a host name or *.name pattern\n"
	    "bad.hosts:5: \"b\xc3\xbc" "cher.example\": not ASCII (write an "
	    "international name in its xn-- form)\n"
	    "bad.hosts:6: \"two.example three.example\": more than one entry "
	    "on the line\n"
	    "bad.hosts:7: \"www.*.example\": not a host name or *.name "
	    "pattern\n"
	    "bad.hosts:1: no \"# licence: ...\" header line\n");
	lists_clear(&l);

	put("bad.cidr", HDR "192.0.2.1/24\n2001:db8::1/32\n10.0.0.0/33\n"
	    "example.org\n");
	assert_int_equal(read_list("bad.cidr", &l, &e), 4);
	assert_string_equal(e.text,
	    "bad.cidr:4: \"192.0.2.1/24\": host bits set after the prefix "
	    "length\n"
	    "bad.cidr:5: \"2001:db8::1/32\": host bits set after the prefix "
	    "length\n"
	    "bad.cidr:6: \"10.0.0.0/33\": not an address or range\n"
	    "bad.cidr:7: \"example.org\": not an address or range\n");
	lists_clear(&l);

	assert_int_equal(read_list("missing.hosts", &l, &e), 1);
	assert_non_null(strstr(e.text, "missing.hosts:0: cannot open"));
	lists_clear(&l);
}

static int
take(void *arg, int kind, const char *entry)
{
	char *out = arg;
	size_t len = strlen(out);

	snprintf(out + len, 512 - len, "%c %s\n", kind == CONF_LIST_HOSTS ?
	    'h' : 'c', entry);
	return 0;
}

static const char *
foreign(const char *line)
{
	static char out[512];
	char buf[256];
	const char *why = NULL;

	out[0] = '\0';
	snprintf(buf, sizeof(buf), "%s", line);
	if (lists_foreign_line(buf, take, out, &why) == -1)
		return why;
	return out;
}

static void
test_foreign(void **state)
{
	(void)state;
	assert_string_equal(foreign("# comment only\n"), "");
	assert_string_equal(foreign("  \n"), "");
	assert_string_equal(foreign("Vpn.Example  # a VPN\n"),
	    "h vpn.example\n");
	assert_string_equal(foreign("*.vpn.example\n"), "h *.vpn.example\n");
	assert_string_equal(foreign("192.0.2.9\n"), "c 192.0.2.9/32\n");
	assert_string_equal(foreign("2001:DB8::/32\n"), "c 2001:db8::/32\n");
	/* nDPI: a host rule means the name and everything below it */
	assert_string_equal(foreign("host:\"proton.me\",host:\"protonvpn.ch\""
	    "@ProtonVPN\n"), "h proton.me\nh *.proton.me\nh protonvpn.ch\n"
	    "h *.protonvpn.ch\n");
	assert_string_equal(foreign("ip:185.159.157.0/24:443@ProtonVPN\n"),
	    "c 185.159.157.0/24\n");
	assert_string_equal(foreign("ip:10.1.2.3@X\n"), "c 10.1.2.3/32\n");
	assert_string_equal(foreign("ipv6:[2a07:b944::]/32:443@X\n"),
	    "c 2a07:b944::/32\n");
	assert_string_equal(foreign("tcp:1194@OpenVPN\n"), "an nDPI rule other "
	    "than host: or ip: (ports say nothing about a site)");
	assert_string_equal(foreign("ip:192.0.2.1/24@X\n"),
	    "host bits set after the prefix length");
	assert_string_equal(foreign("host:\"a\"b\"@X\n"),
	    "host: names one domain, in quotes");
}

static const char *conf_fmt =
    "school = { name = \"T\"; school_hours = \"hours\"; };\n"
    "schedules = ( { name = \"hours\"; weekdays = [\"mon\"]; } );\n"
    "groups = ( { name = \"guests\"; } );\n"
    "default_group = \"guests\";\n"
    "categories = (\n"
    "  { name = \"social\"; protocols = [\"Facebook\"];\n"
    "    hosts = [\"inline.example\"]; lists = [\"social.hosts\"]; },\n"
    "  { name = \"circumvention\";\n"
    "    lists = [\"circumvention.hosts\", \"wide.cidr\", \"tor.cidr\"]; } );\n"
    "classification = { unknown_clause = \"9.1\"; lists_dir = \"%s\"; };\n";

static struct sg_config *
load(void)
{
	char text[2048];

	put("social.hosts", HDR "bsky.app\n*.bsky.app\n*.bsky.network\n"
	    "threads.net\n");
	put("circumvention.hosts", HDR "*.sec-tunnel.com\nproton.me\n"
	    "# the same name in two categories is both\nthreads.net\n");
	put("wide.cidr", HDR "198.51.0.0/16\n2001:db8::/32\n");
	put("tor.cidr", HDR "198.51.100.0/24\n2001:db8:5::7\n");
	snprintf(text, sizeof(text), conf_fmt, dir);
	return tu_load_config(text);
}

static void
test_match_hosts(void **state)
{
	struct sg_config *cfg = load();

	(void)state;
	assert_non_null(cfg);
	assert_int_equal(cfg->nlists, 4);
	/* exact names: that name only */
	assert_int_equal(policy_categories(cfg, "", "", "bsky.app"), 1);
	assert_int_equal(policy_categories(cfg, "", "", "BSKY.App."), 1);
	assert_int_equal(policy_categories(cfg, "", "", "proton.me"), 2);
	assert_int_equal(policy_categories(cfg, "", "", "vpn.proton.me"), 0);
	assert_int_equal(policy_categories(cfg, "", "", "notbsky.app"), 0);
	/* wildcards: every name below, not the name itself */
	assert_int_equal(policy_categories(cfg, "", "", "cdn.bsky.app"), 1);
	assert_int_equal(policy_categories(cfg, "", "", "a.b.bsky.network"),
	    1);
	assert_int_equal(policy_categories(cfg, "", "", "bsky.network"), 0);
	assert_int_equal(policy_categories(cfg, "", "", "x.sec-tunnel.com"),
	    2);
	assert_int_equal(policy_categories(cfg, "", "", "sec-tunnel.com.evil"),
	    0);
	/* in two categories' lists; inline hosts still count */
	assert_int_equal(policy_categories(cfg, "", "", "threads.net"), 3);
	assert_int_equal(policy_categories(cfg, "", "", "inline.example"), 1);
	assert_int_equal(policy_categories(cfg, "TLS", "Facebook", ""), 1);
	assert_int_equal(policy_categories(cfg, "", "", ""), 0);
	conf_free(cfg);
}

static uint64_t
by_addr(const struct sg_config *cfg, const char *ip, const char **list)
{
	struct sg_addr a = tu_ip(ip);

	return policy_addr_categories(cfg, &a, list);
}

static void
test_match_addrs(void **state)
{
	struct sg_config *cfg = load();
	const char *list;

	(void)state;
	assert_non_null(cfg);
	/* the longest range names the list */
	assert_int_equal(by_addr(cfg, "198.51.100.9", &list), 2);
	assert_string_equal(list, "tor.cidr");
	assert_int_equal(by_addr(cfg, "198.51.7.1", &list), 2);
	assert_string_equal(list, "wide.cidr");
	assert_int_equal(by_addr(cfg, "198.50.255.255", &list), 0);
	assert_null(list);
	assert_int_equal(by_addr(cfg, "2001:db8:5::7", &list), 2);
	assert_string_equal(list, "tor.cidr");
	assert_int_equal(by_addr(cfg, "2001:db8:5::8", &list), 2);
	assert_string_equal(list, "wide.cidr");
	assert_int_equal(by_addr(cfg, "2001:db9::1", &list), 0);
	/* IPv4 and IPv6 trees apart: ::ffff:c633:6409 is no IPv4 address */
	assert_int_equal(by_addr(cfg, "::ffff:198.51.100.9", &list), 0);
	conf_free(cfg);
}

/* The inspector's copy matches as the loaded config does. */
static void
test_packed(void **state)
{
	struct sg_config *cfg = load(), *copy;
	uint8_t *blob;
	size_t len;
	char err[160];
	const char *list;

	(void)state;
	assert_non_null(cfg);
	assert_int_equal(conf_pack(cfg, &blob, &len), 0);
	copy = conf_unpack(blob, len, err, sizeof(err));
	if (copy == NULL)
		fail_msg("%s", err);
	free(blob);
	assert_int_equal(copy->nlists, 4);
	assert_int_equal(copy->lists[2].date, cfg->lists[2].date);
	assert_string_equal(copy->lists[3].source, "test");
	assert_int_equal(policy_categories(copy, "", "", "x.bsky.network"), 1);
	assert_int_equal(by_addr(copy, "198.51.100.1", &list), 2);
	assert_string_equal(list, "tor.cidr");
	conf_free(copy);
	conf_free(cfg);
}

/* A flow placed by an address list keeps that list's category when a
 * reload decides it again, though its address is not kept. */
static void
test_redecide(void **state)
{
	struct sg_config *cfg = load();
	struct policy_decision first, d;
	struct policy_kept k;
	struct ident id;
	uint64_t cats;

	(void)state;
	assert_non_null(cfg);
	memset(&id, 0, sizeof(id));
	id.ip = tu_ip("10.30.0.9");
	memset(&first, 0, sizeof(first));
	first.rule = -1;
	first.rule_name = "default";
	first.addr_list = "tor.cidr";
	policy_kept_init(&k, &id, NULL, "TLS", "TLS", "", &first);
	policy_redecide(cfg, &k, 0, &id, &cats, &d);
	assert_int_equal(cats, 2);
	assert_string_equal(d.addr_list, "tor.cidr");
	/* a named flow is placed by its name, never by the list */
	policy_kept_init(&k, &id, NULL, "TLS", "TLS", "bsky.app", &first);
	policy_redecide(cfg, &k, 0, &id, &cats, &d);
	assert_int_equal(cats, 1);
	assert_null(d.addr_list);
	/* a list the new config no longer has places nothing */
	first.addr_list = "gone.cidr";
	policy_kept_init(&k, &id, NULL, "TLS", "TLS", "", &first);
	policy_redecide(cfg, &k, 0, &id, &cats, &d);
	assert_int_equal(cats, 0);
	assert_null(d.addr_list);
	conf_free(cfg);
}

static void
test_config_errors(void **state)
{
	struct conf_errors errs = { NULL, 0 };
	char text[2048], *path;

	(void)state;
	put("social.hosts", HDR "bsky.app\n");
	put("circumvention.hosts", HDR "ok.example\nbad host\n");
	put("wide.cidr", "192.0.2.0/24\n");
	unlink(strcat(strcpy(text, dir), "/tor.cidr"));
	snprintf(text, sizeof(text), conf_fmt, dir);
	path = tu_write_temp(text);
	assert_null(conf_load(path, &errs));
	assert_int_equal(errs.n, 5);	/* 1 line, 3 headers, 1 file */
	assert_non_null(strstr(errs.msg[0], "/circumvention.hosts:5: "
	    "\"bad host\": more than one entry on the line"));
	assert_non_null(strstr(errs.msg[1], "/wide.cidr:1: no \"# source"));
	assert_non_null(strstr(errs.msg[4], "/tor.cidr:0: cannot open"));
	conf_errors_clear(&errs);
	unlink(path);
	free(path);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_lists.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_good),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_foreign),
		cmocka_unit_test(test_match_hosts),
		cmocka_unit_test(test_match_addrs),
		cmocka_unit_test(test_packed),
		cmocka_unit_test(test_redecide),
		cmocka_unit_test(test_config_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
