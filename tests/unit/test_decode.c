/*
 * Decoder tests on hand-built packets: every link type, tags, tunnels,
 * fragments, every truncation point, and random garbage.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "decode.h"

struct pb {
	uint8_t		 b[2048];
	size_t		 n;
};

static const uint8_t mac_src[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t mac_dst[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
static const uint8_t ip4_src[4] = { 10, 1, 2, 3 };
static const uint8_t ip4_dst[4] = { 192, 0, 2, 80 };
static const uint8_t ip6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t ip6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 };

static void
put(struct pb *p, const void *d, size_t n)
{
	assert_true(p->n + n <= sizeof(p->b));
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void
put8(struct pb *p, uint8_t v)
{
	put(p, &v, 1);
}

static void
put16(struct pb *p, uint16_t v)
{
	put8(p, (uint8_t)(v >> 8));
	put8(p, (uint8_t)v);
}

static void
put32(struct pb *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p, (uint16_t)v);
}

static void
set16(struct pb *p, size_t off, uint16_t v)
{
	p->b[off] = (uint8_t)(v >> 8);
	p->b[off + 1] = (uint8_t)v;
}

static void
put_eth(struct pb *p, uint16_t type)
{
	put(p, mac_dst, 6);
	put(p, mac_src, 6);
	put16(p, type);
}

static void
put_tag(struct pb *p, uint16_t vid, uint16_t next)
{
	put16(p, vid);
	put16(p, next);
}

/* IPv4 header; returns its offset so the total length can be fixed up. */
static size_t
put_ipv4(struct pb *p, uint8_t proto, uint16_t frag)
{
	size_t	 off = p->n;

	put8(p, 0x45);
	put8(p, 0);
	put16(p, 0);		/* total length: ip_done() */
	put16(p, 0x1234);
	put16(p, frag);
	put8(p, 64);
	put8(p, proto);
	put16(p, 0);
	put(p, ip4_src, 4);
	put(p, ip4_dst, 4);
	return off;
}

static void
ipv4_done(struct pb *p, size_t off)
{
	set16(p, off + 2, (uint16_t)(p->n - off));
}

static size_t
put_ipv6(struct pb *p, uint8_t nh)
{
	size_t	 off = p->n;

	put32(p, 0x60000000);
	put16(p, 0);		/* payload length: ipv6_done() */
	put8(p, nh);
	put8(p, 64);
	put(p, ip6_src, 16);
	put(p, ip6_dst, 16);
	return off;
}

static void
ipv6_done(struct pb *p, size_t off)
{
	set16(p, off + 4, (uint16_t)(p->n - off - 40));
}

static void
put_tcp(struct pb *p, uint16_t sport, uint16_t dport, uint8_t flags,
    const char *payload)
{
	put16(p, sport);
	put16(p, dport);
	put32(p, 1000);
	put32(p, 0);
	put8(p, 5 << 4);
	put8(p, flags);
	put16(p, 65535);
	put16(p, 0);
	put16(p, 0);
	put(p, payload, strlen(payload));
}

static void
put_udp(struct pb *p, uint16_t sport, uint16_t dport, const char *payload)
{
	put16(p, sport);
	put16(p, dport);
	put16(p, (uint16_t)(8 + strlen(payload)));
	put16(p, 0);
	put(p, payload, strlen(payload));
}

/* Ethernet, IPv4, TCP SYN+ACK with "hello". */
static void
build_eth_ipv4_tcp(struct pb *p)
{
	size_t	 ip;

	p->n = 0;
	put_eth(p, 0x0800);
	ip = put_ipv4(p, 6, 0);
	put_tcp(p, 51000, 443, 0x12, "hello");
	ipv4_done(p, ip);
}

static void
assert_ipv4_tuple(const struct dec_pkt *d, uint16_t sport, uint16_t dport,
    uint8_t proto)
{
	assert_int_equal(d->src.family, AF_INET);
	assert_int_equal(d->dst.family, AF_INET);
	assert_memory_equal(d->src.a, ip4_src, 4);
	assert_memory_equal(d->dst.a, ip4_dst, 4);
	assert_int_equal(d->sport, sport);
	assert_int_equal(d->dport, dport);
	assert_int_equal(d->proto, proto);
}

