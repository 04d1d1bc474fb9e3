/*
 * daemon/msg.c: what a peer sends is checked before anyone reads it, and
 * what a well-behaved peer sends arrives unchanged.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "msg.h"
#include "records.h"

struct fixture {
	int		 sv[2];
	struct msg	*m;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL || msg_socketpair(fx->sv) == -1 ||
	    (fx->m = malloc(sizeof(*fx->m))) == NULL)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	close(fx->sv[0]);
	close(fx->sv[1]);
	free(fx->m);
	free(fx);
	return 0;
}

/* Send a raw datagram (a lying peer) and return what msg_recv says. */
static enum msg_error
raw_recv(struct fixture *fx, const void *buf, size_t len, int fd)
{
	enum msg_error why;
	struct msg_hdr hdr;
	int rc;

	if (fd < 0) {
		assert_int_equal(send(fx->sv[0], buf, len, 0), (ssize_t)len);
	} else {
		memcpy(&hdr, buf, sizeof(hdr));
		assert_int_equal(msg_send(fx->sv[0], hdr.type, hdr.flags,
		    (const uint8_t *)buf + sizeof(hdr), len - sizeof(hdr),
		    fd), 0);
	}
	rc = msg_recv(fx->sv[1], fx->m, &why);
	if (why != MSG_OK) {
		assert_int_equal(rc, -1);
		assert_int_equal(errno, EBADMSG);
		assert_int_equal(fx->m->fd, -1);
	} else
		assert_int_equal(rc, 1);
	return why;
}

static enum msg_error
send_recv(struct fixture *fx, uint16_t type, uint16_t flags,
    const void *payload, size_t len, int fd)
{
	uint8_t *buf = malloc(sizeof(struct msg_hdr) + len);
	struct msg_hdr hdr = { type, flags, (uint32_t)len };
	enum msg_error e;

	assert_non_null(buf);
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), payload, len);
	e = raw_recv(fx, buf, sizeof(hdr) + len, fd);
	free(buf);
	return e;
}

/* A blob bigger than the socket buffer: a child sends while we read. */
static void
send_blob_async(struct fixture *fx, uint16_t type, const void *blob,
    size_t len, size_t elem)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(msg_send_blob(fx->sv[0], type, blob, len, elem) == 0 ?
		    0 : 1);
}

static void
reap(void)
{
	int status;

	assert_true(wait(&status) > 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static struct msg_flow
good_flow(void)
{
	struct msg_flow f;

	memset(&f, 0, sizeof(f));
	f.start_us = 1794911400000000;
	f.end_us = f.start_us + 90000000;
	f.action = SG_BLOCK;
	f.host_src = SG_HOST_SNI;
	f.in_school_hours = 1;
	f.dst_port = 443;
	snprintf(f.host, sizeof(f.host), "www.facebook.com");
	snprintf(f.person, sizeof(f.person), "Zoë Ward");	/* UTF-8 */
	snprintf(f.app, sizeof(f.app), "TLS.Facebook");
	snprintf(f.source, sizeof(f.source), "live");
	return f;
}

static void
test_roundtrip_flow(void **state)
{
	struct fixture *fx = *state;
	struct msg_flow f = good_flow();

	assert_int_equal(send_recv(fx, MSG_FLOW, 0, &f, sizeof(f), -1),
	    MSG_OK);
	assert_int_equal(fx->m->hdr.type, MSG_FLOW);
	assert_memory_equal(fx->m->data, &f, sizeof(f));
}

static void
test_header_lies(void **state)
{
	struct fixture *fx = *state;
	struct msg_flow f = good_flow();
	uint8_t buf[sizeof(struct msg_hdr) + sizeof(f)];
	struct msg_hdr hdr = { MSG_FLOW, 0, sizeof(f) + 8 };

	/* the header claims more than the datagram holds */
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), &f, sizeof(f));
	assert_int_equal(raw_recv(fx, buf, sizeof(buf), -1), MSG_E_LEN);
	/* ... or less */
	hdr.len = sizeof(f) - 8;
	memcpy(buf, &hdr, sizeof(hdr));
	assert_int_equal(raw_recv(fx, buf, sizeof(buf), -1), MSG_E_LEN);
	/* a type with no fixed length: only the datagram's size can tell */
	hdr.type = MSG_CONFIG;
	hdr.len = 10;
	memcpy(buf, &hdr, sizeof(hdr));
	assert_int_equal(raw_recv(fx, buf, 28, -1), MSG_E_LEN);
	hdr.len = 20;
	memcpy(buf, &hdr, sizeof(hdr));
	assert_int_equal(raw_recv(fx, buf, 28, -1), MSG_OK);
	/* a short datagram */
	assert_int_equal(raw_recv(fx, buf, 5, -1), MSG_E_SHORT);
	/* the right header on the wrong length for the type */
	assert_int_equal(send_recv(fx, MSG_FLOW, 0, &f, sizeof(f) - 1, -1),
	    MSG_E_LEN);
	assert_int_equal(send_recv(fx, MSG_VERDICTS, 0, &f, 17, -1),
	    MSG_E_LEN);
}

