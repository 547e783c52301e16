#include <stdlib.h>
#include <string.h>

#include "engine/blobread.h"
#include "util/warnp.h"

#include "cli.h"

int
session_open(struct session *s, int flags)
{
	struct backend *be;
	char *pw;
	size_t pwlen;
	int rc;

	memset(s, 0, sizeof(*s));
	if (G.repo == NULL || G.repo[0] == '\0') {
		warn0("no repository given: use -r/--repo or set "
		    "COFFER_REPOSITORY");
		return (EXIT_ERR);
	}
	if ((be = backend_open(G.repo)) == NULL)
		return (EXIT_ERR);
	/* Refuse a missing or newer repository before asking anything. */
	if ((rc = repo_probe(be)) != 0) {
		backend_free(be);
		return (rc == REPO_NOREPO ? EXIT_NOREPO : EXIT_ERR);
	}
	if (passwd_get(&pw, &pwlen, 0)) {
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
	if ((flags & SESSION_LOCK) && lock_acquire(s->r, 0, &s->lk) != 0) {
		session_close(s);
		return (EXIT_ERR);
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

	blob_cache_flush();
	index_free(s->ix);
	lock_release(s->lk);
	repo_close(s->r);
	memset(s, 0, sizeof(*s));
}
