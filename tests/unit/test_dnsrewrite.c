/*
 * Blocked lookups answered as NXDOMAIN with an Extended DNS Error: the
 * message (classifiers/dnsrewrite.c), the packet around it
 * (filter/repack.c, checksums against values computed elsewhere), and
 * the engine's part: the cache learns the real answer first, the query
 * and its retries go on, the answers come back rewritten.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "dnsmsg.h"
#include "hello.h"
#include "dnsrewrite.h"
#include "engine.h"
#include "repack.h"
#include "testutil.h"

#define T_TEXT	"schoolgate: blocked by rule staff-social-in-hours, " \
		"policy clause 7.3"

static const uint8_t t_opt[11] = { 0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0 };

/* A message: ID 0xbeef, one question (type A or AAAA), an answer with
 * addr (4 or 16 bytes) if given, an OPT record if edns. */
static void
t_dns(struct t_msg *m, bool response, const char *qname, uint16_t qtype,
    const uint8_t *addr, size_t alen, bool edns)
{
	memset(m, 0, sizeof(*m));
	t_put16(m, 0xbeef);
	t_put16(m, response ? 0x8180 : 0x0100);
	t_put16(m, 1);
	t_put16(m, addr != NULL ? 1 : 0);
	t_put16(m, 0);
	t_put16(m, edns ? 1 : 0);
	t_name(m, qname);
	t_put16(m, qtype);
	t_put16(m, 1);
	if (addr != NULL) {
		t_put16(m, 0xc00c);	/* owner: the question's name */
		t_put16(m, qtype);
		t_put16(m, 1);
		t_put16(m, 0);
		t_put16(m, 300);
		t_put16(m, (uint16_t)alen);
		t_put(m, addr, alen);
	}
	if (edns)
		t_put(m, t_opt, sizeof(t_opt));
}

static const uint8_t t_fb4[4] = { 157, 240, 1, 35 };

static void
t_nxdomain_edns(void **state)
{
	struct t_msg	 m;
	uint8_t		 out[DNSRW_OUT_MAX];
	size_t		 qlen = strlen("WwW.FaceBook.com") + 2 + 4;
	size_t		 tlen = strlen(T_TEXT);
	int		 n;

	t_dns(&m, true, "WwW.FaceBook.com", 1, t_fb4, 4, true);
	n = dnsrw_nxdomain(m.b, m.len, true, DNSRW_EDE_BLOCKED, T_TEXT, out,
	    sizeof(out));
	assert_int_equal(n, 12 + qlen + 11 + 6 + tlen);
	assert_memory_equal(out, "\xbe\xef\x81\x83\x00\x01\x00\x00\x00\x00"
	    "\x00\x01", 12);
	/* the question byte for byte, case kept */
	assert_memory_equal(out + 12, m.b + 12, qlen);
	/* OPT: root, type 41, size 1232, rdlen; EDE option 15, info 15 */
	assert_memory_equal(out + 12 + qlen, "\x00\x00\x29\x04\xd0\x00\x00"
	    "\x00\x00", 9);
	assert_int_equal(out[12 + qlen + 9] << 8 | out[12 + qlen + 10],
	    6 + tlen);
	assert_memory_equal(out + 12 + qlen + 11, "\x00\x0f", 2);
	assert_int_equal(out[12 + qlen + 13] << 8 | out[12 + qlen + 14],
	    2 + tlen);
	assert_memory_equal(out + 12 + qlen + 15, "\x00\x0f", 2);
	assert_memory_equal(out + 12 + qlen + 17, T_TEXT, tlen);
}

static void
t_nxdomain_plain(void **state)
{
	struct t_msg	 m;
	uint8_t		 out[DNSRW_OUT_MAX];
	uint16_t	 id;
	bool		 edns;
	int		 n;

	t_dns(&m, true, "www.facebook.com", 28, NULL, 0, false);
	m.b[2] = 0x85;		/* AA and RD: AA is not ours to claim */
	m.b[3] = 0x00;		/* no RA */
	n = dnsrw_nxdomain(m.b, m.len, false, DNSRW_EDE_BLOCKED, T_TEXT, out,
	    sizeof(out));
	assert_int_equal(n, (int)m.len);
	assert_memory_equal(out + 2, "\x81\x03\x00\x01\x00\x00\x00\x00\x00"
	    "\x00", 10);
	/* what it built reads back as a response without EDNS */
	assert_int_equal(dnsrw_inspect(out, (size_t)n, true, &id, &edns), 0);
	assert_int_equal(id, 0xbeef);
	assert_false(edns);
	/* a text longer than the cap is cut, never overruns */
	char long_text[1000];
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	n = dnsrw_nxdomain(m.b, m.len, true, DNSRW_EDE_FILTERED, long_text, out,
	    sizeof(out));
	assert_int_equal(n, (int)m.len + 11 + 6 + DNSRW_TEXT_MAX);
}

