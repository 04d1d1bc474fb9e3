/*
 * The 802.1X session table.  Each session is stored under each of its
 * keys (IPv4, IPv6, MAC) as a full copy, so the table is one flat array:
 * copying it is one memcpy and a lookup is a hash and a probe or two.
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "radius.h"

#define RAD_MIN_CAP	64

static void
rad_key_ip(const struct sg_addr *a, uint8_t key[17])
{
	memset(key, 0, 17);
	key[0] = a->family;
	memcpy(key + 1, a->a, a->family == AF_INET ? 4 : 16);
}

static void
rad_key_mac(const uint8_t mac[6], uint8_t key[17])
{
	memset(key, 0, 17);
	memcpy(key, mac, 6);
}

/* FNV-1a: the keys are addresses, not chosen to collide with it... but
 * they can be, by whoever sends accounting; the probe is bounded by the
 * load factor either way. */
static size_t
rad_hash(uint8_t kind, const uint8_t key[17])
{
	uint64_t h = 0xcbf29ce484222325ull ^ kind;

	for (int i = 0; i < 17; i++) {
		h ^= key[i];
		h *= 0x100000001b3ull;
	}
	return (size_t)(h ^ (h >> 29));
}

static struct rad_slot *
rad_lookup(const struct rad_table *t, uint8_t kind, const uint8_t key[17])
{
	size_t i;

	if (t->cap == 0)
		return NULL;
	for (i = rad_hash(kind, key) & (t->cap - 1);
	    t->slots[i].kind != RAD_KEY_FREE; i = (i + 1) & (t->cap - 1))
		if (t->slots[i].kind == kind &&
		    memcmp(t->slots[i].key, key, 17) == 0)
			return &t->slots[i];
	return NULL;
}

static struct rad_slot *
rad_probe_free(struct rad_slot *slots, size_t cap, uint8_t kind,
    const uint8_t key[17])
{
	size_t i = rad_hash(kind, key) & (cap - 1);

	while (slots[i].kind != RAD_KEY_FREE)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int
rad_grow(struct rad_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : RAD_MIN_CAP;
	struct rad_slot *s;

	if ((s = calloc(cap, sizeof(*s))) == NULL)
		return -1;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].kind != RAD_KEY_FREE)
			*rad_probe_free(s, cap, t->slots[i].kind,
			    t->slots[i].key) = t->slots[i];
	free(t->slots);
	t->slots = s;
	t->cap = cap;
	return 0;
}

static int
rad_put(struct rad_table *t, uint8_t kind, const uint8_t key[17],
    const struct rad_session *s)
{
	struct rad_slot *sl;

	if ((sl = rad_lookup(t, kind, key)) != NULL) {
		sl->s = *s;
		return 0;
	}
	if (t->nkeys >= RAD_MAX_KEYS)
		return -1;
	if ((t->nkeys + 1) * 2 > t->cap && rad_grow(t) == -1)
		return -1;
	sl = rad_probe_free(t->slots, t->cap, kind, key);
	sl->kind = kind;
	memcpy(sl->key, key, 17);
	sl->s = *s;
	t->nkeys++;
	return 0;
}

/* Backward-shift deletion keeps every probe chain unbroken. */
static void
rad_del_slot(struct rad_table *t, struct rad_slot *sl)
{
	size_t i = (size_t)(sl - t->slots), j = i, home;

	for (;;) {
		j = (j + 1) & (t->cap - 1);
		if (t->slots[j].kind == RAD_KEY_FREE)
			break;
		home = rad_hash(t->slots[j].kind, t->slots[j].key) &
		    (t->cap - 1);
		/* move j back to i unless its home lies in (i, j] */
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && home <= i && home > j)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	memset(&t->slots[i], 0, sizeof(t->slots[i]));
	t->nkeys--;
}

/* The same session: its id when both have one, else its user. */
static bool
rad_same(const struct rad_session *a, const struct rad_session *b)
{
	if (a->sid[0] != '\0' && b->sid[0] != '\0')
		return strcmp(a->sid, b->sid) == 0;
	return strcasecmp(a->user, b->user) == 0;
}

static void
rad_del_key(struct rad_table *t, uint8_t kind, const uint8_t key[17],
    const struct rad_session *s)
{
	struct rad_slot *sl = rad_lookup(t, kind, key);

	if (sl != NULL && rad_same(&sl->s, s))
		rad_del_slot(t, sl);
}

static void
rad_del_where(struct rad_table *t, const struct rad_session *s, bool by_nas)
{
	size_t i = 0;

	while (i < t->cap) {
		struct rad_slot *sl = &t->slots[i];

		if (sl->kind != RAD_KEY_FREE && (by_nas ?
		    strcmp(sl->s.nas, s->nas) == 0 : rad_same(&sl->s, s)))
			rad_del_slot(t, sl);	/* slot i may refill: look again */
		else
			i++;
	}
}

