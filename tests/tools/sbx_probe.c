/*
 * sbx_probe USER DIR MODE [ARGS]: enters daemon/sandbox.c's sandbox (as
 * the inspector will) and then does MODE, for tests/t_sandbox.sh.
 *   status           prints "ready", then waits for end of file on stdin
 *                    so the test can read /proc/PID
 *   open, openat, socket, execve, kill, ptrace
 *                    prints "entered", then makes that call: the seccomp
 *                    filter must kill it with SIGSYS; if it comes back,
 *                    prints "survived" and exits 3
 *   maps             (no sandbox) prints whether libndpi is mapped before
 *                    and after cls_module_new: "before no", "after yes"
 *   classify CONF PCAP...
 *                    builds the nDPI module and reads the captures first,
 *                    gets the config as a MSG_CONFIG blob over a
 *                    socketpair, then runs the engine over every packet
 *                    inside the sandbox and prints what it decided
 * USER "-" skips the sandbox (classify's baseline).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "classify.h"
#include "confpack.h"
#include "decode.h"
#include "engine.h"
#include "msg.h"
#include "pcapsrc.h"
#include "sandbox.h"
#include "schedule.h"

struct frame {
	uint8_t		*l3;
	size_t		 len;
	uint64_t	 ts_us;
	bool		 has_mac;
	uint8_t		 mac[6];
};

struct capture {
	struct frame	*v;
	size_t		 n;
	size_t		 cap;
	uint64_t	 verdicts[3];
	uint64_t	 flows;
};

static void	 die(const char *) __attribute__((noreturn));

static void
die(const char *what)
{
	fprintf(stderr, "sbx_probe: %s\n", what);
	exit(2);
}

static void
load_frames(struct capture *c, const char *path)
{
	struct pcapsrc_pkt pkt;
	struct pcapsrc *src;
	struct dec_l2 l2;
	struct frame *f;
	char err[512];

	if ((src = pcapsrc_open(path, err, sizeof(err))) == NULL)
		die(err);
	while (pcapsrc_next(src, &pkt, err, sizeof(err)) == 1) {
		if (dec_link(pcapsrc_linktype(src), pkt.data, pkt.caplen,
		    &l2) != DEC_OK)
			continue;
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 1024;
			if ((c->v = realloc(c->v, c->cap * sizeof(*f))) == NULL)
				die("out of memory");
		}
		f = &c->v[c->n++];
		if ((f->l3 = malloc(l2.l3len ? l2.l3len : 1)) == NULL)
			die("out of memory");
		memcpy(f->l3, l2.l3, l2.l3len);
		f->len = l2.l3len;
		f->ts_us = pkt.ts_us;
		f->has_mac = l2.has_mac;
		if (l2.has_mac)
			memcpy(f->mac, l2.src_mac, 6);
	}
	pcapsrc_close(src);
}

/* The config as the inspector will get it: a message, not a file. */
static void
send_config(const char *path, int sock)
{
	struct conf_errors errs = { NULL, 0 };
	struct sg_config *cfg;
	uint8_t *blob;
	size_t len;

	if ((cfg = conf_load(path, &errs)) == NULL)
		die("cannot load the config");
	if (sched_set_timezone(cfg->timezone) == -1 ||
	    conf_pack(cfg, &blob, &len) == -1 ||
	    msg_send_blob(sock, MSG_CONFIG, blob, len, 1) == -1)
		die("cannot send the config");
	free(blob);
	conf_free(cfg);
}

static struct sg_config *
recv_config(int sock)
{
	struct msg_blob b = { .max = CONF_PACK_MAX };
	struct sg_config *cfg;
	enum msg_error why;
	struct msg *m;
	char err[160];
	int rc;

	if ((m = malloc(sizeof(*m))) == NULL)
		die("out of memory");
	do {
		if (msg_recv(sock, m, &why) != 1 || m->hdr.type != MSG_CONFIG)
			die("bad config message");
	} while ((rc = msg_blob_add(&b, m)) == 0);
	if (rc == -1 || (cfg = conf_unpack(b.buf, b.len, err,
	    sizeof(err))) == NULL)
		die("bad config blob");
	msg_blob_reset(&b);
	free(m);
	return cfg;
}

static void
on_end(const struct eng_flow_view *v, void *arg)
{
	struct capture *c = arg;

	c->flows++;
	c->verdicts[v->dec->action]++;
}

