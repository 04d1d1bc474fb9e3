/*
 * The usage record store: the SQLite file, its schema, the batches of
 * flow rows and the event rows.  How each row is hashed and chained is
 * chain.c's; purging old rows is purge.c's (records_impl.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "records_impl.h"

/*
 * Version 2 added flows.id_source.  A version 1 database is upgraded in
 * place when opened for writing; its old rows keep id_source NULL, and a
 * NULL id_source is left out of the row's hash (chain.c), so they still
 * verify.  Version 3 added the seals table (seal.c) and moved the flows
 * checkpoint from the unhashed meta table into a chained "checkpoint"
 * event (purge.c); a version 2 database is upgraded when opened for
 * writing, its checkpoint becoming that event.
 */
#define REC_SCHEMA_VERSION	"3"

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS flows ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " start_us INTEGER, end_us INTEGER, duration_us INTEGER,"
    " device TEXT, mac TEXT, ip TEXT, person TEXT, grp TEXT, app TEXT,"
    " category TEXT, host TEXT, host_source TEXT, dst_ip TEXT,"
    " dst_port INTEGER, transport TEXT, bytes_out INTEGER,"
    " bytes_in INTEGER, pkts_out INTEGER, pkts_in INTEGER, action TEXT,"
    " rule TEXT, clause TEXT, in_school_hours INTEGER, source TEXT,"
    " id_source TEXT, prev_hash BLOB, hash BLOB);"
    "CREATE INDEX IF NOT EXISTS flows_start ON flows(start_us);"
    "CREATE INDEX IF NOT EXISTS flows_person ON flows(person);"
    "CREATE TABLE IF NOT EXISTS events ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " ts_us INTEGER, kind TEXT, detail TEXT, prev_hash BLOB, hash BLOB);"
    "CREATE TABLE IF NOT EXISTS seals ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " seq INTEGER, ts_us INTEGER, flow_id INTEGER, flow_head TEXT,"
    " event_id INTEGER, event_head TEXT, mac TEXT, prev_hash BLOB,"
    " hash BLOB);"
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '"
    REC_SCHEMA_VERSION "');";

static const char *const rec_errstr[] = {
	[REC_OK] = "no error",
	[REC_ERR_OPEN] = "cannot open or create the database",
	[REC_ERR_SCHEMA] = "database schema is missing or unknown",
	[REC_ERR_FULL] = "database or disk is full",
	[REC_ERR_BUSY] = "database is locked by another writer",
	[REC_ERR_IO] = "database I/O error",
	[REC_ERR_NOMEM] = "out of memory",
};

const char *
rec_strerror(enum rec_error e)
{
	if ((unsigned)e >= sizeof(rec_errstr) / sizeof(rec_errstr[0]))
		return "unknown error";
	return rec_errstr[e];
}

const char *
rec_errmsg(struct rec_store *st)
{
	return st->errmsg;
}

enum rec_error
rec_map_sqlite(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return REC_OK;
	case SQLITE_FULL:
		return REC_ERR_FULL;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return REC_ERR_BUSY;
	case SQLITE_NOMEM:
		return REC_ERR_NOMEM;
	case SQLITE_CANTOPEN:
	case SQLITE_NOTADB:
	case SQLITE_PERM:
	case SQLITE_READONLY:
		return REC_ERR_OPEN;
	default:
		return REC_ERR_IO;
	}
}

/* Remember SQLite's message now: a later call would overwrite it. */
enum rec_error
rec_fail(struct rec_store *st, int rc)
{
	snprintf(st->errmsg, sizeof(st->errmsg), "%s", sqlite3_errmsg(st->db));
	return rec_map_sqlite(rc);
}

int
rec_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

void
rec_rollback(sqlite3 *db)
{
	/* SQLite may already have rolled back by itself (SQLITE_FULL). */
	if (!sqlite3_get_autocommit(db))
		rec_exec(db, "ROLLBACK");
}

int
rec_check_schema(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	int version = -1;

	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key ="
	    " 'schema_version'", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 0);

		if (v != NULL && strcmp(v, REC_SCHEMA_VERSION) == 0)
			version = 3;
		else if (v != NULL && strcmp(v, "2") == 0)
			version = 2;
		else if (v != NULL && strcmp(v, "1") == 0)
			version = 1;
	}
	sqlite3_finalize(s);
	return version;
}

