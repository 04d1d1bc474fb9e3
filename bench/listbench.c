/*
 * P10: a category list lookup (classifiers/hostset.c and cidrset.c, what
 * policy/lists.c's index is made of) stays within 1 us at 100k entries.
 * Fills a host set with N patterns (half exact names, half "*.name") and
 * a range set with N ranges (IPv4 /24s and /32s, IPv6 /40s), then
 * times lookups of names three and four labels deep and of addresses, in
 * a random order, about half of them listed, and prints one line per N
 * (CPU time of this thread: the machine is shared, wall time is not ours):
 *
 *	entries=100000 host_ns=400.1 addr_ns=390.5 host_hits=... addr_hits=...
 *
 *	listbench [N...]	default 100000
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cidrset.h"
#include "hostset.h"

#define LOOKUPS		2000000u

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
next(uint64_t *x)
{
	*x ^= *x << 13;		/* xorshift: no pattern for the cache */
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Entry i: "site<i>.example.com" (odd i: "*.site<i>.example.com") */
static void
name_of(unsigned i, char *buf, size_t len)
{
	snprintf(buf, len, "%ssite%u.example.com", i % 2 ? "*." : "", i);
}

static void
range_of(unsigned i, struct sg_addr *a, unsigned *prefix)
{
	memset(a, 0, sizeof(*a));
	if (i % 4 == 3) {		/* a quarter IPv6: 2001:db8:XXXX:YY00::/56 */
		a->family = AF_INET6;
		a->a[0] = 0x20;
		a->a[1] = 0x01;
		a->a[2] = (uint8_t)(i >> 16);
		a->a[3] = (uint8_t)(i >> 8);
		a->a[4] = (uint8_t)i;
		*prefix = 40;
		return;
	}
	a->family = AF_INET;		/* 10.0.0.0/8 up: i as /24s, some /32 */
	a->a[0] = (uint8_t)(10 + (i >> 16));
	a->a[1] = (uint8_t)(i >> 8);
	a->a[2] = (uint8_t)i;
	*prefix = 24;
	if (i % 4 == 1) {
		a->a[3] = (uint8_t)(i * 7);
		*prefix = 32;
	}
}

static double
time_hosts(const struct hostset *hs, unsigned n, unsigned *hits)
{
	char host[96];
	uint64_t t0, x = 88172645463325252ull;
	unsigned h = 0;

	t0 = now_ns();
	for (unsigned i = 0; i < LOOKUPS; i++) {
		unsigned k = (unsigned)(next(&x) % (2 * n));

		/* odd entries are wildcards: a name below them matches */
		snprintf(host, sizeof(host), "%ssite%u.example.com",
		    k % 2 ? "www." : "", k);
		h += hostset_match(hs, host) != 0;
	}
	*hits = h;
	return (double)(now_ns() - t0) / LOOKUPS;
}

static double
time_addrs(const struct cidrset *cs, unsigned n, unsigned *hits)
{
	struct sg_addr a;
	unsigned prefix, h = 0;
	uint64_t t0, x = 88172645463325252ull, r;

	t0 = now_ns();
	for (unsigned i = 0; i < LOOKUPS; i++) {
		r = next(&x);
		range_of((unsigned)(r % (2 * n)), &a, &prefix);
		if (prefix < 32 && a.family == AF_INET)
			a.a[3] = (uint8_t)(r >> 32);
		else if (a.family == AF_INET6)
			a.a[15] = (uint8_t)(r >> 32);
		h += cidrset_match(cs, &a, NULL) != 0;
	}
	*hits = h;
	return (double)(now_ns() - t0) / LOOKUPS;
}

static int
run(unsigned n)
{
	struct hostset *hs = hostset_new();
	struct cidrset *cs = cidrset_new();
	char name[96];
	struct sg_addr a;
	unsigned prefix, hh, ah;
	double host_ns, addr_ns, names_ns;
	uint64_t t0;
	int rc = -1;

	if (hs == NULL || cs == NULL)
		goto done;
	for (unsigned i = 0; i < n; i++) {
		name_of(i, name, sizeof(name));
		range_of(i, &a, &prefix);
		if (hostset_add(hs, name, 1) == -1 ||
		    cidrset_add(cs, &a, prefix, 1, i) == -1)
			goto done;
	}
	/* the cost of making the names, to take off the host figure */
	t0 = now_ns();
	for (unsigned i = 0; i < LOOKUPS; i++)
		snprintf(name, sizeof(name), "%ssite%u.example.com",
		    i % 2 ? "www." : "", i);
	names_ns = (double)(now_ns() - t0) / LOOKUPS;
	host_ns = time_hosts(hs, n, &hh) - names_ns;
	addr_ns = time_addrs(cs, n, &ah);
	printf("entries=%u host_ns=%.1f addr_ns=%.1f host_hits=%u "
	    "addr_hits=%u lookups=%u\n", n, host_ns, addr_ns, hh, ah, LOOKUPS);
	/* half the lookups are of listed entries: anything else is a bug */
	rc = hh > LOOKUPS / 3 && hh < LOOKUPS * 2 / 3 && ah > LOOKUPS / 3 &&
	    ah < LOOKUPS * 2 / 3 ? 0 : -1;
done:
	hostset_free(hs);
	cidrset_free(cs);
	return rc;
}

int
main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2)
		return run(100000) == 0 ? 0 : 1;
	for (int i = 1; i < argc; i++)
		rc |= run((unsigned)strtoul(argv[i], NULL, 10));
	return rc ? 1 : 0;
}
