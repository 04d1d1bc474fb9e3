/*
 * Who sent a packet: the device (by MAC, then by IP, with the DHCP
 * leases mapping IP to MAC), its owner and the group whose rules apply.
 */
#ifndef SG_IDENTITY_H
#define SG_IDENTITY_H

#include <stdbool.h>
#include "config.h"
#include "leases.h"

struct ident {
	int		 device;	/* device index or -1 */
	int		 person;	/* person index or -1 */
	int		 group;		/* always a valid group index */
	bool		 has_mac;
	uint8_t		 mac[6];
	struct sg_addr	 ip;
	const char	*how;		/* "device MAC", "subnet 10.1.0.0/16"... */
};

/*
 * Resolve the sender.  mac may be NULL (not known); iface may be NULL.
 * A device matches by MAC first, then by IP; a MAC not given is looked up
 * in the leases.  The group is the device's own, else its owner's, else
 * the first group listing the interface, else the first subnet match,
 * else the default group.  *as_group >= 0 overrides the group.
 */
void		 ident_resolve(const struct sg_config *, const struct leases *,
		    const uint8_t *mac, const struct sg_addr *ip,
		    const char *iface, int as_group, struct ident *out);

#endif

