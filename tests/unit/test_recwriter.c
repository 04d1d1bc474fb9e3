#include <sys/socket.h>
#include <sys/un.h>
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "recwriter.h"

struct fixture {
	char	 dir[64];
	char	 db[128];
	char	 sock[128];
	int	 fd;		/* our fake syslog daemon */
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct sockaddr_un sun;

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/sg-rw-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->db, sizeof(fx->db), "%s/records.db", fx->dir);
	snprintf(fx->sock, sizeof(fx->sock), "%s/log", fx->dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", fx->sock);
	fx->fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fx->fd == -1 || bind(fx->fd, (struct sockaddr *)&sun,
	    sizeof(sun)) == -1)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char path[192];

	close(fx->fd);
	unlink(fx->sock);
	for (const char *const *s = (const char *const[]){ "", "-wal", "-shm",
	    NULL }; *s; s++) {
		snprintf(path, sizeof(path), "%s%s", fx->db, *s);
		unlink(path);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void
sample(struct rec_flow *r, const char *host)
{
	memset(r, 0, sizeof(*r));
	r->start_us = 1794911400000000LL;
	r->end_us = r->start_us + 2000000;
	snprintf(r->person, sizeof(r->person), "jsmith");
	snprintf(r->group, sizeof(r->group), "staff");
	snprintf(r->app, sizeof(r->app), "TLS.Facebook");
	snprintf(r->host, sizeof(r->host), "%s", host);
	snprintf(r->action, sizeof(r->action), "block");
	snprintf(r->rule, sizeof(r->rule), "staff-social-in-hours");
	snprintf(r->clause, sizeof(r->clause), "7.3");
	snprintf(r->source, sizeof(r->source), "live");
}

/* Rows in table ("flows", "seals"); -1 if it cannot be read. */
static long
count_rows(const char *db, const char *table)
{
	sqlite3 *h;
	sqlite3_stmt *st = NULL;
	char sql[64];
	long n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

/* Each finished flow is stored and also sent to syslog as RFC 5424 with
 * the wire name escaped inside its structured data. */
static void
test_store_and_syslog(void **state)
{
	struct fixture *fx = *state;
	struct pollfd pfd = { fx->fd, POLLIN, 0 };
	struct rec_flow r;
	enum rec_error err;
	struct rw *w;
	char line[4096];
	ssize_t n;

	assert_non_null(w = rw_start(fx->db, 16, 0, &err));
	assert_int_equal(rw_set_syslog(w, fx->sock), 0);
	sample(&r, "evil]\"host\\.example");
	rw_flow(w, &r);
	sample(&r, "www.facebook.com");
	rw_flow(w, &r);
	rw_event(w, "start", "test");
	rw_stop(w);

	assert_int_equal(count_rows(fx->db, "flows"), 2);
	assert_true(poll(&pfd, 1, 2000) == 1);
	n = recv(fx->fd, line, sizeof(line) - 1, 0);
	assert_true(n > 0);
	line[n] = '\0';
	assert_true(line[0] == '<');
	assert_non_null(strstr(line, "TLS.Facebook"));
	/* ] " and \ are escaped in SD-PARAM values (RFC 5424 6.3.3) */
	assert_non_null(strstr(line, "evil\\]\\\"host\\\\.example"));
	n = recv(fx->fd, line, sizeof(line) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	/* the event is stored, not sent: only flows are records */
	assert_int_equal(recv(fx->fd, line, sizeof(line), MSG_DONTWAIT), -1);
}

static void
test_no_syslog_socket(void **state)
{
	struct fixture *fx = *state;
	enum rec_error err;
	struct rw *w;

	assert_non_null(w = rw_start(fx->db, 16, 0, &err));
	assert_int_equal(rw_set_syslog(w, "/nonexistent/dev/log"), -1);
	rw_stop(w);
}

/* The one child of this (single-threaded) test: the writer process. */
static pid_t
writer_pid(void)
{
	char path[64];
	long pid = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children",
	    (int)getpid());
	assert_non_null(fp = fopen(path, "r"));
	if (fscanf(fp, "%ld", &pid) != 1)
		pid = -1;
	fclose(fp);
	return (pid_t)pid;
}

/* "yes" if process pid has file path open. */
static bool
has_open(pid_t pid, const char *path)
{
	char dir[64], link[600], target[512];
	struct dirent *de;
	bool found = false;
	ssize_t n;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	if ((d = opendir(dir)) == NULL)
		return false;
	while (!found && (de = readdir(d)) != NULL) {
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			found = strcmp(target, path) == 0;
		}
	}
	closedir(d);
	return found;
}

static long
status_field(pid_t pid, const char *name)
{
	char path[64], line[256];
	long v = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	assert_non_null(fp = fopen(path, "r"));
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, name, strlen(name)) == 0 &&
		    line[strlen(name)] == ':')
			v = strtol(line + strlen(name) + 1, NULL, 16);
	fclose(fp);
	return v;
}

/* Only the writer, confined, has the database open; not its parent. */
static void
test_writer_process(void **state)
{
	struct fixture *fx = *state;
	enum rec_error err;
	struct rw *w;
	pid_t pid;

	assert_non_null(w = rw_start(fx->db, 16, 0, &err));
	assert_true((pid = writer_pid()) > 0);
	assert_true(has_open(pid, fx->db));
	assert_false(has_open(getpid(), fx->db));
	assert_int_equal(status_field(pid, "NoNewPrivs"), 1);
	assert_int_equal(status_field(pid, "Seccomp"), 2);
	assert_int_equal(status_field(pid, "CapEff"), 0);
	assert_int_equal(status_field(pid, "CapPrm"), 0);
	rw_stop(w);
	assert_int_equal(writer_pid(), -1);	/* waited for */
}

