/*
 * cofferd witness: a C2SP tlog-witness.  See srv_witness.h.
 *
 * The request body of POST /add-checkpoint is
 *
 *	old <size>\n
 *	<base64 hash>\n		(0 to 63 lines: a consistency proof)
 *	\n
 *	<signed checkpoint>
 *
 * and the answer a tlog-cosignature/v1 line.  Answers and the order of
 * the checks follow c2sp.org/tlog-witness v1.0.0.  The state of each log (the
 * size and root last cosigned) moves only forward, by compare and swap
 * in one SQLite transaction, under a mutex: two requests never cosign
 * from the same state.
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>
#include <sqlite3.h>

#include "crypto/crypto.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "util/warnp.h"

#include "srv_http.h"
#include "srv_log_int.h"
#include "srv_witness.h"

#define MAX_LOGS	16
#define MAX_PROOF	63		/* lines, as tlog-witness allows */
#define MAX_BODY	(NOTE_MAX_LEN + (MAX_PROOF + 2) * 48)
#define CT_SIZE		"text/x.tlog.size"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS witness_log ("
    " origin TEXT PRIMARY KEY NOT NULL,"
    " size INTEGER NOT NULL CHECK (size >= 0),"
    " root BLOB NOT NULL CHECK (length(root) = 32));";

struct srv_witness {
	char *dir;
	sqlite3 *h;
	struct note_signer *signer;
	struct note_vkey log[MAX_LOGS];
	size_t nlogs;
	pthread_mutex_t mtx;		/* h, a request's check and swap */
};

/* ---------------------------------------------------------------------- */
/* State. */

