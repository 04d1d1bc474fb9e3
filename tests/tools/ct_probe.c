/*
 * ct_probe watch | dump: prints conntrack entries as the daemon's
 * accounting sees them, one line each:
 *   DESTROY|DUMP proto src sport dst dport mark pkts_o bytes_o pkts_r bytes_r
 * "watch" also turns accounting on in its network namespace first.
 *
 * ct_probe setmark PROTO SRC SPORT DST DPORT MARK MASK: sets the mask's
 * bits of that entry's mark as the daemon does when it decides a flow
 * again, then prints the entry (GET) as above.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct.h"

static volatile sig_atomic_t	 ctp_quit;

static void
ctp_on_term(int sig)
{
	ctp_quit = 1;
}

static void
ctp_print(const struct ct_entry *e, void *arg)
{
	char	 src[SG_ADDRSTR_MAX], dst[SG_ADDRSTR_MAX];

	printf("%s %u %s %u %s %u %" PRIu32 " %" PRIu64 " %" PRIu64 " %" PRIu64
	    " %" PRIu64 "\n", (const char *)arg, e->proto,
	    sg_addr_str(&e->src, src, sizeof(src)), e->sport,
	    sg_addr_str(&e->dst, dst, sizeof(dst)), e->dport, e->mark,
	    e->pkts[0], e->bytes[0], e->pkts[1], e->bytes[1]);
	fflush(stdout);
}

static int
ctp_watch_loop(struct ct_watch *w)
{
	struct pollfd	 pfd = { .fd = ct_watch_fd(w), .events = POLLIN };
	sigset_t	 term, unblocked;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &unblocked);
	sigdelset(&unblocked, SIGTERM);
	while (!ctp_quit) {
		if (ppoll(&pfd, 1, NULL, &unblocked) == -1) {
			if (errno == EINTR)
				continue;
			perror("ppoll");
			return -1;
		}
		if (ct_watch_read(w, ctp_print, "DESTROY") == -1 &&
		    errno != EAGAIN) {
			perror("ct_watch_read");
			return -1;
		}
	}
	return 0;
}

static int
ctp_watch(void)
{
	struct sigaction	 sa = { .sa_handler = ctp_on_term };
	struct ct_watch		*w;
	int			 err, ret;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	if (ct_enable_accounting() == -1) {
		perror("ct_enable_accounting");
		return 1;
	}
	if ((w = ct_watch_open(4 << 20, &err)) == NULL) {
		fprintf(stderr, "ct_watch_open: %s\n", strerror(err));
		return 1;
	}
	printf("watching\n");
	fflush(stdout);
	ret = ctp_watch_loop(w);
	printf("lost %" PRIu64 "\n", ct_watch_lost(w));
	ct_watch_close(w);
	return ret == 0 ? 0 : 1;
}

static int
ctp_setmark(char *argv[])
{
	struct ct_entry	 key, got;
	uint32_t	 mark, mask;

	memset(&key, 0, sizeof(key));
	key.proto = (uint8_t)atoi(argv[0]);
	if (sg_addr_parse(argv[1], &key.src) == -1 ||
	    sg_addr_parse(argv[3], &key.dst) == -1) {
		fprintf(stderr, "ct_probe: bad address\n");
		return 2;
	}
	key.sport = (uint16_t)atoi(argv[2]);
	key.dport = (uint16_t)atoi(argv[4]);
	mark = (uint32_t)strtoul(argv[5], NULL, 0);
	mask = (uint32_t)strtoul(argv[6], NULL, 0);
	if (ct_set_mark(&key, mark, mask) == -1) {
		perror("ct_set_mark");
		return 1;
	}
	if (ct_get(&key, &got) == -1) {
		perror("ct_get");
		return 1;
	}
	ctp_print(&got, "GET");
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc == 9 && strcmp(argv[1], "setmark") == 0)
		return ctp_setmark(argv + 2);
	if (argc == 2 && strcmp(argv[1], "watch") == 0)
		return ctp_watch();
	if (argc == 2 && strcmp(argv[1], "dump") == 0) {
		if (ct_dump(0, ctp_print, "DUMP") == -1) {
			perror("ct_dump");
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "usage: ct_probe watch | dump | setmark PROTO SRC "
	    "SPORT DST DPORT MARK MASK\n");
	return 2;
}
