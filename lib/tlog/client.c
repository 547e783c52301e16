/*
 * The client side of the transparency log: pinned state, checkpoint
 * updates with consistency proofs, this machine's record, and waiting for
 * its own entries.  See client.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "tlog/merkle.h"
#include "tlog/tiles.h"
#include "util/warnp.h"

#include "client.h"
#include "client_int.h"

/* ---------------------------------------------------------------------- */
/* Files. */

int
tlog_config_dir(char *out, size_t size)
{
	const char *base = getenv("COFFER_CONFIG_DIR"), *x;
	int n;

	out[0] = '\0';
	if (base != NULL && base[0] != '\0')
		n = snprintf(out, size, "%s", base);
	else if ((x = getenv("XDG_CONFIG_HOME")) != NULL && x[0] == '/')
		n = snprintf(out, size, "%s/coffer", x);
	else if ((x = getenv("HOME")) != NULL && x[0] == '/')
		n = snprintf(out, size, "%s/.config/coffer", x);
	else
		return (-1);
	if (n < 0 || (size_t)n >= size) {
		out[0] = '\0';
		return (-1);
	}
	return (0);
}

int
tlog_client_dir(const uint8_t id[32], char *out, size_t size)
{
	char base[PATH_MAX], hex[65];

	out[0] = '\0';
	if (tlog_config_dir(base, sizeof(base)))
		return (-1);
	hex_encode(id, 32, hex);
	if ((size_t)snprintf(out, size, "%s/%s/tlog", base, hex) >= size) {
		out[0] = '\0';
		return (-1);
	}
	return (0);
}

static int
mkdirs(const char *dir)
{
	char p[PATH_MAX];
	size_t i;

	snprintf(p, sizeof(p), "%s", dir);
	for (i = 1; p[i] != '\0'; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST)
			goto err;
		p[i] = '/';
	}
	if (mkdir(p, 0700) == -1 && errno != EEXIST)
		goto err;
	return (0);
err:
	warnp("cannot create %s", p);
	return (-1);
}

int
tlogc_read(const char *dir, const char *name, struct buf *out)
{
	char path[PATH_MAX], chunk[8192];
	ssize_t n;
	int fd;

	out->len = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (1);
		warnp("%s", path);
		return (-1);
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || out->len > (1u << 30) ||
		    buf_append(out, chunk, (size_t)n)) {
			warnp("read %s", path);
			close(fd);
			return (-1);
		}
	}
	close(fd);
	return (0);
}

int
tlogc_write(const char *dir, const char *name, const void *p, size_t len,
    int append)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd, rc = -1;

	if (mkdirs(dir))
		return (-1);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	fd = append ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600) : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1) {
		warnp("cannot write %s", append ? path : tmp);
		return (-1);
	}
	if (write(fd, p, len) != (ssize_t)len || fsync(fd) == -1) {
		warnp("cannot write %s", append ? path : tmp);
		close(fd);
		return (-1);
	}
	close(fd);
	if (!append && rename(tmp, path) == -1)
		warnp("cannot rename %s", tmp);
	else
		rc = 0;
	return (rc);
}

/* ---------------------------------------------------------------------- */
/* Policy and ids. */

static int
parse_policy(const struct buf *b, struct tlog_policy *pol)
{
	char line[1024], *sp;
	const char *p = (const char *)b->data, *e = p + b->len, *nl, *why;
	size_t len;
	int have_log = 0;

	memset(pol, 0, sizeof(*pol));
	for (; p < e; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			nl = e;
		if ((len = (size_t)(nl - p)) == 0 || p[0] == '#')
			continue;
		if (len >= sizeof(line))
			goto bad;
		memcpy(line, p, len);
		line[len] = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			goto bad;
		*sp++ = '\0';
		if (strcmp(line, "log") == 0) {
			if (note_vkey_parse(sp, strlen(sp), &pol->log, &why) ||
			    pol->log.alg != NOTE_ALG_ED25519)
				goto bad;
			have_log = 1;
		} else if (strcmp(line, "witness") == 0) {
			if (pol->nwitnesses == TLOG_MAX_WITNESSES ||
			    note_vkey_parse(sp, strlen(sp),
			    &pol->witness[pol->nwitnesses], &why) ||
			    pol->witness[pol->nwitnesses].alg !=
			    NOTE_ALG_COSIG)
				goto bad;
			pol->nwitnesses++;
		} else if (strcmp(line, "quorum") == 0) {
			pol->quorum = strtoul(sp, NULL, 10);
		} else
			goto bad;
	}
	if (have_log && pol->quorum <= pol->nwitnesses)
		return (0);
bad:
	warn0("the pinned log policy is malformed");
	return (-1);
}

