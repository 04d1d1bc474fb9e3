/*
 * Verifying a sealed store (seal.c has the scheme).  After the chains
 * of flows, events and seals (chain.c), every seal must
 *   - follow the one before it (seq + 1): a gap is truncation;
 *   - carry the MAC of k_seq, derived from the verification key, over
 *     what it names: else the sealing key was replaced or it was forged;
 *   - name flows and events rows that still hold the hashes it sealed
 *     (flows rows before the checkpoint excepted): else the newest rows
 *     were deleted, or rows rewritten and the chain recomputed.
 * A checkpoint written after sealing began must stand where a seal
 * stands (purge.c cuts only there): else the oldest rows were deleted
 * and the checkpoint forged.  Given the seals syslog received (anchors),
 * the database must hold each of them unchanged: else it was rolled back.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "records_impl.h"

#define SV_KEY_PREFIX	"sgv1-"

struct sv_ctx {
	sqlite3			*db;
	const uint8_t		*vkey;		/* NULL: MACs not checked */
	uint8_t			 key[REC_SEAL_KEY_LEN];	/* k_keyseq */
	uint64_t		 keyseq;
	int64_t			 ck_id;		/* flows checkpoint row */
	uint8_t			 ck_hash[REC_HASH_LEN];
	int64_t			 ck_event;	/* its events row, 0 none */
	int64_t			 first_seal_event;	/* -1: no seal yet */
	bool			 ck_sealed;
	struct rec_verify_result *res;
};

