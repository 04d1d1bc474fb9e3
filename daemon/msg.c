/*
 * Typed, length-checked messages over SOCK_SEQPACKET (see msg.h for why
 * datagrams).  Nothing here logs: errors are returned to the caller.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include "engine.h"
#include "msg.h"
#include "records.h"	/* enum rec_error, for MSG_WSTATS */

static_assert(sizeof(struct msg_hdr) == 8, "msg_hdr has padding");
static_assert(sizeof(struct msg_lease) == 96, "msg_lease has padding");
static_assert(sizeof(struct msg_queue) == 16 + MSG_IFNAMES_MAX * 20,
    "msg_queue has padding");
static_assert(sizeof(struct msg_pkt) == 48, "msg_pkt has padding");
static_assert(sizeof(struct msg_verdict) == 16, "msg_verdict has padding");
static_assert(sizeof(struct msg_stats) == 26 * 8, "msg_stats has padding");
static_assert(sizeof(struct msg_log) == 8 + MSG_LOG_TEXT_MAX,
    "msg_log has padding");
static_assert(sizeof(struct msg_flow) == 1112, "msg_flow has padding");
static_assert(sizeof(struct msg_gapcheck) == 8, "msg_gapcheck has padding");
static_assert(sizeof(struct msg_seal) == 8 + MSG_SEAL_PATH_MAX,
    "msg_seal has padding");
static_assert(sizeof(struct msg_wstats) == 56, "msg_wstats has padding");
static_assert(sizeof(struct msg_event) == 536, "msg_event has padding");
static_assert(sizeof(struct msg_rad) == 240, "msg_rad has padding");
static_assert(sizeof(struct msg_addr) == 20, "msg_addr has padding");
static_assert(sizeof(struct msg_decided) == 1656, "msg_decided has padding");
static_assert(sizeof(struct msg_dns) == 1056, "msg_dns has padding");
static_assert(sizeof(struct msg_offline) == 32, "msg_offline has padding");
static_assert(sizeof(struct msg_ended) == 1664, "msg_ended has padding");
static_assert(sizeof(struct msg_rewrite) == 8 + MSG_REWRITE_MAX,
    "msg_rewrite has padding");

/* Strings that name a field inside a struct: pointer and capacity. */
#define MSG_FIELD(s, f)	(s)->f, sizeof((s)->f)

typedef enum msg_error msg_check_fn(const struct msg *);

struct msg_rule {
	const char	*name;
	size_t		 elem;		/* the payload is n * elem bytes */
	size_t		 min;
	size_t		 max;
	bool		 parts;		/* MSG_F_MORE allowed */
	bool		 fd;		/* exactly one descriptor required */
	msg_check_fn	*check;		/* content, after the length rule */
};

static msg_check_fn msg_check_leases, msg_check_queue, msg_check_packets,
		    msg_check_verdicts, msg_check_log, msg_check_flow,
		    msg_check_event, msg_check_radius, msg_check_decided,
		    msg_check_rewrite, msg_check_dns, msg_check_gapcheck,
		    msg_check_seal, msg_check_wstats, msg_check_offline;

#define MSG_ARRAY_MAX(t)	((MSG_PAYLOAD_MAX / sizeof(t)) * sizeof(t))

