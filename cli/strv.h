#ifndef COFFER_STRV_H
#define COFFER_STRV_H

#include <stddef.h>

/*
 * A growing vector of strings that it owns (the --tag, --exclude, ...
 * options of a command).  Start from STRV_INIT or zeroed memory.
 */
struct strv {
	char **v;
	size_t n;
};

#define STRV_INIT	{ NULL, 0 }

/*
 * strv_addn(s, x, len): append a copy of the first len bytes of x.  0 or
 * -1 (reported; s keeps what it had).
 */
int strv_addn(struct strv *, const char *, size_t);

/* strv_add(s, x): append a copy of the string x.  0 or -1 (reported). */
int strv_add(struct strv *, const char *);

/* strv_has(s, x): 1 if s holds a string equal to x, else 0. */
int strv_has(const struct strv *, const char *);

/* strv_free(s): free the strings and the vector; s is empty again. */
void strv_free(struct strv *);

#endif
