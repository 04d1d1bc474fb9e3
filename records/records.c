/*
 * The usage record store.  Each row of flows and events carries
 * hash = SHA-256(prev_hash || encoding of its columns), where every column
 * is encoded as a type byte, an 8-byte big-endian length and its bytes, so
 * no edit can move a boundary between fields and keep the hash.  The same
 * value list is used to bind a row and to hash it, and rec_verify rebuilds
 * that list from what SQLite returns, so writer and verifier cannot drift.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gcrypt.h>
#include <sqlite3.h>

#include "records.h"

#define REC_HASH_LEN		32
#define REC_SCHEMA_VERSION	"1"
#define REC_BUSY_MS		2000
#define REC_FLOW_COLS		24
#define REC_EVENT_COLS		3
#define REC_MAX_COLS		REC_FLOW_COLS

struct rec_store {
	sqlite3		*db;
	sqlite3_stmt	*ins_flow;
	sqlite3_stmt	*ins_event;
	uint8_t		 flow_head[REC_HASH_LEN];	/* hash of the last row */
	uint8_t		 event_head[REC_HASH_LEN];

	/* Ring of rows not yet committed, oldest at ring_first. */
	struct rec_flow	*ring;
	size_t		 ring_cap;
	size_t		 ring_first;
	size_t		 ring_count;
	size_t		 since_attempt;	/* rows added since the last flush */
	size_t		 pending_max;	/* ring_cap's bound */
	uint64_t	 dropped;
	uint64_t	 committed;	/* flow rows written */

	char		 errmsg[256];
};

/* One column value, the same for binding, hashing and verifying. */
struct rec_val {
	int		 type;		/* SQLITE_INTEGER, SQLITE_TEXT... */
	int64_t		 i;
	const void	*p;
	size_t		 len;
};

static const char *const flow_cols[REC_FLOW_COLS] = {
	"start_us", "end_us", "duration_us", "device", "mac", "ip", "person",
	"grp", "app", "category", "host", "host_source", "dst_ip", "dst_port",
	"transport", "bytes_out", "bytes_in", "pkts_out", "pkts_in", "action",
	"rule", "clause", "in_school_hours", "source",
};

static const char *const event_cols[REC_EVENT_COLS] = {
	"ts_us", "kind", "detail",
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS flows ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " start_us INTEGER, end_us INTEGER, duration_us INTEGER,"
    " device TEXT, mac TEXT, ip TEXT, person TEXT, grp TEXT, app TEXT,"
    " category TEXT, host TEXT, host_source TEXT, dst_ip TEXT,"
    " dst_port INTEGER, transport TEXT, bytes_out INTEGER,"
    " bytes_in INTEGER, pkts_out INTEGER, pkts_in INTEGER, action TEXT,"
    " rule TEXT, clause TEXT, in_school_hours INTEGER, source TEXT,"
    " prev_hash BLOB, hash BLOB);"
    "CREATE INDEX IF NOT EXISTS flows_start ON flows(start_us);"
    "CREATE INDEX IF NOT EXISTS flows_person ON flows(person);"
    "CREATE TABLE IF NOT EXISTS events ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " ts_us INTEGER, kind TEXT, detail TEXT, prev_hash BLOB, hash BLOB);"
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

static enum rec_error
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
static enum rec_error
rec_fail(struct rec_store *st, int rc)
{
	snprintf(st->errmsg, sizeof(st->errmsg), "%s", sqlite3_errmsg(st->db));
	return rec_map_sqlite(rc);
}

/* Libgcrypt insists on one version check before first use. */
static void
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

static struct rec_val
rec_int(int64_t i)
{
	struct rec_val v = { .type = SQLITE_INTEGER, .i = i };

	return v;
}

/* Fields are fixed arrays: never read past one that lacks its NUL. */
#define rec_text(field)	rec_text_n((field), strnlen((field), sizeof(field)))

static struct rec_val
rec_text_n(const char *s, size_t len)
{
	struct rec_val v = { .type = SQLITE_TEXT, .p = s, .len = len };

	return v;
}

static void
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

/* Insert one chained row; head moves only if the caller commits. */
static int
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

