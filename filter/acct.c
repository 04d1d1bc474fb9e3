#include <sys/socket.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"

struct acct_entry {
	struct flow_key		 key;
	struct rec_flow		 rec;		/* from rec.start_us on */
	struct policy_kept	 kept;		/* to decide it again */
	int64_t			 first_us;	/* the flow's own start */
	uint64_t		 base_pkts[2];	/* conntrack's totals when the */
	uint64_t		 base_bytes[2];	/* current row began */
	uint64_t		 last_news_us;	/* added, or last seen in a dump */
	struct acct_entry	*next;
};

struct acct {
	pthread_mutex_t		 lock;
	struct acct_entry	**buckets;
	size_t			 nbuckets;	/* a power of two */
	size_t			 count;
	size_t			 max;
};

static uint32_t
acct_hash(const struct flow_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u;

	/* flow keys are built with memset, so padding is zero */
	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void
addr_canon(struct sg_addr *dst, const struct sg_addr *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->family = src->family;
	memcpy(dst->a, src->a, src->family == AF_INET ? 4 : 16);
}

/* Keys are compared with memcmp: padding and the unused bytes of an
 * IPv4 address must be zero whoever built the key. */
static void
key_canon(struct flow_key *k, const struct sg_addr *src,
    const struct sg_addr *dst, uint16_t sport, uint16_t dport, uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	addr_canon(&k->src, src);
	addr_canon(&k->dst, dst);
	k->sport = sport;
	k->dport = dport;
	k->proto = proto;
}

struct acct *
acct_new(size_t max)
{
	struct acct *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->max = max ? max : 262144;
	for (a->nbuckets = 1024; a->nbuckets < a->max; a->nbuckets <<= 1)
		;
	if ((a->buckets = calloc(a->nbuckets, sizeof(*a->buckets))) == NULL) {
		free(a);
		return NULL;
	}
	pthread_mutex_init(&a->lock, NULL);
	return a;
}

void
acct_free(struct acct *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->nbuckets; i++)
		for (struct acct_entry *e = a->buckets[i], *n; e; e = n) {
			n = e->next;
			free(e);
		}
	pthread_mutex_destroy(&a->lock);
	free(a->buckets);
	free(a);
}

int
acct_add(struct acct *a, const struct flow_key *k, const struct rec_flow *r,
    const struct policy_kept *kept, uint64_t now_us)
{
	struct acct_entry *e;
	uint32_t b;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -1;
	key_canon(&e->key, &k->src, &k->dst, k->sport, k->dport, k->proto);
	e->rec = *r;
	e->first_us = r->start_us;
	if (kept != NULL)
		e->kept = *kept;
	else
		e->kept.fixed = true;
	e->last_news_us = now_us;
	b = acct_hash(&e->key) & (uint32_t)(a->nbuckets - 1);
	pthread_mutex_lock(&a->lock);
	if (a->count >= a->max) {
		pthread_mutex_unlock(&a->lock);
		free(e);
		return -1;
	}
	e->next = a->buckets[b];
	a->buckets[b] = e;
	a->count++;
	pthread_mutex_unlock(&a->lock);
	return 0;
}

static void
key_from_ct(const struct ct_entry *c, struct flow_key *k)
{
	key_canon(k, &c->src, &c->dst, c->sport, c->dport, c->proto);
}

/* Unlinks and returns the entry for the key; the caller holds the lock. */
static struct acct_entry **
acct_find(struct acct *a, const struct flow_key *k)
{
	struct acct_entry **pp;

	pp = &a->buckets[acct_hash(k) & (uint32_t)(a->nbuckets - 1)];
	for (; *pp; pp = &(*pp)->next)
		if (memcmp(&(*pp)->key, k, sizeof(*k)) == 0)
			return pp;
	return NULL;
}

static uint64_t
since(uint64_t total, uint64_t base)
{
	return total > base ? total - base : 0;
}

/* The current row's share of conntrack's totals: since it began. */
static void
entry_totals(struct acct_entry *e, const struct ct_entry *c)
{
	e->rec.pkts_out = since(c->pkts[0], e->base_pkts[0]);
	e->rec.pkts_in = since(c->pkts[1], e->base_pkts[1]);
	e->rec.bytes_out = since(c->bytes[0], e->base_bytes[0]);
	e->rec.bytes_in = since(c->bytes[1], e->base_bytes[1]);
}

/* Conntrack's times are the flow's; the row may have begun later. */
static void
entry_end(struct acct_entry *e, int64_t end_us)
{
	e->rec.end_us = end_us > e->rec.start_us ? end_us : e->rec.start_us;
}

static void
rec_from_ct(struct acct_entry *e, const struct ct_entry *c)
{
	entry_totals(e, c);
	if (c->start_us && c->stop_us > c->start_us)
		entry_end(e, e->first_us + (int64_t)(c->stop_us - c->start_us));
	else if (c->start_us && c->stop_us == 0)
		entry_end(e, e->rec.start_us);	/* refreshed below on destroy */
}

