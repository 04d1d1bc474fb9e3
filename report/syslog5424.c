/*
 * One finished flow record as an RFC 5424 syslog line with structured
 * data, for a central log collector:
 *
 *   <PRI>1 TIMESTAMP HOSTNAME schoolgate PID flow [schoolgate@32473
 *   action="block" app="TLS.Facebook" ...] block TLS.Facebook ...
 *
 * 32473 is the private enterprise number RFC 5612 sets aside for
 * examples; a school with its own number can change SL_SDID.
 * PARAM-VALUE escapes '"', '\' and ']' (RFC 5424 6.3.3).  Control bytes
 * would let a hostile host name start a new log line, so they are
 * written as the text \xNN (the backslash itself escaped).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

#define SL_SDID		"schoolgate@32473"
#define SL_FACILITY	16	/* local0 */

struct sl_buf {
	char	*p;
	size_t	 len, off;
	int	 overflow;
};

static void
sl_putc(struct sl_buf *b, char c)
{
	if (b->off + 1 >= b->len) {
		b->overflow = 1;
		return;
	}
	b->p[b->off++] = c;
	b->p[b->off] = '\0';
}

static void
sl_puts(struct sl_buf *b, const char *s)
{
	while (*s)
		sl_putc(b, *s++);
}

/* in_value: escape for a PARAM-VALUE; else only neutralise controls. */
static void
sl_text(struct sl_buf *b, const char *s, int in_value)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;

	for (; (c = (unsigned char)*s) != '\0'; s++) {
		if (c < 0x20 || c == 0x7f) {
			sl_puts(b, in_value ? "\\\\x" : "\\x");
			sl_putc(b, hex[c >> 4]);
			sl_putc(b, hex[c & 15]);
			continue;
		}
		if (in_value && (c == '"' || c == '\\' || c == ']'))
			sl_putc(b, '\\');
		sl_putc(b, (char)c);
	}
}

static void
sl_param(struct sl_buf *b, const char *name, const char *value)
{
	sl_putc(b, ' ');
	sl_puts(b, name);
	sl_puts(b, "=\"");
	sl_text(b, value, 1);
	sl_putc(b, '"');
}

static void
sl_param_u(struct sl_buf *b, const char *name, unsigned long long v)
{
	char n[32];

	snprintf(n, sizeof(n), "%llu", v);
	sl_param(b, name, n);
}

/* RFC 3339 in UTC with microseconds. */
static void
sl_timestamp(struct sl_buf *b, int64_t us)
{
	time_t t = (time_t)(us / 1000000);
	char ts[40], out[64];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, sizeof(out), "%s.%06dZ", ts, (int)(us % 1000000));
	sl_puts(b, out);
}

static int
sl_severity(const char *action)
{
	if (strcmp(action, "block") == 0)
		return 4;	/* warning */
	if (strcmp(action, "log") == 0)
		return 5;	/* notice */
	return 6;		/* informational */
}

/* HOSTNAME is PRINTUSASCII without spaces, at most 255; else "-". */
static void
sl_hostname(struct sl_buf *b, const char *h)
{
	size_t n = h ? strlen(h) : 0;

	for (size_t i = 0; i < n; i++)
		if (h[i] <= ' ' || h[i] > '~')
			n = 0;
	if (n == 0 || n > 255)
		sl_putc(b, '-');
	else
		sl_puts(b, h);
}

static void
sl_sd(struct sl_buf *b, const struct rec_flow *r)
{
	sl_puts(b, "[" SL_SDID);
	sl_param(b, "action", r->action);
	sl_param(b, "rule", r->rule);
	sl_param(b, "clause", r->clause);
	sl_param(b, "app", r->app);
	sl_param(b, "category", r->category);
	sl_param(b, "host", r->host);
	sl_param(b, "hostSource", r->host_source);
	sl_param(b, "person", r->person);
	sl_param(b, "group", r->group);
	sl_param(b, "device", r->device);
	sl_param(b, "mac", r->mac);
	sl_param(b, "src", r->ip);
	sl_param(b, "dst", r->dst_ip);
	sl_param_u(b, "dport", r->dst_port);
	sl_param(b, "transport", r->transport);
	sl_param_u(b, "bytesOut", r->bytes_out);
	sl_param_u(b, "bytesIn", r->bytes_in);
	sl_param(b, "inSchoolHours", r->in_school_hours ? "1" : "0");
	sl_putc(b, ']');
}

int
rpt_syslog5424(const struct rec_flow *r, const char *hostname, int pid,
    char *out, size_t outlen)
{
	struct sl_buf b = { out, outlen, 0, 0 };
	char head[64];

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	snprintf(head, sizeof(head), "<%d>1 ",
	    SL_FACILITY * 8 + sl_severity(r->action));
	sl_puts(&b, head);
	sl_timestamp(&b, r->end_us);
	sl_putc(&b, ' ');
	sl_hostname(&b, hostname);
	snprintf(head, sizeof(head), " schoolgate %d flow ", pid);
	sl_puts(&b, head);
	sl_sd(&b, r);
	/* MSG: a short human line; names neutralised as above */
	sl_putc(&b, ' ');
	sl_text(&b, r->action, 0);
	sl_putc(&b, ' ');
	sl_text(&b, r->app, 0);
	sl_putc(&b, ' ');
	sl_text(&b, r->host[0] ? r->host : "-", 0);
	sl_puts(&b, " rule ");
	sl_text(&b, r->rule, 0);
	return b.overflow ? -1 : (int)b.off;
}

/*
 * A seal as an anchor off the gateway: MSGID "seal", severity notice,
 * everything verify --anchors needs to find it in the database, in the
 * structured data and again in MSG ("sealed: seq=N ... mac=HEX"), which
 * is what records/sealverify.c reads back.
 */
int
rpt_syslog5424_seal(const struct rec_seal_info *si, const char *hostname,
    int pid, char *out, size_t outlen)
{
	struct sl_buf b = { out, outlen, 0, 0 };
	char head[64];

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	snprintf(head, sizeof(head), "<%d>1 ", SL_FACILITY * 8 + 5);
	sl_puts(&b, head);
	sl_timestamp(&b, si->ts_us);
	sl_putc(&b, ' ');
	sl_hostname(&b, hostname);
	snprintf(head, sizeof(head), " schoolgate %d seal [" SL_SDID, pid);
	sl_puts(&b, head);
	sl_param_u(&b, "seq", si->seq);
	sl_param_u(&b, "flowRow", (unsigned long long)si->flow_id);
	sl_param(&b, "flowsHead", si->flow_head);
	sl_param_u(&b, "eventRow", (unsigned long long)si->event_id);
	sl_param(&b, "eventsHead", si->event_head);
	sl_param(&b, "mac", si->mac);
	/* MSG repeats it: file templates often drop structured data */
	snprintf(head, sizeof(head), "] sealed: seq=%llu flowRow=%lld",
	    (unsigned long long)si->seq, (long long)si->flow_id);
	sl_puts(&b, head);
	sl_puts(&b, " flowsHead=");
	sl_text(&b, si->flow_head, 0);
	snprintf(head, sizeof(head), " eventRow=%lld eventsHead=",
	    (long long)si->event_id);
	sl_puts(&b, head);
	sl_text(&b, si->event_head, 0);
	sl_puts(&b, " mac=");
	sl_text(&b, si->mac, 0);
	return b.overflow ? -1 : (int)b.off;
}

int
rpt_syslog_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}
