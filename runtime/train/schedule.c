/* schedule.c - the learning-rate multiplier of each train step from the
 * train section's schedule pipeline (constant, warmup, step, cosine,
 * plateau; the formulas are in train_rt.h), and early stopping.  Both
 * keep a little state (plateau's scale, best and bad epochs; early
 * stopping's best and bad epochs) that goes into checkpoints as extra
 * metadata. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "train_rt.h"
#include "train_int.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

enum sched_kind { SK_CONSTANT, SK_WARMUP, SK_STEP, SK_COSINE, SK_PLATEAU };

struct sched_item {
	enum sched_kind kind;
	double epochs;                  /* warmup, cosine (0: the whole run) */
	double every, factor;           /* step; factor also plateau's */
	double floor;                   /* cosine: min_lr / base lr */
	char on[NRT_SCALAR_NAME];       /* plateau */
	int higher;
	long long patience;
	double scale, best;             /* plateau state */
	long long bad;
};

struct nrt_sched {
	int n;
	int64_t spe, epochs;
	struct sched_item item[];
};

static int parse_item(const cJSON *j, struct sched_item *it, double base_lr, char *err,
		      size_t errn)
{
	const char *what = "train.schedule";
	const char *kind = nrt_cfg_str(j, what, "kind", NULL, err, errn);
	long long ll;
	memset(it, 0, sizeof *it);
	it->scale = 1;
	it->best = NAN;
	if (!kind)
		return nrt_train_errf(err, errn, "%s: an entry without a \"kind\" string", what);
	if (strcmp(kind, "constant") == 0) {
		it->kind = SK_CONSTANT;
	} else if (strcmp(kind, "warmup") == 0) {
		it->kind = SK_WARMUP;
		if (nrt_cfg_int(j, "train.schedule: warmup", "epochs", 0, 5, &ll, err, errn) == EINVAL)
			return EINVAL;
		it->epochs = (double)ll;
	} else if (strcmp(kind, "step") == 0) {
		it->kind = SK_STEP;
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "every");
		if (!e)
			return nrt_train_errf(err, errn, "%s: step needs \"every\"", what);
		if (nrt_cfg_int(j, "train.schedule: step", "every", 1, 1, &ll, err, errn) == EINVAL ||
		    nrt_cfg_num(j, "train.schedule: step", "factor", 0.1, &it->factor, err,
				errn) == EINVAL)
			return EINVAL;
		it->every = (double)ll;
		if (!(it->factor > 0))
			return nrt_train_errf(err, errn, "%s: step factor %g must be > 0", what, it->factor);
	} else if (strcmp(kind, "cosine") == 0) {
		double min_lr;
		it->kind = SK_COSINE;
		if (nrt_cfg_int(j, "train.schedule: cosine", "epochs", 0, 0, &ll, err, errn) == EINVAL ||
		    nrt_cfg_num(j, "train.schedule: cosine", "min_lr", 0, &min_lr, err, errn) == EINVAL)
			return EINVAL;
		it->epochs = (double)ll;
		if (min_lr < 0 || (min_lr > 0 && !(base_lr >= min_lr)))
			return nrt_train_errf(err, errn, "%s: cosine min_lr %g must be in [0, the base lr %g]",
					what, min_lr, base_lr);
		it->floor = min_lr > 0 ? min_lr / base_lr : 0;
	} else if (strcmp(kind, "plateau") == 0) {
		const char *on = nrt_cfg_str(j, "train.schedule: plateau", "on", "val.loss", err, errn);
		const char *mode = nrt_cfg_str(j, "train.schedule: plateau", "mode", "min", err, errn);
		it->kind = SK_PLATEAU;
		if (!on || !mode || nrt_cfg_metric_ref(on, "train.schedule: plateau", err, errn) ||
		    nrt_cfg_num(j, "train.schedule: plateau", "factor", 0.1, &it->factor, err,
				errn) == EINVAL ||
		    nrt_cfg_int(j, "train.schedule: plateau", "patience", 0, 1, &it->patience, err,
				errn) == EINVAL)
			return EINVAL;
		if (strcmp(mode, "min") && strcmp(mode, "max"))
			return nrt_train_errf(err, errn, "%s: plateau mode '%s' (expected min or max)", what,
					mode);
		if (!(it->factor > 0 && it->factor <= 1))
			return nrt_train_errf(err, errn, "%s: plateau factor %g must be in (0, 1]", what,
					it->factor);
		snprintf(it->on, sizeof it->on, "%s", on);
		it->higher = strcmp(mode, "max") == 0;
	} else {
		return nrt_train_errf(err, errn, "%s: unknown kind '%s' (expected constant, warmup, step, "
				"cosine or plateau)", what, kind);
	}
	return 0;
}

