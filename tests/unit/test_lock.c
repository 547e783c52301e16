/*
 * When a lock is stale (lib/repo/lock.c, lock_stale): as restic, one not
 * refreshed for 30 minutes, or one of this host whose process is gone.
 */
#include <sys/wait.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repo/lock.h"
#include "util/sysinfo.h"

#include "test.h"

#define NOW	1800000000LL

/* A pid that no process has: a child that has exited and been reaped. */
static pid_t
dead_pid(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	if (p > 0)
		waitpid(p, NULL, 0);
	return (p);
}

static void
test_age(void)
{
	char host[256] = "";

	sysinfo_host(host, sizeof(host));
	/* Other hosts: by age alone, whatever the pid. */
	CHECK(!lock_stale(NOW, "elsewhere", 1, NOW));
	CHECK(!lock_stale(NOW - LOCK_STALE_SECS, "elsewhere", 1, NOW));
	CHECK(lock_stale(NOW - LOCK_STALE_SECS - 1, "elsewhere", 1, NOW));
	CHECK(lock_stale(NOW - 86400, "elsewhere", 1, NOW));
	/* A lock from the future is not stale (the clocks disagree). */
	CHECK(!lock_stale(NOW + 3600, "elsewhere", 1, NOW));
	/* This host, live process: by age too. */
	CHECK(!lock_stale(NOW - 60, host, getpid(), NOW));
	CHECK(lock_stale(NOW - LOCK_STALE_SECS - 1, host, getpid(), NOW));
}

static void
test_pid(void)
{
	char host[256] = "";
	pid_t p = dead_pid();

	sysinfo_host(host, sizeof(host));
	CHECK(p > 0);
	/* This host, process gone: stale at once. */
	CHECK(lock_stale(NOW, host, p, NOW));
	/* Another host's pid says nothing about this host's processes. */
	CHECK(!lock_stale(NOW, "elsewhere", p, NOW));
	/* No pid, or nonsense: not judged by pid. */
	CHECK(!lock_stale(NOW, host, 0, NOW));
	CHECK(!lock_stale(NOW, host, -5, NOW));
	CHECK(!lock_stale(NOW, host, (int64_t)1 << 40, NOW));
	/* pid 1 exists (kill may say EPERM, which is not "gone"). */
	CHECK(!lock_stale(NOW, host, 1, NOW));
}

int
main(void)
{

	RUN(test_age);
	RUN(test_pid);
	return (TEST_EXIT());
}
