/*
 * The hash chain (records/chain.c): rec_verify accepts what the store
 * wrote and finds every kind of edit made behind its back.
 */
#include "records_fixture.h"

static void
test_verify_ok(void **state)
{
	struct fixture *fx = *state;

	write_chain(fx->path, 300, 3);
	verify_ok(fx->path, 303);
	/* A reopened store continues the chain from the last row. */
	add_flows(fx->path, 300, 5);
	verify_ok(fx->path, 308);
}

static void
test_tamper_update(void **state)
{
	struct fixture *fx = *state;

	write_chain(fx->path, 30, 2);
	peek_exec(fx->path, "UPDATE flows SET action = 'allow' WHERE id = 17");
	verify_fails(fx->path, "flows", 17, "hash does not match its contents");
}

static void
test_tamper_type(void **state)
{
	struct fixture *fx = *state;

	/* Same digits, but no longer the number that was hashed. */
	write_chain(fx->path, 30, 2);
	peek_exec(fx->path, "UPDATE flows SET dst_port = 443.5 WHERE id = 9");
	verify_fails(fx->path, "flows", 9, "hash does not match its contents");
}

static void
test_tamper_shift(void **state)
{
	struct fixture *fx = *state;

	struct rec_store *st = open_ok(fx->path);
	struct rec_flow f;

	/*
	 * Moving bytes from one field to the next must not keep the hash,
	 * even when the bytes moved look like the encoding's own markers.
	 */
	make_flow(&f, 1);
	snprintf(f.clause, sizeof(f.clause), "7.3\x03");
	assert_int_equal(rec_add_flow(st, &f), REC_OK);
	rec_close(st);
	verify_ok(fx->path, 1);
	peek_exec(fx->path, "UPDATE flows SET rule = rule || char(3) || '7.3',"
	    " clause = '' WHERE id = 1");
	verify_fails(fx->path, "flows", 1, "hash does not match its contents");
}

static void
test_tamper_delete(void **state)
{
	struct fixture *fx = *state;

	write_chain(fx->path, 30, 2);
	peek_exec(fx->path, "DELETE FROM flows WHERE id = 17");
	verify_fails(fx->path, "flows", 18, "previous row missing or changed");
}

static void
test_tamper_event(void **state)
{
	struct fixture *fx = *state;

	write_chain(fx->path, 5, 4);
	peek_exec(fx->path, "DELETE FROM events WHERE id = 1");
	verify_fails(fx->path, "events", 2, "previous row missing or changed");
}

static void
test_tamper_rehashed(void **state)
{
	struct fixture *fx = *state;

	/* Replacing a row by a copy of another, hash and all, breaks the link. */
	write_chain(fx->path, 30, 0);
	peek_exec(fx->path, "UPDATE flows SET (start_us, end_us, duration_us,"
	    " device, mac, ip, person, grp, app, category, host, host_source,"
	    " dst_ip, dst_port, transport, bytes_out, bytes_in, pkts_out,"
	    " pkts_in, action, rule, clause, in_school_hours, source, prev_hash,"
	    " hash) = (SELECT start_us, end_us, duration_us, device, mac, ip,"
	    " person, grp, app, category, host, host_source, dst_ip, dst_port,"
	    " transport, bytes_out, bytes_in, pkts_out, pkts_in, action, rule,"
	    " clause, in_school_hours, source, prev_hash, hash FROM flows"
	    " WHERE id = 3) WHERE id = 10");
	verify_fails(fx->path, "flows", 10, "previous row missing or changed");
}

static void
test_verify_missing(void **state)
{
	struct fixture *fx = *state;
	struct rec_verify_result vr;

	assert_int_not_equal(rec_verify(fx->path, &vr), REC_OK);
	assert_false(vr.ok);
}

/*
 * A version 1 database (before flows.id_source), as "sqlite3 .dump"
 * printed one that the integrate branch's recgen wrote: 3 flows and an
 * event.  Long lines: it is the dump, unedited.
 */
