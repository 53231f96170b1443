/* dump.c - the training program as text (tprog_dump): the settings, the
 * blob tables, the buffers and the four step lists, one step a line:
 *
 *   dense_fwd x=x w=dense_1.weight b=dense_1.bias -> y=dense_1  n=4 in=4 out=5  # dense_1 @3:17
 *
 * Deterministic (no pointers, numbers with %.9g) for golden files. */
#include "autodiff.h"

#include <inttypes.h>
#include <string.h>

static const char *const kind_names[] = {
	[TB_VALUE] = "value", [TB_GRAD] = "grad", [TB_PARAM] = "param", [TB_PGRAD] = "pgrad",
	[TB_BLOB] = "blob", [TB_SAVED] = "saved", [TB_SCRATCH] = "scratch", [TB_LOSS] = "loss",
	[TB_INPUT] = "input", [TB_TARGET] = "target", [TB_CONST] = "const",
};

static const char *const phase_names[TP_NPHASES] = {
	"fwd", "loss", "bwd", "update", "stats",
};

/* "[2,3,4]". */
static void dims(FILE *out, int rank, const int64_t *d)
{
	fputc('[', out);
	for (int i = 0; i < rank; i++)
		fprintf(out, "%s%" PRId64, i ? "," : "", d[i]);
	fputc(']', out);
}

/* "k=3,3" for the first nd values of an array. */
static void arr(FILE *out, const char *name, int nd, const int64_t *v)
{
	fprintf(out, " %s=", name);
	for (int i = 0; i < nd; i++)
		fprintf(out, "%s%" PRId64, i ? "," : "", v[i]);
}

/* " act=relu" for a fused activation. */
static void epi(FILE *out, const struct tp_epi *e)
{
	if (e->act == TP_EPI_RELU)
		fprintf(out, " act=relu");
	else if (e->act == TP_EPI_LEAKY_RELU)
		fprintf(out, " act=leaky_relu(%.9g)", e->alpha);
}

/* " ops=add(x0,x1);relu(t0)": the ops of a fused chain, t<k> the result of op k. */
static void ew_ops(FILE *out, const struct tp_ew *e)
{
	static const char *const names[] = {
		[TP_EW_COPY] = "copy", [TP_EW_ADD] = "add", [TP_EW_MUL] = "mul",
		[TP_EW_RELU] = "relu", [TP_EW_RELU_BWD] = "relu_bwd", [TP_EW_LEAKY] = "leaky_relu",
		[TP_EW_LEAKY_BWD] = "leaky_relu_bwd",
	};
	fprintf(out, " count=%" PRId64 " ops=", e->count);
	for (int k = 0; k < e->nops; k++) {
		const struct tp_ew_op *o = &e->ops[k];
		fprintf(out, "%s%s(", k ? ";" : "", names[o->op]);
		for (int j = 0; j < o->nin; j++)
			fprintf(out, "%s%c%d", j ? "," : "", o->in[j] >= 0 ? 'x' : 't',
				o->in[j] >= 0 ? o->in[j] : -1 - o->in[j]);
		if (o->op == TP_EW_LEAKY || o->op == TP_EW_LEAKY_BWD)
			fprintf(out, ";alpha=%.9g", o->alpha);
		fputc(')', out);
	}
}

