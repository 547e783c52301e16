/*
 * Reading passcodes.  They live in sodium_malloc'd memory and are wiped on
 * free; they are never echoed or logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "util/warnp.h"

#include "cli.h"

#define PW_MAX	1024

static char *
pw_alloc(void)
{
	char *p;

	if ((p = sodium_malloc(PW_MAX + 1)) == NULL)
		warnp("sodium_malloc");
	else
		memset(p, 0, PW_MAX + 1);
	return (p);
}

void
passwd_free(char *p)
{

	sodium_free(p);	/* wipes */
}

/* Read one line (without its newline) from f into p. */
static int
read_line(FILE *f, char *p, size_t *len)
{
	int c;
	size_t n = 0;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (n == PW_MAX) {
			warn0("passcode longer than %d bytes", PW_MAX);
			return (-1);
		}
		p[n++] = (char)c;
	}
	if (n > 0 && p[n - 1] == '\r')
		n--;
	p[n] = '\0';
	*len = n;
	return (0);
}

static int
from_file(const char *path, char *p, size_t *len)
{
	FILE *f;
	int rc;

	if ((f = fopen(path, "r")) == NULL) {
		warnp("cannot read password file %s", path);
		return (-1);
	}
	rc = read_line(f, p, len);
	fclose(f);
	return (rc);
}

static int
from_command(const char *cmd, char *p, size_t *len)
{
	FILE *f;
	int st;

	if ((f = popen(cmd, "r")) == NULL) {
		warnp("cannot run password command");
		return (-1);
	}
	if (read_line(f, p, len)) {
		pclose(f);
		return (-1);
	}
	/* Drain the rest so the command is not killed by SIGPIPE. */
	while (getc(f) != EOF)
		;
	if ((st = pclose(f)) != 0) {
		warn0("password command failed (status %d)", st);
		return (-1);
	}
	return (0);
}

static int
from_tty(const char *prompt, char *p, size_t *len)
{
	struct termios old, noecho;
	FILE *tty;
	int rc;

	if ((tty = fopen("/dev/tty", "r+")) == NULL) {
		warn0("no passcode given: set COFFER_PASSWORD, or use "
		    "--password-file or --password-command");
		return (-1);
	}
	fputs(prompt, tty);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(tty), TCSAFLUSH, &noecho);
	}
	rc = read_line(tty, p, len);
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputs("\n", tty);
	fclose(tty);
	return (rc);
}

static int
tty_twice(const char *prompt, char *p, size_t *len)
{
	char *again;
	size_t alen;
	int rc = -1;

	if ((again = pw_alloc()) == NULL)
		return (-1);
	if (from_tty(prompt, p, len) == 0 &&
	    from_tty("enter the passcode again: ", again, &alen) == 0) {
		if (alen != *len || sodium_memcmp(p, again, alen) != 0)
			warn0("passcodes do not match");
		else
			rc = 0;
	}
	passwd_free(again);
	return (rc);
}

static int
check_nonempty(char *p, size_t len)
{

	if (len == 0) {
		warn0("empty passcode refused");
		return (-1);
	}
	return (0);
}

int
passwd_get_from(const struct pwsrc *src, char **pw, size_t *len)
{
	const char *env = src->env != NULL ? getenv(src->env) : NULL;
	char *p;
	int rc;

	if ((p = pw_alloc()) == NULL)
		return (-1);
	if (src->file != NULL)
		rc = from_file(src->file, p, len);
	else if (src->cmd != NULL)
		rc = from_command(src->cmd, p, len);
	else if (env != NULL) {
		*len = strlen(env);
		rc = (*len <= PW_MAX) ? 0 : -1;
		if (rc == 0)
			memcpy(p, env, *len);
		else
			warn0("%s longer than %d bytes", src->env, PW_MAX);
	} else
		rc = from_tty(src->prompt != NULL ? src->prompt :
		    "enter the repository passcode: ", p, len);
	if (rc == 0)
		rc = check_nonempty(p, *len);
	if (rc) {
		passwd_free(p);
		return (-1);
	}
	*pw = p;
	return (0);
}

int
passwd_get(char **pw, size_t *len, int confirm)
{
	struct pwsrc src = { G.pwfile, G.pwcmd, "COFFER_PASSWORD",
	    "enter the repository passcode: " };
	char *p;

	if (!confirm || G.pwfile != NULL || G.pwcmd != NULL ||
	    getenv("COFFER_PASSWORD") != NULL)
		return (passwd_get_from(&src, pw, len));
	if ((p = pw_alloc()) == NULL)
		return (-1);
	if (tty_twice("enter the passcode for the new repository: ", p,
	    len) || check_nonempty(p, *len)) {
		passwd_free(p);
		return (-1);
	}
	*pw = p;
	return (0);
}

int
passwd_new(const char *file, char **pw, size_t *len)
{
	char *p;
	int rc;

	if ((p = pw_alloc()) == NULL)
		return (-1);
	if (file != NULL)
		rc = from_file(file, p, len);
	else
		rc = tty_twice("enter the new passcode: ", p, len);
	if (rc == 0)
		rc = check_nonempty(p, *len);
	if (rc) {
		passwd_free(p);
		return (-1);
	}
	*pw = p;
	return (0);
}
