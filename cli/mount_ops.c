/*
 * coffer mount: the FUSE operations, and serving them until unmounted.
 * Every operation is read-only; errors are EIO with a message that names
 * the object (blob, tree, file) that could not be read.
 */
#include "mount_fs.h"	/* first: it sets FUSE_USE_VERSION */

#include <sys/statvfs.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/warnp.h"

#define MAX_THREADS	8

static struct fs *
FS(fuse_req_t req)
{

	return (fuse_req_userdata(req));
}

/* Refresh the snapshot list if i is one of the top directories. */
static void
refresh(struct fs *fs, const struct ino *i)
{

	if (i->kind <= K_TAG)
		mnt_refresh(fs->m, 0);
}

/* --- lookup and forget -------------------------------------------------- */

struct find {
	const char *name;
	struct ment e;
	int found;
};

static int
find_cb(void *cookie, const struct ment *e)
{
	struct find *f = cookie;

	if (strcmp(e->name, f->name) != 0)
		return (0);
	f->e = *e;
	f->found = 1;
	return (1);
}

/* Pin the tree of directory i, or say which it is and where. */
static int
get_tree(struct fs *fs, const struct ino *i, struct idcache_ent **te)
{
	char path[1024], hex[65];

	if (mnt_tree(fs->m, i->nd.subtree, te) == 0)
		return (0);
	fs_path(fs, i, path, sizeof(path));
	hex_encode(i->nd.subtree, 32, hex);
	warn0("%s: cannot read tree %s", path, hex);
	return (-1);
}

/* Look name up in the tree of directory p; intern the child.  errno. */
static int
lookup_tree(struct fs *fs, struct ino *p, const char *name, struct ino **cp)
{
	struct idcache_ent *te;
	const struct tree *t;
	const struct node *nd;
	size_t len = strlen(name);
	int err = 0;

	if (get_tree(fs, p, &te) != 0)
		return (EIO);
	t = idcache_val(te);
	if ((nd = tree_find(t, (const uint8_t *)name, len)) == NULL)
		err = ENOENT;
	else if ((*cp = fs_intern(fs, p, name, len, NULL, nd)) == NULL)
		err = ENOMEM;
	idcache_put(fs->m->trees, te);
	return (err);
}

static void
op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = FS(req);
	struct ino *p = fs_ino(fs, parent), *c = NULL;
	struct fuse_entry_param e;
	struct find f;
	int err = 0;

	if (!fs_isdir(p)) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (p->kind == K_SNAP || p->kind == K_NODE)
		err = lookup_tree(fs, p, name, &c);
	else {
		refresh(fs, p);
		memset(&f, 0, sizeof(f));
		f.name = name;
		mnt_lock(fs->m);
		fs_meta_visit(fs, p, find_cb, &f);
		if (!f.found)
			err = ENOENT;
		else if ((c = fs_intern(fs, p, name, strlen(name), &f.e,
		    NULL)) == NULL)
			err = ENOMEM;
		mnt_unlock(fs->m);
	}
	if (err != 0) {
		fuse_reply_err(req, err);
		return;
	}
	fs_fill_entry(fs, p, c, &e);
	fuse_reply_entry(req, &e);
}

static void
op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t n)
{
	struct fs *fs = FS(req);

	if (ino != FUSE_ROOT_ID)
		fs_forget(fs, fs_ino(fs, ino), n);
	fuse_reply_none(req);
}

static void
op_forget_multi(fuse_req_t req, size_t count,
    struct fuse_forget_data *v)
{
	struct fs *fs = FS(req);
	size_t i;

	for (i = 0; i < count; i++)
		if (v[i].ino != FUSE_ROOT_ID)
			fs_forget(fs, fs_ino(fs, v[i].ino), v[i].nlookup);
	fuse_reply_none(req);
}

/* --- attributes, links, xattrs ------------------------------------------ */

static void
op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = FS(req);
	struct ino *i = fs_ino(fs, ino);
	struct stat st;

	fs_fill_attr(fs, i, &st);
	fuse_reply_attr(req, &st, (i->kind == K_SNAP || i->kind == K_NODE) ?
	    TREE_TIMEOUT : META_TIMEOUT);
}

