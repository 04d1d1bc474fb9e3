/*
 * Purging old flows.  Only a prefix of the flows chain can go; the hash
 * of its last row is kept as the checkpoint where the chain of what is
 * left starts, so it still verifies.  The checkpoint and the purge are
 * event rows, chained (and sealed) like any other; schema 2 kept the
 * checkpoint in the unhashed meta table, read here only to upgrade.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "records_impl.h"

#define REC_CK_FMT	"flows checkpoint at row %lld hash %s"

int
rec_checkpoint_parse(const char *detail, uint8_t hash[REC_HASH_LEN],
    int64_t *id)
{
	char hex[2 * REC_HASH_LEN + 2];
	long long n;

	if (detail == NULL || sscanf(detail, "flows checkpoint at row %lld"
	    " hash %65s", &n, hex) != 2 || n < 0)
		return -1;
	*id = n;
	return seal_unhex(hex, strlen(hex), hash, REC_HASH_LEN);
}

/* A schema 2 database's checkpoint, in meta: read before the upgrade. */
static int
rec_read_meta_checkpoint(sqlite3 *db, uint8_t hash[REC_HASH_LEN], int64_t *id)
{
	sqlite3_stmt *s = NULL;
	int found = 0, have_id = 0;

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
		if (hex == NULL || seal_unhex(hex, (size_t)sqlite3_column_bytes(
		    s, 1), hash, REC_HASH_LEN) == -1)
			found = -1;
		else if (found == 0)
			found = 1;
	}
	sqlite3_finalize(s);
	if (found == 1 && !have_id)
		return -1;
	return found;
}

int
rec_read_checkpoint(sqlite3 *db, bool meta_too, uint8_t hash[REC_HASH_LEN],
    int64_t *id, int64_t *event_id)
{
	sqlite3_stmt *s = NULL;
	int found = 0;

	*id = 0;
	*event_id = 0;
	if (sqlite3_prepare_v2(db, "SELECT id, detail FROM events WHERE kind ="
	    " 'checkpoint' ORDER BY id DESC LIMIT 1", -1, &s, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*event_id = sqlite3_column_int64(s, 0);
		found = rec_checkpoint_parse((const char *)sqlite3_column_text(
		    s, 1), hash, id) == 0 ? 1 : -1;
	}
	sqlite3_finalize(s);
	if (found == 0 && meta_too)
		found = rec_read_meta_checkpoint(db, hash, id);
	return found;
}

int
rec_insert_checkpoint(struct rec_store *st, gcry_md_hd_t md,
    uint8_t head[REC_HASH_LEN], int64_t id, const uint8_t hash[REC_HASH_LEN])
{
	char hex[2 * REC_HASH_LEN + 1], detail[160];

	seal_hex(hash, REC_HASH_LEN, hex);
	snprintf(detail, sizeof(detail), REC_CK_FMT, (long long)id, hex);
	return rec_insert_event(st, md, head, (int64_t)sg_now_us(),
	    "checkpoint", detail);
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

/*
 * Once the store is sealed, cut only where a seal stands: verify then
 * finds a seal naming the checkpoint's row and hash, and a checkpoint
 * that no seal names is a forgery (sealverify.c).
 */
static int
rec_purge_at_seal(sqlite3 *db, int64_t *last_id, uint8_t hash[REC_HASH_LEN])
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT COALESCE((SELECT flow_id FROM"
	    " seals WHERE flow_id <= ?1 ORDER BY flow_id DESC LIMIT 1), 0),"
	    " EXISTS(SELECT 1 FROM seals)", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, *last_id);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return rc;
	}
	int64_t at = sqlite3_column_int64(s, 0);
	bool sealed = sqlite3_column_int(s, 1) != 0;
	sqlite3_finalize(s);
	if (!sealed || at == *last_id)
		return SQLITE_OK;
	*last_id = 0;
	if (at == 0)
		return SQLITE_OK;
	rc = sqlite3_prepare_v2(db, "SELECT hash FROM flows WHERE id = ?1",
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, at);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_bytes(s, 0) == REC_HASH_LEN) {
		memcpy(hash, sqlite3_column_blob(s, 0), REC_HASH_LEN);
		*last_id = at;
	}
	sqlite3_finalize(s);
	return SQLITE_OK;
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
	    hash)) != SQLITE_OK ||
	    (rc = rec_purge_at_seal(st->db, &last_id, hash)) != SQLITE_OK)
		return rc;
	if (last_id > 0) {
		if ((rc = rec_delete_upto(st->db, last_id, &job->deleted)) !=
		    SQLITE_OK ||
		    (rc = rec_insert_checkpoint(st, md, event_head, last_id,
		    hash)) != SQLITE_OK)
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
