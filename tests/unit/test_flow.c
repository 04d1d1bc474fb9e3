/*
 * Flow table tests: direction, counters, LRU eviction, per-protocol
 * timeouts, TCP close handling and the final flush.  Each flow carries a
 * malloc'd id in user, freed by the end callback, so ASan sees any flow
 * that leaves the table without it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "flow.h"

#define MAX_IDS		4096

struct ends {
	unsigned	 by_reason[4];
	unsigned	 ended[MAX_IDS];	/* times each id ended */
	int		 last_id;
	enum flow_end_reason last_reason;
};

static int next_id;

static void
on_end(struct flow *f, enum flow_end_reason why, void *arg)
{
	struct ends	*e = arg;
	int		*id = f->user;

	assert_true((unsigned)why < 4);
	e->by_reason[why]++;
	e->last_reason = why;
	e->last_id = -1;
	if (id != NULL) {
		assert_true(*id >= 0 && *id < MAX_IDS);
		e->ended[*id]++;
		e->last_id = *id;
	}
	free(id);
}

static struct dec_pkt
pkt4(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
    uint8_t proto, uint8_t flags, size_t len)
{
	struct dec_pkt	 p;

	memset(&p, 0, sizeof(p));
	p.src.family = AF_INET;
	p.dst.family = AF_INET;
	for (int i = 0; i < 4; i++) {
		p.src.a[i] = (uint8_t)(src >> (24 - 8 * i));
		p.dst.a[i] = (uint8_t)(dst >> (24 - 8 * i));
	}
	p.sport = sport;
	p.dport = dport;
	p.proto = proto;
	p.tcp_flags = flags;
	p.l3len = len;
	return p;
}

static struct dec_pkt
reverse(const struct dec_pkt *p)
{
	struct dec_pkt	 r = *p;

	r.src = p->dst;
	r.dst = p->src;
	r.sport = p->dport;
	r.dport = p->sport;
	return r;
}

static struct flow_table *
table(struct ends *e, size_t max)
{
	struct flow_table_opts	 o = {
		.max_flows = max,
		.tcp_timeout_us = 100,
		.tcp_closed_timeout_us = 10,
		.udp_timeout_us = 50,
		.other_timeout_us = 30,
		.on_end = on_end,
		.arg = e,
	};
	struct flow_table	*t;

	memset(e, 0, sizeof(*e));
	t = flow_table_new(&o);
	assert_non_null(t);
	return t;
}

/* Look up, tagging a new flow with the next id. */
static struct flow *
see(struct flow_table *t, const struct dec_pkt *p, uint64_t now, int *dir,
    bool *created)
{
	struct flow	*f;
	int		 d;
	bool		 c;

	f = flow_lookup(t, p, now, dir != NULL ? dir : &d,
	    created != NULL ? created : &c);
	assert_non_null(f);
	if (f->user == NULL) {
		assert_true(next_id < MAX_IDS);
		f->user = malloc(sizeof(int));
		assert_non_null(f->user);
		*(int *)f->user = next_id++;
	}
	return f;
}

static int
id_of(const struct flow *f)
{
	return *(const int *)f->user;
}

static void
test_size(void **state)
{
	assert_true(sizeof(struct flow) < 200);
}

