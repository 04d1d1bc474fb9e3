/*
 * DHCP leases files.  They are untrusted text: each line is copied into a
 * bounded buffer before it is looked at, and the whole file is refused
 * beyond LEASES_FILE_MAX.  The parsers, one per format, live in
 * leases_dnsmasq.c, leases_isc.c and leases_kea.c.
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

#include "leases_parse.h"

#define LEASES_FILE_MAX		(64u * 1024 * 1024)

int
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

int
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

size_t
lr_split(char *s, char sep, char **f, size_t max)
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

int
lr_int64(const char *s, int64_t *out)
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

int
lease_list_add(struct lease_list *ll, const struct lease *l, bool active)
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
		rc = leases_parse_dnsmasq(&r, &ll);
		break;
	case LEASES_ISC:
		rc = leases_parse_isc(&r, &ll);
		break;
	case LEASES_KEA:
		rc = leases_parse_kea(&r, &ll);
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
