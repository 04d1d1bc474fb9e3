/*
 * The monitor's side of the record writer: the rw_* calls send messages
 * to the writer process (rwproc.c), which alone opens the database.
 * Producers never block: the socket is non-blocking and a row it refuses
 * is counted as dropped.  Replies (counters, log lines) are read by
 * rw_get_stats and rw_tick, on the monitor's main loop; rw_tick also
 * restarts a writer that died.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "recwriter.h"
#include "report.h"	/* rpt_syslog_connect */
#include "rwmsg.h"
#include "rwproc.h"
#include "sandbox.h"	/* sbx_pass_setpcap */

/* Rows in flight to the writer: the benchmark's 12k rows (about 2.3 KB of
 * socket memory each).  Charged only while they are in flight. */
#define RW_SNDBUF	(32 << 20)
#define RW_START_MS	30000		/* the writer opens its database */
#define RW_BACKOFF_MAX	60		/* seconds between restarts */
#define RW_STABLE_S	10		/* a writer that lived this long
					 * is restarted at once */

struct rw {
	int		 sock;		/* stays the same number on restarts */
	pid_t		 pid;		/* -1 while none runs */
	struct rwp_opts	 o;
	char		*exe;		/* NULL: fork only */
	int		 syslog_fd;	/* kept to hand to a new writer */
	int		 anchor_fd;	/* the same, for seals (rw_set_seal) */
	struct msg_seal	 seal;		/* interval_s 0: not sealing */
	atomic_uint_fast64_t sent;	/* messages the socket took */
	atomic_uint_fast64_t refused;	/* rows it did not */
	/* the receive side, under lock */
	pthread_mutex_t	 lock;
	struct msg	*m;
	struct msg_wstats ws;		/* the current writer's last word */
	uint64_t	 sent_base;	/* sent when it started */
	uint64_t	 written_before, dropped_before, store_before;
	uint64_t	 syslog_before;
	time_t		 started;
	time_t		 next_try;	/* after a crash, with backoff */
	unsigned	 backoff;
	char		 crash[256];	/* the gap event for the next writer */
};

/* The first word of a new writer: ready, or why its store failed. */
static int
rw_await_ready(struct rw *w, enum rec_error *err)
{
	struct pollfd	 pfd = { w->sock, POLLIN, 0 };
	enum msg_error	 why;
	int		 r;

	*err = REC_ERR_OPEN;
	for (;;) {
		if (poll(&pfd, 1, RW_START_MS) != 1)
			return -1;
		if ((r = msg_recv(w->sock, w->m, &why)) == 0)
			return -1;
		if (r == -1) {
			if (errno == EINTR || errno == EBADMSG)
				continue;
			return -1;
		}
		if (w->m->hdr.type == MSG_LOG) {
			const struct msg_log *l = (void *)w->m->data;
			log_line(l->priority, l->text);
		} else if (w->m->hdr.type == MSG_WSTATS) {
			w->ws = *(const struct msg_wstats *)w->m->data;
			*err = (enum rec_error)w->ws.last_error;
			return w->ws.ready ? 0 : -1;
		}
	}
}

/* In the child: the writer as a program of its own (rwproc.h). */
static void
rw_exec_child(const struct rw *w, int sock)
{
	char	 fd[16], queue[32], rows[32];
	char	*argv[] = { "schoolgate", RWP_EXEC_CMD, fd, queue, rows,
		    (char *)w->o.path, NULL };

	snprintf(fd, sizeof(fd), "%d", sock);
	snprintf(queue, sizeof(queue), "%zu", w->o.queue_max);
	snprintf(rows, sizeof(rows), "%zu", w->o.store_rows);
	if (fcntl(sock, F_SETFD, 0) == -1)
		_exit(127);
	sbx_pass_setpcap();
	execv(w->exe, argv);
	_exit(127);
}

/* A message that must reach the writer (not a row: none is dropped). */
static int
rw_send_kept(struct rw *w, uint16_t type, const void *p, size_t len, int fd)
{
	if (msg_send(w->sock, type, 0, p, len, fd) == -1)
		return -1;
	atomic_fetch_add(&w->sent, 1);
	return 0;
}

