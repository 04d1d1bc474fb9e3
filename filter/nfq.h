/*
 * NFQUEUE through libnetfilter_queue's libmnl API.  One struct per bound
 * queue; each is used by one worker thread only.  Errors are returned,
 * never logged here.
 */
#ifndef SG_NFQ_H
#define SG_NFQ_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * The marks the verdicts set and the ruleset saves with CONNMARK: 1, 2
 * and 3 in the bits of daemon.mark_mask (one run of at least two bits,
 * checked by the config).  Every other bit of a packet's or a
 * connection's mark belongs to someone else (QoS, multi-WAN) and is kept.
 */
enum nfq_mark {
	NFQ_MARK_NONE = 0,
	NFQ_MARK_ALLOW,
	NFQ_MARK_LOG,
	NFQ_MARK_BLOCK,
};

static inline uint32_t
nfq_mark(uint32_t mask, enum nfq_mark v)
{
	return (uint32_t)v << __builtin_ctz(mask);
}

/* old with our bits replaced by v. */
static inline uint32_t
nfq_mark_merge(uint32_t old, uint32_t mask, enum nfq_mark v)
{
	return (old & ~mask) | nfq_mark(mask, v);
}

/* The longest packet a verdict may carry in place of the queued one. */
#define NFQ_PKT_MAX	2048

struct nfq_pkt {
	uint32_t	 id;
	uint16_t	 queue;
	const uint8_t	*data;		/* L3 packet; valid during the callback */
	size_t		 len;
	bool		 has_mac;
	uint8_t		 mac[6];	/* NFQA_HWADDR: the sender's MAC */
	char		 iface[IF_NAMESIZE];	/* input interface, "" if none */
	uint32_t	 mark;
	uint64_t	 ts_us;		/* arrival (NFQA_TIMESTAMP or now) */
};

struct nfq_opts {
	uint16_t	 queue;
	uint32_t	 maxlen;	/* queue length in packets */
	bool		 fail_open;	/* NFQA_CFG_F_FAIL_OPEN */
	int		 rcvbuf;	/* socket receive buffer, bytes */
};

struct nfq_stats {
	uint64_t	 received;
	uint64_t	 enobufs;	/* socket overruns: kernel dropped or bypassed */
	uint64_t	 verdict_errors;
	uint64_t	 malformed;	/* messages without a packet */
};

enum nfq_verdict {
	NFQ_ACCEPT,			/* this packet only, flow still queued */
	NFQ_DROP,			/* this packet only */
	NFQ_REPEAT_MARK,		/* re-run the chain with the mark set */
};

/* An interface's index and name, for an adopted queue. */
#define NFQ_IFNAMES_MAX	64
struct nfq_ifname {
	uint32_t	 index;
	char		 name[IF_NAMESIZE];
};

struct nfq_queue;
typedef void	 nfq_cb(struct nfq_queue *, const struct nfq_pkt *, void *arg);

/* Binds the queue.  On error returns NULL and sets *err to an errno. */
struct nfq_queue *nfq_queue_open(const struct nfq_opts *, int *err);
/* Another process's bound queue, to receive from only (no verdicts);
 * closes fd with the queue.  NULL on failure. */
struct nfq_queue *nfq_queue_adopt(int fd, uint16_t queue, uint32_t portid,
		    const struct nfq_ifname *, size_t);
void		 nfq_queue_close(struct nfq_queue *);
int		 nfq_queue_fd(const struct nfq_queue *);
uint32_t	 nfq_queue_portid(const struct nfq_queue *);
/*
 * Read what is waiting on the socket and call cb for each packet; cb must
 * answer each with nfq_verdict() (an adopted queue's reader has its
 * owner answer; it may get a packet without payload, len 0).  Returns 0, or -1 with errno (EAGAIN
 * when nothing was waiting).  ENOBUFS is counted and returns 0.
 */
int		 nfq_receive(struct nfq_queue *, nfq_cb *, void *arg);
int		 nfq_verdict(struct nfq_queue *, uint32_t id, enum nfq_verdict,
		    uint32_t mark);
/* NF_ACCEPT with pkt (len <= NFQ_PKT_MAX) in place of the queued packet. */
int		 nfq_verdict_pkt(struct nfq_queue *, uint32_t id,
		    const uint8_t *pkt, size_t len);
/* Verdicts after nfq_hold are held and sent together by nfq_release
 * (or when the buffer fills): one system call for a batch. */
void		 nfq_hold(struct nfq_queue *);
int		 nfq_release(struct nfq_queue *);
/* Every packet still held (an adopted reader's, lost) gets verdict
 * (NFQ_ACCEPT or NFQ_DROP); last is the newest id answered so far. */
int		 nfq_verdict_all(struct nfq_queue *, uint32_t last,
		    enum nfq_verdict);
const struct nfq_stats *nfq_stats(const struct nfq_queue *);

#endif
