/* tjit.h - the differential tests' handle on a training program compiled
 * in process: compiler/jit (the JIT of netc run and netc repl: the LLVM
 * backend's module with netc build's lowering, verification and O2
 * pipeline, run by ORC LLJIT), its entry points and its error as text. */
#ifndef NETC_TESTS_TJIT_H
#define NETC_TESTS_TJIT_H

#include <stdint.h>

#include "jit/jit.h"
#include "netrt.h"
#include "tprog.h"

typedef int netc_entry_fn(struct netrt_ctx *);

struct tjit {
	struct jit *J;               /* compiler/jit's handle */
	char err[2048];              /* why tjit_load failed (jit_compile's diagnostic) */
	netc_entry_fn *init, *forward, *train_step, *eval_step;
	int64_t (*workspace_size)(int);
	const struct netrt_program *program;
};

/* Compile P at O2 for the host and take its entry points; 0, or -1 with
 * j->err set. */
int tjit_load(struct tjit *j, const struct tprog *P);
/* The machine code of j; after a failed tjit_load too. */
void tjit_free(struct tjit *j);

#endif
