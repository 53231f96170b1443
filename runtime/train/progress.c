/* progress.c - the progress line of a training run: on a terminal one
 * line rewritten in place ('\r', then erase to the end of the line) at
 * most every 0.1 s; into a file or a pipe a plain line at every 10% of an
 * epoch; and one summary line per epoch.  Times come from the caller
 * (nrt_now()), so the output is a function of its inputs. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "train_rt.h"

void nrt_progress_init(struct nrt_progress *pr, FILE *out, int tty, int64_t epochs,
		       int64_t steps_per_epoch)
{
	memset(pr, 0, sizeof *pr);
	pr->out = out;
	pr->tty = tty < 0 ? isatty(fileno(out)) : tty;
	pr->epochs = epochs;
	pr->steps_per_epoch = steps_per_epoch > 0 ? steps_per_epoch : 1;
}

void nrt_progress_epoch_begin(struct nrt_progress *pr, int64_t epoch, double now)
{
	pr->epoch = epoch;
	pr->epoch_start = now;
	pr->last_print = -INFINITY;
	pr->images = 0;
	pr->next_tenth = 1;
}

static void fmt_eta(double s, char *buf, size_t n)
{
	if (!isfinite(s) || s < 0) {
		snprintf(buf, n, "?");
		return;
	}
	long long t = (long long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, n, "%lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, n, "%lld:%02lld", t / 60, t % 60);
}

void nrt_progress_step(struct nrt_progress *pr, int64_t step, int64_t images, double loss,
		       const char *metric_name, double metric, double now)
{
	int64_t spe = pr->steps_per_epoch;
	double dt = now - pr->epoch_start;
	char eta[32], m[96] = "";
	pr->images += images;
	if (pr->tty) {
		if (now - pr->last_print < 0.1 && step < spe)
			return;
	} else {
		if (step * 10 < (int64_t)pr->next_tenth * spe)
			return;
		pr->next_tenth = (int)(step * 10 / spe) + 1;
	}
	pr->last_print = now;
	fmt_eta(step > 0 && dt > 0 ? dt / (double)step * (double)(spe - step) : NAN, eta,
		sizeof eta);
	if (metric_name)
		snprintf(m, sizeof m, "  %s %.4f", metric_name, metric);
	fprintf(pr->out, "%sepoch %lld/%lld  step %lld/%lld  loss %.4f%s  %.0f img/s  ETA %s%s",
		pr->tty ? "\r" : "", (long long)pr->epoch, (long long)pr->epochs, (long long)step,
		(long long)spe, loss, m, dt > 0 ? (double)pr->images / dt : 0.0, eta,
		pr->tty ? "\033[K" : "\n");
	pr->dirty = pr->tty;
	fflush(pr->out);
}

void nrt_progress_epoch_end(struct nrt_progress *pr, const struct nrt_scalars *s, double now)
{
	double dt = now - pr->epoch_start;
	if (pr->dirty)
		fputs("\r\033[K", pr->out);
	pr->dirty = 0;
	fprintf(pr->out, "epoch %lld/%lld", (long long)pr->epoch, (long long)pr->epochs);
	for (int i = 0; s && i < s->n; i++) {
		const char *n = s->v[i].name;
		if (strncmp(n, "train.", 6) && strncmp(n, "val.", 4))
			continue;
		if (strstr(n, ".auc."))  /* per-class values: the logs have them */
			continue;
		fprintf(pr->out, "  %s %.4f", n, s->v[i].value);
	}
	fprintf(pr->out, "  %.1f s  %.0f img/s\n", dt, dt > 0 ? (double)pr->images / dt : 0.0);
	fflush(pr->out);
}
