#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/warnp.h"

#include "tree.h"

/*
 * The encoding (docs/FORMAT.md, "Tree blobs") is, in short:
 *
 *   tree  = 0x01 varint(count) node*
 *   node  = type name mode uid gid mtime atime ctime size inode dev nlink
 *           typed xattrs
 *
 * with every integer a canonical LEB128 varint, every time a zigzag varint
 * of seconds followed by a varint of nanoseconds, and every byte string a
 * varint length followed by the bytes.  The decoder accepts exactly the
 * byte strings the encoder can produce: one tree, one encoding.  Both sides
 * share node_invalid() so that they agree on what a valid node is.
 */

#define TREE_MAGIC	0x01

/*
 * The shortest possible node (a fifo or socket with a one-byte name and
 * every integer zero) takes 17 bytes: type, name length, name, mode, uid,
 * gid, 3 x (seconds, nanoseconds), size, inode, dev, nlink, xattr count.
 * A node count above (bytes left) / 17 cannot be honest.
 */
#define NODE_MIN_ENC	17

/* An xattr takes at least 3 bytes: name length, a name byte, value length. */
#define XATTR_MIN_ENC	3

#define NSEC_PER_SEC	1000000000u

/* Bytewise order, a proper prefix first: memcmp then the shorter one. */
static int
namecmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c;

	if ((alen != 0) && (blen != 0) &&
	    ((c = memcmp(a, b, (alen < blen) ? alen : blen)) != 0))
		return (c);
	if (alen < blen)
		return (-1);
	return (alen > blen);
}

/* qsort comparator over struct node, by name. */
static int
nodecmp(const void *a, const void *b)
{
	const struct node *x = a;
	const struct node *y = b;

	return (namecmp(x->name, x->name_len, y->name, y->name_len));
}

/* Is the byte string p[0..len) a valid entry name? */
static int
name_ok(const uint8_t *p, size_t len)
{

	if ((len == 0) || (len > TREE_MAX_NAME))
		return (0);
	if (memchr(p, '/', len) != NULL || memchr(p, '\0', len) != NULL)
		return (0);
	if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' &&
	    p[1] == '.'))
		return (0);
	return (1);
}

/* Is the subtree id all zero (as it must be outside directories)? */
static int
id_zero(const uint8_t id[BLOB_ID_LEN])
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < BLOB_ID_LEN; i++)
		acc |= id[i];
	return (acc == 0);
}

/* Check the extended attributes of n: bounds, and strictly sorted names. */
static const char *
xattrs_invalid(const struct node *n)
{
	const struct xattr *x;
	size_t i, len;

	if (n->nxattrs > TREE_MAX_XATTRS)
		return ("too many xattrs");
	if (n->nxattrs != 0 && n->xattrs == NULL)
		return ("missing xattrs");
	for (i = 0; i < n->nxattrs; i++) {
		x = &n->xattrs[i];
		if (x->name == NULL)
			return ("missing xattr name");
		len = strnlen(x->name, TREE_MAX_XATTR_NAME + 1);
		if (len == 0 || len > TREE_MAX_XATTR_NAME)
			return ("bad xattr name length");
		if (x->value_len > TREE_MAX_XATTR_VALUE)
			return ("xattr value too long");
		if (x->value_len != 0 && x->value == NULL)
			return ("missing xattr value");
		if (i > 0 && strcmp(n->xattrs[i - 1].name, x->name) >= 0)
			return ("xattrs not strictly sorted");
	}
	return (NULL);
}

