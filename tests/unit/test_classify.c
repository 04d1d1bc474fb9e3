/*
 * The nDPI classifier against real captures.  Packets are read with
 * libpcap directly and grouped into flows by a plain 5-tuple match, so
 * this test depends on no other schoolgate decoder.
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "classify.h"

#define T_MAX_FLOWS	256
#define T_DONE_WITHIN	12	/* "a handful of packets" */

struct t_key {
	uint8_t		 family;
	uint8_t		 proto;
	uint8_t		 a[16], b[16];	/* a is the first packet's source */
	uint16_t	 pa, pb;
};

struct t_flow {
	struct t_key	 key;
	struct cls_flow	*cls;
	struct cls_result res;
	int		 npkts;
	int		 detected_at;	/* packet number that set detected, or 0 */
	int		 done_at;	/* packet number that set done, or 0 */
};

struct t_run {
	struct t_flow	 flows[T_MAX_FLOWS];
	size_t		 nflows;
	/* if nonzero, rewrite this TCP port to port_to before classifying */
	uint16_t	 port_from, port_to;
};

static char *
t_capture(const char *name)
{
	const char	*shared = getenv("SHARED");
	char		*path;

	if (shared == NULL || *shared == '\0')
		shared = "/work/shared";
	assert_true(asprintf(&path, "%s/pcaps/%s", shared, name) > 0);
	return path;
}

/* Offset of the IP header in a frame, or -1 if it carries no IP. */
static long
t_l3_offset(int dlt, const uint8_t *p, size_t len)
{
	size_t	 off;
	uint16_t type;

	switch (dlt) {
	case DLT_RAW:
	case 101:	/* LINKTYPE_RAW where DLT_RAW differs */
		return 0;
	case DLT_NULL:
		return len >= 4 ? 4 : -1;
	case DLT_LINUX_SLL:
		return len >= 16 ? 16 : -1;
	case DLT_EN10MB:
		break;
	default:
		return -1;
	}
	if (len < 14)
		return -1;
	off = 12;
	type = (uint16_t)(p[off] << 8 | p[off + 1]);
	while (type == 0x8100 || type == 0x88a8) {
		off += 4;
		if (off + 2 > len)
			return -1;
		type = (uint16_t)(p[off] << 8 | p[off + 1]);
	}
	if (type != 0x0800 && type != 0x86dd)
		return -1;
	return (long)(off + 2);
}

/* Fill a direction-free key; returns -1 for anything but IPv4/IPv6. */
static int
t_key_of(const uint8_t *ip, size_t len, struct t_key *k, size_t *l4off)
{
	size_t	 hlen;

	memset(k, 0, sizeof(*k));
	if (len >= 20 && ip[0] >> 4 == 4) {
		hlen = (size_t)(ip[0] & 0x0f) * 4;
		if (hlen < 20 || hlen > len)
			return -1;
		k->family = AF_INET;
		k->proto = ip[9];
		memcpy(k->a, ip + 12, 4);
		memcpy(k->b, ip + 16, 4);
	} else if (len >= 40 && ip[0] >> 4 == 6) {
		hlen = 40;
		k->family = AF_INET6;
		k->proto = ip[6];
		memcpy(k->a, ip + 8, 16);
		memcpy(k->b, ip + 24, 16);
	} else
		return -1;
	*l4off = hlen;
	if ((k->proto == 6 || k->proto == 17) && hlen + 4 <= len) {
		k->pa = (uint16_t)(ip[hlen] << 8 | ip[hlen + 1]);
		k->pb = (uint16_t)(ip[hlen + 2] << 8 | ip[hlen + 3]);
	}
	return 0;
}

static int
t_key_match(const struct t_key *x, const struct t_key *y)
{
	if (x->family != y->family || x->proto != y->proto)
		return 0;
	if (memcmp(x->a, y->a, 16) == 0 && memcmp(x->b, y->b, 16) == 0 &&
	    x->pa == y->pa && x->pb == y->pb)
		return 1;
	return memcmp(x->a, y->b, 16) == 0 && memcmp(x->b, y->a, 16) == 0 &&
	    x->pa == y->pb && x->pb == y->pa;
}

static struct t_flow *
t_flow_get(struct cls_module *mod, struct t_run *run, const struct t_key *k)
{
	struct t_flow	*f;

	for (size_t i = 0; i < run->nflows; i++)
		if (t_key_match(&run->flows[i].key, k))
			return &run->flows[i];
	assert_true(run->nflows < T_MAX_FLOWS);
	f = &run->flows[run->nflows++];
	memset(f, 0, sizeof(*f));
	f->key = *k;
	assert_non_null(f->cls = cls_flow_new(mod));
	return f;
}

