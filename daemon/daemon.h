/*
 * The daemon's shared state (schoolgate run, the monitor).  The main
 * thread owns signals, the control socket, conntrack and timers; one
 * worker thread per NFQUEUE owns its queue and talks to that queue's
 * inspector process, which runs nDPI and the engine (docs/PRIVSEP.md).
 * What crosses threads is locked or atomic, and listed here.
 */
#ifndef SG_DAEMON_H
#define SG_DAEMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "acct.h"
#include "config.h"
#include "ct.h"
#include "ctl.h"
#include "engine.h"
#include "identity.h"
#include "msg.h"
#include "nfq.h"
#include "recwriter.h"

/* Per-app decision counts for status. */
#define DMN_MAX_APPS	256
struct dmn_app {
	char		 name[SG_APP_MAX];
	uint64_t	 n[3];
};

struct daemon;

#define WORKER_DNS_INBOX 256

/*
 * The monitor's side of one queue (a thread): it binds the NFQUEUE
 * socket and hands it to the queue's inspector process, which reads the
 * packets; the monitor sends the verdicts the inspector returns, so
 * CAP_NET_ADMIN never leaves the monitor.  While no inspector runs it
 * reads the queue itself and applies the failure mode.
 * It reads the leases and 802.1X sessions and sends them on.
 */
struct worker {
	struct daemon	*d;
	unsigned	 queue;
	pthread_t	 thread;
	bool		 started;
	struct nfq_queue *q;
	struct cfg_ref	*cur;		/* the worker's own reference */
	struct leases_file leases;
	struct rad_follow radius;	/* 802.1X sessions (RADIUS detail) */
	int		 wakefd;	/* eventfd: a new config, DNS or stop */
	atomic_bool	 stop;

	/* the inspector; the worker thread's only */
	int		 sock;		/* -1: none running */
	struct msg	*in;		/* receive buffer */
	uint32_t	 last_id;	/* the newest packet answered */
	uint64_t	 relayed;	/* verdicts sent for inspectors */
	uint64_t	 heard_us;	/* the inspector's last message */
	uint64_t	 started_us;	/* of the running inspector */
	uint64_t	 down_us;	/* 0, or since when none runs */
	uint64_t	 restart_us;	/* when to start the next one */
	unsigned	 quick_crashes;	/* in a row, for the backoff */
	uint64_t	 uninspected;	/* packets answered by the failure mode */
	uint64_t	 gap_uninspected;

	pthread_mutex_t	 lock;		/* guards the fields below */
	struct cfg_ref	*next;		/* posted by the main thread */
	struct eng_stats eng_st;	/* published snapshots */
	struct nfq_stats nfq_st;
	int		 pid;		/* the inspector's, 0 if none */
	uint64_t	 restarts;
	uint64_t	 crashes;
	double		 backoff_s;	/* the delay before the next start */
	char		 last_crash[128];
	uint64_t	 rejected;	/* inspector messages refused */
	struct msg_dns	*dns_inbox;	/* from the other queues' inspectors */
	size_t		 dns_n;
	uint64_t	 dns_dropped;
};

struct daemon {
	const char	*conf_path;
	bool		 foreground;
	bool		 no_handoff;	/* -B: benchmark the queue-everything cost */
	struct cfg_ref	*cfg;		/* current; the main thread's ref */
	uint32_t	 mark_mask;	/* from the first config: the ruleset's */
	unsigned	 generation;
	uint64_t	 reloads_ok;
	uint64_t	 reloads_rejected;
	time_t		 started;

	struct worker	*workers;
	size_t		 nworkers;
	struct acct	*acct;
	struct rw	*rw;
	struct ct_watch	*ct;
	struct ctl	*ctl;
	int		 sigfd;
	int		 kq_fd;		/* /proc/net/netfilter/nfnetlink_queue,
					 * opened as root: it is 0440 */
	atomic_uint_fast64_t direct_records;	/* written without conntrack */
	uint64_t	 failopen_seen;	/* overload already in a "gap" event */
	int		 rd_timerfd;	/* the next schedule boundary */
	time_t		 rd_next;
	time_t		 rd_followup;	/* 0, or when to decide once more */
	const char	*rd_followup_why;
	uint64_t	 redecided;	/* open flows whose outcome changed */
	uint64_t	 overruns_seen;

	pthread_mutex_t	 apps_lock;
	struct dmn_app	 apps[DMN_MAX_APPS];
	size_t		 napps;
};

int		 worker_init(struct worker *, struct daemon *, unsigned queue,
		    struct cfg_ref *);
int		 worker_start(struct worker *);
void		 worker_stop(struct worker *);
void		 worker_post_config(struct worker *, struct cfg_ref *);
enum nfq_mark	 worker_mark_of(enum sg_action);
/* A DNS answer one inspector learnt, for every other queue's. */
void		 worker_fan_dns(struct daemon *, const struct worker *from,
		    const struct msg_dns *);

/* daemon/spawn.c: the inspector processes, started, lost and restarted
 * (called by the worker thread). */
int		 spawn_inspector(struct worker *);
void		 spawn_lost(struct worker *, const char *why);
void		 spawn_retire(struct worker *);
void		 spawn_answer_all(struct worker *, bool fail_open);
int		 spawn_send(struct worker *, uint16_t type, uint16_t flags,
		    const void *, size_t);
int		 spawn_send_blob(struct worker *, uint16_t type, const void *,
		    size_t len, size_t elem);
/* daemon/worker.c: what the inspector sent (the worker thread's). */
int		 worker_inspector_input(struct worker *);
void		 worker_drain_queue(struct worker *);
int		 worker_send_config(struct worker *);
int		 worker_send_identity(struct worker *);

/* Drop to user, keeping CAP_NET_ADMIN effective and what starting an
 * inspector needs permitted and inheritable.  -1 with err on failure. */
int		 priv_drop(const char *user, char *err, size_t errlen);
/* CapEff of this process, for the status page and tests. */
uint64_t	 priv_effective(void);

/* daemon/redecide.c: open flows decided again at schedule boundaries
 * and after reloads. */
int		 rd_start(struct daemon *);
void		 rd_stop(struct daemon *);
void		 rd_timer_fired(struct daemon *);
void		 rd_reloaded(struct daemon *);
void		 rd_tick(struct daemon *, time_t now);
void		 rd_pass(struct daemon *, const char *why);

/* daemon/confcheck.c: conf_load_checked without loading nDPI here. */
struct sg_config *run_conf_load(const char *path, struct conf_errors *);

size_t		 status_text(struct daemon *, char *buf, size_t len);
/* Packets passed uninspected (fail-open estimate) and socket overruns,
 * both counted since the queues were bound. */
void		 status_overload(struct daemon *, uint64_t *failopen,
		    uint64_t *overruns);
int		 status_write_metrics(struct daemon *, const char *path);

#endif
