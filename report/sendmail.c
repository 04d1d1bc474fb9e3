/*
 * The system MTA's sendmail interface (exim4, postfix and others all
 * install /usr/sbin/sendmail).  The message goes to its standard input
 * over a socket pair rather than a pipe so that a sendmail that stops
 * reading gives an error (MSG_NOSIGNAL), never a SIGPIPE; a sendmail that
 * hangs is killed after MAIL_SEND_TIMEOUT.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mail.h"
#include "sg.h"

static const char *const mail_errstr[] = {
	[MAIL_SENT] = "sent",
	[MAIL_ERR_EXEC] = "sendmail could not be started",
	[MAIL_ERR_WRITE] = "sendmail stopped reading the message",
	[MAIL_ERR_STATUS] = "sendmail failed",
	[MAIL_ERR_TIMEOUT] = "sendmail did not finish in time",
};

const char *
mail_strerror(enum mail_send_result r)
{
	return mail_errstr[r];
}

static pid_t
mail_spawn(const char *sendmail, char *const *to, size_t nto, int fd)
{
	char **argv;
	pid_t pid;

	if ((argv = calloc(nto + 4, sizeof(*argv))) == NULL)
		return -1;
	argv[0] = (char *)sendmail;
	argv[1] = (char *)"-oi";
	argv[2] = (char *)"--";
	memcpy(argv + 3, to, nto * sizeof(*argv));
	if ((pid = fork()) == 0) {
		sigset_t none;

		/* a caller that takes signals by signalfd blocks them */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(fd, STDIN_FILENO) == -1)
			_exit(127);
		execv(sendmail, argv);
		_exit(127);
	}
	free(argv);
	return pid;
}

static int
mail_write_all(int fd, const char *msg, size_t len, time_t deadline)
{
	struct pollfd p = { fd, POLLOUT, 0 };
	ssize_t n;

	while (len > 0) {
		if (poll(&p, 1, 1000) == -1 && errno != EINTR)
			return -1;
		if (time(NULL) > deadline)
			return -1;
		if ((n = send(fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		msg += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Wait for pid until deadline, then kill it; its status as 128 + signal
 * when a signal ended it. */
static int
mail_reap(pid_t pid, time_t deadline, int *status)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	int st;
	pid_t r;

	while ((r = waitpid(pid, &st, WNOHANG)) == 0 && time(NULL) <= deadline)
		nanosleep(&tick, NULL);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		*status = 128 + SIGKILL;
		return -1;
	}
	if (r == -1)
		return 0;	/* *status stays -1: not sent */
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

enum mail_send_result
mail_send(const char *sendmail, char *const *to, size_t nto, const char *msg,
    size_t len, int *status)
{
	time_t deadline = time(NULL) + MAIL_SEND_TIMEOUT;
	enum mail_send_result res = MAIL_SENT;
	int sv[2];
	pid_t pid;

	*status = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return MAIL_ERR_EXEC;
	if ((pid = mail_spawn(sendmail, to, nto, sv[1])) == -1) {
		close(sv[0]);
		close(sv[1]);
		return MAIL_ERR_EXEC;
	}
	close(sv[1]);
	if (mail_write_all(sv[0], msg, len, deadline) == -1)
		res = MAIL_ERR_WRITE;
	close(sv[0]);
	if (mail_reap(pid, deadline, status) == -1)
		return MAIL_ERR_TIMEOUT;
	if (*status == 127 && res == MAIL_SENT)
		return MAIL_ERR_EXEC;
	if (*status != 0)
		return MAIL_ERR_STATUS;
	return res;
}
