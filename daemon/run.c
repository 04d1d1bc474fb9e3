#include <sys/signalfd.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "daemon.h"
#include "log.h"
#include "sandbox.h"
#include "schedule.h"

#define RUN_METRICS_EVERY	5	/* seconds; also the heartbeat */
#define RUN_DUMP_EVERY		30	/* conntrack dump for long flows */
#define RUN_ACCT_MAX_AGE_US	(120 * 1000000ULL)
#define RUN_NFQ_RCVBUF		(8 << 20)
#define RUN_CT_RCVBUF		(8 << 20)
#define RUN_CT_READS		16	/* conntrack reads per loop turn */

static void
run_usage(FILE *out)
{
	fprintf(out,
	    "usage: schoolgate run [-c CONF] [-f] [-v] [-B]\n\n"
	    "Enforce the policy inline: bind the NFQUEUE queues from the\n"
	    "config, classify each new flow's first packets, and hand the\n"
	    "decision to the kernel as a connection mark (install the ruleset\n"
	    "with scripts/gateway-rules).  Records get their byte counts from\n"
	    "conntrack.  SIGHUP reloads the config and leases (a config with\n"
	    "errors is rejected and the old one stays); SIGTERM or SIGINT\n"
	    "flush the records and exit.\n\n"
	    "  -c CONF  configuration (default %s)\n"
	    "  -f       stay in the foreground and log to stderr\n"
	    "           (otherwise log to syslog/journald)\n"
	    "  -v       log debugging detail\n"
	    "  -B       benchmark only: never hand a flow to the kernel, so\n"
	    "           every packet is queued (shows what the design saves)\n",
	    SG_DEFAULT_CONF);
}

static void
run_emit(const struct rec_flow *r, void *arg)
{
	struct daemon *d = arg;

	rw_flow(d->rw, r);
}

static void
run_ct_destroyed(const struct ct_entry *c, void *arg)
{
	struct daemon *d = arg;
	char a[SG_ADDRSTR_MAX], b[SG_ADDRSTR_MAX];

	if (!acct_destroyed(d->acct, c, run_emit, d))
		log_debug("conntrack: %s:%u -> %s:%u proto %u mark %#x: not ours",
		    sg_addr_str(&c->src, a, sizeof(a)), c->sport,
		    sg_addr_str(&c->dst, b, sizeof(b)), c->dport, c->proto,
		    c->mark);
}

static void
run_ct_seen(const struct ct_entry *c, void *arg)
{
	struct daemon *d = arg;

	acct_seen(d->acct, c, sg_now_us());
}

/* Long flows get fresh totals; flows conntrack never knew are written. */
static void
run_refresh_accounting(struct daemon *d)
{
	if (ct_dump(d->mark_mask, run_ct_seen, d) == -1)
		log_warn("conntrack dump");
	acct_expire(d->acct, sg_now_us(), RUN_ACCT_MAX_AGE_US, run_emit, d);
}

static void
run_reload_rejected(struct daemon *d, const char *why)
{
	char detail[320];	/* "reload rejected: " and an error */

	snprintf(detail, sizeof(detail), "reload rejected: %s", why);
	rw_event(d->rw, "config", detail);
	d->reloads_rejected++;
}

/* A reload that fails leaves the running config alone (relayd style). */
static void
run_reload(struct daemon *d)
{
	struct conf_errors errs;
	struct sg_config *cfg;
	struct cfg_ref *r;
	char detail[256];
	bool rebuilt;

	if ((cfg = run_conf_load(d->conf_path, &errs)) == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			log_warnx("reload rejected: %s", errs.msg[i]);
		run_reload_rejected(d, errs.n ? errs.msg[0] : "cannot load");
		conf_errors_clear(&errs);
		return;
	}
	if (strcmp(cfg->timezone, d->cfg->cfg->timezone) != 0)
		log_warnx("reload: time zone changed to %s; restart to apply it",
		    cfg->timezone);
	if (cfg->mark_mask != d->mark_mask)
		log_warnx("reload: daemon.mark_mask changed to %#x; restart "
		    "(and reinstall gateway-rules) to apply it", cfg->mark_mask);
	/* nDPI is never loaded here: a protocols file (its content may be
	 * new under the same name) means new inspectors, which build it */
	rebuilt = cfg->protocols_file != NULL ||
	    d->cfg->cfg->protocols_file != NULL;
	if ((r = cfg_ref_new(cfg, d->generation + 1)) == NULL) {
		conf_free(cfg);
		return;
	}
	d->generation++;
	for (size_t i = 0; i < d->nworkers; i++)
		worker_post_config(&d->workers[i], r);
	cfg_ref_put(d->cfg);
	d->cfg = r;
	d->reloads_ok++;
	snprintf(detail, sizeof(detail), "configuration reloaded, generation "
	    "%u%s", d->generation, rebuilt ? " (nDPI protocols rebuilt)" : "");
	rw_event(d->rw, "reload", detail);
	log_info("%s", detail);
	rd_reloaded(d);
}