static const struct msg_rule msg_rules[MSG_NTYPES] = {
	[MSG_CONFIG] = { "config", 1, 0, MSG_PAYLOAD_MAX, true, false, NULL },
	[MSG_LEASES] = { "leases", sizeof(struct msg_lease), 0,
	    MSG_ARRAY_MAX(struct msg_lease), true, false, msg_check_leases },
	[MSG_QUEUE_FD] = { "queue-fd", sizeof(struct msg_queue),
	    sizeof(struct msg_queue), sizeof(struct msg_queue), false, true,
	    msg_check_queue },
	[MSG_PACKETS] = { "packets", 1, sizeof(struct msg_pkt),
	    MSG_PAYLOAD_MAX, false, false, msg_check_packets },
	[MSG_VERDICTS] = { "verdicts", sizeof(struct msg_verdict),
	    sizeof(struct msg_verdict),
	    MSG_VERDICT_BATCH_MAX * sizeof(struct msg_verdict), false, false,
	    msg_check_verdicts },
	[MSG_STATS] = { "stats", sizeof(struct msg_stats),
	    sizeof(struct msg_stats), sizeof(struct msg_stats), false, false,
	    NULL },
	[MSG_LOG] = { "log", sizeof(struct msg_log), sizeof(struct msg_log),
	    sizeof(struct msg_log), false, false, msg_check_log },
	[MSG_FLOW] = { "flow", sizeof(struct msg_flow), sizeof(struct msg_flow),
	    sizeof(struct msg_flow), false, false, msg_check_flow },
	[MSG_EVENT] = { "event", sizeof(struct msg_event),
	    sizeof(struct msg_event), sizeof(struct msg_event), false, false,
	    msg_check_event },
	[MSG_RADIUS] = { "radius", sizeof(struct msg_rad), 0,
	    MSG_ARRAY_MAX(struct msg_rad), true, false, msg_check_radius },
	[MSG_DECIDED] = { "decided", sizeof(struct msg_decided),
	    sizeof(struct msg_decided), sizeof(struct msg_decided), false,
	    false, msg_check_decided },
	[MSG_REWRITE] = { "rewrite", sizeof(struct msg_rewrite),
	    sizeof(struct msg_rewrite), sizeof(struct msg_rewrite), false,
	    false, msg_check_rewrite },
	[MSG_ENG_STATS] = { "eng-stats", sizeof(struct eng_stats),
	    sizeof(struct eng_stats), sizeof(struct eng_stats), false, false,
	    NULL },
	[MSG_DNS] = { "dns", sizeof(struct msg_dns), sizeof(struct msg_dns),
	    sizeof(struct msg_dns), false, false, msg_check_dns },
	[MSG_SYSLOG_FD] = { "syslog-fd", 1, 0, 0, false, true, NULL },
	[MSG_GAPCHECK] = { "gapcheck", sizeof(struct msg_gapcheck),
	    sizeof(struct msg_gapcheck), sizeof(struct msg_gapcheck), false,
	    false, msg_check_gapcheck },
	[MSG_SEAL] = { "seal", sizeof(struct msg_seal), sizeof(struct msg_seal),
	    sizeof(struct msg_seal), false, false, msg_check_seal },
	[MSG_ANCHOR_FD] = { "anchor-fd", 1, 0, 0, false, true, NULL },
	[MSG_WSTATS] = { "wstats", sizeof(struct msg_wstats),
	    sizeof(struct msg_wstats), sizeof(struct msg_wstats), false, false,
	    msg_check_wstats },
	[MSG_OFFLINE] = { "offline", sizeof(struct msg_offline),
	    sizeof(struct msg_offline), sizeof(struct msg_offline), false,
	    false, msg_check_offline },
	/* the embedded msg_decided comes first: its check reads only that */
	[MSG_ENDED] = { "ended", sizeof(struct msg_ended),
	    sizeof(struct msg_ended), sizeof(struct msg_ended), false,
	    false, msg_check_decided },
};

const char *
msg_strerror(enum msg_error e)
{
	switch (e) {
	case MSG_OK:		return "ok";
	case MSG_E_SHORT:	return "shorter than a header";
	case MSG_E_TRUNC:	return "truncated";
	case MSG_E_LEN:		return "wrong length";
	case MSG_E_TYPE:	return "unknown type";
	case MSG_E_FLAGS:	return "bad flags";
	case MSG_E_FD:		return "descriptor missing or unexpected";
	case MSG_E_STRING:	return "unterminated string";
	case MSG_E_UTF8:	return "string not UTF-8";
	case MSG_E_RANGE:	return "value out of range";
	}
	return "unknown error";
}

const char *
msg_type_name(unsigned type)
{
	if (type == MSG_NONE || type >= MSG_NTYPES)
		return "unknown";
	return msg_rules[type].name;
}

/*
 * The length of the valid UTF-8 sequence at s (avail bytes, no NUL among
 * them), or 0.  RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF.
 */
static size_t
msg_utf8_seq(const uint8_t *s, size_t avail)
{
	size_t		 n, k;
	uint32_t	 cp, min;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 1; cp = s[0] & 0x1f; min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 2; cp = s[0] & 0x0f; min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 3; cp = s[0] & 0x07; min = 0x10000;
	} else
		return 0;
	if (n >= avail)
		return 0;
	for (k = 1; k <= n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n + 1;
}

/* The string ends at its NUL or at len. */
bool
msg_utf8_valid(const char *str, size_t len)
{
	const uint8_t	*s = (const uint8_t *)str;
	size_t		 i = 0, n;

	len = strnlen(str, len);
	for (i = 0; i < len; i += n)
		if ((n = msg_utf8_seq(s + i, len - i)) == 0)
			return false;
	return true;
}