static void
assert_ipv6_tuple(const struct dec_pkt *d, uint16_t sport, uint16_t dport,
    uint8_t proto)
{
	assert_int_equal(d->src.family, AF_INET6);
	assert_memory_equal(d->src.a, ip6_src, 16);
	assert_memory_equal(d->dst.a, ip6_dst, 16);
	assert_int_equal(d->sport, sport);
	assert_int_equal(d->dport, dport);
	assert_int_equal(d->proto, proto);
}

/* Link then IP; returns the first non-OK result. */
static enum dec_result
decode(int lt, const uint8_t *b, size_t n, struct dec_l2 *l2,
    struct dec_pkt *d)
{
	enum dec_result	 r;

	memset(d, 0, sizeof(*d));
	if ((r = dec_link(lt, b, n, l2)) != DEC_OK)
		return r;
	return dec_ip(l2->l3, l2->l3len, d);
}

static void
test_eth_ipv4_tcp(void **state)
{
	struct pb	 p;
	struct dec_l2	 l2;
	struct dec_pkt	 d;

	build_eth_ipv4_tcp(&p);
	assert_int_equal(decode(DEC_LINK_ETHERNET, p.b, p.n, &l2, &d), DEC_OK);
	assert_true(l2.has_mac);
	assert_memory_equal(l2.src_mac, mac_src, 6);
	assert_int_equal(l2.vlan, 0);
	assert_ptr_equal(l2.l3, p.b + 14);
	assert_int_equal(l2.l3len, p.n - 14);
	assert_ipv4_tuple(&d, 51000, 443, 6);
	assert_int_equal(d.tcp_flags, 0x12);
	assert_ptr_equal(d.l3, p.b + 14);
	assert_int_equal(d.l3len, 45);
	assert_int_equal(d.paylen, 5);
	assert_memory_equal(d.payload, "hello", 5);
	assert_int_equal(d.tunnelled, 0);

	/* Ethernet padding is not part of the IP packet. */
	put(&p, "\0\0\0\0\0\0\0", 7);
	assert_int_equal(decode(DEC_LINK_ETHERNET, p.b, p.n, &l2, &d), DEC_OK);
	assert_int_equal(l2.l3len, 52);
	assert_int_equal(d.l3len, 45);
	assert_int_equal(d.paylen, 5);
}

static void
test_vlan(void **state)
{
	struct pb	 p = { .n = 0 };
	struct dec_l2	 l2;
	struct dec_pkt	 d;
	size_t		 ip;

	put_eth(&p, 0x8100);
	put_tag(&p, 0x2000 | 100, 0x0800);	/* priority 1, VLAN 100 */
	ip = put_ipv4(&p, 17, 0);
	put_udp(&p, 5353, 53, "q");
	ipv4_done(&p, ip);
	assert_int_equal(decode(DEC_LINK_ETHERNET, p.b, p.n, &l2, &d), DEC_OK);
	assert_int_equal(l2.vlan, 100);
	assert_ptr_equal(l2.l3, p.b + 18);
	assert_ipv4_tuple(&d, 5353, 53, 17);
	assert_int_equal(d.paylen, 1);
}

static void
test_qinq(void **state)
{
	static const uint16_t	 outer[] = { 0x88a8, 0x9100, 0x8100 };
	struct pb		 p;
	struct dec_l2		 l2;
	struct dec_pkt		 d;
	size_t			 ip;

	for (size_t i = 0; i < sizeof(outer) / sizeof(outer[0]); i++) {
		p.n = 0;
		put_eth(&p, outer[i]);
		put_tag(&p, 10, 0x8100);
		put_tag(&p, 20, 0x8100);
		put_tag(&p, 30, 0x86dd);
		ip = put_ipv6(&p, 6);
		put_tcp(&p, 40000, 80, 0x02, "");
		ipv6_done(&p, ip);
		assert_int_equal(decode(DEC_LINK_ETHERNET, p.b, p.n, &l2, &d),
		    DEC_OK);
		assert_int_equal(l2.vlan, 10);
		assert_ptr_equal(l2.l3, p.b + 26);
		assert_ipv6_tuple(&d, 40000, 80, 6);
		assert_int_equal(d.tcp_flags, 0x02);
		assert_int_equal(d.paylen, 0);
	}
}

