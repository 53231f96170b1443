/* program.h - a train section to its laid-out training program: the
 * pipeline of `netc build` (program.c), which netc run and the REPL reuse. */
#ifndef NETC_PROGRAM_H
#define NETC_PROGRAM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "diag.h"
#include "sema.h"
#include "train/tprog.h"

/* The training program of train section `name` of S (NULL: the first):
 * the graph passes (fold, cse, dce; none with no_opt), autodiff (batch 0:
 * the section's), the program passes (bnfold, fuse), the memory plan
 * (unless no_opt) and the layout, verified.  With dump_after, the graph or
 * program after that pass is printed to `dump` and *out is NULL.  *out:
 * the program, or NULL when there is nothing to generate.  Returns 0, or
 * 1 after diagnostics on D. */
int netc_build_program(struct arena *A, struct diag_ctx *D, struct sema *S, const char *name,
		       const char *dump_after, int64_t batch, bool no_opt, FILE *dump,
		       struct tprog **out);

#endif