static int
rec_upgrade(sqlite3 *db)
{
	int v = rec_check_schema(db);

	if (v != 1)
		return v >= 2 ? SQLITE_OK : SQLITE_ERROR;
	return rec_exec(db, "BEGIN IMMEDIATE;"
	    "ALTER TABLE flows ADD COLUMN id_source TEXT;"
	    "UPDATE meta SET value = '2' WHERE key = 'schema_version';"
	    "COMMIT;");
}

/* Version 2 to 3: the meta checkpoint becomes a chained event. */
static int
rec_upgrade_tx(struct rec_store *st, gcry_md_hd_t md,
    uint8_t head[REC_HASH_LEN], void *arg)
{
	uint8_t hash[REC_HASH_LEN];
	int64_t id, ev;
	int rc, ck;

	if ((ck = rec_read_checkpoint(st->db, true, hash, &id, &ev)) == -1)
		return SQLITE_CORRUPT;
	if (ck == 1 && (rc = rec_insert_checkpoint(st, md, head, id,
	    hash)) != SQLITE_OK)
		return rc;
	return rec_exec(st->db, "DELETE FROM meta WHERE key IN"
	    " ('flows_checkpoint', 'flows_checkpoint_id');"
	    "UPDATE meta SET value = '" REC_SCHEMA_VERSION "'"
	    " WHERE key = 'schema_version';");
}

static enum rec_error
rec_upgrade_v3(struct rec_store *st)
{
	if (rec_check_schema(st->db) != 2)
		return REC_OK;
	return rec_chain_tx(st, st->event_head, rec_upgrade_tx, NULL);
}

/*
 * Create it ourselves so its mode is 0640 whatever the umask.  An existing
 * file is only checked, never opened: closing any descriptor of it would
 * drop every POSIX lock this process holds on it, including those of a
 * connection already open (the daemon's writer), and another process
 * could then checkpoint and delete the WAL that connection writes to.
 */
static int
rec_create_file(const char *path)
{
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd == -1 && errno == EEXIST)
		return faccessat(AT_FDCWD, path, R_OK | W_OK, AT_EACCESS);
	if (fd == -1)
		return -1;
	if (fchmod(fd, 0640) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
rec_set_pragmas(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	int rc, wal = 0;

	if ((rc = sqlite3_busy_timeout(db, REC_BUSY_MS)) != SQLITE_OK)
		return rc;
	rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(s, 0);

		wal = m != NULL && strcmp(m, "wal") == 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK)
		return rc;
	if (!wal)
		return SQLITE_CANTOPEN;
	return rec_exec(db, "PRAGMA synchronous=NORMAL");
}

struct rec_store *
rec_open(const char *path, enum rec_error *err)
{
	struct rec_store *st;
	int rc;

	rec_crypto_init();
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		*err = REC_ERR_NOMEM;
		return NULL;
	}
	st->pending_max = REC_PENDING_MAX;
	if (rec_create_file(path) == -1) {
		*err = REC_ERR_OPEN;
		goto free_store;
	}
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		*err = REC_ERR_OPEN;
		goto close_db;
	}
	sqlite3_extended_result_codes(st->db, 1);
	if ((rc = rec_set_pragmas(st->db)) != SQLITE_OK) {
		*err = rec_map_sqlite(rc) == REC_ERR_IO ? REC_ERR_OPEN :
		    rec_map_sqlite(rc);
		goto close_db;
	}
	if ((rc = rec_exec(st->db, schema_sql)) != SQLITE_OK) {
		*err = rec_map_sqlite(rc) == REC_ERR_IO ? REC_ERR_SCHEMA :
		    rec_map_sqlite(rc);
		goto close_db;
	}
	if (rec_upgrade(st->db) != SQLITE_OK) {
		rec_rollback(st->db);
		*err = REC_ERR_SCHEMA;
		goto close_db;
	}
	if (rec_prepare_insert(st->db, "flows", rec_flow_cols, REC_FLOW_COLS,
	    &st->ins_flow) != SQLITE_OK ||
	    rec_prepare_insert(st->db, "events", rec_event_cols, REC_EVENT_COLS,
	    &st->ins_event) != SQLITE_OK ||
	    rec_read_head(st->db, "flows", st->flow_head) != SQLITE_OK ||
	    rec_read_head(st->db, "events", st->event_head) != SQLITE_OK ||
	    rec_upgrade_v3(st) != REC_OK) {
		*err = REC_ERR_SCHEMA;
		goto close_db;
	}
	*err = REC_OK;
	return st;

 close_db:
	sqlite3_finalize(st->ins_flow);
	sqlite3_finalize(st->ins_event);
	sqlite3_close(st->db);
 free_store:
	free(st);
	return NULL;
}

