/*
 * Snapshot JSON (sealed as type "snapshots"):
 * {"time": "RFC 3339 with ns", "tree": hex, "parent": hex?, "paths": [...],
 *  "hostname", "username", "uid", "gid", "tags": [...], "summary": {...},
 *  "original": hex?}
 * A path that is not valid UTF-8 is stored as {"hex": "..."}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "util/warnp.h"

#include "snapshot.h"

static json_t *
path_json(const char *p)
{
	json_t *j;
	char *hex;
	size_t n = strlen(p);

	if ((j = json_string(p)) != NULL)
		return (j);
	if ((hex = malloc(2 * n + 1)) == NULL)
		return (NULL);
	hex_encode((const uint8_t *)p, n, hex);
	j = json_pack("{s:s}", "hex", hex);
	free(hex);
	return (j);
}

static char *
path_from_json(json_t *j)
{
	const char *hex;
	char *p;
	size_t n;

	if (json_is_string(j))
		return (strdup(json_string_value(j)));
	if ((hex = json_string_value(json_object_get(j, "hex"))) == NULL ||
	    (n = strlen(hex)) % 2 != 0 || (p = calloc(1, n / 2 + 1)) == NULL)
		return (NULL);
	if (hex_decode(hex, (uint8_t *)p, n / 2) || strlen(p) != n / 2) {
		free(p);
		return (NULL);
	}
	return (p);
}

static json_t *
summary_json(const struct snap_summary *s)
{

	return (json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:I, s:f}",
	    "files_new", (json_int_t)s->files_new,
	    "files_changed", (json_int_t)s->files_changed,
	    "files_unmodified", (json_int_t)s->files_unmodified,
	    "dirs_new", (json_int_t)s->dirs_new,
	    "dirs_changed", (json_int_t)s->dirs_changed,
	    "dirs_unmodified", (json_int_t)s->dirs_unmodified,
	    "data_blobs", (json_int_t)s->data_blobs,
	    "tree_blobs", (json_int_t)s->tree_blobs,
	    "data_added", (json_int_t)s->data_added,
	    "data_stored", (json_int_t)s->data_stored,
	    "total_files_processed", (json_int_t)s->total_files,
	    "total_bytes_processed", (json_int_t)s->total_bytes,
	    "bytes_read", (json_int_t)s->bytes_read,
	    "errors", (json_int_t)s->errors,
	    "seconds", s->seconds));
}

static uint64_t
juint(json_t *o, const char *k)
{
	json_int_t v = json_integer_value(json_object_get(o, k));

	return (v < 0 ? 0 : (uint64_t)v);
}

static void
summary_parse(json_t *o, struct snap_summary *s)
{

	s->files_new = juint(o, "files_new");
	s->files_changed = juint(o, "files_changed");
	s->files_unmodified = juint(o, "files_unmodified");
	s->dirs_new = juint(o, "dirs_new");
	s->dirs_changed = juint(o, "dirs_changed");
	s->dirs_unmodified = juint(o, "dirs_unmodified");
	s->data_blobs = juint(o, "data_blobs");
	s->tree_blobs = juint(o, "tree_blobs");
	s->data_added = juint(o, "data_added");
	s->data_stored = juint(o, "data_stored");
	s->total_files = juint(o, "total_files_processed");
	s->total_bytes = juint(o, "total_bytes_processed");
	s->bytes_read = juint(o, "bytes_read");
	s->errors = juint(o, "errors");
	s->seconds = json_number_value(json_object_get(o, "seconds"));
}

static void
rfc3339(int64_t sec, uint32_t nsec, char *buf, size_t n)
{
	time_t t = (time_t)sec;
	struct tm tm;
	char b[32];

	gmtime_r(&t, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%s.%09uZ", b, nsec);
}

static int
parse_rfc3339(const char *s, int64_t *sec, uint32_t *nsec)
{
	struct tm tm;
	unsigned int ns = 0;
	const char *p;

	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return (-1);
	/* Up to 9 fraction digits, scaled to nanoseconds. */
	if (*p == '.') {
		unsigned int digits = 0;

		for (p++; *p >= '0' && *p <= '9'; p++)
			if (digits < 9) {
				ns = ns * 10 + (unsigned int)(*p - '0');
				digits++;
			}
		if (digits == 0)
			return (-1);
		for (; digits < 9; digits++)
			ns *= 10;
	}
	if (*p != 'Z')
		return (-1);
	*sec = (int64_t)timegm(&tm);
	*nsec = ns;
	return (0);
}