static void
t_nxdomain_refuses(void **state)
{
	struct t_msg	 m, q;
	uint8_t		 out[DNSRW_OUT_MAX];
	size_t		 qend = 12 + strlen("www.facebook.com") + 2 + 4;

	t_dns(&m, true, "www.facebook.com", 1, t_fb4, 4, true);
	/* every truncation inside the question fails; none crashes */
	for (size_t len = 0; len <= m.len; len++) {
		int n = dnsrw_nxdomain(m.b, len, true, 15, T_TEXT, out,
		    sizeof(out));
		assert_true(len < qend ? n == -1 : n > 0);
	}
	t_dns(&q, false, "www.facebook.com", 1, NULL, 0, true);
	assert_int_equal(dnsrw_nxdomain(q.b, q.len, true, 15, T_TEXT, out,
	    sizeof(out)), -1);		/* a query, not an answer */
	memcpy(&q, &m, sizeof(m));
	q.b[5] = 0;			/* no question */
	assert_int_equal(dnsrw_nxdomain(q.b, q.len, true, 15, T_TEXT, out,
	    sizeof(out)), -1);
	memcpy(&q, &m, sizeof(m));
	q.b[12] = 0xc0;			/* question name by pointer */
	q.b[13] = 0x0c;
	assert_int_equal(dnsrw_nxdomain(q.b, q.len, true, 15, T_TEXT, out,
	    sizeof(out)), -1);
	memcpy(&q, &m, sizeof(m));
	q.b[12] = 64;			/* label longer than 63 */
	assert_int_equal(dnsrw_nxdomain(q.b, q.len, true, 15, T_TEXT, out,
	    sizeof(out)), -1);
	assert_int_equal(dnsrw_nxdomain(m.b, m.len, true, 15, T_TEXT, out,
	    DNSRW_OUT_MAX - 1), -1);	/* room for the worst case only */
}

static void
t_inspect(void **state)
{
	struct t_msg	 m;
	uint16_t	 id;
	bool		 edns;

	t_dns(&m, false, "www.facebook.com", 1, NULL, 0, true);
	assert_int_equal(dnsrw_inspect(m.b, m.len, false, &id, &edns), 0);
	assert_true(edns);
	assert_int_equal(dnsrw_inspect(m.b, m.len, true, &id, &edns), -1);
	t_dns(&m, false, "www.facebook.com", 1, NULL, 0, false);
	assert_int_equal(dnsrw_inspect(m.b, m.len, false, &id, &edns), 0);
	assert_false(edns);
	t_dns(&m, true, "www.facebook.com", 1, t_fb4, 4, true);
	assert_int_equal(dnsrw_inspect(m.b, m.len, true, &id, &edns), 0);
	assert_true(edns);
	/* an answer whose rdata runs past the end */
	assert_int_equal(dnsrw_inspect(m.b, m.len - sizeof(t_opt) - 1, true, &id,
	    &edns), -1);
	m.b[11] = 2;			/* claims a record it lacks */
	assert_int_equal(dnsrw_inspect(m.b, m.len, true, &id, &edns), -1);
}

/* 192.168.0.1:53 -> 192.168.0.199:40000, the header of RFC 1071's
 * well-known example (total length 0x73, checksum 0xb861). */
static size_t
t_ip4(const uint8_t *pay, size_t paylen, uint8_t *out)
{
	static const uint8_t hdr[20] = { 0x45, 0, 0, 0, 0, 0, 0x40, 0, 0x40,
	    17, 0x12, 0x34, 192, 168, 0, 1, 192, 168, 0, 199 };
	size_t len = 28 + paylen;

	memcpy(out, hdr, 20);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	memcpy(out + 20, "\x00\x35\x9c\x40\x00\x00\xab\xcd", 8);
	out[24] = (uint8_t)((8 + paylen) >> 8);
	out[25] = (uint8_t)(8 + paylen);
	memcpy(out + 28, pay, paylen);
	return len;
}

