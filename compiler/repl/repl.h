/* repl.h - `netc repl`: an interactive session over a set of definitions,
 * with the training programs JIT-compiled in process (docs/repl.md). */
#ifndef NETC_REPL_H
#define NETC_REPL_H

#include <stdint.h>

#include "backend/backend.h"

/* What the command line gave (the same meaning as for netc build). */
struct repl_opts {
	const char **dirs;           /* -I folders */
	int ndirs;
	const char *stdlib_dir;
	int error_limit;             /* --error-limit */
	int64_t batch;               /* --batch (0: the train section's) */
	int64_t world;               /* --world */
	struct backend_opts bo;      /* target cpu, features, opt level */
};

/* Load files[0, nfiles), then read commands and definitions from standard
 * input until :quit or its end.  Returns the exit status (0; 2 for a file
 * of the command line that did not load). */
int repl_main(const struct repl_opts *o, int nfiles, char **files);

#endif
