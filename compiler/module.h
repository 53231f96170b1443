/* module.h - source files and imports.  A module is one parsed .net file
 * with its table of declarations and the modules it imports.  Imports are
 * searched in the importing file's folder, the -I folders, NETC_PATH and
 * the stdlib; cycles are reported with the chain of imports. */
#ifndef NETC_MODULE_H
#define NETC_MODULE_H

#include "arena.h"
#include "ast.h"
#include "diag.h"
#include "value.h"

struct module {
	const char *path;           /* the file as opened */
	const char *name;           /* import name ("resnet") or the path */
	int file;                   /* diag file index */
	struct ast *ast;            /* AST_FILE */
	struct strmap decls;        /* name -> const struct ast * */
	const struct ast **order;   /* declarations in source order */
	int ndecls, capdecls;
	struct module **imports;
	int nimports, capimports;
	enum { MOD_LOADING = 1, MOD_DONE } state;
	const struct ast *import_at;/* the import that is loading this one (cycle notes) */
	struct module *importer;
};

struct loader {
	struct arena *A;
	struct diag_ctx *D;
	const char **dirs;          /* -I, NETC_PATH, stdlib, in search order */
	int ndirs, capdirs;
	struct strmap by_path;      /* canonical path -> module */
	int depth;
};

enum { MODULE_DEPTH_MAX = 64, MODULE_SIZE_MAX = 64 << 20 };

void loader_init(struct loader *L, struct arena *A, struct diag_ctx *D);
void loader_add_dir(struct loader *L, const char *dir);
/* Add the folders of a colon-separated list (NETC_PATH). */
void loader_add_path_list(struct loader *L, const char *list);
/* Load and parse a file and, recursively, its imports.  NULL when the file
 * cannot be read (reported at `at`, or without location). */
struct module *module_load(struct loader *L, const char *path, struct loc at);
/* The same for source text already in memory (tests, fuzzing, the REPL);
 * `path` names it in messages and decides where its imports are found. */
struct module *module_load_text(struct loader *L, const char *path, const char *text, size_t len);
/* Find a declaration visible in m: its own, then its direct imports'.
 * *from is set to the module that defines it. */
const struct ast *module_find(const struct module *m, const char *name, struct module **from);

#endif