static int
format_policy(const struct tlog_policy *pol, struct buf *b)
{
	char vk[NOTE_NAME_MAX + 128], line[NOTE_NAME_MAX + 160];
	size_t i;

	if (note_vkey_format(&pol->log, vk, sizeof(vk)))
		return (-1);
	snprintf(line, sizeof(line), "log %s\n", vk);
	if (buf_append(b, line, strlen(line)))
		return (-1);
	for (i = 0; i < pol->nwitnesses; i++) {
		if (note_vkey_format(&pol->witness[i], vk, sizeof(vk)))
			return (-1);
		snprintf(line, sizeof(line), "witness %s\n", vk);
		if (buf_append(b, line, strlen(line)))
			return (-1);
	}
	snprintf(line, sizeof(line), "quorum %zu\n", pol->quorum);
	return (buf_append(b, line, strlen(line)));
}

/* "account <hex>\nscope <hex>\n" into the client.  0, or -1. */
static int
parse_ids(const struct buf *b, struct tlog_client *c)
{
	char a[2 * TLOG_ACCOUNT_LEN + 1], s[2 * TLOG_SCOPE_LEN + 1];
	char txt[256];

	if (b->len >= sizeof(txt))
		return (-1);
	memcpy(txt, b->data, b->len);
	txt[b->len] = '\0';
	if (sscanf(txt, "account %32s scope %16s", a, s) != 2 ||
	    hex_decode(a, c->account, TLOG_ACCOUNT_LEN) ||
	    hex_decode(s, c->scope, TLOG_SCOPE_LEN))
		return (-1);
	return (0);
}

/* ---------------------------------------------------------------------- */
/* Checkpoints. */

/* The kept checkpoint, if any, into c.  0 or -1. */
static int
load_kept(struct tlog_client *c)
{
	struct tlog_policy own;
	char err[256];
	int rc;

	c->have_cp = 0;
	if ((rc = tlogc_read(c->dir, "checkpoint", &c->cptext)) == 1)
		return (0);
	if (rc != 0)
		return (-1);
	/*
	 * Kept here once it passed: only the log's key is checked again,
	 * so that a new witness policy applies to what comes next.
	 */
	own = c->pol;
	own.nwitnesses = own.quorum = 0;
	if (checkpoint_open(c->cptext.data, c->cptext.len, &own, &c->cp,
	    err, sizeof(err)) != 0) {
		warn0("%s/checkpoint: %s", c->dir, err);
		return (-1);
	}
	c->have_cp = 1;
	return (0);
}

/* The checkpoint as the lines a person reads, indented, into out. */
void
tlogc_show(const struct checkpoint *cp, char *out, size_t size)
{
	struct buf b = BUF_INIT;

	if (checkpoint_format(cp, &b) == 0 && buf_append(&b, "", 1) == 0) {
		char *p, *line = (char *)b.data;
		size_t o = 0;

		out[0] = '\0';
		while (line != NULL && *line != '\0' && o < size) {
			if ((p = strchr(line, '\n')) != NULL)
				*p++ = '\0';
			o += (size_t)snprintf(out + o, size - o, "    %s\n",
			    line);
			line = p;
		}
	} else
		snprintf(out, size, "    (size %" PRIu64 ")\n", cp->size);
	buf_release(&b);
}