/* The size and root last cosigned for origin: 0 and SHA-256("") if none. */
static int
state_get(struct srv_witness *w, const char *origin, uint64_t *size,
    uint8_t root[32])
{
	sqlite3_stmt *st;
	int r;

	*size = 0;
	merkle_empty_root(root);
	if (sqlite3_prepare_v2(w->h, "SELECT size, root FROM witness_log "
	    "WHERE origin = ?", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	if ((r = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 1) == 32) {
		*size = (uint64_t)sqlite3_column_int64(st, 0);
		memcpy(root, sqlite3_column_blob(st, 1), 32);
	} else if (r != SQLITE_DONE) {
		sqlite3_finalize(st);
		goto fail;
	}
	sqlite3_finalize(st);
	return (0);
fail:
	warn0("witness state: %s", sqlite3_errmsg(w->h));
	return (-1);
}

/*
 * Move origin's state from (osize, oroot) to (size, root), only if it is
 * still the old one.  0, 1 if it moved under us, -1.
 */
static int
state_swap(struct srv_witness *w, const char *origin, uint64_t osize,
    const uint8_t oroot[32], uint64_t size, const uint8_t root[32])
{
	sqlite3_stmt *st;
	int rc = -1;

	if (sqlite3_prepare_v2(w->h, osize == 0 ?
	    "INSERT INTO witness_log (origin, size, root) VALUES (?1, ?4, ?5) "
	    "ON CONFLICT (origin) DO UPDATE SET size = ?4, root = ?5 "
	    "WHERE size = ?2 AND root = ?3" :
	    "UPDATE witness_log SET size = ?4, root = ?5 "
	    "WHERE origin = ?1 AND size = ?2 AND root = ?3", -1, &st, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)osize);
	sqlite3_bind_blob(st, 3, oroot, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)size);
	sqlite3_bind_blob(st, 5, root, 32, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		goto fail;
	}
	sqlite3_finalize(st);
	rc = (sqlite3_changes(w->h) == 1) ? 0 : 1;
	return (rc);
fail:
	warn0("witness state: %s", sqlite3_errmsg(w->h));
	return (-1);
}

/* ---------------------------------------------------------------------- */
/* A request. */

/* Set out to the line why and return status. */
static unsigned
refuse(struct buf *out, unsigned status, const char *why)
{

	out->len = 0;
	if (buf_append(out, why, strlen(why)) || buf_append(out, "\n", 1))
		return (500);
	return (status);
}

/* Parse "old N\n" and the proof lines up to the empty line; *rest after. */
static int
parse_head(const uint8_t *p, size_t len, uint64_t *old, uint8_t *proof,
    size_t *plen, size_t *rest, const char **why)
{
	const uint8_t *nl, *e = p + len, *s = p;
	size_t n, got;
	uint64_t v = 0;

	*plen = 0;
	if (len < 6 || memcmp(p, "old ", 4) != 0) {
		*why = "the body must begin with \"old <size>\"";
		return (-1);
	}
	for (s = p + 4; s < e && *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10 || (s > p + 4 && v == 0)) {
			*why = "malformed old size";
			return (-1);
		}
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (s == p + 4 || s == e || *s != '\n' || v > INT64_MAX) {
		*why = "malformed old size";
		return (-1);
	}
	*old = v;
	for (s++, n = 0; ; n++) {
		if ((nl = memchr(s, '\n', (size_t)(e - s))) == NULL) {
			*why = "no empty line before the checkpoint";
			return (-1);
		}
		if (nl == s)
			break;
		if (n == MAX_PROOF) {
			*why = "more than 63 consistency proof lines";
			return (-1);
		}
		if (tlog_b64_decode((const char *)s, (size_t)(nl - s),
		    proof + 32 * n, 32, &got) || got != 32) {
			*why = "a consistency proof line is not a base64 hash";
			return (-1);
		}
		s = nl + 1;
	}
	*plen = 32 * n;
	*rest = (size_t)(nl + 1 - p);
	return (0);
}

unsigned
srv_witness_add(struct srv_witness *w, const uint8_t *body, size_t len,
    uint64_t now, struct buf *out, const char **ctype)
{
	uint8_t proof[MAX_PROOF * 32], oroot[32];
	const struct note_vkey *vk = NULL;
	struct checkpoint cp;
	struct note *n = NULL;
	uint64_t old, osize;
	size_t plen, rest, i;
	const char *why;
	char msg[160];
	unsigned status;
	int r;

	*ctype = "text/plain; charset=utf-8";
	out->len = 0;
	if (len > MAX_BODY)
		return (refuse(out, 400, "request body too large"));
	if (parse_head(body, len, &old, proof, &plen, &rest, &why))
		return (refuse(out, 400, why));
	if ((n = note_parse(body + rest, len - rest, &why)) == NULL) {
		snprintf(msg, sizeof(msg), "malformed checkpoint note: %s", why);
		return (refuse(out, strcmp(why, "out of memory") ? 400 : 500,
		    msg));
	}
	if (checkpoint_parse(n->text, n->textlen, &cp, &why)) {
		snprintf(msg, sizeof(msg), "malformed checkpoint: %s", why);
		status = refuse(out, 400, msg);
		goto done;
	}
	for (i = 0; i < w->nlogs; i++)
		if (strcmp(w->log[i].name, cp.origin) == 0)
			vk = &w->log[i];
	if (vk == NULL) {
		status = refuse(out, 404, "unknown log origin");
		goto done;
	}
	if (note_verify(n, vk, NULL) != 0) {
		status = refuse(out, 403, "the checkpoint has no valid "
		    "signature of the log's key");
		goto done;
	}
	if (old > cp.size) {
		status = refuse(out, 400, "old size is larger than the "
		    "checkpoint's size");
		goto done;
	}
	pthread_mutex_lock(&w->mtx);
	if (state_get(w, cp.origin, &osize, oroot)) {
		status = refuse(out, 500, "internal error");
		goto unlock;
	}
	if (old != osize) {
		/* The size we know, for the log to retry from. */
		snprintf(msg, sizeof(msg), "%" PRIu64, osize);
		status = refuse(out, 409, msg);
		*ctype = CT_SIZE;
		goto unlock;
	}
	if (merkle_verify_consistency(osize, cp.size, oroot, cp.root, proof,
	    plen) != 0) {
		/* tlog-witness v1.0.0: 409 for another root at the same size. */
		if (osize == cp.size && osize > 0)
			status = refuse(out, 409, "a different tree of the "
			    "size already cosigned");
		else
			status = refuse(out, 422, cp.size == 0 ? "the root of "
			    "an empty tree must be SHA-256(\"\")" : "the "
			    "consistency proof does not verify");
		goto unlock;
	}
	if ((r = state_swap(w, cp.origin, osize, oroot, cp.size, cp.root)) !=
	    0) {
		status = refuse(out, 500, "internal error");
		goto unlock;
	}
	out->len = 0;
	status = note_cosign_line(w->signer, n->text, n->textlen, now, out) ?
	    refuse(out, 500, "internal error") : 200;
unlock:
	pthread_mutex_unlock(&w->mtx);
done:
	free(n);
	return (status);
}

/* ---------------------------------------------------------------------- */
/* Opening. */

int
srv_witness_open(const char *datadir, const char *name,
    struct srv_witness **out)
{
	struct srv_witness *w;
	char path[PATH_MAX], key[LOGKEY_MAX];
	size_t len = 0;
	char *err = NULL;
	int rc;

	*out = NULL;
	if (crypto_init())
		return (-1);
	if (name == NULL)
		name = "cofferd-witness";
	if (!note_name_valid(name, strlen(name))) {
		warn0("--name %s: a key name has no spaces or '+'", name);
		return (-1);
	}
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    asprintf(&w->dir, "%s/witness", datadir) < 0) {
		warnp("witness");
		free(w);
		return (-1);
	}
	pthread_mutex_init(&w->mtx, NULL);
	if ((mkdir(datadir, 0700) == -1 && errno != EEXIST) ||
	    (mkdir(w->dir, 0700) == -1 && errno != EEXIST)) {
		warnp("cannot create %s", w->dir);
		goto err;
	}
	snprintf(path, sizeof(path), "%s/key", w->dir);
	if ((rc = logkey_read(path, key, &len)) == 1) {
		if (logkey_create(path, name))
			goto err;
		rc = logkey_read(path, key, &len);
	}
	if (rc != 0)
		goto err;
	w->signer = note_signer_new(key, len);
	sodium_memzero(key, sizeof(key));
	if (w->signer == NULL)
		goto err;
	snprintf(path, sizeof(path), "%s/state.db", w->dir);
	if (sqlite3_open_v2(path, &w->h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX,
	    NULL) != SQLITE_OK) {
		warn0("%s: %s", path, w->h != NULL ? sqlite3_errmsg(w->h) :
		    "cannot open");
		goto err;
	}
	sqlite3_busy_timeout(w->h, 5000);
	if (sqlite3_exec(w->h, "PRAGMA journal_mode = WAL; PRAGMA synchronous "
	    "= FULL;", NULL, NULL, &err) != SQLITE_OK ||
	    sqlite3_exec(w->h, schema, NULL, NULL, &err) != SQLITE_OK) {
		warn0("%s: %s", path, err != NULL ? err : "error");
		sqlite3_free(err);
		goto err;
	}
	*out = w;
	return (0);
err:
	srv_witness_close(w);
	return (-1);
}

