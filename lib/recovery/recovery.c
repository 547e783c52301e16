/*
 * Passcode recovery through realms, the client (docs/RECOVERY.md 4.4 to
 * 4.6).  Every secret of a run (the OPRF key and its shares, the scalar s
 * and its shares, the stretched PIN, the OPRF output, the unlock key, the
 * Ed25519 signing key) lives in one sodium_malloc'd struct, wiped and
 * freed on every path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/crypto.h"
#include "util/warnp.h"

#include "oprf.h"
#include "recovery.h"
#include "rkdf.h"
#include "shamir.h"

#define MAXR	RWIRE_MAX_REALMS

/* What recover2 gave, per realm. */
struct eval {
	int ok;			/* passed every check */
	uint8_t index, t, n;
	uint16_t num_guesses, guess_count;
	uint8_t challenge[RWIRE_CHAL];
	uint8_t z[RWIRE_ELEM];
	uint8_t vk[RWIRE_VK];
	uint8_t commitment[RWIRE_MAC];
};

/* The secrets of one run. */
struct sec {
	uint8_t access[32], encseed[32];
	uint8_t k[RWIRE_SCALAR], s[RWIRE_SCALAR];
	uint8_t kshare[MAXR][RWIRE_SCALAR], sshare[MAXR][RWIRE_SCALAR];
	uint8_t oprf[OPRF_OUT];
	uint8_t commitment[RWIRE_MAC], unlock[RWIRE_MAC];
	uint8_t enckey[32];
	uint8_t blind[OPRF_SCALAR];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	uint8_t tag[RWIRE_MAC];
	struct rwire_req q;
	struct rwire_resp r;
};

static struct sec *
sec_new(void)
{
	struct sec *x;

	if ((x = sodium_malloc(sizeof(*x))) == NULL) {
		warnp("sodium_malloc");
		return (NULL);
	}
	memset(x, 0, sizeof(*x));
	return (x);
}

static const char *
url(const struct recovery_realm *r)
{

	return (realm_client_url(r->c));
}

unsigned
recovery_bound(unsigned n, unsigned t, unsigned g)
{

	return (t == 0 ? 0 : (n * g) / t);
}

size_t
recovery_info(struct recovery_realm *v, size_t n)
{
	size_t i, got = 0;

	for (i = 0; i < n; i++) {
		if (!v[i].have_info && realm_client_info(v[i].c, v[i].id,
		    v[i].jurisdiction) == 0)
			v[i].have_info = 1;
		if (v[i].have_info)
			got++;
		else
			v[i].state = RREALM_DOWN;
	}
	return (got);
}

static void
req_init(struct rwire_req *q, int type, const struct recovery_realm *r,
    const struct recovery_params *p)
{

	rwire_wipe(q, sizeof(*q));
	q->type = (uint8_t)type;
	memcpy(q->realm_id, r->id, RWIRE_ID);
	memcpy(q->rid, p->rid, RWIRE_ID);
}

/*
 * recover1 at r: its state and counts, and a challenge into chal.  0 if
 * it answered, -1 if not (state DOWN; reported).
 */
static int
step1(struct recovery_realm *r, const struct recovery_params *p,
    uint8_t chal[RWIRE_CHAL])
{
	struct rwire_req q;
	struct rwire_resp a;

	if (!r->have_info) {
		if (realm_client_info(r->c, r->id, r->jurisdiction)) {
			r->state = RREALM_DOWN;
			return (-1);
		}
		r->have_info = 1;
	}
	req_init(&q, RW_RECOVER1, r, p);
	if (realm_client_call(r->c, &q, &a)) {
		r->state = RREALM_DOWN;
		return (-1);
	}
	memcpy(chal, a.challenge, RWIRE_CHAL);
	memcpy(r->version, a.version, RWIRE_VER);
	r->num_guesses = a.num_guesses;
	r->guess_count = a.guess_count;
	switch (a.status) {
	case RW_OK:
		r->state = RREALM_REGISTERED;
		break;
	case RW_NOT_REGISTERED:
		r->state = RREALM_NOTREG;
		break;
	case RW_NO_GUESSES:
		r->state = RREALM_NOGUESSES;
		break;
	default:
		warn0("realm %s: recover1 answered %s", url(r),
		    rwire_status_name(a.status));
		r->state = RREALM_DOWN;
		return (-1);
	}
	return (0);
}

