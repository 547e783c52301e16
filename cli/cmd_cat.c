/*
 * coffer cat TYPE ID: one repository object, decrypted and verified, for
 * debugging (as restic's cat).  Structured objects print as indented
 * JSON: config (its body and the repository id), snapshot, index, key
 * (the slot's metadata: never key material), lock, tree (a tree blob
 * decoded: by id, or SNAPSHOT[:PATH] as in restic) and pack (its header).
 * A blob prints as its raw bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "engine/blobread.h"
#include "engine/treepath.h"
#include "pack/pack.h"
#include "snapshot/filter.h"
#include "snapshot/snapshot.h"
#include "util/warnp.h"

#include "cli.h"

static void
print_indented(json_t *j)
{

	if (j == NULL) {
		warn0("cannot build the JSON output");
		return;
	}
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(j);
}

struct resolve {
	const char *prefix;
	size_t len;
	char name[65];
	size_t n;
};

static int
resolve_cb(void *cookie, const char *name, uint64_t size)
{
	struct resolve *r = cookie;

	if (strncmp(name, r->prefix, r->len) == 0) {
		memcpy(r->name, name, 65);
		r->n++;
	}
	return (0);
}

/* The object of a type named by a unique prefix.  0 or -1 (reported). */
static int
resolve(struct session *ss, enum obj_type t, const char *prefix,
    char name[65])
{
	struct resolve r;

	memset(&r, 0, sizeof(r));
	r.prefix = prefix;
	r.len = strlen(prefix);
	if (r.len == 0 || r.len > 64 ||
	    backend_list(ss->r->be, t, resolve_cb, &r) < 0 || r.n != 1) {
		if (r.n > 1)
			warn0("%s: prefix \"%s\" is ambiguous",
			    backend_type_name(t), prefix);
		else
			warn0("%s: no object matching \"%s\"",
			    backend_type_name(t), prefix);
		return (-1);
	}
	memcpy(name, r.name, 65);
	return (0);
}

/* A sealed JSON object (snapshot, lock), re-indented. */
static int
cat_sealed_json(struct session *ss, enum obj_type t, const char *prefix)
{
	struct buf b = BUF_INIT;
	char name[65];
	json_t *j;
	int rc = EXIT_ERR;

	if (t == OBJ_SNAPSHOT && strcmp(prefix, "latest") == 0) {
		struct snapfilter f;
		struct snapshot s;

		snapfilter_init(&f);
		if (snapsel_one(ss, &f, prefix, &s, NULL) != EXIT_OK)
			goto done;
		hex_encode(s.id, 32, name);
		snapshot_release(&s);
	} else if (resolve(ss, t, prefix, name))
		goto done;
	if (repo_get_sealed(ss->r, t, name, &b) != 0)
		goto done;
	if ((j = json_loadb((const char *)b.data, b.len, 0, NULL)) == NULL) {
		warn0("%s %s: not JSON", backend_type_name(t), name);
		goto done;
	}
	print_indented(j);
	rc = EXIT_OK;
done:
	buf_release(&b);
	return (rc);
}

static int
cat_config(struct session *ss)
{
	const struct repo_config *c = &ss->r->cfg;
	char id[2 * REPO_ID_LEN + 1];

	hex_encode(ss->r->id, REPO_ID_LEN, id);
	print_indented(json_pack("{s:s, s:i, s:s, s:I, s:I, s:I, s:I, s:s, "
	    "s:i}", "id", id, "version", (int)ss->r->version,
	    "chunker", "fastcdc", "chunk_min", (json_int_t)c->chunk_min,
	    "chunk_avg", (json_int_t)c->chunk_avg,
	    "chunk_max", (json_int_t)c->chunk_max,
	    "pack_size", (json_int_t)c->pack_size, "compression", "zstd",
	    "compression_level", c->zstd_level));
	return (EXIT_OK);
}