static void
build_pppoe(struct pb *p, int qinq, uint16_t pppproto)
{
	size_t	 sess, ip;

	p->n = 0;
	if (qinq) {
		put_eth(p, 0x88a8);
		put_tag(p, 7, 0x8100);
		put_tag(p, 8, 0x8864);
	} else
		put_eth(p, 0x8864);
	put8(p, 0x11);
	put8(p, 0x00);
	put16(p, 0x0042);	/* session */
	sess = p->n;
	put16(p, 0);
	put16(p, pppproto);
	if (pppproto == 0x0057) {
		ip = put_ipv6(p, 17);
		put_udp(p, 50000, 3478, "discord");
		ipv6_done(p, ip);
	} else {
		ip = put_ipv4(p, 17, 0);
		put_udp(p, 50000, 3478, "discord");
		ipv4_done(p, ip);
	}
	set16(p, sess, (uint16_t)(p->n - sess - 2));
}

static void
test_pppoe(void **state)
{
	struct pb	 p;
	struct dec_l2	 l2;
	struct dec_pkt	 d;

	build_pppoe(&p, 0, 0x0021);
	assert_int_equal(decode(DEC_LINK_ETHERNET, p.b, p.n, &l2, &d), DEC_OK);
	assert_ptr_equal(l2.l3, p.b + 22);
	assert_ipv4_tuple(&d, 50000, 3478, 17);
	assert_int_equal(d.paylen, 7);

	build_pppoe(&p, 1, 0x0057);
	assert_int_equal(decode(DEC_LINK_ETHERNET, p.b, p.n, &l2, &d), DEC_OK);
	assert_int_equal(l2.vlan, 7);
	assert_ptr_equal(l2.l3, p.b + 30);
	assert_ipv6_tuple(&d, 50000, 3478, 17);

	/* PPPoE's length bounds the packet, not trailing padding. */
	build_pppoe(&p, 0, 0x0021);
	put(&p, "\0\0\0\0", 4);
	assert_int_equal(dec_link(DEC_LINK_ETHERNET, p.b, p.n, &l2), DEC_OK);
	assert_int_equal(l2.l3len, p.n - 22 - 4);

	/* LCP is not IP. */
	build_pppoe(&p, 0, 0xc021);
	assert_int_equal(dec_link(DEC_LINK_ETHERNET, p.b, p.n, &l2),
	    DEC_UNSUPPORTED);
	/* Wrong version/type. */
	build_pppoe(&p, 0, 0x0021);
	p.b[14] = 0x21;
	assert_int_equal(dec_link(DEC_LINK_ETHERNET, p.b, p.n, &l2),
	    DEC_MALFORMED);
}

static void
test_non_ip(void **state)
{
	struct pb	 p = { .n = 0 };
	struct dec_l2	 l2;

	put_eth(&p, 0x0806);	/* ARP */
	put(&p, "0123456789012345678901234567", 28);
	assert_int_equal(dec_link(DEC_LINK_ETHERNET, p.b, p.n, &l2),
	    DEC_UNSUPPORTED);
	assert_int_equal(dec_link(9999, p.b, p.n, &l2), DEC_UNSUPPORTED);
}

static void
build_sll(struct pb *p, uint16_t addrlen)
{
	size_t	 ip;

	p->n = 0;
	put16(p, 0);		/* to us */
	put16(p, 1);		/* ARPHRD_ETHER */
	put16(p, addrlen);
	put(p, mac_src, 6);
	put16(p, 0);
	put16(p, 0x0800);
	ip = put_ipv4(p, 6, 0);
	put_tcp(p, 1234, 80, 0x18, "GET /");
	ipv4_done(p, ip);
}

