/*
 * The inspector (docs/PRIVSEP.md): one process per queue that runs the
 * engine, and so nDPI, over the packets of its queue: it reads the queue's
 * socket, which the monitor binds and hands over, and returns verdicts
 * for the monitor to send (receiving needs no capability; answering does).
 * classify's inspector gets a capture's packets as messages instead.  It is
 * started by the monitor as "schoolgate inspector QUEUE USER [PROTOCOLS]"
 * with its socket as descriptor 3 and, in its ambient set, only what
 * sbx_enter needs.  It builds its nDPI module while it can still open
 * files, enters the sandbox keeping only the socket, and from then on
 * knows the world through messages and its queue: the config, the leases
 * and the 802.1X sessions come in; verdicts, decided flows, DNS answers, counters
 * and log lines go out.  It never logs itself: log lines become MSG_LOG.
 *
 * Any failure ends the process; the monitor applies the queue's failure
 * mode and starts another.  It ends with _exit: LeakSanitizer's exit check
 * cannot run in the sandbox.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "confpack.h"
#include "decode.h"
#include "daemon.h"
#include "inspmsg.h"
#include "log.h"
#include "sandbox.h"

#define INSP_SOCK		3
#define INSP_TICK_US		1000000	/* expiry and counters */
#define INSP_DNS_ENTRIES	65536
#define INSP_DNS_MAX_TTL	3600

struct insp {
	int		 sock;
	unsigned	 queue;
	struct nfq_queue *nfq;		/* the queue's socket, read only */
	struct msg_out	*out;		/* to the monitor, gathered */
	struct cls_module *mod;
	struct eng	*eng;
	struct dns_cache *dns;
	struct leases	 leases[2];	/* the engine's, and the one before */
	int		 cur_leases;
	struct rad_table radius[2];
	int		 cur_radius;
	struct msg_blob	 config, lease_blob, rad_blob;
	const char	*pkt_iface;
	struct msg_verdict verdicts[MSG_PKT_BATCH_MAX];
	size_t		 nverdicts;
	struct msg	*in;
	/* "inspector offline": schoolgate classify's, one engine per file */
	bool		 offline;
	struct sg_config *cfg;
	struct msg_offline file;
	uint64_t	 file_pkts;
	uint64_t	 undecodable;
};

#define INSP_OFF_EXPIRE_MASK	0x3fff	/* as classify did in process */

static void __attribute__((noreturn))
insp_exit(int code)
{
	_exit(code);
}

/* Gathered, and sent at the end of each turn of the loop (insp_flush). */
static void
insp_send(struct insp *in, uint16_t type, const void *p, size_t len)
{
	if (msg_out_add(in->out, type, p, len) == -1)
		insp_exit(errno == EPIPE ? 0 : 3);
}

static void
insp_flush(struct insp *in)
{
	if (msg_out_flush(in->out) == -1)
		insp_exit(errno == EPIPE ? 0 : 3);
}

/* Sent at once: a line often comes just before the inspector ends. */
static void
insp_log_sink(int priority, const char *line, void *arg)
{
	struct insp *in = arg;
	struct msg_log l;

	memset(&l, 0, sizeof(l));
	l.priority = priority;
	msg_copy_utf8(l.text, sizeof(l.text), line);
	if (in->out == NULL)	/* before it was made: the one line alone */
		(void)msg_send(in->sock, MSG_LOG, 0, &l, sizeof(l), -1);
	else if (msg_out_add(in->out, MSG_LOG, &l, sizeof(l)) == 0)
		(void)msg_out_flush(in->out);
}

static void
insp_decided(const struct eng_flow_view *v, void *arg)
{
	struct insp *in = arg;
	struct policy_kept kept;
	struct msg_decided m;
	struct rec_flow r;

	eng_view_to_record(v, "live", 0, &r);
	policy_kept_init(&kept, v->id, in->pkt_iface, v->cls->master,
	    v->cls->proto, v->cls->host_src != SG_HOST_NONE ? v->cls->host : "",
	    v->dec);
	/* blocked on its very first packet: no conntrack entry will come */
	im_decided_to(&m, v, &r, &kept, v->decided_after <= 1 &&
	    v->dec->action == SG_BLOCK);
	insp_send(in, MSG_DECIDED, &m, sizeof(m));
}