/*
 * Does the tree (n, r2) extend (m, r1)?  A consistency proof computed
 * from the server's tiles of tree n.  TLOG_OK, TLOG_FORK, TLOG_BAD (no
 * proof to be had), or -1.
 */
int
tlogc_consistent(struct tlog_client *c, const struct checkpoint *old,
    const struct checkpoint *cur)
{
	struct tile_reader *tr;
	struct merkle_src src;
	uint8_t *proof;
	size_t n;
	int rc;

	if (old->size == cur->size)
		return (memcmp(old->root, cur->root, 32) == 0 ? TLOG_OK :
		    TLOG_FORK);
	if ((proof = malloc(MERKLE_MAX_PROOF * MERKLE_HASH_LEN)) == NULL ||
	    (tr = tile_reader_new(cur->size, tlogc_fetch, c)) == NULL) {
		free(proof);
		return (-1);
	}
	tile_reader_src(tr, &src);
	if (merkle_consistency_proof(&src, old->size, cur->size, proof, &n))
		rc = TLOG_BAD;
	else if (merkle_verify_consistency(old->size, cur->size, old->root,
	    cur->root, proof, n * MERKLE_HASH_LEN) != 0)
		rc = TLOG_FORK;
	else
		rc = TLOG_OK;
	tile_reader_free(tr);
	free(proof);
	return (rc);
}

int
tlogc_fetch(void *cookie, const char *path, struct buf *out)
{
	struct tlog_client *c = cookie;

	return (c->http(c->cookie, path, 0, out));
}

/* Fetch and check the served checkpoint into cp/text.  TLOG_*, -1. */
int
tlogc_fetch_cp(struct tlog_client *c, struct checkpoint *cp,
    struct buf *text, char *msg, size_t msgsize)
{
	char err[256];
	int rc;

	if ((rc = c->http(c->cookie, "checkpoint", 0, text)) != 0) {
		if (rc == 1)
			snprintf(msg, msgsize, "the server publishes no "
			    "transparency log checkpoint any more (404)");
		return (rc == 1 ? TLOG_BAD : -1);
	}
	if ((rc = checkpoint_open(text->data, text->len, &c->pol, cp, err,
	    sizeof(err))) != 0) {
		if (rc == 1)
			snprintf(msg, msgsize, "the server's transparency log "
			    "checkpoint is not acceptable: %s", err);
		return (rc == 1 ? TLOG_BAD : -1);
	}
	return (TLOG_OK);
}

int
tlog_client_update(struct tlog_client *c, char *msg, size_t msgsize)
{
	struct checkpoint cur;
	struct buf text = BUF_INIT;
	char was[512], now[512];
	int rc;

	msg[0] = '\0';
	if ((rc = tlogc_fetch_cp(c, &cur, &text, msg, msgsize)) != TLOG_OK)
		goto done;
	if (c->have_cp) {
		tlogc_show(&c->cp, was, sizeof(was));
		tlogc_show(&cur, now, sizeof(now));
		if (cur.size < c->cp.size)
			rc = TLOG_ROLLBACK;
		else
			rc = tlogc_consistent(c, &c->cp, &cur);
		switch (rc) {
		case TLOG_ROLLBACK:
			snprintf(msg, msgsize, "the server rolled its "
			    "transparency log back: it now shows %" PRIu64
			    " events, where it showed %" PRIu64 " before.  "
			    "Events of your account may have been removed from "
			    "its history.\nLast checkpoint seen:\n%sServed "
			    "now:\n%s", cur.size, c->cp.size, was, now);
			goto done;
		case TLOG_FORK:
			snprintf(msg, msgsize, "the server's transparency log "
			    "forked: the history it shows now is not the one "
			    "it showed before with more events added; it has "
			    "rewritten or hidden events.\nLast checkpoint "
			    "seen:\n%sServed now:\n%s", was, now);
			goto done;
		case TLOG_BAD:
			snprintf(msg, msgsize, "the server does not provide "
			    "the tiles that would prove its transparency log "
			    "extends the history it showed before.\nLast "
			    "checkpoint seen:\n%sServed now:\n%s", was, now);
			goto done;
		case TLOG_OK:
			break;
		default:
			goto done;
		}
	}
	if (!c->have_cp || cur.size != c->cp.size) {
		if (tlogc_write(c->dir, "checkpoint", text.data, text.len, 0)) {
			rc = -1;
			goto done;
		}
		c->cptext.len = 0;
		if (buf_append(&c->cptext, text.data, text.len)) {
			rc = -1;
			goto done;
		}
		c->cp = cur;
		c->have_cp = 1;
	}
	rc = TLOG_OK;
done:
	buf_release(&text);
	return (rc);
}

