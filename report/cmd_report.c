/*
 * schoolgate report: the lead team's compliance report (policy 9.3) for a
 * period, as HTML, CSV or JSON.  Files are written 0640 (umask 027) and
 * renamed into place, so a timer never leaves half a report behind.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "mail.h"
#include "report.h"
#include "schedule.h"

struct report_opts {
	const char	*conf;
	const char	*db;
	const char	*from, *to, *period;
	const char	*format;
	const char	*out;
	const char	*out_dir;
	const char	*groups[8];
	size_t		 ngroups;
	const char	*person;
	bool		 pseudonymise;
	bool		 if_term_ended;
	bool		 no_verify;
	char		*mail_to;	/* "a@b,c@d", split in place */
	bool		 mail;		/* to reports.mail_to */
	char		*rcpt[32];	/* the recipients, checked */
	size_t		 nrcpt;
};

#define REPORT_MAIL_MAX	(sizeof(((struct report_opts *)0)->rcpt) / \
			 sizeof(char *))

/* The HTML report in memory, when it is also mailed. */
struct report_buf {
	char		*data;
	size_t		 len;
};

static void
report_usage(FILE *out)
{
	fprintf(out,
	    "usage: schoolgate report [-c CONF] [--db DB]\n"
	    "           (--from DATE --to DATE | --period P | --if-term-ended)\n"
	    "           [--group G] [--person ID] [--pseudonymise]\n"
	    "           [--format html|csv|json] [-o FILE | --out-dir DIR]\n"
	    "           [--mail-to ADDR[,ADDR...] | --mail]\n\n"
	    "The lead team's compliance report for a period (policy 9.3).\n\n"
	    "  -c CONF          configuration (default %s)\n"
	    "  --db DB          records database (default: records.database)\n"
	    "  --from, --to     first and last day, YYYY-MM-DD, inclusive\n"
	    "  --period P       last-week, last-month, this-term or last-term,\n"
	    "                   from the config's term dates and time zone\n"
	    "  --if-term-ended  report on the term that ended yesterday; if no\n"
	    "                   term did, do nothing (for a daily timer)\n"
	    "  --group G        also list the people of group G (staff always);\n"
	    "                   may be repeated\n"
	    "  --person ID      only this person's records\n"
	    "  --pseudonymise   replace names with keyed pseudonyms\n"
	    "                   (key: records.pseudonym_key, created if missing)\n"
	    "  --format F       html (default), csv (one row per finding), json\n"
	    "  -o FILE          write to FILE (default: standard output)\n"
	    "  --out-dir DIR    write to DIR/NAME.EXT, NAME from the period:\n"
	    "                   2026-W47, 2026-11, term-2026-11-02-autumn-term-2\n"
	    "  --no-verify      skip the hash-chain check\n"
	    "  --mail-to ADDRS  also mail the HTML report (attached, with a\n"
	    "                   summary in the body) through reports.sendmail\n"
	    "  --mail           the same, to reports.mail_to\n",
	    SG_DEFAULT_CONF);
}

