/*
 * Decided flows waiting for their conntrack totals.  The daemon sees only
 * a flow's first packets, so a decided flow's record waits here until
 * conntrack reports the flow destroyed (real bytes, packets, duration).
 * Periodic dumps refresh long-lived flows; a flow conntrack never knew
 * (blocked on its very first packet) is written as seen after max_age.
 *
 * Workers add, the main thread completes: the table has its own lock.
 */
#ifndef SG_ACCT_H
#define SG_ACCT_H

#include <stdbool.h>
#include "ct.h"
#include "flow.h"
#include "records.h"

struct acct;

typedef void	 acct_emit_cb(const struct rec_flow *, void *arg);

struct acct	*acct_new(size_t max_entries);
void		 acct_free(struct acct *);
/* -1 if the table is full: the caller writes the record as it is. */
int		 acct_add(struct acct *, const struct flow_key *,
		    const struct rec_flow *, uint64_t now_us);
/* A DESTROY event: completes and emits the matching record, if any. */
bool		 acct_destroyed(struct acct *, const struct ct_entry *,
		    acct_emit_cb *, void *arg);
/* A dump entry: refresh the totals of a flow still open. */
void		 acct_seen(struct acct *, const struct ct_entry *, uint64_t now_us);
/* Emit records conntrack has not mentioned for max_age_us. */
size_t		 acct_expire(struct acct *, uint64_t now_us, uint64_t max_age_us,
		    acct_emit_cb *, void *arg);
/* Emit everything, with the totals known so far (shutdown). */
size_t		 acct_flush(struct acct *, acct_emit_cb *, void *arg);
size_t		 acct_count(struct acct *);

#endif