static void
test_sll(void **state)
{
	struct pb	 p;
	struct dec_l2	 l2;
	struct dec_pkt	 d;

	build_sll(&p, 6);
	assert_int_equal(decode(DEC_LINK_LINUX_SLL, p.b, p.n, &l2, &d),
	    DEC_OK);
	assert_true(l2.has_mac);
	assert_memory_equal(l2.src_mac, mac_src, 6);
	assert_ptr_equal(l2.l3, p.b + 16);
	assert_ipv4_tuple(&d, 1234, 80, 6);
	assert_int_equal(d.paylen, 5);

	build_sll(&p, 0);
	assert_int_equal(decode(DEC_LINK_LINUX_SLL, p.b, p.n, &l2, &d),
	    DEC_OK);
	assert_false(l2.has_mac);
}

static void
build_null(struct pb *p, const uint8_t fam[4], int v6)
{
	size_t	 ip;

	p->n = 0;
	put(p, fam, 4);
	if (v6) {
		ip = put_ipv6(p, 17);
		put_udp(p, 1, 2, "x");
		ipv6_done(p, ip);
	} else {
		ip = put_ipv4(p, 17, 0);
		put_udp(p, 1, 2, "x");
		ipv4_done(p, ip);
	}
}

static void
test_null(void **state)
{
	static const uint8_t	 v4[][4] = { { 2, 0, 0, 0 }, { 0, 0, 0, 2 } };
	static const uint8_t	 v6[][4] = {
		{ 24, 0, 0, 0 }, { 0, 0, 0, 24 }, { 28, 0, 0, 0 },
		{ 0, 0, 0, 28 }, { 30, 0, 0, 0 }, { 0, 0, 0, 30 },
	};
	static const uint8_t	 bad[4] = { 99, 0, 0, 0 };
	uint32_t		 host = 2;
	struct pb		 p;
	struct dec_l2		 l2;
	struct dec_pkt		 d;

	for (size_t i = 0; i < 2; i++) {
		build_null(&p, v4[i], 0);
		assert_int_equal(decode(DEC_LINK_NULL, p.b, p.n, &l2, &d),
		    DEC_OK);
		assert_ptr_equal(l2.l3, p.b + 4);
		assert_false(l2.has_mac);
		assert_ipv4_tuple(&d, 1, 2, 17);
	}
	for (size_t i = 0; i < 6; i++) {
		build_null(&p, v6[i], 1);
		assert_int_equal(decode(DEC_LINK_NULL, p.b, p.n, &l2, &d),
		    DEC_OK);
		assert_ipv6_tuple(&d, 1, 2, 17);
	}
	build_null(&p, (const uint8_t *)&host, 0);
	assert_int_equal(decode(DEC_LINK_NULL, p.b, p.n, &l2, &d), DEC_OK);
	build_null(&p, bad, 0);
	assert_int_equal(dec_link(DEC_LINK_NULL, p.b, p.n, &l2),
	    DEC_UNSUPPORTED);
}

static void
test_raw(void **state)
{
	static const int	 lts[] = { DEC_LINK_RAW, DEC_LINK_RAW_DLT12,
	    DEC_LINK_RAW_DLT14, DEC_LINK_IPV4 };
	struct pb		 p = { .n = 0 };
	struct dec_l2		 l2;
	struct dec_pkt		 d;
	size_t			 ip;

	ip = put_ipv4(&p, 6, 0);
	put_tcp(&p, 9, 10, 0x01, "");
	ipv4_done(&p, ip);
	for (size_t i = 0; i < sizeof(lts) / sizeof(lts[0]); i++) {
		assert_int_equal(decode(lts[i], p.b, p.n, &l2, &d), DEC_OK);
		assert_ptr_equal(l2.l3, p.b);
		assert_int_equal(l2.l3len, p.n);
		assert_ipv4_tuple(&d, 9, 10, 6);
	}
	assert_int_equal(dec_link(DEC_LINK_IPV6, p.b, p.n, &l2), DEC_MALFORMED);
	p.b[0] = 0x55;
	assert_int_equal(dec_link(DEC_LINK_RAW, p.b, p.n, &l2),
	    DEC_UNSUPPORTED);
	assert_int_equal(dec_link(DEC_LINK_RAW, p.b, 0, &l2), DEC_TRUNCATED);
}