static int
rec_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static void
rec_rollback(sqlite3 *db)
{
	/* SQLite may already have rolled back by itself (SQLITE_FULL). */
	if (!sqlite3_get_autocommit(db))
		rec_exec(db, "ROLLBACK");
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

static int
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

static int
rec_hex_decode(const char *hex, size_t hexlen, uint8_t out[REC_HASH_LEN])
{
	if (hexlen != 2 * REC_HASH_LEN)
		return -1;
	for (size_t i = 0; i < REC_HASH_LEN; i++) {
		unsigned int v = 0;

		for (size_t j = 0; j < 2; j++) {
			char c = hex[2 * i + j];

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else
				return -1;
		}
		out[i] = (uint8_t)v;
	}
	return 0;
}

static void
rec_hex_encode(const uint8_t in[REC_HASH_LEN], char out[2 * REC_HASH_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < REC_HASH_LEN; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * REC_HASH_LEN] = '\0';
}

/* The flows checkpoint: 1 found, 0 none, -1 malformed or unreadable. */
static int
rec_read_checkpoint(sqlite3 *db, uint8_t hash[REC_HASH_LEN], int64_t *id)
{
	sqlite3_stmt *s = NULL;
	int found = 0, have_id = 0;

	*id = 0;
	if (sqlite3_prepare_v2(db, "SELECT key, value FROM meta WHERE key IN"
	    " ('flows_checkpoint', 'flows_checkpoint_id')", -1, &s,
	    NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s, 0);

		if (key != NULL && strcmp(key, "flows_checkpoint_id") == 0) {
			*id = sqlite3_column_int64(s, 1);
			have_id = 1;
			continue;
		}
		const char *hex = (const char *)sqlite3_column_text(s, 1);
		if (hex == NULL || rec_hex_decode(hex,
		    (size_t)sqlite3_column_bytes(s, 1), hash) == -1)
			found = -1;
		else if (found == 0)
			found = 1;
	}
	sqlite3_finalize(s);
	if (found == 1 && !have_id)
		return -1;
	return found;
}

/* The hash of the table's last row, or where its chain must start. */
static int
rec_read_head(sqlite3 *db, const char *table, uint8_t head[REC_HASH_LEN])
{
	char sql[64];
	sqlite3_stmt *s = NULL;
	int64_t ckid;
	int rc;

	memset(head, 0, REC_HASH_LEN);
	snprintf(sql, sizeof(sql), "SELECT hash FROM %s ORDER BY id DESC"
	    " LIMIT 1", table);
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL)) != SQLITE_OK)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 0) == REC_HASH_LEN)
			memcpy(head, sqlite3_column_blob(s, 0), REC_HASH_LEN);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
		if (strcmp(table, "flows") == 0 &&
		    rec_read_checkpoint(db, head, &ckid) != 1)
			memset(head, 0, REC_HASH_LEN);
	}
	sqlite3_finalize(s);
	return rc;
}

static int
rec_check_schema(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	int ok = 0;

	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key ="
	    " 'schema_version'", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 0);

		ok = v != NULL && strcmp(v, REC_SCHEMA_VERSION) == 0;
	}
	sqlite3_finalize(s);
	return ok ? 0 : -1;
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
	if (rec_check_schema(st->db) == -1) {
		*err = REC_ERR_SCHEMA;
		goto close_db;
	}
	if (rec_prepare_insert(st->db, "flows", flow_cols, REC_FLOW_COLS,
	    &st->ins_flow) != SQLITE_OK ||
	    rec_prepare_insert(st->db, "events", event_cols, REC_EVENT_COLS,
	    &st->ins_event) != SQLITE_OK ||
	    rec_read_head(st->db, "flows", st->flow_head) != SQLITE_OK ||
	    rec_read_head(st->db, "events", st->event_head) != SQLITE_OK) {
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

static int
rec_write_ring(struct rec_store *st, gcry_md_hd_t md,
    uint8_t head[REC_HASH_LEN])
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
	uint8_t head[REC_HASH_LEN];
	gcry_md_hd_t md;
	int rc;

	st->since_attempt = 0;
	if (st->ring_count == 0)
		return REC_OK;
	if (gcry_md_open(&md, GCRY_MD_SHA256, 0) != 0)
		return REC_ERR_NOMEM;
	memcpy(head, st->flow_head, REC_HASH_LEN);
	if ((rc = rec_exec(st->db, "BEGIN IMMEDIATE")) != SQLITE_OK)
		goto close_md;
	if ((rc = rec_write_ring(st, md, head)) != SQLITE_OK ||
	    (rc = rec_exec(st->db, "COMMIT")) != SQLITE_OK)
		goto rollback;
	memcpy(st->flow_head, head, REC_HASH_LEN);
	st->committed += st->ring_count;
	st->ring_first = 0;
	st->ring_count = 0;
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

static int
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
 * The last row of the longest prefix of the chain that ended before the
 * cutoff.  Only a prefix can go, else the chain would have holes; a row
 * that ended early but follows a newer one waits for the next purge.
 */
static int
rec_purge_boundary(sqlite3 *db, int64_t cutoff_us, int64_t *last_id,
    uint8_t hash[REC_HASH_LEN])
{
	sqlite3_stmt *s = NULL;
	int rc;

	*last_id = 0;
	rc = sqlite3_prepare_v2(db, "SELECT id, hash FROM flows WHERE id <"
	    " COALESCE((SELECT MIN(id) FROM flows WHERE end_us >= ?1),"
	    " 9223372036854775807) ORDER BY id DESC LIMIT 1", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, cutoff_us);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*last_id = sqlite3_column_int64(s, 0);
		memset(hash, 0, REC_HASH_LEN);
		if (sqlite3_column_bytes(s, 1) == REC_HASH_LEN)
			memcpy(hash, sqlite3_column_blob(s, 1), REC_HASH_LEN);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(s);
	return rc;
}

static int
rec_delete_upto(sqlite3 *db, int64_t last_id, uint64_t *deleted)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "DELETE FROM flows WHERE id <= ?1", -1,
	    &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, last_id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return rc;
	*deleted = (uint64_t)sqlite3_changes64(db);
	return SQLITE_OK;
}

