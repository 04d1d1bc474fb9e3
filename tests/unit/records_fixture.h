/*
 * What the record store's tests share (header-only, like testutil.h): a
 * fresh directory per test, made-up flows, and a second SQLite
 * connection to look at the file from outside.
 */
#ifndef SG_RECORDS_FIXTURE_H
#define SG_RECORDS_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "records.h"

struct fixture {
	char	 dir[64];
	char	 path[128];
	char	 ropath[128];	/* a file in dir, for the read-only case */
};

static inline int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/sg-test-records-XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/usage.db", fx->dir);
	snprintf(fx->ropath, sizeof(fx->ropath), "%s/ro.db", fx->dir);
	*state = fx;
	return 0;
}

static inline int
teardown(void **state)
{
	struct fixture *fx = *state;
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char p[160];

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", fx->path, sfx[i]);
		unlink(p);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static inline void
make_flow(struct rec_flow *f, int i)
{
	memset(f, 0, sizeof(*f));
	f->start_us = 1700000000000000LL + i * 1000000LL;
	f->end_us = f->start_us + 500000 + i;
	snprintf(f->device, sizeof(f->device), "laptop-%d", i);
	snprintf(f->mac, sizeof(f->mac), "02:00:00:00:%02x:%02x",
	    (i >> 8) & 0xff, i & 0xff);
	snprintf(f->ip, sizeof(f->ip), "10.1.%d.%d", (i >> 8) & 0xff, i & 0xff);
	snprintf(f->person, sizeof(f->person), "staff%d", i % 7);
	snprintf(f->group, sizeof(f->group), "staff");
	snprintf(f->app, sizeof(f->app), "TLS.Facebook");
	snprintf(f->category, sizeof(f->category), "social");
	snprintf(f->host, sizeof(f->host), "www%d.facebook.com", i);
	snprintf(f->host_source, sizeof(f->host_source), "sni");
	snprintf(f->dst_ip, sizeof(f->dst_ip), "2a03:2880:f10c::%x", i);
	f->dst_port = 443;
	snprintf(f->transport, sizeof(f->transport), "tcp");
	f->bytes_out = 1000u + (uint64_t)i;
	f->bytes_in = 50000u + (uint64_t)i;
	f->pkts_out = 10u + (uint64_t)i;
	f->pkts_in = 40u + (uint64_t)i;
	snprintf(f->action, sizeof(f->action), "block");
	snprintf(f->rule, sizeof(f->rule), "no-social-in-hours");
	snprintf(f->clause, sizeof(f->clause), "7.3");
	f->in_school_hours = (i % 2) == 0;
	snprintf(f->source, sizeof(f->source), "live");
	snprintf(f->id_source, sizeof(f->id_source), "registered");
}

static inline sqlite3 *
peek_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 2000);
	return db;
}

static inline int64_t
peek_int(const char *path, const char *sql)
{
	sqlite3 *db = peek_open(path);
	sqlite3_stmt *s = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static inline void
peek_exec(const char *path, const char *sql)
{
	sqlite3 *db = peek_open(path);

	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static inline struct rec_store *
open_ok(const char *path)
{
	enum rec_error e = REC_ERR_IO;
	struct rec_store *st = rec_open(path, &e);

	assert_non_null(st);
	assert_int_equal(e, REC_OK);
	return st;
}

static inline void
add_flows(const char *path, int first, int n)
{
	struct rec_store *st = open_ok(path);
	struct rec_flow f;

	for (int i = first; i < first + n; i++) {
		make_flow(&f, i);
		assert_int_equal(rec_add_flow(st, &f), REC_OK);
	}
	assert_int_equal(rec_flush(st), REC_OK);
	assert_int_equal(rec_pending(st), 0);
	rec_close(st);
}

static inline void
write_chain(const char *path, int nflows, int nevents)
{
	struct rec_store *st;

	add_flows(path, 0, nflows);
	st = open_ok(path);
	for (int i = 0; i < nevents; i++)
		assert_int_equal(rec_event(st, i, "config", "reloaded"), REC_OK);
	rec_close(st);
}

static inline void
verify_ok(const char *path, uint64_t rows)
{
	struct rec_verify_result vr;

	assert_int_equal(rec_verify(path, &vr), REC_OK);
	if (!vr.ok)
		fail_msg("verify: %s %s", vr.table, vr.reason);
	assert_int_equal(vr.verified, rows);
}

static inline void
verify_fails(const char *path, const char *table, int64_t id,
    const char *reason)
{
	struct rec_verify_result vr;
	char want[128];

	assert_int_equal(rec_verify(path, &vr), REC_OK);
	assert_false(vr.ok);
	assert_string_equal(vr.table, table);
	assert_int_equal(vr.bad_id, id);
	snprintf(want, sizeof(want), "row %lld: %s", (long long)id, reason);
	assert_string_equal(vr.reason, want);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

#endif
