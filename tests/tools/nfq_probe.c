/*
 * nfq_probe QUEUE BLOCKPORT: a stand-in for the daemon's verdict loop so
 * tests/t_nfq_ct.sh can prove the kernel hand-off.  Flows to BLOCKPORT
 * are marked for blocking, all others for allowing, each once its first
 * payload arrives (UDP at once); until then packets are only accepted.
 * Prints "pkt DPORT LEN" for every packet it is asked about.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "nfq.h"

#define PROBE_MARK_MASK	0x0000ff00u	/* daemon.mark_mask's default */

struct probe {
	uint16_t	 blockport;
	uint64_t	 blocked;
	uint64_t	 allowed;
};

static volatile sig_atomic_t	 probe_quit;

static void
probe_on_term(int sig)
{
	probe_quit = 1;
}

static void
probe_judge(struct nfq_queue *q, const struct nfq_pkt *pkt, void *arg)
{
	struct probe	*p = arg;
	struct dec_pkt	 d;
	uint16_t	 dport = 0;
	bool		 decoded, ported;

	decoded = dec_ip(pkt->data, pkt->len, &d) == DEC_OK;
	ported = decoded && (d.proto == IPPROTO_TCP || d.proto == IPPROTO_UDP);
	if (ported)
		dport = d.dport;
	printf("pkt %u %zu\n", dport, pkt->len);
	fflush(stdout);

	if (!decoded || (d.proto == IPPROTO_TCP && d.paylen == 0)) {
		nfq_verdict(q, pkt->id, NFQ_ACCEPT, 0);
	} else if (ported && dport == p->blockport) {
		p->blocked++;
		nfq_verdict(q, pkt->id, NFQ_REPEAT_MARK,
		    nfq_mark_merge(pkt->mark, PROBE_MARK_MASK, NFQ_MARK_BLOCK));
	} else {
		p->allowed++;
		nfq_verdict(q, pkt->id, NFQ_REPEAT_MARK,
		    nfq_mark_merge(pkt->mark, PROBE_MARK_MASK, NFQ_MARK_ALLOW));
	}
}

static int
probe_run(struct nfq_queue *q, struct probe *p)
{
	struct pollfd	 pfd = { .fd = nfq_queue_fd(q), .events = POLLIN };
	sigset_t	 term, unblocked;

	/* SIGTERM is let in only inside ppoll, so it is never missed. */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &unblocked);
	sigdelset(&unblocked, SIGTERM);
	while (!probe_quit) {
		if (ppoll(&pfd, 1, NULL, &unblocked) == -1) {
			if (errno == EINTR)
				continue;
			perror("ppoll");
			return -1;
		}
		if (nfq_receive(q, probe_judge, p) == -1 && errno != EAGAIN) {
			perror("nfq_receive");
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct nfq_opts		 opts = { .maxlen = 4096, .fail_open = true,
				    .rcvbuf = 8 << 20 };
	struct probe		 p = { 0 };
	struct nfq_queue	*q;
	const struct nfq_stats	*st;
	struct sigaction	 sa = { .sa_handler = probe_on_term };
	int			 err, ret;

	if (argc != 3) {
		fprintf(stderr, "usage: nfq_probe QUEUE BLOCKPORT\n");
		return 2;
	}
	opts.queue = (uint16_t)strtoul(argv[1], NULL, 10);
	p.blockport = (uint16_t)strtoul(argv[2], NULL, 10);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);

	if ((q = nfq_queue_open(&opts, &err)) == NULL) {
		fprintf(stderr, "nfq_open: queue %u: %s\n", opts.queue,
		    strerror(err));
		return 1;
	}
	printf("bound %u\n", opts.queue);
	fflush(stdout);
	ret = probe_run(q, &p);
	st = nfq_stats(q);
	printf("stats received %" PRIu64 " enobufs %" PRIu64
	    " verdict_errors %" PRIu64 " malformed %" PRIu64
	    " allowed %" PRIu64 " blocked %" PRIu64 "\n", st->received,
	    st->enobufs, st->verdict_errors, st->malformed, p.allowed,
	    p.blocked);
	nfq_queue_close(q);
	return ret == 0 ? 0 : 1;
}