int
tlog_client_checkpoint(const struct tlog_client *c, struct checkpoint *cp)
{

	if (!c->have_cp)
		return (1);
	*cp = c->cp;
	return (0);
}

/* ---------------------------------------------------------------------- */
/* Opening and pinning. */

static struct tlog_client *
client_new(const uint8_t id[32], tlog_http_fn *http, void *cookie)
{
	struct tlog_client *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		warnp("tlog client");
		return (NULL);
	}
	if (tlog_client_dir(id, c->dir, sizeof(c->dir))) {
		warn0("no configuration directory (set HOME or "
		    "COFFER_CONFIG_DIR)");
		free(c);
		return (NULL);
	}
	c->http = http;
	c->cookie = cookie;
	return (c);
}

int
tlog_client_open(const uint8_t id[32], tlog_http_fn *http, void *cookie,
    struct tlog_client **out)
{
	struct tlog_client *c;
	struct buf b = BUF_INIT;
	int rc;

	*out = NULL;
	if ((c = client_new(id, http, cookie)) == NULL)
		return (-1);
	if ((rc = tlogc_read(c->dir, "policy", &b)) != 0) {
		buf_release(&b);
		tlog_client_free(c);
		return (rc == 1 ? 1 : -1);
	}
	rc = parse_policy(&b, &c->pol);
	if (rc == 0 && (tlogc_read(c->dir, "ids", &b) != 0 ||
	    parse_ids(&b, c) != 0)) {
		warn0("%s/ids: missing or malformed", c->dir);
		rc = -1;
	}
	buf_release(&b);
	if (rc != 0 || load_kept(c) != 0) {
		tlog_client_free(c);
		return (-1);
	}
	*out = c;
	return (0);
}

int
tlog_client_pin(const uint8_t id[32], const struct tlog_policy *pol,
    const char *repo, tlog_http_fn *http, void *cookie, char *msg,
    size_t msgsize)
{
	struct tlog_client *c;
	struct buf b = BUF_INIT;
	char path[128], line[128], ah[33], sh[17];
	int rc = -1;

	msg[0] = '\0';
	if ((c = client_new(id, http, cookie)) == NULL)
		return (-1);
	c->pol = *pol;
	snprintf(path, sizeof(path), "account?repo=%s", repo);
	if ((rc = http(cookie, path, 1, &b)) != 0 ||
	    buf_append(&b, "", 1) || parse_ids(&b, c) != 0) {
		snprintf(msg, msgsize, "the server did not give this "
		    "account's transparency log id (GET /log/account)");
		rc = TLOG_BAD;
		goto done;
	}
	b.len = 0;
	hex_encode(c->account, TLOG_ACCOUNT_LEN, ah);
	hex_encode(c->scope, TLOG_SCOPE_LEN, sh);
	snprintf(line, sizeof(line), "account %s\nscope %s\n", ah, sh);
	if (format_policy(pol, &b) ||
	    tlogc_write(c->dir, "policy", b.data, b.len, 0) ||
	    tlogc_write(c->dir, "ids", line, strlen(line), 0)) {
		rc = -1;
		goto done;
	}
	/* A checkpoint kept from an earlier pin must still be extended. */
	if (load_kept(c) != 0)
		c->have_cp = 0;
	rc = tlog_client_update(c, msg, msgsize);
done:
	buf_release(&b);
	tlog_client_free(c);
	return (rc);
}