static size_t
run_control(const char *cmd, char *buf, size_t len, void *arg)
{
	struct daemon *d = arg;
	unsigned before = d->generation;

	if (strcmp(cmd, "status") == 0)
		return status_text(d, buf, len);
	if (strcmp(cmd, "reload") == 0) {
		run_reload(d);
		return (size_t)snprintf(buf, len, d->generation != before ?
		    "reloaded: generation %u\n" :
		    "reload rejected: the configuration has errors (see the "
		    "log); still enforcing generation %u\n", d->generation);
	}
	return (size_t)snprintf(buf, len, "unknown command; try status or "
	    "reload\n");
}

static int
run_signals(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* blocked before any thread starts, so all inherit it */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return d->sigfd == -1 ? -1 : 0;
}

/* Returns false when it is time to stop. */
static bool
run_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			run_reload(d);
		else
			return false;
	}
	return true;
}

/*
 * Packets that went through uninspected because the queue or its socket
 * was full are a gap in monitoring, like a crash: the reports show it.
 */
static void
run_check_overload(struct daemon *d)
{
	uint64_t failopen, overruns;
	char detail[192];

	status_overload(d, &failopen, &overruns);
	if (failopen <= d->failopen_seen && overruns <= d->overruns_seen)
		return;
	snprintf(detail, sizeof(detail), "%llu packets passed uninspected "
	    "(queue overload, fail-%s); %llu socket overruns%s",
	    (unsigned long long)(failopen > d->failopen_seen ?
	    failopen - d->failopen_seen : 0),
	    d->cfg->cfg->fail_open ? "open" : "closed",
	    (unsigned long long)(overruns > d->overruns_seen ?
	    overruns - d->overruns_seen : 0),
	    d->cfg->cfg->fail_open ? "" : " (their packets were refused)");
	if (failopen > d->failopen_seen)
		d->failopen_seen = failopen;
	if (overruns > d->overruns_seen)
		d->overruns_seen = overruns;
	rw_event(d->rw, "gap", detail);
	log_warnx("%s", detail);
}

static void
run_heartbeat(struct daemon *d, const char *path)
{
	FILE *fp;

	if (path[0] != '\0' && (fp = fopen(path, "w")) != NULL) {
		fprintf(fp, "%lld\n", (long long)time(NULL));
		fclose(fp);
	}
	run_check_overload(d);
	if (d->cfg->cfg->metrics_file &&
	    status_write_metrics(d, d->cfg->cfg->metrics_file) == -1)
		log_debug("metrics: %s: %s", d->cfg->cfg->metrics_file,
		    strerror(errno));
}

static void
run_loop(struct daemon *d)
{
	struct pollfd pfd[4];
	time_t last_beat = 0, last_dump = time(NULL), now;
	char alive[4096];
	int n;

	/* made once: the first config is freed after a reload once its last
	 * flow ends, and the writer keeps the database it opened */
	n = snprintf(alive, sizeof(alive), "%s.alive", d->cfg->cfg->db_path);
	if (n < 0 || (size_t)n >= sizeof(alive))
		alive[0] = '\0';

	pfd[0] = (struct pollfd){ d->sigfd, POLLIN, 0 };
	pfd[1] = (struct pollfd){ ctl_fd(d->ctl), POLLIN, 0 };
	pfd[2] = (struct pollfd){ d->ct ? ct_watch_fd(d->ct) : -1, POLLIN, 0 };
	pfd[3] = (struct pollfd){ d->rd_timerfd, POLLIN, 0 };
	for (;;) {
		if (poll(pfd, 4, 1000) > 0) {
			if (pfd[3].revents & POLLIN)
				rd_timer_fired(d);
			if ((pfd[0].revents & POLLIN) && !run_signal(d))
				return;
			if (pfd[1].revents & POLLIN)
				ctl_serve(d->ctl, run_control, d);
			/* bounded: a flood of conntrack events must not
			 * starve signals and the control socket */
			for (int i = 0; (pfd[2].revents & POLLIN) &&
			    i < RUN_CT_READS && ct_watch_read(d->ct,
			    run_ct_destroyed, d) == 0; i++)
				;
		}
		now = time(NULL);
		rw_tick(d->rw);
		rd_tick(d, now);
		if (now - last_beat >= RUN_METRICS_EVERY) {
			run_heartbeat(d, alive);
			last_beat = now;
		}
		if (now - last_dump >= RUN_DUMP_EVERY) {
			run_refresh_accounting(d);
			last_dump = now;
		}
	}
}

