#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "classify_box.h"
#include "cmd.h"
#include "engine.h"
#include "log.h"
#include "output.h"
#include "pcapsrc.h"
#include "schedule.h"
#include "spawn.h"

#define PROGRESS_MIN_BYTES	(4u << 20)	/* smaller files finish too fast */
#define CLASSIFY_LOOP_MAX	1000000
/* Set in the environment, classify reports memory for bench/run (P5). */
#define CLASSIFY_MEM_ENV	"SG_BENCH_MEM"

struct classify_opts {
	const char	*conf;
	const char	*as_group;
	const char	*as_device;
	const char	*at;
	const char	*records;
	unsigned	 loops;
	bool		 json;
	bool		 progress;
	bool		 memstats;
	bool		 no_sandbox;
};

/* Everything one run accumulates across its files. */
struct classify_run {
	const struct classify_opts *o;
	struct sg_config	*cfg;
	struct cls_module	*cls;		/* --no-sandbox only */
	struct cbox		*box;		/* the inspector */
	struct rec_store	*rec;
	struct out_summary	 sum;
	int			 as_group;
	int			 as_device;	/* -1, or a device index */
	time_t			 at;
	const char		*file;
	bool			 rec_failed;
	bool			 box_lost;	/* the inspector died */
};

static void
classify_usage(FILE *out)
{
	fprintf(out,
	    "usage: schoolgate classify [-c CONF] [--as-group G] [--as-device D]\n"
	    "                           [--at TIME] [--records DB] [--json] "
	    "FILE...\n\n"
	    "Run capture files (pcap or pcapng) through the same engine as the\n"
	    "gateway and show what the policy would do with every flow.\n\n"
	    "  -c CONF          configuration (default %s)\n"
	    "  --as-group G     treat every flow's initiator as a member of G\n"
	    "  --as-device D    treat every flow as from configured device D\n"
	    "                   (its owner, group, rules and exemptions)\n"
	    "  --at TIME        'YYYY-MM-DD HH:MM' in the school's time zone:\n"
	    "                   decide and record every flow as if it started\n"
	    "                   then (default: the packets' capture times)\n"
	    "  --records DB     also write each flow to the records database\n"
	    "  --json           one JSON object per flow per line\n"
	    "  --no-progress    no progress bar, even on a terminal\n"
	    "  --loop N         run the files N times (for benchmarks)\n"
	    "  --no-sandbox     inspect in this process, not in the sandboxed\n"
	    "                   inspector (to debug an input that crashes it)\n\n"
	    "A missing, corrupt or truncated file is reported by name and the\n"
	    "other files are still processed; the exit status is then 1.\n"
	    "If the inspector dies, that is reported and the run ends with\n"
	    "the flows it had, exit status 1.\n",
	    SG_DEFAULT_CONF);
}

static int
classify_parse_loops(const char *s, unsigned *loops)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || n < 1 ||
	    n > CLASSIFY_LOOP_MAX)
		return -1;
	*loops = (unsigned)n;
	return 0;
}