/* fd00::53:53 -> fd00:10::23:40000 */
static size_t
t_ip6(const uint8_t *pay, size_t paylen, uint8_t *out)
{
	static const uint8_t hdr[40] = { 0x60, 0, 0, 0, 0, 0, 17, 64,
	    0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
	    0xfd, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23 };

	memcpy(out, hdr, 40);
	out[4] = (uint8_t)((8 + paylen) >> 8);
	out[5] = (uint8_t)(8 + paylen);
	memcpy(out + 40, "\x00\x35\x9c\x40\x00\x00\xab\xcd", 8);
	out[44] = (uint8_t)((8 + paylen) >> 8);
	out[45] = (uint8_t)(8 + paylen);
	memcpy(out + 48, pay, paylen);
	return 48 + paylen;
}

/* The payload whose checksums python3 computed independently. */
static void
t_pattern(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + 3);
}

static void
t_repack_known(void **state)
{
	uint8_t		 in[256], out[256], pay[87], junk[10] = { 0 };
	struct dec_pkt	 p;
	size_t		 len;

	t_pattern(pay, sizeof(pay));
	/* the original carries other bytes; the new payload is the known one */
	len = t_ip4(junk, sizeof(junk), in);
	assert_int_equal(dec_ip(in, len, &p), DEC_OK);
	assert_int_equal(repack_udp(&p, pay, sizeof(pay), out, sizeof(out)),
	    28 + 87);
	assert_memory_equal(out + 2, "\x00\x73", 2);
	assert_memory_equal(out + 10, "\xb8\x61", 2);	/* IP checksum */
	assert_memory_equal(out + 24, "\x00\x5f", 2);	/* UDP length */
	assert_memory_equal(out + 26, "\x8d\x7d", 2);	/* UDP checksum */
	assert_memory_equal(out + 28, pay, sizeof(pay));

	len = t_ip6(junk, sizeof(junk), in);
	assert_int_equal(dec_ip(in, len, &p), DEC_OK);
	assert_int_equal(repack_udp(&p, pay, sizeof(pay), out, sizeof(out)),
	    48 + 87);
	assert_memory_equal(out + 4, "\x00\x5f", 2);	/* payload length */
	assert_memory_equal(out + 44, "\x00\x5f", 2);
	assert_memory_equal(out + 46, "\x15\x0f", 2);	/* UDP checksum */
}

static void
t_repack_refuses(void **state)
{
	uint8_t		 in[256], out[256], pay[16] = { 0 };
	struct dec_pkt	 p;
	size_t		 len;

	len = t_ip4(pay, sizeof(pay), in);
	assert_int_equal(dec_ip(in, len, &p), DEC_OK);
	assert_int_equal(repack_udp(&p, pay, sizeof(pay), out, 28 + 15), -1);
	in[6] = 0x20;			/* more fragments follow */
	assert_int_equal(dec_ip(in, len, &p), DEC_OK);
	assert_int_equal(repack_udp(&p, pay, sizeof(pay), out, sizeof(out)),
	    -1);
}

/* --- the engine: shipped config, staff, a Tuesday in term at 10:30 --- */

struct t_eng {
	struct sg_config	*cfg;
	struct cls_module	*cls;
	struct eng		*eng;
	enum sg_host_src	 last_src;
	char			 last_host[SG_HOST_MAX];
	char			 dns_rule[SG_NAME_MAX];	/* a lookup's */
	int			 dns_category;
};

static void
t_ended(const struct eng_flow_view *v, void *arg)
{
	struct t_eng *t = arg;

	if (v->flow->key.dport == 53) {
		snprintf(t->dns_rule, sizeof(t->dns_rule), "%s",
		    v->dec->rule_name ? v->dec->rule_name : "");
		t->dns_category = v->category;
	}
	if (v->flow->key.dport != 443)
		return;
	t->last_src = v->cls->host_src;
	snprintf(t->last_host, sizeof(t->last_host), "%s", v->cls->host);
}

