/*
 * Inside the record store: what store.c, chain.c and purge.c share.
 * Other modules use records.h only.
 *
 *   store.c  the SQLite file: open, schema, batches of flows, events
 *   chain.c  the hash chain: how a row is hashed, bound and inserted,
 *            where each table's chain stands, and rec_verify
 *   purge.c  rec_purge and the checkpoint event it leaves
 *   seal.c   the sealing state, seal rows, the key's evolution
 *   sealverify.c  checking seals, checkpoints and anchors
 */
#ifndef SG_RECORDS_IMPL_H
#define SG_RECORDS_IMPL_H

#include <gcrypt.h>
#include <sqlite3.h>

#include "records.h"

#define REC_HASH_LEN		32
#define REC_BUSY_MS		2000
#define REC_FLOW_COLS		25	/* the last, id_source, may be NULL */
#define REC_EVENT_COLS		3
#define REC_SEAL_COLS		7
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

/* store.c */
enum rec_error	 rec_map_sqlite(int rc);
enum rec_error	 rec_fail(struct rec_store *, int rc);
int		 rec_exec(sqlite3 *, const char *sql);
void		 rec_rollback(sqlite3 *);
/* The schema version (1, 2 or 3), or -1 if it is not one we know. */
int		 rec_check_schema(sqlite3 *);
/* Inserts chained rows after head (a working copy of the table's). */
typedef int	(*rec_tx_fn)(struct rec_store *, gcry_md_hd_t,
		    uint8_t head[REC_HASH_LEN], void *arg);
/* Runs body in one transaction; head moves only if it commits. */
enum rec_error	 rec_chain_tx(struct rec_store *, uint8_t head[REC_HASH_LEN],
		    rec_tx_fn body, void *arg);
/* Insert one event row chained after head (moved if it was written). */
int		 rec_insert_event(struct rec_store *, gcry_md_hd_t,
		    uint8_t head[REC_HASH_LEN], int64_t ts_us, const char *kind,
		    const char *detail);

/* chain.c: the columns each chained table hashes, in order. */
extern const char *const rec_flow_cols[REC_FLOW_COLS];
extern const char *const rec_event_cols[REC_EVENT_COLS];
extern const char *const rec_seal_cols[REC_SEAL_COLS];

void		 rec_crypto_init(void);
struct rec_val	 rec_int(int64_t);
struct rec_val	 rec_text_n(const char *, size_t);
void		 rec_flow_vals(const struct rec_flow *,
		    struct rec_val v[REC_FLOW_COLS]);
/* Insert one chained row; head moves only if the caller commits. */
int		 rec_insert_row(sqlite3_stmt *, gcry_md_hd_t,
		    const struct rec_val *, size_t n,
		    uint8_t head[REC_HASH_LEN]);
int		 rec_prepare_insert(sqlite3 *, const char *table,
		    const char *const *cols, size_t n, sqlite3_stmt **);
/* The hash of the table's last row, or where its chain must start. */
int		 rec_read_head(sqlite3 *, const char *table,
		    uint8_t head[REC_HASH_LEN]);
/* The same with the last row's id (the count of rows ever written, as
 * ids are AUTOINCREMENT), or the checkpoint's for an empty flows table. */
int		 rec_read_end(sqlite3 *, const char *table, int64_t *id,
		    uint8_t head[REC_HASH_LEN]);

/* Check the chains of flows, events and (version 3) seals. */
int		 rec_verify_db(sqlite3 *, gcry_md_hd_t, int version,
		    struct rec_verify_result *);

/* purge.c: the newest flows checkpoint event (or, if meta_too and there
 * is none, a schema 2 database's meta checkpoint): 1 found, 0 none, -1
 * malformed or unreadable.  event_id: its events row, 0 for meta. */
int		 rec_read_checkpoint(sqlite3 *, bool meta_too,
		    uint8_t hash[REC_HASH_LEN], int64_t *id, int64_t *event_id);
/* Insert a "checkpoint" event: the flows chain now starts after row id,
 * whose hash it was. */
int		 rec_insert_checkpoint(struct rec_store *, gcry_md_hd_t,
		    uint8_t head[REC_HASH_LEN], int64_t id,
		    const uint8_t hash[REC_HASH_LEN]);
int		 rec_checkpoint_parse(const char *detail,
		    uint8_t hash[REC_HASH_LEN], int64_t *id);

/* seal.c: what a seal's MAC covers. */
struct rec_seal_body {
	uint64_t	 seq;
	int64_t		 ts_us;
	int64_t		 flow_id;
	uint8_t		 flow_head[REC_HASH_LEN];
	int64_t		 event_id;
	uint8_t		 event_head[REC_HASH_LEN];
};
int		 seal_mac(const uint8_t key[REC_SEAL_KEY_LEN],
		    const struct rec_seal_body *, uint8_t mac[REC_HASH_LEN]);
void		 seal_evolve(uint8_t key[REC_SEAL_KEY_LEN]);
void		 seal_hex(const uint8_t *, size_t n, char *out);
int		 seal_unhex(const char *hex, size_t hexlen, uint8_t *out,
		    size_t n);
/* The newest seal's sequence number, 0 if none, -1 on error. */
int64_t		 seal_last_seq(sqlite3 *);

#endif
