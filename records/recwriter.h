/*
 * The daemon's record writer: a process of its own (rwproc.c) that alone
 * opens the record store, with no capability and no network, and writes
 * in batches, so a slow or failing disk never delays a verdict.  These
 * calls are the monitor's side: they send messages (daemon/msg.h).
 * Producers never block: when the socket or the writer's queue is full
 * the row is counted as dropped and reported (status, metrics, a "gap"
 * event once it drains).  A writer that dies is restarted by rw_tick.
 */
#ifndef SG_RECWRITER_H
#define SG_RECWRITER_H

#include <stdbool.h>
#include "records.h"

struct rw;

struct rw_stats {
	uint64_t	 written;	/* flow rows committed */
	uint64_t	 dropped_queue;	/* queue full */
	uint64_t	 dropped_store;	/* the store gave up on them */
	size_t		 backlog;	/* queued plus buffered in the store */
	bool		 failing;	/* the last write failed */
	uint64_t	 syslog_failed;	/* lines the syslog socket refused */
	enum rec_error	 last_error;
};

/* Forks the writer, which opens the store at path (the caller logs on
 * failure).  Call before starting threads.  queue_max and store_rows
 * (see rec_set_pending_max) are 0 for their defaults. */
struct rw	*rw_start(const char *path, size_t queue_max, size_t store_rows,
		    enum rec_error *);
/*
 * The same, but every writer (the first, and each after a crash) is the
 * program at exe run as its hidden "record-writer" subcommand (rwproc.h):
 * a clean process even when the caller has threads or maps libndpi.
 * schoolgate run passes "/proc/self/exe".
 */
struct rw	*rw_start_exec(const char *exe, const char *path,
		    size_t queue_max, size_t store_rows, enum rec_error *);
/* Flushes everything queued, closes the store, waits for the writer. */
void		 rw_stop(struct rw *);
void		 rw_flow(struct rw *, const struct rec_flow *);
void		 rw_event(struct rw *, const char *kind, const char *detail);
void		 rw_get_stats(struct rw *, struct rw_stats *);
/* From the main loop, about once a second: the writer's log lines, and a
 * new writer (with a "gap" event naming the signal) if it died. */
void		 rw_tick(struct rw *);
/* If the records' last event is not "stop", the previous run ended
 * uncleanly: the writer records the gap since its last heartbeat. */
void		 rw_check_unclean_end(struct rw *, bool fail_open);
/*
 * Also send each finished flow, as one RFC 5424 line, to the syslog
 * socket at path ("/dev/log"), for schools that collect logs centrally.
 * Call before the first rw_flow.  Returns -1 with errno on failure.
 */
int		 rw_set_syslog(struct rw *, const char *path);
/*
 * The writer seals the store every interval_s and before it closes it
 * (records/seal.c), and sends each seal to the syslog socket at
 * syslog_path (NULL: none), which the monitor connects for it.  The
 * writer loads the sealing state at path state itself, and so does each
 * writer restarted after a crash: the key never enters this process.
 * Returns -1 with errno if the socket cannot be reached (sealing goes on).
 */
int		 rw_set_seal(struct rw *, const char *state,
		    unsigned interval_s, const char *syslog_path);

#endif
