/*
 * A finished flow as a record row: what the engine decided, in the
 * columns records/ stores and reports read.  Shared by both packet
 * sources, so classify --records and the daemon write the same rows.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"

static const char *
transport_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:	return "tcp";
	case IPPROTO_UDP:	return "udp";
	case IPPROTO_ICMP:	return "icmp";
	case IPPROTO_ICMPV6:	return "icmp6";
	case IPPROTO_SCTP:	return "sctp";
	default:		return "ip";
	}
}

#define COPY(dst, src) do {						\
	strncpy((dst), (src) ? (src) : "", sizeof(dst) - 1);		\
	(dst)[sizeof(dst) - 1] = '\0';					\
} while (0)

void
eng_record_identity(const struct sg_config *cfg, const struct ident *id,
    struct rec_flow *r)
{
	if (id->device >= 0)
		COPY(r->device, cfg->devices[id->device].name);
	if (id->person >= 0)
		COPY(r->person, cfg->people[id->person].id);
	COPY(r->group, cfg->groups[id->group].name);
	if (id->has_mac)
		sg_mac_str(id->mac, r->mac, sizeof(r->mac));
	sg_addr_str(&id->ip, r->ip, sizeof(r->ip));
	COPY(r->id_source, ident_source_name(id->source));
}

void
eng_view_to_record(const struct eng_flow_view *v, const char *source,
    time_t pin_time, struct rec_flow *r)
{
	const struct sg_config *cfg = v->cfg;
	const struct flow *f = v->flow;
	const struct policy_decision *d = v->dec;

	memset(r, 0, sizeof(*r));
	r->start_us = (int64_t)f->first_us;
	if (pin_time != 0)	/* as if it happened then; duration kept */
		r->start_us = (int64_t)pin_time * 1000000;
	r->end_us = r->start_us + (int64_t)(f->last_us - f->first_us);
	eng_record_identity(cfg, v->id, r);
	COPY(r->app, v->cls->app);
	if (v->category >= 0)
		COPY(r->category, cfg->categories[v->category].name);
	COPY(r->host, v->cls->host);
	COPY(r->host_source, sg_host_src_name(v->cls->host_src));
	/* placed by its address: the record names the list it is in */
	if (d->addr_list != NULL) {
		COPY(r->host_source, sg_host_src_name(SG_HOST_IPLIST));
		if (v->cls->host_src == SG_HOST_NONE)
			COPY(r->host, d->addr_list);
	}
	sg_addr_str(&f->key.dst, r->dst_ip, sizeof(r->dst_ip));
	r->dst_port = f->key.dport;
	COPY(r->transport, transport_name(f->key.proto));
	r->bytes_out = f->bytes[0];
	r->bytes_in = f->bytes[1];
	r->pkts_out = f->pkts[0];
	r->pkts_in = f->pkts[1];
	COPY(r->action, sg_action_name(d->action));
	policy_rule_label(cfg, d, r->rule, sizeof(r->rule), r->clause,
	    sizeof(r->clause));
	r->in_school_hours = d->in_school_hours;
	COPY(r->source, source);
}
