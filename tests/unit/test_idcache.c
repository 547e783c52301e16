/*
 * The id cache (lib/engine/idcache.c): one load per id however many
 * threads ask, LRU eviction within the byte and entry bounds, pinned
 * objects kept, failures not remembered.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/idcache.h"

#include "test.h"

#define OBJ	1000	/* bytes charged per test object */

static int nloads;
static int fail_next;
static int slow;
static pthread_mutex_t lmu = PTHREAD_MUTEX_INITIALIZER;

/* Objects are a copy of the id's first byte, repeated. */
static int
load(void *cookie, const uint8_t id[32], void **val, size_t *size)
{
	uint8_t *p;

	pthread_mutex_lock(&lmu);
	nloads++;
	if (fail_next) {
		fail_next = 0;
		pthread_mutex_unlock(&lmu);
		return (1);
	}
	pthread_mutex_unlock(&lmu);
	if (slow)
		usleep(50000);
	if ((p = malloc(OBJ)) == NULL)
		return (-1);
	memset(p, id[0], OBJ);
	*val = p;
	*size = OBJ;
	return (0);
}

static void
mkid(uint8_t id[32], int n)
{

	memset(id, 0, 32);
	id[0] = (uint8_t)n;
	id[9] = (uint8_t)(n * 7);
}

/* get and put id n; 1 if the object is right. */
static int
touch(struct idcache *c, int n)
{
	struct idcache_ent *e;
	uint8_t id[32];
	int ok;

	mkid(id, n);
	if (idcache_get(c, id, &e) != 0)
		return (0);
	ok = idcache_size(e) == OBJ &&
	    ((uint8_t *)idcache_val(e))[OBJ - 1] == (uint8_t)n;
	idcache_put(c, e);
	return (ok);
}

static int
has(struct idcache *c, int n)
{
	uint8_t id[32];

	mkid(id, n);
	return (idcache_has(c, id));
}

static void
test_load_once(void)
{
	struct idcache *c = idcache_new(1 << 20, 100, load, free, NULL);
	struct idcache_stats st;

	nloads = 0;
	CHECK(c != NULL);
	CHECK(touch(c, 1));
	CHECK(touch(c, 1));
	CHECK(touch(c, 2));
	CHECK(nloads == 2);
	idcache_stats(c, &st);
	CHECK(st.hits == 1 && st.misses == 2 && st.entries == 2);
	idcache_free(c);
}

static void
test_lru_bytes(void)
{
	/* Room for two objects and their overhead, not three. */
	struct idcache *c = idcache_new(2 * OBJ + 400, 100, load, free, NULL);

	CHECK(touch(c, 1) && touch(c, 2) && touch(c, 3));
	CHECK(!has(c, 1) && has(c, 2) && has(c, 3));
	/* 2 is used again: 3 is now the oldest. */
	CHECK(touch(c, 2) && touch(c, 4));
	CHECK(has(c, 2) && !has(c, 3) && has(c, 4));
	idcache_free(c);
}

static void
test_lru_entries(void)
{
	struct idcache *c = idcache_new(1 << 20, 3, load, free, NULL);
	int i;

	for (i = 1; i <= 5; i++)
		CHECK(touch(c, i));
	CHECK(!has(c, 1) && !has(c, 2) && has(c, 3) && has(c, 5));
	idcache_free(c);
}

static void
test_pinned_kept(void)
{
	struct idcache *c = idcache_new(OBJ, 100, load, free, NULL);
	struct idcache_ent *e;
	uint8_t id[32];

	mkid(id, 7);
	CHECK(idcache_get(c, id, &e) == 0);
	CHECK(touch(c, 8) && touch(c, 9));
	CHECK(has(c, 7));
	CHECK(((uint8_t *)idcache_val(e))[0] == 7);
	idcache_put(c, e);
	/* Unpinned and over the bound: gone at the next eviction. */
	CHECK(touch(c, 10));
	CHECK(!has(c, 7));
	idcache_free(c);
}

static void
test_failure_not_kept(void)
{
	struct idcache *c = idcache_new(1 << 20, 100, load, free, NULL);
	struct idcache_ent *e;
	uint8_t id[32];

	nloads = 0;
	fail_next = 1;
	mkid(id, 5);
	CHECK(idcache_get(c, id, &e) == 1);
	CHECK(e == NULL);
	CHECK(!has(c, 5));
	CHECK(touch(c, 5));
	CHECK(nloads == 2);
	idcache_free(c);
}

static struct idcache *shared;
static int thread_ok[8];

static void *
getter(void *arg)
{
	int *ok = arg;

	*ok = touch(shared, 42);
	return (NULL);
}

static void
test_concurrent_single_load(void)
{
	struct idcache_stats st;
	pthread_t t[8];
	int i;

	shared = idcache_new(1 << 20, 100, load, free, NULL);
	nloads = 0;
	slow = 1;
	for (i = 0; i < 8; i++)
		CHECK(pthread_create(&t[i], NULL, getter, &thread_ok[i]) == 0);
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		CHECK(thread_ok[i]);
	}
	slow = 0;
	CHECK(nloads == 1);
	idcache_stats(shared, &st);
	CHECK(st.misses == 1 && st.hits + st.waits == 7);
	idcache_free(shared);
}

int
main(void)
{

	RUN(test_load_once);
	RUN(test_lru_bytes);
	RUN(test_lru_entries);
	RUN(test_pinned_kept);
	RUN(test_failure_not_kept);
	RUN(test_concurrent_single_load);
	return (TEST_EXIT());
}
