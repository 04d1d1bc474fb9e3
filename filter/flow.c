/*
 * The flow table: chained hash buckets for lookup and one LRU list (most
 * recent at the head) for eviction and expiry.  The hash is SipHash-2-4
 * under a random key, so a sender cannot choose tuples that collide.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "flow.h"

#define FLOW_MIN_BUCKETS	16
#define FLOW_MAX_BUCKETS	((size_t)1 << 28)

#define FLOW_DEF_MAX		65536
#define FLOW_DEF_TCP_US		(3600ULL * 1000000)
#define FLOW_DEF_TCP_CLOSED_US	(10ULL * 1000000)
#define FLOW_DEF_UDP_US		(120ULL * 1000000)
#define FLOW_DEF_OTHER_US	(60ULL * 1000000)

#define FLOW_TCP		6
#define FLOW_UDP		17
#define FLOW_TH_FIN		0x01
#define FLOW_TH_SYN		0x02
#define FLOW_TH_RST		0x04
#define FLOW_TH_ACK		0x10
#define FLOW_FIN_BOTH		0x03

struct flow_table {
	struct flow_table_opts	 opts;
	uint64_t		 min_timeout_us;
	struct flow		**buckets;
	size_t			 mask;
	size_t			 count;
	struct flow		*lru_head;	/* most recently seen */
	struct flow		*lru_tail;
	uint64_t		 key[2];	/* SipHash key */
};

