/*
 * The record writer's ring and the thread that writes it into the store:
 * batches, a failing store retried and its rows held in memory, the gap
 * and delay events, a deleted database re-created.  Moved here from the
 * in-process writer thread (recwriter.c is now the monitor's client).
 *
 * Sealing (rwseal.c) is checked after each batch and in rwp_idle (every
 * second when idle); the last seal is made in rwp_finish before the store
 * closes.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "report.h"	/* rpt_syslog5424 */
#include "rwproc_impl.h"

#define RWP_RETRY_MS	1000	/* a failing store is retried this often */
#define RWP_TAKE	64	/* rows taken out of the ring per lock */
#define RWP_QUEUE	16384	/* the ring, unless the caller says */

void
rwp_push(struct rwp *w, const struct rwp_item *its, size_t n)
{
	if (n == 0)
		return;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < n; i++) {
		if (w->n == w->cap) {
			w->st.dropped_queue += n - i;
			break;
		}
		w->ring[(w->head + w->n) % w->cap] = its[i];
		w->n++;
	}
	/* a busy writer will find them anyway: no wake-up per row */
	if (w->waiting)
		pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/*
 * Rows held in memory while the store failed reach the database late,
 * with their own times; the event tells the report's reader that the
 * record for that span was written after the fact.
 */
static void
rwp_report_delay(struct rwp *w)
{
	char detail[192];
	int64_t secs = ((int64_t)sg_now_us() - w->failing_since_us) / 1000000;

	snprintf(detail, sizeof(detail), "records could not be written for "
	    "%lld s (%s); rows held in memory were written late",
	    (long long)secs, rec_strerror(w->last_error));
	(void)rec_event(w->store, (int64_t)sg_now_us(), "delay", detail);
}

/* Logged on the change only: a full disk must not flood the log. */
static void
rwp_note_result(struct rwp *w, enum rec_error err)
{
	bool was = w->failing;

	w->failing = err != REC_OK;
	if (err != REC_OK)
		w->last_error = err;
	if (err != REC_OK && !was) {
		w->failing_since_us = (int64_t)sg_now_us();
		log_warnx("records: %s (%s); filtering continues, records are "
		    "held in memory and counted if dropped", rec_strerror(err),
		    rec_errmsg(w->store));
	} else if (err == REC_OK && was) {
		log_info("records: writing again");
		rwp_report_delay(w);
	}
}

/* Sent whether or not the store took it: a full disk should not
 * also blind the school's central log. */
static void
rwp_send_syslog(struct rwp *w, const struct rec_flow *r)
{
	char line[2048];
	int fd = atomic_load(&w->syslog_fd), n;

	if (fd < 0)
		return;
	n = rpt_syslog5424(r, w->hostname, (int)getpid(), line, sizeof(line));
	if (n > 0 && send(fd, line, (size_t)n, MSG_DONTWAIT) == -1)
		w->syslog_failed++;
}

/*
 * A run that did not end with a "stop" event crashed or was killed: the
 * time from its last heartbeat (the monitor's DB.alive) to now is a gap
 * in monitoring.  Read here, so that only this process opens the records.
 */
static void
rwp_check_unclean_end(struct rwp *w, bool fail_open)
{
	char kind[32], path[4096], detail[256];
	int64_t last_us;
	long long beat = 0;
	FILE *fp;

	if (w->store == NULL || rec_last_event(w->store, kind, sizeof(kind),
	    &last_us) != REC_OK || kind[0] == '\0' ||
	    strcmp(kind, "stop") == 0)
		return;
	snprintf(path, sizeof(path), "%s.alive", w->path);
	if ((fp = fopen(path, "r")) != NULL) {
		if (fscanf(fp, "%lld", &beat) != 1)
			beat = 0;
		fclose(fp);
	}
	if (beat < last_us / 1000000)
		beat = last_us / 1000000;
	snprintf(detail, sizeof(detail), "the previous run ended without "
	    "stopping cleanly; not monitored from about %lld to %lld "
	    "(%lld s): traffic %s", beat, (long long)time(NULL),
	    (long long)time(NULL) - beat, fail_open ?
	    "passed uninspected (fail-open)" : "was refused (fail-closed)");
	rwp_note_result(w, rec_event(w->store, (int64_t)sg_now_us(), "gap",
	    detail));
	log_warnx("%s", detail);
}

