/*
 * The S3 client's location and credentials: parsing
 * s3:http(s)://HOST[:PORT]/BUCKET[/PREFIX], reading AWS_* variables or a
 * shared credentials file, and the client's life cycle.  Secrets live in
 * sodium_malloc'd memory, wiped when freed, and never reach a message.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include "util/warnp.h"

#include "s3.h"
#include "s3_impl.h"

/* Trim blank space at both ends of s[0..*n); returns the new start. */
static char *
trim(char *s, size_t *n)
{

	while (*n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		(*n)--;
	}
	while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t' ||
	    s[*n - 1] == '\r'))
		(*n)--;
	return (s);
}

/* Copy v[0..n) into a new sodium_malloc'd string, or NULL. */
static char *
secret_dup(const char *v, size_t n)
{
	char *o;

	if (n >= S3_SECRET_MAX || (o = sodium_malloc(n + 1)) == NULL)
		return (NULL);
	memcpy(o, v, n);
	o[n] = '\0';
	return (o);
}

/*
 * Read AWS_PROFILE's section of the shared credentials file.  0 with
 * s->ak and s->sk set, 1 if the file or the profile is missing, -1.
 */
static int
profile_creds(struct s3 *s)
{
	const char *prof = getenv("AWS_PROFILE"), *file, *home;
	char path[4096], *text, *line, *next, *k, *v, *eq;
	size_t n, kl, vl, plen;
	int in = 0, rc = 1;
	FILE *f;

	if (prof == NULL || prof[0] == '\0')
		prof = "default";
	plen = strlen(prof);
	if ((file = getenv("AWS_SHARED_CREDENTIALS_FILE")) == NULL ||
	    file[0] == '\0') {
		if ((home = getenv("HOME")) == NULL)
			return (1);
		snprintf(path, sizeof(path), "%s/.aws/credentials", home);
		file = path;
	}
	if ((f = fopen(file, "re")) == NULL)
		return (1);
	if ((text = sodium_malloc(65537)) == NULL) {
		fclose(f);
		return (-1);
	}
	n = fread(text, 1, 65536, f);
	fclose(f);
	text[n] = '\0';
	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		n = strlen(line);
		line = trim(line, &n);
		line[n] = '\0';
		if (n == 0 || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[') {
			in = (n == plen + 2 && line[n - 1] == ']' &&
			    memcmp(line + 1, prof, plen) == 0);
			continue;
		}
		if (!in || (eq = strchr(line, '=')) == NULL)
			continue;
		kl = (size_t)(eq - line);
		k = trim(line, &kl);
		vl = strlen(eq + 1);
		v = trim(eq + 1, &vl);
		if (kl == 17 && memcmp(k, "aws_access_key_id", 17) == 0) {
			sodium_free(s->ak);
			s->ak = secret_dup(v, vl);
		} else if (kl == 21 &&
		    memcmp(k, "aws_secret_access_key", 21) == 0) {
			sodium_free(s->sk);
			s->sk = secret_dup(v, vl);
		} else if (kl == 17 && memcmp(k, "aws_session_token", 17) == 0) {
			free(s->token);
			if (asprintf(&s->token, "x-amz-security-token: %.*s",
			    (int)vl, v) < 0)
				s->token = NULL;
		}
	}
	if (s->ak != NULL && s->sk != NULL && s->ak[0] != '\0' &&
	    s->sk[0] != '\0')
		rc = 0;
	else if (getenv("AWS_PROFILE") != NULL)
		warn0("s3: profile %s in %s has no aws_access_key_id and "
		    "aws_secret_access_key", prof, file);
	sodium_memzero(text, 65537);
	sodium_free(text);
	return (rc);
}

static int
load_creds(struct s3 *s)
{
	const char *ak = getenv("AWS_ACCESS_KEY_ID");
	const char *sk = getenv("AWS_SECRET_ACCESS_KEY");
	const char *tok = getenv("AWS_SESSION_TOKEN");
	int rc;

	if (ak != NULL && sk != NULL && ak[0] != '\0' && sk[0] != '\0') {
		if ((s->ak = secret_dup(ak, strlen(ak))) == NULL ||
		    (s->sk = secret_dup(sk, strlen(sk))) == NULL) {
			warn0("s3: credentials too long");
			return (-1);
		}
		if (tok != NULL && tok[0] != '\0' &&
		    asprintf(&s->token, "x-amz-security-token: %s", tok) < 0) {
			s->token = NULL;
			return (-1);
		}
		return (0);
	}
	if ((rc = profile_creds(s)) == 1)
		warn0("s3: no credentials: set AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY, or a profile (AWS_PROFILE) in "
		    "~/.aws/credentials");
	return (rc == 0 ? 0 : -1);
}

static int
valid_bucket(const char *b, size_t n)
{
	size_t i;

	if (n < 3 || n > 63 || b[0] == '.' || b[0] == '-' ||
	    b[n - 1] == '.' || b[n - 1] == '-')
		return (0);
	for (i = 0; i < n; i++)
		if (!((b[i] >= 'a' && b[i] <= 'z') ||
		    (b[i] >= '0' && b[i] <= '9') || b[i] == '-' ||
		    b[i] == '.' || b[i] == '_'))
			return (0);
	return (1);
}