static int
cat_key(struct session *ss, const char *prefix)
{
	struct keyslot_info *v;
	size_t n, i, m = 0, which = 0, len = strlen(prefix);

	if (keyslot_list(ss->r, &v, &n))
		return (EXIT_ERR);
	for (i = 0; i < n && len > 0; i++)
		if (strncmp(v[i].name, prefix, len) == 0) {
			m++;
			which = i;
		}
	if (m != 1) {
		warn0(m ? "keys: prefix \"%s\" is ambiguous" :
		    "keys: no object matching \"%s\"", prefix);
		free(v);
		return (EXIT_ERR);
	}
	print_indented(json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:{s:s, "
	    "s:i, s:i}}", "id", v[which].name, "kind",
	    v[which].kind == 2 ? "recovery" : "passcode",
	    "current", v[which].current, "created", v[which].created,
	    "hostname", v[which].host, "username", v[which].user,
	    "kdf", "name", "argon2id", "opslimit", (int)v[which].opslimit,
	    "memlimit_kib", (int)v[which].memlimit_kib));
	free(v);
	return (EXIT_OK);
}

static json_t *
entry_json(const uint8_t id[32], uint8_t type, uint8_t flags,
    uint32_t offset, uint32_t stored, uint32_t raw)
{
	char hex[65];

	hex_encode(id, 32, hex);
	return (json_pack("{s:s, s:s, s:I, s:I, s:I, s:b}", "id", hex,
	    "type", type == BLOB_TREE ? "tree" : "data",
	    "offset", (json_int_t)offset, "length", (json_int_t)stored,
	    "uncompressed_length", (json_int_t)raw,
	    "compressed", (flags & BLOB_F_ZSTD) != 0));
}

struct idxjson {
	json_t *packs;
	json_t *cur;		/* the blobs array of the last pack */
	uint8_t last[32];
};

static int
index_cb_json(void *cookie, const struct idx_pack *pk,
    const struct idx_entry *e)
{
	struct idxjson *x = cookie;
	char hex[65], salt[65];
	json_t *p;

	if (x->cur == NULL || memcmp(x->last, pk->id, 32) != 0) {
		hex_encode(pk->id, 32, hex);
		hex_encode(pk->salt, 32, salt);
		if ((p = json_pack("{s:s, s:s, s:[]}", "id", hex, "salt",
		    salt, "blobs")) == NULL)
			return (-1);
		json_array_append_new(x->packs, p);
		x->cur = json_object_get(p, "blobs");
		memcpy(x->last, pk->id, 32);
	}
	return (json_array_append_new(x->cur, entry_json(e->id, e->type,
	    e->flags, e->offset, e->stored_len, e->raw_len)) ? -1 : 0);
}

static int
cat_index(struct session *ss, const char *prefix)
{
	struct buf b = BUF_INIT;
	struct idxjson x;
	char name[65];
	int rc = EXIT_ERR, r;

	memset(&x, 0, sizeof(x));
	if (resolve(ss, OBJ_INDEX, prefix, name) ||
	    repo_get_sealed(ss->r, OBJ_INDEX, name, &b) != 0 ||
	    (x.packs = json_array()) == NULL)
		goto done;
	if ((r = index_parse(b.data, b.len, index_cb_json, &x)) != 0) {
		if (r > 0)
			warn0("index %s: malformed", name);
		goto done;
	}
	print_indented(json_pack("{s:s, s:O}", "id", name, "packs",
	    x.packs));
	rc = EXIT_OK;
done:
	json_decref(x.packs);
	buf_release(&b);
	return (rc);
}

static int
cat_pack(struct session *ss, const char *prefix)
{
	struct pack_entry *e = NULL;
	struct buf b = BUF_INIT;
	uint8_t h[32], want[32];
	char name[65];
	size_t n = 0, i;
	json_t *a = NULL;
	int rc = EXIT_ERR, r;

	if (resolve(ss, OBJ_DATA, prefix, name))
		goto done;
	if ((r = backend_get(ss->r->be, OBJ_DATA, name, &b)) != 0) {
		if (r > 0)
			warn0("data %s: missing", name);
		goto done;
	}
	crypto_sha256(b.data, b.len, h);
	hex_decode(name, want, 32);
	if (memcmp(h, want, 32) != 0) {
		warn0("data %s: its contents do not match its name (damaged)",
		    name);
		goto done;
	}
	if ((r = pack_parse(ss->r, b.data, b.len, &e, &n)) != 0) {
		if (r > 0)
			warn0("data %s: header is malformed or not authentic",
			    name);
		goto done;
	}
	if ((a = json_array()) == NULL)
		goto done;
	for (i = 0; i < n; i++)
		json_array_append_new(a, entry_json(e[i].id, e[i].type,
		    e[i].flags, e[i].offset, e[i].stored_len, e[i].raw_len));
	print_indented(json_pack("{s:s, s:I, s:O}", "id", name, "size",
	    (json_int_t)b.len, "blobs", a));
	rc = EXIT_OK;
done:
	json_decref(a);
	free(e);
	buf_release(&b);
	return (rc);
}

