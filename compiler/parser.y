/* parser.y - the pure, reentrant parser.  It builds the AST (ast.h) with a
 * source span on every node.  Syntax errors are reported through the
 * diagnostics context and recovered at declaration, statement and field
 * level so that one run reports many independent errors. */
%require "3.0"
%define api.pure full
%define api.prefix {netc_yy}
%define api.header.include {"parser.h"}
%define api.location.type {struct loc}
%define parse.error detailed
%define parse.lac full
%locations
%param {void *scanner}
%parse-param {struct parse_ctx *P}

%code requires {
#include "parse_ctx.h"
}

%code provides {
int netc_yylex(NETC_YYSTYPE *lval, NETC_YYLTYPE *lloc, void *scanner);
}

%code {
#include <stdint.h>
#include <string.h>

#define YYSTYPE NETC_YYSTYPE
#define YYLTYPE NETC_YYLTYPE
#include "lexer.h"

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                        \
	do {                                                               \
		if (N) {                                                   \
			(Cur) = YYRHSLOC(Rhs, 1);                          \
			(Cur).end_line = YYRHSLOC(Rhs, N).end_line;        \
			(Cur).end_col = YYRHSLOC(Rhs, N).end_col;          \
		} else {                                                   \
			(Cur) = YYRHSLOC(Rhs, 0);                          \
			(Cur).line = (Cur).end_line;                       \
			(Cur).col = (Cur).end_col;                         \
		}                                                          \
	} while (0)

/* Nesting of the parser's own stack: past this, one error and stop. */
#define YYMAXDEPTH 20000

static void netc_yyerror(NETC_YYLTYPE *l, void *scanner, struct parse_ctx *P, const char *msg)
{
	(void)scanner;
	if (P->fatal || P->lex_error_decl == P->ndecls + 1)
		return;
	if (strcmp(msg, "memory exhausted") == 0) {
		diag_error(P->D, *l, "expression is nested too deeply");
		P->fatal = true;
		return;
	}
	/* After a whole comparison, another comparison operator can only mean
	 * a chain like 1 < c < 64. */
	static const char *const cmp[] = { "'<'", "'>'", "<=", ">=", "==", "!=" };
	const char *hint = "";
	for (int i = 0; i < 6; i++) {
		char u[32];
		snprintf(u, sizeof u, "unexpected %s", cmp[i]);
		const char *p = strstr(msg, u);
		if (p && (p[strlen(u)] == 0 || p[strlen(u)] == ','))
			hint = "; comparisons do not chain (use 'and')";
	}
	diag_error(P->D, *l, "%s%s", msg, hint);
	/* A declaration keyword inside a body means the body was not closed. */
	bool decl_kw = strstr(msg, "unexpected network") || strstr(msg, "unexpected block") ||
		       strstr(msg, "unexpected data") || strstr(msg, "unexpected train") ||
		       strstr(msg, "unexpected import");
	/* A bracket opened on an earlier line and still open is the usual
	 * cause: point at it. */
	if (P->depth > 0 && P->depth <= LEX_NEST_MAX) {
		struct loc o = P->open[P->depth - 1];
		char c = P->open_ch[P->depth - 1];
		/* Bodies span lines by nature: name an open '{' only at the end. */
		if (o.line < l->line && (c != '{' || strstr(msg, "end of file") || decl_kw))
			diag_note(P->D, o, "to match this '%c'", c);
	}
}

#define NEW(k, l) ast_new(P->A, (k), (l))

static struct ast *binary(struct parse_ctx *P, int op, struct ast *a, struct ast *b, struct loc l)
{
	struct ast *n = NEW(AST_BINARY, l);
	n->op = op;
	n->a = a;
	n->b = b;
	return n;
}

static struct ast *unary(struct parse_ctx *P, int op, struct ast *a, struct loc l)
{
	struct ast *n = NEW(AST_UNARY, l);
	n->op = op;
	n->a = a;
	return n;
}

/* A keyword used as a name: an identifier node with its spelling. */
static struct ast *kw(struct parse_ctx *P, const char *name, struct loc l)
{
	struct ast *n = NEW(AST_IDENT, l);
	n->name = name;
	return n;
}

/* A declaration or statement that carries a name: keep where it was written. */
static struct ast *named(struct parse_ctx *P, enum ast_kind k, struct loc l, struct ast *id)
{
	struct ast *n = NEW(k, l);
	n->name = id->name;
	n->name_loc = id->loc;
	return n;
}
}

%union {
	struct ast *ast;
	struct ast_list list;
}

