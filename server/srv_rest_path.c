/*
 * The syntax of cofferd's REST paths, and which operation each method on
 * each kind of path is, and which permission allows it; see srv_rest.h.
 * Pure functions of their arguments: no state, no I/O.
 */
#include <stddef.h>
#include <string.h>

#include "srv_db.h"
#include "srv_rest.h"

#define MAXSEG		8	/* segments kept while parsing a path */
#define SEGSIZE		66	/* 64 characters, one to detect more, NUL */

/* ---------------------------------------------------------------------- */
/* Paths. */

static int
hexval(char c)
{

	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* Decode one raw segment s[0..len) into out[SEGSIZE].  0, or 400. */
static int
decode_seg(const char *s, size_t len, char *out, const char **why)
{
	size_t i, n = 0;
	unsigned char c;
	int h, l;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (len - i < 3 || (h = hexval(s[i + 1])) < 0 ||
			    (l = hexval(s[i + 2])) < 0) {
				*why = "malformed percent-encoding";
				return (400);
			}
			c = (unsigned char)(h * 16 + l);
			i += 2;
			if (c == '/') {
				*why = "encoded slash in path";
				return (400);
			}
			if (c == '\0') {
				*why = "NUL in path";
				return (400);
			}
		}
		if (c == '\\') {
			*why = "backslash in path";
			return (400);
		}
		if (c <= 0x20 || c >= 0x7f) {
			*why = "invalid byte in path";
			return (400);
		}
		if (n == SEGSIZE - 1) {
			*why = "path segment too long";
			return (400);
		}
		out[n++] = (char)c;
	}
	out[n] = '\0';
	if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
		*why = "dot segment in path";
		return (400);
	}
	return (0);
}

static int
is_objname(const char *s)
{
	size_t i;

	for (i = 0; i < SRV_NAME_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	return (s[i] == '\0');
}

/* Split and decode every segment.  0 (n set), or 400. */
static int
split(const char *url, char seg[MAXSEG][SEGSIZE], size_t *n,
    const char **why)
{
	char scratch[SEGSIZE];
	const char *s = url + 1, *e;
	size_t len;
	int st;

	for (*n = 0;; s = e + 1) {
		e = strchr(s, '/');
		len = (e != NULL) ? (size_t)(e - s) : strlen(s);
		if (len == 0 && e != NULL) {
			*why = "empty segment in path";
			return (400);
		}
		/* Every segment is checked, even past those we keep. */
		if ((st = decode_seg(s, len, *n < MAXSEG ? seg[*n] : scratch,
		    why)) != 0)
			return (st);
		(*n)++;
		if (e == NULL)
			return (0);
	}
}

int
srv_rest_parse_path(const char *url, struct srv_path *p, const char **why)
{
	char seg[MAXSEG][SEGSIZE];
	size_t n;
	int st;

	memset(p, 0, sizeof(*p));
	*why = "no such route";
	if (url[0] != '/') {
		*why = "not an absolute path";
		return (400);
	}
	if (strlen(url) > SRV_PATH_MAX) {
		*why = "path too long";
		return (400);
	}
	if ((st = split(url, seg, &n, why)) != 0)
		return (st);
	if (n == 1 && strcmp(seg[0], "metrics") == 0) {
		p->kind = PATH_METRICS;
		return (0);
	}
	if (n < 3 || n > 4)
		return (404);
	if (!srv_user_valid_name(seg[0])) {
		*why = "invalid user name";
		return (400);
	}
	if (!srv_user_valid_name(seg[1])) {
		*why = "invalid repository name";
		return (400);
	}
	memcpy(p->user, seg[0], sizeof(p->user));
	memcpy(p->repo, seg[1], sizeof(p->repo));
	if (n == 3 && seg[2][0] == '\0') {
		p->kind = PATH_REPO;
		return (0);
	}
	if (n == 3) {
		if (strcmp(seg[2], "config") != 0)
			return (404);
		p->kind = PATH_CONFIG;
		p->type = SRV_OBJ_CONFIG;
		return (0);
	}
	if (srv_obj_type_parse(seg[2], strlen(seg[2]), &p->type) ||
	    p->type == SRV_OBJ_CONFIG) {
		*why = "unknown object type";
		return (404);
	}
	if (seg[3][0] == '\0') {
		p->kind = PATH_LIST;
		return (0);
	}
	if (!is_objname(seg[3])) {
		*why = "object name is not 64 lower-case hex digits";
		return (400);
	}
	p->kind = PATH_OBJECT;
	memcpy(p->name, seg[3], sizeof(p->name));
	return (0);
}

/* ---------------------------------------------------------------------- */
/* Operations and permissions. */

int
srv_rest_op(enum srv_path_kind k, enum srv_method m, enum srv_op *op)
{

	switch (k) {
	case PATH_REPO:
		if (m == METHOD_POST)
			*op = OP_CREATE_REPO;
		else if (m == METHOD_DELETE)
			*op = OP_DELETE_REPO;
		else
			return (405);
		return (0);
	case PATH_LIST:
	case PATH_METRICS:
		if (m != METHOD_GET && m != METHOD_HEAD)
			return (405);
		*op = (k == PATH_LIST) ? OP_LIST : OP_READ;
		return (0);
	case PATH_CONFIG:
	case PATH_OBJECT:
		if (m == METHOD_GET || m == METHOD_HEAD)
			*op = OP_READ;
		else if (m == METHOD_POST)
			*op = OP_WRITE;
		else if (m == METHOD_DELETE)
			*op = OP_DELETE;
		else
			return (405);
		return (0);
	}
	return (405);
}

const char *
srv_rest_allow(enum srv_path_kind k)
{

	switch (k) {
	case PATH_REPO:
		return ("POST, DELETE");
	case PATH_LIST:
	case PATH_METRICS:
		return ("GET, HEAD");
	default:
		return ("HEAD, GET, POST, DELETE");
	}
}

int
srv_rest_allowed(enum srv_perm perm, enum srv_op op, enum srv_obj_type t,
    int exists)
{

	if (perm == PERM_FULL)
		return (1);
	switch (op) {
	case OP_READ:
	case OP_LIST:
		return (perm == PERM_READ || perm == PERM_APPEND);
	case OP_CREATE_REPO:
		return (perm == PERM_APPEND);
	case OP_WRITE:
		return (perm == PERM_APPEND && !exists);
	case OP_DELETE:
		/* restic removes its own locks, even when append-only. */
		return (perm == PERM_APPEND && t == SRV_OBJ_LOCKS);
	case OP_DELETE_REPO:
		return (0);
	}
	return (0);
}
