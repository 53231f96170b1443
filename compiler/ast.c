/* ast.c - syntax tree helpers. */
#include "ast.h"

#include <inttypes.h>
#include <stdio.h>

struct ast *ast_new(struct arena *A, enum ast_kind k, struct loc at)
{
	struct ast *n = arena_alloc(A, sizeof *n);
	n->kind = k;
	n->loc = at;
	n->name_loc = at;
	return n;
}

void ast_push(struct arena *A, struct ast_list *l, struct ast *n)
{
	l->v = arena_grow(A, l->v, &l->cap, l->n, sizeof *l->v);
	l->v[l->n++] = n;
}

static const char *const kind_names[AST_KIND_COUNT] = {
	[AST_INT] = "int", [AST_FLOAT] = "float", [AST_STR] = "string",
	[AST_BOOL] = "bool", [AST_IDENT] = "ident", [AST_LIST] = "list",
	[AST_CALL] = "call", [AST_ARG] = "arg", [AST_MEMBER] = "member", [AST_INDEX] = "index",
	[AST_UNARY] = "unary", [AST_BINARY] = "binary", [AST_CHAIN] = "chain",
	[AST_IF] = "if", [AST_BODY] = "body", [AST_LET] = "let",
	[AST_RETURN] = "return", [AST_EXPR] = "expr", [AST_INPUT] = "input",
	[AST_FIELD] = "field", [AST_PARAM] = "param", [AST_IMPORT] = "import",
	[AST_BLOCK] = "block", [AST_NETWORK] = "network", [AST_DATA] = "data",
	[AST_TRAIN] = "train", [AST_FILE] = "file",
};

const char *ast_kind_name(enum ast_kind k)
{
	return k >= 0 && k < AST_KIND_COUNT && kind_names[k] ? kind_names[k] : "?";
}

const char *ast_op_text(int op)
{
	switch (op) {
	case AOP_ADD: return "+";
	case AOP_SUB: return "-";
	case AOP_MUL: return "*";
	case AOP_DIV: return "/";
	case AOP_IDIV: return "//";
	case AOP_MOD: return "%";
	case AOP_POW: return "**";
	case AOP_EQ: return "==";
	case AOP_NE: return "!=";
	case AOP_LT: return "<";
	case AOP_LE: return "<=";
	case AOP_GT: return ">";
	case AOP_GE: return ">=";
	case AOP_AND: return "and";
	case AOP_OR: return "or";
	case AOP_NOT: return "not";
	case AOP_NEG: return "-";
	case AOP_POS: return "+";
	}
	return "?";
}

const char *ast_dtype_name(int dt)
{
	switch (dt) {
	case AST_F32: return "f32";
	case AST_F16: return "f16";
	case AST_F64: return "f64";
	case AST_I32: return "i32";
	case AST_U8: return "u8";
	}
	return "?";
}

static void dump_list(FILE *out, const struct ast_list *l, int indent)
{
	for (int i = 0; i < l->n; i++) {
		fputc('\n', out);
		ast_dump(out, l->v[i], indent + 2);
	}
}

void ast_dump(FILE *out, const struct ast *n, int indent)
{
	fprintf(out, "%*s(", indent, "");
	if (!n) {
		fputs("nil)", out);
		return;
	}
	fprintf(out, "%s@%d:%d", ast_kind_name(n->kind), n->loc.line, n->loc.col);
	switch (n->kind) {
	case AST_INT: fprintf(out, " %" PRId64, n->ival); break;
	case AST_FLOAT: fprintf(out, " %s", n->name); break;
	case AST_BOOL: fputs(n->ival ? " true" : " false", out); break;
	case AST_STR: fprintf(out, " \"%s\"", n->name); break;
	case AST_UNARY: case AST_BINARY: fprintf(out, " %s", ast_op_text(n->op)); break;
	case AST_INPUT: fprintf(out, " %s %s", n->name, ast_dtype_name(n->op)); break;
	default:
		if (n->name)
			fprintf(out, " %s", n->name);
	}
	const struct ast *s[3] = { n->a, n->b, n->c };
	for (int i = 0; i < 3; i++)
		if (s[i]) {
			fputc('\n', out);
			ast_dump(out, s[i], indent + 2);
		}
	dump_list(out, &n->kids, indent);
	if (n->kids2.n) {
		fprintf(out, "\n%*s  inputs:", indent, "");
		dump_list(out, &n->kids2, indent);
	}
	fputc(')', out);
}
