#include <stdio.h>
#include <string.h>

#include "rwmsg.h"

/* Both structs name their strings alike, with the same sizes. */
#define RWM_PACK(f)	msg_copy_utf8(m->f, sizeof(m->f), r->f)
/* m's strings were checked to end inside their fields (msg.c), which have
 * r's sizes: a copy of the whole field is the string. */
#define RWM_UNPACK(f)	do {						\
	_Static_assert(sizeof(r->f) == sizeof(m->f), #f " differs");	\
	memcpy(r->f, m->f, sizeof(r->f));				\
} while (0)

static int
rwm_host_src_parse(const char *s, uint8_t *out)
{
	for (int i = SG_HOST_NONE; i <= SG_HOST_IPLIST; i++)
		if (strcmp(s, sg_host_src_name((enum sg_host_src)i)) == 0) {
			*out = (uint8_t)i;
			return 0;
		}
	return -1;
}

int
rwm_flow_pack(const struct rec_flow *r, struct msg_flow *m)
{
	enum sg_action	 a;
	int		 rc = 0;

	memset(m, 0, sizeof(*m));
	if (sg_action_parse(r->action, &a) == -1 ||
	    rwm_host_src_parse(r->host_source, &m->host_src) == -1)
		rc = -1;
	else
		m->action = (uint8_t)a;
	m->start_us = r->start_us;
	/* the checks refuse a flow that ends before it starts */
	m->end_us = r->end_us < r->start_us ? r->start_us : r->end_us;
	m->bytes_out = r->bytes_out;
	m->bytes_in = r->bytes_in;
	m->pkts_out = r->pkts_out;
	m->pkts_in = r->pkts_in;
	m->dst_port = r->dst_port;
	m->in_school_hours = r->in_school_hours ? 1 : 0;
	RWM_PACK(device);
	RWM_PACK(mac);
	RWM_PACK(ip);
	RWM_PACK(person);
	RWM_PACK(group);
	RWM_PACK(app);
	RWM_PACK(category);
	RWM_PACK(host);
	RWM_PACK(dst_ip);
	RWM_PACK(transport);
	RWM_PACK(rule);
	RWM_PACK(clause);
	RWM_PACK(source);
	RWM_PACK(id_source);
	return rc;
}

void
rwm_flow_unpack(const struct msg_flow *m, struct rec_flow *r)
{
	memset(r, 0, sizeof(*r));
	r->start_us = m->start_us;
	r->end_us = m->end_us;
	r->bytes_out = m->bytes_out;
	r->bytes_in = m->bytes_in;
	r->pkts_out = m->pkts_out;
	r->pkts_in = m->pkts_in;
	r->dst_port = m->dst_port;
	r->in_school_hours = m->in_school_hours != 0;
	snprintf(r->action, sizeof(r->action), "%s",
	    sg_action_name((enum sg_action)m->action));
	snprintf(r->host_source, sizeof(r->host_source), "%s",
	    sg_host_src_name((enum sg_host_src)m->host_src));
	RWM_UNPACK(device);
	RWM_UNPACK(mac);
	RWM_UNPACK(ip);
	RWM_UNPACK(person);
	RWM_UNPACK(group);
	RWM_UNPACK(app);
	RWM_UNPACK(category);
	RWM_UNPACK(host);
	RWM_UNPACK(dst_ip);
	RWM_UNPACK(transport);
	RWM_UNPACK(rule);
	RWM_UNPACK(clause);
	RWM_UNPACK(source);
	RWM_UNPACK(id_source);
}
