/*
 * schoolgate classify's side of its inspector: started as the daemon
 * starts its own (daemon/spawn.c), fed the capture's frames in order and
 * in batches with their capture times, and read for the flows that end.
 * The inspector decodes every frame, so this process parses no packet;
 * it keeps the records database, which the inspector never sees.
 *
 * Sends wait on a full socket while the inspector's messages are read,
 * so neither side blocks the other for good (as spawn_send does).
 */
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "classify_box.h"
#include "confpack.h"
#include "inspmsg.h"
#include "log.h"
#include "msg.h"
#include "spawn.h"

struct cbox {
	int		 sock;
	int		 pid;
	cbox_ended_fn	*ended;
	void		*arg;
	bool		 done;		/* MSG_OFFLINE done came */
	bool		 ending;	/* MSG_OFFLINE end sent */
	void		(*on_stats)(const struct eng_stats *, void *);
	uint64_t	 undecodable;
	struct eng_stats stats;
	size_t		 batchlen, batchn;
	uint8_t		 batch[MSG_PAYLOAD_MAX];
	struct msg	 in;
};

static void
cbox_log(const struct msg_log *l)
{
	char text[MSG_LOG_TEXT_MAX];

	sg_printable(l->text, text, sizeof(text));
	if (l->priority <= LOG_WARNING)
		log_warnx("inspector: %s", text);
	else
		log_debug("inspector: %s", text);
}

/* Its last words first: why it ended is often in them. */
static int
cbox_lost(struct cbox *b, const char *why, char *err, size_t errlen)
{
	enum msg_error e;

	snprintf(err, errlen, "the inspector %s", why);
	if (b->sock < 0)
		return -1;
	while (msg_recv(b->sock, &b->in, &e) == 1)
		if (b->in.hdr.type == MSG_LOG)
			cbox_log((const struct msg_log *)b->in.data);
	close(b->sock);
	b->sock = -1;
	return -1;
}

static void
cbox_ended(struct cbox *b, const struct msg_ended *m)
{
	struct policy_kept kept;
	struct flow_key key;
	struct rec_flow r;

	im_decided_from(&m->dec, &key, &r, &kept);
	r.source[0] = '\0';
	b->ended(&key, &r, m->decided_after, b->arg);
}

static int
cbox_message(struct cbox *b, char *err, size_t errlen)
{
	const struct msg_offline *o;

	switch (b->in.hdr.type) {
	case MSG_ENDED:
		cbox_ended(b, (const struct msg_ended *)b->in.data);
		return 0;
	case MSG_LOG:
		cbox_log((const struct msg_log *)b->in.data);
		return 0;
	case MSG_ENG_STATS:
		memcpy(&b->stats, b->in.data, sizeof(b->stats));
		if (!b->ending && b->on_stats != NULL)
			b->on_stats(&b->stats, b->arg);
		return 0;
	case MSG_OFFLINE:
		o = (const struct msg_offline *)b->in.data;
		if (o->op != MSG_OFF_DONE)
			break;
		b->done = true;
		b->undecodable = o->undecodable;
		return 0;
	default:
		break;
	}
	return cbox_lost(b, "sent an unexpected message", err, errlen);
}