static const char v1_dump[] =
	    "CREATE TABLE flows ( id INTEGER PRIMARY KEY AUTOINCREMENT, start_us INTEGER, end_us INTEGER, duration_us INTEGER, device TEXT, mac TEXT, ip TEXT, person TEXT, grp TEXT, app TEXT, category TEXT, host TEXT, host_source TEXT, dst_ip TEXT, dst_port INTEGER, transport TEXT, bytes_out INTEGER, bytes_in INTEGER, pkts_out INTEGER, pkts_in INTEGER, action TEXT, rule TEXT, clause TEXT, in_school_hours INTEGER, source TEXT, prev_hash BLOB, hash BLOB);\n"
	    "INSERT INTO flows VALUES(1,1796637600000000,1796637602000000,2000000,'jsmith-laptop','02:00:00:00:10:03','10.10.0.99','jsmith','staff','TLS.Facebook','personal-social','www.facebook.com','sni','192.0.2.10',443,'tcp',900,4000,6,6,'block','staff-social-in-hours','7.3',1,'recgen',X'0000000000000000000000000000000000000000000000000000000000000000',X'74937556c66ce77ea88d971bd82f9b872010885914bcd37b35ef785b9ebade22');\n"
	    "INSERT INTO flows VALUES(2,1796637660000000,1796637662000000,2000000,'jsmith-laptop','02:00:00:00:10:03','10.10.0.99','jsmith','staff','TLS.Facebook','personal-social','www.facebook.com','sni','192.0.2.10',443,'tcp',900,4000,6,6,'block','staff-social-in-hours','7.3',1,'recgen',X'74937556c66ce77ea88d971bd82f9b872010885914bcd37b35ef785b9ebade22',X'f472762c4536006053986900fca0980ec003ec60994090e7c976762dd01170ab');\n"
	    "INSERT INTO flows VALUES(3,1796637720000000,1796637722000000,2000000,'jsmith-laptop','02:00:00:00:10:03','10.10.0.99','jsmith','staff','TLS.Facebook','personal-social','www.facebook.com','sni','192.0.2.10',443,'tcp',900,4000,6,6,'block','staff-social-in-hours','7.3',1,'recgen',X'f472762c4536006053986900fca0980ec003ec60994090e7c976762dd01170ab',X'da422c1aec0e0738fe21b3137d30d414c0358801bb14ece10335aaf1847ce13e');\n"
	    "CREATE TABLE events ( id INTEGER PRIMARY KEY AUTOINCREMENT, ts_us INTEGER, kind TEXT, detail TEXT, prev_hash BLOB, hash BLOB);\n"
	    "INSERT INTO events VALUES(1,1796637600000000,'start','schoolgate 1',X'0000000000000000000000000000000000000000000000000000000000000000',X'fbb29d0fd2ac7b3ce359e2cb9894b16140044fe97e361964fd5f42195bc8e289');\n"
	    "CREATE TABLE meta (key TEXT PRIMARY KEY, value);\n"
	    "INSERT INTO meta VALUES('schema_version','1');\n"
	    "CREATE INDEX flows_start ON flows(start_us);\n"
	    "CREATE INDEX flows_person ON flows(person);\n";

/* Old databases stay readable and verifiable, before and after the
 * upgrade that adds id_source; the old rows' NULL is not a loophole. */
static void
test_schema_v1(void **state)
{
	struct fixture *fx = *state;
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, v1_dump, NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	verify_ok(fx->path, 4);		/* read-only: not upgraded */
	assert_int_equal(peek_int(fx->path, "SELECT value FROM meta WHERE"
	    " key = 'schema_version'"), 1);
	add_flows(fx->path, 10, 2);	/* opened for writing: upgraded */
	assert_int_equal(peek_int(fx->path, "SELECT value FROM meta WHERE"
	    " key = 'schema_version'"), 3);
	assert_int_equal(peek_int(fx->path, "SELECT count(*) FROM flows WHERE"
	    " id_source IS NULL"), 3);
	verify_ok(fx->path, 6);
	/* giving an old row an identity source, or taking a new row's
	 * away, breaks its hash */
	peek_exec(fx->path, "UPDATE flows SET id_source = '8021x' WHERE id = 2");
	verify_fails(fx->path, "flows", 2, "hash does not match its contents");
	peek_exec(fx->path, "UPDATE flows SET id_source = NULL WHERE id = 2");
	verify_ok(fx->path, 6);
	peek_exec(fx->path, "UPDATE flows SET id_source = NULL WHERE id = 5");
	verify_fails(fx->path, "flows", 5, "hash does not match its contents");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_verify_ok),
		T(test_tamper_update),
		T(test_tamper_type),
		T(test_tamper_shift),
		T(test_tamper_delete),
		T(test_tamper_event),
		T(test_tamper_rehashed),
		T(test_verify_missing),
		T(test_schema_v1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
