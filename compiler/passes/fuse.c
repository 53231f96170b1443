/* fuse.c - operator fusion on the step lists of a training program
 * (pass_fuse, progpasses.h).  Four rewrites, each run on every list until
 * nothing changes:
 *
 *   act_bwd   relu_bwd and leaky_relu_bwd (slope > 0) read the forward's
 *             output y instead of its input x: y > 0 exactly when x > 0,
 *             so the result is the same bits, and x is free for fusion
 *             (and dies earlier: the planner reuses its memory);
 *   epilogue  conv/conv_transpose/dense forward writing v, then relu or
 *             leaky_relu of v into r, where nothing else in the list
 *             reads v: the forward writes r with the activation applied
 *             after the bias (tp_conv.epi / tp_dense.epi; runtime/cpu's
 *             _ep_ kernels, the interpreter's composition);
 *   chains    an elementwise step (copy, acc, add, multiply, relu,
 *             leaky_relu and their backward) whose output v only the next
 *             elementwise step reading v uses: both become one
 *             `elementwise` step (tp_ew) at the consumer's place, v is
 *             never written; chains grow step by step (add -> relu in a
 *             residual block; acc -> relu_bwd in its backward);
 *   copies    a copy of v into w (flatten, reshape, dropout in inference):
 *             the steps after it read w where they read v (neither is
 *             written again), and when then nothing else reads v, v's
 *             producer writes w itself.
 *
 * Why the training program and not the graph: see progpasses.h.
 *
 * Legality is asked of the list alone: every list runs from an empty ACT
 * arena (tprog_verify), so a buffer's readers in other lists do not
 * matter, except for what the driver reads after a list (the loss and
 * the network output), which is never fused away.  Values are written
 * once by their producer; where a step moves (a chain lands where its
 * last step was), no step in between writes what it reads. */
#include "progpasses.h"

#include <string.h>

/* ---------------------------------------------------------------------
 * Roles
 * ------------------------------------------------------------------- */

bool tp_step_reads(const struct tstep *s, int b)
{
	struct tp_role r[TP_MAX_ROLES];
	if (b < 0)
		return false;
	tp_step_roles(s->kind, r);
	for (int j = 0; j < s->nbuf; j++) {
		const struct tp_role *x = &r[tp_step_role_at(s, j)];
		if (s->buf[j] == b && (!x->out || x->inout))
			return true;
	}
	return false;
}

bool tp_step_writes(const struct tstep *s, int b)
{
	struct tp_role r[TP_MAX_ROLES];
	if (b < 0)
		return false;
	tp_step_roles(s->kind, r);
	for (int j = 0; j < s->nbuf; j++)
		if (s->buf[j] == b && r[tp_step_role_at(s, j)].out)
			return true;
	return false;
}

static bool names(const struct tstep *s, int b)
{
	for (int j = 0; j < s->nbuf; j++)
		if (s->buf[j] == b)
			return true;
	return false;
}

void tp_list_compact(struct tp_list *L, const bool *dead)
{
	int n = 0;
	for (int i = 0; i < L->n; i++)
		if (!dead[i])
			L->v[n++] = L->v[i];
	L->n = n;
}

/* One list and its dead marks. */
struct fz {
	struct tprog *P;
	struct tp_list *L;
	bool *dead;
};

/* The driver reads it after the list, or it is not in the arena. */
static bool pinned(const struct tprog *P, int b)
{
	return b < 0 || b == P->loss || b == P->output || P->bufs[b].region != TP_ACT;
}

/* Does any live step of (from, to) other than `except` satisfy what(s, b)? */
static bool any_between(const struct fz *F, int from, int to, int except, int b,
			bool (*what)(const struct tstep *, int))
{
	for (int k = from + 1; k < to && k < F->L->n; k++)
		if (k != except && !F->dead[k] && what(&F->L->v[k], b))
			return true;
	return false;
}

/* ---------------------------------------------------------------------
 * act_bwd: the backward of relu and leaky_relu (slope > 0) from y
 * ------------------------------------------------------------------- */

static bool is_act_fwd(const struct tstep *s)
{
	return s->kind == TS_RELU_FWD ||
	       (s->kind == TS_LEAKY_RELU_FWD && s->a.count.alpha > 0);
}

