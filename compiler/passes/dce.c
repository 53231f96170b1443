/* dce.c - dead-node elimination: drop every node no graph output depends
 * on.  Inputs stay (they are the network's signature), ids are renumbered. */
#include "passes.h"

bool pass_dce(struct graph *g, struct diag_ctx *D)
{
	int before = g->n;

	(void)D;
	graph_prune(g);
	return g->n != before;
}
