/* train_rt.h - the training runtime that a built program's driver calls
 * around netc_train_step / netc_eval_step: checkpoints (safetensors files,
 * written atomically, and the every / keep-last / keep-best policy),
 * epoch metrics (loss, accuracy, top-k, AUC-ROC, Dice, IoU, the confusion
 * matrix), learning-rate schedules and early stopping, the CSV and
 * JSON-lines logs and the progress line.
 *
 * Conventions of every function here: a status is 0 or a positive errno
 * value (EINVAL for bad input, EIO, ENOSPC, ...); on failure a message
 * that names the file and what was expected is written into err[0..errn)
 * (err may be NULL when errn is 0).  Nothing here prints except to a
 * stream the caller passes, exits or aborts.
 *
 * The configuration objects (const struct cJSON *) are the parts of the
 * JSON that netc embeds in the program (docs/training.md): the "train"
 * section's "checkpoint", "schedule", "metrics", "early_stopping".
 *
 * Named values.  Every per-epoch number goes through a struct nrt_scalars
 * table under the names the configuration uses for metric references:
 * "train.loss", "val.loss", "val.accuracy", "val.top_k", "val.auc",
 * "val.auc.<class>", "val.dice", "val.iou", plus what the driver adds
 * ("epoch", "step", "lr", "time", "images/s").  The schedules, early
 * stopping, keep-best and the logs read that table. */
#ifndef NRT_TRAIN_RT_H
#define NRT_TRAIN_RT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "netrt.h"

struct cJSON;

/* ================================================================ scalars */

enum { NRT_SCALAR_NAME = 64, NRT_SCALARS_MAX = 256 };

/* An ordered table of named doubles (the order is the log's column order). */
struct nrt_scalars {
	int n;                              /* entries used */
	struct nrt_scalar {
		char name[NRT_SCALAR_NAME]; /* "val.accuracy" */
		double value;               /* NaN: not defined this epoch */
	} v[NRT_SCALARS_MAX];
};

/* Empty the table. */
void nrt_scalars_clear(struct nrt_scalars *s);
/* Set name (replacing its value if present, else appending): 0, ENAMETOOLONG, ENOSPC. */
int nrt_scalars_set(struct nrt_scalars *s, const char *name, double value);
/* The value of name, or NULL when the table has no such entry. */
const double *nrt_scalars_get(const struct nrt_scalars *s, const char *name);
/* 1 when a larger value of the metric is better (everything but "*.loss"), else 0. */
int nrt_metric_higher_is_better(const char *name);
/* Seconds of CLOCK_MONOTONIC (for the progress line and the "time" scalar). */
double nrt_now(void);

/* ================================================================ checkpoints */

enum { NRT_META_KEY = 64, NRT_META_VALUE = 512, NRT_META_MAX = 64 };

/* What a checkpoint records besides the tensors.  Stored as strings in the
 * safetensors "__metadata__" object under the keys in brackets. */
struct nrt_ckpt_meta {
	int64_t epoch;          /* [epoch] epochs completed when saved */
	int64_t step;           /* [step] train steps taken (ctx.step of the last one) */
	int64_t batch_in_epoch; /* [batch_in_epoch] batches of epoch+1 already taken; 0 at an epoch end */
	uint64_t program_hash;  /* [program_hash] identity of the program (the driver's hash); checked on load */
	uint64_t data_hash;     /* [data_hash] hash of the data listing (data order state) */
	uint64_t seed;          /* [seed] the run's RNG seed */
	double best;            /* [best] best value of the keep-best metric so far; NaN: none */
	int nextra;             /* entries of extra[] used */
	struct nrt_kv {
		char key[NRT_META_KEY];
		char value[NRT_META_VALUE];
	} extra[NRT_META_MAX];  /* the driver's own key/values (schedule state, ...) */
};
/* Besides those keys a file carries [format] "netc-ckpt-1", [program] (the
 * program's name, for messages) and [checksum] (a 64-bit hash of the data
 * bytes, verified on load). */

