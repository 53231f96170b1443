/* session.c - session.h: checking a set of definitions as one made file,
 * putting new definitions in force, and the live program.  A live program
 * is kept while the training program that a train section compiles to
 * stays the same text (tprog_dump and the embedded configuration, hashed):
 * a redefinition that changes it, or anything it depends on, compiles and
 * initialises it afresh; one that does not keeps its trained weights. */
#include "config.h"
#include "repl/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "program.h"
#include "train/tprog.h"

double repl_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void summary_line(const struct diag_ctx *D)
{
	int n = diag_shown_errors(D);
	if (D->stopped || (n <= 1 && !D->nwarnings))
		return;
	fprintf(stderr, "%d error%s", n, n == 1 ? "" : "s");
	if (D->nwarnings)
		fprintf(stderr, " and %d warning%s", D->nwarnings, D->nwarnings == 1 ? "" : "s");
	fputs(" generated.\n", stderr);
}

int repl_front(struct repl *R, const struct defs *set, bool check, front_fn *fn, void *arg)
{
	struct front *F = calloc(1, sizeof *F);
	struct diag_seg *segs = NULL;
	int nsegs = 0;
	char *text = F ? defs_text(set, &segs, &nsegs) : NULL;
	jmp_buf oom;
	volatile int rc = 1;
	double t0 = repl_now();

	if (!text) {
		fputs("netc repl: out of memory\n", stderr);
		free(F);
		return 1;
	}
	diag_init(&F->D, stderr);
	F->D.error_limit = R->o.error_limit;
	F->D.map_path = R->made_path;
	F->D.segs = segs;
	F->D.nsegs = nsegs;
	arena_init(&F->A);
	if (setjmp(oom)) {
		fputs("netc repl: out of memory\n", stderr);
		rc = 1;
		goto done;
	}
	F->A.oom = &oom;
	sema_init(&F->S, &F->A, &F->D, R->o.dirs, R->o.ndirs, R->o.stdlib_dir);
	F->S.world = R->o.world;
	if (sema_load_text(&F->S, R->made_path, text, strlen(text))) {
		if (check && F->D.nerrors == 0)
			sema_check(&F->S);
		if (F->D.nerrors == 0)
			rc = fn ? fn(R, F, arg) : 0;
	}
	if (F->D.nerrors && rc == 0)
		rc = 1;
	summary_line(&F->D);
done:
	fflush(stdout);
	arena_free(&F->A);
	diag_free(&F->D);
	free(text);
	free(segs);
	free(F);
	R->t_compile += repl_now() - t0;
	return rc;
}