static int act_bwd(struct fz *F)
{
	struct tp_list *L = F->L;
	int changed = 0;

	for (int j = 0; j < L->n; j++) {
		struct tstep *b = &L->v[j];
		if (F->dead[j] || (b->kind != TS_RELU_BWD && b->kind != TS_LEAKY_RELU_BWD))
			continue;
		for (int i = j - 1; i >= 0; i--) {
			const struct tstep *f = &L->v[i];
			int y = f->buf[1];
			if (F->dead[i] || f->node != b->node || !is_act_fwd(f) ||
			    (f->kind == TS_RELU_FWD) != (b->kind == TS_RELU_BWD) ||
			    f->buf[0] != b->buf[0] || f->a.count.alpha != b->a.count.alpha)
				continue;
			/* y still holds the forward's output at the backward */
			if (y != b->buf[0] && !any_between(F, i, j, -1, y, tp_step_writes)) {
				b->buf[0] = y;
				changed++;
			}
			break;
		}
	}
	return changed;
}

/* ---------------------------------------------------------------------
 * epilogue: conv/conv_transpose/dense + relu/leaky_relu
 * ------------------------------------------------------------------- */

static struct tp_epi *epi_of(struct tstep *s)
{
	switch (s->kind) {
	case TS_CONV_FWD: case TS_CONVT_FWD: return &s->a.conv.epi;
	case TS_DENSE_FWD: return &s->a.dense.epi;
	default: return NULL;
	}
}

static int epilogue(struct fz *F)
{
	struct tp_list *L = F->L;
	int changed = 0;

	for (int i = 0; i < L->n; i++) {
		struct tstep *s = &L->v[i];
		struct tp_epi *e = epi_of(s);
		int v = s->buf[3], j = -1;
		if (F->dead[i] || !e || e->act != TP_EPI_NONE || pinned(F->P, v))
			continue;
		/* the one other step that names v: an activation reading it */
		for (int k = 0; k < L->n; k++) {
			if (k == i || F->dead[k] || !names(&L->v[k], v))
				continue;
			if (j >= 0) {
				j = -1;
				break;
			}
			j = k;
		}
		if (j < i)
			continue;
		struct tstep *a = &L->v[j];
		int r = a->buf[1];
		if ((a->kind != TS_RELU_FWD && a->kind != TS_LEAKY_RELU_FWD) || a->buf[0] != v ||
		    a->phase != s->phase || a->a.count.count != F->P->bufs[v].numel ||
		    names(s, r) || any_between(F, i, j, -1, r, names))
			continue;
		e->act = a->kind == TS_RELU_FWD ? TP_EPI_RELU : TP_EPI_LEAKY_RELU;
		e->alpha = a->kind == TS_RELU_FWD ? 0 : a->a.count.alpha;
		s->buf[3] = r;
		F->dead[j] = true;
		changed++;
	}
	return changed;
}

/* ---------------------------------------------------------------------
 * chains of elementwise steps
 * ------------------------------------------------------------------- */

/* A step as a chain: its inputs, ops and output. */
struct chain {
	int nin, in[TP_EW_MAX_IN + TP_EW_MAX_ARGS];
	struct tp_ew ew;
	int out;
};

/* s as a chain, or false when it is not elementwise (or too wide). */
static bool as_chain(const struct tstep *s, struct chain *c)
{
	struct tp_ew_op *o = &c->ew.ops[0];

	memset(c, 0, sizeof *c);
	c->ew.nops = 1;
	switch (s->kind) {
	case TS_EW:
		c->ew = s->a.ew;
		c->nin = s->nvar;
		memcpy(c->in, s->buf, (size_t)s->nvar * sizeof *c->in);
		c->out = s->buf[s->nvar];
		return true;
	case TS_COPY: case TS_RELU_FWD: case TS_LEAKY_RELU_FWD:
	case TS_RELU_BWD: case TS_LEAKY_RELU_BWD:
		c->ew.count = s->a.count.count;
		c->nin = s->nbuf - 1;
		o->op = s->kind == TS_COPY ? TP_EW_COPY : s->kind == TS_RELU_FWD ? TP_EW_RELU
		      : s->kind == TS_LEAKY_RELU_FWD ? TP_EW_LEAKY
		      : s->kind == TS_RELU_BWD ? TP_EW_RELU_BWD : TP_EW_LEAKY_BWD;
		o->alpha = s->a.count.alpha;
		break;
	case TS_ACC:   /* y += x is add_fwd of (y, x) */
		c->ew.count = s->a.count.count;
		c->nin = 2;
		c->in[0] = s->buf[1];
		c->in[1] = s->buf[0];
		o->op = TP_EW_ADD;
		o->nin = 2;
		o->in[0] = 0;
		o->in[1] = 1;
		c->out = s->buf[1];
		return true;
	case TS_ADD_FWD: case TS_MUL_FWD:
		if (s->nvar > TP_EW_MAX_ARGS)
			return false;
		c->ew.count = s->a.merge.count;
		c->nin = s->nvar;
		o->op = s->kind == TS_ADD_FWD ? TP_EW_ADD : TP_EW_MUL;
		break;
	default:
		return false;
	}
	o->nin = c->nin;
	for (int j = 0; j < c->nin; j++) {
		c->in[j] = s->buf[j];
		o->in[j] = j;
	}
	c->out = s->buf[c->nin];
	return true;
}

