/*
 * schoolgate alerts: the service that mails high-risk events to
 * alerts.mail_to (report/alerts.c).  Every --interval seconds it reads
 * what the records gained, queues alerts, tries what is due and saves
 * its state; SIGHUP re-reads the config (swapped only if valid), SIGTERM
 * stops it after the current round.  --once does one round (tests, cron);
 * --status prints the counters.
 */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alerts.h"
#include "cmd.h"
#include "log.h"

#define ALERTS_STATE	"/var/lib/schoolgate/alerts.state"
#define ALERTS_INTERVAL	15	/* seconds: mail within a minute */

struct alerts_opts {
	const char	*conf;
	const char	*db;
	const char	*state;
	unsigned int	 interval;
	bool		 once;
	bool		 status;
};

static void
alerts_usage(FILE *out)
{
	fprintf(out,
	    "usage: schoolgate alerts [-c CONF] [--db DB] [--state FILE]\n"
	    "           [--once | --status | --interval SECONDS]\n\n"
	    "Mail high-risk events to alerts.mail_to: circumvention in "
	    "school\nhours, gaps in monitoring, the filter not running.\n\n"
	    "  -c CONF        configuration (default %s)\n"
	    "  --db DB        records database (default: records.database)\n"
	    "  --state FILE   cursor, counters and unsent alerts (default\n"
	    "                 %s)\n"
	    "  --once         one round, then exit (non-zero if any alert\n"
	    "                 is still waiting to be sent)\n"
	    "  --status       print the counters: sent, failed, retrying,\n"
	    "                 suppressed, dropped\n"
	    "  --interval S   seconds between rounds (default %d)\n",
	    SG_DEFAULT_CONF, ALERTS_STATE, ALERTS_INTERVAL);
}

static int
alerts_parse(int argc, char **argv, struct alerts_opts *o)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "state", required_argument, NULL, 's' },
		{ "once", no_argument, NULL, '1' },
		{ "status", no_argument, NULL, 'S' },
		{ "interval", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int ch;

	memset(o, 0, sizeof(*o));
	o->conf = SG_DEFAULT_CONF;
	o->state = ALERTS_STATE;
	o->interval = ALERTS_INTERVAL;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->conf = optarg; break;
		case 'd': o->db = optarg; break;
		case 's': o->state = optarg; break;
		case '1': o->once = true; break;
		case 'S': o->status = true; break;
		case 'i':
			o->interval = (unsigned int)strtoul(optarg, &end, 10);
			if (*end != '\0' || o->interval < 1 ||
			    o->interval > 3600)
				return -1;
			break;
		default: return -1;
		}
	}
	return optind == argc && !(o->once && o->status) ? 0 : -1;
}

static int
alerts_status(const struct alerts_opts *o)
{
	struct alert_state st;

	if (alert_state_load(o->state, &st) != RPT_OK) {
		fprintf(stderr, "schoolgate: %s: unreadable alerts state\n",
		    o->state);
		return 1;
	}
	printf("sent %" PRIu64 "\nfailed %" PRIu64 "\nretrying %zu\n"
	    "suppressed %" PRIu64 "\ndropped %" PRIu64 "\n", st.sent,
	    st.failed, st.nqueue, st.suppressed, st.dropped);
	alert_state_free(&st);
	return 0;
}

/* What the last round logged, so that a lasting problem is said once,
 * not every round. */
struct alerts_round {
	enum rpt_error	 db_err;
	size_t		 waiting;
};

/* One round: read, queue, send, save.  -1 if the state could not be
 * read or saved (the cursor did not move: nothing is lost). */
static int
alerts_round(const struct sg_config *cfg, const struct alerts_opts *o,
    struct alerts_round *r)
{
	const char *db = o->db ? o->db : cfg->db_path;
	struct alert_state st;
	enum rpt_error err;
	int64_t now = time(NULL);
	uint64_t failed;
	size_t sent;

