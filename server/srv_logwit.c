/*
 * The log's side of C2SP tlog-witness: after each checkpoint it commits,
 * the sequencer submits it to the witnesses (`--log-witness URL=VKEY`),
 * each with a consistency proof from the size that witness last cosigned
 * (unknown at start: 0, and a 409 tells the size to retry from), checks
 * the cosignature that comes back with the witness's key, and serves the
 * checkpoint with the cosignature lines appended.
 *
 * The witnesses are asked at once, each on a thread of its own.  A
 * witness that is down, slow (2 s to connect, 5 s in all) or refuses
 * does not stop the log: the checkpoint is served without its line, and
 * the submission is retried on later passes, backing off (a second more
 * after each failure, up to 30).
 * Cosignatures live in memory: after a restart, the witnesses cosign the
 * committed checkpoint again (the same tree at the same size).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "tlog/merkle.h"
#include "tlog/tiles.h"
#include "util/warnp.h"

#include "srv_log_int.h"

#define RESP_MAX	65536

struct logwit {
	char *url;			/* <prefix>/add-checkpoint */
	struct note_vkey vk;
	uint64_t size;			/* the size the witness knows */
	struct buf for_cp;		/* the checkpoint line cosigned */
	struct buf line;		/* its cosignature line */
	time_t next;			/* no submission before */
	unsigned fails;
};

int
srv_log_witness(struct srv_log *log, const char *spec)
{
	struct logwit *nw, *w;
	const char *eq, *why;

	if ((eq = strchr(spec, '=')) == NULL || (strncmp(spec, "http://", 7)
	    != 0 && strncmp(spec, "https://", 8) != 0)) {
		warn0("--log-witness %s: must be URL=VKEY, the URL http:// or "
		    "https://", spec);
		return (-1);
	}
	if ((nw = realloc(log->wit, (log->nwit + 1) * sizeof(*nw))) == NULL) {
		warnp("realloc");
		return (-1);
	}
	log->wit = nw;
	w = &nw[log->nwit];
	memset(w, 0, sizeof(*w));
	if (note_vkey_parse(eq + 1, strlen(eq + 1), &w->vk, &why)) {
		warn0("--log-witness %s: not a verifier key: %s", eq + 1, why);
		return (-1);
	}
	if (w->vk.alg != NOTE_ALG_COSIG) {
		warn0("--log-witness %s: not a witness cosignature key "
		    "(`cofferd witness vkey` prints one)", eq + 1);
		return (-1);
	}
	if (asprintf(&w->url, "%.*s%sadd-checkpoint", (int)(eq - spec), spec,
	    eq[-1] == '/' ? "" : "/") < 0) {
		warnp("asprintf");
		return (-1);
	}
	log->nwit++;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		warn0("cannot initialise libcurl");
		return (-1);
	}
	return (0);
}

void
logwit_free(struct srv_log *log)
{
	size_t i;

	for (i = 0; i < log->nwit; i++) {
		free(log->wit[i].url);
		buf_release(&log->wit[i].for_cp);
		buf_release(&log->wit[i].line);
	}
	free(log->wit);
	log->wit = NULL;
	log->nwit = 0;
}

static size_t
collect(char *p, size_t size, size_t n, void *cookie)
{
	struct buf *b = cookie;

	if (b->len + size * n > RESP_MAX || buf_append(b, p, size * n))
		return (0);
	return (size * n);
}

/*
 * POST body to w; the status (0 if none) and the answer in resp; *sized
 * is 1 if it is of type text/x.tlog.size.
 */
static long
post(struct logwit *w, const struct buf *body, struct buf *resp,
    int *sized)
{
	struct curl_slist *hdr = NULL;
	char *ct = NULL;
	CURL *c;
	long code = 0;

	resp->len = 0;
	*sized = 0;
	if ((c = curl_easy_init()) == NULL)
		return (0);
	hdr = curl_slist_append(hdr, "Content-Type: text/plain");
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, w->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body->data);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(c) == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) ==
		    CURLE_OK && ct != NULL && strcmp(ct, "text/x.tlog.size") == 0)
			*sized = 1;
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(hdr);
	return (code);
}

/* The add-checkpoint body for cp (of size) from the witness's size. */
static int
request(struct srv_log *log, const struct logwit *w, const struct buf *cp,
    uint64_t size, struct buf *body)
{
	struct tile_reader *r;
	struct merkle_src src;
	uint8_t proof[MERKLE_MAX_PROOF * 32];
	size_t n = 0, i;
	char line[40];
	int rc;

	body->len = 0;
	if (w->size > 0 && w->size < size) {
		if ((r = tile_reader_new(size, logseq_fetch, log)) == NULL)
			return (-1);
		tile_reader_src(r, &src);
		rc = merkle_consistency_proof(&src, w->size, size, proof, &n);
		tile_reader_free(r);
		if (rc != 0)
			return (-1);
	}
	snprintf(line, sizeof(line), "old %" PRIu64 "\n", w->size);
	if (buf_append(body, line, strlen(line)))
		return (-1);
	for (i = 0; i < n; i++)
		if (tlog_b64_encode(proof + 32 * i, 32, body) ||
		    buf_append(body, "\n", 1))
			return (-1);
	return (buf_append(body, "\n", 1) || buf_append(body, cp->data,
	    cp->len) ? -1 : 0);
}

