/*
 * The pcap reader against the shared captures: pcap and pcapng, several
 * link types, every packet of every file through the decoder, and the
 * error paths (missing, not a capture, empty, cut short).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "decode.h"
#include "pcapsrc.h"

#define ERRLEN		512

struct tally {
	unsigned	 pkts;
	unsigned	 by_result[DEC_NRESULTS];
	unsigned	 tunnelled;
	unsigned	 with_mac;
	unsigned	 vlan;
	unsigned	 tcp_udp_v4;
	uint64_t	 last_ts;
	int		 ts_backwards;
};

static const char *
pcap_dir(char *buf, size_t len)
{
	const char	*shared = getenv("SHARED");

	snprintf(buf, len, "%s/pcaps", shared != NULL ? shared : "../shared");
	return buf;
}

static void
pcap_path(const char *name, char *buf, size_t len)
{
	char	 dir[1024];

	snprintf(buf, len, "%s/%s", pcap_dir(dir, sizeof(dir)), name);
}

static void
tally_pkt(struct tally *t, int linktype, const struct pcapsrc_pkt *p)
{
	struct dec_l2	 l2;
	struct dec_pkt	 d;
	enum dec_result	 r;

	assert_true(p->caplen <= p->origlen);
	if (p->ts_us < t->last_ts)
		t->ts_backwards = 1;
	t->last_ts = p->ts_us;
	t->pkts++;
	r = dec_link(linktype, p->data, p->caplen, &l2);
	if (r == DEC_OK) {
		t->with_mac += l2.has_mac != 0;
		t->vlan += l2.vlan != 0;
		r = dec_ip(l2.l3, l2.l3len, &d);
	}
	assert_true((unsigned)r < DEC_NRESULTS);
	t->by_result[r]++;
	if (r != DEC_OK)
		return;
	t->tunnelled += d.tunnelled;
	if (d.src.family == AF_INET && (d.proto == 6 || d.proto == 17))
		t->tcp_udp_v4++;
	assert_true(d.payload + d.paylen <= p->data + p->caplen);
}

/* Read a whole file; returns pcapsrc_next's last result. */
static int
read_all(const char *path, struct tally *t, int *linktype, char *err)
{
	struct pcapsrc		*src;
	struct pcapsrc_pkt	 p;
	uint64_t		 done, total, prev = 0;
	int			 r;

	memset(t, 0, sizeof(*t));
	err[0] = '\0';
	src = pcapsrc_open(path, err, ERRLEN);
	assert_non_null(src);
	assert_string_equal(pcapsrc_name(src), path);
	*linktype = pcapsrc_linktype(src);
	while ((r = pcapsrc_next(src, &p, err, ERRLEN)) == 1) {
		tally_pkt(t, *linktype, &p);
		pcapsrc_progress(src, &done, &total);
		assert_true(done >= prev && done <= total);
		prev = done;
	}
	if (r == 0) {
		pcapsrc_progress(src, &done, &total);
		assert_int_equal(done, total);
	}
	pcapsrc_close(src);
	return r;
}

static void
read_ok(const char *name, struct tally *t, int *linktype)
{
	char	 path[1200], err[ERRLEN];

	pcap_path(name, path, sizeof(path));
	assert_int_equal(read_all(path, t, linktype, err), 0);
	assert_string_equal(err, "");
}

static void
test_facebook(void **state)
{
	struct tally	 t;
	int		 lt;

	read_ok("facebook.pcap", &t, &lt);
	assert_int_equal(lt, DEC_LINK_ETHERNET);
	assert_int_equal(t.pkts, 60);
	assert_int_equal(t.by_result[DEC_OK], 60);
	assert_int_equal(t.with_mac, 60);
	assert_false(t.ts_backwards);
	assert_true(t.last_ts > 1000000000ULL * 1000000);
}

static void
test_pcapng(void **state)
{
	struct tally	 t;
	int		 lt;

	read_ok("http.pcapng", &t, &lt);
	assert_int_equal(lt, DEC_LINK_ETHERNET);
	assert_int_equal(t.pkts, 10);
	assert_int_equal(t.by_result[DEC_OK], 10);
}

static void
test_raw_ip(void **state)
{
	struct tally	 t;
	int		 lt;

	read_ok("psiphon3.pcap", &t, &lt);
	/* libpcap reports LINKTYPE_RAW (101) as DLT_RAW (12 on Linux). */
	assert_true(lt == DEC_LINK_RAW || lt == DEC_LINK_RAW_DLT12);
	assert_int_equal(t.pkts, 62);
	assert_int_equal(t.by_result[DEC_OK], 62);
	assert_int_equal(t.with_mac, 0);
}

static void
test_sll(void **state)
{
	struct tally	 t;
	int		 lt;

	read_ok("tls_heur__vmess-websocket.pcapng", &t, &lt);
	assert_int_equal(lt, DEC_LINK_LINUX_SLL);
	assert_int_equal(t.pkts, 100);
	assert_int_equal(t.by_result[DEC_OK], 100);
	assert_true(t.with_mac > 0);
}

