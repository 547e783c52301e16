/*
 * cofferd's transparency log: its key, its state in SQLite, the blinded
 * ids, and `cofferd log`.  The sequencer is in srv_logseq.c; serving
 * /log/ in srv_logweb.c.  See srv_log.h and docs/TRANSPARENCY.md.
 *
 * The key file <data>/log/key holds one line, the Ed25519 signer key in
 * golang.org/x/mod/sumdb/note's format ("PRIVATE+KEY+<origin>+<id>+..."),
 * mode 0600; cofferd refuses a key file that others may read.  The key
 * for the blinded account ids, K_ids, is derived from it with HKDF, so
 * the two cannot part.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "tlog/merkle.h"
#include "tlog/tiles.h"
#include "util/warnp.h"

#include "srv_log_int.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS tlog_state ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " origin TEXT NOT NULL,"
    " size INTEGER NOT NULL CHECK (size >= 0),"
    " root BLOB NOT NULL,"
    " audit_seq INTEGER NOT NULL,"
    " checkpoint BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS tlog_account ("
    " id BLOB PRIMARY KEY NOT NULL,"
    " last BLOB NOT NULL,"
    " entries INTEGER NOT NULL);";

/* ---------------------------------------------------------------------- */
/* The key. */

int
logkey_read(const char *path, char *key, size_t *len)
{
	struct stat sb;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (1);
		warnp("%s", path);
		return (-1);
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		warn0("%s: not a regular file", path);
		close(fd);
		return (-1);
	}
	if ((sb.st_mode & 077) != 0) {
		warn0("%s: readable by others (mode %03o): a signing key "
		    "must be mode 0600", path,
		    (unsigned)(sb.st_mode & 0777));
		close(fd);
		return (-1);
	}
	n = read(fd, key, LOGKEY_MAX);
	close(fd);
	if (n <= 0 || n == LOGKEY_MAX) {
		warn0("%s: not a key file", path);
		return (-1);
	}
	*len = (size_t)n;
	while (*len > 0 && key[*len - 1] == '\n')
		(*len)--;
	return (0);
}

int
logkey_create(const char *path, const char *origin)
{
	char *skey = NULL;
	size_t len, off = 0;
	ssize_t n;
	int fd, rc = -1;

	if (note_signer_generate(origin, &skey))
		return (-1);
	len = strlen(skey);
	skey[len] = '\0';
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		warnp("cannot create %s", path);
		goto done;
	}
	while (off < len && (n = write(fd, skey + off, len - off)) > 0)
		off += (size_t)n;
	if (off < len || write(fd, "\n", 1) != 1 || fsync(fd) == -1) {
		warnp("write %s", path);
		close(fd);
		unlink(path);
		goto done;
	}
	close(fd);
	rc = 0;
done:
	sodium_memzero(skey, len);
	free(skey);
	return (rc);
}

/* Load (or, with origin, create) the key: log->signer and log->ids. */
static int
key_load(struct srv_log *log, const char *origin)
{
	static const char info[] = "coffer-tlog-ids-v1";
	struct note_vkey vk;
	char path[PATH_MAX], key[LOGKEY_MAX];
	uint8_t kids[32];
	size_t len = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/key", log->dir);
	if ((rc = logkey_read(path, key, &len)) == 1) {
		if (origin == NULL) {
			warn0("%s: no transparency log here (start cofferd "
			    "serve --log ORIGIN, or cofferd log init ORIGIN)",
			    log->dir);
			return (-1);
		}
		if (logkey_create(path, origin))
			return (-1);
		rc = logkey_read(path, key, &len);
	}
	if (rc != 0)
		return (-1);
	log->signer = note_signer_new(key, len);
	rc = crypto_hkdf((const uint8_t *)key, len, NULL, 0,
	    (const uint8_t *)info, sizeof(info) - 1, kids, sizeof(kids));
	sodium_memzero(key, sizeof(key));
	if (log->signer == NULL || rc != 0 ||
	    (log->ids = crypto_mac_new(kids, sizeof(kids))) == NULL) {
		sodium_memzero(kids, sizeof(kids));
		return (-1);
	}
	sodium_memzero(kids, sizeof(kids));
	note_signer_vkey(log->signer, NOTE_ALG_ED25519, &vk);
	if (origin != NULL && strcmp(vk.name, origin) != 0) {
		warn0("%s: this is the log of origin \"%s\", not \"%s\"",
		    log->dir, vk.name, origin);
		return (-1);
	}
	snprintf(log->origin, sizeof(log->origin), "%s", vk.name);
	return (0);
}

int
srv_log_vkey(const struct srv_log *log, char *out, size_t size)
{
	struct note_vkey vk;

	note_signer_vkey(log->signer, NOTE_ALG_ED25519, &vk);
	return (note_vkey_format(&vk, out, size));
}

