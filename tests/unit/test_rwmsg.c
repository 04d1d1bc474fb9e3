/*
 * A flow record on its way to the writer process (records/rwmsg.c): what
 * goes in comes out, words become enums and back, wire bytes that are not
 * UTF-8 arrive escaped (the writer's checks would refuse them raw), and
 * a record with an unknown word is refused rather than guessed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "rwmsg.h"

static void
sample(struct rec_flow *r)
{
	memset(r, 0, sizeof(*r));
	r->start_us = 1794911400000000LL;
	r->end_us = r->start_us + 2000000;
	r->bytes_out = 1200;
	r->bytes_in = 40000;
	r->pkts_out = 12;
	r->pkts_in = 40;
	r->dst_port = 443;
	r->in_school_hours = true;
	snprintf(r->device, sizeof(r->device), "staff-laptop-07");
	snprintf(r->mac, sizeof(r->mac), "02:00:00:00:00:07");
	snprintf(r->ip, sizeof(r->ip), "10.10.0.7");
	snprintf(r->person, sizeof(r->person), "Zoë Ward");
	snprintf(r->group, sizeof(r->group), "staff");
	snprintf(r->app, sizeof(r->app), "TLS.Facebook");
	snprintf(r->category, sizeof(r->category), "social");
	snprintf(r->host, sizeof(r->host), "www.facebook.com");
	snprintf(r->host_source, sizeof(r->host_source), "dns-cache");
	snprintf(r->dst_ip, sizeof(r->dst_ip), "198.51.100.11");
	snprintf(r->transport, sizeof(r->transport), "tcp");
	snprintf(r->action, sizeof(r->action), "block");
	snprintf(r->rule, sizeof(r->rule), "staff-social-in-hours");
	snprintf(r->clause, sizeof(r->clause), "7.3");
	snprintf(r->source, sizeof(r->source), "live");
	snprintf(r->id_source, sizeof(r->id_source), "8021x");
}

static void
test_roundtrip(void **state)
{
	struct rec_flow in, out;
	struct msg_flow m;

	sample(&in);
	assert_int_equal(rwm_flow_pack(&in, &m), 0);
	assert_int_equal(m.action, SG_BLOCK);
	assert_int_equal(m.host_src, SG_HOST_DNSCACHE);
	rwm_flow_unpack(&m, &out);
	assert_memory_equal(&in, &out, sizeof(in));
}

static void
test_escaped_and_refused(void **state)
{
	struct rec_flow in, out;
	struct msg_flow m;

	sample(&in);
	memcpy(in.host, "bad\xff.example", 13);
	assert_int_equal(rwm_flow_pack(&in, &m), 0);
	rwm_flow_unpack(&m, &out);
	assert_string_equal(out.host, "bad\\xff.example");

	sample(&in);
	snprintf(in.action, sizeof(in.action), "maybe");
	assert_int_equal(rwm_flow_pack(&in, &m), -1);
	sample(&in);
	snprintf(in.host_source, sizeof(in.host_source), "guess");
	assert_int_equal(rwm_flow_pack(&in, &m), -1);
	/* an end before the start would be refused by the writer */
	sample(&in);
	in.end_us = in.start_us - 1;
	assert_int_equal(rwm_flow_pack(&in, &m), 0);
	assert_true(m.end_us == m.start_us);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_escaped_and_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
