/* metrics.c - the metrics of one split over an epoch, accumulated batch
 * by batch from the network output and the targets: mean loss, accuracy,
 * top-k, per-class and mean AUC-ROC (auc.c), Dice and IoU of per-pixel
 * outputs, and the confusion matrix of single-label outputs.
 *
 * For AUC the scores of every sample are kept: per class, log softmax of
 * the logits (single-label; monotone in the probability, without the
 * rounding to 1.0 that would make false ties), the logit itself
 * (multi-label; sigmoid is monotone), or the given probability. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "train_rt.h"
#include "train_int.h"

struct nrt_metrics {
	struct nrt_metrics_cfg cfg;
	int64_t C, HW;
	int want_acc, want_topk, want_auc, auc_per_class, want_dice, want_iou;
	int64_t k;

	double loss_sum, loss_w;
	int64_t count, skipped;            /* samples (or pixels) counted / skipped */
	int64_t correct, decisions;        /* accuracy: right decisions of all */
	int64_t topk_hit, topk_n;
	int64_t *confusion;                /* C x C, row = true class (single-label) */
	int64_t *tp, *fp, *fn;             /* per class (dice, iou) */

	double *score;                     /* AUC: nscore samples x C */
	unsigned char *label;
	int64_t nscore, capscore;
	double *auc;                       /* per class, after compute */
	double auc_mean;
	int auc_classes;                   /* classes in the mean */
	int auc_done;
};

int nrt_metrics_cfg_from_program(const struct netrt_program *p, struct nrt_metrics_cfg *cfg,
				 char *err, size_t errn)
{
	memset(cfg, 0, sizeof *cfg);
	int64_t C = p->classes > 0 ? p->classes : 1;
	if (p->batch <= 0 || p->output_numel <= 0 || p->output_numel % (p->batch * C))
		return nrt_train_errf(err, errn, "program '%s': an output of %lld floats is not batch %lld "
				"x %lld classes x pixels", p->name ? p->name : "",
				(long long)p->output_numel, (long long)p->batch, (long long)C);
	cfg->classes = C;
	cfg->spatial = p->output_numel / (p->batch * C);
	cfg->multi_label = p->target_kind == NETRT_TARGET_BINARY;
	cfg->regression = p->target_kind == NETRT_TARGET_REAL;
	cfg->output_kind = NRT_OUTPUT_LOGITS;
	return 0;
}

void nrt_metrics_free(struct nrt_metrics *m)
{
	if (!m)
		return;
	free(m->confusion);
	free(m->tp);
	free(m->fp);
	free(m->fn);
	free(m->score);
	free(m->label);
	free(m->auc);
	free(m);
}

void nrt_metrics_reset(struct nrt_metrics *m)
{
	int64_t C = m->C;
	m->loss_sum = m->loss_w = 0;
	m->count = m->skipped = m->correct = m->decisions = m->topk_hit = m->topk_n = 0;
	if (m->confusion)
		memset(m->confusion, 0, (size_t)(C * C) * sizeof *m->confusion);
	memset(m->tp, 0, (size_t)C * sizeof *m->tp);
	memset(m->fp, 0, (size_t)C * sizeof *m->fp);
	memset(m->fn, 0, (size_t)C * sizeof *m->fn);
	m->nscore = 0;
	m->auc_done = 0;
}