int
srv_log_ids(struct srv_log *log, const char *user, const char *repo,
    uint8_t account[TLOG_ACCOUNT_LEN], uint8_t scope[TLOG_SCOPE_LEN])
{
	struct buf m = BUF_INIT;
	uint8_t h[CRYPTO_HASH_LEN];
	int rc = -1;

	if (buf_append(&m, "account", 8) ||
	    buf_append(&m, user, strlen(user)) ||
	    crypto_mac(log->ids, m.data, m.len, h))
		goto done;
	memcpy(account, h, TLOG_ACCOUNT_LEN);
	if (scope != NULL) {
		memset(scope, 0, TLOG_SCOPE_LEN);
		if (repo != NULL) {
			m.len = 0;
			if (buf_append(&m, "repo", 5) ||
			    buf_append(&m, user, strlen(user) + 1) ||
			    buf_append(&m, repo, strlen(repo)) ||
			    crypto_mac(log->ids, m.data, m.len, h))
				goto done;
			memcpy(scope, h, TLOG_SCOPE_LEN);
		}
	}
	rc = 0;
done:
	buf_release(&m);
	return (rc);
}

/* ---------------------------------------------------------------------- */
/* Opening. */

static int
mkdir_p(const char *dir)
{
	struct stat sb;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		warnp("cannot create %s", dir);
		return (-1);
	}
	if (stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		warn0("%s: not a directory", dir);
		return (-1);
	}
	return (0);
}

