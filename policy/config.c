/*
 * Configuration loader: one libconfig file into one immutable sg_config.
 *
 * Every problem is collected rather than stopping at the first, so an
 * administrator fixes a broken file in one pass.  Sections are parsed in
 * dependency order (schedules, categories, groups, people, devices, then
 * everything that refers to them) so each reference resolves to an index
 * the moment it is read; the one cycle, a group's devices, is resolved
 * after the devices.
 *
 * Times are strictly "HH:MM" with two digits each ("9:00" is rejected) so
 * that a typo such as "9:000" or "0900" can never be half-read.
 */
#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "config.h"
#include "records.h"

#define CONF_ZONEINFO	"/usr/share/zoneinfo"
#define CONF_TEXT_MAX	512	/* descriptions, display names, labels */
#define CONF_IFNAME_MAX	16	/* IFNAMSIZ */
#define CONF_PATH_MAX	4096

struct conf_ctx {
	struct sg_config	*conf;
	struct conf_errors	*errs;
	const char		*path;
	size_t			 nerr;	/* counted even if msg could not be stored */
};

typedef int (*conf_lookup_fn)(const struct sg_config *, const char *);

static const char *const root_keys[] = { "school", "schedules", "groups",
    "default_group", "people", "devices", "leases", "categories", "rules",
    "professional_accounts", "classification", "records", "daemon", NULL };

static void	conf_err(struct conf_ctx *, const config_setting_t *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
static void	conf_err_at(struct conf_ctx *, const char *, int,
		    const char *, ...) __attribute__((format(printf, 4, 5)));

static void
conf_verr(struct conf_ctx *c, const char *file, unsigned int line,
    const char *fmt, va_list ap)
{
	char *msg, *full, **v;

	c->nerr++;
	if (vasprintf(&msg, fmt, ap) == -1)
		return;
	if (asprintf(&full, "%s:%u: %s", file ? file : c->path, line,
	    msg) == -1)
		full = NULL;
	free(msg);
	if (full == NULL)
		return;
	v = reallocarray(c->errs->msg, c->errs->n + 1, sizeof(*v));
	if (v == NULL) {
		free(full);
		return;
	}
	v[c->errs->n++] = full;
	c->errs->msg = v;
}

static void
conf_err(struct conf_ctx *c, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (s != NULL)
		conf_verr(c, config_setting_source_file(s),
		    config_setting_source_line(s), fmt, ap);
	else
		conf_verr(c, NULL, 0, fmt, ap);
	va_end(ap);
}

static void
conf_err_at(struct conf_ctx *c, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_verr(c, file, line > 0 ? (unsigned int)line : 0, fmt, ap);
	va_end(ap);
}

static char *
conf_strdup(struct conf_ctx *c, const config_setting_t *s, const char *str)
{
	char *p = strdup(str);

	if (p == NULL)
		conf_err(c, s, "out of memory");
	return p;
}

static void *
conf_calloc(struct conf_ctx *c, const config_setting_t *s, size_t n,
    size_t size)
{
	void *p;

	if (n == 0)
		return NULL;
	if ((p = calloc(n, size)) == NULL)
		conf_err(c, s, "out of memory");
	return p;
}

/* Text without control characters, so it is safe in logs and reports. */
static int
conf_text_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n >= max)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static const char *
conf_where(char *buf, size_t len, const char *kind, const char *name,
    size_t idx)
{
	if (name != NULL)
		snprintf(buf, len, "%s \"%s\"", kind, name);
	else
		snprintf(buf, len, "%s #%zu", kind, idx + 1);
	return buf;
}

static void
conf_check_keys(struct conf_ctx *c, const config_setting_t *grp,
    const char *const *allowed, const char *where)
{
	int n = config_setting_length(grp);

	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(grp, i);
		const char *name = config_setting_name(m);
		size_t k;

		for (k = 0; allowed[k] != NULL; k++)
			if (name != NULL && strcmp(name, allowed[k]) == 0)
				break;
		if (allowed[k] == NULL)
			conf_err(c, m, "unknown key \"%s\" in %s",
			    name ? name : "?", where);
	}
}

/* Returns the string, or NULL if absent or (reported) of the wrong type. */
static const char *
conf_get_str(struct conf_ctx *c, const config_setting_t *grp,
    const char *key, const char *where)
{
	const config_setting_t *m = config_setting_get_member(grp, key);

	if (m == NULL)
		return NULL;
	if (config_setting_type(m) != CONFIG_TYPE_STRING) {
		conf_err(c, m, "%s: \"%s\" must be a string", where, key);
		return NULL;
	}
	return config_setting_get_string(m);
}

static const char *
conf_req_str(struct conf_ctx *c, const config_setting_t *grp,
    const char *key, const char *where)
{
	if (config_setting_get_member(grp, key) == NULL) {
		conf_err(c, grp, "%s: missing \"%s\"", where, key);
		return NULL;
	}
	return conf_get_str(c, grp, key, where);
}

static const config_setting_t *
conf_member(const config_setting_t *grp, const char *key)
{
	return config_setting_get_member(grp, key);
}

static int
conf_require(struct conf_ctx *c, const config_setting_t *grp,
    const char *key, const char *where)
{
	if (config_setting_get_member(grp, key) != NULL)
		return 1;
	conf_err(c, grp, "%s: missing \"%s\"", where, key);
	return 0;
}

/* A display string: dup it, or leave *out alone if absent. */
static void
conf_get_text(struct conf_ctx *c, const config_setting_t *grp,
    const char *key, const char *where, char **out)
{
	const char *s = conf_get_str(c, grp, key, where);

	if (s == NULL)
		return;
	if (!conf_text_ok(s, CONF_TEXT_MAX)) {
		conf_err(c, conf_member(grp, key), "%s: invalid %s \"%s\"",
		    where, key, s);
		return;
	}
	free(*out);
	*out = conf_strdup(c, grp, s);
}

static void
conf_get_path(struct conf_ctx *c, const config_setting_t *grp,
    const char *key, const char *where, char **out)
{
	const char *s = conf_get_str(c, grp, key, where);

	if (s == NULL)
		return;
	if (!conf_text_ok(s, CONF_PATH_MAX)) {
		conf_err(c, conf_member(grp, key), "%s: invalid path \"%s\"",
		    where, s);
		return;
	}
	free(*out);
	*out = conf_strdup(c, grp, s);
}

static char *
conf_req_name(struct conf_ctx *c, const config_setting_t *grp,
    const char *key, const char *where)
{
	const char *s = conf_req_str(c, grp, key, where);

	if (s == NULL)
		return NULL;
	if (!conf_text_ok(s, SG_NAME_MAX) || s[0] == '!') {
		conf_err(c, conf_member(grp, key), "%s: invalid %s \"%s\"",
		    where, key, s);
		return NULL;
	}
	return conf_strdup(c, grp, s);
}

