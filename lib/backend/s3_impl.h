#ifndef COFFER_S3_IMPL_H
#define COFFER_S3_IMPL_H

/*
 * The S3 client's private parts, shared by s3.c (requests) and s3_open.c
 * (location and credentials).  Not for use outside lib/backend/s3*.c.
 */

#include <pthread.h>

#define S3_MAX_RESPONSE	(1024u * 1024 * 1024)	/* one object, at most */
#define S3_MAX_LISTING	(16u * 1024 * 1024)	/* one listing page */
#define S3_MAX_KEY	1024			/* S3's own limit */
#define S3_URL_MAX	(4 * S3_MAX_KEY + 512)
#define S3_SECRET_MAX	256

struct s3 {
	char *host;		/* "http(s)://HOST[:PORT]" */
	char *bucket;
	char *prefix;		/* "" or "a/b/" */
	char *shown;		/* host/bucket/prefix/, for messages */
	char *ak;		/* access key id */
	char *sk;		/* secret key (sodium_malloc) */
	char *token;		/* "x-amz-security-token: ..." or NULL */
	char *cacert;
	char sigv4[96];		/* "aws:amz:REGION:s3" */
	char region[64];
	int retries;
	pthread_key_t key;	/* per-thread CURL handle */
};

/* s3_curl_init(): libcurl's global initialization, once.  0 or -1. */
int s3_curl_init(void);

/* s3_handle_free(h): the destructor of the per-thread handle key. */
void s3_handle_free(void *);

#endif