/* ---------------------------------------------------------------------- */
/* Registration. */

/* order[] = the realms by id; -1 if two have the same (reported). */
static int
sort_realms(const struct recovery_realm *v, size_t n, size_t order[MAXR])
{
	size_t i, j, x;
	int c;

	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = 1; i < n; i++)
		for (j = i; j > 0; j--) {
			c = memcmp(v[order[j - 1]].id, v[order[j]].id,
			    RWIRE_ID);
			if (c == 0) {
				warn0("realms %s and %s are the same realm "
				    "(same realm id)", url(&v[order[j - 1]]),
				    url(&v[order[j]]));
				return (-1);
			}
			if (c < 0)
				break;
			x = order[j];
			order[j] = order[j - 1];
			order[j - 1] = x;
		}
	return (0);
}

/* The register request for the realm of share index j + 1. */
static int
reg_request(struct sec *x, const struct recovery_realm *r, size_t j,
    const struct recovery_params *p, const uint8_t version[RWIRE_VER],
    const uint8_t vk[RWIRE_VK], const uint8_t enc[RWIRE_ENC])
{
	struct rwire_req *q = &x->q;
	uint8_t msg[RKDF_ENC_MAX];
	size_t len;

	req_init(q, RW_REGISTER, r, p);
	memcpy(q->version, version, RWIRE_VER);
	q->index = (uint8_t)(j + 1);
	q->t = p->t;
	q->n = p->n;
	q->num_guesses = p->guesses;
	memcpy(q->k, x->kshare[j], RWIRE_SCALAR);
	if (crypto_scalarmult_ristretto255_base(q->pk, q->k) != 0)
		return (-1);
	memcpy(q->vk, vk, RWIRE_VK);
	rkdf_sig_msg(r->id, p->rid, version, q->index, q->t, q->n, q->pk,
	    msg, &len);
	crypto_sign_detached(q->sig, NULL, msg, len, x->sk);
	memcpy(q->commitment, x->commitment, RWIRE_MAC);
	rkdf_tag(x->unlock, r->id, q->tag);
	memcpy(q->s, x->sshare[j], RWIRE_SCALAR);
	memcpy(q->enc, enc, RWIRE_ENC);
	rkdf_enc_commitment(x->unlock, r->id, q->s, enc, q->enc_commitment);
	return (0);
}

/* Everything of section 3 that registration computes.  0 or -1. */
static int
reg_prepare(struct sec *x, const struct recovery_params *p, const char *pin,
    size_t pinlen, const uint8_t version[RWIRE_VER],
    const uint8_t secret[RWIRE_SECRET], uint8_t vk[RWIRE_VK],
    uint8_t enc[RWIRE_ENC])
{

	if (rkdf_stretch(pin, pinlen, version, p->repo_id, 32, p->opslimit,
	    p->memlimit_kib, x->access, x->encseed))
		return (-1);
	crypto_core_ristretto255_scalar_random(x->k);
	crypto_core_ristretto255_scalar_random(x->s);
	if (shamir_split(x->k, p->t, p->n, x->kshare) ||
	    shamir_split(x->s, p->t, p->n, x->sshare) ||
	    oprf_evaluate(x->k, x->access, 32, x->oprf)) {
		warn0("recovery: cannot share the keys");
		return (-1);
	}
	rkdf_unlock(x->oprf, x->commitment, x->unlock);
	rkdf_enc_key(x->encseed, x->s, x->enckey);
	if (rkdf_seal_secret(x->enckey, version, secret, enc))
		return (-1);
	crypto_sign_keypair(vk, x->sk);
	return (0);
}

