/*
 * Decided flows waiting for their conntrack totals.  The daemon sees only
 * a flow's first packets, so a decided flow's record waits here until
 * conntrack reports the flow destroyed (real bytes, packets, duration).
 * Periodic dumps refresh long-lived flows; a flow conntrack never knew
 * (blocked on its very first packet) is written as seen after max_age.
 *
 * Workers add, the main thread completes: the table has its own lock.
 * Only the main thread removes entries.
 *
 * Each entry also keeps what deciding the flow again needs.  When a
 * schedule boundary or a reload changes a flow's outcome, its row is
 * split: the row so far is written with conntrack's totals at that
 * moment, and a new row carries the new decision from then on (its own
 * start, and totals counted from the split).
 */
#ifndef SG_ACCT_H
#define SG_ACCT_H

#include <stdbool.h>
#include <sys/types.h>
#include "ct.h"
#include "flow.h"
#include "policy.h"
#include "records.h"

struct acct;

typedef void	 acct_emit_cb(const struct rec_flow *, void *arg);

struct acct	*acct_new(size_t max_entries);
void		 acct_free(struct acct *);
/* -1 if the table is full: the caller writes the record as it is.
 * kept NULL: the flow's outcome is never decided again. */
int		 acct_add(struct acct *, const struct flow_key *,
		    const struct rec_flow *, const struct policy_kept *kept,
		    uint64_t now_us);
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

/*
 * Deciding open flows again (main thread).  decide fills next, the row
 * from now on, from the kept flow and its current row, and returns true
 * if the outcome differs; it runs under the table's lock.
 */
typedef bool	 acct_redecide_cb(const struct policy_kept *,
		    const struct rec_flow *cur, struct rec_flow *next,
		    void *arg);
struct acct_entry;
struct acct_change {
	struct acct_entry *e;	/* valid until the main thread removes it */
	struct ct_entry	 key;	/* the flow's conntrack tuple */
	struct rec_flow	 cur;
	struct rec_flow	 next;
};
/* The flows whose outcome changes, in *out (free it); -1 if out of
 * memory. */
ssize_t		 acct_changes(struct acct *, acct_redecide_cb *, void *arg,
		    struct acct_change **out);
/* Close the change's current row at at_us with the totals in now, into
 * *closed, and start its next row there. */
void		 acct_split(struct acct *, const struct acct_change *,
		    const struct ct_entry *now, int64_t at_us,
		    struct rec_flow *closed);

#endif