void
tlog_client_free(struct tlog_client *c)
{

	if (c == NULL)
		return;
	buf_release(&c->cptext);
	free(c);
}

const struct tlog_policy *
tlog_client_policy(const struct tlog_client *c)
{

	return (&c->pol);
}

void
tlog_client_ids(const struct tlog_client *c,
    uint8_t account[TLOG_ACCOUNT_LEN], uint8_t scope[TLOG_SCOPE_LEN])
{

	memcpy(account, c->account, TLOG_ACCOUNT_LEN);
	memcpy(scope, c->scope, TLOG_SCOPE_LEN);
}

/* ---------------------------------------------------------------------- */
/* This machine's record. */

int
tlog_client_record(struct tlog_client *c, unsigned ev,
    const uint8_t subject[32])
{
	char line[160], hex[65];

	hex_encode(subject, 32, hex);
	snprintf(line, sizeof(line), "%lld %s %s\n", (long long)time(NULL),
	    ev == 0 ? "baseline" : tlog_event_name(ev), hex);
	return (tlogc_write(c->dir, "actions", line, strlen(line), 1));
}

int
tlog_client_actions(struct tlog_client *c, struct tlog_action **vp,
    size_t *np)
{
	struct buf b = BUF_INIT;
	struct tlog_action *v = NULL, *a;
	char name[40], hex[80], *p, *nl;
	long long t;
	size_t n = 0;
	int rc;

	*vp = NULL;
	*np = 0;
	if ((rc = tlogc_read(c->dir, "actions", &b)) != 0) {
		buf_release(&b);
		return (rc == 1 ? 0 : -1);
	}
	if (buf_append(&b, "", 1) ||
	    (v = calloc(b.len / 70 + 1, sizeof(*v))) == NULL) {
		buf_release(&b);
		return (-1);
	}
	for (p = (char *)b.data; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		*nl = '\0';
		a = &v[n];
		if (sscanf(p, "%lld %39s %79s", &t, name, hex) != 3 ||
		    hex_decode(hex, a->subject, 32) != 0)
			continue;	/* a torn last line: skip */
		a->time = t;
		a->event = strcmp(name, "baseline") == 0 ? 0 :
		    tlog_event_of(name);
		n++;
	}
	buf_release(&b);
	*vp = v;
	*np = n;
	return (0);
}

/* ---------------------------------------------------------------------- */
/* Waiting for our own entry. */

/* Write a c2sp.org/tlog-proof@v1 receipt for entry idx. */
static int
receipt(struct tlog_client *c, uint64_t idx, const uint8_t *proof,
    size_t n, const uint8_t subject[32])
{
	struct buf b = BUF_INIT;
	char line[64], name[96], hex[65];
	size_t i;
	int rc = -1;

	snprintf(line, sizeof(line), "c2sp.org/tlog-proof@v1\nindex %" PRIu64
	    "\n", idx);
	if (buf_append(&b, line, strlen(line)))
		goto done;
	for (i = 0; i < n; i++)
		if (tlog_b64_encode(proof + i * MERKLE_HASH_LEN,
		    MERKLE_HASH_LEN, &b) || buf_append(&b, "\n", 1))
			goto done;
	if (buf_append(&b, "\n", 1) ||
	    buf_append(&b, c->cptext.data, c->cptext.len))
		goto done;
	hex_encode(subject, 32, hex);
	snprintf(name, sizeof(name), "receipt-%.16s.tlog-proof", hex);
	rc = tlogc_write(c->dir, name, b.data, b.len, 0);
done:
	buf_release(&b);
	return (rc);
}

