/*
 * FreeRADIUS "detail" files: one accounting record per paragraph, a date
 * line then tab-indented "Attribute = value" lines, a blank line after:
 *
 *	Mon Dec  7 10:00:00 2026
 *		Acct-Status-Type = Start
 *		User-Name = "jsmith@cliftonlodge.sch.uk"
 *		Framed-IP-Address = 10.10.0.77
 *		Calling-Station-Id = "02-1A-2B-3C-4D-5E"
 *		Timestamp = 1796637600
 *
 * The files are untrusted text (anyone who can send accounting writes
 * into them): each record is bounded, a malformed one is counted and
 * skipped, and a record without its blank line yet is left for the next
 * read, since FreeRADIUS may be half-way through writing it.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "radius.h"

#define RAD_RECORD_MAX		(16u * 1024)	/* one record */
#define RAD_LINE_MAX		1024
#define RAD_READ_MAX		(8u * 1024 * 1024)	/* per file and poll */

struct rad_rec {
	enum rad_status	 status;	/* 0 if not given */
	struct rad_session s;
	bool		 bad;
};

/* The value: a quoted string with C escapes, or a bare token. */
static int
rad_value(const char *v, char *out, size_t outlen)
{
	size_t n = 0;

	if (*v != '"') {
		n = strlen(v);
		if (n >= outlen)
			return -1;
		memcpy(out, v, n + 1);
		return 0;
	}
	for (v++; *v != '"'; v++) {
		if (*v == '\0')
			return -1;
		if (*v == '\\' && v[1] != '\0')
			v++;
		if (n + 1 >= outlen)
			return -1;
		out[n++] = *v;
	}
	out[n] = '\0';
	return 0;
}

/* "02-1A-2B-3C-4D-5E", "02:1a:...", "021a.2b3c.4d5e", "021A2B3C4D5E" */
static int
rad_mac(const char *s, uint8_t mac[6])
{
	int n = 0;

	for (; *s != '\0'; s++) {
		int d;

		if (*s == '-' || *s == ':' || *s == '.')
			continue;
		if (!isxdigit((unsigned char)*s) || n >= 12)
			return -1;
		d = isdigit((unsigned char)*s) ? *s - '0' :
		    tolower((unsigned char)*s) - 'a' + 10;
		if (n % 2 == 0)
			mac[n / 2] = (uint8_t)(d << 4);
		else
			mac[n / 2] |= (uint8_t)d;
		n++;
	}
	return n == 12 ? 0 : -1;
}

static enum rad_status
rad_status_parse(const char *v)
{
	static const struct { const char *name; enum rad_status st; } m[] = {
		{ "Start", RAD_START }, { "Interim-Update", RAD_INTERIM },
		{ "Alive", RAD_INTERIM }, { "Stop", RAD_STOP },
		{ "Accounting-On", RAD_ACCT_ON },
		{ "Accounting-Off", RAD_ACCT_OFF },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (strcasecmp(v, m[i].name) == 0)
			return m[i].st;
	return 0;
}

static bool
rad_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int
rad_addr(const char *v, int family, struct sg_addr *out)
{
	struct sg_addr a;
	char buf[SG_ADDRSTR_MAX];
	char *slash;

	/* Framed-IPv6-Address has no prefix, but tolerate "/128" */
	snprintf(buf, sizeof(buf), "%s", v);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (sg_addr_parse(buf, &a) == -1 || a.family != family)
		return -1;
	*out = a;
	return 0;
}

static int
rad_int(const char *v, int64_t *out)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || x < 0)
		return -1;
	*out = x;
	return 0;
}