static void
insp_dns_learnt(const struct sg_addr *client, const struct dns_response *r,
    time_t now, void *arg)
{
	struct insp *in = arg;
	struct msg_dns m;

	if (r->nanswers == 0)
		return;
	im_dns_to(&m, client, r, now);
	insp_send(in, MSG_DNS, &m, sizeof(m));
}

static void
insp_flush_verdicts(struct insp *in)
{
	if (in->nverdicts == 0)
		return;
	insp_send(in, MSG_VERDICTS, in->verdicts,
	    in->nverdicts * sizeof(in->verdicts[0]));
	in->nverdicts = 0;
}

static void
insp_verdict(struct insp *in, const struct msg_pkt *p,
    enum msg_verdict_kind k, uint32_t mark)
{
	struct msg_verdict *v = &in->verdicts[in->nverdicts++];

	memset(v, 0, sizeof(*v));
	v->id = p->id;
	v->verdict = (uint8_t)k;
	v->mark = mark;
	v->pktmark = p->mark;
	if (in->nverdicts == MSG_PKT_BATCH_MAX)
		insp_flush_verdicts(in);
}

/* As the single-process worker answered, less the kernel calls. */
static void
insp_packet(struct insp *in, const struct msg_pkt *p, const uint8_t *data)
{
	struct msg_rewrite rw;
	struct eng_verdict v;
	struct eng_pkt ep;

	/* before the config, as fail-open would; and a packet the kernel
	 * sent without its payload: nothing to judge */
	if (in->eng == NULL || p->len == 0) {
		insp_verdict(in, p, MSG_V_ACCEPT, 0);
		return;
	}
	ep.l3 = data;
	ep.len = p->len;
	ep.ts_us = p->ts_us ? p->ts_us : sg_now_us();
	ep.mac = p->has_mac ? p->mac : NULL;
	ep.iface = p->iface[0] ? p->iface : NULL;
	in->pkt_iface = ep.iface;
	eng_packet(in->eng, &ep, &v);
	in->pkt_iface = NULL;
	if (v.pkt != NULL && v.pktlen >= 1 && v.pktlen <= MSG_REWRITE_MAX) {
		insp_flush_verdicts(in);	/* the monitor keeps the order */
		memset(&rw, 0, sizeof(rw));
		rw.id = p->id;
		rw.len = (uint32_t)v.pktlen;
		memcpy(rw.data, v.pkt, v.pktlen);
		insp_send(in, MSG_REWRITE, &rw, sizeof(rw));
	} else if (v.skipped || !v.final)
		insp_verdict(in, p, v.action == SG_BLOCK ? MSG_V_DROP :
		    MSG_V_ACCEPT, 0);
	else
		insp_verdict(in, p, MSG_V_REPEAT_MARK,
		    worker_mark_of(v.action));
}

/* A packet read from the queue, as one the monitor would have sent. */
static void
insp_queued(struct nfq_queue *q, const struct nfq_pkt *np, void *arg)
{
	struct insp *in = arg;
	struct msg_pkt p;

	(void)q;
	memset(&p, 0, sizeof(p));
	p.id = np->id;
	p.mark = np->mark;
	p.ts_us = np->ts_us;
	/* GSO packets of up to 64 KiB: the engine needs only the start */
	p.len = np->len > UINT16_MAX ? UINT16_MAX : (uint16_t)np->len;
	p.has_mac = np->has_mac ? 1 : 0;
	memcpy(p.mac, np->mac, sizeof(p.mac));
	memcpy(p.iface, np->iface, sizeof(p.iface));
	p.iface[sizeof(p.iface) - 1] = '\0';
	insp_packet(in, &p, np->data);
}

/* The queue's socket: once, for this inspector's own queue. */
static void
insp_queue(struct insp *in, const struct msg_queue *q, int fd)
{
	struct nfq_ifname names[MSG_IFNAMES_MAX];

	if (in->offline || in->nfq != NULL || q->queue != in->queue) {
		log_warnx("queue %u: a queue socket out of turn", in->queue);
		insp_exit(4);
	}
	for (size_t i = 0; i < q->nifs; i++) {
		names[i].index = q->ifs[i].index;
		memcpy(names[i].name, q->ifs[i].name, sizeof(names[i].name));
	}
	if ((in->nfq = nfq_queue_adopt(fd, (uint16_t)q->queue, q->portid,
	    names, q->nifs)) == NULL)
		insp_exit(5);
	in->in->fd = -1;	/* the queue's now */
}