/* The index of buffer b among m's inputs, appended when new; -1 when full. */
static int input_of(struct chain *m, int b)
{
	for (int j = 0; j < m->nin; j++)
		if (m->in[j] == b)
			return j;
	if (m->nin == TP_EW_MAX_IN)
		return -1;
	m->in[m->nin] = b;
	return m->nin++;
}

/* p's ops, then c's with every read of v (p's result) replaced by p's last
 * result; false when the merged chain would be too long or too wide. */
static bool merge(const struct chain *p, const struct chain *c, int v, struct chain *m)
{
	int base = p->ew.nops;

	memset(m, 0, sizeof *m);
	if (p->ew.nops + c->ew.nops > TP_EW_MAX_OPS)
		return false;
	m->ew.count = c->ew.count;
	for (int k = 0; k < p->ew.nops; k++) {
		struct tp_ew_op o = p->ew.ops[k];
		for (int j = 0; j < o.nin; j++)
			if (o.in[j] >= 0 && (o.in[j] = input_of(m, p->in[o.in[j]])) < 0)
				return false;
		m->ew.ops[m->ew.nops++] = o;
	}
	for (int k = 0; k < c->ew.nops; k++) {
		struct tp_ew_op o = c->ew.ops[k];
		for (int j = 0; j < o.nin; j++) {
			if (o.in[j] < 0)
				o.in[j] -= base;                    /* -1 - r  ->  -1 - (base + r) */
			else if (c->in[o.in[j]] == v)
				o.in[j] = -base;                    /* -1 - (base - 1): p's result */
			else if ((o.in[j] = input_of(m, c->in[o.in[j]])) < 0)
				return false;
		}
		m->ew.ops[m->ew.nops++] = o;
	}
	m->out = c->out;
	return true;
}

/* Replace step j of the list by the chain m. */
static void put_chain(struct fz *F, int j, const struct chain *m)
{
	struct tstep *s = &F->L->v[j];
	s->kind = TS_EW;
	s->nvar = m->nin;
	s->nbuf = m->nin + 1;
	s->buf = arena_array(F->P->A, (size_t)s->nbuf, sizeof *s->buf);
	memcpy(s->buf, m->in, (size_t)m->nin * sizeof *s->buf);
	s->buf[m->nin] = m->out;
	memset(&s->a, 0, sizeof s->a);
	s->a.ew = m->ew;
}

/* Fuse producer p (step i) into consumer c (step j) when legal. */
static bool try_chain(struct fz *F, int i, int j)
{
	struct tp_list *L = F->L;
	const struct tstep *sp = &L->v[i], *sc = &L->v[j];
	struct chain p, c, m;
	int v;

	if (!as_chain(sp, &p) || !as_chain(sc, &c) || p.ew.count != c.ew.count ||
	    sp->phase != sc->phase)
		return false;
	v = p.out;
	if (pinned(F->P, v) || c.out == v || !tp_step_reads(sc, v))
		return false;
	/* p's value of v goes to c alone, and p's inputs hold still until j */
	if (any_between(F, i, L->n, j, v, tp_step_reads) || any_between(F, i, j, -1, v, names))
		return false;
	for (int k = 0; k < p.nin; k++)
		if (any_between(F, i, j, -1, p.in[k], tp_step_writes))
			return false;
	if (!merge(&p, &c, v, &m))
		return false;
	put_chain(F, j, &m);
	F->dead[i] = true;
	return true;
}

