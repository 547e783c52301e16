#ifndef COFFER_SYSINFO_H
#define COFFER_SYSINFO_H

#include <stddef.h>

/* sysinfo_user(buf, n): the effective user's name ("" if unknown). */
void sysinfo_user(char *, size_t);

/* sysinfo_host(buf, n): this machine's host name ("" if unknown). */
void sysinfo_host(char *, size_t);

#endif