static int
classify_parse(int argc, char **argv, struct classify_opts *o)
{
	static const struct option longopts[] = {
		{ "as-group", required_argument, NULL, 'g' },
		{ "as-device", required_argument, NULL, 'D' },
		{ "at", required_argument, NULL, 't' },
		{ "records", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-progress", no_argument, NULL, 'P' },
		{ "loop", required_argument, NULL, 'l' },
		{ "no-sandbox", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->conf = SG_DEFAULT_CONF;
	o->progress = isatty(STDERR_FILENO);
	o->loops = 1;
	o->memstats = getenv(CLASSIFY_MEM_ENV) != NULL;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->conf = optarg; break;
		case 'g': o->as_group = optarg; break;
		case 'D': o->as_device = optarg; break;
		case 't': o->at = optarg; break;
		case 'r': o->records = optarg; break;
		case 'j': o->json = true; break;
		case 'P': o->progress = false; break;
		case 'S': o->no_sandbox = true; break;
		case 'l':
			if (classify_parse_loops(optarg, &o->loops) == -1)
				return -1;
			break;
		default: return -1;
		}
	}
	return optind < argc ? optind : -1;
}

/* A flow, decided here or in the inspector: shown, counted, recorded. */
static void
classify_emit(struct classify_run *run, const struct eng_flow_view *v,
    const struct rec_flow *r)
{
	enum rec_error err;

	out_flow(stdout, run->o->json, v, r);
	out_summary_add(&run->sum, r);
	if (run->rec == NULL || run->rec_failed)
		return;
	if ((err = rec_add_flow(run->rec, r)) != REC_OK) {
		log_warnx("records: %s: %s", rec_strerror(err),
		    rec_errmsg(run->rec));
		run->rec_failed = true;	/* say it once, keep classifying */
	}
}

static void
classify_flow_ended(const struct eng_flow_view *v, void *arg)
{
	struct classify_run *run = arg;
	struct rec_flow r;

	eng_view_to_record(v, run->file, run->at, &r);
	classify_emit(run, v, &r);
}

/* From the inspector: what the output needs of the view is the key and
 * when it was decided; the record names the file here. */
static void
classify_box_ended(const struct flow_key *key, struct rec_flow *r,
    uint64_t decided_after, void *arg)
{
	static struct flow f;
	struct classify_run *run = arg;
	struct eng_flow_view v;

	memset(&v, 0, sizeof(v));
	f.key = *key;
	v.flow = &f;
	v.decided_after = decided_after;
	snprintf(r->source, sizeof(r->source), "%s", run->file);
	classify_emit(run, &v, r);
}

static void
show_progress(const struct classify_run *run, const struct pcapsrc *src,
    bool done)
{
	uint64_t at, total;

	pcapsrc_progress(src, &at, &total);
	if (total < PROGRESS_MIN_BYTES)
		return;
	if (done)
		at = total;
	fprintf(stderr, "\r%s: %3u%%%s", run->file,
	    (unsigned)(total ? at * 100 / total : 100), done ? "\n" : "");
}

/*
 * For the memory benchmark: resident and peak size with the engine's
 * flow counts, so the RSS at a known number of open flows can be read.
 */
static void
show_memstats(const char *when, const struct eng_stats *st, int pid)
{
	long rss_kb = -1, hwm_kb = -1;
	char line[256], path[64];
	FILE *f;

	/* pid: the process that holds the engine (the inspector, or us) */
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "VmRSS: %ld", &rss_kb) != 1)
				(void)sscanf(line, "VmHWM: %ld", &hwm_kb);
		fclose(f);
	}
	fprintf(stderr, "mem: %s packets=%llu flows=%llu decided=%llu "
	    "rss_kb=%ld maxrss_kb=%ld\n", when,
	    (unsigned long long)st->packets, (unsigned long long)st->flows,
	    (unsigned long long)(st->verdicts[0] + st->verdicts[1] +
	    st->verdicts[2]), rss_kb, hwm_kb);
}

static int
classify_packets(struct classify_run *run, struct pcapsrc *src,
    struct eng *e, char *err, size_t errlen)
{
	struct pcapsrc_pkt pkt;
	struct eng_verdict v;
	struct eng_pkt ep;
	struct dec_l2 l2;
	uint64_t n = 0;
	int rc;

	while ((rc = pcapsrc_next(src, &pkt, err, errlen)) == 1) {
		if (dec_link(pcapsrc_linktype(src), pkt.data, pkt.caplen,
		    &l2) != DEC_OK) {
			run->sum.undecodable++;
			continue;
		}
		ep = (struct eng_pkt){ l2.l3, l2.l3len, pkt.ts_us,
		    l2.has_mac ? l2.src_mac : NULL, NULL };
		eng_packet(e, &ep, &v);
		if ((++n & 0x3fff) == 0) {
			eng_expire(e, pkt.ts_us);
			if (run->o->progress)
				show_progress(run, src, false);
			if (run->o->memstats)
				show_memstats("during", eng_stats(e), getpid());
		}
	}
	if (run->o->memstats)
		show_memstats("end", eng_stats(e), getpid());
	if (run->o->progress)
		show_progress(run, src, true);
	return rc;
}

static void
classify_box_memstats(const struct eng_stats *st, void *arg)
{
	struct classify_run *run = arg;

	show_memstats("during", st, cbox_pid(run->box));
}

