/*
 * coffer diff SNAP1 SNAP2: what changed from the first snapshot to the
 * second, as restic's diff prints it:
 *
 *	+  added             -  removed
 *	M  file content modified (and "?" if every other attribute is the
 *	   same: probable bit rot on the source)
 *	T  type changed      U  metadata changed (with --metadata)
 *
 * Trees are compared by id: a subtree with the same id in both snapshots
 * is identical and is not read at all, so a diff costs what changed, not
 * the size of the snapshots.  The blob counts and sizes of the summary are
 * therefore those of the blobs referenced only by the changed parts of one
 * side and not by the changed parts of the other.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "engine/blobread.h"
#include "engine/progress.h"
#include "engine/treepath.h"
#include "snapshot/filter.h"
#include "snapshot/snapshot.h"
#include "util/idset.h"
#include "util/warnp.h"

#include "cli.h"

struct dstat {
	uint64_t files, dirs, others;
	uint64_t data_blobs, tree_blobs, bytes;
};

struct diff {
	struct session *ss;
	int metadata;
	struct idset *before, *after;
	struct dstat added, removed;
	uint64_t changed;
	int err;
};

static void
change(const char *mod, struct buf *path, int dir)
{
	size_t old = path->len;
	int lossy;

	if (G.quiet)
		return;
	/* Directories end with a '/', as in restic. */
	if (dir && buf_append(path, "/", 1))
		return;
	if (G.json)
		cli_json_print(json_pack("{s:s, s:o, s:s}", "message_type",
		    "change", "path", cli_json_bytes((const char *)path->data,
		    path->len, &lossy), "modifier", mod));
	else {
		printf("%-5s", mod);
		fwrite(path->data, 1, path->len, stdout);
		putchar('\n');
	}
	path->len = old;
}

static void
count(struct dstat *st, const struct node *nd)
{

	if (nd->type == NODE_FILE)
		st->files++;
	else if (nd->type == NODE_DIR)
		st->dirs++;
	else
		st->others++;
}

/* Record the blobs a node references directly. */
static int
blobs(struct diff *d, struct idset *s, const struct node *nd)
{
	size_t i;

	if (nd->type == NODE_DIR)
		return (idset_add(s, nd->subtree) < 0 ? -1 : 0);
	for (i = 0; i < nd->ncontent; i++)
		if (idset_add(s, nd->content[i]) < 0)
			return (-1);
	return (0);
}

/* Append "/name" to path; returns the old length to restore. */
static size_t
push(struct buf *path, const struct node *nd)
{
	size_t old = path->len;

	if (buf_append(path, "/", 1) ||
	    buf_append(path, nd->name, nd->name_len))
		path->len = old;
	return (old);
}

/* Everything below a tree that only one side has. */
static int
whole(struct diff *d, const char *mod, struct dstat *st, struct idset *s,
    const uint8_t id[32], struct buf *path)
{
	struct tree t;
	size_t i, old;
	int rc = 0;

	if (tree_load(d->ss->r, d->ss->ix, id, &t) != 0)
		return (-1);
	for (i = 0; i < t.n && rc == 0; i++) {
		const struct node *nd = &t.nodes[i];

		old = push(path, nd);
		change(mod, path, nd->type == NODE_DIR);
		count(st, nd);
		if (blobs(d, s, nd) ||
		    (nd->type == NODE_DIR && whole(d, mod, st, s,
		    nd->subtree, path)))
			rc = -1;
		path->len = old;
	}
	tree_release(&t);
	return (rc);
}

static int
same_content(const struct node *a, const struct node *b)
{

	return (a->ncontent == b->ncontent && (a->ncontent == 0 ||
	    memcmp(a->content, b->content, a->ncontent * BLOB_ID_LEN) == 0));
}

static int
same_xattrs(const struct node *a, const struct node *b)
{
	size_t i;

	if (a->nxattrs != b->nxattrs)
		return (0);
	for (i = 0; i < a->nxattrs; i++)
		if (strcmp(a->xattrs[i].name, b->xattrs[i].name) != 0 ||
		    a->xattrs[i].value_len != b->xattrs[i].value_len ||
		    memcmp(a->xattrs[i].value, b->xattrs[i].value,
		    a->xattrs[i].value_len) != 0)
			return (0);
	return (1);
}

/*
 * Same metadata?  Everything a restore sets or backup looks at, except
 * content, subtree and atime (which reading the files changes).
 */
static int
same_meta(const struct node *a, const struct node *b)
{

	return (a->mode == b->mode && a->uid == b->uid && a->gid == b->gid &&
	    a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec &&
	    a->ctime_sec == b->ctime_sec && a->ctime_nsec == b->ctime_nsec &&
	    a->size == b->size && a->inode == b->inode && a->dev == b->dev &&
	    a->nlink == b->nlink && a->rdev == b->rdev &&
	    a->target_len == b->target_len && (a->target_len == 0 ||
	    memcmp(a->target, b->target, a->target_len) == 0) &&
	    same_xattrs(a, b));
}