/* What every new writer is given: the syslog sockets and the sealing
 * state's path (the writer loads the key itself, the monitor never). */
static int
rw_hand_over(struct rw *w)
{
	if (w->syslog_fd >= 0 &&
	    rw_send_kept(w, MSG_SYSLOG_FD, NULL, 0, w->syslog_fd) == -1)
		return -1;
	if (w->anchor_fd >= 0 &&
	    rw_send_kept(w, MSG_ANCHOR_FD, NULL, 0, w->anchor_fd) == -1)
		return -1;
	if (w->seal.interval_s != 0 &&
	    rw_send_kept(w, MSG_SEAL, &w->seal, sizeof(w->seal), -1) == -1)
		return -1;
	return 0;
}

/*
 * Fork the writer.  Without exe the child runs rwproc.c in this image,
 * which is sound only before threads and before libndpi is mapped (the
 * benchmarks and unit tests); the child logs through the socket, not
 * syslog, and calls nothing of the caller's.  The socket number in
 * w->sock is kept: other threads may be sending on it while a dead
 * writer is replaced.
 */
static int
rw_spawn(struct rw *w, enum rec_error *err)
{
	int	 sv[2], size = RW_SNDBUF;
	pid_t	 pid;

	*err = REC_ERR_NOMEM;
	if (msg_socketpair(sv) == -1)
		return -1;
	/* beyond net.core.wmem_max with CAP_NET_ADMIN, which the monitor
	 * has; else as much as allowed (the default, about 90 rows, is
	 * smaller, not wrong) */
	if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &size,
	    sizeof(size)) == -1)
		(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size,
		    sizeof(size));
	if ((pid = fork()) == -1) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		if (w->exe != NULL)
			rw_exec_child(w, sv[1]);
		rwp_run(sv[1], &w->o);
	}
	close(sv[1]);
	if (w->sock == -1)
		w->sock = sv[0];
	else if (dup3(sv[0], w->sock, O_CLOEXEC) == -1 || close(sv[0]) == -1)
		return -1;
	w->pid = pid;
	w->sent_base = atomic_load(&w->sent);
	memset(&w->ws, 0, sizeof(w->ws));
	w->started = time(NULL);
	if (rw_await_ready(w, err) == -1 ||
	    fcntl(w->sock, F_SETFL, O_NONBLOCK) == -1 || rw_hand_over(w) == -1) {
		/* it cannot be reached: ours to end, by its PID */
		kill(w->pid, SIGKILL);
		waitpid(w->pid, NULL, 0);
		w->pid = -1;
		return -1;
	}
	return 0;
}

