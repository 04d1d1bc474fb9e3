#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnscache.h"
#include "engine_priv.h"
#include "quic.h"

#define ENG_DNS_ENTRIES	65536
#define ENG_DNS_MAX_TTL	3600
/* All client streams held at once by one engine (ClientHello reassembly) */
#define ENG_STREAM_MEM	((size_t)64 << 20)
#define ENG_DOT_PORT	853		/* DNS over TLS, RFC 7858 */

#define ENG_TH_FIN	0x01
#define ENG_TH_SYN	0x02
#define ENG_TH_RST	0x04
#define ENG_TH_ACK	0x10

static void	 eng_flow_ended(struct flow *, enum flow_end_reason, void *);

static const struct sg_config *
eng_cfg(const struct eng *e)
{
	return e->gens[e->ngens - 1].cfg;
}

struct eng *
eng_new(const struct sg_config *cfg, struct cls_module *cls,
    const struct eng_opts *opts)
{
	struct flow_table_opts fo;
	struct eng *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->opts = *opts;
	e->streams.max = ENG_STREAM_MEM;
	if ((e->gens = calloc(1, sizeof(*e->gens))) == NULL)
		goto free_eng;
	e->gens[0].cfg = cfg;
	e->gens[0].cls = cls;
	e->ngens = 1;
	memset(&fo, 0, sizeof(fo));
	fo.max_flows = opts->max_flows ? opts->max_flows : 262144;
	fo.tcp_timeout_us = opts->tcp_timeout_us ? opts->tcp_timeout_us :
	    300 * 1000000ULL;
	fo.tcp_closed_timeout_us = 10 * 1000000ULL;
	fo.udp_timeout_us = opts->udp_timeout_us ? opts->udp_timeout_us :
	    60 * 1000000ULL;
	fo.other_timeout_us = 30 * 1000000ULL;
	fo.on_end = eng_flow_ended;
	fo.arg = e;
	if ((e->flows = flow_table_new(&fo)) == NULL)
		goto free_gens;
	e->dns = opts->dns;
	if (e->dns == NULL) {
		e->own_dns = true;
		e->dns = dns_cache_new(ENG_DNS_ENTRIES, ENG_DNS_MAX_TTL);
	}
	if (e->dns == NULL)
		goto free_flows;
	return e;

free_flows:
	flow_table_free(e->flows);
free_gens:
	free(e->gens);
free_eng:
	free(e);
	return NULL;
}

void
eng_free(struct eng *e)
{
	if (e == NULL)
		return;
	flow_table_free(e->flows);	/* ends every flow: records flushed */
	if (e->own_dns)
		dns_cache_free(e->dns);
	/* generations whose flows all ended were released already */
	for (size_t i = 0; i + 1 < e->ngens; i++)
		if (e->gens[i].release && e->gens[i].cfg != NULL)
			e->gens[i].release(e->gens[i].cfg, e->gens[i].arg);
	free(e->gens);
	free(e);
}

int
eng_set_config(struct eng *e, const struct sg_config *cfg,
    eng_release_cb *release, void *arg)
{
	struct eng_gen *g;

	g = realloc(e->gens, (e->ngens + 1) * sizeof(*g));
	if (g == NULL)
		return -1;
	e->gens = g;
	/* the outgoing config is released by whoever loaded it */
	e->gens[e->ngens - 1].release = release;
	e->gens[e->ngens - 1].arg = arg;
	e->gens[e->ngens] = (struct eng_gen){ cfg, e->gens[e->ngens - 1].cls,
	    0, NULL, NULL };
	e->ngens++;
	return 0;
}

void
eng_set_classifier(struct eng *e, struct cls_module *cls)
{
	e->gens[e->ngens - 1].cls = cls;
}

void
eng_set_leases(struct eng *e, const struct leases *l)
{
	e->leases = l;
}

void
eng_set_radius(struct eng *e, const struct rad_table *t)
{
	e->radius = t;
}

const struct eng_stats *
eng_stats(const struct eng *e)
{
	return &e->stats;
}

void
eng_expire(struct eng *e, uint64_t now_us)
{
	flow_expire(e->flows, now_us);
}

