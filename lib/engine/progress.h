#ifndef COFFER_PROGRESS_H
#define COFFER_PROGRESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * A progress line on a terminal: files and bytes done, rate, and an ETA
 * from a scanner thread that sizes the job (lstat only) meanwhile.
 */
struct progress {
	_Atomic uint64_t files, bytes;
	_Atomic uint64_t total_files, total_bytes;
	_Atomic int scanned;
	int on;
	int stop;
	pthread_t thr, scan_thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct timespec t0;
	char **paths, **excl;
	size_t npaths, nexcl;
};

/*
 * progress_start(p, on, paths, n, excl, nexcl): start counting, and if on,
 * the scanner and the printer.  The arrays must outlive progress_stop.
 */
void progress_start(struct progress *, int, char **, size_t, char **,
    size_t);

static inline void
progress_add_bytes(struct progress *p, uint64_t n)
{

	atomic_fetch_add_explicit(&p->bytes, n, memory_order_relaxed);
}

static inline void
progress_add_file(struct progress *p)
{

	atomic_fetch_add_explicit(&p->files, 1, memory_order_relaxed);
}

/* progress_stop(p): stop the threads and clear the line. */
void progress_stop(struct progress *);

/* progress_size(n, buf, len): "1.23 GiB" style. */
void progress_size(uint64_t, char *, size_t);

#endif