/* One "Attribute = value" line; unknown attributes are ignored. */
static void
rad_attr(struct rad_rec *r, const char *name, const char *raw)
{
	char v[RAD_LINE_MAX];
	struct rad_session *s = &r->s;
	int bad = 0;

	if (rad_value(raw, v, sizeof(v)) == -1 || !rad_printable(v)) {
		r->bad = true;
		return;
	}
	if (strcmp(name, "Acct-Status-Type") == 0)
		bad = (r->status = rad_status_parse(v)) == 0;
	else if (strcmp(name, "User-Name") == 0)
		bad = snprintf(s->user, sizeof(s->user), "%s", v) >=
		    (int)sizeof(s->user) || v[0] == '\0';
	else if (strcmp(name, "Acct-Session-Id") == 0)
		bad = snprintf(s->sid, sizeof(s->sid), "%s", v) >=
		    (int)sizeof(s->sid);
	else if (strcmp(name, "NAS-IP-Address") == 0 ||
	    strcmp(name, "NAS-IPv6-Address") == 0)
		bad = snprintf(s->nas, sizeof(s->nas), "%s", v) >=
		    (int)sizeof(s->nas);
	else if (strcmp(name, "Calling-Station-Id") == 0)
		s->has_mac = rad_mac(v, s->mac) == 0;	/* may be a phone no. */
	else if (strcmp(name, "Framed-IP-Address") == 0)
		bad = rad_addr(v, AF_INET, &s->ip4);
	else if (strcmp(name, "Framed-IPv6-Address") == 0)
		bad = rad_addr(v, AF_INET6, &s->ip6);
	else if (strcmp(name, "Timestamp") == 0)
		bad = rad_int(v, &s->updated);
	if (bad)
		r->bad = true;
}

/* Split "\tName = value" in place; -1 if the line is not one. */
static int
rad_line(char *line, char **name, char **val)
{
	char *eq;

	if (*line != '\t' && *line != ' ')
		return -1;
	while (*line == '\t' || *line == ' ')
		line++;
	if ((eq = strstr(line, " = ")) == NULL || eq == line)
		return -1;
	*eq = '\0';
	*name = line;
	*val = eq + 3;
	for (char *p = line; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != ':')
			return -1;
	return 0;
}

/* The record is text[0..len): a date line, then attribute lines. */
static void
rad_record(const char *text, size_t len, struct rad_table *t,
    struct rad_detail_stats *st)
{
	struct rad_rec r;
	char line[RAD_LINE_MAX];
	const char *p = text, *end = text + len, *nl;
	bool first = true;

	memset(&r, 0, sizeof(r));
	for (; p < end && !r.bad; p = nl + 1) {
		char *name, *val;
		size_t n;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n >= sizeof(line) || memchr(p, '\0', n) != NULL) {
			r.bad = true;
			break;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if (first) {	/* the date line FreeRADIUS writes */
			first = false;
			r.bad = line[0] == '\t' || line[0] == ' ' ||
			    line[0] == '\0';
			continue;
		}
		if (rad_line(line, &name, &val) == -1)
			r.bad = true;
		else
			rad_attr(&r, name, val);
	}
	if (!r.bad && r.status != 0 && (r.s.user[0] != '\0' ||
	    r.status == RAD_ACCT_ON || r.status == RAD_ACCT_OFF)) {
		if (r.status == RAD_START)
			r.s.started = r.s.updated;
		if (rad_apply(t, r.status, &r.s) == 0)
			st->records++;
		else
			st->skipped++;
	} else
		st->skipped++;
}

static const char *
rad_blank_line(const char *p, const char *end)
{
	for (; p + 1 < end; p++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL || nl + 1 >= end)
			return NULL;
		if (nl[1] == '\n')
			return nl + 1;
		if (nl[1] == '\r' && nl + 2 < end && nl[2] == '\n')
			return nl + 2;
		p = nl;
	}
	return NULL;
}

size_t
rad_detail_parse(const char *text, size_t len, bool at_eof,
    struct rad_table *t, struct rad_detail_stats *st)
{
	const char *p = text, *end = text + len, *blank;

	for (;;) {
		while (p < end && (*p == '\n' || *p == '\r'))
			p++;
		if (p >= end)
			break;
		if ((blank = rad_blank_line(p, end)) == NULL) {
			if (at_eof || (size_t)(end - p) > RAD_RECORD_MAX) {
				/* the last record, or garbage with no end */
				if ((size_t)(end - p) <= RAD_RECORD_MAX)
					rad_record(p, (size_t)(end - p), t, st);
				else
					st->skipped++;
				p = end;
			}
			break;
		}
		if ((size_t)(blank - p) > RAD_RECORD_MAX)
			st->skipped++;
		else
			rad_record(p, (size_t)(blank - p), t, st);
		p = blank + 1;
	}
	return (size_t)(p - text);
}

/* ---- following the files ---- */

void
rad_follow_init(struct rad_follow *f, char *const *globs, size_t nglobs)
{
	memset(f, 0, sizeof(*f));
	f->globs = globs;
	f->nglobs = nglobs;
}