time_t
eng_when(const struct eng *e, uint64_t ts_us)
{
	if (e->opts.pin_time != 0)
		return e->opts.pin_time;
	return (time_t)(ts_us / 1000000);
}

/* Whether nDPI knows only what carries the flow, not the app inside. */
static bool
eng_is_carrier(const struct cls_result *r)
{
	static const char *const carriers[] = {
		"", "Unknown", "TLS", "QUIC", "HTTP", "DTLS"
	};

	if (r->master[0] != '\0')
		return false;
	for (size_t i = 0; i < sizeof(carriers) / sizeof(carriers[0]); i++)
		if (strcmp(r->proto, carriers[i]) == 0)
			return true;
	return false;
}

/*
 * The flow goes to name.  If all nDPI knows is the carrier, its host list
 * says what the name is ("www.facebook.com" -> Facebook).
 */
static void
eng_name(struct eng *e, struct eng_flow *ef, const char *name,
    enum sg_host_src src)
{
	char proto[SG_APP_MAX / 2];

	snprintf(ef->res.host, sizeof(ef->res.host), "%s", name);
	ef->res.host_src = src;
	if (!eng_is_carrier(&ef->res) ||
	    !cls_app_for_host(e->gens[ef->gen].cls, name, proto, sizeof(proto)))
		return;
	if (strcmp(ef->res.proto, "Unknown") != 0 && ef->res.proto[0] != '\0')
		snprintf(ef->res.master, sizeof(ef->res.master), "%s",
		    ef->res.proto);
	snprintf(ef->res.proto, sizeof(ef->res.proto), "%s", proto);
	if (ef->res.master[0] != '\0')
		snprintf(ef->res.app, sizeof(ef->res.app), "%s.%s",
		    ef->res.master, proto);
	else
		snprintf(ef->res.app, sizeof(ef->res.app), "%s", proto);
}

/* nDPI saw no name: the client's recent lookup of the address may say. */
static bool
eng_name_from_dns(struct eng *e, const struct flow *f, struct eng_flow *ef,
    time_t now)
{
	char name[SG_HOST_MAX];

	if (ef->res.host_src != SG_HOST_NONE ||
	    !dns_cache_get(e->dns, &f->key.src, &f->key.dst, now, name))
		return false;
	eng_name(e, ef, name, SG_HOST_DNSCACHE);
	return true;
}

/*
 * TLS to TCP port 853 is DNS over TLS (RFC 7858: the port IANA assigned
 * to it).  nDPI 4.2 says so only when it gives up on the flow, and before
 * that may name only the server's owner by its address (TLS.Google for
 * 8.8.8.8); a client sending no SNI would otherwise wait for the packet
 * budget as evasion, its lookups answered meanwhile.
 */
static bool
eng_name_dot(const struct flow *f, struct eng_flow *ef)
{
	if (f->key.proto != IPPROTO_TCP || f->key.dport != ENG_DOT_PORT ||
	    ef->res.host_src != SG_HOST_NONE)
		return false;
	snprintf(ef->res.master, sizeof(ef->res.master), "TLS");
	snprintf(ef->res.proto, sizeof(ef->res.proto), "DoH_DoT");
	snprintf(ef->res.app, sizeof(ef->res.app), "TLS.DoH_DoT");
	ef->res.detected = true;
	return true;
}

/*
 * The name in the ClientHello we put together decides, whatever nDPI made
 * of the segments it saw (it reads only in-order ones, within the packet
 * budget).  With ECH the SNI may be only the front's public name: the
 * client's lookup of the address, if there was one, says more.  Without
 * one the SNI stands, since Chrome sends a GREASE ECH extension with the
 * real name in every ClientHello; but an SNI that is a known ECH front
 * (classification.ech_fronts) never names a flow: it is evasion.
 */
