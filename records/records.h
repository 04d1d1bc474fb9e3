/*
 * The usage record store: one SQLite database in WAL mode, mode 0640.
 * One row per flow, written in batches inside a transaction, plus an event
 * table (start, stop, reload, gaps, purges, errors).  Every flow and
 * event row carries a SHA-256 hash chained to the previous row of its
 * table so that an edited or deleted row is detectable (schoolgate verify).
 *
 * Errors come back as return values; the caller decides what to log.  A
 * failing store (disk full, locked) must never stop the packet path: the
 * caller keeps going and counts what could not be written.
 */
#ifndef SG_RECORDS_H
#define SG_RECORDS_H

#include <stdbool.h>
#include <sys/types.h>
#include "sg.h"

struct rec_flow {
	int64_t		 start_us;	/* Unix time, microseconds */
	int64_t		 end_us;
	char		 device[SG_NAME_MAX];	/* "" if unknown */
	char		 mac[18];
	char		 ip[SG_ADDRSTR_MAX];
	char		 person[SG_NAME_MAX];	/* person id */
	char		 group[SG_NAME_MAX];
	char		 app[SG_APP_MAX];
	char		 category[SG_NAME_MAX];
	char		 host[SG_HOST_MAX];
	char		 host_source[12];	/* sg_host_src_name() */
	char		 dst_ip[SG_ADDRSTR_MAX];
	uint16_t	 dst_port;
	char		 transport[8];		/* "tcp", "udp", "icmp"... */
	uint64_t	 bytes_out;		/* initiator to responder */
	uint64_t	 bytes_in;
	uint64_t	 pkts_out;
	uint64_t	 pkts_in;
	char		 action[8];		/* sg_action_name() */
	char		 rule[SG_NAME_MAX];
	char		 clause[16];
	bool		 in_school_hours;
	char		 source[256];		/* "live" or the pcap file name */
	/* where the identity came from: "8021x", "registered", "lease",
	 * "interface", "subnet", "default" (ident_source_name()) */
	char		 id_source[16];
};

enum rec_error {
	REC_OK = 0,
	REC_ERR_OPEN,		/* cannot open or create the database */
	REC_ERR_SCHEMA,
	REC_ERR_FULL,		/* SQLITE_FULL: disk full */
	REC_ERR_BUSY,		/* locked by another writer */
	REC_ERR_IO,
	REC_ERR_NOMEM,
};

struct rec_store;

#define REC_BATCH_ROWS		1024	/* rows written per transaction */
#define REC_PENDING_MAX		16384	/* rows kept while the store fails */

/* Creates the file (mode 0640) and schema if needed. */
struct rec_store *rec_open(const char *path, enum rec_error *);
/* Flushes what is buffered, then closes; call rec_flush() first to
 * learn whether the last rows were written. */
void		 rec_close(struct rec_store *);
const char	*rec_strerror(enum rec_error);
/* The SQLite message for the last error, for the top level to log. */
const char	*rec_errmsg(struct rec_store *);

/* Buffer one flow; flushes by itself when the batch is full. */
enum rec_error	 rec_add_flow(struct rec_store *, const struct rec_flow *);
/* Write the buffered batch in one transaction. On error the batch stays
 * buffered (up to a bound) so it can be retried. */
enum rec_error	 rec_flush(struct rec_store *);
size_t		 rec_pending(const struct rec_store *);
/* Rows that were dropped because the buffer overflowed while failing. */
uint64_t	 rec_dropped(const struct rec_store *);
/* Flow rows committed to the database since rec_open. */
uint64_t	 rec_committed(const struct rec_store *);
/* Keep at most rows (at least REC_BATCH_ROWS; default REC_PENDING_MAX)
 * while the store fails, then drop the oldest.  Call before adding rows. */
void		 rec_set_pending_max(struct rec_store *, size_t rows);

/*
 * Cap the database at max_bytes (rounded down to pages; 0: no cap) so a
 * runaway cannot fill the gateway's disk.  Writes beyond it fail with
 * REC_ERR_FULL, exactly as a full disk does.
 */
