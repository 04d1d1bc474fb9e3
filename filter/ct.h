/*
 * Conntrack accounting through libnetfilter_conntrack: DESTROY events
 * for finished flows and dumps for long-lived ones, so every record gets
 * the real bytes, packets and duration although user space saw only each
 * flow's first packets.
 */
#ifndef SG_CT_H
#define SG_CT_H

#include <stdbool.h>
#include "sg.h"

struct ct_entry {
	struct sg_addr	 src;		/* original direction: the initiator */
	struct sg_addr	 dst;
	uint16_t	 sport;
	uint16_t	 dport;
	uint8_t		 proto;
	uint32_t	 mark;
	uint64_t	 pkts[2];	/* [0] original, [1] reply */
	uint64_t	 bytes[2];
	uint64_t	 start_us;	/* 0 if timestamps are off */
	uint64_t	 stop_us;	/* 0 unless destroyed */
	bool		 destroyed;
};

typedef void	 ct_cb(const struct ct_entry *, void *arg);

/* Turn on nf_conntrack_acct and nf_conntrack_timestamp in this network
 * namespace.  Returns 0 or -1 with errno. */
int		 ct_enable_accounting(void);

struct ct_watch;
/* Subscribe to DESTROY events.  NULL with *err = errno on failure. */
struct ct_watch	*ct_watch_open(int rcvbuf, int *err);
void		 ct_watch_close(struct ct_watch *);
int		 ct_watch_fd(const struct ct_watch *);
/* Deliver waiting events; 0, or -1 with errno (EAGAIN: none waiting).
 * ENOBUFS means events were lost: counted, returns 0. */
int		 ct_watch_read(struct ct_watch *, ct_cb *, void *arg);
uint64_t	 ct_watch_lost(const struct ct_watch *);

/* Dump every entry with any bit of mask set in its mark (mask 0: all). */
int		 ct_dump(uint32_t mask, ct_cb *, void *arg);

/*
 * One TCP or UDP entry by its original tuple (key's src, dst, ports and
 * proto), for the live totals of a flow decided again.  0, or -1 with
 * errno: ENOENT if it is gone, EPROTONOSUPPORT for other protocols.
 */
int		 ct_get(const struct ct_entry *key, struct ct_entry *out);
/* Set the mask's bits of that entry's mark to mark, in place, keeping
 * every other bit.  0, or -1 with errno as ct_get. */
int		 ct_set_mark(const struct ct_entry *key, uint32_t mark,
		    uint32_t mask);

#endif