static void
t_eng_up(struct t_eng *t, struct dns_cache *shared)
{
	struct conf_errors errs = { NULL, 0 };
	struct eng_opts	 eo;
	char		 err[256];

	memset(t, 0, sizeof(*t));
	t->cfg = conf_load("conf/schoolgate.conf", &errs);
	conf_errors_clear(&errs);
	assert_non_null(t->cfg);
	assert_non_null(t->cls = cls_module_new(NULL, err, sizeof(err)));
	memset(&eo, 0, sizeof(eo));
	eo.as_device = -1;
	eo.as_group = -1;
	for (size_t i = 0; i < t->cfg->ngroups; i++)
		if (strcmp(t->cfg->groups[i].name, "staff") == 0)
			eo.as_group = (int)i;
	assert_true(eo.as_group >= 0);
	eo.pin_time = tu_utc(2026, 11, 17, 10, 30);
	eo.on_end = t_ended;
	eo.arg = t;
	eo.dns = shared;
	assert_non_null(t->eng = eng_new(t->cfg, t->cls, &eo));
}

static void
t_eng_down(struct t_eng *t)
{
	eng_free(t->eng);
	cls_module_free(t->cls);
	conf_free(t->cfg);
}

/* UDP 10.10.0.23:40000 <-> 198.51.100.53:53, either way */
static size_t
t_udp4(bool answer, const struct t_msg *m, uint8_t *out)
{
	size_t len = t_ip4(m->b, m->len, out);

	memcpy(out + 12, answer ? "\xc6\x33\x64\x35\x0a\x0a\x00\x17" :
	    "\x0a\x0a\x00\x17\xc6\x33\x64\x35", 8);
	memcpy(out + 20, answer ? "\x00\x35\x9c\x40" : "\x9c\x40\x00\x35", 4);
	return len;
}

static void
t_feed(struct t_eng *t, const uint8_t *pkt, size_t len, uint64_t ts,
    struct eng_verdict *v)
{
	struct eng_pkt ep = { pkt, len, ts, NULL, NULL };

	eng_packet(t->eng, &ep, v);
}

/* Sum of 16-bit words with end-around carry: 0xffff when it checks. */
static uint32_t
t_sum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i < n; i += 2)
		s += (uint32_t)(p[i] << 8 | (i + 1 < n ? p[i + 1] : 0));
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* The rewritten answer: checksums hold, it is NXDOMAIN, with the EDE if
 * asked for. */
static void
t_check_rewrite(const struct eng_verdict *v, const struct t_msg *query,
    bool edns)
{
	struct dec_pkt	 p;
	uint32_t	 pseudo;

	assert_non_null(v->pkt);
	assert_false(v->final);
	assert_int_equal(dec_ip(v->pkt, v->pktlen, &p), DEC_OK);
	assert_int_equal(t_sum(v->pkt, 20, 0), 0xffff);
	pseudo = t_sum(v->pkt + 12, 8, 0) + 17 + (uint32_t)(8 + p.paylen);
	assert_int_equal(t_sum(v->pkt + 20, 8 + p.paylen, pseudo), 0xffff);
	assert_int_equal(p.payload[3] & 0x0f, 3);
	/* the question: www.facebook.com, type, class */
	assert_memory_equal(p.payload + 12, query->b + 12, 18 + 4);
	/* the EDE only when the query had EDNS */
	assert_int_equal(memmem(p.payload, p.paylen, T_TEXT, strlen(T_TEXT)) !=
	    NULL, edns);
}

/* 10.10.0.23:sport -> 157.240.1.35:443, TCP with n bytes of payload */
static void
t_tcp4(struct t_eng *t, uint16_t sport, const uint8_t *pay, size_t n,
    uint64_t ts, struct eng_verdict *v)
{
	uint8_t	 pkt[2048], buf[2048];
	size_t	 len;

	assert_true(n + 40 <= sizeof(pkt));
	memset(buf, 0, 12);	/* under the TCP header's last 12 bytes */
	memcpy(buf + 12, pay, n);
	len = t_ip4(buf, 12 + n, pkt);
	pkt[9] = 6;
	memcpy(pkt + 12, "\x0a\x0a\x00\x17\x9d\xf0\x01\x23", 8);
	memcpy(pkt + 20, "\x00\x00\x01\xbb\x00\x00\x00\x01\x00\x00\x00\x01"
	    "\x50\x18\xff\xff\x00\x00\x00\x00", 20);
	pkt[20] = (uint8_t)(sport >> 8);
	pkt[21] = (uint8_t)sport;
	t_feed(t, pkt, len, ts, v);
}

