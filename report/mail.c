/*
 * MIME assembly: multipart/mixed holding a multipart/alternative body
 * (text, then HTML) and the report attached, every part in base64 so
 * that long lines and UTF-8 reach any MTA unchanged.  Small enough to
 * need no library: base64 and RFC 2047 encoded-words are all it encodes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "config.h"
#include "mail.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 of len bytes without line breaks into out (4 per 3, then NUL). */
static void
mail_b64_run(const unsigned char *in, size_t len, char *out)
{
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		*out++ = b64[in[i] >> 2];
		*out++ = b64[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*out++ = b64[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*out++ = b64[in[i + 2] & 63];
	}
	if (i < len) {
		*out++ = b64[in[i] >> 2];
		*out++ = b64[((in[i] & 3) << 4) |
		    (i + 1 < len ? in[i + 1] >> 4 : 0)];
		*out++ = i + 1 < len ? b64[(in[i + 1] & 15) << 2] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

char *
mail_base64(const void *in, size_t len)
{
	const unsigned char *p = in;
	size_t lines = len / 57 + 1;
	char *out, *o;

	if ((out = malloc(lines * 78 + 1)) == NULL)
		return NULL;
	o = out;
	for (size_t i = 0; i < len; i += 57) {
		mail_b64_run(p + i, len - i < 57 ? len - i : 57, o);
		o += strlen(o);
		*o++ = '\n';
	}
	*o = '\0';
	return out;
}

/* Length of the UTF-8 sequence s starts, so encoded-words never split one. */
static size_t
mail_utf8_len(const unsigned char *s)
{
	size_t n = 1;

	if (*s >= 0xc0)
		while (n < 4 && (s[n] & 0xc0) == 0x80)
			n++;
	return n;
}

/* Encoded-words of at most 45 bytes each, folded onto lines of their own. */
static char *
mail_encode_words(const unsigned char *s, size_t len)
{
	char *out, *o;
	size_t i = 0, n;

	if ((out = malloc((len / 30 + 1) * 80 + 1)) == NULL)
		return NULL;
	o = out;
	while (i < len) {
		for (n = 0; i + n < len && n < 45; )
			n += mail_utf8_len(s + i + n);
		if (i + n > len)
			n = len - i;
		o += sprintf(o, "%s=?UTF-8?B?", o == out ? "" : "\n ");
		mail_b64_run(s + i, n, o);
		o += strlen(o);
		o += sprintf(o, "?=");
		i += n;
	}
	*o = '\0';
	return out;
}

char *
mail_header_text(const char *s, size_t max)
{
	size_t len = strnlen(s, max);
	unsigned char *t;
	bool ascii = true;
	char *out;

	if ((t = malloc(len + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		t[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' :
		    (unsigned char)s[i];
		if (t[i] >= 0x80)
			ascii = false;
	}
	t[len] = '\0';
	/* "=?" would read as an encoded-word: encode that text too */
	if (ascii && strstr((char *)t, "=?") == NULL)
		return (char *)t;
	out = mail_encode_words(t, len);
	free(t);
	return out;
}

void
mail_default_from(char *out, size_t outlen)
{
	char host[256] = "";

	if (gethostname(host, sizeof(host) - 1) == -1 ||
	    snprintf(out, outlen, "schoolgate@%s", host) >= (int)outlen ||
	    !conf_mail_addr_ok(out, CONF_MAIL_ADDR_MAX))
		snprintf(out, outlen, "schoolgate@localhost");
}

static void
mail_random_hex(char *out, size_t nbytes)
{
	unsigned char r[32];

	if (nbytes > sizeof(r) ||
	    getrandom(r, nbytes, 0) != (ssize_t)nbytes)
		memset(r, 0x5a, sizeof(r));	/* uniqueness also from time */
	for (size_t i = 0; i < nbytes; i++)
		sprintf(out + 2 * i, "%02x", r[i]);
}

static int
mail_headers(FILE *f, const struct mail_msg *m, const char *boundary)
{
	char date[64], id[40], *subj, *name = NULL;
	const char *domain = strchr(m->from, '@') + 1;

	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z",
	    localtime(&m->date));
	mail_random_hex(id, 16);
	if ((subj = mail_header_text(m->subject, MAIL_SUBJECT_MAX)) == NULL ||
	    (m->from_name && (name = mail_encode_words((const unsigned char *)
	    m->from_name, strnlen(m->from_name, MAIL_SUBJECT_MAX))) == NULL)) {
		free(subj);
		return -1;
	}
	if (name != NULL && name[0] != '\0')
		fprintf(f, "From: %s <%s>\n", name, m->from);
	else
		fprintf(f, "From: %s\n", m->from);
	fprintf(f, "To: ");
	for (size_t i = 0; i < m->nto; i++)
		fprintf(f, "%s%s", i ? ",\n " : "", m->to[i]);
	fprintf(f, "\nSubject: %s\nDate: %s\nMessage-ID: <%lld.%s@%s>\n"
	    "MIME-Version: 1.0\nAuto-Submitted: auto-generated\n", subj, date,
	    (long long)m->date, id, domain);
	if (m->html == NULL && m->attach == NULL)	/* one text part */
		fputs("Content-Type: text/plain; charset=utf-8\n"
		    "Content-Transfer-Encoding: base64\n\n", f);
	else
		fprintf(f, "Content-Type: multipart/%s; boundary=\"%s\"\n\n"
		    "This is a MIME message.\n", m->attach ? "mixed" :
		    "alternative", boundary);
	free(subj);
	free(name);
	return 0;
}

static int
mail_part(FILE *f, const char *boundary, const char *type,
    const char *disposition, const void *body, size_t len)
{
	char *enc;

	if ((enc = mail_base64(body, len)) == NULL)
		return -1;
	fprintf(f, "\n--%s\nContent-Type: %s\nContent-Transfer-Encoding: "
	    "base64\n%s\n%s", boundary, type, disposition, enc);
	free(enc);
	return 0;
}

static int
mail_body(FILE *f, const struct mail_msg *m, const char *outer)
{
	char inner[48], disp[160], type[160];
	const char *b = outer;
	int rc = 0;

	if (m->attach) {
		snprintf(inner, sizeof(inner), "sg-alt-%.32s", outer + 3);
		fprintf(f, "\n--%s\nContent-Type: multipart/alternative; "
		    "boundary=\"%s\"\n", outer, inner);
		b = inner;
	}
	rc |= mail_part(f, b, "text/plain; charset=utf-8", "", m->text,
	    strlen(m->text));
	if (m->html)
		rc |= mail_part(f, b, "text/html; charset=utf-8", "", m->html,
		    strlen(m->html));
	if (m->attach) {
		fprintf(f, "\n--%s--\n", inner);
		snprintf(disp, sizeof(disp), "Content-Disposition: attachment; "
		    "filename=\"%.100s\"\n", m->attach_name);
		snprintf(type, sizeof(type), "text/html; charset=utf-8; "
		    "name=\"%.100s\"", m->attach_name);
		rc |= mail_part(f, outer, type, disp, m->attach, m->attach_len);
	}
	fprintf(f, "\n--%s--\n", outer);
	return rc;
}

static int
mail_text_only(FILE *f, const char *text)
{
	char *enc;

	if ((enc = mail_base64(text, strlen(text))) == NULL)
		return -1;
	fputs(enc, f);
	free(enc);
	return 0;
}

static bool
mail_filename_ok(const char *s)
{
	if (s == NULL || s[0] == '\0' || s[0] == '.' || strlen(s) > 100)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
	    "wxyz0123456789._-") == strlen(s);
}

int
mail_build(const struct mail_msg *m, char **out, size_t *len)
{
	char boundary[40] = "sg-";
	FILE *f;
	int rc = -1;

	*out = NULL;
	if (!conf_mail_addr_ok(m->from, CONF_MAIL_ADDR_MAX) || m->nto == 0 ||
	    (m->attach && !mail_filename_ok(m->attach_name)))
		return -1;
	for (size_t i = 0; i < m->nto; i++)
		if (!conf_mail_addr_ok(m->to[i], CONF_MAIL_ADDR_MAX))
			return -1;
	mail_random_hex(boundary + 3, 16);
	if ((f = open_memstream(out, len)) == NULL)
		return -1;
	if (mail_headers(f, m, boundary) == 0 && (m->html || m->attach ?
	    mail_body(f, m, boundary) : mail_text_only(f, m->text)) == 0)
		rc = 0;
	if (fclose(f) != 0 || rc != 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}
