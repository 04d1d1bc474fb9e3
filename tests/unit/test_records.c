/*
 * The record store (records/store.c), checked from outside through a
 * second SQLite connection: what was written, the file's mode, batches,
 * and what happens while the store fails.
 */
#include "records_fixture.h"

static void
assert_text_col(sqlite3_stmt *s, int col, const char *want, size_t wantlen)
{
	assert_int_equal(sqlite3_column_type(s, col), SQLITE_TEXT);
	assert_int_equal((size_t)sqlite3_column_bytes(s, col), wantlen);
	assert_memory_equal(sqlite3_column_text(s, col), want, wantlen);
}

static void
assert_row_is(sqlite3_stmt *s, const struct rec_flow *f)
{
	assert_int_equal(sqlite3_column_int64(s, 0), f->start_us);
	assert_int_equal(sqlite3_column_int64(s, 1), f->end_us);
	assert_int_equal(sqlite3_column_int64(s, 2), f->end_us - f->start_us);
	assert_text_col(s, 3, f->device, strlen(f->device));
	assert_text_col(s, 4, f->mac, strlen(f->mac));
	assert_text_col(s, 5, f->ip, strlen(f->ip));
	assert_text_col(s, 6, f->person, strlen(f->person));
	assert_text_col(s, 7, f->group, strlen(f->group));
	assert_text_col(s, 8, f->app, strlen(f->app));
	assert_text_col(s, 9, f->category, strlen(f->category));
	assert_text_col(s, 10, f->host, strnlen(f->host, sizeof(f->host)));
	assert_text_col(s, 11, f->host_source, strlen(f->host_source));
	assert_text_col(s, 12, f->dst_ip, strlen(f->dst_ip));
	assert_int_equal(sqlite3_column_int64(s, 13), f->dst_port);
	assert_text_col(s, 14, f->transport, strlen(f->transport));
	assert_int_equal(sqlite3_column_int64(s, 15), (int64_t)f->bytes_out);
	assert_int_equal(sqlite3_column_int64(s, 16), (int64_t)f->bytes_in);
	assert_int_equal(sqlite3_column_int64(s, 17), (int64_t)f->pkts_out);
	assert_int_equal(sqlite3_column_int64(s, 18), (int64_t)f->pkts_in);
	assert_text_col(s, 19, f->action, strlen(f->action));
	assert_text_col(s, 20, f->rule, strlen(f->rule));
	assert_text_col(s, 21, f->clause, strlen(f->clause));
	assert_int_equal(sqlite3_column_int64(s, 22), f->in_school_hours);
	assert_text_col(s, 23, f->source, strlen(f->source));
	assert_int_equal(sqlite3_column_bytes(s, 24), 32);
	assert_int_equal(sqlite3_column_bytes(s, 25), 32);
}

static const char select_all[] = "SELECT start_us, end_us, duration_us,"
    " device, mac, ip, person, grp, app, category, host, host_source,"
    " dst_ip, dst_port, transport, bytes_out, bytes_in, pkts_out, pkts_in,"
    " action, rule, clause, in_school_hours, source, prev_hash, hash"
    " FROM flows ORDER BY id";

static void
check_rows(const char *path, const struct rec_flow *f, size_t n)
{
	sqlite3 *db = peek_open(path);
	sqlite3_stmt *s = NULL;
	size_t i = 0;

	assert_int_equal(sqlite3_prepare_v2(db, select_all, -1, &s, NULL),
	    SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		assert_true(i < n);
		assert_row_is(s, &f[i]);
		i++;
	}
	assert_int_equal(i, n);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void
check_mode(const char *path, mode_t mask)
{
	struct stat sb;
	mode_t old = umask(mask);
	struct rec_store *st = open_ok(path);

	umask(old);
	assert_int_equal(rec_event(st, 1, "start", "test"), REC_OK);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
	rec_close(st);
}

static void
test_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct rec_flow f[3];
	struct rec_store *st = open_ok(fx->path);

	for (int i = 0; i < 3; i++) {
		make_flow(&f[i], i + 40);
		assert_int_equal(rec_add_flow(st, &f[i]), REC_OK);
	}
	f[1].bytes_out = UINT64_C(1) << 40;
	f[1].in_school_hours = false;
	assert_int_equal(rec_add_flow(st, &f[1]), REC_OK);
	assert_int_equal(rec_pending(st), 4);
	assert_int_equal(rec_flush(st), REC_OK);
	rec_close(st);
	struct rec_flow want[4] = { f[0], f[1], f[2], f[1] };
	make_flow(&want[1], 41);
	check_rows(fx->path, want, 4);
}