bool
acct_destroyed(struct acct *a, const struct ct_entry *c, acct_emit_cb *emit,
    void *arg)
{
	struct acct_entry **pp, *e;
	struct flow_key k;

	key_from_ct(c, &k);
	pthread_mutex_lock(&a->lock);
	if ((pp = acct_find(a, &k)) == NULL) {
		pthread_mutex_unlock(&a->lock);
		return false;
	}
	e = *pp;
	*pp = e->next;
	a->count--;
	pthread_mutex_unlock(&a->lock);
	rec_from_ct(e, c);
	emit(&e->rec, arg);
	free(e);
	return true;
}

void
acct_seen(struct acct *a, const struct ct_entry *c, uint64_t now_us)
{
	struct acct_entry **pp;
	struct flow_key k;

	key_from_ct(c, &k);
	pthread_mutex_lock(&a->lock);
	if ((pp = acct_find(a, &k)) != NULL) {
		entry_totals(*pp, c);
		if (c->start_us && now_us > c->start_us)
			entry_end(*pp, (*pp)->first_us +
			    (int64_t)(now_us - c->start_us));
		(*pp)->last_news_us = now_us;
	}
	pthread_mutex_unlock(&a->lock);
}

/* Emit outside the lock: emit may block briefly on the record queue. */
static size_t
acct_drain(struct acct *a, uint64_t now_us, uint64_t max_age_us, bool all,
    acct_emit_cb *emit, void *arg)
{
	struct acct_entry *out = NULL, **pp, *e;
	size_t n = 0;

	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->nbuckets; i++)
		for (pp = &a->buckets[i]; (e = *pp) != NULL;) {
			if (!all && now_us - e->last_news_us < max_age_us) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			e->next = out;
			out = e;
			a->count--;
		}
	pthread_mutex_unlock(&a->lock);
	for (e = out; e; e = out) {
		out = e->next;
		emit(&e->rec, arg);
		free(e);
		n++;
	}
	return n;
}

size_t
acct_expire(struct acct *a, uint64_t now_us, uint64_t max_age_us,
    acct_emit_cb *emit, void *arg)
{
	return acct_drain(a, now_us, max_age_us, false, emit, arg);
}

size_t
acct_flush(struct acct *a, acct_emit_cb *emit, void *arg)
{
	return acct_drain(a, 0, 0, true, emit, arg);
}

size_t
acct_count(struct acct *a)
{
	size_t n;

	pthread_mutex_lock(&a->lock);
	n = a->count;
	pthread_mutex_unlock(&a->lock);
	return n;
}

static void
change_key(const struct acct_entry *e, struct ct_entry *key)
{
	memset(key, 0, sizeof(*key));
	key->src = e->key.src;
	key->dst = e->key.dst;
	key->sport = e->key.sport;
	key->dport = e->key.dport;
	key->proto = e->key.proto;
}

/*
 * Under the lock, so workers adding flows wait for the scan: deciding
 * is plain C over the config, a microsecond or so per open flow, and
 * this runs only at schedule boundaries and reloads.
 */
ssize_t
acct_changes(struct acct *a, acct_redecide_cb *decide, void *arg,
    struct acct_change **out)
{
	struct acct_change *v = NULL, *nv, *c;
	size_t n = 0, cap = 0;

	*out = NULL;
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->nbuckets; i++)
		for (struct acct_entry *e = a->buckets[i]; e; e = e->next) {
			if (e->kept.fixed)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
					goto nomem;
				v = nv;
			}
			c = &v[n];
			c->e = e;
			c->cur = e->rec;
			if (!decide(&e->kept, &c->cur, &c->next, arg))
				continue;
			change_key(e, &c->key);
			n++;
		}
	pthread_mutex_unlock(&a->lock);
	*out = v;
	return (ssize_t)n;

 nomem:
	pthread_mutex_unlock(&a->lock);
	free(v);
	return -1;
}

void
acct_split(struct acct *a, const struct acct_change *c,
    const struct ct_entry *now, int64_t at_us, struct rec_flow *closed)
{
	struct acct_entry *e = c->e;

	pthread_mutex_lock(&a->lock);
	entry_totals(e, now);
	entry_end(e, at_us);
	*closed = e->rec;
	e->rec = c->next;
	e->rec.start_us = e->rec.end_us = at_us;
	e->rec.pkts_out = e->rec.pkts_in = 0;
	e->rec.bytes_out = e->rec.bytes_in = 0;
	memcpy(e->base_pkts, now->pkts, sizeof(e->base_pkts));
	memcpy(e->base_bytes, now->bytes, sizeof(e->base_bytes));
	pthread_mutex_unlock(&a->lock);
}