static int
conf_get_bool(struct conf_ctx *c, const config_setting_t *grp,
    const char *key, const char *where, bool *out)
{
	const config_setting_t *m = conf_member(grp, key);

	if (m == NULL)
		return 0;
	if (config_setting_type(m) != CONFIG_TYPE_BOOL) {
		conf_err(c, m, "%s: \"%s\" must be true or false", where, key);
		return -1;
	}
	*out = config_setting_get_bool(m) != 0;
	return 0;
}

static int
conf_get_uint(struct conf_ctx *c, const config_setting_t *grp,
    const char *key, const char *where, long long lo, long long hi,
    unsigned int *out)
{
	const config_setting_t *m = conf_member(grp, key);
	long long v;

	if (m == NULL)
		return 0;
	if (config_setting_type(m) != CONFIG_TYPE_INT &&
	    config_setting_type(m) != CONFIG_TYPE_INT64) {
		conf_err(c, m, "%s: \"%s\" must be a number", where, key);
		return -1;
	}
	v = config_setting_get_int64(m);
	if (v < lo || v > hi) {
		conf_err(c, m, "%s: %s %lld out of range %lld..%lld", where,
		    key, v, lo, hi);
		return -1;
	}
	*out = (unsigned int)v;
	return 0;
}

/* A list (or array) of strings; NULL if absent or reported as bad. */
static const config_setting_t *
conf_get_str_list(struct conf_ctx *c, const config_setting_t *grp,
    const char *key, const char *where)
{
	const config_setting_t *m = conf_member(grp, key);
	int n;

	if (m == NULL)
		return NULL;
	if (!config_setting_is_array(m) && !config_setting_is_list(m)) {
		conf_err(c, m, "%s: \"%s\" must be a list of strings", where,
		    key);
		return NULL;
	}
	n = config_setting_length(m);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(m, i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			conf_err(c, e, "%s: \"%s\" must be a list of strings",
			    where, key);
			return NULL;
		}
	}
	return m;
}

/* A section that is a list of groups; NULL if absent or bad. */
static const config_setting_t *
conf_get_section_list(struct conf_ctx *c, const config_setting_t *root,
    const char *key)
{
	const config_setting_t *m = conf_member(root, key);

	if (m == NULL)
		return NULL;
	if (!config_setting_is_list(m) && !config_setting_is_array(m)) {
		conf_err(c, m, "\"%s\" must be a list of groups ( { ... } )",
		    key);
		return NULL;
	}
	return m;
}

static const config_setting_t *
conf_get_section_group(struct conf_ctx *c, const config_setting_t *root,
    const char *key)
{
	const config_setting_t *m = conf_member(root, key);

	if (m == NULL)
		return NULL;
	if (!config_setting_is_group(m)) {
		conf_err(c, m, "\"%s\" must be a group { ... }", key);
		return NULL;
	}
	return m;
}

static const config_setting_t *
conf_entry(struct conf_ctx *c, const config_setting_t *list, int i,
    const char *section)
{
	const config_setting_t *e = config_setting_get_elem(list, i);

	if (!config_setting_is_group(e)) {
		conf_err(c, e, "%s entry must be a group { ... }", section);
		return NULL;
	}
	return e;
}

/* Plain strings (app names, interfaces, roles) copied as given. */
static void
conf_copy_str_list(struct conf_ctx *c, const config_setting_t *grp,
    const char *key, const char *where, size_t max, char ***out, size_t *nout)
{
	const config_setting_t *l = conf_get_str_list(c, grp, key, where);
	int n;

	if (l == NULL || (n = config_setting_length(l)) == 0)
		return;
	if ((*out = conf_calloc(c, l, (size_t)n, sizeof(**out))) == NULL)
		return;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(l, i);
		const char *s = config_setting_get_string(e);

		if (!conf_text_ok(s, max)) {
			conf_err(c, e, "%s: invalid %s entry \"%s\"", where,
			    key, s);
			continue;
		}
		(*out)[(*nout)++] = conf_strdup(c, e, s);
	}
}

/* Names of groups, people or devices, resolved to indexes. */
static void
conf_resolve_list(struct conf_ctx *c, const config_setting_t *grp,
    const char *key, const char *where, const char *kind, conf_lookup_fn fn,
    int **out, size_t *nout)
{
	const config_setting_t *l = conf_get_str_list(c, grp, key, where);
	int n;

	if (l == NULL)
		return;
	if ((n = config_setting_length(l)) == 0) {
		conf_err(c, l, "%s: empty \"%s\" list", where, key);
		return;
	}
	if ((*out = conf_calloc(c, l, (size_t)n, sizeof(**out))) == NULL)
		return;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(l, i);
		const char *s = config_setting_get_string(e);
		int idx = fn(c->conf, s);

		if (idx < 0)
			conf_err(c, e, "%s: unknown %s \"%s\"", where, kind, s);
		else
			(*out)[(*nout)++] = idx;
	}
}

static int
conf_resolve_one(struct conf_ctx *c, const config_setting_t *grp,
    const char *key, const char *where, const char *kind, conf_lookup_fn fn)
{
	const char *s = conf_get_str(c, grp, key, where);
	int idx;

	if (s == NULL)
		return -1;
	if ((idx = fn(c->conf, s)) < 0)
		conf_err(c, conf_member(grp, key), "%s: unknown %s \"%s\"",
		    where, kind, s);
	return idx;
}

static int
conf_date(struct conf_ctx *c, const config_setting_t *grp, const char *key,
    const char *where, int32_t *out)
{
	const char *s = conf_req_str(c, grp, key, where);

	if (s == NULL)
		return -1;
	if (sg_date_parse(s, out) == -1) {
		conf_err(c, conf_member(grp, key), "%s: invalid date \"%s\"",
		    where, s);
		return -1;
	}
	return 0;
}

/* ---- lookups ---- */

#define CONF_INDEX(arr, n, field) do {					\
	if (conf == NULL || name == NULL)				\
		return -1;						\
	for (size_t i_ = 0; i_ < conf->n; i_++)				\
		if (conf->arr[i_].field != NULL &&			\
		    strcmp(conf->arr[i_].field, name) == 0)		\
			return (int)i_;					\
	return -1;							\
} while (0)

int
conf_group_index(const struct sg_config *conf, const char *name)
{
	CONF_INDEX(groups, ngroups, name);
}

int
conf_person_index(const struct sg_config *conf, const char *name)
{
	CONF_INDEX(people, npeople, id);
}

int
conf_device_index(const struct sg_config *conf, const char *name)
{
	CONF_INDEX(devices, ndevices, name);
}