/* IPv6, hop-by-hop (8 bytes), destination options (16 bytes), TCP. */
static void
build_ipv6_exthdrs(struct pb *p)
{
	size_t	 ip;

	p->n = 0;
	ip = put_ipv6(p, 0);
	put8(p, 60);
	put8(p, 0);
	put(p, "\x01\x04\0\0\0\0", 6);		/* PadN */
	put8(p, 6);
	put8(p, 1);
	put(p, "\x01\x0c\0\0\0\0\0\0\0\0\0\0\0\0", 14);
	put_tcp(p, 33333, 443, 0x18, "TLS");
	ipv6_done(p, ip);
}

static void
test_ipv6_exthdrs(void **state)
{
	struct pb	 p;
	struct dec_pkt	 d;

	build_ipv6_exthdrs(&p);
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_OK);
	assert_ipv6_tuple(&d, 33333, 443, 6);
	assert_int_equal(d.tcp_flags, 0x18);
	assert_int_equal(d.paylen, 3);
	assert_ptr_equal(d.payload, p.b + 40 + 24 + 20);
	assert_int_equal(d.l3len, p.n);

	/* An options length past the packet's own length. */
	p.b[40 + 8 + 1] = 200;
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_MALFORMED);
}

static void
build_ipv6_frag(struct pb *p, uint16_t offset, int more)
{
	size_t	 ip;

	p->n = 0;
	ip = put_ipv6(p, 44);
	put8(p, 17);
	put8(p, 0);
	put16(p, (uint16_t)(offset << 3 | (more ? 1 : 0)));
	put32(p, 0xdeadbeef);
	put_udp(p, 53, 40000, "answer");
	set16(p, 40 + 8 + 4, 1000);	/* the whole datagram's UDP length */
	ipv6_done(p, ip);
}

static void
test_ipv6_fragment(void **state)
{
	struct pb	 p;
	struct dec_pkt	 d;

	build_ipv6_frag(&p, 0, 1);
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_OK);
	assert_ipv6_tuple(&d, 53, 40000, 17);
	assert_int_equal(d.paylen, 6);

	build_ipv6_frag(&p, 185, 0);
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_FRAGMENT);
	assert_int_equal(d.proto, 17);
	assert_int_equal(d.sport, 0);
	assert_int_equal(d.src.family, AF_INET6);
}

static void
test_ipv4_fragment(void **state)
{
	struct pb	 p = { .n = 0 };
	struct dec_pkt	 d;
	size_t		 ip;

	/* First fragment, MF set, UDP length covering the whole datagram. */
	ip = put_ipv4(&p, 17, 0x2000);
	put_udp(&p, 53, 41000, "part");
	set16(&p, 20 + 4, 3000);
	ipv4_done(&p, ip);
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_OK);
	assert_ipv4_tuple(&d, 53, 41000, 17);
	assert_int_equal(d.paylen, 4);

	/* Without MF the same UDP length is a lie. */
	set16(&p, 6, 0);
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_MALFORMED);

	/* First fragment too short for the UDP header. */
	p.n = 0;
	ip = put_ipv4(&p, 17, 0x2000);
	put32(&p, 0x00350035);
	ipv4_done(&p, ip);
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_TRUNCATED);

	/* Later fragments, with or without MF. */
	set16(&p, 6, 0x2000 | 185);
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_FRAGMENT);
	assert_int_equal(d.proto, 17);
	assert_int_equal(d.sport, 0);
	set16(&p, 6, 370);
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_FRAGMENT);
}

