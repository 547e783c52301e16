/*
 * The transparency log over HTTP, read-only: see srv_logweb.h.  Tiles and
 * bundles are files under <data>/log/, served only at their canonical
 * C2SP paths and only within the committed tree, so that nothing the
 * sequencer wrote ahead of a checkpoint (and may write again after a
 * crash) is ever shown.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "tlog/tiles.h"
#include "util/buf.h"
#include "util/warnp.h"

#include "srv_db.h"
#include "srv_log.h"
#include "srv_logweb.h"
#include "srv_rest.h"

#define CT_TEXT		"text/plain; charset=utf-8"
#define CT_BINARY	"application/octet-stream"

/* Answer with the text in b (taken over). */
static void
answer_text(struct srv_req *req, struct buf *b)
{

	req->resp.status = 200;
	req->resp.ctype = CT_TEXT;
	req->resp.text = (char *)b->data;
	req->resp.textlen = b->len;
	req->resp.text_owned = 1;
	b->data = NULL;
	b->len = b->cap = 0;
}

static void
tile(struct srv_req *req, const char *path, uint64_t size)
{
	struct srv_resp *rs = &req->resp;
	char full[PATH_MAX];
	struct stat sb;
	uint64_t n, have;
	unsigned w;
	int level, fd;

	if (tile_path_parse(path, &level, &n, &w) != 0) {
		srv_rest_fail(req, 404, "no such tile");
		return;
	}
	/* Within the committed tree: a full tile, or a partial one. */
	have = size >> (TILE_HEIGHT * (unsigned)(level < 0 ? 0 : level));
	if (n > have / TILE_WIDTH || (n == have / TILE_WIDTH &&
	    (w == TILE_WIDTH || w > have % TILE_WIDTH))) {
		srv_rest_fail(req, 404, "no such tile");
		return;
	}
	snprintf(full, sizeof(full), "%s/%s", srv_log_dir(req->ctx->log),
	    path);
	if ((fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			warnp("%s", full);
		srv_rest_fail(req, errno == ENOENT ? 404 : 500,
		    errno == ENOENT ? "no such tile" : "internal error");
		return;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		srv_rest_fail(req, 500, "internal error");
		return;
	}
	memset(&rs->obj, 0, sizeof(rs->obj));
	rs->obj.fd = fd;
	rs->obj.size = (uint64_t)sb.st_size;
	rs->has_obj = 1;
	rs->obj_off = 0;
	rs->obj_len = rs->obj.size;
	rs->status = 200;
	rs->ctype = CT_BINARY;
}

static void
account(struct srv_req *req)
{
	uint8_t acct[TLOG_ACCOUNT_LEN], scope[TLOG_SCOPE_LEN];
	char hex[2 * TLOG_ACCOUNT_LEN + 1], user[65], line[64];
	const char *repo = srv_http_query(req, "repo");
	struct buf b = BUF_INIT;
	enum srv_perm perm;

	if (srv_rest_auth(req, user, &perm))
		return;
	memcpy(req->user, user, sizeof(req->user));
	if (repo != NULL && !srv_user_valid_name(repo)) {
		srv_rest_fail(req, 400, "invalid repository name");
		return;
	}
	if (srv_log_ids(req->ctx->log, user, repo, acct, scope)) {
		srv_rest_fail(req, 500, "internal error");
		return;
	}
	hex_encode(acct, sizeof(acct), hex);
	snprintf(line, sizeof(line), "account %s\n", hex);
	if (buf_append(&b, line, strlen(line)))
		goto fail;
	if (repo != NULL) {
		hex_encode(scope, sizeof(scope), hex);
		snprintf(line, sizeof(line), "scope %s\n", hex);
		if (buf_append(&b, line, strlen(line)))
			goto fail;
	}
	answer_text(req, &b);
	return;
fail:
	buf_release(&b);
	srv_rest_fail(req, 500, "internal error");
}

void
srv_logweb_begin(struct srv_req *req, const char *url)
{
	struct buf b = BUF_INIT;
	char vk[512];
	uint64_t size;
	const char *p = url + 5;	/* after "/log/" */

	if (req->method != METHOD_GET && req->method != METHOD_HEAD) {
		req->resp.allow = "GET, HEAD";
		srv_rest_fail(req, 405, "method not allowed");
		return;
	}
	if (strcmp(p, "checkpoint") == 0) {
		if (srv_log_checkpoint(req->ctx->log, &b, &size)) {
			buf_release(&b);
			srv_rest_fail(req, 500, "internal error");
			return;
		}
		answer_text(req, &b);
	} else if (strcmp(p, "vkey") == 0) {
		if (srv_log_vkey(req->ctx->log, vk, sizeof(vk)) ||
		    buf_append(&b, vk, strlen(vk)) || buf_append(&b, "\n", 1)) {
			buf_release(&b);
			srv_rest_fail(req, 500, "internal error");
			return;
		}
		answer_text(req, &b);
	} else if (strcmp(p, "account") == 0) {
		account(req);
	} else if (strncmp(p, "tile/", 5) == 0) {
		if (srv_log_checkpoint(req->ctx->log, &b, &size)) {
			buf_release(&b);
			srv_rest_fail(req, 500, "internal error");
			return;
		}
		buf_release(&b);
		tile(req, p, size);
	} else
		srv_rest_fail(req, 404, "no such route");
}
