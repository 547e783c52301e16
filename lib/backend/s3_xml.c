/*
 * The text side of the S3 client: a minimal but strict reader for
 * ListObjectsV2 answers and <Error> bodies, XML entity decoding, and S3's
 * URI encoding.  No XML library: an S3 answer uses a tiny subset of XML
 * (elements, text, the five named entities, numeric references, an
 * optional declaration), and anything outside that subset -- a DOCTYPE
 * (which could define entities), CDATA, mismatched or unclosed tags -- is
 * refused as malformed rather than guessed at.  Since '<' cannot occur
 * raw in text, a key that looks like markup ("&lt;Key&gt;") stays text.
 */
#include <stdlib.h>
#include <string.h>

#include "s3.h"

#define XML_DEPTH	16	/* nesting we accept (S3 uses 4) */
#define XML_NAME	64	/* longest element name we accept, plus NUL */

void
s3_page_release(struct s3_page *pg)
{
	size_t i;

	for (i = 0; i < pg->n; i++)
		free(pg->v[i].key);
	free(pg->v);
	free(pg->next);
	memset(pg, 0, sizeof(*pg));
}

/* Append code point c to o as UTF-8.  Returns the bytes written. */
static size_t
utf8_put(char *o, unsigned long c)
{

	if (c < 0x80) {
		o[0] = (char)c;
		return (1);
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3f));
		return (2);
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return (3);
	}
	o[0] = (char)(0xf0 | (c >> 18));
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return (4);
}

/* A numeric reference's body ("#65", "#x41") to a code point, or -1. */
static long
charref(const char *s, size_t n)
{
	unsigned long v = 0;
	size_t i = 1;
	int hex = 0, d;

	if (n < 2 || s[0] != '#')
		return (-1);
	if (s[1] == 'x') {
		hex = 1;
		i = 2;
	}
	if (i == n || n - i > 8)
		return (-1);
	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (hex && s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (hex && s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return (-1);
		v = v * (hex ? 16 : 10) + (unsigned long)d;
	}
	if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return (-1);
	return ((long)v);
}

int
s3_xml_unescape(const char *s, size_t n, char **out)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' },
		{ "quot", '"' }, { "apos", '\'' }
	};
	const char *semi;
	char *o;
	size_t i, j, k, len;
	long c;

	*out = NULL;
	/* Decoding never grows the text (a reference is >= its UTF-8). */
	if ((o = malloc(n + 1)) == NULL)
		return (-1);
	for (i = j = 0; i < n; i++) {
		if (s[i] == '<' || s[i] == '\0')
			goto bad;
		if (s[i] != '&') {
			o[j++] = s[i];
			continue;
		}
		if ((semi = memchr(s + i + 1, ';', n - i - 1)) == NULL)
			goto bad;
		len = (size_t)(semi - (s + i + 1));
		for (k = 0; k < sizeof(named) / sizeof(named[0]); k++)
			if (strlen(named[k].name) == len &&
			    memcmp(named[k].name, s + i + 1, len) == 0)
				break;
		if (k < sizeof(named) / sizeof(named[0]))
			o[j++] = named[k].c;
		else if ((c = charref(s + i + 1, len)) > 0)
			j += utf8_put(o + j, (unsigned long)c);
		else
			goto bad;
		i += len + 1;
	}
	o[j] = '\0';
	*out = o;
	return (0);
bad:
	free(o);
	return (-1);
}

/* Skip past the first occurrence of end in [p, lim); NULL if none. */
static const char *
skip_past(const char *p, const char *lim, const char *end)
{
	size_t el = strlen(end);

	for (; p + el <= lim; p++)
		if (memcmp(p, end, el) == 0)
			return (p + el);
	return (NULL);
}