static void
test_directions(void **state)
{
	struct ends	 e;
	struct flow_table *t = table(&e, 100);
	struct dec_pkt	 a = pkt4(0x0a000001, 40000, 0x08080808, 53, 17, 0, 60);
	struct dec_pkt	 b = reverse(&a);
	struct flow	*f, *g;
	int		 dir;
	bool		 created;

	b.l3len = 120;
	f = see(t, &a, 1000, &dir, &created);
	assert_true(created);
	assert_int_equal(dir, 0);
	g = see(t, &b, 1500, &dir, &created);
	assert_ptr_equal(f, g);
	assert_false(created);
	assert_int_equal(dir, 1);
	see(t, &a, 1700, &dir, &created);
	assert_int_equal(dir, 0);
	assert_true(sg_addr_eq(&f->key.src, &a.src));
	assert_int_equal(f->key.sport, 40000);
	assert_int_equal(f->key.dport, 53);
	assert_int_equal(f->pkts[0], 2);
	assert_int_equal(f->pkts[1], 1);
	assert_int_equal(f->bytes[0], 120);
	assert_int_equal(f->bytes[1], 120);
	assert_int_equal(f->first_us, 1000);
	assert_int_equal(f->last_us, 1700);
	assert_int_equal(f->state, FLOW_INSPECTING);
	assert_int_equal(flow_count(t), 1);

	/* Another port, protocol or family is another flow. */
	a.sport = 40001;
	see(t, &a, 1800, NULL, &created);
	assert_true(created);
	a.proto = 6;
	see(t, &a, 1800, NULL, &created);
	assert_true(created);
	assert_int_equal(flow_count(t), 3);
	flow_table_free(t);
	assert_int_equal(e.by_reason[FLOW_END_FLUSH], 3);
}

static void
test_many(void **state)
{
	struct ends	 e;
	struct flow_table *t = table(&e, 4000);
	struct flow	*flows[3000];
	struct dec_pkt	 p, r;
	int		 dir;
	bool		 created;

	for (int i = 0; i < 3000; i++) {
		p = pkt4(0x0a000000 + (uint32_t)(i % 50), (uint16_t)(1024 + i),
		    0xc0000201, 443, 6, 0x02, 60);
		flows[i] = see(t, &p, (uint64_t)i, &dir, &created);
		assert_true(created);
	}
	assert_int_equal(flow_count(t), 3000);
	for (int i = 2999; i >= 0; i--) {
		p = pkt4(0x0a000000 + (uint32_t)(i % 50), (uint16_t)(1024 + i),
		    0xc0000201, 443, 6, 0x12, 60);
		r = reverse(&p);
		assert_ptr_equal(see(t, &r, 5000, &dir, &created), flows[i]);
		assert_false(created);
		assert_int_equal(dir, 1);
	}
	assert_int_equal(e.by_reason[FLOW_END_EVICTED], 0);
	flow_table_free(t);
	assert_int_equal(e.by_reason[FLOW_END_FLUSH], 3000);
}

static void
test_eviction(void **state)
{
	struct ends	 e;
	struct flow_table *t = table(&e, 4);
	struct flow	*f[4];
	struct dec_pkt	 p[4], n;
	int		 first = next_id;

	for (int i = 0; i < 4; i++) {
		p[i] = pkt4(0x0a000001, (uint16_t)(1000 + i), 0x0a000002, 80,
		    6, 0x02, 40);
		f[i] = see(t, &p[i], (uint64_t)i, NULL, NULL);
	}
	/* f[0] is touched again, so f[1] is now the least recent. */
	see(t, &p[0], 10, NULL, NULL);
	n = pkt4(0x0a000009, 9, 0x0a000002, 80, 6, 0x02, 40);
	see(t, &n, 11, NULL, NULL);
	assert_int_equal(e.by_reason[FLOW_END_EVICTED], 1);
	assert_int_equal(e.last_id, id_of(f[0]) + 1);
	assert_int_equal(flow_count(t), 4);

	for (int i = 0; i < 100; i++) {
		n = pkt4(0x0b000000 + (uint32_t)i, 5, 0x0a000002, 80, 17, 0,
		    40);
		see(t, &n, (uint64_t)(20 + i), NULL, NULL);
		assert_true(flow_count(t) <= 4);
	}
	assert_int_equal(e.by_reason[FLOW_END_EVICTED], 101);
	flow_table_free(t);
	assert_int_equal(e.by_reason[FLOW_END_FLUSH], 4);
	for (int i = first; i < next_id; i++)
		assert_int_equal(e.ended[i], 1);
}

