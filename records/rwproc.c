/*
 * The record writer process.  Two threads: the receiver (this process's
 * main thread) takes checked messages off the socket into a memory ring
 * at once, so the monitor's socket buffer never fills while SQLite waits
 * on the disk; the writer thread takes batches out of the ring and writes
 * them (rwstore.c), as the in-process writer thread did before.
 */
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "rwmsg.h"
#include "rwproc.h"
#include "rwproc_impl.h"
#include "sandbox.h"

#define RWP_POLL_MS	50	/* idle stats are sent this often */
#define RWP_STATS_US	5000	/* busy: stats at most this often */
#define RWP_RECV_BATCH	256	/* messages per turn before stats */

/*
 * What SQLite needs on top of the inspector's list: open, create and
 * delete the database, its journal, -wal and -shm (and re-create a
 * deleted database), sync, read the heartbeat file.  No socket, connect,
 * execve, kill or ptrace: the writer has no network and cannot reach
 * other processes.
 */
static const char *const rwp_file_calls[] = {
	"open", "openat", "unlink", "unlinkat", "fsync", "fdatasync",
	"ftruncate", "fallocate", "pwrite64", "newfstatat", "stat", "lstat",
	"access", "faccessat", "faccessat2", "readlink", "readlinkat",
	"getcwd", "fchmod", "fchown", "geteuid", "getuid", "getegid",
	"getgid", "uname",
};

/*
 * The log sink has no argument (common/log.h): the one socket of this
 * one-purpose process is process state, like syslog's own connection.
 */
static int rwp_log_sock = -1;

static void
rwp_log_sink(int priority, const char *line, void *arg)
{
	struct msg_log	 l;

	memset(&l, 0, sizeof(l));
	l.priority = priority;
	msg_copy_utf8(l.text, sizeof(l.text), line);
	/* non-blocking: a monitor that does not read loses lines, not us */
	(void)msg_send(rwp_log_sock, MSG_LOG, 0, &l, sizeof(l), -1);
}

/*
 * SIGTERM from systemd goes to the whole unit: the writer must outlive
 * the monitor's last rows, so it ends on end of file only.
 */