static void
wait_written(struct rw *w, uint64_t n)
{
	struct rw_stats st;

	for (int i = 0; i < 100; i++) {
		rw_get_stats(w, &st);
		if (st.written >= n)
			return;
		usleep(50000);
	}
	fail_msg("the writer did not write %llu rows", (unsigned long long)n);
}

/* Kill the writer and wait until rw_tick has started another. */
static void
crash_writer(struct rw *w)
{
	pid_t old = writer_pid(), now = -1;

	/* not SIGSEGV: AddressSanitizer would catch that one */
	assert_int_equal(kill(old, SIGABRT), 0);
	for (int i = 0; i < 60 && (now == -1 || now == old); i++) {
		usleep(50000);
		rw_tick(w);
		now = writer_pid();
	}
	assert_true(now > 0 && now != old);
}

/* A writer that dies is replaced; the event names the signal and what
 * was written before the crash stays. */
static void
test_writer_crash(void **state)
{
	struct fixture *fx = *state;
	struct rec_flow r;
	enum rec_error err;
	struct rw *w;
	sqlite3 *h;
	sqlite3_stmt *st;

	assert_non_null(w = rw_start(fx->db, 16, 0, &err));
	sample(&r, "www.facebook.com");
	rw_flow(w, &r);
	wait_written(w, 1);
	crash_writer(w);
	sample(&r, "www.instagram.com");
	rw_flow(w, &r);
	rw_stop(w);
	assert_int_equal(count_rows(fx->db, "flows"), 2);
	assert_int_equal(sqlite3_open(fx->db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT detail FROM events "
	    "WHERE kind = 'gap'", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_non_null(strstr((const char *)sqlite3_column_text(st, 0),
	    "killed by signal 6 (SIGABRT)"));
	sqlite3_finalize(st);
	sqlite3_close(h);
}

/* With a sealing state the writer seals at stop and sends the seal to
 * syslog with its own MSGID; the monitor's side only names the state. */
static void
test_seal_at_stop(void **state)
{
	struct fixture *fx = *state;
	struct pollfd pfd = { fx->fd, POLLIN, 0 };
	uint8_t vkey[REC_SEAL_KEY_LEN];
	struct rec_verify_result vr;
	struct rec_flow r;
	enum rec_error err;
	struct rw *w;
	char sp[160], line[2048];
	ssize_t n;

	snprintf(sp, sizeof(sp), "%s/seal.state", fx->dir);
	assert_int_equal(seal_create(sp, false, (uid_t)-1, (gid_t)-1, vkey),
	    SEAL_OK);
	assert_non_null(w = rw_start(fx->db, 16, 0, &err));
	assert_int_equal(rw_set_seal(w, sp, 300, fx->sock), 0);
	sample(&r, "www.facebook.com");
	rw_flow(w, &r);
	rw_event(w, "stop", "test");
	rw_stop(w);
	unlink(sp);

	assert_int_equal(rec_verify_sealed(fx->db, vkey, NULL, &vr), REC_OK);
	assert_true(vr.ok);
	assert_int_equal(vr.seals, 1);
	assert_int_equal(vr.unsealed, 0);
	assert_true(poll(&pfd, 1, 2000) == 1);
	n = recv(fx->fd, line, sizeof(line) - 1, 0);
	assert_true(n > 0);
	line[n] = '\0';
	assert_non_null(strstr(line, " seal [schoolgate@32473 seq=\"1\""));
	assert_non_null(strstr(line, vr.last_seal.mac));
}

/* A writer killed after it sealed: the new one loads the evolved key
 * from the state file and its seals still verify. */
static void
test_seal_after_crash(void **state)
{
	struct fixture *fx = *state;
	uint8_t vkey[REC_SEAL_KEY_LEN];
	struct rec_verify_result vr;
	struct rec_flow r;
	enum rec_error err;
	struct rw *w;
	char sp[160];
	int i;

	snprintf(sp, sizeof(sp), "%s/seal.state", fx->dir);
	assert_int_equal(seal_create(sp, false, (uid_t)-1, (gid_t)-1, vkey),
	    SEAL_OK);
	assert_non_null(w = rw_start(fx->db, 16, 0, &err));
	assert_int_equal(rw_set_seal(w, sp, 1, NULL), 0);
	sample(&r, "www.facebook.com");
	rw_flow(w, &r);
	for (i = 0; i < 100 && count_rows(fx->db, "seals") < 1; i++)
		usleep(50000);
	assert_true(count_rows(fx->db, "seals") >= 1);
	crash_writer(w);
	sample(&r, "www.instagram.com");
	rw_flow(w, &r);
	rw_stop(w);
	unlink(sp);

	assert_int_equal(rec_verify_sealed(fx->db, vkey, NULL, &vr), REC_OK);
	assert_true(vr.ok);
	assert_true(vr.seals >= 2);
	assert_int_equal(vr.unsealed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_and_syslog, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_no_syslog_socket, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_writer_process, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_writer_crash, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_seal_at_stop, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_seal_after_crash, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
