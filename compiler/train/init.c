/* init.c - the init list: every parameter and state tensor initialised as
 * the source asks, the gradient and optimizer blobs zeroed, given class
 * weights stored.
 *
 * The random initialisers draw from Philox (tprog.h, TP_INIT_STEP) with
 * the parameter's index in the table as the stream, so the values depend
 * on the seed and the network only, not on the backend or on threads.
 * Scales (fans as PyTorch computes them, see layout.c):
 *
 *   he_normal       N(0, 2 / fan_in)                     (kaiming_normal_, relu gain)
 *   he_uniform      U(-sqrt(6 / fan_in), +)               (kaiming_uniform_)
 *   glorot_normal   N(0, 2 / (fan_in + fan_out))          (xavier_normal_)
 *   glorot_uniform  U(-sqrt(6 / (fan_in + fan_out)), +)   (xavier_uniform_)
 *   normal          N(0, 0.05^2),  uniform  U(-0.05, 0.05) (Keras' defaults)
 *   zeros, ones, a number: that constant. */
#include "autodiff.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { SMALL_SCALE_PERMILLE = 50 };   /* normal / uniform: 0.05 */

/* The init step of parameter i. */
static void init_param(struct ad_ctx *C, int i)
{
	const struct tp_param *p = &C->P->params[i];
	double fi = (double)p->fan_in, fo = (double)p->fan_out, small = SMALL_SCALE_PERMILLE / 1000.0;
	enum tp_step_kind k = TS_INIT_CONST;
	union tp_args a;

	memset(&a, 0, sizeof a);
	a.init.count = p->numel;
	a.init.stream = (uint32_t)i;
	if (strcmp(p->init, "zeros") == 0) {
		a.init.a = 0;
	} else if (strcmp(p->init, "ones") == 0) {
		a.init.a = 1;
	} else if (strcmp(p->init, "he_normal") == 0) {
		k = TS_INIT_NORMAL;
		a.init.b = sqrt(2 / fi);
	} else if (strcmp(p->init, "he_uniform") == 0) {
		k = TS_INIT_UNIFORM;
		a.init.b = sqrt(6 / fi);
		a.init.a = -a.init.b;
	} else if (strcmp(p->init, "glorot_normal") == 0) {
		k = TS_INIT_NORMAL;
		a.init.b = sqrt(2 / (fi + fo));
	} else if (strcmp(p->init, "glorot_uniform") == 0) {
		k = TS_INIT_UNIFORM;
		a.init.b = sqrt(6 / (fi + fo));
		a.init.a = -a.init.b;
	} else if (strcmp(p->init, "normal") == 0) {
		k = TS_INIT_NORMAL;
		a.init.b = small;
	} else if (strcmp(p->init, "uniform") == 0) {
		k = TS_INIT_UNIFORM;
		a.init.a = -small;
		a.init.b = small;
	} else {
		a.init.a = strtod(p->init, NULL);   /* a constant, printed by layout.c */
	}
	ad_emit(C, k, p->node, &a, 1, p->buf);
}

/* Every parameter, then zeroed GRAD and OPT, then given class weights. */
void tp_emit_init(struct ad_ctx *C)
{
	struct tprog *P = C->P;

	C->list = &P->init;
	C->phase = TP_FWD;
	for (int i = 0; i < P->nparams; i++)
		init_param(C, i);
	if (P->grads_blob >= 0) {
		union tp_args a = tp_count_args(P->ntrain, 0);
		ad_emit(C, TS_ZERO, NULL, &a, 1, P->grads_blob);
		for (int k = 0; k < P->nopt; k++)
			ad_emit(C, TS_ZERO, NULL, &a, 1, P->opt_blob[k]);
	}
	if (P->class_weights >= 0 && !P->cfg.weights_auto) {
		union tp_args a;
		memset(&a, 0, sizeof a);
		a.values.count = P->cfg.nweights;
		a.values.v = P->cfg.weights;
		ad_emit(C, TS_CONST_FILL, NULL, &a, 1, P->class_weights);
	}
}