/* The arguments of a step, by the kind's argument member. */
static void dump_args(FILE *out, const struct tstep *s)
{
	const union tp_args *a = &s->a;

	switch (tp_step_table[s->kind].args) {
	case TA_NONE:
		break;
	case TA_COUNT:
		fprintf(out, " count=%" PRId64, a->count.count);
		if (a->count.alpha != 0)
			fprintf(out, " alpha=%.9g", a->count.alpha);
		break;
	case TA_INIT:
		fprintf(out, " count=%" PRId64, a->init.count);
		if (s->kind == TS_INIT_CONST)
			fprintf(out, " value=%.9g", a->init.a);
		else if (s->kind == TS_INIT_UNIFORM)
			fprintf(out, " lo=%.9g hi=%.9g stream=%" PRIu32, a->init.a, a->init.b,
				a->init.stream);
		else
			fprintf(out, " mean=%.9g std=%.9g stream=%" PRIu32, a->init.a, a->init.b,
				a->init.stream);
		break;
	case TA_VALUES:
		fprintf(out, " values=");
		for (int64_t i = 0; i < a->values.count; i++)
			fprintf(out, "%s%.9g", i ? "," : "", a->values.v[i]);
		break;
	case TA_CONV:
		fprintf(out, " n=%" PRId64 " c=%" PRId64 " k=%" PRId64 " groups=%" PRId64,
			a->conv.n, a->conv.c, a->conv.k, a->conv.groups);
		arr(out, "in", a->conv.nd, a->conv.in);
		arr(out, "out", a->conv.nd, a->conv.out);
		arr(out, "kernel", a->conv.nd, a->conv.kernel);
		arr(out, "stride", a->conv.nd, a->conv.stride);
		arr(out, "pad", a->conv.nd, a->conv.pad_lo);
		arr(out, "pad_hi", a->conv.nd, a->conv.pad_hi);
		arr(out, "dilation", a->conv.nd, a->conv.dilation);
		if (s->kind == TS_CONVT_FWD || s->kind == TS_CONVT_BWD)
			arr(out, "output_pad", a->conv.nd, a->conv.output_pad);
		epi(out, &a->conv.epi);
		break;
	case TA_DENSE:
		fprintf(out, " n=%" PRId64 " in=%" PRId64 " out=%" PRId64, a->dense.n, a->dense.in,
			a->dense.out);
		epi(out, &a->dense.epi);
		break;
	case TA_BN:
		fprintf(out, " n=%" PRId64 " c=%" PRId64 " s=%" PRId64 " eps=%.9g momentum=%.9g",
			a->bn.n, a->bn.c, a->bn.s, a->bn.eps, a->bn.momentum);
		break;
	case TA_DROPOUT:
		fprintf(out, " count=%" PRId64 " p=%.9g layer=%" PRIu32, a->dropout.count,
			a->dropout.p, a->dropout.layer);
		break;
	case TA_POOL:
		fprintf(out, " n=%" PRId64 " c=%" PRId64, a->pool.n, a->pool.c);
		arr(out, "in", a->pool.nd, a->pool.in);
		arr(out, "out", a->pool.nd, a->pool.out);
		arr(out, "kernel", a->pool.nd, a->pool.kernel);
		arr(out, "stride", a->pool.nd, a->pool.stride);
		arr(out, "pad", a->pool.nd, a->pool.pad);
		if (s->kind == TS_MAXPOOL_FWD || s->kind == TS_MAXPOOL_BWD)
			arr(out, "dilation", a->pool.nd, a->pool.dilation);
		else
			fprintf(out, " count_pad=%d", a->pool.count_pad);
		break;
	case TA_GPOOL:
		fprintf(out, " nc=%" PRId64 " s=%" PRId64, a->gpool.nc, a->gpool.s);
		break;
	case TA_CONCAT:
		fprintf(out, " outer=%" PRId64 " inner=%" PRId64, a->concat.outer, a->concat.inner);
		arr(out, "len", s->nvar, a->concat.len);
		break;
	case TA_MERGE:
		fprintf(out, " count=%" PRId64, a->merge.count);
		break;
	case TA_AXIS:
		fprintf(out, " outer=%" PRId64 " len=%" PRId64 " inner=%" PRId64, a->axis.outer,
			a->axis.len, a->axis.inner);
		break;
	case TA_UPSAMPLE:
		fprintf(out, " n=%" PRId64 " c=%" PRId64, a->up.n, a->up.c);
		arr(out, "in", a->up.nd, a->up.in);
		arr(out, "scale", a->up.nd, a->up.scale);
		fprintf(out, " mode=%s", a->up.bilinear ? "bilinear" : "nearest");
		break;
	case TA_XENT:
		fprintf(out, " n=%" PRId64 " c=%" PRId64 " s=%" PRId64 " smoothing=%.9g",
			a->xent.n, a->xent.c, a->xent.s, a->xent.smoothing);
		break;
	case TA_DICE:
		fprintf(out, " n=%" PRId64 " c=%" PRId64 " s=%" PRId64 " smooth=%.9g",
			a->dice.n, a->dice.c, a->dice.s, a->dice.smooth);
		break;
	case TA_L2:
		fprintf(out, " weight=%.9g", a->l2.weight);
		break;
	case TA_EW:
		ew_ops(out, &a->ew);
		break;
	case TA_BNFOLD:
		fprintf(out, " k=%" PRId64 " per=%" PRId64 " eps=%.9g", a->bnfold.k, a->bnfold.per,
			a->bnfold.eps);
		break;
	case TA_SGD:
		fprintf(out, " n=%" PRId64 " lr=%.9g momentum=%.9g dampening=%.9g weight_decay=%.9g"
			" nesterov=%d", a->sgd.n, a->sgd.lr, a->sgd.momentum, a->sgd.dampening,
			a->sgd.weight_decay, a->sgd.nesterov);
		break;
	case TA_ADAM:
		fprintf(out, " n=%" PRId64 " lr=%.9g beta1=%.9g beta2=%.9g eps=%.9g weight_decay=%.9g",
			a->adam.n, a->adam.lr, a->adam.beta1, a->adam.beta2, a->adam.eps,
			a->adam.weight_decay);
		break;
	case TA_ADADELTA:
		fprintf(out, " n=%" PRId64 " lr=%.9g rho=%.9g eps=%.9g weight_decay=%.9g",
			a->adadelta.n, a->adadelta.lr, a->adadelta.rho, a->adadelta.eps,
			a->adadelta.weight_decay);
		break;
	case TA_RMSPROP:
		fprintf(out, " n=%" PRId64 " lr=%.9g alpha=%.9g eps=%.9g momentum=%.9g"
			" weight_decay=%.9g", a->rmsprop.n, a->rmsprop.lr, a->rmsprop.alpha,
			a->rmsprop.eps, a->rmsprop.momentum, a->rmsprop.weight_decay);
		break;
	}
}

