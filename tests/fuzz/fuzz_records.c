/*
 * The records database as the verifier (and later the reports) read it.
 * Byte 0 picks what the input is:
 *   0: the text fields of a flow row written through rec_add_flow; the
 *      chain must then verify, whatever the strings held;
 *   1: a raw row appended to flows (or events) with SQLite values of any
 *      type, as someone editing the file could leave it; rec_verify must
 *      report it, not crash;
 *   2: the rest is a whole database file.
 * Field encoding for 0 and 1: [u8 type][u8 len][len bytes] per column.
 * Then the report reader (rpt_build, as "schoolgate report" runs it, with
 * real names or pseudonyms by bit 6 of byte 0) reads the same file and
 * every format is written to /dev/null.
 */
#include <sqlite3.h>

#include "records.h"
#include "../../report/report.h"
#include "fuzzutil.h"

#define FUZZ_REC_COLS	25	/* flows columns after id, with the hashes */

struct fuzz_rec_in {
	const uint8_t	*p;
	size_t		 left;
};

static char fuzz_rec_path[64];

/* The next field; an exhausted input gives empty fields. */
static void
fuzz_rec_field(struct fuzz_rec_in *in, uint8_t *type, const uint8_t **p,
    size_t *len)
{
	*type = 0;
	*len = 0;
	*p = in->p;
	if (in->left < 2)
		return;
	*type = in->p[0];
	*len = in->p[1];
	in->p += 2;
	in->left -= 2;
	if (*len > in->left)
		*len = in->left;
	*p = in->p;
	in->p += *len;
	in->left -= *len;
}

static void
fuzz_rec_str(struct fuzz_rec_in *in, char *dst, size_t dstlen)
{
	const uint8_t *p;
	uint8_t type;
	size_t len;

	fuzz_rec_field(in, &type, &p, &len);
	if (len >= dstlen)
		len = dstlen - 1;
	memcpy(dst, p, len);
	dst[len] = '\0';
}