int
conf_category_index(const struct sg_config *conf, const char *name)
{
	CONF_INDEX(categories, ncategories, name);
}

int
conf_schedule_index(const struct sg_config *conf, const char *name)
{
	CONF_INDEX(schedules, nschedules, name);
}

static void
conf_check_dup(struct conf_ctx *c, const config_setting_t *e,
    const char *kind, const char *name, conf_lookup_fn fn, size_t i)
{
	if (name != NULL && fn(c->conf, name) != (int)i)
		conf_err(c, conf_member(e, strcmp(kind, "person") == 0 ?
		    "id" : "name"), "duplicate %s \"%s\"", kind, name);
}

/* ---- value syntax ---- */

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
static int
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

static int
conf_parse_weekday(const char *s)
{
	static const char *const days[] = { "mon", "tue", "wed", "thu", "fri",
	    "sat", "sun" };

	for (int i = 0; i < 7; i++)
		if (strcmp(s, days[i]) == 0)
			return i;
	return -1;
}

static int
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
static int
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

static int
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

/* ---- school ---- */

static void
conf_parse_school(struct conf_ctx *c, const config_setting_t *root)
{
	static const char *const keys[] = { "name", "timezone", "school_hours",
	    NULL };
	const config_setting_t *s;
	const char *tz;

	if (conf_member(root, "school") == NULL) {
		conf_err(c, NULL, "missing \"school\" section");
		return;
	}
	if ((s = conf_get_section_group(c, root, "school")) == NULL)
		return;
	conf_check_keys(c, s, keys, "school");
	if (conf_require(c, s, "name", "school"))
		conf_get_text(c, s, "name", "school", &c->conf->school_name);
	if ((tz = conf_get_str(c, s, "timezone", "school")) != NULL) {
		if (!conf_timezone_ok(tz))
			conf_err(c, conf_member(s, "timezone"),
			    "unknown timezone \"%s\"", tz);
		else {
			free(c->conf->timezone);
			c->conf->timezone = conf_strdup(c, s, tz);
		}
	}
	if (conf_member(s, "school_hours") == NULL)
		conf_err(c, s, "school: missing \"school_hours\"");
	else
		c->conf->school_hours = conf_resolve_one(c, s, "school_hours",
		    "school_hours", "schedule", conf_schedule_index);
}

/* ---- schedules ---- */

static void
conf_parse_weekdays(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_schedule *sc)
{
	const config_setting_t *l;
	int n, d;

	if (conf_member(e, "weekdays") == NULL) {
		conf_err(c, e, "%s: missing \"weekdays\"", where);
		return;
	}
	if ((l = conf_get_str_list(c, e, "weekdays", where)) == NULL)
		return;
	if ((n = config_setting_length(l)) == 0)
		conf_err(c, l, "%s: empty \"weekdays\" list", where);
	for (int i = 0; i < n; i++) {
		const config_setting_t *x = config_setting_get_elem(l, i);
		const char *s = config_setting_get_string(x);

		if ((d = conf_parse_weekday(s)) < 0)
			conf_err(c, x, "%s: invalid weekday \"%s\"", where, s);
		else
			sc->weekdays |= (uint8_t)(1u << d);
	}
}

static void
conf_parse_times(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_schedule *sc)
{
	const config_setting_t *l = conf_get_str_list(c, e, "times", where);
	int n, r;

	if (l == NULL || (n = config_setting_length(l)) == 0)
		return;
	if ((sc->times = conf_calloc(c, l, (size_t)n,
	    sizeof(*sc->times))) == NULL)
		return;
	for (int i = 0; i < n; i++) {
		const config_setting_t *x = config_setting_get_elem(l, i);
		const char *s = config_setting_get_string(x);

		r = conf_parse_timerange(s, &sc->times[sc->ntimes]);
		if (r == -1)
			conf_err(c, x, "%s: invalid time range \"%s\"", where,
			    s);
		else if (r == -2)
			conf_err(c, x, "%s: time range \"%s\" ends before it "
			    "starts", where, s);
		else
			sc->ntimes++;
	}
}

static int
conf_term_overlaps(struct conf_ctx *c, const config_setting_t *e,
    const char *where, const struct conf_schedule *sc,
    const struct conf_daterange *t)
{
	for (size_t j = 0; j < sc->nterms; j++)
		if (t->first <= sc->terms[j].last &&
		    sc->terms[j].first <= t->last) {
			conf_err(c, e, "%s: overlapping terms \"%s\" and "
			    "\"%s\"", where, sc->terms[j].label ?
			    sc->terms[j].label : "?", t->label ? t->label :
			    "?");
			return 1;
		}
	return 0;
}

static void
conf_parse_term(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_schedule *sc)
{
	static const char *const keys[] = { "name", "from", "to", NULL };
	struct conf_daterange t = { 0 };

	conf_check_keys(c, e, keys, "schedule terms");
	conf_get_text(c, e, "name", where, &t.label);
	if (conf_date(c, e, "from", where, &t.first) == -1 ||
	    conf_date(c, e, "to", where, &t.last) == -1)
		goto label;
	if (t.last < t.first) {
		conf_err(c, conf_member(e, "to"), "%s: term ends before it "
		    "starts", where);
		goto label;
	}
	if (conf_term_overlaps(c, e, where, sc, &t))
		goto label;
	sc->terms[sc->nterms++] = t;
	return;
label:
	free(t.label);
}

static void
conf_parse_terms(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_schedule *sc)
{
	const config_setting_t *l = conf_get_section_list(c, e, "terms");
	int n;

	if (l == NULL || (n = config_setting_length(l)) == 0)
		return;
	if ((sc->terms = conf_calloc(c, l, (size_t)n,
	    sizeof(*sc->terms))) == NULL)
		return;
	for (int i = 0; i < n; i++) {
		const config_setting_t *t = conf_entry(c, l, i, "terms");

		if (t != NULL)
			conf_parse_term(c, t, where, sc);
	}
}

static void
conf_parse_closure(struct conf_ctx *c, const config_setting_t *x,
    const char *where, struct conf_schedule *sc)
{
	static const char *const keys[] = { "date", "name", NULL };
	struct conf_closure cl = { 0 };
	const char *s;

	if (config_setting_type(x) == CONFIG_TYPE_STRING) {
		s = config_setting_get_string(x);
		if (sg_date_parse(s, &cl.day) == -1)
			conf_err(c, x, "%s: invalid date \"%s\"", where, s);
		else
			sc->closures[sc->nclosures++] = cl;
		return;
	}
	if (!config_setting_is_group(x)) {
		conf_err(c, x, "%s: a closure must be a date string or a "
		    "group { ... }", where);
		return;
	}
	conf_check_keys(c, x, keys, "schedule closures");
	conf_get_text(c, x, "name", where, &cl.label);
	if (conf_date(c, x, "date", where, &cl.day) == 0)
		sc->closures[sc->nclosures++] = cl;
	else
		free(cl.label);
}

