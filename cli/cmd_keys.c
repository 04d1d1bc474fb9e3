/*
 * schoolgate keys init: the sealing state on the gateway and the lead
 * team's verification key (records/seal.c), printed once as text and as
 * a QR code, never kept on the gateway unless written where asked.
 * Also cmd_seal_store, the seal classify --records makes when it closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <qrencode.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd.h"
#include "records.h"
#include "report.h"

struct keys_opts {
	const char	*conf;
	const char	*keyfile;
	bool		 force;
};

static void
keys_usage(FILE *out)
{
	fprintf(out,
	    "usage: schoolgate keys init [-c CONF] [--verification-key FILE]"
	    " [--force]\n\n"
	    "Create the records' sealing state (records.seal_state) and print\n"
	    "the verification key once, as text and as a QR code.  Keep it off\n"
	    "the gateway (on paper, or in the school's password manager): with\n"
	    "it, 'schoolgate verify --verification-key' proves that nothing\n"
	    "sealed was changed.  --verification-key also writes it to FILE.\n"
	    "--force replaces an existing state: seals made before then need\n"
	    "the old key.\n");
}

static int
keys_parse(int argc, char **argv, struct keys_opts *o)
{
	static const struct option longopts[] = {
		{ "verification-key", required_argument, NULL, 'k' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->conf = SG_DEFAULT_CONF;
	if (argc < 2 || strcmp(argv[1], "init") != 0)
		return -1;
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->conf = optarg; break;
		case 'k': o->keyfile = optarg; break;
		case 'f': o->force = true; break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

/* Light modules as blocks, two rows a line, with a quiet zone: it scans
 * from a dark terminal as qrencode -t UTF8 does. */
static int
keys_print_qr(const char *text, FILE *out)
{
	static const char *const cell[4] = { "\xe2\x96\x88", "\xe2\x96\x84",
	    "\xe2\x96\x80", " " };
	const int quiet = 2;
	QRcode *qr;

	if ((qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1)) ==
	    NULL)
		return -1;
	int w = qr->width, n = w + 2 * quiet;
	for (int y = 0; y < n; y += 2) {
		for (int x = 0; x < n; x++) {
			int top = 0, bottom = 0, mx = x - quiet;

			if (mx >= 0 && mx < w && y - quiet >= 0 && y - quiet < w)
				top = qr->data[(y - quiet) * w + mx] & 1;
			if (mx >= 0 && mx < w && y + 1 - quiet >= 0 &&
			    y + 1 - quiet < w)
				bottom = qr->data[(y + 1 - quiet) * w + mx] & 1;
			fputs(cell[top * 2 + bottom], out);
		}
		fputc('\n', out);
	}
	QRcode_free(qr);
	return 0;
}

static int
keys_write_file(const char *path, const char *text, bool force)
{
	int fd;
	size_t len = strlen(text);

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW |
	    (force ? 0 : O_EXCL), 0600);
	if (fd == -1)
		return -1;
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd) == -1) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* The daemon writes the state after dropping to daemon.user. */
static void
keys_owner(const struct sg_config *cfg, uid_t *uid, gid_t *gid)
{
	const struct passwd *pw;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (geteuid() != 0 || cfg->user == NULL ||
	    (pw = getpwnam(cfg->user)) == NULL)
		return;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
}

static void
keys_show(const char *text)
{
	printf("The verification key for these records (shown once):\n\n"
	    "  %s\n\n", text);
	if (keys_print_qr(text, stdout) == -1)
		printf("(the QR code could not be made)\n");
	printf("\nKeep it off the gateway: print it for the lead team's safe,"
	    " or store it in\nthe school's password manager.  To check the"
	    " records:\n  schoolgate verify --db DB --verification-key FILE"
	    " [--anchors SYSLOG_FILE]\n");
}

int
cmd_keys(int argc, char **argv)
{
	uint8_t vkey[REC_SEAL_KEY_LEN];
	char text[REC_SEAL_KEY_TEXT + 1];
	struct keys_opts o;
	struct sg_config *cfg;
	enum seal_error e;
	uid_t uid;
	gid_t gid;
	int rc = 1;

	if (cmd_wants_help(argc, argv)) {
		keys_usage(stdout);
		return 0;
	}
	if (keys_parse(argc, argv, &o) == -1) {
		keys_usage(stderr);
		return 2;
	}
	if ((cfg = cmd_load_config(o.conf)) == NULL)
		return 1;
	keys_owner(cfg, &uid, &gid);
	if ((e = seal_create(cfg->seal_state, o.force, uid, gid, vkey)) !=
	    SEAL_OK) {
		fprintf(stderr, "schoolgate: %s: %s%s\n", cfg->seal_state,
		    seal_strerror(e), e == SEAL_ERR_EXISTS ? "; --force"
		    " replaces it, and seals made before then can only be"
		    " checked with the old verification key" : "");
		goto out;
	}
	seal_key_text(vkey, text);
	if (o.keyfile != NULL && keys_write_file(o.keyfile, text,
	    o.force) == -1) {
		fprintf(stderr, "schoolgate: %s: %s\n", o.keyfile,
		    strerror(errno));
		goto out;
	}
	keys_show(text);
	rc = 0;
 out:
	explicit_bzero(vkey, sizeof(vkey));
	explicit_bzero(text, sizeof(text));
	conf_free(cfg);
	return rc;
}

static void
cmd_send_anchor(const struct sg_config *cfg, const struct rec_seal_info *si)
{
	char line[1024], host[64] = "-";
	int fd, n;

	if ((fd = rpt_syslog_connect(cfg->syslog_socket)) == -1) {
		fprintf(stderr, "schoolgate: seal %llu not sent to syslog: %s:"
		    " %s\n", (unsigned long long)si->seq, cfg->syslog_socket,
		    strerror(errno));
		return;
	}
	if (gethostname(host, sizeof(host) - 1) == -1)
		snprintf(host, sizeof(host), "-");
	n = rpt_syslog5424_seal(si, host, (int)getpid(), line, sizeof(line));
	if (n > 0 && send(fd, line, (size_t)n, 0) == -1)
		fprintf(stderr, "schoolgate: seal %llu not sent to syslog: %s\n",
		    (unsigned long long)si->seq, strerror(errno));
	close(fd);
}

void
cmd_seal_store(struct rec_store *rs, const char *db,
    const struct sg_config *cfg)
{
	struct rec_sealer *sealer;
	struct rec_seal_info si;
	enum seal_error e;
	enum rec_error err;

	if ((e = seal_load(cfg->seal_state, &sealer)) != SEAL_OK) {
		fprintf(stderr, "schoolgate: %s: records are not sealed: %s\n",
		    db, e == SEAL_ERR_ABSENT ? "run schoolgate keys init" :
		    seal_strerror(e));
		return;
	}
	if ((err = rec_seal(rs, sealer, (int64_t)sg_now_us(), &si)) != REC_OK)
		fprintf(stderr, "schoolgate: %s: sealing failed: %s (%s)\n", db,
		    rec_strerror(err), rec_errmsg(rs));
	else
		cmd_send_anchor(cfg, &si);
	seal_free(sealer);
}
