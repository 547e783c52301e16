#include <string.h>

#include "engine/blobread.h"
#include "util/warnp.h"

#include "treepath.h"

int
treepath_find(struct repo *r, struct index *ix, const uint8_t root[32],
    const char *path, struct treepath *tp)
{
	const char *p = path, *e;
	size_t len;
	int rc;

	memset(tp, 0, sizeof(*tp));
	tree_init(&tp->t);
	tp->isdir = 1;
	memcpy(tp->dir, root, 32);
	while (*p != '\0') {
		if (*p == '/') {
			p++;
			continue;
		}
		if ((e = strchr(p, '/')) == NULL)
			e = p + strlen(p);
		len = (size_t)(e - p);
		if (!tp->isdir) {
			warn0("%.*s: not a directory", (int)(p - path - 1),
			    path);
			treepath_release(tp);
			return (1);
		}
		tree_release(&tp->t);
		if ((rc = tree_load(r, ix, tp->dir, &tp->t)) != 0) {
			treepath_release(tp);
			return (rc);
		}
		if ((tp->nd = tree_find(&tp->t, (const uint8_t *)p, len)) ==
		    NULL) {
			warn0("%.*s: no such file or directory in the "
			    "snapshot", (int)(e - path), path);
			treepath_release(tp);
			return (1);
		}
		tp->isdir = (tp->nd->type == NODE_DIR);
		if (tp->isdir)
			memcpy(tp->dir, tp->nd->subtree, 32);
		p = e;
	}
	return (0);
}

void
treepath_release(struct treepath *tp)
{

	tree_release(&tp->t);
	tp->nd = NULL;
}
