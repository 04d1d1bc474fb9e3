/*
 * schoolgate lists: check the list files a config names, and import a
 * downloaded list into a category's own files, whole or not at all.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "lists.h"
#include "report.h"		/* RPT_LIST_OLD_DAYS: as the report flags them */

static void
lists_usage(FILE *out)
{
	fprintf(out,
	    "usage: schoolgate lists check [-c FILE]\n"
	    "       schoolgate lists import [-c FILE] [-s SOURCE] [-l LICENCE]"
	    " CATEGORY LIST\n\n"
	    "check: validate every list file the configuration names, as\n"
	    "run, reload and check-config do; print each list's category,\n"
	    "entries, date and source, \"(old)\" past %d days.  Errors are\n"
	    "FILE:LINE: message, exit 1.\n\n"
	    "import: merge a downloaded LIST (host patterns, address ranges, or\n"
	    "nDPI host:\"name\" and ip:ADDRESS rules) into the category's\n"
	    "CATEGORY.hosts and CATEGORY.cidr in classification.lists_dir:\n"
	    "new entries are added, comments and header kept, the date set to\n"
	    "today.  Any bad line is reported as LIST:LINE and nothing changes\n"
	    "(exit 1).  A new file gets a header from -s (default: LIST's\n"
	    "name) and -l, which it needs.  Reload the daemon afterwards.\n\n"
	    "  -c FILE   the configuration file (default %s)\n",
	    RPT_LIST_OLD_DAYS, SG_DEFAULT_CONF);
}

/* ---- check ---- */

static void
lists_print_one(const struct sg_config *cfg, const struct conf_list *l,
    int32_t today)
{
	int y, m, d;

	sg_civil_from_days(l->date, &y, &m, &d);
	printf("%-28s %-16s %8zu  %04d-%02d-%02d%s  %s\n", l->name,
	    cfg->categories[l->category].name,
	    l->kind == CONF_LIST_HOSTS ? l->nhosts : l->ncidrs, y, m, d,
	    today - l->date > RPT_LIST_OLD_DAYS ? " (old)" : "      ",
	    l->source);
}

static int32_t
lists_today(void)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	return sg_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday);
}

static int
lists_check(const char *conf)
{
	struct sg_config *cfg;
	int32_t today = lists_today();

	if ((cfg = cmd_load_config_checked(conf)) == NULL)
		return 1;
	printf("%-28s %-16s %8s  %-16s  %s\n", "LIST", "CATEGORY", "ENTRIES",
	    "DATE", "SOURCE");
	for (size_t i = 0; i < cfg->nlists; i++)
		lists_print_one(cfg, &cfg->lists[i], today);
	printf("%zu lists in %s OK (\"(old)\": over %d days since their "
	    "date)\n", cfg->nlists, cfg->lists_dir, RPT_LIST_OLD_DAYS);
	conf_free(cfg);
	return 0;
}

/* ---- import ---- */

/* Entries of one kind: what the target file has, then what is new. */
struct lists_set {
	char		**v;
	size_t		 n, cap;
	size_t		 old;		/* the first n entries were there */
	size_t		 given;		/* entries of this kind in LIST */
};

struct lists_import {
	const char	*file;		/* LIST, for its errors */
	struct lists_set set[2];	/* by enum conf_list_kind */
	size_t		 nerr;
};

static int
lists_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
lists_set_has(const struct lists_set *s, const char *e)
{
	/* the old entries are sorted; the new ones few enough per file */
	if (s->old > 0 && bsearch(&e, s->v, s->old, sizeof(*s->v),
	    lists_cmp) != NULL)
		return true;
	for (size_t i = s->old; i < s->n; i++)
		if (strcmp(s->v[i], e) == 0)
			return true;
	return false;
}