void
rec_close(struct rec_store *st)
{
	if (st == NULL)
		return;
	rec_flush(st);
	sqlite3_finalize(st->ins_flow);
	sqlite3_finalize(st->ins_event);
	sqlite3_close(st->db);
	free(st->ring);
	free(st);
}

enum rec_error
rec_set_max_size(struct rec_store *st, uint64_t max_bytes)
{
	char sql[64];
	uint64_t pages = 0xfffffffe;	/* SQLite's own ceiling */
	int64_t page_size = 4096;
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA page_size", -1, &s, NULL) ==
	    SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		page_size = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (max_bytes != 0 && page_size > 0 &&
	    max_bytes / (uint64_t)page_size < pages)
		pages = max_bytes / (uint64_t)page_size;
	if (pages == 0)
		pages = 1;
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count=%" PRIu64, pages);
	if ((rc = rec_exec(st->db, sql)) != SQLITE_OK)
		return rec_fail(st, rc);
	return REC_OK;
}

static enum rec_error
rec_ring_grow(struct rec_store *st)
{
	size_t cap = st->ring_cap == 0 ? REC_BATCH_ROWS : st->ring_cap * 2;
	struct rec_flow *r;

	if (cap > st->pending_max)
		cap = st->pending_max;
	if ((r = calloc(cap, sizeof(*r))) == NULL)
		return REC_ERR_NOMEM;
	for (size_t i = 0; i < st->ring_count; i++)
		r[i] = st->ring[(st->ring_first + i) % st->ring_cap];
	free(st->ring);
	st->ring = r;
	st->ring_cap = cap;
	st->ring_first = 0;
	return REC_OK;
}

static void
rec_ring_drop_oldest(struct rec_store *st)
{
	st->ring_first = (st->ring_first + 1) % st->ring_cap;
	st->ring_count--;
	st->dropped++;
}

enum rec_error
rec_add_flow(struct rec_store *st, const struct rec_flow *f)
{
	enum rec_error e;

	if (st->ring_count == st->ring_cap) {
		if (st->ring_cap < st->pending_max) {
			if ((e = rec_ring_grow(st)) != REC_OK) {
				st->dropped++;
				return e;
			}
		} else
			rec_ring_drop_oldest(st);
	}
	st->ring[(st->ring_first + st->ring_count) % st->ring_cap] = *f;
	st->ring_count++;
	/* While failing, retry once per batch, not on every row. */
	if (++st->since_attempt >= REC_BATCH_ROWS)
		return rec_flush(st);
	return REC_OK;
}

/*
 * Write chained rows in one transaction: body inserts them after a working
 * copy of head, which becomes the table's head only once COMMIT succeeds.
 */
enum rec_error
rec_chain_tx(struct rec_store *st, uint8_t head[REC_HASH_LEN],
    rec_tx_fn body, void *arg)
{
	uint8_t work[REC_HASH_LEN];
	gcry_md_hd_t md;
	int rc;

	if (gcry_md_open(&md, GCRY_MD_SHA256, 0) != 0)
		return REC_ERR_NOMEM;
	memcpy(work, head, REC_HASH_LEN);
	if ((rc = rec_exec(st->db, "BEGIN IMMEDIATE")) != SQLITE_OK)
		goto close_md;
	if ((rc = body(st, md, work, arg)) != SQLITE_OK ||
	    (rc = rec_exec(st->db, "COMMIT")) != SQLITE_OK)
		goto rollback;
	memcpy(head, work, REC_HASH_LEN);
	gcry_md_close(md);
	return REC_OK;

 rollback:
	snprintf(st->errmsg, sizeof(st->errmsg), "%s", sqlite3_errmsg(st->db));
	rec_rollback(st->db);
	gcry_md_close(md);
	return rec_map_sqlite(rc);
 close_md:
	gcry_md_close(md);
	return rec_fail(st, rc);
}