static int
report_parse(int argc, char **argv, struct report_opts *o)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "period", required_argument, NULL, 'p' },
		{ "if-term-ended", no_argument, NULL, 'E' },
		{ "group", required_argument, NULL, 'g' },
		{ "person", required_argument, NULL, 'P' },
		{ "pseudonymise", no_argument, NULL, 'S' },
		{ "pseudonymize", no_argument, NULL, 'S' },
		{ "format", required_argument, NULL, 'f' },
		{ "out-dir", required_argument, NULL, 'D' },
		{ "no-verify", no_argument, NULL, 'V' },
		{ "mail-to", required_argument, NULL, 'M' },
		{ "mail", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->conf = SG_DEFAULT_CONF;
	o->format = "html";
	while ((ch = getopt_long(argc, argv, "c:o:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->conf = optarg; break;
		case 'd': o->db = optarg; break;
		case 'F': o->from = optarg; break;
		case 'T': o->to = optarg; break;
		case 'p': o->period = optarg; break;
		case 'E': o->if_term_ended = true; break;
		case 'g':
			if (o->ngroups == sizeof(o->groups) / sizeof(o->groups[0]))
				return -1;
			o->groups[o->ngroups++] = optarg;
			break;
		case 'P': o->person = optarg; break;
		case 'S': o->pseudonymise = true; break;
		case 'f': o->format = optarg; break;
		case 'o': o->out = optarg; break;
		case 'D': o->out_dir = optarg; break;
		case 'V': o->no_verify = true; break;
		case 'M': o->mail_to = optarg; break;	/* argv: ours */
		case 'm': o->mail = true; break;
		default: return -1;
		}
	}
	if (optind != argc || (o->out && o->out_dir))
		return -1;
	if ((o->from != NULL) != (o->to != NULL))
		return -1;
	if ((o->mail_to || o->mail) && (strcmp(o->format, "html") != 0 ||
	    (o->mail_to && o->mail)))
		return -1;
	if ((o->from != NULL) + (o->period != NULL) + o->if_term_ended != 1)
		return -1;
	if (strcmp(o->format, "html") && strcmp(o->format, "csv") &&
	    strcmp(o->format, "json"))
		return -1;
	return 0;
}

/* 1: a period; 0: --if-term-ended and no term ended; -1: error. */
static int
report_period(const struct sg_config *cfg, const struct report_opts *o,
    struct rpt_period *p)
{
	int32_t first, last;

	if (o->if_term_ended)
		return rpt_period_term_ended(cfg, rpt_today(), p);
	if (o->period) {
		if (rpt_period_named(cfg, o->period, rpt_today(), p) == RPT_OK)
			return 1;
		fprintf(stderr, "schoolgate: no period \"%s\" (last-week, "
		    "last-month, this-term, last-term; terms come from the "
		    "school-hours schedule)\n", o->period);
		return -1;
	}
	if (sg_date_parse(o->from, &first) == -1 ||
	    sg_date_parse(o->to, &last) == -1 || last < first) {
		fprintf(stderr, "schoolgate: --from and --to want YYYY-MM-DD, "
		    "the first not after the second\n");
		return -1;
	}
	rpt_period_days(first, last, p);
	return 1;
}

static int
report_write(FILE *f, const char *format, const struct rpt_report *r)
{
	if (strcmp(format, "csv") == 0)
		return rpt_write_csv(f, r);
	if (strcmp(format, "json") == 0)
		return rpt_write_json(f, r);
	return rpt_write_html(f, r);
}

/* Write to path.tmp, then rename, so readers never see half a file. */
static int
report_output(const struct report_opts *o, const struct rpt_report *r,
    const struct report_buf *html)
{
	char path[4096], tmp[4200];
	FILE *f;
	int rc;

	if (o->out == NULL && o->out_dir == NULL)
		return html->data != NULL ? 0 :	/* mailed, not printed */
		    report_write(stdout, o->format, r) == 0 &&
		    fflush(stdout) == 0 ? 0 : -1;
	if (o->out_dir)
		snprintf(path, sizeof(path), "%s/%s.%s", o->out_dir,
		    r->period.slug, o->format);
	else
		snprintf(path, sizeof(path), "%s", o->out);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL) {
		perror(tmp);
		return -1;
	}
	if (html->data != NULL)
		rc = fwrite(html->data, 1, html->len, f) == html->len ? 0 : -1;
	else
		rc = report_write(f, o->format, r);
	if (fclose(f) != 0 || rc != 0 || rename(tmp, path) == -1) {
		perror(path);
		unlink(tmp);
		return -1;
	}
	if (o->out_dir)
		printf("%s\n", path);
	return 0;
}

static int
report_key(const struct sg_config *cfg, uint8_t key[RPT_KEY_LEN])
{
	enum rpt_error err;

	if (cfg->pseudonym_key_path == NULL) {
		fprintf(stderr, "schoolgate: --pseudonymise needs "
		    "records.pseudonym_key in the configuration\n");
		return -1;
	}
	if ((err = rpt_key_load(cfg->pseudonym_key_path, key)) != RPT_OK) {
		fprintf(stderr, "schoolgate: %s: %s\n", cfg->pseudonym_key_path,
		    rpt_strerror(err));
		return -1;
	}
	return 0;
}

/* o->rcpt from --mail-to (split in place) or reports.mail_to, each
 * address checked and a bad one named, before any work is done. */
static int
report_recipients(const struct sg_config *cfg, struct report_opts *o)
{
	char *a, *save = NULL, buf[4 * CONF_MAIL_ADDR_MAX];

	o->nrcpt = 0;
	if (o->mail && cfg->nreport_mail_to > REPORT_MAIL_MAX) {
		fprintf(stderr, "schoolgate: reports.mail_to: more than %zu "
		    "addresses\n", REPORT_MAIL_MAX);
		return -1;
	}
	for (size_t i = 0; o->mail && i < cfg->nreport_mail_to; i++)
		o->rcpt[o->nrcpt++] = cfg->report_mail_to[i];
	for (a = o->mail ? NULL : strtok_r(o->mail_to, ",", &save);
	    a != NULL; a = strtok_r(NULL, ",", &save)) {
		a += strspn(a, " ");
		if (!conf_mail_addr_ok(a, CONF_MAIL_ADDR_MAX)) {
			fprintf(stderr, "schoolgate: --mail-to: invalid mail "
			    "address \"%s\"\n", sg_printable(a, buf,
			    sizeof(buf)));
			return -1;
		}
		if (o->nrcpt == REPORT_MAIL_MAX) {
			fprintf(stderr, "schoolgate: --mail-to: more than %zu "
			    "addresses\n", REPORT_MAIL_MAX);
			return -1;
		}
		o->rcpt[o->nrcpt++] = a;
	}
	if (o->mail_to && o->nrcpt == 0) {
		fprintf(stderr, "schoolgate: --mail-to: no address\n");
		return -1;
	}
	if (o->mail && o->nrcpt == 0)
		fprintf(stderr, "schoolgate: reports.mail_to is empty: the "
		    "report is not mailed\n");
	return 0;
}