static int
full_id(const char *s, uint8_t id[32])
{

	if (strlen(s) != 64 || hex_decode(s, id, 32) != 0) {
		warn0("\"%s\" is not a blob id (64 hex digits)", s);
		return (-1);
	}
	return (0);
}

static int
cat_blob(struct session *ss, const char *s)
{
	struct buf b = BUF_INIT;
	struct idx_entry e;
	uint8_t id[32];
	int rc = EXIT_ERR;

	if (full_id(s, id))
		return (EXIT_ERR);
	if (!index_lookup(ss->ix, id, &e, NULL)) {
		warn0("blob %s: not in the index", s);
		return (EXIT_ERR);
	}
	if (blob_read(ss->r, ss->ix, id, e.type, &b) == 0 &&
	    fwrite(b.data, 1, b.len, stdout) == b.len)
		rc = EXIT_OK;
	buf_release(&b);
	return (rc);
}

static json_t *
bytes_json(json_t *o, const char *key, const uint8_t *p, size_t n)
{
	char *hex;
	int lossy;

	json_object_set_new(o, key, cli_json_bytes((const char *)p, n,
	    &lossy));
	if (lossy && (hex = malloc(2 * n + 1)) != NULL) {
		char k[64];

		hex_encode(p, n, hex);
		snprintf(k, sizeof(k), "%s_hex", key);
		json_object_set_new(o, k, json_string(hex));
		free(hex);
	}
	return (o);
}

static json_t *
node_json(const struct node *nd)
{
	static const char *types[] = { "?", "file", "dir", "symlink", "fifo",
	    "chardev", "blockdev", "socket" };
	json_t *j, *a;
	char hex[65], *v;
	size_t i;

	/* The name first, for reading. */
	if ((j = json_object()) == NULL)
		return (NULL);
	bytes_json(j, "name", nd->name, nd->name_len);
	if (json_object_update_new(j, json_pack("{s:s, s:i, s:I, s:I, s:I, "
	    "s:i, s:I, s:i, s:I, s:i, s:I, s:I, s:I, s:I}",
	    "type", types[nd->type < 8 ? nd->type : 0], "mode", (int)nd->mode,
	    "uid", (json_int_t)nd->uid,
	    "gid", (json_int_t)nd->gid, "mtime", (json_int_t)nd->mtime_sec,
	    "mtime_nsec", (int)nd->mtime_nsec,
	    "atime", (json_int_t)nd->atime_sec, "atime_nsec",
	    (int)nd->atime_nsec, "ctime", (json_int_t)nd->ctime_sec,
	    "ctime_nsec", (int)nd->ctime_nsec, "size", (json_int_t)nd->size,
	    "inode", (json_int_t)nd->inode, "device_id", (json_int_t)nd->dev,
	    "links", (json_int_t)nd->nlink))) {
		json_decref(j);
		return (NULL);
	}
	if (nd->type == NODE_SYMLINK)
		bytes_json(j, "linktarget", nd->target, nd->target_len);
	if (nd->type == NODE_CHR || nd->type == NODE_BLK)
		json_object_set_new(j, "rdev", json_integer(
		    (json_int_t)nd->rdev));
	if (nd->type == NODE_DIR) {
		hex_encode(nd->subtree, 32, hex);
		json_object_set_new(j, "subtree", json_string(hex));
	}
	if (nd->type == NODE_FILE && (a = json_array()) != NULL) {
		for (i = 0; i < nd->ncontent; i++) {
			hex_encode(nd->content[i], 32, hex);
			json_array_append_new(a, json_string(hex));
		}
		json_object_set_new(j, "content", a);
	}
	if (nd->nxattrs > 0 && (a = json_array()) != NULL) {
		/* Values are raw bytes: hex. */
		for (i = 0; i < nd->nxattrs; i++) {
			if ((v = malloc(2 * nd->xattrs[i].value_len + 1)) ==
			    NULL)
				break;
			hex_encode(nd->xattrs[i].value,
			    nd->xattrs[i].value_len, v);
			json_array_append_new(a, json_pack("{s:s, s:s}",
			    "name", nd->xattrs[i].name, "value_hex", v));
			free(v);
		}
		json_object_set_new(j, "xattrs", a);
	}
	return (j);
}

