/*
 * Sender identity: an 802.1X session, then the device (by MAC, then by
 * IP, with the DHCP leases mapping IP to MAC), its owner and the group
 * whose rules apply.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "identity.h"

static bool
valid_group(const struct sg_config *cfg, int g)
{
	return g >= 0 && (size_t)g < cfg->ngroups;
}

static int
device_by_mac(const struct sg_config *cfg, const uint8_t mac[6])
{
	for (size_t i = 0; i < cfg->ndevices; i++)
		if (cfg->devices[i].has_mac &&
		    memcmp(cfg->devices[i].mac, mac, 6) == 0)
			return (int)i;
	return -1;
}

/*
 * A device known by MAC is not matched by IP when the sender's MAC is
 * known and differs: a static IP must not borrow someone's exemptions.
 */
static int
device_by_ip(const struct sg_config *cfg, const struct sg_addr *ip,
    const struct ident *id)
{
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct conf_device *d = &cfg->devices[i];

		if (!d->has_ip || !sg_addr_eq(&d->ip, ip))
			continue;
		if (d->has_mac && id->has_mac && memcmp(d->mac, id->mac, 6) != 0)
			continue;
		return (int)i;
	}
	return -1;
}

static int
group_listing_device(const struct sg_config *cfg, int dev)
{
	for (size_t g = 0; g < cfg->ngroups; g++)
		for (size_t i = 0; i < cfg->groups[g].ndevices; i++)
			if (cfg->groups[g].devices[i] == dev)
				return (int)g;
	return -1;
}

static int
group_by_iface(const struct sg_config *cfg, const char *iface)
{
	for (size_t g = 0; g < cfg->ngroups; g++)
		for (size_t i = 0; i < cfg->groups[g].ninterfaces; i++)
			if (strcmp(cfg->groups[g].interfaces[i], iface) == 0)
				return (int)g;
	return -1;
}

/* Longest prefix across all groups; the first group wins a tie. */
static int
group_by_subnet(const struct sg_config *cfg, const struct sg_addr *ip)
{
	int best = -1, best_len = -1;

	for (size_t g = 0; g < cfg->ngroups; g++)
		for (size_t i = 0; i < cfg->groups[g].nsubnets; i++) {
			const struct conf_cidr *c = &cfg->groups[g].subnets[i];

			if (c->prefix > best_len &&
			    sg_addr_in_prefix(ip, &c->addr, c->prefix)) {
				best = (int)g;
				best_len = c->prefix;
			}
		}
	return best;
}

static void
resolve_device(const struct sg_config *cfg, const struct leases *ls,
    const uint8_t *mac, const struct sg_addr *ip, struct ident *out)
{
	const struct lease *l;

	if (mac != NULL) {
		out->has_mac = true;
		memcpy(out->mac, mac, 6);
		if ((out->device = device_by_mac(cfg, mac)) >= 0) {
			out->how = "device MAC";
			out->source = IDSRC_REGISTERED;
			return;
		}
	}
	/*
	 * No frame MAC, or one no device has: behind a router every packet
	 * carries the router's, and the DHCP server knows better.
	 */
	if ((l = leases_find_ip(ls, ip)) != NULL) {
		if (!out->has_mac) {
			out->has_mac = true;
			memcpy(out->mac, l->mac, 6);
		}
		if ((out->device = device_by_mac(cfg, l->mac)) >= 0) {
			memcpy(out->mac, l->mac, 6);
			out->how = "lease MAC";
			out->source = IDSRC_LEASE;
			return;
		}
	}
	if (ip != NULL && (out->device = device_by_ip(cfg, ip, out)) >= 0) {
		out->how = "device IP";
		out->source = IDSRC_REGISTERED;
	}
}

static int
person_by_login(const struct sg_config *cfg, const char *login)
{
	for (size_t i = 0; i < cfg->npeople; i++) {
		const struct conf_person *p = &cfg->people[i];

		if (rad_login_matches(login, p->id, p->logins, p->nlogins))
			return (int)i;
	}
	return -1;
}