static int
rec_store_checkpoint(sqlite3 *db, int64_t last_id,
    const uint8_t hash[REC_HASH_LEN])
{
	char hex[2 * REC_HASH_LEN + 1];
	sqlite3_stmt *s = NULL;
	int rc;

	rec_hex_encode(hash, hex);
	rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta(key, value)"
	    " VALUES ('flows_checkpoint', ?1), ('flows_checkpoint_id', ?2)",
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(s, 1, hex, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, last_id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
rec_purge_tx(struct rec_store *st, gcry_md_hd_t md, int64_t cutoff_us,
    uint8_t event_head[REC_HASH_LEN], uint64_t *deleted)
{
	uint8_t hash[REC_HASH_LEN];
	char detail[160];
	int64_t last_id;
	int rc;

	*deleted = 0;
	if ((rc = rec_purge_boundary(st->db, cutoff_us, &last_id, hash)) !=
	    SQLITE_OK)
		return rc;
	if (last_id > 0) {
		if ((rc = rec_delete_upto(st->db, last_id, deleted)) !=
		    SQLITE_OK ||
		    (rc = rec_store_checkpoint(st->db, last_id, hash)) !=
		    SQLITE_OK)
			return rc;
	}
	snprintf(detail, sizeof(detail), "deleted %" PRIu64 " flows ending"
	    " before %" PRId64 "; checkpoint at row %" PRId64, *deleted,
	    cutoff_us, last_id);
	return rec_insert_event(st, md, event_head, cutoff_us, "purge",
	    detail);
}

enum rec_error
rec_purge(struct rec_store *st, int64_t cutoff_us, uint64_t *deleted)
{
	uint8_t head[REC_HASH_LEN];
	uint64_t n = 0;
	gcry_md_hd_t md;
	int rc;

	if (gcry_md_open(&md, GCRY_MD_SHA256, 0) != 0)
		return REC_ERR_NOMEM;
	memcpy(head, st->event_head, REC_HASH_LEN);
	if ((rc = rec_exec(st->db, "BEGIN IMMEDIATE")) != SQLITE_OK)
		goto close_md;
	if ((rc = rec_purge_tx(st, md, cutoff_us, head, &n)) != SQLITE_OK ||
	    (rc = rec_exec(st->db, "COMMIT")) != SQLITE_OK)
		goto rollback;
	memcpy(st->event_head, head, REC_HASH_LEN);
	gcry_md_close(md);
	if (deleted != NULL)
		*deleted = n;
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

static int
rec_verify_db(sqlite3 *db, gcry_md_hd_t md, struct rec_verify_result *res)
{
	uint8_t start[REC_HASH_LEN];
	int64_t start_id = 0;
	int rc, ck;

	memset(start, 0, sizeof(start));
	if ((ck = rec_read_checkpoint(db, start, &start_id)) == -1) {
		res->ok = false;
		snprintf(res->table, sizeof(res->table), "meta");
		snprintf(res->reason, sizeof(res->reason),
		    "meta: flows checkpoint is malformed");
		return SQLITE_OK;
	}
	if (ck == 0)
		memset(start, 0, sizeof(start));
	rc = rec_verify_table(db, md, "flows", flow_cols, REC_FLOW_COLS,
	    start, start_id, res);
	if (rc != SQLITE_OK || !res->ok)
		return rc;
	memset(start, 0, sizeof(start));
	return rec_verify_table(db, md, "events", event_cols, REC_EVENT_COLS,
	    start, 0, res);
}

enum rec_error
rec_verify(const char *path, struct rec_verify_result *res)
{
	sqlite3 *db = NULL;
	gcry_md_hd_t md;
	enum rec_error e = REC_OK;
	int rc;

	rec_crypto_init();
	memset(res, 0, sizeof(*res));
	res->ok = true;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		e = REC_ERR_OPEN;
		goto close_db;
	}
	sqlite3_busy_timeout(db, REC_BUSY_MS);
	/* every row is read once: map the file instead of copying pages */
	sqlite3_exec(db, "PRAGMA mmap_size=1073741824", NULL, NULL, NULL);
	if (rec_check_schema(db) == -1) {
		e = REC_ERR_SCHEMA;
		goto close_db;
	}
	if (gcry_md_open(&md, GCRY_MD_SHA256, 0) != 0) {
		e = REC_ERR_NOMEM;
		goto close_db;
	}
	if ((rc = rec_verify_db(db, md, res)) != SQLITE_OK)
		e = rec_map_sqlite(rc);
	gcry_md_close(md);
 close_db:
	sqlite3_close(db);
	if (e != REC_OK)
		res->ok = false;
	return e;
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
