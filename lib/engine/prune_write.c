/*
 * prune, part two: repack, write the new index files, delete.
 *
 * The order makes every intermediate state safe (each step is durable
 * before the next begins):
 *
 *   1. new packs (the kept blobs of repacked packs), each followed, every
 *      PRUNE_INDEX_BLOBS blobs, by an index file listing them;
 *   2. new index files for the kept packs that only a dirty index file
 *      (one listing a pack that goes) lists;
 *   3. the dirty index files are deleted;
 *   4. the packs that go are deleted.
 *
 * A crash during 1 or 2 leaves new packs listed in no index (the next
 * backup adopts them) or listed twice (harmless duplicates); during 3,
 * packs listed twice or in no index file; during 4, packs that no index
 * lists.  In every case every snapshot's blobs are in a pack that an
 * index file lists, and the next prune finishes the job.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util/warnp.h"

#include "prune_int.h"

int
prune_flush_index(struct prune *p)
{
	uint8_t id[32];

	if (p->ipacks == 0)
		return (0);
	if (index_put_file(p->r, p->ibody.data, p->ibody.len, p->ipacks, id))
		return (-1);
	p->st->index_written++;
	p->ibody.len = 0;
	p->ipacks = p->iblobs = 0;
	return (0);
}

/* List one pack in the index file being built.  0 or -1. */
static int
list_pack(struct prune *p, const uint8_t id[32],
    const uint8_t salt[PACK_SALT_LEN], const struct pack_entry *e, size_t n)
{
	struct idx_pack pk;

	memcpy(pk.id, id, 32);
	memcpy(pk.salt, salt, PACK_SALT_LEN);
	if (index_encode_pack(&p->ibody, &pk, e, n))
		return (-1);
	p->ipacks++;
	p->iblobs += n;
	if (p->iblobs >= PRUNE_INDEX_BLOBS)
		return (prune_flush_index(p));
	return (0);
}

/* ---- 1. Repack ---- */

struct writers {
	struct pack_writer w[2];	/* data, tree */
	int open[2];
};

/* Store a new pack and list it.  0 or -1. */
static int
store_new(struct prune *p, struct pack_writer *w)
{
	uint8_t id[32];
	int rc;

	if ((rc = pack_writer_store(w, p->r, id)) != 0)
		return (rc < 0 ? -1 : 0);
	p->st->packs_written++;
	p->st->bytes_written += w->data.len;
	return (list_pack(p, id, w->salt, w->e, w->n));
}

/* Add a verified blob (its stored form) to the writer of its type. */
static int
add_blob(struct prune *p, struct writers *ws, const struct pack_entry *e,
    const struct buf *stored)
{
	struct pack_writer *w = &ws->w[e->type];

	if (ws->open[e->type] && w->n > 0 &&
	    pack_writer_size(w) + stored->len + CRYPTO_TAG_LEN >
	    p->r->cfg.pack_size) {
		if (store_new(p, w))
			return (-1);
		pack_writer_release(w);
		ws->open[e->type] = 0;
	}
	if (!ws->open[e->type]) {
		if (pack_writer_init(w, p->r))
			return (-1);
		ws->open[e->type] = 1;
	}
	return (pack_writer_add(w, e->type, e->id, e->flags, stored->data,
	    stored->len, e->raw_len));
}

/*
 * Copy the blobs pack num keeps.  The whole pack is read and its hash
 * checked against its name; every blob copied is authenticated and its id
 * checked.  0, 1 if the pack is damaged (reported), -1 on error.
 */
static int
repack_one(struct prune *p, size_t num, struct writers *ws, struct buf *b,
    struct buf *stored, struct buf *tmp)
{
	struct ppack *pp = &p->packs[num];
	struct pack_entry *e = NULL;
	uint8_t key[CRYPTO_KEY_LEN], h[32];
	char hex[65], bh[65];
	size_t ne, j, pos, copied = 0;
	int rc;

	hex_encode(pp->id, 32, hex);
	if ((rc = backend_get(p->r->be, OBJ_DATA, hex, b)) != 0) {
		if (rc == 1)
			warn0("pack %s: missing", hex);
		return (rc);
	}
	crypto_sha256(b->data, b->len, h);
	if (memcmp(h, pp->id, 32) != 0) {
		warn0("pack %s: damaged (its hash is not its name)", hex);
		return (1);
	}
	if ((rc = pack_parse(p->r, b->data, b->len, &e, &ne)) != 0) {
		if (rc == 1)
			warn0("pack %s: header damaged or not authentic", hex);
		return (rc);
	}
	if ((rc = pack_key(p->r, b->data, key)) != 0)
		goto done;
	for (j = 0; j < ne; j++) {
		pos = index_pos(p->ix, e[j].id);
		if (pos == INDEX_NOPOS || p->owner[pos] != num)
			continue;
		rc = blob_open_stored(p->r, key, &e[j], b->data + e[j].offset,
		    stored, tmp);
		if (rc == 1) {
			hex_encode(e[j].id, 32, bh);
			warn0("pack %s: blob %s failed authentication "
			    "(damaged)", hex, bh);
		}
		if (rc != 0 || (rc = add_blob(p, ws, &e[j], stored)) != 0)
			goto done;
		p->owner[pos] = OWN_COPIED;
		copied++;
	}
	rc = 0;
	if (copied != pp->nused) {
		warn0("pack %s: its header lacks %zu blobs the index lists "
		    "in it", hex, (size_t)pp->nused - copied);
		rc = 1;
	}
done:
	sodium_memzero(key, sizeof(key));
	free(e);
	return (rc);
}