static int
report_mail(const struct sg_config *cfg, const struct rpt_report *r,
    const struct report_buf *html, char *const *to, size_t nto)
{
	enum mail_send_result res;
	char *msg = NULL;
	size_t len;
	int status;

	if (rpt_mail_build(cfg, r, html->data, html->len, to, nto, &msg,
	    &len) != RPT_OK) {
		fprintf(stderr, "schoolgate: cannot build the mail: out of "
		    "memory\n");
		return -1;
	}
	res = mail_send(cfg->sendmail, to, nto, msg, len, &status);
	free(msg);
	if (res != MAIL_SENT) {
		fprintf(stderr, "schoolgate: %s: %s (exit status %d): the "
		    "report was not mailed\n", cfg->sendmail,
		    mail_strerror(res), status);
		return -1;
	}
	return 0;
}

/* Write, print or mail the report; a mailed one is rendered once so the
 * file and the attachment are the same bytes. */
static int
report_deliver(const struct sg_config *cfg, const struct report_opts *o,
    const struct rpt_report *r)
{
	struct report_buf html = { NULL, 0 };
	FILE *f;
	int rc = 1, w;

	if (o->nrcpt > 0 && ((f = open_memstream(&html.data, &html.len)) ==
	    NULL || ((w = rpt_write_html(f, r)), fclose(f)) != 0 || w != 0)) {
		fprintf(stderr, "schoolgate: cannot render the report for "
		    "mail\n");
		goto done;
	}
	if (report_output(o, r, &html) == -1 ||
	    (o->nrcpt > 0 && report_mail(cfg, r, &html, o->rcpt, o->nrcpt) ==
	    -1))
		goto done;
	rc = 0;
done:
	free(html.data);
	return rc;
}

static int
report_run(const struct sg_config *cfg, const struct report_opts *o)
{
	struct rpt_options ro;
	struct rpt_report r;
	uint8_t key[RPT_KEY_LEN];
	enum rpt_error err;
	int got, rc;

	memset(&ro, 0, sizeof(ro));
	if ((got = report_period(cfg, o, &ro.period)) <= 0) {
		if (got == 0)
			printf("no term ended yesterday: no report\n");
		return got == 0 ? 0 : 1;
	}
	if (o->pseudonymise && report_key(cfg, key) == -1)
		return 1;
	ro.db = o->db ? o->db : cfg->db_path;
	memcpy(ro.groups, o->groups, sizeof(ro.groups));
	ro.ngroups = o->ngroups;
	ro.person = o->person;
	ro.verify = !o->no_verify;
	ro.findings = strcmp(o->format, "html") != 0;
	ro.key = o->pseudonymise ? key : NULL;
	if ((err = rpt_build(cfg, &ro, &r)) != RPT_OK) {
		fprintf(stderr, "schoolgate: %s: %s\n", ro.db, rpt_strerror(err));
		rpt_free(&r);
		return 1;
	}
	if (rpt_lists(cfg, &r) == -1) {
		fprintf(stderr, "schoolgate: out of memory\n");
		rpt_free(&r);
		return 1;
	}
	rc = report_deliver(cfg, o, &r);
	rpt_free(&r);
	return rc;
}

int
cmd_report(int argc, char **argv)
{
	struct report_opts o;
	struct sg_config *cfg;
	int rc;

	if (cmd_wants_help(argc, argv)) {
		report_usage(stdout);
		return 0;
	}
	if (report_parse(argc, argv, &o) == -1) {
		report_usage(stderr);
		return 2;
	}
	umask(027);	/* reports hold personal data: group-readable only */
	if ((cfg = cmd_load_config(o.conf)) == NULL)
		return 1;
	for (size_t i = 0; i < o.ngroups; i++)
		if (conf_group_index(cfg, o.groups[i]) < 0) {
			fprintf(stderr, "schoolgate: unknown group \"%s\"\n",
			    o.groups[i]);
			conf_free(cfg);
			return 2;
		}
	if ((o.mail_to || o.mail) && report_recipients(cfg, &o) == -1) {
		conf_free(cfg);
		return 2;
	}
	rc = report_run(cfg, &o);
	conf_free(cfg);
	return rc;
}