struct nrt_metrics *nrt_metrics_new(const struct cJSON *mc, const struct nrt_metrics_cfg *cfg,
				    char *err, size_t errn)
{
	const char *what = "train.metrics";
	struct nrt_metrics *m = calloc(1, sizeof *m);
	const cJSON *j;
	if (!m) {
		nrt_train_errf(err, errn, "%s: out of memory", what);
		return NULL;
	}
	m->cfg = *cfg;
	m->C = cfg->classes;
	m->HW = cfg->spatial;
	if (m->C <= 0 || m->HW <= 0 || m->C > 100000 || m->HW > ((int64_t)1 << 40)) {
		nrt_train_errf(err, errn, "%s: %lld classes x %lld pixels", what, (long long)m->C,
			 (long long)m->HW);
		goto fail;
	}
	if (mc && !cJSON_IsArray(mc)) {
		nrt_train_errf(err, errn, "%s: not an array of metrics", what);
		goto fail;
	}
	cJSON_ArrayForEach(j, mc) {
		const char *kind = nrt_cfg_str(j, what, "kind", NULL, err, errn);
		if (!kind) {
			nrt_train_errf(err, errn, "%s: an entry without a \"kind\" string", what);
			goto fail;
		}
		if (strcmp(kind, "loss") == 0)
			continue;
		if (cfg->regression) {
			nrt_train_errf(err, errn, "%s: %s needs class targets; regression (mse) has only "
				 "the loss", what, kind);
			goto fail;
		}
		if (strcmp(kind, "accuracy") == 0) {
			m->want_acc = 1;
		} else if (strcmp(kind, "top_k") == 0) {
			long long k;
			if (nrt_cfg_int(j, "train.metrics: top_k", "k", 1, 5, &k, err, errn) == EINVAL)
				goto fail;
			if (cfg->multi_label && m->HW > 1) {
				nrt_train_errf(err, errn, "%s: top_k of a multi-label per-pixel output", what);
				goto fail;
			}
			m->want_topk = 1;
			m->k = k;
		} else if (strcmp(kind, "auc") == 0) {
			const char *avg = nrt_cfg_str(j, "train.metrics: auc", "average", "mean", err,
						      errn);
			if (!avg)
				goto fail;
			if (strcmp(avg, "mean") && strcmp(avg, "per_class")) {
				nrt_train_errf(err, errn, "%s: auc average '%s' (expected mean or per_class)",
					 what, avg);
				goto fail;
			}
			if (m->HW > 1) {
				nrt_train_errf(err, errn, "%s: auc is computed per sample; this output has "
					 "%lld pixels per class", what, (long long)m->HW);
				goto fail;
			}
			m->want_auc = 1;
			m->auc_per_class = strcmp(avg, "per_class") == 0;
		} else if (strcmp(kind, "dice") == 0 || strcmp(kind, "iou") == 0) {
			if (m->HW <= 1) {
				nrt_train_errf(err, errn, "%s: %s needs a per-pixel output [C, H, W]", what,
					 kind);
				goto fail;
			}
			if (kind[0] == 'd')
				m->want_dice = 1;
			else
				m->want_iou = 1;
		} else {
			nrt_train_errf(err, errn, "%s: unknown metric '%s' (expected accuracy, top_k, loss, "
				 "auc, dice or iou)", what, kind);
			goto fail;
		}
	}
	size_t C = (size_t)m->C;
	if (!cfg->multi_label && !cfg->regression && C <= 4096 &&
	    !(m->confusion = calloc(C * C, sizeof *m->confusion)))
		goto oom;
	m->tp = calloc(C, sizeof *m->tp);
	m->fp = calloc(C, sizeof *m->fp);
	m->fn = calloc(C, sizeof *m->fn);
	m->auc = calloc(C, sizeof *m->auc);
	if (!m->tp || !m->fp || !m->fn || !m->auc)
		goto oom;
	return m;
oom:
	nrt_train_errf(err, errn, "%s: out of memory", what);
fail:
	nrt_metrics_free(m);
	return NULL;
}

static int grow_scores(struct nrt_metrics *m, int64_t more)
{
	if (m->nscore + more <= m->capscore)
		return 0;
	int64_t cap = m->capscore ? m->capscore : 1024;
	while (cap < m->nscore + more)
		cap *= 2;
	double *s = realloc(m->score, (size_t)(cap * m->C) * sizeof *s);
	if (!s)
		return ENOMEM;
	m->score = s;
	unsigned char *l = realloc(m->label, (size_t)(cap * m->C));
	if (!l)
		return ENOMEM;
	m->label = l;
	m->capscore = cap;
	return 0;
}

