/* repl.c - placeholder until the session lands. */
#include "repl/repl.h"

#include <stdio.h>

int repl_main(const struct repl_opts *o, int nfiles, char **files)
{
	(void)o, (void)nfiles, (void)files;
	fputs("netc repl: not implemented yet\n", stderr);
	return 2;
}
