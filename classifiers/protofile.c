/*
 * The protocols file checker (protofile.h).  The rules mirror what nDPI
 * 4.2's ndpi_handle_rule() reads, and are stricter where nDPI would read
 * a typo as something else: an unknown element would be taken as a host
 * name, a stray space or quote becomes part of the name it follows.
 */
#include <sys/stat.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protofile.h"

#define PF_PROTO_MAX	32	/* cls_result.proto */
#define PF_ELEM_MAX	300	/* host:"" around a 253-byte name */

static int	pf_fail(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
pf_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* 1 to 65535, digits only (nDPI's atoi reads "8o" as 8, "x" as 0) */
static int
pf_port(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;

	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*out = v;
	return 0;
}

/* "443" or "5061-5062" */
static int
pf_ports(const char *elem, const char *v, char *err, size_t errlen)
{
	const char *dash = strchr(v, '-');
	unsigned lo, hi;

	if (dash == NULL) {
		if (pf_port(v, strlen(v), &lo) == 0)
			return 0;
	} else if (pf_port(v, (size_t)(dash - v), &lo) == 0 &&
	    pf_port(dash + 1, strlen(dash + 1), &hi) == 0) {
		if (lo <= hi)
			return 0;
		return pf_fail(err, errlen, "port range \"%s\" ends before it "
		    "starts", elem);
	}
	return pf_fail(err, errlen, "invalid port \"%s\" (1-65535, or a "
	    "range such as 5061-5062)", elem);
}

/* A.B.C.D[/LEN][:PORT]: 4.2 takes IPv4 only, and splits as this does */
static int
pf_ip(const char *elem, const char *v, char *err, size_t errlen)
{
	char buf[PF_ELEM_MAX], *colon, *slash;
	struct in_addr in;
	unsigned len, port;

	if (strchr(v, ':') != strrchr(v, ':'))
		return pf_fail(err, errlen, "\"%s\": nDPI 4.2 takes IPv4 "
		    "addresses only in ip: rules", elem);
	snprintf(buf, sizeof(buf), "%s", v);
	if ((colon = strchr(buf, ':')) != NULL) {
		*colon++ = '\0';
		if (pf_port(colon, strlen(colon), &port) == -1)
			return pf_fail(err, errlen, "invalid port in \"%s\"",
			    elem);
	}
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash++ = '\0';
		if (strlen(slash) == 0 || strlen(slash) > 2 ||
		    strspn(slash, "0123456789") != strlen(slash) ||
		    (len = (unsigned)atoi(slash)) > 32)
			return pf_fail(err, errlen, "invalid prefix length in "
			    "\"%s\" (0-32)", elem);
	}
	if (strlen(buf) >= INET_ADDRSTRLEN || inet_pton(AF_INET, buf, &in) != 1)
		return pf_fail(err, errlen, "invalid IPv4 address in \"%s\"",
		    elem);
	return 0;
}

/* host:"name" (quotes optional, but both or neither) */
static int
pf_host(const char *elem, const char *v, char *err, size_t errlen)
{
	size_t n = strlen(v);
	bool lq = n > 0 && v[0] == '"', rq = n > 1 && v[n - 1] == '"';

	if (lq != rq)
		return pf_fail(err, errlen, "unbalanced quotes in \"%s\"",
		    elem);
	if (lq) {
		v++;
		n -= 2;
	}
	if (n == 0)
		return pf_fail(err, errlen, "empty host name in \"%s\" (it "
		    "would match every name)", elem);
	if (n > 253)
		return pf_fail(err, errlen, "host name too long in \"%s\"",
		    elem);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) &&
		    strchr(".-_*", v[i]) == NULL)
			return pf_fail(err, errlen, "invalid host name in "
			    "\"%s\" (letters, digits, '.', '-', '_' and '*')",
			    elem);
	return 0;
}