struct nrt_sched *nrt_sched_new(const struct cJSON *cfg, double base_lr, int64_t spe,
				int64_t epochs, char *err, size_t errn)
{
	int n = !cfg ? 0 : cJSON_IsArray(cfg) ? cJSON_GetArraySize(cfg) : 1;
	if (spe <= 0 || epochs <= 0) {
		nrt_train_errf(err, errn, "train.schedule: %lld steps per epoch, %lld epochs",
			 (long long)spe, (long long)epochs);
		return NULL;
	}
	if (cfg && !cJSON_IsArray(cfg) && !cJSON_IsObject(cfg)) {
		nrt_train_errf(err, errn, "train.schedule: not an array of schedules");
		return NULL;
	}
	struct nrt_sched *s = calloc(1, sizeof *s + (size_t)n * sizeof s->item[0]);
	if (!s) {
		nrt_train_errf(err, errn, "train.schedule: out of memory");
		return NULL;
	}
	s->spe = spe;
	s->epochs = epochs;
	if (cfg && cJSON_IsObject(cfg)) {
		if (parse_item(cfg, &s->item[0], base_lr, err, errn))
			goto fail;
		s->n = 1;
	} else if (cfg) {
		const cJSON *j;
		cJSON_ArrayForEach(j, cfg)
			if (parse_item(j, &s->item[s->n++], base_lr, err, errn))
				goto fail;
	}
	return s;
fail:
	free(s);
	return NULL;
}

void nrt_sched_free(struct nrt_sched *s)
{
	free(s);
}

double nrt_sched_scale(const struct nrt_sched *s, int64_t step)
{
	double scale = 1;
	if (step < 1)
		step = 1;
	double epoch = (double)((step - 1) / s->spe);   /* completed epochs */
	for (int i = 0; i < s->n; i++) {
		const struct sched_item *it = &s->item[i];
		switch (it->kind) {
		case SK_CONSTANT:
			break;
		case SK_WARMUP: {
			double ws = it->epochs * (double)s->spe;
			if (ws > 0 && (double)step < ws)
				scale *= (double)step / ws;
			break;
		}
		case SK_STEP:
			scale *= pow(it->factor, floor(epoch / it->every));
			break;
		case SK_COSINE: {
			double T = (it->epochs > 0 ? it->epochs : (double)s->epochs) * (double)s->spe;
			double t = (double)(step - 1);
			scale *= t >= T ? it->floor :
				it->floor + (1 - it->floor) * 0.5 * (1 + cos(M_PI * t / T));
			break;
		}
		case SK_PLATEAU:
			scale *= it->scale;
			break;
		}
	}
	return scale;
}

/* Does v improve on best (NaN: nothing yet)? */
static int improves(double v, double best, int higher)
{
	if (isnan(v))
		return 0;
	return isnan(best) || (higher ? v > best : v < best);
}

int nrt_sched_epoch_end(struct nrt_sched *s, const struct nrt_scalars *metrics, char *err,
			size_t errn)
{
	for (int i = 0; i < s->n; i++) {
		struct sched_item *it = &s->item[i];
		if (it->kind != SK_PLATEAU)
			continue;
		const double *v = metrics ? nrt_scalars_get(metrics, it->on) : NULL;
		if (!v)
			return nrt_train_errf(err, errn, "train.schedule: plateau: metric '%s' was not "
					"computed this epoch", it->on);
		if (improves(*v, it->best, it->higher)) {
			it->best = *v;
			it->bad = 0;
		} else if (++it->bad > it->patience) {
			it->scale *= it->factor;
			it->bad = 0;
		}
	}
	return 0;
}

int nrt_sched_get_state(const struct nrt_sched *s, double *v, int n)
{
	int k = 0;
	for (int i = 0; i < s->n; i++) {
		const struct sched_item *it = &s->item[i];
		if (it->kind != SK_PLATEAU)
			continue;
		double x[3] = { it->scale, it->best, (double)it->bad };
		for (int q = 0; q < 3; q++, k++)
			if (k < n)
				v[k] = x[q];
	}
	return k;
}

int nrt_sched_set_state(struct nrt_sched *s, const double *v, int n)
{
	if (n != nrt_sched_get_state(s, NULL, 0))
		return EINVAL;
	int k = 0;
	for (int i = 0; i < s->n; i++) {
		struct sched_item *it = &s->item[i];
		if (it->kind != SK_PLATEAU)
			continue;
		if (!(v[k] > 0) || !(v[k + 2] >= 0))
			return EINVAL;
		it->scale = v[k];
		it->best = v[k + 1];
		it->bad = (long long)v[k + 2];
		k += 3;
	}
	return 0;
}

