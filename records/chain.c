/*
 * The hash chain.  Each row of flows and events carries
 * hash = SHA-256(prev_hash || encoding of its columns), where every column
 * is encoded as a type byte, an 8-byte big-endian length and its bytes, so
 * no edit can move a boundary between fields and keep the hash.  The same
 * value list is used to bind a row and to hash it, and rec_verify rebuilds
 * that list from what SQLite returns, so writer and verifier cannot drift.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records_impl.h"

const char *const rec_flow_cols[REC_FLOW_COLS] = {
	"start_us", "end_us", "duration_us", "device", "mac", "ip", "person",
	"grp", "app", "category", "host", "host_source", "dst_ip", "dst_port",
	"transport", "bytes_out", "bytes_in", "pkts_out", "pkts_in", "action",
	"rule", "clause", "in_school_hours", "source", "id_source",
};

const char *const rec_event_cols[REC_EVENT_COLS] = {
	"ts_us", "kind", "detail",
};

const char *const rec_seal_cols[REC_SEAL_COLS] = {
	"seq", "ts_us", "flow_id", "flow_head", "event_id", "event_head", "mac",
};

/* Libgcrypt insists on one version check before first use. */
void
rec_crypto_init(void)
{
	if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
		gcry_check_version(NULL);
}

static void
rec_put_be64(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

static void
rec_hash_row(gcry_md_hd_t md, const uint8_t prev[REC_HASH_LEN],
    const struct rec_val *v, size_t n, uint8_t out[REC_HASH_LEN])
{
	uint8_t hdr[9], num[8];

	gcry_md_reset(md);
	gcry_md_write(md, prev, REC_HASH_LEN);
	/* A trailing NULL is a column the row predates (store.c): rows
	 * written before it existed hash as they did then.  Writers always
	 * give it a text value, so making it NULL breaks the hash. */
	while (n > 0 && v[n - 1].type == SQLITE_NULL)
		n--;
	for (size_t i = 0; i < n; i++) {
		hdr[0] = (uint8_t)v[i].type;
		if (v[i].type == SQLITE_INTEGER || v[i].type == SQLITE_FLOAT) {
			rec_put_be64(hdr + 1, sizeof(num));
			rec_put_be64(num, (uint64_t)v[i].i);
			gcry_md_write(md, hdr, sizeof(hdr));
			gcry_md_write(md, num, sizeof(num));
		} else {
			rec_put_be64(hdr + 1, v[i].len);
			gcry_md_write(md, hdr, sizeof(hdr));
			if (v[i].len > 0)
				gcry_md_write(md, v[i].p, v[i].len);
		}
	}
	memcpy(out, gcry_md_read(md, GCRY_MD_SHA256), REC_HASH_LEN);
}

struct rec_val
rec_int(int64_t i)
{
	struct rec_val v = { .type = SQLITE_INTEGER, .i = i };

	return v;
}

/* Fields are fixed arrays: never read past one that lacks its NUL. */
#define rec_text(field)	rec_text_n((field), strnlen((field), sizeof(field)))

struct rec_val
rec_text_n(const char *s, size_t len)
{
	struct rec_val v = { .type = SQLITE_TEXT, .p = s, .len = len };

	return v;
}

void
rec_flow_vals(const struct rec_flow *f, struct rec_val v[REC_FLOW_COLS])
{
	size_t i = 0;

	v[i++] = rec_int(f->start_us);
	v[i++] = rec_int(f->end_us);
	v[i++] = rec_int((int64_t)((uint64_t)f->end_us - (uint64_t)f->start_us));
	v[i++] = rec_text(f->device);
	v[i++] = rec_text(f->mac);
	v[i++] = rec_text(f->ip);
	v[i++] = rec_text(f->person);
	v[i++] = rec_text(f->group);
	v[i++] = rec_text(f->app);
	v[i++] = rec_text(f->category);
	v[i++] = rec_text(f->host);
	v[i++] = rec_text(f->host_source);
	v[i++] = rec_text(f->dst_ip);
	v[i++] = rec_int(f->dst_port);
	v[i++] = rec_text(f->transport);
	v[i++] = rec_int((int64_t)f->bytes_out);
	v[i++] = rec_int((int64_t)f->bytes_in);
	v[i++] = rec_int((int64_t)f->pkts_out);
	v[i++] = rec_int((int64_t)f->pkts_in);
	v[i++] = rec_text(f->action);
	v[i++] = rec_text(f->rule);
	v[i++] = rec_text(f->clause);
	v[i++] = rec_int(f->in_school_hours ? 1 : 0);
	v[i++] = rec_text(f->source);
	v[i++] = rec_text(f->id_source);
}

/* Bind vals to ?1..?n, then prev and hash to ?n+1 and ?n+2. */
static int
rec_bind_row(sqlite3_stmt *s, const struct rec_val *v, size_t n,
    const uint8_t prev[REC_HASH_LEN], const uint8_t hash[REC_HASH_LEN])
{
	int rc = SQLITE_OK;

	for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
		int col = (int)i + 1;

		if (v[i].type == SQLITE_INTEGER)
			rc = sqlite3_bind_int64(s, col, v[i].i);
		else
			rc = sqlite3_bind_text(s, col, v[i].p, (int)v[i].len,
			    SQLITE_STATIC);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(s, (int)n + 1, prev, REC_HASH_LEN,
		    SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(s, (int)n + 2, hash, REC_HASH_LEN,
		    SQLITE_STATIC);
	return rc;
}

int
rec_insert_row(sqlite3_stmt *s, gcry_md_hd_t md, const struct rec_val *v,
    size_t n, uint8_t head[REC_HASH_LEN])
{
	uint8_t hash[REC_HASH_LEN];
	int rc;

	rec_hash_row(md, head, v, n, hash);
	rc = rec_bind_row(s, v, n, head, hash);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return rc;
	memcpy(head, hash, REC_HASH_LEN);
	return SQLITE_OK;
}

static char *
rec_insert_sql(const char *table, const char *const *cols, size_t n)
{
	char *sql;
	size_t len = 64 + strlen(table);

	for (size_t i = 0; i < n; i++)
		len += strlen(cols[i]) + 8;
	if ((sql = malloc(len)) == NULL)
		return NULL;
	size_t off = (size_t)snprintf(sql, len, "INSERT INTO %s (", table);
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(sql + off, len - off, "%s, ", cols[i]);
	off += (size_t)snprintf(sql + off, len - off,
	    "prev_hash, hash) VALUES (");
	for (size_t i = 0; i < n + 2; i++)
		off += (size_t)snprintf(sql + off, len - off, "?%s",
		    i + 1 < n + 2 ? "," : ")");
	return sql;
}

int
rec_prepare_insert(sqlite3 *db, const char *table, const char *const *cols,
    size_t n, sqlite3_stmt **out)
{
	char *sql;
	int rc;

	if ((sql = rec_insert_sql(table, cols, n)) == NULL)
		return SQLITE_NOMEM;
	rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out,
	    NULL);
	free(sql);
	return rc;
}

int
rec_read_end(sqlite3 *db, const char *table, int64_t *id,
    uint8_t head[REC_HASH_LEN])
{
	char sql[64];
	sqlite3_stmt *s = NULL;
	int64_t ckev;
	int rc;

	*id = 0;
	memset(head, 0, REC_HASH_LEN);
	snprintf(sql, sizeof(sql), "SELECT id, hash FROM %s ORDER BY id DESC"
	    " LIMIT 1", table);
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL)) != SQLITE_OK)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		if (sqlite3_column_bytes(s, 1) == REC_HASH_LEN)
			memcpy(head, sqlite3_column_blob(s, 1), REC_HASH_LEN);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
		if (strcmp(table, "flows") == 0 &&
		    rec_read_checkpoint(db, true, head, id, &ckev) != 1) {
			*id = 0;
			memset(head, 0, REC_HASH_LEN);
		}
	}
	sqlite3_finalize(s);
	return rc;
}

