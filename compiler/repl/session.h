/* session.h - the REPL's state: the definitions in force, the checks of a
 * set of them as one file, and the live program (a train section's
 * training program JIT-compiled, with its context, data and parameters
 * kept between commands until the program changes). */
#ifndef NETC_REPL_SESSION_H
#define NETC_REPL_SESSION_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "sema.h"
#include "jit/jit.h"
#include "repl/defs.h"
#include "repl/repl.h"

/* The JIT program of one train section and its run (parameters, data). */
struct live {
	char *train;                 /* the section's name; NULL: no live program */
	uint64_t hash;               /* of the program's text: a change recompiles */
	struct jit *jit;
	struct nrt_entry e;
	struct nrt_session *run;
	char *data;                  /* the data section it reads, or NULL */
	bool bare;                   /* a bare network's: no data, forward passes only */
};

struct repl {
	struct repl_opts o;
	struct defs defs;            /* in force: the last set that checked */
	char *made_path;             /* the name of the made file ("<repl>") */
	int64_t threads;             /* :set threads */
	struct live live;
	/* seconds of the last command (:time): checking, building and JIT
	 * compiling (with the data opened), running steps, the rest */
	double t_compile, t_run, t_other;
	int input_line;              /* the line of the input the entry being run starts on */
};

/* A front end over one set: what a command inspects. */
struct front {
	struct arena A;
	struct diag_ctx D;
	struct sema S;
};

typedef int front_fn(struct repl *R, struct front *F, void *arg);

/* Check `set` as one file (sema_check when check) and, when it has no
 * errors, call fn (may be NULL) with it.  Diagnostics go to stderr, with
 * positions where each definition was entered.  Returns fn's value, or 1
 * after errors. */
int repl_front(struct repl *R, const struct defs *set, bool check, front_fn *fn, void *arg);
/* Definitions from text (of origin, from line on): the set with them
 * checked, then in force; on errors the set before stays.  0 or 1. */
int repl_define(struct repl *R, const char *text, const char *origin, int line);
/* The live program of train section `train` (NULL: the first), compiled
 * and opened unless the live one is that program already.  0 or 1. */
int repl_live(struct repl *R, const char *train);
/* The same over the definitions `set`; bare: a program with no data and no
 * training (the session opened synthetic), for :eval of a bare network. */
int repl_live_set(struct repl *R, const struct defs *set, const char *train, bool bare);
/* Reopen the live run with R->threads, keeping its parameters.  0 or 1. */
int repl_live_reopen(struct repl *R);
void repl_live_close(struct repl *R);
/* The first train section that trains network `net`, or NULL. */
const char *repl_train_of(const struct repl *R, const char *net);
double repl_now(void);

#endif
