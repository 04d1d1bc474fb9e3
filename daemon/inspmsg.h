/*
 * The inspector's messages (msg.h) from and to the engine's, the
 * identity sources' and the accounting's structs, for both ends.
 */
#ifndef SG_INSPMSG_H
#define SG_INSPMSG_H

#include <stdio.h>

#include "engine.h"
#include "msg.h"
#include "radius.h"

void	im_decided_to(struct msg_decided *, const struct eng_flow_view *,
	    const struct rec_flow *, const struct policy_kept *, bool direct);
void	im_decided_from(const struct msg_decided *, struct flow_key *,
	    struct rec_flow *, struct policy_kept *);
void	im_dns_to(struct msg_dns *, const struct sg_addr *client,
	    const struct dns_response *, time_t now);
void	im_dns_from(const struct msg_dns *, struct sg_addr *client,
	    struct dns_response *, time_t *now);
void	im_lease_to(struct msg_lease *, const struct lease *);
void	im_lease_from(struct lease *, const struct msg_lease *);
void	im_rad_to(struct msg_rad *, const struct rad_session *);
void	im_rad_from(struct rad_session *, const struct msg_rad *);

#endif