/* Check the fields that only some node types may carry. */
static const char *
typed_invalid(const struct node *n)
{

	if (n->type == NODE_FILE) {
		if (n->ncontent > TREE_MAX_CONTENT)
			return ("too many content ids");
		if (n->ncontent != 0 && n->content == NULL)
			return ("missing content ids");
	} else {
		if (n->ncontent != 0)
			return ("content on a non-file");
		if (n->size != 0)
			return ("size on a non-file");
	}
	if (n->type != NODE_DIR && !id_zero(n->subtree))
		return ("subtree on a non-directory");
	if (n->type == NODE_SYMLINK) {
		if (n->target_len == 0 || n->target_len > TREE_MAX_TARGET)
			return ("bad symlink target length");
		if (n->target == NULL)
			return ("missing symlink target");
		if (memchr(n->target, '\0', n->target_len) != NULL)
			return ("NUL in symlink target");
	} else if (n->target_len != 0)
		return ("target on a non-symlink");
	if (n->type != NODE_CHR && n->type != NODE_BLK && n->rdev != 0)
		return ("rdev on a non-device");
	return (NULL);
}

/*
 * node_invalid(n): NULL if n is a node the encoding can carry, else a short
 * description of what is wrong with it.  Used by the encoder on its input
 * and by the decoder on what it has parsed, so both enforce one rule set.
 */
static const char *
node_invalid(const struct node *n)
{
	const char *why;

	if (n->type < NODE_FILE || n->type > NODE_SOCK)
		return ("unknown node type");
	if (n->name == NULL || !name_ok(n->name, n->name_len))
		return ("bad name");
	if (n->mode > 07777)
		return ("mode has bits outside 07777");
	if (n->mtime_nsec >= NSEC_PER_SEC || n->atime_nsec >= NSEC_PER_SEC ||
	    n->ctime_nsec >= NSEC_PER_SEC)
		return ("nanoseconds out of range");
	if ((why = typed_invalid(n)) != NULL)
		return (why);
	return (xattrs_invalid(n));
}

void
tree_init(struct tree *t)
{

	t->nodes = NULL;
	t->n = 0;
	t->cap = 0;
}

struct node *
tree_add(struct tree *t)
{
	struct node *p;
	size_t ncap;

	if (t->n == t->cap) {
		if (t->cap > SIZE_MAX / 2 / sizeof(struct node)) {
			errno = ENOMEM;
			warnp("tree_add");
			return (NULL);
		}
		ncap = (t->cap < 16) ? 16 : t->cap * 2;
		if ((p = realloc(t->nodes, ncap * sizeof(struct node))) ==
		    NULL) {
			warnp("realloc");
			return (NULL);
		}
		t->nodes = p;
		t->cap = ncap;
	}
	p = &t->nodes[t->n++];
	memset(p, 0, sizeof(*p));
	return (p);
}

int
tree_sort(struct tree *t)
{
	size_t i;

	if (t->n < 2)
		return (0);
	qsort(t->nodes, t->n, sizeof(struct node), nodecmp);
	for (i = 1; i < t->n; i++) {
		if (nodecmp(&t->nodes[i - 1], &t->nodes[i]) == 0) {
			warn0("tree: duplicate name in directory listing");
			return (-1);
		}
	}
	return (0);
}

const struct node *
tree_find(const struct tree *t, const uint8_t *name, size_t len)
{
	size_t lo = 0, hi = t->n, mid;
	int c;

	/* Invariant: the name, if present, is in nodes[lo..hi). */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = namecmp(name, len, t->nodes[mid].name,
		    t->nodes[mid].name_len);
		if (c == 0)
			return (&t->nodes[mid]);
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (NULL);
}

void
node_release(struct node *n)
{
	size_t i;

	free(n->name);
	free(n->target);
	for (i = 0; i < n->nxattrs; i++) {
		free(n->xattrs[i].name);
		free(n->xattrs[i].value);
	}
	free(n->xattrs);
	free(n->content);
	memset(n, 0, sizeof(*n));
}

void
tree_release(struct tree *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		node_release(&t->nodes[i]);
	free(t->nodes);
	tree_init(t);
}

/*
 * Encoding.
 */

/* Zigzag maps 0, -1, 1, -2, ... to 0, 1, 2, 3, ... without overflow. */
static uint64_t
zigzag(int64_t s)
{

	return ((s < 0) ? ~((uint64_t)s << 1) : (uint64_t)s << 1);
}