static void
run_engine(struct capture *c, struct sg_config *cfg, struct cls_module *cls)
{
	struct eng_opts eo;
	struct eng_verdict v;
	struct eng_pkt ep;
	struct eng *e;

	memset(&eo, 0, sizeof(eo));
	eo.as_group = eo.as_device = -1;
	eo.on_end = on_end;
	eo.arg = c;
	if ((e = eng_new(cfg, cls, &eo)) == NULL)
		die("eng_new");
	for (size_t i = 0; i < c->n; i++) {
		ep = (struct eng_pkt){ c->v[i].l3, c->v[i].len, c->v[i].ts_us,
		    c->v[i].has_mac ? c->v[i].mac : NULL, NULL };
		eng_packet(e, &ep, &v);
	}
	eng_free(e);
	printf("packets %zu flows %llu allow %llu log %llu block %llu\n",
	    c->n, (unsigned long long)c->flows,
	    (unsigned long long)c->verdicts[SG_ALLOW],
	    (unsigned long long)c->verdicts[SG_LOG],
	    (unsigned long long)c->verdicts[SG_BLOCK]);
}

static int
classify(const char *user, const char *dir, int argc, char **argv)
{
	struct capture c = { NULL, 0, 0, { 0, 0, 0 }, 0 };
	struct cls_module *cls;
	struct sg_config *cfg;
	char err[256];
	int sv[2];

	if (argc < 2)
		die("classify CONF PCAP...");
	if (msg_socketpair(sv) == -1)
		die("socketpair");
	send_config(argv[0], sv[0]);
	/* nDPI is loaded and its module built before the sandbox: no open()
	 * after it, and a protocols file would be read here */
	if ((cls = cls_module_new(NULL, err, sizeof(err))) == NULL)
		die(err);
	for (int i = 1; i < argc; i++)
		load_frames(&c, argv[i]);
	if (strcmp(user, "-") != 0) {
		int keep[] = { 1, 2, sv[1] };
		struct sbx_opts o = { .user = user, .dir = dir, .keep = keep,
		    .nkeep = 3 };

		if (sbx_enter(&o, err, sizeof(err)) == -1)
			die(err);
	}
	cfg = recv_config(sv[1]);
	run_engine(&c, cfg, cls);
	cls_module_free(cls);
	conf_free(cfg);
	for (size_t i = 0; i < c.n; i++)
		free(c.v[i].l3);
	free(c.v);
	return 0;
}

static const char *
ndpi_mapped(void)
{
	char line[512];
	bool found = false;
	FILE *fp;

	if ((fp = fopen("/proc/self/maps", "r")) == NULL)
		die("/proc/self/maps");
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, "/libndpi.so") != NULL)
			found = true;
	fclose(fp);
	return found ? "yes" : "no";
}

static int
maps(void)
{
	struct cls_module *cls;
	char err[256];

	printf("before %s\n", ndpi_mapped());
	if ((cls = cls_module_new(NULL, err, sizeof(err))) == NULL)
		die(err);
	printf("after %s\n", ndpi_mapped());
	cls_module_free(cls);
	return 0;
}

static void
forbidden(const char *mode)
{
	char *const argv[] = { "sh", NULL };

	if (strcmp(mode, "open") == 0)
		syscall(SYS_open, "/etc/passwd", O_RDONLY);
	else if (strcmp(mode, "openat") == 0)
		syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
	else if (strcmp(mode, "socket") == 0)
		socket(AF_INET, SOCK_STREAM, 0);
	else if (strcmp(mode, "execve") == 0)
		execve("/bin/sh", argv, NULL);
	else if (strcmp(mode, "kill") == 0)
		kill(getppid(), 0);
	else if (strcmp(mode, "ptrace") == 0)
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	else
		die("unknown mode");
}

int
main(int argc, char **argv)
{
	int keep[] = { 0, 1, 2 };
	struct sbx_opts o = { .keep = keep, .nkeep = 3 };
	bool status;
	char err[256], buf[64];
	ssize_t n;

	if (argc < 4)
		die("usage: sbx_probe USER DIR MODE [ARGS]");
	if (strcmp(argv[3], "classify") == 0)
		return classify(argv[1], argv[2], argc - 4, argv + 4);
	if (strcmp(argv[3], "maps") == 0)
		return maps();
	o.user = argv[1];
	o.dir = argv[2];
	/* status leaves stderr out, to show it lands on /dev/null */
	status = strcmp(argv[3], "status") == 0;
	o.nkeep = status ? 2 : 3;
	if (sbx_enter(&o, err, sizeof(err)) == -1)
		die(err);
	if (status) {
		printf("ready\n");
		fflush(stdout);
		while ((n = read(0, buf, sizeof(buf))) > 0 ||
		    (n == -1 && errno == EINTR))
			;
		return 0;
	}
	printf("entered\n");
	fflush(stdout);
	forbidden(argv[3]);
	printf("survived\n");
	return 3;
}
