/*
 * One way to read rows for the report: prepare, bind, step, hand each row
 * to a callback, finalize.  A query keeps only its SQL and the mapping of
 * its columns (query.c).
 */
#ifndef SG_REPORT_ROWS_H
#define SG_REPORT_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "report.h"

/* One value for ?N, from ?1 on; a list ends with RPT_END. */
struct rpt_bind {
	int		 type;	/* SQLITE_INTEGER, SQLITE_TEXT; 0: end */
	int64_t		 i;
	const char	*s;		/* must outlive the call */
};
#define RPT_INT(v)	{ .type = SQLITE_INTEGER, .i = (v) }
#define RPT_TEXT(v)	{ .type = SQLITE_TEXT, .s = (v) }
#define RPT_END		{ .type = 0 }

/*
 * What a query does with one row.  ctx is the caller's, passed to every
 * row; out is the caller's with rpt_each, the element made for this row
 * with rpt_rows.  Anything but RPT_OK stops the query and is its result.
 */
typedef enum rpt_error (*rpt_row_fn)(void *ctx, sqlite3_stmt *, void *out);

/* Run sql with b bound (b may be NULL) and hand each row to row (NULL:
 * run it for its effect).  RPT_ERR_DB if SQLite fails. */
enum rpt_error	 rpt_each(sqlite3 *, const char *sql, const struct rpt_bind *b,
		    rpt_row_fn row, void *ctx, void *out);
/* Append one zeroed element of size bytes to *arrp (a T **) per row,
 * counted in *n, and let fill set it.  See RPT_ROWS. */
enum rpt_error	 rpt_rows(sqlite3 *, const char *sql, const struct rpt_bind *b,
		    rpt_row_fn fill, void *ctx, void *arrp, size_t *n,
		    size_t size);
/* rpt_rows with the element size taken from the array's own type. */
#define RPT_ROWS(db, sql, b, fill, ctx, arr, n) \
	rpt_rows((db), (sql), (b), (fill), (ctx), &(arr), &(n), sizeof(*(arr)))

/* Grow *arrp (a T **) by one zeroed element; NULL if out of memory. */
void		*rpt_push(void *arrp, size_t *n, size_t size);
/*
 * A database written before flows.id_source (schema version 1, opened
 * read-only so not upgraded) gets a temporary view named flows with the
 * column NULL, so the same queries read both.  RPT_ERR_DB if it fails.
 */
enum rpt_error	 rpt_db_compat(sqlite3 *);
/* Column col as text, cut to fit len; "" for NULL. */
void		 rpt_col_text(sqlite3_stmt *, int col, char *out, size_t len);

#endif