static void
t_rewrite_port(struct t_run *run, uint8_t *ip, size_t len, size_t l4off,
    const struct t_key *k)
{
	if (run->port_from == 0 || k->proto != 6 || l4off + 4 > len)
		return;
	for (size_t i = 0; i < 4; i += 2)
		if ((ip[l4off + i] << 8 | ip[l4off + i + 1]) == run->port_from) {
			ip[l4off + i] = (uint8_t)(run->port_to >> 8);
			ip[l4off + i + 1] = (uint8_t)run->port_to;
		}
}

static void
t_packet(struct cls_module *mod, struct t_run *run, int dlt,
    const struct pcap_pkthdr *h, const uint8_t *frame)
{
	uint8_t		 buf[65536];
	struct t_key	 k;
	struct t_flow	*f;
	size_t		 len, l4off;
	long		 off;
	uint64_t	 ts;

	if ((off = t_l3_offset(dlt, frame, h->caplen)) < 0)
		return;
	len = h->caplen - (size_t)off;
	if (len > sizeof(buf))
		len = sizeof(buf);
	memcpy(buf, frame + off, len);
	if (t_key_of(buf, len, &k, &l4off) == -1)
		return;
	t_rewrite_port(run, buf, len, l4off, &k);
	if (t_key_of(buf, len, &k, &l4off) == -1)
		return;
	f = t_flow_get(mod, run, &k);
	if (f->res.done)
		return;		/* as the gateway: a decided flow leaves the queue */
	f->npkts++;
	ts = (uint64_t)h->ts.tv_sec * 1000 + (uint64_t)h->ts.tv_usec / 1000;
	cls_process(mod, f->cls, buf, len, ts, &f->res);
	if (f->res.detected && f->detected_at == 0)
		f->detected_at = f->npkts;
	if (f->res.done)
		f->done_at = f->npkts;
}

static void
t_run_capture(struct cls_module *mod, struct t_run *run, const char *name)
{
	char			 errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr	*h;
	const u_char		*frame;
	char			*path = t_capture(name);
	pcap_t			*pc;
	int			 dlt;

	pc = pcap_open_offline(path, errbuf);
	if (pc == NULL)
		fail_msg("%s: %s", path, errbuf);
	dlt = pcap_datalink(pc);
	while (pcap_next_ex(pc, &h, &frame) == 1)
		t_packet(mod, run, dlt, h, frame);
	pcap_close(pc);
	free(path);
	for (size_t i = 0; i < run->nflows; i++)
		if (!run->flows[i].res.done)
			cls_giveup(mod, run->flows[i].cls, &run->flows[i].res);
}

static void
t_run_free(struct t_run *run)
{
	for (size_t i = 0; i < run->nflows; i++)
		cls_flow_free(run->flows[i].cls);
	run->nflows = 0;
}

static struct cls_module *
t_module(const char *protocols_file)
{
	struct cls_module	*mod;
	char			 err[256] = "";

	mod = cls_module_new(protocols_file, err, sizeof(err));
	if (mod == NULL)
		fail_msg("cls_module_new: %s", err);
	return mod;
}

static int
t_setup(void **state)
{
	struct t_run	*run;

	if ((run = calloc(1, sizeof(*run))) == NULL)
		return -1;
	*state = run;
	return 0;
}

static int
t_teardown(void **state)
{
	struct t_run	*run = *state;

	t_run_free(run);
	free(run);
	return 0;
}

static void
t_facebook_tls(void **state)
{
	struct t_run		*run = *state;
	struct cls_module	*mod = t_module(NULL);

	t_run_capture(mod, run, "facebook.pcap");
	assert_int_equal(run->nflows, 2);
	for (size_t i = 0; i < run->nflows; i++) {
		struct t_flow *f = &run->flows[i];

		assert_string_equal(f->res.app, "TLS.Facebook");
		assert_string_equal(f->res.master, "TLS");
		assert_string_equal(f->res.proto, "Facebook");
		assert_true(strcmp(f->res.host, "www.facebook.com") == 0 ||
		    strcmp(f->res.host, "facebook.com") == 0);
		assert_int_equal(f->res.host_src, SG_HOST_SNI);
		assert_true(f->res.detected);
		/* nothing is claimed from the handshake's bare TCP packets */
		assert_true(f->detected_at >= 4);
		assert_true(f->done_at > 0 && f->done_at <= T_DONE_WITHIN);
	}
	t_run_free(run);
	cls_module_free(mod);
}

/* The same Facebook flows moved to port 5201 must not be TargusDataspeed. */
static void
t_facebook_on_5201(void **state)
{
	struct t_run		*run = *state;
	struct cls_module	*mod = t_module(NULL);

	run->port_from = 443;
	run->port_to = 5201;
	t_run_capture(mod, run, "facebook.pcap");
	assert_int_equal(run->nflows, 2);
	for (size_t i = 0; i < run->nflows; i++) {
		assert_true(run->flows[i].key.pb == 5201);
		assert_string_equal(run->flows[i].res.app, "TLS.Facebook");
		assert_int_equal(run->flows[i].res.host_src, SG_HOST_SNI);
	}
	t_run_free(run);
	cls_module_free(mod);
}