static int
cat_tree_json(struct session *ss, const uint8_t id[32])
{
	struct tree t;
	json_t *a;
	char hex[65];
	size_t i;

	if (tree_load(ss->r, ss->ix, id, &t) != 0)
		return (EXIT_ERR);
	if ((a = json_array()) == NULL) {
		tree_release(&t);
		return (EXIT_ERR);
	}
	for (i = 0; i < t.n; i++)
		json_array_append_new(a, node_json(&t.nodes[i]));
	tree_release(&t);
	hex_encode(id, 32, hex);
	print_indented(json_pack("{s:s, s:o}", "id", hex, "nodes", a));
	return (EXIT_OK);
}

static int
cat_tree(struct session *ss, const char *spec)
{
	struct snapfilter f;
	struct snapshot s;
	struct treepath tp;
	uint8_t id[32];
	char *sub = NULL;
	int rc;

	/* A full tree id, or a snapshot with an optional path. */
	if (strlen(spec) == 64 && hex_decode(spec, id, 32) == 0 &&
	    index_lookup(ss->ix, id, &(struct idx_entry){ 0 }, NULL))
		return (cat_tree_json(ss, id));
	snapfilter_init(&f);
	if (snapsel_one(ss, &f, spec, &s, &sub) != EXIT_OK)
		return (EXIT_ERR);
	rc = EXIT_ERR;
	if (treepath_find(ss->r, ss->ix, s.tree, sub ? sub : "", &tp) == 0) {
		if (tp.isdir)
			rc = cat_tree_json(ss, tp.dir);
		else
			warn0("%s: not a directory", spec);
		treepath_release(&tp);
	}
	free(sub);
	snapshot_release(&s);
	return (rc);
}

int
cmd_cat(int argc, char **argv)
{
	static const char *types = "config, snapshot, index, key, lock, "
	    "tree, blob or pack";
	struct session ss;
	const char *t;
	int rc, flags = 0;

	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		printf("usage: coffer cat config | "
		    "snapshot|index|key|lock|pack ID | tree ID|SNAPSHOT[:PATH] "
		    "| blob ID\n");
		return (EXIT_OK);
	}
	if (argc < 2) {
		usage_error("cat", "give a type: %s", types);
		return (EXIT_ERR);
	}
	t = argv[1];
	if (strcmp(t, "config") != 0 && strcmp(t, "snapshot") != 0 &&
	    strcmp(t, "index") != 0 && strcmp(t, "key") != 0 &&
	    strcmp(t, "lock") != 0 && strcmp(t, "tree") != 0 &&
	    strcmp(t, "blob") != 0 && strcmp(t, "pack") != 0) {
		usage_error("cat", "unknown type \"%s\" (use %s)", t, types);
		return (EXIT_ERR);
	}
	if (argc != (strcmp(t, "config") == 0 ? 2 : 3)) {
		usage_error("cat", strcmp(t, "config") == 0 ?
		    "cat config takes no ID" : "give one ID");
		return (EXIT_ERR);
	}
	if (strcmp(t, "tree") == 0 || strcmp(t, "blob") == 0)
		flags = SESSION_INDEX | SESSION_LOCK;
	if ((rc = session_open(&ss, flags)) != EXIT_OK)
		return (rc);
	if (strcmp(t, "config") == 0)
		rc = cat_config(&ss);
	else if (strcmp(t, "snapshot") == 0)
		rc = cat_sealed_json(&ss, OBJ_SNAPSHOT, argv[2]);
	else if (strcmp(t, "lock") == 0)
		rc = cat_sealed_json(&ss, OBJ_LOCK, argv[2]);
	else if (strcmp(t, "index") == 0)
		rc = cat_index(&ss, argv[2]);
	else if (strcmp(t, "key") == 0)
		rc = cat_key(&ss, argv[2]);
	else if (strcmp(t, "pack") == 0)
		rc = cat_pack(&ss, argv[2]);
	else if (strcmp(t, "blob") == 0)
		rc = cat_blob(&ss, argv[2]);
	else
		rc = cat_tree(&ss, argv[2]);
	session_close(&ss);
	return (rc);
}
