/*
 * The inspector processes, seen from the monitor's worker thread of their
 * queue: started, fed, lost and started again.
 *
 * The monitor has threads (the workers, the record writer), so a child
 * forked from it may only call async-signal-safe functions: it puts its
 * socket on descriptor 3, raises into its ambient set the capabilities
 * sbx_enter needs (permitted and inheritable in the monitor, see priv.c)
 * and executes /proc/self/exe afresh as "schoolgate inspector", as sshd
 * executes sshd-session.  nDPI is loaded only there, after the exec.
 *
 * A lost inspector (end of file on its socket, a message that breaks the
 * protocol, or a packet left unanswered too long) is reaped and described
 * by its wait status; the queue's outstanding and later packets get the
 * failure mode until the next one runs; the crash and the gap go into
 * the records.  Restarts are immediate at first and back off when an
 * inspector keeps dying young.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <net/if.h>
#include <linux/capability.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "spawn.h"
#include "log.h"

#define SPAWN_SOCK_FD		3	/* the inspector's, by convention */
#define SPAWN_SOCKBUF		(4 << 20)
#define SPAWN_STALL_US		(3 * 1000000ULL)	/* no answer: hung */
#define SPAWN_YOUNG_US		(10 * 1000000ULL)	/* died young */
#define SPAWN_BACKOFF_MAX	30.0

extern char **environ;

static void
spawn_sockbuf(int fd)
{
	int n = SPAWN_SOCKBUF;

	/* FORCE needs CAP_NET_ADMIN, which the monitor holds */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &n, sizeof(n)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &n, sizeof(n));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &n, sizeof(n)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &n, sizeof(n));
}

/* Between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn))
spawn_child(int sock, char *const argv[])
{
	static const int caps[] = { CAP_SETUID, CAP_SETGID, CAP_SYS_CHROOT,
	    CAP_SETPCAP };
	sigset_t none;

	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (sock == SPAWN_SOCK_FD)
		(void)fcntl(sock, F_SETFD, 0);
	else if (dup2(sock, SPAWN_SOCK_FD) == -1)
		_exit(126);
	/* as root (daemon.user root) these may fail: root keeps all anyway */
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE,
		    (unsigned long)caps[i], 0UL, 0UL);
	execve("/proc/self/exe", argv, environ);
	_exit(127);
}

/* The sandbox's user: never root, whatever runs the monitor. */
const char *
spawn_user(const struct sg_config *cfg)
{
	if (cfg->user == NULL || strcmp(cfg->user, "root") == 0)
		return "nobody";
	return cfg->user;
}

static void
spawn_gap_closed(struct worker *w)
{
	struct daemon *d = w->d;
	char detail[320];
	uint64_t now = sg_now_us();

	if (w->down_us == 0)
		return;
	snprintf(detail, sizeof(detail), "queue %u was not inspected for "
	    "%.1f s (an inspector was restarted): %llu packets %s", w->queue,
	    (double)(now - w->down_us) / 1e6,
	    (unsigned long long)w->gap_uninspected,
	    w->cur->cfg->fail_open ? "passed uninspected (fail-open)" :
	    "were dropped (fail-closed)");
	rw_event(d->rw, "gap", detail);
	log_warnx("%s", detail);
	w->down_us = 0;
	w->gap_uninspected = 0;
}

/*
 * Forks and executes "schoolgate inspector ROLE USER [PROTOCOLS]" with
 * the other end of a new socketpair as its descriptor 3: the daemon's
 * inspectors (ROLE a queue) and classify's (ROLE "offline") start alike.
 * Its pid, with the monitor's end in *sock; -1 on failure.
 */