/* SipHash-2-4 (Aumasson and Bernstein), for short inputs. */
#define FLOW_ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void
flow_sipround(uint64_t v[4])
{
	v[0] += v[1]; v[1] = FLOW_ROTL(v[1], 13); v[1] ^= v[0];
	v[0] = FLOW_ROTL(v[0], 32);
	v[2] += v[3]; v[3] = FLOW_ROTL(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = FLOW_ROTL(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = FLOW_ROTL(v[1], 17); v[1] ^= v[2];
	v[2] = FLOW_ROTL(v[2], 32);
}

static uint64_t
flow_le64(const uint8_t *p)
{
	uint64_t	 x = 0;

	for (int i = 7; i >= 0; i--)
		x = x << 8 | p[i];
	return x;
}

static uint64_t
flow_siphash(const uint64_t k[2], const uint8_t *in, size_t len)
{
	uint64_t	 v[4], m, b = (uint64_t)len << 56;
	uint8_t		 last[8] = { 0 };
	size_t		 i, tail = len & 7;

	v[0] = k[0] ^ 0x736f6d6570736575ULL;
	v[1] = k[1] ^ 0x646f72616e646f6dULL;
	v[2] = k[0] ^ 0x6c7967656e657261ULL;
	v[3] = k[1] ^ 0x7465646279746573ULL;
	for (i = 0; i + 8 <= len; i += 8) {
		m = flow_le64(in + i);
		v[3] ^= m;
		flow_sipround(v);
		flow_sipround(v);
		v[0] ^= m;
	}
	memcpy(last, in + i, tail);
	b |= flow_le64(last);
	v[3] ^= b;
	flow_sipround(v);
	flow_sipround(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		flow_sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* One endpoint as it enters the hash: the address then the port. */
static void
flow_endpoint(uint8_t out[18], const struct sg_addr *a, uint16_t port)
{
	/* Bytes past an IPv4 address are not part of it: keep them out. */
	memset(out, 0, 16);
	memcpy(out, a->a, a->family == AF_INET6 ? 16 : 4);
	out[16] = (uint8_t)(port >> 8);
	out[17] = (uint8_t)port;
}

/* The same for both directions: the endpoints go in sorted order. */
static uint32_t
flow_hash(const struct flow_table *t, const struct sg_addr *src,
    uint16_t sport, const struct sg_addr *dst, uint16_t dport, uint8_t proto)
{
	uint8_t		 buf[2 + 18 + 18], a[18], b[18];

	flow_endpoint(a, src, sport);
	flow_endpoint(b, dst, dport);
	buf[0] = src->family;
	buf[1] = proto;
	if (memcmp(a, b, sizeof(a)) <= 0) {
		memcpy(buf + 2, a, 18);
		memcpy(buf + 20, b, 18);
	} else {
		memcpy(buf + 2, b, 18);
		memcpy(buf + 20, a, 18);
	}
	return (uint32_t)flow_siphash(t->key, buf, sizeof(buf));
}

static void
flow_seed(uint64_t key[2])
{
	struct timespec	 ts;

	if (getrandom(key, 2 * sizeof(key[0]), GRND_NONBLOCK) ==
	    (ssize_t)(2 * sizeof(key[0])))
		return;
	/* No entropy yet (early boot): weaker, but the table still works. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	key[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
	    (uint64_t)(uintptr_t)key;
	key[1] = (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 32);
}

static uint64_t
flow_or_default(uint64_t v, uint64_t def)
{
	return v != 0 ? v : def;
}

static void
flow_opts_defaults(struct flow_table_opts *o)
{
	o->max_flows = (size_t)flow_or_default(o->max_flows, FLOW_DEF_MAX);
	o->tcp_timeout_us = flow_or_default(o->tcp_timeout_us,
	    FLOW_DEF_TCP_US);
	o->tcp_closed_timeout_us = flow_or_default(o->tcp_closed_timeout_us,
	    FLOW_DEF_TCP_CLOSED_US);
	o->udp_timeout_us = flow_or_default(o->udp_timeout_us,
	    FLOW_DEF_UDP_US);
	o->other_timeout_us = flow_or_default(o->other_timeout_us,
	    FLOW_DEF_OTHER_US);
}

static uint64_t
flow_min_timeout(const struct flow_table_opts *o)
{
	uint64_t	 m = o->tcp_timeout_us;

	if (o->tcp_closed_timeout_us < m)
		m = o->tcp_closed_timeout_us;
	if (o->udp_timeout_us < m)
		m = o->udp_timeout_us;
	if (o->other_timeout_us < m)
		m = o->other_timeout_us;
	return m;
}

struct flow_table *
flow_table_new(const struct flow_table_opts *opts)
{
	struct flow_table	*t;
	size_t			 n = FLOW_MIN_BUCKETS;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->opts = *opts;
	flow_opts_defaults(&t->opts);
	t->min_timeout_us = flow_min_timeout(&t->opts);
	while (n < t->opts.max_flows && n < FLOW_MAX_BUCKETS)
		n <<= 1;
	if ((t->buckets = calloc(n, sizeof(*t->buckets))) == NULL)
		goto free_table;
	t->mask = n - 1;
	flow_seed(t->key);
	return t;

 free_table:
	free(t);
	return NULL;
}

static void
flow_lru_unlink(struct flow_table *t, struct flow *f)
{
	if (f->lru_prev != NULL)
		f->lru_prev->lru_next = f->lru_next;
	else
		t->lru_head = f->lru_next;
	if (f->lru_next != NULL)
		f->lru_next->lru_prev = f->lru_prev;
	else
		t->lru_tail = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

static void
flow_lru_push_head(struct flow_table *t, struct flow *f)
{
	f->lru_prev = NULL;
	f->lru_next = t->lru_head;
	if (t->lru_head != NULL)
		t->lru_head->lru_prev = f;
	else
		t->lru_tail = f;
	t->lru_head = f;
}

static void
flow_bucket_unlink(struct flow_table *t, struct flow *f)
{
	struct flow	**pp = &t->buckets[f->hash & t->mask];

	while (*pp != NULL && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp == f)
		*pp = f->hnext;
	f->hnext = NULL;
}

/* Take the flow out of the table, hand it to on_end, then free it. */
static void
flow_end(struct flow_table *t, struct flow *f, enum flow_end_reason why)
{
	flow_bucket_unlink(t, f);
	flow_lru_unlink(t, f);
	t->count--;
	if (t->opts.on_end != NULL)
		t->opts.on_end(f, why, t->opts.arg);
	free(f);
}

void
flow_table_free(struct flow_table *t)
{
	if (t == NULL)
		return;
	while (t->lru_tail != NULL)
		flow_end(t, t->lru_tail, FLOW_END_FLUSH);
	free(t->buckets);
	free(t);
}

static int
flow_is_closed(const struct flow *f)
{
	return f->key.proto == FLOW_TCP && f->fin_seen == FLOW_FIN_BOTH;
}

static uint64_t
flow_timeout(const struct flow_table *t, const struct flow *f)
{
	switch (f->key.proto) {
	case FLOW_TCP:
		return flow_is_closed(f) ? t->opts.tcp_closed_timeout_us :
		    t->opts.tcp_timeout_us;
	case FLOW_UDP:
		return t->opts.udp_timeout_us;
	default:
		return t->opts.other_timeout_us;
	}
}

/* Returns 0 for no match, 1 same direction, 2 reverse direction. */
static int
flow_match(const struct flow_key *k, const struct dec_pkt *p)
{
	if (k->proto != p->proto || k->src.family != p->src.family)
		return 0;
	if (k->sport == p->sport && k->dport == p->dport &&
	    sg_addr_eq(&k->src, &p->src) && sg_addr_eq(&k->dst, &p->dst))
		return 1;
	if (k->sport == p->dport && k->dport == p->sport &&
	    sg_addr_eq(&k->src, &p->dst) && sg_addr_eq(&k->dst, &p->src))
		return 2;
	return 0;
}

static struct flow *
flow_find(struct flow_table *t, const struct dec_pkt *p, uint32_t h,
    int *dir)
{
	struct flow	*f;
	int		 m;

	for (f = t->buckets[h & t->mask]; f != NULL; f = f->hnext) {
		if (f->hash != h)
			continue;
		if ((m = flow_match(&f->key, p)) != 0) {
			*dir = m - 1;
			return f;
		}
	}
	return NULL;
}

static struct flow *
flow_insert(struct flow_table *t, const struct dec_pkt *p, uint32_t h,
    uint64_t now_us)
{
	struct flow	*f;
	size_t		 b = h & t->mask;

	while (t->count >= t->opts.max_flows && t->lru_tail != NULL)
		flow_end(t, t->lru_tail, FLOW_END_EVICTED);
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->key.src = p->src;
	f->key.dst = p->dst;
	f->key.sport = p->sport;
	f->key.dport = p->dport;
	f->key.proto = p->proto;
	f->state = FLOW_INSPECTING;
	f->first_us = now_us;
	f->last_us = now_us;
	f->hash = h;
	f->hnext = t->buckets[b];
	t->buckets[b] = f;
	flow_lru_push_head(t, f);
	t->count++;
	return f;
}

/* A fresh SYN on a closed connection is a new flow on a reused port. */
static int
flow_is_reopen(const struct flow *f, const struct dec_pkt *p)
{
	return flow_is_closed(f) &&
	    (p->tcp_flags & (FLOW_TH_SYN | FLOW_TH_ACK)) == FLOW_TH_SYN;
}

static void
flow_account(struct flow_table *t, struct flow *f, const struct dec_pkt *p,
    int dir, uint64_t now_us)
{
	f->pkts[dir]++;
	f->bytes[dir] += p->l3len;
	if (now_us > f->last_us)
		f->last_us = now_us;
	if (f->key.proto == FLOW_TCP) {
		if (p->tcp_flags & FLOW_TH_RST)
			f->fin_seen = FLOW_FIN_BOTH;
		else if (p->tcp_flags & FLOW_TH_FIN)
			f->fin_seen |= (uint8_t)(1 << dir);
	}
	if (t->lru_head != f) {
		flow_lru_unlink(t, f);
		flow_lru_push_head(t, f);
	}
}

struct flow *
flow_lookup(struct flow_table *t, const struct dec_pkt *p, uint64_t now_us,
    int *dir, bool *created)
{
	struct flow	*f;
	uint32_t	 h;

	h = flow_hash(t, &p->src, p->sport, &p->dst, p->dport, p->proto);
	*created = false;
	*dir = 0;
	f = flow_find(t, p, h, dir);
	if (f != NULL && flow_is_reopen(f, p)) {
		flow_end(t, f, FLOW_END_CLOSED);
		f = NULL;
	}
	if (f == NULL) {
		if ((f = flow_insert(t, p, h, now_us)) == NULL)
			return NULL;
		*dir = 0;
		*created = true;
	}
	flow_account(t, f, p, *dir, now_us);
	return f;
}

/*
 * The LRU tail is the flow idle longest.  Flows with longer timeouts are
 * stepped over; the walk stops at the first flow too recent for even the
 * shortest timeout, since everything nearer the head is more recent still.
 * A flow closed by FIN both ways or RST ends as CLOSED, others as TIMEOUT.
 */
void
flow_expire(struct flow_table *t, uint64_t now_us)
{
	struct flow	*f, *prev;
	uint64_t	 idle;

	for (f = t->lru_tail; f != NULL; f = prev) {
		prev = f->lru_prev;
		idle = now_us > f->last_us ? now_us - f->last_us : 0;
		if (idle < t->min_timeout_us)
			break;
		if (idle >= flow_timeout(t, f))
			flow_end(t, f, flow_is_closed(f) ? FLOW_END_CLOSED :
			    FLOW_END_TIMEOUT);
	}
}

void
flow_remove(struct flow_table *t, struct flow *f)
{
	flow_end(t, f, FLOW_END_CLOSED);
}

size_t
flow_count(const struct flow_table *t)
{
	return t->count;
}

static void
flow_endpoint_str(const struct sg_addr *a, uint16_t port, char *buf,
    size_t len)
{
	char	 addr[SG_ADDRSTR_MAX];

	sg_addr_str(a, addr, sizeof(addr));
	if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", addr, (unsigned)port);
	else
		snprintf(buf, len, "%s:%u", addr, (unsigned)port);
}

void
flow_key_str(const struct flow_key *k, char *src, char *dst, size_t len)
{
	flow_endpoint_str(&k->src, k->sport, src, len);
	flow_endpoint_str(&k->dst, k->dport, dst, len);
}
