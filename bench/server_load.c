/*
 * server_load: a load generator for cofferd (restic's REST protocol) and,
 * for comparison, for a plain WebDAV server (nginx) holding the same
 * directory layout.
 *
 *   server_load --url http://127.0.0.1:PORT/USER/REPO/ [--auth USER:SECRET]
 *               [--clients N] [--size BYTES] [--duration SECS]
 *               [--list-every K] [--max-requests N] [--max-bytes BYTES]
 *               [--dav]
 *
 * N clients (threads, default 64), each with its own keep-alive
 * connection, first store one lock object of their own, then loop until
 * the duration (default 20 s) is over: upload an object of BYTES random
 * bytes (default 64 KiB) named by its SHA-256, and after every K uploads
 * (default 10) list the repository's locks/ (restic's v2 listing; one
 * entry per client).  The run also stops at max-requests (default
 * 1,000,000) or max-bytes uploaded (default 8 GiB), so it is bounded in
 * time, count and disk, and stops by itself.
 *
 * REST (the default): POST /data/<hex> and /locks/<hex>, and POST
 * /?create=true once at the start (which also warms the server's
 * credential cache, so that Argon2id is not part of the measurement).
 * --dav: PUT /data/<2 hex>/<hex> and /locks/<hex>, as a WebDAV server
 * with create_full_put_path must be asked to store restic's layout;
 * listings are GETs of the locks/ directory (nginx autoindex).
 *
 * Only http(s)://127.0.0.1 URLs are accepted: this is a benchmark for a
 * server on the same host, not a tool to load anything else.
 *
 * Output: one line per kind of request (count, rate, MB/s, latency p50,
 * p99, max, errors), and a last line "result key=value ..." for scripts.
 * Exit status 0, or 1 if a request failed or the arguments are wrong.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "crypto/crypto.h"
#include "util/warnp.h"

#define MAX_CLIENTS	1024
#define MAX_DURATION	600
#define MAX_SIZE	(256u << 20)
#define V2_ACCEPT	"Accept: application/vnd.x.restic.rest.v2"

/* Settings, from the command line. */
static struct {
	const char *url;	/* ends with '/' */
	const char *auth;	/* USER:SECRET or NULL */
	unsigned clients;
	size_t size;
	double duration;
	unsigned list_every;
	uint64_t max_requests;
	uint64_t max_bytes;
	int dav;
} opt = { NULL, NULL, 64, 64 * 1024, 20, 10, 1000000, 8ull << 30, 0 };

/* Shared while running. */
static atomic_uint_fast64_t nrequests, nbytes;
static atomic_int stop;
static double deadline;

/* Latencies (seconds) of one kind of request, grown as needed. */
struct lat {
	double *v;
	size_t n, cap;
	uint64_t errors;
};

struct client {
	pthread_t tid;
	unsigned id;
	uint64_t rng;
	CURL *h;
	uint8_t *buf;
	struct lat up, list;
	uint64_t bytes;
	int failed;		/* setup failed: no measurement */
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
}

/* splitmix64(s): next value of the SplitMix64 generator with state *s. */
static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* Fill buf with pseudo-random bytes (a new object each time). */
static void
fill(uint8_t *buf, size_t len, uint64_t *s)
{
	uint64_t v;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		v = splitmix64(s);
		memcpy(buf + i, &v, 8);
	}
	for (v = splitmix64(s); i < len; i++, v >>= 8)
		buf[i] = (uint8_t)v;
}

static int
lat_add(struct lat *l, double secs)
{
	double *nv;
	size_t nc;

	if (l->n == l->cap) {
		nc = l->cap ? 2 * l->cap : 4096;
		if ((nv = realloc(l->v, nc * sizeof(*nv))) == NULL)
			return (-1);
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n++] = secs;
	return (0);
}

static size_t
discard(char *p, size_t sz, size_t n, void *cookie)
{

	(void)p;
	(void)cookie;
	return (sz * n);
}

/*
 * One request on the client's connection: method, the path below the
 * repository URL, the body (NULL for none).  Returns the HTTP status, or
 * 0 on a transport error; *secs is how long it took.
 */
