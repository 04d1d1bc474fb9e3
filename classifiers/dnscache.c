/*
 * DNS responses seen on the wire, and the (client, address) -> name cache
 * built from them.  Every byte of a message is untrusted: each read is
 * checked against the message length first.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dnscache.h"

#define DNS_HDR_LEN		12
#define DNS_QR			0x8000
#define DNS_TYPE_A		1
#define DNS_TYPE_CNAME		5
#define DNS_TYPE_AAAA		28
#define DNS_CLASS_IN		1
#define DNS_LABEL_MAX		63
#define DNS_WIRE_NAME_MAX	255
#define DNS_TEXT_NAME_MAX	253
#define DNS_PTR_HOPS		16
#define DNS_CHAIN_MAX		16	/* names: the qname plus CNAME targets */
#define DNS_MIN_TTL		10	/* seconds an answer is kept at least */

struct dns_rr {
	size_t		 owner;		/* offset of the owner name */
	uint16_t	 type, class;
	uint32_t	 ttl;
	size_t		 rdata, rdlen;
};

struct dns_chain {
	char		 names[DNS_CHAIN_MAX][SG_HOST_MAX];
	size_t		 n;
};

static uint16_t
dns_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
dns_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * Read the name at *off into out (lower case, dotted, no trailing dot;
 * the root is "").  *off moves past the name as it sits at *off, i.e.
 * past the first compression pointer if there is one.
 */
static int
dns_read_name(const uint8_t *msg, size_t len, size_t *off, char *out,
    size_t outlen)
{
	size_t	 pos = *off, end = 0, o = 0, wire = 1;
	int	 hops = 0;
	bool	 jumped = false;

	if (outlen < DNS_TEXT_NAME_MAX + 1)
		return -1;
	for (;;) {
		uint8_t	 c;

		if (pos >= len)
			return -1;
		c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++hops > DNS_PTR_HOPS)
				return -1;
			if (!jumped)
				end = pos + 2;
			jumped = true;
			pos = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			continue;
		}
		if ((c & 0xc0) != 0)
			return -1;	/* 0x40, 0x80: obsolete label types */
		if (c == 0) {
			pos++;
			break;
		}
		wire += 1 + (size_t)c;
		if (c > DNS_LABEL_MAX || wire > DNS_WIRE_NAME_MAX ||
		    pos + 1 + c > len)
			return -1;
		if (o > 0)
			out[o++] = '.';
		for (size_t i = 1; i <= c; i++) {
			uint8_t ch = msg[pos + i];

			/* a NUL or dot inside a label would forge another name */
			if (ch == '\0' || ch == '.' || o >= DNS_TEXT_NAME_MAX)
				return -1;
			out[o++] = (char)tolower(ch);
		}
		pos += 1 + (size_t)c;
	}
	out[o] = '\0';
	*off = jumped ? end : pos;
	return 0;
}

static int
dns_skip_name(const uint8_t *msg, size_t len, size_t *off)
{
	char	 scratch[SG_HOST_MAX];

	return dns_read_name(msg, len, off, scratch, sizeof(scratch));
}

static int
dns_read_rr(const uint8_t *msg, size_t len, size_t *off, struct dns_rr *rr)
{
	rr->owner = *off;
	if (dns_skip_name(msg, len, off) == -1 || len - *off < 10)
		return -1;
	rr->type = dns_get16(msg + *off);
	rr->class = dns_get16(msg + *off + 2);
	rr->ttl = dns_get32(msg + *off + 4);
	rr->rdlen = dns_get16(msg + *off + 8);
	rr->rdata = *off + 10;
	if (len - rr->rdata < rr->rdlen)
		return -1;
	*off = rr->rdata + rr->rdlen;
	return 0;
}

static bool
dns_chain_has(const struct dns_chain *ch, const char *name)
{
	for (size_t i = 0; i < ch->n; i++)
		if (strcmp(ch->names[i], name) == 0)
			return true;
	return false;
}

/* Does rr belong to the name asked for, directly or through a CNAME? */
static int
dns_rr_in_chain(const uint8_t *msg, size_t len, const struct dns_rr *rr,
    const struct dns_chain *ch, bool *in)
{
	char	 owner[SG_HOST_MAX];
	size_t	 off = rr->owner;

	if (dns_read_name(msg, len, &off, owner, sizeof(owner)) == -1)
		return -1;
	*in = rr->class == DNS_CLASS_IN && dns_chain_has(ch, owner);
	return 0;
}

