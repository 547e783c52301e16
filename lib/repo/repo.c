/*
 * Creating and opening repositories.  The config object is
 *
 *	"CFFR" || version(u32le) || repo_id[32] || sealed body
 *
 * where the sealed body (type "config", associated data = the 40 bytes
 * before it) is JSON with the chunker, pack and compression parameters.
 * The version is readable without a key so that a newer format is refused
 * with a clear message before any passcode is asked for or tried.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "util/warnp.h"

#include "keyslot_recovery.h"
#include "repo.h"

#define CONFIG_HDR_LEN	40

static int
derive(const uint8_t *root, const uint8_t *id, const char *what,
    uint8_t *out, size_t outlen)
{
	char info[64];
	int n = snprintf(info, sizeof(info), "coffer v1 %s", what);

	return (crypto_hkdf(root, CRYPTO_KEY_LEN, id, REPO_ID_LEN,
	    (const uint8_t *)info, (size_t)n, out, outlen));
}

int
repo_derive(struct repo *r, const uint8_t root[CRYPTO_KEY_LEN])
{
	struct repo_keys *k = r->k;

	memcpy(k->root, root, CRYPTO_KEY_LEN);
	if (derive(root, r->id, "data", k->data, CRYPTO_KEY_LEN) ||
	    derive(root, r->id, "meta", k->meta, CRYPTO_KEY_LEN) ||
	    derive(root, r->id, "blob id", k->blobid, CRYPTO_KEY_LEN) ||
	    derive(root, r->id, "tree id", k->treeid, CRYPTO_KEY_LEN) ||
	    derive(root, r->id, "chunker gear", k->gear,
	    FASTCDC_TABLE_BYTES))
		return (-1);
	crypto_mac_free(r->idmac);
	crypto_mac_free(r->treemac);
	r->treemac = NULL;
	if ((r->idmac = crypto_mac_new(k->blobid, CRYPTO_KEY_LEN)) == NULL ||
	    (r->treemac = crypto_mac_new(k->treeid, CRYPTO_KEY_LEN)) == NULL)
		return (-1);
	return (0);
}

static struct repo *
repo_alloc(struct backend *be)
{
	struct repo *r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		warnp("calloc");
		return (NULL);
	}
	r->k = sodium_malloc(sizeof(*r->k));
	r->cdc = sodium_malloc(sizeof(*r->cdc));
	if (r->k == NULL || r->cdc == NULL) {
		warnp("sodium_malloc");
		sodium_free(r->k);
		sodium_free(r->cdc);
		free(r);
		return (NULL);
	}
	r->be = be;
	return (r);
}

void
repo_close(struct repo *r)
{

	if (r == NULL)
		return;
	crypto_mac_free(r->idmac);
	crypto_mac_free(r->treemac);
	sodium_free(r->k);	/* wipes */
	sodium_free(r->cdc);
	backend_free(r->be);
	free(r);
}

static int
config_body(const struct repo_config *c, struct buf *out)
{
	json_t *j;
	char *s;
	int rc;

	j = json_pack("{s:i, s:s, s:i, s:i, s:i, s:i, s:s, s:i}",
	    "version", REPO_FORMAT_VERSION, "chunker", "fastcdc",
	    "chunk_min", (json_int_t)c->chunk_min,
	    "chunk_avg", (json_int_t)c->chunk_avg,
	    "chunk_max", (json_int_t)c->chunk_max,
	    "pack_size", (json_int_t)c->pack_size,
	    "compression", "zstd", "compression_level", c->zstd_level);
	if (j == NULL || (s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)) ==
	    NULL) {
		warn0("cannot encode config");
		json_decref(j);
		return (-1);
	}
	rc = buf_append(out, s, strlen(s));
	free(s);
	json_decref(j);
	return (rc);
}

