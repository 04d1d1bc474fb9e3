/*
 * DNS answers on the engine's packet path: the cache learns each answer;
 * a blocked lookup's answers come back as NXDOMAIN with an Extended DNS
 * Error; a guarded sender's answers lose their ECH keys.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "dnscache.h"
#include "dnsrewrite.h"
#include "engine_priv.h"
#include "repack.h"

void
eng_learn_dns(struct eng *e, struct eng_flow *ef, const struct dec_pkt *p,
    int dir, uint64_t ts_us)
{
	struct dns_response r;

	if (p->proto != IPPROTO_UDP || p->sport != 53 || dir != 1 ||
	    p->paylen == 0)
		return;
	if (dns_parse_response(p->payload, p->paylen, &r) == -1)
		return;
	ef->dns_answered = true;
	e->stats.dns_answers++;
	dns_cache_add(e->dns, &p->dst, &r, eng_when(e, ts_us));
	if (e->opts.on_dns != NULL)
		e->opts.on_dns(&p->dst, &r, eng_when(e, ts_us), e->opts.arg);
}

/* The answer, as NXDOMAIN whose EDE names the rule and the clause. */
static int
eng_dns_nxdomain(struct eng *e, const struct eng_flow *ef,
    const struct dec_pkt *p, bool edns, struct eng_verdict *v)
{
	uint8_t	 msg[DNSRW_OUT_MAX];
	char	 text[DNSRW_TEXT_MAX + 1];
	int	 n, len;

	if (ef->canary)
		snprintf(text, sizeof(text), "schoolgate: a canary domain; "
		    "this network keeps encrypted DNS and private relays off "
		    "(policy clause %s)", ef->dec.clause ? ef->dec.clause : "");
	else
		snprintf(text, sizeof(text),
		    "schoolgate: blocked by rule %s, policy clause %s",
		    ef->dec.rule_name ? ef->dec.rule_name : "",
		    ef->dec.clause ? ef->dec.clause : "");
	n = dnsrw_nxdomain(p->payload, p->paylen, edns, ef->canary ?
	    DNSRW_EDE_FILTERED : DNSRW_EDE_BLOCKED, text, msg, sizeof(msg));
	if (n == -1 || (len = repack_udp(p, msg, (size_t)n, e->out,
	    sizeof(e->out))) == -1)
		return -1;
	v->pkt = e->out;
	v->pktlen = (size_t)len;
	v->action = SG_ALLOW;
	e->stats.dns_rewritten++;
	return 0;
}

/*
 * A blocked lookup over UDP fails at once and says why: its queries go
 * on to the resolver, and each answer, once the cache has learnt it,
 * comes back as NXDOMAIN.  The flow is never handed to the kernel, so a
 * retry on the same ports is answered the same way, not dropped.  What
 * is not a query one way or an answer the other is dropped.
 */
void
eng_dns_blocked(struct eng *e, struct eng_flow *ef, const struct dec_pkt *p,
    int dir, struct eng_verdict *v)
{
	uint16_t id;
	bool	 edns;

	v->final = false;
	v->action = SG_BLOCK;
	if (dnsrw_inspect(p->payload, p->paylen, dir == 1, &id, &edns) == -1) {
		e->stats.dns_malformed++;
		return;
	}
	if (dir == 0) {
		ef->dns_qid = id;
		ef->dns_qedns = edns;
		v->action = SG_ALLOW;
		return;
	}
	/* a resolver without EDNS drops the OPT; the client still reads it */
	edns = edns || (ef->dns_qedns && ef->dns_qid == id);
	if (eng_dns_nxdomain(e, ef, p, edns, v) == -1)
		e->stats.dns_malformed++;
}

/* Lookups over UDP of a sender whose answers lose "ech" (strip_ech);
 * what is blocked is dropped or answered NXDOMAIN already. */
bool
eng_edits_dns(const struct eng *e, const struct flow *f,
    const struct eng_flow *ef)
{
	return f->key.proto == IPPROTO_UDP && f->key.dport == 53 &&
	    ef->dec.action != SG_BLOCK &&
	    policy_strip_ech(e->gens[ef->gen].cfg, &ef->id);
}

/*
 * An allowed lookup for a sender whose lookups lose "ech": every answer
 * comes through here, before the flow is decided and after (it is never
 * handed to the kernel), so that a browser never learns an ECH key and
 * sends the real name in the clear.  An answer we cannot read is passed
 * as it is, counted: the client's parser cannot read it either.
 */
void
eng_dns_edit(struct eng *e, const struct dec_pkt *p, int dir,
    struct eng_verdict *v)
{
	uint8_t	 msg[ENG_PKT_MAX];
	int	 n, len;

	v->final = false;
	if (dir != 1 || p->paylen == 0)
		return;
	if ((n = dnsrw_strip_ech(p->payload, p->paylen, msg, sizeof(msg))) == 0)
		return;
	if (n == -1 || (len = repack_udp(p, msg, (size_t)n, e->out,
	    sizeof(e->out))) == -1) {
		e->stats.dns_malformed++;
		return;
	}
	v->pkt = e->out;
	v->pktlen = (size_t)len;
	e->stats.dns_ech_stripped++;
}