int
srv_witness_trust(struct srv_witness *w, const char *vkey)
{
	const char *why;

	if (w->nlogs == MAX_LOGS) {
		warn0("--log: at most %d logs", MAX_LOGS);
		return (-1);
	}
	if (note_vkey_parse(vkey, strlen(vkey), &w->log[w->nlogs], &why)) {
		warn0("--log %s: not a verifier key: %s", vkey, why);
		return (-1);
	}
	if (w->log[w->nlogs].alg != NOTE_ALG_ED25519) {
		warn0("--log %s: a cosignature key, not a log key", vkey);
		return (-1);
	}
	w->nlogs++;
	return (0);
}

int
srv_witness_vkey(const struct srv_witness *w, char *out, size_t size)
{
	struct note_vkey vk;

	note_signer_vkey(w->signer, NOTE_ALG_COSIG, &vk);
	return (note_vkey_format(&vk, out, size));
}

void
srv_witness_close(struct srv_witness *w)
{

	if (w == NULL)
		return;
	if (w->h != NULL)
		sqlite3_close(w->h);
	note_signer_free(w->signer);
	pthread_mutex_destroy(&w->mtx);
	free(w->dir);
	free(w);
}

/* ---------------------------------------------------------------------- */
/* HTTP. */

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *ctype,
    const void *p, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if ((r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)p,
	    MHD_RESPMEM_MUST_COPY)) == NULL)
		return (MHD_NO);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return (ret);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data, size_t *size,
    void **state)
{
	static const char ct[] = "text/plain; charset=utf-8";
	struct srv_witness *w = cls;
	struct buf *b = *state, out = BUF_INIT;
	const char *ctype;
	unsigned status;
	enum MHD_Result ret;

	(void)version;
	if (b == NULL) {
		if ((b = calloc(1, sizeof(*b))) == NULL)
			return (MHD_NO);
		*state = b;
		return (MHD_YES);
	}
	if (*size > 0) {
		/* Keep reading a body too large, to answer 400 at its end. */
		if (b->len <= MAX_BODY && buf_append(b, data, *size))
			return (MHD_NO);
		*size = 0;
		return (MHD_YES);
	}
	if (strcmp(url, "/add-checkpoint") != 0)
		return (reply(c, 404, ct, "no such route\n", 14));
	if (strcmp(method, "POST") != 0)
		return (reply(c, 405, ct, "method not allowed\n", 19));
	status = srv_witness_add(w, b->data, b->len, (uint64_t)time(NULL),
	    &out, &ctype);
	fprintf(stderr, "cofferd witness: add-checkpoint: %u %.*s\n", status,
	    status == 200 || out.len == 0 ? 0 : (int)strcspn((char *)out.data,
	    "\n"), out.len == 0 ? "" : (char *)out.data);
	ret = reply(c, status, ctype, out.data, out.len);
	buf_release(&out);
	return (ret);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **state,
    enum MHD_RequestTerminationCode toe)
{
	struct buf *b = *state;