static void
op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fs *fs = FS(req);
	struct ino *i = fs_ino(fs, ino);
	char *t;

	if (i->nd.type != NODE_SYMLINK) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if ((t = malloc(i->nd.target_len + 1)) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memcpy(t, i->nd.target, i->nd.target_len);
	t[i->nd.target_len] = '\0';
	fuse_reply_readlink(req, t);
	free(t);
}

static void
op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct ino *i = fs_ino(FS(req), ino);
	const struct xattr *x;
	size_t k;

	for (k = 0; k < i->nd.nxattrs; k++) {
		x = &i->nd.xattrs[k];
		if (strcmp(x->name, name) != 0)
			continue;
		if (size == 0)
			fuse_reply_xattr(req, x->value_len);
		else if (size < x->value_len)
			fuse_reply_err(req, ERANGE);
		else
			fuse_reply_buf(req, (const char *)x->value,
			    x->value_len);
		return;
	}
	fuse_reply_err(req, ENODATA);
}

static void
op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct ino *i = fs_ino(FS(req), ino);
	size_t k, total = 0, o = 0, n;
	char *b;

	for (k = 0; k < i->nd.nxattrs; k++)
		total += strlen(i->nd.xattrs[k].name) + 1;
	if (size == 0) {
		fuse_reply_xattr(req, total);
		return;
	}
	if (size < total) {
		fuse_reply_err(req, ERANGE);
		return;
	}
	if ((b = malloc(total + 1)) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (k = 0; k < i->nd.nxattrs; k++) {
		n = strlen(i->nd.xattrs[k].name) + 1;
		memcpy(b + o, i->nd.xattrs[k].name, n);
		o += n;
	}
	fuse_reply_buf(req, b, total);
	free(b);
}

/* --- files -------------------------------------------------------------- */

static void
op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = FS(req);
	struct ino *i = fs_ino(fs, ino);
	struct mfile *f;
	char path[1024];
	int rc;

	if (i->kind != K_NODE || i->nd.type != NODE_FILE) {
		fuse_reply_err(req, fs_isdir(i) ? EISDIR : EINVAL);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EROFS);
		return;
	}
	fs_path(fs, i, path, sizeof(path));
	if ((rc = mnt_open(fs->m, &i->nd, path, &f)) != 0) {
		fuse_reply_err(req, rc > 0 ? EIO : ENOMEM);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)f;
	/* The contents never change: the page cache may keep them. */
	fi->keep_cache = 1;
	if (fuse_reply_open(req, fi) != 0)
		mnt_close(f);
}

static void
op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct fs *fs = FS(req);
	struct mfile *f = (struct mfile *)(uintptr_t)fi->fh;
	struct mread rd;
	int rc;

	if (off < 0 || (uint64_t)off >= f->size || size == 0) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > f->size - (uint64_t)off)
		size = (size_t)(f->size - (uint64_t)off);
	if ((rc = mnt_read(fs->m, f, (uint64_t)off, size, &rd)) != 0) {
		fuse_reply_err(req, EIO);
		return;
	}
	fuse_reply_iov(req, rd.iov, (int)rd.n);
	mnt_read_done(fs->m, &rd);
}

