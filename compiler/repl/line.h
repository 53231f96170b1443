/* line.h - the REPL's input: whole entries (a :command line, or lines of
 * definitions until brackets balance), with readline's editing, history
 * (kept in a file) and completion on a terminal, plain lines otherwise. */
#ifndef NETC_REPL_LINE_H
#define NETC_REPL_LINE_H

#include <stdbool.h>
#include <stdio.h>

/* The names completion offers besides the keywords and commands: call
 * add(acc, name) for each. */
typedef void line_names_fn(void *arg, void (*add)(void *acc, const char *name), void *acc);

struct line_in;

/* Read from in; tty: prompt, edit, complete and keep history in
 * history_path (NULL: none).  NULL when out of memory. */
struct line_in *line_open(FILE *in, bool tty, const char *history_path, line_names_fn *names,
			  void *arg);
/* The next entry (malloc'ed, without the final newline) and the input line
 * it starts on; NULL at the end of the input. */
char *line_read(struct line_in *L, int *first_line);
/* Write the history, free L. */
void line_close(struct line_in *L);

#endif
