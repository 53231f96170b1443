/* ast.h - the syntax tree the parser builds.  One uniform node type: every
 * node has a kind, a source span and a few generic slots whose meaning the
 * table below gives.  All nodes live in the compilation's arena. */
#ifndef NETC_AST_H
#define NETC_AST_H

#include <stdint.h>

#include "arena.h"
#include "diag.h"

enum ast_kind {
	/* expressions */
	AST_INT,       /* ival */
	AST_FLOAT,     /* fval; name = spelling */
	AST_STR,       /* name (NUL-free, escapes resolved) */
	AST_BOOL,      /* ival 0/1 */
	AST_IDENT,     /* name */
	AST_LIST,      /* kids = items */
	AST_CALL,      /* a = callee; kids = AST_ARG */
	AST_ARG,       /* name = keyword or NULL; a = value; name_loc */
	AST_MEMBER,    /* a = object; name = member (a.b) */
	AST_INDEX,     /* a = list or string; b = index (a[i]) */
	AST_UNARY,     /* op = AOP_NEG/AOP_NOT/AOP_POS; a */
	AST_BINARY,    /* op = AOP_*; a, b */
	AST_CHAIN,     /* kids = stages (>= 2); ival = 1 when written with @chain */
	AST_IF,        /* a = condition; b = then; c = else (AST_IF or body) */
	AST_BODY,      /* kids = statements; a = result expression or NULL */
	/* statements */
	AST_LET,       /* name; a = value */
	AST_RETURN,    /* a = value */
	AST_EXPR,      /* a = expression statement */
	AST_INPUT,     /* name; op = dtype (AST_F32, ...); kids = dimension exprs */
	AST_FIELD,     /* name = value in a data/train section; a = value */
	/* declarations */
	AST_PARAM,     /* name; a = default or NULL */
	AST_IMPORT,    /* name = module string */
	AST_BLOCK,     /* name; kids = params; kids2 = inputs (AST_PARAM); a = body */
	AST_NETWORK,   /* name; kids = params; a = body */
	AST_DATA,      /* name; kids = AST_FIELD */
	AST_TRAIN,     /* name; kids = AST_FIELD */
	AST_FILE,      /* kids = declarations */
	AST_KIND_COUNT
};

enum ast_op {
	AOP_ADD = 1, AOP_SUB, AOP_MUL, AOP_DIV, AOP_IDIV, AOP_MOD, AOP_POW,
	AOP_EQ, AOP_NE, AOP_LT, AOP_LE, AOP_GT, AOP_GE,
	AOP_AND, AOP_OR, AOP_NOT, AOP_NEG, AOP_POS,
};

enum ast_dtype { AST_F32 = 1, AST_F16, AST_F64, AST_I32, AST_U8 };

struct ast_list {
	struct ast **v;
	int n, cap;
};

struct ast {
	enum ast_kind kind;
	struct loc loc;         /* the whole construct */
	struct loc name_loc;    /* where `name` was written (decls, args, lets) */
	const char *name;
	int op;
	int64_t ival;
	double fval;
	struct ast *a, *b, *c;
	struct ast_list kids, kids2;
};

struct ast *ast_new(struct arena *A, enum ast_kind k, struct loc at);
void ast_push(struct arena *A, struct ast_list *l, struct ast *n);
const char *ast_kind_name(enum ast_kind k);
const char *ast_op_text(int op);
const char *ast_dtype_name(int dt);
/* Print the tree as an S-expression (for --dump-ast and tests). */
void ast_dump(FILE *out, const struct ast *n, int indent);

/* Parse a whole file (already registered with diag_add_file as `file`).
 * Returns an AST_FILE node; errors go to D.  Never returns NULL unless out
 * of memory. */
struct ast *parse_file(struct arena *A, struct diag_ctx *D, int file);

#endif
