/*
 * ISC dhcpd's dhcpd.leases: a journal of "lease ADDRESS { ... }" blocks,
 * the last one for an address being the truth; blocks we do not read
 * (failover, host, ia-na) are skipped whole.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "leases_parse.h"

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
		return lr_int64(sg_trim(s + 6), out);
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
		if (sg_mac_parse(sg_trim(s), b->l.mac) == -1)
			return lr_error(r, "bad MAC address");
		b->has_mac = true;
	} else if (strcmp(w, "client-hostname") == 0) {
		if (isc_quoted(s, b->l.hostname, sizeof(b->l.hostname)) == -1)
			return lr_error(r, "bad client-hostname");
	} else if (strcmp(w, "ends") == 0) {
		if (isc_time(sg_trim(s), &b->l.expires) == -1)
			return lr_error(r, "bad ends time");
	} else if (strcmp(w, "binding") == 0) {
		/* "next binding state" and "rewind ..." start otherwise. */
		b->active = strcmp(sg_trim(s), "state active;") == 0;
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
	if (strcmp(sg_trim(s), "{") != 0)
		return lr_error(r, "expected \"lease ADDRESS {\"");
	if (sg_addr_parse(ip, &b.l.ip) == -1)
		return lr_error(r, "bad IP address \"%.48s\"", ip);
	while ((rc = lr_next(r)) == 1) {
		char *t = sg_trim(r->line);

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
	if (lease_list_add(ll, &b.l, b.active && b.has_mac) == -1)
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

int
leases_parse_isc(struct lease_reader *r, struct lease_list *ll)
{
	int rc;

	while ((rc = lr_next(r)) == 1) {
		char *s = sg_trim(r->line);
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
