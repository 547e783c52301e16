/*
 * coffer mount, the FUSE side (low-level libfuse3 API, multithreaded).
 *
 * Layout, as restic's:
 *	snapshots/<time>/...		every snapshot, and "latest"
 *	ids/<short id>/...
 *	hosts/<host>/<time>/...		and "latest" in each host
 *	tags/<tag>/<time>/...		and "latest" in each tag
 * <time> is 2006-01-02T15:04:05+07:00 in local time ("-1", "-2", ... for
 * later snapshots of the same second).  Below a snapshot, the tree as it
 * was backed up: modes, owners, times, sizes, symlink targets, xattrs.
 *
 * Inodes: every name the kernel has looked up is an inode here, counted
 * as the kernel counts it (lookup, readdirplus, forget).  The FUSE node id
 * is the inode's address; an inode keeps its parent alive, so an address
 * is never reused while a (parent, name) key in the table could still
 * name it.  st_ino is a hash of the parent's st_ino and the name (stable
 * across mounts), except that files with several links hash their
 * original (device, inode) within their snapshot, so hard links show as
 * hard links.
 *
 * The top directories are computed from the snapshot list, which is
 * listed again (at most once a second) when one of them is opened or
 * searched; their entries expire from the kernel's caches after a second.
 * A "latest" link is an inode per target: when the newest snapshot
 * changes, the next lookup of "latest" gives a new inode, so that symlink
 * targets may be cached.
 * Everything below a snapshot is immutable and cached by the kernel for
 * an hour, file contents included.
 */
#include "mount_fs.h"	/* first: it sets FUSE_USE_VERSION */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util/warnp.h"

static const char *const topnames[] = { NULL, "snapshots", "ids", "hosts",
    "tags" };

struct ino *
fs_ino(struct fs *fs, fuse_ino_t n)
{

	return (n == FUSE_ROOT_ID ? &fs->root : (struct ino *)(uintptr_t)n);
}

fuse_ino_t
fs_nid(struct fs *fs, const struct ino *i)
{

	return (i == &fs->root ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)i);
}

int
fs_isdir(const struct ino *i)
{

	return (i->kind != K_LATEST &&
	    (i->kind != K_NODE || i->nd.type == NODE_DIR));
}

/* --- st_ino ----------------------------------------------------------- */

static uint64_t
hash64(const uint8_t *p, size_t n)
{
	static const uint8_t key[crypto_shorthash_KEYBYTES];
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, p, n, key);
	v = le64dec(h);
	return (v > 1 ? v : v + 2);
}

uint64_t
fs_child_stino(const struct ino *p, const char *name, size_t len,
    const struct node *nd)
{
	uint8_t b[8 + 256];

	if (nd != NULL && nd->type != NODE_DIR && nd->nlink > 1) {
		le64enc(b, p->rootino);
		le64enc(b + 8, nd->dev);
		le64enc(b + 16, nd->inode);
		memcpy(b + 24, "hardlink", 8);
		return (hash64(b, 32));
	}
	le64enc(b, p->stino);
	memcpy(b + 8, name, len);
	return (hash64(b, 8 + len));
}

/* --- the inode table ---------------------------------------------------- */

static size_t
hslot(const struct fs *fs, const struct ino *p, const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)p;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 1099511628211ULL;
	return ((size_t)(h ^ (h >> 29)) & (fs->htcap - 1));
}

static struct ino *
hfind(struct fs *fs, const struct ino *p, const char *name, size_t len)
{
	struct ino *i;

	for (i = fs->ht[hslot(fs, p, name, len)]; i != NULL; i = i->hnext)
		if (i->parent == p && i->namelen == len &&
		    memcmp(i->name, name, len) == 0)
			return (i);
	return (NULL);
}

static void
hremove(struct fs *fs, struct ino *i)
{
	struct ino **pp;

	if (!i->hashed)
		return;
	for (pp = &fs->ht[hslot(fs, i->parent, i->name, i->namelen)];
	    *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == i) {
			*pp = i->hnext;
			break;
		}
	i->hashed = 0;
	fs->htn--;
}