static void
rwp_block_signals(void)
{
	sigset_t	 set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int
rwp_confine(int sock)
{
	const int	 keep[] = { 2, sock };	/* stderr: sanitizer reports */
	struct sbx_opts	 o = {
		.user = NULL,		/* already daemon.user */
		.keep = keep,
		.nkeep = sizeof(keep) / sizeof(keep[0]),
		.keep_root = true,
		.extra = rwp_file_calls,
		.nextra = sizeof(rwp_file_calls) / sizeof(rwp_file_calls[0]),
		.threads = true,
	};
	char		 err[256];

	if (sbx_enter(&o, err, sizeof(err)) == -1) {
		log_warnx("record writer: %s", err);
		return -1;
	}
	return 0;
}

void
rwp_send_stats(struct rwp *w, bool ready)
{
	struct msg_wstats	 s;

	memset(&s, 0, sizeof(s));
	pthread_mutex_lock(&w->lock);
	s.written = w->st.written;
	s.dropped_queue = w->st.dropped_queue;
	s.dropped_store = w->st.dropped_store;
	s.backlog = w->n + w->store_pending;
	s.syslog_failed = w->st.syslog_failed;
	s.failing = w->st.failing;
	s.last_error = (uint32_t)w->st.last_error;
	pthread_mutex_unlock(&w->lock);
	s.received = w->received;
	s.ready = ready;
	if (memcmp(&s, &w->sent_stats, sizeof(s)) == 0)
		return;
	if (msg_send(w->sock, MSG_WSTATS, 0, &s, sizeof(s), -1) == 0)
		w->sent_stats = s;
}

static void
rwp_take_syslog(struct rwp *w, atomic_int *slot, int fd)
{
	int	 old = atomic_exchange(slot, fd);

	if (old >= 0)
		close(old);
	if (gethostname(w->hostname, sizeof(w->hostname) - 1) == -1)
		snprintf(w->hostname, sizeof(w->hostname), "-");
}

/* One checked message: into *it (true), or the syslog socket kept. */
static bool
rwp_take(struct rwp *w, const struct msg *m, struct rwp_item *it)
{
	w->received++;
	switch (m->hdr.type) {
	case MSG_FLOW:
		it->kind = RWP_FLOW;
		rwm_flow_unpack((const struct msg_flow *)m->data, &it->u.flow);
		return true;
	case MSG_EVENT:
		it->kind = RWP_EVENT;
		it->u.ev = *(const struct msg_event *)m->data;
		return true;
	case MSG_GAPCHECK:
		it->kind = RWP_GAPCHECK;
		it->u.fail_open = ((const struct msg_gapcheck *)m->data)->
		    fail_open != 0;
		return true;
	case MSG_SEAL:
		/* in order with the rows, for the writer thread */
		it->kind = RWP_SEAL;
		it->u.seal = *(const struct msg_seal *)m->data;
		return true;
	case MSG_SYSLOG_FD:
		rwp_take_syslog(w, &w->syslog_fd, m->fd);
		return false;
	case MSG_ANCHOR_FD:
		rwp_take_syslog(w, &w->anchor_fd, m->fd);
		return false;
	default:
		if (m->fd >= 0)
			close(m->fd);
		w->rejected++;
		return false;
	}
}

/*
 * Drains the socket.  false at end of file (the monitor stopped or
 * died) or on an error that is not a bad message.
 */
static bool
rwp_receive(struct rwp *w)
{
	enum msg_error	 why;
	size_t		 n = 0;
	bool		 more = true;
	int		 r;

	/* into the ring in batches: one lock for many rows */
	for (int i = 0; i < RWP_RECV_BATCH; i++) {
		if ((r = msg_recv(w->sock, w->m, &why)) == 1) {
			if (rwp_take(w, w->m, &w->inbox[n]) &&
			    ++n == RWP_INBOX) {
				rwp_push(w, w->inbox, n);
				n = 0;
			}
			continue;
		}
		more = r != 0 && (errno == EAGAIN || errno == EINTR ||
		    errno == EBADMSG);
		if (r != -1 || errno != EBADMSG)
			break;
		w->received++;
		if (w->rejected++ == 0)
			log_warnx("record writer: a message was rejected (%s); "
			    "counting any more", msg_strerror(why));
	}
	rwp_push(w, w->inbox, n);
	return more;
}

static void
rwp_loop(struct rwp *w)
{
	struct pollfd	 pfd = { w->sock, POLLIN, 0 };
	int64_t		 now, last = 0;
	bool		 more = true;

	while (more) {
		if (poll(&pfd, 1, RWP_POLL_MS) == -1 && errno != EINTR)
			break;
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			more = rwp_receive(w);
		now = (int64_t)sg_now_us();
		if (now - last >= RWP_STATS_US) {
			rwp_send_stats(w, true);
			last = now;
		}
	}
}

static bool
rwp_number(const char *s, unsigned long long max, unsigned long long *v)
{
	char	*end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && *v <= max;
}

int
rwp_exec_main(int argc, char **argv)
{
	struct rwp_opts		 o;
	unsigned long long	 fd, queue, rows;

	if (argc != 5 || !rwp_number(argv[1], INT_MAX, &fd) ||
	    !rwp_number(argv[2], SIZE_MAX, &queue) ||
	    !rwp_number(argv[3], SIZE_MAX, &rows)) {
		fprintf(stderr, "schoolgate: %s is started by schoolgate run\n",
		    RWP_EXEC_CMD);
		return 2;
	}
	o.queue_max = (size_t)queue;
	o.store_rows = (size_t)rows;
	o.path = argv[4];
	rwp_run((int)fd, &o);
}

void
rwp_run(int sock, const struct rwp_opts *o)
{
	struct rwp	*w;
	enum rec_error	 err = REC_ERR_NOMEM;

	rwp_log_sock = sock;
	log_set_sink(rwp_log_sink, NULL);
	rwp_block_signals();
	if (fcntl(sock, F_SETFL, O_NONBLOCK) == -1 || rwp_confine(sock) == -1)
		_exit(1);
	if ((w = rwp_new(sock, o, &err)) == NULL) {
		struct msg_wstats s = { .failing = 1,
		    .last_error = (uint32_t)err };
		(void)msg_send(sock, MSG_WSTATS, 0, &s, sizeof(s), -1);
		_exit(1);
	}
	rwp_send_stats(w, true);
	rwp_loop(w);
	rwp_finish(w);
	rwp_send_stats(w, true);
	_exit(0);
}