/* 10.10.0.23:50000 -> 157.240.1.35:443, a payload nDPI cannot name */
static void
t_unnamed_tcp(struct t_eng *t, uint64_t ts, struct eng_verdict *v)
{
	uint8_t	 pay[60];

	memset(pay, 0x5a, sizeof(pay));
	t_tcp4(t, 50000, pay, sizeof(pay), ts, v);
}

static void
t_engine_blocked_lookup(void **state)
{
	struct t_eng		 t;
	struct t_msg		 q, a;
	struct eng_verdict	 v;
	uint8_t			 pkt[512];
	size_t			 len;
	uint64_t		 ts = 1000000;

	t_eng_up(&t, NULL);
	t_dns(&q, false, "www.facebook.com", 1, NULL, 0, true);
	t_dns(&a, true, "www.facebook.com", 1, t_fb4, 4, true);
	for (int try = 0; try < 2; try++) {
		/* the query goes on to the resolver, the flow stays with us */
		len = t_udp4(false, &q, pkt);
		t_feed(&t, pkt, len, ts++, &v);
		assert_int_equal(v.action, SG_ALLOW);
		assert_false(v.final);
		assert_null(v.pkt);
		len = t_udp4(true, &a, pkt);
		t_feed(&t, pkt, len, ts++, &v);
		t_check_rewrite(&v, &q, true);
	}
	assert_int_equal(eng_stats(t.eng)->dns_rewritten, 2);
	assert_int_equal(eng_stats(t.eng)->verdicts[SG_BLOCK], 1);
	/* an answer that is no DNS: counted and dropped */
	memset(a.b + 12, 0xff, a.len - 12);
	len = t_udp4(true, &a, pkt);
	t_feed(&t, pkt, len, ts++, &v);
	assert_null(v.pkt);
	assert_int_equal(v.action, SG_BLOCK);
	assert_int_equal(eng_stats(t.eng)->dns_malformed, 1);

	/* a TCP flow to the address with nothing readable in it: the name
	 * comes from the answer the cache learnt before the rewrite */
	t_unnamed_tcp(&t, ts++, &v);
	assert_true(v.final);
	assert_int_equal(v.action, SG_BLOCK);
	t_eng_down(&t);		/* ends the flows, the TCP one among them */
	assert_int_equal(t.last_src, SG_HOST_DNSCACHE);
	assert_string_equal(t.last_host, "www.facebook.com");
}

/* The daemon's queues share one cache: a lookup answered on one queue
 * names the connection another queue sees; an engine of its own does not. */
static void
t_engine_shared_cache(void **state)
{
	struct dns_cache	*c;
	struct t_eng		 dns, tcp, alone;
	struct t_msg		 q, a;
	struct eng_verdict	 v;
	uint8_t			 pkt[512];

	assert_non_null(c = dns_cache_new(64, 3600));
	t_eng_up(&dns, c);
	t_eng_up(&tcp, c);
	t_eng_up(&alone, NULL);
	t_dns(&q, false, "www.facebook.com", 1, NULL, 0, false);
	t_dns(&a, true, "www.facebook.com", 1, t_fb4, 4, false);
	t_feed(&dns, pkt, t_udp4(false, &q, pkt), 1000000, &v);
	t_feed(&dns, pkt, t_udp4(true, &a, pkt), 1000001, &v);
	t_check_rewrite(&v, &q, false);
	t_unnamed_tcp(&alone, 1000002, &v);
	assert_false(v.final);
	t_unnamed_tcp(&tcp, 1000002, &v);
	assert_true(v.final);
	assert_int_equal(v.action, SG_BLOCK);
	t_eng_down(&tcp);
	assert_int_equal(tcp.last_src, SG_HOST_DNSCACHE);
	t_eng_down(&alone);
	assert_int_equal(alone.last_src, SG_HOST_NONE);
	t_eng_down(&dns);
	dns_cache_free(c);
}

/* --- "ech" SvcParams stripped from HTTPS records --- */