static void
rwp_write(struct rwp *w, const struct rwp_item *it)
{
	enum rec_error err;

	if (it->kind == RWP_GAPCHECK) {
		rwp_check_unclean_end(w, it->u.fail_open);
		return;
	}
	if (it->kind == RWP_SEAL) {
		rwp_seal_start(w, &it->u.seal);
		return;
	}
	if (it->kind == RWP_EVENT)
		err = rec_event(w->store, it->u.ev.ts_us, it->u.ev.kind,
		    it->u.ev.detail);
	else {
		err = rec_add_flow(w->store, &it->u.flow);
		rwp_send_syslog(w, &it->u.flow);
		/* buffered, not written: says nothing about the store */
		if (err == REC_OK && rec_pending(w->store) > 0)
			return;
	}
	rwp_note_result(w, err);
}

/* Rows lost while the queue was full become an event once it drains,
 * so the report's data-quality section can show the gap. */
static void
rwp_report_gap(struct rwp *w)
{
	uint64_t lost = w->st.dropped_queue + w->dropped_before +
	    rec_dropped(w->store);
	char detail[128];

	if (lost == w->gap_reported || w->failing)
		return;
	snprintf(detail, sizeof(detail), "%llu records dropped (queue full or "
	    "store failing)", (unsigned long long)(lost - w->gap_reported));
	if (rec_event(w->store, (int64_t)sg_now_us(), "gap", detail) == REC_OK)
		w->gap_reported = lost;
}

static struct rec_store *
rwp_open_store(struct rwp *w, enum rec_error *err)
{
	struct rec_store *st = rec_open(w->path, err);

	if (st != NULL && w->store_rows)
		rec_set_pending_max(st, w->store_rows);
	return st;
}

static void
rwp_remember_file(struct rwp *w)
{
	struct stat sb;

	if (stat(w->path, &sb) == 0) {
		w->dev = sb.st_dev;
		w->ino = sb.st_ino;
	}
}

/*
 * SQLite goes on writing to a database file that was deleted (or renamed
 * and replaced) underneath it, so the rows would silently vanish: notice
 * it, start a fresh database there, and say in it why its chain starts
 * here.  Rows written to the old file since it went are lost.
 */
static bool
rwp_file_gone(struct rwp *w)
{
	struct stat sb;

	if (w->store == NULL)
		return true;
	if (stat(w->path, &sb) == -1)
		return errno == ENOENT;
	return sb.st_dev != w->dev || sb.st_ino != w->ino;
}

static void
rwp_check_file(struct rwp *w)
{
	enum rec_error err;

	if (!rwp_file_gone(w))
		return;
	if (w->store != NULL) {
		log_warnx("records: database %s was deleted or replaced; "
		    "reopening", w->path);
		/* the old one first: its close removes the -wal and -shm
		 * files it left, which a new database must not inherit */
		rec_flush(w->store);
		w->dropped_before += rec_dropped(w->store);
		w->written_before += rec_committed(w->store);
		rec_close(w->store);
		w->store = NULL;
	}
	if ((w->store = rwp_open_store(w, &err)) == NULL) {
		if (!w->reopen_failing)
			log_warnx("records: cannot create %s: %s; records are "
			    "held in memory and retried", w->path,
			    rec_strerror(err));
		w->reopen_failing = true;
		w->failing = true;
		w->last_error = err;
		return;
	}
	w->reopen_failing = false;
	w->failing = false;
	rwp_remember_file(w);
	rwp_note_result(w, rec_event(w->store, (int64_t)sg_now_us(), "gap", "the records "
	    "database was deleted or replaced while running; this new "
	    "database and its hash chain start here (rows written since the "
	    "deletion are lost)"));
	log_info("records: started a new database at %s", w->path);
}

