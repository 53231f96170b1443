/* passes.h - graph passes over the forward graph, run by `netc build`
 * before the training program is built (tprog_build):
 *
 *   fold  algebraic simplification: identity ops (identity, dropout with
 *         p = 0, reshape/flatten to the same shape) removed, reshape of a
 *         reshape/flatten collapsed into one reshape
 *   cse   common-subexpression elimination of parameter-free nodes
 *   dce   dead-node elimination (graph_prune)
 *
 * Each pass returns true when it changed the graph; errors (none expected
 * from these) would go to D.  Every pass leaves the graph in topological
 * order with ids renumbered, so graph_verify holds after each. */
#ifndef NETC_PASSES_H
#define NETC_PASSES_H

#include <stdbool.h>
#include <stdio.h>

#include "graph.h"

bool pass_fold(struct graph *g, struct diag_ctx *D);
bool pass_cse(struct graph *g, struct diag_ctx *D);
bool pass_dce(struct graph *g, struct diag_ctx *D);

/* fold -> cse -> dce, checking the graph (graph_verify) after each pass.
 * dump_after: "fold", "cse" or "dce" prints graph_dump to `out` after that
 * pass (NULL: none).  False after an internal-error diagnostic. */
bool passes_run(struct graph *g, struct diag_ctx *D, const char *dump_after, FILE *out);

/* Is `name` a pass passes_run can dump after? */
bool passes_is_pass(const char *name);

/* For the passes: what n is replaced by, following chains in repl
 * (repl[id] NULL: kept), so a -> b -> c gives c. */
struct node *passes_final(struct node **repl, struct node *n);

/* For the passes: replace every use of a node by repl[node->id] (NULL: keep),
 * in the inputs of every node and in the graph outputs, following chains of
 * replacements.  Then remove the replaced nodes and whatever became dead
 * (graph_prune), renumbering ids. */
void passes_replace(struct graph *g, struct node **repl);

#endif