static int
put_time(struct buf *b, int64_t sec, uint32_t nsec)
{

	return (buf_put_varint(b, zigzag(sec)) || buf_put_varint(b, nsec));
}

static int
put_bytes(struct buf *b, const void *p, size_t len)
{

	return (buf_put_varint(b, len) || buf_append(b, p, len));
}

/* Append the part of the node that depends on its type. */
static int
put_typed(struct buf *b, const struct node *n)
{

	switch (n->type) {
	case NODE_FILE:
		return (buf_put_varint(b, n->ncontent) ||
		    buf_append(b, n->content, n->ncontent * BLOB_ID_LEN));
	case NODE_DIR:
		return (buf_append(b, n->subtree, BLOB_ID_LEN));
	case NODE_SYMLINK:
		return (put_bytes(b, n->target, n->target_len));
	case NODE_CHR:
	case NODE_BLK:
		return (buf_put_varint(b, n->rdev));
	default:
		return (0);
	}
}

/* Append the encoding of one (already validated) node. */
static int
put_node(struct buf *b, const struct node *n)
{
	size_t i;

	if (buf_put_u8(b, n->type) || put_bytes(b, n->name, n->name_len) ||
	    buf_put_varint(b, n->mode) || buf_put_varint(b, n->uid) ||
	    buf_put_varint(b, n->gid) ||
	    put_time(b, n->mtime_sec, n->mtime_nsec) ||
	    put_time(b, n->atime_sec, n->atime_nsec) ||
	    put_time(b, n->ctime_sec, n->ctime_nsec) ||
	    buf_put_varint(b, n->size) || buf_put_varint(b, n->inode) ||
	    buf_put_varint(b, n->dev) || buf_put_varint(b, n->nlink) ||
	    put_typed(b, n))
		return (-1);
	if (buf_put_varint(b, n->nxattrs))
		return (-1);
	for (i = 0; i < n->nxattrs; i++) {
		if (put_bytes(b, n->xattrs[i].name,
		    strlen(n->xattrs[i].name)) ||
		    put_bytes(b, n->xattrs[i].value, n->xattrs[i].value_len))
			return (-1);
	}
	return (0);
}

int
tree_encode(const struct tree *t, struct buf *out)
{
	size_t start = out->len;
	const char *why;
	size_t i;

	/* Check everything first: an invalid tree appends nothing. */
	if (t->n > TREE_MAX_NODES) {
		warn0("tree: too many nodes (%zu)", t->n);
		return (-1);
	}
	for (i = 0; i < t->n; i++) {
		if ((why = node_invalid(&t->nodes[i])) != NULL) {
			warn0("tree: cannot encode node %zu: %s", i, why);
			return (-1);
		}
		if (i > 0 && nodecmp(&t->nodes[i - 1], &t->nodes[i]) >= 0) {
			warn0("tree: cannot encode node %zu: %s", i,
			    "names not strictly sorted");
			return (-1);
		}
	}

	if (buf_put_u8(out, TREE_MAGIC) || buf_put_varint(out, t->n))
		goto err;
	for (i = 0; i < t->n; i++) {
		if (put_node(out, &t->nodes[i]))
			goto err;
	}
	return (0);

err:
	/* Leave out as we found it. */
	out->len = start;
	return (-1);
}

/*
 * Decoding.  The helpers return 0 on success, 1 if the input is invalid
 * (with *why set), or -1 on ENOMEM (reported).
 */

/* Read a varint which must be <= max. */
static int
get_uint(struct rd *r, uint64_t max, uint64_t *v, const char **why)
{

	if (rd_varint(r, v)) {
		*why = "truncated or non-canonical varint";
		return (1);
	}
	if (*v > max) {
		*why = "integer out of range";
		return (1);
	}
	return (0);
}

