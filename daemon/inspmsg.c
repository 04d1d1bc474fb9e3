/*
 * The inspector's messages (msg.h) to and from the structs the engine and
 * the monitor use.  The *_from_msg side runs on messages msg_recv has
 * already checked, so it only copies; nothing here logs.
 */
#include <string.h>

#include "inspmsg.h"
#include "rwmsg.h"

#define COPY(dst, src)	snprintf((dst), sizeof(dst), "%s", (src))

static void
im_addr_to(struct msg_addr *m, const struct sg_addr *a)
{
	memset(m, 0, sizeof(*m));
	m->family = a->family;
	memcpy(m->a, a->a, sizeof(m->a));
}

static void
im_addr_from(struct sg_addr *a, const struct msg_addr *m)
{
	memset(a, 0, sizeof(*a));
	a->family = m->family;
	memcpy(a->a, m->a, sizeof(a->a));
}

void
im_decided_to(struct msg_decided *m, const struct eng_flow_view *v,
    const struct rec_flow *r, const struct policy_kept *k, bool direct)
{
	memset(m, 0, sizeof(*m));
	/* the record's strings made UTF-8 here, by the sender, as for the
	 * record writer; the engine's own words cannot fail to parse */
	if (rwm_flow_pack(r, &m->flow) == -1)
		m->flow.action = (uint8_t)v->dec->action;
	im_addr_to(&m->src, &v->flow->key.src);
	im_addr_to(&m->dst, &v->flow->key.dst);
	im_addr_to(&m->kept_ip, &k->ip);
	m->sport = v->flow->key.sport;
	m->dport = v->flow->key.dport;
	m->proto = v->flow->key.proto;
	m->direct = direct ? 1 : 0;
	m->id_source = (uint8_t)v->id->source;
	m->kept_has_mac = k->has_mac ? 1 : 0;
	memcpy(m->kept_mac, k->mac, sizeof(m->kept_mac));
	m->kept_fixed = k->fixed ? 1 : 0;
	msg_copy_utf8(m->iface, sizeof(m->iface), k->iface);
	msg_copy_utf8(m->master, sizeof(m->master), k->master);
	msg_copy_utf8(m->proto_name, sizeof(m->proto_name), k->proto);
	msg_copy_utf8(m->kept_host, sizeof(m->kept_host), k->host);
	msg_copy_utf8(m->user, sizeof(m->user), k->user);
	msg_copy_utf8(m->addr_list, sizeof(m->addr_list), k->addr_list);
}

void
im_decided_from(const struct msg_decided *m, struct flow_key *key,
    struct rec_flow *r, struct policy_kept *k)
{
	memset(key, 0, sizeof(*key));
	im_addr_from(&key->src, &m->src);
	im_addr_from(&key->dst, &m->dst);
	key->sport = m->sport;
	key->dport = m->dport;
	key->proto = m->proto;

	rwm_flow_unpack(&m->flow, r);
	COPY(r->id_source, ident_source_name(m->id_source));

	memset(k, 0, sizeof(*k));
	k->has_mac = m->kept_has_mac;
	memcpy(k->mac, m->kept_mac, sizeof(k->mac));
	im_addr_from(&k->ip, &m->kept_ip);
	COPY(k->iface, m->iface);
	COPY(k->master, m->master);
	COPY(k->proto, m->proto_name);
	COPY(k->host, m->kept_host);
	COPY(k->user, m->user);
	COPY(k->addr_list, m->addr_list);
	k->fixed = m->kept_fixed;
}

void
im_dns_to(struct msg_dns *m, const struct sg_addr *client,
    const struct dns_response *r, time_t now)
{
	size_t n = r->nanswers;

	memset(m, 0, sizeof(*m));
	if (n > DNS_MAX_ANSWERS)
		n = DNS_MAX_ANSWERS;
	m->now = now;
	im_addr_to(&m->client, client);
	m->nanswers = (uint32_t)n;
	COPY(m->qname, r->qname);
	for (size_t i = 0; i < n; i++) {
		im_addr_to(&m->answers[i].addr, &r->answers[i].addr);
		m->answers[i].ttl = r->answers[i].ttl;
	}
}

void
im_dns_from(const struct msg_dns *m, struct sg_addr *client,
    struct dns_response *r, time_t *now)
{
	memset(r, 0, sizeof(*r));
	im_addr_from(client, &m->client);
	COPY(r->qname, m->qname);
	r->nanswers = m->nanswers;
	for (size_t i = 0; i < r->nanswers; i++) {
		im_addr_from(&r->answers[i].addr, &m->answers[i].addr);
		r->answers[i].ttl = m->answers[i].ttl;
	}
	*now = (time_t)m->now;
}

void
im_lease_to(struct msg_lease *m, const struct lease *l)
{
	memset(m, 0, sizeof(*m));
	m->family = l->ip.family;
	memcpy(m->ip, l->ip.a, sizeof(m->ip));
	memcpy(m->mac, l->mac, sizeof(m->mac));
	m->expires = l->expires;
	COPY(m->hostname, l->hostname);
}

void
im_lease_from(struct lease *l, const struct msg_lease *m)
{
	memset(l, 0, sizeof(*l));
	l->ip.family = m->family;
	memcpy(l->ip.a, m->ip, sizeof(l->ip.a));
	memcpy(l->mac, m->mac, sizeof(l->mac));
	l->expires = m->expires;
	COPY(l->hostname, m->hostname);
}

void
im_rad_to(struct msg_rad *m, const struct rad_session *s)
{
	memset(m, 0, sizeof(*m));
	msg_copy_utf8(m->user, sizeof(m->user), s->user);
	COPY(m->sid, s->sid);
	COPY(m->nas, s->nas);
	m->has_mac = s->has_mac ? 1 : 0;
	memcpy(m->mac, s->mac, sizeof(m->mac));
	m->ip4_family = s->ip4.family;
	memcpy(m->ip4, s->ip4.a, sizeof(m->ip4));
	m->ip6_family = s->ip6.family;
	memcpy(m->ip6, s->ip6.a, sizeof(m->ip6));
	m->started = s->started;
	m->updated = s->updated;
}

void
im_rad_from(struct rad_session *s, const struct msg_rad *m)
{
	memset(s, 0, sizeof(*s));
	COPY(s->user, m->user);
	COPY(s->sid, m->sid);
	COPY(s->nas, m->nas);
	s->has_mac = m->has_mac;
	memcpy(s->mac, m->mac, sizeof(s->mac));
	s->ip4.family = m->ip4_family;
	memcpy(s->ip4.a, m->ip4, sizeof(s->ip4.a));
	s->ip6.family = m->ip6_family;
	memcpy(s->ip6.a, m->ip6, sizeof(s->ip6.a));
	s->started = m->started;
	s->updated = m->updated;
}
