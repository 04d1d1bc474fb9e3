/*
 * The daemon's shared state (schoolgate run).  The main thread owns
 * signals, the control socket, conntrack and timers; one worker thread per
 * NFQUEUE owns its queue, its nDPI module and its engine.  What crosses
 * threads is locked or atomic, and listed here.
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
#include "nfq.h"
#include "recwriter.h"

/* Per-app decision counts for status. */
#define DMN_MAX_APPS	256
struct dmn_app {
	char		 name[SG_APP_MAX];
	uint64_t	 n[3];
};

struct daemon;

/* A worker's nDPI module, shared by the configs it classified flows for
 * (a reload with a protocols file builds a new one). */
struct worker_cls {
	struct cls_module *mod;
	int		 refs;		/* the worker thread's only */
};

struct worker {
	struct daemon	*d;
	unsigned	 queue;
	pthread_t	 thread;
	bool		 started;
	struct nfq_queue *q;
	struct worker_cls *cls;		/* the current config's */
	struct eng	*eng;
	struct cfg_ref	*cur;		/* the worker's own reference */
	const char	*pkt_iface;	/* the packet in hand's input interface */
	struct leases_file leases;
	struct rad_follow radius;	/* 802.1X sessions (RADIUS detail) */
	int		 wakefd;	/* eventfd: a new config or stop */
	atomic_bool	 stop;

	pthread_mutex_t	 lock;		/* guards the fields below */
	struct cfg_ref	*next;		/* posted by the main thread */
	struct cls_module *next_cls;	/* with next, NULL: keep the module */
	struct eng_stats eng_st;	/* published snapshots */
	struct nfq_stats nfq_st;
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
	struct dns_cache *dns;		/* shared by the workers' engines */
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
/* cls: the worker's new nDPI module, taken over; NULL keeps its own. */
void		 worker_post_config(struct worker *, struct cfg_ref *,
		    struct cls_module *cls);
enum nfq_mark	 worker_mark_of(enum sg_action);

/* Drop to user, keeping only CAP_NET_ADMIN.  -1 with err on failure. */
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

size_t		 status_text(struct daemon *, char *buf, size_t len);
/* Packets passed uninspected (fail-open estimate) and socket overruns,
 * both counted since the queues were bound. */
void		 status_overload(struct daemon *, uint64_t *failopen,
		    uint64_t *overruns);
int		 status_write_metrics(struct daemon *, const char *path);

#endif
