#include <string.h>

#include <sodium.h>

#include "util/warnp.h"

#include "blobread.h"

int
blob_read(struct repo *r, struct index *ix, const uint8_t id[32],
    uint8_t type, struct buf *out)
{
	uint8_t key[CRYPTO_KEY_LEN], *ct = NULL;
	struct pack_entry pe;
	struct idx_entry e;
	struct idx_pack pk;
	char idhex[65], packhex[65];
	int rc;

	out->len = 0;
	hex_encode(id, 32, idhex);
	if (!index_lookup(ix, id, &e, &pk)) {
		warn0("blob %s: not in the index", idhex);
		return (1);
	}
	hex_encode(pk.id, 32, packhex);
	if (e.type != type) {
		warn0("blob %s: has the wrong type", idhex);
		return (1);
	}
	if ((ct = malloc(e.stored_len)) == NULL) {
		warnp("malloc");
		return (-1);
	}
	rc = backend_get_range(r->be, OBJ_DATA, packhex, e.offset,
	    e.stored_len, ct);
	if (rc == 1)
		warn0("blob %s: pack %s is missing or truncated", idhex,
		    packhex);
	if (rc != 0)
		goto done;
	memcpy(pe.id, id, 32);
	pe.type = e.type;
	pe.flags = e.flags;
	pe.offset = e.offset;
	pe.stored_len = e.stored_len;
	pe.raw_len = e.raw_len;
	if ((rc = pack_key(r, pk.salt, key)) == 0 &&
	    (rc = blob_open(r, key, &pe, ct, out)) == 1)
		warn0("blob %s in pack %s: failed authentication (damaged)",
		    idhex, packhex);
	sodium_memzero(key, sizeof(key));
done:
	free(ct);
	return (rc);
}

int
tree_load(struct repo *r, struct index *ix, const uint8_t id[32],
    struct tree *t)
{
	struct buf b = BUF_INIT;
	char idhex[65];
	int rc;

	tree_init(t);
	if ((rc = blob_read(r, ix, id, BLOB_TREE, &b)) == 0 &&
	    (rc = tree_decode(b.data, b.len, t)) == 1) {
		hex_encode(id, 32, idhex);
		warn0("tree %s: malformed", idhex);
	}
	buf_release(&b);
	return (rc);
}
