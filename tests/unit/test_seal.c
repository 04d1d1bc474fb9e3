/*
 * Forward-secure sealing (records/seal.c, checked by sealverify.c): the
 * state file, the key's one-way evolution, seals written into the store
 * and what verify makes of them with and without the verification key.
 */
#include <fcntl.h>

#include "records_fixture.h"

static char *
state_path(const struct fixture *fx, char *buf, size_t len)
{
	snprintf(buf, len, "%s/seal.state", fx->dir);
	return buf;
}

static void
read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void
seal_ok(const char *db, const char *state, struct rec_seal_info *si)
{
	struct rec_sealer *s = NULL;
	struct rec_store *st = open_ok(db);

	assert_int_equal(seal_load(state, &s), SEAL_OK);
	assert_int_equal(rec_seal(st, s, 1700000100000000LL, si), REC_OK);
	seal_free(s);
	rec_close(st);
}

static void
verify_key(const char *db, const uint8_t *vkey, struct rec_verify_result *vr)
{
	assert_int_equal(rec_verify_sealed(db, vkey, NULL, vr), REC_OK);
}

/* A fresh state and ten flows and an event sealed under it. */
static void
sealed_chain(const struct fixture *fx, uint8_t vkey[REC_SEAL_KEY_LEN])
{
	struct rec_seal_info si;
	char sp[160];

	state_path(fx, sp, sizeof(sp));
	assert_int_equal(seal_create(sp, false, (uid_t)-1, (gid_t)-1, vkey),
	    SEAL_OK);
	write_chain(fx->path, 10, 1);
	seal_ok(fx->path, sp, &si);
}