static int
rec_write_ring(struct rec_store *st, gcry_md_hd_t md,
    uint8_t head[REC_HASH_LEN], void *arg)
{
	struct rec_val v[REC_FLOW_COLS];
	int rc;

	for (size_t i = 0; i < st->ring_count; i++) {
		rec_flow_vals(&st->ring[(st->ring_first + i) % st->ring_cap],
		    v);
		if ((rc = rec_insert_row(st->ins_flow, md, v, REC_FLOW_COLS,
		    head)) != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

enum rec_error
rec_flush(struct rec_store *st)
{
	enum rec_error e;

	st->since_attempt = 0;
	if (st->ring_count == 0)
		return REC_OK;
	if ((e = rec_chain_tx(st, st->flow_head, rec_write_ring, NULL)) !=
	    REC_OK)
		return e;
	st->committed += st->ring_count;
	st->ring_first = 0;
	st->ring_count = 0;
	return REC_OK;
}

size_t
rec_pending(const struct rec_store *st)
{
	return st->ring_count;
}

uint64_t
rec_dropped(const struct rec_store *st)
{
	return st->dropped;
}

uint64_t
rec_committed(const struct rec_store *st)
{
	return st->committed;
}

void
rec_set_pending_max(struct rec_store *st, size_t rows)
{
	st->pending_max = rows < REC_BATCH_ROWS ? REC_BATCH_ROWS : rows;
}

int
rec_insert_event(struct rec_store *st, gcry_md_hd_t md,
    uint8_t head[REC_HASH_LEN], int64_t ts_us, const char *kind,
    const char *detail)
{
	struct rec_val v[REC_EVENT_COLS];

	if (kind == NULL)
		kind = "";
	if (detail == NULL)
		detail = "";
	v[0] = rec_int(ts_us);
	v[1] = rec_text_n(kind, strlen(kind));
	v[2] = rec_text_n(detail, strlen(detail));
	return rec_insert_row(st->ins_event, md, v, REC_EVENT_COLS, head);
}

enum rec_error
rec_event(struct rec_store *st, int64_t ts_us, const char *kind,
    const char *detail)
{
	uint8_t head[REC_HASH_LEN];
	gcry_md_hd_t md;
	int rc;

	if (gcry_md_open(&md, GCRY_MD_SHA256, 0) != 0)
		return REC_ERR_NOMEM;
	memcpy(head, st->event_head, REC_HASH_LEN);
	/* Autocommit: the row is written, or not at all. */
	rc = rec_insert_event(st, md, head, ts_us, kind, detail);
	gcry_md_close(md);
	if (rc != SQLITE_OK)
		return rec_fail(st, rc);
	memcpy(st->event_head, head, REC_HASH_LEN);
	return REC_OK;
}

/*
 * The newest event other than an "import", so a daemon
 * starting up can tell whether the last run stopped cleanly.
 */
enum rec_error
rec_last_event(struct rec_store *st, char *kind, size_t kindlen,
    int64_t *ts_us)
{
	sqlite3_stmt *s = NULL;
	int rc;

	kind[0] = '\0';
	*ts_us = 0;
	rc = sqlite3_prepare_v2(st->db, "SELECT kind, ts_us FROM events WHERE "
	    "kind != 'import' ORDER BY id DESC LIMIT 1", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rec_fail(st, rc);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		snprintf(kind, kindlen, "%s",
		    (const char *)sqlite3_column_text(s, 0));
		*ts_us = sqlite3_column_int64(s, 1);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(s);
	return rc == SQLITE_OK ? REC_OK : rec_fail(st, rc);
}
