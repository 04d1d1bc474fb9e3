/*
 * The engine's own state, shared by its parts: engine.c (the packet path)
 * and engdns.c (DNS answers learnt, rewritten and edited).  Nothing else
 * includes this.
 */
#ifndef SG_ENGINE_PRIV_H
#define SG_ENGINE_PRIV_H

#include "engine.h"
#include "tlsflow.h"

/* A config, its classifier and how many open flows were started under it. */
struct eng_gen {
	const struct sg_config	*cfg;
	struct cls_module	*cls;
	size_t			 nflows;
	eng_release_cb		*release;
	void			*arg;
};

struct eng {
	struct eng_gen		*gens;
	size_t			 ngens;		/* the last one is current */
	const struct leases	*leases;
	const struct rad_table	*radius;	/* 802.1X sessions, may be NULL */
	struct flow_table	*flows;
	struct dns_cache	*dns;
	bool			 own_dns;
	struct strm_budget	 streams;
	struct eng_opts		 opts;
	struct eng_stats	 stats;
	uint8_t			 out[ENG_PKT_MAX];	/* eng_verdict.pkt */
};

struct eng_flow {
	struct cls_flow		*cls;		/* NULL once decided */
	struct tlsf		*tls;		/* TCP client stream; NULL once
						   decided */
	struct cls_result	 res;
	struct ident		 id;
	struct policy_decision	 dec;
	uint64_t		 categories;
	size_t			 gen;
	uint16_t		 inspected;
	uint16_t		 decided_after;
	bool			 payload_seen;
	bool			 dns_answered;
	bool			 evasion;	/* the flow hides its name */
	bool			 decided;
	/* a blocked lookup over UDP: queries go on, answers come back
	 * as NXDOMAIN, and the flow stays with us (see eng_dns_blocked) */
	bool			 dns_rewrite;
	bool			 dns_qedns;	/* the last query had EDNS */
	uint16_t		 dns_qid;	/* and this ID */
	bool			 canary;	/* a lookup of dns.canaries */
};

time_t		 eng_when(const struct eng *, uint64_t ts_us);
/* Whether nDPI named the flow DNS. */
bool		 eng_is_dns(const struct eng_flow *);

/* engdns.c */
void		 eng_learn_dns(struct eng *, struct eng_flow *,
		    const struct dec_pkt *, int dir, uint64_t ts_us);
void		 eng_dns_blocked(struct eng *, struct eng_flow *,
		    const struct dec_pkt *, int dir, struct eng_verdict *);
bool		 eng_edits_dns(const struct eng *, const struct flow *,
		    const struct eng_flow *);
void		 eng_dns_edit(struct eng *, const struct dec_pkt *, int dir,
		    struct eng_verdict *);

#endif