static int
config_parse(const struct buf *b, struct repo_config *c)
{
	json_int_t mn, avg, mx, ps, lvl, ver;
	const char *chunker, *comp;
	json_error_t e;
	json_t *j;
	int rc = 1;

	if ((j = json_loadb((const char *)b->data, b->len, 0, &e)) == NULL)
		return (1);
	if (json_unpack(j, "{s:I, s:s, s:I, s:I, s:I, s:I, s:s, s:I}",
	    "version", &ver, "chunker", &chunker, "chunk_min", &mn,
	    "chunk_avg", &avg, "chunk_max", &mx, "pack_size", &ps,
	    "compression", &comp, "compression_level", &lvl) != 0)
		goto done;
	if (ver != REPO_FORMAT_VERSION || strcmp(chunker, "fastcdc") != 0 ||
	    strcmp(comp, "zstd") != 0 || mn < 64 || mx > (1 << 30) ||
	    ps < (1 << 20) || ps > (1 << 30) || lvl < -7 || lvl > 22)
		goto done;
	c->chunk_min = (uint32_t)mn;
	c->chunk_avg = (uint32_t)avg;
	c->chunk_max = (uint32_t)mx;
	c->pack_size = (uint32_t)ps;
	c->zstd_level = (int)lvl;
	rc = 0;
done:
	json_decref(j);
	return (rc);
}

static int
setup_chunker(struct repo *r)
{

	return (fastcdc_init(r->cdc, r->k->gear, r->cfg.chunk_min,
	    r->cfg.chunk_avg, r->cfg.chunk_max));
}

static void
config_defaults(struct repo_config *c)
{

	c->chunk_min = FASTCDC_MIN_DEFAULT;
	c->chunk_avg = FASTCDC_AVG_DEFAULT;
	c->chunk_max = FASTCDC_MAX_DEFAULT;
	c->pack_size = 16 * 1024 * 1024;
	c->zstd_level = 3;
}

int
repo_from_root(struct backend *be, const uint8_t id[REPO_ID_LEN],
    const uint8_t root[CRYPTO_KEY_LEN], struct repo **rp)
{
	struct repo *r;

	if ((r = repo_alloc(be)) == NULL)
		return (-1);
	r->version = REPO_FORMAT_VERSION;
	memcpy(r->id, id, REPO_ID_LEN);
	config_defaults(&r->cfg);
	if (repo_derive(r, root) || setup_chunker(r)) {
		r->be = NULL;
		repo_close(r);
		return (-1);
	}
	*rp = r;
	return (0);
}

int
repo_init(struct backend *be, const char *pw, size_t pwlen,
    const struct kdf_params *kdf, struct repo **rp)
{
	uint8_t root[CRYPTO_KEY_LEN], hdr[CONFIG_HDR_LEN];
	struct buf body = BUF_INIT, obj = BUF_INIT;
	struct repo *r;
	char slot[65];
	int rc = -1;

	if ((r = repo_alloc(be)) == NULL)
		return (-1);
	if (backend_create(be)) {
		if (errno == EEXIST)
			warn0("repository already exists at %s",
			    be->location);
		goto fail;
	}
	r->version = REPO_FORMAT_VERSION;
	crypto_random(r->id, REPO_ID_LEN);
	crypto_random(root, sizeof(root));
	config_defaults(&r->cfg);
	if (repo_derive(r, root) || setup_chunker(r))
		goto fail;

	/* The key slot first: a config without a key is useless. */
	if (keyslot_add(r, pw, pwlen, kdf, slot))
		goto fail;
	memcpy(r->keyslot, slot, sizeof(slot));

	memcpy(hdr, "CFFR", 4);
	le32enc(hdr + 4, REPO_FORMAT_VERSION);
	memcpy(hdr + 8, r->id, REPO_ID_LEN);
	if (config_body(&r->cfg, &body) || buf_append(&obj, hdr, sizeof(hdr))
	    || repo_seal(r, OBJ_CONFIG, body.data, body.len, hdr, sizeof(hdr),
	    &obj))
		goto fail;
	if (backend_put(be, OBJ_CONFIG, "config", obj.data, obj.len)) {
		if (errno == EEXIST)
			warn0("repository already exists at %s",
			    be->location);
		goto fail;
	}
	*rp = r;
	rc = 0;
	goto done;
fail:
	r->be = NULL;	/* the caller still owns be on failure */
	repo_close(r);
done:
	sodium_memzero(root, sizeof(root));
	buf_release(&body);
	buf_release(&obj);
	return (rc);
}

