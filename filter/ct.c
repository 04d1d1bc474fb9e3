/*
 * Conntrack accounting.  User space sees only the first packets of each
 * flow; the kernel counts the rest, and its DESTROY events and dumps are
 * where records get their totals.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ct.h"

#define CT_SYSCTL_ACCT	"/proc/sys/net/netfilter/nf_conntrack_acct"
#define CT_SYSCTL_TSTAMP "/proc/sys/net/netfilter/nf_conntrack_timestamp"

struct ct_watch {
	struct nfct_handle	*h;
	uint64_t		 lost;
	unsigned int		 delivered;	/* during one ct_watch_read */
	ct_cb			*cb;
	void			*cb_arg;
};

struct ct_dump_ctx {
	uint32_t		 mask;
	ct_cb			*cb;
	void			*cb_arg;
};

/* Already on is fine: under systemd's ProtectKernelTunables /proc/sys is
 * read-only, and the unit's ExecStartPre turns these on instead. */
static int
ct_sysctl_enable(const char *path)
{
	char	 v = '0';
	int	 fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		if (read(fd, &v, 1) != 1)
			v = '0';
		close(fd);
		if (v == '1')
			return 0;
	}
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	if (write(fd, "1\n", 2) != 2) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

int
ct_enable_accounting(void)
{
	if (ct_sysctl_enable(CT_SYSCTL_ACCT) == -1 ||
	    ct_sysctl_enable(CT_SYSCTL_TSTAMP) == -1)
		return -1;
	return 0;
}

static void
ct_addr(const struct nf_conntrack *ct, uint8_t family, int attr4, int attr6,
    struct sg_addr *a)
{
	uint32_t	 v4;

	memset(a, 0, sizeof(*a));
	if (family == AF_INET && nfct_attr_is_set(ct, attr4) > 0) {
		v4 = nfct_get_attr_u32(ct, attr4);	/* network order */
		memcpy(a->a, &v4, sizeof(v4));
		a->family = AF_INET;
	} else if (family == AF_INET6 && nfct_attr_is_set(ct, attr6) > 0) {
		memcpy(a->a, nfct_get_attr(ct, attr6), 16);
		a->family = AF_INET6;
	}
}

/* Attributes the kernel left out (no ports for ICMP, accounting off) read 0. */
static uint64_t
ct_u64(const struct nf_conntrack *ct, int attr)
{
	return nfct_attr_is_set(ct, attr) > 0 ? nfct_get_attr_u64(ct, attr) : 0;
}

static uint16_t
ct_port(const struct nf_conntrack *ct, int attr)
{
	return nfct_attr_is_set(ct, attr) > 0 ?
	    ntohs(nfct_get_attr_u16(ct, attr)) : 0;
}

static void
ct_entry_from(const struct nf_conntrack *ct, bool destroyed,
    struct ct_entry *e)
{
	uint8_t	 family = 0;

	memset(e, 0, sizeof(*e));
	if (nfct_attr_is_set(ct, ATTR_L3PROTO) > 0)
		family = nfct_get_attr_u8(ct, ATTR_L3PROTO);
	ct_addr(ct, family, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC, &e->src);
	ct_addr(ct, family, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST, &e->dst);
	e->sport = ct_port(ct, ATTR_ORIG_PORT_SRC);
	e->dport = ct_port(ct, ATTR_ORIG_PORT_DST);
	if (nfct_attr_is_set(ct, ATTR_L4PROTO) > 0)
		e->proto = nfct_get_attr_u8(ct, ATTR_L4PROTO);
	if (nfct_attr_is_set(ct, ATTR_MARK) > 0)
		e->mark = nfct_get_attr_u32(ct, ATTR_MARK);
	e->pkts[0] = ct_u64(ct, ATTR_ORIG_COUNTER_PACKETS);
	e->pkts[1] = ct_u64(ct, ATTR_REPL_COUNTER_PACKETS);
	e->bytes[0] = ct_u64(ct, ATTR_ORIG_COUNTER_BYTES);
	e->bytes[1] = ct_u64(ct, ATTR_REPL_COUNTER_BYTES);
	e->start_us = ct_u64(ct, ATTR_TIMESTAMP_START) / 1000;
	e->stop_us = ct_u64(ct, ATTR_TIMESTAMP_STOP) / 1000;
	e->destroyed = destroyed;
}

static int
ct_watch_event(enum nf_conntrack_msg_type type, struct nf_conntrack *ct,
    void *arg)
{
	struct ct_watch	*w = arg;
	struct ct_entry	 e;

	ct_entry_from(ct, true, &e);
	w->delivered++;
	w->cb(&e, w->cb_arg);
	return NFCT_CB_CONTINUE;
}

static int
ct_socket_tune(int fd, int rcvbuf)
{
	int	 flags;

	if (rcvbuf > 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		return errno;
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return errno;
	return 0;
}

struct ct_watch *
ct_watch_open(int rcvbuf, int *err)
{
	struct ct_watch	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		*err = ENOMEM;
		return NULL;
	}
	if ((w->h = nfct_open(CONNTRACK, NF_NETLINK_CONNTRACK_DESTROY)) ==
	    NULL) {
		*err = errno != 0 ? errno : EPROTO;
		goto free_watch;
	}
	if ((*err = ct_socket_tune(nfct_fd(w->h), rcvbuf)) != 0)
		goto close_handle;
	if (nfct_callback_register(w->h, NFCT_T_DESTROY, ct_watch_event,
	    w) == -1) {
		*err = errno != 0 ? errno : EINVAL;
		goto close_handle;
	}
	return w;

 close_handle:
	nfct_close(w->h);
 free_watch:
	free(w);
	return NULL;
}