static void
rad_stop(struct rad_table *t, const struct rad_session *s)
{
	uint8_t key[17];
	bool keyed = false;

	if (s->ip4.family != 0) {
		rad_key_ip(&s->ip4, key);
		rad_del_key(t, RAD_KEY_IP, key, s);
		keyed = true;
	}
	if (s->ip6.family != 0) {
		rad_key_ip(&s->ip6, key);
		rad_del_key(t, RAD_KEY_IP, key, s);
		keyed = true;
	}
	if (s->has_mac) {
		rad_key_mac(s->mac, key);
		rad_del_key(t, RAD_KEY_MAC, key, s);
		keyed = true;
	}
	if (!keyed)		/* rare: a Stop naming only its session */
		rad_del_where(t, s, false);
}

/* An Interim-Update may be the first we see (we started mid-session):
 * it counts as a Start; the Start time is kept from an earlier record. */
static int
rad_start(struct rad_table *t, const struct rad_session *in)
{
	struct rad_session s = *in;
	const struct rad_session *old = NULL;
	uint8_t key[17];
	int rc = 0;

	if (s.ip4.family != 0)
		old = rad_find_ip(t, &s.ip4);
	if (old == NULL && s.has_mac)
		old = rad_find_mac(t, s.mac);
	if (old != NULL && rad_same(old, &s) && old->started != 0)
		s.started = old->started;
	if (s.ip4.family != 0) {
		rad_key_ip(&s.ip4, key);
		rc |= rad_put(t, RAD_KEY_IP, key, &s);
	}
	if (s.ip6.family != 0) {
		rad_key_ip(&s.ip6, key);
		rc |= rad_put(t, RAD_KEY_IP, key, &s);
	}
	if (s.has_mac) {
		rad_key_mac(s.mac, key);
		rc |= rad_put(t, RAD_KEY_MAC, key, &s);
	}
	if (rc != 0)
		t->dropped++;
	return rc;
}

int
rad_apply(struct rad_table *t, enum rad_status st, const struct rad_session *s)
{
	switch (st) {
	case RAD_START:
	case RAD_INTERIM:
		return rad_start(t, s);
	case RAD_STOP:
		rad_stop(t, s);
		return 0;
	case RAD_ACCT_ON:
	case RAD_ACCT_OFF:
		rad_del_where(t, s, true);
		return 0;
	}
	return 0;
}

const struct rad_session *
rad_find_ip(const struct rad_table *t, const struct sg_addr *ip)
{
	uint8_t key[17];
	const struct rad_slot *sl;

	if (ip == NULL || (ip->family != AF_INET && ip->family != AF_INET6))
		return NULL;
	rad_key_ip(ip, key);
	sl = rad_lookup(t, RAD_KEY_IP, key);
	return sl != NULL ? &sl->s : NULL;
}

const struct rad_session *
rad_find_mac(const struct rad_table *t, const uint8_t mac[6])
{
	uint8_t key[17];
	const struct rad_slot *sl;

	if (mac == NULL)
		return NULL;
	rad_key_mac(mac, key);
	sl = rad_lookup(t, RAD_KEY_MAC, key);
	return sl != NULL ? &sl->s : NULL;
}

/* A session is counted at its first key: IPv4, else IPv6, else MAC. */
size_t
rad_count(const struct rad_table *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->cap; i++) {
		const struct rad_slot *sl = &t->slots[i];
		bool first;

		if (sl->kind == RAD_KEY_FREE)
			continue;
		if (sl->kind == RAD_KEY_MAC)
			first = sl->s.ip4.family == 0 && sl->s.ip6.family == 0;
		else if (sl->key[0] == AF_INET6)
			first = sl->s.ip4.family == 0;
		else
			first = true;
		n += first;
	}
	return n;
}

void
rad_table_free(struct rad_table *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

int
rad_table_copy(struct rad_table *dst, const struct rad_table *src)
{
	*dst = *src;
	if (src->cap == 0)
		return 0;
	if ((dst->slots = malloc(src->cap * sizeof(*src->slots))) == NULL) {
		memset(dst, 0, sizeof(*dst));
		return -1;
	}
	memcpy(dst->slots, src->slots, src->cap * sizeof(*src->slots));
	return 0;
}

/* "jsmith@school.sch.uk" -> the length of "jsmith" */
static size_t
rad_local_len(const char *s)
{
	const char *at = strchr(s, '@');

	return at != NULL ? (size_t)(at - s) : strlen(s);
}

static bool
rad_name_eq(const char *login, const char *name)
{
	size_t ll, nl;

	if (name == NULL || name[0] == '\0')
		return false;
	if (strcasecmp(login, name) == 0)
		return true;
	/* with or without the realm: compare the parts before '@', but
	 * only when one side has no realm ("a@x" never matches "a@y") */
	if (strchr(login, '@') != NULL && strchr(name, '@') != NULL)
		return false;
	ll = rad_local_len(login);
	nl = rad_local_len(name);
	return ll == nl && ll > 0 && strncasecmp(login, name, ll) == 0;
}

bool
rad_login_matches(const char *login, const char *id, char *const *logins,
    size_t nlogins)
{
	if (login == NULL || login[0] == '\0')
		return false;
	if (rad_name_eq(login, id))
		return true;
	for (size_t i = 0; i < nlogins; i++)
		if (rad_name_eq(login, logins[i]))
			return true;
	return false;
}
