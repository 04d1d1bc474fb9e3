/*
 * dnsmasq's leases file: one lease per line, "EXPIRY MAC IP HOSTNAME
 * CLIENTID"; a "duid" line starts the DHCPv6 part.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "leases_parse.h"

static void
copy_name(char *dst, size_t dstlen, const char *src)
{
	snprintf(dst, dstlen, "%s", src);
}

/* dnsmasq: "EXPIRY MAC IP HOSTNAME CLIENTID"; "duid" starts the v6 part. */
int
leases_parse_dnsmasq(struct lease_reader *r, struct lease_list *ll)
{
	char *f[LEASES_FIELDS_MAX];
	struct lease l;
	bool v6 = false;
	size_t n;
	int rc;

	while ((rc = lr_next(r)) == 1) {
		char *s = sg_trim(r->line);

		if (*s == '\0')
			continue;
		n = lr_split(s, '\0', f, LEASES_FIELDS_MAX);
		if (strcmp(f[0], "duid") == 0) {
			v6 = true;
			continue;
		}
		if (n < 4 || n > 5)
			return lr_error(r, "expected EXPIRY MAC IP HOSTNAME"
			    " [CLIENTID]");
		memset(&l, 0, sizeof(l));
		if (lr_int64(f[0], &l.expires) == -1)
			return lr_error(r, "bad expiry time \"%.32s\"", f[0]);
		if (sg_addr_parse(f[2], &l.ip) == -1)
			return lr_error(r, "bad IP address \"%.48s\"", f[2]);
		/* DHCPv6 leases name an IAID, not a MAC: no use to us. */
		if (v6 && l.ip.family == AF_INET6)
			continue;
		if (sg_mac_parse(f[1], l.mac) == -1)
			return lr_error(r, "bad MAC address \"%.32s\"", f[1]);
		if (strcmp(f[3], "*") != 0)
			copy_name(l.hostname, sizeof(l.hostname), f[3]);
		if (lease_list_add(ll, &l, true) == -1)
			return lr_error(r, "out of memory");
	}
	return rc;
}
