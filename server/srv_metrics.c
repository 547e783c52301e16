/*
 * Metrics: fixed arrays of atomic counters (no allocation on the request
 * path, no lock), and a renderer for the Prometheus text format.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/warnp.h"

#include "srv_config.h"
#include "srv_metrics.h"

/* Latency histogram bucket bounds, seconds (+Inf is implicit). */
static const double bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

static const char *route_names[ROUTE_N] = {
	"config", "keys", "data", "index", "snapshots", "locks", "list",
	"create", "metrics", "realm", "other"
};
static const char *method_names[METHOD_N] = {
	"HEAD", "GET", "POST", "DELETE", "other"
};
static const char *error_names[ERR_N] = {
	"auth", "forbidden", "bad_request", "hash_mismatch", "quota",
	"internal", "aborted", "http"
};
/* Status classes: 0 = none sent, 1..5 = 1xx..5xx. */
#define NCLASS 6
static const char *class_names[NCLASS] = {
	"none", "1xx", "2xx", "3xx", "4xx", "5xx"
};

typedef atomic_uint_fast64_t ctr;

struct srv_metrics {
	ctr requests[ROUTE_N][METHOD_N][NCLASS];
	ctr hist[ROUTE_N][NBOUNDS + 1];	/* non-cumulative */
	ctr hist_usec[ROUTE_N];		/* sum of durations */
	ctr bytes_in, bytes_out;
	ctr errors[ERR_N];
	atomic_int_fast64_t conns, inflight;
	time_t started;
};

const char *
srv_route_name(enum srv_route r)
{

	return ((unsigned)r < ROUTE_N ? route_names[r] : "other");
}

const char *
srv_method_name(enum srv_method m)
{

	return ((unsigned)m < METHOD_N ? method_names[m] : "other");
}

enum srv_method
srv_method_parse(const char *s)
{
	int i;

	for (i = 0; i < METHOD_OTHER; i++)
		if (strcmp(s, method_names[i]) == 0)
			return ((enum srv_method)i);
	return (METHOD_OTHER);
}

struct srv_metrics *
srv_metrics_new(void)
{
	struct srv_metrics *m;

	/* All-zero bytes are a valid zero for these lock-free atomics. */
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		warnp("calloc");
		return (NULL);
	}
	m->started = time(NULL);
	return (m);
}

void
srv_metrics_free(struct srv_metrics *m)
{

	free(m);
}

#define INC(c, n) atomic_fetch_add_explicit(&(c), (n), memory_order_relaxed)
#define GET(c) atomic_load_explicit(&(c), memory_order_relaxed)

void
srv_metrics_request(struct srv_metrics *m, enum srv_route r,
    enum srv_method meth, unsigned status, uint64_t in, uint64_t out,
    double secs)
{
	unsigned cls = (status >= 100 && status < 600) ? status / 100 : 0;
	size_t b;

	if ((unsigned)r >= ROUTE_N)
		r = ROUTE_OTHER;
	if ((unsigned)meth >= METHOD_N)
		meth = METHOD_OTHER;
	INC(m->requests[r][meth][cls], 1);
	INC(m->bytes_in, in);
	INC(m->bytes_out, out);
	for (b = 0; b < NBOUNDS && secs > bounds[b]; b++)
		continue;
	INC(m->hist[r][b], 1);
	if (secs > 0)
		INC(m->hist_usec[r], (uint64_t)(secs * 1e6));
}

void
srv_metrics_error(struct srv_metrics *m, enum srv_error e)
{

	if ((unsigned)e < ERR_N)
		INC(m->errors[e], 1);
}

void
srv_metrics_connections(struct srv_metrics *m, int delta)
{

	atomic_fetch_add_explicit(&m->conns, delta, memory_order_relaxed);
}

void
srv_metrics_inflight(struct srv_metrics *m, int delta)
{

	atomic_fetch_add_explicit(&m->inflight, delta, memory_order_relaxed);
}

int64_t
srv_metrics_inflight_now(struct srv_metrics *m)
{

	return (atomic_load_explicit(&m->inflight, memory_order_acquire));
}

static int
out(struct buf *b, const char *f, ...) __attribute__((format(printf, 2, 3)));

static int
out(struct buf *b, const char *f, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(line, sizeof(line), f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = (int)strlen(line);
	return (buf_append(b, line, (size_t)n));
}

/* Resident set size and open descriptors of this process (-1: unknown). */
static void
process_stats(long *rss, long *fds)
{
	long pages, resident;
	struct dirent *de;
	DIR *d;
	FILE *f;

	*rss = *fds = -1;
	if ((f = fopen("/proc/self/statm", "re")) != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &resident) == 2)
			*rss = resident * sysconf(_SC_PAGESIZE);
		fclose(f);
	}
	if ((d = opendir("/proc/self/fd")) != NULL) {
		/* Not counting ".", "..", and the listing's own descriptor. */
		for (*fds = -3; (de = readdir(d)) != NULL; (*fds)++)
			continue;
		closedir(d);
	}
}