static void
eng_name_from_hello(struct eng *e, const struct flow *f, struct eng_flow *ef,
    time_t now)
{
	const struct sg_config *cfg = e->gens[ef->gen].cfg;
	const struct tlsh_hello *h;
	bool front;

	if (ef->tls == NULL || !ef->tls->have_hello)
		return;
	h = &ef->tls->hello;
	front = policy_name_listed(cfg->ech_fronts, cfg->nech_fronts, h->sni);
	if (h->sni[0] == '\0' && !h->ech) {
		eng_name_dot(f, ef);
		return;
	}
	if (!(ef->res.host_src == SG_HOST_SNI && !h->ech && !front &&
	    strcmp(ef->res.host, h->sni) == 0)) {
		ef->res.master[0] = '\0';
		ef->res.host[0] = '\0';
		ef->res.host_src = SG_HOST_NONE;
		snprintf(ef->res.proto, sizeof(ef->res.proto), "TLS");
		snprintf(ef->res.app, sizeof(ef->res.app), "TLS");
		if ((h->ech || front) && eng_name_from_dns(e, f, ef, now))
			return;
		if (front)		/* never named by the front */
			ef->evasion = true;
		else if (h->sni[0] != '\0')
			eng_name(e, ef, h->sni, SG_HOST_SNI);
	}
	ef->res.detected = true;
}

static void
eng_decide(struct eng *e, const struct flow *f, struct eng_flow *ef,
    time_t when)
{
	const struct sg_config *cfg = e->gens[ef->gen].cfg;
	struct policy_flow pf;

	/* nDPI also puts DHCP and NetBIOS names there: only names it took
	 * from the flow's own protocol, or from DNS, say where it goes */
	const char *host = ef->res.host_src != SG_HOST_NONE ? ef->res.host : "";
	const char *list = NULL;

	policy_flow_init(&pf, cfg, &ef->id, ef->res.master, ef->res.proto,
	    host, when);
	/* plain DNS names what it asks for, not its server: a lookup sent
	 * to 8.8.8.8 is readable, and no encrypted DNS */
	if (pf.categories == 0 && !eng_is_dns(ef))
		pf.categories = policy_addr_categories(cfg, &f->key.dst, &list);
	ef->categories = pf.categories;
	policy_decide(cfg, &pf, &ef->dec, NULL, NULL);
	ef->dec.addr_list = list;
}

static void	 eng_view(const struct eng *, const struct flow *,
		    const struct eng_flow *, struct eng_flow_view *);


static void
eng_finalise(struct eng *e, struct flow *f, struct eng_flow *ef)
{
	struct eng_flow_view view;

	ef->decided = true;
	/* over TCP a blocked lookup is reset, as any other blocked flow */
	ef->dns_rewrite = ef->dec.action == SG_BLOCK &&
	    f->key.proto == IPPROTO_UDP && eng_is_dns(ef);
	ef->decided_after = ef->inspected;
	f->state = FLOW_DECIDED;
	cls_flow_free(ef->cls);		/* nDPI state goes as soon as we know */
	ef->cls = NULL;
	tlsf_free(ef->tls);
	ef->tls = NULL;
	e->stats.verdicts[ef->dec.action]++;
	if (ef->evasion)
		e->stats.evasions++;
	if (ef->canary)
		e->stats.dns_canaries++;
	if (e->opts.on_decided) {
		eng_view(e, f, ef, &view);
		e->opts.on_decided(&view, e->opts.arg);
	}
}

/*
 * QUIC hides nothing nDPI 4.2 can always read; for groups with block
 * rules, dropping it makes browsers retry over TCP, where the SNI shows.
 * On UDP/443 any payload goes; on other ports, a flow whose first client
 * payload is a QUIC Initial (a VPN or an app on a port of its own).
 */
static bool
eng_quic_fallback(struct eng *e, struct flow *f, struct eng_flow *ef,
    const struct dec_pkt *p, int dir)
{
	const struct sg_config *cfg = e->gens[ef->gen].cfg;

	if (!e->opts.quic_fallback || p->proto != IPPROTO_UDP ||
	    !cfg->groups[ef->id.group].block_quic || p->paylen == 0)
		return false;
	if (f->key.dport != 443 && (dir != 0 || ef->payload_seen ||
	    !quic_is_initial(p->payload, p->paylen)))
		return false;
	ef->inspected++;
	ef->payload_seen = true;
	snprintf(ef->res.app, sizeof(ef->res.app), "QUIC");
	snprintf(ef->res.proto, sizeof(ef->res.proto), "QUIC");
	memset(&ef->dec, 0, sizeof(ef->dec));
	ef->dec.action = SG_BLOCK;
	ef->dec.rule = -1;
	ef->dec.rule_name = "quic-fallback";
	ef->dec.clause = "";
	ef->dec.account = -1;
	ef->dec.in_school_hours = policy_in_school_hours(cfg,
	    eng_when(e, f->last_us));
	e->stats.quic_fallback++;
	eng_finalise(e, f, ef);
	return true;
}