void
rad_follow_free(struct rad_follow *f)
{
	for (size_t i = 0; i < f->nfiles; i++)
		free(f->files[i].path);
	rad_table_free(&f->table);
	memset(f, 0, sizeof(*f));
}

static bool
rad_file_known(const struct rad_follow *f, const struct stat *sb)
{
	for (size_t i = 0; i < f->nfiles; i++)
		if (f->files[i].ino == (uint64_t)sb->st_ino &&
		    f->files[i].dev == (uint64_t)sb->st_dev)
			return true;
	return false;
}

/* Known by inode, so a rotated (renamed) file keeps its place. */
static struct rad_file *
rad_file_get(struct rad_follow *f, const char *path, const struct stat *sb)
{
	struct rad_file *rf;
	char *p;

	for (size_t i = 0; i < f->nfiles; i++) {
		rf = &f->files[i];
		if (rf->ino == (uint64_t)sb->st_ino &&
		    rf->dev == (uint64_t)sb->st_dev) {
			if (strcmp(rf->path, path) != 0 &&
			    (p = strdup(path)) != NULL) {
				free(rf->path);
				rf->path = p;
			}
			return rf;
		}
	}
	if (f->nfiles >= RAD_FILES_MAX || (p = strdup(path)) == NULL)
		return NULL;
	rf = &f->files[f->nfiles++];
	memset(rf, 0, sizeof(*rf));
	rf->path = p;
	rf->ino = (uint64_t)sb->st_ino;
	rf->dev = (uint64_t)sb->st_dev;
	return rf;
}

static int
rad_read_file(struct rad_follow *f, struct rad_file *rf, int fd,
    int64_t size, char *err, size_t errlen)
{
	size_t want, got = 0;
	uint64_t before = f->stats.records;
	char *buf;
	ssize_t n;

	if (size < rf->off)	/* truncated: what is there now is new */
		rf->off = 0;
	if (size == rf->off)
		return 0;
	want = (size_t)(size - rf->off);
	if (want > RAD_READ_MAX)
		want = RAD_READ_MAX;
	if ((buf = malloc(want)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", rf->path);
		return -1;
	}
	while (got < want && (n = pread(fd, buf + got, want - got,
	    rf->off + (off_t)got)) > 0)
		got += (size_t)n;
	rf->off += (int64_t)rad_detail_parse(buf, got, false, &f->table,
	    &f->stats);
	free(buf);
	return f->stats.records != before;
}

static int
rad_poll_path(struct rad_follow *f, const char *path, char *err,
    size_t errlen)
{
	struct stat sb;
	struct rad_file *rf;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1) {	/* a FIFO must not block the worker */
		if (errno == ENOENT)	/* rotated away since the glob */
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (sb.st_mtime < time(NULL) - RAD_STALE_SECS &&
	    !rad_file_known(f, &sb)) {
		close(fd);
		return 0;
	}
	if ((rf = rad_file_get(f, path, &sb)) == NULL) {
		snprintf(err, errlen, "%s: more than %d detail files",
		    path, RAD_FILES_MAX);
		close(fd);
		return -1;
	}
	rf->seen = true;
	rc = rad_read_file(f, rf, fd, (int64_t)sb.st_size, err, errlen);
	close(fd);
	return rc;
}

static void
rad_forget_unseen(struct rad_follow *f)
{
	size_t i = 0;

	while (i < f->nfiles) {
		if (f->files[i].seen) {
			f->files[i++].seen = false;
			continue;
		}
		free(f->files[i].path);
		f->files[i] = f->files[--f->nfiles];
	}
}

int
rad_follow_poll(struct rad_follow *f, char *err, size_t errlen)
{
	int changed = 0, failed = 0, rc;
	glob_t g;

	for (size_t i = 0; i < f->nglobs; i++) {
		memset(&g, 0, sizeof(g));
		if (glob(f->globs[i], 0, NULL, &g) != 0) {
			globfree(&g);
			continue;	/* nothing there yet */
		}
		for (size_t j = 0; j < g.gl_pathc; j++) {
			rc = rad_poll_path(f, g.gl_pathv[j], err, errlen);
			if (rc == -1)
				failed = 1;
			else if (rc == 1)
				changed = 1;
		}
		globfree(&g);
	}
	rad_forget_unseen(f);
	if (changed)
		f->generation++;
	return failed ? -1 : changed;
}