int
recovery_register(struct recovery_realm *v, size_t n,
    const struct recovery_params *p, const char *pin, size_t pinlen,
    const uint8_t secret[RWIRE_SECRET])
{
	uint8_t version[RWIRE_VER], vk[RWIRE_VK], enc[RWIRE_ENC];
	uint8_t chal[RWIRE_CHAL];
	size_t order[MAXR], i = 0;
	struct sec *x = NULL;
	int rc = -1;

	if (n < 1 || n > MAXR || p->n != n || p->t > n || 2 * p->t <= n ||
	    p->guesses < 1 || p->guesses > RWIRE_MAX_GUESSES) {
		warn0("recovery: need 1 to %d realms, a threshold that is a "
		    "strict majority of them, and 1 to %d guesses", MAXR,
		    RWIRE_MAX_GUESSES);
		return (-1);
	}
	if (recovery_info(v, n) != n) {
		warn0("recovery: setting up needs every realm to answer");
		return (-1);
	}
	if (sort_realms(v, n, order) || (x = sec_new()) == NULL)
		return (-1);
	crypto_random(version, sizeof(version));
	if (reg_prepare(x, p, pin, pinlen, version, secret, vk, enc))
		goto done;
	/* Share index j + 1 goes to the j-th realm by id. */
	for (i = 0; i < n; i++) {
		if (step1(&v[order[i]], p, chal) ||
		    reg_request(x, &v[order[i]], i, p, version, vk, enc))
			goto done;
		memcpy(x->q.challenge, chal, RWIRE_CHAL);
		if (realm_client_call(v[order[i]].c, &x->q, &x->r))
			goto done;
		if (x->r.status != RW_OK) {
			warn0("realm %s refused the registration: %s",
			    url(&v[order[i]]), rwire_status_name(x->r.status));
			goto done;
		}
		v[order[i]].state = RREALM_REGISTERED;
		v[order[i]].num_guesses = p->guesses;
		v[order[i]].guess_count = 0;
		memcpy(v[order[i]].version, version, RWIRE_VER);
	}
	rc = 0;
done:
	if (rc != 0 && i > 0)
		warn0("recovery: %zu of %zu realms hold the new registration; "
		    "run the setup again", i, n);
	sodium_free(x);
	return (rc);
}

/* ---------------------------------------------------------------------- */
/* Recovery. */

/* The realm's recover2 answer, checked.  0 (e->ok set) or -1. */
static int
check_eval(struct recovery_realm *r, const struct recovery_params *p,
    const struct rwire_resp *a, const uint8_t u[RWIRE_ELEM],
    struct eval *e)
{
	static const uint8_t one[RWIRE_SCALAR] = { 1 };
	uint8_t msg[RKDF_ENC_MAX], g[RWIRE_ELEM];
	size_t len;

	e->index = a->index;
	e->t = a->t;
	e->n = a->n;
	e->num_guesses = a->num_guesses;
	e->guess_count = a->guess_count;
	r->num_guesses = a->num_guesses;
	r->guess_count = a->guess_count;
	memcpy(e->challenge, a->challenge, RWIRE_CHAL);
	memcpy(e->z, a->evaluated, RWIRE_ELEM);
	memcpy(e->vk, a->vk, RWIRE_VK);
	memcpy(e->commitment, a->commitment, RWIRE_MAC);
	rkdf_sig_msg(r->id, p->rid, r->version, a->index, a->t, a->n, a->pk,
	    msg, &len);
	if (!rkdf_elem_ok(a->pk) ||
	    crypto_sign_verify_detached(a->sig, msg, len, a->vk) != 0) {
		warn0("realm %s (jurisdiction %s): its key is not signed by "
		    "the registration; left out", url(r), r->jurisdiction);
		return (-1);
	}
	if (crypto_scalarmult_ristretto255_base(g, one) != 0 ||
	    !rkdf_elem_ok(a->evaluated) ||
	    oprf_proof_verify(OPRF_MODE_VOPRF, g, a->pk,
	    (const uint8_t (*)[OPRF_ELEM])u,
	    (const uint8_t (*)[OPRF_ELEM])a->evaluated, 1, a->proof) != 0) {
		warn0("realm %s (jurisdiction %s): evaluation fails its "
		    "proof; this realm is misbehaving and is left out",
		    url(r), r->jurisdiction);
		return (-1);
	}
	e->ok = 1;
	return (0);
}