struct trykeys {
	struct repo *r;
	const char *pw;
	size_t pwlen;
	const uint8_t *secret;		/* recovery slots instead */
	uint8_t *root;
	char name[65];
	int err;
};

static int
try_one(void *cookie, const char *name, uint64_t size)
{
	struct trykeys *t = cookie;
	struct buf b = BUF_INIT;
	uint8_t h[32], want[32];
	int rc;

	if (size > 65536)
		return (0);
	if ((rc = backend_get(t->r->be, OBJ_KEY, name, &b)) != 0) {
		t->err |= (rc < 0);
		goto done;
	}
	crypto_sha256(b.data, b.len, h);
	if (hex_decode(name, want, 32) || sodium_memcmp(h, want, 32) != 0) {
		warn0("keys %s: hash does not match its name (damaged); "
		    "skipped", name);
		goto done;
	}
	/* A passcode opens passcode slots, a recovered secret recovery ones. */
	if (b.len >= 6 && memcmp(b.data, "CFKY", 4) == 0 &&
	    b.data[5] == KEYSLOT_KIND_RECOVERY)
		rc = t->secret != NULL ? keyslot_recovery_try(t->r, b.data,
		    b.len, t->secret, t->root) : REPO_BADPASS;
	else if (t->secret != NULL)
		rc = REPO_BADPASS;
	else
		rc = keyslot_try(t->r, b.data, b.len, t->pw, t->pwlen,
		    t->root);
	if (rc == 0) {
		memcpy(t->name, name, 65);
		buf_release(&b);
		return (1);	/* stop listing */
	}
	if (rc == 1)
		warn0("keys %s: malformed key slot; skipped", name);
	t->err |= (rc < 0);
done:
	buf_release(&b);
	return (0);
}

static int
read_config(struct backend *be, struct buf *cfg, uint32_t *version)
{
	int rc;

	if ((rc = backend_get(be, OBJ_CONFIG, "config", cfg)) != 0) {
		if (rc == 1)
			warn0("no repository at %s (config not found)",
			    be->location);
		return (rc == 1 ? REPO_NOREPO : -1);
	}
	if (cfg->len < CONFIG_HDR_LEN || memcmp(cfg->data, "CFFR", 4) != 0) {
		warn0("%s: config is not a coffer repository config",
		    be->location);
		return (-1);
	}
	*version = le32dec(cfg->data + 4);
	if (*version > REPO_FORMAT_VERSION) {
		warn0("%s: repository format version %u is newer than this "
		    "coffer supports (%u); upgrade coffer", be->location,
		    *version, REPO_FORMAT_VERSION);
		return (-1);
	}
	if (*version < 1) {
		warn0("%s: config has invalid format version %u",
		    be->location, *version);
		return (-1);
	}
	return (0);
}

int
repo_probe(struct backend *be)
{
	struct buf cfg = BUF_INIT;
	uint32_t v;
	int rc;

	rc = read_config(be, &cfg, &v);
	buf_release(&cfg);
	return (rc);
}

int
repo_peek_id(struct backend *be, uint8_t id[REPO_ID_LEN])
{
	struct buf cfg = BUF_INIT;
	int rc;

	if ((rc = read_config(be, &cfg, &(uint32_t){0})) == 0)
		memcpy(id, cfg.data + 8, REPO_ID_LEN);
	buf_release(&cfg);
	return (rc);
}

