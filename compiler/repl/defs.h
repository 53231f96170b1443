/* defs.h - the REPL's definition store: the text of each top-level
 * definition (import, block, network, data, train) by kind and name, in
 * the order first entered.  A redefinition replaces the old text in
 * place.  The set is checked as one made file (defs_text), whose lines
 * map back to where each definition was entered or loaded (diag_seg). */
#ifndef NETC_REPL_DEFS_H
#define NETC_REPL_DEFS_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

enum def_kind { DEF_IMPORT, DEF_BLOCK, DEF_NETWORK, DEF_DATA, DEF_TRAIN };

struct def {
	enum def_kind kind;
	char *name;                  /* the module string for an import */
	char *text;                  /* from its keyword to its closing brace (or string) */
	char *origin;                /* "<input>" or the file it was loaded from */
	int line, col;               /* where the keyword is in origin */
};

struct defs {
	struct def *v;
	int n, cap;
};

/* "network", ... */
const char *def_kind_name(enum def_kind k);
/* Split text (lines of origin from `line` on) into definitions appended to
 * *out.  0, or -1 with "origin:L:C: error: ..." in err (nothing appended). */
int defs_split(const char *text, const char *origin, int line, struct defs *out, char *err,
	       size_t errn);
/* Whether text, read so far, still has an open bracket, string or comment. */
bool defs_open(const char *text);
/* Put d into S (replacing the definition of the same kind and name; S
 * owns d's strings then).  Returns true when it replaced one. */
bool defs_put(struct defs *S, struct def d);
/* A deep copy; NULL members when out of memory (then n is 0). */
struct defs defs_copy(const struct defs *S);
/* The definition of kind k named name, or NULL. */
const struct def *defs_find(const struct defs *S, enum def_kind k, const char *name);
void defs_free(struct defs *S);
/* The made file: every definition at its column, one after another;
 * *segs (malloc'ed, *nsegs) maps its lines back.  NULL when out of memory. */
char *defs_text(const struct defs *S, struct diag_seg **segs, int *nsegs);

#endif
