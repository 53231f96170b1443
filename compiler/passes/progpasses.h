/* progpasses.h - passes over the training program (compiler/train/
 * tprog.h), run by `netc build` after tprog_build and before the memory
 * planner lays out the ACT arena (tprog_layout):
 *
 *   bnfold  batchnorm folding in the inference lists (forward, eval_step):
 *           a conv or dense whose output only feeds a batchnorm in
 *           inference mode becomes a conv with folded weights, computed
 *           from the current parameters and running statistics by a
 *           batchnorm_fold step right before the layer, at every call of
 *           the list (bnfold.c)
 *   fuse    operator fusion in every list: activation backward steps read
 *           the activation's output instead of its input where that is
 *           the same test (relu; leaky_relu with a positive slope);
 *           conv/conv_transpose/dense forward + bias + relu/leaky_relu as
 *           one step with the activation in the kernel's epilogue; chains
 *           of elementwise steps as one `elementwise` step that the
 *           backend generates as one loop; a copy of a value nothing else
 *           reads written by its producer directly (fuse.c)
 *
 * Why on the program and not on the graph: autodiff needs the unfused
 * graph (every op's gradient rule reads its own input and output), and
 * most of what fuses -- a relu's backward with the accumulation of a
 * gradient, an activation whose input the backward no longer needs --
 * exists only once the backward steps do.  The program's steps name
 * their buffers and roles, so legality is a question about the list
 * (who else reads this buffer?), answered the same way for every list.
 *
 * Every rewrite computes the same values with the same arithmetic in the
 * same order, so programs train bitwise alike with and without `fuse`
 * (tests/passes/test_fuse.c); bnfold changes the rounding of the
 * inference output (within |a - b| <= 1e-5 + 1e-4 |b|: test_bnfold.c).
 * Each pass returns the number of rewrites it made. */
#ifndef NETC_PASSES_PROGPASSES_H
#define NETC_PASSES_PROGPASSES_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "train/tprog.h"

int pass_bnfold(struct tprog *P);
int pass_fuse(struct tprog *P);

/* bnfold -> fuse, each followed by tprog_verify (an internal error to D
 * when it fails).  dump_after: "bnfold" or "fuse" prints tprog_dump to out
 * after that pass (NULL: none).  Run before tprog_layout. */
bool progpasses_run(struct tprog *P, struct diag_ctx *D, const char *dump_after, FILE *out);

/* Is `name` a pass progpasses_run can dump after? */
bool progpasses_is_pass(const char *name);

/* For the passes: whether step s reads (an input role or an = output) or
 * writes (an output role) buffer b. */
bool tp_step_reads(const struct tstep *s, int b);
bool tp_step_writes(const struct tstep *s, int b);
/* Remove the steps of L marked in dead[] (L->n entries), keeping the order. */
void tp_list_compact(struct tp_list *L, const bool *dead);

#endif
