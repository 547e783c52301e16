/*
 * The S3 client's text side: ListObjectsV2 answers with tricky keys (every
 * XML entity, numeric references, keys that look like markup, UTF-8),
 * continuation tokens, and the malformed documents that must be refused;
 * S3's URI encoding; error codes.
 */
#include <stdint.h>

#include "backend/s3.h"
#include "test.h"

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
#define TAIL "</ListBucketResult>"
#define ENTRY(k, s) "<Contents><Key>" k "</Key><LastModified>2026-01-01T00" \
	":00:00.000Z</LastModified><ETag>&quot;d41d8cd98f00b204e9800998ecf8" \
	"427e&quot;</ETag><Size>" s "</Size><Owner><ID>x</ID><DisplayName>" \
	"<Key>not this</Key></DisplayName></Owner><StorageClass>STANDARD" \
	"</StorageClass></Contents>"

static int
parse(const char *xml, struct s3_page *pg)
{

	return (s3_list_parse(xml, strlen(xml), pg));
}

static void
test_list_plain(void)
{
	struct s3_page pg;

	CHECK(parse(HEAD "<Name>b</Name><Prefix>p/</Prefix><KeyCount>2"
	    "</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false"
	    "</IsTruncated>" ENTRY("p/a", "0") ENTRY("p/b", "18446744073709551615")
	    TAIL, &pg) == 0);
	CHECK(pg.n == 2 && !pg.truncated && pg.next == NULL);
	if (pg.n == 2) {
		CHECK(strcmp(pg.v[0].key, "p/a") == 0 && pg.v[0].size == 0);
		CHECK(strcmp(pg.v[1].key, "p/b") == 0 &&
		    pg.v[1].size == UINT64_MAX);
	}
	s3_page_release(&pg);
	CHECK(pg.n == 0 && pg.v == NULL);

	/* An empty listing, with an empty element and blank space. */
	CHECK(parse("  " HEAD "\n<Prefix/><IsTruncated>false</IsTruncated>\n"
	    TAIL "\n", &pg) == 0);
	CHECK(pg.n == 0 && !pg.truncated);
	s3_page_release(&pg);
}

static void
test_list_tricky_keys(void)
{
	struct s3_page pg;
	static const char *want[] = {
		"a&b",
		"<Key>x</Key>",
		"q\"u'o>te",
		"\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80",	/* été, U+1F600 */
		"tab\there\nnl",
		"&amp;",
		"sp ace/  /]]>"
	};
	size_t i;

	CHECK(parse(HEAD "<IsTruncated>true</IsTruncated>"
	    ENTRY("a&amp;b", "1")
	    ENTRY("&lt;Key&gt;x&lt;/Key&gt;", "2")
	    ENTRY("q&quot;u&apos;o>te", "3")
	    ENTRY("\xc3\xa9t&#xE9; &#x1F600;", "4")
	    ENTRY("tab&#9;here&#10;nl", "5")
	    ENTRY("&amp;amp;", "6")
	    ENTRY("sp ace/  /]]&gt;", "7")
	    "<NextContinuationToken>1/a+b=&amp;c&#61;</NextContinuationToken>"
	    TAIL, &pg) == 0);
	CHECK(pg.n == sizeof(want) / sizeof(want[0]));
	CHECK(pg.truncated);
	CHECK(pg.next != NULL && strcmp(pg.next, "1/a+b=&c=") == 0);
	for (i = 0; i < pg.n && i < sizeof(want) / sizeof(want[0]); i++) {
		if (i == 3) {
			/* é written raw and as a reference: both UTF-8. */
			CHECK(strcmp(pg.v[i].key, "\xc3\xa9t\xc3\xa9 "
			    "\xf0\x9f\x98\x80") == 0);
			continue;
		}
		CHECK(strcmp(pg.v[i].key, want[i]) == 0);
		CHECK(pg.v[i].size == i + 1);
	}
	s3_page_release(&pg);
}