static void
conf_parse_closures(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_schedule *sc)
{
	const config_setting_t *l = conf_member(e, "closures");
	int n;

	if (l == NULL)
		return;
	if (!config_setting_is_list(l) && !config_setting_is_array(l)) {
		conf_err(c, l, "%s: \"closures\" must be a list", where);
		return;
	}
	if ((n = config_setting_length(l)) == 0)
		return;
	if ((sc->closures = conf_calloc(c, l, (size_t)n,
	    sizeof(*sc->closures))) == NULL)
		return;
	for (int i = 0; i < n; i++)
		conf_parse_closure(c, config_setting_get_elem(l, i), where,
		    sc);
}

static void
conf_parse_schedule(struct conf_ctx *c, const config_setting_t *e, size_t i)
{
	static const char *const keys[] = { "name", "weekdays", "times",
	    "terms", "closures", NULL };
	struct conf_schedule *sc = &c->conf->schedules[i];
	char where[SG_NAME_MAX + 32];

	sc->line = config_setting_source_line(e);
	conf_check_keys(c, e, keys, "schedules");
	sc->name = conf_req_name(c, e, "name", conf_where(where,
	    sizeof(where), "schedule", NULL, i));
	conf_where(where, sizeof(where), "schedule", sc->name, i);
	conf_check_dup(c, e, "schedule", sc->name, conf_schedule_index, i);
	conf_parse_weekdays(c, e, where, sc);
	conf_parse_times(c, e, where, sc);
	conf_parse_terms(c, e, where, sc);
	conf_parse_closures(c, e, where, sc);
}

typedef void	 conf_entry_parser(struct conf_ctx *, const config_setting_t *,
		    size_t);

/*
 * A section that is a list of groups: allocate its array (the caller
 * stores it before the entries are parsed, as later references look up
 * earlier entries) and return its list in *list, NULL if absent or empty.
 */
static void *
conf_section_alloc(struct conf_ctx *c, const config_setting_t *root,
    const char *key, int max, size_t size, size_t *count,
    const config_setting_t **list)
{
	const config_setting_t *l = conf_get_section_list(c, root, key);
	void *v;
	int n;

	*list = NULL;
	*count = 0;
	if (l == NULL || (n = config_setting_length(l)) == 0)
		return NULL;
	if (max > 0 && n > max) {
		conf_err(c, config_setting_get_elem(l, (unsigned)max),
		    "too many %s (at most %d)", key, max);
		n = max;
	}
	if ((v = conf_calloc(c, l, (size_t)n, size)) == NULL)
		return NULL;
	*count = (size_t)n;
	*list = l;
	return v;
}

static void
conf_section_each(struct conf_ctx *c, const config_setting_t *list,
    const char *key, size_t n, conf_entry_parser *parse)
{
	for (size_t i = 0; list != NULL && i < n; i++) {
		const config_setting_t *e = conf_entry(c, list, (int)i, key);

		if (e != NULL)
			parse(c, e, i);
	}
}

static void
conf_parse_schedules(struct conf_ctx *c, const config_setting_t *root)
{
	const config_setting_t *l;

	c->conf->schedules = conf_section_alloc(c, root, "schedules", 0,
	    sizeof(*c->conf->schedules), &c->conf->nschedules, &l);
	conf_section_each(c, l, "schedules", c->conf->nschedules, conf_parse_schedule);
}

/* ---- categories ---- */

static void
conf_parse_hosts(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_category *cat)
{
	const config_setting_t *l = conf_get_str_list(c, e, "hosts", where);
	char buf[SG_HOST_MAX];
	int n;

	if (l == NULL || (n = config_setting_length(l)) == 0)
		return;
	if ((cat->hosts = conf_calloc(c, l, (size_t)n,
	    sizeof(*cat->hosts))) == NULL)
		return;
	for (int i = 0; i < n; i++) {
		const config_setting_t *x = config_setting_get_elem(l, i);
		const char *s = config_setting_get_string(x);

		if (conf_norm_host(s, buf, sizeof(buf)) == -1)
			conf_err(c, x, "%s: invalid host pattern \"%s\"",
			    where, s);
		else
			cat->hosts[cat->nhosts++] = conf_strdup(c, x, buf);
	}
}

static void
conf_parse_category(struct conf_ctx *c, const config_setting_t *e, size_t i)
{
	static const char *const keys[] = { "name", "description",
	    "protocols", "hosts", NULL };
	struct conf_category *cat = &c->conf->categories[i];
	char where[SG_NAME_MAX + 32];

	cat->line = config_setting_source_line(e);
	conf_check_keys(c, e, keys, "categories");
	cat->name = conf_req_name(c, e, "name", conf_where(where,
	    sizeof(where), "category", NULL, i));
	conf_where(where, sizeof(where), "category", cat->name, i);
	conf_check_dup(c, e, "category", cat->name, conf_category_index, i);
	conf_get_text(c, e, "description", where, &cat->description);
	conf_copy_str_list(c, e, "protocols", where, SG_APP_MAX,
	    &cat->protocols, &cat->nprotocols);
	conf_parse_hosts(c, e, where, cat);
}

static void
conf_parse_categories(struct conf_ctx *c, const config_setting_t *root)
{
	const config_setting_t *l;

	c->conf->categories = conf_section_alloc(c, root, "categories", CONF_MAX_CATEGORIES,
	    sizeof(*c->conf->categories), &c->conf->ncategories, &l);
	conf_section_each(c, l, "categories", c->conf->ncategories, conf_parse_category);
}

/* ---- groups ---- */

static void
conf_parse_subnets(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_group *g)
{
	const config_setting_t *l = conf_get_str_list(c, e, "subnets", where);
	int n;

	if (l == NULL || (n = config_setting_length(l)) == 0)
		return;
	if ((g->subnets = conf_calloc(c, l, (size_t)n,
	    sizeof(*g->subnets))) == NULL)
		return;
	for (int i = 0; i < n; i++) {
		const config_setting_t *x = config_setting_get_elem(l, i);
		const char *s = config_setting_get_string(x);

		if (conf_parse_cidr(s, &g->subnets[g->nsubnets]) == -1)
			conf_err(c, x, "%s: invalid subnet \"%s\"", where, s);
		else
			g->nsubnets++;
	}
}