/* A CNAME's target must start and end inside its own rdata. */
static int
dns_cname_target(const uint8_t *msg, size_t len, const struct dns_rr *rr,
    char *out, size_t outlen)
{
	size_t	 off = rr->rdata;

	if (dns_read_name(msg, len, &off, out, outlen) == -1 ||
	    off > rr->rdata + rr->rdlen)
		return -1;
	return 0;
}

/*
 * One walk over the answer section.  With collect false it extends the
 * CNAME chain and says whether it grew; with collect true it gathers the
 * addresses of every name on the chain.
 */
static int
dns_walk_answers(const uint8_t *msg, size_t len, size_t off, uint16_t ancount,
    struct dns_chain *ch, bool collect, struct dns_response *resp, bool *grew)
{
	struct dns_rr		 rr;
	struct dns_answer	*a;
	char			 target[SG_HOST_MAX];
	bool			 in;

	*grew = false;
	for (uint16_t i = 0; i < ancount; i++) {
		if (dns_read_rr(msg, len, &off, &rr) == -1 ||
		    dns_rr_in_chain(msg, len, &rr, ch, &in) == -1)
			return -1;
		if (!in)
			continue;
		if (!collect && rr.type == DNS_TYPE_CNAME) {
			if (dns_cname_target(msg, len, &rr, target,
			    sizeof(target)) == -1)
				return -1;
			if (ch->n < DNS_CHAIN_MAX &&
			    !dns_chain_has(ch, target)) {
				memcpy(ch->names[ch->n++], target,
				    sizeof(target));
				*grew = true;
			}
			continue;
		}
		if (!collect || resp->nanswers >= DNS_MAX_ANSWERS)
			continue;
		a = &resp->answers[resp->nanswers];
		memset(a, 0, sizeof(*a));
		if (rr.type == DNS_TYPE_A && rr.rdlen == 4) {
			a->addr.family = AF_INET;
			memcpy(a->addr.a, msg + rr.rdata, 4);
		} else if (rr.type == DNS_TYPE_AAAA && rr.rdlen == 16) {
			a->addr.family = AF_INET6;
			memcpy(a->addr.a, msg + rr.rdata, 16);
		} else
			continue;
		a->ttl = rr.ttl;
		resp->nanswers++;
	}
	return 0;
}

int
dns_parse_response(const uint8_t *msg, size_t len, struct dns_response *resp)
{
	struct dns_chain	 ch;
	size_t			 off = DNS_HDR_LEN;
	uint16_t		 qdcount, ancount;
	bool			 grew;

	memset(resp, 0, sizeof(*resp));
	if (len < DNS_HDR_LEN || (dns_get16(msg + 2) & DNS_QR) == 0)
		return -1;
	qdcount = dns_get16(msg + 4);
	ancount = dns_get16(msg + 6);
	if (qdcount == 0)
		return -1;
	if (dns_read_name(msg, len, &off, resp->qname, sizeof(resp->qname))
	    == -1 || len - off < 4)
		return -1;
	off += 4;
	for (uint16_t i = 1; i < qdcount; i++) {
		if (dns_skip_name(msg, len, &off) == -1 || len - off < 4)
			return -1;
		off += 4;
	}

	ch.n = 1;
	memcpy(ch.names[0], resp->qname, sizeof(resp->qname));
	/* CNAMEs may come in any order: walk until the chain stops growing */
	do {
		if (dns_walk_answers(msg, len, off, ancount, &ch, false, resp,
		    &grew) == -1)
			return -1;
	} while (grew);
	if (dns_walk_answers(msg, len, off, ancount, &ch, true, resp,
	    &grew) == -1) {
		resp->nanswers = 0;
		return -1;
	}
	return 0;
}

/*
 * The cache: a pool of max_entries slots, hash chains through them, and a
 * doubly linked age list (oldest first) that picks the slot to reuse.
 */
#define DNS_NIL		UINT32_MAX
#define DNS_FIRST_CAP	1024	/* slots allocated up front */

struct dns_entry {
	struct sg_addr	 client, addr;
	char		 name[SG_HOST_MAX];
	time_t		 expires;
	uint32_t	 hnext;		/* hash chain */
	uint32_t	 older, newer;	/* age list */
	bool		 used;
};