static void
build_6in4(struct pb *p, uint8_t inner_nh)
{
	size_t	 outer, inner, inner2;

	p->n = 0;
	outer = put_ipv4(p, 41, 0);
	inner = put_ipv6(p, inner_nh);
	if (inner_nh == 41) {
		inner2 = put_ipv6(p, 6);
		put_tcp(p, 1111, 993, 0x10, "imap");
		ipv6_done(p, inner2);
	} else
		put_tcp(p, 1111, 993, 0x10, "imap");
	ipv6_done(p, inner);
	ipv4_done(p, outer);
}

static void
test_6in4(void **state)
{
	struct pb	 p;
	struct dec_pkt	 d;

	build_6in4(&p, 6);
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_OK);
	assert_int_equal(d.tunnelled, 1);
	assert_ipv6_tuple(&d, 1111, 993, 6);
	assert_ptr_equal(d.l3, p.b + 20);
	assert_int_equal(d.l3len, p.n - 20);
	assert_int_equal(d.paylen, 4);

	/* A second tunnel inside: only the outer packet is reported. */
	build_6in4(&p, 41);
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_OK);
	assert_int_equal(d.tunnelled, 0);
	assert_ipv4_tuple(&d, 0, 0, 41);
	assert_ptr_equal(d.l3, p.b);

	/* Not IPv6 inside. */
	build_6in4(&p, 6);
	p.b[20] = 0x45;
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_OK);
	assert_int_equal(d.tunnelled, 0);
	assert_int_equal(d.proto, 41);
}

static void
test_ipv4_malformed(void **state)
{
	struct pb	 p;
	struct dec_l2	 l2;
	struct dec_pkt	 d;
	const uint8_t	*ip;
	size_t		 n;

	build_eth_ipv4_tcp(&p);
	ip = p.b + 14;
	n = p.n - 14;

	p.b[14] = 0x44;				/* IHL 4 */
	assert_int_equal(dec_ip(ip, n, &d), DEC_MALFORMED);
	p.b[14] = 0x4f;				/* IHL 15: past the data */
	assert_int_equal(dec_ip(ip, n, &d), DEC_MALFORMED);
	p.b[14] = 0x45;
	set16(&p, 16, 19);			/* total < header */
	assert_int_equal(dec_ip(ip, n, &d), DEC_MALFORMED);
	set16(&p, 16, 30);			/* total cuts the TCP header */
	assert_int_equal(dec_ip(ip, n, &d), DEC_MALFORMED);
	set16(&p, 16, 41);			/* clips the payload to 1 */
	assert_int_equal(dec_ip(ip, n, &d), DEC_OK);
	assert_int_equal(d.l3len, 41);
	assert_int_equal(d.paylen, 1);
	set16(&p, 16, 45);
	p.b[14 + 20 + 12] = 0x40;		/* TCP data offset 4 */
	assert_int_equal(dec_ip(ip, n, &d), DEC_MALFORMED);
	p.b[14 + 20 + 12] = 0xf0;		/* 60: past the packet */
	assert_int_equal(dec_ip(ip, n, &d), DEC_MALFORMED);
	p.b[14] = 0x75;				/* version 7 */
	assert_int_equal(dec_ip(ip, n, &d), DEC_MALFORMED);
	assert_int_equal(decode(DEC_LINK_ETHERNET, p.b, p.n, &l2, &d),
	    DEC_MALFORMED);
}

static void
test_udp_length(void **state)
{
	struct pb	 p = { .n = 0 };
	struct dec_pkt	 d;
	size_t		 ip;

	ip = put_ipv4(&p, 17, 0);
	put_udp(&p, 1000, 2000, "abcdef");
	ipv4_done(&p, ip);
	set16(&p, 24, 7);
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_MALFORMED);
	set16(&p, 24, 15);
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_MALFORMED);
	set16(&p, 24, 10);			/* shorter than IP says: ok */
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_OK);
	assert_int_equal(d.paylen, 2);
}

