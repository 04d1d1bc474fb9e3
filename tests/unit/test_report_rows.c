/*
 * The report's row reader (report/rows.c) on an in-memory database:
 * values are bound, rows arrive in order, arrays grow one zeroed element
 * per row, a callback's error stops the query, SQLite's errors come back
 * as RPT_ERR_DB.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "rows.h"

struct item {
	int64_t		 n;
	char		 name[8];
	int		 untouched;	/* fill never sets it: must be 0 */
};

struct seen {
	int		 calls;
	int		 stop_at;	/* return RPT_ERR_NOMEM on this call */
	int64_t		 sum;
};

static int
setup(void **state)
{
	sqlite3 *db = NULL;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return -1;
	if (sqlite3_exec(db, "CREATE TABLE t (n INTEGER, name TEXT);"
	    "INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three'),"
	    " (4, 'a quote '' and more'), (5, NULL);", NULL, NULL,
	    NULL) != SQLITE_OK)
		return -1;
	*state = db;
	return 0;
}

static int
teardown(void **state)
{
	sqlite3_close(*state);
	return 0;
}

static enum rpt_error
count_row(void *ctx, sqlite3_stmt *st, void *out)
{
	struct seen *s = ctx;

	assert_ptr_equal(out, &s->sum);
	s->calls++;
	s->sum = s->sum * 10 + sqlite3_column_int64(st, 0);
	return s->calls == s->stop_at ? RPT_ERR_NOMEM : RPT_OK;
}

static enum rpt_error
fill_item(void *ctx, sqlite3_stmt *st, void *out)
{
	struct item *it = out;
	struct seen *s = ctx;

	assert_int_equal(it->n, 0);
	assert_int_equal(it->name[0], '\0');
	s->calls++;
	it->n = sqlite3_column_int64(st, 0);
	rpt_col_text(st, 1, it->name, sizeof(it->name));
	return RPT_OK;
}

static void
test_each_binds_in_order(void **state)
{
	struct seen s = { 0, 0, 0 };
	struct rpt_bind b[] = { RPT_INT(2), RPT_TEXT("three"), RPT_END };

	/* ?2 is text: a value, never SQL, so a quote in it is harmless. */
	assert_int_equal(rpt_each(*state, "SELECT n FROM t WHERE n >= ?1 OR"
	    " name = ?2 ORDER BY n", b, count_row, &s, &s.sum), RPT_OK);
	assert_int_equal(s.calls, 4);
	assert_int_equal(s.sum, 2345);

	struct rpt_bind q[] = { RPT_TEXT("a quote ' and more"), RPT_END };
	memset(&s, 0, sizeof(s));
	assert_int_equal(rpt_each(*state, "SELECT n FROM t WHERE name = ?1",
	    q, count_row, &s, &s.sum), RPT_OK);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.sum, 4);
}

static void
test_each_no_rows_and_no_callback(void **state)
{
	struct seen s = { 0, 0, 0 };

	assert_int_equal(rpt_each(*state, "SELECT n FROM t WHERE n > 99", NULL,
	    count_row, &s, &s.sum), RPT_OK);
	assert_int_equal(s.calls, 0);
	/* NULL row: run for its effect, as CREATE TEMP TABLE ... AS is. */
	assert_int_equal(rpt_each(*state, "DELETE FROM t WHERE n = 5", NULL,
	    NULL, NULL, NULL), RPT_OK);
	assert_int_equal(rpt_each(*state, "SELECT n FROM t", NULL, count_row,
	    &s, &s.sum), RPT_OK);
	assert_int_equal(s.calls, 4);
}

static void
test_each_callback_error_stops(void **state)
{
	struct seen s = { 0, 2, 0 };

	assert_int_equal(rpt_each(*state, "SELECT n FROM t ORDER BY n", NULL,
	    count_row, &s, &s.sum), RPT_ERR_NOMEM);
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.sum, 12);
}

static void
test_each_db_errors(void **state)
{
	struct seen s = { 0, 0, 0 };
	struct rpt_bind two[] = { RPT_INT(1), RPT_INT(2), RPT_END };

	assert_int_equal(rpt_each(*state, "SELECT nope FROM t", NULL,
	    count_row, &s, &s.sum), RPT_ERR_DB);
	/* more values than the statement has parameters */
	assert_int_equal(rpt_each(*state, "SELECT n FROM t WHERE n = ?1", two,
	    count_row, &s, &s.sum), RPT_ERR_DB);
	assert_int_equal(s.calls, 0);
	/* an error while stepping, after rows were handed out (no ORDER BY:
	 * a sort would meet the error before the first row) */
	assert_int_equal(rpt_each(*state, "SELECT CASE WHEN n < 3 THEN n ELSE"
	    " abs(-9223372036854775807 - 1) END FROM t", NULL,
	    count_row, &s, &s.sum), RPT_ERR_DB);
	assert_int_equal(s.calls, 2);
}

static void
test_rows_builds_array(void **state)
{
	struct seen s = { 0, 0, 0 };
	struct item *items = NULL;
	size_t n = 0;

	assert_int_equal(RPT_ROWS(*state, "SELECT n, name FROM t WHERE n <= 2"
	    " ORDER BY n", NULL, fill_item, &s, items, n), RPT_OK);
	assert_int_equal(n, 2);
	/* a second query appends */
	assert_int_equal(RPT_ROWS(*state, "SELECT n, name FROM t WHERE n > 2"
	    " ORDER BY n", NULL, fill_item, &s, items, n), RPT_OK);
	assert_int_equal(n, 5);
	assert_int_equal(s.calls, 5);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(items[i].n, (int64_t)i + 1);
		assert_int_equal(items[i].untouched, 0);
	}
	assert_string_equal(items[0].name, "one");
	assert_string_equal(items[2].name, "three");
	assert_string_equal(items[3].name, "a quote");	/* cut to fit */
	assert_string_equal(items[4].name, "");		/* NULL */
	free(items);
}

static void
test_rows_empty(void **state)
{
	struct seen s = { 0, 0, 0 };
	struct item *items = NULL;
	size_t n = 0;

	assert_int_equal(RPT_ROWS(*state, "SELECT n, name FROM t WHERE 0",
	    NULL, fill_item, &s, items, n), RPT_OK);
	assert_int_equal(n, 0);
	assert_null(items);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_each_binds_in_order),
		T(test_each_no_rows_and_no_callback),
		T(test_each_callback_error_stops),
		T(test_each_db_errors),
		T(test_rows_builds_array),
		T(test_rows_empty),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