static long
request(struct client *c, const char *method, const char *path,
    const uint8_t *body, size_t len, double *secs)
{
	struct curl_slist *hdr = NULL;
	char url[1024];
	long status = 0;
	double t0;
	CURLcode cc;

	snprintf(url, sizeof(url), "%s%s", opt.url, path);
	curl_easy_reset(c->h);
	hdr = curl_slist_append(hdr, "Expect:");
	if (body == NULL)
		hdr = curl_slist_append(hdr, V2_ACCEPT);
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, discard);
	if (opt.auth != NULL) {
		curl_easy_setopt(c->h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c->h, CURLOPT_USERPWD, opt.auth);
	}
	if (body != NULL || strcmp(method, "POST") == 0) {
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS,
		    body != NULL ? (const char *)body : "");
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len);
		curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, method);
	}
	t0 = now();
	cc = curl_easy_perform(c->h);
	*secs = now() - t0;
	curl_slist_free_all(hdr);
	if (cc != CURLE_OK) {
		if (!atomic_load(&stop))
			warn0("%s %s: %s", method, url, curl_easy_strerror(cc));
		return (0);
	}
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
	return (status);
}

static int
ok_status(long st)
{

	return (st == 200 || st == 201 || st == 204);
}

/* Upload one new random object of opt.size bytes to dir ("data"...). */
static long
upload(struct client *c, const char *dir, size_t len, double *secs)
{
	uint8_t h[CRYPTO_HASH_LEN];
	char hex[2 * CRYPTO_HASH_LEN + 1], path[160];

	fill(c->buf, len, &c->rng);
	crypto_sha256(c->buf, len, h);
	hex_encode(h, sizeof(h), hex);
	if (opt.dav && strcmp(dir, "data") == 0)
		snprintf(path, sizeof(path), "data/%.2s/%s", hex, hex);
	else
		snprintf(path, sizeof(path), "%s/%s", dir, hex);
	return (request(c, opt.dav ? "PUT" : "POST", path, c->buf, len,
	    secs));
}

/* Whether the run is over; counts one more request if not. */
static int
over(void)
{

	if (atomic_load(&stop))
		return (1);
	if (now() >= deadline ||
	    atomic_fetch_add(&nrequests, 1) >= opt.max_requests ||
	    atomic_load(&nbytes) >= opt.max_bytes) {
		atomic_store(&stop, 1);
		return (1);
	}
	return (0);
}

