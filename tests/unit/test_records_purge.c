/*
 * Purging (records/purge.c): only a prefix of the flows goes, and the
 * checkpoint it leaves (a chained event) keeps what is left verifiable.
 */
#include "records_fixture.h"

static void
test_purge(void **state)
{
	struct fixture *fx = *state;
	struct rec_flow f;
	struct rec_store *st;
	uint64_t deleted = 99;

	write_chain(fx->path, 40, 1);
	make_flow(&f, 25);
	st = open_ok(fx->path);
	assert_int_equal(rec_purge(st, f.end_us, &deleted), REC_OK);
	assert_int_equal(deleted, 25);
	rec_close(st);
	assert_int_equal(peek_int(fx->path, "SELECT count(*) FROM flows"), 15);
	assert_int_equal(peek_int(fx->path, "SELECT min(id) FROM flows"), 26);
	assert_int_equal(peek_int(fx->path, "SELECT count(*) FROM events WHERE"
	    " kind = 'checkpoint' AND detail LIKE"
	    " 'flows checkpoint at row 25 hash %'"), 1);
	assert_int_equal(peek_int(fx->path, "SELECT count(*) FROM meta WHERE"
	    " key LIKE 'flows_checkpoint%'"), 0);
	assert_int_equal(peek_int(fx->path, "SELECT count(*) FROM events"
	    " WHERE kind = 'purge' AND detail LIKE 'deleted 25 flows%'"), 1);
	verify_ok(fx->path, 15 + 3);

	/* The chain goes on after a purge, and after a reopen. */
	add_flows(fx->path, 100, 3);
	verify_ok(fx->path, 18 + 3);

	/* Losing the first row left must still show. */
	peek_exec(fx->path, "DELETE FROM flows WHERE id = 26");
	verify_fails(fx->path, "flows", 27, "previous row missing or changed");
}

static void
test_purge_all(void **state)
{
	struct fixture *fx = *state;
	struct rec_store *st;
	uint64_t deleted = 0;

	write_chain(fx->path, 10, 0);
	st = open_ok(fx->path);
	assert_int_equal(rec_purge(st, INT64_MAX, &deleted), REC_OK);
	assert_int_equal(deleted, 10);
	rec_close(st);
	verify_ok(fx->path, 2);
	/* An empty table resumes from the checkpoint, not from zeros. */
	add_flows(fx->path, 50, 4);
	verify_ok(fx->path, 6);
	assert_int_equal(peek_int(fx->path, "SELECT min(id) FROM flows"), 11);
	st = open_ok(fx->path);
	assert_int_equal(rec_purge(st, 0, &deleted), REC_OK);
	assert_int_equal(deleted, 0);
	rec_close(st);
	verify_ok(fx->path, 7);
}

static void
test_purge_prefix_only(void **state)
{
	struct fixture *fx = *state;
	struct rec_store *st = open_ok(fx->path);
	struct rec_flow f;
	uint64_t deleted = 0;

	/* Rows 1-2 old, row 3 new, row 4 old: only 1-2 may go. */
	for (int i = 0; i < 4; i++) {
		make_flow(&f, i == 2 ? 1000 : i);
		assert_int_equal(rec_add_flow(st, &f), REC_OK);
	}
	make_flow(&f, 500);
	assert_int_equal(rec_purge(st, f.end_us, &deleted), REC_OK);
	assert_int_equal(deleted, 0);	/* nothing was flushed yet */
	assert_int_equal(rec_flush(st), REC_OK);
	assert_int_equal(rec_purge(st, f.end_us, &deleted), REC_OK);
	assert_int_equal(deleted, 2);
	rec_close(st);
	verify_ok(fx->path, 2 + 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_purge),
		T(test_purge_all),
		T(test_purge_prefix_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