%token IMPORT "import" BLOCK "block" NETWORK "network" DATA "data" TRAIN "train"
%token INPUT "input" LET "let" RETURN "return" IF "if" ELSE "else"
%token TRUE "true" FALSE "false" AND "and" OR "or" NOT "not"
%token CHAIN "@chain" ARROW "=>" EQ "==" NE "!=" LE "<=" GE ">=" IDIV "//" POW "**"
%token <ast> IDENT "identifier" INT "integer" FLOAT "number" STRING "string"

%type <ast> decl block network section expr primary ifexpr body stmt arg param field fieldname
%type <list> decls stmts args args1 params params1 exprs exprs1 fields

/* Lowest first.  STMT: an expression statement ends where no operator can
 * continue it, so a line that starts with ( [ - + . or => continues the
 * one before it (documented in docs/language.md). */
%precedence STMT
%precedence CHAIN
%left ARROW
%left OR
%left AND
%precedence NOT
%nonassoc EQ NE '<' LE '>' GE
%left '+' '-'
%left '*' '/' IDIV '%'
%precedence UMINUS
%right POW
%precedence '(' '[' '.'

%%

file:
	decls                   { P->root->kids = $1; }
	;

decls:
	%empty                  { $$ = (struct ast_list){0}; }
	| decls decl            { $$ = $1; if ($2) ast_push(P->A, &$$, $2); P->ndecls++; }
	| decls error           { $$ = $1; P->ndecls++; }
	;

decl:
	IMPORT STRING %prec STMT { $$ = NEW(AST_IMPORT, @$); $$->name = $2->name; $$->name_loc = @2; }
	| block
	| network
	| section
	;

/* block NAME(params)(inputs) { ... }  or  block NAME(inputs) { ... } */
block:
	BLOCK IDENT '(' params ')' '(' params ')' body {
		$$ = named(P, AST_BLOCK, @$, $2);
		$$->kids = $4;
		$$->kids2 = $7;
		$$->a = $9;
	}
	| BLOCK IDENT '(' params ')' body {
		$$ = named(P, AST_BLOCK, @$, $2);
		$$->kids2 = $4;
		$$->a = $6;
	}
	;

/* network NAME(params) { ... }  or  network NAME { ... } */
network:
	NETWORK IDENT '(' params ')' body {
		$$ = named(P, AST_NETWORK, @$, $2);
		$$->kids = $4;
		$$->a = $6;
	}
	| NETWORK IDENT body {
		$$ = named(P, AST_NETWORK, @$, $2);
		$$->a = $3;
	}
	;

/* data NAME { field = expr ... }   train NAME { ... } */
section:
	DATA IDENT '{' fields '}'  { $$ = named(P, AST_DATA, @$, $2); $$->kids = $4; }
	| TRAIN IDENT '{' fields '}' { $$ = named(P, AST_TRAIN, @$, $2); $$->kids = $4; }
	;

fields:
	%empty                  { $$ = (struct ast_list){0}; }
	| fields field          { $$ = $1; ast_push(P->A, &$$, $2); }
	| fields error          { $$ = $1; }
	;

field:
	fieldname '=' expr %prec STMT { $$ = named(P, AST_FIELD, @$, $1); $$->a = $3; }
	;

/* Field and keyword-argument names may be keywords: `network = lenet`,
 * `data = digits` in a train section. */
fieldname:
	IDENT
	| IMPORT  { $$ = kw(P, "import", @$); }
	| BLOCK   { $$ = kw(P, "block", @$); }
	| NETWORK { $$ = kw(P, "network", @$); }
	| DATA    { $$ = kw(P, "data", @$); }
	| TRAIN   { $$ = kw(P, "train", @$); }
	| INPUT   { $$ = kw(P, "input", @$); }
	;

params:
	%empty                  { $$ = (struct ast_list){0}; }
	| params1
	| params1 ','
	;

params1:
	param                   { $$ = (struct ast_list){0}; ast_push(P->A, &$$, $1); }
	| params1 ',' param     { $$ = $1; ast_push(P->A, &$$, $3); }
	;

param:
	IDENT                   { $$ = named(P, AST_PARAM, @$, $1); }
	| IDENT '=' expr        { $$ = named(P, AST_PARAM, @$, $1); $$->a = $3; }
	;

/* { statements } : the value is the `return` or the last expression. */
body:
	'{' stmts '}'           { $$ = NEW(AST_BODY, @$); $$->kids = $2; }
	;

stmts:
	%empty                  { $$ = (struct ast_list){0}; }
	| stmts stmt            { $$ = $1; ast_push(P->A, &$$, $2); }
	| stmts error           { $$ = $1; }
	;

