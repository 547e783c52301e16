#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/s3.h"
#include "util/buf.h"

/*
 * s3_list_parse on untrusted bytes (a ListObjectsV2 answer from an S3
 * service).  A refusal must leave the page empty.  An accepted page must
 * hold non-empty keys, and survive a round trip: written back as XML
 * (every byte that needs it as a numeric reference) and parsed again, it
 * must give the same keys, sizes, IsTruncated and continuation token.
 * Any difference aborts, so the fuzzer keeps the input.
 */

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Append s as XML text: markup characters and controls as &#N;. */
static int
put_text(struct buf *b, const char *s)
{
	char ref[16];
	const unsigned char *u;

	for (u = (const unsigned char *)s; *u != '\0'; u++) {
		if (*u == '<' || *u == '&' || *u == '>' || *u == '"' ||
		    *u == '\'' || *u < 0x20) {
			snprintf(ref, sizeof(ref), "&#%u;", *u);
			if (buf_append(b, ref, strlen(ref)))
				return (-1);
		} else if (buf_append(b, u, 1))
			return (-1);
	}
	return (0);
}

static int
put_str(struct buf *b, const char *s)
{

	return (buf_append(b, s, strlen(s)));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct s3_page pg, again;
	struct buf b = BUF_INIT;
	char num[32];
	size_t i;

	if (s3_list_parse((const char *)data, len, &pg) != 0) {
		if (pg.n != 0 || pg.v != NULL || pg.next != NULL)
			abort();
		return (0);
	}
	if (put_str(&b, "<?xml version=\"1.0\"?><ListBucketResult>"
	    "<IsTruncated>") || put_str(&b, pg.truncated ? "true" : "false") ||
	    put_str(&b, "</IsTruncated>"))
		abort();
	for (i = 0; i < pg.n; i++) {
		if (pg.v[i].key == NULL || pg.v[i].key[0] == '\0')
			abort();
		snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)pg.v[i].size);
		if (put_str(&b, "<Contents><Key>") ||
		    put_text(&b, pg.v[i].key) || put_str(&b, "</Key><Size>") ||
		    put_str(&b, num) || put_str(&b, "</Size></Contents>"))
			abort();
	}
	if (pg.next != NULL && (put_str(&b, "<NextContinuationToken>") ||
	    put_text(&b, pg.next) || put_str(&b, "</NextContinuationToken>")))
		abort();
	if (put_str(&b, "</ListBucketResult>"))
		abort();
	if (s3_list_parse((const char *)b.data, b.len, &again) != 0 ||
	    again.n != pg.n || again.truncated != pg.truncated ||
	    (again.next == NULL) != (pg.next == NULL) ||
	    (pg.next != NULL && strcmp(again.next, pg.next) != 0))
		abort();
	for (i = 0; i < pg.n; i++)
		if (strcmp(again.v[i].key, pg.v[i].key) != 0 ||
		    again.v[i].size != pg.v[i].size)
			abort();
	s3_page_release(&again);
	s3_page_release(&pg);
	buf_release(&b);
	return (0);
}