bool
eng_is_dns(const struct eng_flow *ef)
{
	return strcmp(ef->res.master, "DNS") == 0 ||
	    strcmp(ef->res.proto, "DNS") == 0;
}

/*
 * nDPI has named the app from the name the client asked for (SNI, HTTP
 * Host).  What it may still wait for (a certificate, which TLS 1.3
 * encrypts, or the HTTP response) does not change that name, and a short
 * allowed flow would otherwise end undecided: never handed to the kernel,
 * and so never counted by conntrack for its record.
 */
static bool
eng_named(const struct eng_flow *ef)
{
	return ef->res.detected && (ef->res.host_src == SG_HOST_SNI ||
	    ef->res.host_src == SG_HOST_HTTP);
}

/* No name at all: nothing the client asked for, and nDPI knows only the
 * carrier (TLS, QUIC), not the app. */
static bool
eng_unnamed(const struct eng_flow *ef)
{
	return ef->res.host_src == SG_HOST_NONE && eng_is_carrier(&ef->res);
}

/* A flow that ought to carry a name: QUIC, or TLS the client began (not
 * one the gateway joined after its start), or what nDPI can only guess
 * is TLS while the client's first segment is held back. */
static bool
eng_should_be_named(const struct eng_flow *ef)
{
	if (strcmp(ef->res.proto, "QUIC") == 0)
		return true;
	if (ef->tls == NULL || tlsf_midflow(ef->tls))
		return false;
	if (strcmp(ef->res.proto, "TLS") != 0)
		return tlsf_is_tls(ef->tls);
	return ef->res.detected || tlsf_is_tls(ef->tls) ||
	    tlsf_held_back(ef->tls);
}

/*
 * A TLS flow the client began: its allow is final only once the server
 * has answered the ClientHello.  A decoy ClientHello (one that expires on
 * the way, or that the server drops) is then followed by the real one at
 * the same place before the decision, and the stream sees the two
 * differ.  A flow with no name waits for the packet budget: it is then
 * evasion.
 */
static bool
eng_tls_ready(const struct eng_flow *ef)
{
	return ef->tls->answered && !eng_unnamed(ef);
}

/*
 * Whether what we know now is final.  Nothing is final before the first
 * payload: an address or port guess must neither let a flow through (the
 * TargusDataspeed lesson) nor block it, and by the ClientHello nDPI names
 * the app itself.  A block is then final as soon as DPI or a resolved
 * name supports it, and evasion as soon as it is seen; an allow waits for
 * nDPI's final answer or a name it detected the app by, and for TLS for
 * the server's answer.  Allowed DNS waits for its answer so the cache
 * learns the names the client is about to use.
 */
static bool
eng_ready(const struct eng_flow *ef)
{
	if (!ef->payload_seen)
		return false;
	if (ef->evasion)
		return true;
	if (ef->dec.action == SG_BLOCK &&
	    (ef->res.detected || ef->res.host_src != SG_HOST_NONE))
		return true;
	if (eng_is_dns(ef))
		return ef->res.done && ef->dns_answered;
	if (ef->tls != NULL && tlsf_is_tls(ef->tls))
		return eng_tls_ready(ef);
	return ef->res.done || eng_named(ef);
}

/*
 * Name, decide, and override with evasion where the flow hides its name:
 * conflicting overlaps or a second ClientHello (seen at once), or, once
 * the engine gives up (the packet budget or the flow's end), TLS or QUIC
 * that is still unnamed.
 */
