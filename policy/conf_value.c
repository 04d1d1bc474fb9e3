/*
 * The syntax of single values: times, weekdays, subnets, host patterns
 * and time zones.  Times are strictly "HH:MM" with two digits each
 * ("9:00" is rejected) so that a typo such as "9:000" or "0900" can never
 * be half-read.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "conf_priv.h"

static int
conf_parse_hhmm(const char *s, unsigned int *out)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return -1;
	unsigned int h = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
	unsigned int m = (unsigned)(s[3] - '0') * 10 + (unsigned)(s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	*out = h * 60 + m;
	return 0;
}

/* "HH:MM-HH:MM"; 24:00 only as an end; -2 if it ends before it starts */
int
conf_parse_timerange(const char *s, struct conf_timerange *tr)
{
	unsigned int a, b;

	if (strlen(s) != 11 || s[5] != '-' || conf_parse_hhmm(s, &a) == -1 ||
	    conf_parse_hhmm(s + 6, &b) == -1 || a == 24 * 60)
		return -1;
	if (b <= a)
		return -2;
	tr->start = (uint16_t)a;
	tr->end = (uint16_t)b;
	return 0;
}

int
conf_parse_weekday(const char *s)
{
	static const char *const days[] = { "mon", "tue", "wed", "thu", "fri",
	    "sat", "sun" };

	for (int i = 0; i < 7; i++)
		if (strcmp(s, days[i]) == 0)
			return i;
	return -1;
}

int
conf_parse_cidr(const char *s, struct conf_cidr *out)
{
	char buf[SG_ADDRSTR_MAX + 8], *slash, *end;
	unsigned int max, prefix;
	long v;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (sg_addr_parse(buf, &out->addr) == -1)
		return -1;
	max = out->addr.family == AF_INET ? 32 : 128;
	prefix = max;
	if (slash != NULL) {
		if (!isdigit((unsigned char)slash[0]) || strlen(slash) > 3)
			return -1;
		errno = 0;
		v = strtol(slash, &end, 10);
		if (*end != '\0' || v < 0 || v > (long)max)
			return -1;
		prefix = (unsigned int)v;
	}
	out->prefix = (uint8_t)prefix;
	for (unsigned int bit = prefix; bit < max; bit++)
		out->addr.a[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
	return 0;
}

/* "name.example" or "*.example", lower-cased into out */
int
conf_norm_host(const char *s, char *out, size_t outlen)
{
	size_t n = strlen(s), label = 0, o = 0;

	if (n == 0 || n > 253 || n >= outlen)
		return -1;
	if (s[0] == '*') {
		if (s[1] != '.')
			return -1;
		out[o++] = '*';
		out[o++] = '.';
		s += 2;
	}
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		char ch = (char)tolower((unsigned char)*s);

		if (ch == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if ((ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-') {
			if (++label > 63)
				return -1;
		} else
			return -1;
		out[o++] = ch;
	}
	if (label == 0)
		return -1;
	out[o] = '\0';
	return 0;
}

int
conf_timezone_ok(const char *tz)
{
	char path[sizeof(CONF_ZONEINFO) + 256];
	struct stat st;

	if (tz[0] == '\0' || tz[0] == '/' || strlen(tz) > 255 ||
	    strstr(tz, "..") != NULL)
		return 0;
	for (const char *p = tz; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL)
			return 0;
	snprintf(path, sizeof(path), "%s/%s", CONF_ZONEINFO, tz);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}
