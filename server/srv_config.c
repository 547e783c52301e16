/*
 * Settings: one table maps each key to its field, type and bounds, so the
 * file parser, the command-line flags and the defaults all go through
 * srv_config_set and cannot disagree.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/warnp.h"

#include "srv_config.h"

/* K_LIST: a string to which each value is added, space-separated. */
enum kind { K_STR, K_LIST, K_SIZE, K_UINT, K_DUR, K_BOOL, K_METRICS };

static const struct setting {
	const char *key;
	enum kind kind;
	size_t off;
	uint64_t min, max;	/* for numbers */
	const char *dflt;
} settings[] = {
	{ "data", K_STR, offsetof(struct srv_config, data), 0, 0, NULL },
	{ "listen", K_STR, offsetof(struct srv_config, listen), 0, 0,
	    "127.0.0.1:8000" },
	{ "tls_cert", K_STR, offsetof(struct srv_config, tls_cert), 0, 0,
	    NULL },
	{ "tls_key", K_STR, offsetof(struct srv_config, tls_key), 0, 0,
	    NULL },
	{ "max_object_size", K_SIZE,
	    offsetof(struct srv_config, max_object_size), 1,
	    (uint64_t)1 << 40, "256M" },
	{ "max_connections", K_UINT,
	    offsetof(struct srv_config, max_connections), 1, 65536, "256" },
	{ "per_ip_connections", K_UINT,
	    offsetof(struct srv_config, per_ip_connections), 0, 65536, "64" },
	{ "connection_timeout", K_DUR,
	    offsetof(struct srv_config, connection_timeout), 1, 86400, "60" },
	{ "max_header_bytes", K_SIZE,
	    offsetof(struct srv_config, max_header_bytes), 4096,
	    16 << 20, "32K" },
	{ "threads", K_UINT, offsetof(struct srv_config, threads), 0, 1024,
	    "0" },
	{ "thread_per_connection", K_BOOL,
	    offsetof(struct srv_config, thread_per_connection), 0, 0, "yes" },
	{ "metrics_auth", K_METRICS,
	    offsetof(struct srv_config, metrics_auth), 0, 0, "loopback" },
	{ "metrics_user", K_STR, offsetof(struct srv_config, metrics_user),
	    0, 0, "metrics" },
	{ "shutdown_timeout", K_DUR,
	    offsetof(struct srv_config, shutdown_timeout), 0, 3600, "30" },
	{ "access_log", K_BOOL, offsetof(struct srv_config, access_log), 0, 0,
	    "on" },
	{ "recount_usage", K_BOOL, offsetof(struct srv_config, recount_usage),
	    0, 0, "on" },
	{ "realm", K_BOOL, offsetof(struct srv_config, realm), 0, 0, "off" },
	{ "jurisdiction", K_STR, offsetof(struct srv_config, jurisdiction),
	    0, 0, NULL },
	{ "log", K_STR, offsetof(struct srv_config, log), 0, 0, NULL },
	{ "log_interval", K_DUR, offsetof(struct srv_config, log_interval),
	    1, 3600, "1" },
	{ "log_witness", K_LIST, offsetof(struct srv_config, log_witness),
	    0, 0, NULL },
	{ "storage", K_STR, offsetof(struct srv_config, storage), 0, 0,
	    NULL },
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

/* Find a setting; '-' in key matches '_'.  NULL if none. */
static const struct setting *
lookup(const char *key)
{
	size_t i, j;
	const char *k;

	for (i = 0; i < NSETTINGS; i++) {
		k = settings[i].key;
		for (j = 0; k[j] != '\0'; j++)
			if (key[j] != k[j] && !(key[j] == '-' && k[j] == '_'))
				break;
		if (k[j] == '\0' && key[j] == '\0')
			return (&settings[i]);
	}
	return (NULL);
}

int
srv_config_is_key(const char *key)
{

	return (lookup(key) != NULL);
}

/* Digits, then an optional suffix; overflow and junk are errors. */
static int
parse_num(const char *s, uint64_t *v, const char **rest)
{
	uint64_t x = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return (-1);
	for (; *p >= '0' && *p <= '9'; p++) {
		if (x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return (-1);
		x = x * 10 + (uint64_t)(*p - '0');
	}
	*v = x;
	*rest = p;
	return (0);
}

int
srv_parse_size(const char *s, uint64_t *v)
{
	static const char units[] = "kmgt";
	const char *u, *r;
	uint64_t x;
	unsigned shift = 0;

	if (parse_num(s, &x, &r))
		return (-1);
	if (*r != '\0') {
		if ((u = strchr(units, r[0] | 0x20)) == NULL || r[0] == ' ')
			return (-1);
		shift = 10 * (unsigned)(u - units + 1);
		r++;
		/* "M", "MB", "MiB" all mean 2^20: there is no 10^6 here. */
		if (strcmp(r, "") != 0 && strcmp(r, "B") != 0 &&
		    strcmp(r, "iB") != 0 && strcmp(r, "b") != 0)
			return (-1);
	}
	if (shift > 0 && x > (UINT64_MAX >> shift))
		return (-1);
	*v = x << shift;
	return (0);
}

int
srv_parse_duration(const char *s, uint64_t *v)
{
	const char *r;
	uint64_t x, mul = 1;

	if (parse_num(s, &x, &r))
		return (-1);
	if (strcmp(r, "m") == 0 || strcmp(r, "min") == 0)
		mul = 60;
	else if (strcmp(r, "h") == 0)
		mul = 3600;
	else if (strcmp(r, "") != 0 && strcmp(r, "s") != 0)
		return (-1);
	if (x > UINT64_MAX / mul)
		return (-1);
	*v = x * mul;
	return (0);
}

static int
parse_bool(const char *s, int *b)
{
	static const char *yes[] = { "on", "yes", "true", "1" };
	static const char *no[] = { "off", "no", "false", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcmp(s, yes[i]) == 0) {
			*b = 1;
			return (0);
		}
		if (strcmp(s, no[i]) == 0) {
			*b = 0;
			return (0);
		}
	}
	return (-1);
}

static int
parse_metrics(const char *s, enum srv_metrics_auth *m)
{

	if (strcmp(s, "loopback") == 0)
		*m = METRICS_LOOPBACK;
	else if (strcmp(s, "auth") == 0)
		*m = METRICS_AUTH;
	else if (strcmp(s, "none") == 0)
		*m = METRICS_NONE;
	else if (strcmp(s, "off") == 0)
		*m = METRICS_OFF;
	else
		return (-1);
	return (0);
}

/* Apply one value to one setting.  0, or -1 if the value is invalid. */
static int
apply(struct srv_config *c, const struct setting *st, const char *value)
{
	char *field = (char *)c + st->off;
	const char *r;
	uint64_t v;
	char *s;
	int b;

	switch (st->kind) {
	case K_STR:
		if (value[0] == '\0') {
			s = NULL;
		} else if ((s = strdup(value)) == NULL) {
			warnp("strdup");
			return (-1);
		}
		free(*(char **)field);
		*(char **)field = s;
		return (0);
	case K_LIST:
		if (value[0] == '\0' || strchr(value, ' ') != NULL)
			return (-1);
		if (*(char **)field == NULL)
			s = strdup(value);
		else if (asprintf(&s, "%s %s", *(char **)field, value) < 0)
			s = NULL;
		if (s == NULL) {
			warnp("strdup");
			return (-1);
		}
		free(*(char **)field);
		*(char **)field = s;
		return (0);
	case K_BOOL:
		if (parse_bool(value, &b))
			return (-1);
		*(int *)field = b;
		return (0);
	case K_METRICS:
		return (parse_metrics(value,
		    (enum srv_metrics_auth *)(void *)field));
	case K_SIZE:
		if (srv_parse_size(value, &v))
			return (-1);
		break;
	case K_DUR:
		if (srv_parse_duration(value, &v))
			return (-1);
		break;
	case K_UINT:
		if (parse_num(value, &v, &r) || *r != '\0')
			return (-1);
		break;
	default:
		return (-1);
	}
	if (v < st->min || v > st->max)
		return (-1);
	if (st->kind == K_SIZE)
		*(uint64_t *)field = v;
	else
		*(unsigned *)field = (unsigned)v;
	return (0);
}

int
srv_config_set(struct srv_config *c, const char *key, const char *value,
    const char *where)
{
	const struct setting *st;

	if ((st = lookup(key)) == NULL) {
		warn0("%s: unknown setting \"%s\"", where, key);
		return (-1);
	}
	errno = 0;
	if (apply(c, st, value)) {
		if (errno != ENOMEM)
			warn0("%s: invalid value for %s: \"%s\"", where,
			    st->key, value);
		return (-1);
	}
	return (0);
}

int
srv_config_init(struct srv_config *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NSETTINGS; i++) {
		if (settings[i].dflt == NULL)
			continue;
		errno = 0;
		if (apply(c, &settings[i], settings[i].dflt)) {
			srv_config_release(c);
			return (-1);
		}
	}
	return (0);
}

