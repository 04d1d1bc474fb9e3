/*
 * policy/confpack.c: the inspector's config, packed and unpacked, makes
 * the same decisions with the same explain trace as the one loaded from
 * the file; a damaged blob is refused, never followed out of bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../fuzz/fuzzutil.h"
#include "confpack.h"
#include "policy.h"
#include "testutil.h"

struct trace {
	char		 buf[4096];
	size_t		 len;
};

static void
trace_add(void *arg, const char *fmt, ...)
{
	struct trace *t = arg;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, sizeof(t->buf) - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n < sizeof(t->buf) - t->len ? (size_t)n :
		    sizeof(t->buf) - t->len - 1;
	if (t->len + 1 < sizeof(t->buf))
		t->buf[t->len++] = '\n';
	t->buf[t->len] = '\0';
}

static struct sg_config *
roundtrip(const struct sg_config *cfg)
{
	struct sg_config *out;
	uint8_t *blob;
	size_t len;
	char err[160];

	assert_int_equal(conf_pack(cfg, &blob, &len), 0);
	out = conf_unpack(blob, len, err, sizeof(err));
	if (out == NULL)
		fail_msg("%s", err);
	free(blob);
	return out;
}

/* One flow decided by both configs; returns the action. */
static enum sg_action
same_decision(const struct sg_config *a, const struct sg_config *b,
    const uint8_t *mac, const struct sg_addr *ip, const char *master,
    const char *proto, const char *host, time_t when)
{
	const struct sg_config *cfg[2] = { a, b };
	struct policy_decision d[2];
	struct trace t[2];
	struct ident id[2];
	struct policy_flow f;

	for (int i = 0; i < 2; i++) {
		ident_resolve(cfg[i], NULL, mac, ip, NULL, -1, &id[i]);
		memset(&f, 0, sizeof(f));
		f.id = &id[i];
		f.master = master;
		f.proto = proto;
		f.host = host;
		f.categories = policy_categories(cfg[i], master, proto, host);
		f.unknown = proto[0] == '\0' && host[0] == '\0';
		f.when = when;
		t[i].len = 0;
		t[i].buf[0] = '\0';
		policy_decide(cfg[i], &f, &d[i], trace_add, &t[i]);
	}
	assert_int_equal(id[0].device, id[1].device);
	assert_int_equal(id[0].group, id[1].group);
	assert_int_equal(id[0].person, id[1].person);
	assert_string_equal(id[0].how, id[1].how);
	assert_int_equal(d[0].action, d[1].action);
	assert_int_equal(d[0].rule, d[1].rule);
	assert_string_equal(d[0].rule_name, d[1].rule_name);
	assert_string_equal(d[0].clause, d[1].clause);
	assert_int_equal(d[0].account, d[1].account);
	assert_int_equal(d[0].in_school_hours, d[1].in_school_hours);
	assert_true(t[0].len > 0);
	assert_string_equal(t[0].buf, t[1].buf);
	return d[0].action;
}

/* Every category's protocols and hosts ("*.x" as "www.x"), and nothing. */
static size_t
flows_of(const struct sg_config *cfg, const char *proto[], const char *host[],
    char names[][SG_HOST_MAX], size_t max)
{
	size_t n = 0;

	proto[n] = "";
	host[n++] = "";
	proto[n] = "";
	host[n++] = "en.wikipedia.org";
	for (size_t c = 0; c < cfg->ncategories; c++) {
		const struct conf_category *cat = &cfg->categories[c];

		for (size_t i = 0; i < cat->nprotocols && n < max; i++) {
			proto[n] = cat->protocols[i];
			host[n++] = "";
		}
		for (size_t i = 0; i < cat->nhosts && n < max; i++) {
			snprintf(names[n], SG_HOST_MAX, "%s%s",
			    cat->hosts[i][0] == '*' ? "www" : "",
			    cat->hosts[i] + (cat->hosts[i][0] == '*'));
			proto[n] = "";
			host[n] = names[n];
			n++;
		}
	}
	return n;
}

