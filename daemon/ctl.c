#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#define CTL_IO_TIMEOUT_MS	1000	/* a silent client cannot stall us */
#define CTL_ANSWER_MAX		65536

struct ctl {
	int	 fd;
	char	*path;
};

static int
ctl_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

struct ctl *
ctl_open(const char *path, gid_t gid)
{
	struct sockaddr_un sun;
	struct ctl *c;
	mode_t old;

	if (ctl_addr(path, &sun) == -1 || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->path = strdup(path)) == NULL)
		goto free_ctl;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		goto free_path;
	unlink(path);		/* a stale socket from a crashed run */
	old = umask(0117);	/* never world-accessible, not even briefly */
	if (bind(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		goto close_fd;
	}
	umask(old);
	if (chmod(path, 0660) == -1 ||
	    (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) == -1) ||
	    listen(c->fd, 16) == -1)
		goto unlink_path;
	return c;

unlink_path:
	unlink(path);
close_fd:
	close(c->fd);
free_path:
	free(c->path);
free_ctl:
	free(c);
	return NULL;
}

void
ctl_close(struct ctl *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	unlink(c->path);
	free(c->path);
	free(c);
}

int
ctl_fd(const struct ctl *c)
{
	return c->fd;
}

static ssize_t
read_line(int fd, char *buf, size_t len)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t off = 0;
	ssize_t n;

	while (off + 1 < len) {
		if (poll(&pfd, 1, CTL_IO_TIMEOUT_MS) <= 0)
			return -1;
		if ((n = read(fd, buf + off, len - 1 - off)) <= 0)
			break;
		off += (size_t)n;
		if (memchr(buf, '\n', off) != NULL)
			break;
	}
	buf[off] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return (ssize_t)off;
}

static void
write_all(int fd, const char *buf, size_t len)
{
	struct pollfd pfd = { fd, POLLOUT, 0 };
	ssize_t n;

	while (len > 0) {
		if (poll(&pfd, 1, CTL_IO_TIMEOUT_MS) <= 0)
			return;
		if ((n = write(fd, buf, len)) <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void
ctl_serve(struct ctl *c, ctl_handler *handler, void *arg)
{
	char cmd[128], *answer;
	size_t n;
	int fd;

	if ((fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	if ((answer = malloc(CTL_ANSWER_MAX)) == NULL)
		goto close_fd;
	if (read_line(fd, cmd, sizeof(cmd)) > 0) {
		n = handler(cmd, answer, CTL_ANSWER_MAX, arg);
		write_all(fd, answer, n);
	}
	free(answer);
close_fd:
	close(fd);
}

int
ctl_request(const char *path, const char *cmd, char *out, size_t outlen)
{
	struct sockaddr_un sun;
	size_t off = 0;
	ssize_t n;
	int fd;

	if (ctl_addr(path, &sun) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		goto close_fd;
	write_all(fd, cmd, strlen(cmd));
	write_all(fd, "\n", 1);
	while (off + 1 < outlen && (n = read(fd, out + off, outlen - 1 - off)) > 0)
		off += (size_t)n;
	out[off] = '\0';
	close(fd);
	return 0;

close_fd:
	n = errno;
	close(fd);
	errno = (int)n;
	return -1;
}