/* The frames go to the inspector as they are: it decodes them. */
static int
classify_box_packets(struct classify_run *run, struct pcapsrc *src,
    char *err, size_t errlen)
{
	struct cbox_file f = { pcapsrc_linktype(src), run->as_group,
	    run->as_device, run->at, run->o->memstats ?
	    classify_box_memstats : NULL };
	struct pcapsrc_pkt pkt;
	struct eng_stats st;
	uint64_t n = 0, undecodable;
	int rc;

	if (cbox_begin(run->box, &f, err, errlen) == -1)
		goto lost;
	while ((rc = pcapsrc_next(src, &pkt, err, errlen)) == 1) {
		if (cbox_packet(run->box, pkt.ts_us, pkt.data, pkt.caplen, err,
		    errlen) == -1)
			goto lost;
		if ((++n & 0x3fff) == 0 && run->o->progress)
			show_progress(run, src, false);
	}
	/* a file that breaks off still ends its flows, as in process */
	if (cbox_end(run->box, &st, &undecodable, err, errlen) == -1)
		goto lost;
	if (run->o->memstats)
		show_memstats("end", &st, cbox_pid(run->box));
	if (run->o->progress)
		show_progress(run, src, true);
	out_summary_engine(&run->sum, &st);
	run->sum.undecodable += undecodable;
	return rc;
 lost:
	run->box_lost = true;
	return -1;
}

/* The inspector died: its fate, by signal or status, and the file. */
static void
classify_box_lost(struct classify_run *run, const char *path)
{
	char why[128];

	if (cbox_stop(run->box, why, sizeof(why)) == 0)
		snprintf(why, sizeof(why), "the inspector ended");
	run->box = NULL;
	fprintf(stderr, "schoolgate: %s: %s while inspecting it; the flows "
	    "shown are those that ended before, and no later file is read "
	    "(--no-sandbox runs it in this process, for a debugger)\n",
	    path, why);
}

static int
classify_in_box(struct classify_run *run, const char *path,
    struct pcapsrc *src)
{
	char err[512];
	int rc;

	rc = classify_box_packets(run, src, err, sizeof(err));
	pcapsrc_close(src);
	if (run->box_lost) {
		classify_box_lost(run, path);
		return -1;
	}
	if (rc == -1) {
		fprintf(stderr, "schoolgate: %s\n", err);
		return -1;
	}
	run->sum.files++;
	return 0;
}

