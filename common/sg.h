/*
 * Types shared by every schoolgate module.  Nothing here depends on nDPI,
 * libnetfilter_queue or libpcap, so the policy core can be tested alone.
 */
#ifndef SG_H
#define SG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SG_NAME_MAX	64	/* names of rules, groups, people, devices */
#define SG_HOST_MAX	256	/* DNS names are at most 253 bytes */
#define SG_APP_MAX	64	/* "TLS.Facebook" and the like */
#define SG_ADDRSTR_MAX	48	/* "[ffff:...]" plus NUL */

/* An IPv4 address is stored in the first four bytes of a[]. */
struct sg_addr {
	uint8_t		family;		/* AF_INET or AF_INET6, 0 if unset */
	uint8_t		a[16];
};

enum sg_action {
	SG_ALLOW = 0,
	SG_LOG,				/* allow, but record as a breach */
	SG_BLOCK,
};

/* Where a flow's host name came from; recorded with every flow. */
enum sg_host_src {
	SG_HOST_NONE = 0,
	SG_HOST_SNI,			/* TLS or QUIC ClientHello */
	SG_HOST_HTTP,			/* HTTP Host header */
	SG_HOST_DNS,			/* the flow is a DNS query for it */
	SG_HOST_DNSCACHE,		/* the client resolved the address just before */
	SG_HOST_IPLIST,			/* no name: the address is on a category's list */
};

const char	*sg_action_name(enum sg_action);
int		 sg_action_parse(const char *, enum sg_action *);
const char	*sg_host_src_name(enum sg_host_src);

int		 sg_addr_parse(const char *, struct sg_addr *);
/* "1.2.3.4" or "2001:db8::1"; buf must hold SG_ADDRSTR_MAX */
const char	*sg_addr_str(const struct sg_addr *, char *, size_t);
int		 sg_addr_eq(const struct sg_addr *, const struct sg_addr *);
int		 sg_addr_in_prefix(const struct sg_addr *, const struct sg_addr *,
		    unsigned int);
int		 sg_mac_parse(const char *, uint8_t [6]);
/* "aa:bb:cc:dd:ee:ff"; buf must hold 18 bytes */
const char	*sg_mac_str(const uint8_t [6], char *, size_t);

/* Copy s into buf with bytes outside printable ASCII (and \) as \xNN:
 * names from the wire, for logs and terminals. */
const char	*sg_printable(const char *s, char *buf, size_t len);

/* The wall clock in microseconds: the time records and events carry. */
uint64_t	 sg_now_us(void);

/* Civil dates as days since 1970-01-01, so ranges compare as integers. */
int32_t		 sg_days_from_civil(int y, int m, int d);
void		 sg_civil_from_days(int32_t, int *y, int *m, int *d);
/* "YYYY-MM-DD"; returns -1 on a malformed or impossible date */
int		 sg_date_parse(const char *, int32_t *);

/* Blanks cut from both ends, in place; returns the first non-blank. */
char		*sg_trim(char *);

#endif
