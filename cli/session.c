#include <stdlib.h>
#include <string.h>

#include "engine/blobread.h"
#include "util/warnp.h"

#include "cli.h"

int
session_open(struct session *s, int flags)
{
	struct pwsrc src = { G.pwfile, G.pwcmd, "COFFER_PASSWORD",
	    "enter the repository passcode: " };

	if (G.repo == NULL || G.repo[0] == '\0') {
		memset(s, 0, sizeof(*s));
		warn0("no repository given: use -r/--repo or set "
		    "COFFER_REPOSITORY");
		return (EXIT_ERR);
	}
	return (session_open_at(s, flags, G.repo, &src));
}

int
session_open_at(struct session *s, int flags, const char *repo,
    const struct pwsrc *src)
{
	struct backend *be;
	char *pw;
	size_t pwlen;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((be = backend_open(repo)) == NULL)
		return (EXIT_ERR);
	/* Refuse a missing or newer repository before asking anything. */
	if ((rc = repo_probe(be)) != 0) {
		backend_free(be);
		return (rc == REPO_NOREPO ? EXIT_NOREPO : EXIT_ERR);
	}
	if (passwd_get_from(src, &pw, &pwlen)) {
		backend_free(be);
		return (EXIT_ERR);
	}
	rc = repo_open(be, pw, pwlen, &s->r);
	passwd_free(pw);
	if (rc != 0) {
		backend_free(be);
		return (rc == REPO_NOREPO ? EXIT_NOREPO :
		    rc == REPO_BADPASS ? EXIT_BADPASS : EXIT_ERR);
	}
	if (!(flags & SESSION_NOLOG) && (rc = cli_tlog_begin(s)) != EXIT_OK) {
		session_close(s);
		return (rc);
	}
	if ((flags & (SESSION_LOCK | SESSION_XLOCK)) &&
	    (rc = lock_acquire(s->r, (flags & SESSION_XLOCK) != 0,
	    &s->lk)) != 0) {
		session_close(s);
		return (rc == 1 ? EXIT_LOCKED : EXIT_ERR);
	}
	if ((flags & SESSION_INDEX) && index_load(s->r, &s->ix)) {
		session_close(s);
		return (EXIT_ERR);
	}
	return (EXIT_OK);
}

void
session_close(struct session *s)
{

	cli_tlog_end(s);
	blob_cache_flush();
	index_free(s->ix);
	lock_release(s->lk);
	repo_close(s->r);
	memset(s, 0, sizeof(*s));
}
