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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