static void
test_icmp_and_others(void **state)
{
	struct pb	 p = { .n = 0 };
	struct dec_pkt	 d;
	size_t		 ip;

	ip = put_ipv4(&p, 1, 0);
	put(&p, "\x08\x00\x12\x34\x00\x01\x00\x01", 8);
	ipv4_done(&p, ip);
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_OK);
	assert_ipv4_tuple(&d, 0x0800, 0, 1);

	p.n = 0;
	ip = put_ipv6(&p, 58);
	put(&p, "\x87\x00\x00\x00\x00\x00\x00\x00", 8);
	ipv6_done(&p, ip);
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_OK);
	assert_ipv6_tuple(&d, 0x8700, 0, 58);

	p.n = 0;
	ip = put_ipv4(&p, 47, 0);			/* GRE */
	put32(&p, 0x00000800);
	ipv4_done(&p, ip);
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_OK);
	assert_ipv4_tuple(&d, 0, 0, 47);
	assert_int_equal(d.paylen, 4);

	p.n = 0;
	ip = put_ipv6(&p, 50);				/* ESP */
	put32(&p, 0x1000);
	put32(&p, 1);
	ipv6_done(&p, ip);
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_OK);
	assert_ipv6_tuple(&d, 0, 0, 50);

	p.n = 0;
	ip = put_ipv6(&p, 60);			/* dstopts, then nothing */
	put8(&p, 59);
	put8(&p, 0);
	put(&p, "\x01\x04\0\0\0\0", 6);
	ipv6_done(&p, ip);
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_OK);
	assert_ipv6_tuple(&d, 0, 0, 59);
	assert_int_equal(d.paylen, 0);

	p.n = 0;
	ip = put_ipv6(&p, 51);				/* AH, 24 bytes */
	put8(&p, 17);
	put8(&p, 4);
	put(&p, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22);
	put_udp(&p, 500, 4500, "ike");
	ipv6_done(&p, ip);
	assert_int_equal(dec_ip(p.b, p.n, &d), DEC_OK);
	assert_ipv6_tuple(&d, 500, 4500, 17);
}

/*
 * Feed every prefix of a valid frame from a buffer of exactly that size, so
 * AddressSanitizer sees any read past the end.  hdr_end is where the last
 * header ends: any shorter prefix must fail, any longer one must decode.
 */
static void
truncate_all(int lt, const struct pb *p, size_t hdr_end)
{
	struct dec_l2	 l2;
	struct dec_pkt	 d;
	enum dec_result	 r;
	uint8_t		*b;

	for (size_t n = 0; n <= p->n; n++) {
		b = malloc(n > 0 ? n : 1);
		assert_non_null(b);
		memcpy(b, p->b, n);
		r = decode(lt, b, n, &l2, &d);
		if (n < hdr_end) {
			assert_int_not_equal(r, DEC_OK);
			assert_true(r == DEC_TRUNCATED || r == DEC_MALFORMED);
		} else {
			assert_int_equal(r, DEC_OK);
			assert_true(d.payload + d.paylen <= b + n);
		}
		free(b);
	}
}

static void
test_truncation(void **state)
{
	struct pb	 p;

	build_eth_ipv4_tcp(&p);
	truncate_all(DEC_LINK_ETHERNET, &p, 14 + 20 + 20);
	build_pppoe(&p, 1, 0x0021);
	truncate_all(DEC_LINK_ETHERNET, &p, 30 + 20 + 8);
	build_pppoe(&p, 1, 0x0057);
	truncate_all(DEC_LINK_ETHERNET, &p, 30 + 40 + 8);
	build_sll(&p, 6);
	truncate_all(DEC_LINK_LINUX_SLL, &p, 16 + 20 + 20);
	build_ipv6_exthdrs(&p);
	truncate_all(DEC_LINK_RAW, &p, 40 + 24 + 20);
	build_ipv6_frag(&p, 0, 1);
	truncate_all(DEC_LINK_RAW, &p, 40 + 8 + 8);
	build_6in4(&p, 6);
	truncate_all(DEC_LINK_IPV4, &p, 20 + 40 + 20);
}

