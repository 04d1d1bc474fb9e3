/*
 * Reading rows for the report (rows.h).  Every value is bound, never
 * spliced into the SQL.
 */
#include <stdlib.h>
#include <string.h>

#include "rows.h"

/* The values outlive the statement: rpt_each finalizes it first. */
static int
rpt_bind_all(sqlite3_stmt *st, const struct rpt_bind *b)
{
	int rc = SQLITE_OK;

	for (int i = 0; b != NULL && b[i].type != 0 && rc == SQLITE_OK; i++)
		rc = b[i].type == SQLITE_TEXT ?
		    sqlite3_bind_text(st, i + 1, b[i].s, -1, SQLITE_STATIC) :
		    sqlite3_bind_int64(st, i + 1, b[i].i);
	return rc;
}

enum rpt_error
rpt_each(sqlite3 *db, const char *sql, const struct rpt_bind *b,
    rpt_row_fn row, void *ctx, void *out)
{
	sqlite3_stmt *st = NULL;
	enum rpt_error err = RPT_ERR_DB;
	int rc = SQLITE_DONE;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    rpt_bind_all(st, b) != SQLITE_OK)
		goto finalize;
	err = RPT_OK;
	while (err == RPT_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if (row != NULL)
			err = row(ctx, st, out);
	if (err == RPT_OK && rc != SQLITE_DONE)
		err = RPT_ERR_DB;
 finalize:
	sqlite3_finalize(st);
	return err;
}

void *
rpt_push(void *arrp, size_t *n, size_t size)
{
	void **arr = arrp;
	char *p;

	if ((p = realloc(*arr, (*n + 1) * size)) == NULL)
		return NULL;
	*arr = p;
	memset(p + *n * size, 0, size);
	return p + (*n)++ * size;
}

struct rpt_array {
	rpt_row_fn	 fill;
	void		*ctx;
	void		*arrp;
	size_t		*n;
	size_t		 size;
};

static enum rpt_error
rpt_append(void *arg, sqlite3_stmt *st, void *out)
{
	struct rpt_array *a = arg;
	void *elem;

	if ((elem = rpt_push(a->arrp, a->n, a->size)) == NULL)
		return RPT_ERR_NOMEM;
	return a->fill(a->ctx, st, elem);
}

enum rpt_error
rpt_rows(sqlite3 *db, const char *sql, const struct rpt_bind *b,
    rpt_row_fn fill, void *ctx, void *arrp, size_t *n, size_t size)
{
	struct rpt_array a = { fill, ctx, arrp, n, size };

	return rpt_each(db, sql, b, rpt_append, &a, NULL);
}

void
rpt_col_text(sqlite3_stmt *st, int col, char *out, size_t len)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	int n = sqlite3_column_bytes(st, col);

	if (s == NULL || len == 0) {
		if (len)
			out[0] = '\0';
		return;
	}
	if ((size_t)n >= len)
		n = (int)len - 1;
	memcpy(out, s, (size_t)n);
	out[n] = '\0';
}

enum rpt_error
rpt_db_compat(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT id_source FROM flows LIMIT 0", -1,
	    &s, NULL);
	sqlite3_finalize(s);
	if (rc == SQLITE_OK)
		return RPT_OK;
	/* temp comes first in name lookup, so "flows" is the view */
	rc = sqlite3_exec(db, "CREATE TEMP VIEW flows AS SELECT *, NULL AS"
	    " id_source FROM main.flows", NULL, NULL, NULL);
	return rc == SQLITE_OK ? RPT_OK : RPT_ERR_DB;
}