int
prune_repack(struct prune *p)
{
	struct writers ws;
	struct buf b = BUF_INIT, stored = BUF_INIT, tmp = BUF_INIT;
	size_t i, t;
	int rc = 0;

	memset(&ws, 0, sizeof(ws));
	for (i = 0; i < p->npresent && rc == 0; i++)
		if (p->packs[i].action == ACT_REPACK)
			rc = repack_one(p, i, &ws, &b, &stored, &tmp);
	for (t = 0; t < 2; t++) {
		/* Even after a failure, list what was stored. */
		if (ws.open[t] && rc == 0 && store_new(p, &ws.w[t]))
			rc = -1;
		if (ws.open[t])
			pack_writer_release(&ws.w[t]);
	}
	if (rc != 0) {
		prune_flush_index(p);
		warn0("prune stopped before deleting anything");
	}
	buf_release(&b);
	buf_release(&stored);
	buf_release(&tmp);
	return (rc);
}

/* ---- 2. Index files for kept packs that only dirty files list ---- */

struct reidx {
	struct prune *p;
	uint8_t cur[32], salt[PACK_SALT_LEN];
	int have;
	struct pack_entry *e;
	size_t n, cap;
};

static int
reidx_pack(struct reidx *x)
{
	struct ppack *pp;
	size_t num;

	if (!x->have)
		return (0);
	x->have = 0;
	if ((num = pp_find(x->p, x->cur)) == SIZE_MAX)
		return (0);
	pp = &x->p->packs[num];
	if (pp->missing || pp->action != ACT_KEEP || pp->emitted)
		return (0);
	pp->emitted = 1;
	return (list_pack(x->p, x->cur, x->salt, x->e, x->n));
}

static int
reidx_cb(void *cookie, const struct idx_pack *pk, const struct idx_entry *e)
{
	struct reidx *x = cookie;
	struct pack_entry *pe;
	void *t;

	if (!x->have || memcmp(x->cur, pk->id, 32) != 0) {
		if (reidx_pack(x))
			return (-1);
		memcpy(x->cur, pk->id, 32);
		memcpy(x->salt, pk->salt, PACK_SALT_LEN);
		x->have = 1;
		x->n = 0;
	}
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 256;
		if ((t = realloc(x->e, x->cap * sizeof(*x->e))) == NULL) {
			warnp("realloc");
			return (-1);
		}
		x->e = t;
	}
	pe = &x->e[x->n++];
	memcpy(pe->id, e->id, 32);
	pe->type = e->type;
	pe->flags = e->flags;
	pe->offset = e->offset;
	pe->stored_len = e->stored_len;
	pe->raw_len = e->raw_len;
	return (0);
}

int
prune_reindex(struct prune *p)
{
	struct buf b = BUF_INIT;
	struct reidx x;
	char name[65];
	size_t i;
	int rc = 0;

	memset(&x, 0, sizeof(x));
	x.p = p;
	for (i = 0; i < p->nfiles && rc == 0; i++) {
		if (!p->files[i].dirty)
			continue;
		hex_encode(p->files[i].id, 32, name);
		x.have = 0;
		if ((rc = repo_get_sealed(p->r, OBJ_INDEX, name, &b)) == 0 &&
		    (rc = index_parse(b.data, b.len, reidx_cb, &x)) == 0)
			rc = reidx_pack(&x);
		if (rc == 1)
			warn0("index %s: changed while prune ran", name);
	}
	free(x.e);
	buf_release(&b);
	return (rc);
}

/* ---- 3 and 4. Delete ---- */

int
prune_delete(struct prune *p)
{
	char name[65];
	size_t i;
	int rc = 0;

	for (i = 0; i < p->nfiles; i++) {
		if (!p->files[i].dirty)
			continue;
		hex_encode(p->files[i].id, 32, name);
		if (backend_remove(p->r->be, OBJ_INDEX, name) < 0)
			rc = -1;
	}
	/* Only once no index file lists them. */
	if (rc != 0) {
		warn0("some index files could not be deleted; no pack was "
		    "deleted");
		return (-1);
	}
	for (i = 0; i < p->npresent; i++) {
		if (!p->packs[i].listed || p->packs[i].action == ACT_KEEP)
			continue;
		hex_encode(p->packs[i].id, 32, name);
		if (backend_remove(p->r->be, OBJ_DATA, name) < 0)
			rc = -1;
	}
	if (rc != 0)
		warn0("some packs could not be deleted (they are listed in "
		    "no index file: the next prune cannot see them; the next "
		    "backup adopts them)");
	return (rc);
}
