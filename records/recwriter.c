#include <sys/stat.h>
#include <errno.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "recwriter.h"
#include "report.h"	/* rpt_syslog5424 */

#define RW_RETRY_MS	1000	/* a failing store is retried this often */
#define RW_TAKE		64	/* rows taken out of the ring per lock */

struct rw_item {
	bool		 is_event;
	union {
		struct rec_flow	 flow;
		struct {
			int64_t	 ts_us;
			char	 kind[16];
			char	 detail[256];
		} ev;
	} u;
};

struct rw {
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	struct rw_item	*ring;
	size_t		 cap;
	size_t		 head;		/* next to take */
	size_t		 n;
	bool		 stopping;
	bool		 waiting;	/* the writer sleeps: a push must wake it */
	atomic_int	 syslog_fd;	/* -1, or a socket to the syslog daemon */
	char		 hostname[64];
	struct rw_item	*take;		/* the writer's own batch, RW_TAKE long */
	size_t		 store_pending;	/* rows the store holds, published */
	struct rec_store *store;
	char		*path;
	dev_t		 dev;		/* the file the store has open */
	ino_t		 ino;
	bool		 reopen_failing;	/* logged once */
	uint64_t	 dropped_before;	/* by stores since replaced */
	uint64_t	 written_before;
	/* the writer's own view; rw_publish copies it into st */
	bool		 failing;
	enum rec_error	 last_error;
	uint64_t	 syslog_failed;
	struct rw_stats	 st;
	uint64_t	 gap_reported;	/* dropped rows already in an event */
	size_t		 store_rows;	/* rec_set_pending_max, 0: default */
	int64_t		 failing_since_us;
	/* sealing (rw_set_seal): the writer's own, touched by no producer */
	struct rec_sealer *sealer;
	int64_t		 seal_every_us;
	int64_t		 next_seal_us;
	int		 anchor_fd;	/* -1, or the syslog socket for seals */
	bool		 seal_failing;	/* logged once */
};

static bool
rw_push(struct rw *w, const struct rw_item *it)
{
	bool ok;

	pthread_mutex_lock(&w->lock);
	ok = w->n < w->cap && !w->stopping;
	if (ok) {
		w->ring[(w->head + w->n) % w->cap] = *it;
		w->n++;
		/* a busy writer will find it anyway: no wake-up per row */
		if (w->waiting)
			pthread_cond_signal(&w->cond);
	} else
		w->st.dropped_queue++;
	pthread_mutex_unlock(&w->lock);
	return ok;
}

void
rw_flow(struct rw *w, const struct rec_flow *r)
{
	struct rw_item it;

	it.is_event = false;
	it.u.flow = *r;
	rw_push(w, &it);
}

void
rw_event(struct rw *w, const char *kind, const char *detail)
{
	struct rw_item it;

	memset(&it, 0, sizeof(it));
	it.is_event = true;
	it.u.ev.ts_us = (int64_t)sg_now_us();
	snprintf(it.u.ev.kind, sizeof(it.u.ev.kind), "%s", kind);
	snprintf(it.u.ev.detail, sizeof(it.u.ev.detail), "%s", detail);
	rw_push(w, &it);
}

/*
 * Rows held in memory while the store failed reach the database late,
 * with their own times; the event tells the report's reader that the
 * record for that span was written after the fact.
 */
static void
rw_report_delay(struct rw *w)
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
rw_note_result(struct rw *w, enum rec_error err)
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
		rw_report_delay(w);
	}
}

/* Sent whether or not the store took it: a full disk should not
 * also blind the school's central log. */
static void
rw_send_syslog(struct rw *w, const struct rec_flow *r)
{
	char line[2048];
	int fd = atomic_load(&w->syslog_fd), n;

	if (fd < 0)
		return;
	n = rpt_syslog5424(r, w->hostname, (int)getpid(), line, sizeof(line));
	if (n > 0 && send(fd, line, (size_t)n, MSG_DONTWAIT) == -1)
		w->syslog_failed++;
}

static int
rw_syslog_connect(struct rw *w, const char *path)
{
	int fd = rpt_syslog_connect(path);

	if (fd != -1 && gethostname(w->hostname, sizeof(w->hostname) - 1) ==
	    -1)
		snprintf(w->hostname, sizeof(w->hostname), "-");
	return fd;
}

int
rw_set_syslog(struct rw *w, const char *path)
{
	int fd = rw_syslog_connect(w, path);

	if (fd == -1)
		return -1;
	atomic_store(&w->syslog_fd, fd);
	return 0;
}

/*
 * Sealing (records/seal.c), kept apart from the queue: every
 * seal_every_us and once more at stop, the writer flushes, seals what is
 * committed and sends the seal to syslog as the anchor off the gateway.
 */
int
rw_set_seal(struct rw *w, struct rec_sealer *sealer, unsigned interval_s,
    const char *syslog_path)
{
	w->sealer = sealer;
	w->seal_every_us = (int64_t)interval_s * 1000000;
	w->next_seal_us = (int64_t)sg_now_us() + w->seal_every_us;
	if (syslog_path == NULL)
		return 0;
	w->anchor_fd = rw_syslog_connect(w, syslog_path);
	return w->anchor_fd == -1 ? -1 : 0;
}

static void
rw_send_anchor(struct rw *w, const struct rec_seal_info *si)
{
	char line[1024];
	int n;

	if (w->anchor_fd < 0)
		return;
	n = rpt_syslog5424_seal(si, w->hostname, (int)getpid(), line,
	    sizeof(line));
	if (n > 0 && send(w->anchor_fd, line, (size_t)n, MSG_DONTWAIT) == -1)
		w->syslog_failed++;
}