/* What the queue holds, a bounded number at a time; any error ends the
 * inspector, whose packets then get the failure mode. */
static void
insp_read_queue(struct insp *in)
{
	if (nfq_receive(in->nfq, insp_queued, in) == -1 &&
	    errno != EAGAIN && errno != EINTR) {
		log_warnx("queue %u: %s", in->queue, strerror(errno));
		insp_exit(3);
	}
	insp_flush_verdicts(in);
}

static void
insp_release(const struct sg_config *cfg, void *arg)
{
	(void)arg;
	conf_free((struct sg_config *)(uintptr_t)cfg);
}

static struct eng *
insp_engine(struct insp *in, const struct sg_config *cfg)
{
	struct eng_opts eo;

	memset(&eo, 0, sizeof(eo));
	eo.as_group = -1;
	eo.as_device = -1;
	eo.on_decided = insp_decided;
	eo.on_dns = insp_dns_learnt;
	eo.arg = in;
	eo.quic_fallback = true;
	eo.dns = in->dns;
	eo.tcp_timeout_us = 60 * 1000000ULL;	/* decided flows linger only */
	eo.udp_timeout_us = 30 * 1000000ULL;	/* for packets in flight */
	return eng_new(cfg, in->mod, &eo);
}

static void
insp_config(struct insp *in)
{
	struct sg_config *cfg;
	char err[256];

	if ((cfg = conf_unpack(in->config.buf, in->config.len, err,
	    sizeof(err))) == NULL) {
		log_warnx("queue %u: config from the monitor: %s", in->queue,
		    err);
		insp_exit(4);
	}
	if (in->offline) {	/* one config per run; engines per file */
		if (in->cfg != NULL)
			insp_exit(4);
		in->cfg = cfg;
	} else if (in->eng == NULL) {
		if ((in->eng = insp_engine(in, cfg)) == NULL)
			insp_exit(5);
		eng_set_leases(in->eng, &in->leases[in->cur_leases]);
		eng_set_radius(in->eng, &in->radius[in->cur_radius]);
	} else if (eng_set_config(in->eng, cfg, insp_release, NULL) == -1)
		insp_exit(5);
}

static void
insp_leases(struct insp *in)
{
	const struct msg_lease *m = (const struct msg_lease *)in->lease_blob.buf;
	size_t n = in->lease_blob.len / sizeof(*m);
	int next = !in->cur_leases;
	struct lease *v = NULL;

	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL)
		insp_exit(5);
	for (size_t i = 0; i < n; i++)
		im_lease_from(&v[i], &m[i]);
	leases_free(&in->leases[next]);
	in->leases[next] = (struct leases){ v, n };
	in->cur_leases = next;
	if (in->eng != NULL)
		eng_set_leases(in->eng, &in->leases[next]);
}

static void
insp_radius(struct insp *in)
{
	const struct msg_rad *m = (const struct msg_rad *)in->rad_blob.buf;
	size_t n = in->rad_blob.len / sizeof(*m);
	int next = !in->cur_radius;
	struct rad_session s;

	rad_table_free(&in->radius[next]);
	memset(&in->radius[next], 0, sizeof(in->radius[next]));
	for (size_t i = 0; i < n; i++) {
		im_rad_from(&s, &m[i]);
		(void)rad_apply(&in->radius[next], RAD_START, &s);
	}
	in->cur_radius = next;
	if (in->eng != NULL)
		eng_set_radius(in->eng, &in->radius[next]);
}

/* A part of a blob; fn once it is whole. */
static void
insp_blob(struct insp *in, struct msg_blob *b, void (*fn)(struct insp *))
{
	switch (msg_blob_add(b, in->in)) {
	case 1:
		fn(in);
		msg_blob_reset(b);
		break;
	case -1:
		log_warnx("queue %u: %s from the monitor: %s", in->queue,
		    msg_type_name(in->in->hdr.type), strerror(errno));
		insp_exit(4);
	default:
		break;
	}
}