enum rec_error	 rec_set_max_size(struct rec_store *, uint64_t max_bytes);

/* kind: "start", "stop", "reload", "gap", "purge", "error", "config" */
enum rec_error	 rec_event(struct rec_store *, int64_t ts_us, const char *kind,
		    const char *detail);

/* The newest event that is not an import; kind "" if there is none. */
enum rec_error	 rec_last_event(struct rec_store *, char *kind, size_t kindlen,
		    int64_t *ts_us);

/* Delete flows that ended before cutoff_us, and record a purge event with
 * a checkpoint so the chain of what is left still verifies. */
enum rec_error	 rec_purge(struct rec_store *, int64_t cutoff_us,
		    uint64_t *deleted);

/*
 * Forward-secure sealing (seal.c): the sealing state on the gateway, the
 * seals written into the store, and the lead team's verification key.
 */
#define REC_SEAL_KEY_LEN	32
/* "sgv1-" and 8 groups of 8 hex digits, then an 8-digit checksum */
#define REC_SEAL_KEY_TEXT	(5 + 9 * 8 + 8)

enum seal_error {
	SEAL_OK = 0,
	SEAL_ERR_ABSENT,	/* no state file: keys init was never run */
	SEAL_ERR_EXISTS,
	SEAL_ERR_IO,
	SEAL_ERR_FORMAT,
	SEAL_ERR_CRYPTO,
};

struct rec_sealer;

/* One seal as written and as sent to syslog (hex strings). */
struct rec_seal_info {
	uint64_t	 seq;
	int64_t		 ts_us;
	int64_t		 flow_id;	/* last flows row sealed */
	int64_t		 event_id;
	char		 flow_head[65];
	char		 event_head[65];
	char		 mac[65];
};

const char	*seal_strerror(enum seal_error);
/* Create the state (mode 0600, owned by uid:gid unless uid is -1) with a
 * fresh key; vkey gets the verification key, for the caller to print. */
enum seal_error	 seal_create(const char *path, bool force, uid_t uid,
		    gid_t gid, uint8_t vkey[REC_SEAL_KEY_LEN]);
enum seal_error	 seal_load(const char *path, struct rec_sealer **);
void		 seal_free(struct rec_sealer *);
uint64_t	 seal_next_seq(const struct rec_sealer *);
/* The verification key as text a person can copy, and back (-1 not a
 * key, -2 a typing mistake: the checksum does not match). */
void		 seal_key_text(const uint8_t vkey[REC_SEAL_KEY_LEN],
		    char out[REC_SEAL_KEY_TEXT + 1]);
int		 seal_key_parse(const char *text,
		    uint8_t vkey[REC_SEAL_KEY_LEN]);
/* Flush, then seal the store's committed rows and evolve the key. */
enum rec_error	 rec_seal(struct rec_store *, struct rec_sealer *,
		    int64_t now_us, struct rec_seal_info *);

struct rec_verify_result {
	uint64_t	 verified;	/* rows checked and consistent */
	bool		 ok;
	char		 table[16];	/* "flows", "events", "seals", "anchors" */
	int64_t		 bad_id;	/* first row whose link is broken */
	char		 reason[256];
	/* seals (sealverify.c) */
	bool		 macs_checked;	/* a verification key was given */
	uint64_t	 seals;		/* seal rows found */
	struct rec_seal_info last_seal;	/* valid if seals > 0 */
	uint64_t	 unsealed;	/* rows after the last seal */
	uint64_t	 anchors;	/* anchor lines matched */
};
enum rec_error	 rec_verify(const char *path, struct rec_verify_result *);
/* A seal's time as "YYYY-MM-DD HH:MM:SS UTC". */
void		 rec_seal_when(const struct rec_seal_info *, char *out,
		    size_t len);
/* Also check every seal's MAC under vkey (NULL: not checked), and that
 * the database holds every seal the syslog file anchors names (NULL:
 * none).  REC_ERR_OPEN also when anchors cannot be read. */
enum rec_error	 rec_verify_sealed(const char *path,
		    const uint8_t *vkey, const char *anchors,
		    struct rec_verify_result *);

#endif
