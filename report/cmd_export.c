/*
 * schoolgate export --format ecs: the records as JSON lines with Elastic
 * Common Schema field names, for schools that collect logs centrally.
 * Rows are streamed from SQLite, so a year of records needs no memory.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "cmd.h"
#include "report.h"

#define ECS_VERSION	"8.11.0"

static const char export_sql[] =
    "SELECT id, start_us, end_us, duration_us, device, mac, ip, person, grp,"
    " app, category, host, host_source, dst_ip, dst_port, transport,"
    " bytes_out, bytes_in, pkts_out, pkts_in, action, rule, clause,"
    " in_school_hours FROM flows WHERE start_us >= ?1 AND start_us < ?2"
    " ORDER BY id";

enum {
	X_ID, X_START, X_END, X_DUR, X_DEVICE, X_MAC, X_IP, X_PERSON, X_GRP,
	X_APP, X_CATEGORY, X_HOST, X_HOSTSRC, X_DSTIP, X_DSTPORT, X_TRANSPORT,
	X_BOUT, X_BIN, X_POUT, X_PIN, X_ACTION, X_RULE, X_CLAUSE, X_INHOURS,
};

static void
export_usage(FILE *out)
{
	fprintf(out,
	    "usage: schoolgate export [-c CONF] [--db DB] --format ecs\n"
	    "           --from DATE --to DATE\n\n"
	    "Write the flow records of the days FROM to TO (inclusive,\n"
	    "YYYY-MM-DD, school time zone) as JSON lines with Elastic Common\n"
	    "Schema field names, for a SIEM.\n");
}

/* A text column, escaped as the report's JSON is (rpt_json_str). */
static json_t *
export_str(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	return rpt_json_str(s != NULL ? s : "");
}

static int
export_empty(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s == NULL || s[0] == '\0';
}

static json_t *
export_time(int64_t us)
{
	time_t t = (time_t)(us / 1000000);
	char buf[64], out[80];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, sizeof(out), "%s.%06dZ", buf, (int)(us % 1000000));
	return json_string(out);
}

/* ECS wants MACs as upper-case, hyphen-separated. */
static json_t *
export_mac(const char *mac)
{
	char buf[18];
	size_t i;

	for (i = 0; mac[i] && i < sizeof(buf) - 1; i++)
		buf[i] = mac[i] == ':' ? '-' : (char)toupper((unsigned char)mac[i]);
	buf[i] = '\0';
	return json_string(buf);
}

/* "TLS.Facebook": protocol "tls", application "facebook". */
static void
export_network(json_t *net, const char *app)
{
	const char *dot = strchr(app, '.');
	char proto[SG_APP_MAX], appl[SG_APP_MAX];
	size_t i;

	snprintf(proto, sizeof(proto), "%.*s", dot ? (int)(dot - app) :
	    (int)strlen(app), app);
	snprintf(appl, sizeof(appl), "%s", dot ? dot + 1 : app);
	for (i = 0; proto[i]; i++)
		proto[i] = (char)tolower((unsigned char)proto[i]);
	for (i = 0; appl[i]; i++)
		appl[i] = (char)tolower((unsigned char)appl[i]);
	json_object_set_new(net, "protocol", json_string(proto));
	json_object_set_new(net, "application", json_string(appl));
}

/* Where the name came from decides its ECS field. */
static void
export_host(json_t *o, sqlite3_stmt *st)
{
	const char *src = (const char *)sqlite3_column_text(st, X_HOSTSRC);

	if (export_empty(st, X_HOST) || src == NULL)
		return;
	if (strcmp(src, "sni") == 0)
		json_object_set_new(o, "tls", json_pack("{s:{s:o}}", "client",
		    "server_name", export_str(st, X_HOST)));
	else if (strcmp(src, "dns") == 0)
		json_object_set_new(o, "dns", json_pack("{s:{s:o}}", "question",
		    "name", export_str(st, X_HOST)));
	json_object_set_new(o, "url", json_pack("{s:o}", "domain",
	    export_str(st, X_HOST)));
}

static json_t *
export_source(sqlite3_stmt *st)
{
	json_t *s = json_pack("{s:o,s:I,s:I}", "ip", export_str(st, X_IP),
	    "bytes", (json_int_t)sqlite3_column_int64(st, X_BOUT),
	    "packets", (json_int_t)sqlite3_column_int64(st, X_POUT));

	if (!export_empty(st, X_MAC))
		json_object_set_new(s, "mac", export_mac((const char *)
		    sqlite3_column_text(st, X_MAC)));
	return s;
}