enum t_mand { T_MAND_NONE, T_MAND_ALPN, T_MAND_ALPN_ECH, T_MAND_ECH };

static void
t_param(struct t_msg *m, uint16_t key, const void *v, size_t n)
{
	t_put16(m, key);
	t_put16(m, (uint16_t)n);
	t_put(m, v, n);
}

/*
 * An answer to "crypto.example HTTPS": the HTTPS record (mandatory as
 * asked, alpn, ipv4hint, ech if ech, ipv6hint), then an A record whose
 * owner is written out, then a CNAME whose owner and target point at
 * that name (pointers past the HTTPS record), then an OPT.
 */
static void
t_https(struct t_msg *m, bool ech, enum t_mand mand)
{
	size_t	 rdlen_at, rd, edge;

	memset(m, 0, sizeof(*m));
	t_put16(m, 0x1234);
	t_put16(m, 0x8180);
	t_put16(m, 1);
	t_put16(m, 3);
	t_put16(m, 0);
	t_put16(m, 1);
	t_name(m, "crypto.example");
	t_put16(m, 65);
	t_put16(m, 1);
	t_ptr(m, 12);
	t_put(m, "\x00\x41\x00\x01\x00\x00\x01\x2c", 8);
	rdlen_at = m->len;
	t_put16(m, 0);
	rd = m->len;
	t_put16(m, 1);				/* SvcPriority */
	t_put(m, "", 1);			/* TargetName "." */
	if (mand == T_MAND_ALPN || mand == T_MAND_ALPN_ECH)
		t_param(m, 0, mand == T_MAND_ALPN_ECH ? "\x00\x01\x00\x05" :
		    "\x00\x01", mand == T_MAND_ALPN_ECH ? 4 : 2);
	if (mand == T_MAND_ECH)
		t_param(m, 0, "\x00\x05", 2);
	t_param(m, 1, "\x02h2\x02h3", 6);
	t_param(m, 4, "\xc0\x00\x02\x01", 4);
	if (ech)
		t_param(m, 5, "\x00\x45\xfe\x0d\x00\x41" "ECHCONFIG", 16);
	t_param(m, 6, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01",
	    16);
	m->b[rdlen_at] = (uint8_t)((m->len - rd) >> 8);
	m->b[rdlen_at + 1] = (uint8_t)(m->len - rd);
	edge = t_name(m, "edge.example.net");
	t_put(m, "\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04\xc0\x00\x02\x01",
	    14);
	t_ptr(m, edge);
	t_put(m, "\x00\x05\x00\x01\x00\x00\x01\x2c\x00\x02", 10);
	t_ptr(m, edge);
	t_put(m, t_opt, sizeof(t_opt));
}

static void
t_strip_expect(bool ech, enum t_mand mand, enum t_mand after)
{
	struct t_msg	 in, want;
	uint8_t		 out[2048];
	int		 n;

	t_https(&in, ech, mand);
	t_https(&want, false, after);
	n = dnsrw_strip_ech(in.b, in.len, out, sizeof(out));
	assert_int_equal(n, (int)want.len);
	assert_memory_equal(out, want.b, want.len);
}

static void
t_strip_ech(void **state)
{
	struct t_msg	 in;
	uint8_t		 out[2048];

	/* no ech: nothing to do */
	t_https(&in, false, T_MAND_ALPN);
	assert_int_equal(dnsrw_strip_ech(in.b, in.len, out, sizeof(out)), 0);
	/* ech among other params; pointers past it move back */
	t_strip_expect(true, T_MAND_NONE, T_MAND_NONE);
	/* ech named mandatory: out of the list, or the list goes */
	t_strip_expect(true, T_MAND_ALPN_ECH, T_MAND_ALPN);
	t_strip_expect(true, T_MAND_ECH, T_MAND_NONE);
	/* an A answer has no SvcParams */
	t_dns(&in, true, "www.facebook.com", 1, t_fb4, 4, true);
	assert_int_equal(dnsrw_strip_ech(in.b, in.len, out, sizeof(out)), 0);
	/* a query, or no room for the copy */
	t_https(&in, true, T_MAND_NONE);
	assert_int_equal(dnsrw_strip_ech(in.b, in.len, out, in.len - 1), -1);
	in.b[2] &= 0x7f;
	assert_int_equal(dnsrw_strip_ech(in.b, in.len, out, sizeof(out)), -1);
}

