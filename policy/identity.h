/*
 * Who sent a packet: the device (by MAC, then by IP, with the DHCP
 * leases mapping IP to MAC), its owner and the group whose rules apply.
 */
#ifndef SG_IDENTITY_H
#define SG_IDENTITY_H

#include <stdbool.h>
#include "config.h"
#include "leases.h"
#include "radius.h"

/*
 * Where the identity came from, in the order it is trusted
 * (docs/ARCHITECTURE.md): an authenticated 802.1X session, a registered
 * device, a DHCP lease, then only the network (interface or subnet).
 */
enum ident_source {
	IDSRC_DEFAULT = 0,	/* nothing matched: the default group */
	IDSRC_8021X,
	IDSRC_REGISTERED,	/* a device registered by MAC or static IP */
	IDSRC_LEASE,		/* a registered device's MAC, from the lease */
	IDSRC_INTERFACE,
	IDSRC_SUBNET,
	IDSRC_AS_GROUP,		/* classify --as-group */
};

struct ident {
	int		 device;	/* device index or -1 */
	int		 person;	/* person index or -1 */
	int		 group;		/* always a valid group index */
	bool		 has_mac;
	uint8_t		 mac[6];
	struct sg_addr	 ip;
	const char	*how;		/* "device MAC", "subnet 10.1.0.0/16"... */
	enum ident_source source;
	char		 user[RAD_USER_MAX];	/* the 802.1X User-Name used */
	/* an 802.1X session was found but not used, and why (for explain) */
	const char	*session_refused;
};

/* The sources of identity data besides the config; any may be NULL. */
struct ident_data {
	const struct leases	*leases;
	const struct rad_table	*radius;
};

/* "8021x", "registered", "lease", "interface", "subnet", "default" */
const char	*ident_source_name(enum ident_source);

/*
 * Resolve the sender.  mac may be NULL (not known); iface may be NULL.
 * An 802.1X session at the address (or the MAC) names the person, unless
 * the frame's MAC is not the session's.  A device matches by MAC first,
 * then by IP; a MAC not given is looked up in the leases.  The person is
 * the session's, else the device owner.  The group is that person's when
 * signed in, else the device's own, else its owner's, else the first
 * group listing the interface, else the first subnet match, else the
 * default group.  as_group >= 0 overrides the group.
 */
void		 ident_resolve(const struct sg_config *,
		    const struct ident_data *,
		    const uint8_t *mac, const struct sg_addr *ip,
		    const char *iface, int as_group, struct ident *out);

#endif