/* Nothing queued, or no store to write to: flush, check the file. */
static void
rwp_idle(struct rwp *w)
{
	rwp_check_file(w);
	if (w->store == NULL)
		return;
	rwp_note_result(w, rec_pending(w->store) ? rec_flush(w->store) :
	    REC_OK);
	rwp_report_gap(w);
	rwp_seal_if_due(w);
}

/* With the lock held: what status shows. */
static void
rwp_publish(struct rwp *w)
{
	w->st.failing = w->failing;
	w->st.last_error = w->last_error;
	w->st.syslog_failed = w->syslog_failed;
	w->st.written = w->written_before;
	w->st.dropped_store = w->dropped_before;
	w->store_pending = 0;
	if (w->store != NULL) {
		w->st.written += rec_committed(w->store);
		w->st.dropped_store += rec_dropped(w->store);
		w->store_pending = rec_pending(w->store);
	}
}

static void *
rwp_main(void *arg)
{
	struct rwp *w = arg;
	struct timespec until;
	size_t k;
	int rc;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while ((w->n == 0 || w->store == NULL) && !w->stopping) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += RWP_RETRY_MS / 1000;
			w->waiting = true;
			rc = pthread_cond_timedwait(&w->cond, &w->lock, &until);
			w->waiting = false;
			if (rc != 0)
				break;	/* idle: flush what is buffered */
		}
		if (w->n == 0 || w->store == NULL) {
			pthread_mutex_unlock(&w->lock);
			rwp_idle(w);
			pthread_mutex_lock(&w->lock);
			rwp_publish(w);
			if (w->stopping && (w->n == 0 || w->store == NULL))
				break;
			continue;
		}
		/* a batch per lock: producers on the verdict path share it */
		for (k = 0; k < RWP_TAKE && w->n > 0; k++) {
			w->take[k] = w->ring[w->head];
			w->head = (w->head + 1) % w->cap;
			w->n--;
		}
		pthread_mutex_unlock(&w->lock);
		for (size_t i = 0; i < k; i++)
			rwp_write(w, &w->take[i]);
		rwp_seal_if_due(w);
		pthread_mutex_lock(&w->lock);
		rwp_publish(w);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct rwp *
rwp_new(int sock, const struct rwp_opts *o, enum rec_error *err)
{
	struct rwp *w;

	*err = REC_ERR_NOMEM;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->sock = sock;
	w->cap = o->queue_max ? o->queue_max : RWP_QUEUE;
	w->store_rows = o->store_rows;
	atomic_init(&w->syslog_fd, -1);
	atomic_init(&w->anchor_fd, -1);
	/* the writer's batch lives just past the ring */
	if ((w->m = malloc(sizeof(*w->m))) == NULL ||
	    (w->inbox = calloc(RWP_INBOX, sizeof(*w->inbox))) == NULL ||
	    (w->ring = calloc(w->cap + RWP_TAKE, sizeof(*w->ring))) == NULL ||
	    (w->path = strdup(o->path)) == NULL)
		goto fail;
	w->take = w->ring + w->cap;
	if ((w->store = rwp_open_store(w, err)) == NULL)
		goto fail;
	rwp_remember_file(w);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, rwp_main, w) != 0) {
		*err = REC_ERR_NOMEM;
		rec_close(w->store);
		goto fail;
	}
	return w;

fail:
	free(w->path);
	free(w->ring);
	free(w->inbox);
	free(w->m);
	free(w);
	return NULL;
}

void
rwp_finish(struct rwp *w)
{
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	rwp_seal_end(w);	/* flushes first; nothing if no store */
	if (w->store != NULL) {
		rwp_note_result(w, rec_flush(w->store));
		pthread_mutex_lock(&w->lock);
		rwp_publish(w);
		pthread_mutex_unlock(&w->lock);
		rec_close(w->store);
		w->store = NULL;
	}
	if (atomic_load(&w->syslog_fd) >= 0)
		close(atomic_load(&w->syslog_fd));
}