void
srv_config_release(struct srv_config *c)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++) {
		if (settings[i].kind != K_STR && settings[i].kind != K_LIST)
			continue;
		free(*(char **)((char *)c + settings[i].off));
		*(char **)((char *)c + settings[i].off) = NULL;
	}
}

static int
isblank_c(char ch)
{

	return (ch == ' ' || ch == '\t' || ch == '\r');
}

/* Parse one line in place (line is NUL-terminated).  0 or -1. */
static int
parse_line(struct srv_config *c, char *line, const char *where)
{
	char *key, *val, *e;

	while (isblank_c(*line))
		line++;
	if (*line == '\0' || *line == '#')
		return (0);
	key = line;
	while (*line != '\0' && *line != '=' && !isblank_c(*line))
		line++;
	e = line;
	while (isblank_c(*line))
		line++;
	if (*line != '=' || e == key) {
		warn0("%s: expected \"key = value\"", where);
		return (-1);
	}
	*e = '\0';
	line++;
	while (isblank_c(*line))
		line++;
	val = line;
	if (*val == '"') {
		val++;
		if ((e = strchr(val, '"')) == NULL) {
			warn0("%s: unterminated quote", where);
			return (-1);
		}
		*e++ = '\0';
		while (isblank_c(*e))
			e++;
		if (*e != '\0' && *e != '#') {
			warn0("%s: text after the quoted value", where);
			return (-1);
		}
	} else {
		/* A comment starts at a '#' after blank space. */
		for (e = val; *e != '\0'; e++)
			if (*e == '#' && e > val && isblank_c(e[-1]))
				break;
		*e = '\0';
		while (e > val && isblank_c(e[-1]))
			*--e = '\0';
	}
	return (srv_config_set(c, key, val, where));
}