static int
classify_file(struct classify_run *run, const char *path)
{
	struct eng_opts eo;
	struct pcapsrc *src;
	struct eng *e;
	char err[512];
	int rc;

	if (run->box_lost)
		return -1;
	if ((src = pcapsrc_open(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "schoolgate: %s\n", err);
		return -1;
	}
	run->file = path;
	if (run->box != NULL)
		return classify_in_box(run, path, src);
	memset(&eo, 0, sizeof(eo));
	eo.as_group = run->as_group;
	eo.as_device = run->as_device;
	eo.pin_time = run->at;
	eo.on_end = classify_flow_ended;
	eo.arg = run;
	if ((e = eng_new(run->cfg, run->cls, &eo)) == NULL) {
		pcapsrc_close(src);
		fprintf(stderr, "schoolgate: %s: out of memory\n", path);
		return -1;
	}
	rc = classify_packets(run, src, e, err, sizeof(err));
	out_summary_engine(&run->sum, eng_stats(e));
	eng_free(e);		/* ends the remaining flows: they print */
	pcapsrc_close(src);
	if (rc == -1) {
		fprintf(stderr, "schoolgate: %s\n", err);
		return -1;
	}
	run->sum.files++;
	return 0;
}

static int
classify_device(struct classify_run *run, const struct classify_opts *o)
{
	if ((run->as_device = conf_device_index(run->cfg, o->as_device)) < 0) {
		fprintf(stderr, "schoolgate: unknown device \"%s\"\n",
		    o->as_device);
		return -1;
	}
	return 0;
}

/*
 * As root, the daemon's sandbox: daemon.user, or nobody where that user
 * does not exist (an admin's machine with the shipped config), since
 * either is as confined.  Not root: no chroot or user can be had, so
 * seccomp and no_new_privs as this user, said once on stderr.
 */
static struct cbox *
classify_start_box(struct classify_run *run, char *err, size_t errlen)
{
	const char *user = spawn_user(run->cfg);

	if (geteuid() != 0) {
		fprintf(stderr, "schoolgate: not root: the inspector runs "
		    "under seccomp and no_new_privs, as this user, without a "
		    "chroot\n");
		user = "-";
	} else if (getpwnam(user) == NULL)
		user = "nobody";
	return cbox_start(run->cfg, user, classify_box_ended, run, err,
	    errlen);
}

static int
classify_setup(struct classify_run *run, const struct classify_opts *o)
{
	char err[256];
	enum rec_error rerr;

	memset(run, 0, sizeof(*run));
	run->o = o;
	run->as_group = -1;
	run->as_device = -1;
	if ((run->cfg = cmd_load_config(o->conf)) == NULL)
		return -1;
	if (o->as_device && classify_device(run, o) == -1)
		return -1;
	if (o->as_group &&
	    (run->as_group = conf_group_index(run->cfg, o->as_group)) < 0) {
		fprintf(stderr, "schoolgate: unknown group \"%s\"\n", o->as_group);
		return -1;
	}
	if (o->at && sched_parse_local(o->at, &run->at) == -1) {
		fprintf(stderr, "schoolgate: --at wants 'YYYY-MM-DD HH:MM', "
		    "not \"%s\"\n", o->at);
		return -1;
	}
	if (o->no_sandbox)
		run->cls = cls_module_new(run->cfg->protocols_file, err,
		    sizeof(err));
	else
		run->box = classify_start_box(run, err, sizeof(err));
	if (run->cls == NULL && run->box == NULL) {
		fprintf(stderr, "schoolgate: %s%s\n", o->no_sandbox ? "nDPI: " :
		    "", err);
		return -1;
	}
	if (o->records && (run->rec = rec_open(o->records, &rerr)) == NULL) {
		fprintf(stderr, "schoolgate: %s: %s\n", o->records,
		    rec_strerror(rerr));
		return -1;
	}
	return 0;
}

static void
classify_teardown(struct classify_run *run)
{
	enum rec_error rerr;
	char err[128];

	if (run->rec) {
		if ((rerr = rec_flush(run->rec)) != REC_OK)
			fprintf(stderr, "schoolgate: %s: %s\n", run->o->records,
			    rec_strerror(rerr));
		else
			cmd_seal_store(run->rec, run->o->records, run->cfg);
		rec_close(run->rec);
	}
	if (run->box != NULL && cbox_stop(run->box, err, sizeof(err)) == -1)
		fprintf(stderr, "schoolgate: %s\n", err);
	if (run->cls)
		cls_module_free(run->cls);
	if (run->cfg)
		conf_free(run->cfg);
}

static void
classify_event(struct classify_run *run, const char *path, int ok)
{
	char detail[512];

	if (run->rec == NULL)
		return;
	snprintf(detail, sizeof(detail), "classify %s: %s", path,
	    ok ? "done" : "failed");
	rec_event(run->rec, run->at ? (int64_t)run->at * 1000000 :
	    (int64_t)time(NULL) * 1000000, "import", detail);
}

int
cmd_classify(int argc, char **argv)
{
	struct classify_opts o;
	struct classify_run run;
	int first, failed = 0;

	if (cmd_wants_help(argc, argv)) {
		classify_usage(stdout);
		return 0;
	}
	if ((first = classify_parse(argc, argv, &o)) == -1) {
		classify_usage(stderr);
		return 2;
	}
	if (classify_setup(&run, &o) == -1) {
		classify_teardown(&run);
		return 1;
	}
	if (!o.json)
		out_table_header(stdout);
	for (unsigned l = 0; l < o.loops; l++) {
		for (int i = first; i < argc; i++) {
			int ok = classify_file(&run, argv[i]) == 0;
			failed += !ok;
			classify_event(&run, argv[i], ok);
		}
	}
	run.sum.failed_files = (unsigned)failed;
	out_summary_print(o.json ? stderr : stdout, &run.sum);
	classify_teardown(&run);
	return failed ? 1 : 0;
}