static void
conf_parse_group(struct conf_ctx *c, const config_setting_t *e, size_t i)
{
	static const char *const keys[] = { "name", "subnets", "interfaces",
	    "devices", "block_quic", NULL };
	struct conf_group *g = &c->conf->groups[i];
	char where[SG_NAME_MAX + 32];

	g->line = config_setting_source_line(e);
	conf_check_keys(c, e, keys, "groups");
	g->name = conf_req_name(c, e, "name", conf_where(where,
	    sizeof(where), "group", NULL, i));
	conf_where(where, sizeof(where), "group", g->name, i);
	conf_check_dup(c, e, "group", g->name, conf_group_index, i);
	conf_parse_subnets(c, e, where, g);
	conf_copy_str_list(c, e, "interfaces", where, CONF_IFNAME_MAX,
	    &g->interfaces, &g->ninterfaces);
	conf_get_bool(c, e, "block_quic", where, &g->block_quic);
}

static void
conf_parse_groups(struct conf_ctx *c, const config_setting_t *root)
{
	const config_setting_t *l;

	c->conf->groups = conf_section_alloc(c, root, "groups", 0,
	    sizeof(*c->conf->groups), &c->conf->ngroups, &l);
	if (l == NULL && conf_member(root, "groups") == NULL)
		conf_err(c, NULL, "missing \"groups\" section");
	conf_section_each(c, l, "groups", c->conf->ngroups, conf_parse_group);
}

/* Groups name devices, devices name groups: this half runs last. */
static void
conf_resolve_group_devices(struct conf_ctx *c, const config_setting_t *root)
{
	const config_setting_t *l = conf_member(root, "groups");
	char where[SG_NAME_MAX + 32];

	if (l == NULL || c->conf->groups == NULL)
		return;
	for (size_t i = 0; i < c->conf->ngroups; i++) {
		const config_setting_t *e = config_setting_get_elem(l,
		    (unsigned int)i);
		struct conf_group *g = &c->conf->groups[i];

		if (e == NULL || !config_setting_is_group(e))
			continue;
		conf_where(where, sizeof(where), "group", g->name, i);
		conf_resolve_list(c, e, "devices", where, "device",
		    conf_device_index, &g->devices, &g->ndevices);
	}
}

static void
conf_parse_default_group(struct conf_ctx *c, const config_setting_t *root)
{
	if (conf_member(root, "default_group") == NULL) {
		conf_err(c, NULL, "missing \"default_group\"");
		return;
	}
	c->conf->default_group = conf_resolve_one(c, root, "default_group",
	    "default_group", "group", conf_group_index);
}

/* ---- people ---- */

static void
conf_parse_person(struct conf_ctx *c, const config_setting_t *e, size_t i)
{
	static const char *const keys[] = { "id", "name", "group", "roles",
	    NULL };
	struct conf_person *p = &c->conf->people[i];
	char where[SG_NAME_MAX + 32];

	p->line = config_setting_source_line(e);
	p->group = -1;
	conf_check_keys(c, e, keys, "people");
	p->id = conf_req_name(c, e, "id", conf_where(where, sizeof(where),
	    "person", NULL, i));
	conf_where(where, sizeof(where), "person", p->id, i);
	conf_check_dup(c, e, "person", p->id, conf_person_index, i);
	conf_get_text(c, e, "name", where, &p->name);
	if (conf_member(e, "group") == NULL)
		conf_err(c, e, "%s: missing \"group\"", where);
	else
		p->group = conf_resolve_one(c, e, "group", where, "group",
		    conf_group_index);
	conf_copy_str_list(c, e, "roles", where, SG_NAME_MAX, &p->roles,
	    &p->nroles);
}

static void
conf_parse_people(struct conf_ctx *c, const config_setting_t *root)
{
	const config_setting_t *l;

	c->conf->people = conf_section_alloc(c, root, "people", 0,
	    sizeof(*c->conf->people), &c->conf->npeople, &l);
	conf_section_each(c, l, "people", c->conf->npeople, conf_parse_person);
}

/* ---- devices ---- */

static void
conf_parse_device_addrs(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_device *d)
{
	const char *mac = conf_get_str(c, e, "mac", where);
	const char *ip = conf_get_str(c, e, "ip", where);

	if (mac != NULL) {
		if (sg_mac_parse(mac, d->mac) == -1)
			conf_err(c, conf_member(e, "mac"), "%s: invalid MAC "
			    "address \"%s\"", where, mac);
		else
			d->has_mac = true;
	}
	if (ip != NULL) {
		if (sg_addr_parse(ip, &d->ip) == -1)
			conf_err(c, conf_member(e, "ip"), "%s: invalid IP "
			    "address \"%s\"", where, ip);
		else
			d->has_ip = true;
	}
	if (conf_member(e, "mac") == NULL && conf_member(e, "ip") == NULL)
		conf_err(c, e, "%s: needs a mac or an ip", where);
}

static void
conf_check_device_clash(struct conf_ctx *c, const config_setting_t *e,
    const char *where, size_t i)
{
	const struct conf_device *d = &c->conf->devices[i];
	char buf[SG_ADDRSTR_MAX];

	for (size_t j = 0; j < i; j++) {
		const struct conf_device *o = &c->conf->devices[j];

		if (d->has_mac && o->has_mac && memcmp(d->mac, o->mac, 6) == 0)
			conf_err(c, conf_member(e, "mac"), "%s: MAC address "
			    "already used by device \"%s\"", where,
			    o->name ? o->name : "?");
		if (d->has_ip && o->has_ip && sg_addr_eq(&d->ip, &o->ip))
			conf_err(c, conf_member(e, "ip"), "%s: IP address %s "
			    "already used by device \"%s\"", where,
			    sg_addr_str(&d->ip, buf, sizeof(buf)),
			    o->name ? o->name : "?");
	}
}

static void
conf_parse_device(struct conf_ctx *c, const config_setting_t *e, size_t i)
{
	static const char *const keys[] = { "name", "mac", "ip", "owner",
	    "group", "school_owned", NULL };
	struct conf_device *d = &c->conf->devices[i];
	char where[SG_NAME_MAX + 32];

	d->line = config_setting_source_line(e);
	d->owner = d->group = -1;
	conf_check_keys(c, e, keys, "devices");
	d->name = conf_req_name(c, e, "name", conf_where(where,
	    sizeof(where), "device", NULL, i));
	conf_where(where, sizeof(where), "device", d->name, i);
	conf_check_dup(c, e, "device", d->name, conf_device_index, i);
	conf_parse_device_addrs(c, e, where, d);
	conf_check_device_clash(c, e, where, i);
	d->owner = conf_resolve_one(c, e, "owner", where, "person",
	    conf_person_index);
	d->group = conf_resolve_one(c, e, "group", where, "group",
	    conf_group_index);
	conf_get_bool(c, e, "school_owned", where, &d->school_owned);
}

static void
conf_parse_devices(struct conf_ctx *c, const config_setting_t *root)
{
	const config_setting_t *l;

	c->conf->devices = conf_section_alloc(c, root, "devices", 0,
	    sizeof(*c->conf->devices), &c->conf->ndevices, &l);
	conf_section_each(c, l, "devices", c->conf->ndevices, conf_parse_device);
}

