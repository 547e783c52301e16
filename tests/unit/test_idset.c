/*
 * The id set (lib/util/idset.c): membership through growth, ids that
 * share their first bytes (the hash), and iteration over every member.
 */
#include <stdint.h>
#include <string.h>

#include "util/idset.h"

#include "test.h"

static void
make(uint8_t id[32], uint32_t i, int collide)
{
	memset(id, 0, 32);
	/* collide: same first 8 bytes (same hash), differ at the end. */
	memcpy(collide ? id + 28 : id, &i, sizeof(i));
	id[31] ^= 0x5a;
}

static int
sum_cb(void *cookie, const uint8_t *id)
{
	uint64_t *sum = cookie;
	uint32_t v;

	memcpy(&v, id, sizeof(v));
	*sum += v;
	return (0);
}

static int
stop_cb(void *cookie, const uint8_t *id)
{
	(void)cookie;
	(void)id;
	return (7);
}

static void
test_add_has(void)
{
	struct idset *s = idset_new();
	uint8_t id[32];
	uint32_t i;
	uint64_t sum = 0;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	make(id, 1, 0);
	CHECK(!idset_has(s, id));
	CHECK(idset_foreach(s, stop_cb, NULL) == 0);
	for (i = 0; i < 100000; i++) {
		make(id, i, 0);
		CHECK(idset_add(s, id) == 1);
	}
	for (i = 0; i < 100000; i += 7) {
		make(id, i, 0);
		CHECK(idset_add(s, id) == 0);
		CHECK(idset_has(s, id));
	}
	make(id, 100000, 0);
	CHECK(!idset_has(s, id));
	CHECK(idset_count(s) == 100000);
	CHECK(idset_foreach(s, sum_cb, &sum) == 0);
	CHECK(sum == (uint64_t)99999 * 100000 / 2);
	CHECK(idset_foreach(s, stop_cb, NULL) == 7);
	idset_free(s);
	idset_free(NULL);
}

static void
test_collisions(void)
{
	struct idset *s = idset_new();
	uint8_t id[32];
	uint32_t i;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	for (i = 0; i < 3000; i++) {
		make(id, i, 1);
		CHECK(idset_add(s, id) == 1);
	}
	for (i = 0; i < 3000; i++) {
		make(id, i, 1);
		CHECK(idset_has(s, id));
	}
	make(id, 3000, 1);
	CHECK(!idset_has(s, id));
	CHECK(idset_count(s) == 3000);
	idset_free(s);
}

static void
test_map(void)
{
	struct idset *s = idset_new_map(sizeof(uint64_t));
	uint8_t id[32];
	uint64_t *v;
	uint32_t i;
	int ok = 1;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	make(id, 5, 0);
	CHECK(idset_value(s, id) == NULL);
	for (i = 0; i < 5000; i++) {
		make(id, i, i % 2);
		CHECK(idset_add(s, id) == 1);
		v = idset_value(s, id);
		CHECK(v != NULL && *v == 0);
		if (v != NULL)
			*v = (uint64_t)i * 3 + 1;
	}
	/* The values moved with their ids as the table grew. */
	for (i = 0; i < 5000; i++) {
		make(id, i, i % 2);
		v = idset_value(s, id);
		if (v == NULL || *v != (uint64_t)i * 3 + 1)
			ok = 0;
	}
	CHECK(ok);
	make(id, 5000, 0);
	CHECK(idset_value(s, id) == NULL);
	idset_free(s);
	s = idset_new();
	CHECK(s != NULL && idset_add(s, id) == 1 &&
	    idset_value(s, id) == NULL);
	idset_free(s);
}

int
main(void)
{

	RUN(test_add_has);
	RUN(test_collisions);
	RUN(test_map);
	return (TEST_EXIT());
}
