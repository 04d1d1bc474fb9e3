/*
 * DHCP leases and sender identity.  Leases files are untrusted text: each
 * line is copied into a bounded buffer before it is looked at, and the
 * whole file is refused beyond LEASES_FILE_MAX.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "identity.h"

#define LEASES_FILE_MAX		(64u * 1024 * 1024)
#define LEASES_LINE_MAX		1024
#define LEASES_FIELDS_MAX	32
#define KEA_INFINITE		4294967295LL

/* A lease as read, before later entries for the same address win. */
struct lease_entry {
	struct lease	 l;
	size_t		 seq;
	bool		 active;
};

struct lease_list {
	struct lease_entry *v;
	size_t		 n;
	size_t		 cap;
};

struct lease_reader {
	const char	*name;
	const char	*text;
	size_t		 len;
	size_t		 off;
	size_t		 lineno;
	char		 line[LEASES_LINE_MAX + 1];
	char		*err;
	size_t		 errlen;
};

static int
lr_error(struct lease_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
lr_error(struct lease_reader *r, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->errlen > 0)
		snprintf(r->err, r->errlen, "%s:%zu: %s", r->name, r->lineno,
		    msg);
	return -1;
}

/* 1 with the next line in r->line, 0 at the end, -1 on a bad line. */
static int
lr_next(struct lease_reader *r)
{
	const char *start, *nl;
	size_t n;

	if (r->off >= r->len)
		return 0;
	start = r->text + r->off;
	nl = memchr(start, '\n', r->len - r->off);
	n = nl != NULL ? (size_t)(nl - start) : r->len - r->off;
	r->off += n + (nl != NULL);
	r->lineno++;
	if (n > 0 && start[n - 1] == '\r')
		n--;
	if (n > LEASES_LINE_MAX)
		return lr_error(r, "line too long");
	if (memchr(start, '\0', n) != NULL)
		return lr_error(r, "NUL byte in line");
	memcpy(r->line, start, n);
	r->line[n] = '\0';
	return 1;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Split in place on sep (or on runs of blanks if sep is 0). */
static size_t
split(char *s, char sep, char **f, size_t max)
{
	size_t n = 0;

	if (sep == '\0') {
		char *save = NULL;

		for (char *t = strtok_r(s, " \t", &save); t != NULL && n < max;
		    t = strtok_r(NULL, " \t", &save))
			f[n++] = t;
		return n;
	}
	f[n++] = s;
	for (char *p = s; *p != '\0'; p++)
		if (*p == sep) {
			*p = '\0';
			if (n == max)
				return n + 1;	/* too many: caller refuses */
			f[n++] = p + 1;
		}
	return n;
}

static int
parse_int64(const char *s, int64_t *out)
{
	int64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s) || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

static void
copy_name(char *dst, size_t dstlen, const char *src)
{
	snprintf(dst, dstlen, "%s", src);
}

static int
list_add(struct lease_list *ll, const struct lease *l, bool active)
{
	if (ll->n == ll->cap) {
		size_t cap = ll->cap == 0 ? 64 : ll->cap * 2;
		struct lease_entry *v = reallocarray(ll->v, cap, sizeof(*v));

		if (v == NULL)
			return -1;
		ll->v = v;
		ll->cap = cap;
	}
	ll->v[ll->n].l = *l;
	ll->v[ll->n].seq = ll->n;
	ll->v[ll->n].active = active;
	ll->n++;
	return 0;
}

static int
addr_cmp(const struct sg_addr *x, const struct sg_addr *y)
{
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->a, y->a, x->family == AF_INET ? 4 : 16);
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct lease_entry *x = a, *y = b;
	int c = addr_cmp(&x->l.ip, &y->l.ip);

	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * ISC and Kea files are journals: the last entry for an address is the
 * truth, and it may say the address is free.  Sorted by address, so
 * leases_find_ip can search.
 */
static int
list_finish(struct lease_list *ll, struct leases *out)
{
	struct lease *v;
	size_t n = 0;

	if (ll->n > 0)
		qsort(ll->v, ll->n, sizeof(ll->v[0]), entry_cmp);
	if ((v = calloc(ll->n > 0 ? ll->n : 1, sizeof(*v))) == NULL)
		return -1;
	for (size_t i = 0; i < ll->n; i++) {
		bool last = i + 1 == ll->n ||
		    addr_cmp(&ll->v[i].l.ip, &ll->v[i + 1].l.ip) != 0;

		if (last && ll->v[i].active)
			v[n++] = ll->v[i].l;
	}
	leases_free(out);
	out->v = v;
	out->n = n;
	return 0;
}

/* dnsmasq: "EXPIRY MAC IP HOSTNAME CLIENTID"; "duid" starts the v6 part. */
static int
parse_dnsmasq(struct lease_reader *r, struct lease_list *ll)
{
	char *f[LEASES_FIELDS_MAX];
	struct lease l;
	bool v6 = false;
	size_t n;
	int rc;

	while ((rc = lr_next(r)) == 1) {
		char *s = trim(r->line);

		if (*s == '\0')
			continue;
		n = split(s, '\0', f, LEASES_FIELDS_MAX);
		if (strcmp(f[0], "duid") == 0) {
			v6 = true;
			continue;
		}
		if (n < 4 || n > 5)
			return lr_error(r, "expected EXPIRY MAC IP HOSTNAME"
			    " [CLIENTID]");
		memset(&l, 0, sizeof(l));
		if (parse_int64(f[0], &l.expires) == -1)
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
		if (list_add(ll, &l, true) == -1)
			return lr_error(r, "out of memory");
	}
	return rc;
}

/* The first blank-separated word of s, and s moved past it. */
static char *
next_word(char **s)
{
	char *w = *s, *e;

	while (isspace((unsigned char)*w))
		w++;
	e = w;
	while (*e != '\0' && !isspace((unsigned char)*e))
		e++;
	if (*e != '\0')
		*e++ = '\0';
	*s = e;
	return w;
}

/* "client-hostname \"x\";": dhcpd escapes odd bytes as \ooo. */
static int
isc_quoted(const char *s, char *out, size_t outlen)
{
	size_t n = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (*s++ != '"')
		return -1;
	for (; *s != '"'; s++) {
		if (*s == '\0')
			return -1;
		if (*s == '\\' && s[1] != '\0')
			s++;
		if (n + 1 < outlen)
			out[n++] = *s;
	}
	out[n] = '\0';
	return strcmp(s + 1, ";") == 0 ? 0 : -1;
}

/* "ends 4 2026/11/24 10:00:00;", "ends never;" or "ends epoch N;" (UTC) */
static int
isc_time(char *s, int64_t *out)
{
	int wd, y, mo, d, h, mi, sec, n = 0;

	if (strcmp(s, "never;") == 0) {
		*out = 0;
		return 0;
	}
	if (strncmp(s, "epoch ", 6) == 0) {
		char *semi = strchr(s, ';');

		if (semi == NULL)
			return -1;
		*semi = '\0';
		return parse_int64(trim(s + 6), out);
	}
	/* Widths keep hostile digits from overflowing an int. */
	if (sscanf(s, "%1d %4d/%2d/%2d %2d:%2d:%2d;%n", &wd, &y, &mo, &d, &h, &mi,
	    &sec, &n) != 7 || s[n] != '\0' || y < 1970 || y > 9999 ||
	    mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return -1;
	*out = (int64_t)sg_days_from_civil(y, mo, d) * 86400 + h * 3600 +
	    mi * 60 + sec;
	return 0;
}

/* Braces opened minus closed, outside quoted strings (a uid has any byte). */
static int
brace_depth(const char *s)
{
	bool quoted = false;
	int depth = 0;

	for (; *s != '\0'; s++) {
		if (quoted && *s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '"')
			quoted = !quoted;
		else if (!quoted)
			depth += *s == '{' ? 1 : *s == '}' ? -1 : 0;
	}
	return depth;
}

struct isc_block {
	struct lease	 l;
	bool		 has_mac;
	bool		 active;
	size_t		 line;
};

static int
isc_statement(struct lease_reader *r, char *s, struct isc_block *b)
{
	char *w = next_word(&s);
	char *end = s + strlen(s);

	if (strcmp(w, "hardware") == 0) {
		w = next_word(&s);
		if (strcmp(w, "ethernet") != 0)
			return 0;	/* token-ring and such: no MAC */
		if (end == s || end[-1] != ';')
			return lr_error(r, "missing ';'");
		end[-1] = '\0';
		if (sg_mac_parse(trim(s), b->l.mac) == -1)
			return lr_error(r, "bad MAC address");
		b->has_mac = true;
	} else if (strcmp(w, "client-hostname") == 0) {
		if (isc_quoted(s, b->l.hostname, sizeof(b->l.hostname)) == -1)
			return lr_error(r, "bad client-hostname");
	} else if (strcmp(w, "ends") == 0) {
		if (isc_time(trim(s), &b->l.expires) == -1)
			return lr_error(r, "bad ends time");
	} else if (strcmp(w, "binding") == 0) {
		/* "next binding state" and "rewind ..." start otherwise. */
		b->active = strcmp(trim(s), "state active;") == 0;
	} else if (end == s ? w[strlen(w) - 1] != ';' : end[-1] != ';')
		return lr_error(r, "garbage in lease block");
	return 0;
}

static int
isc_lease(struct lease_reader *r, char *s, struct lease_list *ll)
{
	struct isc_block b;
	char *ip = next_word(&s);
	int rc;

	memset(&b, 0, sizeof(b));
	b.active = true;	/* older dhcpd writes no binding state */
	b.line = r->lineno;
	if (strcmp(trim(s), "{") != 0)
		return lr_error(r, "expected \"lease ADDRESS {\"");
	if (sg_addr_parse(ip, &b.l.ip) == -1)
		return lr_error(r, "bad IP address \"%.48s\"", ip);
	while ((rc = lr_next(r)) == 1) {
		char *t = trim(r->line);

		if (*t == '\0' || *t == '#')
			continue;
		if (strcmp(t, "}") == 0)
			break;
		if (brace_depth(t) != 0)
			return lr_error(r, "unexpected block in lease");
		if (isc_statement(r, t, &b) == -1)
			return -1;
	}
	if (rc == -1)
		return -1;
	if (rc == 0) {
		r->lineno = b.line;
		return lr_error(r, "lease block not closed");
	}
	/* Without a MAC the block still says the address changed hands. */
	if (list_add(ll, &b.l, b.active && b.has_mac) == -1)
		return lr_error(r, "out of memory");
	return 0;
}

/* Blocks we do not read (failover, host, ia-na) may nest. */
static int
isc_skip_block(struct lease_reader *r, const char *first)
{
	int depth = 0;
	size_t start = r->lineno;
	int rc = 1;

	for (const char *p = first;; p = r->line) {
		depth += brace_depth(p);
		if (depth <= 0)
			return 0;
		if ((rc = lr_next(r)) != 1)
			break;
	}
	if (rc == 0) {
		r->lineno = start;
		return lr_error(r, "block not closed");
	}
	return -1;
}

static int
parse_isc(struct lease_reader *r, struct lease_list *ll)
{
	int rc;

	while ((rc = lr_next(r)) == 1) {
		char *s = trim(r->line);
		size_t n = strlen(s);

		if (n == 0 || *s == '#')
			continue;
		if (strncmp(s, "lease ", 6) == 0) {
			s += 6;
			if (isc_lease(r, s, ll) == -1)
				return -1;
		} else if (brace_depth(s) > 0) {
			if (isc_skip_block(r, s) == -1)
				return -1;
		} else if (s[n - 1] != ';')
			return lr_error(r, "garbage line");
	}
	return rc;
}

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
	size_t n = split(s, ',', f, LEASES_FIELDS_MAX);

	if (n > LEASES_FIELDS_MAX)
		return lr_error(r, "too many columns");
	c->address = c->hwaddr = c->valid_lifetime = c->expire = -1;
	c->hostname = c->state = -1;
	for (size_t i = 0; i < n; i++) {
		const char *h = trim(f[i]);
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
	size_t n = split(s, ',', f, LEASES_FIELDS_MAX);

	if (n != (size_t)c->ncols)
		return lr_error(r, "expected %d columns, found %zu", c->ncols,
		    n);
	memset(&l, 0, sizeof(l));
	if (sg_addr_parse(f[c->address], &l.ip) == -1)
		return lr_error(r, "bad IP address \"%.48s\"", f[c->address]);
	if (c->state >= 0 && *f[c->state] != '\0' &&
	    parse_int64(f[c->state], &state) == -1)
		return lr_error(r, "bad state");
	if (c->valid_lifetime >= 0 &&
	    parse_int64(f[c->valid_lifetime], &lifetime) == -1)
		return lr_error(r, "bad valid_lifetime");
	if (c->expire >= 0 && parse_int64(f[c->expire], &l.expires) == -1)
		return lr_error(r, "bad expire");
	if (lifetime == KEA_INFINITE)
		l.expires = 0;
	if (c->hostname >= 0)
		kea_unescape(f[c->hostname], l.hostname, sizeof(l.hostname));
	if (*f[c->hwaddr] == '\0') {
		/* No MAC to map, but it still supersedes older rows. */
		return list_add(ll, &l, false) == -1 ?
		    lr_error(r, "out of memory") : 0;
	}
	if (sg_mac_parse(f[c->hwaddr], l.mac) == -1)
		return lr_error(r, "bad MAC address \"%.32s\"", f[c->hwaddr]);
	/* lifetime 0 is how Kea's memfile records a released lease */
	if (list_add(ll, &l, state == 0 && lifetime != 0) == -1)
		return lr_error(r, "out of memory");
	return 0;
}

static int
parse_kea(struct lease_reader *r, struct lease_list *ll)
{
	struct kea_cols c;
	bool have_header = false;
	int rc;

	while ((rc = lr_next(r)) == 1) {
		char *s = trim(r->line);

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

/* The first line that says something decides. */
static enum conf_leases_format
leases_detect(const char *text, size_t len)
{
	size_t off = 0;

	while (off < len) {
		const char *p = text + off;
		const char *nl = memchr(p, '\n', len - off);
		size_t n = nl != NULL ? (size_t)(nl - p) : len - off;
		size_t i = 0;

		off += n + 1;
		while (i < n && isspace((unsigned char)p[i]))
			i++;
		if (i == n || p[i] == '#')
			continue;
		if (n - i >= 8 && memcmp(p + i, "address,", 8) == 0)
			return LEASES_KEA;
		if (isdigit((unsigned char)p[i]) ||
		    (n - i >= 5 && memcmp(p + i, "duid ", 5) == 0))
			return LEASES_DNSMASQ;
		return LEASES_ISC;
	}
	return LEASES_DNSMASQ;
}

int
leases_parse(const char *text, size_t len, enum conf_leases_format fmt,
    const char *name, struct leases *out, char *err, size_t errlen)
{
	struct lease_reader r;
	struct lease_list ll;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(&ll, 0, sizeof(ll));
	r.name = name != NULL ? name : "leases";
	r.text = text;
	r.len = len;
	r.err = err;
	r.errlen = errlen;
	if (len > LEASES_FILE_MAX)
		return lr_error(&r, "file larger than %u bytes",
		    LEASES_FILE_MAX);
	if (fmt == LEASES_AUTO)
		fmt = leases_detect(text, len);
	switch (fmt) {
	case LEASES_DNSMASQ:
		rc = parse_dnsmasq(&r, &ll);
		break;
	case LEASES_ISC:
		rc = parse_isc(&r, &ll);
		break;
	case LEASES_KEA:
		rc = parse_kea(&r, &ll);
		break;
	default:
		rc = lr_error(&r, "unknown leases format");
		break;
	}
	if (rc == 0 && list_finish(&ll, out) == -1)
		rc = lr_error(&r, "out of memory");
	free(ll.v);
	return rc;
}

static int
read_all(int fd, char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = read(fd, buf + off, len - off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

int
leases_load(const char *path, enum conf_leases_format fmt,
    struct leases *out, char *err, size_t errlen)
{
	struct stat sb;
	char *buf = NULL;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto close_fd;
	}
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > LEASES_FILE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most %u"
		    " bytes", path, LEASES_FILE_MAX);
		goto close_fd;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto close_fd;
	}
	if (read_all(fd, buf, (size_t)sb.st_size) == -1) {
		snprintf(err, errlen, "%s: short read", path);
		goto free_buf;
	}
	rc = leases_parse(buf, (size_t)sb.st_size, fmt, path, out, err,
	    errlen);
 free_buf:
	free(buf);
 close_fd:
	close(fd);
	return rc;
}

void
leases_free(struct leases *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const struct lease *
leases_find_ip(const struct leases *ls, const struct sg_addr *ip)
{
	size_t lo = 0, hi;

	if (ls == NULL || ip == NULL)
		return NULL;
	hi = ls->n;
	/* One lease per address is left after parsing; it is the newest. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = addr_cmp(&ls->v[mid].ip, ip);

		if (c == 0)
			return &ls->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

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
			return;
		}
	}
	if (ip != NULL && (out->device = device_by_ip(cfg, ip, out)) >= 0)
		out->how = "device IP";
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

void
ident_resolve(const struct sg_config *cfg, const struct leases *ls,
    const uint8_t *mac, const struct sg_addr *ip, const char *iface,
    int as_group, struct ident *out)
{
	int g;

	memset(out, 0, sizeof(*out));
	out->device = out->person = -1;
	if (ip != NULL)
		out->ip = *ip;
	resolve_device(cfg, ls, mac, ip, out);
	if (out->device >= 0) {
		int owner = cfg->devices[out->device].owner;

		if (owner >= 0 && (size_t)owner < cfg->npeople)
			out->person = owner;
	}
	if (valid_group(cfg, as_group)) {
		out->group = as_group;
		out->how = "--as-group";
	} else if ((g = device_group(cfg, out)) >= 0) {
		out->group = g;
	} else if (iface != NULL && (g = group_by_iface(cfg, iface)) >= 0) {
		out->group = g;
		out->how = "interface";
	} else if (ip != NULL && (g = group_by_subnet(cfg, ip)) >= 0) {
		out->group = g;
		out->how = "subnet";
	} else {
		out->group = cfg->default_group;
		out->how = "default group";
	}
}

int
leases_refresh(struct leases_file *lf, char *err, size_t errlen)
{
	struct stat sb;
	int64_t mtime_ns;

	if (stat(lf->path, &sb) == -1) {
		/* reported once, not on every poll, until it comes back */
		if (lf->missing)
			return 0;
		lf->missing = true;
		snprintf(err, errlen, "%s: %s", lf->path, strerror(errno));
		return -1;
	}
	lf->missing = false;
	mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
	if (lf->loaded && mtime_ns == lf->mtime_ns && sb.st_size == lf->size &&
	    (uint64_t)sb.st_ino == lf->ino)
		return 0;
	/* remembered even when the file is bad, so it is reported once per
	 * change and not on every poll */
	lf->mtime_ns = mtime_ns;
	lf->size = sb.st_size;
	lf->ino = (uint64_t)sb.st_ino;
	lf->loaded = true;
	if (leases_load(lf->path, lf->format, &lf->cur, err, errlen) == -1)
		return -1;
	return 1;
}