/* ---- rules ---- */

static void
conf_parse_rule_categories(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_rule *r)
{
	const config_setting_t *l = conf_get_str_list(c, e, "categories",
	    where);
	int n, idx;

	if (l == NULL)
		return;
	n = config_setting_length(l);
	for (int i = 0; i < n; i++) {
		const config_setting_t *x = config_setting_get_elem(l, i);
		const char *s = config_setting_get_string(x);

		if ((idx = conf_category_index(c->conf, s)) < 0)
			conf_err(c, x, "%s: unknown category \"%s\"", where, s);
		else
			r->categories |= UINT64_C(1) << idx;
	}
}

static void
conf_parse_rule_schedule(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_rule *r)
{
	const char *s = conf_get_str(c, e, "schedule", where);

	r->schedule = -1;
	if (s == NULL)
		return;
	if (s[0] == '!') {
		r->schedule_negate = true;
		s++;
	}
	if ((r->schedule = conf_schedule_index(c->conf, s)) < 0)
		conf_err(c, conf_member(e, "schedule"), "%s: unknown schedule "
		    "\"%s\"", where, s);
}

static void
conf_parse_rule_action(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_rule *r)
{
	const char *s = conf_req_str(c, e, "action", where);

	if (s != NULL && sg_action_parse(s, &r->action) == -1)
		conf_err(c, conf_member(e, "action"), "%s: invalid action "
		    "\"%s\" (allow, log or block)", where, s);
}

/* An empty list would silently widen a rule to match everything. */
static void
conf_check_rule_what(struct conf_ctx *c, const config_setting_t *e,
    const char *where, const struct conf_rule *r)
{
	const config_setting_t *cats = conf_member(e, "categories");
	const config_setting_t *apps = conf_member(e, "apps");

	if ((cats == NULL && apps == NULL) || r->categories != 0 ||
	    r->napps != 0)
		return;
	if ((cats != NULL && config_setting_is_aggregate(cats) &&
	    config_setting_length(cats) != 0) ||
	    (apps != NULL && config_setting_is_aggregate(apps) &&
	    config_setting_length(apps) != 0))
		return;	/* already reported as bad entries */
	if ((cats != NULL && !config_setting_is_aggregate(cats)) ||
	    (apps != NULL && !config_setting_is_aggregate(apps)))
		return;	/* already reported as a wrong type */
	conf_err(c, cats ? cats : apps, "%s: empty categories and apps lists "
	    "match nothing", where);
}

static void
conf_parse_rule(struct conf_ctx *c, const config_setting_t *e, size_t i)
{
	static const char *const keys[] = { "name", "clause", "action",
	    "groups", "people", "devices", "categories", "apps", "schedule",
	    NULL };
	struct conf_rule *r = &c->conf->rules[i];
	char where[SG_NAME_MAX + 32];

	r->line = config_setting_source_line(e);
	conf_check_keys(c, e, keys, "rules");
	r->name = conf_req_name(c, e, "name", conf_where(where,
	    sizeof(where), "rule", NULL, i));
	conf_where(where, sizeof(where), "rule", r->name, i);
	for (size_t j = 0; r->name != NULL && j < i; j++)
		if (c->conf->rules[j].name != NULL &&
		    strcmp(c->conf->rules[j].name, r->name) == 0)
			conf_err(c, conf_member(e, "name"), "duplicate rule "
			    "\"%s\"", r->name);
	if (conf_require(c, e, "clause", where))
		conf_get_text(c, e, "clause", where, &r->clause);
	conf_parse_rule_action(c, e, where, r);
	conf_resolve_list(c, e, "groups", where, "group", conf_group_index,
	    &r->groups, &r->ngroups);
	conf_resolve_list(c, e, "people", where, "person", conf_person_index,
	    &r->people, &r->npeople);
	conf_resolve_list(c, e, "devices", where, "device", conf_device_index,
	    &r->devices, &r->ndevices);
	conf_parse_rule_categories(c, e, where, r);
	conf_copy_str_list(c, e, "apps", where, SG_APP_MAX, &r->apps,
	    &r->napps);
	conf_check_rule_what(c, e, where, r);
	conf_parse_rule_schedule(c, e, where, r);
}

static void
conf_parse_rules(struct conf_ctx *c, const config_setting_t *root)
{
	const config_setting_t *l;

	c->conf->rules = conf_section_alloc(c, root, "rules", 0,
	    sizeof(*c->conf->rules), &c->conf->nrules, &l);
	conf_section_each(c, l, "rules", c->conf->nrules, conf_parse_rule);
}

/* ---- professional accounts ---- */

static void
conf_parse_account_platform(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_account *a)
{
	const char *s = conf_req_str(c, e, "platform", where);

	a->category = -1;
	if (s == NULL)
		return;
	if ((a->category = conf_category_index(c->conf, s)) >= 0)
		return;
	if (!conf_text_ok(s, SG_APP_MAX))
		conf_err(c, conf_member(e, "platform"), "%s: invalid platform "
		    "\"%s\"", where, s);
	else
		a->app = conf_strdup(c, e, s);
}

static void
conf_parse_account_dates(struct conf_ctx *c, const config_setting_t *e,
    const char *where, struct conf_account *a)
{
	int ok = conf_date(c, e, "approved", where, &a->approved) == 0;

	if (conf_date(c, e, "review_by", where, &a->review_by) == 0 && ok &&
	    a->review_by < a->approved)
		conf_err(c, conf_member(e, "review_by"), "%s: review_by is "
		    "before approved", where);
	if (conf_date(c, e, "ends", where, &a->ends) == 0 && ok &&
	    a->ends < a->approved)
		conf_err(c, conf_member(e, "ends"), "%s: ends is before "
		    "approved", where);
}

static void
conf_parse_account(struct conf_ctx *c, const config_setting_t *e, size_t i)
{
	static const char *const keys[] = { "name", "platform", "owners",
	    "devices", "approved", "review_by", "ends", NULL };
	struct conf_account *a = &c->conf->accounts[i];
	char where[CONF_TEXT_MAX + 32];
	a->line = config_setting_source_line(e);
	conf_check_keys(c, e, keys, "professional_accounts");
	conf_where(where, sizeof(where), "account", NULL, i);
	if (conf_require(c, e, "name", where)) {
		conf_get_text(c, e, "name", where, &a->name);
		conf_where(where, sizeof(where), "account", a->name, i);
	}
	conf_parse_account_platform(c, e, where, a);
	conf_resolve_list(c, e, "owners", where, "person", conf_person_index,
	    &a->owners, &a->nowners);
	conf_resolve_list(c, e, "devices", where, "device", conf_device_index,
	    &a->devices, &a->ndevices);
	conf_parse_account_dates(c, e, where, a);
}