static void
test_type_and_flags(void **state)
{
	struct fixture *fx = *state;
	struct msg_flow f = good_flow();

	assert_int_equal(send_recv(fx, MSG_NTYPES, 0, &f, sizeof(f), -1),
	    MSG_E_TYPE);
	assert_int_equal(send_recv(fx, MSG_NONE, 0, &f, sizeof(f), -1),
	    MSG_E_TYPE);
	assert_int_equal(send_recv(fx, 0xffff, 0, &f, sizeof(f), -1),
	    MSG_E_TYPE);
	assert_int_equal(send_recv(fx, MSG_FLOW, MSG_F_MORE, &f, sizeof(f),
	    -1), MSG_E_FLAGS);
	assert_int_equal(send_recv(fx, MSG_FLOW, 0x8000, &f, sizeof(f), -1),
	    MSG_E_FLAGS);
}

static void
test_oversized_is_truncated(void **state)
{
	struct fixture *fx = *state;
	size_t len = MSG_MAX + 1;
	uint8_t *buf = calloc(1, len);
	struct msg_hdr hdr = { MSG_CONFIG, 0, (uint32_t)(len - 8) };
	int big = 4 * MSG_MAX;

	assert_non_null(buf);
	assert_int_equal(setsockopt(fx->sv[0], SOL_SOCKET, SO_SNDBUF, &big,
	    sizeof(big)), 0);
	memcpy(buf, &hdr, sizeof(hdr));
	assert_int_equal(raw_recv(fx, buf, len, -1), MSG_E_TRUNC);
	/* and msg_send refuses to make one */
	assert_int_equal(msg_send(fx->sv[0], MSG_CONFIG, 0, buf,
	    MSG_PAYLOAD_MAX + 1, -1), -1);
	assert_int_equal(errno, EMSGSIZE);
	free(buf);
}

static void
test_strings(void **state)
{
	struct fixture *fx = *state;
	struct msg_flow f = good_flow();
	struct msg_log l;
	struct msg_event ev;

	memset(f.host, 'a', sizeof(f.host));	/* no NUL */
	assert_int_equal(send_recv(fx, MSG_FLOW, 0, &f, sizeof(f), -1),
	    MSG_E_STRING);
	f = good_flow();
	memcpy(f.host, "\xc0\xaf.example", 11);	/* overlong '/' */
	assert_int_equal(send_recv(fx, MSG_FLOW, 0, &f, sizeof(f), -1),
	    MSG_E_UTF8);
	f = good_flow();
	f.action = 3;
	assert_int_equal(send_recv(fx, MSG_FLOW, 0, &f, sizeof(f), -1),
	    MSG_E_RANGE);
	f = good_flow();
	f.end_us = f.start_us - 1;
	assert_int_equal(send_recv(fx, MSG_FLOW, 0, &f, sizeof(f), -1),
	    MSG_E_RANGE);

	memset(&l, 0, sizeof(l));
	l.priority = LOG_DEBUG + 1;
	assert_int_equal(send_recv(fx, MSG_LOG, 0, &l, sizeof(l), -1),
	    MSG_E_RANGE);
	l.priority = LOG_WARNING;
	snprintf(l.text, sizeof(l.text), "queue 0: flow table full");
	assert_int_equal(send_recv(fx, MSG_LOG, 0, &l, sizeof(l), -1),
	    MSG_OK);

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.kind, sizeof(ev.kind), "Crash; drop");
	assert_int_equal(send_recv(fx, MSG_EVENT, 0, &ev, sizeof(ev), -1),
	    MSG_E_RANGE);
	snprintf(ev.kind, sizeof(ev.kind), "crash");
	snprintf(ev.detail, sizeof(ev.detail), "inspector 0: SIGSEGV");
	assert_int_equal(send_recv(fx, MSG_EVENT, 0, &ev, sizeof(ev), -1),
	    MSG_OK);
}