void
ct_watch_close(struct ct_watch *w)
{
	if (w == NULL)
		return;
	nfct_callback_unregister(w->h);
	nfct_close(w->h);
	free(w);
}

int
ct_watch_fd(const struct ct_watch *w)
{
	return nfct_fd(w->h);
}

int
ct_watch_read(struct ct_watch *w, ct_cb *cb, void *arg)
{
	w->cb = cb;
	w->cb_arg = arg;
	w->delivered = 0;
	/* On a non-blocking socket nfct_catch reads until the queue is empty. */
	if (nfct_catch(w->h) != -1)
		return 0;
	if (errno == ENOBUFS) {
		w->lost++;
		return 0;
	}
	if (errno == EAGAIN && w->delivered > 0)
		return 0;
	return -1;
}

uint64_t
ct_watch_lost(const struct ct_watch *w)
{
	return w->lost;
}

static int
ct_dump_entry(enum nf_conntrack_msg_type type, struct nf_conntrack *ct,
    void *arg)
{
	struct ct_dump_ctx	*d = arg;
	struct ct_entry		 e;

	ct_entry_from(ct, false, &e);
	if (d->mask == 0 || (e.mark & d->mask) != 0)
		d->cb(&e, d->cb_arg);
	return NFCT_CB_CONTINUE;
}

int
ct_dump(uint32_t mask, ct_cb *cb, void *arg)
{
	struct nfct_handle	*h;
	struct ct_dump_ctx	 d = { mask, cb, arg };
	uint32_t		 family = AF_UNSPEC;	/* both v4 and v6 */
	int			 ret, saved;

	if ((h = nfct_open(CONNTRACK, 0)) == NULL)
		return -1;
	if (nfct_callback_register(h, NFCT_T_ALL, ct_dump_entry, &d) == -1) {
		ret = -1;
		goto close_handle;
	}
	ret = nfct_query(h, NFCT_Q_DUMP, &family);
 close_handle:
	saved = errno;
	nfct_close(h);
	errno = saved;
	return ret == -1 ? -1 : 0;
}

/* The original tuple of key as a conntrack object; NULL for protocols
 * without ports, whose tuples we do not keep. */
static struct nf_conntrack *
ct_tuple_new(const struct ct_entry *key)
{
	struct nf_conntrack *ct;

	if ((key->proto != IPPROTO_TCP && key->proto != IPPROTO_UDP) ||
	    (key->src.family != AF_INET && key->src.family != AF_INET6)) {
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	if ((ct = nfct_new()) == NULL)
		return NULL;
	nfct_set_attr_u8(ct, ATTR_L3PROTO, key->src.family);
	if (key->src.family == AF_INET) {
		nfct_set_attr(ct, ATTR_IPV4_SRC, key->src.a);
		nfct_set_attr(ct, ATTR_IPV4_DST, key->dst.a);
	} else {
		nfct_set_attr(ct, ATTR_IPV6_SRC, key->src.a);
		nfct_set_attr(ct, ATTR_IPV6_DST, key->dst.a);
	}
	nfct_set_attr_u8(ct, ATTR_L4PROTO, key->proto);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(key->sport));
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(key->dport));
	return ct;
}

static int
ct_get_entry(enum nf_conntrack_msg_type type, struct nf_conntrack *ct,
    void *arg)
{
	ct_entry_from(ct, false, arg);
	return NFCT_CB_STOP;
}

int
ct_get(const struct ct_entry *key, struct ct_entry *out)
{
	struct nf_conntrack	*ct;
	struct nfct_handle	*h = NULL;
	int			 ret = -1, saved;

	memset(out, 0, sizeof(*out));
	if ((ct = ct_tuple_new(key)) == NULL)
		return -1;
	if ((h = nfct_open(CONNTRACK, 0)) == NULL ||
	    nfct_callback_register(h, NFCT_T_ALL, ct_get_entry, out) == -1)
		goto done;
	ret = nfct_query(h, NFCT_Q_GET, ct);
 done:
	saved = errno;
	if (h != NULL)
		nfct_close(h);
	nfct_destroy(ct);
	errno = saved;
	return ret == -1 ? -1 : 0;
}

/*
 * An update (IPCTNL_MSG_CT_NEW without NLM_F_CREATE) carrying CTA_MARK
 * and CTA_MARK_MASK: the kernel keeps the mark's bits outside the mask
 * and sets ours in one step, so a QoS or multi-WAN rule changing its own
 * bits at the same moment loses nothing.  libnetfilter_conntrack 1.0.9
 * builds the tuple and the mark; the mask is added here.
 */
int
ct_set_mark(const struct ct_entry *key, uint32_t mark, uint32_t mask)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket	*nl = NULL;
	struct nf_conntrack	*ct;
	struct nlmsghdr		*nlh;
	struct nfgenmsg		*nfh;
	unsigned int		 seq = (unsigned int)time(NULL), portid;
	ssize_t			 n;
	int			 ret = -1, saved;

	if ((ct = ct_tuple_new(key)) == NULL)
		return -1;
	nfct_set_attr_u32(ct, ATTR_MARK, mark & mask);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfh));
	nfh->nfgen_family = key->src.family;
	nfh->version = NFNETLINK_V0;
	nfh->res_id = 0;
	if (nfct_nlmsg_build(nlh, ct) == -1)
		goto done;
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(mask));
	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1)
		goto done;
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1 ||
	    (n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) == -1)
		goto done;
	/* the ack: 0, or -1 with the kernel's errno (ENOENT: gone) */
	ret = mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL) == -1 ?
	    -1 : 0;
 done:
	saved = errno;
	if (nl != NULL)
		mnl_socket_close(nl);
	nfct_destroy(ct);
	errno = saved;
	return ret;
}
