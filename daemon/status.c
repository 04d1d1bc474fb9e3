#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

/* Everything status and metrics show, gathered once. */
struct status {
	struct eng_stats eng;
	struct nfq_stats nfq;
	struct rw_stats	 rec;
	uint64_t	 kq_total;	/* packets the kernel tried to queue */
	uint64_t	 kq_dropped;	/* queue full, fail-closed */
	uint64_t	 kq_user_dropped;	/* socket full */
	uint64_t	 kq_waiting;	/* queued, not yet read by a worker */
	uint64_t	 failopen;	/* passed without inspection (estimate) */
	uint64_t	 skipped;
	size_t		 pending;
	uint64_t	 ct_lost;
};

/*
 * /proc/net/netfilter/nfnetlink_queue: queue, portid, waiting, copy
 * mode, copy range, queue_dropped, user_dropped, id_sequence, 1.
 * With FAIL_OPEN a full queue accepts packets uncounted, so what the
 * kernel numbered but we never received, and is not still waiting, is
 * the fail-open estimate.  Read before the workers' counts: a packet
 * received in between is then subtracted twice (an underestimate that
 * corrects itself) rather than reported as passed uninspected.
 */
static void
status_kernel_queues(struct daemon *d, struct status *st)
{
	unsigned q, portid, waiting, mode, range;
	unsigned long long dropped, udropped, idseq;
	char buf[8192], *line, *save;
	size_t off = 0;
	ssize_t n;

	/* opened before the privilege drop; a seq_file reads afresh from 0 */
	if (d->kq_fd == -1 || lseek(d->kq_fd, 0, SEEK_SET) == -1)
		return;
	while (off < sizeof(buf) - 1 &&
	    (n = read(d->kq_fd, buf + off, sizeof(buf) - 1 - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%u %u %u %u %u %llu %llu %llu", &q, &portid,
		    &waiting, &mode, &range, &dropped, &udropped, &idseq) != 8)
			continue;
		for (size_t i = 0; i < d->nworkers; i++)
			if (d->workers[i].queue == q) {
				st->kq_total += idseq;
				st->kq_dropped += dropped;
				st->kq_user_dropped += udropped;
				st->kq_waiting += waiting;
			}
	}
}

static void
status_gather(struct daemon *d, struct status *st)
{
	memset(st, 0, sizeof(*st));
	status_kernel_queues(d, st);
	for (size_t i = 0; i < d->nworkers; i++) {
		struct worker *w = &d->workers[i];
		pthread_mutex_lock(&w->lock);
		st->eng.packets += w->eng_st.packets;
		st->eng.flows += w->eng_st.flows;
		st->eng.quic_fallback += w->eng_st.quic_fallback;
		st->eng.dns_answers += w->eng_st.dns_answers;
		st->eng.dns_rewritten += w->eng_st.dns_rewritten;
		st->eng.dns_malformed += w->eng_st.dns_malformed;
		st->eng.dns_ech_stripped += w->eng_st.dns_ech_stripped;
		st->eng.dns_canaries += w->eng_st.dns_canaries;
		st->eng.evasions += w->eng_st.evasions;
		st->eng.tls_malformed += w->eng_st.tls_malformed;
		st->eng.stream_nomem += w->eng_st.stream_nomem;
		for (int a = 0; a < 3; a++)
			st->eng.verdicts[a] += w->eng_st.verdicts[a];
		for (int r = 1; r < DEC_NRESULTS; r++)
			st->skipped += w->eng_st.skipped[r];
		st->nfq.received += w->nfq_st.received;
		st->nfq.enobufs += w->nfq_st.enobufs;
		pthread_mutex_unlock(&w->lock);
	}
	rw_get_stats(d->rw, &st->rec);
	st->pending = acct_count(d->acct);
	st->ct_lost = d->ct ? ct_watch_lost(d->ct) : 0;
	/* fail-closed drops what it cannot judge: nothing passes; a lost
	 * inspector's packets, answered in one batch, are not received */
	if (d->cfg->cfg->fail_open &&
	    st->kq_total > st->nfq.received + st->kq_dropped + st->kq_waiting)
		st->failopen = st->kq_total - st->nfq.received -
		    st->kq_dropped - st->kq_waiting;
}

