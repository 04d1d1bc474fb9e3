/*
 * NFQUEUE through libnetfilter_queue's libmnl API.  Configuration
 * messages ask for acks so that EPERM, EBUSY (the queue belongs to
 * another socket) and EOPNOTSUPP reach the caller instead of vanishing.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
/* only the libmnl-based nfq_nlmsg_* helpers of the library are used;
 * ours are named nfq_queue_* to stay clear of its old API's nfq_open */
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "nfq.h"

/* A GSO packet is up to 64 KiB; room for several per recv. */
#define NFQ_RECV_BUFSIZE	(256 * 1024)
/* Bound one nfq_receive so a flood cannot starve the caller's loop. */
#define NFQ_RECV_BATCH		64
#define NFQ_IFCACHE_SIZE	64
/* Verdict and configuration messages are a few dozen bytes, plus a
 * rewritten packet's. */
#define NFQ_SEND_BUFSIZE	(512 + NFQ_PKT_MAX)
/* Verdicts held for one send (nfq_hold): a few hundred at most. */
#define NFQ_HOLD_BUFSIZE	(64 * 1024)

struct nfq_ifcache {
	unsigned int	 index;		/* 0: empty slot */
	char		 name[IF_NAMESIZE];
};

struct nfq_queue {
	struct mnl_socket	*nl;	/* NULL: adopted (nfq_queue_adopt) */
	int			 fd;
	unsigned int		 portid;
	uint16_t		 queue;
	uint32_t		 seq;
	struct nfq_stats	 stats;
	nfq_cb			*cb;	/* set during nfq_receive only */
	void			*cb_arg;
	struct nfq_ifcache	 ifcache[NFQ_IFCACHE_SIZE];
	/* adopted: the only names, given (no socket for if_indextoname) */
	struct nfq_ifcache	 ifnames[NFQ_IFNAMES_MAX];
	size_t			 nifnames;
	char			 sendbuf[NFQ_SEND_BUFSIZE];
	char			 recvbuf[NFQ_RECV_BUFSIZE];
	bool			 holding;
	size_t			 held;
	char			 holdbuf[NFQ_HOLD_BUFSIZE];
};

/* Where the next message is built: after the verdicts held, or alone. */
static char *
nfq_out_buf(struct nfq_queue *q)
{
	if (!q->holding)
		return q->sendbuf;
	if (q->held + NFQ_SEND_BUFSIZE > sizeof(q->holdbuf))
		(void)nfq_release(q);
	q->holding = true;
	return q->holdbuf + q->held;
}

static int
nfq_out(struct nfq_queue *q, const struct nlmsghdr *nlh)
{
	if (q->holding) {
		q->held += NLMSG_ALIGN(nlh->nlmsg_len);
		return 0;
	}
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
		q->stats.verdict_errors++;
		return -1;
	}
	return 0;
}

void
nfq_hold(struct nfq_queue *q)
{
	q->holding = true;
}

/* The kernel takes every message of one send in turn (netlink_rcv_skb),
 * so held verdicts cost one system call, not one each. */
int
nfq_release(struct nfq_queue *q)
{
	size_t n = q->held;

	q->holding = false;
	q->held = 0;
	if (n == 0)
		return 0;
	if (mnl_socket_sendto(q->nl, q->holdbuf, n) < 0) {
		q->stats.verdict_errors++;
		return -1;
	}
	return 0;
}

static int
nfq_verdict_send(struct nfq_queue *q, uint32_t id, int verdict, uint32_t mark)
{
	struct nlmsghdr	*nlh;

	nlh = nfq_nlmsg_put(nfq_out_buf(q), NFQNL_MSG_VERDICT, q->queue);
	nfq_nlmsg_verdict_put(nlh, (int)id, verdict);
	if (mark != 0)
		nfq_nlmsg_verdict_put_mark(nlh, mark);
	return nfq_out(q, nlh);
}

int
nfq_verdict_pkt(struct nfq_queue *q, uint32_t id, const uint8_t *pkt,
    size_t len)
{
	struct nlmsghdr	*nlh;

	if (len > NFQ_PKT_MAX) {	/* never held without a verdict */
		q->stats.verdict_errors++;
		nfq_verdict_send(q, id, NF_DROP, 0);
		errno = EMSGSIZE;
		return -1;
	}
	nlh = nfq_nlmsg_put(nfq_out_buf(q), NFQNL_MSG_VERDICT, q->queue);
	nfq_nlmsg_verdict_put(nlh, (int)id, NF_ACCEPT);
	nfq_nlmsg_verdict_put_pkt(nlh, pkt, (uint32_t)len);
	return nfq_out(q, nlh);
}