stmt:
	LET IDENT '=' expr %prec STMT { $$ = named(P, AST_LET, @$, $2); $$->a = $4; }
	| RETURN expr %prec STMT { $$ = NEW(AST_RETURN, @$); $$->a = $2; }
	| INPUT IDENT ':' IDENT '[' exprs ']' {
		$$ = named(P, AST_INPUT, @$, $2);
		static const char *const dt[] = { "f32", "f16", "f64", "i32", "u8" };
		for (int i = 0; i < 5; i++)
			if (strcmp($4->name, dt[i]) == 0)
				$$->op = AST_F32 + i;
		if (!$$->op)
			diag_error(P->D, @4, "unknown element type '%s'; expected f32, f16, f64, i32 or u8",
				   $4->name);
		$$->kids = $6;
		$$->c = $4;
	}
	| expr %prec STMT       { $$ = NEW(AST_EXPR, @$); $$->a = $1; }
	;

expr:
	primary
	| CHAIN expr            {
		$$ = $2;
		if ($$->kind == AST_CHAIN)
			$$->ival = 1;
		$$->loc = @$;
	}
	| expr ARROW expr       {
		/* a => b => c is one flat chain of stages. */
		if ($1->kind == AST_CHAIN && !$1->op) {
			$$ = $1;
		} else {
			$$ = NEW(AST_CHAIN, @1);
			ast_push(P->A, &$$->kids, $1);
		}
		if ($3->kind == AST_CHAIN && !$3->op)
			for (int i = 0; i < $3->kids.n; i++)
				ast_push(P->A, &$$->kids, $3->kids.v[i]);
		else
			ast_push(P->A, &$$->kids, $3);
		$$->loc = @$;
	}
	| expr OR expr          { $$ = binary(P, AOP_OR, $1, $3, @$); }
	| expr AND expr         { $$ = binary(P, AOP_AND, $1, $3, @$); }
	| NOT expr              { $$ = unary(P, AOP_NOT, $2, @$); }
	| expr EQ expr          { $$ = binary(P, AOP_EQ, $1, $3, @$); }
	| expr NE expr          { $$ = binary(P, AOP_NE, $1, $3, @$); }
	| expr '<' expr         { $$ = binary(P, AOP_LT, $1, $3, @$); }
	| expr LE expr          { $$ = binary(P, AOP_LE, $1, $3, @$); }
	| expr '>' expr         { $$ = binary(P, AOP_GT, $1, $3, @$); }
	| expr GE expr          { $$ = binary(P, AOP_GE, $1, $3, @$); }
	| expr '+' expr         { $$ = binary(P, AOP_ADD, $1, $3, @$); }
	| expr '-' expr         { $$ = binary(P, AOP_SUB, $1, $3, @$); }
	| expr '*' expr         { $$ = binary(P, AOP_MUL, $1, $3, @$); }
	| expr '/' expr         { $$ = binary(P, AOP_DIV, $1, $3, @$); }
	| expr IDIV expr        { $$ = binary(P, AOP_IDIV, $1, $3, @$); }
	| expr '%' expr         { $$ = binary(P, AOP_MOD, $1, $3, @$); }
	| expr POW expr         { $$ = binary(P, AOP_POW, $1, $3, @$); }
	| '-' expr %prec UMINUS { $$ = unary(P, AOP_NEG, $2, @$); }
	| '+' expr %prec UMINUS { $$ = unary(P, AOP_POS, $2, @$); }
	| expr '(' args ')'     { $$ = NEW(AST_CALL, @$); $$->a = $1; $$->kids = $3; }
	| expr '.' IDENT        { $$ = named(P, AST_MEMBER, @$, $3); $$->a = $1; }
	| expr '[' expr ']'     { $$ = NEW(AST_INDEX, @$); $$->a = $1; $$->b = $3; }
	;

primary:
	INT
	| FLOAT
	| STRING
	| IDENT
	| TRUE                  { $$ = NEW(AST_BOOL, @$); $$->ival = 1; }
	| FALSE                 { $$ = NEW(AST_BOOL, @$); $$->ival = 0; }
	| '[' exprs ']'         { $$ = NEW(AST_LIST, @$); $$->kids = $2; }
	| '(' expr ')'          {
		$$ = $2;
		/* Parentheses keep a chain whole: ((a => b)) stays one stage. */
		if ($$->kind == AST_CHAIN)
			$$->op = 1;
	}
	| ifexpr
	;

/* if c { ... } else { ... }   if c { ... } else if d { ... } else { ... } */
ifexpr:
	IF expr body ELSE body  { $$ = NEW(AST_IF, @$); $$->a = $2; $$->b = $3; $$->c = $5; }
	| IF expr body ELSE ifexpr { $$ = NEW(AST_IF, @$); $$->a = $2; $$->b = $3; $$->c = $5; }
	;

args:
	%empty                  { $$ = (struct ast_list){0}; }
	| args1
	| args1 ','
	;

