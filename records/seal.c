/*
 * Forward-secure sealing (Schneier and Kelsey's secure audit logs; the
 * model systemd-journald's Forward Secure Sealing deploys).
 *
 * The sealing state on the gateway holds the next seal's sequence number
 * s and its key k_s.  A seal is
 *
 *   MAC = HMAC-SHA256(k_s, "schoolgate seal 1" || s || time ||
 *                     last flows row id || its hash ||
 *                     last events row id || its hash)
 *
 * written as a row of the seals table, itself hash-chained like flows
 * and events.  Row ids are AUTOINCREMENT, so they are the count of rows
 * ever written to each table.  Then the key evolves one way,
 * k_{s+1} = SHA-256("schoolgate seal evolve" || k_s), and k_s is
 * overwritten in the state file (in place, then fsync) and in memory.
 * Whoever takes the gateway later holds only k_{s+1}: they cannot make a
 * valid seal for anything sealed before.  The verification key k_0 never
 * touches the gateway's disk (the state starts at k_1 = H(k_0)); the lead
 * team keeps it, and verify derives every k_s from it (sealverify.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "records_impl.h"

#define SEAL_MAGIC	"schoolgate-seal-state 1\n"
/* fixed width, so a new key overwrites the old one's bytes in place */
#define SEAL_STATE_FMT	SEAL_MAGIC "seq %020" PRIu64 "\nkey %s\n"
#define SEAL_STATE_LEN	(sizeof(SEAL_MAGIC) - 1 + 4 + 20 + 1 + 4 + \
			    2 * REC_SEAL_KEY_LEN + 1)

struct rec_sealer {
	char		*path;
	uint64_t	 seq;
	uint8_t		 key[REC_SEAL_KEY_LEN];
};

static const char *const seal_errstr[] = {
	[SEAL_OK] = "no error",
	[SEAL_ERR_ABSENT] = "no sealing state (run schoolgate keys init)",
	[SEAL_ERR_EXISTS] = "a sealing state already exists",
	[SEAL_ERR_IO] = "cannot read or write the sealing state",
	[SEAL_ERR_FORMAT] = "the sealing state is malformed",
	[SEAL_ERR_CRYPTO] = "libgcrypt failed",
};

const char *
seal_strerror(enum seal_error e)
{
	if ((unsigned)e >= sizeof(seal_errstr) / sizeof(seal_errstr[0]))
		return "unknown error";
	return seal_errstr[e];
}