/* One single-label position: scores x[c * stride], true class t. */
static void add_single(struct nrt_metrics *m, const float *x, int64_t stride, int32_t t)
{
	int64_t C = m->C, best = 0;
	double bv = -INFINITY;
	if (t < 0 || t >= C) {
		m->skipped++;
		return;
	}
	m->count++;
	for (int64_t c = 0; c < C; c++) {
		double v = x[c * stride];
		if (v > bv) {
			bv = v;
			best = c;
		}
	}
	double tv = x[t * stride];
	m->correct += best == t && !isnan(tv);
	m->decisions++;
	if (m->confusion)
		m->confusion[t * C + best]++;
	if (best == t) {
		m->tp[t]++;
	} else {
		m->fp[best]++;
		m->fn[t]++;
	}
	if (m->want_topk) {
		int64_t above = 0;
		for (int64_t c = 0; c < C; c++)
			above += x[c * stride] > tv;
		m->topk_hit += !isnan(tv) && above < m->k;
		m->topk_n++;
	}
}

/* Scores above the threshold: a logit > 0 or a probability > 0.5. */
static int positive(const struct nrt_metrics *m, double v)
{
	return m->cfg.output_kind == NRT_OUTPUT_PROBS ? v > 0.5 : v > 0;
}

static void add_multi(struct nrt_metrics *m, const float *x, const float *y, int64_t stride)
{
	int64_t C = m->C, above = 0;
	double best_true = NAN;
	m->count++;
	for (int64_t c = 0; c < C; c++) {
		int pred = positive(m, x[c * stride]), truth = y[c * stride] >= 0.5f;
		m->correct += pred == truth;
		m->decisions++;
		m->tp[c] += pred && truth;
		m->fp[c] += pred && !truth;
		m->fn[c] += !pred && truth;
		if (truth && !(x[c * stride] <= best_true))
			best_true = x[c * stride];
	}
	if (m->want_topk && !isnan(best_true)) {
		for (int64_t c = 0; c < C; c++)
			above += x[c * stride] > best_true;
		m->topk_hit += above < m->k;
		m->topk_n++;
	}
}

int nrt_metrics_add(struct nrt_metrics *m, const float *out, const void *target,
		    int64_t n, double loss)
{
	int64_t C = m->C, HW = m->HW;
	m->auc_done = 0;
	if (n <= 0)
		return 0;
	if (!isnan(loss)) {
		m->loss_sum += loss * (double)n;
		m->loss_w += (double)n;
	}
	if (m->cfg.regression) {
		m->count += n;
		return 0;
	}
	if (m->want_auc && grow_scores(m, n))
		return ENOMEM;
	for (int64_t s = 0; s < n; s++) {
		const float *x = out + s * C * HW;
		for (int64_t px = 0; px < HW; px++) {
			if (m->cfg.multi_label)
				add_multi(m, x + px, (const float *)target + s * C * HW + px, HW);
			else
				add_single(m, x + px, HW, ((const int32_t *)target)[s * HW + px]);
		}
		if (!m->want_auc)
			continue;
		/* HW == 1 here */
		double *sc = m->score + m->nscore * C;
		unsigned char *lb = m->label + m->nscore * C;
		if (m->cfg.multi_label) {
			const float *y = (const float *)target + s * C;
			for (int64_t c = 0; c < C; c++) {
				sc[c] = x[c];
				lb[c] = y[c] >= 0.5f;
			}
		} else {
			int32_t t = ((const int32_t *)target)[s];
			if (t < 0 || t >= C)
				continue;
			double mx = -INFINITY, sum = 0;
			if (m->cfg.output_kind == NRT_OUTPUT_LOGITS) {
				for (int64_t c = 0; c < C; c++)
					if (x[c] > mx)
						mx = x[c];
				for (int64_t c = 0; c < C; c++)
					sum += exp((double)x[c] - mx);
			}
			for (int64_t c = 0; c < C; c++) {
				sc[c] = m->cfg.output_kind == NRT_OUTPUT_LOGITS ?
					(double)x[c] - mx - log(sum) : (double)x[c];
				lb[c] = c == t;
			}
		}
		m->nscore++;
	}
	return 0;
}

