/*
 * Messages gathered and sent together with sendmmsg.  The inspector's
 * answers to one read of its queue (verdicts, decided flows, DNS names
 * learnt) then reach the monitor in one system call and wake it once,
 * not once each.  Order is kept: they are sent as they were added.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

#define MSG_OUT_MAX	64
#define MSG_OUT_BYTES	(256 * 1024)

struct msg_out {
	int		 sock;
	size_t		 n;		/* messages gathered */
	size_t		 used;		/* bytes of buf */
	struct msg_hdr	 hdr[MSG_OUT_MAX];
	struct iovec	 iov[MSG_OUT_MAX][2];
	struct mmsghdr	 mm[MSG_OUT_MAX];
	_Alignas(8) uint8_t buf[MSG_OUT_BYTES];
};

struct msg_out *
msg_out_new(int sock)
{
	struct msg_out *o;

	if ((o = calloc(1, sizeof(*o))) != NULL)
		o->sock = sock;
	return o;
}

void
msg_out_free(struct msg_out *o)
{
	free(o);
}

int
msg_out_flush(struct msg_out *o)
{
	size_t done = 0;
	int n;

	while (done < o->n) {
		n = sendmmsg(o->sock, o->mm + done, (unsigned)(o->n - done),
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			o->n = o->used = 0;
			return -1;
		}
		done += (size_t)n;
	}
	o->n = o->used = 0;
	return 0;
}

int
msg_out_add(struct msg_out *o, uint16_t type, const void *payload,
    size_t len)
{
	size_t span = (len + 7) & ~(size_t)7;

	_Static_assert(MSG_OUT_BYTES >= MSG_PAYLOAD_MAX,
	    "any message fits once the others are sent");
	if (len > MSG_PAYLOAD_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if ((o->n == MSG_OUT_MAX || o->used + span > MSG_OUT_BYTES) &&
	    msg_out_flush(o) == -1)
		return -1;
	o->hdr[o->n] = (struct msg_hdr){ type, 0, (uint32_t)len };
	memcpy(o->buf + o->used, payload, len);
	o->iov[o->n][0] = (struct iovec){ &o->hdr[o->n], sizeof(o->hdr[0]) };
	o->iov[o->n][1] = (struct iovec){ o->buf + o->used, len };
	memset(&o->mm[o->n], 0, sizeof(o->mm[0]));
	o->mm[o->n].msg_hdr.msg_iov = o->iov[o->n];
	o->mm[o->n].msg_hdr.msg_iovlen = 2;
	o->n++;
	o->used += span;
	return 0;
}
