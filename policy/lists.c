/*
 * List files: reading and checking them line by line, and the index every
 * host and address lookup of the policy goes through.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidrset.h"
#include "conf_priv.h"
#include "hostset.h"
#include "lists.h"

struct lists_index {
	struct hostset	*hosts;
	struct cidrset	*cidrs;
};

int
lists_kind(const char *name)
{
	size_t n = strlen(name);

	if (n > 6 && strcmp(name + n - 6, ".hosts") == 0)
		return CONF_LIST_HOSTS;
	if (n > 5 && strcmp(name + n - 5, ".cidr") == 0)
		return CONF_LIST_CIDR;
	return -1;
}

static bool
lists_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* A range whose address has bits past its prefix is a typo, not a wish
 * for a wider range: "192.0.2.1/24" is refused, not read as /24. */
static int
lists_cidr(const char *text, struct conf_cidr *cidr, const char **why)
{
	char buf[SG_ADDRSTR_MAX + 8], *slash;
	struct sg_addr raw;

	if (conf_parse_cidr(text, cidr) == -1) {
		*why = "not an address or range";
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (sg_addr_parse(buf, &raw) == 0 &&
	    memcmp(raw.a, cidr->addr.a, sizeof(raw.a)) != 0) {
		*why = "host bits set after the prefix length";
		return -1;
	}
	return 0;
}

int
lists_entry(int kind, const char *text, char *host, size_t hostlen,
    struct conf_cidr *cidr, const char **why)
{
	char name[SG_HOST_MAX];
	size_t n;

	if (strpbrk(text, " \t") != NULL) {
		*why = "more than one entry on the line";
		return -1;
	}
	if (!lists_ascii(text)) {
		*why = "not ASCII (write an international name in its "
		    "xn-- form)";
		return -1;
	}
	if (kind == CONF_LIST_CIDR)
		return lists_cidr(text, cidr, why);
	n = strlen(text);
	if (n > 1 && text[n - 1] == '.')	/* "example.org." is absolute */
		n--;
	snprintf(name, sizeof(name), "%.*s", (int)n, text);
	if (conf_norm_host(name, host, hostlen) == -1) {
		*why = "not a host name or *.name pattern";
		return -1;
	}
	return 0;
}

char *
lists_strip(char *line)
{
	char *hash = strchr(line, '#'), *end;

	if (hash != NULL)
		*hash = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	end = line + strlen(line);
	while (end > line && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return line;
}

int
lists_header(char *line, char **key, char **value)
{
	char *colon;

	if (line[0] != '#')
		return 0;
	line++;
	while (*line == ' ' || *line == '\t')
		line++;
	if ((colon = strchr(line, ':')) == NULL || colon == line)
		return 0;
	*colon = '\0';
	*key = line;
	for (char *k = line; *k != '\0'; k++)
		if (!((*k >= 'a' && *k <= 'z') || *k == '_'))
			return 0;
	*value = colon + 1;
	while (**value == ' ' || **value == '\t')
		(*value)++;
	(*value)[strcspn(*value, "\r\n")] = '\0';
	return 1;
}

void
lists_entry_text(int kind, const char *host, const struct conf_cidr *cidr,
    char *out, size_t outlen)
{
	char addr[SG_ADDRSTR_MAX];

	if (kind == CONF_LIST_HOSTS)
		snprintf(out, outlen, "%s", host);
	else
		snprintf(out, outlen, "%s/%u", sg_addr_str(&cidr->addr, addr,
		    sizeof(addr)), cidr->prefix);
}

static int
lists_hand(int kind, const char *text, lists_take_fn *fn, void *arg,
    const char **why)
{
	char host[SG_HOST_MAX], out[SG_HOST_MAX + 2];
	struct conf_cidr cidr;

	if (lists_entry(kind, text, host, sizeof(host), &cidr, why) == -1)
		return -1;
	lists_entry_text(kind, host, &cidr, out, sizeof(out));
	if (fn(arg, kind, out) == -1) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

/* ip:A.B.C.D[/LEN][:PORT] or, as newer nDPI writes IPv6, ipv6:[A::B]/LEN */
static int
lists_ndpi_ip(char *v, lists_take_fn *fn, void *arg, const char **why)
{
	char *end;

	if (v[0] == '[') {
		if ((end = strchr(v, ']')) == NULL) {
			*why = "unbalanced [ ] around an IPv6 address";
			return -1;
		}
		memmove(end, end + 1, strlen(end + 1) + 1);
		v++;
		if ((end = strrchr(v, ':')) != NULL && end > strchr(v, '/'))
			*end = '\0';	/* the port, after the prefix */
	} else if (strchr(v, ':') == strrchr(v, ':') &&
	    (end = strchr(v, ':')) != NULL)
		*end = '\0';		/* IPv4's port */
	return lists_hand(CONF_LIST_CIDR, v, fn, arg, why);
}

/* host:"name" matches the name and its subdomains in nDPI: both kept */
static int
lists_ndpi_host(char *v, lists_take_fn *fn, void *arg, const char **why)
{
	size_t n = strlen(v);
	char wild[SG_HOST_MAX + 2];

	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v[n - 1] = '\0';
		v++;
	}
	if (strchr(v, '"') != NULL || v[0] == '*') {
		*why = "host: names one domain, in quotes";
		return -1;
	}
	snprintf(wild, sizeof(wild), "*.%s", v);
	if (lists_hand(CONF_LIST_HOSTS, v, fn, arg, why) == -1)
		return -1;
	return lists_hand(CONF_LIST_HOSTS, wild, fn, arg, why);
}

static int
lists_ndpi_rule(char *line, lists_take_fn *fn, void *arg, const char **why)
{
	char *at = strrchr(line, '@'), *rest = line, *elem;

	*at = '\0';
	while ((elem = strsep(&rest, ",")) != NULL) {
		while (*elem == ' ')
			elem++;
		if (strncmp(elem, "host:", 5) == 0) {
			if (lists_ndpi_host(elem + 5, fn, arg, why) == -1)
				return -1;
		} else if (strncmp(elem, "ip:", 3) == 0 ||
		    strncmp(elem, "ipv6:", 5) == 0) {
			if (lists_ndpi_ip(strchr(elem, ':') + 1, fn, arg,
			    why) == -1)
				return -1;
		} else {
			*why = "an nDPI rule other than host: or ip: (ports "
			    "say nothing about a site)";
			return -1;
		}
	}
	return 0;
}

int
lists_foreign_line(char *line, lists_take_fn *fn, void *arg,
    const char **why)
{
	char *text;
	struct conf_cidr cidr;

	/* nDPI's rules keep '#' out of names, so a comment starts there */
	if ((text = lists_strip(line))[0] == '\0')
		return 0;
	if (strchr(text, '@') != NULL)
		return lists_ndpi_rule(text, fn, arg, why);
	if (strchr(text, ':') != NULL || conf_parse_cidr(text, &cidr) == 0)
		return lists_hand(CONF_LIST_CIDR, text, fn, arg, why);
	return lists_hand(CONF_LIST_HOSTS, text, fn, arg, why);
}

/* ---- reading a file ---- */

struct lists_reader {
	struct conf_list *l;
	lists_err_fn	*err;
	void		*arg;
	size_t		 nerr;
	int		 line;
	size_t		 cap;		/* of hosts or cidrs */
	bool		 dated;		/* a date line, even a bad one */
};

static void
lists_fail(struct lists_reader *r, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
lists_fail(struct lists_reader *r, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->nerr++;
	r->err(r->arg, r->l->path, line, msg);
}

static int
lists_set_text(char **out, const char *value)
{
	free(*out);
	return (*out = strdup(value)) == NULL ? -1 : 0;
}

static void
lists_take_header(struct lists_reader *r, const char *key,
    const char *value)
{
	struct conf_list *l = r->l;
	int rc = 0;

	if (strcmp(key, "date") == 0) {
		r->dated = true;
		if (sg_date_parse(value, &l->date) == -1)
			lists_fail(r, r->line, "date \"%s\" is not a "
			    "YYYY-MM-DD date", value);
		return;
	}
	if (!conf_text_ok(value, CONF_TEXT_MAX)) {
		if (strcmp(key, "source") == 0 || strcmp(key, "licence") == 0 ||
		    strcmp(key, "description") == 0)
			lists_fail(r, r->line, "%s: not printable text, or "
			    "over %d bytes", key, CONF_TEXT_MAX);
		return;
	}
	if (strcmp(key, "source") == 0)
		rc = lists_set_text(&l->source, value);
	else if (strcmp(key, "licence") == 0)
		rc = lists_set_text(&l->licence, value);
	else if (strcmp(key, "description") == 0)
		rc = lists_set_text(&l->description, value);
	if (rc == -1)
		lists_fail(r, r->line, "out of memory");
}

static int
lists_grow(struct lists_reader *r, void **v, size_t n, size_t elem)
{
	void *nv;
	size_t cap;

	if (n < r->cap)
		return 0;
	cap = r->cap ? r->cap * 2 : 64;
	if ((nv = reallocarray(*v, cap, elem)) == NULL)
		return -1;
	*v = nv;
	r->cap = cap;
	return 0;
}

static void
lists_take_entry(struct lists_reader *r, const char *text)
{
	struct conf_list *l = r->l;
	char host[SG_HOST_MAX];
	struct conf_cidr cidr;
	const char *why;
	int rc;

	if (lists_entry(l->kind, text, host, sizeof(host), &cidr, &why) == -1) {
		lists_fail(r, r->line, "\"%s\": %s", text, why);
		return;
	}
	if (l->kind == CONF_LIST_CIDR) {
		if ((rc = lists_grow(r, (void **)&l->cidrs, l->ncidrs,
		    sizeof(*l->cidrs))) == 0)
			l->cidrs[l->ncidrs++] = cidr;
	} else if ((rc = lists_grow(r, (void **)&l->hosts, l->nhosts,
	    sizeof(*l->hosts))) == 0) {
		if ((l->hosts[l->nhosts] = strdup(host)) == NULL)
			rc = -1;
		else
			l->nhosts++;
	}
	if (rc == -1)
		lists_fail(r, r->line, "out of memory");
}

static void
lists_take_line(struct lists_reader *r, char *line, bool *in_header)
{
	char *key, *value, *entry;

	if (*in_header && lists_header(line, &key, &value)) {
		lists_take_header(r, key, value);
		return;
	}
	if ((entry = lists_strip(line))[0] == '\0')
		return;
	*in_header = false;
	lists_take_entry(r, entry);
}

static void
lists_check_header(struct lists_reader *r)
{
	if (r->l->source == NULL)
		lists_fail(r, 1, "no \"# source: ...\" header line (where "
		    "the list comes from)");
	if (!r->dated)
		lists_fail(r, 1, "no \"# date: YYYY-MM-DD\" header line "
		    "(when the list was last refreshed)");
	if (r->l->licence == NULL)
		lists_fail(r, 1, "no \"# licence: ...\" header line");
}

size_t
lists_read(struct conf_list *l, lists_err_fn *err, void *arg)
{
	struct lists_reader r = { l, err, arg, 0, 0, 0, false };
	char buf[LISTS_LINE_MAX];
	bool in_header = true;
	int kind = lists_kind(l->name);
	FILE *fp;

	l->date = INT32_MIN;
	if (kind == -1) {
		lists_fail(&r, 0, "a list file's name ends in .hosts or .cidr");
		return r.nerr;
	}
	l->kind = (uint8_t)kind;
	if ((fp = fopen(l->path, "r")) == NULL) {
		lists_fail(&r, 0, "cannot open: %s", strerror(errno));
		return r.nerr;
	}
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		bool cut = strchr(buf, '\n') == NULL && !feof(fp);

		r.line++;
		if (cut)
			lists_fail(&r, r.line, "line longer than %d bytes",
			    LISTS_LINE_MAX - 2);
		else
			lists_take_line(&r, buf, &in_header);
		/* the rest of an over-long line is not a line of its own */
		while (cut && fgets(buf, sizeof(buf), fp) != NULL &&
		    strchr(buf, '\n') == NULL)
			;
	}
	if (ferror(fp))
		lists_fail(&r, r.line, "read error: %s", strerror(errno));
	fclose(fp);
	lists_check_header(&r);
	return r.nerr;
}

void
lists_clear(struct conf_list *l)
{
	for (size_t i = 0; i < l->nhosts; i++)
		free(l->hosts[i]);
	free(l->hosts);
	free(l->cidrs);
	free(l->name);
	free(l->path);
	free(l->source);
	free(l->licence);
	free(l->description);
	memset(l, 0, sizeof(*l));
}

/* ---- the index ---- */

static int
lists_index_add(struct lists_index *ix, const struct sg_config *cfg)
{
	for (size_t i = 0; i < cfg->ncategories; i++)
		for (size_t j = 0; j < cfg->categories[i].nhosts; j++)
			if (hostset_add(ix->hosts, cfg->categories[i].hosts[j],
			    UINT64_C(1) << i) == -1)
				return -1;
	for (size_t i = 0; i < cfg->nlists; i++) {
		const struct conf_list *l = &cfg->lists[i];
		uint64_t bit = UINT64_C(1) << l->category;

		for (size_t j = 0; j < l->nhosts; j++)
			if (hostset_add(ix->hosts, l->hosts[j], bit) == -1)
				return -1;
		for (size_t j = 0; j < l->ncidrs; j++)
			if (cidrset_add(ix->cidrs, &l->cidrs[j].addr,
			    l->cidrs[j].prefix, bit, (uint32_t)i) == -1)
				return -1;
	}
	return 0;
}

struct lists_index *
lists_index_build(const struct sg_config *cfg)
{
	struct lists_index *ix = calloc(1, sizeof(*ix));

	if (ix == NULL)
		return NULL;
	if ((ix->hosts = hostset_new()) == NULL ||
	    (ix->cidrs = cidrset_new()) == NULL ||
	    lists_index_add(ix, cfg) == -1) {
		lists_index_free(ix);
		return NULL;
	}
	return ix;
}

void
lists_index_free(struct lists_index *ix)
{
	if (ix == NULL)
		return;
	hostset_free(ix->hosts);
	cidrset_free(ix->cidrs);
	free(ix);
}

uint64_t
lists_match_host(const struct lists_index *ix, const char *host)
{
	return ix == NULL || host[0] == '\0' ? 0 :
	    hostset_match(ix->hosts, host);
}

uint64_t
lists_match_addr(const struct lists_index *ix, const struct sg_addr *addr,
    int *list)
{
	uint32_t tag = CIDRSET_NOTAG;
	uint64_t bits = ix == NULL ? 0 : cidrset_match(ix->cidrs, addr, &tag);

	*list = tag == CIDRSET_NOTAG ? -1 : (int)tag;
	return bits;
}