static void
test_same_decisions(void **state)
{
	struct sg_config *cfg = fuzz_config(), *copy = roundtrip(cfg);
	static char names[512][SG_HOST_MAX];
	const char *proto[512], *host[512];
	const char *ips[] = { "10.10.0.77", "10.20.3.4", "10.30.0.9",
	    "10.40.0.10", "192.0.2.1", "fd00:20::5" };
	time_t when[] = {
		tu_utc(2026, 11, 16, 10, 0),	/* Monday, in term */
		tu_utc(2026, 11, 16, 19, 0),	/* Monday evening */
		tu_utc(2026, 11, 21, 10, 0),	/* Saturday */
		tu_utc(2026, 11, 30, 10, 0),	/* INSET day */
		tu_utc(2026, 12, 28, 10, 0),	/* holidays */
	};
	size_t nflows = flows_of(cfg, proto, host, names, 512), n = 0;
	size_t seen[3] = { 0, 0, 0 };
	struct sg_addr ip;

	(void)state;
	for (size_t w = 0; w < sizeof(when) / sizeof(when[0]); w++)
		for (size_t f = 0; f < nflows; f++) {
			for (size_t d = 0; d < cfg->ndevices; d++) {
				const struct conf_device *dev = &cfg->devices[d];

				seen[same_decision(cfg, copy,
				    dev->has_mac ? dev->mac : NULL,
				    dev->has_ip ? &dev->ip : NULL,
				    proto[f][0] ? "TLS" : "", proto[f],
				    host[f], when[w])]++;
				n++;
			}
			for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]);
			    i++) {
				assert_int_equal(sg_addr_parse(ips[i], &ip), 0);
				seen[same_decision(cfg, copy, NULL, &ip, "",
				    proto[f], host[f], when[w])]++;
				n++;
			}
		}
	print_message("%zu flows: %zu allowed, %zu logged, %zu blocked\n", n,
	    seen[SG_ALLOW], seen[SG_LOG], seen[SG_BLOCK]);
	/* a set of flows that never blocks would prove little */
	assert_true(seen[SG_ALLOW] > 0 && seen[SG_LOG] > 0 &&
	    seen[SG_BLOCK] > 0);
	conf_free(copy);
}

/* What conf_load does not touch is carried too, down to each line. */
static void
test_every_field(void **state)
{
	struct sg_config *cfg = fuzz_config(), *copy = roundtrip(cfg);
	uint8_t *a, *b;
	size_t alen, blen;

	(void)state;
	assert_string_equal(copy->school_name, cfg->school_name);
	assert_int_equal(copy->mark_mask, cfg->mark_mask);
	assert_int_equal(copy->evasion_action, cfg->evasion_action);
	assert_int_equal(copy->ndns_canaries, cfg->ndns_canaries);
	assert_string_equal(copy->dns_canaries[1], cfg->dns_canaries[1]);
	assert_string_equal(copy->ech_fronts[0], cfg->ech_fronts[0]);
	assert_int_equal(copy->enforce_school_resolver,
	    cfg->enforce_school_resolver);
	assert_int_equal(copy->encrypted_dns, cfg->encrypted_dns);
	assert_int_equal(copy->groups[0].strip_ech, cfg->groups[0].strip_ech);
	assert_int_equal(copy->schedules[0].nclosures,
	    cfg->schedules[0].nclosures);
	assert_string_equal(copy->schedules[0].terms[1].label,
	    cfg->schedules[0].terms[1].label);
	assert_int_equal(copy->rules[3].line, cfg->rules[3].line);
	assert_int_equal(copy->protocols_file == NULL,
	    cfg->protocols_file == NULL);
	/* and packing the copy gives the same bytes */
	assert_int_equal(conf_pack(cfg, &a, &alen), 0);
	assert_int_equal(conf_pack(copy, &b, &blen), 0);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);
	conf_free(copy);
	/*
	 * A field added to struct sg_config or its parts must be packed
	 * and unpacked in policy/confpack.c; then update these sizes.
	 */
	assert_int_equal(sizeof(struct sg_config), 504);
	assert_int_equal(sizeof(struct conf_schedule), 72);
	assert_int_equal(sizeof(struct conf_group), 64);
	assert_int_equal(sizeof(struct conf_person), 64);
	assert_int_equal(sizeof(struct conf_device), 56);
	assert_int_equal(sizeof(struct conf_category), 56);
	assert_int_equal(sizeof(struct conf_list), 96);
	assert_int_equal(sizeof(struct conf_rule), 112);
	assert_int_equal(sizeof(struct conf_account), 80);
}