static int
hinsert(struct fs *fs, struct ino *i)
{
	struct ino **nt, **ot = fs->ht, *e, *n;
	size_t ocap = fs->htcap, k, s;

	if (fs->htn + 1 > fs->htcap) {
		if ((nt = calloc(ocap * 2, sizeof(*nt))) == NULL)
			return (-1);
		fs->ht = nt;
		fs->htcap = ocap * 2;
		for (k = 0; k < ocap; k++)
			for (e = ot[k]; e != NULL; e = n) {
				n = e->hnext;
				s = hslot(fs, e->parent, e->name, e->namelen);
				e->hnext = fs->ht[s];
				fs->ht[s] = e;
			}
		free(ot);
	}
	s = hslot(fs, i->parent, i->name, i->namelen);
	i->hnext = fs->ht[s];
	fs->ht[s] = i;
	i->hashed = 1;
	fs->htn++;
	return (0);
}

/* Deep-copy what an inode needs of a tree node (not its name). */
static int
copy_node(struct node *d, const struct node *s)
{
	size_t i;

	*d = *s;
	d->name = NULL;
	d->name_len = 0;
	d->target = NULL;
	d->xattrs = NULL;
	d->nxattrs = 0;
	d->content = NULL;
	if (s->target_len > 0 &&
	    (d->target = malloc(s->target_len)) == NULL)
		goto oom;
	if (s->target_len > 0)
		memcpy(d->target, s->target, s->target_len);
	if (s->ncontent > 0 && (d->content = malloc(s->ncontent * 32)) == NULL)
		goto oom;
	if (s->ncontent > 0)
		memcpy(d->content, s->content, s->ncontent * 32);
	if (s->nxattrs > 0 &&
	    (d->xattrs = calloc(s->nxattrs, sizeof(*d->xattrs))) == NULL)
		goto oom;
	for (i = 0; i < s->nxattrs; i++, d->nxattrs++) {
		d->xattrs[i].name = strdup(s->xattrs[i].name);
		d->xattrs[i].value = malloc(s->xattrs[i].value_len + 1);
		if (d->xattrs[i].name == NULL || d->xattrs[i].value == NULL) {
			d->nxattrs++;
			goto oom;
		}
		memcpy(d->xattrs[i].value, s->xattrs[i].value,
		    s->xattrs[i].value_len);
		d->xattrs[i].value_len = s->xattrs[i].value_len;
	}
	return (0);
oom:
	node_release(d);
	return (-1);
}

static void
ino_free(struct ino *i)
{

	node_release(&i->nd);
	free(i->name);
	free(i->group);
	free(i);
}

/* Free i, and then its parents, while nothing refers to them. */
static void
maybe_free(struct fs *fs, struct ino *i)
{
	struct ino *p;

	while (i != &fs->root && i->nlookup == 0 && i->nchild == 0) {
		p = i->parent;
		hremove(fs, i);
		if (i->aprev != NULL)
			i->aprev->anext = i->anext;
		else
			fs->all = i->anext;
		if (i->anext != NULL)
			i->anext->aprev = i->aprev;
		ino_free(i);
		p->nchild--;
		i = p;
	}
}

struct ino *
fs_intern(struct fs *fs, struct ino *p, const char *name, size_t len,
    const struct ment *me, const struct node *nd)
{
	struct ino *i;

	pthread_mutex_lock(&fs->mu);
	if ((i = hfind(fs, p, name, len)) != NULL) {
		if (me == NULL || (i->kind == me->kind &&
		    (me->kind != K_SNAP ||
		    memcmp(i->snapid, me->snapid, 32) == 0) &&
		    (me->kind != K_LATEST ||
		    (i->nd.target_len == strlen(me->target) &&
		    memcmp(i->nd.target, me->target, i->nd.target_len) == 0)))) {
			i->nlookup++;
			goto done;
		}
		hremove(fs, i);
	}
	if ((i = calloc(1, sizeof(*i))) == NULL ||
	    (i->name = malloc(len + 1)) == NULL)
		goto oom;
	memcpy(i->name, name, len);
	i->name[len] = '\0';
	i->namelen = len;
	i->parent = p;
	i->nlookup = 1;
	if (me != NULL) {
		i->kind = me->kind;
		memcpy(i->snapid, me->snapid, 32);
		i->nd = me->nd;
		if (me->group != NULL && (i->group = strdup(me->group)) == NULL)
			goto oom;
		if (me->kind == K_LATEST) {
			/* A new target is a new inode: see fs_intern. */
			i->nd.type = NODE_SYMLINK;
			i->nd.target_len = strlen(me->target);
			if ((i->nd.target = (uint8_t *)strdup(me->target)) ==
			    NULL)
				goto oom;
		}
		i->stino = fs_child_stino(p, name, len, NULL);
		i->rootino = i->stino;
	} else {
		i->kind = K_NODE;
		if (copy_node(&i->nd, nd))
			goto oom;
		i->stino = fs_child_stino(p, name, len, nd);
		i->rootino = p->rootino;
	}
	if (hinsert(fs, i))
		goto oom;
	p->nchild++;
	i->anext = fs->all;
	if (fs->all != NULL)
		fs->all->aprev = i;
	fs->all = i;
done:
	pthread_mutex_unlock(&fs->mu);
	return (i);
oom:
	pthread_mutex_unlock(&fs->mu);
	if (i != NULL)
		ino_free(i);
	return (NULL);
}