static int
render_requests(struct srv_metrics *m, struct buf *b)
{
	size_t i, r, me, c;
	uint64_t v;

	if (out(b, "# HELP cofferd_requests_total HTTP requests by route, "
	    "method and status class.\n"
	    "# TYPE cofferd_requests_total counter\n"))
		return (-1);
	for (i = 0; i < (size_t)ROUTE_N * METHOD_N * NCLASS; i++) {
		r = i / (METHOD_N * NCLASS);
		me = (i / NCLASS) % METHOD_N;
		c = i % NCLASS;
		if ((v = GET(m->requests[r][me][c])) == 0)
			continue;
		if (out(b, "cofferd_requests_total{route=\"%s\",method=\"%s\","
		    "code=\"%s\"} %llu\n", route_names[r], method_names[me],
		    class_names[c], (unsigned long long)v))
			return (-1);
	}
	return (0);
}

static int
render_histogram(struct srv_metrics *m, struct buf *b)
{
	char le[32];
	uint64_t cum;
	size_t r, i;

	if (out(b, "# HELP cofferd_request_duration_seconds Time from the "
	    "request line to the end of the response, by route.\n"
	    "# TYPE cofferd_request_duration_seconds histogram\n"))
		return (-1);
	for (r = 0; r < ROUTE_N; r++) {
		for (cum = 0, i = 0; i <= NBOUNDS; i++)
			cum += GET(m->hist[r][i]);
		if (cum == 0)
			continue;
		for (cum = 0, i = 0; i <= NBOUNDS; i++) {
			cum += GET(m->hist[r][i]);
			if (i < NBOUNDS)
				snprintf(le, sizeof(le), "%g", bounds[i]);
			else
				snprintf(le, sizeof(le), "+Inf");
			if (out(b, "cofferd_request_duration_seconds_bucket"
			    "{route=\"%s\",le=\"%s\"} %llu\n",
			    route_names[r], le, (unsigned long long)cum))
				return (-1);
		}
		if (out(b, "cofferd_request_duration_seconds_sum{route=\"%s\"} "
		    "%.6f\n", route_names[r],
		    (double)GET(m->hist_usec[r]) / 1e6) ||
		    out(b, "cofferd_request_duration_seconds_count"
		    "{route=\"%s\"} %llu\n", route_names[r],
		    (unsigned long long)cum))
			return (-1);
	}
	return (0);
}

int
srv_metrics_render(struct srv_metrics *m, const char *extra, struct buf *b)
{
	long rss, fds;
	size_t i;

	if (render_requests(m, b) || render_histogram(m, b))
		return (-1);
	if (out(b, "# HELP cofferd_received_bytes_total Request body bytes "
	    "received.\n# TYPE cofferd_received_bytes_total counter\n"
	    "cofferd_received_bytes_total %llu\n",
	    (unsigned long long)GET(m->bytes_in)) ||
	    out(b, "# HELP cofferd_sent_bytes_total Response body bytes "
	    "sent.\n# TYPE cofferd_sent_bytes_total counter\n"
	    "cofferd_sent_bytes_total %llu\n",
	    (unsigned long long)GET(m->bytes_out)) ||
	    out(b, "# HELP cofferd_errors_total Failed requests by kind.\n"
	    "# TYPE cofferd_errors_total counter\n"))
		return (-1);
	for (i = 0; i < ERR_N; i++)
		if (out(b, "cofferd_errors_total{kind=\"%s\"} %llu\n",
		    error_names[i], (unsigned long long)GET(m->errors[i])))
			return (-1);
	process_stats(&rss, &fds);
	if (out(b, "# HELP cofferd_open_connections Client connections "
	    "open now.\n# TYPE cofferd_open_connections gauge\n"
	    "cofferd_open_connections %lld\n",
	    (long long)atomic_load(&m->conns)) ||
	    out(b, "# HELP cofferd_inflight_requests Requests being served "
	    "now.\n# TYPE cofferd_inflight_requests gauge\n"
	    "cofferd_inflight_requests %lld\n",
	    (long long)atomic_load(&m->inflight)) ||
	    out(b, "# HELP process_resident_memory_bytes Resident memory "
	    "size.\n# TYPE process_resident_memory_bytes gauge\n"
	    "process_resident_memory_bytes %ld\n", rss) ||
	    out(b, "# HELP process_open_fds Open file descriptors.\n"
	    "# TYPE process_open_fds gauge\nprocess_open_fds %ld\n", fds) ||
	    out(b, "# HELP process_start_time_seconds Start time, unix "
	    "seconds.\n# TYPE process_start_time_seconds gauge\n"
	    "process_start_time_seconds %lld\n", (long long)m->started) ||
	    out(b, "# HELP cofferd_build_info Version of this server.\n"
	    "# TYPE cofferd_build_info gauge\n"
	    "cofferd_build_info{version=\"%s\",protocol=\"%s\"} 1\n",
	    COFFERD_VERSION, COFFERD_PROTOCOL))
		return (-1);
	if (extra != NULL && buf_append(b, extra, strlen(extra)))
		return (-1);
	return (0);
}
