/*
 * The engine: decode -> flow -> classify -> identify -> decide -> record.
 * Both packet sources (NFQUEUE live, libpcap offline) feed eng_packet()
 * with an L3 packet and whatever they know of its sender; the engine
 * answers with a verdict for that packet and, once the flow is decided,
 * a final verdict the live path hands to the kernel as a mark.
 *
 * An engine is single-threaded: the daemon runs one per queue worker.
 */
#ifndef SG_ENGINE_H
#define SG_ENGINE_H

#include <stdbool.h>
#include "config.h"
#include "decode.h"
#include "flow.h"
#include "identity.h"
#include "policy.h"
#include "records.h"
#include "classify.h"
#include "dnscache.h"

struct eng;

struct eng_pkt {
	const uint8_t	*l3;
	size_t		 len;
	uint64_t	 ts_us;		/* capture or arrival time */
	const uint8_t	*mac;		/* sender's MAC, NULL if unknown */
	const char	*iface;		/* input interface, NULL if unknown */
};

/* The longest packet a verdict may hand back in place of the one seen. */
#define ENG_PKT_MAX	2048

struct eng_verdict {
	enum sg_action	 action;	/* for this packet */
	bool		 final;		/* the flow is decided: hand it off */
	bool		 skipped;	/* not decodable: counted, let through */
	/*
	 * Non-NULL: pass this packet instead of the one seen (a blocked
	 * lookup's answer rewritten as NXDOMAIN).  Owned by the engine,
	 * valid until its next eng_packet.
	 */
	const uint8_t	*pkt;
	size_t		 pktlen;
};

/* What a finished flow looked like, handed to the record callback. */
struct eng_flow_view {
	const struct sg_config	*cfg;		/* the config it was decided by */
	const struct flow	*flow;
	const struct cls_result	*cls;
	const struct ident	*id;
	const struct policy_decision *dec;
	int			 category;	/* primary category or -1 */
	uint64_t		 decided_after;	/* packets seen when decided */
};

typedef void	 eng_end_cb(const struct eng_flow_view *, void *arg);
/* A DNS answer the engine learnt, for caches in other processes. */
typedef void	 eng_dns_cb(const struct sg_addr *client,
		    const struct dns_response *, time_t now, void *arg);

struct eng_opts {
	int		 as_group;	/* -1, or a group index for every sender */
	int		 as_device;	/* -1, or a device every flow is from */
	/*
	 * Live mode: called once when a flow is decided, because later
	 * packets stay in the kernel; the flow's record is completed from
	 * conntrack.  on_end then still sees every flow.
	 */
	eng_end_cb	*on_decided;
	/* Drop UDP/443, and QUIC Initials on any port, for groups with
	 * block_quic, so browsers fall back to TCP where the SNI is visible
	 * (live only: offline it would hide what the QUIC flows were). */
	bool		 quic_fallback;
	uint64_t	 tcp_timeout_us;	/* 0: defaults */
	uint64_t	 udp_timeout_us;
	time_t		 pin_time;	/* 0, or the time every decision uses
					   (classify --at) */
	size_t		 max_flows;
	/* A DNS cache shared by several engines (the daemon's queues), or
	 * NULL for one of the engine's own. */
	struct dns_cache *dns;
	eng_dns_cb	*on_dns;	/* NULL, or told every answer learnt */
	eng_end_cb	*on_end;
	void		*arg;
};

struct eng_stats {
	uint64_t	 packets;
	uint64_t	 bytes;
	uint64_t	 flows;
	uint64_t	 skipped[DEC_NRESULTS];
	uint64_t	 verdicts[3];	/* final verdicts by sg_action */
	uint64_t	 dns_answers;
	uint64_t	 dns_rewritten;	/* blocked lookups answered NXDOMAIN */
	uint64_t	 dns_malformed;	/* on a blocked lookup: dropped */
	uint64_t	 dns_ech_stripped; /* answers that lost "ech" */
	uint64_t	 dns_canaries;	/* lookups of dns.canaries */
	uint64_t	 quic_fallback;	/* QUIC flows dropped to force TCP */
	uint64_t	 evasions;	/* flows decided as evasion */
	uint64_t	 tls_malformed;	/* ClientHellos whose lengths lie */
	uint64_t	 stream_nomem;	/* client streams cut short by memory */
	uint64_t	 nomem;
};

struct eng	*eng_new(const struct sg_config *, struct cls_module *,
		    const struct eng_opts *);
/* Ends every open flow through on_end, then frees the engine. */
void		 eng_free(struct eng *);
void		 eng_packet(struct eng *, const struct eng_pkt *,
		    struct eng_verdict *);
void		 eng_expire(struct eng *, uint64_t now_us);
/*
 * The daemon's SIGHUP: new flows use the new config.  Flows in progress
 * hold indexes into the config they started with, so each config stays
 * alive until its last flow ends; then release(cfg, arg) is called.
 */
typedef void	 eng_release_cb(const struct sg_config *, void *arg);
int		 eng_set_config(struct eng *, const struct sg_config *,
		    eng_release_cb *release, void *arg);
/*
 * After eng_set_config, when the new config's protocols file rebuilt the
 * classifier: new flows use cls, flows in progress keep the one they
 * started with, which the caller frees once their config is released.
 */
void		 eng_set_classifier(struct eng *, struct cls_module *);
void		 eng_set_leases(struct eng *, const struct leases *);
/* The 802.1X sessions new flows are identified by (the caller's; NULL:
 * none).  Like the leases, it must stay valid until replaced. */
void		 eng_set_radius(struct eng *, const struct rad_table *);
const struct eng_stats *eng_stats(const struct eng *);

/* Fill a record row; with pin_time set, the flow is recorded as having
 * started then (its duration kept), matching the decision's time. */
void		 eng_view_to_record(const struct eng_flow_view *, const char *source,
		    time_t pin_time, struct rec_flow *);
/* A record's device, person, group, MAC and address fields. */
void		 eng_record_identity(const struct sg_config *,
		    const struct ident *, struct rec_flow *);

#endif