int
spawn_exec(const char *role, const char *user, const char *protocols,
    int *sock)
{
	char *argv[6];
	int sv[2], pid;

	argv[0] = (char *)"schoolgate";
	argv[1] = (char *)"inspector";
	argv[2] = (char *)(uintptr_t)role;
	argv[3] = (char *)(uintptr_t)user;
	argv[4] = (char *)(uintptr_t)protocols;
	argv[5] = NULL;
	if (msg_socketpair(sv) == -1)
		return -1;
	spawn_sockbuf(sv[0]);
	spawn_sockbuf(sv[1]);
	if ((pid = fork()) == -1) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0)
		spawn_child(sv[1], argv);
	close(sv[1]);
	*sock = sv[0];
	return pid;
}

static int spawn_send_fd(struct worker *, uint16_t, uint16_t, const void *,
		    size_t, int);

/* The queue's socket, with the names of the interfaces its packets
 * may come in by (the inspector cannot ask: that takes a socket). */
static int
spawn_send_queue(struct worker *w)
{
	struct if_nameindex *ifs, *i;
	struct msg_queue m;

	memset(&m, 0, sizeof(m));
	m.queue = w->queue;
	m.portid = nfq_queue_portid(w->q);
	if ((ifs = if_nameindex()) != NULL) {
		for (i = ifs; i->if_index != 0 && m.nifs < MSG_IFNAMES_MAX; i++) {
			m.ifs[m.nifs].index = i->if_index;
			snprintf(m.ifs[m.nifs++].name, sizeof(m.ifs[0].name),
			    "%s", i->if_name);
		}
		if_freenameindex(ifs);
	}
	return spawn_send_fd(w, MSG_QUEUE_FD, 0, &m, sizeof(m),
	    nfq_queue_fd(w->q));
}

int
spawn_inspector(struct worker *w)
{
	const struct sg_config *cfg = w->cur->cfg;
	char qs[16];
	int sock, pid;

	snprintf(qs, sizeof(qs), "%u", w->queue);
	if ((pid = spawn_exec(qs, spawn_user(cfg), cfg->protocols_file,
	    &sock)) == -1)
		return -1;
	if (fcntl(sock, F_SETFL, O_NONBLOCK) == -1)
		log_warn("queue %u: inspector socket", w->queue);
	w->sock = sock;
	w->started_us = sg_now_us();
	pthread_mutex_lock(&w->lock);
	w->pid = pid;
	pthread_mutex_unlock(&w->lock);
	w->heard_us = w->started_us;
	if (worker_send_config(w) == -1 || worker_send_identity(w) == -1 ||
	    spawn_send_queue(w) == -1)
		return w->sock == -1 ? -1 : (spawn_lost(w, "would not take "
		    "its config"), -1);
	log_debug("queue %u: inspector %d started", w->queue, pid);
	spawn_gap_closed(w);
	return 0;
}

/*
 * What waits in the socket, and then whatever the lost inspector had
 * read and not answered: one batch verdict up to far past the newest id
 * answered, since the monitor never saw those packets.
 */
void
spawn_answer_all(struct worker *w, bool fail_open)
{
	worker_drain_queue(w);
	(void)nfq_verdict_all(w->q, w->last_id, fail_open ? NFQ_ACCEPT :
	    NFQ_DROP);
}

/* Reaps the inspector, killing it if it lingers; its wait status. */
static int
spawn_reap(int pid)
{
	int st = 0;

	for (int i = 0; i < 20; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(10000);
	}
	(void)kill(pid, SIGKILL);	/* our own child */
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	return st;
}

void
spawn_describe(int st, char *buf, size_t len)
{
	const char *name;

	if (WIFSIGNALED(st)) {
		name = sigabbrev_np(WTERMSIG(st));
		if (name != NULL)
			snprintf(buf, len, "killed by SIG%s", name);
		else
			snprintf(buf, len, "killed by signal %d", WTERMSIG(st));
	} else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
}

/* Closes the socket and reaps; the wait status, or 0 if none ran. */
static int
spawn_close(struct worker *w, int *pid)
{
	*pid = w->pid;
	if (w->sock >= 0)
		close(w->sock);
	w->sock = -1;
	pthread_mutex_lock(&w->lock);
	w->pid = 0;
	pthread_mutex_unlock(&w->lock);
	return *pid > 0 ? spawn_reap(*pid) : 0;
}