/*
 * The largest group of checked evaluations agreeing on (vk, commitment),
 * with the slot's t and n, distinct indices: into grp[], its size back.
 */
static size_t
best_group(const struct eval *e, size_t n, const struct recovery_params *p,
    size_t grp[MAXR])
{
	size_t i, j, m, best = 0, cur[MAXR];
	uint32_t seen;

	for (i = 0; i < n; i++) {
		if (!e[i].ok || e[i].t != p->t || e[i].n != p->n)
			continue;
		for (m = 0, seen = 0, j = 0; j < n; j++) {
			if (!e[j].ok || e[j].t != p->t || e[j].n != p->n ||
			    sodium_memcmp(e[j].vk, e[i].vk, RWIRE_VK) != 0 ||
			    sodium_memcmp(e[j].commitment, e[i].commitment,
			    RWIRE_MAC) != 0 || (seen >> e[j].index) & 1)
				continue;
			seen |= (uint32_t)1 << e[j].index;
			cur[m++] = j;
		}
		if (m > best) {
			best = m;
			memcpy(grp, cur, m * sizeof(cur[0]));
		}
	}
	return (best);
}

/* Why fewer than t realms agree on a registration: the result. */
static int
explain(const struct recovery_realm *v, size_t n,
    const struct recovery_params *p, size_t have)
{
	size_t i, down = 0, nog = 0, bad = 0;

	for (i = 0; i < n; i++) {
		down += (v[i].state == RREALM_DOWN);
		nog += (v[i].state == RREALM_NOGUESSES);
		bad += (v[i].state == RREALM_BAD);
	}
	if (nog > 0 && nog > (size_t)p->n - p->t) {
		warn0("recovery is no longer possible: %zu of %u realms "
		    "destroyed the record after too many wrong passcodes", nog,
		    p->n);
		return (RECOVERY_NOGUESSES);
	}
	if (bad > 0) {
		warn0("recovery failed: only %zu realms gave valid answers, "
		    "%u needed (%zu misbehaving realms named above)", have,
		    p->t, bad);
		return (-1);
	}
	if (have + down >= p->t && down > 0) {
		warn0("recovery unavailable: %zu of the %u realms needed "
		    "answered (%zu did not: see above); try again later",
		    have, p->t, down);
		return (RECOVERY_UNAVAILABLE);
	}
	warn0("no recovery registration for this repository on enough "
	    "realms (%zu found, %u needed)", have, p->t);
	return (RECOVERY_NOTREG);
}

/* recover2 everywhere in grp; the evaluations into e[].  */
static void
step2(struct recovery_realm *v, const size_t *grp, size_t m,
    const struct recovery_params *p, uint8_t chal[MAXR][RWIRE_CHAL],
    const uint8_t u[RWIRE_ELEM], struct sec *x, struct eval *e)
{
	struct recovery_realm *r;
	size_t i;

	for (i = 0; i < m; i++) {
		r = &v[grp[i]];
		req_init(&x->q, RW_RECOVER2, r, p);
		memcpy(x->q.challenge, chal[grp[i]], RWIRE_CHAL);
		memcpy(x->q.version, r->version, RWIRE_VER);
		memcpy(x->q.blinded, u, RWIRE_ELEM);
		if (realm_client_call(r->c, &x->q, &x->r)) {
			r->state = RREALM_DOWN;
			continue;
		}
		if (x->r.status == RW_NO_GUESSES) {
			r->state = RREALM_NOGUESSES;
			continue;
		}
		if (x->r.status != RW_OK) {
			warn0("realm %s: recover2 answered %s", url(r),
			    rwire_status_name(x->r.status));
			r->state = RREALM_DOWN;
			continue;
		}
		if (check_eval(r, p, &x->r, u, &e[grp[i]]))
			r->state = RREALM_BAD;
	}
}