/* Open with a passcode, or (secret non-NULL) a recovered secret. */
static int
open_with(struct backend *be, const char *pw, size_t pwlen,
    const uint8_t *secret, struct repo **rp)
{
	uint8_t root[CRYPTO_KEY_LEN];
	struct buf cfg = BUF_INIT, body = BUF_INIT;
	struct trykeys t;
	struct repo *r = NULL;
	int rc;

	if ((rc = read_config(be, &cfg, &(uint32_t){0})) != 0)
		goto done;
	rc = -1;
	if ((r = repo_alloc(be)) == NULL)
		goto done;
	r->version = le32dec(cfg.data + 4);
	memcpy(r->id, cfg.data + 8, REPO_ID_LEN);

	memset(&t, 0, sizeof(t));
	t.r = r;
	t.pw = pw;
	t.pwlen = pwlen;
	t.secret = secret;
	t.root = root;
	if (backend_list(be, OBJ_KEY, try_one, &t) < 0 ||
	    (t.name[0] == '\0' && t.err)) {
		warn0("%s: cannot read key slots", be->location);
		goto fail;
	}
	if (t.name[0] == '\0' && secret != NULL) {
		warn0("the recovered secret opens no recovery key slot in "
		    "%s/keys", be->location);
		rc = REPO_BADPASS;
		goto fail;
	}
	if (t.name[0] == '\0') {
		warn0("wrong passcode: no key slot in %s/keys opens with it",
		    be->location);
		rc = REPO_BADPASS;
		goto fail;
	}
	memcpy(r->keyslot, t.name, sizeof(t.name));
	if (repo_derive(r, root))
		goto fail;
	if ((rc = repo_unseal(r, OBJ_CONFIG, cfg.data + CONFIG_HDR_LEN,
	    cfg.len - CONFIG_HDR_LEN, cfg.data, CONFIG_HDR_LEN, &body)) != 0 ||
	    (rc = config_parse(&body, &r->cfg)) != 0) {
		if (rc == 1)
			warn0("%s: config is damaged or not authentic",
			    be->location);
		rc = -1;
		goto fail;
	}
	if (setup_chunker(r)) {
		rc = -1;
		goto fail;
	}
	*rp = r;
	rc = 0;
	goto done;
fail:
	if (r != NULL) {
		r->be = NULL;
		repo_close(r);
	}
done:
	sodium_memzero(root, sizeof(root));
	buf_release(&cfg);
	buf_release(&body);
	return (rc);
}

int
repo_open(struct backend *be, const char *pw, size_t pwlen, struct repo **rp)
{

	return (open_with(be, pw, pwlen, NULL, rp));
}

int
repo_open_recovery(struct backend *be, const uint8_t secret[32],
    struct repo **rp)
{

	return (open_with(be, NULL, 0, secret, rp));
}

int
kdf_params_default(struct kdf_params *p)
{
	const char *e = getenv("COFFER_KDF_PARAMS");
	uint8_t out[32], salt[CRYPTO_PWSALT_LEN] = { 0 };
	struct timespec t0, t1;
	double secs;
	unsigned int ops, kib;

	if (e != NULL && strcmp(e, "test") == 0) {
		p->opslimit = 1;
		p->memlimit_kib = 8192;
		return (0);
	}
	if (e != NULL) {
		if (sscanf(e, "%u,%u", &ops, &kib) != 2 || ops < 1 ||
		    ops > KDF_MAX_OPS || kib < 8192 || kib > KDF_MAX_KIB) {
			warn0("COFFER_KDF_PARAMS must be \"test\" or "
			    "\"OPS,KIB\" (OPS 1..32, KIB 8192..4194304)");
			return (-1);
		}
		p->opslimit = ops;
		p->memlimit_kib = kib;
		return (0);
	}
	/*
	 * Calibrate: 64 MiB and at least 3 passes (RFC 9106's second
	 * recommended setting), more passes while they fit in about 0.5 s
	 * (restic's scrypt takes about as long).  64 MiB rather than more
	 * keeps the whole client within a small memory budget on small
	 * machines; the passes buy back the hardness.
	 */
	p->memlimit_kib = 64 * 1024;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (crypto_argon2id(out, sizeof(out), "calibrate", 9, salt, 1,
	    p->memlimit_kib))
		return (-1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ops = (secs > 0) ? (unsigned int)(0.5 / secs) : 3;
	p->opslimit = ops < 3 ? 3 : (ops > 16 ? 16 : ops);
	return (0);
}