void
fs_path(struct fs *fs, const struct ino *i, char *buf, size_t len)
{
	const struct ino *c[256];
	size_t n = 0, o = 0, k;
	const char *s;

	pthread_mutex_lock(&fs->mu);
	for (; i != &fs->root && n < 256; i = i->parent)
		c[n++] = i;
	buf[0] = '\0';
	while (n-- > 0 && o + 8 < len) {
		for (s = c[n]->name, k = 0; k < c[n]->namelen && o + 6 < len;
		    k++) {
			unsigned char ch = (unsigned char)s[k];

			if (ch < 0x20 || ch == 0x7f || ch == '\\')
				o += snprintf(buf + o, len - o, "\\x%02x", ch);
			else
				buf[o++] = (char)ch;
		}
		if (n > 0)
			buf[o++] = '/';
		buf[o] = '\0';
	}
	pthread_mutex_unlock(&fs->mu);
}

/* --- the top directories ------------------------------------------------- */

static int
in_group(const struct msnap *ms, int kind, const char *g)
{
	size_t i;

	if (kind == K_HOST)
		return (ms->host != NULL && strcmp(ms->host, g) == 0);
	if (kind == K_TAG) {
		for (i = 0; i < ms->ntags; i++)
			if (strcmp(ms->tags[i], g) == 0)
				return (1);
		return (0);
	}
	return (1);
}

static void
snap_ment(struct ment *e, const struct msnap *ms, const char *name)
{

	memset(e, 0, sizeof(*e));
	e->name = name;
	e->kind = K_SNAP;
	memcpy(e->snapid, ms->s.id, 32);
	e->nd.type = NODE_DIR;
	e->nd.mode = 0555;
	e->nd.uid = ms->s.uid;
	e->nd.gid = ms->s.gid;
	e->nd.mtime_sec = e->nd.atime_sec = e->nd.ctime_sec = ms->s.time_sec;
	e->nd.mtime_nsec = e->nd.atime_nsec = e->nd.ctime_nsec =
	    ms->s.time_nsec;
	e->nd.nlink = 1;
	memcpy(e->nd.subtree, ms->s.tree, 32);
}

int
fs_meta_visit(struct fs *fs, const struct ino *p, visit_cb *cb, void *cookie)
{
	struct mnt *m = fs->m;
	struct ment e;
	const char *last = NULL;
	size_t i, n;
	int rc = 0, k;

	switch (p->kind) {
	case K_ROOT:
		for (k = K_SNAPSHOTS; k <= K_TAGS && rc == 0; k++) {
			memset(&e, 0, sizeof(e));
			e.name = topnames[k];
			e.kind = k;
			rc = cb(cookie, &e);
		}
		return (rc);
	case K_SNAPSHOTS:
	case K_HOST:
	case K_TAG:
		for (i = 0; i < m->sn && rc == 0; i++) {
			if (!in_group(&m->sv[i], p->kind, p->group))
				continue;
			snap_ment(&e, &m->sv[i], m->sv[i].name);
			rc = cb(cookie, &e);
			last = m->sv[i].name;
		}
		if (last != NULL && rc == 0) {
			memset(&e, 0, sizeof(e));
			e.name = "latest";
			e.kind = K_LATEST;
			e.target = last;
			rc = cb(cookie, &e);
		}
		return (rc);
	case K_IDS:
		for (i = 0; i < m->sn && rc == 0; i++) {
			snap_ment(&e, &m->sv[i], m->sv[i].shortid);
			rc = cb(cookie, &e);
		}
		return (rc);
	case K_HOSTS:
	case K_TAGS:
		n = p->kind == K_HOSTS ? m->nhosts : m->ntagv;
		for (i = 0; i < n && rc == 0; i++) {
			memset(&e, 0, sizeof(e));
			e.kind = p->kind == K_HOSTS ? K_HOST : K_TAG;
			e.name = e.group = p->kind == K_HOSTS ? m->hosts[i] :
			    m->tagv[i];
			rc = cb(cookie, &e);
		}
		return (rc);
	}
	return (0);
}

