/* jit.h - a training program compiled by the LLVM backend (the same
 * lowering, verification and O2 pipeline as netc build) and run in
 * process through ORC LLJIT, for the differential tests. */
#ifndef NETC_TESTS_JIT_H
#define NETC_TESTS_JIT_H

#include <stdint.h>

#include "check.h"
#include "netrt.h"
#include "tprog.h"

typedef int netc_entry_fn(struct netrt_ctx *);

struct jit {
	void *J;                     /* LLVMOrcLLJITRef */
	struct lstatus st;           /* why jit_load failed */
	netc_entry_fn *init, *forward, *train_step, *eval_step;
	int64_t (*workspace_size)(int);
	const struct netrt_program *program;
};

/* Compile P and look up its entry points; 0, or -1 with j->st.text set. */
int jit_load(struct jit *j, const struct tprog *P);
void jit_free(struct jit *j);

#endif