static void
test_hostile_strings(void **state)
{
	struct fixture *fx = *state;
	struct rec_flow f;
	struct rec_verify_result vr;
	char detail[500];
	struct rec_store *st = open_ok(fx->path);

	make_flow(&f, 1);
	snprintf(f.device, sizeof(f.device), "Bob's \"laptop\"; DROP TABLE x;--");
	snprintf(f.person, sizeof(f.person), "tab\there\nnl\r\x01\x1f\x7f");
	snprintf(f.rule, sizeof(f.rule), "%%s%%n'');");
	/* A full field with no NUL must be stored whole, and no more. */
	memset(f.host, 'h', sizeof(f.host));
	memset(f.source, 's', sizeof(f.source) - 1);
	f.source[sizeof(f.source) - 1] = '\0';
	assert_int_equal(rec_add_flow(st, &f), REC_OK);
	memset(detail, 'd', sizeof(detail) - 1);
	detail[0] = '\'';
	detail[1] = '\x02';
	detail[sizeof(detail) - 1] = '\0';
	assert_int_equal(rec_event(st, 5, "error", detail), REC_OK);
	rec_close(st);

	check_rows(fx->path, &f, 1);
	assert_int_equal(peek_int(fx->path, "SELECT length(host) FROM flows"),
	    sizeof(f.host));
	assert_int_equal(peek_int(fx->path,
	    "SELECT length(detail) FROM events"), sizeof(detail) - 1);
	assert_int_equal(peek_int(fx->path, "SELECT count(*) FROM sqlite_master"
	    " WHERE name = 'x'"), 0);
	assert_int_equal(rec_verify(fx->path, &vr), REC_OK);
	assert_true(vr.ok);
	assert_int_equal(vr.verified, 2);
}

static void
test_mode_umask0(void **state)
{
	struct fixture *fx = *state;

	check_mode(fx->path, 0);
}

static void
test_mode_umask077(void **state)
{
	struct fixture *fx = *state;

	check_mode(fx->path, 077);
}

static void
test_wal(void **state)
{
	struct fixture *fx = *state;
	struct rec_store *st = open_ok(fx->path);
	sqlite3 *db;
	sqlite3_stmt *s = NULL;

	rec_close(st);
	db = peek_open(fx->path);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(db);
	assert_int_equal(peek_int(fx->path, "SELECT value FROM meta WHERE key ="
	    " 'schema_version'"), 3);
}

static void
test_batch(void **state)
{
	struct fixture *fx = *state;
	struct rec_store *st = open_ok(fx->path);
	struct rec_flow f;

	for (int i = 0; i < REC_BATCH_ROWS - 1; i++) {
		make_flow(&f, i);
		assert_int_equal(rec_add_flow(st, &f), REC_OK);
	}
	assert_int_equal(rec_pending(st), REC_BATCH_ROWS - 1);
	assert_int_equal(peek_int(fx->path, "SELECT count(*) FROM flows"), 0);
	make_flow(&f, REC_BATCH_ROWS - 1);
	assert_int_equal(rec_add_flow(st, &f), REC_OK);
	assert_int_equal(rec_pending(st), 0);
	assert_int_equal(peek_int(fx->path, "SELECT count(*) FROM flows"),
	    REC_BATCH_ROWS);
	make_flow(&f, 9999);
	assert_int_equal(rec_add_flow(st, &f), REC_OK);
	assert_int_equal(rec_dropped(st), 0);
	rec_close(st);	/* flushes the last one */
	assert_int_equal(peek_int(fx->path, "SELECT count(*) FROM flows"),
	    REC_BATCH_ROWS + 1);
}

static void
test_open_errors(void **state)
{
	struct fixture *fx = *state;
	enum rec_error e = REC_OK;
	char p[200];
	FILE *fp;

	assert_null(rec_open("/nonexistent-sg-dir/x/usage.db", &e));
	assert_int_equal(e, REC_ERR_OPEN);

	/* A path through a regular file fails even for root. */
	snprintf(p, sizeof(p), "%s", fx->path);
	assert_non_null(fp = fopen(p, "w"));
	fclose(fp);
	snprintf(p, sizeof(p), "%s/inside.db", fx->path);
	e = REC_OK;
	assert_null(rec_open(p, &e));
	assert_int_equal(e, REC_ERR_OPEN);
	unlink(fx->path);

	/* Not a database. */
	assert_non_null(fp = fopen(fx->path, "w"));
	for (int i = 0; i < 200; i++)
		fputs("this is not an sqlite database\n", fp);
	fclose(fp);
	e = REC_OK;
	assert_null(rec_open(fx->path, &e));
	assert_true(e == REC_ERR_OPEN || e == REC_ERR_SCHEMA);
	unlink(fx->path);

	assert_true(strlen(rec_strerror(REC_ERR_FULL)) > 0);
	assert_string_not_equal(rec_strerror(REC_ERR_OPEN),
	    rec_strerror(REC_ERR_IO));
}

static void
test_open_readonly_dir(void **state)
{
	struct fixture *fx = *state;
	enum rec_error e = REC_OK;

	if (geteuid() == 0) {
		skip();		/* root writes anywhere */
		return;
	}
	assert_int_equal(chmod(fx->dir, 0555), 0);
	assert_null(rec_open(fx->ropath, &e));
	assert_int_equal(e, REC_ERR_OPEN);
	chmod(fx->dir, 0755);
}