static int
run_open_queues(struct daemon *d)
{
	const struct sg_config *cfg = d->cfg->cfg;
	struct nfq_opts o;
	int err;

	d->nworkers = cfg->queue_count;
	if ((d->workers = calloc(d->nworkers, sizeof(*d->workers))) == NULL)
		return -1;
	for (size_t i = 0; i < d->nworkers; i++)
		if (worker_init(&d->workers[i], d, cfg->queue_first +
		    (unsigned)i, d->cfg) == -1)
			return -1;
	for (size_t i = 0; i < d->nworkers; i++) {
		struct worker *w = &d->workers[i];
		memset(&o, 0, sizeof(o));
		o.queue = (uint16_t)w->queue;
		o.maxlen = cfg->queue_maxlen;
		o.fail_open = cfg->fail_open;
		o.rcvbuf = RUN_NFQ_RCVBUF;
		if ((w->q = nfq_queue_open(&o, &err)) == NULL) {
			errno = err;
			log_warn("cannot bind NFQUEUE %u", w->queue);
			return -1;
		}
	}
	return 0;
}

/* Everything that needs root happens here, before the drop. */
static int
run_open_privileged(struct daemon *d)
{
	char why[256];
	int err;

	/* the inspectors' root, made as sshd makes /run/sshd */
	if (sbx_mkdir_empty(SBX_EMPTY_DIR, why, sizeof(why)) == -1) {
		log_warnx("%s", why);
		return -1;
	}
	if (ct_enable_accounting() == -1)
		log_warn("cannot enable conntrack accounting (byte counts "
		    "will be of the first packets only)");
	if (run_open_queues(d) == -1)
		return -1;
	/* mode 0440 root: status's queue counters need it after the drop */
	if ((d->kq_fd = open("/proc/net/netfilter/nfnetlink_queue",
	    O_RDONLY | O_CLOEXEC)) == -1)
		log_warn("nfnetlink_queue counters (status will not show "
		    "kernel drops or fail-open)");
	if ((d->ct = ct_watch_open(RUN_CT_RCVBUF, &err)) == NULL) {
		errno = err;
		log_warn("conntrack events (records keep first-packet counts)");
	}
	return 0;
}

/*
 * After the drop, as daemon.user: the socket is then that user's and can
 * be made in its own runtime directory (0750) without CAP_DAC_OVERRIDE or
 * CAP_CHOWN, which the unit's bounding set does not give root.
 */
static int
run_open_control(struct daemon *d)
{
	const struct sg_config *cfg = d->cfg->cfg;
	struct passwd *pw;

	pw = cfg->user ? getpwnam(cfg->user) : NULL;
	if ((d->ctl = ctl_open(cfg->control_socket, pw ? pw->pw_gid :
	    (gid_t)-1)) == NULL) {
		log_warn("control socket %s (its folder must be writable by "
		    "daemon.user)", cfg->control_socket);
		return -1;
	}
	return 0;
}