/*
 * The 802.1X session at this address, else at this MAC.  A session whose
 * MAC is not the frame's belongs to another device that had the address
 * (or one that took it): it names nobody here.
 */
static void
resolve_session(const struct sg_config *cfg, const struct rad_table *t,
    const uint8_t *mac, const struct sg_addr *ip, struct ident *out)
{
	const struct rad_session *s = NULL;
	int p;

	if (t == NULL)
		return;
	if (ip != NULL)
		s = rad_find_ip(t, ip);
	/* By MAC only for an address family the session does not name (a
	 * SLAAC IPv6 address): a device at another IPv4 address with the
	 * session's MAC is a copy, not the signed-in device. */
	if (s == NULL && mac != NULL && (s = rad_find_mac(t, mac)) != NULL &&
	    ip != NULL && ((ip->family == AF_INET && s->ip4.family != 0) ||
	    (ip->family == AF_INET6 && s->ip6.family != 0))) {
		out->session_refused = "the session has another address";
		return;
	}
	if (s == NULL)
		return;
	if (mac != NULL && s->has_mac && memcmp(s->mac, mac, 6) != 0) {
		out->session_refused = "its MAC is not this device's";
		return;
	}
	if ((p = person_by_login(cfg, s->user)) < 0) {
		out->session_refused = "its User-Name is nobody in people";
		return;
	}
	out->person = p;
	out->source = IDSRC_8021X;
	out->how = "802.1X session";
	snprintf(out->user, sizeof(out->user), "%s", s->user);
}

static int
device_group(const struct sg_config *cfg, const struct ident *id)
{
	const struct conf_device *d;
	int g;

	if (id->device < 0)
		return -1;
	d = &cfg->devices[id->device];
	if (valid_group(cfg, d->group))
		return d->group;
	if (id->person >= 0 && valid_group(cfg, cfg->people[id->person].group))
		return cfg->people[id->person].group;
	g = group_listing_device(cfg, id->device);
	return g;
}

const char *
ident_source_name(enum ident_source s)
{
	switch (s) {
	case IDSRC_8021X:	return "8021x";
	case IDSRC_REGISTERED:	return "registered";
	case IDSRC_LEASE:	return "lease";
	case IDSRC_INTERFACE:	return "interface";
	case IDSRC_SUBNET:	return "subnet";
	case IDSRC_AS_GROUP:	return "as-group";
	default:		return "default";
	}
}

void
ident_resolve(const struct sg_config *cfg, const struct ident_data *data,
    const uint8_t *mac, const struct sg_addr *ip, const char *iface,
    int as_group, struct ident *out)
{
	int g;

	memset(out, 0, sizeof(*out));
	out->device = out->person = -1;
	if (ip != NULL)
		out->ip = *ip;
	resolve_device(cfg, data ? data->leases : NULL, mac, ip, out);
	if (out->device >= 0) {
		int owner = cfg->devices[out->device].owner;

		if (owner >= 0 && (size_t)owner < cfg->npeople)
			out->person = owner;
	}
	resolve_session(cfg, data ? data->radius : NULL, mac, ip, out);
	if (valid_group(cfg, as_group)) {
		out->group = as_group;
		out->how = "--as-group";
		out->source = IDSRC_AS_GROUP;
	} else if (out->source == IDSRC_8021X &&
	    valid_group(cfg, cfg->people[out->person].group)) {
		out->group = cfg->people[out->person].group;
	} else if ((g = device_group(cfg, out)) >= 0) {
		out->group = g;
	} else if (iface != NULL && (g = group_by_iface(cfg, iface)) >= 0) {
		out->group = g;
		out->how = "interface";
		out->source = IDSRC_INTERFACE;
	} else if (ip != NULL && (g = group_by_subnet(cfg, ip)) >= 0) {
		out->group = g;
		out->how = "subnet";
		out->source = IDSRC_SUBNET;
	} else {
		out->group = cfg->default_group;
		out->how = "default group";
	}
}