static size_t
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	size_t n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* What the record writer and the monitor check of each other's messages. */
static void
test_writer_messages(void **state)
{
	struct fixture *fx = *state;
	struct msg_flow f = good_flow();
	struct msg_wstats w;
	struct msg_gapcheck g;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	memset(f.id_source, 'x', sizeof(f.id_source));	/* no NUL */
	assert_int_equal(send_recv(fx, MSG_FLOW, 0, &f, sizeof(f), -1),
	    MSG_E_STRING);
	f = good_flow();
	snprintf(f.id_source, sizeof(f.id_source), "8021x");
	assert_int_equal(send_recv(fx, MSG_FLOW, 0, &f, sizeof(f), -1),
	    MSG_OK);

	memset(&g, 0, sizeof(g));
	g.fail_open = 2;
	assert_int_equal(send_recv(fx, MSG_GAPCHECK, 0, &g, sizeof(g), -1),
	    MSG_E_RANGE);
	g.fail_open = 1;
	assert_int_equal(send_recv(fx, MSG_GAPCHECK, 0, &g, sizeof(g), -1),
	    MSG_OK);
	assert_int_equal(send_recv(fx, MSG_GAPCHECK, 0, &g, sizeof(g) - 1,
	    -1), MSG_E_LEN);

	memset(&w, 0, sizeof(w));
	w.last_error = REC_ERR_NOMEM + 1;
	assert_int_equal(send_recv(fx, MSG_WSTATS, 0, &w, sizeof(w), -1),
	    MSG_E_RANGE);
	w.last_error = REC_ERR_FULL;
	w.failing = 2;
	assert_int_equal(send_recv(fx, MSG_WSTATS, 0, &w, sizeof(w), -1),
	    MSG_E_RANGE);
	w.failing = 1;
	w.ready = 1;
	w.backlog = UINT64_MAX;		/* counters are the peer's word */
	assert_int_equal(send_recv(fx, MSG_WSTATS, 0, &w, sizeof(w), -1),
	    MSG_OK);

	/* the syslog socket: exactly one descriptor and no payload */
	assert_true(fd >= 0);
	assert_int_equal(send_recv(fx, MSG_SYSLOG_FD, 0, &g, 0, -1),
	    MSG_E_FD);
	assert_int_equal(send_recv(fx, MSG_SYSLOG_FD, 0, &g, sizeof(g), fd),
	    MSG_E_LEN);
	assert_int_equal(send_recv(fx, MSG_SYSLOG_FD, 0, &g, 0, fd),
	    MSG_OK);
	assert_true(fx->m->fd >= 0);
	close(fx->m->fd);
	close(fd);
}

