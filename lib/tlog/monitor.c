/*
 * Reading a whole log: every entry authenticated against the signed root
 * (for `coffer audit`), and the independent monitor that recomputes every
 * tile (for `coffer audit --monitor`).  See client.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlog/merkle.h"
#include "tlog/tiles.h"
#include "util/warnp.h"

#include "client.h"
#include "client_int.h"

/*
 * Fetch every entry bundle of a tree of size entries; for each entry call
 * fn(cookie, index, entry, len).  TLOG_OK, TLOG_BAD (msg set: a bundle
 * missing or malformed), or -1.
 */
static int
each_entry(struct tlog_client *c, uint64_t size,
    int (*fn)(void *, uint64_t, const uint8_t *, size_t), void *cookie,
    char *msg, size_t msgsize)
{
	struct buf b = BUF_INIT;
	char path[TILE_PATH_MAX];
	const uint8_t *p;
	uint64_t n, idx;
	size_t off, len;
	unsigned w;
	int rc = TLOG_OK, r;

	for (n = 0; n * TILE_WIDTH < size; n++) {
		w = tile_width(TILE_ENTRIES, n, size);
		b.len = 0;
		if (tile_path(TILE_ENTRIES, n, w, path, sizeof(path)) ||
		    (r = tlogc_fetch(c, path, &b)) != 0) {
			snprintf(msg, msgsize, "the log's entry bundle %s is "
			    "missing", path);
			rc = (r == 1) ? TLOG_BAD : -1;
			break;
		}
		for (off = 0, idx = n * TILE_WIDTH; (r = tile_bundle_next(
		    b.data, b.len, &off, &p, &len)) == 0; idx++) {
			if (idx >= n * TILE_WIDTH + w)
				break;
			if (fn(cookie, idx, p, len)) {
				rc = -1;
				goto done;
			}
		}
		if (r != 1 || idx != n * TILE_WIDTH + w) {
			snprintf(msg, msgsize, "the log's entry bundle %s does "
			    "not hold %u entries", path, w);
			rc = TLOG_BAD;
			break;
		}
	}
done:
	buf_release(&b);
	return (rc);
}

struct all {
	struct merkle_mem *t;
	struct tlog_item *v;
	size_t n;
};

static int
all_one(void *cookie, uint64_t idx, const uint8_t *p, size_t len)
{
	struct all *a = cookie;
	struct tlog_item *it = &a->v[a->n];

	merkle_leaf_hash(p, len, it->leaf);
	if (merkle_mem_append(a->t, it->leaf))
		return (-1);
	it->index = idx;
	/* Entries of another version still count in the tree. */
	if (tlog_entry_decode(p, len, &it->e) != 0)
		memset(&it->e, 0, sizeof(it->e));
	a->n++;
	return (0);
}

int
tlog_client_all(struct tlog_client *c, struct tlog_item **vp, size_t *np)
{
	struct all a = { NULL, NULL, 0 };
	struct merkle_src src;
	uint8_t root[32];
	char msg[256];
	int rc;

	*vp = NULL;
	*np = 0;
	if (!c->have_cp)
		return (TLOG_OK);
	if (c->cp.size > SIZE_MAX / sizeof(*a.v) ||
	    (a.v = calloc((size_t)c->cp.size + 1, sizeof(*a.v))) == NULL ||
	    (a.t = merkle_mem_new()) == NULL) {
		warnp("log entries");
		free(a.v);
		return (-1);
	}
	if ((rc = each_entry(c, c->cp.size, all_one, &a, msg, sizeof(msg)))
	    == TLOG_OK) {
		merkle_mem_src(a.t, &src);
		if (merkle_root(&src, c->cp.size, root) != 0)
			rc = -1;
		else if (memcmp(root, c->cp.root, 32) != 0)
			rc = TLOG_BAD;
	}
	merkle_mem_free(a.t);
	if (rc != TLOG_OK) {
		free(a.v);
		return (rc);
	}
	*vp = a.v;
	*np = a.n;
	return (TLOG_OK);
}

/* ---------------------------------------------------------------------- */
/* The monitor. */

struct chain {
	uint8_t id[TLOG_ACCOUNT_LEN];
	uint8_t last[32];
	int used;
};

struct mon {
	struct tlog_client *c;
	struct tile_builder *tb;
	struct merkle_mem *t;
	struct chain *ch;		/* open addressing */
	size_t chcap, naccounts;
	uint64_t tiles, broken;
	char *msg;
	size_t msgsize;
	int bad;
};

/* Each tile the recomputation produces must be the one served. */
static int
mon_emit(void *cookie, const char *path, const uint8_t *p, size_t len)
{
	struct mon *m = cookie;
	struct buf b = BUF_INIT;
	int rc;

	if (m->bad)
		return (0);
	if ((rc = tlogc_fetch(m->c, path, &b)) != 0 || b.len != len ||
	    memcmp(b.data, p, len) != 0) {
		snprintf(m->msg, m->msgsize, "the log's tile %s %s", path,
		    rc == 1 ? "is missing" : rc != 0 ? "could not be read" :
		    "differs from the one its entries give");
		m->bad = 1;
	}
	m->tiles++;
	buf_release(&b);
	return (rc == -1 ? -1 : 0);
}