void
seal_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int
seal_unhex(const char *hex, size_t hexlen, uint8_t *out, size_t n)
{
	if (hexlen != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned int v = 0;

		for (size_t j = 0; j < 2; j++) {
			char c = hex[2 * i + j];

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				v |= (unsigned)(c - 'A' + 10);
			else
				return -1;
		}
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* k_{s+1} = SHA-256("schoolgate seal evolve" || k_s), in place. */
void
seal_evolve(uint8_t key[REC_SEAL_KEY_LEN])
{
	static const char label[] = "schoolgate seal evolve";
	uint8_t buf[sizeof(label) - 1 + REC_SEAL_KEY_LEN];

	memcpy(buf, label, sizeof(label) - 1);
	memcpy(buf + sizeof(label) - 1, key, REC_SEAL_KEY_LEN);
	gcry_md_hash_buffer(GCRY_MD_SHA256, key, buf, sizeof(buf));
	explicit_bzero(buf, sizeof(buf));
}

static void
seal_put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

int
seal_mac(const uint8_t key[REC_SEAL_KEY_LEN], const struct rec_seal_body *b,
    uint8_t mac[REC_SEAL_KEY_LEN])
{
	static const char label[] = "schoolgate seal 1";
	uint8_t msg[sizeof(label) + 4 * 8 + 2 * REC_HASH_LEN], *p = msg;
	gcry_mac_hd_t h;
	size_t maclen = REC_SEAL_KEY_LEN;
	int rc = -1;

	memcpy(p, label, sizeof(label));	/* with its NUL */
	p += sizeof(label);
	seal_put_be64(p, b->seq);
	seal_put_be64(p + 8, (uint64_t)b->ts_us);
	seal_put_be64(p + 16, (uint64_t)b->flow_id);
	memcpy(p + 24, b->flow_head, REC_HASH_LEN);
	p += 24 + REC_HASH_LEN;
	seal_put_be64(p, (uint64_t)b->event_id);
	memcpy(p + 8, b->event_head, REC_HASH_LEN);
	if (gcry_mac_open(&h, GCRY_MAC_HMAC_SHA256, 0, NULL) != 0)
		return -1;
	if (gcry_mac_setkey(h, key, REC_SEAL_KEY_LEN) == 0 &&
	    gcry_mac_write(h, msg, sizeof(msg)) == 0 &&
	    gcry_mac_read(h, mac, &maclen) == 0 && maclen == REC_SEAL_KEY_LEN)
		rc = 0;
	gcry_mac_close(h);
	return rc;
}

/* Overwrite the whole state in place and make it durable. */
static enum seal_error
seal_store(int fd, uint64_t seq, const uint8_t key[REC_SEAL_KEY_LEN])
{
	char hex[2 * REC_SEAL_KEY_LEN + 1], buf[SEAL_STATE_LEN + 1];
	enum seal_error e = SEAL_OK;
	int n;

	seal_hex(key, REC_SEAL_KEY_LEN, hex);
	n = snprintf(buf, sizeof(buf), SEAL_STATE_FMT, seq, hex);
	if (n != (int)SEAL_STATE_LEN ||
	    pwrite(fd, buf, SEAL_STATE_LEN, 0) != (ssize_t)SEAL_STATE_LEN ||
	    ftruncate(fd, SEAL_STATE_LEN) == -1 || fsync(fd) == -1)
		e = SEAL_ERR_IO;
	explicit_bzero(hex, sizeof(hex));
	explicit_bzero(buf, sizeof(buf));
	return e;
}

enum seal_error
seal_create(const char *path, bool force, uid_t uid, gid_t gid,
    uint8_t vkey[REC_SEAL_KEY_LEN])
{
	uint8_t key[REC_SEAL_KEY_LEN];
	enum seal_error e;
	int fd;

	rec_crypto_init();
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    (force ? 0 : O_EXCL), 0600);
	if (fd == -1)
		return errno == EEXIST ? SEAL_ERR_EXISTS : SEAL_ERR_IO;
	if (fchmod(fd, 0600) == -1 ||
	    (uid != (uid_t)-1 && fchown(fd, uid, gid) == -1)) {
		close(fd);
		return SEAL_ERR_IO;
	}
	/* the kernel's CSPRNG: libgcrypt's would keep a pool allocated */
	if (getrandom(vkey, REC_SEAL_KEY_LEN, 0) != REC_SEAL_KEY_LEN) {
		close(fd);
		return SEAL_ERR_CRYPTO;
	}
	/* the gateway starts at k_1 = H(k_0): k_0 never touches its disk */
	memcpy(key, vkey, sizeof(key));
	seal_evolve(key);
	e = seal_store(fd, 1, key);
	explicit_bzero(key, sizeof(key));
	close(fd);
	return e;
}

static enum seal_error
seal_parse(struct rec_sealer *s, const char *buf, size_t len)
{
	char hex[2 * REC_SEAL_KEY_LEN + 1];
	enum seal_error e = SEAL_ERR_FORMAT;

	if (len != SEAL_STATE_LEN ||
	    strncmp(buf, SEAL_MAGIC, sizeof(SEAL_MAGIC) - 1) != 0 ||
	    sscanf(buf + sizeof(SEAL_MAGIC) - 1, "seq %20" SCNu64 "\nkey %64s",
	    &s->seq, hex) != 2)
		return SEAL_ERR_FORMAT;
	if (s->seq >= 1 &&
	    seal_unhex(hex, strlen(hex), s->key, REC_SEAL_KEY_LEN) == 0)
		e = SEAL_OK;
	explicit_bzero(hex, sizeof(hex));
	return e;
}

enum seal_error
seal_load(const char *path, struct rec_sealer **out)
{
	struct rec_sealer *s;
	char buf[SEAL_STATE_LEN + 2];
	enum seal_error e;
	ssize_t n;
	int fd;

	*out = NULL;
	rec_crypto_init();
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? SEAL_ERR_ABSENT : SEAL_ERR_IO;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return SEAL_ERR_IO;
	buf[n] = '\0';
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL) {
		free(s);
		explicit_bzero(buf, sizeof(buf));
		return SEAL_ERR_IO;
	}
	e = seal_parse(s, buf, (size_t)n);
	explicit_bzero(buf, sizeof(buf));
	if (e != SEAL_OK) {
		seal_free(s);
		return e;
	}
	*out = s;
	return SEAL_OK;
}

void
seal_free(struct rec_sealer *s)
{
	if (s == NULL)
		return;
	free(s->path);
	explicit_bzero(s, sizeof(*s));
	free(s);
}

uint64_t
seal_next_seq(const struct rec_sealer *s)
{
	return s->seq;
}