/* Combine t evaluations of grp; 0 if the unlock key commitment matches. */
static int
unlock(struct sec *x, const struct eval *e, const size_t *grp, size_t t)
{
	uint8_t idx[MAXR], pts[MAXR][RWIRE_ELEM], z[RWIRE_ELEM];
	size_t i;
	int rc = -1;

	for (i = 0; i < t; i++) {
		idx[i] = e[grp[i]].index;
		memcpy(pts[i], e[grp[i]].z, RWIRE_ELEM);
	}
	if (shamir_combine_points(idx, (const uint8_t (*)[32])pts, t, z) ||
	    oprf_finalize(x->access, 32, x->blind, z, x->oprf)) {
		warn0("recovery: cannot combine the realms' evaluations");
		return (-1);
	}
	rkdf_unlock(x->oprf, x->commitment, x->unlock);
	if (sodium_memcmp(x->commitment, e[grp[0]].commitment, RWIRE_MAC) == 0)
		rc = 0;
	else
		rc = 1;
	return (rc);
}

/* recover3 everywhere in grp, then the secret.  0 or -1 (reported). */
static int
step3(struct recovery_realm *v, const size_t *grp, size_t m,
    const struct recovery_params *p, struct sec *x, const struct eval *e,
    uint8_t secret[RWIRE_SECRET])
{
	uint8_t enc[MAXR][RWIRE_ENC], idx[MAXR], want[RWIRE_MAC];
	size_t i, j, cnt, got = 0, best = 0, bi = 0;
	struct recovery_realm *r;
	int ok[MAXR] = { 0 }, rc;

	for (i = 0; i < m; i++) {
		r = &v[grp[i]];
		req_init(&x->q, RW_RECOVER3, r, p);
		memcpy(x->q.challenge, e[grp[i]].challenge, RWIRE_CHAL);
		memcpy(x->q.version, r->version, RWIRE_VER);
		rkdf_tag(x->unlock, r->id, x->tag);
		rkdf_tag_proof(x->tag, r->id, p->rid, r->version,
		    x->q.challenge, x->q.tag_proof);
		if (realm_client_call(r->c, &x->q, &x->r))
			continue;
		if (x->r.status != RW_OK) {
			warn0("realm %s: recover3 answered %s", url(r),
			    rwire_status_name(x->r.status));
			continue;
		}
		r->guess_count = 0;
		rkdf_enc_commitment(x->unlock, r->id, x->r.s, x->r.enc, want);
		if (sodium_memcmp(want, x->r.enc_commitment, RWIRE_MAC) != 0 ||
		    !rkdf_scalar_ok(x->r.s)) {
			warn0("realm %s (jurisdiction %s): its share fails "
			    "its commitment; left out", url(r),
			    r->jurisdiction);
			r->state = RREALM_BAD;
			continue;
		}
		memcpy(x->sshare[i], x->r.s, RWIRE_SCALAR);
		memcpy(enc[i], x->r.enc, RWIRE_ENC);
		idx[i] = e[grp[i]].index;
		ok[i] = 1;
		got++;
	}
	/* The encrypted secret most shares agree on. */
	for (i = 0; i < m; i++) {
		if (!ok[i])
			continue;
		for (cnt = 0, j = 0; j < m; j++)
			cnt += (ok[j] && memcmp(enc[i], enc[j], RWIRE_ENC) == 0);
		if (cnt > best) {
			best = cnt;
			bi = i;
		}
	}
	if (best < p->t) {
		warn0("recovery failed: %zu realms released their share, "
		    "%zu agree, %u needed", got, best, p->t);
		return (-1);
	}
	for (cnt = 0, i = 0; i < m && cnt < p->t; i++) {
		if (!ok[i] || memcmp(enc[i], enc[bi], RWIRE_ENC) != 0)
			continue;
		idx[cnt] = idx[i];
		memmove(x->sshare[cnt], x->sshare[i], RWIRE_SCALAR);
		cnt++;
	}
	if (shamir_combine(idx, (const uint8_t (*)[32])x->sshare, p->t,
	    x->s)) {
		warn0("recovery: cannot combine the shares");
		return (-1);
	}
	rkdf_enc_key(x->encseed, x->s, x->enckey);
	if ((rc = rkdf_open_secret(x->enckey, v[grp[bi]].version, enc[bi],
	    secret)) != 0) {
		if (rc == 1)
			warn0("recovery failed: the recovered secret is not "
			    "authentic");
		return (-1);
	}
	return (0);
}