struct dns_cache {
	struct dns_entry *entries;
	uint32_t	*buckets;
	size_t		 max_entries, nbuckets, count;
	uint32_t	 free_head;	/* freed slots, chained by hnext */
	uint32_t	 fresh;		/* slots from here on never used */
	size_t		 cap;		/* slots allocated, up to max_entries */
	uint32_t	 oldest, newest;
	uint32_t	 max_ttl;
	uint64_t	 seed;		/* so LAN clients cannot aim at one bucket */
	pthread_mutex_t	 lock;
};

struct dns_cache *
dns_cache_new(size_t max_entries, uint32_t max_ttl)
{
	struct dns_cache	*c;
	size_t			 nb = 16;

	if (max_entries == 0 || max_entries >= DNS_NIL / 2)
		return NULL;
	while (nb < max_entries * 2)
		nb *= 2;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->cap = max_entries < DNS_FIRST_CAP ? max_entries : DNS_FIRST_CAP;
	if ((c->entries = calloc(c->cap, sizeof(*c->entries))) == NULL)
		goto free_cache;
	if ((c->buckets = malloc(nb * sizeof(*c->buckets))) == NULL)
		goto free_entries;
	for (size_t i = 0; i < nb; i++)
		c->buckets[i] = DNS_NIL;
	/*
	 * The table grows as names arrive: classify makes one cache per
	 * file, and zeroing 20 MB for each cost more than the DPI did.
	 */
	c->free_head = DNS_NIL;
	c->fresh = 0;
	c->max_entries = max_entries;
	c->nbuckets = nb;
	c->oldest = c->newest = DNS_NIL;
	c->max_ttl = max_ttl;
	c->seed = (uint64_t)arc4random() << 32 | arc4random();
	if (pthread_mutex_init(&c->lock, NULL) != 0)
		goto free_buckets;
	return c;

 free_buckets:
	free(c->buckets);
 free_entries:
	free(c->entries);
 free_cache:
	free(c);
	return NULL;
}

void
dns_cache_free(struct dns_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c->buckets);
	free(c->entries);
	free(c);
}

size_t
dns_cache_count(const struct dns_cache *c)
{
	return c->count;
}

static size_t
dns_addr_len(const struct sg_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

/* FNV-1a, seeded per cache. */
static size_t
dns_hash(const struct dns_cache *c, const struct sg_addr *client,
    const struct sg_addr *addr)
{
	uint64_t	 h = 0xcbf29ce484222325ULL ^ c->seed;
	const struct sg_addr *parts[2] = { client, addr };

	for (size_t p = 0; p < 2; p++) {
		h = (h ^ parts[p]->family) * 0x100000001b3ULL;
		for (size_t i = 0; i < dns_addr_len(parts[p]); i++)
			h = (h ^ parts[p]->a[i]) * 0x100000001b3ULL;
	}
	return (size_t)(h ^ h >> 32) & (c->nbuckets - 1);
}

static uint32_t
dns_find(const struct dns_cache *c, size_t b, const struct sg_addr *client,
    const struct sg_addr *addr)
{
	uint32_t	 i;

	for (i = c->buckets[b]; i != DNS_NIL; i = c->entries[i].hnext)
		if (sg_addr_eq(&c->entries[i].client, client) &&
		    sg_addr_eq(&c->entries[i].addr, addr))
			return i;
	return DNS_NIL;
}

static void
dns_age_unlink(struct dns_cache *c, uint32_t i)
{
	struct dns_entry *e = &c->entries[i];

	if (e->older != DNS_NIL)
		c->entries[e->older].newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer != DNS_NIL)
		c->entries[e->newer].older = e->older;
	else
		c->newest = e->older;
}

static void
dns_age_push(struct dns_cache *c, uint32_t i)
{
	struct dns_entry *e = &c->entries[i];

	e->older = c->newest;
	e->newer = DNS_NIL;
	if (c->newest != DNS_NIL)
		c->entries[c->newest].newer = i;
	else
		c->oldest = i;
	c->newest = i;
}