/* Move the state on to seq (> s->seq), on disk first, then in memory. */
static enum seal_error
seal_advance(struct rec_sealer *s, uint64_t seq)
{
	uint8_t key[REC_SEAL_KEY_LEN];
	enum seal_error e;
	int fd;

	memcpy(key, s->key, sizeof(key));
	for (uint64_t i = s->seq; i < seq; i++)
		seal_evolve(key);
	if ((fd = open(s->path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		e = SEAL_ERR_IO;
	else {
		e = seal_store(fd, seq, key);
		close(fd);
	}
	if (e == SEAL_OK) {
		memcpy(s->key, key, sizeof(key));
		s->seq = seq;
	}
	explicit_bzero(key, sizeof(key));
	return e;
}

int64_t
seal_last_seq(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	int64_t seq = 0;

	if (sqlite3_prepare_v2(db, "SELECT seq FROM seals ORDER BY id DESC"
	    " LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		seq = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return seq;
}

struct seal_job {
	struct rec_sealer	*sealer;
	struct rec_seal_body	 body;
	char			 mac[2 * REC_HASH_LEN + 1];
};

static int
seal_tx(struct rec_store *st, gcry_md_hd_t md, uint8_t head[REC_HASH_LEN],
    void *arg)
{
	struct seal_job *job = arg;
	struct rec_seal_body *b = &job->body;
	char fh[2 * REC_HASH_LEN + 1], eh[2 * REC_HASH_LEN + 1];
	uint8_t mac[REC_HASH_LEN];
	struct rec_val v[REC_SEAL_COLS];
	sqlite3_stmt *ins = NULL;
	int rc;

	if ((rc = rec_read_end(st->db, "flows", &b->flow_id,
	    b->flow_head)) != SQLITE_OK ||
	    (rc = rec_read_end(st->db, "events", &b->event_id,
	    b->event_head)) != SQLITE_OK)
		return rc;
	b->seq = job->sealer->seq;
	if (seal_mac(job->sealer->key, b, mac) == -1)
		return SQLITE_ERROR;
	seal_hex(b->flow_head, REC_HASH_LEN, fh);
	seal_hex(b->event_head, REC_HASH_LEN, eh);
	seal_hex(mac, REC_HASH_LEN, job->mac);
	v[0] = rec_int((int64_t)b->seq);
	v[1] = rec_int(b->ts_us);
	v[2] = rec_int(b->flow_id);
	v[3] = rec_text_n(fh, strlen(fh));
	v[4] = rec_int(b->event_id);
	v[5] = rec_text_n(eh, strlen(eh));
	v[6] = rec_text_n(job->mac, strlen(job->mac));
	if ((rc = rec_prepare_insert(st->db, "seals", rec_seal_cols,
	    REC_SEAL_COLS, &ins)) != SQLITE_OK)
		return rc;
	rc = rec_insert_row(ins, md, v, REC_SEAL_COLS, head);
	sqlite3_finalize(ins);
	return rc;
}

static void
seal_fill_info(const struct seal_job *job, struct rec_seal_info *info)
{
	memset(info, 0, sizeof(*info));
	info->seq = job->body.seq;
	info->ts_us = job->body.ts_us;
	info->flow_id = job->body.flow_id;
	info->event_id = job->body.event_id;
	seal_hex(job->body.flow_head, REC_HASH_LEN, info->flow_head);
	seal_hex(job->body.event_head, REC_HASH_LEN, info->event_head);
	memcpy(info->mac, job->mac, sizeof(info->mac));
}

/*
 * Flush, then seal what is committed.  The seal row is committed before
 * the key evolves: a crash in between leaves the state one behind, and
 * the next seal catches up past the sequence number the database holds
 * instead of using a key twice.
 */
enum rec_error
rec_seal(struct rec_store *st, struct rec_sealer *sealer, int64_t now_us,
    struct rec_seal_info *info)
{
	struct seal_job job;
	uint8_t head[REC_HASH_LEN];
	enum rec_error e;
	int64_t last;
	int rc;

	if ((e = rec_flush(st)) != REC_OK)
		return e;
	if ((last = seal_last_seq(st->db)) < 0)
		return rec_fail(st, SQLITE_ERROR);
	if ((uint64_t)last >= sealer->seq &&
	    seal_advance(sealer, (uint64_t)last + 1) != SEAL_OK)
		goto state_failed;
	if ((rc = rec_read_head(st->db, "seals", head)) != SQLITE_OK)
		return rec_fail(st, rc);
	memset(&job, 0, sizeof(job));
	job.sealer = sealer;
	job.body.ts_us = now_us;
	if ((e = rec_chain_tx(st, head, seal_tx, &job)) != REC_OK)
		return e;
	if (info != NULL)
		seal_fill_info(&job, info);
	if (seal_advance(sealer, sealer->seq + 1) != SEAL_OK)
		goto state_failed;
	return REC_OK;

 state_failed:
	snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", sealer->path,
	    seal_strerror(SEAL_ERR_IO));
	return REC_ERR_IO;
}