static int
pf_elem(const char *elem, char *err, size_t errlen)
{
	if (elem[0] == '\0')
		return pf_fail(err, errlen, "empty element between commas");
	if (strlen(elem) >= PF_ELEM_MAX)
		return pf_fail(err, errlen, "element too long: \"%.40s...\"",
		    elem);
	if (strncmp(elem, "host:", 5) == 0)
		return pf_host(elem, elem + 5, err, errlen);
	if (strncmp(elem, "tcp:", 4) == 0 || strncmp(elem, "udp:", 4) == 0)
		return pf_ports(elem, elem + 4, err, errlen);
	if (strncmp(elem, "ip:", 3) == 0)
		return pf_ip(elem, elem + 3, err, errlen);
	return pf_fail(err, errlen, "unknown element \"%s\" (host:\"name\", "
	    "tcp:PORT, udp:PORT or ip:ADDRESS)", elem);
}

/* nDPI turns "/&^:;'\" " into '_'; a name rules can use has none of them */
static int
pf_proto(const char *p, char *proto, size_t protolen, char *err,
    size_t errlen)
{
	size_t n = strlen(p);

	if (n == 0)
		return pf_fail(err, errlen, "no protocol name after \"@\"");
	if (n >= PF_PROTO_MAX || n >= protolen)
		return pf_fail(err, errlen, "protocol name \"%s\" too long",
		    p);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '_' && p[i] != '-')
			return pf_fail(err, errlen, "invalid protocol name "
			    "\"%s\" (letters, digits, '_' and '-')", p);
	memcpy(proto, p, n + 1);
	return 0;
}

static bool
pf_blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t')
			return false;
	return true;
}

int
protofile_check_line(const char *line, char *proto, size_t protolen,
    char *err, size_t errlen)
{
	char buf[PROTOFILE_LINE_MAX], *at, *rest, *elem;

	if (line[0] == '#' || pf_blank(line))
		return 0;
	if (strlen(line) >= sizeof(buf))
		return pf_fail(err, errlen, "line too long");
	for (const char *s = line; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return pf_fail(err, errlen, "%s", *s == '\r' ?
			    "carriage return (save the file with Unix line "
			    "ends)" : "control character");
	if (isspace((unsigned char)line[0]))
		return pf_fail(err, errlen, "leading space: nDPI reads the "
		    "line as a rule, not a comment");
	snprintf(buf, sizeof(buf), "%s", line);
	if ((at = strrchr(buf, '@')) == NULL)
		return pf_fail(err, errlen, "no \"@Protocol\" at the end");
	*at++ = '\0';
	if (pf_proto(at, proto, protolen, err, errlen) == -1)
		return -1;
	rest = buf;
	while ((elem = strsep(&rest, ",")) != NULL)
		if (pf_elem(elem, err, errlen) == -1)
			return -1;
	return 1;
}

/* One line as read, newline included if there was one. */
static int
pf_line(const struct protofile_report *rep, unsigned no, char *line,
    size_t n)
{
	char proto[PF_PROTO_MAX], msg[512];
	bool nl = n > 0 && line[n - 1] == '\n';
	int r;

	if (nl)
		line[--n] = '\0';
	if (strlen(line) != n)
		r = pf_fail(msg, sizeof(msg), "NUL byte");
	else
		r = protofile_check_line(line, proto, sizeof(proto), msg,
		    sizeof(msg));
	if (r == 1 && !nl)
		r = pf_fail(msg, sizeof(msg), "no newline at the end of the "
		    "file: nDPI 4.2 ignores this last line");
	if (r == -1 && rep->bad != NULL)
		rep->bad(no, msg, rep->arg);
	if (r == 1 && rep->name != NULL)
		rep->name(proto, rep->arg);
	return r == -1;
}

int
protofile_check(const char *path, const struct protofile_report *rep,
    char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned no = 0;
	struct stat st;
	ssize_t n;
	FILE *fp;
	int bad = -1;

	if ((fp = fopen(path, "r")) == NULL) {
		return pf_fail(err, errlen, "cannot open: %s",
		    strerror(errno));
	}
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode)) {
		pf_fail(err, errlen, "not a regular file");
		goto done;
	}
	bad = 0;
	while ((n = getline(&line, &cap, fp)) != -1)
		bad += pf_line(rep, ++no, line, (size_t)n);
	if (ferror(fp)) {
		bad = pf_fail(err, errlen, "read error: %s", strerror(errno));
		goto done;
	}
 done:
	free(line);
	fclose(fp);
	return bad;
}
