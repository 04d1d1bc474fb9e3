/*
 * How classify shows flows: an aligned table for people, or JSON lines
 * for tools.  Host names come off the wire, so the table escapes every
 * non-printable byte (no terminal escapes get through) and JSON is
 * written by jansson, which escapes by the standard.
 */
#ifndef SG_OUTPUT_H
#define SG_OUTPUT_H

#include <stdio.h>
#include "engine.h"

struct out_app_count {
	char		 app[SG_APP_MAX];
	uint64_t	 flows;
	uint64_t	 actions[3];
};

struct out_summary {
	unsigned	 files;
	unsigned	 failed_files;
	uint64_t	 flows;
	uint64_t	 actions[3];
	uint64_t	 packets;
	uint64_t	 undecodable;	/* link layer not understood */
	uint64_t	 skipped[DEC_NRESULTS];
	struct out_app_count *apps;
	size_t		 napps;
};

void	out_table_header(FILE *);
void	out_flow(FILE *, bool json, const struct eng_flow_view *,
	    const struct rec_flow *);
void	out_summary_add(struct out_summary *, const struct rec_flow *);
void	out_summary_engine(struct out_summary *, const struct eng_stats *);
/* Prints, then frees what the summary holds. */
void	out_summary_print(FILE *, struct out_summary *);

#endif