static void
test_full_then_recover(void **state)
{
	struct fixture *fx = *state;
	struct rec_store *st = open_ok(fx->path);
	struct rec_flow f;
	struct stat sb;
	enum rec_error e;

	assert_int_equal(rec_event(st, 1, "start", "x"), REC_OK);
	assert_int_equal(stat(fx->path, &sb), 0);
	assert_int_equal(rec_set_max_size(st, 64 * 1024), REC_OK);
	e = REC_OK;
	for (int i = 0; i < REC_BATCH_ROWS * 3; i++) {
		make_flow(&f, i);
		memset(f.host, 'a' + i % 26, sizeof(f.host) - 1);
		enum rec_error r = rec_add_flow(st, &f);
		if (r != REC_OK)
			e = r;
	}
	assert_int_equal(e, REC_ERR_FULL);
	assert_int_equal(rec_flush(st), REC_ERR_FULL);
	assert_true(strlen(rec_errmsg(st)) > 0);
	assert_int_equal(rec_pending(st), REC_BATCH_ROWS * 3);
	assert_int_equal(rec_dropped(st), 0);
	assert_int_equal(peek_int(fx->path, "SELECT count(*) FROM flows"), 0);

	assert_int_equal(rec_set_max_size(st, 0), REC_OK);
	assert_int_equal(rec_flush(st), REC_OK);
	assert_int_equal(rec_pending(st), 0);
	assert_int_equal(rec_event(st, 2, "gap", "recovered"), REC_OK);
	rec_close(st);
	assert_int_equal(peek_int(fx->path, "SELECT count(*) FROM flows"),
	    REC_BATCH_ROWS * 3);
	verify_ok(fx->path, REC_BATCH_ROWS * 3 + 2);
}

static void
test_overflow_drops_oldest(void **state)
{
	struct fixture *fx = *state;
	struct rec_store *st = open_ok(fx->path);
	struct rec_flow f;
	const int extra = 10;

	assert_int_equal(rec_set_max_size(st, 1), REC_OK);
	for (int i = 0; i < REC_PENDING_MAX + extra; i++) {
		make_flow(&f, i);
		rec_add_flow(st, &f);
	}
	assert_int_equal(rec_pending(st), REC_PENDING_MAX);
	assert_int_equal(rec_dropped(st), extra);
	assert_int_equal(rec_set_max_size(st, 0), REC_OK);
	assert_int_equal(rec_flush(st), REC_OK);
	rec_close(st);
	make_flow(&f, extra);
	assert_int_equal(peek_int(fx->path, "SELECT start_us FROM flows"
	    " ORDER BY id LIMIT 1"), f.start_us);
	assert_int_equal(peek_int(fx->path, "SELECT count(*) FROM flows"),
	    REC_PENDING_MAX);
	verify_ok(fx->path, REC_PENDING_MAX);
}

/* records.memory_rows: a lower bound drops sooner; below one batch it
 * would drop rows before they could ever be written, so it is raised. */
static void
test_pending_max(void **state)
{
	struct fixture *fx = *state;
	struct rec_store *st = open_ok(fx->path);
	struct rec_flow f;
	const size_t rows = REC_BATCH_ROWS * 2;

	rec_set_pending_max(st, rows);
	assert_int_equal(rec_set_max_size(st, 1), REC_OK);
	for (size_t i = 0; i < rows + 7; i++) {
		make_flow(&f, (int)i);
		rec_add_flow(st, &f);
	}
	assert_int_equal(rec_pending(st), rows);
	assert_int_equal(rec_dropped(st), 7);

	rec_set_pending_max(st, 1);
	for (int i = 0; i < REC_BATCH_ROWS + 3; i++) {
		make_flow(&f, i);
		rec_add_flow(st, &f);
	}
	assert_int_equal(rec_pending(st), rows);	/* the ring never shrinks */
	assert_int_equal(rec_dropped(st), 7 + REC_BATCH_ROWS + 3);
	assert_int_equal(rec_set_max_size(st, 0), REC_OK);
	assert_int_equal(rec_flush(st), REC_OK);
	rec_close(st);
	verify_ok(fx->path, rows);
}

static void
test_busy(void **state)
{
	struct fixture *fx = *state;
	struct rec_store *st = open_ok(fx->path);
	struct rec_flow f;
	sqlite3 *db;

	make_flow(&f, 1);
	assert_int_equal(rec_add_flow(st, &f), REC_OK);
	db = peek_open(fx->path);
	sqlite3_busy_timeout(db, 0);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(rec_flush(st), REC_ERR_BUSY);
	assert_int_equal(rec_pending(st), 1);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(rec_flush(st), REC_OK);
	rec_close(st);
	check_rows(fx->path, &f, 1);
	verify_ok(fx->path, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_round_trip),
		T(test_hostile_strings),
		T(test_mode_umask0),
		T(test_mode_umask077),
		T(test_wal),
		T(test_batch),
		T(test_open_errors),
		T(test_open_readonly_dir),
		T(test_full_then_recover),
		T(test_overflow_drops_oldest),
		T(test_pending_max),
		T(test_busy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
