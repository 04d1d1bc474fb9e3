#include <sys/eventfd.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

#define WORKER_TICK_US		1000000	/* expiry, leases, stats */
#define WORKER_BATCH		64	/* receives between checks of stop */

_Static_assert(ENG_PKT_MAX <= NFQ_PKT_MAX,
    "a rewritten packet must fit in a verdict");

static void
count_app(struct daemon *d, const char *app, enum sg_action a)
{
	size_t i;

	pthread_mutex_lock(&d->apps_lock);
	for (i = 0; i < d->napps; i++)
		if (strcmp(d->apps[i].name, app) == 0)
			break;
	if (i == d->napps && d->napps < DMN_MAX_APPS)
		snprintf(d->apps[d->napps++].name, SG_APP_MAX, "%s", app);
	if (i < d->napps)
		d->apps[i].n[a]++;
	pthread_mutex_unlock(&d->apps_lock);
}

/*
 * A flow is decided: its later packets stay in the kernel, so its record
 * waits for conntrack's totals.  One blocked on its very first packet
 * never gets a conntrack entry and is written at once.
 */
static void
worker_decided(const struct eng_flow_view *v, void *arg)
{
	struct worker *w = arg;
	struct daemon *d = w->d;
	struct policy_kept kept;
	struct rec_flow r;

	eng_view_to_record(v, "live", 0, &r);
	count_app(d, r.app, v->dec->action);
	policy_kept_init(&kept, v->id, w->pkt_iface, v->cls->master,
	    v->cls->proto, v->cls->host_src != SG_HOST_NONE ? v->cls->host : "",
	    v->dec);
	if ((v->decided_after <= 1 && v->dec->action == SG_BLOCK) ||
	    acct_add(d->acct, &v->flow->key, &r, &kept, sg_now_us()) == -1) {
		rw_flow(d->rw, &r);
		atomic_fetch_add(&d->direct_records, 1);
	}
}

enum nfq_mark
worker_mark_of(enum sg_action a)
{
	switch (a) {
	case SG_BLOCK:	return NFQ_MARK_BLOCK;
	case SG_LOG:	return NFQ_MARK_LOG;
	default:	return NFQ_MARK_ALLOW;
	}
}

static void
worker_packet(struct nfq_queue *q, const struct nfq_pkt *p, void *arg)
{
	struct worker *w = arg;
	struct eng_verdict v;
	struct eng_pkt ep;

	ep.l3 = p->data;
	ep.len = p->len;
	ep.ts_us = p->ts_us ? p->ts_us : sg_now_us();
	ep.mac = p->has_mac ? p->mac : NULL;
	ep.iface = p->iface[0] ? p->iface : NULL;
	w->pkt_iface = ep.iface;	/* for worker_decided */
	eng_packet(w->eng, &ep, &v);
	w->pkt_iface = NULL;
	/* a blocked lookup's answer, rewritten; undecodable: let it
	 * through uninspected, as fail-open would */
	if (v.pkt != NULL)
		nfq_verdict_pkt(q, p->id, v.pkt, v.pktlen);
	else if (v.skipped || !v.final || w->d->no_handoff)
		nfq_verdict(q, p->id, v.action == SG_BLOCK ? NFQ_DROP :
		    NFQ_ACCEPT, 0);
	else	/* the packet's other mark bits are someone else's */
		nfq_verdict(q, p->id, NFQ_REPEAT_MARK, nfq_mark_merge(p->mark,
		    w->d->mark_mask, worker_mark_of(v.action)));
}

/* What an old config held in this worker's engine. */
struct worker_gen {
	struct cfg_ref		*ref;
	struct worker_cls	*cls;
};

static struct worker_cls *
worker_cls_new(struct cls_module *mod)
{
	struct worker_cls *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->mod = mod;
	c->refs = 1;
	return c;
}

static void
worker_cls_put(struct worker_cls *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	cls_module_free(c->mod);
	free(c);
}

/* The engine's last flow under an old config has ended. */
static void
worker_release(const struct sg_config *cfg, void *arg)
{
	struct worker_gen *g = arg;

	(void)cfg;
	cfg_ref_put(g->ref);
	worker_cls_put(g->cls);
	free(g);
}

/* The module for the next config: a new one, or the current one shared. */
static struct worker_cls *
worker_next_cls(struct worker *w, struct cls_module *mod)
{
	struct worker_cls *c;

	if (mod == NULL) {
		w->cls->refs++;
		return w->cls;
	}
	if ((c = worker_cls_new(mod)) == NULL)
		cls_module_free(mod);
	return c;
}