static json_t *
export_row(sqlite3_stmt *st)
{
	const char *action = (const char *)sqlite3_column_text(st, X_ACTION);
	json_t *o, *net;

	action = action ? action : "";
	o = json_pack("{s:o,s:{s:s},s:{s:s,s:[s],s:[s],s:o,s:o,s:o,s:I,"
	    "s:I,s:s},s:{s:s,s:s,s:s}}",
	    "@timestamp", export_time(sqlite3_column_int64(st, X_START)),
	    "ecs", "version", ECS_VERSION,
	    "event", "kind", "event", "category", "network", "type",
	    strcmp(action, "block") == 0 ? "denied" : "allowed",
	    "action", export_str(st, X_ACTION),
	    "start", export_time(sqlite3_column_int64(st, X_START)),
	    "end", export_time(sqlite3_column_int64(st, X_END)),
	    "duration", (json_int_t)sqlite3_column_int64(st, X_DUR) * 1000,
	    "sequence", (json_int_t)sqlite3_column_int64(st, X_ID),
	    "dataset", "schoolgate.flow",
	    "observer", "vendor", "schoolgate", "product", "schoolgate",
	    "type", "firewall");
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "source", export_source(st));
	json_object_set_new(o, "destination", json_pack("{s:o,s:i,s:I,s:I}",
	    "ip", export_str(st, X_DSTIP),
	    "port", sqlite3_column_int(st, X_DSTPORT),
	    "bytes", (json_int_t)sqlite3_column_int64(st, X_BIN),
	    "packets", (json_int_t)sqlite3_column_int64(st, X_PIN)));
	net = json_pack("{s:o}", "transport", export_str(st, X_TRANSPORT));
	export_network(net, (const char *)sqlite3_column_text(st, X_APP) ?
	    (const char *)sqlite3_column_text(st, X_APP) : "");
	json_object_set_new(o, "network", net);
	export_host(o, st);
	json_object_set_new(o, "rule", json_pack("{s:o,s:o,s:s}",
	    "name", export_str(st, X_RULE), "reference", export_str(st, X_CLAUSE),
	    "ruleset", "staff social media policy"));
	if (!export_empty(st, X_PERSON))
		json_object_set_new(o, "user", json_pack("{s:o}", "name",
		    export_str(st, X_PERSON)));
	json_object_set_new(o, "group", json_pack("{s:o}", "name",
	    export_str(st, X_GRP)));
	json_object_set_new(o, "labels", json_pack("{s:o,s:o,s:o,s:b}",
	    "device", export_str(st, X_DEVICE),
	    "category", export_str(st, X_CATEGORY),
	    "app", export_str(st, X_APP),
	    "in_school_hours", sqlite3_column_int(st, X_INHOURS) != 0));
	return o;
}

static int
export_rows(sqlite3 *db, int64_t from, int64_t to)
{
	sqlite3_stmt *st;
	json_t *o;
	int rc;

	if (sqlite3_prepare_v2(db, export_sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((o = export_row(st)) == NULL)
			break;
		json_dumpf(o, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_decref(o);
		putchar('\n');
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE && fflush(stdout) == 0 ? 0 : -1;
}

struct export_opts {
	const char	*conf, *db, *format, *from, *to;
};

static int
export_parse(int argc, char **argv, struct export_opts *o)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->conf = SG_DEFAULT_CONF;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->conf = optarg; break;
		case 'd': o->db = optarg; break;
		case 'f': o->format = optarg; break;
		case 'F': o->from = optarg; break;
		case 'T': o->to = optarg; break;
		default: return -1;
		}
	}
	if (optind != argc || o->format == NULL || strcmp(o->format, "ecs") ||
	    o->from == NULL || o->to == NULL)
		return -1;
	return 0;
}

static int
export_run(const struct sg_config *cfg, const struct export_opts *o)
{
	const char *path = o->db ? o->db : cfg->db_path;
	int32_t first, last;
	sqlite3 *db;
	int rc;

	if (sg_date_parse(o->from, &first) == -1 ||
	    sg_date_parse(o->to, &last) == -1 || last < first) {
		fprintf(stderr, "schoolgate: --from and --to want YYYY-MM-DD\n");
		return 2;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "schoolgate: %s: %s\n", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return 1;
	}
	rc = export_rows(db, rpt_day_start_us(first),
	    rpt_day_start_us(last + 1));
	if (rc == -1)
		fprintf(stderr, "schoolgate: %s: %s\n", path, sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc == 0 ? 0 : 1;
}

int
cmd_export(int argc, char **argv)
{
	struct export_opts o;
	struct sg_config *cfg;
	int rc;

	if (cmd_wants_help(argc, argv)) {
		export_usage(stdout);
		return 0;
	}
	if (export_parse(argc, argv, &o) == -1) {
		export_usage(stderr);
		return 2;
	}
	umask(027);
	if ((cfg = cmd_load_config(o.conf)) == NULL)
		return 1;
	rc = export_run(cfg, &o);
	conf_free(cfg);
	return rc;
}
