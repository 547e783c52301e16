#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sysinfo.h"

void
sysinfo_user(char *buf, size_t n)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];
	const char *env;

	if (getpwuid_r(geteuid(), &pw, tmp, sizeof(tmp), &res) == 0 &&
	    res != NULL)
		snprintf(buf, n, "%s", res->pw_name);
	else if ((env = getenv("USER")) != NULL)
		snprintf(buf, n, "%s", env);
	else
		snprintf(buf, n, "%s", "");
}

void
sysinfo_host(char *buf, size_t n)
{

	if (n == 0)
		return;
	if (gethostname(buf, n - 1) != 0)
		buf[0] = '\0';
	buf[n - 1] = '\0';
}