args1:
	arg                     { $$ = (struct ast_list){0}; ast_push(P->A, &$$, $1); }
	| args1 ',' arg         { $$ = $1; ast_push(P->A, &$$, $3); }
	;

arg:
	expr                    { $$ = NEW(AST_ARG, @$); $$->a = $1; }
	| fieldname '=' expr    { $$ = named(P, AST_ARG, @$, $1); $$->a = $3; }
	;

exprs:
	%empty                  { $$ = (struct ast_list){0}; }
	| exprs1
	| exprs1 ','
	;

exprs1:
	expr                    { $$ = (struct ast_list){0}; ast_push(P->A, &$$, $1); }
	| exprs1 ',' expr       { $$ = $1; ast_push(P->A, &$$, $3); }
	;

%%

/* Report NUL bytes and invalid UTF-8, blanking them in the scanner's copy
 * so scanning goes on.  Columns count code points, as the scanner does. */
static void check_bytes(struct parse_ctx *P, char *s, size_t n)
{
	int line = 1, col = 1;
	size_t i = 0;
	/* A UTF-8 byte order mark is not part of the text. */
	if (n >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
	    (unsigned char)s[2] == 0xBF)
		i = 3;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		struct loc at = { P->file, line, col, line, col + 1 };
		if (c == '\n') {
			line++;
			col = 1;
			i++;
			continue;
		}
		if (c == 0) {
			diag_error(P->D, at, "NUL byte in source file");
			s[i++] = ' ';
			col++;
			continue;
		}
		if (c < 0x80) {
			i++;
			col++;
			continue;
		}
		/* Length and minimum value of a UTF-8 sequence by its lead byte. */
		int len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? (c <= 0xEF ? 3 : 0) : c >= 0xC0 ? 2 : 0;
		bool ok = len > 0 && i + (size_t)len <= n;
		uint32_t cp = len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
		for (int k = 1; ok && k < len; k++) {
			unsigned char cc = (unsigned char)s[i + (size_t)k];
			if ((cc & 0xC0) != 0x80)
				ok = false;
			cp = cp << 6 | (cc & 0x3F);
		}
		if (ok && ((len == 2 && cp < 0x80) || (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
			   (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))))
			ok = false;
		if (!ok) {
			/* One error for the lead byte and the continuation bytes
			 * that follow it (at most the sequence's length). */
			size_t k = 1;
			while (len > 1 && k < (size_t)len && i + k < n &&
			       ((unsigned char)s[i + k] & 0xC0) == 0x80)
				k++;
			if (k == 1) {
				diag_error(P->D, at, "invalid UTF-8 byte 0x%02x in source file", c);
			} else {
				char b[32];
				size_t m = 0;
				for (size_t j = 0; j < k; j++)
					m += (size_t)snprintf(b + m, sizeof b - m, "%s0x%02x", j ? " " : "",
							      (unsigned char)s[i + j]);
				diag_error(P->D, at, "invalid UTF-8 sequence %s in source file", b);
			}
			for (size_t j = 0; j < k; j++)
				s[i + j] = ' ';
			i += k;
			col++;
			continue;
		}
		i += (size_t)len;
		col++;
	}
}

struct ast *parse_file(struct arena *A, struct diag_ctx *D, int file)
{
	struct parse_ctx P = { .A = A, .D = D, .file = file, .line = 1, .col = 1 };
	const struct src_file *f = &D->files[file];
	jmp_buf jb, *saved = A->oom;
	yyscan_t sc = NULL;
	volatile int scanner_live = 0;
	P.root = ast_new(A, AST_FILE, (struct loc){ file, 1, 1, 1, 1 });
	/* Out of memory (or the scanner's fatal handler) unwinds to here so the
	 * scanner is destroyed, then on to the caller's handler, if any. */
	if (setjmp(jb)) {
		if (scanner_live)
			netc_yylex_destroy(sc);
		A->oom = saved;
		if (saved)
			longjmp(*saved, 1);
		return P.root;
	}
	A->oom = &jb;
	char *copy = arena_strndup(A, f->text, f->len);
	check_bytes(&P, copy, f->len);
	if (netc_yylex_init_extra(&P, &sc) != 0) {
		diag_error(D, (struct loc){ file, 1, 1, 1, 1 }, "cannot start the scanner");
		A->oom = saved;
		return P.root;
	}
	scanner_live = 1;
	P.scanner = sc;
	size_t skip = f->len >= 3 && memcmp(copy, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	netc_yy_scan_bytes(copy + skip, (int)(f->len - skip), sc);
	netc_yyparse(sc, &P);
	netc_yylex_destroy(sc);
	scanner_live = 0;
	A->oom = saved;
	return P.root;
}
