/*
 * The daemon's record writer: a thread that owns the record store and
 * writes in batches, so a slow or failing disk never delays a verdict.
 * Producers never block: when the queue is full the row is counted as
 * dropped and reported (status, metrics, a "gap" event once it drains).
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

/* Opens the store at path (the caller logs on failure).  queue_max and
 * store_rows (see rec_set_pending_max) are 0 for their defaults. */
struct rw	*rw_start(const char *path, size_t queue_max, size_t store_rows,
		    enum rec_error *);
/* Flushes everything queued, closes the store, joins the thread. */
void		 rw_stop(struct rw *);
void		 rw_flow(struct rw *, const struct rec_flow *);
void		 rw_event(struct rw *, const char *kind, const char *detail);
void		 rw_get_stats(struct rw *, struct rw_stats *);
/*
 * Also send each finished flow, as one RFC 5424 line, to the syslog
 * socket at path ("/dev/log"), for schools that collect logs centrally.
 * Call before the first rw_flow.  Returns -1 with errno on failure.
 */
int		 rw_set_syslog(struct rw *, const char *path);
/*
 * Seal the store every interval_s and at rw_stop (records/seal.c), and
 * send each seal to the syslog socket at syslog_path (NULL: none).  The
 * writer owns sealer from here on.  Call before the first rw_flow;
 * returns -1 with errno if the socket cannot be reached (sealing goes on).
 */
int		 rw_set_seal(struct rw *, struct rec_sealer *,
		    unsigned interval_s, const char *syslog_path);

#endif