/* kind role=buffer ... -> role=buffer ...  arguments  # node @line:col */
void tprog_dump_step(FILE *out, const struct tprog *P, const struct tstep *s)
{
	struct tp_role r[TP_MAX_ROLES];
	bool arrow = false;
	int rep = 0, last = -1;

	tp_step_roles(s->kind, r);
	fputs(tp_step_table[s->kind].name, out);
	for (int i = 0; i < s->nbuf; i++) {
		int k = tp_step_role_at(s, i), b = s->buf[i];
		rep = k == last ? rep + 1 : 0;
		last = k;
		if (r[k].out && !arrow) {
			fputs(" ->", out);
			arrow = true;
		}
		fprintf(out, " %s", r[k].name);
		if (r[k].repeated)
			fprintf(out, "[%d]", rep);
		fprintf(out, "=%s", b >= 0 ? P->bufs[b].name : "-");
	}
	if (!arrow)
		fputs(" ->", out);
	fputc(' ', out);
	dump_args(out, s);
	if (s->node) {
		fprintf(out, "  # %s", s->node->name ? s->node->name : "?");
		if (s->node->loc.file >= 0 && s->node->loc.line > 0)
			fprintf(out, " @%d:%d", s->node->loc.line, s->node->loc.col);
	}
}

/* A list, one step a line (train_step and eval_step with their phases). */
static void dump_list(FILE *out, const struct tprog *P, const struct tp_list *L, bool phases)
{
	fprintf(out, "%s: %d steps\n", L->name, L->n);
	for (int i = 0; i < L->n; i++) {
		fputs("  ", out);
		if (phases)
			fprintf(out, "%-6s ", phase_names[L->v[i].phase]);
		tprog_dump_step(out, P, &L->v[i]);
		fputc('\n', out);
	}
}