static int64_t
fuzz_rec_int(struct fuzz_rec_in *in)
{
	const uint8_t *p;
	uint8_t type;
	size_t len;
	uint64_t v = 0;

	fuzz_rec_field(in, &type, &p, &len);
	for (size_t i = 0; i < len && i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

static void
fuzz_rec_unlink(void)
{
	char p[80];

	unlink(fuzz_rec_path);
	snprintf(p, sizeof(p), "%s-wal", fuzz_rec_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", fuzz_rec_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-journal", fuzz_rec_path);
	unlink(p);
}

static void
fuzz_rec_fill(struct fuzz_rec_in *in, struct rec_flow *r)
{
	memset(r, 0, sizeof(*r));
	r->start_us = fuzz_rec_int(in);
	r->end_us = fuzz_rec_int(in);
	fuzz_rec_str(in, r->device, sizeof(r->device));
	fuzz_rec_str(in, r->mac, sizeof(r->mac));
	fuzz_rec_str(in, r->ip, sizeof(r->ip));
	fuzz_rec_str(in, r->person, sizeof(r->person));
	fuzz_rec_str(in, r->group, sizeof(r->group));
	fuzz_rec_str(in, r->app, sizeof(r->app));
	fuzz_rec_str(in, r->category, sizeof(r->category));
	fuzz_rec_str(in, r->host, sizeof(r->host));
	fuzz_rec_str(in, r->host_source, sizeof(r->host_source));
	fuzz_rec_str(in, r->dst_ip, sizeof(r->dst_ip));
	r->dst_port = (uint16_t)fuzz_rec_int(in);
	fuzz_rec_str(in, r->transport, sizeof(r->transport));
	r->bytes_out = (uint64_t)fuzz_rec_int(in);
	r->bytes_in = (uint64_t)fuzz_rec_int(in);
	r->pkts_out = (uint64_t)fuzz_rec_int(in);
	r->pkts_in = (uint64_t)fuzz_rec_int(in);
	fuzz_rec_str(in, r->action, sizeof(r->action));
	fuzz_rec_str(in, r->rule, sizeof(r->rule));
	fuzz_rec_str(in, r->clause, sizeof(r->clause));
	r->in_school_hours = fuzz_rec_int(in) & 1;
	fuzz_rec_str(in, r->source, sizeof(r->source));
}

/* A store with one ordinary row, then the fuzzed one (mode 0). */
static void
fuzz_rec_write(struct fuzz_rec_in *in, bool must_verify)
{
	struct rec_verify_result vr;
	struct rec_store *st;
	struct rec_flow r;
	enum rec_error err;

	if ((st = rec_open(fuzz_rec_path, &err)) == NULL)
		abort();
	fuzz_rec_fill(in, &r);
	if (rec_add_flow(st, &r) != REC_OK || rec_flush(st) != REC_OK ||
	    rec_event(st, r.start_us, "start", r.host) != REC_OK)
		abort();
	rec_close(st);
	if (!must_verify)
		return;
	memset(&vr, 0, sizeof(vr));
	if (rec_verify(fuzz_rec_path, &vr) != REC_OK || !vr.ok) {
		fprintf(stderr, "fuzz_records: a written row does not verify:"
		    " %s %lld %s\n", vr.table, (long long)vr.bad_id, vr.reason);
		abort();
	}
}

static void
fuzz_rec_bind(sqlite3_stmt *s, int col, uint8_t type, const uint8_t *p,
    size_t len)
{
	int64_t v = 0;

	switch (type % 5) {
	case 0:
		sqlite3_bind_null(s, col);
		break;
	case 1:
		for (size_t i = 0; i < len && i < 8; i++)
			v = (int64_t)((uint64_t)v << 8 | p[i]);
		sqlite3_bind_int64(s, col, v);
		break;
	case 2:
		sqlite3_bind_text(s, col, (const char *)p, (int)len,
		    SQLITE_TRANSIENT);
		break;
	case 3:
		sqlite3_bind_blob(s, col, p, (int)len, SQLITE_TRANSIENT);
		break;
	default:
		sqlite3_bind_double(s, col, (double)len / 3.0);
		break;
	}
}

/* Append a raw row of any types (mode 1). */
static void
fuzz_rec_raw(struct fuzz_rec_in *in, bool events)
{
	static const char flows_sql[] = "INSERT INTO flows (start_us, end_us,"
	    " duration_us, device, mac, ip, person, grp, app, category, host,"
	    " host_source, dst_ip, dst_port, transport, bytes_out, bytes_in,"
	    " pkts_out, pkts_in, action, rule, clause, in_school_hours,"
	    " source, prev_hash, hash) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,"
	    "?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26)";
	static const char events_sql[] = "INSERT INTO events (ts_us, kind,"
	    " detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5)";
	const uint8_t *p;
	sqlite3_stmt *s;
	sqlite3 *db;
	uint8_t type;
	size_t len;
	int ncols = events ? 5 : FUZZ_REC_COLS + 1;

	if (sqlite3_open(fuzz_rec_path, &db) != SQLITE_OK)
		abort();
	if (sqlite3_prepare_v2(db, events ? events_sql : flows_sql, -1, &s,
	    NULL) != SQLITE_OK)
		abort();
	for (int c = 1; c <= ncols; c++) {
		fuzz_rec_field(in, &type, &p, &len);
		fuzz_rec_bind(s, c, type, p, len);
	}
	(void)sqlite3_step(s);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void
fuzz_rec_file(const uint8_t *data, size_t size)
{
	FILE *f;

	if ((f = fopen(fuzz_rec_path, "wb")) == NULL)
		abort();
	if (size > 0 && fwrite(data, size, 1, f) != 1)
		abort();
	if (fclose(f) != 0)
		abort();
}

/* The reports over November 2026, where the seeds' rows are: a
 * longer period costs per day, and the fuzzer would crawl. */
static void
fuzz_rec_report(bool pseudonyms)
{
	static const uint8_t key[RPT_KEY_LEN] = { 's', 'g' };
	struct rpt_options o;
	struct rpt_report r;

	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	o.db = fuzz_rec_path;
	rpt_period_days(sg_days_from_civil(2026, 11, 1),
	    sg_days_from_civil(2026, 11, 30), &o.period);
	o.groups[o.ngroups++] = "pupils";
	o.verify = true;
	o.findings = true;
	o.key = pseudonyms ? key : NULL;
	if (rpt_build(fuzz_config(), &o, &r) == RPT_OK) {
		(void)rpt_write_html(fuzz_devnull(), &r);
		(void)rpt_write_csv(fuzz_devnull(), &r);
		(void)rpt_write_json(fuzz_devnull(), &r);
	}
	rpt_free(&r);
}

int
fuzz_one_records(const uint8_t *data, size_t size)
{
	struct fuzz_rec_in in = { data + 1, size ? size - 1 : 0 };
	struct rec_verify_result vr;

	if (size < 1)
		return 0;
	if (fuzz_rec_path[0] == '\0')
		snprintf(fuzz_rec_path, sizeof(fuzz_rec_path),
		    "/dev/shm/sg-fuzz-records-%ld.db", (long)getpid());
	fuzz_rec_unlink();
	switch (data[0] % 3) {
	case 0:
		fuzz_rec_write(&in, true);
		break;
	case 1:
		fuzz_rec_write(&in, false);
		fuzz_rec_raw(&in, (data[0] & 0x80) != 0);
		break;
	default:
		fuzz_rec_file(data + 1, size - 1);
		break;
	}
	memset(&vr, 0, sizeof(vr));
	(void)rec_verify(fuzz_rec_path, &vr);
	fuzz_rec_report((data[0] & 0x40) != 0);
	fuzz_rec_unlink();
	return 0;
}

#ifndef FUZZ_NO_MAIN
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_one_records(data, size);
}
#endif