/* classify's on_end: the flow with its end-of-file totals. */
static void
insp_ended(const struct eng_flow_view *v, void *arg)
{
	struct insp *in = arg;
	struct policy_kept kept;
	struct msg_ended m;
	struct rec_flow r;

	memset(&m, 0, sizeof(m));
	eng_view_to_record(v, "", (time_t)in->file.pin_time, &r);
	policy_kept_init(&kept, v->id, NULL, v->cls->master, v->cls->proto,
	    v->cls->host_src != SG_HOST_NONE ? v->cls->host : "", v->dec);
	im_decided_to(&m.dec, v, &r, &kept, false);
	m.decided_after = v->decided_after;
	insp_send(in, MSG_ENDED, &m, sizeof(m));
}

static void
insp_offline_start(struct insp *in, const struct msg_offline *o)
{
	struct eng_opts eo;

	if (in->cfg == NULL || in->eng != NULL)
		insp_exit(4);
	in->file = *o;
	in->file_pkts = 0;
	in->undecodable = 0;
	memset(&eo, 0, sizeof(eo));
	eo.as_group = o->as_group;
	eo.as_device = o->as_device;
	eo.pin_time = (time_t)o->pin_time;
	eo.on_end = insp_ended;
	eo.arg = in;
	if ((in->eng = eng_new(in->cfg, in->mod, &eo)) == NULL)
		insp_exit(5);
}

/* Ends the file's flows (each a MSG_ENDED) after its counters. */
static void
insp_offline_end(struct insp *in)
{
	struct msg_offline done;

	if (in->eng == NULL)
		insp_exit(4);
	insp_send(in, MSG_ENG_STATS, eng_stats(in->eng),
	    sizeof(struct eng_stats));
	eng_free(in->eng);
	in->eng = NULL;
	memset(&done, 0, sizeof(done));
	done.op = MSG_OFF_DONE;
	done.as_group = done.as_device = -1;
	done.undecodable = in->undecodable;
	insp_send(in, MSG_OFFLINE, &done, sizeof(done));
}

static void
insp_offline(struct insp *in, const struct msg_offline *o)
{
	if (!in->offline || o->op == MSG_OFF_DONE)
		insp_exit(4);
	if (o->op == MSG_OFF_START)
		insp_offline_start(in, o);
	else
		insp_offline_end(in);
}

/* A captured frame: decoded here, so the parent parses no packet. */
static void
insp_offline_packet(struct insp *in, const struct msg_pkt *p,
    const uint8_t *data)
{
	struct eng_verdict v;
	struct eng_pkt ep;
	struct dec_l2 l2;

	if (in->eng == NULL)
		insp_exit(4);
	if (dec_link(in->file.linktype, data, p->len, &l2) != DEC_OK) {
		in->undecodable++;
		return;
	}
	ep = (struct eng_pkt){ l2.l3, l2.l3len, p->ts_us,
	    l2.has_mac ? l2.src_mac : NULL, NULL };
	eng_packet(in->eng, &ep, &v);
	if ((++in->file_pkts & INSP_OFF_EXPIRE_MASK) == 0) {
		eng_expire(in->eng, p->ts_us);
		if (in->file.stats)	/* for classify's memory report */
			insp_send(in, MSG_ENG_STATS, eng_stats(in->eng),
			    sizeof(struct eng_stats));
	}
}

static void
insp_message(struct insp *in)
{
	const struct msg_pkt *p;
	const uint8_t *data;
	struct dns_response r;
	struct sg_addr client;
	size_t off = 0;
	time_t now;

	switch (in->in->hdr.type) {
	case MSG_CONFIG:
		insp_blob(in, &in->config, insp_config);
		break;
	case MSG_LEASES:
		insp_blob(in, &in->lease_blob, insp_leases);
		break;
	case MSG_RADIUS:
		insp_blob(in, &in->rad_blob, insp_radius);
		break;
	case MSG_PACKETS:
		while (msg_pkt_next(in->in, &off, &p, &data)) {
			if (in->offline)
				insp_offline_packet(in, p, data);
			else
				insp_packet(in, p, data);
		}
		insp_flush_verdicts(in);
		break;
	case MSG_OFFLINE:
		insp_offline(in, (const struct msg_offline *)in->in->data);
		break;
	case MSG_QUEUE_FD:
		insp_queue(in, (const struct msg_queue *)in->in->data,
		    in->in->fd);
		break;
	case MSG_DNS:
		im_dns_from((const struct msg_dns *)in->in->data, &client, &r,
		    &now);
		dns_cache_add(in->dns, &client, &r, now);
		break;
	default:	/* a type for another role: the monitor is confused */
		log_warnx("queue %u: unexpected %s message", in->queue,
		    msg_type_name(in->in->hdr.type));
		insp_exit(4);
	}
}