static void
sv_fail(struct sv_ctx *c, const char *table, int64_t id, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
sv_fail(struct sv_ctx *c, const char *table, int64_t id, const char *fmt, ...)
{
	va_list ap;

	c->res->ok = false;
	snprintf(c->res->table, sizeof(c->res->table), "%s", table);
	c->res->bad_id = id;
	va_start(ap, fmt);
	vsnprintf(c->res->reason, sizeof(c->res->reason), fmt, ap);
	va_end(ap);
}

static void
sv_key_checksum(const uint8_t vkey[REC_SEAL_KEY_LEN], uint8_t sum[4])
{
	static const char label[] = "schoolgate verification key";
	uint8_t buf[sizeof(label) - 1 + REC_SEAL_KEY_LEN], md[32];

	memcpy(buf, label, sizeof(label) - 1);
	memcpy(buf + sizeof(label) - 1, vkey, REC_SEAL_KEY_LEN);
	gcry_md_hash_buffer(GCRY_MD_SHA256, md, buf, sizeof(buf));
	memcpy(sum, md, 4);
	explicit_bzero(buf, sizeof(buf));
}

void
seal_key_text(const uint8_t vkey[REC_SEAL_KEY_LEN],
    char out[REC_SEAL_KEY_TEXT + 1])
{
	char hex[2 * REC_SEAL_KEY_LEN + 9];
	uint8_t sum[4];
	size_t o;

	rec_crypto_init();
	sv_key_checksum(vkey, sum);
	seal_hex(vkey, REC_SEAL_KEY_LEN, hex);
	seal_hex(sum, sizeof(sum), hex + 2 * REC_SEAL_KEY_LEN);
	memcpy(out, SV_KEY_PREFIX, sizeof(SV_KEY_PREFIX) - 1);
	o = sizeof(SV_KEY_PREFIX) - 1;
	for (size_t g = 0; g < 9; g++) {
		memcpy(out + o, hex + 8 * g, 8);
		o += 8;
		if (g < 8)
			out[o++] = '-';
	}
	out[o] = '\0';
	explicit_bzero(hex, sizeof(hex));
}

/* Spaces, dashes and line breaks are ignored: people copy it by hand. */
int
seal_key_parse(const char *text, uint8_t vkey[REC_SEAL_KEY_LEN])
{
	char hex[2 * REC_SEAL_KEY_LEN + 9];
	uint8_t buf[REC_SEAL_KEY_LEN + 4], sum[4];
	size_t n = 0;
	int rc = -1;

	rec_crypto_init();
	while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
		text++;
	if (strncasecmp(text, SV_KEY_PREFIX, sizeof(SV_KEY_PREFIX) - 1) != 0)
		return -1;
	for (text += sizeof(SV_KEY_PREFIX) - 1; *text != '\0'; text++) {
		if (strchr(" \t\r\n-", *text) != NULL)
			continue;
		if (n == sizeof(hex))
			goto wipe;
		hex[n++] = *text;
	}
	if (seal_unhex(hex, n, buf, sizeof(buf)) == -1)
		goto wipe;
	sv_key_checksum(buf, sum);
	rc = memcmp(sum, buf + REC_SEAL_KEY_LEN, 4) == 0 ? 0 : -2;
	if (rc == 0)
		memcpy(vkey, buf, REC_SEAL_KEY_LEN);
 wipe:
	explicit_bzero(hex, sizeof(hex));
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

static void
sv_time(int64_t us, char *out, size_t len)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* k_seq, walking forward from the last one derived. */
static void
sv_key_for(struct sv_ctx *c, uint64_t seq)
{
	if (seq < c->keyseq || c->keyseq == 0) {
		memcpy(c->key, c->vkey, REC_SEAL_KEY_LEN);
		c->keyseq = 0;
	}
	for (; c->keyseq < seq; c->keyseq++)
		seal_evolve(c->key);
}

/* 1 the row holds that hash, 0 it is missing, -1 it differs. */
static int
sv_row_is(sqlite3 *db, const char *table, int64_t id,
    const uint8_t hash[REC_HASH_LEN])
{
	char sql[64];
	sqlite3_stmt *s = NULL;
	int r = 0;

	snprintf(sql, sizeof(sql), "SELECT hash FROM %s WHERE id = ?1", table);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		r = sqlite3_column_bytes(s, 0) == REC_HASH_LEN &&
		    memcmp(sqlite3_column_blob(s, 0), hash, REC_HASH_LEN) == 0 ?
		    1 : -1;
	sqlite3_finalize(s);
	return r;
}

static int
sv_seal_body(sqlite3_stmt *s, struct rec_seal_body *b, uint8_t mac[32])
{
	const char *fh = (const char *)sqlite3_column_text(s, 4);
	const char *eh = (const char *)sqlite3_column_text(s, 6);
	const char *m = (const char *)sqlite3_column_text(s, 7);

	b->seq = (uint64_t)sqlite3_column_int64(s, 1);
	b->ts_us = sqlite3_column_int64(s, 2);
	b->flow_id = sqlite3_column_int64(s, 3);
	b->event_id = sqlite3_column_int64(s, 5);
	if (fh == NULL || eh == NULL || m == NULL ||
	    seal_unhex(fh, strlen(fh), b->flow_head, REC_HASH_LEN) == -1 ||
	    seal_unhex(eh, strlen(eh), b->event_head, REC_HASH_LEN) == -1 ||
	    seal_unhex(m, strlen(m), mac, REC_HASH_LEN) == -1)
		return -1;
	return 0;
}

/* What a seal names must still be there. */
static bool
sv_seal_rows(struct sv_ctx *c, int64_t id, const struct rec_seal_body *b)
{
	int r;

	if (b->flow_id > c->ck_id) {
		r = sv_row_is(c->db, "flows", b->flow_id, b->flow_head);
		if (r != 1) {
			sv_fail(c, "seals", id, "seal %" PRIu64 " names flows"
			    " row %" PRId64 ", which %s: %s", b->seq,
			    b->flow_id, r == 0 ? "is missing" : "has changed",
			    r == 0 ? "the newest rows were deleted" :
			    "rows were rewritten and the chain recomputed");
			return false;
		}
	}
	if (b->flow_id == c->ck_id && memcmp(b->flow_head, c->ck_hash,
	    REC_HASH_LEN) == 0)
		c->ck_sealed = true;
	if (b->event_id > 0 &&
	    (r = sv_row_is(c->db, "events", b->event_id, b->event_head)) != 1) {
		sv_fail(c, "seals", id, "seal %" PRIu64 " names events row %"
		    PRId64 ", which %s: %s", b->seq, b->event_id, r == 0 ?
		    "is missing" : "has changed", r == 0 ? "the newest events"
		    " were deleted" : "events were rewritten and the chain"
		    " recomputed");
		return false;
	}
	return true;
}

static bool
sv_seal(struct sv_ctx *c, int64_t id, const struct rec_seal_body *b,
    const uint8_t mac[REC_HASH_LEN], uint64_t prev_seq)
{
	uint8_t want[REC_HASH_LEN];

	if (b->seq != prev_seq + 1) {
		if (b->seq <= prev_seq)
			sv_fail(c, "seals", id, "seal %" PRIu64 " follows seal %"
			    PRIu64 ": the sequence restarts, so the sealing"
			    " state was replaced", b->seq, prev_seq);
		else if (b->seq == prev_seq + 2)
			sv_fail(c, "seals", id, "seal %" PRIu64 " is missing:"
			    " the records were truncated", prev_seq + 1);
		else
			sv_fail(c, "seals", id, "seals %" PRIu64 " to %" PRIu64
			    " are missing: the records were truncated",
			    prev_seq + 1, b->seq - 1);
		return false;
	}
	if (c->vkey != NULL) {
		sv_key_for(c, b->seq);
		if (seal_mac(c->key, b, want) == -1 ||
		    memcmp(want, mac, REC_HASH_LEN) != 0) {
			sv_fail(c, "seals", id, "seal %" PRIu64 " does not match"
			    " the verification key: the sealing key was"
			    " replaced or the seal forged", b->seq);
			return false;
		}
	}
	if (c->first_seal_event < 0)
		c->first_seal_event = b->event_id;
	return sv_seal_rows(c, id, b);
}

static void
sv_note_last(struct sv_ctx *c, const struct rec_seal_body *b,
    const uint8_t mac[REC_HASH_LEN])
{
	struct rec_seal_info *i = &c->res->last_seal;

	i->seq = b->seq;
	i->ts_us = b->ts_us;
	i->flow_id = b->flow_id;
	i->event_id = b->event_id;
	seal_hex(b->flow_head, REC_HASH_LEN, i->flow_head);
	seal_hex(b->event_head, REC_HASH_LEN, i->event_head);
	seal_hex(mac, REC_HASH_LEN, i->mac);
}

static int
sv_seals(struct sv_ctx *c)
{
	struct rec_seal_body b;
	uint8_t mac[REC_HASH_LEN];
	sqlite3_stmt *s = NULL;
	uint64_t prev = 0;
	int rc;

	rc = sqlite3_prepare_v2(c->db, "SELECT id, seq, ts_us, flow_id,"
	    " flow_head, event_id, event_head, mac FROM seals ORDER BY id", -1,
	    &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);

		if (sv_seal_body(s, &b, mac) == -1) {
			sv_fail(c, "seals", id, "seal row %" PRId64 " is"
			    " malformed", id);
			break;
		}
		if (!sv_seal(c, id, &b, mac, prev))
			break;
		prev = b.seq;
		c->res->seals++;
		sv_note_last(c, &b, mac);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* A checkpoint written once sealing had begun must stand at a seal. */
static void
sv_checkpoint(struct sv_ctx *c)
{
	if (c->ck_event == 0 || c->first_seal_event < 0 ||
	    c->ck_event <= c->first_seal_event || c->ck_sealed)
		return;
	sv_fail(c, "checkpoint", c->ck_event, "the checkpoint at flows row %"
	    PRId64 " matches no seal: the oldest rows were deleted and the"
	    " checkpoint forged", c->ck_id);
}

static int64_t
sv_count(sqlite3 *db, const char *sql, int64_t after)
{
	sqlite3_stmt *s = NULL;
	int64_t n = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(s, 1, after);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

static void
sv_unsealed(struct sv_ctx *c)
{
	const struct rec_seal_info *l = &c->res->last_seal;

	c->res->unsealed = (uint64_t)(sv_count(c->db, "SELECT count(*) FROM"
	    " flows WHERE id > ?1", l->flow_id) + sv_count(c->db, "SELECT"
	    " count(*) FROM events WHERE id > ?1", l->event_id));
}

/* "sealed: seq=N ... mac=HEX" (report/syslog5424.c), whatever the
 * syslog daemon put before it. */
static int
sv_anchor_line(const char *line, uint64_t *seq, char mac[2 * REC_HASH_LEN + 1])
{
	const char *p, *m;
	char *end;

	if ((p = strstr(line, "sealed: seq=")) == NULL)
		return -1;
	*seq = strtoull(p + strlen("sealed: seq="), &end, 10);
	if (end == p + strlen("sealed: seq=") || (m = strstr(end, " mac=")) ==
	    NULL)
		return -1;
	m += strlen(" mac=");
	if (strspn(m, "0123456789abcdef") != 2 * REC_HASH_LEN)
		return -1;
	memcpy(mac, m, 2 * REC_HASH_LEN);
	mac[2 * REC_HASH_LEN] = '\0';
	return 0;
}

/* 1 held unchanged, 0 missing, -1 different. */
static int
sv_holds(sqlite3 *db, uint64_t seq, const char *mac)
{
	sqlite3_stmt *s = NULL;
	int r = 0;

	if (sqlite3_prepare_v2(db, "SELECT mac FROM seals WHERE seq = ?1"
	    " ORDER BY id DESC LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, (int64_t)seq);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(s, 0);

		r = m != NULL && strcasecmp(m, mac) == 0 ? 1 : -1;
	}
	sqlite3_finalize(s);
	return r;
}

static int
sv_anchors(struct sv_ctx *c, const char *path)
{
	char line[4096], mac[2 * REC_HASH_LEN + 1];
	uint64_t seq;
	FILE *f;
	int r;

	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (c->res->ok && fgets(line, sizeof(line), f) != NULL) {
		if (sv_anchor_line(line, &seq, mac) == -1)
			continue;
		if ((r = sv_holds(c->db, seq, mac)) == 1) {
			c->res->anchors++;
			continue;
		}
		sv_fail(c, "anchors", 0, "seal %" PRIu64 ", which syslog"
		    " received, is %s: the database was %s", seq, r == 0 ?
		    "missing" : "different", r == 0 ? "rolled back to an older"
		    " copy or truncated" : "rewritten");
	}
	fclose(f);
	return 0;
}

static enum rec_error
sv_run(struct sv_ctx *c, int version, const char *anchors)
{
	gcry_md_hd_t md;
	int rc;

	if (gcry_md_open(&md, GCRY_MD_SHA256, 0) != 0)
		return REC_ERR_NOMEM;
	rc = rec_verify_db(c->db, md, version, c->res);
	gcry_md_close(md);
	if (rc != SQLITE_OK)
		return rec_map_sqlite(rc);
	if (!c->res->ok || version < 3)
		return REC_OK;
	if (rec_read_checkpoint(c->db, false, c->ck_hash, &c->ck_id,
	    &c->ck_event) != 1)
		c->ck_id = c->ck_event = 0;
	if ((rc = sv_seals(c)) != SQLITE_OK)
		return rec_map_sqlite(rc);
	if (c->res->ok)
		sv_checkpoint(c);
	if (c->res->ok)
		sv_unsealed(c);
	if (c->res->ok && anchors != NULL && sv_anchors(c, anchors) == -1)
		return REC_ERR_OPEN;
	return REC_OK;
}

enum rec_error
rec_verify_sealed(const char *path, const uint8_t *vkey, const char *anchors,
    struct rec_verify_result *res)
{
	struct sv_ctx c;
	enum rec_error e = REC_OK;
	int version;

	rec_crypto_init();
	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	res->ok = true;
	res->macs_checked = vkey != NULL;
	c.res = res;
	c.vkey = vkey;
	c.first_seal_event = -1;
	if (sqlite3_open_v2(path, &c.db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		e = REC_ERR_OPEN;
		goto close_db;
	}
	sqlite3_busy_timeout(c.db, REC_BUSY_MS);
	/* every row is read once: map the file instead of copying pages */
	sqlite3_exec(c.db, "PRAGMA mmap_size=1073741824", NULL, NULL, NULL);
	if ((version = rec_check_schema(c.db)) == -1)
		e = REC_ERR_SCHEMA;
	else
		e = sv_run(&c, version, anchors);
 close_db:
	sqlite3_close(c.db);
	explicit_bzero(c.key, sizeof(c.key));
	if (e != REC_OK)
		res->ok = false;
	return e;
}

void
rec_seal_when(const struct rec_seal_info *i, char *out, size_t len)
{
	sv_time(i->ts_us, out, len);
}
