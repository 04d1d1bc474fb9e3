/*
 * The messages between schoolgate's processes (daemon/msg.c), as a
 * compromised inspector could send them: the first input byte says
 * whether a descriptor came along, the rest is the datagram.  Whatever
 * msg_parse accepts is then read the way the receivers read it, so a
 * check that lets a bad length through shows as an overflow here.
 */
#include "fuzzutil.h"
#include "inspmsg.h"
#include "msg.h"

static struct msg	 fuzz_m;
static struct msg_blob	 fuzz_blob = { .max = 1 << 20 };

/* As the monitor and the inspector convert what they accept. */
static size_t
fuzz_msg_read_inspector(const struct msg *m)
{
	static struct rec_flow	 r;
	static struct dns_response dr;
	struct policy_kept	 k;
	struct flow_key		 key;
	struct rad_session	 s;
	struct sg_addr		 client;
	const struct msg_rewrite *rw;
	time_t			 now;
	size_t			 sum = 0;

	switch (m->hdr.type) {
	case MSG_DECIDED:
	case MSG_ENDED:		/* classify's: a msg_decided first */
		im_decided_from((const struct msg_decided *)m->data, &key, &r,
		    &k);
		sum = strlen(r.host) + strlen(r.action) + strlen(k.host);
		break;
	case MSG_DNS:
		im_dns_from((const struct msg_dns *)m->data, &client, &dr, &now);
		for (size_t i = 0; i < dr.nanswers; i++)
			sum += dr.answers[i].ttl;
		break;
	case MSG_RADIUS:
		for (size_t i = 0; i < msg_count(m, sizeof(struct msg_rad)); i++) {
			im_rad_from(&s, (const struct msg_rad *)m->data + i);
			sum += strlen(s.user);
		}
		break;
	case MSG_REWRITE:
		rw = (const struct msg_rewrite *)m->data;
		for (uint32_t i = 0; i < rw->len; i++)
			sum += rw->data[i];
		break;
	}
	return sum;
}

static void
fuzz_msg_read(const struct msg *m)
{
	const struct msg_pkt	*p;
	const uint8_t		*data;
	const struct msg_flow	*f;
	const struct msg_wstats	*w;
	size_t			 off = 0, sum = 0;
	char			 out[64];

	switch (m->hdr.type) {
	case MSG_PACKETS:
		while (msg_pkt_next(m, &off, &p, &data))
			for (size_t i = 0; i < p->len; i++)
				sum += data[i];
		break;
	case MSG_CONFIG:
	case MSG_LEASES:
		if (msg_blob_add(&fuzz_blob, m) != 0)
			msg_blob_reset(&fuzz_blob);
		break;
	case MSG_FLOW:
		f = (const struct msg_flow *)m->data;
		sum += strlen(f->host) + strlen(f->source) + strlen(f->rule);
		msg_copy_utf8(out, sizeof(out), f->host);
		if (!msg_utf8_valid(out, sizeof(out)))
			abort();
		sum += strlen(f->id_source);
		break;
	case MSG_WSTATS:
		/* the monitor adds and subtracts these: any value must do */
		w = (const struct msg_wstats *)m->data;
		sum += (size_t)(w->written + w->dropped_queue + w->backlog -
		    w->received) + w->failing + w->last_error;
		break;
	case MSG_GAPCHECK:
		sum += ((const struct msg_gapcheck *)m->data)->fail_open;
		break;
	case MSG_SEAL:
		/* the writer opens this path: it must be a terminated string */
		sum += strlen(((const struct msg_seal *)m->data)->state) +
		    ((const struct msg_seal *)m->data)->interval_s;
		break;
	case MSG_DECIDED:
	case MSG_ENDED:
	case MSG_DNS:
	case MSG_RADIUS:
	case MSG_REWRITE:
		sum += fuzz_msg_read_inspector(m);
		break;
	default:
		sum += msg_count(m, 8);
		break;
	}
	if (sum == (size_t)-1)
		abort();
}

int
fuzz_one_msg(const uint8_t *data, size_t size)
{
	char		 out[96], text[96];
	size_t		 n;
	int		 fd;

	if (size < 1)
		return 0;
	/* a descriptor number nobody closes: msg_parse never closes it */
	fd = (data[0] & 1) ? 1000 : -1;
	if (msg_parse(&fuzz_m, data + 1, size - 1, fd) == MSG_OK)
		fuzz_msg_read(&fuzz_m);
	n = size - 1 < sizeof(text) - 1 ? size - 1 : sizeof(text) - 1;
	memcpy(text, data + 1, n);
	text[n] = '\0';
	msg_copy_utf8(out, (data[0] >> 1) % sizeof(out), text);
	if ((data[0] >> 1) % sizeof(out) != 0 &&
	    !msg_utf8_valid(out, sizeof(out)))
		abort();
	return 0;
}

#ifndef FUZZ_NO_MAIN
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_one_msg(data, size);
}
#endif