	(void)cls;
	(void)c;
	(void)toe;
	if (b != NULL) {
		buf_release(b);
		free(b);
	}
	*state = NULL;
}

/* ---------------------------------------------------------------------- */
/* cofferd witness [vkey]. */

int
srv_witness_main(int argc, char **argv)
{
	struct srv_witness *w = NULL;
	struct MHD_Daemon *d = NULL;
	const char *data = NULL, *listen = NULL, *name = NULL;
	const char *logs[MAX_LOGS];
	char vk[NOTE_NAME_MAX + 128], bound[300];
	sigset_t sigs;
	size_t nlogs = 0, i;
	int a, vkey = 0, lfd, sig, rc = 1;

	a = 1;
	if (argc > 1 && strcmp(argv[1], "vkey") == 0) {
		vkey = 1;
		a = 2;
	}
	for (; a < argc; a++) {
		if (a + 1 < argc && strcmp(argv[a], "--data") == 0)
			data = argv[++a];
		else if (!vkey && a + 1 < argc &&
		    strcmp(argv[a], "--listen") == 0)
			listen = argv[++a];
		else if (a + 1 < argc && strcmp(argv[a], "--name") == 0)
			name = argv[++a];
		else if (!vkey && a + 1 < argc && strcmp(argv[a], "--log") ==
		    0) {
			if (nlogs == MAX_LOGS) {
				warn0("witness: at most %d logs", MAX_LOGS);
				return (1);
			}
			logs[nlogs++] = argv[++a];
		} else {
			warn0("witness: unexpected argument \"%s\"", argv[a]);
			goto usage;
		}
	}
	if (data == NULL || (!vkey && (listen == NULL || nlogs == 0)))
		goto usage;
	/* Signals to sigwait only (MHD's threads inherit the mask). */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (srv_witness_open(data, name, &w))
		return (1);
	if (vkey) {
		if (srv_witness_vkey(w, vk, sizeof(vk)) == 0) {
			printf("%s\n", vk);
			rc = 0;
		}
		goto done;
	}
	for (i = 0; i < nlogs; i++)
		if (srv_witness_trust(w, logs[i]))
			goto done;
	if ((lfd = srv_http_listen(listen, bound, sizeof(bound))) == -1)
		goto done;
	if ((d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, on_request, w,
	    MHD_OPTION_LISTEN_SOCKET, lfd, MHD_OPTION_NOTIFY_COMPLETED,
	    on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
	    MHD_OPTION_CONNECTION_LIMIT, 256u, MHD_OPTION_END)) == NULL) {
		warn0("cannot start the HTTP server on %s", bound);
		close(lfd);
		goto done;
	}
	if (srv_witness_vkey(w, vk, sizeof(vk)) == 0)
		fprintf(stderr, "cofferd witness %s\n", vk);
	fprintf(stderr, "cofferd witness listening on %s\n", bound);
	fflush(stderr);
	do {
		if (sigwait(&sigs, &sig) != 0)
			sig = SIGTERM;
	} while (sig != SIGTERM && sig != SIGINT);
	MHD_stop_daemon(d);
	warn0("stopped");
	rc = 0;
done:
	srv_witness_close(w);
	return (rc);
usage:
	warn0("usage: cofferd witness --data DIR --listen HOST:PORT --log VKEY "
	    "[--log VKEY]... [--name NAME]\n"
	    "       cofferd witness vkey --data DIR [--name NAME]");
	return (1);
}
