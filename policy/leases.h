/*
 * DHCP leases: which MAC holds an IP address, read from the DHCP server's
 * own file (leases.c; one parser per format in leases_dnsmasq.c,
 * leases_isc.c and leases_kea.c).
 */
#ifndef SG_LEASES_H
#define SG_LEASES_H

#include <stdbool.h>
#include "config.h"

struct lease {
	struct sg_addr	 ip;
	uint8_t		 mac[6];
	char		 hostname[SG_NAME_MAX];
	int64_t		 expires;	/* Unix time, 0 for infinite */
};

struct leases {
	struct lease	*v;
	size_t		 n;
};

/*
 * Parse a leases file: dnsmasq's format, ISC dhcpd's dhcpd.leases, or
 * Kea's CSV (LEASES_AUTO guesses by content).  Returns 0, or -1 with a
 * "FILE:LINE: message" in err; on error *out is left untouched so the
 * caller can keep the last good mapping.  *out must be zeroed or a
 * previous result: on success its old array is freed and replaced.  Only
 * the last entry for an address counts (ISC and Kea files are journals),
 * and only active leases with a MAC are kept.
 */
int		 leases_load(const char *path, enum conf_leases_format,
		    struct leases *out, char *err, size_t errlen);
int		 leases_parse(const char *text, size_t len,
		    enum conf_leases_format, const char *name,
		    struct leases *out, char *err, size_t errlen);
void		 leases_free(struct leases *);

/*
 * A leases file that is re-read when it changes (size, mtime or inode,
 * so a DHCP server's write-and-rename is seen).  A file that goes bad
 * keeps the last good mapping.
 */
struct leases_file {
	const char	*path;
	enum conf_leases_format format;
	struct leases	 cur;
	int64_t		 mtime_ns;
	int64_t		 size;
	uint64_t	 ino;
	bool		 loaded;
	bool		 missing;	/* the last poll found no file */
};

/* 1: re-read, 0: unchanged, -1: unreadable or malformed (err says why;
 * the last good mapping stays in cur). */
int		 leases_refresh(struct leases_file *, char *err, size_t errlen);
const struct lease *leases_find_ip(const struct leases *,
		    const struct sg_addr *);

#endif