static void *
client_main(void *cookie)
{
	struct client *c = cookie;
	unsigned k = 0;
	double secs;
	long st;

	while (!over()) {
		if (opt.list_every > 0 && k == opt.list_every) {
			k = 0;
			st = request(c, "GET", "locks/", NULL, 0, &secs);
			if (!ok_status(st))
				c->list.errors++;
			else if (lat_add(&c->list, secs))
				break;
			continue;
		}
		k++;
		st = upload(c, "data", opt.size, &secs);
		if (!ok_status(st)) {
			c->up.errors++;
			continue;
		}
		atomic_fetch_add(&nbytes, opt.size);
		c->bytes += opt.size;
		if (lat_add(&c->up, secs))
			break;
	}
	return (NULL);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

/* Merge the clients' latencies of one kind (off: which struct lat). */
static int
merge(struct client *cs, size_t off, struct lat *all)
{
	struct lat *l;
	unsigned i;

	memset(all, 0, sizeof(*all));
	for (i = 0; i < opt.clients; i++) {
		l = (struct lat *)(void *)((char *)&cs[i] + off);
		all->errors += l->errors;
		all->n += l->n;
	}
	if ((all->v = malloc((all->n + 1) * sizeof(double))) == NULL)
		return (-1);
	all->n = 0;
	for (i = 0; i < opt.clients; i++) {
		l = (struct lat *)(void *)((char *)&cs[i] + off);
		memcpy(all->v + all->n, l->v, l->n * sizeof(double));
		all->n += l->n;
	}
	qsort(all->v, all->n, sizeof(double), cmp_double);
	return (0);
}

/* The q-quantile of sorted latencies, in milliseconds. */
static double
quantile_ms(const struct lat *l, double q)
{
	size_t i;

	if (l->n == 0)
		return (0);
	i = (size_t)(q * (double)(l->n - 1) + 0.5);
	return (l->v[i] * 1e3);
}

static void
print_kind(const char *name, const struct lat *l, double secs, double mb)
{

	printf("  %-7s %8zu  %9.1f/s  %9.2f MB/s  p50 %8.2f ms  "
	    "p99 %8.2f ms  max %8.2f ms  errors %llu\n", name, l->n,
	    (double)l->n / secs, mb / secs, quantile_ms(l, 0.5),
	    quantile_ms(l, 0.99), quantile_ms(l, 1.0),
	    (unsigned long long)l->errors);
}

/* Report the run; 0, or 1 if any request failed. */
static int
report(struct client *cs, double secs)
{
	struct lat up, list;
	double mb = 0;
	unsigned i;
	int rc;

	for (i = 0; i < opt.clients; i++)
		mb += (double)cs[i].bytes / 1e6;
	if (merge(cs, offsetof(struct client, up), &up) ||
	    merge(cs, offsetof(struct client, list), &list)) {
		warnp("malloc");
		return (1);
	}
	printf("server_load: %s %s, %u clients, %zu-byte objects, "
	    "a listing every %u uploads, %.1f s\n", opt.dav ? "PUT" : "POST",
	    opt.url, opt.clients, opt.size, opt.list_every, secs);
	print_kind("uploads", &up, secs, mb);
	print_kind("lists", &list, secs, 0);
	printf("result uploads=%zu lists=%zu requests=%zu rps=%.1f "
	    "mbps=%.2f up_p50_ms=%.2f up_p99_ms=%.2f up_max_ms=%.2f "
	    "list_p50_ms=%.2f list_p99_ms=%.2f list_max_ms=%.2f errors=%llu "
	    "secs=%.2f\n", up.n, list.n,
	    up.n + list.n,
	    (double)(up.n + list.n) / secs, mb / secs, quantile_ms(&up, 0.5),
	    quantile_ms(&up, 0.99), quantile_ms(&up, 1.0),
	    quantile_ms(&list, 0.5), quantile_ms(&list, 0.99),
	    quantile_ms(&list, 1.0),
	    (unsigned long long)(up.errors + list.errors), secs);
	rc = (up.errors + list.errors > 0 || up.n == 0) ? 1 : 0;
	free(up.v);
	free(list.v);
	return (rc);
}

/* A size: N with an optional K, M or G suffix (powers of 1024). */
static int
parse_size(const char *s, uint64_t *v)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || end == s || s[0] == '-')
		return (-1);
	switch (*end) {
	case 'K': case 'k': n <<= 10; end++; break;
	case 'M': case 'm': n <<= 20; end++; break;
	case 'G': case 'g': n <<= 30; end++; break;
	default: break;
	}
	if (*end != '\0')
		return (-1);
	*v = n;
	return (0);
}

static void
usage(void)
{

	fprintf(stderr, "usage: server_load --url http://127.0.0.1:PORT/"
	    "USER/REPO/ [--auth USER:SECRET]\n"
	    "         [--clients N] [--size BYTES] [--duration SECS] "
	    "[--list-every K]\n"
	    "         [--max-requests N] [--max-bytes BYTES] [--dav]\n");
	exit(1);
}