/* Our entry of event/subject in [from, size): its index, or -1 (none). */
static int64_t
find_ours(struct tlog_client *c, unsigned ev, const uint8_t subject[32],
    uint64_t from, uint8_t ent[TLOG_ENTRY_LEN])
{
	struct buf b = BUF_INIT;
	struct tlog_entry e;
	char path[TILE_PATH_MAX];
	const uint8_t *p;
	uint64_t n, idx;
	unsigned w;
	size_t off, len;
	int64_t found = -1;

	for (n = from / TILE_WIDTH; n * TILE_WIDTH < c->cp.size && found < 0;
	    n++) {
		w = tile_width(TILE_ENTRIES, n, c->cp.size);
		b.len = 0;
		if (tile_path(TILE_ENTRIES, n, w, path, sizeof(path)) ||
		    tlogc_fetch(c, path, &b) != 0)
			break;
		for (off = 0, idx = n * TILE_WIDTH; tile_bundle_next(b.data,
		    b.len, &off, &p, &len) == 0; idx++) {
			if (idx < from || tlog_entry_decode(p, len, &e) != 0)
				continue;
			if (e.event == ev && memcmp(e.subject, subject, 32) ==
			    0 && memcmp(e.account, c->account,
			    TLOG_ACCOUNT_LEN) == 0 && (!tlog_event_is_repo(ev)
			    || memcmp(e.scope, c->scope, TLOG_SCOPE_LEN) ==
			    0)) {
				memcpy(ent, p, TLOG_ENTRY_LEN);
				found = (int64_t)idx;
				break;
			}
		}
	}
	buf_release(&b);
	return (found);
}

int
tlog_client_confirm(struct tlog_client *c, unsigned ev,
    const uint8_t subject[32], uint64_t from, unsigned timeout, char *msg,
    size_t msgsize)
{
	struct tile_reader *tr;
	struct merkle_src src;
	uint8_t ent[TLOG_ENTRY_LEN], leaf[32], *proof = NULL;
	struct timespec ts = { 0, 250000000L };
	time_t end = time(NULL) + (time_t)timeout;
	char hex[65];
	uint64_t searched = from;
	int64_t idx = -1;
	size_t n;
	int rc;

	for (;;) {
		if ((rc = tlog_client_update(c, msg, msgsize)) != TLOG_OK)
			return (rc);
		if (c->cp.size > searched) {
			idx = find_ours(c, ev, subject, searched, ent);
			if (idx >= 0)
				break;
			searched = c->cp.size;
		}
		if (time(NULL) >= end) {
			hex_encode(subject, 32, hex);
			snprintf(msg, msgsize, "the server did not log this "
			    "change within %u s (%s %.16s): it may be hiding "
			    "it from the transparency log", timeout,
			    tlog_event_name(ev), hex);
			return (TLOG_MISSING);
		}
		nanosleep(&ts, NULL);
	}
	/* Found in a bundle: now prove it is in the signed tree. */
	merkle_leaf_hash(ent, TLOG_ENTRY_LEN, leaf);
	if ((proof = malloc(MERKLE_MAX_PROOF * MERKLE_HASH_LEN)) == NULL ||
	    (tr = tile_reader_new(c->cp.size, tlogc_fetch, c)) == NULL) {
		free(proof);
		return (-1);
	}
	tile_reader_src(tr, &src);
	rc = merkle_inclusion_proof(&src, (uint64_t)idx, c->cp.size, proof,
	    &n);
	tile_reader_free(tr);
	if (rc != 0 || merkle_verify_inclusion(leaf, (uint64_t)idx,
	    c->cp.size, proof, n * MERKLE_HASH_LEN, c->cp.root) != 0) {
		snprintf(msg, msgsize, "the transparency log's entry %" PRId64
		    " for this change is not in the signed tree", idx);
		free(proof);
		return (TLOG_BAD);
	}
	rc = receipt(c, (uint64_t)idx, proof, n, subject) ? -1 : TLOG_OK;
	free(proof);
	return (rc);
}