	if (alert_state_load(o->state, &st) != RPT_OK) {
		log_warnx("%s: unreadable alerts state: not overwritten",
		    o->state);
		return -1;
	}
	if ((err = alert_scan(cfg, db, &st, now)) != RPT_OK &&
	    err != r->db_err)
		log_warnx("%s: %s: trying again every round", db,
		    rpt_strerror(err));
	r->db_err = err;
	failed = st.failed;
	sent = alert_send_due(cfg, &st, now);
	if (sent > 0)
		log_info("%zu alert%s mailed", sent, sent == 1 ? "" : "s");
	if (st.failed > failed)
		log_warnx("%s failed: %zu alert%s kept, tried again later (%"
		    PRIu64 " failed tries so far)", cfg->sendmail, st.nqueue,
		    st.nqueue == 1 ? "" : "s", st.failed);
	r->waiting = st.nqueue;
	err = alert_state_save(o->state, &st);
	alert_state_free(&st);
	if (err != RPT_OK) {
		log_warn("%s", o->state);
		return -1;
	}
	return 0;
}

/* One process at a time reads and writes the state: a --once next to
 * the service would mail the same alert twice.  Held until exit. */
static int
alerts_lock(const struct alerts_opts *o)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s.lock", o->state);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) == -1) {
		log_warn("%s", path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		log_warnx("%s: another schoolgate alerts is running", path);
		close(fd);
		return -1;
	}
	return 0;	/* fd stays open: the lock lasts as long as we do */
}

static int
alerts_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* Wait up to seconds for a signal: 1 stop, 0 go on (config reloaded if
 * SIGHUP and valid). */
static int
alerts_wait(int sfd, unsigned int seconds, const struct alerts_opts *o,
    struct sg_config **cfg)
{
	struct pollfd p = { sfd, POLLIN, 0 };
	struct signalfd_siginfo si;
	struct sg_config *next;

	if (poll(&p, 1, (int)seconds * 1000) <= 0)
		return 0;
	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGHUP)
			return 1;
		if ((next = cmd_load_config(o->conf)) == NULL) {
			log_warnx("%s: not reloaded: keeping the old config",
			    o->conf);
			continue;
		}
		conf_free(*cfg);
		*cfg = next;
		log_info("configuration reloaded");
	}
	return 0;
}

static int
alerts_serve(struct sg_config **cfg, const struct alerts_opts *o)
{
	struct alerts_round r = { RPT_OK, 0 };
	int sfd;

	if ((sfd = alerts_signals()) == -1) {
		log_warn("signalfd");
		return 1;
	}
	log_info("mailing alerts to %zu address%s every %u s",
	    (*cfg)->nalert_mail_to, (*cfg)->nalert_mail_to == 1 ? "" : "es",
	    o->interval);
	do
		alerts_round(*cfg, o, &r);
	while (alerts_wait(sfd, o->interval, o, cfg) == 0);
	close(sfd);
	return 0;
}

int
cmd_alerts(int argc, char **argv)
{
	struct alerts_round r = { RPT_OK, 0 };
	struct alerts_opts o;
	struct sg_config *cfg;
	int rc;

	if (cmd_wants_help(argc, argv)) {
		alerts_usage(stdout);
		return 0;
	}
	if (alerts_parse(argc, argv, &o) == -1) {
		alerts_usage(stderr);
		return 2;
	}
	if (o.status)
		return alerts_status(&o);
	umask(027);	/* the state holds names: group-readable only */
	if ((cfg = cmd_load_config(o.conf)) == NULL)
		return 1;
	if (cfg->nalert_mail_to == 0) {
		fprintf(stderr, "schoolgate: alerts.mail_to is empty in %s: "
		    "no alerts to send\n", o.conf);
		conf_free(cfg);
		return 0;
	}
	if (alerts_lock(&o) == -1)
		rc = 1;
	else if (o.once)
		rc = alerts_round(cfg, &o, &r) == 0 && r.waiting == 0 &&
		    r.db_err == RPT_OK ? 0 : 1;
	else
		rc = alerts_serve(&cfg, &o);
	conf_free(cfg);
	return rc;
}
