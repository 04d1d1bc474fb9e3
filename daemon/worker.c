#include <sys/eventfd.h>
#include <errno.h>
#include <sys/socket.h>
#include <poll.h>
#include <signal.h>
#include <syslog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "confpack.h"
#include "daemon.h"
#include "inspmsg.h"
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
 * A flow the inspector decided: its later packets stay in the kernel, so
 * its record waits for conntrack's totals.  One blocked on its very first
 * packet never gets a conntrack entry and is written at once.
 */
static void
worker_decided(struct worker *w, const struct msg_decided *m)
{
	struct daemon *d = w->d;
	struct policy_kept kept;
	struct flow_key key;
	struct rec_flow r;

	im_decided_from(m, &key, &r, &kept);
	count_app(d, r.app, (enum sg_action)m->flow.action);
	if (m->direct || acct_add(d->acct, &key, &r, &kept, sg_now_us()) == -1) {
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

/* Wrap-safe: whether id a comes after b in the queue's sequence. */
static bool
worker_id_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static void
worker_answered(struct worker *w, uint32_t id)
{
	if (worker_id_after(id, w->last_id))
		w->last_id = id;
	w->relayed++;
}

/*
 * No inspector runs: the monitor reads its queue itself, judges nothing
 * and applies the failure mode.
 */
static void
worker_uninspected(struct nfq_queue *q, const struct nfq_pkt *p, void *arg)
{
	struct worker *w = arg;

	(void)q;
	(void)nfq_verdict(w->q, p->id, w->cur->cfg->fail_open ? NFQ_ACCEPT :
	    NFQ_DROP, 0);
	if (worker_id_after(p->id, w->last_id))
		w->last_id = p->id;
	w->uninspected++;
	w->gap_uninspected++;
}

/* What waits in the queue's socket, answered by the failure mode. */
void
worker_drain_queue(struct worker *w)
{
	nfq_hold(w->q);
	for (int i = 0; i < WORKER_BATCH && nfq_receive(w->q,
	    worker_uninspected, w) == 0; i++)
		;
	(void)nfq_release(w->q);
}

/*
 * The inspector reads the queue and the monitor answers: it holds
 * CAP_NET_ADMIN, which nfnetlink checks in the task that sends each
 * verdict.  A compromised inspector may misjudge the packets it reads
 * (it could allow them itself, by judging them so), but the mark is one
 * of ours and the packet's other bits are as the inspector saw them.
 */
static int
worker_verdicts(struct worker *w, const struct msg *m)
{
	const struct msg_verdict *v = (const struct msg_verdict *)m->data;
	size_t n = msg_count(m, sizeof(*v));

	for (size_t i = 0; i < n; i++) {
		if (v[i].verdict != MSG_V_REPEAT_MARK)
			(void)nfq_verdict(w->q, v[i].id, v[i].verdict ==
			    MSG_V_DROP ? NFQ_DROP : NFQ_ACCEPT, 0);
		else if (v[i].mark < NFQ_MARK_ALLOW ||
		    v[i].mark > NFQ_MARK_BLOCK)
			return -1;
		else if (w->d->no_handoff)
			(void)nfq_verdict(w->q, v[i].id, v[i].mark ==
			    NFQ_MARK_BLOCK ? NFQ_DROP : NFQ_ACCEPT, 0);
		else	/* the packet's other mark bits are someone else's */
			(void)nfq_verdict(w->q, v[i].id, NFQ_REPEAT_MARK,
			    nfq_mark_merge(v[i].pktmark, w->d->mark_mask,
			    (enum nfq_mark)v[i].mark));
		worker_answered(w, v[i].id);
	}
	return 0;
}

static int
worker_rewrite(struct worker *w, const struct msg_rewrite *r)
{
	(void)nfq_verdict_pkt(w->q, r->id, r->data, r->len);
	worker_answered(w, r->id);
	return 0;
}

/* Its lines are the inspector's words: printable only, and tagged. */
static void
worker_log(struct worker *w, const struct msg_log *l)
{
	char text[MSG_LOG_TEXT_MAX];

	sg_printable(l->text, text, sizeof(text));
	if (l->priority <= LOG_WARNING)
		log_warnx("inspector for queue %u: %s", w->queue, text);
	else if (l->priority <= LOG_INFO)
		log_info("inspector for queue %u: %s", w->queue, text);
	else
		log_debug("inspector for queue %u: %s", w->queue, text);
}

static int
worker_message(struct worker *w, const struct msg *m)
{
	switch (m->hdr.type) {
	case MSG_VERDICTS:
		return worker_verdicts(w, m);
	case MSG_REWRITE:
		return worker_rewrite(w, (const struct msg_rewrite *)m->data);
	case MSG_DECIDED:
		worker_decided(w, (const struct msg_decided *)m->data);
		return 0;
	case MSG_LOG:
		worker_log(w, (const struct msg_log *)m->data);
		return 0;
	case MSG_ENG_STATS:
		pthread_mutex_lock(&w->lock);
		memcpy(&w->eng_st, m->data, sizeof(w->eng_st));
		pthread_mutex_unlock(&w->lock);
		return 0;
	case MSG_DNS:	/* stopping: the other queues may be gone */
		if (!atomic_load(&w->stop))
			worker_fan_dns(w->d, w, (const struct msg_dns *)m->data);
		return 0;
	default:
		return -1;
	}
}

/* What the inspector sent, a bounded number at a time.  -1: it is lost
 * (and was handled as a crash). */
static int
worker_inspector_read(struct worker *w)
{
	enum msg_error why;
	char detail[96];

	for (int i = 0; i < WORKER_BATCH * 4 && w->sock >= 0; i++) {
		switch (msg_recv(w->sock, w->in, &why)) {
		case 1:
			w->heard_us = sg_now_us();
			if (worker_message(w, w->in) == 0)
				break;
			snprintf(detail, sizeof(detail), "sent a %s message out "
			    "of turn", msg_type_name(w->in->hdr.type));
			goto lost;
		case 0:
			if (atomic_load(&w->stop))	/* it finished, as asked */
				spawn_retire(w);
			else
				spawn_lost(w, NULL);
			return -1;
		default:
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			snprintf(detail, sizeof(detail), "sent a bad message: %s",
			    errno == EBADMSG ? msg_strerror(why) :
			    strerror(errno));
			goto lost;
		}
	}
	return 0;

 lost:
	pthread_mutex_lock(&w->lock);
	w->rejected++;
	pthread_mutex_unlock(&w->lock);
	(void)kill(w->pid, SIGKILL);	/* our own child, now untrusted */
	spawn_lost(w, detail);
	return -1;
}

/* The verdicts of one read go to the kernel in one send. */
int
worker_inspector_input(struct worker *w)
{
	int rc;

	nfq_hold(w->q);
	rc = worker_inspector_read(w);
	(void)nfq_release(w->q);
	return rc;
}

/* Queued for the other queues' worker threads, which send it on. */
void
worker_fan_dns(struct daemon *d, const struct worker *from,
    const struct msg_dns *m)
{
	uint64_t one = 1;

	for (size_t i = 0; i < d->nworkers; i++) {
		struct worker *o = &d->workers[i];
		if (o == from)
			continue;
		pthread_mutex_lock(&o->lock);
		if (o->dns_n < WORKER_DNS_INBOX)
			o->dns_inbox[o->dns_n++] = *m;
		else
			o->dns_dropped++;
		pthread_mutex_unlock(&o->lock);
		if (write(o->wakefd, &one, sizeof(one)) < 0)
			log_debug("queue %u: eventfd: %s", o->queue,
			    strerror(errno));
	}
}

/* Whether the mapping changed. */
static bool
worker_leases_refresh(struct worker *w)
{
	char err[512];
	int rc;

	if (w->leases.path == NULL)
		return false;
	if ((rc = leases_refresh(&w->leases, err, sizeof(err))) == -1 &&
	    w->queue == w->d->workers[0].queue)
		log_warnx("leases: %s; keeping the last good mapping", err);
	return rc == 1;
}

static void
worker_leases_init(struct worker *w)
{
	leases_free(&w->leases.cur);
	memset(&w->leases, 0, sizeof(w->leases));
	w->leases.path = w->cur->cfg->leases_path;
	w->leases.format = w->cur->cfg->leases_format;
	/* now, not at the next tick: the first flows need the mapping too */
	(void)worker_leases_refresh(w);
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
	(void)worker_leases_refresh(w);
}

/* Whether the sessions changed. */
static bool
worker_radius_refresh(struct worker *w)
{
	char err[512];
	int rc;

	if (w->radius.nglobs == 0)
		return false;
	if ((rc = rad_follow_poll(&w->radius, err, sizeof(err))) == -1 &&
	    w->queue == w->d->workers[0].queue)
		log_warnx("radius_detail: %s; keeping the sessions read so far",
		    err);
	return rc == 1;
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
	(void)worker_radius_refresh(w);
}

static int
worker_send_leases(struct worker *w)
{
	const struct leases *l = &w->leases.cur;
	struct msg_lease *v = NULL;
	int rc;

	if (l->n > 0 && (v = calloc(l->n, sizeof(*v))) == NULL)
		return 0;	/* the inspector keeps the last set */
	for (size_t i = 0; i < l->n; i++)
		im_lease_to(&v[i], &l->v[i]);
	rc = spawn_send_blob(w, MSG_LEASES, v, l->n * sizeof(*v), sizeof(*v));
	free(v);
	return rc;
}

static int
worker_send_radius(struct worker *w)
{
	const struct rad_table *t = &w->radius.table;
	struct msg_rad *v = NULL;
	size_t n = 0;
	int rc;

	if (t->nsess > 0 && (v = calloc(t->nsess, sizeof(*v))) == NULL)
		return 0;
	for (size_t i = 0; i < t->nsess; i++)
		if (t->sess[i].refs > 0)
			im_rad_to(&v[n++], &t->sess[i].s);
	rc = spawn_send_blob(w, MSG_RADIUS, v, n * sizeof(*v), sizeof(*v));
	free(v);
	return rc;
}

/* The whole lease set and session table: they are small, and a whole
 * set replaces the inspector's without any merging to get wrong. */
int
worker_send_identity(struct worker *w)
{
	if (w->sock == -1)
		return 0;
	if (worker_send_leases(w) == -1)
		return -1;
	return worker_send_radius(w);
}

int
worker_send_config(struct worker *w)
{
	uint8_t *blob;
	size_t len;
	int rc;

	if (conf_pack(w->cur->cfg, &blob, &len) == -1) {
		log_warnx("queue %u: cannot pack the config for its inspector",
		    w->queue);
		return -1;
	}
	rc = spawn_send_blob(w, MSG_CONFIG, blob, len, 1);
	free(blob);
	return rc;
}

/* Neither names a protocols file: the inspector's module serves both
 * (a file may have new content under the same name). */
static bool
worker_same_protocols(const struct sg_config *a, const struct sg_config *b)
{
	return a->protocols_file == NULL && b->protocols_file == NULL;
}

/*
 * A reload.  The inspector gets the new config; new nDPI protocols need
 * a new module, which only a new inspector may build (the module is
 * built before the sandbox closes), so then it is replaced.
 */
static void
worker_apply_config(struct worker *w, struct cfg_ref *next)
{
	bool same = worker_same_protocols(w->cur->cfg, next->cfg);
	struct cfg_ref *old = w->cur;

	w->cur = next;
	/* these compare the old config's paths with the new ones */
	worker_leases_reload(w);
	worker_radius_init(w);
	cfg_ref_put(old);
	if (w->sock == -1)
		return;
	if (!same) {
		spawn_retire(w);
		w->restart_us = 0;
		return;
	}
	if (worker_send_config(w) == 0)
		(void)worker_send_identity(w);
}

static void
worker_wakeup(struct worker *w)
{
	struct cfg_ref *next;
	size_t n;
	uint64_t v;

	if (read(w->wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&w->lock);
	next = w->next;
	w->next = NULL;
	n = w->dns_n;
	pthread_mutex_unlock(&w->lock);
	if (next != NULL)
		worker_apply_config(w, next);
	/* sent outside the lock: other threads only append */
	for (size_t i = 0; i < n && w->sock >= 0; i++)
		(void)spawn_send(w, MSG_DNS, 0, &w->dns_inbox[i],
		    sizeof(w->dns_inbox[i]));
	pthread_mutex_lock(&w->lock);
	memmove(w->dns_inbox, w->dns_inbox + n,
	    (w->dns_n - n) * sizeof(*w->dns_inbox));
	w->dns_n -= n;
	pthread_mutex_unlock(&w->lock);
}

/* An inspector silent this long is hung (a loop in a dissector): it
 * sends its counters every second, so it is lost like a crashed one. */
#define WORKER_HUNG_US	(5 * 1000000ULL)

/* The packets answered count as received: the inspector receives them
 * (status's fail-open estimate subtracts this from the kernel's count). */
static void
worker_publish(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->nfq_st = *nfq_stats(w->q);
	w->nfq_st.received += w->relayed;
	pthread_mutex_unlock(&w->lock);
}

static void
worker_tick(struct worker *w, uint64_t now)
{
	bool changed;

	changed = worker_leases_refresh(w);
	changed = worker_radius_refresh(w) || changed;
	if (changed && worker_send_identity(w) == -1)
		return;
	if (w->sock >= 0 && now - w->heard_us > WORKER_HUNG_US) {
		(void)kill(w->pid, SIGKILL);	/* our own child */
		spawn_lost(w, "sent nothing for 5 s");
	}
	worker_publish(w);
}

static void
worker_restart(struct worker *w, uint64_t now)
{
	if (w->sock >= 0 || now < w->restart_us)
		return;
	pthread_mutex_lock(&w->lock);
	w->restarts++;
	pthread_mutex_unlock(&w->lock);
	if (spawn_inspector(w) == -1 && w->sock == -1) {
		log_warn("queue %u: cannot start an inspector", w->queue);
		w->restart_us = now + 1000000;
		if (w->down_us == 0)
			w->down_us = now;
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct pollfd pfd[3];
	uint64_t last = 0, now;

	while (!atomic_load(&w->stop)) {
		/* the queue is the inspector's to read while it runs */
		pfd[0] = (struct pollfd){ nfq_queue_fd(w->q),
		    w->sock == -1 ? POLLIN : 0, 0 };
		pfd[1] = (struct pollfd){ w->wakefd, POLLIN, 0 };
		pfd[2] = (struct pollfd){ w->sock, POLLIN, 0 };
		if (poll(pfd, 3, 200) > 0) {
			if (pfd[2].revents != 0)
				(void)worker_inspector_input(w);
			if ((pfd[0].revents & POLLIN) && w->sock == -1)
				worker_drain_queue(w);
			worker_publish(w);
			if (pfd[1].revents & POLLIN)
				worker_wakeup(w);
		}
		if ((now = sg_now_us()) - last >= WORKER_TICK_US) {
			worker_tick(w, now);
			last = now;
		}
		worker_restart(w, now);
	}
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
	w->sock = -1;
	pthread_mutex_init(&w->lock, NULL);
	atomic_init(&w->stop, false);
	cfg_ref_get(cfg);
	w->cur = cfg;
	w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->in = malloc(sizeof(*w->in));
	w->dns_inbox = calloc(WORKER_DNS_INBOX, sizeof(*w->dns_inbox));
	return w->wakefd == -1 || w->in == NULL || w->dns_inbox == NULL ?
	    -1 : 0;
}

int
worker_start(struct worker *w)
{
	worker_leases_init(w);
	worker_radius_init(w);
	if (spawn_inspector(w) == -1) {
		log_warn("queue %u: cannot start its inspector", w->queue);
		return -1;
	}
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
		return -1;
	w->started = true;
	return 0;
}

void
worker_post_config(struct worker *w, struct cfg_ref *r)
{
	uint64_t one = 1;

	cfg_ref_get(r);
	pthread_mutex_lock(&w->lock);
	if (w->next != NULL)
		cfg_ref_put(w->next);	/* superseded before it was taken */
	w->next = r;
	pthread_mutex_unlock(&w->lock);
	if (write(w->wakefd, &one, sizeof(one)) < 0)
		log_warn("%s: eventfd", __func__);
}

/*
 * The inspector sees end of file only after every packet sent before it,
 * so its last decided flows still reach the accounting table; then it
 * exits.  One that takes too long is ended.
 */
static void
worker_drain(struct worker *w)
{
	struct pollfd pfd;

	if (w->sock < 0)
		return;
	(void)shutdown(w->sock, SHUT_WR);
	for (int i = 0; i < 30 && w->sock >= 0; i++) {
		pfd = (struct pollfd){ w->sock, POLLIN, 0 };
		if (poll(&pfd, 1, 100) > 0)
			(void)worker_inspector_input(w);
	}
	if (w->sock >= 0)
		spawn_retire(w);
}

/* Undecided flows had no record yet.  Then the queue is unbound. */
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
	worker_drain(w);
	if (w->q)
		nfq_queue_close(w->q);
	leases_free(&w->leases.cur);
	rad_follow_free(&w->radius);
	if (w->wakefd >= 0)
		close(w->wakefd);
	free(w->in);
	free(w->dns_inbox);
	cfg_ref_put(w->next);
	w->next = NULL;
	cfg_ref_put(w->cur);
	w->cur = NULL;
	pthread_mutex_destroy(&w->lock);
}
