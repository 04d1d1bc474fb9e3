/*
 * Purging old flows.  Only a prefix of the flows chain can go; the hash
 * of its last row is kept in meta as the checkpoint where the chain of
 * what is left starts, so it still verifies.  The purge itself is an
 * event row, chained like any other.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "records_impl.h"

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

int
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

struct rec_purge_job {
	int64_t		 cutoff_us;
	uint64_t	 deleted;
};

static int
rec_purge_tx(struct rec_store *st, gcry_md_hd_t md,
    uint8_t event_head[REC_HASH_LEN], void *arg)
{
	struct rec_purge_job *job = arg;
	uint8_t hash[REC_HASH_LEN];
	char detail[160];
	int64_t last_id;
	int rc;

	job->deleted = 0;
	if ((rc = rec_purge_boundary(st->db, job->cutoff_us, &last_id,
	    hash)) != SQLITE_OK)
		return rc;
	if (last_id > 0) {
		if ((rc = rec_delete_upto(st->db, last_id, &job->deleted)) !=
		    SQLITE_OK ||
		    (rc = rec_store_checkpoint(st->db, last_id, hash)) !=
		    SQLITE_OK)
			return rc;
	}
	snprintf(detail, sizeof(detail), "deleted %" PRIu64 " flows ending"
	    " before %" PRId64 "; checkpoint at row %" PRId64, job->deleted,
	    job->cutoff_us, last_id);
	return rec_insert_event(st, md, event_head, job->cutoff_us, "purge",
	    detail);
}

/* The purge and its event commit together, or not at all. */
enum rec_error
rec_purge(struct rec_store *st, int64_t cutoff_us, uint64_t *deleted)
{
	struct rec_purge_job job = { cutoff_us, 0 };
	enum rec_error e;

	if ((e = rec_chain_tx(st, st->event_head, rec_purge_tx, &job)) !=
	    REC_OK)
		return e;
	if (deleted != NULL)
		*deleted = job.deleted;
	return REC_OK;
}