static json_t *
strarray(char **v, size_t n, int paths)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, paths ? path_json(v[i]) :
		    json_string(v[i]))) {
			json_decref(a);
			return (NULL);
		}
	return (a);
}

void *
snapshot_to_json(const struct snapshot *s)
{
	char t[64], tree[65], id[65], parent[65], orig[65];
	json_t *j;

	rfc3339(s->time_sec, s->time_nsec, t, sizeof(t));
	hex_encode(s->tree, 32, tree);
	hex_encode(s->id, 32, id);
	j = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:I, s:o, s:o}",
	    "time", t, "id", id, "tree", tree,
	    "paths", strarray(s->paths, s->npaths, 1),
	    "hostname", s->hostname ? s->hostname : "",
	    "username", s->username ? s->username : "",
	    "uid", (json_int_t)s->uid, "gid", (json_int_t)s->gid,
	    "tags", strarray(s->tags, s->ntags, 0),
	    "summary", summary_json(&s->sum));
	if (j != NULL && s->has_parent) {
		hex_encode(s->parent, 32, parent);
		json_object_set_new(j, "parent", json_string(parent));
	}
	if (j != NULL && s->has_original) {
		hex_encode(s->original, 32, orig);
		json_object_set_new(j, "original", json_string(orig));
	}
	return (j);
}