static int
namecmp(const struct node *a, const struct node *b)
{
	size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
	int c = memcmp(a->name, b->name, n);

	if (c != 0)
		return (c);
	return ((a->name_len > b->name_len) - (a->name_len < b->name_len));
}

static int diff_tree(struct diff *, const uint8_t[32], const uint8_t[32],
    struct buf *);

/* A name both sides have. */
static int
both(struct diff *d, const struct node *a, const struct node *b,
    struct buf *path)
{
	char mod[4] = "";

	if (blobs(d, d->before, a) || blobs(d, d->after, b))
		return (-1);
	if (a->type != b->type)
		strcat(mod, "T");
	if (a->type == NODE_FILE && b->type == NODE_FILE &&
	    !same_content(a, b)) {
		strcat(mod, "M");
		d->changed++;
		if (same_meta(a, b))
			strcat(mod, "?");
	} else if (a->type == NODE_SYMLINK && b->type == NODE_SYMLINK &&
	    (a->target_len != b->target_len ||
	    memcmp(a->target, b->target, a->target_len) != 0))
		strcat(mod, "M");
	else if (d->metadata && a->type == b->type && !same_meta(a, b))
		strcat(mod, "U");
	if (mod[0] != '\0')
		change(mod, path, b->type == NODE_DIR);
	if (a->type == NODE_DIR && b->type == NODE_DIR)
		return (memcmp(a->subtree, b->subtree, 32) == 0 ? 0 :
		    diff_tree(d, a->subtree, b->subtree, path));
	/* A directory replaced by something else, or the reverse. */
	if (a->type == NODE_DIR)
		return (whole(d, "-", &d->removed, d->before, a->subtree,
		    path));
	if (b->type == NODE_DIR)
		return (whole(d, "+", &d->added, d->after, b->subtree, path));
	return (0);
}

/* A name only one side has. */
static int
one(struct diff *d, const char *mod, struct dstat *st, struct idset *s,
    const struct node *nd, struct buf *path)
{

	change(mod, path, nd->type == NODE_DIR);
	count(st, nd);
	if (blobs(d, s, nd))
		return (-1);
	return (nd->type == NODE_DIR ? whole(d, mod, st, s, nd->subtree,
	    path) : 0);
}

static int
diff_tree(struct diff *d, const uint8_t ida[32], const uint8_t idb[32],
    struct buf *path)
{
	struct tree ta, tb;
	size_t i = 0, k = 0, old;
	int c, rc = 0;

	if (tree_load(d->ss->r, d->ss->ix, ida, &ta) != 0)
		return (-1);
	if (tree_load(d->ss->r, d->ss->ix, idb, &tb) != 0) {
		tree_release(&ta);
		return (-1);
	}
	/* Both listings are sorted by name: merge them. */
	while (rc == 0 && (i < ta.n || k < tb.n)) {
		const struct node *a = i < ta.n ? &ta.nodes[i] : NULL;
		const struct node *b = k < tb.n ? &tb.nodes[k] : NULL;

		c = a == NULL ? 1 : b == NULL ? -1 : namecmp(a, b);
		old = push(path, c <= 0 ? a : b);
		if (c < 0) {
			rc = one(d, "-", &d->removed, d->before, a, path);
			i++;
		} else if (c > 0) {
			rc = one(d, "+", &d->added, d->after, b, path);
			k++;
		} else {
			rc = both(d, a, b, path);
			i++;
			k++;
		}
		path->len = old;
	}
	tree_release(&ta);
	tree_release(&tb);
	return (rc);
}

struct tally {
	struct diff *d;
	struct idset *other;
	struct dstat *st;
};

/* Blobs of one side that the other side's changed parts lack. */
static int
tally_cb(void *cookie, const uint8_t *id)
{
	struct tally *t = cookie;
	struct idx_entry e;

	if (idset_has(t->other, id))
		return (0);
	if (!index_lookup(t->d->ss->ix, id, &e, NULL)) {
		char hex[65];

		hex_encode(id, 32, hex);
		warn0("blob %s: not in the index", hex);
		t->d->err = 1;
		return (0);
	}
	if (e.type == BLOB_TREE)
		t->st->tree_blobs++;
	else
		t->st->data_blobs++;
	t->st->bytes += e.raw_len;
	return (0);
}

static json_t *
dstat_json(const struct dstat *s)
{

	return (json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
	    "files", (json_int_t)s->files, "dirs", (json_int_t)s->dirs,
	    "others", (json_int_t)s->others,
	    "data_blobs", (json_int_t)s->data_blobs,
	    "tree_blobs", (json_int_t)s->tree_blobs,
	    "bytes", (json_int_t)s->bytes));
}

