/* tprog.c - the pieces of a training program: the step-kind table,
 * buffers, steps, lists, the invariant check and lookups; see tprog.h. */
#include "autodiff.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

const struct tp_step_info tp_step_table[TS_COUNT] = {
#define STEP(id, name_, kernel_, args_, roles_, doc_) \
	[TS_##id] = { name_, kernel_, args_, roles_, doc_ },
#include "steps.def"
#undef STEP
};

static const char *const region_names[TP_NREGIONS] = {
	"PARAM", "GRAD", "STATE", "OPT", "ACT", "INPUT", "TARGET", "CONST",
};

/* For dumps and messages. */
const char *tp_region_name(enum tp_region r)
{
	return (unsigned)r < TP_NREGIONS ? region_names[r] : "?";
}

/* ---------------------------------------------------------------------
 * Roles
 * ------------------------------------------------------------------- */

int tp_step_roles(enum tp_step_kind k, struct tp_role *r)
{
	const char *p = (unsigned)k < TS_COUNT ? tp_step_table[k].roles : "";
	bool out = false;
	int n = 0;

	while (*p) {
		size_t len;
		while (*p == ' ')
			p++;
		len = strcspn(p, " ");
		if (len == 0)
			break;
		if (len == 2 && strncmp(p, "->", 2) == 0) {
			out = true;
		} else if (n < TP_MAX_ROLES) {
			struct tp_role *x = &r[n++];
			memset(x, 0, sizeof *x);
			x->out = out;
			if (*p == '=') {
				x->inout = true;
				p++;
				len--;
			}
			while (len > 0 && (p[len - 1] == '?' || p[len - 1] == '*')) {
				if (p[len - 1] == '?')
					x->optional = true;
				else
					x->repeated = true;
				len--;
			}
			if (len >= sizeof x->name)
				len = sizeof x->name - 1;
			memcpy(x->name, p, len);
			x->name[len] = 0;
			p += strcspn(p, " ");
			continue;
		}
		p += len;
	}
	return n;
}

/* Count the roles, the repeated ones nvar times. */
int tp_step_nbuf(enum tp_step_kind k, int nvar)
{
	struct tp_role r[TP_MAX_ROLES];
	int n = tp_step_roles(k, r), total = 0;
	for (int i = 0; i < n; i++)
		total += r[i].repeated ? nvar : 1;
	return total;
}

/* Walk the roles, the repeated ones nvar times, to buffer i. */
int tp_step_role_at(const struct tstep *s, int i)
{
	struct tp_role r[TP_MAX_ROLES];
	int n = tp_step_roles(s->kind, r), at = 0;
	for (int j = 0; j < n; j++) {
		int w = r[j].repeated ? s->nvar : 1;
		if (i < at + w)
			return j;
		at += w;
	}
	return -1;
}

/* ---------------------------------------------------------------------
 * Buffers
 * ------------------------------------------------------------------- */

const char *tp_unique_name(struct tprog *P, const char *base)
{
	const char *name = base;
	for (int k = 2; strmap_get(&P->bufnames, name); k++)
		name = arena_printf(P->A, "%s#%d", base, k);
	return name;
}

/* Append a buffer; its name made unique and indexed. */
int tp_buf(struct tprog *P, enum tp_region r, enum tp_dtype t, enum tp_bufkind k,
	   const char *name, const struct node *n, bool batched, const struct shape *s)
{
	struct tbuf *b;
	int64_t numel = batched ? P->batch : 1;

	P->bufs = arena_grow(P->A, P->bufs, &P->capbufs, P->nbufs, sizeof *P->bufs);
	b = &P->bufs[P->nbufs];
	memset(b, 0, sizeof *b);
	b->id = P->nbufs;
	b->region = r;
	b->dtype = t;
	b->kind = k;
	b->offset = -1;
	b->batched = batched;
	b->node = n;
	if (batched)
		b->shape[b->rank++] = P->batch;
	for (int i = 0; s && i < s->rank && b->rank < TP_MAX_RANK; i++) {
		b->shape[b->rank++] = s->d[i];
		numel *= s->d[i];  /* shapes were checked: at most 2^40 elements per sample */
	}
	b->numel = numel;
	b->name = tp_unique_name(P, name);
	strmap_put(P->A, &P->bufnames, b->name, (void *)(intptr_t)(b->id + 1));
	return P->nbufs++;
}

/* Same shape, same batching, in ACT. */
int tp_buf_like(struct tprog *P, int like, enum tp_bufkind k, const char *name)
{
	const struct tbuf *l = &P->bufs[like];
	struct shape s = { 0 };
	int first = l->batched ? 1 : 0;

	s.rank = l->rank - first;
	for (int i = 0; i < s.rank; i++)
		s.d[i] = l->shape[first + i];
	return tp_buf(P, TP_ACT, l->dtype, k, name, l->node, l->batched, &s);
}

/* Elements of buffer b (0 for -1). */
int64_t tp_numel(const struct tprog *P, int b)
{
	return b >= 0 && b < P->nbufs ? P->bufs[b].numel : 0;
}

/* The arguments of a pointwise step. */
union tp_args tp_count_args(int64_t count, double alpha)
{
	union tp_args a;
	memset(&a, 0, sizeof a);
	a.count.count = count;
	a.count.alpha = alpha;
	return a;
}

/* Through the name index. */
int tprog_find_buf(const struct tprog *P, const char *name)
{
	intptr_t v = (intptr_t)strmap_get(&P->bufnames, name);
	return v > 0 ? (int)(v - 1) : -1;
}

/* A linear search of the parameter table. */
const struct tp_param *tprog_find_param(const struct tprog *P, const char *name)
{
	for (int i = 0; i < P->nparams; i++)
		if (strcmp(P->params[i].name, name) == 0)
			return &P->params[i];
	return NULL;
}

/* For tests: how many steps node n has in L. */
int tprog_count_steps(const struct tp_list *L, const struct node *n, int ph)
{
	int k = 0;
	for (int i = 0; i < L->n; i++)
		if (L->v[i].node == n && (ph < 0 || (int)L->v[i].phase == ph))
			k++;
	return k;
}

/* ---------------------------------------------------------------------
 * Steps
 * ------------------------------------------------------------------- */

struct tstep *ad_emitv(struct ad_ctx *C, enum tp_step_kind k, const struct node *n,
		       const union tp_args *a, int nbuf, const int *buf, int nvar)
{
	struct tp_list *L = C->list;
	struct tstep *s;

	L->v = arena_grow(C->P->A, L->v, &L->cap, L->n, sizeof *L->v);
	s = &L->v[L->n++];
	memset(s, 0, sizeof *s);
	s->kind = k;
	s->phase = C->phase;
	s->node = n;
	s->nbuf = nbuf;
	s->nvar = nvar;
	s->buf = arena_array(C->P->A, (size_t)(nbuf > 0 ? nbuf : 1), sizeof *s->buf);
	memcpy(s->buf, buf, (size_t)nbuf * sizeof *buf);
	if (a)
		s->a = *a;
	return s;
}

/* At most 16 buffers. */
struct tstep *ad_emit(struct ad_ctx *C, enum tp_step_kind k, const struct node *n,
		      const union tp_args *a, int nbuf, ...)
{
	int buf[16];
	va_list ap;

	va_start(ap, nbuf);
	for (int i = 0; i < nbuf && i < 16; i++)
		buf[i] = va_arg(ap, int);
	va_end(ap);
	return ad_emitv(C, k, n, a, nbuf < 16 ? nbuf : 16, buf, 0);
}

/* ---------------------------------------------------------------------
 * Verification
 * ------------------------------------------------------------------- */

/* May a step of list L in phase ph write region r? */
static bool may_write(const struct tprog *P, const struct tp_list *L, enum tp_phase ph,
		      enum tp_region r)
{
	if (r == TP_ACT)
		return true;
	if (L == &P->init)
		return r == TP_PARAM || r == TP_STATE || r == TP_OPT || r == TP_GRAD ||
		       r == TP_CONST;
	if (L != &P->train_step)
		return false;   /* forward and eval_step change nothing but ACT */
	switch (r) {
	case TP_GRAD:
		return ph == TP_BWD;
	case TP_PARAM:
	case TP_OPT:
		return ph == TP_UPDATE;
	case TP_STATE:
		return ph == TP_STATS;
	default:
		return false;
	}
}

/* Every step of L has its roles, writes only what its list and phase may
 * write, and reads only ACT buffers an earlier step of L wrote (a list
 * keeps nothing in ACT from one run to the next). */
static const char *verify_list(const struct tprog *P, const struct tp_list *L)
{
	enum tp_phase last = TP_FWD;
	bool *written = arena_array(P->A, (size_t)(P->nbufs > 0 ? P->nbufs : 1), sizeof *written);

	for (int i = 0; i < L->n; i++) {
		const struct tstep *s = &L->v[i];
		struct tp_role r[TP_MAX_ROLES];
		const char *kn = (unsigned)s->kind < TS_COUNT ? tp_step_table[s->kind].name : "?";

		if ((unsigned)s->kind >= TS_COUNT)
			return arena_printf(P->A, "%s step %d: bad kind %d", L->name, i, (int)s->kind);
		if (s->phase < last)
			return arena_printf(P->A, "%s step %d (%s): phase goes back", L->name, i, kn);
		last = s->phase;
		if (s->nbuf != tp_step_nbuf(s->kind, s->nvar))
			return arena_printf(P->A, "%s step %d (%s): %d buffers, the roles need %d",
					    L->name, i, kn, s->nbuf, tp_step_nbuf(s->kind, s->nvar));
		tp_step_roles(s->kind, r);
		for (int j = 0; j < s->nbuf; j++) {
			const struct tp_role *role = &r[tp_step_role_at(s, j)];
			int b = s->buf[j];
			const struct tbuf *tb;
			if (b < 0) {
				if (!role->optional)
					return arena_printf(P->A, "%s step %d (%s): role %s is missing",
							    L->name, i, kn, role->name);
				continue;
			}
			if (b >= P->nbufs)
				return arena_printf(P->A, "%s step %d (%s): buffer %d does not exist",
						    L->name, i, kn, b);
			tb = &P->bufs[b];
			if (role->out && !may_write(P, L, s->phase, tb->region))
				return arena_printf(P->A, "%s step %d (%s): writes %s (%s) in phase %d",
						    L->name, i, kn, tb->name,
						    tp_region_name(tb->region), (int)s->phase);
			if ((!role->out || role->inout) && tb->region == TP_ACT && !written[b])
				return arena_printf(P->A, "%s step %d (%s): reads %s before any step "
						    "writes it", L->name, i, kn, tb->name);
		}
		for (int j = 0; j < s->nbuf; j++)
			if (s->buf[j] >= 0 && r[tp_step_role_at(s, j)].out)
				written[s->buf[j]] = true;
	}
	return NULL;
}

/* Buffers inside their regions, blob sizes, then every list. */
const char *tprog_verify(const struct tprog *P)
{
	const struct tp_list *lists[] = { &P->init, &P->forward, &P->train_step, &P->eval_step };
	int64_t end[TP_NREGIONS] = { 0 };
	bool i32_target = P->target >= 0 && P->bufs[P->target].dtype == TP_I32;

	for (int i = 0; i < P->nbufs; i++) {
		const struct tbuf *b = &P->bufs[i];
		int64_t n = 1;
		for (int j = 0; j < b->rank; j++)
			n *= b->shape[j];
		if (b->numel != n)
			return arena_printf(P->A, "buffer %s: %" PRId64 " elements, its shape has %" PRId64,
					    b->name, b->numel, n);
		if (b->offset < 0) {
			if (b->region != TP_ACT || P->laid_out)
				return arena_printf(P->A, "buffer %s has no offset", b->name);
			continue;
		}
		if (b->offset + b->numel > P->size[b->region])
			return arena_printf(P->A, "buffer %s ends at %" PRId64 ", past the %s region (%"
					    PRId64 ")", b->name, b->offset + b->numel,
					    tp_region_name(b->region), P->size[b->region]);
		if (b->offset + b->numel > end[b->region])
			end[b->region] = b->offset + b->numel;
		if ((b->dtype == TP_I32) != (b->region == TP_TARGET && i32_target))
			return arena_printf(P->A, "buffer %s: int32 only for class-index targets", b->name);
	}
	if (P->ntrain > P->size[TP_PARAM] || P->size[TP_GRAD] != P->ntrain ||
	    P->size[TP_OPT] != P->nopt * P->ntrain)
		return arena_printf(P->A, "blob sizes disagree: PARAM %" PRId64 ", GRAD %" PRId64
				    ", OPT %" PRId64 ", %" PRId64 " trainable, %d slots",
				    P->size[TP_PARAM], P->size[TP_GRAD], P->size[TP_OPT], P->ntrain,
				    P->nopt);
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		const char *msg = verify_list(P, lists[i]);
		if (msg)
			return msg;
	}
	return NULL;
}