static void
rw_seal_now(struct rw *w)
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
	rw_send_anchor(w, &si);
}

static void
rw_seal_if_due(struct rw *w)
{
	if (w->sealer != NULL && (int64_t)sg_now_us() >= w->next_seal_us)
		rw_seal_now(w);
}

static void
rw_write(struct rw *w, const struct rw_item *it)
{
	enum rec_error err;

	if (it->is_event)
		err = rec_event(w->store, it->u.ev.ts_us, it->u.ev.kind,
		    it->u.ev.detail);
	else {
		err = rec_add_flow(w->store, &it->u.flow);
		rw_send_syslog(w, &it->u.flow);
		/* buffered, not written: says nothing about the store */
		if (err == REC_OK && rec_pending(w->store) > 0)
			return;
	}
	rw_note_result(w, err);
}

/* Rows lost while the queue was full become an event once it drains,
 * so the report's data-quality section can show the gap. */
static void
rw_report_gap(struct rw *w)
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
rw_open_store(struct rw *w, enum rec_error *err)
{
	struct rec_store *st = rec_open(w->path, err);

	if (st != NULL && w->store_rows)
		rec_set_pending_max(st, w->store_rows);
	return st;
}

static void
rw_remember_file(struct rw *w)
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
rw_file_gone(struct rw *w)
{
	struct stat sb;

	if (w->store == NULL)
		return true;
	if (stat(w->path, &sb) == -1)
		return errno == ENOENT;
	return sb.st_dev != w->dev || sb.st_ino != w->ino;
}

static void
rw_check_file(struct rw *w)
{
	enum rec_error err;

	if (!rw_file_gone(w))
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
	if ((w->store = rw_open_store(w, &err)) == NULL) {
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
	rw_remember_file(w);
	rw_note_result(w, rec_event(w->store, (int64_t)sg_now_us(), "gap", "the records "
	    "database was deleted or replaced while running; this new "
	    "database and its hash chain start here (rows written since the "
	    "deletion are lost)"));
	log_info("records: started a new database at %s", w->path);
}

/* Nothing queued, or no store to write to: flush, check the file. */
static void
rw_idle(struct rw *w)
{
	rw_check_file(w);
	if (w->store == NULL)
		return;
	rw_note_result(w, rec_pending(w->store) ? rec_flush(w->store) :
	    REC_OK);
	rw_report_gap(w);
	rw_seal_if_due(w);
}

/* With the lock held: what status shows. */
static void
rw_publish(struct rw *w)
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
rw_main(void *arg)
{
	struct rw *w = arg;
	struct timespec until;
	size_t k;
	int rc;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while ((w->n == 0 || w->store == NULL) && !w->stopping) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += RW_RETRY_MS / 1000;
			w->waiting = true;
			rc = pthread_cond_timedwait(&w->cond, &w->lock, &until);
			w->waiting = false;
			if (rc != 0)
				break;	/* idle: flush what is buffered */
		}
		if (w->n == 0 || w->store == NULL) {
			pthread_mutex_unlock(&w->lock);
			rw_idle(w);
			pthread_mutex_lock(&w->lock);
			rw_publish(w);
			if (w->stopping && (w->n == 0 || w->store == NULL))
				break;
			continue;
		}
		/* a batch per lock: producers on the verdict path share it */
		for (k = 0; k < RW_TAKE && w->n > 0; k++) {
			w->take[k] = w->ring[w->head];
			w->head = (w->head + 1) % w->cap;
			w->n--;
		}
		pthread_mutex_unlock(&w->lock);
		for (size_t i = 0; i < k; i++)
			rw_write(w, &w->take[i]);
		rw_seal_if_due(w);
		pthread_mutex_lock(&w->lock);
		rw_publish(w);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}
struct rw *
rw_start(const char *path, size_t queue_max, size_t store_rows,
    enum rec_error *err)
{
	struct rw *w;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		*err = REC_ERR_NOMEM;
		return NULL;
	}
	w->cap = queue_max ? queue_max : 16384;
	/* the writer's batch lives just past the ring */
	if ((w->ring = calloc(w->cap + RW_TAKE, sizeof(*w->ring))) == NULL) {
		*err = REC_ERR_NOMEM;
		goto free_rw;
	}
	w->take = w->ring + w->cap;
	atomic_init(&w->syslog_fd, -1);
	w->anchor_fd = -1;
	if ((w->path = strdup(path)) == NULL) {
		*err = REC_ERR_NOMEM;
		goto free_ring;
	}
	w->store_rows = store_rows;
	if ((w->store = rw_open_store(w, err)) == NULL)
		goto free_path;
	rw_remember_file(w);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, rw_main, w) != 0) {
		*err = REC_ERR_NOMEM;
		goto close_store;
	}
	return w;

close_store:
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	rec_close(w->store);
free_path:
	free(w->path);
free_ring:
	free(w->ring);
free_rw:
	free(w);
	return NULL;
}

void
rw_stop(struct rw *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	if (w->store != NULL) {
		rec_flush(w->store);
		rw_seal_now(w);
		rec_close(w->store);
	}
	seal_free(w->sealer);
	if (w->anchor_fd >= 0)
		close(w->anchor_fd);
	if (atomic_load(&w->syslog_fd) >= 0)
		close(atomic_load(&w->syslog_fd));
	free(w->path);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w->ring);
	free(w);
}

void
rw_get_stats(struct rw *w, struct rw_stats *st)
{
	pthread_mutex_lock(&w->lock);
	*st = w->st;
	st->backlog = w->n + w->store_pending;
	pthread_mutex_unlock(&w->lock);
}