static void
eng_conclude(struct eng *e, struct flow *f, struct eng_flow *ef, time_t when,
    bool giveup)
{
	const struct sg_config *cfg = e->gens[ef->gen].cfg;

	eng_name_from_hello(e, f, ef, when);
	eng_name_from_dns(e, f, ef, when);
	eng_decide(e, f, ef, when);
	if (eng_is_dns(ef) && ef->res.host_src == SG_HOST_DNS &&
	    policy_name_listed(cfg->dns_canaries, cfg->ndns_canaries,
	    ef->res.host) && policy_guarded(cfg, &ef->id)) {
		ef->canary = true;
		policy_canary(cfg, when, &ef->dec);
		ef->categories = cfg->circumvention >= 0 ?
		    UINT64_C(1) << cfg->circumvention : 0;
		return;
	}
	if (ef->tls != NULL && ef->tls->evasion != 0)
		ef->evasion = true;
	if (giveup && eng_should_be_named(ef) && eng_unnamed(ef))
		ef->evasion = true;
	if (!ef->evasion)
		return;
	policy_evasion(cfg, &ef->id, when, &ef->dec);
	ef->categories = cfg->circumvention >= 0 ?
	    UINT64_C(1) << cfg->circumvention : 0;
}

/*
 * Live, gateway-rules passes a TCP SYN, ACK or SYN-ACK with no payload in
 * the kernel (IPv4 without options, IPv6 without extension headers).
 * Offline the engine passes the same packets over, so that max_packets
 * counts the same packets in classify as in the daemon.
 */
static bool
eng_kernel_passes(const struct dec_pkt *p)
{
	uint8_t fl = p->tcp_flags & (ENG_TH_FIN | ENG_TH_SYN | ENG_TH_RST |
	    ENG_TH_ACK);

	if (p->proto != IPPROTO_TCP || p->paylen != 0 || p->tunnelled ||
	    (fl != ENG_TH_SYN && fl != ENG_TH_ACK &&
	    fl != (ENG_TH_SYN | ENG_TH_ACK)))
		return false;
	if ((p->l3[0] >> 4) == 4)
		return (p->l3[0] & 0x0f) == 5;
	return p->l3len >= 40 && p->l3[6] == IPPROTO_TCP;
}

/* Client payload goes into the flow's stream, server payload marks the
 * ClientHello answered. */
static void
eng_tls_packet(struct eng *e, struct eng_flow *ef, const struct dec_pkt *p,
    int dir)
{
	bool malformed, nomem;

	if (p->proto != IPPROTO_TCP || p->paylen == 0)
		return;
	if (dir == 1) {
		if (ef->tls != NULL)
			tlsf_server(ef->tls);
		return;
	}
	if (ef->tls == NULL && (ef->tls = tlsf_new(&e->streams)) == NULL) {
		e->stats.nomem++;
		return;
	}
	malformed = ef->tls->malformed;
	nomem = (ef->tls->s.flags & STRM_F_NOMEM) != 0;
	tlsf_client(ef->tls, p->tcp_seq, p->payload, p->paylen);
	if (!malformed && ef->tls->malformed)
		e->stats.tls_malformed++;
	if (!nomem && (ef->tls->s.flags & STRM_F_NOMEM))
		e->stats.stream_nomem++;
}

static void
eng_inspect(struct eng *e, struct flow *f, struct eng_flow *ef,
    const struct dec_pkt *p, int dir, uint64_t ts_us, struct eng_verdict *v)
{
	const struct sg_config *cfg = e->gens[ef->gen].cfg;
	time_t when = eng_when(e, ts_us);
	bool spent;

	if (eng_quic_fallback(e, f, ef, p, dir)) {
		v->action = SG_BLOCK;
		v->final = true;
		return;
	}
	v->action = SG_ALLOW;
	v->final = false;
	if (eng_kernel_passes(p))
		return;
	ef->inspected++;
	if (p->paylen > 0)
		ef->payload_seen = true;
	eng_tls_packet(e, ef, p, dir);
	cls_process(e->gens[ef->gen].cls, ef->cls, p->l3, p->l3len,
	    ts_us / 1000, &ef->res);
	spent = ef->inspected >= cfg->max_packets;
	if (spent)
		cls_giveup(e->gens[ef->gen].cls, ef->cls, &ef->res);
	eng_conclude(e, f, ef, when, spent);
	if (spent || eng_ready(ef)) {
		eng_finalise(e, f, ef);
		v->action = ef->dec.action;
		v->final = true;
	}
}

/* The sender, or the device classify --as-device names, so that its
 * person, group, rules and exemptions apply as they would live. */