static int
mon_one(void *cookie, uint64_t idx, const uint8_t *p, size_t len)
{
	struct mon *m = cookie;
	struct tlog_entry e;
	struct chain *ch;
	uint8_t leaf[32];
	size_t h;

	merkle_leaf_hash(p, len, leaf);
	if (merkle_mem_append(m->t, leaf) ||
	    tile_builder_append(m->tb, p, len, mon_emit, m))
		return (-1);
	if (tlog_entry_decode(p, len, &e) != 0)
		return (0);
	/* The account's chain: prev must be its previous entry's leaf. */
	h = (((size_t)e.account[0] << 8) | e.account[1]) % m->chcap;
	while (m->ch[h].used && memcmp(m->ch[h].id, e.account,
	    TLOG_ACCOUNT_LEN) != 0)
		h = (h + 1) % m->chcap;
	ch = &m->ch[h];
	if (!ch->used) {
		ch->used = 1;
		memcpy(ch->id, e.account, TLOG_ACCOUNT_LEN);
		memset(ch->last, 0, 32);
		m->naccounts++;
	}
	if (memcmp(e.prev, ch->last, 32) != 0) {
		if (m->broken++ == 0 && !m->bad)
			snprintf(m->msg, m->msgsize, "entry %" PRIu64 " does "
			    "not link to its account's previous entry: an "
			    "entry of that account is missing from the log",
			    idx);
	}
	memcpy(ch->last, leaf, 32);
	return (0);
}

int
tlog_monitor(tlog_http_fn *http, void *cookie, const struct tlog_policy *pol,
    const char *state, char *msg, size_t msgsize)
{
	struct tlog_client c;
	struct mon m;
	struct checkpoint cur, old;
	struct buf text = BUF_INIT, ot = BUF_INIT;
	struct merkle_src src;
	uint8_t root[32];
	char dir[4096], err[256];
	const char *slash;
	int rc, have_old = 0;

	memset(&c, 0, sizeof(c));
	memset(&m, 0, sizeof(m));
	c.pol = *pol;
	c.http = http;
	c.cookie = cookie;
	msg[0] = '\0';
	if ((rc = tlogc_fetch_cp(&c, &cur, &text, msg, msgsize)) != TLOG_OK)
		goto done;
	/* The last checkpoint this monitor saw, if any. */
	slash = strrchr(state, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - state) : 1,
	    slash ? state : ".");
	if (tlogc_read(dir, slash ? slash + 1 : state, &ot) == 0) {
		if (checkpoint_open(ot.data, ot.len, pol, &old, err,
		    sizeof(err)) != 0) {
			snprintf(msg, msgsize, "%s: %s", state, err);
			rc = -1;
			goto done;
		}
		have_old = 1;
	}
	m.c = &c;
	m.msg = msg;
	m.msgsize = msgsize;
	m.chcap = 1024;
	while (m.chcap < cur.size * 2 && m.chcap < (1u << 24))
		m.chcap *= 2;
	rc = -1;
	if ((m.t = merkle_mem_new()) == NULL ||
	    (m.tb = tile_builder_new(0, tlogc_fetch, &c)) == NULL ||
	    (m.ch = calloc(m.chcap, sizeof(*m.ch))) == NULL)
		goto done;
	if ((rc = each_entry(&c, cur.size, mon_one, &m, msg, msgsize)) !=
	    TLOG_OK)
		goto done;
	if (tile_builder_flush(m.tb, mon_emit, &m)) {
		rc = -1;
		goto done;
	}
	merkle_mem_src(m.t, &src);
	if (m.bad || m.broken > 0) {
		rc = TLOG_BAD;
		goto done;
	}
	if (merkle_root(&src, cur.size, root) || memcmp(root, cur.root, 32)) {
		snprintf(msg, msgsize, "the log's entries do not give the root "
		    "of its signed checkpoint");
		rc = TLOG_BAD;
		goto done;
	}
	if (have_old && (old.size > cur.size ||
	    merkle_root(&src, old.size, root) || memcmp(root, old.root, 32))) {
		snprintf(msg, msgsize, "the log %s: it showed %" PRIu64
		    " entries to this monitor before, and now %" PRIu64 "%s",
		    old.size > cur.size ? "was rolled back" : "forked",
		    old.size, cur.size, old.size > cur.size ? "" :
		    " that do not begin with those");
		rc = old.size > cur.size ? TLOG_ROLLBACK : TLOG_FORK;
		goto done;
	}
	if (tlogc_write(dir, slash ? slash + 1 : state, text.data, text.len,
	    0)) {
		rc = -1;
		goto done;
	}
	printf("log %s: %" PRIu64 " entries of %zu accounts; the checkpoint, "
	    "all %" PRIu64 " tiles and bundles and every account's chain "
	    "check out%s\n", cur.origin, cur.size, m.naccounts, m.tiles,
	    have_old ? ", and it extends the last checkpoint seen" : "");
	rc = TLOG_OK;
done:
	tile_builder_free(m.tb);
	merkle_mem_free(m.t);
	free(m.ch);
	buf_release(&text);
	buf_release(&ot);
	return (rc);
}
