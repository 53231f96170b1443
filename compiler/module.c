/* module.c - loading source files and resolving imports; see module.h. */
#include "module.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void loader_init(struct loader *L, struct arena *A, struct diag_ctx *D)
{
	memset(L, 0, sizeof *L);
	L->A = A;
	L->D = D;
}

void loader_add_dir(struct loader *L, const char *dir)
{
	if (!dir || !*dir)
		return;
	L->dirs = arena_grow(L->A, L->dirs, &L->capdirs, L->ndirs, sizeof *L->dirs);
	L->dirs[L->ndirs++] = arena_strdup(L->A, dir);
}

void loader_add_path_list(struct loader *L, const char *list)
{
	if (!list)
		return;
	const char *p = list;
	while (*p) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n)
			loader_add_dir(L, arena_strndup(L->A, p, n));
		p += n;
		if (*p == ':')
			p++;
	}
}

/* Read a whole file; NULL with errno set on failure. */
static char *read_file(const char *path, size_t *len, int *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		*err = errno;
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		*err = EISDIR;
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n == cap) {
			if (cap >= MODULE_SIZE_MAX) {
				free(buf);
				fclose(f);
				*err = EFBIG;
				return NULL;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0) {
			if (ferror(f)) {
				*err = errno ? errno : EIO;
				free(buf);
				fclose(f);
				return NULL;
			}
			break;
		}
	}
	fclose(f);
	if (!buf) {
		*err = ENOMEM;
		return NULL;
	}
	*len = n;
	return buf;
}

static bool is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *dir_of(struct arena *A, const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? arena_strndup(A, path, (size_t)(s - path) + (s == path)) : ".";
}

/* The folder an import written at `at` in module m is searched first:
 * the folder of the file the import came from (diag_origin: in the REPL's
 * made file, the file the definition was loaded from, or the working
 * folder for a typed one). */
static const char *import_dir(struct loader *L, const struct module *m, struct loc at)
{
	const char *o = diag_origin(L->D, at);
	return dir_of(L->A, o ? o : m->path);
}

/* Where `import "name"` written at `at` in module `from` is found, or NULL. */
static const char *find_import(struct loader *L, const struct module *from, const char *name,
			       struct loc at)
{
	bool has_ext = strlen(name) > 4 && strcmp(name + strlen(name) - 4, ".net") == 0;
	const char *first = import_dir(L, from, at);
	for (int i = -1; i < L->ndirs; i++) {
		const char *d = i < 0 ? first : L->dirs[i];
		const char *p = name[0] == '/' ? name
			: arena_printf(L->A, "%s/%s%s", d, name, has_ext ? "" : ".net");
		if (is_file(p))
			return p;
		if (name[0] == '/')
			break;
	}
	return NULL;
}

static void add_decl(struct loader *L, struct module *m, const struct ast *d)
{
	const struct ast *prev = strmap_get(&m->decls, d->name);
	if (prev) {
		diag_error(L->D, d->name_loc, "'%s' is already defined in this file", d->name);
		diag_note(L->D, prev->name_loc, "previous definition of '%s' is here", d->name);
		return;
	}
	strmap_put(L->A, &m->decls, d->name, (void *)d);
	m->order = arena_grow(L->A, m->order, &m->capdecls, m->ndecls, sizeof *m->order);
	m->order[m->ndecls++] = d;
}

/* Report an import cycle: `at` imports `target`, which is still loading. */
static void report_cycle(struct loader *L, const struct module *m, const struct ast *at,
			 const struct module *target)
{
	char chain[1024];
	size_t k = 0;
	const struct module *ms[MODULE_DEPTH_MAX + 2];
	int n = 0;
	for (const struct module *p = m; p && n < MODULE_DEPTH_MAX; p = p->importer) {
		ms[n++] = p;
		if (p == target)
			break;
	}
	/* ms[n-1] == target ... ms[0] == m: print target -> ... -> m -> target */
	for (int i = n - 1; i >= 0 && k < sizeof chain - 64; i--)
		k += (size_t)snprintf(chain + k, sizeof chain - k, "%s -> ", ms[i]->name);
	snprintf(chain + k, sizeof chain - k, "%s", target->name);
	diag_error(L->D, at->name_loc, "import cycle: %s", chain);
	for (int i = 0; i < n - 1; i++)
		if (ms[i]->import_at)
			diag_note(L->D, ms[i]->import_at->name_loc, "'%s' is imported by '%s' here",
				  ms[i]->name, ms[i]->importer->name);
}