/* "a,b,c" of %.17g values (nan allowed) into m[key]. */
static int put_doubles(struct nrt_ckpt_meta *m, const char *key, const double *v, int n)
{
	char buf[NRT_META_VALUE];
	size_t k = 0;
	buf[0] = 0;
	for (int i = 0; i < n; i++) {
		int w = snprintf(buf + k, sizeof buf - k, "%s%.17g", i ? "," : "", v[i]);
		if (w < 0 || (size_t)w >= sizeof buf - k)
			return ENAMETOOLONG;
		k += (size_t)w;
	}
	return nrt_ckpt_meta_set(m, key, "%s", buf);
}

/* Parse m[key] into at most n doubles; the count, or -1 when malformed. */
static int get_doubles(const struct nrt_ckpt_meta *m, const char *key, double *v, int n)
{
	const char *s = nrt_ckpt_meta_get(m, key);
	int k = 0;
	if (!s)
		return -1;
	if (!*s)
		return 0;
	for (;;) {
		char *end;
		if (k >= n)
			return -1;
		v[k++] = strtod(s, &end);
		if (end == s)
			return -1;
		if (!*end)
			return k;
		if (*end != ',')
			return -1;
		s = end + 1;
	}
}

int nrt_sched_save_meta(const struct nrt_sched *s, struct nrt_ckpt_meta *m)
{
	double v[96];
	int n = nrt_sched_get_state(s, v, 96);
	return n > 96 ? ENOSPC : put_doubles(m, "sched.state", v, n);
}

int nrt_sched_load_meta(struct nrt_sched *s, const struct nrt_ckpt_meta *m, char *err,
			size_t errn)
{
	double v[96];
	int n = get_doubles(m, "sched.state", v, 96);
	if (n < 0 || nrt_sched_set_state(s, v, n))
		return nrt_train_errf(err, errn, "checkpoint metadata 'sched.state' = '%s' does not fit "
				"this schedule (%d values expected)",
				nrt_ckpt_meta_get(m, "sched.state") ? nrt_ckpt_meta_get(m, "sched.state") :
				"(missing)", nrt_sched_get_state(s, NULL, 0));
	return 0;
}

/* ---------------------------------------------------------------- early stopping */

int nrt_early_init(struct nrt_early *e, const struct cJSON *cfg, char *err, size_t errn)
{
	const char *what = "train.early_stopping";
	memset(e, 0, sizeof *e);
	e->best = NAN;
	if (!cfg || cJSON_IsNull(cfg))
		return 0;
	const char *kind = nrt_cfg_str(cfg, what, "kind", NULL, err, errn);
	const char *on = nrt_cfg_str(cfg, what, "on", "val.loss", err, errn);
	long long p;
	if (!kind || strcmp(kind, "patience") != 0)
		return nrt_train_errf(err, errn, "%s: kind '%s' (expected patience)", what,
				kind ? kind : "");
	if (!cJSON_GetObjectItemCaseSensitive(cfg, "epochs"))
		return nrt_train_errf(err, errn, "%s: patience needs \"epochs\"", what);
	if (!on || nrt_cfg_metric_ref(on, what, err, errn) ||
	    nrt_cfg_int(cfg, what, "epochs", 1, 1, &p, err, errn) == EINVAL)
		return EINVAL;
	e->enabled = 1;
	e->patience = p;
	snprintf(e->on, sizeof e->on, "%s", on);
	e->higher_is_better = nrt_metric_higher_is_better(on);
	return 0;
}

int nrt_early_epoch_end(struct nrt_early *e, const struct nrt_scalars *metrics, int *stop,
			char *err, size_t errn)
{
	*stop = 0;
	if (!e->enabled)
		return 0;
	const double *v = metrics ? nrt_scalars_get(metrics, e->on) : NULL;
	if (!v)
		return nrt_train_errf(err, errn, "train.early_stopping: metric '%s' was not computed "
				"this epoch", e->on);
	if (improves(*v, e->best, e->higher_is_better)) {
		e->best = *v;
		e->bad_epochs = 0;
	} else {
		e->bad_epochs++;
	}
	*stop = e->bad_epochs >= e->patience;
	return 0;
}

int nrt_early_save_meta(const struct nrt_early *e, struct nrt_ckpt_meta *m)
{
	double v[2] = { e->best, (double)e->bad_epochs };
	return put_doubles(m, "early.state", v, 2);
}

int nrt_early_load_meta(struct nrt_early *e, const struct nrt_ckpt_meta *m, char *err,
			size_t errn)
{
	double v[2];
	if (get_doubles(m, "early.state", v, 2) != 2 || !(v[1] >= 0))
		return nrt_train_errf(err, errn, "checkpoint metadata 'early.state' = '%s' is not "
				"\"best,bad_epochs\"", nrt_ckpt_meta_get(m, "early.state") ?
				nrt_ckpt_meta_get(m, "early.state") : "(missing)");
	e->best = v[0];
	e->bad_epochs = (int64_t)v[1];
	return 0;
}
