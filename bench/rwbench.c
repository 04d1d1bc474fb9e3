/*
 * rwbench (P6): how many flow records per second the daemon's record
 * writer (records/recwriter.c, a process of its own since issue 18: each
 * row crosses a socket) puts into SQLite while the verdict path keeps
 * producing them, and what each rw_flow() call costs the producer.
 *
 *   rwbench DB ROWS
 * prints: rows=N secs=S rate=R p50_ns=A p99_ns=B max_ns=C dropped=D
 *         paced=P
 * ROWS rows are offered as fast as the producer can build them; it only
 * waits when the writer's queue is three quarters full (counted as
 * "paced"), as a gateway under a flood would start dropping rows there.
 * It waits by sleeping 100 us, as the daemon's workers sleep in poll()
 * between packets: a yield loop would take a core from the writer on a
 * 2-core machine and measure the harness instead.
 * With DB "-" no writer runs: the producer's cost without records.
 * With "seal", the writer also seals (records/seal.c) every second, 300
 * times as often as the default records.seal_interval, under a fresh
 * state in DB.state.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recwriter.h"

#define RWB_QUEUE	16384

static uint64_t
rwb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* A fresh sealing state next to the database, handed to the writer. */
static int
rwb_seal(struct rw *w, const char *db)
{
	uint8_t vkey[REC_SEAL_KEY_LEN];
	char path[4096];

	snprintf(path, sizeof(path), "%s.state", db);
	if (seal_create(path, true, (uid_t)-1, (gid_t)-1, vkey) != SEAL_OK)
		return -1;
	return rw_set_seal(w, path, 1, NULL);
}

static int
rwb_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A row like the gateway writes: varied enough that nothing compresses. */
static void
rwb_row(struct rec_flow *r, uint64_t i)
{
	memset(r, 0, sizeof(*r));
	r->start_us = 1760000000000000LL + (int64_t)i * 1000;
	r->end_us = r->start_us + 2500000;
	snprintf(r->device, sizeof(r->device), "laptop-%llu",
	    (unsigned long long)(i % 500));
	snprintf(r->mac, sizeof(r->mac), "02:00:00:00:%02x:%02x",
	    (unsigned)(i >> 8) & 0xff, (unsigned)i & 0xff);
	snprintf(r->ip, sizeof(r->ip), "10.10.%u.%u",
	    (unsigned)(i >> 8) & 0xff, (unsigned)i & 0xff);
	snprintf(r->person, sizeof(r->person), "staff%llu",
	    (unsigned long long)(i % 120));
	strcpy(r->group, "staff");
	strcpy(r->app, "TLS.Wikipedia");
	strcpy(r->category, "reference");
	snprintf(r->host, sizeof(r->host), "host%llu.en.wikipedia.org",
	    (unsigned long long)i);
	strcpy(r->host_source, "sni");
	strcpy(r->dst_ip, "198.51.100.15");
	r->dst_port = 443;
	strcpy(r->transport, "tcp");
	r->bytes_out = 1200 + i % 1000;
	r->bytes_in = 40000 + i % 7000;
	r->pkts_out = 12;
	r->pkts_in = 40;
	strcpy(r->action, "allow");
	strcpy(r->rule, "staff-web");
	strcpy(r->clause, "6.1");
	r->in_school_hours = true;
	strcpy(r->source, "live");
}

int
main(int argc, char **argv)
{
	struct rw_stats st;
	struct rec_flow r;
	enum rec_error err;
	struct rw *w = NULL;
	uint64_t *lat, rows, t0, t1, a, paced = 0;
	const struct timespec pause = { 0, 100000 };

	if ((argc != 3 && !(argc == 4 && strcmp(argv[3], "seal") == 0)) ||
	    (rows = strtoull(argv[2], NULL, 10)) == 0) {
		fprintf(stderr, "usage: rwbench DB|- ROWS [seal]\n");
		return 2;
	}
	if ((lat = calloc(rows, sizeof(*lat))) == NULL) {
		perror("rwbench");
		return 1;
	}
	if (strcmp(argv[1], "-") != 0 &&
	    (w = rw_start(argv[1], RWB_QUEUE, 0, &err)) == NULL) {
		fprintf(stderr, "rwbench: %s: %s\n", argv[1],
		    rec_strerror(err));
		return 1;
	}
	if (w != NULL && argc == 4 && rwb_seal(w, argv[1]) == -1) {
		fprintf(stderr, "rwbench: %s.state: cannot seal\n", argv[1]);
		return 1;
	}
	t0 = rwb_now_ns();
	for (uint64_t i = 0; i < rows; i++) {
		rwb_row(&r, i);
		if (w != NULL && (i & 63) == 0) {
			rw_get_stats(w, &st);
			while (st.backlog > RWB_QUEUE * 3 / 4) {
				paced++;
				nanosleep(&pause, NULL);
				rw_get_stats(w, &st);
			}
		}
		a = rwb_now_ns();
		if (w != NULL)
			rw_flow(w, &r);
		lat[i] = rwb_now_ns() - a;
	}
	memset(&st, 0, sizeof(st));
	if (w != NULL) {
		rw_get_stats(w, &st);	/* rows drop only when pushed */
		rw_stop(w);	/* the rate counts every row on disk */
	}
	t1 = rwb_now_ns();
	qsort(lat, rows, sizeof(*lat), rwb_cmp);
	printf("rows=%llu secs=%.3f rate=%.0f p50_ns=%llu p99_ns=%llu "
	    "max_ns=%llu dropped=%llu paced=%llu\n", (unsigned long long)rows,
	    (double)(t1 - t0) / 1e9, (double)rows * 1e9 / (double)(t1 - t0),
	    (unsigned long long)lat[rows / 2],
	    (unsigned long long)lat[rows * 99 / 100],
	    (unsigned long long)lat[rows - 1],
	    (unsigned long long)st.dropped_queue, (unsigned long long)paced);
	free(lat);
	return 0;
}