int
rec_read_head(sqlite3 *db, const char *table, uint8_t head[REC_HASH_LEN])
{
	int64_t id;

	return rec_read_end(db, table, &id, head);
}

/* Rebuild the value list from what the database holds now. */
static void
rec_row_vals(sqlite3_stmt *s, int first, size_t n, struct rec_val *v)
{
	for (size_t i = 0; i < n; i++) {
		int col = first + (int)i;
		double d;

		memset(&v[i], 0, sizeof(v[i]));
		v[i].type = sqlite3_column_type(s, col);
		switch (v[i].type) {
		case SQLITE_INTEGER:
			v[i].i = sqlite3_column_int64(s, col);
			break;
		case SQLITE_FLOAT:
			d = sqlite3_column_double(s, col);
			memcpy(&v[i].i, &d, sizeof(d));
			break;
		case SQLITE_TEXT:
			v[i].p = sqlite3_column_text(s, col);
			v[i].len = (size_t)sqlite3_column_bytes(s, col);
			break;
		case SQLITE_BLOB:
			v[i].p = sqlite3_column_blob(s, col);
			v[i].len = (size_t)sqlite3_column_bytes(s, col);
			break;
		default:
			break;
		}
	}
}

static void
rec_verify_fail(struct rec_verify_result *res, const char *table, int64_t id,
    const char *why)
{
	res->ok = false;
	snprintf(res->table, sizeof(res->table), "%s", table);
	res->bad_id = id;
	snprintf(res->reason, sizeof(res->reason), "row %" PRId64 ": %s", id,
	    why);
}

