/* repl.c - `netc repl` (repl.h): the loop.  Each entry is a :command
 * (cmds.c) or definitions (session.c: checked with the set in force, which
 * they join only when the whole set checks).  Nothing ends the session but
 * :quit and the end of the input. */
#include "config.h"
#include "repl/repl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repl/cmds.h"
#include "repl/line.h"
#include "repl/session.h"

/* Completion: the definitions' names and those of what they import. */
static void names(void *arg, void (*add)(void *acc, const char *name), void *acc)
{
	struct repl *R = arg;
	for (int i = 0; i < R->defs.n; i++)
		add(acc, R->defs.v[i].name);
	for (int i = 0; i < R->defs.n; i++) {
		struct defs got = { 0 };
		char path[4096], err[256];
		FILE *f;
		if (R->defs.v[i].kind != DEF_IMPORT || strchr(R->defs.v[i].name, '/'))
			continue;
		snprintf(path, sizeof path, "%s/%s.net", R->o.stdlib_dir, R->defs.v[i].name);
		f = fopen(path, "r");
		if (!f)
			continue;
		char *text = NULL;
		size_t cap = 0;
		ssize_t n = getdelim(&text, &cap, 0, f);
		fclose(f);
		if (n > 0 && defs_split(text, path, 1, &got, err, sizeof err) == 0)
			for (int k = 0; k < got.n; k++)
				add(acc, got.v[k].name);
		defs_free(&got);
		free(text);
	}
}

static char *history_path(void)
{
	const char *e = getenv("NETC_HISTORY"), *home = getenv("HOME");
	char *p = NULL;
	if (e)
		return *e ? strdup(e) : NULL;
	if (home && *home && asprintf(&p, "%s/.netc_history", home) < 0)
		p = NULL;
	return p;
}

int repl_main(const struct repl_opts *o, int nfiles, char **files)
{
	struct repl R;
	struct line_in *L;
	bool tty = isatty(0), quit = false;
	char *hist = tty ? history_path() : NULL, *e;
	int rc = 0, line;

	memset(&R, 0, sizeof R);
	R.o = *o;
	R.threads = 1;
	R.made_path = strdup("<repl>");
	for (int i = 0; i < nfiles; i++)
		if (repl_load(&R, files[i]))
			rc = 2;
	if (rc) {
		fputs("netc repl: a file of the command line did not load\n", stderr);
		goto done;
	}
	L = line_open(stdin, tty, hist, names, &R);
	if (!L) {
		fputs("netc repl: out of memory\n", stderr);
		rc = 1;
		goto done;
	}
	if (tty)
		printf("netc %s repl: definitions or :commands (:help, :quit; Tab completes)\n",
		       PACKAGE_VERSION);
	while (!quit && (e = line_read(L, &line))) {
		const char *s = e + strspn(e, " \t");
		bool is_time = strncmp(s, ":time", 5) == 0 && (!s[5] || s[5] == ' ');
		double t0 = repl_now();
		R.input_line = line;
		if (is_time) {
			printf("last command: %.3f s: compile %.3f s (check, build, JIT, data set-up), "
			       "run %.3f s\n", R.t_compile + R.t_run + R.t_other, R.t_compile, R.t_run);
		} else {
			R.t_compile = R.t_run = 0;
			if (*s == ':')
				repl_command(&R, s, &quit);
			else
				repl_define(&R, e, "<input>", line);
			R.t_other = repl_now() - t0 - R.t_compile - R.t_run;
		}
		fflush(stdout);
		fflush(stderr);
		free(e);
	}
	line_close(L);
done:
	repl_live_close(&R);
	defs_free(&R.defs);
	free(R.made_path);
	free(hist);
	return rc;
}