static void
worker_leases_refresh(struct worker *w)
{
	char err[512];

	if (w->leases.path != NULL &&
	    leases_refresh(&w->leases, err, sizeof(err)) == -1 && w->queue ==
	    w->d->workers[0].queue)
		log_warnx("leases: %s; keeping the last good mapping", err);
}

static void
worker_leases_init(struct worker *w)
{
	leases_free(&w->leases.cur);
	memset(&w->leases, 0, sizeof(w->leases));
	w->leases.path = w->cur->cfg->leases_path;
	w->leases.format = w->cur->cfg->leases_format;
	eng_set_leases(w->eng, &w->leases.cur);
	/* now, not at the next tick: the first flows need the mapping too */
	worker_leases_refresh(w);
}

/*
 * After a reload: the same file keeps its last good mapping and is read
 * again now (a bad file then leaves the mapping as it was); another file
 * starts afresh.  The path points into the new config either way, since
 * the old one is freed with its last flow.
 */
static void
worker_leases_reload(struct worker *w)
{
	const struct sg_config *cfg = w->cur->cfg;

	if (w->leases.path == NULL || cfg->leases_path == NULL ||
	    strcmp(w->leases.path, cfg->leases_path) != 0 ||
	    w->leases.format != cfg->leases_format) {
		worker_leases_init(w);
		return;
	}
	w->leases.path = cfg->leases_path;
	w->leases.loaded = false;	/* read it again, whatever its stamp */
	worker_leases_refresh(w);
}

static void
worker_radius_refresh(struct worker *w)
{
	char err[512];

	if (w->radius.nglobs > 0 &&
	    rad_follow_poll(&w->radius, err, sizeof(err)) == -1 &&
	    w->queue == w->d->workers[0].queue)
		log_warnx("radius_detail: %s; keeping the sessions read so far",
		    err);
}

static bool
worker_same_globs(const struct rad_follow *f, const struct sg_config *cfg)
{
	if (f->nglobs != cfg->nradius_detail)
		return false;
	for (size_t i = 0; i < f->nglobs; i++)
		if (strcmp(f->globs[i], cfg->radius_detail[i]) != 0)
			return false;
	return true;
}

/*
 * At start and after a reload.  The same files keep their sessions and
 * places (only the globs now point into the new config); other files
 * start afresh, from the start of each file.
 */
static void
worker_radius_init(struct worker *w)
{
	const struct sg_config *cfg = w->cur->cfg;

	if (worker_same_globs(&w->radius, cfg) && w->radius.nglobs > 0) {
		w->radius.globs = cfg->radius_detail;
	} else {
		rad_follow_free(&w->radius);
		rad_follow_init(&w->radius, cfg->radius_detail,
		    cfg->nradius_detail);
	}
	eng_set_radius(w->eng, &w->radius.table);
	worker_radius_refresh(w);
}