/* The witness's line in its answer, if it verifies over cp.  0 or 1. */
static int
take_line(struct logwit *w, const struct buf *cp, const struct buf *resp)
{
	struct buf full = BUF_INIT;
	const uint8_t *p = resp->data, *nl, *e = resp->data + resp->len;
	struct note *n;
	const char *why;
	int rc = 1;

	for (; p < e && rc != 0; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			break;
		full.len = 0;
		if (buf_append(&full, cp->data, cp->len) ||
		    buf_append(&full, p, (size_t)(nl + 1 - p)))
			break;
		if ((n = note_parse(full.data, full.len, &why)) == NULL)
			continue;
		if (note_verify(n, &w->vk, NULL) == 0) {
			w->line.len = 0;
			w->for_cp.len = 0;
			if (buf_append(&w->line, p, (size_t)(nl + 1 - p)) == 0 &&
			    buf_append(&w->for_cp, cp->data, cp->len) == 0)
				rc = 0;
		}
		free(n);
	}
	buf_release(&full);
	return (rc);
}

/* Submit cp (of size) to w: 0 if it cosigned, -1 if not (said why). */
static int
submit(struct srv_log *log, struct logwit *w, const struct buf *cp,
    uint64_t size)
{
	struct buf body = BUF_INIT, resp = BUF_INIT;
	char why[200];
	uint64_t known;
	long code = 0;
	int tries, sized, rc = -1;

	why[0] = '\0';
	for (tries = 0; tries < 2; tries++) {
		if (request(log, w, cp, size, &body)) {
			snprintf(why, sizeof(why), "cannot build the request");
			break;
		}
		code = post(w, &body, &resp, &sized);
		if (code == 200) {
			if (take_line(w, cp, &resp) == 0) {
				w->size = size;
				rc = 0;
			} else
				snprintf(why, sizeof(why), "its answer has no "
				    "valid cosignature of its key");
			break;
		}
		if (code == 409 && sized && resp.len > 0 && resp.len < 22 &&
		    sscanf((const char *)resp.data, "%" SCNu64, &known) == 1) {
			/* It knows another size: retry from there. */
			w->size = known;
			if (known <= size)
				continue;
			snprintf(why, sizeof(why), "it has cosigned a larger "
			    "tree (%" PRIu64 ") than this log's (%" PRIu64
			    "): was the log rolled back?", known, size);
			break;
		}
		if (code == 0)
			snprintf(why, sizeof(why), "no answer");
		else
			snprintf(why, sizeof(why), "HTTP %ld: %.*s", code,
			    (int)(resp.len > 120 ? 120 : strcspn((char *)
			    resp.data, "\n")), (char *)resp.data);
		break;
	}
	if (rc != 0 && why[0] == '\0')
		snprintf(why, sizeof(why), "HTTP 409 again");
	if (rc == 0) {
		if (w->fails > 0)
			warn0("log: witness %s cosigns again", w->vk.name);
		w->fails = 0;
		w->next = 0;
	} else {
		/* Said once, then quietly retried, backing off. */
		if (w->fails == 0)
			warn0("log: witness %s did not cosign the checkpoint "
			    "of size %" PRIu64 ": %s", w->vk.name, size, why);
		w->fails++;
		w->next = time(NULL) + (w->fails > 30 ? 30 : (time_t)w->fails);
	}
	buf_release(&body);
	buf_release(&resp);
	return (rc);
}

/* One submission, on a thread of its own. */
struct job {
	struct srv_log *log;
	struct logwit *w;
	const struct buf *cp;
	uint64_t size;
	pthread_t thr;
	int started;
};

static void *
job_run(void *cookie)
{
	struct job *j = cookie;

	(void)submit(j->log, j->w, j->cp, j->size);
	return (NULL);
}

static int
cosigned(const struct logwit *w, const struct buf *cp)
{

	return (w->for_cp.len == cp->len && memcmp(w->for_cp.data, cp->data,
	    cp->len) == 0);
}

int
logwit_collect(struct srv_log *log, const struct buf *cp, uint64_t size,
    struct buf *out)
{
	struct job *jobs;
	struct logwit *w;
	size_t i;
	time_t now = time(NULL);

	out->len = 0;
	if (buf_append(out, cp->data, cp->len))
		return (-1);
	if ((jobs = calloc(log->nwit, sizeof(*jobs))) == NULL) {
		warnp("calloc");
		return (-1);
	}
	/* The witnesses at once: the slowest, not their sum, delays the log. */
	for (i = 0; i < log->nwit; i++) {
		w = &log->wit[i];
		if (cosigned(w, cp) || now < w->next)
			continue;
		jobs[i].log = log;
		jobs[i].w = w;
		jobs[i].cp = cp;
		jobs[i].size = size;
		if (pthread_create(&jobs[i].thr, NULL, job_run, &jobs[i]) == 0)
			jobs[i].started = 1;
		else
			(void)submit(log, w, cp, size);
	}
	for (i = 0; i < log->nwit; i++) {
		w = &log->wit[i];
		if (jobs[i].started)
			pthread_join(jobs[i].thr, NULL);
		if (cosigned(w, cp) &&
		    buf_append(out, w->line.data, w->line.len)) {
			free(jobs);
			return (-1);
		}
	}
	free(jobs);
	return (0);
}
