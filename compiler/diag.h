/* diag.h - user diagnostics in GNU style:
 *
 *   model.net:12:7: error: add: shapes [64,56,56] and [128,28,28] differ in dimension 1
 *      12 |     let z = add(y, s)
 *         |             ^~~~~~~~~
 *   model.net:3:1: note: block 'residual' defined here
 *
 * Errors are counted in a context and reported up to a limit; the caller
 * decides the exit status.  Lines and columns are 1-based; columns count
 * characters (UTF-8 code points), not bytes. */
#ifndef NETC_DIAG_H
#define NETC_DIAG_H

#include <stdbool.h>
#include <stdio.h>

/* A span in one source file.  file < 0: no location (command line). */
struct loc {
	int file;               /* index into diag_ctx.files */
	int line, col;          /* first character */
	int end_line, end_col;  /* one past the last character */
};

struct src_file {
	const char *path;       /* as the user named it / as found on the path */
	const char *text;       /* whole contents; NUL-terminated copy */
	size_t len;             /* length in bytes (the text may hold NULs) */
};

/* A piece of a file made of pieces of others (the REPL's set of
 * definitions): from `line` on, the lines are those of `path` from
 * `first_line` on, and messages say so. */
struct diag_seg {
	int line;               /* first line of the piece in the made file */
	const char *path;       /* where it came from ("<input>", a file) */
	int first_line;         /* its first line there */
};

struct diag_ctx {
	struct src_file *files; /* source files seen so far */
	int nfiles, capfiles;
	int nerrors, nwarnings;
	int nrepeated;          /* errors not printed: the same message at the same place as
				 * one printed before (a network checked with its defaults,
				 * then for a train section); counted in nerrors too */
	unsigned long long *seen;   /* hashes of the errors printed, for nrepeated */
	int nseen, capseen;
	int error_limit;        /* stop reporting after this many errors; 0 = none */
	bool stopped;           /* the limit was reached: callers should wind down */
	bool last_shown;        /* the last error was printed (its notes follow it) */
	FILE *out;              /* where diagnostics go (stderr by default) */
	const char *map_path;   /* the made file (NULL: none), */
	const struct diag_seg *segs;   /* its pieces, by line */
	int nsegs;
};

void diag_init(struct diag_ctx *d, FILE *out);
void diag_free(struct diag_ctx *d);
/* The errors printed: nerrors less the repeats. */
static inline int diag_shown_errors(const struct diag_ctx *d)
{
	return d->nerrors - d->nrepeated;
}
/* Register a source file; the text is copied.  Returns its index or -1. */
int diag_add_file(struct diag_ctx *d, const char *path, const char *text, size_t len);
/* The file a location came from: its file's path, or in a made file
 * (map_path) the path of its piece ("<input>" for typed text); NULL when
 * it has no file.  Relative paths written there start from its folder. */
const char *diag_origin(const struct diag_ctx *d, struct loc at);

void diag_error(struct diag_ctx *d, struct loc at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag_warning(struct diag_ctx *d, struct loc at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A note belongs to the error or warning before it. */
void diag_note(struct diag_ctx *d, struct loc at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A location that names no file. */
struct loc loc_none(void);
/* The span from the start of a to the end of b. */
struct loc loc_span(struct loc a, struct loc b);

#endif
