/* optim.c - the optimizer compiled into train_step: its state slots in the
 * OPT blob and one update step over the whole trainable blob (PARAM
 * [0, ntrain), GRAD, the OPT slots).  The formulas are torch.optim's
 * (runtime/kernels/optim.inc); weight_decay adds weight_decay * param to
 * the gradient, as torch's L2 form does.
 *
 *   sgd       slots: momentum (only when momentum > 0)
 *   adam      slots: m, v             (the step count t comes with the run)
 *   adadelta  slots: sq_avg, acc_delta
 *   rmsprop   slots: sq_avg, buf (only when momentum > 0) */
#include "autodiff.h"

#include <string.h>

/* The slots each optimizer keeps (see the top of the file). */
int tp_optim_slots(const struct tp_config *cfg, const char *names[2])
{
	switch (cfg->optim) {
	case TO_SGD:
		if (cfg->momentum > 0) {
			names[0] = "momentum";
			return 1;
		}
		return 0;
	case TO_ADAM:
		names[0] = "m";
		names[1] = "v";
		return 2;
	case TO_ADADELTA:
		names[0] = "sq_avg";
		names[1] = "acc_delta";
		return 2;
	case TO_RMSPROP:
		names[0] = "sq_avg";
		if (cfg->momentum > 0) {
			names[1] = "buf";
			return 2;
		}
		return 1;
	}
	return 0;
}

/* One step over the whole trainable blob (nothing when nothing is
 * trainable). */
void tp_emit_update(struct ad_ctx *C)
{
	struct tprog *P = C->P;
	const struct tp_config *c = &P->cfg;
	union tp_args a;
	enum tp_phase ph = C->phase;

	if (P->ntrain == 0)
		return;
	memset(&a, 0, sizeof a);
	C->phase = TP_UPDATE;
	switch (c->optim) {
	case TO_SGD:
		a.sgd = (struct tp_sgd){ P->ntrain, c->lr, c->momentum, c->dampening, c->weight_decay,
					 c->nesterov };
		ad_emit(C, TS_SGD, NULL, &a, 3, P->grads_blob, P->params_blob, P->opt_blob[0]);
		break;
	case TO_ADAM:
		a.adam = (struct tp_adam){ P->ntrain, c->lr, c->beta1, c->beta2, c->eps,
					   c->weight_decay };
		ad_emit(C, TS_ADAM, NULL, &a, 4, P->grads_blob, P->params_blob, P->opt_blob[0],
			P->opt_blob[1]);
		break;
	case TO_ADADELTA:
		a.adadelta = (struct tp_adadelta){ P->ntrain, c->lr, c->rho, c->eps, c->weight_decay };
		ad_emit(C, TS_ADADELTA, NULL, &a, 4, P->grads_blob, P->params_blob, P->opt_blob[0],
			P->opt_blob[1]);
		break;
	case TO_RMSPROP:
		a.rmsprop = (struct tp_rmsprop){ P->ntrain, c->lr, c->alpha, c->eps, c->momentum,
						 c->weight_decay };
		ad_emit(C, TS_RMSPROP, NULL, &a, 4, P->grads_blob, P->params_blob, P->opt_blob[0],
			P->opt_blob[1]);
		break;
	}
	C->phase = ph;
}