static void
test_qinq_pppoe(void **state)
{
	struct tally	 t;
	int		 lt;

	read_ok("discord_mid_flow.pcap", &t, &lt);
	assert_int_equal(t.pkts, 40);
	assert_int_equal(t.by_result[DEC_OK], 40);
	assert_int_equal(t.tcp_udp_v4, 40);
	assert_int_equal(t.vlan, 40);
}

static void
test_tunnel_and_fragments(void **state)
{
	struct tally	 t;
	int		 lt;

	read_ok("6in4tunnel.pcap", &t, &lt);
	assert_int_equal(t.pkts, 127);
	assert_true(t.tunnelled > 0);
	read_ok("ip_fragmented_garbage.pcap", &t, &lt);
	assert_true(t.by_result[DEC_FRAGMENT] > 0);
	read_ok("ultrasurf.pcap", &t, &lt);
	assert_int_equal(t.vlan, t.pkts);
}

/* Packet counts per file from manifest.tsv (column 4). */
static int
manifest_count(const char *name)
{
	char	 dir[1024], path[1200], line[4096], *tab, *cnt;
	FILE	*fp;
	int	 n = -1;

	snprintf(path, sizeof(path), "%s/manifest.tsv",
	    pcap_dir(dir, sizeof(dir)));
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if ((tab = strchr(line, '\t')) == NULL)
			continue;
		*tab = '\0';
		if (strcmp(line, name) != 0)
			continue;
		/* sha256, size, then packets */
		cnt = tab + 1;
		for (int i = 0; i < 2 && cnt != NULL; i++)
			if ((cnt = strchr(cnt, '\t')) != NULL)
				cnt++;
		if (cnt != NULL)
			n = atoi(cnt);
		break;
	}
	fclose(fp);
	return n;
}

static int
is_capture(const char *name)
{
	size_t	 n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".pcap") == 0) ||
	    (n > 7 && strcmp(name + n - 7, ".pcapng") == 0);
}

static void
test_every_file(void **state)
{
	char		 dir[1024], path[1400], err[ERRLEN];
	struct dirent	*de;
	struct tally	 t;
	DIR		*d;
	unsigned	 files = 0;
	int		 lt, want;

	assert_non_null(d = opendir(pcap_dir(dir, sizeof(dir))));
	while ((de = readdir(d)) != NULL) {
		if (!is_capture(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (read_all(path, &t, &lt, err) != 0)
			fail_msg("%s", err);
		want = manifest_count(de->d_name);
		if (want >= 0 && (unsigned)want != t.pkts)
			fail_msg("%s: %u packets, manifest says %d", path,
			    t.pkts, want);
		assert_true(t.by_result[DEC_UNSUPPORTED] < t.pkts ||
		    t.pkts == 0);
		files++;
	}
	closedir(d);
	assert_true(files >= 30);
}

static void
write_tmp(char *path, size_t len, const void *data, size_t n)
{
	int	 fd;

	snprintf(path, len, "/tmp/test_pcapsrc.XXXXXX");
	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
}

static void
test_truncated(void **state)
{
	char		 src[1200], path[64], err[ERRLEN], *buf;
	struct tally	 t;
	FILE		*fp;
	size_t		 size;
	int		 lt;

	pcap_path("facebook.pcap", src, sizeof(src));
	assert_non_null(fp = fopen(src, "rb"));
	assert_non_null(buf = malloc(1 << 20));
	size = fread(buf, 1, 1 << 20, fp);
	fclose(fp);
	assert_true(size > 20000);
	/* Cut in the middle of a record. */
	write_tmp(path, sizeof(path), buf, size / 2);
	free(buf);
	assert_int_equal(read_all(path, &t, &lt, err), -1);
	unlink(path);
	print_message("%s\n", err);
	assert_true(t.pkts > 0 && t.pkts < 60);
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	assert_non_null(strstr(err, "truncated"));
}

static void
test_open_errors(void **state)
{
	char		 err[ERRLEN], path[64];
	const char	*missing = "/nonexistent/dir/nothing.pcap";

	assert_null(pcapsrc_open(missing, err, sizeof(err)));
	assert_int_equal(strncmp(err, missing, strlen(missing)), 0);
	assert_non_null(strstr(err, "No such file"));

	write_tmp(path, sizeof(path), "this is not a capture file at all\n",
	    34);
	assert_null(pcapsrc_open(path, err, sizeof(err)));
	unlink(path);
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	assert_non_null(strstr(err, "not a pcap or pcapng file"));

	write_tmp(path, sizeof(path), "", 0);
	assert_null(pcapsrc_open(path, err, sizeof(err)));
	unlink(path);
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	assert_non_null(strstr(err, "empty"));

	/* A header cut short. */
	write_tmp(path, sizeof(path), "\xd4\xc3\xb2\xa1\x02\x00", 6);
	assert_null(pcapsrc_open(path, err, sizeof(err)));
	unlink(path);
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	assert_non_null(strstr(err, "truncated"));

	assert_null(pcapsrc_open("/tmp", err, sizeof(err)));
	assert_non_null(strstr(err, "/tmp: "));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_facebook),
		cmocka_unit_test(test_pcapng),
		cmocka_unit_test(test_raw_ip),
		cmocka_unit_test(test_sll),
		cmocka_unit_test(test_qinq_pppoe),
		cmocka_unit_test(test_tunnel_and_fragments),
		cmocka_unit_test(test_every_file),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
