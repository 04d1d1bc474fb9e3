#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "records.h"

static void
records_usage(FILE *out, const char *cmd)
{
	if (strcmp(cmd, "purge") == 0)
		fprintf(out,
		    "usage: schoolgate purge [-c CONF] [--db DB] [--days N]\n\n"
		    "Delete flow records that ended more than N days ago\n"
		    "(records.retention_days by default) and write a purge event\n"
		    "with a checkpoint, so that 'schoolgate verify' still passes.\n");
	else
		fprintf(out,
		    "usage: schoolgate verify [-c CONF] [--db DB]"
		    " [--verification-key FILE]\n"
		    "                         [--anchors SYSLOG_FILE]\n\n"
		    "Walk the records' hash chain and seals.  With the lead"
		    " team's\nverification key (schoolgate keys init), every"
		    " seal's MAC is checked\ntoo; with the syslog file that"
		    " received the seals, that the database\nstill holds each"
		    " of them (a rolled-back copy does not).  Prints\n\"N"
		    " records verified, sealed up to seal S at TIME\" and exits"
		    " 0, or\nthe first row or seal that was changed or"
		    " deleted and exits 1.\nExit 2: usage; 3: the database,"
		    " key or anchors cannot be read.\n");
}

struct records_opts {
	const char	*conf;
	const char	*db;
	long		 days;
	const char	*keyfile;	/* verify only */
	const char	*anchors;
};

static int
records_parse(int argc, char **argv, struct records_opts *o)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "days", required_argument, NULL, 'n' },
		{ "verification-key", required_argument, NULL, 'k' },
		{ "anchors", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int ch;

	memset(o, 0, sizeof(*o));
	o->conf = SG_DEFAULT_CONF;
	o->days = -1;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->conf = optarg; break;
		case 'd': o->db = optarg; break;
		case 'k': o->keyfile = optarg; break;
		case 'a': o->anchors = optarg; break;
		case 'n':
			o->days = strtol(optarg, &end, 10);
			if (*end != '\0' || o->days < 1)
				return -1;
			break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

/* The database and retention come from the config unless given. */
static int
records_resolve(struct records_opts *o, char *db, size_t dblen)
{
	struct sg_config *cfg;

	if (o->db && o->days > 0) {
		snprintf(db, dblen, "%s", o->db);
		return 0;
	}
	if ((cfg = cmd_load_config(o->conf)) == NULL)
		return -1;
	snprintf(db, dblen, "%s", o->db ? o->db : cfg->db_path);
	if (o->days < 1)
		o->days = (long)cfg->retention_days;
	conf_free(cfg);
	return 0;
}

int
cmd_purge(int argc, char **argv)
{
	struct records_opts o;
	struct rec_store *rs;
	enum rec_error err;
	uint64_t deleted = 0;
	char db[4096];
	int64_t cutoff;

	if (cmd_wants_help(argc, argv)) {
		records_usage(stdout, "purge");
		return 0;
	}
	if (records_parse(argc, argv, &o) == -1) {
		records_usage(stderr, "purge");
		return 2;
	}
	if (records_resolve(&o, db, sizeof(db)) == -1)
		return 1;
	if ((rs = rec_open(db, &err)) == NULL) {
		fprintf(stderr, "schoolgate: %s: %s\n", db, rec_strerror(err));
		return 1;
	}
	cutoff = ((int64_t)time(NULL) - (int64_t)o.days * 86400) * 1000000;
	if ((err = rec_purge(rs, cutoff, &deleted)) != REC_OK) {
		fprintf(stderr, "schoolgate: %s: purge failed: %s (%s)\n", db,
		    rec_strerror(err), rec_errmsg(rs));
		rec_close(rs);
		return 1;
	}
	rec_close(rs);
	printf("%llu records older than %ld days deleted from %s\n",
	    (unsigned long long)deleted, o.days, db);
	return 0;
}

/* The key as keys init printed it, typed or copied into a file. */
static int
verify_read_key(const char *path, uint8_t vkey[REC_SEAL_KEY_LEN])
{
	char text[512];
	size_t n;
	FILE *f;
	int rc;

	if ((f = fopen(path, "re")) == NULL) {
		fprintf(stderr, "schoolgate: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	rc = seal_key_parse(text, vkey);
	explicit_bzero(text, sizeof(text));
	if (rc != 0)
		fprintf(stderr, "schoolgate: %s: %s\n", path, rc == -2 ?
		    "the verification key has a typing mistake (its checksum"
		    " does not match)" : "not a verification key (sgv1-...)");
	return rc == 0 ? 0 : -1;
}

/* The count comes last, on one line: scripts read it with tail -n 1. */
static void
verify_print_ok(const struct rec_verify_result *res,
    const struct records_opts *o)
{
	char when[40];

	if (res->seals == 0) {
		printf("the records are not sealed (schoolgate keys init)\n"
		    "%llu records verified\n",
		    (unsigned long long)res->verified);
		return;
	}
	if (!res->macs_checked)
		printf("the seals were not checked: give --verification-key\n");
	if (o->anchors != NULL)
		printf("%llu seals received by syslog are all in the database\n",
		    (unsigned long long)res->anchors);
	rec_seal_when(&res->last_seal, when, sizeof(when));
	printf("%llu records verified, sealed up to seal %llu at %s",
	    (unsigned long long)res->verified,
	    (unsigned long long)res->last_seal.seq, when);
	if (res->unsealed > 0)
		printf("; %llu rows after the last seal (unsealed)",
		    (unsigned long long)res->unsealed);
	printf("\n");
}

int
cmd_verify(int argc, char **argv)
{
	struct rec_verify_result res;
	uint8_t vkey[REC_SEAL_KEY_LEN];
	struct records_opts o;
	enum rec_error err;
	char db[4096];

	if (cmd_wants_help(argc, argv)) {
		records_usage(stdout, "verify");
		return 0;
	}
	if (records_parse(argc, argv, &o) == -1) {
		records_usage(stderr, "verify");
		return 2;
	}
	o.days = o.days < 1 ? 1 : o.days;	/* retention is not needed */
	if (records_resolve(&o, db, sizeof(db)) == -1)
		return 3;
	if (o.keyfile != NULL && verify_read_key(o.keyfile, vkey) == -1)
		return 3;
	if (o.anchors != NULL && access(o.anchors, R_OK) == -1) {
		fprintf(stderr, "schoolgate: %s: %s\n", o.anchors,
		    strerror(errno));
		return 3;
	}
	memset(&res, 0, sizeof(res));
	err = rec_verify_sealed(db, o.keyfile ? vkey : NULL, o.anchors, &res);
	explicit_bzero(vkey, sizeof(vkey));
	if (err != REC_OK) {
		fprintf(stderr, "schoolgate: %s: %s\n", db, rec_strerror(err));
		return 3;
	}
	if (!res.ok) {
		if (strcmp(res.table, "flows") == 0 ||
		    strcmp(res.table, "events") == 0)
			printf("%s: chain broken in %s at row %lld: %s\n", db,
			    res.table, (long long)res.bad_id, res.reason);
		else
			printf("%s: %s\n", db, res.reason);
		return 1;
	}
	verify_print_ok(&res, &o);
	return 0;
}
