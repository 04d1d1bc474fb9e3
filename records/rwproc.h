/*
 * The record writer process (docs/PRIVSEP.md): the only process that
 * opens the records database.  records/recwriter.c forks it and talks to
 * it over a SOCK_SEQPACKET socketpair (daemon/msg.h); everything it
 * receives is checked as untrusted input.
 */
#ifndef SG_RWPROC_H
#define SG_RWPROC_H

#include <stddef.h>

struct rwp_opts {
	const char	*path;		/* the database */
	size_t		 queue_max;	/* its memory ring, 0: default */
	size_t		 store_rows;	/* rec_set_pending_max, 0: default */
};

/*
 * In the freshly forked child: confine the process (no capability, no
 * network, seccomp), open the store, answer with MSG_WSTATS (ready or the
 * error), then write what arrives on sock until end of file.  Never
 * returns: _exit(0) after a clean end, _exit(1) if it could not start.
 */
void	 rwp_run(int sock, const struct rwp_opts *) __attribute__((noreturn));

/*
 * The same, in a program of its own: the monitor (which has threads and
 * may map libndpi) forks and executes itself as
 *	schoolgate record-writer FD QUEUE_MAX STORE_ROWS PATH
 * so the writer starts as a clean process.  A hidden subcommand.
 */
#define RWP_EXEC_CMD	"record-writer"
int	 rwp_exec_main(int argc, char **argv);

#endif