/* xorshift64*: the same "random" packets on every run. */
static uint64_t
prng(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static void
check_garbage(int lt, const uint8_t *b, size_t n, unsigned *ok)
{
	struct dec_l2	 l2;
	struct dec_pkt	 d;
	enum dec_result	 r;

	r = dec_link(lt, b, n, &l2);
	assert_true((unsigned)r < DEC_NRESULTS);
	if (r != DEC_OK)
		return;
	assert_true(l2.l3 >= b && l2.l3 + l2.l3len <= b + n);
	r = dec_ip(l2.l3, l2.l3len, &d);
	assert_true((unsigned)r < DEC_NRESULTS);
	assert_non_null(dec_result_name(r));
	if (r != DEC_OK)
		return;
	(*ok)++;
	assert_true(d.l3 >= b && d.l3 + d.l3len <= b + n);
	if (d.paylen > 0)
		assert_true(d.payload >= b && d.payload + d.paylen <= b + n);
}

/*
 * Half the buffers are pure noise, half are valid frames with a few bytes
 * flipped, which reach much deeper into the decoder.
 */
static void
test_garbage(void **state)
{
	static const int	 lts[] = { DEC_LINK_ETHERNET, DEC_LINK_LINUX_SLL,
	    DEC_LINK_NULL, DEC_LINK_RAW, DEC_LINK_IPV4, DEC_LINK_IPV6,
	    DEC_LINK_LINUX_SLL2, DEC_LINK_LOOP };
	struct pb		 seeds[4];
	uint64_t		 s = 0x5eed5c001ULL;
	unsigned		 ok = 0;
	uint8_t			*b;
	size_t			 n;
	int			 lt;

	build_eth_ipv4_tcp(&seeds[0]);
	build_pppoe(&seeds[1], 1, 0x0057);
	build_ipv6_exthdrs(&seeds[2]);
	build_6in4(&seeds[3], 6);
	for (int i = 0; i < 100000; i++) {
		if (i & 1) {
			const struct pb *sp = &seeds[prng(&s) % 4];

			n = sp->n - prng(&s) % 8;
			b = malloc(n);
			assert_non_null(b);
			memcpy(b, sp->b, n);
			for (int k = prng(&s) % 4; k >= 0; k--)
				b[prng(&s) % n] = (uint8_t)prng(&s);
			lt = sp == &seeds[0] || sp == &seeds[1] ?
			    DEC_LINK_ETHERNET : DEC_LINK_RAW;
		} else {
			n = prng(&s) % 160;
			b = malloc(n > 0 ? n : 1);
			assert_non_null(b);
			for (size_t k = 0; k < n; k++)
				b[k] = (uint8_t)prng(&s);
			/* Make IP versions common enough to get past L3. */
			if (n > 0 && (prng(&s) & 1))
				b[0] = (uint8_t)((prng(&s) & 1 ? 0x40 : 0x60) |
				    (b[0] & 0x0f));
			lt = lts[prng(&s) % (sizeof(lts) / sizeof(lts[0]))];
		}
		check_garbage(lt, b, n, &ok);
		free(b);
	}
	/* The mutated half must not all be rejected, or this tests nothing. */
	assert_true(ok > 10000);
}

static void
test_result_names(void **state)
{
	assert_string_equal(dec_result_name(DEC_OK), "ok");
	assert_string_equal(dec_result_name(DEC_TRUNCATED), "truncated");
	assert_string_equal(dec_result_name(DEC_MALFORMED), "malformed");
	assert_string_equal(dec_result_name(DEC_UNSUPPORTED), "unsupported");
	assert_string_equal(dec_result_name(DEC_FRAGMENT), "fragment");
	assert_string_equal(dec_result_name(DEC_NRESULTS), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_ipv4_tcp),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_qinq),
		cmocka_unit_test(test_pppoe),
		cmocka_unit_test(test_non_ip),
		cmocka_unit_test(test_sll),
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_ipv6_exthdrs),
		cmocka_unit_test(test_ipv6_fragment),
		cmocka_unit_test(test_ipv4_fragment),
		cmocka_unit_test(test_6in4),
		cmocka_unit_test(test_ipv4_malformed),
		cmocka_unit_test(test_udp_length),
		cmocka_unit_test(test_icmp_and_others),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_result_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
