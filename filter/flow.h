/*
 * The bidirectional flow table.  A flow is keyed by its 5-tuple in the
 * direction of its first packet (the initiator); packets either way find
 * it.  Memory is bounded: when the table is full the least recently seen
 * flow is evicted through the same end callback that timeouts use, so an
 * eviction never loses a record.
 */
#ifndef SG_FLOW_H
#define SG_FLOW_H

#include <stdbool.h>
#include "sg.h"
#include "decode.h"

struct flow_key {
	struct sg_addr	 src;		/* the initiator */
	struct sg_addr	 dst;
	uint16_t	 sport;
	uint16_t	 dport;
	uint8_t		 proto;
};

enum flow_state {
	FLOW_INSPECTING = 0,		/* classifier still wants packets */
	FLOW_DECIDED,			/* verdict made; classifier state freed */
};

enum flow_end_reason {
	FLOW_END_TIMEOUT = 0,
	FLOW_END_EVICTED,		/* table full */
	FLOW_END_FLUSH,			/* end of the run */
	FLOW_END_CLOSED,		/* TCP FIN/RST both ways, or conntrack */
};

struct flow {
	struct flow_key	 key;
	enum flow_state	 state;
	uint64_t	 first_us;
	uint64_t	 last_us;
	uint64_t	 pkts[2];	/* [0] initiator to responder, [1] back */
	uint64_t	 bytes[2];	/* IP bytes */
	uint8_t		 fin_seen;	/* bit 0 and 1 per direction */
	void		*user;		/* the engine's per-flow data */

	/* table internals */
	struct flow	*hnext;
	struct flow	*lru_prev;
	struct flow	*lru_next;
	uint32_t	 hash;
};

struct flow_table;

/*
 * Called once per flow as it leaves the table (timeout, eviction, close,
 * flush), after it is unlinked and just before it is freed.  It must not
 * touch the table, and it owns f->user: it must free it.
 */
typedef void	 flow_end_cb(struct flow *, enum flow_end_reason, void *arg);

/*
 * A zero max_flows or timeout takes a default (65536 flows; TCP 1 h, closed
 * TCP 10 s, UDP 120 s, other 60 s).  TCP is "closed" once a FIN has been
 * seen both ways or a RST either way; a later bare SYN starts a new flow.
 */
struct flow_table_opts {
	size_t		 max_flows;	/* hard bound on memory */
	uint64_t	 tcp_timeout_us;	/* idle established TCP */
	uint64_t	 tcp_closed_timeout_us;	/* after FIN or RST */
	uint64_t	 udp_timeout_us;
	uint64_t	 other_timeout_us;
	flow_end_cb	*on_end;
	void		*arg;
};

struct flow_table *flow_table_new(const struct flow_table_opts *);
/* Ends every flow left (FLOW_END_FLUSH), then frees the table. */
void		 flow_table_free(struct flow_table *);

/*
 * Find the flow of a decoded packet, creating it if new.  *dir is 0 when
 * the packet goes initiator to responder, 1 otherwise.  Counters, the
 * timestamp and the LRU position are updated.  Returns NULL only if
 * memory runs out.
 */
struct flow	*flow_lookup(struct flow_table *, const struct dec_pkt *,
		    uint64_t now_us, int *dir, bool *created);
/* End flows idle past their timeout. */
void		 flow_expire(struct flow_table *, uint64_t now_us);
/* End one flow now (FLOW_END_CLOSED) and free it. */
void		 flow_remove(struct flow_table *, struct flow *);
size_t		 flow_count(const struct flow_table *);
void		 flow_key_str(const struct flow_key *, char *src, char *dst,
		    size_t);

#endif