static int
run_drop_privileges(struct daemon *d)
{
	const char *user = d->cfg->cfg->user;
	char err[256];

	if (user == NULL || strcmp(user, "root") == 0) {
		log_warnx("daemon.user is root: running with full privileges");
		return 0;
	}
	if (priv_drop(user, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	log_info("running as %s with CapEff=%llx", user,
	    (unsigned long long)priv_effective());
	return 0;
}

/* The writer loads the sealing state itself (records/rwseal.c) and says
 * loudly if there is none: the key never enters the monitor. */
static void
run_start_sealing(struct daemon *d)
{
	const struct sg_config *cfg = d->cfg->cfg;
	/* without a state there is nothing to anchor (the writer says so);
	 * the monitor only looks whether the file is there */
	const char *anchor = access(cfg->seal_state, F_OK) == 0 ?
	    cfg->syslog_socket : NULL;

	if (rw_set_seal(d->rw, cfg->seal_state, cfg->seal_interval,
	    anchor) == -1)
		log_warn("records: seals are not sent to syslog at %s",
		    cfg->syslog_socket);
}

static int
run_start(struct daemon *d)
{
	const struct sg_config *cfg = d->cfg->cfg;
	enum rec_error rerr;
	char detail[256];

	if (run_signals(d) == -1 || run_open_privileged(d) == -1 ||
	    run_drop_privileges(d) == -1 || run_open_control(d) == -1)
		return -1;
	if ((d->acct = acct_new(0)) == NULL || rd_start(d) == -1)
		return -1;
	/* a process of its own, executed afresh: it never maps libndpi */
	if ((d->rw = rw_start_exec("/proc/self/exe", cfg->db_path, 0,
	    cfg->memory_rows, &rerr)) == NULL) {
		log_warnx("records: %s: %s", cfg->db_path, rec_strerror(rerr));
		return -1;
	}
	if (cfg->syslog_records && rw_set_syslog(d->rw, cfg->syslog_socket) ==
	    -1)
		log_warn("records.syslog: %s", cfg->syslog_socket);
	run_start_sealing(d);
	/* the writer reads the records' last event: the monitor never
	 * opens the database */
	rw_check_unclean_end(d->rw, cfg->fail_open);
	for (size_t i = 0; i < d->nworkers; i++)
		if (worker_start(&d->workers[i]) == -1) {
			log_warnx("inspector for queue %u did not start",
			    d->workers[i].queue);
			return -1;
		}
	snprintf(detail, sizeof(detail), "started: queues %u-%u, fail-open %s, "
	    "config generation %u", cfg->queue_first, cfg->queue_first +
	    cfg->queue_count - 1, cfg->fail_open ? "on" : "off",
	    d->generation);
	rw_event(d->rw, "start", detail);
	log_info("%s", detail);
	return 0;
}

/*
 * Open flows get their latest totals from a dump.  Closed ones whose
 * timeout has passed are not dumped: the dump makes the kernel collect
 * them, and their DESTROY events follow, so listen a little longer.
 */
static void
run_final_totals(struct daemon *d)
{
	struct pollfd pfd;

	if (ct_dump(d->mark_mask, run_ct_seen, d) == -1)
		log_debug("final conntrack dump failed");
	if (d->ct == NULL)
		return;
	pfd = (struct pollfd){ ct_watch_fd(d->ct), POLLIN, 0 };
	for (int i = 0; i < 5 && acct_count(d->acct) > 0; i++) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		while (ct_watch_read(d->ct, run_ct_destroyed, d) == 0)
			;
	}
}

/* Workers first (their open flows go to accounting), then conntrack's
 * latest totals, then every record is written. */
static void
run_stop(struct daemon *d)
{
	for (size_t i = 0; i < d->nworkers; i++) {
		if (d->workers[i].cur == NULL)
			continue;
		worker_stop(&d->workers[i]);
	}
	if (d->acct && d->rw) {
		run_final_totals(d);
		acct_flush(d->acct, run_emit, d);
		rw_event(d->rw, "stop", "stopped cleanly");
	}
	rw_stop(d->rw);
	rd_stop(d);
	acct_free(d->acct);
	ct_watch_close(d->ct);
	ctl_close(d->ctl);
	if (d->sigfd > 0)
		close(d->sigfd);
	if (d->kq_fd != -1)
		close(d->kq_fd);
	free(d->workers);
	cfg_ref_put(d->cfg);
}

int
cmd_run(int argc, char **argv)
{
	struct daemon d;
	struct sg_config *cfg;
	int ch, verbose = 0, rc = 1;

	if (cmd_wants_help(argc, argv)) {
		run_usage(stdout);
		return 0;
	}
	memset(&d, 0, sizeof(d));
	d.conf_path = SG_DEFAULT_CONF;
	d.kq_fd = -1;
	d.rd_timerfd = -1;
	while ((ch = getopt(argc, argv, "c:fvB")) != -1) {
		switch (ch) {
		case 'c': d.conf_path = optarg; break;
		case 'f': d.foreground = true; break;
		case 'v': verbose = 1; break;
		case 'B': d.no_handoff = true; break;
		default: run_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		run_usage(stderr);
		return 2;
	}
	log_init(d.foreground, verbose);
	if ((cfg = cmd_load(d.conf_path, run_conf_load)) == NULL)
		return 1;
	d.generation = 1;
	d.mark_mask = cfg->mark_mask;
	d.started = time(NULL);
	pthread_mutex_init(&d.apps_lock, NULL);
	if ((d.cfg = cfg_ref_new(cfg, d.generation)) == NULL) {
		conf_free(cfg);
		return 1;
	}
	/* the engine's references start with the workers' own */
	if (run_start(&d) == 0) {
		run_loop(&d);
		log_info("stopping");
		rc = 0;
	}
	run_stop(&d);
	pthread_mutex_destroy(&d.apps_lock);
	return rc;
}