static void
parse_args(int argc, char **argv)
{
	static char url[512];
	uint64_t v;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = (i + 1 < argc) ? argv[i + 1] :
		    NULL;

		if (strcmp(a, "--dav") == 0) {
			opt.dav = 1;
			continue;
		}
		if (val == NULL)
			usage();
		i++;
		if (strcmp(a, "--url") == 0)
			opt.url = val;
		else if (strcmp(a, "--auth") == 0)
			opt.auth = val;
		else if (parse_size(val, &v))
			usage();
		else if (strcmp(a, "--clients") == 0 && v >= 1 &&
		    v <= MAX_CLIENTS)
			opt.clients = (unsigned)v;
		else if (strcmp(a, "--size") == 0 && v >= 1 && v <= MAX_SIZE)
			opt.size = (size_t)v;
		else if (strcmp(a, "--duration") == 0 && v >= 1 &&
		    v <= MAX_DURATION)
			opt.duration = (double)v;
		else if (strcmp(a, "--list-every") == 0 && v <= 1000000)
			opt.list_every = (unsigned)v;
		else if (strcmp(a, "--max-requests") == 0 && v >= 1)
			opt.max_requests = v;
		else if (strcmp(a, "--max-bytes") == 0 && v >= 1)
			opt.max_bytes = v;
		else
			usage();
	}
	if (opt.url == NULL)
		usage();
	/* Loopback only. */
	if (strncmp(opt.url, "http://127.0.0.1:", 17) != 0 &&
	    strncmp(opt.url, "https://127.0.0.1:", 18) != 0) {
		warn0("only http(s)://127.0.0.1:PORT/... URLs are accepted");
		exit(1);
	}
	if (strlen(opt.url) + 2 > sizeof(url) || strchr(opt.url, '@')) {
		warn0("bad URL (credentials go in --auth)");
		exit(1);
	}
	snprintf(url, sizeof(url), "%s%s", opt.url,
	    opt.url[strlen(opt.url) - 1] == '/' ? "" : "/");
	opt.url = url;
}

/*
 * Set up client c: its connection, its buffer, and its own lock object
 * (so that the listings have one entry per client).  0 or -1 (reported).
 */
static int
client_setup(struct client *c, unsigned id)
{
	double secs;
	long st;

	c->id = id;
	crypto_random((uint8_t *)&c->rng, sizeof(c->rng));
	if ((c->h = curl_easy_init()) == NULL ||
	    (c->buf = malloc(opt.size < 4096 ? 4096 : opt.size)) == NULL) {
		warn0("client %u: out of memory", id);
		return (-1);
	}
	if (!ok_status(st = upload(c, "locks", 128, &secs))) {
		warn0("client %u: storing its lock: HTTP %ld", id, st);
		return (-1);
	}
	return (0);
}

int
main(int argc, char **argv)
{
	struct client *cs;
	double secs, t0;
	unsigned i, n = 0;
	int rc = 1;
	long st;

	warnp_setprogname("server_load");
	parse_args(argc, argv);
	if (crypto_init() || curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		warn0("initialization failed");
		return (1);
	}
	if ((cs = calloc(opt.clients, sizeof(*cs))) == NULL) {
		warnp("calloc");
		return (1);
	}
	/* The repository, once; this also warms the credential cache. */
	if ((cs[0].h = curl_easy_init()) == NULL)
		goto done;
	if (!opt.dav && !ok_status(st = request(&cs[0], "POST",
	    "?create=true", NULL, 0, &secs))) {
		warn0("POST %s?create=true: HTTP %ld", opt.url, st);
		goto done;
	}
	curl_easy_cleanup(cs[0].h);
	cs[0].h = NULL;
	for (i = 0; i < opt.clients; i++)
		if (client_setup(&cs[i], i))
			goto done;
	t0 = now();
	deadline = t0 + opt.duration;
	for (n = 0; n < opt.clients; n++)
		if ((errno = pthread_create(&cs[n].tid, NULL, client_main,
		    &cs[n])) != 0) {
			warnp("pthread_create");
			atomic_store(&stop, 1);
			break;
		}
	for (i = 0; i < n; i++)
		pthread_join(cs[i].tid, NULL);
	secs = now() - t0;
	if (n == opt.clients)
		rc = report(cs, secs);
done:
	for (i = 0; i < opt.clients; i++) {
		if (cs[i].h != NULL)
			curl_easy_cleanup(cs[i].h);
		free(cs[i].buf);
		free(cs[i].up.v);
		free(cs[i].list.v);
	}
	free(cs);
	curl_global_cleanup();
	return (rc);
}