/*
 * A packet queued between BIND and the copy-mode ack carries no payload.
 * Repeating it without a mark sends it through the chain and back into
 * the queue, where it arrives again complete.
 */
static int
nfq_config_data_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nfq_queue		*q = arg;
	struct nlattr			*attr[NFQA_MAX + 1] = { 0 };
	const struct nfqnl_msg_packet_hdr *ph;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || attr[NFQA_PACKET_HDR] == NULL ||
	    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(*ph))
		return MNL_CB_OK;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	nfq_verdict_send(q, ntohl(ph->packet_id), NF_REPEAT, 0);
	return MNL_CB_OK;
}

/* Only the ack for our own request ends the wait; other errors answer
 * verdicts. */
static int
nfq_config_error_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nfq_queue	*q = arg;
	const struct nlmsgerr	*e;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	if (nlh->nlmsg_seq != q->seq)
		return MNL_CB_OK;
	e = mnl_nlmsg_get_payload(nlh);
	if (e->error == 0)
		return MNL_CB_STOP;
	errno = -e->error;
	return MNL_CB_ERROR;
}

/* Send one configuration message and wait for its ack. */
static int
nfq_config_send(struct nfq_queue *q, struct nlmsghdr *nlh)
{
	mnl_cb_t	 ctl[NLMSG_MIN_TYPE] = { 0 };
	ssize_t		 n;
	int		 ret = MNL_CB_OK;

	ctl[NLMSG_ERROR] = nfq_config_error_cb;
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++q->seq;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return errno;
	do {
		n = mnl_socket_recvfrom(q->nl, q->recvbuf, sizeof(q->recvbuf));
		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			return errno;
		}
		errno = 0;
		ret = mnl_cb_run2(q->recvbuf, (size_t)n, q->seq, q->portid,
		    nfq_config_data_cb, q, ctl, NLMSG_MIN_TYPE);
		if (ret < 0)
			return errno != 0 ? errno : EPROTO;
	} while (ret != MNL_CB_STOP);
	return 0;
}

static int
nfq_bind(struct nfq_queue *q, const struct nfq_opts *opts)
{
	struct nlmsghdr	*nlh;
	uint32_t	 flags;
	int		 err;

	nlh = nfq_nlmsg_put(q->sendbuf, NFQNL_MSG_CONFIG, q->queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	if ((err = nfq_config_send(q, nlh)) != 0)
		return err;

	flags = NFQA_CFG_F_GSO;
	if (opts->fail_open)
		flags |= NFQA_CFG_F_FAIL_OPEN;
	nlh = nfq_nlmsg_put(q->sendbuf, NFQNL_MSG_CONFIG, q->queue);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	if (opts->maxlen != 0)
		nfq_nlmsg_cfg_put_qmaxlen(nlh, opts->maxlen);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags));
	return nfq_config_send(q, nlh);
}

static int
nfq_socket_tune(struct nfq_queue *q, const struct nfq_opts *opts)
{
	int	 fd = mnl_socket_get_fd(q->nl);
	int	 off = 0;

	/* Overruns must be seen: each one is a packet that went unjudged. */
	if (setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &off,
	    sizeof(off)) == -1)
		return errno;
	if (opts->rcvbuf > 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &opts->rcvbuf,
	    sizeof(opts->rcvbuf)) == -1 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &opts->rcvbuf,
	    sizeof(opts->rcvbuf)) == -1)
		return errno;
	return 0;
}

static int
nfq_set_nonblock(struct nfq_queue *q)
{
	int	 fd = mnl_socket_get_fd(q->nl);
	int	 flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return errno;
	return 0;
}

