/*
 * The stream module: in order, out of order, gaps, repeats with the same
 * bytes, overlaps with different ones, the cap and the shared budget.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "stream.h"

static uint8_t msg[600];

static void
fill(void)
{
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
}

static void
test_in_order(void **state)
{
	struct strm s;
	const uint8_t *d;
	size_t n;

	(void)state;
	fill();
	strm_init(&s, 1024, NULL);
	for (size_t o = 0; o < sizeof(msg); o += 40)
		assert_int_equal(strm_add(&s, 0xfffffff0u + (uint32_t)o,
		    msg + o, sizeof(msg) - o < 40 ? sizeof(msg) - o : 40), 0);
	d = strm_data(&s, &n);
	assert_int_equal(n, sizeof(msg));
	assert_memory_equal(d, msg, n);
	assert_int_equal(s.flags, 0);	/* across the 2^32 wrap, too */
	strm_free(&s);
}

/* Last segment first, then the rest backwards: the base moves down. */
static void
test_reversed(void **state)
{
	struct strm s;
	const uint8_t *d;
	size_t n;
	long moved = 0;

	(void)state;
	fill();
	strm_init(&s, 1024, NULL);
	for (size_t o = 560; ; o -= 40) {
		moved += strm_add(&s, 1000 + (uint32_t)o, msg + o, 40);
		if (o == 0)
			break;
	}
	assert_int_equal(moved, 560);
	assert_int_equal(s.base, 1000);
	d = strm_data(&s, &n);
	assert_int_equal(n, sizeof(msg));
	assert_memory_equal(d, msg, n);
	assert_true(s.flags & STRM_F_REORDERED);
	assert_false(s.flags & STRM_F_OVERLAP_DIFF);
	strm_free(&s);
}

static void
test_gap_and_repeat(void **state)
{
	struct strm s;
	size_t n;

	(void)state;
	fill();
	strm_init(&s, 1024, NULL);
	strm_add(&s, 0, msg, 100);
	strm_add(&s, 200, msg + 200, 100);
	(void)strm_data(&s, &n);
	assert_int_equal(n, 100);		/* stops at the gap */
	strm_add(&s, 50, msg + 50, 100);	/* half old, half new */
	(void)strm_data(&s, &n);
	assert_int_equal(n, 150);
	strm_add(&s, 0, msg, 300);		/* fills it, repeats the rest */
	(void)strm_data(&s, &n);
	assert_int_equal(n, 300);
	assert_true(s.flags & STRM_F_RETRANS);
	assert_false(s.flags & STRM_F_OVERLAP_DIFF);
	strm_free(&s);
}

/* The decoy: different bytes at the same place. */
static void
test_overlap_diff(void **state)
{
	struct strm s;
	uint8_t other[40];
	const uint8_t *d;
	size_t n;

	(void)state;
	fill();
	strm_init(&s, 1024, NULL);
	strm_add(&s, 7, msg, 80);
	memcpy(other, msg + 20, sizeof(other));
	other[39] ^= 1;
	strm_add(&s, 27, other, sizeof(other));
	assert_true(s.flags & STRM_F_OVERLAP_DIFF);
	d = strm_data(&s, &n);
	assert_memory_equal(d, msg, 80);	/* the first bytes are kept */
	strm_free(&s);
}

static void
test_bounds(void **state)
{
	struct strm_budget b = { 0, 4096 };
	struct strm s, t;
	size_t n;

	(void)state;
	fill();
	strm_init(&s, 100, &b);
	strm_add(&s, 0, msg, 150);
	(void)strm_data(&s, &n);
	assert_int_equal(n, 100);
	assert_true(s.flags & STRM_F_CLIPPED);
	strm_add(&s, 5000, msg, 10);		/* far ahead */
	strm_add(&s, (uint32_t)-5000, msg, 10);	/* far behind */
	assert_true(s.flags & STRM_F_OUTSIDE);
	(void)strm_data(&s, &n);
	assert_int_equal(n, 100);
	/* a segment below the base pushes the top past the cap */
	strm_add(&s, (uint32_t)-10, msg, 10);
	(void)strm_data(&s, &n);
	assert_int_equal(n, 100);
	assert_int_equal(s.base, (uint32_t)-10);
	strm_free(&s);
	assert_int_equal(b.used, 0);

	/* the budget: a second stream gets nothing once the first has it */
	strm_init(&s, 4096, &b);
	strm_init(&t, 4096, &b);
	strm_add(&s, 0, msg, 600);
	strm_add(&s, 3000, msg, 600);
	strm_add(&t, 0, msg, 10);
	assert_true(t.flags & STRM_F_NOMEM);
	(void)strm_data(&t, &n);
	assert_int_equal(n, 0);
	strm_free(&s);
	strm_add(&t, 0, msg, 10);
	(void)strm_data(&t, &n);
	assert_int_equal(n, 10);
	strm_free(&t);
	assert_int_equal(b.used, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_reversed),
		cmocka_unit_test(test_gap_and_repeat),
		cmocka_unit_test(test_overlap_diff),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
