/*
 * DNS answers seen on the wire, so a flow with no SNI or Host (ECH, QUIC
 * nDPI cannot read, a bare IP) can still be named: by the name its client
 * resolved to that address just before.  Entries live no longer than the
 * answer's TTL (bounded by a configured maximum; a TTL under 10 s counts
 * as 10, so the connection that follows even a TTL-0 answer is named)
 * and the cache has a hard size bound.
 */
#ifndef SG_DNSCACHE_H
#define SG_DNSCACHE_H

#include <stdbool.h>
#include "sg.h"

#define DNS_MAX_ANSWERS	32

struct dns_answer {
	struct sg_addr	 addr;		/* from an A or AAAA record */
	uint32_t	 ttl;
};

struct dns_response {
	char		 qname[SG_HOST_MAX];	/* lower case, no trailing dot */
	struct dns_answer answers[DNS_MAX_ANSWERS];
	size_t		 nanswers;
};

/*
 * Parse a DNS response message (UDP payload, no TCP length prefix).
 * Compression pointers are followed with a loop bound.  Returns 0, or -1
 * if it is not a well-formed response.  CNAME chains are followed: every
 * address is reported under the name the client asked for.
 */
int		 dns_parse_response(const uint8_t *, size_t, struct dns_response *);

/*
 * The daemon's queue workers share one cache (a lookup and the flow that
 * follows it may land on different queues), so adding and dns_cache_get
 * take the cache's lock.
 */
struct dns_cache;

struct dns_cache *dns_cache_new(size_t max_entries, uint32_t max_ttl);
void		 dns_cache_free(struct dns_cache *);
void		 dns_cache_add(struct dns_cache *, const struct sg_addr *client,
		    const struct dns_response *, time_t now);
/* The name client resolved to addr, if still fresh; NULL otherwise.
 * The pointer is the cache's: for a cache one thread uses. */
const char	*dns_cache_lookup(struct dns_cache *, const struct sg_addr *client,
		    const struct sg_addr *addr, time_t now);
/* The same, copied into name (SG_HOST_MAX bytes); for shared caches. */
bool		 dns_cache_get(struct dns_cache *, const struct sg_addr *client,
		    const struct sg_addr *addr, time_t now, char *name);
size_t		 dns_cache_count(const struct dns_cache *);

#endif