static void
eng_identify(const struct eng *e, const struct dec_pkt *p,
    const struct eng_pkt *in, struct ident *id)
{
	const struct sg_config *cfg = eng_cfg(e);
	const struct conf_device *d;
	const uint8_t *mac = in->mac;
	const struct sg_addr *ip = &p->src;
	struct ident_data data = { e->leases, e->radius };

	if (e->opts.as_device >= 0 && (size_t)e->opts.as_device < cfg->ndevices) {
		d = &cfg->devices[e->opts.as_device];
		mac = d->has_mac ? d->mac : NULL;
		ip = d->has_ip ? &d->ip : ip;
	}
	ident_resolve(cfg, &data, mac, ip, in->iface, e->opts.as_group, id);
}

static struct eng_flow *
eng_flow_new(struct eng *e, const struct dec_pkt *p, const struct eng_pkt *in)
{
	struct eng_flow *ef;

	if ((ef = calloc(1, sizeof(*ef))) == NULL)
		return NULL;
	if ((ef->cls = cls_flow_new(e->gens[e->ngens - 1].cls)) == NULL) {
		free(ef);
		return NULL;
	}
	ef->gen = e->ngens - 1;
	e->gens[ef->gen].nflows++;
	eng_identify(e, p, in, &ef->id);
	e->stats.flows++;
	return ef;
}

void
eng_packet(struct eng *e, const struct eng_pkt *in, struct eng_verdict *v)
{
	enum dec_result r;
	struct dec_pkt p;
	struct flow *f;
	struct eng_flow *ef;
	bool created;
	int dir;

	memset(v, 0, sizeof(*v));
	e->stats.packets++;
	e->stats.bytes += in->len;
	if ((r = dec_ip(in->l3, in->len, &p)) != DEC_OK) {
		e->stats.skipped[r]++;
		v->skipped = true;
		return;
	}
	if ((f = flow_lookup(e->flows, &p, in->ts_us, &dir, &created)) == NULL) {
		e->stats.nomem++;
		v->skipped = true;
		return;
	}
	if (created && (f->user = eng_flow_new(e, &p, in)) == NULL) {
		e->stats.nomem++;
		v->skipped = true;
		flow_remove(e->flows, f);
		return;
	}
	ef = f->user;
	eng_learn_dns(e, ef, &p, dir, in->ts_us);
	if (ef->decided) {
		v->action = ef->dec.action;
		v->final = true;
	} else
		eng_inspect(e, f, ef, &p, dir, in->ts_us, v);
	if (ef->dns_rewrite)
		eng_dns_blocked(e, ef, &p, dir, v);
	else if (eng_edits_dns(e, f, ef))
		eng_dns_edit(e, &p, dir, v);
}

static void
eng_release_unused(struct eng *e, size_t gen)
{
	struct eng_gen *g = &e->gens[gen];

	if (gen + 1 == e->ngens || g->nflows > 0 || g->cfg == NULL)
		return;
	if (g->release)
		g->release(g->cfg, g->arg);
	g->cfg = NULL;
}

static void
eng_view(const struct eng *e, const struct flow *f, const struct eng_flow *ef,
    struct eng_flow_view *view)
{
	memset(view, 0, sizeof(*view));
	view->cfg = e->gens[ef->gen].cfg;
	view->flow = f;
	view->cls = &ef->res;
	view->id = &ef->id;
	view->dec = &ef->dec;
	view->category = policy_primary_category(ef->categories);
	view->decided_after = ef->decided_after;
}

static void
eng_flow_ended(struct flow *f, enum flow_end_reason why, void *arg)
{
	struct eng *e = arg;
	struct eng_flow *ef = f->user;
	struct eng_flow_view view;

	if (ef == NULL)
		return;
	if (!ef->decided) {
		cls_giveup(e->gens[ef->gen].cls, ef->cls, &ef->res);
		eng_conclude(e, f, ef, eng_when(e, f->first_us), true);
		eng_finalise(e, f, ef);
	}
	eng_view(e, f, ef, &view);
	if (e->opts.on_end)
		e->opts.on_end(&view, e->opts.arg);
	e->gens[ef->gen].nflows--;
	eng_release_unused(e, ef->gen);
	free(ef);
	f->user = NULL;
	(void)why;
}
