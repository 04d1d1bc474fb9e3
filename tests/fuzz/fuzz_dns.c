/*
 * A DNS response as a client's resolver (or an attacker) sends it, into
 * the parser that feeds the DNS cache, and from there into a cache; and
 * into the NXDOMAIN rewrite a blocked lookup's answer gets, whose output
 * must read back as a response of bounded size; and into the ECH strip,
 * whose output must be shorter, read back as a response if its input did,
 * and have nothing more to strip.
 */
#include <sys/socket.h>

#include "dnscache.h"
#include "dnsrewrite.h"
#include "fuzzutil.h"

static void
fuzz_dns_rewrite(const uint8_t *msg, size_t size)
{
	uint8_t	 out[DNSRW_OUT_MAX];
	uint16_t id;
	bool	 edns, back;
	int	 n;

	(void)dnsrw_inspect(msg, size, false, &id, &edns);
	if (dnsrw_inspect(msg, size, true, &id, &edns) == -1)
		edns = size > 0 && (msg[0] & 1);
	n = dnsrw_nxdomain(msg, size, edns, DNSRW_EDE_BLOCKED,
	    "schoolgate: blocked by rule r, policy clause 1", out, sizeof(out));
	if (n == -1)
		return;
	if (n > DNSRW_OUT_MAX ||
	    dnsrw_inspect(out, (size_t)n, true, &id, &back) == -1 ||
	    back != edns || (size >= 2 && memcmp(out, msg, 2) != 0))
		abort();
}

/* ECH stripped: a shorter message that still reads as a response, from
 * which a second pass has nothing left to strip. */
static void
fuzz_dns_strip(const uint8_t *msg, size_t size)
{
	uint8_t	*out, *again;
	uint16_t id;
	bool	 edns;
	int	 n;

	if ((out = malloc(size ? size : 1)) == NULL ||
	    (again = malloc(size ? size : 1)) == NULL)
		abort();
	n = dnsrw_strip_ech(msg, size, out, size);
	if (n > 0 && ((size_t)n >= size ||
	    (dnsrw_inspect(msg, size, true, &id, &edns) == 0 &&
	    dnsrw_inspect(out, (size_t)n, true, &id, &edns) == -1) ||
	    dnsrw_strip_ech(out, (size_t)n, again, size) != 0))
		abort();
	free(again);
	free(out);
}

int
fuzz_one_dns(const uint8_t *data, size_t size)
{
	static struct dns_cache *cache;
	struct dns_response r;
	struct sg_addr client;
	uint8_t *copy;

	if (cache == NULL && (cache = dns_cache_new(4096, 3600)) == NULL)
		abort();
	if ((copy = malloc(size ? size : 1)) == NULL)
		abort();
	memcpy(copy, data, size);
	memset(&client, 0, sizeof(client));
	client.family = AF_INET;
	client.a[0] = 10;
	client.a[1] = 1;
	client.a[3] = 5;
	fuzz_dns_rewrite(copy, size);
	fuzz_dns_strip(copy, size);
	if (dns_parse_response(copy, size, &r) == 0) {
		if (r.nanswers > DNS_MAX_ANSWERS ||
		    memchr(r.qname, '\0', sizeof(r.qname)) == NULL)
			abort();
		dns_cache_add(cache, &client, &r, 1795514400);
		for (size_t i = 0; i < r.nanswers; i++)
			(void)dns_cache_lookup(cache, &client,
			    &r.answers[i].addr, 1795514400);
	}
	free(copy);
	return 0;
}

#ifndef FUZZ_NO_MAIN
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_one_dns(data, size);
}
#endif