static void
test_list_malformed(void)
{
	static const char *bad[] = {
		"",
		"not xml",
		HEAD,					/* unclosed root */
		HEAD TAIL TAIL,
		HEAD TAIL HEAD TAIL,			/* two roots */
		"<Error><Code>x</Code></Error>",	/* not a listing */
		HEAD "<Contents><Key>a</Key></Contents>" TAIL,	/* no Size */
		HEAD "<Contents><Size>1</Size></Contents>" TAIL, /* no Key */
		HEAD "<Contents><Key>a</Key><Key>b</Key><Size>1</Size>"
		    "</Contents>" TAIL,			/* two Keys */
		HEAD "<Contents><Key></Key><Size>1</Size></Contents>" TAIL,
		HEAD "<Contents><Key>a<b/></Key><Size>1</Size></Contents>"
		    TAIL,				/* markup in a key */
		HEAD "<Contents><Key>a</Size><Size>1</Size></Contents>" TAIL,
		HEAD "<Contents><Key>a</Key><Size>-1</Size></Contents>" TAIL,
		HEAD "<Contents><Key>a</Key><Size>18446744073709551616</Size>"
		    "</Contents>" TAIL,			/* 2^64 */
		HEAD "<Contents><Key>a</Key><Size>1x</Size></Contents>" TAIL,
		HEAD "<Contents><Key>a&bogus;</Key><Size>1</Size></Contents>"
		    TAIL,
		HEAD "<Contents><Key>a&amp</Key><Size>1</Size></Contents>"
		    TAIL,				/* no ';' */
		HEAD "<Contents><Key>&#0;</Key><Size>1</Size></Contents>" TAIL,
		HEAD "<Contents><Key>&#xD800;</Key><Size>1</Size></Contents>"
		    TAIL,				/* surrogate */
		HEAD "<Contents><Key>&#x110000;</Key><Size>1</Size>"
		    "</Contents>" TAIL,
		HEAD "<Contents><Key>&#x;</Key><Size>1</Size></Contents>" TAIL,
		HEAD "<IsTruncated>maybe</IsTruncated>" TAIL,
		HEAD "<NextContinuationToken></NextContinuationToken>" TAIL,
		"<!DOCTYPE x [<!ENTITY e \"k\">]>" HEAD TAIL,
		HEAD "<Contents><Key><![CDATA[a]]></Key><Size>1</Size>"
		    "</Contents>" TAIL,
		HEAD "<Contents><Key>a</Key><Size>1</Size></Contents" TAIL,
		HEAD "<Contents a=\"x>" TAIL,		/* unclosed quote */
		HEAD "<!-- unterminated" TAIL,
		HEAD "<?pi?>" TAIL,			/* PI inside */
		"x" HEAD TAIL,				/* text before root */
		HEAD TAIL "x",				/* text after */
		HEAD "<a><b><c><d><e><f><g><h><i><j><k><l><m><n><o><p><q>"
		    "</q></p></o></n></m></l></k></j></i></h></g></f></e>"
		    "</d></c></b></a>" TAIL,		/* too deep */
	};
	struct s3_page pg;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &pg) != -1) {
			fprintf(stderr, "  accepted bad document %zu\n", i);
			test_failed_now = 1;
		}
		CHECK(pg.n == 0 && pg.v == NULL && pg.next == NULL);
	}
	/* Lengths are honoured: a NUL or a cut document is refused. */
	CHECK(s3_list_parse(HEAD TAIL, strlen(HEAD TAIL) - 1, &pg) == -1);
	CHECK(s3_list_parse(HEAD "\0" TAIL, strlen(HEAD) + 1 + strlen(TAIL),
	    &pg) == -1);
	/* Comments and attributes with '>' inside quotes are fine. */
	CHECK(parse(HEAD "<!-- <Contents> -->" "<Contents x=\"a>b\">"
	    "<Key>k</Key><Size>9</Size></Contents>" TAIL, &pg) == 0);
	CHECK(pg.n == 1 && pg.v != NULL && strcmp(pg.v[0].key, "k") == 0);
	s3_page_release(&pg);
}

static void
test_unescape(void)
{
	char *o;

	CHECK(s3_xml_unescape("a&lt;&gt;&amp;&quot;&apos;z", 27, &o) == 0);
	CHECK(o != NULL && strcmp(o, "a<>&\"'z") == 0);
	free(o);
	CHECK(s3_xml_unescape("&#65;&#x42;&#X43;", 17, &o) == -1);
	CHECK(s3_xml_unescape("&#65;&#x42;&#x7f;", 17, &o) == 0);
	CHECK(o != NULL && strcmp(o, "AB\x7f") == 0);
	free(o);
	CHECK(s3_xml_unescape("&#x800;&#xFFFF;", 15, &o) == 0);
	CHECK(o != NULL && strcmp(o, "\xe0\xa0\x80\xef\xbf\xbf") == 0);
	free(o);
	CHECK(s3_xml_unescape("a<b", 3, &o) == -1 && o == NULL);
	CHECK(s3_xml_unescape("&#123456789;", 12, &o) == -1);
}

static void
test_uri_encode(void)
{
	char out[64];

	CHECK(s3_uri_encode("aZ09-_.~/x", 1, out, sizeof(out)) == 0);
	CHECK(strcmp(out, "aZ09-_.~/x") == 0);
	CHECK(s3_uri_encode("a/b c+d=e&f", 0, out, sizeof(out)) == 0);
	CHECK(strcmp(out, "a%2Fb%20c%2Bd%3De%26f") == 0);
	CHECK(s3_uri_encode("\xc3\xa9*%", 1, out, sizeof(out)) == 0);
	CHECK(strcmp(out, "%C3%A9%2A%25") == 0);
	CHECK(s3_uri_encode("abc", 1, out, 4) == 0);
	CHECK(s3_uri_encode("abcd", 1, out, 4) == -1);
	CHECK(s3_uri_encode(" ", 1, out, 3) == -1);
	CHECK(s3_uri_encode(" ", 1, out, 4) == 0 && strcmp(out, "%20") == 0);
}

static void
test_error_code(void)
{
	char c[32];
	const char *e = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket"
	    "</Code><BucketName>b</BucketName></Error>";

	s3_error_code(e, strlen(e), c, sizeof(c));
	CHECK(strcmp(c, "NoSuchBucket") == 0);
	s3_error_code(e, 30, c, sizeof(c));		/* cut short */
	CHECK(c[0] == '\0');
	s3_error_code("<Code>a b</Code>", 16, c, sizeof(c));
	CHECK(c[0] == '\0');
	s3_error_code("<Code>Way2LongForTheBufferGiven1234</Code>", 41, c,
	    sizeof(c));
	CHECK(c[0] == '\0');
}

int
main(void)
{

	RUN(test_list_plain);
	RUN(test_list_tricky_keys);
	RUN(test_list_malformed);
	RUN(test_unescape);
	RUN(test_uri_encode);
	RUN(test_error_code);
	return (TEST_EXIT());
}