struct nfq_queue *
nfq_queue_open(const struct nfq_opts *opts, int *err)
{
	struct nfq_queue	*q;

	if ((q = calloc(1, sizeof(*q))) == NULL) {
		*err = ENOMEM;
		return NULL;
	}
	q->queue = opts->queue;
	if ((q->nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL) {
		*err = errno;
		goto free_queue;
	}
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		*err = errno;
		goto close_socket;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	q->fd = mnl_socket_get_fd(q->nl);
	if ((*err = nfq_socket_tune(q, opts)) != 0 ||
	    (*err = nfq_bind(q, opts)) != 0 ||
	    (*err = nfq_set_nonblock(q)) != 0)
		goto close_socket;
	return q;

 close_socket:
	/* Closing the socket unbinds the queue in the kernel. */
	mnl_socket_close(q->nl);
 free_queue:
	free(q);
	return NULL;
}

/*
 * The socket of a queue bound elsewhere, to receive from: in a process
 * without CAP_NET_ADMIN, which may read a queue but not answer it.  Its
 * interfaces' names are given, since naming one costs a socket.
 */
struct nfq_queue *
nfq_queue_adopt(int fd, uint16_t queue, uint32_t portid,
    const struct nfq_ifname *names, size_t nnames)
{
	struct nfq_queue	*q;

	if (nnames > NFQ_IFNAMES_MAX || (q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->fd = fd;
	q->queue = queue;
	q->portid = portid;
	for (size_t i = 0; i < nnames; i++) {
		q->ifnames[i].index = names[i].index;
		memcpy(q->ifnames[i].name, names[i].name, IF_NAMESIZE);
		q->ifnames[i].name[IF_NAMESIZE - 1] = '\0';
	}
	q->nifnames = nnames;
	return q;
}

void
nfq_queue_close(struct nfq_queue *q)
{
	if (q == NULL)
		return;
	if (q->nl != NULL)
		mnl_socket_close(q->nl);
	else
		close(q->fd);
	free(q);
}

int
nfq_queue_fd(const struct nfq_queue *q)
{
	return q->fd;
}

uint32_t
nfq_queue_portid(const struct nfq_queue *q)
{
	return q->portid;
}

/*
 * Every packet still held, up to about 2^30 ids after last: the kernel
 * answers in one go all those not after the id given, in queue order,
 * so the ones a lost reader took are not stranded.
 */
int
nfq_verdict_all(struct nfq_queue *q, uint32_t last, enum nfq_verdict verdict)
{
	struct nlmsghdr	*nlh;

	if (q->nl == NULL || verdict == NFQ_REPEAT_MARK) {
		errno = EINVAL;
		return -1;
	}
	(void)nfq_release(q);	/* the verdicts held come first */
	nlh = nfq_nlmsg_put(q->sendbuf, NFQNL_MSG_VERDICT_BATCH, q->queue);
	nfq_nlmsg_verdict_put(nlh, (int)(last + (1u << 30)),
	    verdict == NFQ_ACCEPT ? NF_ACCEPT : NF_DROP);
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
		q->stats.verdict_errors++;
		return -1;
	}
	return 0;
}

const struct nfq_stats *
nfq_stats(const struct nfq_queue *q)
{
	return &q->stats;
}

/* if_indextoname costs a socket and an ioctl; indexes are not reused. */
static void
nfq_ifname(struct nfq_queue *q, unsigned int index, char *name)
{
	struct nfq_ifcache	*slot = &q->ifcache[index % NFQ_IFCACHE_SIZE];

	if (q->nl == NULL) {
		name[0] = '\0';
		for (size_t i = 0; i < q->nifnames; i++)
			if (q->ifnames[i].index == index)
				memcpy(name, q->ifnames[i].name, IF_NAMESIZE);
		return;
	}
	if (slot->index != index) {
		if (if_indextoname(index, slot->name) == NULL) {
			name[0] = '\0';
			return;
		}
		slot->index = index;
	}
	memcpy(name, slot->name, IF_NAMESIZE);
}

static uint32_t
nfq_attr_u32(const struct nlattr *attr)
{
	if (attr == NULL || mnl_attr_get_payload_len(attr) < sizeof(uint32_t))
		return 0;
	return ntohl(mnl_attr_get_u32(attr));
}

static uint64_t
nfq_now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t
nfq_timestamp_us(const struct nlattr *attr)
{
	struct nfqnl_msg_packet_timestamp	 ts;

	if (attr == NULL || mnl_attr_get_payload_len(attr) < sizeof(ts))
		return nfq_now_us();
	memcpy(&ts, mnl_attr_get_payload(attr), sizeof(ts));
	return be64toh(ts.sec) * 1000000 + be64toh(ts.usec);
}

static void
nfq_pkt_hwaddr(struct nfq_pkt *pkt, const struct nlattr *attr)
{
	const struct nfqnl_msg_packet_hw	*hw;

	if (attr == NULL || mnl_attr_get_payload_len(attr) < sizeof(*hw))
		return;
	hw = mnl_attr_get_payload(attr);
	if (ntohs(hw->hw_addrlen) != sizeof(pkt->mac))
		return;
	memcpy(pkt->mac, hw->hw_addr, sizeof(pkt->mac));
	pkt->has_mac = true;
}

static int
nfq_packet_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nfq_queue		*q = arg;
	struct nlattr			*attr[NFQA_MAX + 1] = { 0 };
	const struct nfqnl_msg_packet_hdr *ph;
	const struct nfgenmsg		*nfg;
	struct nfq_pkt			 pkt;
	unsigned int			 index;

	if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFQNL_MSG_PACKET ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*nfg) ||
	    nfq_nlmsg_parse(nlh, attr) < 0 || attr[NFQA_PACKET_HDR] == NULL ||
	    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(*ph)) {
		q->stats.malformed++;
		return MNL_CB_OK;
	}
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	if (attr[NFQA_PAYLOAD] == NULL) {
		/* Nothing to judge; holding it would stall the flow.  An
		 * adopted queue cannot answer: its caller gets it empty. */
		q->stats.malformed++;
		if (q->nl != NULL) {
			nfq_verdict_send(q, ntohl(ph->packet_id), NF_ACCEPT, 0);
			return MNL_CB_OK;
		}
	}
	nfg = mnl_nlmsg_get_payload(nlh);
	memset(&pkt, 0, sizeof(pkt));
	pkt.id = ntohl(ph->packet_id);
	pkt.queue = ntohs(nfg->res_id);
	if (attr[NFQA_PAYLOAD] != NULL) {
		pkt.data = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		pkt.len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	}
	nfq_pkt_hwaddr(&pkt, attr[NFQA_HWADDR]);
	if ((index = nfq_attr_u32(attr[NFQA_IFINDEX_INDEV])) != 0)
		nfq_ifname(q, index, pkt.iface);
	pkt.mark = nfq_attr_u32(attr[NFQA_MARK]);
	pkt.ts_us = nfq_timestamp_us(attr[NFQA_TIMESTAMP]);
	q->stats.received++;
	q->cb(q, &pkt, q->cb_arg);
	return MNL_CB_OK;
}