/* The database: our tables, and the first (empty) checkpoint. */
static int
db_open(struct srv_log *log)
{
	struct buf cp = BUF_INIT;
	sqlite3_stmt *st;
	uint8_t empty[32];
	int rc = -1;

	if (sqlite3_open_v2(log->dbpath, &log->h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		warn0("%s: %s", log->dbpath, log->h != NULL ?
		    sqlite3_errmsg(log->h) : "cannot open");
		return (-1);
	}
	sqlite3_busy_timeout(log->h, 5000);
	if (logseq_exec(log, "PRAGMA journal_mode = WAL; "
	    "PRAGMA synchronous = FULL;") || logseq_exec(log, schema))
		return (-1);
	merkle_empty_root(empty);
	if (logseq_sign(log, 0, empty, &cp))
		return (-1);
	if (sqlite3_prepare_v2(log->h, "INSERT OR IGNORE INTO tlog_state "
	    "(id, origin, size, root, audit_seq, checkpoint) VALUES "
	    "(1, ?, 0, ?, 0, ?)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, log->origin, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, empty, 32, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, cp.data, (int)cp.len, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE)
			rc = 0;
		sqlite3_finalize(st);
	}
	if (rc != 0)
		warn0("%s: %s", log->dbpath, sqlite3_errmsg(log->h));
	buf_release(&cp);
	return (rc);
}

/*
 * The committed checkpoint: check that it is ours and that the tiles on
 * disk give its root, then publish it (again: a crash may have come
 * between the commit and the checkpoint file).
 */
static int
recover(struct srv_log *log)
{
	struct tile_builder *tb;
	struct checkpoint cp;
	sqlite3_stmt *st;
	struct note *n = NULL;
	uint8_t root[32];
	const char *why;
	int rc = -1;

	if (sqlite3_prepare_v2(log->h, "SELECT origin, checkpoint FROM "
	    "tlog_state WHERE id = 1", -1, &st, NULL) != SQLITE_OK)
		return (-1);
	if (sqlite3_step(st) != SQLITE_ROW ||
	    sqlite3_column_text(st, 0) == NULL) {
		warn0("%s: no log state", log->dbpath);
		goto done;
	}
	if (strcmp((const char *)sqlite3_column_text(st, 0), log->origin)) {
		warn0("%s: holds the log \"%s\", and the key is of \"%s\"",
		    log->dbpath, sqlite3_column_text(st, 0), log->origin);
		goto done;
	}
	log->cp.len = 0;
	if (buf_append(&log->cp, sqlite3_column_blob(st, 1),
	    (size_t)sqlite3_column_bytes(st, 1)))
		goto done;
	if ((n = note_parse(log->cp.data, log->cp.len, &why)) == NULL ||
	    checkpoint_parse(n->text, n->textlen, &cp, &why)) {
		warn0("%s: the stored checkpoint is malformed", log->dbpath);
		goto done;
	}
	if ((tb = tile_builder_new(cp.size, logseq_fetch, log)) == NULL ||
	    tile_builder_root(tb, root) || memcmp(root, cp.root, 32) != 0) {
		warn0("%s: the tiles do not give the root of the committed "
		    "checkpoint (size %llu): the log's files are damaged",
		    log->dir, (unsigned long long)cp.size);
		tile_builder_free(tb);
		goto done;
	}
	tile_builder_free(tb);
	log->size = cp.size;
	log->bare.len = 0;
	if (buf_append(&log->bare, log->cp.data, log->cp.len))
		goto done;
	rc = logseq_write(log, "checkpoint", log->cp.data, log->cp.len);
done:
	free(n);
	sqlite3_finalize(st);
	return (rc);
}

int
srv_log_open(const char *datadir, const char *origin, struct srv_log **out)
{
	struct srv_log *log;
	char path[PATH_MAX];

	*out = NULL;
	if (crypto_init())
		return (-1);
	if (origin != NULL && !note_name_valid(origin, strlen(origin))) {
		warn0("--log %s: the origin must be a name without spaces or "
		    "'+', such as backup.example.org/log", origin);
		return (-1);
	}
	if ((log = calloc(1, sizeof(*log))) == NULL ||
	    asprintf(&log->dir, "%s/log", datadir) < 0 ||
	    asprintf(&log->dbpath, "%s/cofferd.db", datadir) < 0) {
		warnp("srv_log_open");
		if (log != NULL) {
			free(log->dir);
			free(log);
		}
		return (-1);
	}
	log->lockfd = -1;
	pthread_mutex_init(&log->mtx, NULL);
	pthread_mutex_init(&log->cpmtx, NULL);
	pthread_cond_init(&log->cv, NULL);
	if (mkdir_p(datadir) || mkdir_p(log->dir) || key_load(log, origin))
		goto err;
	snprintf(path, sizeof(path), "%s/lock", log->dir);
	if ((log->lockfd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		warnp("%s", path);
		goto err;
	}
	if (flock(log->lockfd, LOCK_EX | LOCK_NB) == -1) {
		warn0("%s: another cofferd keeps this log", log->dir);
		goto err;
	}
	if (db_open(log) || recover(log))
		goto err;
	*out = log;
	return (0);
err:
	srv_log_close(log);
	return (-1);
}

int
srv_log_checkpoint(struct srv_log *log, struct buf *out, uint64_t *size)
{
	int rc;

	pthread_mutex_lock(&log->cpmtx);
	rc = buf_append(out, log->cp.data, log->cp.len);
	*size = log->size;
	pthread_mutex_unlock(&log->cpmtx);
	return (rc);
}

const char *
srv_log_dir(const struct srv_log *log)
{

	return (log->dir);
}

void
srv_log_close(struct srv_log *log)
{

	if (log == NULL)
		return;
	srv_log_stop(log);
	if (log->h != NULL)
		sqlite3_close(log->h);
	note_signer_free(log->signer);
	crypto_mac_free(log->ids);
	if (log->lockfd != -1)
		close(log->lockfd);
	buf_release(&log->cp);
	buf_release(&log->bare);
	logwit_free(log);
	pthread_cond_destroy(&log->cv);
	pthread_mutex_destroy(&log->cpmtx);
	pthread_mutex_destroy(&log->mtx);
	free(log->dir);
	free(log->dbpath);
	free(log);
}

/* ---------------------------------------------------------------------- */
/* cofferd log init|vkey. */

int
srv_log_main(int argc, char **argv)
{
	struct srv_log *log;
	const char *data = NULL, *origin = NULL;
	char vk[NOTE_NAME_MAX + 128];
	int i, init;

	if (argc < 2 || (strcmp(argv[1], "init") != 0 &&
	    strcmp(argv[1], "vkey") != 0)) {
		warn0("usage: cofferd log init ORIGIN --data DIR | "
		    "cofferd log vkey --data DIR");
		return (1);
	}
	init = (strcmp(argv[1], "init") == 0);
	if (crypto_init())
		return (1);
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			data = argv[++i];
		else if (strncmp(argv[i], "--data=", 7) == 0)
			data = argv[i] + 7;
		else if (init && origin == NULL && argv[i][0] != '-')
			origin = argv[i];
		else {
			warn0("log %s: unexpected argument \"%s\"", argv[1],
			    argv[i]);
			return (1);
		}
	}
	if (data == NULL || (init && origin == NULL)) {
		warn0("log %s: %s", argv[1], data == NULL ? "--data DIR is "
		    "required" : "the log's ORIGIN is required");
		return (1);
	}
	if (init) {
		if (srv_log_open(data, origin, &log))
			return (1);
	} else {
		/* The key alone: no lock, so this works while cofferd runs. */
		if ((log = calloc(1, sizeof(*log))) == NULL ||
		    asprintf(&log->dir, "%s/log", data) < 0) {
			warnp("log vkey");
			free(log);
			return (1);
		}
		log->lockfd = -1;
		pthread_mutex_init(&log->mtx, NULL);
		pthread_mutex_init(&log->cpmtx, NULL);
		pthread_cond_init(&log->cv, NULL);
		if (key_load(log, NULL)) {
			srv_log_close(log);
			return (1);
		}
	}
	if (srv_log_vkey(log, vk, sizeof(vk)) == 0)
		printf("%s\n", vk);
	srv_log_close(log);
	return (0);
}
