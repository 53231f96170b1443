/* cmds.h - the REPL's :commands (cmds.c). */
#ifndef NETC_REPL_CMDS_H
#define NETC_REPL_CMDS_H

#include <stdbool.h>

#include "repl/session.h"

/* Run the command line `line` (it starts with ':').  *quit set by :quit.
 * 0, or 1 after a message (the session goes on either way). */
int repl_command(struct repl *R, const char *line, bool *quit);
/* :load FILE.  0 or 1. */
int repl_load(struct repl *R, const char *path);

#endif