/*
 * The kernel reports a failed verdict (say, an unknown id) even unasked.
 * Count it and go on: stopping would strand the packets behind it.
 */
static int
nfq_receive_error_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nfq_queue	*q = arg;
	const struct nlmsgerr	*e;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		q->stats.malformed++;
		return MNL_CB_OK;
	}
	e = mnl_nlmsg_get_payload(nlh);
	if (e->error != 0)
		q->stats.verdict_errors++;
	return MNL_CB_OK;
}

int
nfq_receive(struct nfq_queue *q, nfq_cb *cb, void *arg)
{
	mnl_cb_t	 ctl[NLMSG_MIN_TYPE] = { 0 };
	ssize_t		 n;
	int		 i;

	ctl[NLMSG_ERROR] = nfq_receive_error_cb;
	q->cb = cb;
	q->cb_arg = arg;
	for (i = 0; i < NFQ_RECV_BATCH; i++) {
		n = q->nl != NULL ? mnl_socket_recvfrom(q->nl, q->recvbuf,
		    sizeof(q->recvbuf)) : recv(q->fd, q->recvbuf,
		    sizeof(q->recvbuf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				q->stats.enobufs++;
				continue;
			}
			if (errno == EAGAIN && i > 0)
				break;
			return -1;
		}
		if (mnl_cb_run2(q->recvbuf, (size_t)n, 0, q->portid,
		    nfq_packet_cb, q, ctl, NLMSG_MIN_TYPE) < 0)
			q->stats.malformed++;
	}
	return 0;
}

int
nfq_verdict(struct nfq_queue *q, uint32_t id, enum nfq_verdict verdict,
    uint32_t mark)
{
	switch (verdict) {
	case NFQ_ACCEPT:
		return nfq_verdict_send(q, id, NF_ACCEPT, mark);
	case NFQ_DROP:
		return nfq_verdict_send(q, id, NF_DROP, mark);
	case NFQ_REPEAT_MARK:
		return nfq_verdict_send(q, id, NF_REPEAT, mark);
	}
	errno = EINVAL;
	return -1;
}