static char *
rec_select_sql(const char *table, const char *const *cols, size_t n)
{
	char *sql;
	size_t len = 96 + strlen(table);

	for (size_t i = 0; i < n; i++)
		len += strlen(cols[i]) + 2;
	if ((sql = malloc(len)) == NULL)
		return NULL;
	size_t off = (size_t)snprintf(sql, len, "SELECT id");
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(sql + off, len - off, ", %s", cols[i]);
	snprintf(sql + off, len - off, ", prev_hash, hash FROM %s ORDER BY id",
	    table);
	return sql;
}

/*
 * Walk one table.  A row whose hash does not match its own columns was
 * edited; a row whose prev_hash is not its predecessor's hash follows a
 * deleted, inserted or edited row.
 */
static int
rec_verify_table(sqlite3 *db, gcry_md_hd_t md, const char *table,
    const char *const *cols, size_t n, const uint8_t start[REC_HASH_LEN],
    int64_t start_id, struct rec_verify_result *res)
{
	struct rec_val v[REC_MAX_COLS];
	uint8_t expect[REC_HASH_LEN], calc[REC_HASH_LEN];
	sqlite3_stmt *s = NULL;
	char *sql;
	int rc;

	if ((sql = rec_select_sql(table, cols, n)) == NULL)
		return SQLITE_NOMEM;
	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return rc;
	memcpy(expect, start, REC_HASH_LEN);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const void *prev = sqlite3_column_blob(s, (int)n + 1);
		const void *hash = sqlite3_column_blob(s, (int)n + 2);

		if (sqlite3_column_bytes(s, (int)n + 1) != REC_HASH_LEN ||
		    sqlite3_column_bytes(s, (int)n + 2) != REC_HASH_LEN) {
			rec_verify_fail(res, table, id,
			    "hash does not match its contents");
			break;
		}
		rec_row_vals(s, 1, n, v);
		rec_hash_row(md, prev, v, n, calc);
		if (memcmp(calc, hash, REC_HASH_LEN) != 0) {
			rec_verify_fail(res, table, id,
			    "hash does not match its contents");
			break;
		}
		if (memcmp(prev, expect, REC_HASH_LEN) != 0 ||
		    id <= start_id) {
			rec_verify_fail(res, table, id,
			    "previous row missing or changed");
			break;
		}
		memcpy(expect, hash, REC_HASH_LEN);
		start_id = id;
		res->verified++;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * A version 1 database (not yet opened for writing) has no id_source; up
 * to version 2 the checkpoint is in meta; version 3 has it as an event,
 * and a chained seals table.
 */
int
rec_verify_db(sqlite3 *db, gcry_md_hd_t md, int version,
    struct rec_verify_result *res)
{
	uint8_t start[REC_HASH_LEN];
	int64_t start_id = 0, ckev;
	int rc, ck;

	memset(start, 0, sizeof(start));
	if ((ck = rec_read_checkpoint(db, version < 3, start, &start_id,
	    &ckev)) == -1) {
		res->ok = false;
		snprintf(res->table, sizeof(res->table), "events");
		res->bad_id = ckev;
		snprintf(res->reason, sizeof(res->reason),
		    "the flows checkpoint is malformed");
		return SQLITE_OK;
	}
	if (ck == 0)
		memset(start, 0, sizeof(start));
	rc = rec_verify_table(db, md, "flows", rec_flow_cols,
	    version == 1 ? REC_FLOW_COLS - 1 : REC_FLOW_COLS, start, start_id,
	    res);
	if (rc != SQLITE_OK || !res->ok)
		return rc;
	memset(start, 0, sizeof(start));
	rc = rec_verify_table(db, md, "events", rec_event_cols,
	    REC_EVENT_COLS, start, 0, res);
	if (rc != SQLITE_OK || !res->ok || version < 3)
		return rc;
	return rec_verify_table(db, md, "seals", rec_seal_cols,
	    REC_SEAL_COLS, start, 0, res);
}

enum rec_error
rec_verify(const char *path, struct rec_verify_result *res)
{
	return rec_verify_sealed(path, NULL, NULL, res);
}