static void
summary(const struct diff *d, const char *a1, const char *a2)
{
	char add[32], rem[32];

	if (G.json) {
		cli_json_print(json_pack("{s:s, s:s, s:s, s:I, s:o, s:o}",
		    "message_type", "statistics", "source_snapshot", a1,
		    "target_snapshot", a2,
		    "changed_files", (json_int_t)d->changed,
		    "added", dstat_json(&d->added),
		    "removed", dstat_json(&d->removed)));
		return;
	}
	progress_size(d->added.bytes, add, sizeof(add));
	progress_size(d->removed.bytes, rem, sizeof(rem));
	printf("\nFiles:       %5llu new, %5llu removed, %5llu changed\n",
	    (unsigned long long)d->added.files,
	    (unsigned long long)d->removed.files,
	    (unsigned long long)d->changed);
	printf("Dirs:        %5llu new, %5llu removed\n",
	    (unsigned long long)d->added.dirs,
	    (unsigned long long)d->removed.dirs);
	printf("Others:      %5llu new, %5llu removed\n",
	    (unsigned long long)d->added.others,
	    (unsigned long long)d->removed.others);
	printf("Data Blobs:  %5llu new, %5llu removed\n",
	    (unsigned long long)d->added.data_blobs,
	    (unsigned long long)d->removed.data_blobs);
	printf("Tree Blobs:  %5llu new, %5llu removed\n",
	    (unsigned long long)d->added.tree_blobs,
	    (unsigned long long)d->removed.tree_blobs);
	printf("  Added:   %s\n  Removed: %s\n", add, rem);
}

/* The tree a "SNAPSHOT[:PATH]" argument names.  0 or -1 (reported). */
static int
side(struct session *ss, const struct snapfilter *f, const char *spec,
    struct snapshot *s, uint8_t id[32])
{
	struct treepath tp;
	char *sub = NULL;
	int rc = -1;

	if (snapsel_one(ss, f, spec, s, &sub) != EXIT_OK)
		return (-1);
	memcpy(id, s->tree, 32);
	if (sub == NULL)
		return (0);
	if (treepath_find(ss->r, ss->ix, s->tree, sub, &tp) == 0) {
		if (tp.isdir) {
			memcpy(id, tp.dir, 32);
			rc = 0;
		} else
			warn0("%s: not a directory", spec);
		treepath_release(&tp);
	}
	free(sub);
	return (rc);
}

static const struct option longopts[] = {
	{ "metadata", no_argument, NULL, 'm' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int
cmd_diff(int argc, char **argv)
{
	struct snapfilter f;
	struct snapshot s1, s2;
	struct session ss;
	struct diff d;
	struct tally t;
	struct buf path = BUF_INIT;
	uint8_t id1[32], id2[32];
	char h1[65], h2[65];
	int c, rc;

	memset(&d, 0, sizeof(d));
	memset(&s1, 0, sizeof(s1));
	memset(&s2, 0, sizeof(s2));
	snapfilter_init(&f);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			d.metadata = 1;
			break;
		case 'h':
			printf("usage: coffer diff [--metadata] "
			    "SNAPSHOT[:PATH] SNAPSHOT[:PATH]\n");
			return (EXIT_OK);
		default:
			usage_error("diff", "unknown option");
			return (EXIT_ERR);
		}
	}
	if (argc - optind != 2) {
		usage_error("diff", "give two snapshots");
		return (EXIT_ERR);
	}
	if ((rc = session_open(&ss, SESSION_INDEX | SESSION_LOCK)) != EXIT_OK)
		return (rc);
	rc = EXIT_ERR;
	d.ss = &ss;
	if (side(&ss, &f, argv[optind], &s1, id1) ||
	    side(&ss, &f, argv[optind + 1], &s2, id2))
		goto done;
	if ((d.before = idset_new()) == NULL ||
	    (d.after = idset_new()) == NULL ||
	    idset_add(d.before, id1) < 0 || idset_add(d.after, id2) < 0)
		goto done;
	hex_encode(s1.id, 32, h1);
	hex_encode(s2.id, 32, h2);
	if (!G.json && !G.quiet)
		printf("comparing snapshot %.8s to %.8s:\n\n", h1, h2);
	if (memcmp(id1, id2, 32) != 0 && diff_tree(&d, id1, id2, &path))
		goto done;
	t.d = &d;
	t.other = d.after;
	t.st = &d.removed;
	idset_foreach(d.before, tally_cb, &t);
	t.other = d.before;
	t.st = &d.added;
	idset_foreach(d.after, tally_cb, &t);
	summary(&d, argv[optind], argv[optind + 1]);
	rc = d.err ? EXIT_ERR : EXIT_OK;
done:
	buf_release(&path);
	idset_free(d.before);
	idset_free(d.after);
	snapshot_release(&s1);
	snapshot_release(&s2);
	session_close(&ss);
	return (rc);
}