/* A bare SYN to 5201, 10.0.0.1:40000 -> 10.0.0.2:5201. */
static void
t_syn_5201(void **state)
{
	static const uint8_t syn[40] = {
		0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x40, 0x00,
		0x40, 0x06, 0x00, 0x00, 10, 0, 0, 1, 10, 0, 0, 2,
		0x9c, 0x40, 0x14, 0x51, 0x00, 0x00, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0xfa, 0xf0,
		0x00, 0x00, 0x00, 0x00,
	};
	struct cls_module	*mod = t_module(NULL);
	struct cls_flow		*flow;
	struct cls_result	 res;

	assert_non_null(flow = cls_flow_new(mod));
	cls_process(mod, flow, syn, sizeof(syn), 1000, &res);
	assert_null(strstr(res.app, "Targus"));
	assert_null(strstr(res.proto, "Targus"));
	assert_false(res.done);
	assert_false(res.detected);
	cls_flow_free(flow);
	cls_module_free(mod);
}

static struct t_flow *
t_find_port(struct t_run *run, uint8_t proto, uint16_t port)
{
	for (size_t i = 0; i < run->nflows; i++) {
		struct t_key *k = &run->flows[i].key;

		if (k->proto == proto && (k->pa == port || k->pb == port))
			return &run->flows[i];
	}
	return NULL;
}

static void
t_dns_query(void **state)
{
	struct t_run		*run = *state;
	struct cls_module	*mod = t_module(NULL);
	struct t_flow		*f;

	t_run_capture(mod, run, "http_connect.pcap");
	assert_non_null(f = t_find_port(run, 17, 53));
	assert_string_equal(f->res.app, "DNS");
	assert_string_equal(f->res.master, "");
	assert_string_equal(f->res.host, "apache.org");
	assert_int_equal(f->res.host_src, SG_HOST_DNS);
	assert_true(f->res.detected);
	/* named by the query, but only done once the answer went by */
	assert_int_equal(f->detected_at, 1);
	assert_int_equal(f->done_at, 2);
	t_run_free(run);
	cls_module_free(mod);
}

static void
t_http_host(void **state)
{
	struct t_run		*run = *state;
	struct cls_module	*mod = t_module(NULL);
	struct t_flow		*f;

	t_run_capture(mod, run, "http.pcapng");
	assert_non_null(f = t_find_port(run, 6, 80));
	assert_string_equal(f->res.master, "HTTP");
	assert_string_equal(f->res.host, "google.com");
	assert_int_equal(f->res.host_src, SG_HOST_HTTP);
	assert_true(f->res.detected);
	assert_true(f->res.done);
	t_run_free(run);
	cls_module_free(mod);
}

/*
 * ndpiReader's flow lines:
 *	N	TCP a:pa <-> b:pb [proto: x.y/NAME][...][Hostname/SNI: h][...]
 * Returns the number of flows compared.
 */
static int
t_compare_expected(struct t_run *run, const char *name)
{
	char		*path, *line = NULL, *txt;
	size_t		 cap = 0;
	FILE		*fp;
	int		 compared = 0;

	assert_true(asprintf(&txt, "expected/ndpi42/%s.txt", name) > 0);
	path = t_capture(txt);
	free(txt);
	assert_non_null(fp = fopen(path, "r"));
	while (getline(&line, &cap, fp) != -1) {
		char		 l4[8], a[64], b[64], app[64], host[256] = "";
		const char	*s;
		struct t_key	 k;
		unsigned	 pa, pb;
		struct t_flow	*f = NULL;

		if (sscanf(line, " %*u %7s %63[^ ] <-> %63[^ ] [proto: %*[0-9.]/%63[^]]",
		    l4, a, b, app) != 4)
			continue;
		if ((s = strstr(line, "[Hostname/SNI: ")) != NULL)
			sscanf(s, "[Hostname/SNI: %255[^]]", host);
		memset(&k, 0, sizeof(k));
		k.proto = strcmp(l4, "TCP") == 0 ? 6 : 17;
		/* "1.2.3.4:80" or "[2001:db8::1]:80" */
		{
			char *ca = strrchr(a, ':'), *cb = strrchr(b, ':');

			assert_non_null(ca);
			assert_non_null(cb);
			*ca = *cb = '\0';
			pa = (unsigned)atoi(ca + 1);
			pb = (unsigned)atoi(cb + 1);
		}
		k.family = a[0] == '[' ? AF_INET6 : AF_INET;
		if (k.family == AF_INET6) {
			a[strlen(a) - 1] = b[strlen(b) - 1] = '\0';
			assert_int_equal(inet_pton(AF_INET6, a + 1, k.a), 1);
			assert_int_equal(inet_pton(AF_INET6, b + 1, k.b), 1);
		} else {
			assert_int_equal(inet_pton(AF_INET, a, k.a), 1);
			assert_int_equal(inet_pton(AF_INET, b, k.b), 1);
		}
		k.pa = (uint16_t)pa;
		k.pb = (uint16_t)pb;
		for (size_t i = 0; i < run->nflows; i++)
			if (t_key_match(&run->flows[i].key, &k))
				f = &run->flows[i];
		if (f == NULL)
			fail_msg("%s: no flow for %s", name, line);
		assert_string_equal(f->res.app, app);
		if (host[0] != '\0')
			assert_string_equal(f->res.host, host);
		compared++;
	}
	free(line);
	fclose(fp);
	free(path);
	return compared;
}

