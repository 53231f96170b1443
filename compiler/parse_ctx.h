/* parse_ctx.h - state shared by the reentrant scanner and the pure parser
 * of one file. */
#ifndef NETC_PARSE_CTX_H
#define NETC_PARSE_CTX_H

#include <stdbool.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"

enum {
	LEX_IDENT_MAX = 255,    /* longest identifier */
	LEX_NEST_MAX = 256,     /* deepest nesting of ( [ { */
};

struct parse_ctx {
	struct arena *A;
	struct diag_ctx *D;
	int file;               /* index in D->files */
	int line, col;          /* scanner position (next character) */
	int depth;              /* current ( [ { nesting */
	struct loc open[LEX_NEST_MAX + 1]; /* where each open bracket is */
	char open_ch[LEX_NEST_MAX + 1];
	bool fatal;             /* the scanner gave up: suppress parser errors */
	int ndecls;             /* top-level declarations parsed so far */
	int lex_error_decl;     /* 1 + ndecls when the scanner last reported an error */
	struct loc comment;     /* start of the open block comment */
	bool in_comment;        /* inside a block comment */
	struct loc last;        /* the last token scanned (end of input is after it) */
	struct ast *root;       /* AST_FILE being built */
	void *scanner;          /* yyscan_t */
};

#endif