static int
get_time(struct rd *r, int64_t *sec, uint32_t *nsec, const char **why)
{
	uint64_t zz, ns;

	if (get_uint(r, UINT64_MAX, &zz, why) ||
	    get_uint(r, NSEC_PER_SEC - 1, &ns, why))
		return (1);
	*sec = (zz & 1) ? -(int64_t)(zz >> 1) - 1 : (int64_t)(zz >> 1);
	*nsec = (uint32_t)ns;
	return (0);
}

/*
 * Read a length (at least min, at most max, and no more than the bytes
 * left) and point *p at that many bytes.
 */
static int
get_bytes(struct rd *r, size_t min, size_t max, const uint8_t **p,
    size_t *len, const char **why)
{
	uint64_t v;

	if (get_uint(r, max, &v, why))
		return (1);
	if (v < min) {
		*why = "length too small";
		return (1);
	}
	if (rd_bytes(r, (size_t)v, p)) {
		*why = "length exceeds input";
		return (1);
	}
	*len = (size_t)v;
	return (0);
}

/*
 * Copy len bytes into a new allocation, followed by a NUL if cstr.  Returns
 * the copy (never NULL for len == 0), or NULL on ENOMEM (reported).
 */
static void *
dup_bytes(const uint8_t *p, size_t len, int cstr)
{
	uint8_t *q;

	if ((q = malloc(len + 1)) == NULL) {
		warnp("malloc");
		return (NULL);
	}
	if (len != 0)
		memcpy(q, p, len);
	if (cstr)
		q[len] = '\0';
	return (q);
}

/* Read the fields common to all node types. */
static int
get_common(struct rd *r, struct node *n, const char **why)
{
	const uint8_t *p;
	uint64_t v[7];
	size_t len;

	if (rd_u8(r, &n->type)) {
		*why = "truncated";
		return (1);
	}
	if (n->type < NODE_FILE || n->type > NODE_SOCK) {
		*why = "unknown node type";
		return (1);
	}
	if (get_bytes(r, 1, TREE_MAX_NAME, &p, &len, why))
		return (1);
	if (!name_ok(p, len)) {
		*why = "bad name";
		return (1);
	}
	if ((n->name = dup_bytes(p, len, 0)) == NULL)
		return (-1);
	n->name_len = len;
	if (get_uint(r, 07777, &v[0], why) ||
	    get_uint(r, UINT32_MAX, &v[1], why) ||
	    get_uint(r, UINT32_MAX, &v[2], why) ||
	    get_time(r, &n->mtime_sec, &n->mtime_nsec, why) ||
	    get_time(r, &n->atime_sec, &n->atime_nsec, why) ||
	    get_time(r, &n->ctime_sec, &n->ctime_nsec, why) ||
	    get_uint(r, UINT64_MAX, &v[3], why) ||
	    get_uint(r, UINT64_MAX, &v[4], why) ||
	    get_uint(r, UINT64_MAX, &v[5], why) ||
	    get_uint(r, UINT64_MAX, &v[6], why))
		return (1);
	n->mode = (uint32_t)v[0];
	n->uid = (uint32_t)v[1];
	n->gid = (uint32_t)v[2];
	n->size = v[3];
	n->inode = v[4];
	n->dev = v[5];
	n->nlink = v[6];
	return (0);
}

/* Read the part of the node that depends on its type. */
static int
get_typed(struct rd *r, struct node *n, const char **why)
{
	const uint8_t *p;
	uint64_t v;
	size_t len;

	switch (n->type) {
	case NODE_FILE:
		if (get_uint(r, TREE_MAX_CONTENT, &v, why))
			return (1);
		/* Bound by the input before allocating anything. */
		if (v > r->left / BLOB_ID_LEN) {
			*why = "content count exceeds input";
			return (1);
		}
		if (v == 0)
			return (0);
		if (rd_bytes(r, (size_t)v * BLOB_ID_LEN, &p)) {
			*why = "truncated";
			return (1);
		}
		if ((n->content = dup_bytes(p, (size_t)v * BLOB_ID_LEN,
		    0)) == NULL)
			return (-1);
		n->ncontent = (size_t)v;
		return (0);
	case NODE_DIR:
		if (rd_bytes(r, BLOB_ID_LEN, &p)) {
			*why = "truncated";
			return (1);
		}
		memcpy(n->subtree, p, BLOB_ID_LEN);
		return (0);
	case NODE_SYMLINK:
		if (get_bytes(r, 1, TREE_MAX_TARGET, &p, &len, why))
			return (1);
		if ((n->target = dup_bytes(p, len, 0)) == NULL)
			return (-1);
		n->target_len = len;
		return (0);
	case NODE_CHR:
	case NODE_BLK:
		return (get_uint(r, UINT64_MAX, &n->rdev, why));
	default:
		return (0);
	}
}

