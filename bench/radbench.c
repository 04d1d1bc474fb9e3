/*
 * P9: an 802.1X session lookup (policy/radius.c) stays O(1).  Fills the
 * session table with N sessions (an IPv4 address and a MAC each), then
 * times rad_find_ip over addresses in a random order, half of them
 * signed in and half not, and prints one line per N:
 *
 *	sessions=10000 lookup_ns=84.4 hit_ns=... miss_ns=... probes=1.3
 *	    max_probes=9 bytes=...
 *
 * The time grows with the table once it outgrows the CPU's caches; the
 * probes (index slots read per lookup) show that the work does not.
 *
 *	radbench [N...]		default 10000 100000
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "radius.h"

#define LOOKUPS		4000000u

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
addr_of(unsigned i, struct sg_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->a[0] = 10;
	a->a[1] = (uint8_t)(i >> 16);
	a->a[2] = (uint8_t)(i >> 8);
	a->a[3] = (uint8_t)i;
}

static int
fill(struct rad_table *t, unsigned n)
{
	struct rad_session s;

	for (unsigned i = 0; i < n; i++) {
		memset(&s, 0, sizeof(s));
		snprintf(s.user, sizeof(s.user), "user%u@school.sch.uk", i);
		snprintf(s.sid, sizeof(s.sid), "%08x", i);
		addr_of(i, &s.ip4);
		s.has_mac = true;
		s.mac[0] = 0x06;
		s.mac[3] = (uint8_t)(i >> 16);
		s.mac[4] = (uint8_t)(i >> 8);
		s.mac[5] = (uint8_t)i;
		if (rad_apply(t, RAD_START, &s) == -1)
			return -1;
	}
	return 0;
}

/* ns per lookup over LOOKUPS addresses drawn from [0, range) */
static double
time_lookups(const struct rad_table *t, unsigned range, unsigned offset,
    unsigned *found)
{
	struct sg_addr a;
	uint64_t t0, x = 88172645463325252ull;
	unsigned hits = 0;

	t0 = now_ns();
	for (unsigned i = 0; i < LOOKUPS; i++) {
		x ^= x << 13;	/* xorshift: no pattern for the cache */
		x ^= x >> 7;
		x ^= x << 17;
		addr_of(offset + (unsigned)(x % range), &a);
		hits += rad_find_ip(t, &a) != NULL;
	}
	*found = hits;
	return (double)(now_ns() - t0) / LOOKUPS;
}

static int
run(unsigned n)
{
	struct rad_table t = { 0 };
	unsigned hits, stray;
	double all, hit, miss, probes;
	size_t maxp;

	if (fill(&t, n) == -1) {
		fprintf(stderr, "radbench: table full at %u sessions\n", n);
		rad_table_free(&t);
		return -1;
	}
	hit = time_lookups(&t, n, 0, &hits);
	miss = time_lookups(&t, n, n, &stray);	/* none signed in */
	all = time_lookups(&t, 2 * n, 0, &hits);
	rad_probe_len(&t, &probes, &maxp);
	printf("sessions=%u lookup_ns=%.1f hit_ns=%.1f miss_ns=%.1f "
	    "probes=%.2f max_probes=%zu hits=%u misses=%u bytes=%zu\n", n, all,
	    hit, miss, probes, maxp, hits, LOOKUPS - hits,
	    t.cap * sizeof(*t.slots) + t.sesscap * sizeof(*t.sess));
	rad_table_free(&t);
	return stray == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static const unsigned def[] = { 10000, 100000 };
	int rc = 0;

	if (argc < 2) {
		for (size_t i = 0; i < sizeof(def) / sizeof(def[0]); i++)
			rc |= run(def[i]);
		return rc ? 1 : 0;
	}
	for (int i = 1; i < argc; i++)
		rc |= run((unsigned)strtoul(argv[i], NULL, 10));
	return rc ? 1 : 0;
}