static void
dns_remove(struct dns_cache *c, uint32_t i)
{
	struct dns_entry *e = &c->entries[i];
	uint32_t	*pp = &c->buckets[dns_hash(c, &e->client, &e->addr)];

	while (*pp != i)
		pp = &c->entries[*pp].hnext;
	*pp = e->hnext;
	dns_age_unlink(c, i);
	memset(e, 0, sizeof(*e));
	e->hnext = c->free_head;
	c->free_head = i;
	c->count--;
}

static void
dns_grow(struct dns_cache *c)
{
	size_t		 ncap = c->cap * 2;
	struct dns_entry *ne;

	if (ncap > c->max_entries)
		ncap = c->max_entries;
	if ((ne = reallocarray(c->entries, ncap, sizeof(*ne))) == NULL)
		return;
	memset(ne + c->cap, 0, (ncap - c->cap) * sizeof(*ne));
	c->entries = ne;
	c->cap = ncap;
}

static uint32_t
dns_slot(struct dns_cache *c)
{
	uint32_t	 i;

	if (c->free_head == DNS_NIL && c->fresh == c->cap &&
	    c->cap < c->max_entries)
		dns_grow(c);	/* on failure the oldest entry makes room */
	if (c->free_head == DNS_NIL && c->fresh < c->cap)
		return c->fresh++;
	if (c->free_head == DNS_NIL)
		dns_remove(c, c->oldest);
	i = c->free_head;
	c->free_head = c->entries[i].hnext;
	return i;
}

static void
dns_put(struct dns_cache *c, const struct sg_addr *client,
    const struct sg_addr *addr, const char *name, time_t expires)
{
	size_t		 b = dns_hash(c, client, addr);
	uint32_t	 i = dns_find(c, b, client, addr);
	struct dns_entry *e;

	if (i != DNS_NIL)
		dns_age_unlink(c, i);
	else {
		i = dns_slot(c);
		e = &c->entries[i];
		e->client = *client;
		e->addr = *addr;
		e->used = true;
		e->hnext = c->buckets[b];
		c->buckets[b] = i;
		c->count++;
	}
	e = &c->entries[i];
	strncpy(e->name, name, sizeof(e->name) - 1);
	e->name[sizeof(e->name) - 1] = '\0';
	e->expires = expires;
	dns_age_push(c, i);
}

void
dns_cache_add(struct dns_cache *c, const struct sg_addr *client,
    const struct dns_response *resp, time_t now)
{
	const struct dns_answer *a;
	uint32_t		 ttl;

	if (resp->qname[0] == '\0')
		return;
	pthread_mutex_lock(&c->lock);
	for (size_t n = 0; n < resp->nanswers && n < DNS_MAX_ANSWERS; n++) {
		a = &resp->answers[n];
		ttl = a->ttl < c->max_ttl ? a->ttl : c->max_ttl;
		/* TTL 0 means "for the connection about to open" (dnsmasq's
		 * own names have it): that is exactly the one to name */
		if (ttl < DNS_MIN_TTL)
			ttl = DNS_MIN_TTL;
		if (a->addr.family != AF_INET && a->addr.family != AF_INET6)
			continue;
		dns_put(c, client, &a->addr, resp->qname, now + (time_t)ttl);
	}
	pthread_mutex_unlock(&c->lock);
}

static const char *
dns_lookup_locked(struct dns_cache *c, const struct sg_addr *client,
    const struct sg_addr *addr, time_t now)
{
	uint32_t	 i;

	i = dns_find(c, dns_hash(c, client, addr), client, addr);
	if (i == DNS_NIL)
		return NULL;
	if (now >= c->entries[i].expires) {
		dns_remove(c, i);
		return NULL;
	}
	return c->entries[i].name;
}

const char *
dns_cache_lookup(struct dns_cache *c, const struct sg_addr *client,
    const struct sg_addr *addr, time_t now)
{
	const char	*name;

	pthread_mutex_lock(&c->lock);
	name = dns_lookup_locked(c, client, addr, now);
	pthread_mutex_unlock(&c->lock);
	return name;
}

bool
dns_cache_get(struct dns_cache *c, const struct sg_addr *client,
    const struct sg_addr *addr, time_t now, char *name)
{
	const char	*found;

	pthread_mutex_lock(&c->lock);
	if ((found = dns_lookup_locked(c, client, addr, now)) != NULL)
		memcpy(name, found, SG_HOST_MAX);
	pthread_mutex_unlock(&c->lock);
	return found != NULL;
}
