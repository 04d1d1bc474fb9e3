/*
 * schoolgate classify's inspector (docs/PRIVSEP.md, "Offline"): the
 * capture's frames go to the same "schoolgate inspector" program, in the
 * same sandbox, as the daemon's packets; the flows come back as records
 * that only this process writes.
 */
#ifndef SG_CLASSIFY_BOX_H
#define SG_CLASSIFY_BOX_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "engine.h"

struct cbox;

/* A flow of the file ended: its endpoints, its record (source empty) and
 * the packets the engine saw before it decided. */
typedef void	 cbox_ended_fn(const struct flow_key *, struct rec_flow *,
		    uint64_t decided_after, void *arg);

struct cbox_file {
	int		 linktype;
	int		 as_group;
	int		 as_device;
	time_t		 pin_time;
	/* called with the engine's counters as flows expire, NULL: never */
	void		(*on_stats)(const struct eng_stats *, void *arg);
};

/* Starts the inspector as user ("-": not root, see sandbox.h) and hands
 * it cfg.  NULL, with why in err. */
struct cbox	*cbox_start(const struct sg_config *cfg, const char *user,
		    cbox_ended_fn *, void *arg, char *err, size_t errlen);
/* The process that parses the packets (for the tests and --memstats). */
int		 cbox_pid(const struct cbox *);
/* 0, or -1 with why in err: the inspector is lost, the run is over. */
int		 cbox_begin(struct cbox *, const struct cbox_file *,
		    char *err, size_t errlen);
int		 cbox_packet(struct cbox *, uint64_t ts_us, const uint8_t *,
		    size_t caplen, char *err, size_t errlen);
/* Ends the file: its remaining flows come through the callback, then
 * the engine's counters and the frames it could not decode. */
int		 cbox_end(struct cbox *, struct eng_stats *,
		    uint64_t *undecodable, char *err, size_t errlen);
/* Ends the inspector; -1 with its fate in err if it died on its own. */
int		 cbox_stop(struct cbox *, char *err, size_t errlen);

#endif
