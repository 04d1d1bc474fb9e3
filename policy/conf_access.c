/*
 * Reading the libconfig tree: every accessor checks the type of what it
 * reads and records a "FILE:LINE: message" for anything wrong, so the
 * section parsers stay short and every problem is reported in one pass.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"

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

void
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

void
conf_err_at(struct conf_ctx *c, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_verr(c, file, line > 0 ? (unsigned int)line : 0, fmt, ap);
	va_end(ap);
}

char *
conf_strdup(struct conf_ctx *c, const config_setting_t *s, const char *str)
{
	char *p = strdup(str);

	if (p == NULL)
		conf_err(c, s, "out of memory");
	return p;
}

void *
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
int
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

/* A network interface's name as the kernel takes it (dev_valid_name). */
int
conf_ifname_ok(const char *s, size_t max)
{
	if (!conf_text_ok(s, max) || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return 0;
	for (; *s != '\0'; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return 0;
	return 1;
}

const char *
conf_where(char *buf, size_t len, const char *kind, const char *name,
    size_t idx)
{
	if (name != NULL)
		snprintf(buf, len, "%s \"%s\"", kind, name);
	else
		snprintf(buf, len, "%s #%zu", kind, idx + 1);
	return buf;
}

void
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
const char *
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

const char *
conf_req_str(struct conf_ctx *c, const config_setting_t *grp,
    const char *key, const char *where)
{
	if (config_setting_get_member(grp, key) == NULL) {
		conf_err(c, grp, "%s: missing \"%s\"", where, key);
		return NULL;
	}
	return conf_get_str(c, grp, key, where);
}

const config_setting_t *
conf_member(const config_setting_t *grp, const char *key)
{
	return config_setting_get_member(grp, key);
}

int
conf_require(struct conf_ctx *c, const config_setting_t *grp,
    const char *key, const char *where)
{
	if (config_setting_get_member(grp, key) != NULL)
		return 1;
	conf_err(c, grp, "%s: missing \"%s\"", where, key);
	return 0;
}

/* A display string: dup it, or leave *out alone if absent. */
void
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

void
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

char *
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

int
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

int
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
const config_setting_t *
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
const config_setting_t *
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

const config_setting_t *
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

const config_setting_t *
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
void
conf_copy_str_list(struct conf_ctx *c, const config_setting_t *grp,
    const char *key, const char *where, size_t max, char ***out, size_t *nout)
{
	conf_copy_list_checked(c, grp, key, where, conf_text_ok, max, out,
	    nout);
}

void
conf_copy_list_checked(struct conf_ctx *c, const config_setting_t *grp,
    const char *key, const char *where, int (*ok)(const char *, size_t),
    size_t max, char ***out, size_t *nout)
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

		if (!ok(s, max)) {
			conf_err(c, e, "%s: invalid %s entry \"%s\"", where,
			    key, s);
			continue;
		}
		(*out)[(*nout)++] = conf_strdup(c, e, s);
	}
}

int
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

/*
 * A section that is a list of groups: allocate its array (the caller
 * stores it before the entries are parsed, as later references look up
 * earlier entries) and return its list in *list, NULL if absent or empty.
 */
void *
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

void
conf_section_each(struct conf_ctx *c, const config_setting_t *list,
    const char *key, size_t n, conf_entry_parser *parse)
{
	for (size_t i = 0; list != NULL && i < n; i++) {
		const config_setting_t *e = conf_entry(c, list, (int)i, key);

		if (e != NULL)
			parse(c, e, i);
	}
}
