/*
 * Kea's memfile CSV: a header naming the columns, then one row per lease
 * change, the last one for an address being the truth.
 */
#include <string.h>

#include "leases_parse.h"

#define KEA_INFINITE		4294967295LL

struct kea_cols {
	int		 address;
	int		 hwaddr;
	int		 valid_lifetime;
	int		 expire;
	int		 hostname;
	int		 state;
	int		 ncols;
};

static int
kea_header(struct lease_reader *r, char *s, struct kea_cols *c)
{
	char *f[LEASES_FIELDS_MAX];
	size_t n = lr_split(s, ',', f, LEASES_FIELDS_MAX);

	if (n > LEASES_FIELDS_MAX)
		return lr_error(r, "too many columns");
	c->address = c->hwaddr = c->valid_lifetime = c->expire = -1;
	c->hostname = c->state = -1;
	for (size_t i = 0; i < n; i++) {
		const char *h = sg_trim(f[i]);
		int *slot = strcmp(h, "address") == 0 ? &c->address :
		    strcmp(h, "hwaddr") == 0 ? &c->hwaddr :
		    strcmp(h, "valid_lifetime") == 0 ? &c->valid_lifetime :
		    strcmp(h, "expire") == 0 ? &c->expire :
		    strcmp(h, "hostname") == 0 ? &c->hostname :
		    strcmp(h, "state") == 0 ? &c->state : NULL;

		if (slot != NULL)
			*slot = (int)i;
	}
	c->ncols = (int)n;
	if (c->address < 0 || c->hwaddr < 0)
		return lr_error(r, "Kea header lacks address or hwaddr");
	return 0;
}

/* Kea writes a comma inside a field as "&#x2c". */
static void
kea_unescape(const char *s, char *out, size_t outlen)
{
	size_t n = 0;

	while (*s != '\0' && n + 1 < outlen) {
		if (strncmp(s, "&#x2c", 5) == 0) {
			out[n++] = ',';
			s += 5;
		} else
			out[n++] = *s++;
	}
	out[n] = '\0';
}

static int
kea_row(struct lease_reader *r, char *s, const struct kea_cols *c,
    struct lease_list *ll)
{
	char *f[LEASES_FIELDS_MAX];
	struct lease l;
	int64_t state = 0, lifetime = 1;
	size_t n = lr_split(s, ',', f, LEASES_FIELDS_MAX);

	if (n != (size_t)c->ncols)
		return lr_error(r, "expected %d columns, found %zu", c->ncols,
		    n);
	memset(&l, 0, sizeof(l));
	if (sg_addr_parse(f[c->address], &l.ip) == -1)
		return lr_error(r, "bad IP address \"%.48s\"", f[c->address]);
	if (c->state >= 0 && *f[c->state] != '\0' &&
	    lr_int64(f[c->state], &state) == -1)
		return lr_error(r, "bad state");
	if (c->valid_lifetime >= 0 &&
	    lr_int64(f[c->valid_lifetime], &lifetime) == -1)
		return lr_error(r, "bad valid_lifetime");
	if (c->expire >= 0 && lr_int64(f[c->expire], &l.expires) == -1)
		return lr_error(r, "bad expire");
	if (lifetime == KEA_INFINITE)
		l.expires = 0;
	if (c->hostname >= 0)
		kea_unescape(f[c->hostname], l.hostname, sizeof(l.hostname));
	if (*f[c->hwaddr] == '\0') {
		/* No MAC to map, but it still supersedes older rows. */
		return lease_list_add(ll, &l, false) == -1 ?
		    lr_error(r, "out of memory") : 0;
	}
	if (sg_mac_parse(f[c->hwaddr], l.mac) == -1)
		return lr_error(r, "bad MAC address \"%.32s\"", f[c->hwaddr]);
	/* lifetime 0 is how Kea's memfile records a released lease */
	if (lease_list_add(ll, &l, state == 0 && lifetime != 0) == -1)
		return lr_error(r, "out of memory");
	return 0;
}

int
leases_parse_kea(struct lease_reader *r, struct lease_list *ll)
{
	struct kea_cols c;
	bool have_header = false;
	int rc;

	while ((rc = lr_next(r)) == 1) {
		char *s = sg_trim(r->line);

		if (*s == '\0')
			continue;
		/* Kea's lease file cleanup may write the header again. */
		if (strncmp(s, "address,", 8) == 0) {
			if (kea_header(r, s, &c) == -1)
				return -1;
			have_header = true;
		} else if (!have_header)
			return lr_error(r, "expected a Kea CSV header");
		else if (kea_row(r, s, &c, ll) == -1)
			return -1;
	}
	return rc;
}
