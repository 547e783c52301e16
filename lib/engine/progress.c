#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "backup.h"
#include "progress.h"

void
progress_size(uint64_t n, char *buf, size_t len)
{
	static const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	int i = 0;

	while (v >= 1024 && i < 5) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, len, "%.2f %s", v, u[i]);
}

static void
scan(struct progress *p, const char *path, int depth)
{
	struct dirent *de;
	struct stat st;
	char sub[PATH_MAX];
	DIR *d;

	if (p->stop || depth > 1000 || lstat(path, &st))
		return;
	if (S_ISREG(st.st_mode)) {
		atomic_fetch_add(&p->total_files, 1);
		atomic_fetch_add(&p->total_bytes, (uint64_t)st.st_size);
		return;
	}
	if (!S_ISDIR(st.st_mode) || (d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && !p->stop) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s",
		    strcmp(path, "/") ? path : "", de->d_name) >= sizeof(sub))
			continue;
		if (backup_excluded(p->excl, p->nexcl, sub, de->d_name))
			continue;
		scan(p, sub, depth + 1);
	}
	closedir(d);
}

static void *
scanner(void *cookie)
{
	struct progress *p = cookie;
	size_t i;

	for (i = 0; i < p->npaths; i++)
		scan(p, p->paths[i][0] ? p->paths[i] : "/", 0);
	atomic_store(&p->scanned, 1);
	return (NULL);
}

static void
print_line(struct progress *p)
{
	struct timespec now;
	char done[32], total[32], rate[32], eta[32] = "";
	double secs, bps;
	uint64_t b = p->bytes, tb = p->total_bytes;

	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (double)(now.tv_sec - p->t0.tv_sec) +
	    (double)(now.tv_nsec - p->t0.tv_nsec) / 1e9;
	bps = secs > 0 ? (double)b / secs : 0;
	progress_size(b, done, sizeof(done));
	progress_size(tb, total, sizeof(total));
	progress_size((uint64_t)bps, rate, sizeof(rate));
	if (p->scanned && bps > 0 && tb > b) {
		unsigned long s = (unsigned long)((double)(tb - b) / bps);
		snprintf(eta, sizeof(eta), ", ETA %lu:%02lu", s / 60, s % 60);
	}
	fprintf(stderr, "\r[%lu:%02lu] %llu%s files, %s of %s%s, %s/s%s\033[K",
	    (unsigned long)secs / 60, (unsigned long)secs % 60,
	    (unsigned long long)p->files, p->scanned ? "" : "+", done, total,
	    p->scanned ? "" : "+", rate, eta);
	fflush(stderr);
}

static void *
printer(void *cookie)
{
	struct progress *p = cookie;
	struct timespec ts;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 500000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (pthread_cond_timedwait(&p->cv, &p->mu, &ts) == ETIMEDOUT)
			print_line(p);
	}
	pthread_mutex_unlock(&p->mu);
	return (NULL);
}

void
progress_start(struct progress *p, int on, char **paths, size_t n,
    char **excl, size_t nexcl)
{

	p->on = on;
	p->paths = paths;
	p->npaths = n;
	p->excl = excl;
	p->nexcl = nexcl;
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	if (!on)
		return;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->scan_thr, NULL, scanner, p) != 0 ||
	    pthread_create(&p->thr, NULL, printer, p) != 0)
		p->on = 0;	/* no progress line, nothing else lost */
}

void
progress_stop(struct progress *p)
{

	if (!p->on)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thr, NULL);
	pthread_join(p->scan_thr, NULL);
	fprintf(stderr, "\r\033[K");
	fflush(stderr);
	p->on = 0;
}