static void
expect_refused(const struct sg_config *cfg, const char *why)
{
	uint8_t *blob;
	size_t len;
	char err[160] = "";

	assert_int_equal(conf_pack(cfg, &blob, &len), 0);
	assert_null(conf_unpack(blob, len, err, sizeof(err)));
	if (strstr(err, why) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", err, why);
	free(blob);
}

/* Indexes the policy code follows, out of range in the blob. */
static void
test_bad_indexes(void **state)
{
	struct sg_config *c = roundtrip(fuzz_config());
	int saved;

	(void)state;
	saved = c->default_group;
	c->default_group = (int)c->ngroups;
	expect_refused(c, "settings out of range");
	c->default_group = saved;

	assert_true(c->nrules > 0 && c->rules[0].ngroups > 0);
	saved = c->rules[0].groups[0];
	c->rules[0].groups[0] = -1;
	expect_refused(c, "rule 0 malformed");
	c->rules[0].groups[0] = saved;

	c->rules[1].categories |= (uint64_t)1 << 63;
	expect_refused(c, "rule 1 malformed");
	c->rules[1].categories &= ~((uint64_t)1 << 63);

	saved = c->devices[0].owner;
	c->devices[0].owner = 1000;
	expect_refused(c, "device 0 malformed");
	c->devices[0].owner = saved;

	c->evasion_action = 7;
	expect_refused(c, "settings out of range");
	c->evasion_action = CONF_EVASION_AUTO;
	conf_free(roundtrip(c));	/* and all is well again */
	conf_free(c);
}

/* Every truncation, and every byte flipped: refused or safe to use. */
static void
test_damaged_blobs(void **state)
{
	struct sg_config *cfg = fuzz_config(), *c;
	uint8_t *blob, *copy;
	size_t len, refused = 0;
	char err[160];
	struct ident id;
	struct policy_flow f = { .master = "TLS", .proto = "Facebook",
	    .host = "www.facebook.com" };
	struct policy_decision d;
	struct sg_addr ip;

	(void)state;
	assert_int_equal(sg_addr_parse("10.10.0.77", &ip), 0);
	assert_int_equal(conf_pack(cfg, &blob, &len), 0);
	for (size_t n = 0; n < len; n++)
		assert_null(conf_unpack(blob, n, err, sizeof(err)));
	assert_null(conf_unpack(blob, CONF_PACK_MAX + 1, err, sizeof(err)));
	assert_non_null(copy = malloc(len + 1));
	memcpy(copy, blob, len);
	copy[len] = 0;
	assert_null(conf_unpack(copy, len + 1, err, sizeof(err)));
	for (size_t i = 0; i < len; i++) {
		copy[i] ^= 0xa5;
		if ((c = conf_unpack(copy, len, err, sizeof(err))) == NULL) {
			refused++;
		} else {
			ident_resolve(c, NULL, NULL, &ip, NULL, -1, &id);
			f.id = &id;
			f.categories = policy_categories(c, f.master, f.proto,
			    f.host);
			policy_decide(c, &f, &d, NULL, NULL);
			conf_free(c);
		}
		copy[i] ^= 0xa5;
	}
	print_message("%zu of %zu damaged blobs refused\n", refused, len);
	assert_true(refused > 0);
	free(copy);
	free(blob);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_decisions),
		cmocka_unit_test(test_every_field),
		cmocka_unit_test(test_bad_indexes),
		cmocka_unit_test(test_damaged_blobs),
	};

	if (fuzz_top()[0] == '\0') {
		fprintf(stderr, "cannot find the checkout above the binary\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