static int chains(struct fz *F)
{
	struct tp_list *L = F->L;
	int changed = 0;

	for (int j = 0; j < L->n; j++) {
		struct chain c;
		bool again = true;
		while (again && !F->dead[j] && as_chain(&L->v[j], &c)) {
			again = false;
			for (int q = 0; q < c.nin && !again; q++) {
				/* the last live step before j that writes input q */
				for (int i = j - 1; i >= 0; i--) {
					if (F->dead[i] || !tp_step_writes(&L->v[i], c.in[q]))
						continue;
					if (try_chain(F, i, j)) {
						changed++;
						again = true;
					}
					break;
				}
			}
		}
	}
	return changed;
}

/* ---------------------------------------------------------------------
 * forwarding copies to their producer
 * ------------------------------------------------------------------- */

/* A copy v -> w at step j, and neither written after it: the steps after
 * it read w where they read v (the same values), so that v is left to the
 * copy alone and forward_copies or a chain can drop it. */
static int propagate_copies(struct fz *F)
{
	struct tp_list *L = F->L;
	int changed = 0;

	for (int j = 0; j < L->n; j++) {
		struct tstep *c = &L->v[j];
		int v = c->buf[0], w = c->buf[1];
		if (F->dead[j] || c->kind != TS_COPY || v == w || pinned(F->P, v) ||
		    F->P->bufs[w].region != TP_ACT || F->P->bufs[v].numel != F->P->bufs[w].numel ||
		    c->a.count.count != F->P->bufs[v].numel ||
		    any_between(F, j, L->n, -1, v, tp_step_writes) ||
		    any_between(F, j, L->n, -1, w, tp_step_writes))
			continue;
		for (int k = j + 1; k < L->n; k++) {
			struct tstep *s = &L->v[k];
			struct tp_role r[TP_MAX_ROLES];
			if (F->dead[k])
				continue;
			tp_step_roles(s->kind, r);
			for (int q = 0; q < s->nbuf; q++)
				if (s->buf[q] == v && !r[tp_step_role_at(s, q)].out) {
					s->buf[q] = w;
					changed++;
				}
		}
	}
	return changed;
}

static int forward_copies(struct fz *F)
{
	struct tp_list *L = F->L;
	int changed = 0;

	for (int j = 0; j < L->n; j++) {
		struct tstep *c = &L->v[j];
		int v = c->buf[0], w = c->buf[1], i, at = -1, count = 0;
		struct tp_role r[TP_MAX_ROLES];
		if (F->dead[j] || c->kind != TS_COPY || pinned(F->P, v) || v == w ||
		    F->P->bufs[w].region != TP_ACT || F->P->bufs[v].numel != F->P->bufs[w].numel ||
		    c->a.count.count != F->P->bufs[v].numel)
			continue;
		for (i = j - 1; i >= 0; i--)
			if (!F->dead[i] && tp_step_writes(&L->v[i], v))
				break;
		if (i < 0 || L->v[i].phase != c->phase || tp_step_reads(&L->v[i], v) ||
		    names(&L->v[i], w))
			continue;
		/* v once in the producer, as a plain output */
		tp_step_roles(L->v[i].kind, r);
		for (int k = 0; k < L->v[i].nbuf; k++)
			if (L->v[i].buf[k] == v) {
				at = k;
				count++;
			}
		if (count != 1 || r[tp_step_role_at(&L->v[i], at)].inout)
			continue;
		if (any_between(F, i, L->n, j, v, tp_step_reads) || any_between(F, i, j, -1, v, names) ||
		    any_between(F, i, j, -1, w, names))
			continue;
		L->v[i].buf[at] = w;
		F->dead[j] = true;
		changed++;
	}
	return changed;
}

/* ---------------------------------------------------------------------
 * The pass
 * ------------------------------------------------------------------- */

/* Apply rewrite f to L, dropping the dead steps after it. */
static int run(struct tprog *P, struct tp_list *L, int (*f)(struct fz *))
{
	struct fz F = { P, L, arena_array(P->A, (size_t)(L->n > 0 ? L->n : 1), sizeof(bool)) };
	int n = f(&F);
	tp_list_compact(L, F.dead);
	return n;
}

int pass_fuse(struct tprog *P)
{
	struct tp_list *lists[] = { &P->init, &P->forward, &P->train_step, &P->eval_step };
	int total = 0;

	for (size_t l = 0; l < sizeof lists / sizeof *lists; l++) {
		struct tp_list *L = lists[l];
		int n;
		total += run(P, L, act_bwd);
		do {
			n = run(P, L, epilogue);
			n += run(P, L, propagate_copies);
			n += run(P, L, chains);
			n += run(P, L, forward_copies);
			total += n;
		} while (n > 0);
	}
	return total;
}