int
srv_config_parse(struct srv_config *c, const char *text, size_t len,
    const char *name)
{
	char where[PATH_MAX + 32];
	char *copy, *line, *nl;
	size_t lineno = 0;
	int rc = -1;

	if ((copy = malloc(len + 1)) == NULL) {
		warnp("malloc");
		return (-1);
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (strlen(copy) != len) {
		warn0("%s: contains a NUL byte", name);
		goto done;
	}
	for (line = copy; line != NULL; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		lineno++;
		snprintf(where, sizeof(where), "%s:%zu", name, lineno);
		if (parse_line(c, line, where))
			goto done;
	}
	rc = 0;
done:
	free(copy);
	return (rc);
}

int
srv_config_load(struct srv_config *c, const char *path)
{
	char *text = NULL;
	struct stat sb;
	ssize_t r;
	size_t got = 0;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		warnp("%s", path);
		return (-1);
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size > (1 << 20)) {
		warn0("%s: not a regular file of at most 1 MiB", path);
		goto done;
	}
	if ((text = malloc((size_t)sb.st_size + 1)) == NULL) {
		warnp("malloc");
		goto done;
	}
	while (got < (size_t)sb.st_size) {
		r = read(fd, text + got, (size_t)sb.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			warnp("read %s", path);
			goto done;
		}
		got += (size_t)r;
	}
	rc = srv_config_parse(c, text, got, path);
done:
	free(text);
	close(fd);
	return (rc);
}

int
srv_config_check(const struct srv_config *c)
{

	if (c->data == NULL) {
		warn0("no data directory (--data DIR or data = DIR)");
		return (-1);
	}
	if (c->listen == NULL) {
		warn0("no listen address (--listen HOST:PORT)");
		return (-1);
	}
	if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
		warn0("TLS needs both tls_cert and tls_key");
		return (-1);
	}
	if (c->metrics_auth != METRICS_NONE &&
	    c->metrics_auth != METRICS_OFF && c->metrics_user == NULL) {
		warn0("metrics_auth needs a metrics_user");
		return (-1);
	}
	if (c->realm && c->jurisdiction == NULL) {
		warn0("a realm must declare its jurisdiction "
		    "(--jurisdiction CODE, e.g. DE)");
		return (-1);
	}
	if (c->log_witness != NULL && c->log == NULL) {
		warn0("log_witness needs a log (--log ORIGIN)");
		return (-1);
	}
	return (0);
}

unsigned
srv_config_threads(const struct srv_config *c)
{
	long n;

	if (c->threads != 0)
		return (c->threads);
	if ((n = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		n = 1;
	if (n > 256)
		n = 256;
	return ((unsigned)n * 2);
}