void
msg_copy_utf8(char *dst, size_t dstlen, const char *src)
{
	const uint8_t	*s = (const uint8_t *)src;
	size_t		 i = 0, o = 0, n, len = strlen(src);

	if (dstlen == 0)
		return;
	for (i = 0; i < len; i += n) {
		if ((n = msg_utf8_seq(s + i, len - i)) == 0) {
			if (o + 4 >= dstlen)
				break;
			snprintf(dst + o, 5, "\\x%02x", s[i]);
			o += 4;
			n = 1;
			continue;
		}
		if (o + n >= dstlen)
			break;
		memcpy(dst + o, s + i, n);
		o += n;
	}
	dst[o] = '\0';
}

static enum msg_error
msg_check_str(const char *s, size_t cap, bool utf8)
{
	if (memchr(s, '\0', cap) == NULL)
		return MSG_E_STRING;
	if (utf8 && !msg_utf8_valid(s, cap))
		return MSG_E_UTF8;
	return MSG_OK;
}

/* The first error of a list of string checks. */
static enum msg_error
msg_first(const enum msg_error *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (e[i] != MSG_OK)
			return e[i];
	return MSG_OK;
}

static enum msg_error
msg_check_leases(const struct msg *m)
{
	const struct msg_lease	*l = (const struct msg_lease *)m->data;
	size_t			 n = msg_count(m, sizeof(*l));

	for (size_t i = 0; i < n; i++) {
		if (l[i].family != 2 && l[i].family != 10)	/* AF_INET{,6} */
			return MSG_E_RANGE;
		if (msg_check_str(MSG_FIELD(&l[i], hostname), false) != MSG_OK)
			return MSG_E_STRING;
	}
	return MSG_OK;
}

static enum msg_error
msg_check_queue(const struct msg *m)
{
	const struct msg_queue	*q = (const struct msg_queue *)m->data;

	if (q->queue > 0xffff || q->nifs > MSG_IFNAMES_MAX || q->portid == 0)
		return MSG_E_RANGE;
	for (size_t i = 0; i < q->nifs; i++)
		if (q->ifs[i].index == 0 ||
		    msg_check_str(MSG_FIELD(&q->ifs[i], name), false) != MSG_OK)
			return MSG_E_STRING;
	return MSG_OK;
}

static size_t
msg_pkt_span(size_t len)
{
	return sizeof(struct msg_pkt) + ((len + 7) & ~(size_t)7);
}

/* Walks the batch as msg_pkt_next will, so that one never fails. */
static enum msg_error
msg_check_packets(const struct msg *m)
{
	const struct msg_pkt	*p;
	size_t			 off = 0, n = 0;

	while (off < m->hdr.len) {
		if (m->hdr.len - off < sizeof(*p))
			return MSG_E_LEN;
		p = (const struct msg_pkt *)(m->data + off);
		if (msg_pkt_span(p->len) > m->hdr.len - off)
			return MSG_E_LEN;
		if (p->has_mac > 1 || ++n > MSG_PKT_BATCH_MAX)
			return MSG_E_RANGE;
		if (msg_check_str(MSG_FIELD(p, iface), false) != MSG_OK)
			return MSG_E_STRING;
		off += msg_pkt_span(p->len);
	}
	return MSG_OK;
}