int repl_define(struct repl *R, const char *text, const char *origin, int line)
{
	struct defs got = { 0 }, next;
	char err[1024];
	bool replaced[256] = { false };
	int rc;

	if (defs_split(text, origin, line, &got, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	next = defs_copy(&R->defs);
	if (R->defs.n && !next.n) {
		fputs("netc repl: out of memory\n", stderr);
		defs_free(&got);
		return 1;
	}
	for (int i = 0; i < got.n; i++) {
		bool r = defs_put(&next, got.v[i]);   /* next owns its strings now */
		if (i < 256)
			replaced[i] = r;
	}
	rc = repl_front(R, &next, true, NULL, NULL);
	if (rc) {
		fputs("(the definitions before stay in force)\n", stderr);
		defs_free(&next);
		free(got.v);
		return 1;
	}
	for (int i = 0; i < got.n; i++)
		printf("%s %s %s\n", replaced[i < 256 ? i : 0] ? "redefined" : "defined",
		       def_kind_name(got.v[i].kind), got.v[i].name);
	free(got.v);
	defs_free(&R->defs);
	R->defs = next;
	return 0;
}

/* ---------------------------------------------------------------- live */

void repl_live_close(struct repl *R)
{
	struct live *L = &R->live;
	nrt_session_close(L->run);
	jit_free(L->jit);
	free(L->train);
	free(L->data);
	memset(L, 0, sizeof *L);
}

static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

/* The identity of a program: its text and its configuration. */
static uint64_t program_text_hash(const struct tprog *P)
{
	char *buf = NULL;
	size_t n = 0;
	uint64_t h = 0xcbf29ce484222325ull;
	FILE *f = open_memstream(&buf, &n);
	if (!f)
		return 0;
	tprog_dump(f, P);
	fclose(f);
	h = fnv(h, buf, n);
	free(buf);
	if (P->config)
		h = fnv(h, P->config, strlen(P->config));
	return h ? h : 1;
}

static int open_run(struct repl *R)
{
	struct live *L = &R->live;
	struct nrt_driver_opts o;
	char *argv[] = { (char *)"netc repl", NULL };
	int status;

	if (nrt_driver_parse(L->e.program, 1, argv, &o, stdout, stderr))
		return 1;
	o.threads = R->threads;
	o.no_checkpoint = true;
	o.log = "none";
	o.synthetic = L->bare;
	L->run = nrt_session_open(&L->e, "netc repl", &o, &status);
	return L->run ? 0 : 1;
}

struct live_arg {
	const char *train;
	bool bare;
};

static int live_fn(struct repl *R, struct front *F, void *arg)
{
	struct live_arg *a = arg;
	struct live *L = &R->live;
	struct tprog *P;
	struct jit_times t;
	uint64_t h;

	if (netc_build_program(&F->A, &F->D, &F->S, a->train, NULL, R->o.batch, false, stdout, &P) ||
	    !P)
		return 1;
	h = program_text_hash(P);
	if (L->train && strcmp(L->train, P->name) == 0 && L->hash == h && L->run)
		return 0;   /* the same program: keep it and its weights */
	if (L->train && !L->bare)   /* a bare network's program had no weights of note */
		printf("%s: %s, compiling it afresh (new weights)\n", P->name,
		       strcmp(L->train, P->name) ? a->bare ? "a bare network" : "another train section"
						 : "the program changed");
	repl_live_close(R);
	if (jit_compile(P, &R->o.bo, &F->D, &L->jit, &L->e, &t))
		return 1;
	L->train = strdup(P->name);
	L->hash = h;
	L->bare = a->bare;
	cJSON *cfg = cJSON_Parse(P->config ? P->config : "{}");
	const cJSON *d = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, "data") : NULL;
	const cJSON *dn = d ? cJSON_GetObjectItemCaseSensitive(d, "name") : NULL;
	if (cJSON_IsString(dn))
		L->data = strdup(dn->valuestring);
	cJSON_Delete(cfg);
	if (open_run(R)) {
		repl_live_close(R);
		return 1;
	}
	return 0;
}

int repl_live_set(struct repl *R, const struct defs *set, const char *train, bool bare)
{
	struct live_arg a = { train, bare };
	return repl_front(R, set, false, live_fn, &a);
}

int repl_live(struct repl *R, const char *train)
{
	return repl_live_set(R, &R->defs, train, false);
}

int repl_live_reopen(struct repl *R)
{
	struct live *L = &R->live;
	char path[] = "/tmp/netc-repl-XXXXXX";
	int fd, rc;

	if (!L->run)
		return 0;
	if (L->bare) {   /* nothing trained: the next :eval initialises it again, alike */
		repl_live_close(R);
		return 0;
	}
	fd = mkstemp(path);
	if (fd < 0) {
		perror("netc repl: a temporary checkpoint");
		return 1;
	}
	close(fd);
	rc = nrt_session_save(L->run, path);
	if (rc == 0) {
		nrt_session_close(L->run);
		L->run = NULL;
		rc = open_run(R);
		if (rc == 0)
			rc = nrt_session_restore(L->run, path);
	}
	unlink(path);
	if (rc)
		repl_live_close(R);
	return rc;
}

/* `network = NAME` in a train section's text (NAME or NAME(...)). */
static bool trains(const char *text, const char *net)
{
	size_t n = strlen(net);
	for (const char *p = strstr(text, "network"); p; p = strstr(p + 1, "network")) {
		const char *q = p + 7;
		q += strspn(q, " \t");
		if (*q != '=')
			continue;
		q++;
		q += strspn(q, " \t");
		if (strncmp(q, net, n) == 0 && !(q[n] == '_' || (q[n] >= 'a' && q[n] <= 'z') ||
						 (q[n] >= 'A' && q[n] <= 'Z') || (q[n] >= '0' && q[n] <= '9')))
			return true;
	}
	return false;
}

const char *repl_train_of(const struct repl *R, const char *net)
{
	for (int i = 0; i < R->defs.n; i++)
		if (R->defs.v[i].kind == DEF_TRAIN && trains(R->defs.v[i].text, net))
			return R->defs.v[i].name;
	return NULL;
}