/* The delay before the next start: none at first, doubling while
 * inspectors keep dying young. */
static double
spawn_backoff(struct worker *w, uint64_t now)
{
	double delay = 0.25;

	if (now - w->started_us >= SPAWN_YOUNG_US)
		w->quick_crashes = 0;
	if (w->quick_crashes++ == 0)
		return 0;
	for (unsigned i = 1; i < w->quick_crashes && delay < SPAWN_BACKOFF_MAX;
	    i++)
		delay *= 2;
	return delay > SPAWN_BACKOFF_MAX ? SPAWN_BACKOFF_MAX : delay;
}

void
spawn_lost(struct worker *w, const char *why)
{
	struct daemon *d = w->d;
	char how[64], detail[320];
	uint64_t now = sg_now_us();
	double delay;
	int pid, st;

	st = spawn_close(w, &pid);
	spawn_describe(st, how, sizeof(how));
	if (w->down_us == 0)
		w->down_us = now;
	spawn_answer_all(w, w->cur->cfg->fail_open);
	delay = spawn_backoff(w, now);
	w->restart_us = now + (uint64_t)(delay * 1e6);
	snprintf(detail, sizeof(detail), "inspector for queue %u (pid %d) %s%s%s;"
	    " its packets are %s until another runs (in %.2f s)", w->queue,
	    pid, how, why ? ": " : "", why ? why : "",
	    w->cur->cfg->fail_open ? "accepted uninspected (fail-open)" :
	    "dropped (fail-closed)", delay);
	pthread_mutex_lock(&w->lock);
	w->crashes++;
	w->backoff_s = delay;
	snprintf(w->last_crash, sizeof(w->last_crash), "%s", how);
	pthread_mutex_unlock(&w->lock);
	rw_event(d->rw, "crash", detail);
	log_warnx("%s", detail);
}

/* A planned end (stop, or new nDPI protocols): no crash, no gap. */
void
spawn_retire(struct worker *w)
{
	int pid;

	spawn_answer_all(w, w->cur->cfg->fail_open);
	(void)spawn_close(w, &pid);
}

/*
 * Only the worker thread writes to its socket.  A full socket is waited
 * for while the inspector's own messages are read, so neither side can
 * block the other for good; one that stops reading is lost.
 */
static int
spawn_send_fd(struct worker *w, uint16_t type, uint16_t flags,
    const void *p, size_t len, int fd)
{
	uint64_t since = sg_now_us();
	struct pollfd pfd;

	while (w->sock >= 0) {
		if (msg_send(w->sock, type, flags, p, len, fd) == 0)
			return 0;
		if (errno != EAGAIN) {
			spawn_lost(w, NULL);
			return -1;
		}
		if (sg_now_us() - since > SPAWN_STALL_US) {
			spawn_lost(w, "stopped reading its socket");
			return -1;
		}
		pfd = (struct pollfd){ w->sock, POLLIN | POLLOUT, 0 };
		if (poll(&pfd, 1, 100) > 0 && (pfd.revents & ~POLLOUT) != 0 &&
		    worker_inspector_input(w) == -1)
			return -1;
	}
	return -1;
}

int
spawn_send(struct worker *w, uint16_t type, uint16_t flags, const void *p,
    size_t len)
{
	return spawn_send_fd(w, type, flags, p, len, -1);
}

int
spawn_send_blob(struct worker *w, uint16_t type, const void *blob,
    size_t len, size_t elem)
{
	const uint8_t *p = blob;
	size_t off = 0, part, most = (MSG_PAYLOAD_MAX / elem) * elem;

	do {	/* an empty set is one empty part */
		part = len - off > most ? most : len - off;
		if (spawn_send(w, type, off + part < len ? MSG_F_MORE : 0,
		    part ? p + off : p, part) == -1)
			return -1;
		off += part;
	} while (off < len);
	return 0;
}