static void
op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{

	mnt_close((struct mfile *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

/* --- directories -------------------------------------------------------- */

static void
dh_free(struct dh *d)
{
	size_t k;

	if (d == NULL)
		return;
	for (k = 0; k < d->n; k++) {
		free((char *)(uintptr_t)d->v[k].name);
		free((char *)(uintptr_t)d->v[k].group);
		free((char *)(uintptr_t)d->v[k].target);
	}
	free(d->v);
	free(d);
}

/* Copy a top-directory entry into a directory handle. */
static int
copy_cb(void *cookie, const struct ment *e)
{
	struct dh *d = cookie;
	struct ment *c;
	void *nv;

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		if ((nv = realloc(d->v, d->cap * sizeof(*d->v))) == NULL)
			return (-1);
		d->v = nv;
	}
	c = &d->v[d->n];
	*c = *e;
	c->group = c->target = NULL;
	if ((c->name = strdup(e->name)) == NULL ||
	    (e->group != NULL && (c->group = strdup(e->group)) == NULL) ||
	    (e->target != NULL && (c->target = strdup(e->target)) == NULL)) {
		free((char *)(uintptr_t)c->name);
		free((char *)(uintptr_t)c->group);
		return (-1);
	}
	d->n++;
	return (0);
}

static void
op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = FS(req);
	struct ino *i = fs_ino(fs, ino);
	struct dh *d;
	int rc;

	if (!fs_isdir(i)) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (i->kind == K_SNAP || i->kind == K_NODE) {
		if (get_tree(fs, i, &d->te) != 0) {
			free(d);
			fuse_reply_err(req, EIO);
			return;
		}
		d->t = idcache_val(d->te);
	} else {
		refresh(fs, i);
		mnt_lock(fs->m);
		rc = fs_meta_visit(fs, i, copy_cb, d);
		mnt_unlock(fs->m);
		if (rc != 0) {
			dh_free(d);
			fuse_reply_err(req, ENOMEM);
			return;
		}
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	if (fuse_reply_open(req, fi) != 0) {
		idcache_put(fs->m->trees, d->te);
		dh_free(d);
	}
}

/*
 * Entry k of a directory listing: ".", "..", then the entries.  Fills
 * name (NUL-terminated) and the type and st_ino of st; *me or *nd says
 * which entry it is.
 */
static void
dir_entry(struct fs *fs, struct ino *i, struct dh *d, size_t k, char *name,
    struct stat *st, const struct ment **me, const struct node **nd)
{
	static const mode_t fmt[] = { 0, S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO,
	    S_IFCHR, S_IFBLK, S_IFSOCK };

	memset(st, 0, sizeof(*st));
	*me = NULL;
	*nd = NULL;
	if (k < 2) {
		strcpy(name, k == 0 ? "." : "..");
		st->st_mode = S_IFDIR;
		st->st_ino = (k == 0 || i->parent == NULL) ? i->stino :
		    i->parent->stino;
		return;
	}
	k -= 2;
	if (d->t != NULL) {
		*nd = &d->t->nodes[k];
		memcpy(name, (*nd)->name, (*nd)->name_len);
		name[(*nd)->name_len] = '\0';
		st->st_mode = (*nd)->type < 8 ? fmt[(*nd)->type] : 0;
		st->st_ino = fs_child_stino(i, name, (*nd)->name_len, *nd);
	} else {
		*me = &d->v[k];
		snprintf(name, 256, "%s", (*me)->name);
		st->st_mode = (*me)->kind == K_LATEST ? S_IFLNK : S_IFDIR;
		st->st_ino = fs_child_stino(i, name, strlen(name), NULL);
	}
}

static void
readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi, int plus)
{
	struct fs *fs = FS(req);
	struct ino *i = fs_ino(fs, ino), *c;
	struct dh *d = (struct dh *)(uintptr_t)fi->fh;
	struct fuse_entry_param e;
	const struct ment *me;
	const struct node *nd;
	struct stat st;
	char name[256], *buf;
	size_t k, n, pos = 0, need;

	if ((buf = malloc(size)) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = 2 + (d->t != NULL ? d->t->n : d->n);
	for (k = off < 0 ? 0 : (size_t)off; k < n; k++) {
		dir_entry(fs, i, d, k, name, &st, &me, &nd);
		if (!plus) {
			need = fuse_add_direntry(req, buf + pos, size - pos,
			    name, &st, (off_t)k + 1);
			if (need > size - pos)
				break;
			pos += need;
			continue;
		}
		need = fuse_add_direntry_plus(req, NULL, 0, name, NULL, 0);
		if (need > size - pos)
			break;
		memset(&e, 0, sizeof(e));
		e.attr = st;
		if (k >= 2) {
			/* The kernel counts this as a lookup. */
			if ((c = fs_intern(fs, i, name, strlen(name), me, nd))
			    == NULL)
				break;
			fs_fill_entry(fs, i, c, &e);
		}
		fuse_add_direntry_plus(req, buf + pos, size - pos, name, &e,
		    (off_t)k + 1);
		pos += need;
	}
	fuse_reply_buf(req, buf, pos);
	free(buf);
}

static void
op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{

	readdir_common(req, ino, size, off, fi, 0);
}

static void
op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{

	readdir_common(req, ino, size, off, fi, 1);
}

static void
op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dh *d = (struct dh *)(uintptr_t)fi->fh;

	idcache_put(FS(req)->m->trees, d->te);
	dh_free(d);
	fuse_reply_err(req, 0);
}

static void
op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;

	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = sv.f_frsize = 4096;
	sv.f_namemax = 255;
	sv.f_flag = ST_RDONLY;
	fuse_reply_statfs(req, &sv);
}

