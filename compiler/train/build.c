/* build.c - tprog_build: a checked train section to a training program,
 * stage by stage:
 *
 *   config     loss, optimizer, regularize, seed, batch (config.c)
 *   blobs      the parameter table, PARAM/GRAD/STATE/OPT (layout.c)
 *   values     a buffer per node; the loss's logits, targets (loss.c)
 *   plan       which nodes need gradients (autodiff.c); the L2 weights (l2.c)
 *   init       initialisers, zeroed blobs (init.c)
 *   forward    inference forward of every node (forward.c)
 *   eval_step  inference forward, loss, L2
 *   train_step training forward, loss, L2, loss gradient, backward
 *              (grad.c through autodiff.c), L2 gradient, the gradient
 *              allreduce steps (dist.c), update
 *              (optim.c), running statistics
 *
 * and tprog_layout (layout.c) assigns the ACT arena afterwards. */
#include "autodiff.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

/* The folder data paths are relative to, absolute: that of the file that
 * declares the train section, or the data section when it is in the same
 * file.  In the REPL's made file the two are pieces of other files
 * (diag_origin): the file the data section was loaded from, or the working
 * folder when it was typed. */
static const char *base_dir(struct arena *A, struct diag_ctx *D, const struct train_info *ti)
{
	const struct ast *at = ti->decl;
	if (at && ti->data && ti->data->decl && ti->data->decl->loc.file == at->loc.file)
		at = ti->data->decl;
	const char *path = at ? diag_origin(D, at->loc) : NULL;
	const char *slash = path ? strrchr(path, '/') : NULL;
	char *dir = slash ? arena_strndup(A, path, (size_t)(slash - path + (slash == path))) : ".";
	char real[PATH_MAX];
	return realpath(dir, real) ? arena_strdup(A, real) : dir;
}

/* The forward of every node in C's mode. */
static void forward_all(struct ad_ctx *C)
{
	C->phase = TP_FWD;
	for (int i = 0; i < C->P->net->n; i++)
		tp_forward_node(C, C->P->net->nodes[i]);
}

/* The stages in the order of the comment at the top. */
struct tprog *tprog_build(struct arena *A, struct diag_ctx *D, const struct train_info *ti,
			  int64_t batch)
{
	struct tprog *P;
	struct ad_ctx C;
	int errors = D->nerrors;

	if (!ti || !ti->net)
		return NULL;
	if (!tp_forward_complete()) {
		diag_error(D, loc_none(), "internal error: an op has no forward rule (compiler/train/forward.c)");
		return NULL;
	}
	P = arena_alloc(A, sizeof *P);
	P->memplan = true;          /* --no-opt turns it off before tprog_layout */
	P->A = A;
	P->net = ti->net;
	P->name = ti->decl && ti->decl->name ? ti->decl->name : "train";
	P->init.name = "init";
	P->forward.name = "forward";
	P->train_step.name = "train_step";
	P->eval_step.name = "eval_step";
	if (!tp_read_config(P, D, ti))
		return NULL;
	P->batch = batch > 0 ? batch : P->cfg.batch;
	if (P->batch < 1) {
		diag_error(D, ti->decl->loc, "train section '%s' has no batch size", P->name);
		return NULL;
	}
	P->seed = P->cfg.seed;
	P->config = schema_config(A, base_dir(A, D, ti), ti->world, ti->world_used,
				  ti->data ? ti->data->json : NULL, ti->sec ? ti->sec->json : NULL);
	tp_layout_params(P);
	tp_layout_values(P);
	if (!tp_loss_setup(P, D) || !tp_l2_setup(P, D) || D->nerrors > errors)
		return NULL;
	ad_plan(P);

	memset(&C, 0, sizeof C);
	C.P = P;
	C.D = D;
	tp_emit_init(&C);

	C.list = &P->forward;
	C.train = false;
	forward_all(&C);

	C.list = &P->eval_step;
	forward_all(&C);
	tp_emit_loss(&C);
	tp_emit_l2(&C);

	C.list = &P->train_step;
	C.train = true;
	forward_all(&C);
	tp_emit_loss(&C);
	tp_emit_l2(&C);
	ad_backward(&C);
	tp_emit_l2_grad(&C);
	tp_emit_grad_steps(&C);
	tp_emit_update(&C);
	tp_emit_stats(&C);
	return D->nerrors > errors ? NULL : P;
}

/* Build and lay out. */
struct tprog *tprog_compile(struct arena *A, struct diag_ctx *D, const struct train_info *ti,
			    int64_t batch)
{
	struct tprog *P = tprog_build(A, D, ti, batch);
	if (P)
		tprog_layout(P);
	return P;
}
