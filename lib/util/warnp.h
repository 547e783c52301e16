#ifndef COFFER_WARNP_H
#define COFFER_WARNP_H

/*
 * Diagnostics in the style of libcperciva's warnp: every message goes to
 * standard error prefixed with the program name, once, where the problem is
 * found.  Messages never contain key bytes.
 */

/* warnp_setprogname(name): set the prefix printed before each message. */
void warnp_setprogname(const char *);

/* warn0(fmt, ...): print "prog: <message>\n". */
void warn0(const char *, ...) __attribute__((format(printf, 1, 2)));

/* warnp(fmt, ...): print "prog: <message>: <strerror(errno)>\n". */
void warnp(const char *, ...) __attribute__((format(printf, 1, 2)));

/*
 * warnp_quiet(on): suppress (1) or restore (0) output of warn0 and warnp in
 * the calling thread.
 */
void warnp_quiet(int);

#endif
