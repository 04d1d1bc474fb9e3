/*
 * Sealing in the record writer process (records/seal.c): the one process
 * that holds the records also holds the sealing key, so the monitor (and
 * the inspectors) never see it.  The monitor sends only the state's path
 * and the interval (MSG_SEAL, checked as untrusted) and a socket to
 * syslog for the anchors (MSG_ANCHOR_FD).  Every seal evolves the key and
 * overwrites it in the state file before the seal is anchored, so a
 * writer restarted after a crash loads the current key and goes on.
 * All of it runs in the writer thread, between batches.
 */
#include <sys/socket.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "report.h"	/* rpt_syslog5424_seal */
#include "rwproc_impl.h"

void
rwp_seal_start(struct rwp *w, const struct msg_seal *m)
{
	struct rec_sealer *s;
	enum seal_error e;

	if ((e = seal_load(m->state, &s)) != SEAL_OK) {
		if (e == SEAL_ERR_ABSENT)
			log_warnx("records are not sealed: run schoolgate keys"
			    " init (no %s)", m->state);
		else
			log_warnx("records are not sealed: %s: %s", m->state,
			    seal_strerror(e));
		return;
	}
	seal_free(w->sealer);
	w->sealer = s;
	w->seal_every_us = (int64_t)m->interval_s * 1000000;
	w->next_seal_us = (int64_t)sg_now_us() + w->seal_every_us;
}

/* The seal off the gateway: a syslog line the school's log server keeps. */
static void
rwp_send_anchor(struct rwp *w, const struct rec_seal_info *si)
{
	char line[1024];
	int fd = atomic_load(&w->anchor_fd), n;

	if (fd < 0)
		return;
	n = rpt_syslog5424_seal(si, w->hostname, (int)getpid(), line,
	    sizeof(line));
	if (n > 0 && send(fd, line, (size_t)n, MSG_DONTWAIT) == -1)
		w->syslog_failed++;
}

static void
rwp_seal_now(struct rwp *w)
{
	struct rec_seal_info si;
	enum rec_error err;

	if (w->sealer == NULL || w->store == NULL)
		return;
	w->next_seal_us = (int64_t)sg_now_us() + w->seal_every_us;
	if ((err = rec_seal(w->store, w->sealer, (int64_t)sg_now_us(),
	    &si)) != REC_OK) {
		if (!w->seal_failing)
			log_warnx("records: sealing failed: %s (%s); retried"
			    " at the next interval", rec_strerror(err),
			    rec_errmsg(w->store));
		w->seal_failing = true;
		return;
	}
	if (w->seal_failing)
		log_info("records: sealing again (seal %llu)",
		    (unsigned long long)si.seq);
	w->seal_failing = false;
	rwp_send_anchor(w, &si);
}

void
rwp_seal_if_due(struct rwp *w)
{
	if (w->sealer != NULL && (int64_t)sg_now_us() >= w->next_seal_us)
		rwp_seal_now(w);
}

void
rwp_seal_end(struct rwp *w)
{
	rwp_seal_now(w);
	seal_free(w->sealer);
	w->sealer = NULL;
	if (atomic_load(&w->anchor_fd) >= 0)
		close(atomic_load(&w->anchor_fd));
}