static void
worker_apply_config(struct worker *w)
{
	struct cls_module *mod;
	struct worker_gen *old = NULL;
	struct worker_cls *cls = NULL;
	struct cfg_ref *next;
	uint64_t v;

	if (read(w->wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&w->lock);
	next = w->next;
	mod = w->next_cls;
	w->next = NULL;
	w->next_cls = NULL;
	pthread_mutex_unlock(&w->lock);
	if (next == NULL)
		return;
	if ((cls = worker_next_cls(w, mod)) == NULL ||
	    (old = malloc(sizeof(*old))) == NULL)
		goto keep_old;
	*old = (struct worker_gen){ w->cur, w->cls };
	if (eng_set_config(w->eng, next->cfg, worker_release, old) == -1)
		goto keep_old;
	eng_set_classifier(w->eng, cls->mod);
	w->cur = next;
	w->cls = cls;
	worker_leases_reload(w);
	worker_radius_init(w);
	return;

 keep_old:
	log_warnx("queue %u: out of memory applying a reload; still "
	    "enforcing the previous config", w->queue);
	free(old);
	worker_cls_put(cls);
	cfg_ref_put(next);
}

static void
worker_tick(struct worker *w, uint64_t now)
{
	eng_expire(w->eng, now);
	worker_leases_refresh(w);
	worker_radius_refresh(w);
	pthread_mutex_lock(&w->lock);
	w->eng_st = *eng_stats(w->eng);
	w->nfq_st = *nfq_stats(w->q);
	pthread_mutex_unlock(&w->lock);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct pollfd pfd[2];
	uint64_t last = 0, now;

	pfd[0] = (struct pollfd){ nfq_queue_fd(w->q), POLLIN, 0 };
	pfd[1] = (struct pollfd){ w->wakefd, POLLIN, 0 };
	while (!atomic_load(&w->stop)) {
		if (poll(pfd, 2, 200) > 0) {
			for (int i = 0; i < WORKER_BATCH &&
			    nfq_receive(w->q, worker_packet, w) == 0; i++)
				;
			/* published at once: status's fail-open estimate
			 * subtracts it from the kernel's live count */
			pthread_mutex_lock(&w->lock);
			w->nfq_st = *nfq_stats(w->q);
			pthread_mutex_unlock(&w->lock);
			if (pfd[1].revents & POLLIN)
				worker_apply_config(w);
		}
		if ((now = sg_now_us()) - last >= WORKER_TICK_US) {
			worker_tick(w, now);
			last = now;
		}
	}
	worker_tick(w, sg_now_us());
	return NULL;
}

/* What worker_stop needs, whatever fails later. */
int
worker_init(struct worker *w, struct daemon *d, unsigned queue,
    struct cfg_ref *cfg)
{
	memset(w, 0, sizeof(*w));
	w->d = d;
	w->queue = queue;
	pthread_mutex_init(&w->lock, NULL);
	atomic_init(&w->stop, false);
	cfg_ref_get(cfg);
	w->cur = cfg;
	w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return w->wakefd == -1 ? -1 : 0;
}

int
worker_start(struct worker *w)
{
	struct cls_module *mod;
	struct eng_opts eo;
	char err[256];

	memset(&eo, 0, sizeof(eo));
	eo.as_group = -1;
	eo.as_device = -1;
	eo.on_decided = worker_decided;
	eo.arg = w;
	eo.quic_fallback = true;
	eo.dns = w->d->dns;	/* a lookup and its flow may use two queues */
	eo.tcp_timeout_us = 60 * 1000000ULL;	/* decided flows linger only */
	eo.udp_timeout_us = 30 * 1000000ULL;	/* for packets in flight */
	if ((mod = cls_module_new(w->cur->cfg->protocols_file, err,
	    sizeof(err))) == NULL) {
		log_warnx("nDPI: %s", err);
		return -1;
	}
	if ((w->cls = worker_cls_new(mod)) == NULL) {
		cls_module_free(mod);
		return -1;
	}
	if ((w->eng = eng_new(w->cur->cfg, w->cls->mod, &eo)) == NULL)
		return -1;
	worker_leases_init(w);
	worker_radius_init(w);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
		return -1;
	w->started = true;
	return 0;
}

void
worker_post_config(struct worker *w, struct cfg_ref *r, struct cls_module *cls)
{
	uint64_t one = 1;

	cfg_ref_get(r);
	pthread_mutex_lock(&w->lock);
	if (w->next != NULL)
		cfg_ref_put(w->next);	/* superseded before it was taken */
	/* A module not yet taken stays for the config that supersedes it:
	 * a reload comes without one only when neither it nor the config
	 * before it names a protocols file, so that module has none either. */
	if (cls != NULL) {
		cls_module_free(w->next_cls);
		w->next_cls = cls;
	}
	w->next = r;
	pthread_mutex_unlock(&w->lock);
	if (write(w->wakefd, &one, sizeof(one)) < 0)
		log_warn("%s: eventfd", __func__);
}

/* Ends every flow (their records go to the accounting table), then
 * unbinds the queue. */
void
worker_stop(struct worker *w)
{
	uint64_t one = 1;

	if (w->started) {
		atomic_store(&w->stop, true);
		if (write(w->wakefd, &one, sizeof(one)) < 0)
			log_warn("%s: eventfd", __func__);
		pthread_join(w->thread, NULL);
		w->started = false;
	}
	if (w->eng)
		eng_free(w->eng);
	w->eng = NULL;
	worker_cls_put(w->cls);	/* old configs' went with the engine */
	w->cls = NULL;
	cls_module_free(w->next_cls);	/* posted, never taken */
	w->next_cls = NULL;
	if (w->q)
		nfq_queue_close(w->q);
	leases_free(&w->leases.cur);
	rad_follow_free(&w->radius);
	if (w->wakefd >= 0)
		close(w->wakefd);
	cfg_ref_put(w->next);
	w->next = NULL;
	cfg_ref_put(w->cur);
	w->cur = NULL;
	pthread_mutex_destroy(&w->lock);
}