static void
conf_parse_accounts(struct conf_ctx *c, const config_setting_t *root)
{
	const config_setting_t *l;

	c->conf->accounts = conf_section_alloc(c, root, "professional_accounts", 0,
	    sizeof(*c->conf->accounts), &c->conf->naccounts, &l);
	conf_section_each(c, l, "professional_accounts", c->conf->naccounts, conf_parse_account);
}

/* ---- single-group sections ---- */

static void
conf_parse_leases(struct conf_ctx *c, const config_setting_t *root)
{
	static const char *const keys[] = { "file", "format", NULL };
	static const char *const formats[] = { "auto", "dnsmasq", "isc",
	    "kea" };
	const config_setting_t *s = conf_get_section_group(c, root, "leases");
	const char *f;
	size_t k;

	if (s == NULL)
		return;
	conf_check_keys(c, s, keys, "leases");
	if (conf_require(c, s, "file", "leases"))
		conf_get_path(c, s, "file", "leases", &c->conf->leases_path);
	if ((f = conf_get_str(c, s, "format", "leases")) == NULL)
		return;
	for (k = 0; k < sizeof(formats) / sizeof(formats[0]); k++)
		if (strcmp(f, formats[k]) == 0)
			break;
	if (k == sizeof(formats) / sizeof(formats[0]))
		conf_err(c, conf_member(s, "format"), "leases: invalid format "
		    "\"%s\" (auto, dnsmasq, isc or kea)", f);
	else
		c->conf->leases_format = (enum conf_leases_format)k;
}

static void
conf_parse_classification(struct conf_ctx *c, const config_setting_t *root)
{
	static const char *const keys[] = { "max_packets", "unknown_action",
	    "unknown_clause", "circumvention_category", "protocols_file",
	    "evasion_action", NULL };
	const config_setting_t *s = conf_get_section_group(c, root,
	    "classification");
	const char *w = "classification", *a;

	c->conf->circumvention = conf_category_index(c->conf, "circumvention");
	if (s == NULL)
		return;
	conf_check_keys(c, s, keys, w);
	conf_get_uint(c, s, "max_packets", w, 1, 255, &c->conf->max_packets);
	if ((a = conf_get_str(c, s, "unknown_action", w)) != NULL &&
	    sg_action_parse(a, &c->conf->unknown_action) == -1)
		conf_err(c, conf_member(s, "unknown_action"), "%s: invalid "
		    "action \"%s\" (allow, log or block)", w, a);
	conf_get_text(c, s, "unknown_clause", w, &c->conf->unknown_clause);
	if ((a = conf_get_str(c, s, "evasion_action", w)) != NULL) {
		enum sg_action ea;

		if (strcmp(a, "auto") == 0)
			c->conf->evasion_action = CONF_EVASION_AUTO;
		else if (sg_action_parse(a, &ea) == 0)
			c->conf->evasion_action = (int)ea;
		else
			conf_err(c, conf_member(s, "evasion_action"), "%s: "
			    "invalid action \"%s\" (auto, allow, log or "
			    "block)", w, a);
	}
	if (conf_member(s, "circumvention_category") != NULL)
		c->conf->circumvention = conf_resolve_one(c, s,
		    "circumvention_category", w, "category",
		    conf_category_index);
	conf_get_path(c, s, "protocols_file", w, &c->conf->protocols_file);
}

static void
conf_parse_records(struct conf_ctx *c, const config_setting_t *root)
{
	static const char *const keys[] = { "database", "retention_days",
	    "pseudonym_key", "syslog", "memory_rows", NULL };
	const config_setting_t *s = conf_get_section_group(c, root, "records");
	const char *w = "records";

	if (s == NULL)
		return;
	conf_check_keys(c, s, keys, w);
	conf_get_path(c, s, "database", w, &c->conf->db_path);
	conf_get_uint(c, s, "retention_days", w, 1, 100000,
	    &c->conf->retention_days);
	conf_get_path(c, s, "pseudonym_key", w, &c->conf->pseudonym_key_path);
	conf_get_bool(c, s, "syslog", w, &c->conf->syslog_records);
	conf_get_uint(c, s, "memory_rows", w, REC_BATCH_ROWS, 1U << 20,
	    &c->conf->memory_rows);
}

/*
 * Our marks are three values in one run of contiguous bits: at least two
 * bits, so that allow, log and block differ from each other and from 0.
 */
static void
conf_get_mark_mask(struct conf_ctx *c, const config_setting_t *s,
    const char *w, uint32_t *out)
{
	const config_setting_t *m = conf_member(s, "mark_mask");
	long long v;
	uint32_t low;

	if (m == NULL)
		return;
	if (config_setting_type(m) != CONFIG_TYPE_INT &&
	    config_setting_type(m) != CONFIG_TYPE_INT64) {
		conf_err(c, m, "%s: mark_mask must be a number such as "
		    "0x0000ff00", w);
		return;
	}
	v = config_setting_get_int64(m);
	low = (uint32_t)v & (uint32_t)-(int64_t)(uint32_t)v;
	if (v <= 0 || v > 0xffffffffLL ||
	    (((uint32_t)v + low) & (uint32_t)v) != 0 ||
	    ((uint32_t)v >> __builtin_ctz((uint32_t)v)) < 3)
		conf_err(c, m, "%s: mark_mask 0x%llx must be one run of at "
		    "least two contiguous bits", w, (unsigned long long)v);
	else
		*out = (uint32_t)v;
}

static void
conf_parse_daemon(struct conf_ctx *c, const config_setting_t *root)
{
	static const char *const keys[] = { "queue_first", "queue_count",
	    "queue_maxlen", "fail_open", "user", "control_socket",
	    "metrics_file", "mark_mask", NULL };
	const config_setting_t *s = conf_get_section_group(c, root, "daemon");
	struct sg_config *conf = c->conf;
	const char *w = "daemon";

	if (s == NULL)
		return;
	conf_check_keys(c, s, keys, w);
	if (conf_get_uint(c, s, "queue_first", w, 0, 65535,
	    &conf->queue_first) == 0 &&
	    conf_get_uint(c, s, "queue_count", w, 1, 16,
	    &conf->queue_count) == 0 &&
	    conf->queue_first + conf->queue_count > 65536)
		conf_err(c, s, "daemon: queues %u..%u exceed 65535",
		    conf->queue_first, conf->queue_first + conf->queue_count -
		    1);
	conf_get_uint(c, s, "queue_maxlen", w, 1, 1 << 24,
	    &conf->queue_maxlen);
	conf_get_bool(c, s, "fail_open", w, &conf->fail_open);
	conf_get_mark_mask(c, s, w, &conf->mark_mask);
	conf_get_text(c, s, "user", w, &conf->user);
	conf_get_path(c, s, "control_socket", w, &conf->control_socket);
	conf_get_path(c, s, "metrics_file", w, &conf->metrics_file);
}