static void
test_timeouts(void **state)
{
	struct ends	 e;
	struct flow_table *t = table(&e, 100);
	struct dec_pkt	 tcp = pkt4(1, 1, 2, 443, 6, 0x10, 40);
	struct dec_pkt	 udp = pkt4(1, 1, 2, 53, 17, 0, 40);
	struct dec_pkt	 icmp = pkt4(1, 0x0800, 2, 0, 1, 0, 40);
	int		 id_tcp, id_udp, id_icmp;

	id_tcp = id_of(see(t, &tcp, 0, NULL, NULL));
	id_udp = id_of(see(t, &udp, 5, NULL, NULL));
	id_icmp = id_of(see(t, &icmp, 10, NULL, NULL));

	flow_expire(t, 39);
	assert_int_equal(flow_count(t), 3);
	flow_expire(t, 40);
	assert_int_equal(flow_count(t), 2);
	assert_int_equal(e.ended[id_icmp], 1);
	assert_int_equal(e.last_reason, FLOW_END_TIMEOUT);
	/* The UDP flow ends although a TCP flow idles longer behind it. */
	flow_expire(t, 55);
	assert_int_equal(flow_count(t), 1);
	assert_int_equal(e.ended[id_udp], 1);
	assert_int_equal(e.ended[id_tcp], 0);
	flow_expire(t, 99);
	assert_int_equal(flow_count(t), 1);
	/* Traffic keeps a flow alive. */
	see(t, &tcp, 99, NULL, NULL);
	flow_expire(t, 150);
	assert_int_equal(flow_count(t), 1);
	flow_expire(t, 199);
	assert_int_equal(e.ended[id_tcp], 1);
	assert_int_equal(e.last_reason, FLOW_END_TIMEOUT);
	assert_int_equal(flow_count(t), 0);
	/* A clock that steps back must not end anything. */
	see(t, &tcp, 1000, NULL, NULL);
	flow_expire(t, 500);
	assert_int_equal(flow_count(t), 1);
	flow_table_free(t);
	assert_int_equal(e.by_reason[FLOW_END_TIMEOUT], 3);
	assert_int_equal(e.by_reason[FLOW_END_FLUSH], 1);
}

static void
test_fin_rst(void **state)
{
	struct ends	 e;
	struct flow_table *t = table(&e, 100);
	struct dec_pkt	 c = pkt4(1, 1000, 2, 443, 6, 0x11, 40);	/* FIN */
	struct dec_pkt	 s = reverse(&c);
	struct dec_pkt	 rst = pkt4(3, 1000, 2, 443, 6, 0x04, 40);
	struct flow	*f;
	int		 id;

	f = see(t, &c, 0, NULL, NULL);
	id = id_of(f);
	assert_int_equal(f->fin_seen, 1);
	/* Half closed: still the long timeout. */
	flow_expire(t, 50);
	assert_int_equal(flow_count(t), 1);
	see(t, &s, 50, NULL, NULL);
	assert_int_equal(f->fin_seen, 3);
	flow_expire(t, 59);
	assert_int_equal(flow_count(t), 1);
	flow_expire(t, 60);
	assert_int_equal(flow_count(t), 0);
	assert_int_equal(e.ended[id], 1);
	assert_int_equal(e.last_reason, FLOW_END_CLOSED);

	/* One RST closes both ways. */
	f = see(t, &rst, 100, NULL, NULL);
	id = id_of(f);
	assert_int_equal(f->fin_seen, 3);
	flow_expire(t, 110);
	assert_int_equal(e.ended[id], 1);
	assert_int_equal(e.last_reason, FLOW_END_CLOSED);
	flow_table_free(t);
}

static void
test_reopen(void **state)
{
	struct ends	 e;
	struct flow_table *t = table(&e, 100);
	struct dec_pkt	 syn = pkt4(1, 1000, 2, 443, 6, 0x02, 40);
	struct dec_pkt	 rst = reverse(&syn);
	struct flow	*f;
	int		 id;
	bool		 created;

	rst.tcp_flags = 0x04;
	f = see(t, &syn, 0, NULL, NULL);
	id = id_of(f);
	see(t, &rst, 1, NULL, NULL);
	f = see(t, &syn, 2, NULL, &created);
	assert_true(created);
	assert_int_equal(e.ended[id], 1);
	assert_int_equal(e.last_reason, FLOW_END_CLOSED);
	assert_int_equal(f->fin_seen, 0);
	assert_int_equal(f->pkts[0], 1);
	assert_int_equal(flow_count(t), 1);
	flow_table_free(t);
}