static void
test_state_file(void **state)
{
	struct fixture *fx = *state;
	uint8_t vkey[REC_SEAL_KEY_LEN], again[REC_SEAL_KEY_LEN];
	char sp[160], text[REC_SEAL_KEY_TEXT + 1], hex[65], buf[512];
	struct rec_sealer *s = NULL;
	struct stat sb;

	state_path(fx, sp, sizeof(sp));
	assert_int_equal(seal_load(sp, &s), SEAL_ERR_ABSENT);
	assert_int_equal(seal_create(sp, false, (uid_t)-1, (gid_t)-1, vkey),
	    SEAL_OK);
	assert_int_equal(stat(sp, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(seal_create(sp, false, (uid_t)-1, (gid_t)-1, again),
	    SEAL_ERR_EXISTS);
	/* the verification key never reaches the gateway's disk */
	for (size_t i = 0; i < sizeof(vkey); i++)
		snprintf(hex + 2 * i, 3, "%02x", vkey[i]);
	read_file(sp, buf, sizeof(buf));
	assert_null(strstr(buf, hex));
	assert_int_equal(seal_load(sp, &s), SEAL_OK);
	assert_int_equal(seal_next_seq(s), 1);
	seal_free(s);
	/* the text form round-trips; a typing mistake is caught */
	seal_key_text(vkey, text);
	assert_int_equal(strlen(text), REC_SEAL_KEY_TEXT);
	assert_int_equal(seal_key_parse(text, again), 0);
	assert_memory_equal(vkey, again, sizeof(vkey));
	text[7] = text[7] == '0' ? '1' : '0';
	assert_int_equal(seal_key_parse(text, again), -2);
	assert_int_equal(seal_key_parse("hello", again), -1);
	/* a damaged state is refused, not used */
	int fd = open(sp, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "junk\n", 5), 5);
	close(fd);
	assert_int_equal(seal_load(sp, &s), SEAL_ERR_FORMAT);
}

/* Each seal moves the state on and overwrites the key it used. */
static void
test_seal_evolves(void **state)
{
	struct fixture *fx = *state;
	uint8_t vkey[REC_SEAL_KEY_LEN];
	char sp[160], before[512], after[512];
	struct rec_seal_info si;
	struct rec_verify_result vr;
	struct rec_sealer *s = NULL;

	state_path(fx, sp, sizeof(sp));
	assert_int_equal(seal_create(sp, false, (uid_t)-1, (gid_t)-1, vkey),
	    SEAL_OK);
	write_chain(fx->path, 30, 2);
	read_file(sp, before, sizeof(before));
	seal_ok(fx->path, sp, &si);
	read_file(sp, after, sizeof(after));
	assert_int_equal(si.seq, 1);
	assert_int_equal(si.flow_id, 30);
	assert_int_equal(si.event_id, 2);
	assert_string_not_equal(strstr(before, "key "), strstr(after, "key "));
	assert_int_equal(strlen(before), strlen(after));
	assert_int_equal(seal_load(sp, &s), SEAL_OK);
	assert_int_equal(seal_next_seq(s), 2);
	seal_free(s);

	add_flows(fx->path, 100, 5);
	verify_key(fx->path, vkey, &vr);
	assert_true(vr.ok);
	assert_true(vr.macs_checked);
	assert_int_equal(vr.seals, 1);
	assert_int_equal(vr.unsealed, 5);
	seal_ok(fx->path, sp, &si);
	verify_key(fx->path, vkey, &vr);
	assert_true(vr.ok);
	assert_int_equal(vr.last_seal.seq, 2);
	assert_int_equal(vr.unsealed, 0);
}

/* Without the key only the MAC goes unchecked. */
static void
test_wrong_key(void **state)
{
	struct fixture *fx = *state;
	uint8_t vkey[REC_SEAL_KEY_LEN];
	struct rec_verify_result vr;

	sealed_chain(fx, vkey);
	vkey[0] ^= 1;
	verify_key(fx->path, vkey, &vr);
	assert_false(vr.ok);
	assert_string_equal(vr.table, "seals");
	assert_non_null(strstr(vr.reason, "does not match the verification"));
	verify_key(fx->path, NULL, &vr);
	assert_true(vr.ok);
	assert_false(vr.macs_checked);
}

/* Sealed rows deleted from the end: the seal names a missing row. */
static void
test_truncated(void **state)
{
	struct fixture *fx = *state;
	uint8_t vkey[REC_SEAL_KEY_LEN];
	struct rec_verify_result vr;

	sealed_chain(fx, vkey);
	peek_exec(fx->path, "DELETE FROM flows WHERE id > 8");
	verify_key(fx->path, vkey, &vr);
	assert_false(vr.ok);
	assert_non_null(strstr(vr.reason, "the newest rows were deleted"));
}

/* A schema 2 database's meta checkpoint becomes a chained event. */
static void
test_upgrade_checkpoint(void **state)
{
	struct fixture *fx = *state;
	struct rec_store *st;
	uint64_t deleted = 0;
	char sql[400];
	sqlite3 *db;
	sqlite3_stmt *s = NULL;
	char hex[65];

	write_chain(fx->path, 10, 0);
	db = peek_open(fx->path);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT lower(hex(hash)) FROM"
	    " flows WHERE id = 4", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(hex, sizeof(hex), "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	snprintf(sql, sizeof(sql), "DELETE FROM flows WHERE id <= 4;"
	    "INSERT INTO meta VALUES ('flows_checkpoint', '%s'),"
	    " ('flows_checkpoint_id', 4);"
	    "UPDATE meta SET value = '2' WHERE key = 'schema_version'", hex);
	peek_exec(fx->path, sql);
	verify_ok(fx->path, 6);		/* read-only: schema 2 rules */
	st = open_ok(fx->path);
	assert_int_equal(rec_purge(st, 0, &deleted), REC_OK);
	rec_close(st);
	assert_int_equal(peek_int(fx->path, "SELECT count(*) FROM events WHERE"
	    " kind = 'checkpoint' AND detail LIKE '%row 4 hash %'"), 1);
	assert_int_equal(peek_int(fx->path, "SELECT count(*) FROM meta WHERE"
	    " key LIKE 'flows_checkpoint%'"), 0);
	verify_ok(fx->path, 6 + 2);
}

static int
seal_teardown(void **state)
{
	struct fixture *fx = *state;
	char sp[160];

	unlink(state_path(fx, sp, sizeof(sp)));
	return teardown(state);
}

#define TS(f)	cmocka_unit_test_setup_teardown(f, setup, seal_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TS(test_state_file),
		TS(test_seal_evolves),
		TS(test_wrong_key),
		TS(test_truncated),
		TS(test_upgrade_checkpoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