/* Byte offset of the first HTTPS record's SvcParams in t_https(). */
#define T_HTTPS_RDLEN	(12 + 16 + 4 + 2 + 8)
#define T_HTTPS_PARAMS	(T_HTTPS_RDLEN + 2 + 3)

static void
t_strip_ech_malformed(void **state)
{
	struct t_msg	 in;
	uint8_t		 out[2048];

	/* a param longer than the record */
	t_https(&in, true, T_MAND_NONE);
	in.b[T_HTTPS_PARAMS + 3] = 0xf0;
	assert_int_equal(dnsrw_strip_ech(in.b, in.len, out, sizeof(out)), -1);
	/* RDLENGTH past the message */
	t_https(&in, true, T_MAND_NONE);
	in.b[T_HTTPS_RDLEN] = 0xff;
	assert_int_equal(dnsrw_strip_ech(in.b, in.len, out, sizeof(out)), -1);
	/* RDLENGTH cutting a param in two */
	t_https(&in, true, T_MAND_NONE);
	in.b[T_HTTPS_RDLEN + 1] -= 3;
	assert_int_equal(dnsrw_strip_ech(in.b, in.len, out, sizeof(out)), -1);
	/* a pointer forward, and one into the removed ech */
	t_https(&in, true, T_MAND_NONE);
	in.b[T_HTTPS_RDLEN - 9] = (uint8_t)(in.len - 2);
	assert_int_equal(dnsrw_strip_ech(in.b, in.len, out, sizeof(out)), -1);
	t_https(&in, true, T_MAND_NONE);
	in.b[in.len - 11 - 1] = (uint8_t)(T_HTTPS_PARAMS + 6 + 4 + 8 + 4);
	assert_int_equal(dnsrw_strip_ech(in.b, in.len, out, sizeof(out)), -1);
	/* counts promising more records than there are */
	t_https(&in, true, T_MAND_NONE);
	in.b[7] = 9;
	assert_int_equal(dnsrw_strip_ech(in.b, in.len, out, sizeof(out)), -1);
	/* cut short anywhere: never a read past the end */
	t_https(&in, true, T_MAND_NONE);
	for (size_t n = 0; n < in.len; n++)
		assert_true(dnsrw_strip_ech(in.b, n, out, sizeof(out)) <= 0);
}

/* A lookup of a canary domain: NXDOMAIN with EDE 17 "Filtered" even
 * though the resolver had an answer, recorded as dns-canary with the
 * circumvention category. */
static void
t_engine_canary(void **state)
{
	struct t_eng		 t;
	struct t_msg		 q, a;
	struct eng_verdict	 v;
	struct dec_pkt		 p;
	uint8_t			 pkt[512];
	int			 circ;

	t_eng_up(&t, NULL);
	circ = t.cfg->circumvention;
	assert_true(circ >= 0);
	t_dns(&q, false, "Use-Application-DNS.net", 1, NULL, 0, true);
	t_dns(&a, true, "Use-Application-DNS.net", 1, t_fb4, 4, true);
	t_feed(&t, pkt, t_udp4(false, &q, pkt), 1000000, &v);
	assert_int_equal(v.action, SG_ALLOW);
	assert_false(v.final);
	t_feed(&t, pkt, t_udp4(true, &a, pkt), 1000001, &v);
	assert_non_null(v.pkt);
	assert_int_equal(dec_ip(v.pkt, v.pktlen, &p), DEC_OK);
	assert_int_equal(p.payload[3] & 0x0f, 3);
	assert_non_null(memmem(p.payload, p.paylen, "\x00\x11schoolgate: a "
	    "canary domain", 21));
	assert_int_equal(eng_stats(t.eng)->dns_canaries, 1);
	t_eng_down(&t);
	assert_string_equal(t.dns_rule, "dns-canary");
	assert_int_equal(t.dns_category, circ);
}

/* An allowed HTTPS lookup by staff: the answer passes without its ech,
 * and so does the next answer on the same ports. */
