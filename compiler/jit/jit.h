/* jit.h - a laid-out training program compiled in process: the LLVM
 * backend's module (the lowering, verification and pass pipeline of
 * `netc build`, for the same target cpu and features, so the bits of
 * every step equal the built program's), run by ORC LLJIT, its entry
 * points handed out as the driver's struct nrt_entry.  The generated code
 * calls the runtime (kernels, helpers) linked into this process. */
#ifndef NETC_JIT_H
#define NETC_JIT_H

#include <stddef.h>

#include "backend/backend.h"
#include "driver.h"

struct jit;

/* Timings of jit_compile, in seconds. */
struct jit_times {
	double module;               /* lowering, verification and the pass pipeline */
	double codegen;              /* LLJIT: machine code and linking (the first lookup) */
};

/* Compile P (laid out, verified) for o's target (opt level, cpu, features;
 * o->output is ignored).  The new JIT in *out; e is filled from it and
 * stays valid until jit_free.  0, or -1 after a diagnostic on D. */
int jit_compile(const struct tprog *P, const struct backend_opts *o, struct diag_ctx *D,
		struct jit **out, struct nrt_entry *e, struct jit_times *t);
/* The machine code and everything of j; NULL is fine. */
void jit_free(struct jit *j);

#endif
