/*
 * schoolgate alerts: high-risk events mailed to alerts.mail_to within a
 * minute.  It follows the records database read-only from a cursor (the
 * last flow and event ids it handled), so neither the packet path nor
 * the daemon knows it exists; it also watches the daemon's heartbeat
 * file (<db>.alive).  What it has not yet sent and how far it has read
 * are kept in a state file, replaced atomically, so a restart neither
 * repeats nor loses an alert.  Nothing here prints or logs.
 */
#ifndef SG_ALERTS_H
#define SG_ALERTS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "report.h"

#define ALERT_STALE_S		60	/* heartbeat older than this: down */
#define ALERT_QUEUE_MAX		1000	/* unsent alerts kept; then counted */
#define ALERT_RETRY_MAX_S	3600	/* longest wait between tries */
#define ALERT_WHO_MAX		64

/* One device and kind's window: alerts within it are counted, not sent. */
struct alert_limit {
	char		 kind[16];
	char		 who[ALERT_WHO_MAX];
	int64_t		 last;		/* Unix time of the last one queued */
	uint64_t	 suppressed;	/* since then */
};

/* A message waiting for sendmail. */
struct alert_pending {
	char		*subject;
	char		*text;
	unsigned int	 attempts;
	int64_t		 next;		/* Unix time of the next try */
};

struct alert_state {
	int64_t		 flow_id, event_id;	/* the cursor */
	bool		 started;	/* false: no state yet */
	bool		 down_alerted;	/* this heartbeat outage is mailed */
	uint64_t	 sent, failed, suppressed, dropped;
	struct alert_limit *limits;
	size_t		 nlimits;
	struct alert_pending *queue;
	size_t		 nqueue;
};

/* alertstate.c: a missing file is a fresh state (started false). */
enum rpt_error	 alert_state_load(const char *path, struct alert_state *);
enum rpt_error	 alert_state_save(const char *path, const struct alert_state *);
void		 alert_state_free(struct alert_state *);
/* Add a message to the queue (sent at once by alert_send_due). */
enum rpt_error	 alert_enqueue(struct alert_state *, const char *subject,
		    const char *text, int64_t now);

/*
 * alerts.c: read what the database gained since the cursor and queue an
 * alert for each high-risk row not inside its device and kind's rate
 * limit; check the heartbeat.  A fresh state starts at the end of the
 * database: history is not mailed.
 */
enum rpt_error	 alert_scan(const struct sg_config *, const char *db,
		    struct alert_state *, int64_t now);
/* Try each queued message that is due; a failure waits longer each
 * time (never dropped).  Returns how many were sent. */
size_t		 alert_send_due(const struct sg_config *, struct alert_state *,
		    int64_t now);

#endif