static int
lists_set_add(struct lists_set *s, const char *e)
{
	char **nv;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;

		if ((nv = reallocarray(s->v, cap, sizeof(*nv))) == NULL)
			return -1;
		s->v = nv;
		s->cap = cap;
	}
	if ((s->v[s->n] = strdup(e)) == NULL)
		return -1;
	s->n++;
	return 0;
}

static void
lists_set_free(struct lists_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

static int
lists_take_new(void *arg, int kind, const char *entry)
{
	struct lists_set *s = &((struct lists_import *)arg)->set[kind];

	s->given++;
	return lists_set_has(s, entry) ? 0 : lists_set_add(s, entry);
}

static void
lists_import_err(void *arg, const char *file, int line, const char *msg)
{
	struct lists_import *im = arg;

	im->nerr++;
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
}

/* The target file's entries as the old part of its set, sorted. */
static int
lists_load_old(struct lists_import *im, struct conf_list *l)
{
	struct lists_set *s = &im->set[l->kind];
	char text[SG_HOST_MAX + 2];

	if (lists_read(l, lists_import_err, im) != 0)
		return -1;
	for (size_t i = 0; i < l->nhosts + l->ncidrs; i++) {
		lists_entry_text(l->kind, l->nhosts ? l->hosts[i] : NULL,
		    l->ncidrs ? &l->cidrs[i] : NULL, text, sizeof(text));
		if (lists_set_add(s, text) == -1)
			return -1;
	}
	qsort(s->v, s->n, sizeof(*s->v), lists_cmp);
	s->old = s->n;
	return 0;
}

static int
lists_read_new(struct lists_import *im)
{
	char buf[LISTS_LINE_MAX], copy[LISTS_LINE_MAX], msg[LISTS_LINE_MAX + 128];
	const char *why;
	FILE *fp;
	int line = 0;

	if ((fp = fopen(im->file, "r")) == NULL) {
		lists_import_err(im, im->file, 0, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		line++;
		if (strchr(buf, '\n') == NULL && !feof(fp)) {
			lists_import_err(im, im->file, line, "line too long");
			while (fgets(buf, sizeof(buf), fp) != NULL &&
			    strchr(buf, '\n') == NULL)
				;
			continue;
		}
		snprintf(copy, sizeof(copy), "%s", buf);
		if (lists_foreign_line(buf, lists_take_new, im, &why) == -1) {
			snprintf(msg, sizeof(msg), "\"%s\": %s",
			    lists_strip(copy), why);
			lists_import_err(im, im->file, line, msg);
		}
	}
	if (ferror(fp))
		lists_import_err(im, im->file, line, strerror(errno));
	fclose(fp);
	return im->nerr > 0 ? -1 : 0;
}

struct lists_target {
	char		*path;		/* lists_dir/CATEGORY.hosts */
	char		*tmp;		/* written beside it, then renamed */
	bool		 exists;
	mode_t		 mode;
};

static const char *const lists_ext[2] = { "hosts", "cidr" };

static void
lists_date_text(int32_t day, char *buf, size_t len)
{
	int y, m, d;

	sg_civil_from_days(day, &y, &m, &d);
	snprintf(buf, len, "%04d-%02d-%02d", y, m, d);
}

/* The old file line by line, its header's date replaced by today's. */
static int
lists_copy_old(FILE *out, const char *path, const char *today)
{
	char buf[LISTS_LINE_MAX], copy[LISTS_LINE_MAX], *key, *value;
	bool header = true, dated = false;
	FILE *in;

	if ((in = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(buf, sizeof(buf), in) != NULL) {
		snprintf(copy, sizeof(copy), "%s", buf);
		if (header && !dated && lists_header(copy, &key, &value) &&
		    strcmp(key, "date") == 0) {
			fprintf(out, "# date: %s\n", today);
			dated = true;
			continue;
		}
		snprintf(copy, sizeof(copy), "%s", buf);
		if (buf[0] != '#' && lists_strip(copy)[0] != '\0')
			header = false;
		fputs(buf, out);
		if (strchr(buf, '\n') == NULL)
			fputc('\n', out);
	}
	fclose(in);
	return 0;
}

static int
lists_write_body(FILE *out, const struct lists_target *t,
    const struct lists_set *s, const char *list, const char *source,
    const char *licence, const char *today)
{
	const char *base = strrchr(list, '/') ? strrchr(list, '/') + 1 : list;

	if (t->exists) {
		if (lists_copy_old(out, t->path, today) == -1)
			return -1;
	} else
		fprintf(out, "# source: %s\n# date: %s\n# licence: %s\n\n",
		    source ? source : base, today, licence);
	if (s->n > s->old)
		fprintf(out, "# imported from %s on %s\n", base, today);
	for (size_t i = s->old; i < s->n; i++)
		fprintf(out, "%s\n", s->v[i]);
	return 0;
}

/* Write t->tmp in full and to disk, then read it back as lists_read
 * would, so a file that would not load never replaces a good one. */
static int
lists_write_tmp(struct lists_target *t, const struct lists_set *s,
    const char *list, const char *source, const char *licence,
    const char *today, struct lists_import *im)
{
	struct conf_list chk;
	FILE *out;
	int fd, rc;

	if (asprintf(&t->tmp, "%s.XXXXXX", t->path) == -1) {
		t->tmp = NULL;
		return -1;
	}
	if ((fd = mkstemp(t->tmp)) == -1) {
		free(t->tmp);
		t->tmp = NULL;
		return -1;
	}
	if (fchmod(fd, t->mode) == -1 || (out = fdopen(fd, "w")) == NULL) {
		close(fd);
		return -1;
	}
	rc = lists_write_body(out, t, s, list, source, licence, today);
	if (fflush(out) == EOF || fsync(fileno(out)) == -1)
		rc = -1;
	if (fclose(out) == EOF || rc == -1)
		return -1;
	memset(&chk, 0, sizeof(chk));
	chk.name = strdup(strrchr(t->path, '/') + 1);
	chk.path = strdup(t->tmp);
	rc = chk.name && chk.path && lists_read(&chk, lists_import_err, im) ==
	    0 ? 0 : -1;
	lists_clear(&chk);
	return rc;
}

static int
lists_target_init(struct lists_target *t, const struct sg_config *cfg,
    const char *category, int kind)
{
	struct stat st;

	memset(t, 0, sizeof(*t));
	t->mode = 0644;
	if (asprintf(&t->path, "%s/%s.%s", cfg->lists_dir, category,
	    lists_ext[kind]) == -1) {
		t->path = NULL;
		return -1;
	}
	if (stat(t->path, &st) == 0) {
		t->exists = true;
		t->mode = st.st_mode & 07777;
	} else if (errno != ENOENT)
		return -1;
	return 0;
}

static void
lists_target_free(struct lists_target *t)
{
	if (t->tmp != NULL)
		unlink(t->tmp);
	free(t->tmp);
	free(t->path);
}

static bool
lists_named(const struct sg_config *cfg, const char *path)
{
	const char *base = strrchr(path, '/') + 1;

	for (size_t i = 0; i < cfg->nlists; i++)
		if (strcmp(cfg->lists[i].name, base) == 0)
			return true;
	return false;
}

/* Every temporary file is complete before the first rename. */
static int
lists_commit(struct lists_target *t, const struct lists_set *set,
    const struct sg_config *cfg, const char *category)
{
	int dfd;

	for (int k = 0; k < 2; k++)
		if (t[k].tmp != NULL && rename(t[k].tmp, t[k].path) == -1) {
			fprintf(stderr, "schoolgate: %s: %s\n", t[k].path,
			    strerror(errno));
			return -1;
		}
	if ((dfd = open(cfg->lists_dir, O_RDONLY | O_DIRECTORY)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	for (int k = 0; k < 2; k++) {
		if (t[k].tmp == NULL)
			continue;
		free(t[k].tmp);
		t[k].tmp = NULL;
		printf("%s: %zu new, %zu already listed\n", t[k].path,
		    set[k].n - set[k].old, set[k].given - (set[k].n -
		    set[k].old));
		if (!lists_named(cfg, t[k].path))
			printf("note: category \"%s\" does not name %s in its "
			    "lists yet\n", category, strrchr(t[k].path, '/') +
			    1);
	}
	return 0;
}

static int
lists_import_run(const struct sg_config *cfg, const char *category,
    const char *list, const char *source, const char *licence)
{
	struct lists_import im = { list, { { 0 }, { 0 } }, 0 };
	struct lists_target t[2] = { { 0 }, { 0 } };
	char today[16];
	int rc = -1;

	lists_date_text(lists_today(), today, sizeof(today));
	for (int k = 0; k < 2; k++) {
		struct conf_list old = { .kind = (uint8_t)k };

		if (lists_target_init(&t[k], cfg, category, k) == -1) {
			fprintf(stderr, "schoolgate: %s/%s.%s: %s\n",
			    cfg->lists_dir, category, lists_ext[k],
			    strerror(errno));
			goto done;
		}
		if (!t[k].exists)
			continue;
		old.name = strdup(strrchr(t[k].path, '/') + 1);
		old.path = strdup(t[k].path);
		if (old.name == NULL || old.path == NULL ||
		    lists_load_old(&im, &old) == -1) {
			lists_clear(&old);
			goto done;
		}
		lists_clear(&old);
	}
	if (lists_read_new(&im) == -1)
		goto done;
	for (int k = 0; k < 2; k++) {
		if (im.set[k].given == 0)
			continue;
		if (!t[k].exists && licence == NULL) {
			fprintf(stderr, "schoolgate: %s is new: say the "
			    "list's licence with -l\n", t[k].path);
			goto done;
		}
		if (lists_write_tmp(&t[k], &im.set[k], list, source, licence,
		    today, &im) == -1) {
			if (im.nerr == 0)
				fprintf(stderr, "schoolgate: %s: %s\n",
				    t[k].path, strerror(errno));
			goto done;
		}
	}
	if (im.set[0].given + im.set[1].given == 0)
		fprintf(stderr, "schoolgate: %s holds no entries\n", list);
	else
		rc = lists_commit(t, im.set, cfg, category);
done:
	for (int k = 0; k < 2; k++) {
		lists_target_free(&t[k]);
		lists_set_free(&im.set[k]);
	}
	return rc;
}

static int
lists_import(const char *conf, const char *source, const char *licence,
    const char *category, const char *list)
{
	struct sg_config *cfg;
	int rc = 1;

	if ((cfg = cmd_load_config(conf)) == NULL)
		return 1;
	if (conf_category_index(cfg, category) == -1)
		fprintf(stderr, "schoolgate: %s names no category \"%s\"\n",
		    conf, category);
	else if (lists_import_run(cfg, category, list, source, licence) == 0)
		rc = 0;
	conf_free(cfg);
	return rc;
}

int
cmd_lists(int argc, char **argv)
{
	const char *conf = SG_DEFAULT_CONF, *source = NULL, *licence = NULL;
	int ch;

	if (cmd_wants_help(argc, argv)) {
		lists_usage(stdout);
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "check") != 0 &&
	    strcmp(argv[1], "import") != 0)) {
		lists_usage(stderr);
		return 2;
	}
	argc--;
	argv++;
	while ((ch = getopt(argc, argv, "c:s:l:")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 's':
			source = optarg;
			break;
		case 'l':
			licence = optarg;
			break;
		default:
			lists_usage(stderr);
			return 2;
		}
	}
	if (strcmp(argv[0], "check") == 0 && optind == argc && !source &&
	    !licence)
		return lists_check(conf);
	if (strcmp(argv[0], "import") == 0 && optind + 2 == argc)
		return lists_import(conf, source, licence, argv[optind],
		    argv[optind + 1]);
	lists_usage(stderr);
	return 2;
}