void
status_overload(struct daemon *d, uint64_t *failopen, uint64_t *overruns)
{
	struct status st;

	status_gather(d, &st);
	*failopen = st.failopen;
	*overruns = st.nfq.enobufs + st.kq_user_dropped;
}

struct out {
	char	*buf;
	size_t	 len;
	size_t	 off;
};

static void __attribute__((format(printf, 2, 3)))
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->off >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->off, o->len - o->off, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->off += (size_t)n < o->len - o->off ? (size_t)n :
		    o->len - o->off - 1;
}

static void
status_apps(struct daemon *d, struct out *o)
{
	pthread_mutex_lock(&d->apps_lock);
	put(o, "decisions by app:%s\n", d->napps ? "" : " none yet");
	for (size_t i = 0; i < d->napps; i++)
		put(o, "  %-28s allow %llu  log %llu  block %llu\n",
		    d->apps[i].name, (unsigned long long)d->apps[i].n[SG_ALLOW],
		    (unsigned long long)d->apps[i].n[SG_LOG],
		    (unsigned long long)d->apps[i].n[SG_BLOCK]);
	pthread_mutex_unlock(&d->apps_lock);
}

/* One line per queue: nDPI runs there, and a crash shows here. */
static void
status_inspectors(struct daemon *d, struct out *o)
{
	for (size_t i = 0; i < d->nworkers; i++) {
		struct worker *w = &d->workers[i];
		pthread_mutex_lock(&w->lock);
		if (w->pid > 0)
			put(o, "inspector for queue %u: pid %d", w->queue, w->pid);
		else
			put(o, "inspector for queue %u: not running (next start "
			    "in %.2f s)", w->queue, w->backoff_s);
		put(o, "; %llu restarts, %llu crashes%s%s%s; backoff %.2f s; "
		    "%llu messages refused; %llu DNS answers not shared\n",
		    (unsigned long long)w->restarts,
		    (unsigned long long)w->crashes,
		    w->last_crash[0] ? " (last: " : "", w->last_crash,
		    w->last_crash[0] ? ")" : "", w->backoff_s,
		    (unsigned long long)w->rejected,
		    (unsigned long long)w->dns_dropped);
		pthread_mutex_unlock(&w->lock);
	}
}

size_t
status_text(struct daemon *d, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	const struct sg_config *cfg = d->cfg->cfg;
	struct status st;
	char since[64];
	time_t up = time(NULL) - d->started;

	status_gather(d, &st);
	strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S %Z",
	    localtime(&d->started));
	put(&o, "schoolgate: running since %s (up %lldh%02lldm%02llds), "
	    "pid %ld\n", since, (long long)up / 3600, (long long)up / 60 % 60,
	    (long long)up % 60, (long)getpid());
	put(&o, "config: %s, generation %u (reloads: %llu applied, %llu "
	    "rejected)\n", d->conf_path, d->cfg->generation,
	    (unsigned long long)d->reloads_ok,
	    (unsigned long long)d->reloads_rejected);
	strftime(since, sizeof(since), "%Y-%m-%d %H:%M %Z",
	    localtime(&d->rd_next));
	put(&o, "schedule: next boundary %s; %llu open flow(s) decided "
	    "differently at boundaries or reloads\n", since,
	    (unsigned long long)d->redecided);
	put(&o, "queues: %u-%u, fail-open %s\n", cfg->queue_first,
	    cfg->queue_first + (unsigned)d->nworkers - 1,
	    cfg->fail_open ? "on" : "off (strict)");
	status_inspectors(d, &o);
	put(&o, "packets: %llu inspected, %llu undecodable (let through)\n",
	    (unsigned long long)st.eng.packets, (unsigned long long)st.skipped);
	put(&o, "flows: %llu; verdicts: allow %llu, log %llu, block %llu; "
	    "QUIC dropped for TCP fallback %llu\n",
	    (unsigned long long)st.eng.flows,
	    (unsigned long long)st.eng.verdicts[SG_ALLOW],
	    (unsigned long long)st.eng.verdicts[SG_LOG],
	    (unsigned long long)st.eng.verdicts[SG_BLOCK],
	    (unsigned long long)st.eng.quic_fallback);
	put(&o, "dns: %llu answers learnt, %llu blocked lookups answered "
	    "NXDOMAIN, %llu malformed (dropped on blocked lookups); %llu "
	    "answers stripped of ECH, %llu canary lookups\n",
	    (unsigned long long)st.eng.dns_answers,
	    (unsigned long long)st.eng.dns_rewritten,
	    (unsigned long long)st.eng.dns_malformed,
	    (unsigned long long)st.eng.dns_ech_stripped,
	    (unsigned long long)st.eng.dns_canaries);
	put(&o, "evasion: %llu flows; %llu malformed ClientHellos; %llu "
	    "client streams cut short for memory\n",
	    (unsigned long long)st.eng.evasions,
	    (unsigned long long)st.eng.tls_malformed,
	    (unsigned long long)st.eng.stream_nomem);
	put(&o, "queue: %llu socket overruns, kernel dropped %llu, passed "
	    "uninspected (fail-open) %llu\n",
	    (unsigned long long)(st.nfq.enobufs + st.kq_user_dropped),
	    (unsigned long long)st.kq_dropped, (unsigned long long)st.failopen);
	put(&o, "records: %llu written, %zu awaiting conntrack totals, backlog "
	    "%zu, dropped %llu, store %s\n", (unsigned long long)st.rec.written,
	    st.pending, st.rec.backlog,
	    (unsigned long long)(st.rec.dropped_queue + st.rec.dropped_store),
	    st.rec.failing ? rec_strerror(st.rec.last_error) : "ok");
	put(&o, "conntrack: %llu events lost\n", (unsigned long long)st.ct_lost);
	put(&o, "capabilities: CapEff=%016llx\n",
	    (unsigned long long)priv_effective());
	status_apps(d, &o);
	return o.off;
}

