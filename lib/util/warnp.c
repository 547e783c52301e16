#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "warnp.h"

static const char *progname = "coffer";
static _Thread_local int quiet;	/* per thread: walkers quiet their own */

void
warnp_setprogname(const char *name)
{
	const char *p = strrchr(name, '/');

	progname = (p != NULL) ? p + 1 : name;
}

void
warnp_quiet(int on)
{

	quiet = on;
}

static void
vwarn(int saved_errno, const char *fmt, va_list ap)
{
	char msg[4096];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (saved_errno != 0)
		fprintf(stderr, "%s: %s: %s\n", progname, msg,
		    strerror(saved_errno));
	else
		fprintf(stderr, "%s: %s\n", progname, msg);
}

void
warn0(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vwarn(0, fmt, ap);
	va_end(ap);
}

void
warnp(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vwarn(saved, fmt, ap);
	va_end(ap);
	errno = saved;
}