/* --- attributes ---------------------------------------------------------- */

void
fs_fill_attr(struct fs *fs, const struct ino *i, struct stat *st)
{
	static const mode_t fmt[] = { 0, S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO,
	    S_IFCHR, S_IFBLK, S_IFSOCK };
	const struct node *nd = &i->nd;

	memset(st, 0, sizeof(*st));
	st->st_ino = i->stino;
	st->st_blksize = 128 * 1024;
	st->st_nlink = 1;
	if (i->kind != K_SNAP && i->kind != K_NODE) {
		st->st_mode = S_IFDIR | 0555;
		st->st_uid = fs->m->owner_root ? 0 : fs->m->uid;
		st->st_gid = fs->m->owner_root ? 0 : fs->m->gid;
		st->st_mtim = st->st_atim = st->st_ctim = fs->t0;
		if (i->kind == K_LATEST) {
			st->st_mode = S_IFLNK | 0777;
			st->st_size = (off_t)nd->target_len;
		}
		return;
	}
	st->st_mode = (nd->type < 8 ? fmt[nd->type] : 0) | (nd->mode & 07777);
	st->st_uid = fs->m->owner_root ? 0 : nd->uid;
	st->st_gid = fs->m->owner_root ? 0 : nd->gid;
	if (nd->type == NODE_FILE) {
		st->st_size = (off_t)nd->size;
		st->st_blocks = (blkcnt_t)((nd->size + 511) / 512);
		st->st_nlink = nd->nlink > 1 ? (nlink_t)nd->nlink : 1;
	} else if (nd->type == NODE_SYMLINK)
		st->st_size = (off_t)nd->target_len;
	else if (nd->type == NODE_CHR || nd->type == NODE_BLK)
		st->st_rdev = (dev_t)nd->rdev;
	st->st_mtim.tv_sec = nd->mtime_sec;
	st->st_mtim.tv_nsec = nd->mtime_nsec;
	st->st_atim.tv_sec = nd->atime_sec;
	st->st_atim.tv_nsec = nd->atime_nsec;
	st->st_ctim.tv_sec = nd->ctime_sec;
	st->st_ctim.tv_nsec = nd->ctime_nsec;
}

void
fs_fill_entry(struct fs *fs, const struct ino *p, const struct ino *i,
    struct fuse_entry_param *e)
{

	memset(e, 0, sizeof(*e));
	e->ino = fs_nid(fs, i);
	fs_fill_attr(fs, i, &e->attr);
	e->entry_timeout = (p->kind == K_SNAP || p->kind == K_NODE) ?
	    TREE_TIMEOUT : META_TIMEOUT;
	e->attr_timeout = (i->kind == K_SNAP || i->kind == K_NODE) ?
	    TREE_TIMEOUT : META_TIMEOUT;
}


void
fs_forget(struct fs *fs, struct ino *i, uint64_t n)
{

	pthread_mutex_lock(&fs->mu);
	i->nlookup = n < i->nlookup ? i->nlookup - n : 0;
	maybe_free(fs, i);
	pthread_mutex_unlock(&fs->mu);
}

int
fs_init(struct fs *fs, struct mnt *m)
{

	memset(fs, 0, sizeof(*fs));
	fs->m = m;
	pthread_mutex_init(&fs->mu, NULL);
	fs->htcap = 1024;
	if ((fs->ht = calloc(fs->htcap, sizeof(*fs->ht))) == NULL) {
		warnp("calloc");
		return (-1);
	}
	fs->root.kind = K_ROOT;
	fs->root.stino = 1;
	fs->root.nlookup = 1;
	clock_gettime(CLOCK_REALTIME, &fs->t0);
	return (0);
}

void
fs_release(struct fs *fs)
{
	struct ino *i, *n;

	/* The kernel is gone: nothing refers to any inode any more. */
	for (i = fs->all; i != NULL; i = n) {
		n = i->anext;
		ino_free(i);
	}
	free(fs->ht);
	pthread_mutex_destroy(&fs->mu);
	memset(fs, 0, sizeof(*fs));
}