static void
op_init(void *userdata, struct fuse_conn_info *conn)
{

	/*
	 * No symlink target ever changes (a "latest" that moves is a new
	 * inode), so the kernel may keep them: a path through "latest"
	 * then costs no request per use.
	 */
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
}

static const struct fuse_lowlevel_ops ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.readlink = op_readlink,
	.open = op_open,
	.read = op_read,
	.release = op_release,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.readdirplus = op_readdirplus,
	.releasedir = op_releasedir,
	.statfs = op_statfs,
	.getxattr = op_getxattr,
	.listxattr = op_listxattr,
};

/* --- serving ------------------------------------------------------------- */

int
mount_serve(struct mnt *m, const char *dir, int allow_other, int defperm)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_loop_config *cfg = NULL;
	struct fuse_session *se = NULL;
	struct fs fs;
	sigset_t sigs;
	char opts[128];
	int rc = -1, handlers = 0, mounted = 0, r;

	if (fs_init(&fs, m))
		goto done;
	snprintf(opts, sizeof(opts), "ro,fsname=coffer,subtype=coffer%s%s",
	    defperm ? ",default_permissions" : "",
	    allow_other ? ",allow_other" : "");
	if (fuse_opt_add_arg(&args, "coffer") || fuse_opt_add_arg(&args, "-o")
	    || fuse_opt_add_arg(&args, opts)) {
		warnp("fuse_opt_add_arg");
		goto done;
	}
	if ((se = fuse_session_new(&args, &ops, sizeof(ops), &fs)) == NULL) {
		warn0("mount: cannot set up the FUSE session");
		goto done;
	}
	if (fuse_set_signal_handlers(se) != 0) {
		warn0("mount: cannot install signal handlers");
		goto done;
	}
	handlers = 1;
	if (fuse_session_mount(se, dir) != 0) {
		warn0("mount: cannot mount on %s (is /dev/fuse usable, and "
		    "fusermount3 installed?)", dir);
		goto done;
	}
	mounted = 1;
	if (!G.quiet) {
		printf("Now serving the repository at %s\n"
		    "Use another terminal or tool to browse the contents of "
		    "this folder.\nWhen finished, quit with Ctrl-c here or "
		    "umount the mountpoint.\n", dir);
		fflush(stdout);
	}
	if ((cfg = fuse_loop_cfg_create()) == NULL) {
		warn0("mount: cannot configure the FUSE loop");
		goto done;
	}
	fuse_loop_cfg_set_max_threads(cfg, MAX_THREADS);
	fuse_loop_cfg_set_idle_threads(cfg, 4);
	/*
	 * Signals were blocked while helper threads started (so that they
	 * never take one); the FUSE threads and this one take them.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_UNBLOCK, &sigs, NULL);
	r = fuse_session_loop_mt(se, cfg);
	if (r < 0) {
		errno = -r;
		warnp("mount: serving %s", dir);
	} else
		rc = 0;
done:
	if (mounted)
		fuse_session_unmount(se);
	if (handlers)
		fuse_remove_signal_handlers(se);
	if (se != NULL)
		fuse_session_destroy(se);
	if (cfg != NULL)
		fuse_loop_cfg_destroy(cfg);
	fuse_opt_free_args(&args);
	if (fs.m != NULL)
		fs_release(&fs);
	return (rc);
}