/* ---- top level ---- */

static int
conf_set_defaults(struct sg_config *conf)
{
	conf->timezone = strdup("Europe/London");
	conf->db_path = strdup("/var/lib/schoolgate/records.db");
	conf->pseudonym_key_path = strdup("/var/lib/schoolgate/pseudonym.key");
	conf->user = strdup("schoolgate");
	conf->control_socket = strdup("/run/schoolgate/control.sock");
	conf->metrics_file = strdup("/var/lib/schoolgate/metrics.prom");
	conf->school_hours = -1;
	conf->default_group = -1;
	conf->circumvention = -1;
	conf->max_packets = 12;
	conf->unknown_action = SG_ALLOW;
	conf->retention_days = 400;
	conf->memory_rows = REC_PENDING_MAX;
	conf->queue_first = 0;
	conf->queue_count = 1;
	conf->queue_maxlen = 4096;
	conf->fail_open = true;
	conf->mark_mask = CONF_MARK_MASK_DEFAULT;
	conf->evasion_action = CONF_EVASION_AUTO;
	conf->leases_format = LEASES_AUTO;
	if (conf->timezone == NULL || conf->db_path == NULL ||
	    conf->pseudonym_key_path == NULL || conf->user == NULL ||
	    conf->control_socket == NULL || conf->metrics_file == NULL)
		return -1;
	return 0;
}

static void
conf_parse_root(struct conf_ctx *c, const config_setting_t *root)
{
	conf_check_keys(c, root, root_keys, "the top level");
	conf_parse_schedules(c, root);
	conf_parse_categories(c, root);
	conf_parse_groups(c, root);
	conf_parse_people(c, root);
	conf_parse_devices(c, root);
	conf_resolve_group_devices(c, root);
	conf_parse_school(c, root);
	conf_parse_default_group(c, root);
	conf_parse_rules(c, root);
	conf_parse_accounts(c, root);
	conf_parse_leases(c, root);
	conf_parse_classification(c, root);
	conf_parse_records(c, root);
	conf_parse_daemon(c, root);
}

static int
conf_read(struct conf_ctx *c, config_t *cfg)
{
	FILE *fp;
	int ok;

	if ((fp = fopen(c->path, "r")) == NULL) {
		conf_err(c, NULL, "cannot open: %s", strerror(errno));
		return -1;
	}
	ok = config_read(cfg, fp);
	fclose(fp);
	if (ok == CONFIG_TRUE)
		return 0;
	conf_err_at(c, config_error_file(cfg), config_error_line(cfg), "%s",
	    config_error_text(cfg));
	return -1;
}

struct sg_config *
conf_load(const char *path, struct conf_errors *errs)
{
	struct conf_ctx c = { .errs = errs, .path = path };
	config_t cfg;

	errs->msg = NULL;
	errs->n = 0;
	if ((c.conf = calloc(1, sizeof(*c.conf))) == NULL ||
	    conf_set_defaults(c.conf) == -1 ||
	    (c.conf->path = strdup(path)) == NULL) {
		conf_err(&c, NULL, "out of memory");
		conf_free(c.conf);
		return NULL;
	}
	config_init(&cfg);
	if (conf_read(&c, &cfg) == 0)
		conf_parse_root(&c, config_root_setting(&cfg));
	config_destroy(&cfg);
	if (c.nerr > 0) {
		conf_free(c.conf);
		return NULL;
	}
	return c.conf;
}

void
conf_errors_clear(struct conf_errors *errs)
{
	if (errs == NULL)
		return;
	for (size_t i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
}

/* ---- freeing ---- */

static void
conf_free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
conf_free_schedules(struct conf_schedule *s, size_t n)
{
	for (size_t i = 0; s != NULL && i < n; i++) {
		free(s[i].name);
		free(s[i].times);
		for (size_t j = 0; j < s[i].nterms; j++)
			free(s[i].terms[j].label);
		free(s[i].terms);
		for (size_t j = 0; j < s[i].nclosures; j++)
			free(s[i].closures[j].label);
		free(s[i].closures);
	}
	free(s);
}

static void
conf_free_entities(struct sg_config *conf)
{
	for (size_t i = 0; conf->groups != NULL && i < conf->ngroups; i++) {
		free(conf->groups[i].name);
		free(conf->groups[i].subnets);
		conf_free_strv(conf->groups[i].interfaces,
		    conf->groups[i].ninterfaces);
		free(conf->groups[i].devices);
	}
	free(conf->groups);
	for (size_t i = 0; conf->people != NULL && i < conf->npeople; i++) {
		free(conf->people[i].id);
		free(conf->people[i].name);
		conf_free_strv(conf->people[i].roles, conf->people[i].nroles);
	}
	free(conf->people);
	for (size_t i = 0; conf->devices != NULL && i < conf->ndevices; i++)
		free(conf->devices[i].name);
	free(conf->devices);
}

static void
conf_free_policy(struct sg_config *conf)
{
	for (size_t i = 0; conf->categories != NULL &&
	    i < conf->ncategories; i++) {
		struct conf_category *cat = &conf->categories[i];

		free(cat->name);
		free(cat->description);
		conf_free_strv(cat->protocols, cat->nprotocols);
		conf_free_strv(cat->hosts, cat->nhosts);
	}
	free(conf->categories);
	for (size_t i = 0; conf->rules != NULL && i < conf->nrules; i++) {
		struct conf_rule *r = &conf->rules[i];

		free(r->name);
		free(r->clause);
		free(r->groups);
		free(r->people);
		free(r->devices);
		conf_free_strv(r->apps, r->napps);
	}
	free(conf->rules);
	for (size_t i = 0; conf->accounts != NULL && i < conf->naccounts;
	    i++) {
		free(conf->accounts[i].name);
		free(conf->accounts[i].app);
		free(conf->accounts[i].owners);
		free(conf->accounts[i].devices);
	}
	free(conf->accounts);
}

void
conf_free(struct sg_config *conf)
{
	if (conf == NULL)
		return;
	conf_free_schedules(conf->schedules, conf->nschedules);
	conf_free_entities(conf);
	conf_free_policy(conf);
	free(conf->path);
	free(conf->school_name);
	free(conf->timezone);
	free(conf->leases_path);
	free(conf->unknown_clause);
	free(conf->protocols_file);
	free(conf->db_path);
	free(conf->pseudonym_key_path);
	free(conf->user);
	free(conf->control_socket);
	free(conf->metrics_file);
	free(conf);
}
