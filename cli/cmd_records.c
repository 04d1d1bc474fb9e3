#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

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
		    "usage: schoolgate verify [-c CONF] [--db DB]\n\n"
		    "Walk the records' hash chain.  Prints \"N records verified\",\n"
		    "or the first row that was edited or deleted, and exits 1.\n");
}

struct records_opts {
	const char	*conf;
	const char	*db;
	long		 days;
};

static int
records_parse(int argc, char **argv, struct records_opts *o)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "days", required_argument, NULL, 'n' },
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

int
cmd_verify(int argc, char **argv)
{
	struct rec_verify_result res;
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
		return 1;
	memset(&res, 0, sizeof(res));
	if ((err = rec_verify(db, &res)) != REC_OK) {
		fprintf(stderr, "schoolgate: %s: %s\n", db, rec_strerror(err));
		return 1;
	}
	if (!res.ok) {
		printf("%s: chain broken in %s at row %lld: %s\n", db, res.table,
		    (long long)res.bad_id, res.reason);
		return 1;
	}
	printf("%llu records verified\n", (unsigned long long)res.verified);
	return 0;
}