static void
t_engine_strip(void **state)
{
	struct t_eng		 t;
	struct t_msg		 q, a, want;
	struct eng_verdict	 v;
	struct dec_pkt		 p;
	uint8_t			 pkt[512];

	t_eng_up(&t, NULL);
	t_dns(&q, false, "crypto.example", 65, NULL, 0, true);
	t_https(&a, true, T_MAND_NONE);
	t_https(&want, false, T_MAND_NONE);
	for (int try = 0; try < 2; try++) {
		t_feed(&t, pkt, t_udp4(false, &q, pkt), 1000000 + try, &v);
		assert_int_equal(v.action, SG_ALLOW);
		t_feed(&t, pkt, t_udp4(true, &a, pkt), 1000001 + try, &v);
		assert_int_equal(v.action, SG_ALLOW);
		assert_false(v.final);
		assert_non_null(v.pkt);
		assert_int_equal(dec_ip(v.pkt, v.pktlen, &p), DEC_OK);
		assert_int_equal(p.paylen, want.len);
		assert_memory_equal(p.payload, want.b, want.len);
	}
	assert_int_equal(eng_stats(t.eng)->dns_ech_stripped, 2);
	assert_int_equal(eng_stats(t.eng)->verdicts[SG_ALLOW], 1);
	t_eng_down(&t);
	assert_string_not_equal(t.dns_rule, "dns-canary");
}

/* 10.10.0.23:50001 -> 157.240.1.35:443, a ClientHello naming sni */
static void
t_hello_tcp(struct t_eng *t, const char *sni, int ech, uint64_t ts,
    struct eng_verdict *v)
{
	uint8_t	 hello[1024];

	t_tcp4(t, 50001, hello, th_hello(hello, sni, 1, ech, 0), ts, v);
}

/* An SNI that is only an ECH front never names the flow: the client's
 * lookup of the address does, and without one the flow is evasion.  An
 * ECH extension beside another SNI leaves that SNI the name. */
static void
t_engine_ech_front(void **state)
{
	struct t_eng		 t;
	struct t_msg		 q, a;
	struct eng_verdict	 v;
	uint8_t			 pkt[512];

	t_eng_up(&t, NULL);
	t_hello_tcp(&t, "cloudflare-ech.com", 0, 1000000, &v);
	assert_true(v.final);
	assert_int_equal(v.action, SG_BLOCK);	/* staff: evasion blocks */
	assert_int_equal(eng_stats(t.eng)->evasions, 1);
	t_eng_down(&t);
	assert_int_equal(t.last_src, SG_HOST_NONE);

	t_eng_up(&t, NULL);
	t_dns(&q, false, "www.facebook.com", 1, NULL, 0, false);
	t_dns(&a, true, "www.facebook.com", 1, t_fb4, 4, false);
	t_feed(&t, pkt, t_udp4(false, &q, pkt), 1000000, &v);
	t_feed(&t, pkt, t_udp4(true, &a, pkt), 1000001, &v);
	t_hello_tcp(&t, "Cloudflare-ECH.com", 0, 1000002, &v);
	assert_true(v.final);
	assert_int_equal(v.action, SG_BLOCK);
	assert_int_equal(eng_stats(t.eng)->evasions, 0);
	t_eng_down(&t);
	assert_int_equal(t.last_src, SG_HOST_DNSCACHE);
	assert_string_equal(t.last_host, "www.facebook.com");

	/* Chrome's GREASE ECH beside the real name: the name stands */
	t_eng_up(&t, NULL);
	t_hello_tcp(&t, "en.wikipedia.org", 1, 1000000, &v);
	assert_int_equal(v.action, SG_ALLOW);
	assert_int_equal(eng_stats(t.eng)->evasions, 0);
	t_eng_down(&t);
	assert_int_equal(t.last_src, SG_HOST_SNI);
	assert_string_equal(t.last_host, "en.wikipedia.org");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_nxdomain_edns),
		cmocka_unit_test(t_nxdomain_plain),
		cmocka_unit_test(t_nxdomain_refuses),
		cmocka_unit_test(t_inspect),
		cmocka_unit_test(t_repack_known),
		cmocka_unit_test(t_repack_refuses),
		cmocka_unit_test(t_engine_blocked_lookup),
		cmocka_unit_test(t_engine_shared_cache),
		cmocka_unit_test(t_strip_ech),
		cmocka_unit_test(t_strip_ech_malformed),
		cmocka_unit_test(t_engine_canary),
		cmocka_unit_test(t_engine_strip),
		cmocka_unit_test(t_engine_ech_front),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