static void
insp_tick(struct insp *in)
{
	/* offline flows age by capture time, and classify wants no stats */
	if (in->eng == NULL || in->offline)
		return;
	eng_expire(in->eng, sg_now_us());
	insp_send(in, MSG_ENG_STATS, eng_stats(in->eng),
	    sizeof(struct eng_stats));
}

static void __attribute__((noreturn))
insp_loop(struct insp *in)
{
	struct pollfd pfd[2];
	enum msg_error why;
	uint64_t last = 0, now;

	for (;;) {
		pfd[0] = (struct pollfd){ in->sock, POLLIN, 0 };
		pfd[1] = (struct pollfd){ in->nfq ? nfq_queue_fd(in->nfq) : -1,
		    POLLIN, 0 };
		if (poll(pfd, 2, 1000) > 0) {
			if (pfd[1].revents != 0)
				insp_read_queue(in);
			if (pfd[0].revents == 0)
				goto tick;
			switch (msg_recv(in->sock, in->in, &why)) {
			case 1:
				insp_message(in);
				break;
			case 0:		/* the monitor is gone or stopping */
				/* flows still open end as they did in the
				 * single process: decided now, and sent */
				if (in->eng != NULL && !in->offline)
					eng_free(in->eng);
				insp_flush(in);
				insp_exit(0);
			default:
				if (errno == EAGAIN || errno == EINTR)
					break;
				log_warnx("queue %u: from the monitor: %s",
				    in->queue, errno == EBADMSG ?
				    msg_strerror(why) : strerror(errno));
				insp_exit(4);
			}
		}
 tick:
		if ((now = sg_now_us()) - last >= INSP_TICK_US) {
			insp_tick(in);
			last = now;
		}
		insp_flush(in);
	}
}

static int
insp_usage(void)
{
	fprintf(stderr, "usage: schoolgate inspector QUEUE|offline USER|- "
	    "[PROTOCOLS]\n(started by schoolgate run or classify, with its "
	    "socket as descriptor 3)\n");
	return 2;
}

int
cmd_inspector(int argc, char **argv)
{
	static struct insp in;	/* static: the message buffer is 128 KiB */
	static struct msg m;
	int keep[] = { INSP_SOCK };
	struct sbx_opts o;
	char err[256];

	if (argc < 3 || argc > 4)
		return insp_usage();
	in.sock = INSP_SOCK;
	in.offline = strcmp(argv[1], "offline") == 0;
	in.queue = in.offline ? 0 : (unsigned)strtoul(argv[1], NULL, 10);
	in.in = &m;
	in.config.max = CONF_PACK_MAX;
	in.lease_blob.max = 64u << 20;
	in.rad_blob.max = 64u << 20;
	log_set_sink(insp_log_sink, &in);
	if ((in.mod = cls_module_new(argc == 4 ? argv[3] : NULL, err,
	    sizeof(err))) == NULL) {
		log_warnx("queue %u: nDPI: %s", in.queue, err);
		insp_exit(2);
	}
	/* the monitor's TZ came along in the environment: its zone file is
	 * read now, while files can be opened (a new zone needs a restart) */
	tzset();
	memset(&o, 0, sizeof(o));
	/* "-": classify run by an admin who is not root (sandbox.h) */
	o.user = strcmp(argv[2], "-") == 0 ? NULL : argv[2];
	o.keep = keep;
	o.nkeep = 1;
	if (sbx_enter(&o, err, sizeof(err)) == -1) {
		log_warnx("queue %u: %s", in.queue, err);
		insp_exit(2);
	}
	if ((in.dns = dns_cache_new(INSP_DNS_ENTRIES, INSP_DNS_MAX_TTL)) == NULL ||
	    (in.out = msg_out_new(in.sock)) == NULL)
		insp_exit(5);
	insp_loop(&in);
}