static struct module *load(struct loader *L, const char *path, const char *name,
			   struct loc at, struct module *importer, const struct ast *imp,
			   const char *preload, size_t preload_len)
{
	char *canon = preload ? NULL : realpath(path, NULL);
	const char *key = canon ? arena_strdup(L->A, canon) : path;
	free(canon);
	struct module *m = strmap_get(&L->by_path, key);
	if (m) {
		if (m->state == MOD_LOADING) {
			report_cycle(L, importer, imp, m);
			return NULL;
		}
		return m;
	}
	size_t len = 0;
	int err = 0;
	int file;
	if (preload) {
		file = diag_add_file(L->D, path, preload, preload_len);
	} else {
		char *text = read_file(path, &len, &err);
		if (!text) {
			diag_error(L->D, at, "cannot read '%s': %s", path,
				   err == EFBIG ? "file is larger than 64 MiB" : strerror(err));
			return NULL;
		}
		file = diag_add_file(L->D, path, text, len);
		free(text);
	}
	if (file < 0) {
		diag_error(L->D, at, "out of memory reading '%s'", path);
		return NULL;
	}
	m = arena_alloc(L->A, sizeof *m);
	m->path = arena_strdup(L->A, path);
	m->name = name;
	m->file = file;
	m->state = MOD_LOADING;
	m->importer = importer;
	m->import_at = imp;
	strmap_put(L->A, &L->by_path, key, m);
	m->ast = parse_file(L->A, L->D, file);
	L->depth++;
	for (int i = 0; i < m->ast->kids.n && !L->D->stopped; i++) {
		const struct ast *d = m->ast->kids.v[i];
		if (d->kind != AST_IMPORT) {
			add_decl(L, m, d);
			continue;
		}
		if (L->depth > MODULE_DEPTH_MAX) {
			diag_error(L->D, d->name_loc, "imports are nested more than %d deep", MODULE_DEPTH_MAX);
			continue;
		}
		const char *p = find_import(L, m, d->name, d->name_loc);
		if (!p) {
			diag_error(L->D, d->name_loc, "cannot find module '%s'", d->name);
			char list[2048];
			size_t k = (size_t)snprintf(list, sizeof list, "%s", import_dir(L, m, d->name_loc));
			for (int j = 0; j < L->ndirs && k < sizeof list; j++)
				k += (size_t)snprintf(list + k, sizeof list - k, ", %s", L->dirs[j]);
			diag_note(L->D, d->name_loc, "searched for '%s.net' in: %s", d->name, list);
			continue;
		}
		struct module *im = load(L, p, d->name, d->name_loc, m, d, NULL, 0);
		if (!im)
			continue;
		for (int j = 0; j < m->nimports; j++)
			if (m->imports[j] == im) {
				diag_warning(L->D, d->name_loc, "module '%s' is imported twice", d->name);
				im = NULL;
				break;
			}
		if (im) {
			m->imports = arena_grow(L->A, m->imports, &m->capimports, m->nimports, sizeof *m->imports);
			m->imports[m->nimports++] = im;
		}
	}
	L->depth--;
	m->state = MOD_DONE;
	return m;
}

/* "models/unet.net" -> "unet", as an import would name it. */
static const char *module_name(struct loader *L, const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t n = strlen(b);
	if (n > 4 && strcmp(b + n - 4, ".net") == 0)
		n -= 4;
	return arena_strndup(L->A, b, n);
}

struct module *module_load(struct loader *L, const char *path, struct loc at)
{
	return load(L, path, module_name(L, path), at, NULL, NULL, NULL, 0);
}

struct module *module_load_text(struct loader *L, const char *path, const char *text, size_t len)
{
	return load(L, path, module_name(L, path), loc_none(), NULL, NULL, text, len);
}

const struct ast *module_find(const struct module *m, const char *name, struct module **from)
{
	const struct ast *d = strmap_get(&m->decls, name);
	if (d) {
		*from = (struct module *)m;
		return d;
	}
	for (int i = 0; i < m->nimports; i++) {
		d = strmap_get(&m->imports[i]->decls, name);
		if (d) {
			*from = m->imports[i];
			return d;
		}
	}
	return NULL;
}