/* Read the extended attributes. */
static int
get_xattrs(struct rd *r, struct node *n, const char **why)
{
	struct xattr *x;
	const uint8_t *p;
	uint64_t v;
	size_t len;

	if (get_uint(r, TREE_MAX_XATTRS, &v, why))
		return (1);
	if (v > r->left / XATTR_MIN_ENC) {
		*why = "xattr count exceeds input";
		return (1);
	}
	if (v == 0)
		return (0);
	if ((n->xattrs = calloc((size_t)v, sizeof(struct xattr))) == NULL) {
		warnp("calloc");
		return (-1);
	}
	for (; n->nxattrs < v; n->nxattrs++) {
		x = &n->xattrs[n->nxattrs];
		if (get_bytes(r, 1, TREE_MAX_XATTR_NAME, &p, &len, why))
			return (1);
		if (memchr(p, '\0', len) != NULL) {
			*why = "NUL in xattr name";
			return (1);
		}
		if ((x->name = dup_bytes(p, len, 1)) == NULL)
			return (-1);
		if (get_bytes(r, 0, TREE_MAX_XATTR_VALUE, &p, &len, why))
			goto partial;
		if ((x->value = dup_bytes(p, len, 0)) == NULL)
			goto partial_enomem;
		x->value_len = len;
	}
	return (0);

partial:
	/* Count the half-read entry so that node_release frees its name. */
	n->nxattrs++;
	return (1);
partial_enomem:
	n->nxattrs++;
	return (-1);
}

/* Read one node and check it.  0, 1 (invalid, *why set) or -1. */
static int
get_node(struct rd *r, struct node *n, const char **why)
{
	int rc;

	if ((rc = get_common(r, n, why)) != 0 ||
	    (rc = get_typed(r, n, why)) != 0 ||
	    (rc = get_xattrs(r, n, why)) != 0)
		return (rc);
	if ((*why = node_invalid(n)) != NULL)
		return (1);
	return (0);
}

int
tree_decode(const uint8_t *p, size_t len, struct tree *t)
{
	const char *why = "truncated";
	struct node *n;
	struct rd r;
	uint64_t count;
	uint8_t magic;
	int rc;

	tree_init(t);
	rd_init(&r, p, len);
	if (rd_u8(&r, &magic))
		goto bad;
	if (magic != TREE_MAGIC) {
		why = "unknown tree encoding version";
		goto bad;
	}
	if (get_uint(&r, TREE_MAX_NODES, &count, &why))
		goto bad;
	if (count > r.left / NODE_MIN_ENC) {
		why = "node count exceeds input";
		goto bad;
	}
	while (t->n < count) {
		/* The array grows with the nodes actually read. */
		if ((n = tree_add(t)) == NULL)
			goto enomem;
		if ((rc = get_node(&r, n, &why)) == -1)
			goto enomem;
		if (rc != 0)
			goto bad;
		if (t->n > 1 && nodecmp(&t->nodes[t->n - 2], n) >= 0) {
			why = "names not strictly sorted";
			goto bad;
		}
	}
	if (r.left != 0) {
		why = "trailing bytes";
		goto bad;
	}
	return (0);

bad:
	warn0("tree: invalid encoding at offset %zu: %s", len - r.left, why);
	tree_release(t);
	return (1);

enomem:
	tree_release(t);
	return (-1);
}
