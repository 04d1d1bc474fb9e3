/*
 * Inside the record writer process: rwproc.c (the receiver and the
 * process) and rwstore.c (the ring and the thread that writes).
 */
#ifndef SG_RWPROC_IMPL_H
#define SG_RWPROC_IMPL_H

#include <sys/types.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "msg.h"
#include "records.h"
#include "recwriter.h"
#include "rwproc.h"

enum rwp_kind { RWP_FLOW, RWP_EVENT, RWP_GAPCHECK, RWP_SEAL };

#define RWP_INBOX	64	/* rows the receiver rings per lock */

struct rwp_item {
	enum rwp_kind	 kind;
	union {
		struct rec_flow	 flow;
		struct msg_event ev;
		bool		 fail_open;	/* RWP_GAPCHECK */
		struct msg_seal	 seal;		/* RWP_SEAL */
	} u;
};

struct rwp {
	/* the receiver's */
	int		 sock;
	struct msg	*m;
	uint64_t	 received;	/* messages, counted or rejected */
	uint64_t	 rejected;
	struct msg_wstats sent_stats;
	struct rwp_item	*inbox;		/* RWP_INBOX, pushed together */
	/* shared, under lock */
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	struct rwp_item	*ring;
	size_t		 cap;
	size_t		 head;		/* next to take */
	size_t		 n;
	bool		 stopping;
	bool		 waiting;	/* the writer sleeps: a push must wake it */
	size_t		 store_pending;	/* rows the store holds, published */
	struct rw_stats	 st;		/* published by the writer thread */
	atomic_int	 syslog_fd;	/* -1, or a socket to the syslog daemon */
	atomic_int	 anchor_fd;	/* -1, or the same for seals */
	char		 hostname[64];
	/* the writer thread's own */
	struct rwp_item	*take;		/* its batch, RWP_TAKE long */
	struct rec_store *store;
	char		*path;
	dev_t		 dev;		/* the file the store has open */
	ino_t		 ino;
	bool		 reopen_failing;	/* logged once */
	uint64_t	 dropped_before;	/* by stores since replaced */
	uint64_t	 written_before;
	bool		 failing;
	enum rec_error	 last_error;
	uint64_t	 syslog_failed;
	uint64_t	 gap_reported;	/* dropped rows already in an event */
	size_t		 store_rows;	/* rec_set_pending_max, 0: default */
	int64_t		 failing_since_us;
	/* sealing (rwseal.c): the key is in this process only */
	struct rec_sealer *sealer;
	int64_t		 seal_every_us;
	int64_t		 next_seal_us;
	bool		 seal_failing;	/* logged once */
};

/* rwstore.c */
struct rwp	*rwp_new(int sock, const struct rwp_opts *, enum rec_error *);
void		 rwp_push(struct rwp *, const struct rwp_item *, size_t n);
/* Writes everything queued, closes the store, joins the thread. */
void		 rwp_finish(struct rwp *);

/* rwseal.c: in the writer thread */
void		 rwp_seal_start(struct rwp *, const struct msg_seal *);
void		 rwp_seal_if_due(struct rwp *);
/* The last seal, before the store closes; frees the key. */
void		 rwp_seal_end(struct rwp *);

/* rwproc.c */
void		 rwp_send_stats(struct rwp *, bool ready);

#endif