/* Zeroes, best = NaN, no extras. */
void nrt_ckpt_meta_init(struct nrt_ckpt_meta *m);
/* Set an extra key (printf format); 0, EINVAL (a reserved key), ENAMETOOLONG, ENOSPC. */
int nrt_ckpt_meta_set(struct nrt_ckpt_meta *m, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The value of an extra key, or NULL. */
const char *nrt_ckpt_meta_get(const struct nrt_ckpt_meta *m, const char *key);

/* Write the checkpoint of program p to path: every params[] tensor (PARAM
 * and STATE, by name, F32, its shape), "optimizer.state" (the OPT region,
 * shape [region_size[OPT]]), and m.  Atomic: written to path.tmp.XXXXXX in
 * the same folder, fsync'ed, renamed over path, the folder fsync'ed; on
 * any error the temporary file is removed and an existing file at path is
 * left as it was.  Files are created with mode 0644. */
int nrt_ckpt_save(const char *path, const struct netrt_program *p,
		  void *const region[NETRT_NREGIONS], const struct nrt_ckpt_meta *m,
		  char *err, size_t errn);

/* Read the checkpoint at path into the regions (PARAM, STATE, OPT) and m
 * (m may be NULL).  Refuses (EINVAL, with the reason) a file whose header
 * is longer than NRT_CKPT_HEADER_MAX or malformed, a dtype other than F32,
 * a shape or data_offsets that disagree, overlap or leave the file, a
 * missing or unexpected tensor or a different shape than p has, another
 * program's hash (expect_hash, unless it is 0), and data whose checksum
 * differs.  The whole header is checked before any region is written; a
 * failure while reading the data (truncation, checksum) may leave the
 * regions partly overwritten: load another checkpoint or initialise again. */
int nrt_ckpt_load(const char *path, const struct netrt_program *p,
		  void *const region[NETRT_NREGIONS], uint64_t expect_hash,
		  struct nrt_ckpt_meta *m, char *err, size_t errn);

/* The checks of nrt_ckpt_load, the checksum included, without writing any
 * region (the data are read through a small buffer). */
int nrt_ckpt_verify(const char *path, const struct netrt_program *p, uint64_t expect_hash,
		    struct nrt_ckpt_meta *m, char *err, size_t errn);

#define NRT_CKPT_HEADER_MAX ((uint64_t)100 << 20)

/* An identity of p for program_hash: its name and everything that fixes
 * the checkpoint's layout (PARAM / STATE / OPT sizes, every parameter's
 * name, region, shape and offset), mixed with extra (e.g. the embedded
 * configuration text; NULL: none).  Never 0. */
uint64_t nrt_ckpt_program_hash(const struct netrt_program *p, const char *extra);

/* ---------------------------------------------------------------- the policy
 * The "checkpoint" object of the train section: {"kind": "every",
 * "epochs": N, "to": "ckpt/mnist", "keep_best": "val.auc" | "none"} and,
 * optionally, "keep_last": K (default 3; 0 keeps every epoch file).
 * "to" is FOLDER/PREFIX, relative to base_dir unless absolute; when it
 * ends in '/' or names an existing folder, the files go into it with the
 * prefix name (the train section's name).  The files:
 *   PREFIX-epoch0003.safetensors  after epochs 3, 6, ... (every N), and the last epoch
 *   PREFIX-last.safetensors       after every save (the one to resume from)
 *   PREFIX-best.safetensors       whenever keep_best improves (min for *.loss, max else)
 * Only the newest keep_last epoch files are kept.  The folder is created
 * when needed. */
struct nrt_ckpt_policy;

struct nrt_ckpt_policy *nrt_ckpt_policy_new(const struct cJSON *checkpoint_cfg,
					    const char *base_dir, const char *name,
					    char *err, size_t errn);
void nrt_ckpt_policy_free(struct nrt_ckpt_policy *pol);
/* The file of "last", "best" or "epoch" (with epoch) into buf; buf, or NULL if it does not fit. */
const char *nrt_ckpt_policy_path(const struct nrt_ckpt_policy *pol, const char *which,
				 int64_t epoch, char *buf, size_t n);
/* The keep_best metric name, or NULL for none. */
const char *nrt_ckpt_policy_best_metric(const struct nrt_ckpt_policy *pol);

/* At the end of epoch m->epoch (epochs completed, from 1): update m->best
 * from metrics when keep_best is set (a missing metric is an error), write
 * the epoch file and -last when the epoch is a multiple of N or last_epoch
 * is nonzero, -best when it improved, and drop old epoch files.  *saved
 * (may be NULL) gets a bit mask: 1 epoch/last written, 2 best written. */
int nrt_ckpt_policy_epoch_end(struct nrt_ckpt_policy *pol, const struct netrt_program *p,
			      void *const region[NETRT_NREGIONS], struct nrt_ckpt_meta *m,
			      const struct nrt_scalars *metrics, int last_epoch, int *saved,
			      char *err, size_t errn);
/* Write -last now (an interrupted run, mid-epoch: set m->batch_in_epoch). */
int nrt_ckpt_policy_save_last(struct nrt_ckpt_policy *pol, const struct netrt_program *p,
			      void *const region[NETRT_NREGIONS], const struct nrt_ckpt_meta *m,
			      char *err, size_t errn);

/* ================================================================ metrics */

/* What the network output is. */
enum nrt_output_kind {
	NRT_OUTPUT_LOGITS,      /* scores before softmax / sigmoid */
	NRT_OUTPUT_PROBS,       /* probabilities (a final softmax / sigmoid) */
};

/* The shape of one batch as the metrics read it. */
struct nrt_metrics_cfg {
	int64_t classes;        /* C: the output's class (channel) dimension */
	int64_t spatial;        /* H*W for per-pixel outputs [C, H, W]; 1 for [C] */
	int multi_label;        /* targets are C floats (multi-hot, BCE), else int32 classes */
	int regression;         /* targets are floats of the output's shape (MSE): loss only */
	int output_kind;        /* enum nrt_output_kind */
	const char *const *class_names; /* C names for reports (NULL: the indices) */
};

/* Fill cfg from a program: classes, spatial = output_numel / (batch * classes),
 * multi_label / regression from target_kind, logits, no class names.  EINVAL
 * when the output's size is not batch * classes * spatial. */
int nrt_metrics_cfg_from_program(const struct netrt_program *p, struct nrt_metrics_cfg *cfg,
				 char *err, size_t errn);

struct nrt_metrics;

/* The accumulator of one split over an epoch, for the "metrics" array of
 * the train section ([{"kind": "accuracy"}, {"kind": "top_k", "k": 5},
 * {"kind": "loss"}, {"kind": "auc", "average": "mean"}, {"kind": "dice"},
 * {"kind": "iou"}]; NULL: loss only).  The loss is always accumulated and
 * accuracy and the confusion matrix always for single-label outputs. */
struct nrt_metrics *nrt_metrics_new(const struct cJSON *metrics_cfg,
				    const struct nrt_metrics_cfg *cfg, char *err, size_t errn);
void nrt_metrics_free(struct nrt_metrics *m);
/* Forget the epoch (keep the configuration). */
void nrt_metrics_reset(struct nrt_metrics *m);
/* Add a batch: out holds n samples of C * spatial floats (sample-major,
 * [n, C, H, W]), target n samples of spatial int32 classes or C * spatial
 * floats (multi-label; a label is positive when >= 0.5); only the first
 * n_valid samples count; loss is the batch's mean loss (weighted by n_valid
 * in the epoch mean; NaN: not counted).  Class targets outside [0, C) are
 * skipped and counted (nrt_metrics_print reports them).  A prediction is
 * the arg-max class (single-label; NaN scores lose) or score > 0.5 after a
 * sigmoid (multi-label); top-k counts a hit when fewer than k classes score
 * strictly higher than the true class (for multi-label: than any true
 * label).  0 or ENOMEM. */
int nrt_metrics_add(struct nrt_metrics *m, const float *out, const void *target,
		    int64_t n_valid, double loss);
/* Put the epoch's values into s as "<split>.loss", "<split>.accuracy",
 * "<split>.top_k", "<split>.auc" (and "<split>.auc.<class>" for
 * average = per_class), "<split>.dice", "<split>.iou".  Values that are not
 * defined (no samples, AUC of no class) are NaN.  0, ENOSPC. */
int nrt_metrics_export(struct nrt_metrics *m, const char *split, struct nrt_scalars *s);
/* Print the epoch's values, the per-class AUC with the classes left out
 * (one label value only), per-class Dice/IoU and the confusion matrix
 * (rows: true class, columns: predicted) as a table. */
void nrt_metrics_print(struct nrt_metrics *m, const char *split, FILE *out);
/* The confusion matrix: C*C counts, row = true class (NULL when multi-label). */
const int64_t *nrt_metrics_confusion(const struct nrt_metrics *m);

/* ---- evaluation records (evalrec.c): a split evaluated over several ranks */

/* The batches one rank evaluated, packed as bytes for an allgather: per
 * batch its valid count (int64) and loss (double), then the output rows
 * (out_per floats each) and targets (tgt_per 4-byte words each) of its
 * valid samples.  Replayed into metrics in batch order they give the
 * metrics of one process that added the batches itself. */
struct nrt_evalrec {
	unsigned char *b;              /* the records, len bytes of cap */
	size_t len, cap;
	int64_t out_per, tgt_per;      /* output floats, target words per sample */
	int64_t batches;               /* records in b */
};

/* Empty records of that shape (0, 0: the loss alone, for regression). */
void nrt_evalrec_init(struct nrt_evalrec *r, int64_t out_per, int64_t tgt_per);
void nrt_evalrec_free(struct nrt_evalrec *r);
/* Bytes of one record of valid samples. */
int64_t nrt_evalrec_size(const struct nrt_evalrec *r, int64_t valid);
/* Append a batch: out's and target's first valid samples.  0 or ENOMEM. */
int nrt_evalrec_add(struct nrt_evalrec *r, const float *out, const void *target, int64_t valid,
		    double loss);
/* Replay the records of nparts ranks into m in batch order: part p holds
 * bytes [lo[p], hi[p]) of all, nb[p] records, of the batches p, p +
 * nparts, p + 2 nparts, ...; shape and batch as the records were written.
 * 0; EINVAL with a message (a damaged record: a bad count, past its part's
 * end, bytes left over) or ENOMEM. */
int nrt_evalrec_replay(struct nrt_metrics *m, const struct nrt_evalrec *shape, int64_t batch,
		       const unsigned char *all, const int64_t *lo, const int64_t *hi,
		       const int64_t *nb, int nparts, char *err, size_t errn);
/* Samples (or pixels) counted / skipped for a class target outside [0, C). */
int64_t nrt_metrics_count(const struct nrt_metrics *m);
int64_t nrt_metrics_skipped(const struct nrt_metrics *m);

/* Exact AUC-ROC of n (score, label) pairs (label nonzero: positive): the
 * Mann-Whitney statistic with average ranks for ties, equal to the
 * trapezoid area under the ROC curve.  NaN scores rank lowest.  NaN when
 * all labels are alike.  scratch: n entries, or NULL (then allocated; NaN
 * on ENOMEM). */
struct nrt_auc_item {
	double score;
	int label;
};
double nrt_auc(const double *score, const unsigned char *label, int64_t n,
	       struct nrt_auc_item *scratch);

/* ================================================================ schedules */

/* The "schedule" array of the train section: each kind gives a multiplier
 * of the base learning rate per step, and the multipliers are multiplied:
 *   constant                         1
 *   warmup(epochs W)                 min(1, s / (W * spe)) (s: step from 1), W = 0: 1
 *   step(every E, factor F)          F ^ floor(epoch / E) (epoch: completed, from 0)
 *   cosine(epochs T, min_lr M)       m + (1 - m) (1 + cos(pi t / (T spe))) / 2, t = s - 1,
 *                                    then m; T = 0: the whole run; m = M / base lr
 *                                    (min_lr is an absolute learning rate)
 *   plateau(on, factor, patience, mode) multiplied by factor when `on` did not
 *                                    improve (mode "min"/"max") for more than patience
 *                                    epochs in a row (as PyTorch's ReduceLROnPlateau
 *                                    with threshold 0, cooldown 0)
 * spe: steps per epoch; base_lr: the optimizer's lr (for cosine's min_lr). */
struct nrt_sched;

struct nrt_sched *nrt_sched_new(const struct cJSON *schedule_cfg, double base_lr,
				int64_t steps_per_epoch, int64_t epochs, char *err, size_t errn);
void nrt_sched_free(struct nrt_sched *s);
/* The multiplier for train step `step` (from 1, as ctx.step): set ctx.lr_scale to it. */
double nrt_sched_scale(const struct nrt_sched *s, int64_t step);
/* After each epoch: let plateau see the metrics (a missing `on` metric: EINVAL). */
int nrt_sched_epoch_end(struct nrt_sched *s, const struct nrt_scalars *metrics,
			char *err, size_t errn);
/* The state to checkpoint (plateau scales, bests, counters) as extra metadata
 * "sched.state", and back (EINVAL when it does not fit this schedule). */
int nrt_sched_save_meta(const struct nrt_sched *s, struct nrt_ckpt_meta *m);
int nrt_sched_load_meta(struct nrt_sched *s, const struct nrt_ckpt_meta *m,
			char *err, size_t errn);
/* The same state as numbers: at most n doubles written; returns how many it has. */
int nrt_sched_get_state(const struct nrt_sched *s, double *v, int n);
int nrt_sched_set_state(struct nrt_sched *s, const double *v, int n);

/* Early stopping: {"kind": "patience", "epochs": P, "on": "val.loss"}
 * (NULL or absent: never stops). */
struct nrt_early {
	int enabled;
	int64_t patience;                    /* epochs without improvement allowed */
	char on[NRT_SCALAR_NAME];
	int higher_is_better;
	double best;                         /* NaN: nothing seen yet */
	int64_t bad_epochs;                  /* epochs since the last improvement */
};
int nrt_early_init(struct nrt_early *e, const struct cJSON *early_cfg, char *err, size_t errn);
/* After each epoch: *stop = 1 when `patience` epochs have gone by without improvement. */
int nrt_early_epoch_end(struct nrt_early *e, const struct nrt_scalars *metrics, int *stop,
			char *err, size_t errn);
/* The state as extra metadata "early.state" and back. */
int nrt_early_save_meta(const struct nrt_early *e, struct nrt_ckpt_meta *m);
int nrt_early_load_meta(struct nrt_early *e, const struct nrt_ckpt_meta *m,
			char *err, size_t errn);

/* ================================================================ logs */

/* The per-epoch logs: a CSV file (the header written once; a file that
 * exists keeps its header and columns, as when a run resumes) and a
 * JSON-lines file (one object per epoch).  Either path may be NULL. */
struct nrt_log;

struct nrt_log *nrt_log_open(const char *csv_path, const char *jsonl_path, char *err,
			     size_t errn);
/* Append one epoch: the CSV row in its header's column order (an empty
 * field for a missing or NaN value; names the header lacks go to the JSON
 * line only), the JSON object with every entry in order (NaN: null). */
int nrt_log_epoch(struct nrt_log *log, const struct nrt_scalars *s, char *err, size_t errn);
/* Close; 0 or the error of the last flush. */
int nrt_log_close(struct nrt_log *log, char *err, size_t errn);

/* The progress line.  On a terminal: one line rewritten with '\r' (at most
 * every 0.1 s of the times passed in); otherwise plain lines at every 10% of
 * an epoch.  Either way one line per epoch at nrt_progress_epoch_end. */
struct nrt_progress {
	FILE *out;
	int tty;                 /* rewrite one line with '\r' */
	int64_t epochs, steps_per_epoch;
	int64_t epoch;           /* current, from 1 */
	double epoch_start, last_print;
	int64_t images;          /* since the epoch started */
	int next_tenth;          /* plain mode: the next 10% to print */
	int dirty;               /* a '\r' line is showing */
};
/* tty: 1, 0, or -1 to ask isatty(fileno(out)). */
void nrt_progress_init(struct nrt_progress *pr, FILE *out, int tty, int64_t epochs,
		       int64_t steps_per_epoch);
void nrt_progress_epoch_begin(struct nrt_progress *pr, int64_t epoch, double now);
/* After step `step` (from 1 in the epoch) of `images` images: loss and one
 * running metric (metric_name NULL: none). */
void nrt_progress_step(struct nrt_progress *pr, int64_t step, int64_t images, double loss,
		       const char *metric_name, double metric, double now);
/* The epoch's line: "epoch 3/10  train.loss 0.1234  val.accuracy 0.9812 ...  12.3 s  4567 img/s"
 * with the entries of s whose names start with "train." or "val.". */
void nrt_progress_epoch_end(struct nrt_progress *pr, const struct nrt_scalars *s, double now);

#endif