static enum msg_error
msg_check_verdicts(const struct msg *m)
{
	const struct msg_verdict *v = (const struct msg_verdict *)m->data;
	size_t			 n = msg_count(m, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		if (v[i].verdict >= MSG_V_NKINDS)
			return MSG_E_RANGE;
	return MSG_OK;
}

static enum msg_error
msg_check_log(const struct msg *m)
{
	const struct msg_log	*l = (const struct msg_log *)m->data;

	if (l->priority < LOG_EMERG || l->priority > LOG_DEBUG)
		return MSG_E_RANGE;
	return msg_check_str(MSG_FIELD(l, text), true);
}

static enum msg_error
msg_check_flow(const struct msg *m)
{
	const struct msg_flow	*f = (const struct msg_flow *)m->data;
	enum msg_error		 e[] = {
		msg_check_str(MSG_FIELD(f, device), true),
		msg_check_str(MSG_FIELD(f, mac), true),
		msg_check_str(MSG_FIELD(f, ip), true),
		msg_check_str(MSG_FIELD(f, person), true),
		msg_check_str(MSG_FIELD(f, group), true),
		msg_check_str(MSG_FIELD(f, app), true),
		msg_check_str(MSG_FIELD(f, category), true),
		msg_check_str(MSG_FIELD(f, host), true),
		msg_check_str(MSG_FIELD(f, dst_ip), true),
		msg_check_str(MSG_FIELD(f, transport), true),
		msg_check_str(MSG_FIELD(f, rule), true),
		msg_check_str(MSG_FIELD(f, clause), true),
		msg_check_str(MSG_FIELD(f, source), true),
		msg_check_str(MSG_FIELD(f, id_source), true),
	};

	if (f->action > SG_BLOCK || f->host_src > SG_HOST_IPLIST ||
	    f->in_school_hours > 1 || f->end_us < f->start_us)
		return MSG_E_RANGE;
	return msg_first(e, sizeof(e) / sizeof(e[0]));
}

static enum msg_error
msg_check_event(const struct msg *m)
{
	const struct msg_event	*ev = (const struct msg_event *)m->data;
	enum msg_error		 e;

	if ((e = msg_check_str(MSG_FIELD(ev, kind), false)) != MSG_OK)
		return e;
	if (ev->kind[0] == '\0' ||
	    ev->kind[strspn(ev->kind, "abcdefghijklmnopqrstuvwxyz-")] != '\0')
		return MSG_E_RANGE;
	return msg_check_str(MSG_FIELD(ev, detail), true);
}

static bool
msg_family_ok(const struct msg_addr *a, bool unset_ok)
{
	return a->family == 2 || a->family == 10 ||	/* AF_INET{,6} */
	    (unset_ok && a->family == 0);
}

static enum msg_error
msg_check_radius(const struct msg *m)
{
	const struct msg_rad	*r = (const struct msg_rad *)m->data;
	size_t			 n = msg_count(m, sizeof(*r));

	for (size_t i = 0; i < n; i++) {
		enum msg_error e[] = {
			msg_check_str(MSG_FIELD(&r[i], user), true),
			msg_check_str(MSG_FIELD(&r[i], sid), false),
			msg_check_str(MSG_FIELD(&r[i], nas), false),
		};
		if (r[i].has_mac > 1 || (r[i].ip4_family != 0 &&
		    r[i].ip4_family != 2) || (r[i].ip6_family != 0 &&
		    r[i].ip6_family != 10))
			return MSG_E_RANGE;
		if (msg_first(e, sizeof(e) / sizeof(e[0])) != MSG_OK)
			return msg_first(e, sizeof(e) / sizeof(e[0]));
	}
	return MSG_OK;
}

static enum msg_error
msg_check_decided(const struct msg *m)
{
	const struct msg_decided *d = (const struct msg_decided *)m->data;
	enum msg_error		 e[] = {
		msg_check_str(MSG_FIELD(d, iface), true),
		msg_check_str(MSG_FIELD(d, master), true),
		msg_check_str(MSG_FIELD(d, proto_name), true),
		msg_check_str(MSG_FIELD(d, kept_host), true),
		msg_check_str(MSG_FIELD(d, user), true),
		msg_check_str(MSG_FIELD(d, addr_list), true),
	};

	if (!msg_family_ok(&d->src, false) || !msg_family_ok(&d->dst, false) ||
	    d->src.family != d->dst.family ||
	    !msg_family_ok(&d->kept_ip, true) || d->direct > 1 ||
	    d->id_source > 6 /* IDSRC_AS_GROUP */ || d->kept_has_mac > 1 ||
	    d->kept_fixed > 1)
		return MSG_E_RANGE;
	if (msg_first(e, sizeof(e) / sizeof(e[0])) != MSG_OK)
		return msg_first(e, sizeof(e) / sizeof(e[0]));
	/* the record comes first, laid out as a MSG_FLOW's */
	return msg_check_flow(m);
}

static enum msg_error
msg_check_rewrite(const struct msg *m)
{
	const struct msg_rewrite *r = (const struct msg_rewrite *)m->data;

	return r->len >= 1 && r->len <= MSG_REWRITE_MAX ? MSG_OK : MSG_E_RANGE;
}

static enum msg_error
msg_check_dns(const struct msg *m)
{
	const struct msg_dns	*d = (const struct msg_dns *)m->data;

	if (!msg_family_ok(&d->client, false) || d->nanswers < 1 ||
	    d->nanswers > sizeof(d->answers) / sizeof(d->answers[0]))
		return MSG_E_RANGE;
	for (uint32_t i = 0; i < d->nanswers; i++)
		if (!msg_family_ok(&d->answers[i].addr, false))
			return MSG_E_RANGE;
	return msg_check_str(MSG_FIELD(d, qname), false);
}

static enum msg_error
msg_check_gapcheck(const struct msg *m)
{
	const struct msg_gapcheck *g = (const struct msg_gapcheck *)m->data;

	return g->fail_open > 1 ? MSG_E_RANGE : MSG_OK;
}

static enum msg_error
msg_check_seal(const struct msg *m)
{
	const struct msg_seal *s = (const struct msg_seal *)m->data;
	enum msg_error e;

	if ((e = msg_check_str(MSG_FIELD(s, state), false)) != MSG_OK)
		return e;
	if (s->interval_s == 0 || s->interval_s > MSG_SEAL_INTERVAL_MAX ||
	    s->state[0] == '\0')
		return MSG_E_RANGE;
	return MSG_OK;
}

static enum msg_error
msg_check_wstats(const struct msg *m)
{
	const struct msg_wstats	*w = (const struct msg_wstats *)m->data;

	if (w->last_error > REC_ERR_NOMEM || w->failing > 1 || w->ready > 1)
		return MSG_E_RANGE;
	return MSG_OK;
}

static enum msg_error
msg_check_offline(const struct msg *m)
{
	const struct msg_offline *o = (const struct msg_offline *)m->data;

	if (o->op >= MSG_OFF_NOPS || o->stats > 1 || o->as_group < -1 ||
	    o->as_device < -1)
		return MSG_E_RANGE;
	return MSG_OK;
}

/* m->hdr and the first n - header bytes of m->data hold the datagram. */
static enum msg_error
msg_check(const struct msg *m, size_t n, int fd)
{
	const struct msg_rule	*r;

	if (n < sizeof(m->hdr))
		return MSG_E_SHORT;
	if (n > MSG_MAX)
		return MSG_E_TRUNC;
	/* the one length that counts is the datagram's; the header must
	 * agree with it */
	if (m->hdr.len != n - sizeof(m->hdr))
		return MSG_E_LEN;
	if (m->hdr.type == MSG_NONE || m->hdr.type >= MSG_NTYPES)
		return MSG_E_TYPE;
	r = &msg_rules[m->hdr.type];
	if ((m->hdr.flags & ~MSG_F_ALL) != 0 ||
	    ((m->hdr.flags & MSG_F_MORE) != 0 && !r->parts))
		return MSG_E_FLAGS;
	if (r->fd != (fd >= 0))
		return MSG_E_FD;
	if (m->hdr.len < r->min || m->hdr.len > r->max ||
	    m->hdr.len % r->elem != 0)
		return MSG_E_LEN;
	return r->check != NULL ? r->check(m) : MSG_OK;
}

enum msg_error
msg_parse(struct msg *m, const void *buf, size_t len, int fd)
{
	enum msg_error	 e;

	m->fd = -1;
	memset(&m->hdr, 0, sizeof(m->hdr));
	if (len < sizeof(m->hdr))
		return MSG_E_SHORT;
	if (len > MSG_MAX)
		return MSG_E_TRUNC;
	memcpy(&m->hdr, buf, sizeof(m->hdr));
	memcpy(m->data, (const uint8_t *)buf + sizeof(m->hdr),
	    len - sizeof(m->hdr));
	if ((e = msg_check(m, len, fd)) == MSG_OK)
		m->fd = fd;
	return e;
}

int
msg_socketpair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
}