/* A prefix with no empty, "." or ".." segment, no control byte. */
static int
valid_prefix(const char *p)
{
	const char *seg = p, *e;
	size_t n;

	for (e = p; *e != '\0'; e++)
		if ((unsigned char)*e < 0x20 || *e == 0x7f || *e == '\\')
			return (0);
	while (*seg != '\0') {
		n = strcspn(seg, "/");
		if (n == 0 || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return (0);
		seg += n;
		if (*seg == '/')
			seg++;
	}
	return (1);
}

static int
parse_location(struct s3 *s, const char *loc)
{
	const char *rest, *slash, *b, *p;
	const char *scheme = "https://";
	size_t hl, bl, pl;

	if (strncmp(loc, "http://", 7) == 0) {
		scheme = "http://";
		loc += 7;
	} else if (strncmp(loc, "https://", 8) == 0)
		loc += 8;
	else if (strstr(loc, "://") != NULL) {
		warn0("s3: the location must start with http:// or https://");
		return (-1);
	}
	if ((slash = strchr(loc, '/')) == NULL || slash == loc) {
		warn0("s3: the location must be s3:http(s)://HOST[:PORT]/"
		    "BUCKET[/PREFIX]");
		return (-1);
	}
	hl = (size_t)(slash - loc);
	if (memchr(loc, '@', hl) != NULL) {
		warn0("s3: no credentials in the location: use "
		    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
		return (-1);
	}
	b = slash + 1;
	bl = strcspn(b, "/");
	if (!valid_bucket(b, bl)) {
		warn0("s3: \"%.*s\" is not a valid bucket name (3 to 63 of "
		    "a-z 0-9 . - _)", (int)(bl < 64 ? bl : 64), b);
		return (-1);
	}
	rest = b + bl;
	while (*rest == '/')
		rest++;
	pl = strlen(rest);
	while (pl > 0 && rest[pl - 1] == '/')
		pl--;
	p = rest;
	if (asprintf(&s->host, "%s%.*s", scheme, (int)hl, loc) < 0 ||
	    asprintf(&s->bucket, "%.*s", (int)bl, b) < 0 ||
	    asprintf(&s->prefix, "%.*s%s", (int)pl, p, pl ? "/" : "") < 0) {
		warn0("out of memory");
		return (-1);
	}
	if (pl > 512 || !valid_prefix(s->prefix)) {
		warn0("s3: the prefix \"%.*s\" is not valid (no empty, . or "
		    ".. segments, no control characters)", (int)(pl < 100 ?
		    pl : 100), p);
		return (-1);
	}
	if (asprintf(&s->shown, "s3:%s/%s/%s", s->host, s->bucket,
	    s->prefix) < 0) {
		s->shown = NULL;
		return (-1);
	}
	return (0);
}

void
s3_free(struct s3 *s)
{
	CURL *h;

	if (s == NULL)
		return;
	if ((h = pthread_getspecific(s->key)) != NULL) {
		curl_easy_cleanup(h);
		pthread_setspecific(s->key, NULL);
	}
	pthread_key_delete(s->key);
	sodium_free(s->ak);
	sodium_free(s->sk);
	if (s->token != NULL) {
		sodium_memzero(s->token, strlen(s->token));
		free(s->token);
	}
	free(s->host);
	free(s->bucket);
	free(s->prefix);
	free(s->shown);
	free(s->cacert);
	free(s);
}

int
s3_open(const char *loc, struct s3 **out)
{
	const char *e;
	struct s3 *s;

	*out = NULL;
	if (sodium_init() < 0) {	/* sodium_malloc needs it */
		warn0("libsodium initialization failed");
		return (-1);
	}
	if (s3_curl_init())
		return (-1);
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		warnp("calloc");
		return (-1);
	}
	if (pthread_key_create(&s->key, s3_handle_free) != 0) {
		free(s);
		warn0("pthread_key_create failed");
		return (-1);
	}
	e = getenv("COFFER_S3_RETRIES");
	s->retries = (e != NULL && e[0] != '\0') ? atoi(e) : 8;
	if (s->retries < 0 || s->retries > 20)
		s->retries = 8;
	if ((e = getenv("AWS_REGION")) == NULL || e[0] == '\0')
		e = getenv("AWS_DEFAULT_REGION");
	if (e == NULL || e[0] == '\0')
		e = "us-east-1";
	if (strlen(e) >= sizeof(s->region) || strchr(e, ':') != NULL) {
		warn0("s3: region \"%.64s\" is not valid", e);
		goto fail;
	}
	snprintf(s->region, sizeof(s->region), "%s", e);
	snprintf(s->sigv4, sizeof(s->sigv4), "aws:amz:%s:s3", s->region);
	if ((e = getenv("COFFER_CACERT")) != NULL && e[0] != '\0' &&
	    (s->cacert = strdup(e)) == NULL)
		goto fail;
	if (parse_location(s, loc) || load_creds(s))
		goto fail;
	*out = s;
	return (0);
fail:
	s3_free(s);
	return (-1);
}