/* The sealing state's path and interval, which the writer acts on. */
static void
test_seal_message(void **state)
{
	struct fixture *fx = *state;
	struct msg_seal s;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	memset(&s, 0, sizeof(s));
	s.interval_s = 300;
	memset(s.state, 'x', sizeof(s.state));		/* no NUL */
	assert_int_equal(send_recv(fx, MSG_SEAL, 0, &s, sizeof(s), -1),
	    MSG_E_STRING);
	snprintf(s.state, sizeof(s.state), "/var/lib/schoolgate/seal");
	assert_int_equal(send_recv(fx, MSG_SEAL, 0, &s, sizeof(s), -1),
	    MSG_OK);
	assert_int_equal(send_recv(fx, MSG_SEAL, 0, &s, sizeof(s) - 1, -1),
	    MSG_E_LEN);
	s.interval_s = 0;
	assert_int_equal(send_recv(fx, MSG_SEAL, 0, &s, sizeof(s), -1),
	    MSG_E_RANGE);
	s.interval_s = MSG_SEAL_INTERVAL_MAX + 1;
	assert_int_equal(send_recv(fx, MSG_SEAL, 0, &s, sizeof(s), -1),
	    MSG_E_RANGE);
	s.interval_s = 1;
	s.state[0] = '\0';
	assert_int_equal(send_recv(fx, MSG_SEAL, 0, &s, sizeof(s), -1),
	    MSG_E_RANGE);

	/* the anchor socket: exactly one descriptor and no payload */
	assert_true(fd >= 0);
	assert_int_equal(send_recv(fx, MSG_ANCHOR_FD, 0, &s, 0, -1),
	    MSG_E_FD);
	assert_int_equal(send_recv(fx, MSG_ANCHOR_FD, 0, &s, 0, fd), MSG_OK);
	assert_true(fx->m->fd >= 0);
	close(fx->m->fd);
	close(fd);
}

static void
test_fd_passing(void **state)
{
	struct fixture *fx = *state;
	struct msg_queue q = { .queue = 3, .portid = 77, .nifs = 1,
	    .ifs = { { 2, "lan-staff" } } };
	struct msg_log l;
	size_t before;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(send_recv(fx, MSG_QUEUE_FD, 0, &q, sizeof(q), fd),
	    MSG_OK);
	assert_true(fx->m->fd >= 0 && fx->m->fd != fd);
	assert_true(fcntl(fx->m->fd, F_GETFD) & FD_CLOEXEC);
	close(fx->m->fd);
	/* the queue message without its descriptor */
	assert_int_equal(send_recv(fx, MSG_QUEUE_FD, 0, &q, sizeof(q), -1),
	    MSG_E_FD);
	/* a descriptor nobody asked for is rejected and closed, not leaked */
	memset(&l, 0, sizeof(l));
	before = count_fds();
	assert_int_equal(send_recv(fx, MSG_LOG, 0, &l, sizeof(l), fd),
	    MSG_E_FD);
	assert_int_equal(count_fds(), before);
	q.queue = 70000;
	assert_int_equal(send_recv(fx, MSG_QUEUE_FD, 0, &q, sizeof(q), fd),
	    MSG_E_RANGE);
	assert_int_equal(count_fds(), before);
	/* an interface name without its end, and too many names */
	q.queue = 3;
	memset(q.ifs[0].name, 'x', sizeof(q.ifs[0].name));
	assert_int_equal(send_recv(fx, MSG_QUEUE_FD, 0, &q, sizeof(q), fd),
	    MSG_E_STRING);
	q.nifs = MSG_IFNAMES_MAX + 1;
	assert_int_equal(send_recv(fx, MSG_QUEUE_FD, 0, &q, sizeof(q), fd),
	    MSG_E_RANGE);
	assert_int_equal(count_fds(), before);
	close(fd);
}