static int
is_space(char c)
{

	return (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

/* The parser's state: the element stack and the entry being read. */
struct lp {
	char stack[XML_DEPTH][XML_NAME];
	int depth;
	int root_seen;
	const char *text;	/* where the innermost element's text starts */
	int child;		/* the innermost element has had a child */
	char *key;		/* of the Contents being read */
	uint64_t size;
	int has_size;
	size_t cap;
};

static int
parse_size(const char *s, size_t n, uint64_t *v)
{
	size_t i;

	if (n == 0 || n > 20)
		return (-1);
	for (*v = 0, i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    *v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return (-1);
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return (0);
}

/* A Contents element ended: keep its entry. */
static int
entry_done(struct lp *l, struct s3_page *pg)
{
	struct s3_entry *nv;

	if (l->key == NULL || !l->has_size)
		return (-1);
	if (pg->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		if (l->cap > SIZE_MAX / sizeof(*nv) ||
		    (nv = realloc(pg->v, l->cap * sizeof(*nv))) == NULL)
			return (-1);
		pg->v = nv;
	}
	pg->v[pg->n].key = l->key;
	pg->v[pg->n].size = l->size;
	pg->n++;
	l->key = NULL;
	l->has_size = 0;
	return (0);
}

/* The end tag of the innermost element, its text being t[0..n). */
static int
end_elem(struct lp *l, struct s3_page *pg, const char *t, size_t n)
{
	const char *name = l->stack[l->depth - 1];
	const char *parent = l->depth >= 2 ? l->stack[l->depth - 2] : "";
	int leaf = !l->child;

	if (l->depth == 3 && strcmp(parent, "Contents") == 0) {
		if (strcmp(name, "Key") == 0) {
			if (!leaf || l->key != NULL || n == 0 ||
			    s3_xml_unescape(t, n, &l->key))
				return (-1);
			if (l->key[0] == '\0')
				return (-1);
		} else if (strcmp(name, "Size") == 0) {
			if (!leaf || l->has_size ||
			    parse_size(t, n, &l->size))
				return (-1);
			l->has_size = 1;
		}
	} else if (l->depth == 2) {
		if (strcmp(name, "Contents") == 0) {
			if (entry_done(l, pg))
				return (-1);
		} else if (strcmp(name, "IsTruncated") == 0) {
			if (!leaf)
				return (-1);
			if (n == 4 && memcmp(t, "true", 4) == 0)
				pg->truncated = 1;
			else if (n == 5 && memcmp(t, "false", 5) == 0)
				pg->truncated = 0;
			else
				return (-1);
		} else if (strcmp(name, "NextContinuationToken") == 0) {
			free(pg->next);
			pg->next = NULL;
			if (!leaf || n == 0 || s3_xml_unescape(t, n, &pg->next))
				return (-1);
		}
	}
	l->depth--;
	l->child = 1;	/* the parent has had a child */
	return (0);
}

/* Read a tag's name at p (after '<' or "</").  Its length, or 0. */
static size_t
tag_name(const char *p, const char *lim, char out[XML_NAME])
{
	size_t n = 0;

	while (p + n < lim && !is_space(p[n]) && p[n] != '>' && p[n] != '/' &&
	    p[n] != '<' && p[n] != '=' && p[n] != '"' && p[n] != '\'')
		n++;
	if (n == 0 || n >= XML_NAME)
		return (0);
	memcpy(out, p, n);
	out[n] = '\0';
	return (n);
}

/* Skip a start tag's attributes to its '>'; NULL if malformed. */
static const char *
skip_attrs(const char *p, const char *lim, int *empty)
{
	char q;

	*empty = 0;
	while (p < lim) {
		if (*p == '"' || *p == '\'') {
			q = *p++;
			while (p < lim && *p != q) {
				if (*p == '<')
					return (NULL);
				p++;
			}
			if (p == lim)
				return (NULL);
			p++;
		} else if (*p == '<') {
			return (NULL);
		} else if (*p == '/' && p + 1 < lim && p[1] == '>') {
			*empty = 1;
			return (p + 2);
		} else if (*p == '>') {
			return (p + 1);
		} else
			p++;
	}
	return (NULL);
}

int
s3_list_parse(const char *x, size_t n, struct s3_page *pg)
{
	const char *p = x, *lim = x + n, *lt;
	char name[XML_NAME];
	struct lp l;
	size_t nl;
	int empty;

	memset(pg, 0, sizeof(*pg));
	memset(&l, 0, sizeof(l));
	if (memchr(x, '\0', n) != NULL)
		return (-1);	/* never in XML */
	while (p < lim) {
		if ((lt = memchr(p, '<', (size_t)(lim - p))) == NULL) {
			/* Trailing text: only blank space after the root. */
			for (; p < lim; p++)
				if (!is_space(*p))
					goto bad;
			break;
		}
		if (l.depth == 0)
			for (; p < lt; p++)
				if (!is_space(*p))
					goto bad;
		p = lt;
		if (lim - p >= 2 && p[1] == '?') {
			if (l.root_seen || l.depth > 0 ||
			    (p = skip_past(p, lim, "?>")) == NULL)
				goto bad;
		} else if (lim - p >= 4 && memcmp(p, "<!--", 4) == 0) {
			if ((p = skip_past(p + 4, lim, "-->")) == NULL)
				goto bad;
		} else if (lim - p >= 2 && p[1] == '!') {
			goto bad;	/* DOCTYPE, CDATA: never from S3 */
		} else if (lim - p >= 2 && p[1] == '/') {
			if (l.depth == 0 ||
			    (nl = tag_name(p + 2, lim, name)) == 0 ||
			    strcmp(name, l.stack[l.depth - 1]) != 0)
				goto bad;
			if (end_elem(&l, pg, l.text, (size_t)(lt - l.text)))
				goto bad;
			for (p += 2 + nl; p < lim && is_space(*p); p++)
				;
			if (p == lim || *p != '>')
				goto bad;
			p++;
		} else {
			if ((nl = tag_name(p + 1, lim, name)) == 0 ||
			    l.depth == XML_DEPTH)
				goto bad;
			if (l.depth == 0) {
				if (l.root_seen ||
				    strcmp(name, "ListBucketResult") != 0)
					goto bad;
				l.root_seen = 1;
			}
			if ((p = skip_attrs(p + 1 + nl, lim, &empty)) == NULL)
				goto bad;
			memcpy(l.stack[l.depth++], name, nl + 1);
			l.child = 0;
			l.text = p;
			if (empty && end_elem(&l, pg, p, 0))
				goto bad;
		}
	}
	if (!l.root_seen || l.depth != 0)
		goto bad;
	free(l.key);
	return (0);
bad:
	free(l.key);
	s3_page_release(pg);
	return (-1);
}

void
s3_error_code(const char *body, size_t n, char *code, size_t size)
{
	const char *s, *e;
	size_t i, len;

	code[0] = '\0';
	if ((s = skip_past(body, body + n, "<Code>")) == NULL ||
	    (e = skip_past(s, body + n, "</Code>")) == NULL)
		return;
	len = (size_t)(e - s) - 7;
	if (len == 0 || len >= size)
		return;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
			return;
	memcpy(code, s, len);
	code[len] = '\0';
}

int
s3_uri_encode(const char *s, int keep_slash, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;

	for (; *u != '\0'; u++) {
		if ((*u >= 'A' && *u <= 'Z') || (*u >= 'a' && *u <= 'z') ||
		    (*u >= '0' && *u <= '9') || *u == '-' || *u == '_' ||
		    *u == '.' || *u == '~' || (keep_slash && *u == '/')) {
			if (o + 1 >= size)
				return (-1);
			out[o++] = (char)*u;
		} else {
			if (o + 3 >= size)
				return (-1);
			out[o++] = '%';
			out[o++] = hex[*u >> 4];
			out[o++] = hex[*u & 15];
		}
	}
	if (o >= size)
		return (-1);
	out[o] = '\0';
	return (0);
}
