#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "acct.h"

#define T0	1796659200000000LL	/* a flow's first packet, µs */

static struct flow_key
key(uint16_t sport)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	assert_int_equal(sg_addr_parse("10.10.0.23", &k.src), 0);
	assert_int_equal(sg_addr_parse("198.51.100.11", &k.dst), 0);
	k.sport = sport;
	k.dport = 443;
	k.proto = 6;
	return k;
}

static struct ct_entry
ct(const struct flow_key *k, uint64_t pkts, uint64_t bytes, uint64_t stop)
{
	struct ct_entry c;

	memset(&c, 0, sizeof(c));
	c.src = k->src;
	c.dst = k->dst;
	c.sport = k->sport;
	c.dport = k->dport;
	c.proto = k->proto;
	c.pkts[0] = c.pkts[1] = pkts;
	c.bytes[0] = c.bytes[1] = bytes;
	c.start_us = 5000000;		/* conntrack's own clock */
	c.stop_us = stop;
	return c;
}

/* Flows on port 1 become "block"; the others stay as they are. */
static bool
to_block(const struct policy_kept *k, const struct rec_flow *cur,
    struct rec_flow *next, void *arg)
{
	*next = *cur;
	if (strcmp(k->host, "www.facebook.com") != 0)
		return false;
	snprintf(next->action, sizeof(next->action), "block");
	return strcmp(cur->action, "block") != 0;
}

static void
collect(const struct rec_flow *r, void *arg)
{
	*(struct rec_flow *)arg = *r;
}

static void
test_split(void **state)
{
	struct acct *a = acct_new(16);
	struct policy_kept kept, other;
	struct acct_change *v;
	struct flow_key k1 = key(1), k2 = key(2), k3 = key(3);
	struct rec_flow r, out;
	struct ct_entry c;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.start_us = r.end_us = T0;
	snprintf(r.action, sizeof(r.action), "log");
	memset(&kept, 0, sizeof(kept));
	snprintf(kept.host, sizeof(kept.host), "www.facebook.com");
	other = kept;
	snprintf(other.host, sizeof(other.host), "en.wikipedia.org");
	assert_int_equal(acct_add(a, &k1, &r, &kept, 1), 0);
	assert_int_equal(acct_add(a, &k2, &r, &other, 1), 0);
	assert_int_equal(acct_add(a, &k3, &r, NULL, 1), 0);	/* fixed */

	assert_int_equal(acct_changes(a, to_block, NULL, &v), 1);
	assert_int_equal(v[0].key.sport, 1);
	assert_string_equal(v[0].next.action, "block");
	/* 60 s in: 10 packets and 1000 bytes each way so far */
	c = ct(&k1, 10, 1000, 0);
	acct_split(a, &v[0], &c, T0 + 60000000, &out);
	free(v);
	assert_string_equal(out.action, "log");
	assert_int_equal(out.start_us, T0);
	assert_int_equal(out.end_us, T0 + 60000000);
	assert_int_equal(out.pkts_out, 10);
	assert_int_equal(out.bytes_in, 1000);
	/* decided again: nothing changes twice */
	assert_int_equal(acct_changes(a, to_block, NULL, &v), 0);
	free(v);

	/* destroyed 90 s after it began: the new row has the last 30 s */
	c = ct(&k1, 13, 1300, 5000000 + 90000000);
	assert_true(acct_destroyed(a, &c, collect, &out));
	assert_string_equal(out.action, "block");
	assert_int_equal(out.start_us, T0 + 60000000);
	assert_int_equal(out.end_us, T0 + 90000000);
	assert_int_equal(out.pkts_out, 3);
	assert_int_equal(out.bytes_out, 300);
	assert_int_equal(acct_count(a), 2);
	acct_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