static void
test_blob_parts(void **state)
{
	struct fixture *fx = *state;
	struct msg_blob b = { .max = 1 << 20 };
	size_t len = 300000, nparts = 0;
	uint8_t *blob = malloc(len);
	enum msg_error why;
	int rc;

	assert_non_null(blob);
	for (size_t i = 0; i < len; i++)
		blob[i] = (uint8_t)(i * 7 + i / 251);
	send_blob_async(fx, MSG_CONFIG, blob, len, 1);
	do {
		assert_int_equal(msg_recv(fx->sv[1], fx->m, &why), 1);
		nparts++;
	} while ((rc = msg_blob_add(&b, fx->m)) == 0);
	reap();
	assert_int_equal(rc, 1);
	assert_int_equal(nparts, (len + MSG_PAYLOAD_MAX - 1) / MSG_PAYLOAD_MAX);
	assert_int_equal(b.len, len);
	assert_memory_equal(b.buf, blob, len);

	/* over the limit */
	b.max = 1000;
	assert_int_equal(msg_send_blob(fx->sv[0], MSG_CONFIG, blob, 2000, 1),
	    0);
	assert_int_equal(msg_recv(fx->sv[1], fx->m, &why), 1);
	assert_int_equal(msg_blob_add(&b, fx->m), -1);
	assert_int_equal(errno, EMSGSIZE);
	/* a part of another type in between */
	b.max = 1 << 20;
	fx->m->hdr.flags = MSG_F_MORE;
	assert_int_equal(msg_blob_add(&b, fx->m), 0);
	fx->m->hdr.type = MSG_LEASES;
	assert_int_equal(msg_blob_add(&b, fx->m), -1);
	assert_int_equal(errno, EPROTO);
	msg_blob_reset(&b);
	free(blob);
}

static void
test_leases_parts(void **state)
{
	struct fixture *fx = *state;
	size_t n = 3000;
	struct msg_lease *l = calloc(n, sizeof(*l));
	struct msg_blob b = { .max = 1 << 20 };
	enum msg_error why;

	assert_non_null(l);
	for (size_t i = 0; i < n; i++) {
		l[i].family = 2;
		l[i].ip[3] = (uint8_t)i;
		snprintf(l[i].hostname, sizeof(l[i].hostname), "pc-%zu", i);
	}
	send_blob_async(fx, MSG_LEASES, l, n * sizeof(*l), sizeof(*l));
	do
		assert_int_equal(msg_recv(fx->sv[1], fx->m, &why), 1);
	while (msg_blob_add(&b, fx->m) == 0);
	reap();
	assert_memory_equal(b.buf, l, n * sizeof(*l));
	msg_blob_reset(&b);
	l[0].family = 7;
	assert_int_equal(send_recv(fx, MSG_LEASES, 0, l, 4 * sizeof(*l), -1),
	    MSG_E_RANGE);
	free(l);
}

static void
test_packets(void **state)
{
	struct fixture *fx = *state;
	uint8_t *buf = calloc(1, MSG_PAYLOAD_MAX), data[300];
	const struct msg_pkt *got;
	const uint8_t *gotdata;
	struct msg_pkt p;
	size_t len = 0, off = 0, i;
	struct msg_verdict v[2] = { { 1, 0x300, MSG_V_REPEAT_MARK, { 0 }, 0 },
				    { 2, 0, MSG_V_NKINDS, { 0 }, 0 } };

	assert_non_null(buf);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	for (i = 0; i < 3; i++) {
		memset(&p, 0, sizeof(p));
		p.id = (uint32_t)i + 10;
		p.len = (uint16_t)(100 * i + 1);
		snprintf(p.iface, sizeof(p.iface), "eth%zu", i);
		assert_int_equal(msg_pkt_add(buf, &len, &p, data), 0);
	}
	assert_int_equal(send_recv(fx, MSG_PACKETS, 0, buf, len, -1), MSG_OK);
	for (i = 0; msg_pkt_next(fx->m, &off, &got, &gotdata); i++) {
		assert_int_equal(got->id, i + 10);
		assert_int_equal(got->len, 100 * i + 1);
		assert_memory_equal(gotdata, data, got->len);
	}
	assert_int_equal(i, 3);
	/* a packet that claims more bytes than the batch holds */
	((struct msg_pkt *)buf)->len = 60000;
	assert_int_equal(send_recv(fx, MSG_PACKETS, 0, buf, len, -1),
	    MSG_E_LEN);
	/* a batch cut inside a packet header */
	((struct msg_pkt *)buf)->len = 1;
	assert_int_equal(send_recv(fx, MSG_PACKETS, 0, buf, len - 50, -1),
	    MSG_E_LEN);
	/* verdicts out of range */
	assert_int_equal(send_recv(fx, MSG_VERDICTS, 0, v, sizeof(v), -1),
	    MSG_E_RANGE);
	v[1].verdict = MSG_V_DROP;
	assert_int_equal(send_recv(fx, MSG_VERDICTS, 0, v, sizeof(v), -1),
	    MSG_OK);
	assert_int_equal(msg_count(fx->m, sizeof(v[0])), 2);
	free(buf);
}