int
status_write_metrics(struct daemon *d, const char *path)
{
	char tmp[4096];
	struct status st;
	FILE *fp;

	status_gather(d, &st);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(fp, "# HELP schoolgate_packets_total Packets inspected.\n"
	    "# TYPE schoolgate_packets_total counter\n"
	    "schoolgate_packets_total %llu\n", (unsigned long long)st.eng.packets);
	fprintf(fp, "# TYPE schoolgate_flows_total counter\n"
	    "schoolgate_flows_total %llu\n", (unsigned long long)st.eng.flows);
	fprintf(fp, "# TYPE schoolgate_verdicts_total counter\n");
	for (int a = 0; a < 3; a++)
		fprintf(fp, "schoolgate_verdicts_total{action=\"%s\"} %llu\n",
		    sg_action_name((enum sg_action)a),
		    (unsigned long long)st.eng.verdicts[a]);
	fprintf(fp, "# TYPE schoolgate_failopen_packets_total counter\n"
	    "schoolgate_failopen_packets_total %llu\n"
	    "# TYPE schoolgate_queue_overruns_total counter\n"
	    "schoolgate_queue_overruns_total %llu\n",
	    (unsigned long long)st.failopen,
	    (unsigned long long)(st.nfq.enobufs + st.kq_user_dropped));
	fprintf(fp, "# TYPE schoolgate_records_written_total counter\n"
	    "schoolgate_records_written_total %llu\n"
	    "# TYPE schoolgate_records_dropped_total counter\n"
	    "schoolgate_records_dropped_total %llu\n"
	    "# TYPE schoolgate_records_backlog gauge\n"
	    "schoolgate_records_backlog %zu\n"
	    "# TYPE schoolgate_records_pending_conntrack gauge\n"
	    "schoolgate_records_pending_conntrack %zu\n",
	    (unsigned long long)st.rec.written,
	    (unsigned long long)(st.rec.dropped_queue + st.rec.dropped_store),
	    st.rec.backlog, st.pending);
	fprintf(fp, "# TYPE schoolgate_config_generation gauge\n"
	    "schoolgate_config_generation %u\n"
	    "# TYPE schoolgate_start_time_seconds gauge\n"
	    "schoolgate_start_time_seconds %lld\n", d->cfg->generation,
	    (long long)d->started);
	if (fclose(fp) != 0 || rename(tmp, path) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}
