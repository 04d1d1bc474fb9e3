/*
 * httpd: the smallest HTTP server that keeps up with the P2/P3/P7
 * benchmarks (python is the bottleneck long before the filter is).
 * One epoll loop: read a request, answer a fixed 2-byte body, close.
 *
 *   httpd ADDR PORT
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HTTPD_EVENTS	256

static const char httpd_reply[] =
    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
    "Content-Length: 2\r\nConnection: close\r\n\r\nok";

static int
httpd_listen(const char *addr, int port)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		return -1;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 4096) == -1)
		goto close_fd;
	return fd;

close_fd:
	close(fd);
	return -1;
}

static void
httpd_accept(int ep, int lfd)
{
	struct epoll_event ev;
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) != -1) {
		ev.events = EPOLLIN;
		ev.data.fd = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
			close(fd);
	}
}

/* The request is tiny: one read holds it all; answer and close. */
static void
httpd_serve(int fd)
{
	char buf[2048];
	ssize_t n;

	n = read(fd, buf, sizeof(buf));
	if (n == -1 && errno == EAGAIN)
		return;
	if (n > 0)
		(void)!write(fd, httpd_reply, sizeof(httpd_reply) - 1);
	close(fd);		/* epoll forgets a closed descriptor */
}

int
main(int argc, char **argv)
{
	struct epoll_event ev, evs[HTTPD_EVENTS];
	int ep, lfd, n;

	if (argc != 3) {
		fprintf(stderr, "usage: httpd ADDR PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((lfd = httpd_listen(argv[1], atoi(argv[2]))) == -1) {
		perror("httpd: listen");
		return 1;
	}
	if ((ep = epoll_create1(0)) == -1) {
		perror("httpd: epoll");
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		if ((n = epoll_wait(ep, evs, HTTPD_EVENTS, -1)) == -1) {
			if (errno == EINTR)
				continue;
			perror("httpd: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == lfd)
				httpd_accept(ep, lfd);
			else
				httpd_serve(evs[i].data.fd);
		}
	}
}