static void
test_peer_closed(void **state)
{
	struct fixture *fx = *state;
	enum msg_error why;

	close(fx->sv[0]);
	fx->sv[0] = -1;
	assert_int_equal(msg_recv(fx->sv[1], fx->m, &why), 0);
}

static void
test_utf8(void **state)
{
	char out[16];

	(void)state;
	assert_true(msg_utf8_valid("plain", 6));
	assert_true(msg_utf8_valid("caf\xc3\xa9 \xf0\x9f\x98\x80", 16));
	assert_false(msg_utf8_valid("\xc0\x80", 3));		/* overlong NUL */
	assert_false(msg_utf8_valid("\xed\xa0\x80", 4));	/* surrogate */
	assert_false(msg_utf8_valid("\xf4\x90\x80\x80", 5));	/* > U+10FFFF */
	assert_false(msg_utf8_valid("\xe2\x82", 3));		/* cut short */
	assert_false(msg_utf8_valid("\xff", 2));
	/* the field's end counts as the string's end */
	assert_false(msg_utf8_valid("ab\xc3\xa9", 3));

	msg_copy_utf8(out, sizeof(out), "a\xffz\xc3\xa9");
	assert_string_equal(out, "a\\xffz\xc3\xa9");
	assert_true(msg_utf8_valid(out, sizeof(out)));
	/* cut at a character, never inside one */
	msg_copy_utf8(out, 3, "a\xc3\xa9");
	assert_string_equal(out, "a");
	msg_copy_utf8(out, 4, "\xff\xfe");
	assert_string_equal(out, "");
}

/* Gathered messages arrive whole, in order, one datagram each; a full
 * box sends what it holds first. */
static void
test_out_gathered(void **state)
{
	struct fixture *fx = *state;
	struct msg_out *o = msg_out_new(fx->sv[0]);
	struct msg_log l;
	enum msg_error why;
	struct msg_verdict v;
	int n;

	assert_non_null(o);
	for (n = 0; n < 100; n++) {	/* more than one box holds */
		memset(&v, 0, sizeof(v));
		v.id = (uint32_t)n;
		v.verdict = MSG_V_ACCEPT;
		assert_int_equal(msg_out_add(o, MSG_VERDICTS, &v, sizeof(v)), 0);
	}
	memset(&l, 0, sizeof(l));
	l.priority = 4;
	snprintf(l.text, sizeof(l.text), "last");
	assert_int_equal(msg_out_add(o, MSG_LOG, &l, sizeof(l)), 0);
	assert_int_equal(msg_out_add(o, MSG_LOG, &l, MSG_PAYLOAD_MAX + 1), -1);
	assert_int_equal(msg_out_flush(o), 0);
	for (n = 0; n < 100; n++) {
		assert_int_equal(msg_recv(fx->sv[1], fx->m, &why), 1);
		assert_int_equal(fx->m->hdr.type, MSG_VERDICTS);
		assert_int_equal(((struct msg_verdict *)fx->m->data)->id, n);
	}
	assert_int_equal(msg_recv(fx->sv[1], fx->m, &why), 1);
	assert_int_equal(fx->m->hdr.type, MSG_LOG);
	assert_string_equal(((struct msg_log *)fx->m->data)->text, "last");
	assert_int_equal(msg_out_flush(o), 0);	/* nothing left: no-op */
	msg_out_free(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_flow, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_header_lies, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_type_and_flags, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_oversized_is_truncated,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_messages, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_seal_message, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fd_passing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_blob_parts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_leases_parts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_packets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_closed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_out_gathered, setup,
		    teardown),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
