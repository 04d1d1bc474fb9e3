#include <sys/socket.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"

struct acct_entry {
	struct flow_key		 key;
	struct rec_flow		 rec;
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
    uint64_t now_us)
{
	struct acct_entry *e;
	uint32_t b;

	if ((e = malloc(sizeof(*e))) == NULL)
		return -1;
	key_canon(&e->key, &k->src, &k->dst, k->sport, k->dport, k->proto);
	e->rec = *r;
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

static void
rec_from_ct(struct rec_flow *r, const struct ct_entry *c)
{
	r->pkts_out = c->pkts[0];
	r->pkts_in = c->pkts[1];
	r->bytes_out = c->bytes[0];
	r->bytes_in = c->bytes[1];
	if (c->start_us && c->stop_us > c->start_us)
		r->end_us = r->start_us + (int64_t)(c->stop_us - c->start_us);
	else if (c->start_us && c->stop_us == 0)
		r->end_us = r->start_us;	/* refreshed below on destroy */
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
	rec_from_ct(&e->rec, c);
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
		(*pp)->rec.pkts_out = c->pkts[0];
		(*pp)->rec.pkts_in = c->pkts[1];
		(*pp)->rec.bytes_out = c->bytes[0];
		(*pp)->rec.bytes_in = c->bytes[1];
		if (c->start_us && now_us > c->start_us)
			(*pp)->rec.end_us = (*pp)->rec.start_us +
			    (int64_t)(now_us - c->start_us);
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