static void
rw_free(struct rw *w)
{
	if (w->syslog_fd >= 0)
		close(w->syslog_fd);
	if (w->anchor_fd >= 0)
		close(w->anchor_fd);
	if (w->sock >= 0)
		close(w->sock);
	free((char *)w->o.path);
	free(w->exe);
	free(w->m);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

struct rw *
rw_start(const char *path, size_t queue_max, size_t store_rows,
    enum rec_error *err)
{
	return rw_start_exec(NULL, path, queue_max, store_rows, err);
}

struct rw *
rw_start_exec(const char *exe, const char *path, size_t queue_max,
    size_t store_rows, enum rec_error *err)
{
	struct rw *w;

	*err = REC_ERR_NOMEM;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->sock = -1;
	w->pid = -1;
	w->syslog_fd = -1;
	w->anchor_fd = -1;
	w->o.queue_max = queue_max;
	w->o.store_rows = store_rows;
	pthread_mutex_init(&w->lock, NULL);
	if ((w->m = malloc(sizeof(*w->m))) == NULL ||
	    (w->o.path = strdup(path)) == NULL ||
	    (exe != NULL && (w->exe = strdup(exe)) == NULL))
		goto fail;
	if (rw_spawn(w, err) == -1)
		goto fail;
	return w;

fail:
	rw_free(w);
	return NULL;
}

static void
rw_send(struct rw *w, uint16_t type, const void *p, size_t len)
{
	if (msg_send(w->sock, type, 0, p, len, -1) == 0)
		atomic_fetch_add(&w->sent, 1);
	else
		atomic_fetch_add(&w->refused, 1);
}

void
rw_flow(struct rw *w, const struct rec_flow *r)
{
	struct msg_flow	 m;

	if (rwm_flow_pack(r, &m) == -1) {
		atomic_fetch_add(&w->refused, 1);
		return;
	}
	rw_send(w, MSG_FLOW, &m, sizeof(m));
}

void
rw_event(struct rw *w, const char *kind, const char *detail)
{
	struct msg_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.ts_us = (int64_t)sg_now_us();
	snprintf(ev.kind, sizeof(ev.kind), "%s", kind);
	msg_copy_utf8(ev.detail, sizeof(ev.detail), detail);
	rw_send(w, MSG_EVENT, &ev, sizeof(ev));
}

void
rw_check_unclean_end(struct rw *w, bool fail_open)
{
	struct msg_gapcheck g = { .fail_open = fail_open };

	rw_send(w, MSG_GAPCHECK, &g, sizeof(g));
}

int
rw_set_syslog(struct rw *w, const char *path)
{
	int fd = rpt_syslog_connect(path);

	if (fd == -1)
		return -1;
	if (rw_send_kept(w, MSG_SYSLOG_FD, NULL, 0, fd) == -1) {
		close(fd);
		return -1;
	}
	if (w->syslog_fd >= 0)
		close(w->syslog_fd);
	w->syslog_fd = fd;
	return 0;
}

/*
 * Sealing is the writer's (rwstore.c): it is told the state's path and
 * the interval, and given its own socket for the anchors.  The socket is
 * optional; the path is sent, and kept for a restarted writer, either way.
 */
int
rw_set_seal(struct rw *w, const char *state, unsigned interval_s,
    const char *syslog_path)
{
	int fd = -1, rc = 0;

	memset(&w->seal, 0, sizeof(w->seal));
	if (interval_s == 0 || interval_s > MSG_SEAL_INTERVAL_MAX ||
	    snprintf(w->seal.state, sizeof(w->seal.state), "%s", state) >=
	    (int)sizeof(w->seal.state)) {
		memset(&w->seal, 0, sizeof(w->seal));
		errno = EINVAL;
		return -1;
	}
	w->seal.interval_s = interval_s;
	if (syslog_path != NULL && ((fd = rpt_syslog_connect(syslog_path)) ==
	    -1 || rw_send_kept(w, MSG_ANCHOR_FD, NULL, 0, fd) == -1)) {
		if (fd >= 0)
			close(fd);
		fd = -1;
		rc = -1;
	}
	if (fd >= 0) {
		if (w->anchor_fd >= 0)
			close(w->anchor_fd);
		w->anchor_fd = fd;
	}
	if (rw_send_kept(w, MSG_SEAL, &w->seal, sizeof(w->seal), -1) == -1)
		rc = -1;
	return rc;
}

/* With the lock held: counters and log lines the writer sent.  false
 * once the writer is gone (end of file). */
static bool
rw_drain(struct rw *w)
{
	enum msg_error	 why;
	int		 r;

	while ((r = msg_recv(w->sock, w->m, &why)) != 0) {
		if (r == -1 && errno != EBADMSG && errno != EINTR)
			return errno == EAGAIN;
		if (r != 1)
			continue;
		if (w->m->hdr.type == MSG_WSTATS)
			w->ws = *(const struct msg_wstats *)w->m->data;
		else if (w->m->hdr.type == MSG_LOG) {
			const struct msg_log *l = (void *)w->m->data;
			log_line(l->priority, l->text);
		} else if (w->m->fd >= 0)
			close(w->m->fd);
	}
	return false;
}

/* The rows a dead writer took with it: in its ring or still in flight. */
static uint64_t
rw_lost(const struct rw *w)
{
	uint64_t sent = atomic_load(&w->sent) - w->sent_base;

	return w->ws.backlog + (sent > w->ws.received ?
	    sent - w->ws.received : 0);
}

static void
rw_describe_end(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (SIG%s)",
		    WTERMSIG(status), sigabbrev_np(WTERMSIG(status)) ?
		    sigabbrev_np(WTERMSIG(status)) : "?");
	else
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
}