/* The loss, the optimizer and the L2 terms. */
static void dump_config(FILE *out, const struct tprog *P)
{
	const struct tp_config *c = &P->cfg;

	fprintf(out, "loss %s", c->loss_name);
	if (c->loss == TL_XENT)
		fprintf(out, "(label_smoothing = %.9g)", c->label_smoothing);
	else if (c->loss == TL_DICE)
		fprintf(out, "(smooth = %.9g)", c->dice_smooth);
	else if (c->loss == TL_WXENT && c->weights_auto)
		fprintf(out, "(weights = auto)");
	else if (c->loss == TL_WXENT)
		fprintf(out, "(%d weights)", c->nweights);
	fprintf(out, " on %s", P->logits && P->logits->name ? P->logits->name : "?");
	if (P->fused)
		fprintf(out, " (%s fused)", P->fused->name ? P->fused->name : "?");
	fprintf(out, "\noptimizer %s:", c->optim_name);
	switch (c->optim) {
	case TO_SGD:
		fprintf(out, " lr=%.9g momentum=%.9g nesterov=%d weight_decay=%.9g", c->lr,
			c->momentum, c->nesterov, c->weight_decay);
		break;
	case TO_ADAM:
		fprintf(out, " lr=%.9g beta1=%.9g beta2=%.9g eps=%.9g weight_decay=%.9g", c->lr,
			c->beta1, c->beta2, c->eps, c->weight_decay);
		break;
	case TO_ADADELTA:
		fprintf(out, " lr=%.9g rho=%.9g eps=%.9g weight_decay=%.9g", c->lr, c->rho, c->eps,
			c->weight_decay);
		break;
	case TO_RMSPROP:
		fprintf(out, " lr=%.9g alpha=%.9g eps=%.9g momentum=%.9g weight_decay=%.9g", c->lr,
			c->alpha, c->eps, c->momentum, c->weight_decay);
		break;
	}
	fputc('\n', out);
	for (int i = 0; i < P->nl2; i++) {
		fprintf(out, "l2 weight=%.9g:", P->l2[i].weight);
		for (int k = 0; k < P->l2[i].n; k++)
			fprintf(out, " %s", P->bufs[P->l2[i].w[k]].name);
		fputc('\n', out);
	}
}

/* Settings, regions, the parameter table, the buffers, the four lists. */
void tprog_dump(FILE *out, const struct tprog *P)
{
	fprintf(out, "tprog %s: network %s, batch %" PRId64 ", seed %" PRIu64 "\n", P->name,
		P->net->name ? P->net->name : "?", P->batch, P->seed);
	dump_config(out, P);
	fprintf(out, "regions:");
	for (int r = 0; r < TP_NREGIONS; r++) {
		if (r == TP_ACT && !P->laid_out)
			fprintf(out, " ACT ?");
		else
			fprintf(out, " %s %" PRId64, tp_region_name(r), P->size[r]);
	}
	fprintf(out, "\ntrainable %" PRId64 ", optimizer slots %d", P->ntrain, P->nopt);
	for (int k = 0; k < P->nopt; k++)
		fprintf(out, " %s", P->opt_slot[k]);
	fprintf(out, "\nparams: %d\n", P->nparams);
	for (int i = 0; i < P->nparams; i++) {
		const struct tp_param *p = &P->params[i];
		fprintf(out, "  %s+%" PRId64 " ", tp_region_name(p->region), p->offset);
		dims(out, p->shape.rank, p->shape.d);
		fprintf(out, " %s %s init=%s fan_in=%" PRId64 " fan_out=%" PRId64 "\n", p->name,
			p->trainable ? "trainable" : p->region == TP_STATE ? "state" : "frozen",
			p->init, p->fan_in, p->fan_out);
	}
	fprintf(out, "buffers: %d\n", P->nbufs);
	for (int i = 0; i < P->nbufs; i++) {
		const struct tbuf *b = &P->bufs[i];
		fprintf(out, "  b%d %s+", b->id, tp_region_name(b->region));
		if (b->offset >= 0)
			fprintf(out, "%" PRId64, b->offset);
		else
			fputc('?', out);
		fputc(' ', out);
		dims(out, b->rank, b->shape);
		fprintf(out, "%s %s %s\n", b->dtype == TP_I32 ? " i32" : "", kind_names[b->kind],
			b->name);
	}
	dump_list(out, P, &P->init, false);
	dump_list(out, P, &P->forward, false);
	dump_list(out, P, &P->train_step, true);
	dump_list(out, P, &P->eval_step, true);
}
