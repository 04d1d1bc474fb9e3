/*
 * Write rows into a records database through the real store (rec_*), so
 * the hash chain stays valid, for the report tests and the P8 benchmark.
 *
 *   recgen DB event TS_US KIND DETAIL
 *   recgen DB flow START_US DEVICE MAC PERSON GROUP APP CATEGORY HOST
 *          ACTION RULE CLAUSE IN_HOURS [COUNT]
 *   recgen DB synth N FIRST_DAY_US DAYS
 *
 * synth writes N flows spread over DAYS days from FIRST_DAY_US: one in ten
 * is blocked or logged, for 40 people and 400 unknown devices.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"

#define COPY(dst, src)	snprintf((dst), sizeof(dst), "%s", (src))

static int
add(struct rec_store *rs, const struct rec_flow *r)
{
	enum rec_error e;

	if ((e = rec_add_flow(rs, r)) != REC_OK) {
		fprintf(stderr, "recgen: %s: %s\n", rec_strerror(e),
		    rec_errmsg(rs));
		return -1;
	}
	return 0;
}

static int
one_flow(struct rec_store *rs, char **a)
{
	struct rec_flow r;
	long n = a[12] ? strtol(a[12], NULL, 10) : 1;

	memset(&r, 0, sizeof(r));
	r.start_us = strtoll(a[0], NULL, 10);
	r.end_us = r.start_us + 2000000;
	COPY(r.device, a[1]);
	COPY(r.mac, a[2]);
	COPY(r.ip, "10.10.0.99");
	COPY(r.person, a[3]);
	COPY(r.group, a[4]);
	COPY(r.app, a[5]);
	COPY(r.category, a[6]);
	COPY(r.host, a[7]);
	COPY(r.host_source, "sni");
	COPY(r.dst_ip, "192.0.2.10");
	r.dst_port = 443;
	COPY(r.transport, "tcp");
	r.bytes_out = 900;
	r.bytes_in = 4000;
	r.pkts_out = r.pkts_in = 6;
	COPY(r.action, a[8]);
	COPY(r.rule, a[9]);
	COPY(r.clause, a[10]);
	r.in_school_hours = strcmp(a[11], "1") == 0;
	COPY(r.source, "recgen");
	for (long i = 0; i < n; i++, r.start_us += 60000000,
	    r.end_us += 60000000)
		if (add(rs, &r) == -1)
			return -1;
	return 0;
}

static const char *const synth_apps[][5] = {
	/* app, category, host, rule, clause */
	{ "TLS.Facebook", "personal-social", "www.facebook.com",
	    "staff-social-in-hours", "7.3" },
	{ "TLS.Instagram", "personal-social", "www.instagram.com",
	    "staff-social-in-hours", "7.3" },
	{ "TLS.WhatsApp", "messaging", "web.whatsapp.com",
	    "staff-messaging-in-hours", "6.9" },
	{ "TLS.YouTube", "personal-social", "www.youtube.com",
	    "staff-social-in-hours", "7.3" },
	{ "OpenVPN", "circumvention", "", "staff-circumvention-logged", "9.1" },
	{ "DNS.Facebook", "personal-social", "www.facebook.com",
	    "staff-social-in-hours", "7.3" },
};

static void
synth_row(struct rec_flow *r, uint64_t i, int64_t first, int64_t days)
{
	uint64_t x = i * 2654435761u;
	int64_t day = (int64_t)(x % (uint64_t)days), sec;
	const char *const *a;
	int who = (int)(x >> 8) % 440;

	memset(r, 0, sizeof(*r));
	sec = 7 * 3600 + (int64_t)((x >> 16) % (12 * 3600));
	r->start_us = first + (day * 86400 + sec) * 1000000;
	r->end_us = r->start_us + 3000000;
	if (who < 40) {
		snprintf(r->person, sizeof(r->person), "person%02d", who);
		snprintf(r->device, sizeof(r->device), "laptop%02d", who);
		COPY(r->group, "staff");
	} else
		COPY(r->group, who % 2 ? "pupils" : "guests");
	snprintf(r->mac, sizeof(r->mac), "02:00:00:00:%02x:%02x", who >> 8,
	    who & 0xff);
	snprintf(r->ip, sizeof(r->ip), "10.10.%d.%d", who >> 8, who & 0xff);
	COPY(r->host_source, "sni");
	COPY(r->dst_ip, "192.0.2.1");
	r->dst_port = 443;
	COPY(r->transport, "tcp");
	r->bytes_out = 1000 + i % 5000;
	r->bytes_in = 20000 + i % 90000;
	r->pkts_out = r->pkts_in = 10;
	COPY(r->source, "live");
	r->in_school_hours = sec < 9 * 3600 + 30 * 60 + 3600 * 7;
	if (i % 10 != 0) {
		COPY(r->app, "TLS.Wikipedia");
		COPY(r->category, "education");
		COPY(r->host, "en.wikipedia.org");
		COPY(r->action, "allow");
		COPY(r->rule, "education-allowed");
		COPY(r->clause, "2.3");
		return;
	}
	a = synth_apps[(i / 10) % (sizeof(synth_apps) / sizeof(synth_apps[0]))];
	COPY(r->app, a[0]);
	COPY(r->category, a[1]);
	COPY(r->host, a[2]);
	COPY(r->rule, a[3]);
	COPY(r->clause, a[4]);
	COPY(r->action, strcmp(a[1], "circumvention") == 0 ||
	    !r->in_school_hours ? "log" : "block");
}

static int
synth(struct rec_store *rs, char **a)
{
	uint64_t n = strtoull(a[0], NULL, 10);
	int64_t first = strtoll(a[1], NULL, 10), days = strtoll(a[2], NULL, 10);
	struct rec_flow r;

	if (days < 1)
		return -1;
	for (uint64_t i = 0; i < n; i++) {
		synth_row(&r, i, first, days);
		if (add(rs, &r) == -1)
			return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct rec_store *rs;
	enum rec_error e;
	int rc = -1;

	if (argc < 3) {
		fprintf(stderr, "usage: recgen DB event|flow|synth ARGS...\n");
		return 2;
	}
	if ((rs = rec_open(argv[1], &e)) == NULL) {
		fprintf(stderr, "recgen: %s: %s\n", argv[1], rec_strerror(e));
		return 1;
	}
	if (strcmp(argv[2], "event") == 0 && argc == 6)
		rc = rec_event(rs, strtoll(argv[3], NULL, 10), argv[4],
		    argv[5]) == REC_OK ? 0 : -1;
	else if (strcmp(argv[2], "flow") == 0 && (argc == 15 || argc == 16))
		rc = one_flow(rs, argv + 3);
	else if (strcmp(argv[2], "synth") == 0 && argc == 6)
		rc = synth(rs, argv + 3);
	else
		fprintf(stderr, "recgen: bad arguments\n");
	if (rc == 0 && (e = rec_flush(rs)) != REC_OK) {
		fprintf(stderr, "recgen: %s\n", rec_strerror(e));
		rc = -1;
	}
	rec_close(rs);
	return rc == 0 ? 0 : 1;
}