int
snapshot_save(struct repo *r, struct snapshot *s)
{
	json_t *j;
	char *txt = NULL;
	int rc = -1;

	if ((j = snapshot_to_json(s)) == NULL)
		goto done;
	json_object_del(j, "id");
	if ((txt = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		goto done;
	rc = repo_put_sealed(r, OBJ_SNAPSHOT, (const uint8_t *)txt,
	    strlen(txt), s->id);
done:
	if (rc)
		warn0("cannot save snapshot");
	free(txt);
	json_decref(j);
	return (rc);
}

static int
strlist(json_t *a, char ***vp, size_t *np, int paths)
{
	size_t i, n = json_array_size(a);
	char **v;

	if (!json_is_array(a) || (v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		return (-1);
	*vp = v;
	*np = n;
	for (i = 0; i < n; i++) {
		json_t *e = json_array_get(a, i);

		v[i] = paths ? path_from_json(e) :
		    (json_is_string(e) ? strdup(json_string_value(e)) : NULL);
		if (v[i] == NULL)
			return (-1);
	}
	return (0);
}

static int
snapshot_parse(const struct buf *b, struct snapshot *s)
{
	const char *t, *tree, *parent = NULL, *orig = NULL, *host = "";
	const char *user = "";
	json_t *j, *paths, *tags = NULL, *sum = NULL;
	json_int_t uid = 0, gid = 0;
	int rc = 1;

	if ((j = json_loadb((const char *)b->data, b->len, 0, NULL)) == NULL)
		return (1);
	if (json_unpack(j, "{s:s, s:s, s:o, s?s, s?s, s?I, s?I, s?o, s?s, "
	    "s?o, s?s}", "time", &t, "tree", &tree, "paths", &paths,
	    "hostname", &host, "username", &user, "uid", &uid, "gid", &gid,
	    "tags", &tags, "parent", &parent, "summary", &sum, "original",
	    &orig) != 0)
		goto done;
	if (parse_rfc3339(t, &s->time_sec, &s->time_nsec) ||
	    strlen(tree) != 64 || hex_decode(tree, s->tree, 32) ||
	    strlist(paths, &s->paths, &s->npaths, 1))
		goto done;
	if (tags != NULL && strlist(tags, &s->tags, &s->ntags, 0))
		goto done;
	if (parent != NULL) {
		if (strlen(parent) != 64 || hex_decode(parent, s->parent, 32))
			goto done;
		s->has_parent = 1;
	}
	if (orig != NULL) {
		if (strlen(orig) != 64 || hex_decode(orig, s->original, 32))
			goto done;
		s->has_original = 1;
	}
	if ((s->hostname = strdup(host)) == NULL ||
	    (s->username = strdup(user)) == NULL)
		goto done;
	s->uid = (uint32_t)uid;
	s->gid = (uint32_t)gid;
	if (json_is_object(sum))
		summary_parse(sum, &s->sum);
	rc = 0;
done:
	json_decref(j);
	return (rc);
}

int
snapshot_load(struct repo *r, const char *name, struct snapshot *s)
{
	struct buf b = BUF_INIT;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = repo_get_sealed(r, OBJ_SNAPSHOT, name, &b)) != 0)
		goto done;
	if ((rc = snapshot_parse(&b, s)) != 0) {
		warn0("snapshots %s: malformed snapshot", name);
		snapshot_release(s);
	}
	hex_decode(name, s->id, 32);
done:
	buf_release(&b);
	return (rc);
}

struct slist {
	struct repo *r;
	struct snapshot *v;
	size_t n, cap;
	int err;
};

static int
list_cb(void *cookie, const char *name, uint64_t size)
{
	struct slist *l = cookie;
	struct snapshot *nv;
	int rc;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		if ((nv = realloc(l->v, l->cap * sizeof(*nv))) == NULL) {
			warnp("realloc");
			return (-1);
		}
		l->v = nv;
	}
	if ((rc = snapshot_load(l->r, name, &l->v[l->n])) == 0)
		l->n++;
	return (rc < 0 ? -1 : 0);
}

static int
timecmp(const void *a, const void *b)
{
	const struct snapshot *x = a, *y = b;

	if (x->time_sec != y->time_sec)
		return (x->time_sec < y->time_sec ? -1 : 1);
	if (x->time_nsec != y->time_nsec)
		return (x->time_nsec < y->time_nsec ? -1 : 1);
	return (memcmp(x->id, y->id, 32));
}

int
snapshot_list(struct repo *r, struct snapshot **vp, size_t *np)
{
	struct slist l;

	memset(&l, 0, sizeof(l));
	l.r = r;
	if (backend_list(r->be, OBJ_SNAPSHOT, list_cb, &l) != 0) {
		snapshot_list_free(l.v, l.n);
		return (-1);
	}
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), timecmp);
	*vp = l.v;
	*np = l.n;
	return (0);
}

int
snapshot_find(struct repo *r, const char *spec, struct snapshot *out)
{
	struct snapshot *v;
	size_t n, i, match = 0, which = 0, len = strlen(spec);
	char hex[65];

	if (snapshot_list(r, &v, &n))
		return (-1);
	if (strcmp(spec, "latest") == 0) {
		match = n > 0;
		which = n - 1;
	} else {
		for (i = 0; i < n && len > 0 && len <= 64; i++) {
			hex_encode(v[i].id, 32, hex);
			if (strncmp(hex, spec, len) == 0) {
				match++;
				which = i;
			}
		}
	}
	if (match != 1) {
		warn0(match == 0 ? "no snapshot matching \"%s\"" :
		    "snapshot prefix \"%s\" is ambiguous (matches several)",
		    spec);
		snapshot_list_free(v, n);
		return (1);
	}
	*out = v[which];
	memset(&v[which], 0, sizeof(v[which]));
	snapshot_list_free(v, n);
	return (0);
}

void
snapshot_time(const struct snapshot *s, char *buf, size_t n)
{
	time_t t = (time_t)s->time_sec;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
}

static void
freelist(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

void
snapshot_release(struct snapshot *s)
{

	free(s->hostname);
	free(s->username);
	freelist(s->paths, s->npaths);
	freelist(s->tags, s->ntags);
	memset(s, 0, sizeof(*s));
}

void
snapshot_list_free(struct snapshot *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		snapshot_release(&v[i]);
	free(v);
}