/* The per-class AUC and their mean (once per epoch state). */
static void compute_auc(struct nrt_metrics *m)
{
	if (m->auc_done || !m->want_auc)
		return;
	int64_t C = m->C, n = m->nscore;
	double *s = malloc((size_t)(n > 0 ? n : 1) * sizeof *s);
	unsigned char *l = malloc((size_t)(n > 0 ? n : 1));
	struct nrt_auc_item *it = malloc((size_t)(n > 0 ? n : 1) * sizeof *it);
	double sum = 0;
	m->auc_classes = 0;
	for (int64_t c = 0; c < C; c++) {
		if (!s || !l || !it) {
			m->auc[c] = NAN;
			continue;
		}
		for (int64_t i = 0; i < n; i++) {
			s[i] = m->score[i * C + c];
			l[i] = m->label[i * C + c];
		}
		m->auc[c] = nrt_auc(s, l, n, it);
		if (!isnan(m->auc[c])) {
			sum += m->auc[c];
			m->auc_classes++;
		}
	}
	m->auc_mean = m->auc_classes ? sum / m->auc_classes : NAN;
	free(s);
	free(l);
	free(it);
	m->auc_done = 1;
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : NAN;
}

/* Mean Dice (iou = 0) or IoU (iou = 1) over the classes that occur in the
 * predictions or the targets; per-class values into v (may be NULL). */
static double overlap(const struct nrt_metrics *m, int iou, double *v)
{
	double sum = 0;
	int k = 0;
	for (int64_t c = 0; c < m->C; c++) {
		double tp = (double)m->tp[c], d = (double)(m->fp[c] + m->fn[c]);
		double x = iou ? ratio(tp, tp + d) : ratio(2 * tp, 2 * tp + d);
		if (v)
			v[c] = x;
		if (!isnan(x)) {
			sum += x;
			k++;
		}
	}
	return k ? sum / k : NAN;
}

static const char *class_name(const struct nrt_metrics *m, int64_t c, char buf[32])
{
	if (m->cfg.class_names && m->cfg.class_names[c])
		return m->cfg.class_names[c];
	snprintf(buf, 32, "%lld", (long long)c);
	return buf;
}

int nrt_metrics_export(struct nrt_metrics *m, const char *split, struct nrt_scalars *s)
{
	char name[128], cb[32];
	int rc = 0;
#define PUT(suffix, value) \
	(snprintf(name, sizeof name, "%s.%s", split, suffix), \
	 rc = rc ? rc : nrt_scalars_set(s, name, (value)))
	PUT("loss", ratio(m->loss_sum, m->loss_w));
	if (m->want_acc)
		PUT("accuracy", ratio((double)m->correct, (double)m->decisions));
	if (m->want_topk)
		PUT("top_k", ratio((double)m->topk_hit, (double)m->topk_n));
	if (m->want_auc) {
		compute_auc(m);
		PUT("auc", m->auc_mean);
		for (int64_t c = 0; c < m->C && m->auc_per_class; c++) {
			snprintf(name, sizeof name, "%s.auc.%.40s", split, class_name(m, c, cb));
			rc = rc ? rc : nrt_scalars_set(s, name, m->auc[c]);
		}
	}
	if (m->want_dice)
		PUT("dice", overlap(m, 0, NULL));
	if (m->want_iou)
		PUT("iou", overlap(m, 1, NULL));
#undef PUT
	return rc;
}

const int64_t *nrt_metrics_confusion(const struct nrt_metrics *m)
{
	return m->confusion;
}

int64_t nrt_metrics_count(const struct nrt_metrics *m)
{
	return m->count;
}

int64_t nrt_metrics_skipped(const struct nrt_metrics *m)
{
	return m->skipped;
}

