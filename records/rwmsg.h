/*
 * A flow record as it crosses to the record writer process (MSG_FLOW):
 * struct rec_flow's words become enums and every string is made UTF-8,
 * so the writer can check the message the way msg.c checks any other.
 */
#ifndef SG_RWMSG_H
#define SG_RWMSG_H

#include "msg.h"
#include "records.h"

/* -1 if r's action or host source is not one of the known words: m is
 * filled all the same, with those two left 0. */
int	 rwm_flow_pack(const struct rec_flow *r, struct msg_flow *m);
/* m must have passed msg_recv's checks. */
void	 rwm_flow_unpack(const struct msg_flow *m, struct rec_flow *r);

#endif