static void
t_expected_facebook(void **state)
{
	struct t_run		*run = *state;
	struct cls_module	*mod = t_module(NULL);

	t_run_capture(mod, run, "facebook.pcap");
	assert_int_equal(t_compare_expected(run, "facebook.pcap"), 2);
	t_run_free(run);
	cls_module_free(mod);
}

static void
t_expected_quic(void **state)
{
	struct t_run		*run = *state;
	struct cls_module	*mod = t_module(NULL);

	t_run_capture(mod, run, "quic-mvfst-27.pcapng");
	assert_int_equal(t_compare_expected(run, "quic-mvfst-27.pcapng"), 1);
	assert_non_null(strstr(run->flows[0].res.app, "Facebook"));
	assert_string_equal(run->flows[0].res.master, "QUIC");
	assert_int_equal(run->flows[0].res.host_src, SG_HOST_SNI);
	assert_true(run->flows[0].res.done);
	t_run_free(run);
	cls_module_free(mod);
}

static void
t_protocol_known(void **state)
{
	struct cls_module	*mod = t_module(NULL);

	assert_true(cls_protocol_known(mod, "Facebook"));
	assert_true(cls_protocol_known(mod, "TLS"));
	assert_false(cls_protocol_known(mod, "NoSuchProto"));
	assert_false(cls_protocol_known(mod, "Padlet"));
	assert_false(cls_protocol_known(mod, ""));
	cls_module_free(mod);
}

static void
t_protocols_file(void **state)
{
	char			 path[] = "/tmp/test_classify_protosXXXXXX";
	char			 err[256] = "";
	const char		*line = "host:\"padlet.com\"@Padlet\n";
	struct cls_module	*mod;
	int			 fd;

	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	close(fd);
	mod = t_module(path);
	assert_true(cls_protocol_known(mod, "Padlet"));
	assert_true(cls_protocol_known(mod, "Facebook"));
	cls_module_free(mod);
	unlink(path);

	mod = cls_module_new("/nonexistent/dir/protos.txt", err, sizeof(err));
	assert_null(mod);
	assert_non_null(strstr(err, "/nonexistent/dir/protos.txt"));

	err[0] = '\0';
	assert_null(cls_module_new("/tmp", err, sizeof(err)));
	assert_non_null(strstr(err, "/tmp"));
}

/* Hostile input must neither crash nor read out of bounds. */
static void
t_garbage(void **state)
{
	struct cls_module	*mod = t_module(NULL);
	struct cls_flow		*flow;
	struct cls_result	 res;
	uint8_t			*buf;
	uint32_t		 x = 12345;

	for (int i = 0; i < 2000; i++) {
		size_t len = (size_t)(i % 120);

		/* exact-size heap buffers so ASan sees any overread */
		assert_non_null(buf = malloc(len + 1));
		for (size_t j = 0; j < len; j++) {
			x = x * 1103515245u + 12345u;
			buf[j] = (uint8_t)(x >> 16);
		}
		if (len > 0)
			buf[0] = (uint8_t)((i & 1) ? 0x45 : 0x60);
		assert_non_null(flow = cls_flow_new(mod));
		cls_process(mod, flow, buf, len, (uint64_t)i, &res);
		cls_giveup(mod, flow, &res);
		assert_true(res.done);
		cls_flow_free(flow);
		free(buf);
	}
	cls_module_free(mod);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_facebook_tls, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(t_facebook_on_5201, t_setup, t_teardown),
		cmocka_unit_test(t_syn_5201),
		cmocka_unit_test_setup_teardown(t_dns_query, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(t_http_host, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(t_expected_facebook, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(t_expected_quic, t_setup, t_teardown),
		cmocka_unit_test(t_protocol_known),
		cmocka_unit_test(t_protocols_file),
		cmocka_unit_test(t_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