static void print_confusion(const struct nrt_metrics *m, FILE *out)
{
	int64_t C = m->C, mx = 0;
	char cb[32];
	int w, lw = 4;
	if (!m->confusion)
		return;
	if (C > 40) {
		fprintf(out, "  confusion matrix of %lld classes not printed (more than 40)\n",
			(long long)C);
		return;
	}
	for (int64_t i = 0; i < C * C; i++)
		if (m->confusion[i] > mx)
			mx = m->confusion[i];
	w = 1;
	for (int64_t v = mx; v >= 10; v /= 10)
		w++;
	w = w < 5 ? 5 : w;
	for (int64_t c = 0; c < C; c++) {
		int l = (int)strlen(class_name(m, c, cb));
		lw = l > lw ? (l > 20 ? 20 : l) : lw;
	}
	fprintf(out, "  confusion matrix (rows: true class, columns: predicted)\n  %*s", lw, "");
	for (int64_t c = 0; c < C; c++)
		fprintf(out, " %*.*s", w, w, class_name(m, c, cb));
	fputc('\n', out);
	for (int64_t r = 0; r < C; r++) {
		fprintf(out, "  %*.*s", lw, lw, class_name(m, r, cb));
		for (int64_t c = 0; c < C; c++)
			fprintf(out, " %*lld", w, (long long)m->confusion[r * C + c]);
		fputc('\n', out);
	}
}

void nrt_metrics_print(struct nrt_metrics *m, const char *split, FILE *out)
{
	char cb[32];
	fprintf(out, "%s: %lld %s, loss %.6g", split, (long long)m->count,
		m->HW > 1 ? "pixels" : "samples", ratio(m->loss_sum, m->loss_w));
	if (m->want_acc)
		fprintf(out, ", accuracy %.4f", ratio((double)m->correct, (double)m->decisions));
	if (m->want_topk)
		fprintf(out, ", top-%lld %.4f", (long long)m->k,
			ratio((double)m->topk_hit, (double)m->topk_n));
	if (m->want_auc) {
		compute_auc(m);
		fprintf(out, ", auc %.4f (mean of %d of %lld classes)", m->auc_mean,
			m->auc_classes, (long long)m->C);
	}
	if (m->want_dice)
		fprintf(out, ", dice %.4f", overlap(m, 0, NULL));
	if (m->want_iou)
		fprintf(out, ", iou %.4f", overlap(m, 1, NULL));
	fputc('\n', out);
	if (m->skipped)
		fprintf(out, "  %lld targets outside [0, %lld) skipped\n", (long long)m->skipped,
			(long long)m->C);
	if (m->want_auc) {
		int left = 0;
		fprintf(out, "  auc per class:");
		for (int64_t c = 0; c < m->C; c++)
			if (!isnan(m->auc[c]))
				fprintf(out, " %s %.4f", class_name(m, c, cb), m->auc[c]);
		fputc('\n', out);
		for (int64_t c = 0; c < m->C; c++) {
			if (!isnan(m->auc[c]))
				continue;
			int64_t pos = 0;
			for (int64_t i = 0; i < m->nscore; i++)
				pos += m->label[i * m->C + c];
			fprintf(out, "%s %s (%s)", left++ ? "," : "  left out of the auc mean, one "
				"label value only:", class_name(m, c, cb),
				pos ? "no negatives" : "no positives");
		}
		if (left)
			fputc('\n', out);
	}
	if (m->want_dice || m->want_iou) {
		double *d = malloc((size_t)m->C * sizeof *d), *u = malloc((size_t)m->C * sizeof *u);
		if (d && u) {
			overlap(m, 0, d);
			overlap(m, 1, u);
			fprintf(out, "  per class (dice / iou):");
			for (int64_t c = 0; c < m->C; c++)
				fprintf(out, " %s %.4f/%.4f", class_name(m, c, cb), d[c], u[c]);
			fputc('\n', out);
		}
		free(d);
		free(u);
	}
	print_confusion(m, out);
}
