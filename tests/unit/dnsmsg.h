/*
 * Building DNS messages by hand for the unit tests (header-only; include
 * after cmocka.h).
 */
#ifndef SG_TEST_DNSMSG_H
#define SG_TEST_DNSMSG_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A message under construction. */
struct t_msg {
	uint8_t		 b[2048];
	size_t		 len;
};

static inline void
t_put(struct t_msg *m, const void *p, size_t n)
{
	assert_true(m->len + n <= sizeof(m->b));
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static inline void
t_put16(struct t_msg *m, uint16_t v)
{
	uint8_t	 b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	t_put(m, b, 2);
}

static inline void
t_put32(struct t_msg *m, uint32_t v)
{
	t_put16(m, (uint16_t)(v >> 16));
	t_put16(m, (uint16_t)v);
}

/* "www.Facebook.com" as labels; returns the offset it was written at. */
static inline size_t
t_name(struct t_msg *m, const char *name)
{
	size_t	 at = m->len;
	char	*copy, *lab, *save = NULL;

	assert_non_null(copy = strdup(name));
	for (lab = strtok_r(copy, ".", &save); lab != NULL;
	    lab = strtok_r(NULL, ".", &save)) {
		uint8_t n = (uint8_t)strlen(lab);

		t_put(m, &n, 1);
		t_put(m, lab, n);
	}
	free(copy);
	t_put(m, "", 1);
	return at;
}

static inline void
t_ptr(struct t_msg *m, size_t to)
{
	t_put16(m, (uint16_t)(0xc000 | to));
}

#endif
