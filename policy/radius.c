/*
 * The 802.1X session table: sessions in one array, and an index from
 * each of their keys (IPv4, IPv6, MAC) to the session.  Both are flat
 * arrays of plain values (radius.h).
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

/* FNV-1a with a final mix.  Whoever sends accounting chooses the keys and
 * could make them collide; the probe is still bounded by the load. */
static size_t
rad_hash(uint8_t kind, const uint8_t key[17])
{
	uint64_t h = 0xcbf29ce484222325ull ^ kind;

	for (int i = 0; i < 17; i++) {
		h ^= key[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	return (size_t)(h ^ (h >> 32));
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
rad_grow_index(struct rad_table *t)
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

static void
rad_sess_unref(struct rad_table *t, uint32_t idx)
{
	struct rad_entry *e = &t->sess[idx];

	if (e->refs == 0 || --e->refs > 0)
		return;
	memset(&e->s, 0, sizeof(e->s));
	e->next_free = t->free_head;
	t->free_head = idx + 1;
	t->nlive--;
}

static int
rad_sess_new(struct rad_table *t, const struct rad_session *s, uint32_t *idx)
{
	struct rad_entry *v;
	size_t cap;

	if (t->free_head != 0) {
		*idx = t->free_head - 1;
		t->free_head = t->sess[*idx].next_free;
	} else {
		if (t->nsess >= RAD_MAX_SESSIONS)
			return -1;
		if (t->nsess == t->sesscap) {
			cap = t->sesscap ? t->sesscap * 2 : RAD_MIN_CAP;
			if ((v = realloc(t->sess, cap * sizeof(*v))) == NULL)
				return -1;
			t->sess = v;
			t->sesscap = cap;
		}
		*idx = (uint32_t)t->nsess++;
	}
	t->sess[*idx] = (struct rad_entry){ .s = *s };
	t->nlive++;
	return 0;
}

/* Point key at session idx (taking a reference), replacing whatever it
 * named before. */
static int
rad_put(struct rad_table *t, uint8_t kind, const uint8_t key[17],
    uint32_t idx)
{
	struct rad_slot *sl;

	if ((sl = rad_lookup(t, kind, key)) != NULL) {
		if (sl->sess == idx)
			return 0;
		t->sess[idx].refs++;
		rad_sess_unref(t, sl->sess);
		sl->sess = idx;
		return 0;
	}
	if ((t->nkeys + 1) * 2 > t->cap && rad_grow_index(t) == -1)
		return -1;
	sl = rad_probe_free(t->slots, t->cap, kind, key);
	sl->kind = kind;
	memcpy(sl->key, key, 17);
	sl->sess = idx;
	t->sess[idx].refs++;
	t->nkeys++;
	return 0;
}

static void
rad_del_key(struct rad_table *t, uint8_t kind, const uint8_t key[17],
    uint32_t idx)
{
	struct rad_slot *sl = rad_lookup(t, kind, key);

	if (sl != NULL && sl->sess == idx) {
		rad_del_slot(t, sl);
		rad_sess_unref(t, idx);
	}
}

/* Drop the keys of session idx that s (its new state, or NULL to end it)
 * no longer has. */
static void
rad_drop_keys(struct rad_table *t, uint32_t idx, const struct rad_session *s)
{
	struct rad_session old = t->sess[idx].s;
	uint8_t key[17];

	if (old.ip4.family != 0 && (s == NULL ||
	    !sg_addr_eq(&old.ip4, &s->ip4))) {
		rad_key_ip(&old.ip4, key);
		rad_del_key(t, RAD_KEY_IP, key, idx);
	}
	if (old.ip6.family != 0 && (s == NULL ||
	    !sg_addr_eq(&old.ip6, &s->ip6))) {
		rad_key_ip(&old.ip6, key);
		rad_del_key(t, RAD_KEY_IP, key, idx);
	}
	if (old.has_mac && (s == NULL || !s->has_mac ||
	    memcmp(old.mac, s->mac, 6) != 0)) {
		rad_key_mac(old.mac, key);
		rad_del_key(t, RAD_KEY_MAC, key, idx);
	}
}

/* The same session: its id when both have one, else its user. */
static bool
rad_same(const struct rad_session *a, const struct rad_session *b)
{
	if (a->sid[0] != '\0' && b->sid[0] != '\0')
		return strcmp(a->sid, b->sid) == 0;
	return strcasecmp(a->user, b->user) == 0;
}

/* The session s continues, found by any of its keys; -1 if none. */
static int64_t
rad_existing(const struct rad_table *t, const struct rad_session *s)
{
	const struct rad_slot *sl = NULL;
	uint8_t key[17];

	if (s->ip4.family != 0) {
		rad_key_ip(&s->ip4, key);
		sl = rad_lookup(t, RAD_KEY_IP, key);
	}
	if ((sl == NULL || !rad_same(&t->sess[sl->sess].s, s)) &&
	    s->ip6.family != 0) {
		rad_key_ip(&s->ip6, key);
		sl = rad_lookup(t, RAD_KEY_IP, key);
	}
	if ((sl == NULL || !rad_same(&t->sess[sl->sess].s, s)) &&
	    s->has_mac) {
		rad_key_mac(s->mac, key);
		sl = rad_lookup(t, RAD_KEY_MAC, key);
	}
	if (sl == NULL || !rad_same(&t->sess[sl->sess].s, s))
		return -1;
	return sl->sess;
}

/* Every session matching s (by_nas: from the same NAS) ends. */
static void
rad_end_where(struct rad_table *t, const struct rad_session *s, bool by_nas)
{
	for (size_t i = 0; i < t->nsess; i++) {
		const struct rad_entry *e = &t->sess[i];

		if (e->refs > 0 && (by_nas ? strcmp(e->s.nas, s->nas) == 0 :
		    rad_same(&e->s, s)))
			rad_drop_keys(t, (uint32_t)i, NULL);
	}
}

static void
rad_stop(struct rad_table *t, const struct rad_session *s)
{
	int64_t idx;

	if (s->ip4.family == 0 && s->ip6.family == 0 && !s->has_mac) {
		rad_end_where(t, s, false);	/* rare: only its id */
		return;
	}
	if ((idx = rad_existing(t, s)) >= 0)
		rad_drop_keys(t, (uint32_t)idx, NULL);
}

static int
rad_put_keys(struct rad_table *t, const struct rad_session *s, uint32_t idx)
{
	uint8_t key[17];
	int rc = 0;

	if (s->ip4.family != 0) {
		rad_key_ip(&s->ip4, key);
		rc |= rad_put(t, RAD_KEY_IP, key, idx);
	}
	if (s->ip6.family != 0) {
		rad_key_ip(&s->ip6, key);
		rc |= rad_put(t, RAD_KEY_IP, key, idx);
	}
	if (s->has_mac) {
		rad_key_mac(s->mac, key);
		rc |= rad_put(t, RAD_KEY_MAC, key, idx);
	}
	return rc;
}

/*
 * Start and Interim-Update.  An Interim-Update may be the first record we
 * see of a session (we started mid-session): it counts as a Start.  A
 * known session keeps its Start time and drops the keys it moved from.
 */
static int
rad_start(struct rad_table *t, const struct rad_session *in)
{
	struct rad_session s = *in;
	uint32_t idx;
	int64_t old;

	if (s.ip4.family == 0 && s.ip6.family == 0 && !s.has_mac)
		return 0;	/* nothing to find it by */
	if ((old = rad_existing(t, &s)) >= 0) {
		idx = (uint32_t)old;
		if (t->sess[idx].s.started != 0)
			s.started = t->sess[idx].s.started;
		t->sess[idx].refs++;	/* held while its keys move */
		rad_drop_keys(t, idx, &s);
		t->sess[idx].s = s;
	} else {
		if (rad_sess_new(t, &s, &idx) == -1) {
			t->dropped++;
			return -1;
		}
		t->sess[idx].refs = 1;
	}
	if (rad_put_keys(t, &s, idx) == -1) {
		rad_drop_keys(t, idx, NULL);
		t->dropped++;
	}
	rad_sess_unref(t, idx);
	return 0;
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
		rad_end_where(t, s, true);
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
	return sl != NULL ? &t->sess[sl->sess].s : NULL;
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
	return sl != NULL ? &t->sess[sl->sess].s : NULL;
}

size_t
rad_count(const struct rad_table *t)
{
	return t->nlive;
}

void
rad_probe_len(const struct rad_table *t, double *avg, size_t *max)
{
	uint64_t sum = 0;
	size_t d;

	*max = 0;
	for (size_t i = 0; i < t->cap; i++) {
		if (t->slots[i].kind == RAD_KEY_FREE)
			continue;
		d = ((i - rad_hash(t->slots[i].kind, t->slots[i].key)) &
		    (t->cap - 1)) + 1;
		sum += d;
		if (d > *max)
			*max = d;
	}
	*avg = t->nkeys > 0 ? (double)sum / (double)t->nkeys : 0;
}

void
rad_table_free(struct rad_table *t)
{
	free(t->slots);
	free(t->sess);
	memset(t, 0, sizeof(*t));
}

int
rad_table_copy(struct rad_table *dst, const struct rad_table *src)
{
	*dst = *src;
	dst->slots = NULL;
	dst->sess = NULL;
	if (src->cap > 0 && (dst->slots = malloc(src->cap *
	    sizeof(*src->slots))) == NULL)
		goto fail;
	if (src->sesscap > 0 && (dst->sess = malloc(src->sesscap *
	    sizeof(*src->sess))) == NULL)
		goto fail;
	if (src->cap > 0)
		memcpy(dst->slots, src->slots, src->cap * sizeof(*src->slots));
	if (src->nsess > 0)
		memcpy(dst->sess, src->sess, src->nsess * sizeof(*src->sess));
	return 0;
 fail:
	free(dst->slots);
	memset(dst, 0, sizeof(*dst));
	return -1;
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
