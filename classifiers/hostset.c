#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hostset.h"
#include "sg.h"

struct hs_slot {
	char		*name;		/* NULL: empty */
	uint32_t	 hash;
	uint64_t	 exact;		/* "name" */
	uint64_t	 below;		/* "*.name" */
};

struct hostset {
	struct hs_slot	*slots;
	size_t		 cap;		/* a power of two */
	size_t		 n;
};

/*
 * FNV-1a over the name read backwards, so the hash of every suffix falls
 * out of one pass over the host (hostset_match).
 */
#define HS_SEED		2166136261u
#define HS_PRIME	16777619u

static uint32_t
hs_step(uint32_t h, unsigned char c)
{
	return (h ^ c) * HS_PRIME;
}

static uint32_t
hs_hash(const char *s, size_t n)
{
	uint32_t h = HS_SEED;

	while (n > 0)
		h = hs_step(h, (unsigned char)s[--n]);
	return h;
}

static struct hs_slot *
hs_find(const struct hostset *hs, const char *name, size_t n, uint32_t h)
{
	size_t mask = hs->cap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct hs_slot *s = &hs->slots[i];

		if (s->name == NULL || (s->hash == h &&
		    strncmp(s->name, name, n) == 0 && s->name[n] == '\0'))
			return s;
	}
}

static int
hs_grow(struct hostset *hs)
{
	struct hostset bigger = { NULL, hs->cap ? hs->cap * 2 : 64, hs->n };

	if ((bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots))) == NULL)
		return -1;
	for (size_t i = 0; i < hs->cap; i++)
		if (hs->slots[i].name != NULL)
			*hs_find(&bigger, hs->slots[i].name,
			    strlen(hs->slots[i].name), hs->slots[i].hash) =
			    hs->slots[i];
	free(hs->slots);
	*hs = bigger;
	return 0;
}

struct hostset *
hostset_new(void)
{
	struct hostset *hs = calloc(1, sizeof(*hs));

	if (hs != NULL && hs_grow(hs) == -1) {
		free(hs);
		return NULL;
	}
	return hs;
}

void
hostset_free(struct hostset *hs)
{
	if (hs == NULL)
		return;
	for (size_t i = 0; i < hs->cap; i++)
		free(hs->slots[i].name);
	free(hs->slots);
	free(hs);
}

size_t
hostset_count(const struct hostset *hs)
{
	return hs->n;
}

int
hostset_add(struct hostset *hs, const char *pattern, uint64_t bits)
{
	bool below = pattern[0] == '*' && pattern[1] == '.';
	const char *name = below ? pattern + 2 : pattern;
	size_t n = strlen(name);
	uint32_t h = hs_hash(name, n);
	struct hs_slot *s;

	if (n == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((hs->n + 1) * 4 > hs->cap * 3 && hs_grow(hs) == -1)
		return -1;
	s = hs_find(hs, name, n, h);
	if (s->name == NULL) {
		if ((s->name = strdup(name)) == NULL)
			return -1;
		s->hash = h;
		hs->n++;
	}
	if (below)
		s->below |= bits;
	else
		s->exact |= bits;
	return 0;
}

/*
 * Right to left: at each label boundary the suffix from there is looked
 * up, "exact" counting for the whole host only and "below" for the
 * suffixes strictly inside it.
 */
uint64_t
hostset_match(const struct hostset *hs, const char *host)
{
	char buf[SG_HOST_MAX];
	size_t n = strlen(host);
	uint32_t h = HS_SEED;
	uint64_t bits = 0;

	if (n > 0 && host[n - 1] == '.')
		n--;
	if (n == 0 || n >= sizeof(buf) || hs->n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)host[i]);
	for (size_t i = n; i-- > 0;) {
		const struct hs_slot *s;

		h = hs_step(h, (unsigned char)buf[i]);
		if (i > 0 && buf[i - 1] != '.')
			continue;
		s = hs_find(hs, buf + i, n - i, h);
		if (s->name != NULL)
			bits |= i == 0 ? s->exact : s->below;
	}
	return bits;
}