/* Reads what the inspector has sent; wait: block until one message. */
static int
cbox_input(struct cbox *b, bool wait, char *err, size_t errlen)
{
	struct pollfd pfd = { b->sock, POLLIN, 0 };
	enum msg_error why;

	for (;;) {
		if (wait && poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return cbox_lost(b, "cannot be polled", err, errlen);
		switch (msg_recv(b->sock, &b->in, &why)) {
		case 1:
			if (cbox_message(b, err, errlen) == -1)
				return -1;
			wait = false;
			continue;
		case 0:
			return cbox_lost(b, "ended", err, errlen);
		default:
			if (errno == EAGAIN || errno == EINTR) {
				if (wait)
					continue;
				return 0;
			}
			return cbox_lost(b, errno == EBADMSG ?
			    msg_strerror(why) : strerror(errno), err, errlen);
		}
	}
}

static int
cbox_send(struct cbox *b, uint16_t type, const void *p, size_t len,
    char *err, size_t errlen)
{
	struct pollfd pfd;

	while (b->sock >= 0) {
		if (msg_send(b->sock, type, 0, p, len, -1) == 0)
			return 0;
		if (errno != EAGAIN)
			return cbox_lost(b, "ended", err, errlen);
		pfd = (struct pollfd){ b->sock, POLLIN | POLLOUT, 0 };
		if (poll(&pfd, 1, -1) > 0 && (pfd.revents & ~POLLOUT) != 0 &&
		    cbox_input(b, false, err, errlen) == -1)
			return -1;
	}
	return -1;
}

struct cbox *
cbox_start(const struct sg_config *cfg, const char *user,
    cbox_ended_fn *ended, void *arg, char *err, size_t errlen)
{
	struct cbox *b;
	uint8_t *blob = NULL;
	size_t len;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->ended = ended;
	b->arg = arg;
	if (conf_pack(cfg, &blob, &len) == -1) {
		snprintf(err, errlen, "cannot pack the config");
		free(b);
		return NULL;
	}
	b->pid = spawn_exec("offline", user, cfg->protocols_file, &b->sock);
	if (b->pid == -1 || msg_send_blob(b->sock, MSG_CONFIG, blob, len,
	    1) == -1 || fcntl(b->sock, F_SETFL, O_NONBLOCK) == -1) {
		snprintf(err, errlen, "cannot start the inspector: %s",
		    strerror(errno));
		free(blob);
		(void)cbox_stop(b, NULL, 0);
		return NULL;
	}
	free(blob);
	return b;
}

int
cbox_pid(const struct cbox *b)
{
	return b->pid;
}

static int
cbox_offline(struct cbox *b, enum msg_offline_op op,
    const struct cbox_file *f, char *err, size_t errlen)
{
	struct msg_offline o;

	memset(&o, 0, sizeof(o));
	o.op = (uint8_t)op;
	o.as_group = f ? f->as_group : -1;
	o.as_device = f ? f->as_device : -1;
	o.linktype = f ? f->linktype : 0;
	o.pin_time = f ? (int64_t)f->pin_time : 0;
	o.stats = f != NULL && f->on_stats != NULL;
	return cbox_send(b, MSG_OFFLINE, &o, sizeof(o), err, errlen);
}

int
cbox_begin(struct cbox *b, const struct cbox_file *f, char *err,
    size_t errlen)
{
	b->done = false;
	b->ending = false;
	b->on_stats = f->on_stats;
	return cbox_offline(b, MSG_OFF_START, f, err, errlen);
}

static int
cbox_flush(struct cbox *b, char *err, size_t errlen)
{
	int rc;

	if (b->batchn == 0)
		return 0;
	rc = cbox_send(b, MSG_PACKETS, b->batch, b->batchlen, err, errlen);
	b->batchlen = b->batchn = 0;
	return rc;
}

int
cbox_packet(struct cbox *b, uint64_t ts_us, const uint8_t *data,
    size_t caplen, char *err, size_t errlen)
{
	struct msg_pkt p;

	memset(&p, 0, sizeof(p));
	p.ts_us = ts_us;
	/* a longer frame is cut as a shorter snaplen would have cut it */
	p.len = caplen > UINT16_MAX ? UINT16_MAX : (uint16_t)caplen;
	if (msg_pkt_add(b->batch, &b->batchlen, &p, data) == -1) {
		if (cbox_flush(b, err, errlen) == -1)
			return -1;
		(void)msg_pkt_add(b->batch, &b->batchlen, &p, data);
	}
	if (++b->batchn == MSG_PKT_BATCH_MAX)
		return cbox_flush(b, err, errlen);
	return 0;
}

int
cbox_end(struct cbox *b, struct eng_stats *st, uint64_t *undecodable,
    char *err, size_t errlen)
{
	if (cbox_flush(b, err, errlen) == -1)
		return -1;
	b->ending = true;
	if (cbox_offline(b, MSG_OFF_END, NULL, err, errlen) == -1)
		return -1;
	while (!b->done)
		if (cbox_input(b, true, err, errlen) == -1)
			return -1;
	*st = b->stats;
	*undecodable = b->undecodable;
	return 0;
}

int
cbox_stop(struct cbox *b, char *err, size_t errlen)
{
	char how[64];
	int st = 0, rc = 0;

	if (b == NULL)
		return 0;
	if (b->sock >= 0)
		close(b->sock);	/* end of file: it ends, status 0 */
	if (b->pid > 0) {
		while (waitpid(b->pid, &st, 0) == -1 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			spawn_describe(st, how, sizeof(how));
			if (err != NULL)
				snprintf(err, errlen, "the inspector (pid %d) "
				    "%s", b->pid, how);
			rc = -1;
		}
	}
	free(b);
	return rc;
}