int
msg_send(int sock, uint16_t type, uint16_t flags, const void *payload,
    size_t len, int fd)
{
	struct msg_hdr	 hdr = { type, flags, (uint32_t)len };
	struct iovec	 iov[2] = {
		{ &hdr, sizeof(hdr) },
		{ (void *)(uintptr_t)payload, len },
	};
	union {
		struct cmsghdr	 align;
		char		 buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr	 mh = { .msg_iov = iov, .msg_iovlen = 2 };
	struct cmsghdr	*cm;

	if (len > MSG_PAYLOAD_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	while (sendmsg(sock, &mh, MSG_NOSIGNAL) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

int
msg_send_blob(int sock, uint16_t type, const void *blob, size_t len,
    size_t elem)
{
	const uint8_t	*p = blob;
	size_t		 part, most = (MSG_PAYLOAD_MAX / elem) * elem;

	do {
		part = len > most ? most : len;
		if (msg_send(sock, type, part < len ? MSG_F_MORE : 0, p, part,
		    -1) == -1)
			return -1;
		p += part;
		len -= part;
	} while (len > 0);
	return 0;
}

/*
 * Every descriptor the datagram carried: the first in *fd, and a count.
 * Extra ones are closed here, since nobody asked for them.
 */
static int
msg_take_fds(struct msghdr *mh, int *fd)
{
	struct cmsghdr	*cm;
	int		 got, count = 0;

	*fd = -1;
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t off = 0; CMSG_LEN(off + sizeof(int)) <=
		    cm->cmsg_len; off += sizeof(int)) {
			memcpy(&got, CMSG_DATA(cm) + off, sizeof(int));
			if (count++ == 0)
				*fd = got;
			else
				close(got);
		}
	}
	return count;
}

int
msg_recv(int sock, struct msg *m, enum msg_error *why)
{
	struct iovec	 iov[2] = {
		{ &m->hdr, sizeof(m->hdr) },
		{ m->data, sizeof(m->data) },
	};
	union {
		struct cmsghdr	 align;
		char		 buf[CMSG_SPACE(4 * sizeof(int))];
	} ctl;
	struct msghdr	 mh = {
		.msg_iov = iov, .msg_iovlen = 2,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	ssize_t		 n;
	int		 fd, nfds;

	*why = MSG_OK;
	m->fd = -1;
	memset(&m->hdr, 0, sizeof(m->hdr));
	while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) == -1)
		if (errno != EINTR)
			return -1;
	nfds = msg_take_fds(&mh, &fd);
	if (n == 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0)
		*why = MSG_E_TRUNC;
	else if (nfds > 1)
		*why = MSG_E_FD;
	else
		*why = msg_check(m, (size_t)n, fd);
	if (*why != MSG_OK) {
		if (fd >= 0)
			close(fd);
		errno = EBADMSG;
		return -1;
	}
	m->fd = fd;
	return 1;
}

size_t
msg_count(const struct msg *m, size_t elem)
{
	return m->hdr.len / elem;
}

int
msg_pkt_add(uint8_t *buf, size_t *len, const struct msg_pkt *p,
    const uint8_t *data)
{
	size_t	 span = msg_pkt_span(p->len);

	if (span > MSG_PAYLOAD_MAX - *len)
		return -1;
	memcpy(buf + *len, p, sizeof(*p));
	memcpy(buf + *len + sizeof(*p), data, p->len);
	memset(buf + *len + sizeof(*p) + p->len, 0,
	    span - sizeof(*p) - p->len);
	*len += span;
	return 0;
}

bool
msg_pkt_next(const struct msg *m, size_t *off, const struct msg_pkt **p,
    const uint8_t **data)
{
	if (m->hdr.type != MSG_PACKETS || *off >= m->hdr.len)
		return false;
	*p = (const struct msg_pkt *)(m->data + *off);
	*data = m->data + *off + sizeof(**p);
	*off += msg_pkt_span((*p)->len);
	return true;
}

void
msg_blob_reset(struct msg_blob *b)
{
	free(b->buf);
	b->buf = NULL;
	b->type = MSG_NONE;
	b->len = b->cap = 0;
	b->done = false;
}

static int
msg_blob_fail(struct msg_blob *b, int err)
{
	msg_blob_reset(b);
	errno = err;
	return -1;
}

int
msg_blob_add(struct msg_blob *b, const struct msg *m)
{
	size_t	 need, cap;
	uint8_t	*nb;

	if (b->done)
		msg_blob_reset(b);
	if (b->type == MSG_NONE)
		b->type = m->hdr.type;
	else if (b->type != m->hdr.type)
		return msg_blob_fail(b, EPROTO);
	if (m->hdr.len > b->max - b->len)
		return msg_blob_fail(b, EMSGSIZE);
	need = b->len + m->hdr.len;
	if (need > b->cap || b->buf == NULL) {
		cap = b->cap * 2 > need ? b->cap * 2 : need;
		if (cap > b->max)
			cap = need;
		if ((nb = realloc(b->buf, cap > 0 ? cap : 1)) == NULL)
			return msg_blob_fail(b, ENOMEM);
		b->buf = nb;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, m->data, m->hdr.len);
	b->len = need;
	b->done = (m->hdr.flags & MSG_F_MORE) == 0;
	return b->done ? 1 : 0;
}