/* A writer that ended: its counts kept, a gap event in the new one. */
static void
rw_bury(struct rw *w, int status)
{
	char how[64];
	uint64_t lost = rw_lost(w);
	time_t now = time(NULL);

	rw_describe_end(status, how, sizeof(how));
	w->written_before += w->ws.written;
	w->dropped_before += w->ws.dropped_queue + lost;
	w->store_before += w->ws.dropped_store;
	w->syslog_before += w->ws.syslog_failed;
	memset(&w->ws, 0, sizeof(w->ws));
	w->pid = -1;
	w->backoff = now - w->started >= RW_STABLE_S ? 1 :
	    (w->backoff * 2 > RW_BACKOFF_MAX ? RW_BACKOFF_MAX :
	    (w->backoff ? w->backoff * 2 : 1));
	w->next_try = now;
	log_warnx("records: the record writer %s; about %llu records in "
	    "flight were lost; filtering goes on and a new writer starts", how,
	    (unsigned long long)lost);
	snprintf(w->crash, sizeof(w->crash), "the record writer %s and was "
	    "restarted; about %llu records in flight were lost", how,
	    (unsigned long long)lost);
}

/* A new writer, and the event that says why it is new. */
static void
rw_respawn(struct rw *w)
{
	enum rec_error err;

	if (time(NULL) < w->next_try)
		return;
	if (rw_spawn(w, &err) == -1) {
		log_warnx("records: the record writer did not start again (%s); "
		    "retrying in %u s", rec_strerror(err), w->backoff);
		w->next_try = time(NULL) + w->backoff;
		return;
	}
	if (w->crash[0] != '\0')
		rw_event(w, "gap", w->crash);
	w->crash[0] = '\0';
}

static void
rw_check_child(struct rw *w)
{
	int status;

	if (w->pid > 0 && waitpid(w->pid, &status, WNOHANG) == w->pid)
		rw_bury(w, status);
	if (w->pid == -1)
		rw_respawn(w);
}

void
rw_tick(struct rw *w)
{
	pthread_mutex_lock(&w->lock);
	rw_drain(w);
	rw_check_child(w);
	pthread_mutex_unlock(&w->lock);
}

void
rw_get_stats(struct rw *w, struct rw_stats *st)
{
	uint64_t sent;

	pthread_mutex_lock(&w->lock);
	rw_drain(w);
	sent = atomic_load(&w->sent) - w->sent_base;
	memset(st, 0, sizeof(*st));
	st->written = w->written_before + w->ws.written;
	st->dropped_queue = w->dropped_before + w->ws.dropped_queue +
	    atomic_load(&w->refused);
	st->dropped_store = w->store_before + w->ws.dropped_store;
	st->backlog = (size_t)(w->ws.backlog + (sent > w->ws.received ?
	    sent - w->ws.received : 0));
	st->failing = w->ws.failing || w->pid == -1;
	st->last_error = (enum rec_error)w->ws.last_error;
	st->syslog_failed = w->syslog_before + w->ws.syslog_failed;
	pthread_mutex_unlock(&w->lock);
}

/* End of file tells the writer to write the rest and end. */
void
rw_stop(struct rw *w)
{
	struct pollfd pfd;
	bool more = true;

	if (w == NULL)
		return;
	shutdown(w->sock, SHUT_WR);
	pfd = (struct pollfd){ w->sock, POLLIN, 0 };
	/* its last counters and log lines, until it closes */
	while (w->pid > 0 && more) {
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			break;
		pthread_mutex_lock(&w->lock);
		more = rw_drain(w);
		pthread_mutex_unlock(&w->lock);
	}
	if (w->pid > 0)
		waitpid(w->pid, NULL, 0);
	rw_free(w);
}
