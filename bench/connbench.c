/*
 * connbench: new short TCP connections per second, and their latency.
 * Keeps C connections open in parallel (epoll) for T seconds; each one
 * connects, sends a tiny HTTP request and reads until the server closes.
 * Latency is from connect() to the first response byte: the handshake
 * plus the first answer, which is what a filter on the path can delay.
 *
 *   connbench ADDR PORT CONCURRENCY SECONDS
 * prints: conns=N secs=S rate=R p50_us=A p99_us=B errors=E
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CB_MAX_CONC	4096
#define CB_MAX_SAMPLES	(1u << 22)

struct cb_conn {
	int		 fd;
	int		 sent;
	int		 got_first;
	uint64_t	 t0;
};

static const char cb_req[] =
    "GET / HTTP/1.1\r\nHost: bench.example\r\nUser-Agent: connbench\r\n"
    "Connection: close\r\n\r\n";

static struct sockaddr_in cb_dst;
static uint64_t *cb_lat;
static size_t cb_nlat;
static uint64_t cb_done, cb_errors;

static uint64_t
cb_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int
cb_open(int ep, struct cb_conn *c, int slot)
{
	struct epoll_event ev;

	memset(c, 0, sizeof(*c));
	c->t0 = cb_now_us();
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&cb_dst, sizeof(cb_dst)) == -1 &&
	    errno != EINPROGRESS)
		goto close_fd;
	ev.events = EPOLLOUT | EPOLLIN;
	ev.data.u32 = (uint32_t)slot;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == -1)
		goto close_fd;
	return 0;

close_fd:
	close(c->fd);
	c->fd = -1;
	return -1;
}

/* Returns 1 when the connection is finished (done or failed). */
static int
cb_event(struct cb_conn *c, uint32_t events)
{
	char buf[4096];
	ssize_t n;

	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
		cb_errors++;
		return 1;
	}
	if (!c->sent && (events & EPOLLOUT)) {
		if (write(c->fd, cb_req, sizeof(cb_req) - 1) !=
		    (ssize_t)sizeof(cb_req) - 1) {
			cb_errors++;
			return 1;
		}
		c->sent = 1;
	}
	if (!(events & EPOLLIN))
		return 0;
	while ((n = read(c->fd, buf, sizeof(buf))) > 0) {
		if (!c->got_first) {
			c->got_first = 1;
			if (cb_nlat < CB_MAX_SAMPLES)
				cb_lat[cb_nlat++] = cb_now_us() - c->t0;
		}
	}
	if (n == 0) {
		if (c->got_first)
			cb_done++;
		else
			cb_errors++;
		return 1;
	}
	if (errno == EAGAIN)
		return 0;
	cb_errors++;
	return 1;
}

static int
cb_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
cb_pct(double p)
{
	size_t i;

	if (cb_nlat == 0)
		return 0;
	i = (size_t)(p * (double)(cb_nlat - 1) + 0.5);
	return cb_lat[i];
}

/* Interest in EPOLLOUT after the request would spin: drop it. */
static void
cb_only_in(int ep, struct cb_conn *c, int slot)
{
	struct epoll_event ev;

	ev.events = EPOLLIN;
	ev.data.u32 = (uint32_t)slot;
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
cb_run(int ep, struct cb_conn *conns, int conc, uint64_t end)
{
	struct epoll_event evs[256];
	int n, slot, was_sent;

	for (int i = 0; i < conc; i++)
		if (cb_open(ep, &conns[i], i) == -1)
			cb_errors++;
	while (cb_now_us() < end) {
		if ((n = epoll_wait(ep, evs, 256, 100)) == -1) {
			if (errno == EINTR)
				continue;
			perror("connbench: epoll_wait");
			exit(1);
		}
		for (int i = 0; i < n; i++) {
			slot = (int)evs[i].data.u32;
			was_sent = conns[slot].sent;
			if (cb_event(&conns[slot], evs[i].events)) {
				close(conns[slot].fd);
				if (cb_open(ep, &conns[slot], slot) == -1)
					cb_errors++;
			} else if (!was_sent && conns[slot].sent)
				cb_only_in(ep, &conns[slot], slot);
		}
	}
}

int
main(int argc, char **argv)
{
	struct cb_conn *conns;
	uint64_t t0, t1;
	int conc, secs, ep;

	if (argc != 5) {
		fprintf(stderr,
		    "usage: connbench ADDR PORT CONCURRENCY SECONDS\n");
		return 2;
	}
	memset(&cb_dst, 0, sizeof(cb_dst));
	cb_dst.sin_family = AF_INET;
	cb_dst.sin_port = htons((unsigned short)atoi(argv[2]));
	conc = atoi(argv[3]);
	secs = atoi(argv[4]);
	if (inet_pton(AF_INET, argv[1], &cb_dst.sin_addr) != 1 ||
	    conc < 1 || conc > CB_MAX_CONC || secs < 1) {
		fprintf(stderr, "connbench: bad arguments\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	conns = calloc((size_t)conc, sizeof(*conns));
	cb_lat = malloc(CB_MAX_SAMPLES * sizeof(*cb_lat));
	if (conns == NULL || cb_lat == NULL || (ep = epoll_create1(0)) == -1) {
		perror("connbench");
		return 1;
	}
	t0 = cb_now_us();
	cb_run(ep, conns, conc, t0 + (uint64_t)secs * 1000000);
	t1 = cb_now_us();
	qsort(cb_lat, cb_nlat, sizeof(*cb_lat), cb_cmp);
	printf("conns=%llu secs=%.3f rate=%.1f p50_us=%llu p99_us=%llu "
	    "errors=%llu\n", (unsigned long long)cb_done,
	    (double)(t1 - t0) / 1e6, (double)cb_done * 1e6 / (double)(t1 - t0),
	    (unsigned long long)cb_pct(0.50), (unsigned long long)cb_pct(0.99),
	    (unsigned long long)cb_errors);
	return 0;
}