/* The realms that agree on one registered version: into grp, size. */
static size_t
version_group(const struct recovery_realm *v, size_t n, size_t grp[MAXR])
{
	size_t i, j, m, best = 0, cur[MAXR];

	for (i = 0; i < n; i++) {
		if (v[i].state != RREALM_REGISTERED)
			continue;
		for (m = 0, j = 0; j < n; j++)
			if (v[j].state == RREALM_REGISTERED &&
			    memcmp(v[j].version, v[i].version, RWIRE_VER) == 0)
				cur[m++] = j;
		if (m > best) {
			best = m;
			memcpy(grp, cur, m * sizeof(cur[0]));
		}
	}
	return (best);
}

int
recovery_recover(struct recovery_realm *v, size_t n,
    const struct recovery_params *p, const char *pin, size_t pinlen,
    uint8_t secret[RWIRE_SECRET], int *left)
{
	uint8_t chal[MAXR][RWIRE_CHAL], u[RWIRE_ELEM];
	struct eval e[MAXR];
	size_t grp[MAXR], egrp[MAXR], m, g, i;
	struct sec *x = NULL;
	int rc = -1, lo;

	*left = -1;
	if (n < 1 || n > MAXR || p->t < 1 || p->t > p->n) {
		warn0("recovery: bad realm count or threshold");
		return (-1);
	}
	memset(e, 0, sizeof(e));
	for (i = 0; i < n; i++)
		(void)step1(&v[i], p, chal[i]);
	if ((m = version_group(v, n, grp)) < p->t)
		return (explain(v, n, p, m));
	if ((x = sec_new()) == NULL)
		return (-1);
	if (rkdf_stretch(pin, pinlen, v[grp[0]].version, p->repo_id, 32,
	    p->opslimit, p->memlimit_kib, x->access, x->encseed) ||
	    oprf_blind(OPRF_MODE_OPRF, x->access, 32, NULL, x->blind, u))
		goto done;
	step2(v, grp, m, p, chal, u, x, e);
	if ((g = best_group(e, n, p, egrp)) < p->t) {
		rc = explain(v, n, p, g);
		goto done;
	}
	if ((rc = unlock(x, e, egrp, p->t)) != 0) {
		if (rc == 1) {
			for (lo = RWIRE_MAX_GUESSES, i = 0; i < g; i++)
				if (e[egrp[i]].num_guesses -
				    e[egrp[i]].guess_count < lo)
					lo = e[egrp[i]].num_guesses -
					    e[egrp[i]].guess_count;
			*left = lo;
			rc = RECOVERY_BADPIN;
		}
		goto done;
	}
	rc = step3(v, egrp, g, p, x, e, secret);
done:
	sodium_free(x);
	return (rc);
}

/* ---------------------------------------------------------------------- */
/* Status and delete. */

int
recovery_status(struct recovery_realm *v, size_t n,
    const struct recovery_params *p)
{
	uint8_t chal[RWIRE_CHAL];
	size_t i, got = 0;

	for (i = 0; i < n; i++)
		if (step1(&v[i], p, chal) == 0)
			got++;
	return (got > 0 ? 0 : -1);
}

size_t
recovery_delete(struct recovery_realm *v, size_t n,
    const struct recovery_params *p)
{
	uint8_t chal[RWIRE_CHAL];
	struct rwire_req q;
	struct rwire_resp a;
	size_t i, failed = 0;

	for (i = 0; i < n; i++) {
		if (step1(&v[i], p, chal)) {
			failed++;
			continue;
		}
		req_init(&q, RW_DELETE, &v[i], p);
		memcpy(q.challenge, chal, RWIRE_CHAL);
		if (realm_client_call(v[i].c, &q, &a)) {
			failed++;
			continue;
		}
		if (a.status != RW_OK) {
			warn0("realm %s: delete answered %s", url(&v[i]),
			    rwire_status_name(a.status));
			failed++;
			continue;
		}
		v[i].state = RREALM_NOTREG;
	}
	return (failed);
}