static void
test_remove_and_flush(void **state)
{
	struct ends	 e;
	struct flow_table *t = table(&e, 100);
	struct dec_pkt	 p;
	struct flow	*f = NULL;
	int		 id;

	for (int i = 0; i < 10; i++) {
		p = pkt4(1, (uint16_t)i, 2, 80, 17, 0, 40);
		f = see(t, &p, 0, NULL, NULL);
	}
	id = id_of(f);
	flow_remove(t, f);
	assert_int_equal(e.ended[id], 1);
	assert_int_equal(e.last_reason, FLOW_END_CLOSED);
	assert_int_equal(flow_count(t), 9);
	flow_table_free(t);
	assert_int_equal(e.by_reason[FLOW_END_FLUSH], 9);
	assert_int_equal(e.by_reason[FLOW_END_CLOSED], 1);
}

static void
test_seeded_hash(void **state)
{
	struct ends	 e1, e2;
	struct flow_table *t1 = table(&e1, 16), *t2 = table(&e2, 16);
	struct dec_pkt	 p = pkt4(1, 2, 3, 4, 6, 0x02, 40);
	struct dec_pkt	 r = reverse(&p);
	struct flow	*f1, *f2;
	uint32_t	 h1;

	f1 = see(t1, &p, 0, NULL, NULL);
	h1 = f1->hash;
	f2 = see(t2, &r, 0, NULL, NULL);
	/* Both directions hash alike; two tables have different keys. */
	assert_int_equal(see(t1, &r, 0, NULL, NULL)->hash, h1);
	assert_int_not_equal(f2->hash, h1);
	flow_table_free(t1);
	flow_table_free(t2);
}

static void
test_key_str(void **state)
{
	struct flow_key	 k;
	char		 s[SG_ADDRSTR_MAX + 8], d[SG_ADDRSTR_MAX + 8];
	char		 small[8];

	memset(&k, 0, sizeof(k));
	assert_int_equal(sg_addr_parse("1.2.3.4", &k.src), 0);
	assert_int_equal(sg_addr_parse("10.0.0.1", &k.dst), 0);
	k.sport = 51000;
	k.dport = 443;
	flow_key_str(&k, s, d, sizeof(s));
	assert_string_equal(s, "1.2.3.4:51000");
	assert_string_equal(d, "10.0.0.1:443");
	assert_int_equal(sg_addr_parse("2001:db8::1", &k.src), 0);
	assert_int_equal(sg_addr_parse("2001:db8::2", &k.dst), 0);
	flow_key_str(&k, s, d, sizeof(s));
	assert_string_equal(s, "[2001:db8::1]:51000");
	assert_string_equal(d, "[2001:db8::2]:443");
	flow_key_str(&k, small, small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void
test_ipv6_flows(void **state)
{
	struct ends	 e;
	struct flow_table *t = table(&e, 10);
	struct dec_pkt	 p;
	int		 dir;
	bool		 created;

	memset(&p, 0, sizeof(p));
	assert_int_equal(sg_addr_parse("2001:db8::1", &p.src), 0);
	assert_int_equal(sg_addr_parse("2001:db8::2", &p.dst), 0);
	p.sport = 5000;
	p.dport = 443;
	p.proto = 17;
	see(t, &p, 0, &dir, &created);
	p = reverse(&p);
	see(t, &p, 1, &dir, &created);
	assert_false(created);
	assert_int_equal(dir, 1);
	/* The same bytes as an IPv4 address are another flow. */
	p.src.family = p.dst.family = AF_INET;
	see(t, &p, 2, &dir, &created);
	assert_true(created);
	flow_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_directions),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_fin_rst),
		cmocka_unit_test(test_reopen),
		cmocka_unit_test(test_remove_and_flush),
		cmocka_unit_test(test_seeded_hash),
		cmocka_unit_test(test_key_str),
		cmocka_unit_test(test_ipv6_flows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
