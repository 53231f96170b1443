/* schema.c - data and train sections checked against tables; see schema.h.
 *
 * Everything a section may say is in two tables below: the fields of each
 * section (data_fields, train_fields) and the constructors the fields take
 * (ctors: csv(...), adam(...), random_flip(...)), each with its argument
 * schema, defaults and a line of documentation.  The checker is generic:
 *
 *   1. read the fields: unknown, duplicate and missing required fields;
 *   2. check each value against what its field accepts (numbers with their
 *      ranges, symbols, lists, one constructor or a pipeline of them), and
 *      each constructor's arguments against its schema;
 *   3. run the checks across fields and against the network, in table
 *      order: a field's hook, then for every constructor the checks its
 *      flags ask for (CF_*) and its own hook.
 *
 * A value of kind V_ERROR was already reported: it makes the section fail
 * without another message. */
#include "schema.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * Schema types
 * ------------------------------------------------------------------- */

/* What a field or an argument accepts: any combination of these. */
enum accept {
	AC_INT    = 1 << 0,   /* an integer */
	AC_NUM    = 1 << 1,   /* a number (integers convert) */
	AC_BOOL   = 1 << 2,   /* true / false */
	AC_STR    = 1 << 3,   /* a string */
	AC_SYM    = 1 << 4,   /* one of the symbols in spec.syms */
	AC_NUMS   = 1 << 5,   /* a list of numbers */
	AC_NAMES  = 1 << 6,   /* a list of names: symbols, strings (or layers) */
	AC_METRIC = 1 << 7,   /* a dotted metric: val.loss, train.accuracy */
	AC_CTOR   = 1 << 8,   /* one constructor of spec.kind; a bare name when
			       * it needs no arguments (loss = mse) */
	AC_PIPE   = 1 << 9,   /* AC_CTOR, or a pipeline a => b (or list) of them */
	AC_CTORS  = 1 << 10,  /* AC_CTOR, or a list [a, b] of them */
	AC_ANY    = 1 << 11,  /* anything: checked by sema (network, data) */
};

enum { AC_CTOR_ANY = AC_CTOR | AC_PIPE | AC_CTORS };

/* Ranges of numbers (AC_INT, AC_NUM and the items of AC_NUMS). */
enum range { R_ANY, R_POS, R_NONNEG, R_UNIT, R_FRAC, R_POS_UNIT };

/* Families of constructors: the field that takes them. */
enum kind {
	K_NONE, K_SOURCE, K_SPLIT, K_DECODE, K_AUGMENT, K_BALANCE,
	K_LOSS, K_OPTIMIZER, K_SCHEDULE, K_METRIC, K_CHECKPOINT, K_STOPPING,
	K_REGULARIZE, K_DISTRIBUTE, K_COUNT
};

static const struct {
	const char *one, *many;
} kinds[K_COUNT] = {
	[K_NONE] = { "value", "values" },
	[K_SOURCE] = { "source", "sources" },
	[K_SPLIT] = { "split", "splits" },
	[K_DECODE] = { "decoder", "decoders" },
	[K_AUGMENT] = { "augmentation", "augmentations" },
	[K_BALANCE] = { "balancing mode", "balancing modes" },
	[K_LOSS] = { "loss", "losses" },
	[K_OPTIMIZER] = { "optimizer", "optimizers" },
	[K_SCHEDULE] = { "schedule", "schedules" },
	[K_METRIC] = { "metric", "metrics" },
	[K_CHECKPOINT] = { "checkpoint policy", "checkpoint policies" },
	[K_STOPPING] = { "stopping rule", "stopping rules" },
	[K_REGULARIZE] = { "regularizer", "regularizers" },
	[K_DISTRIBUTE] = { "distribution strategy", "distribution strategies" },
};

struct ck;
struct fval;
struct rec;

/* A field of a section or an argument of a constructor. */
struct spec {
	const char *name;
	unsigned accept;        /* AC_* */
	enum range range;
	const char *def;        /* default as source text (strings unquoted);
				 * "=x": the value of argument x; NULL: required;
				 * fields: "" optional, nothing implied */
	const char *syms;       /* AC_SYM: allowed symbols, '|'-separated */
	enum kind kind;         /* AC_CTOR, AC_PIPE, AC_CTORS */
	void (*check)(struct ck *, struct fval *);  /* fields: after reading */
	const char *doc;
};

/* What the generic checks of step 3 do with a constructor. */
enum ctor_flags {
	CF_CLASSES     = 1 << 0,  /* loss: network output [classes, ...] vs data classes */
	CF_NO_SIGMOID  = 1 << 1,  /* loss: output must not end in sigmoid */
	CF_NO_SOFTMAX  = 1 << 2,  /* loss: output must not end in softmax */
	CF_ONE_LABEL   = 1 << 3,  /* loss: one label per sample (softmax over classes) */
	CF_INDEPENDENT = 1 << 4,  /* loss: every class its own probability (BCE) */
	CF_PIXEL       = 1 << 5,  /* loss/metric: needs a per-pixel output [classes, H, W] */
	CF_BINARY      = 1 << 6,  /* metric: needs BCE or a 2-class output (auc) */
	CF_CROP        = 1 << 7,  /* augmentation: height, width (, pad): shrinks the image */
	CF_LABEL_LIST  = 1 << 8,  /* source: a cell may hold several labels (sep) */
	CF_COLUMNS     = 1 << 9,  /* source: has named columns (a patient id) */
};

struct ctor {
	const char *name;
	enum kind kind;
	const struct spec *args;   /* in positional order */
	int nargs;
	unsigned flags;            /* CF_* */
	int param;                 /* decode: channels */
	void (*check)(struct ck *, struct rec *);
	const char *doc;
};

enum { REC_MAX_ARGS = 8 };

/* A constructor as written, after its arguments were matched. */
struct rec {
	const struct ctor *c;
	const struct value *v;                   /* V_RECORD, or V_SYM (bare name) */
	const struct value *arg[REC_MAX_ARGS];   /* as given; NULL: the default */
	struct loc argloc[REC_MAX_ARGS];         /* where given (keyword or value) */
	bool ok;                                 /* all arguments passed */
};

/* A field of the table and what the section gave for it. */
struct fval {
	const struct spec *sp;
	const struct ast *field;   /* NULL: not given */
	const struct value *v;
	bool ok;                   /* given and passed the checks of step 2 */
	struct rec *rec;           /* constructor fields: the constructors */
	int nrec;
};

/* The checker's state for one section. */
struct ck {
	struct diag_ctx *D;
	struct arena *A;
	const struct section *s;
	const char *what;              /* "data" / "train" */
	const struct spec *fields;
	int nfields;
	struct fval *fv;               /* one per table field */
	bool bad;                      /* met a value already reported */
	/* data */
	const struct rec *source;
	int channels;                  /* from decode; 0: unknown */
	int64_t h, w;                  /* image size at this point of augment; 0: unknown */
	struct loc size_loc;           /* where that size was set */
	const struct rec *size_rec;    /* the decode or crop that set it */
	/* train */
	const struct graph *net;
	const struct node *out;        /* the network's output, or NULL */
	const struct data_info *data;
	const struct rec *loss;        /* the loss, when it checked out */
};

/* Hooks of the tables. */
static void check_classes(struct ck *c, struct fval *f);
static void check_multi_label(struct ck *c, struct fval *f);
static void check_folder(struct ck *c, struct rec *r);
static void check_split(struct ck *c, struct rec *r);
static void check_by_patient(struct ck *c, struct rec *r);
static void check_decode(struct ck *c, struct rec *r);
static void check_normalize(struct ck *c, struct rec *r);
static void check_weights(struct ck *c, struct rec *r);
static void check_sgd(struct ck *c, struct rec *r);
static void check_top_k(struct ck *c, struct rec *r);

/* ---------------------------------------------------------------------
 * The tables
 * ------------------------------------------------------------------- */

#define ARGS(a) a, (int)(sizeof a / sizeof a[0])
#define NOARGS NULL, 0

/* Shorthands for argument rows: name, accept, range, default, doc. */
#define A_(n, ac, r, d, doc) { n, ac, r, d, NULL, K_NONE, NULL, doc }
#define A_SYM(n, syms, d, doc) { n, AC_SYM, R_ANY, d, syms, K_NONE, NULL, doc }

static const struct spec csv_args[] = {
	A_("file", AC_STR, R_ANY, NULL, "the CSV file: one row per image, a header row naming the columns"),
	A_("image", AC_STR, R_ANY, "Image Index", "column with the image file name"),
	A_("labels", AC_STR, R_ANY, "Finding Labels", "column with the label (or labels)"),
	A_("sep", AC_STR, R_ANY, "|", "separator of several labels in one cell; \"\" for one label per row"),
	A_("root", AC_STR, R_ANY, "", "folder the image names are relative to"),
	A_("patient", AC_STR, R_ANY, "", "column with the patient id"),
};
static const struct spec folder_args[] = {
	A_("root", AC_STR, R_ANY, NULL, "folder with one subfolder per class"),
	A_("ext", AC_STR, R_ANY, "png", "image file extension: png, jpg or jpeg"),
};
static const struct spec ratio_args[] = {
	A_("train", AC_NUM, R_UNIT, "0.8", "fraction of samples for training"),
	A_("val", AC_NUM, R_UNIT, "0.1", "fraction for validation (every epoch)"),
	A_("test", AC_NUM, R_UNIT, "0.1", "fraction held out for testing"),
	A_("seed", AC_INT, R_NONNEG, "1", "seed of the shuffle before splitting"),
};
static const struct spec by_patient_args[] = {
	A_("column", AC_STR, R_ANY, "Patient ID", "CSV column with the patient id"),
	A_("train", AC_NUM, R_UNIT, NULL, "fraction of patients for training"),
	A_("val", AC_NUM, R_UNIT, NULL, "fraction of patients for validation"),
	A_("test", AC_NUM, R_UNIT, NULL, "fraction of patients held out for testing"),
	A_("seed", AC_INT, R_NONNEG, "1", "seed of the shuffle before splitting"),
};
static const struct spec size_args[] = {
	A_("height", AC_INT, R_POS, NULL, "rows after resizing"),
	A_("width", AC_INT, R_POS, NULL, "columns after resizing"),
};
static const struct spec crop_args[] = {
	A_("height", AC_INT, R_POS, NULL, "rows kept"),
	A_("width", AC_INT, R_POS, NULL, "columns kept"),
};
static const struct spec random_crop_args[] = {
	A_("height", AC_INT, R_POS, NULL, "rows kept"),
	A_("width", AC_INT, R_POS, "=height", "columns kept"),
	A_("pad", AC_INT, R_NONNEG, "0", "zero padding on each side before cropping"),
};
static const struct spec center_crop_args[] = {
	A_("height", AC_INT, R_POS, NULL, "rows kept"),
	A_("width", AC_INT, R_POS, "=height", "columns kept"),
};
static const struct spec random_flip_args[] = {
	A_("horizontal", AC_BOOL, R_ANY, "true", "flip left-right"),
	A_("vertical", AC_BOOL, R_ANY, "false", "flip upside down"),
	A_("p", AC_NUM, R_UNIT, "0.5", "probability of a flip"),
};
static const struct spec p_args[] = {
	A_("p", AC_NUM, R_UNIT, "0.5", "probability of applying it"),
};
static const struct spec rotation_args[] = {
	A_("degrees", AC_NUM, R_NONNEG, NULL, "rotate by a uniform angle in [-degrees, degrees]"),
};
static const struct spec brightness_args[] = {
	A_("delta", AC_NUM, R_NONNEG, NULL, "add a uniform offset in [-delta, delta]"),
};
static const struct spec contrast_args[] = {
	A_("factor", AC_NUM, R_NONNEG, NULL, "scale the contrast by a uniform factor in [1-factor, 1+factor]"),
};
static const struct spec noise_args[] = {
	A_("std", AC_NUM, R_NONNEG, NULL, "standard deviation of the noise"),
	A_("p", AC_NUM, R_UNIT, "1.0", "probability of adding it"),
};
static const struct spec normalize_args[] = {
	A_("mean", AC_NUM | AC_NUMS, R_ANY, NULL, "subtracted: one number, or one per channel"),
	A_("std", AC_NUM | AC_NUMS, R_POS, NULL, "divided by: one number, or one per channel"),
};
static const struct spec seed_args[] = {
	A_("seed", AC_INT, R_NONNEG, "1", "seed of the per-epoch sampling"),
};

static const struct spec ce_args[] = {
	A_("label_smoothing", AC_NUM, R_FRAC, "0", "mix the targets with a uniform distribution"),
};
static const struct spec wce_args[] = {
	{ "weights", AC_SYM | AC_NUMS, R_NONNEG, "auto", "auto", K_NONE, NULL,
	  "one weight per class, or auto: inverse class frequencies of the training split" },
};
static const struct spec dice_args[] = {
	A_("smooth", AC_NUM, R_NONNEG, "1.0", "added to numerator and denominator"),
};

static const struct spec sgd_args[] = {
	A_("lr", AC_NUM, R_POS, "0.01", "learning rate"),
	A_("momentum", AC_NUM, R_FRAC, "0", "momentum factor"),
	A_("nesterov", AC_BOOL, R_ANY, "false", "Nesterov momentum (needs momentum > 0)"),
	A_("weight_decay", AC_NUM, R_NONNEG, "0", "L2 penalty added to the gradient"),
};
static const struct spec adam_args[] = {
	A_("lr", AC_NUM, R_POS, "0.001", "learning rate"),
	A_("beta1", AC_NUM, R_FRAC, "0.9", "decay of the first moment estimate"),
	A_("beta2", AC_NUM, R_FRAC, "0.999", "decay of the second moment estimate"),
	A_("eps", AC_NUM, R_POS, "1e-8", "added to the denominator"),
	A_("weight_decay", AC_NUM, R_NONNEG, "0", "L2 penalty added to the gradient"),
};
static const struct spec adadelta_args[] = {
	A_("lr", AC_NUM, R_POS, "1.0", "scale of the update"),
	A_("rho", AC_NUM, R_FRAC, "0.9", "decay of the running averages"),
	A_("eps", AC_NUM, R_POS, "1e-6", "added to the denominator"),
	A_("weight_decay", AC_NUM, R_NONNEG, "0", "L2 penalty added to the gradient"),
};
static const struct spec rmsprop_args[] = {
	A_("lr", AC_NUM, R_POS, "0.01", "learning rate"),
	A_("alpha", AC_NUM, R_FRAC, "0.99", "decay of the squared-gradient average"),
	A_("eps", AC_NUM, R_POS, "1e-8", "added to the denominator"),
	A_("momentum", AC_NUM, R_FRAC, "0", "momentum factor"),
	A_("weight_decay", AC_NUM, R_NONNEG, "0", "L2 penalty added to the gradient"),
};

static const struct spec warmup_args[] = {
	A_("epochs", AC_INT, R_POS, "5", "epochs of linear ramp from 0 to the learning rate"),
};
static const struct spec step_args[] = {
	A_("every", AC_INT, R_POS, NULL, "epochs between decays"),
	A_("factor", AC_NUM, R_POS_UNIT, "0.1", "multiplies the learning rate"),
};
static const struct spec cosine_args[] = {
	A_("epochs", AC_INT, R_NONNEG, "0", "length of the cosine; 0: the whole training"),
	A_("min_lr", AC_NUM, R_NONNEG, "0", "learning rate at the end"),
};
static const struct spec plateau_args[] = {
	A_("on", AC_METRIC, R_ANY, "val.loss", "the metric watched"),
	A_("factor", AC_NUM, R_POS_UNIT, "0.1", "multiplies the learning rate"),
	A_("patience", AC_INT, R_NONNEG, "1", "epochs without improvement before a decay"),
	A_SYM("mode", "min|max", "min", "whether lower or higher is better"),
};

static const struct spec top_k_args[] = {
	A_("k", AC_INT, R_POS, "5", "a hit when the label is among the k highest scores"),
};
static const struct spec auc_args[] = {
	A_SYM("average", "mean|per_class", "mean", "per_class: one AUC-ROC per class, and their mean"),
};

static const struct spec every_args[] = {
	A_("epochs", AC_INT, R_POS, "1", "epochs between checkpoints"),
	A_("to", AC_STR, R_ANY, "ckpt", "path prefix of the checkpoint files"),
	{ "keep_best", AC_SYM | AC_METRIC, R_ANY, "none", "none", K_NONE, NULL,
	  "also keep the best checkpoint by this metric" },
};
static const struct spec patience_args[] = {
	A_("epochs", AC_INT, R_POS, NULL, "epochs without improvement before stopping"),
	A_("on", AC_METRIC, R_ANY, "val.loss", "the metric watched"),
};
static const struct spec l2_args[] = {
	A_("weight", AC_NUM, R_NONNEG, NULL, "factor of the sum of squared weights"),
	{ "layers", AC_SYM | AC_NAMES, R_ANY, "all", "all", K_NONE, NULL,
	  "all, or the layers (node names) and ops (conv, dense) it applies to" },
};
static const struct spec bucket_args[] = {
	A_("bucket_mb", AC_INT, R_POS, "25", "size of the gradient buckets reduced together (MiB)"),
};
static const struct spec servers_args[] = {
	A_("servers", AC_INT, R_POS, "1", "number of parameter-server ranks"),
};

static const struct ctor ctors[] = {
	/* data: source */
	{ "csv", K_SOURCE, ARGS(csv_args), CF_LABEL_LIST | CF_COLUMNS, 0, NULL,
	  "images listed in a CSV file with their labels" },
	{ "folder", K_SOURCE, ARGS(folder_args), 0, 0, check_folder,
	  "images in one subfolder per class" },
	/* data: split */
	{ "ratio", K_SPLIT, ARGS(ratio_args), 0, 0, check_split,
	  "random split of the samples by fractions" },
	{ "by_patient", K_SPLIT, ARGS(by_patient_args), 0, 0, check_by_patient,
	  "split by patient: all images of one patient land in the same part" },
	/* data: decode */
	{ "gray", K_DECODE, ARGS(size_args), 0, 1, check_decode,
	  "decode to 1 channel, resized to height x width" },
	{ "rgb", K_DECODE, ARGS(size_args), 0, 3, check_decode,
	  "decode to 3 channels, resized to height x width" },
	/* data: augment */
	{ "crop", K_AUGMENT, ARGS(crop_args), CF_CROP, 0, NULL,
	  "cut out a random height x width window" },
	{ "random_crop", K_AUGMENT, ARGS(random_crop_args), CF_CROP, 0, NULL,
	  "pad, then cut out a random height x width window" },
	{ "center_crop", K_AUGMENT, ARGS(center_crop_args), CF_CROP, 0, NULL,
	  "cut out the central height x width window" },
	{ "random_flip", K_AUGMENT, ARGS(random_flip_args), 0, 0, NULL,
	  "mirror the image with probability p" },
	{ "rotate180", K_AUGMENT, ARGS(p_args), 0, 0, NULL,
	  "turn the image upside down with probability p" },
	{ "random_rotation", K_AUGMENT, ARGS(rotation_args), 0, 0, NULL,
	  "rotate by a random angle" },
	{ "brightness", K_AUGMENT, ARGS(brightness_args), 0, 0, NULL,
	  "random brightness change" },
	{ "contrast", K_AUGMENT, ARGS(contrast_args), 0, 0, NULL,
	  "random contrast change" },
	{ "gaussian_noise", K_AUGMENT, ARGS(noise_args), 0, 0, NULL,
	  "add Gaussian noise" },
	{ "normalize", K_AUGMENT, ARGS(normalize_args), 0, 0, check_normalize,
	  "(x - mean) / std per channel" },
	/* data: balance */
	{ "none", K_BALANCE, NOARGS, 0, 0, NULL,
	  "samples as they come" },
	{ "resample_majority", K_BALANCE, ARGS(seed_args), 0, 0, NULL,
	  "every epoch, draw as many samples of the majority class as of the others" },
	{ "oversample", K_BALANCE, ARGS(seed_args), 0, 0, NULL,
	  "repeat samples of the smaller classes up to the largest" },
	{ "class_weights", K_BALANCE, NOARGS, 0, 0, NULL,
	  "weigh the loss by inverse class frequencies" },
	/* train: loss */
	{ "cross_entropy", K_LOSS, ARGS(ce_args), CF_CLASSES | CF_NO_SIGMOID | CF_ONE_LABEL, 0, NULL,
	  "softmax cross-entropy: one label per sample (per pixel)" },
	{ "weighted_cross_entropy", K_LOSS, ARGS(wce_args),
	  CF_CLASSES | CF_NO_SIGMOID | CF_ONE_LABEL, 0, check_weights,
	  "softmax cross-entropy with a weight per class" },
	{ "binary_cross_entropy", K_LOSS, NOARGS, CF_CLASSES | CF_NO_SOFTMAX | CF_INDEPENDENT, 0, NULL,
	  "sigmoid cross-entropy per class: multi-label" },
	{ "dice", K_LOSS, ARGS(dice_args), CF_CLASSES | CF_PIXEL, 0, NULL,
	  "1 - Dice coefficient of a per-pixel segmentation" },
	{ "mse", K_LOSS, NOARGS, 0, 0, NULL,
	  "mean squared error" },
	/* train: optimizer */
	{ "sgd", K_OPTIMIZER, ARGS(sgd_args), 0, 0, check_sgd,
	  "stochastic gradient descent" },
	{ "adam", K_OPTIMIZER, ARGS(adam_args), 0, 0, NULL,
	  "Adam (Kingma & Ba)" },
	{ "adadelta", K_OPTIMIZER, ARGS(adadelta_args), 0, 0, NULL,
	  "Adadelta (Zeiler)" },
	{ "rmsprop", K_OPTIMIZER, ARGS(rmsprop_args), 0, 0, NULL,
	  "RMSprop (Hinton)" },
	/* train: schedule */
	{ "constant", K_SCHEDULE, NOARGS, 0, 0, NULL,
	  "the optimizer's learning rate throughout" },
	{ "warmup", K_SCHEDULE, ARGS(warmup_args), 0, 0, NULL,
	  "ramp the learning rate up linearly" },
	{ "step", K_SCHEDULE, ARGS(step_args), 0, 0, NULL,
	  "multiply the learning rate by factor every few epochs" },
	{ "cosine", K_SCHEDULE, ARGS(cosine_args), 0, 0, NULL,
	  "cosine annealing down to min_lr" },
	{ "plateau", K_SCHEDULE, ARGS(plateau_args), 0, 0, NULL,
	  "multiply the learning rate by factor when a metric stops improving" },
	/* train: metrics */
	{ "accuracy", K_METRIC, NOARGS, 0, 0, NULL,
	  "fraction of samples whose highest score is the label" },
	{ "top_k", K_METRIC, ARGS(top_k_args), 0, 0, check_top_k,
	  "fraction of samples whose label is among the k highest scores" },
	{ "loss", K_METRIC, NOARGS, 0, 0, NULL,
	  "the mean loss" },
	{ "auc", K_METRIC, ARGS(auc_args), CF_BINARY, 0, NULL,
	  "area under the ROC curve" },
	{ "dice", K_METRIC, NOARGS, CF_PIXEL, 0, NULL,
	  "Dice coefficient of a segmentation" },
	{ "iou", K_METRIC, NOARGS, CF_PIXEL, 0, NULL,
	  "intersection over union of a segmentation" },
	/* train: checkpoint, early stopping, regularization, distribution */
	{ "every", K_CHECKPOINT, ARGS(every_args), 0, 0, NULL,
	  "save the parameters every few epochs" },
	{ "patience", K_STOPPING, ARGS(patience_args), 0, 0, NULL,
	  "stop when a metric has not improved for some epochs" },
	{ "l2", K_REGULARIZE, ARGS(l2_args), 0, 0, NULL,
	  "L2 penalty on the weights of chosen layers" },
	{ "local", K_DISTRIBUTE, NOARGS, 0, 0, NULL,
	  "one process" },
	{ "allreduce", K_DISTRIBUTE, ARGS(bucket_args), 0, 0, NULL,
	  "data parallel, gradients averaged by all-reduce" },
	{ "parameter_server", K_DISTRIBUTE, ARGS(servers_args), 0, 0, NULL,
	  "data parallel through parameter servers" },
	{ "sharded", K_DISTRIBUTE, NOARGS, 0, 0, NULL,
	  "data parallel, each rank updates its shard of the parameters" },
};
enum { NCTORS = (int)(sizeof ctors / sizeof ctors[0]) };

/* Shorthand for field rows: name, accept, range, default, kind, hook, doc. */
#define F_(n, ac, r, d, k, hook, doc) { n, ac, r, d, NULL, k, hook, doc }

static const struct spec data_fields[] = {
	F_("source", AC_CTOR, R_ANY, NULL, K_SOURCE, NULL,
	   "where the images and labels come from: csv(...) or folder(...)"),
	F_("classes", AC_INT | AC_NAMES, R_POS, "", K_NONE, check_classes,
	   "the class names in label order, or their number"),
	F_("multi_label", AC_BOOL, R_ANY, "false", K_NONE, check_multi_label,
	   "a sample may carry several labels (split by the source's sep)"),
	F_("split", AC_CTOR, R_ANY, "ratio", K_SPLIT, NULL,
	   "train/val/test split: ratio(...) or by_patient(...)"),
	F_("decode", AC_CTOR, R_ANY, "", K_DECODE, NULL,
	   "decode and resize: gray(h, w) or rgb(h, w)"),
	F_("augment", AC_PIPE, R_ANY, "", K_AUGMENT, NULL,
	   "augmentations applied in turn: a => b => c"),
	F_("balance", AC_CTOR, R_ANY, "none", K_BALANCE, NULL,
	   "class balancing every epoch"),
	F_("shuffle", AC_BOOL, R_ANY, "true", K_NONE, NULL,
	   "shuffle the training samples every epoch"),
	F_("cache", AC_BOOL, R_ANY, "false", K_NONE, NULL,
	   "keep the decoded images in memory"),
	F_("workers", AC_INT, R_NONNEG, "0", K_NONE, NULL,
	   "loader threads; 0: load in the training thread"),
};

static const struct spec train_fields[] = {
	F_("network", AC_ANY, R_ANY, NULL, K_NONE, NULL,
	   "the network trained, with its parameters"),
	F_("data", AC_ANY, R_ANY, NULL, K_NONE, NULL,
	   "the data section it is trained on"),
	F_("loss", AC_CTOR, R_ANY, NULL, K_LOSS, NULL,
	   "the loss minimised"),
	F_("optimizer", AC_CTOR, R_ANY, NULL, K_OPTIMIZER, NULL,
	   "the optimizer and its hyper-parameters"),
	F_("schedule", AC_PIPE, R_ANY, "constant", K_SCHEDULE, NULL,
	   "learning-rate schedule; stages in turn: warmup(5) => cosine"),
	F_("batch", AC_INT, R_POS, NULL, K_NONE, NULL,
	   "samples per step (per rank)"),
	F_("epochs", AC_INT, R_POS, NULL, K_NONE, NULL,
	   "passes over the training split"),
	F_("metrics", AC_CTORS, R_ANY, "", K_METRIC, NULL,
	   "metrics computed on the train and val splits every epoch"),
	F_("checkpoint", AC_CTOR, R_ANY, "", K_CHECKPOINT, NULL,
	   "when and where to save the parameters"),
	F_("resume", AC_BOOL | AC_STR, R_ANY, "false", K_NONE, NULL,
	   "true: from the latest checkpoint; a string: from that file"),
	F_("early_stopping", AC_CTOR, R_ANY, "", K_STOPPING, NULL,
	   "stop when a metric stops improving"),
	F_("regularize", AC_CTORS, R_ANY, "", K_REGULARIZE, NULL,
	   "weight penalties added to the loss"),
	F_("distribute", AC_CTOR, R_ANY, "local", K_DISTRIBUTE, NULL,
	   "how to train on several ranks"),
	F_("sync_batchnorm", AC_BOOL, R_ANY, "true", K_NONE, NULL,
	   "distributed: batchnorm statistics over the global batch (false: per rank)"),
	F_("seed", AC_INT, R_NONNEG, "1", K_NONE, NULL,
	   "seed of the parameter initialisation and dropout"),
	{ "precision", AC_SYM, R_ANY, "f32", "f32", K_NONE, NULL,
	  "arithmetic precision of training" },
};

/* ---------------------------------------------------------------------
 * Strings for messages
 * ------------------------------------------------------------------- */

static const char *nn(const char *s)
{
	return s ? s : "?";
}

/* A bounded string builder: text past the end is dropped. */
struct sbuf {
	char b[1024];
	size_t n;
};

static void sb_add(struct sbuf *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_add(struct sbuf *s, const char *fmt, ...)
{
	if (s->n >= sizeof s->b - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(s->b + s->n, sizeof s->b - s->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		s->n += (size_t)k;
	if (s->n >= sizeof s->b)
		s->n = sizeof s->b - 1;
}

static const char *article(const char *word)
{
	return strchr("aeiou", word[0]) && word[0] ? "an" : "a";
}

/* Split a '|'-separated list into out[] (copied into buf). */
static int split_syms(const char *syms, char *buf, size_t n, const char **out, int max)
{
	int k = 0;
	if (!syms || n == 0)
		return 0;
	snprintf(buf, n, "%s", syms);
	for (char *p = buf; *p && k < max;) {
		out[k++] = p;
		char *e = strchr(p, '|');
		if (!e)
			break;
		*e = 0;
		p = e + 1;
	}
	return k;
}

static bool sym_in(const char *syms, const char *s)
{
	size_t len = strlen(s);
	for (const char *p = syms; p && *p;) {
		const char *e = strchr(p, '|');
		size_t k = e ? (size_t)(e - p) : strlen(p);
		if (k == len && strncmp(p, s, k) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

/* A value in words, safe for any value: "integer 3", "string \"32\"". */
static const char *describe(struct ck *c, const struct value *v)
{
	switch (v->kind) {
	case V_STR:
	case V_SYM:
	case V_RECORD:
		if (!v->s)
			return v->kind == V_STR ? "a string" : v->kind == V_SYM ? "a name" : "a call";
		break;
	case V_TENSOR:
		if (!v->node)
			return "a tensor";
		break;
	case V_LAYER:
		if (!v->layer)
			return "a layer";
		break;
	case V_LIST:
		if (v->pipeline)
			return nn(arena_printf(c->A, "pipeline of %d stages", v->n));
		if (v->n == 0)
			return "an empty list";
		break;
	default:
		break;
	}
	return nn(val_describe(c->A, v));
}

/* "crop, random_crop, center_crop, ..." */
static const char *ctor_names(struct ck *c, enum kind k)
{
	struct sbuf b = { .n = 0 };
	for (int i = 0; i < NCTORS; i++)
		if (ctors[i].kind == k)
			sb_add(&b, "%s%s", b.n ? ", " : "", ctors[i].name);
	return nn(arena_strdup(c->A, b.b));
}

/* "adam(lr = 0.001, beta1 = 0.9, ...)" */
static const char *signature(struct ck *c, const struct ctor *ct)
{
	struct sbuf b = { .n = 0 };
	sb_add(&b, "%s", ct->name);
	if (ct->nargs) {
		sb_add(&b, "(");
		for (int i = 0; i < ct->nargs; i++) {
			const struct spec *a = &ct->args[i];
			sb_add(&b, "%s%s", i ? ", " : "", a->name);
			if (!a->def)
				continue;
			if (a->def[0] == '=')
				sb_add(&b, " = %s", a->def + 1);
			else if (a->accept == AC_STR)
				sb_add(&b, " = \"%s\"", a->def);
			else
				sb_add(&b, " = %s", a->def);
		}
		sb_add(&b, ")");
	}
	return nn(arena_strdup(c->A, b.b));
}

static void note_signature(struct ck *c, struct loc at, const struct ctor *ct)
{
	diag_note(c->D, at, "%s: %s", signature(c, ct), ct->doc);
}

static const char *range_adj(enum range r)
{
	return r == R_POS ? "positive " : r == R_NONNEG ? "non-negative " : "";
}

static const char *range_suffix(enum range r)
{
	switch (r) {
	case R_UNIT: return " in [0, 1]";
	case R_FRAC: return " in [0, 1)";
	case R_POS_UNIT: return " in (0, 1]";
	default: return "";
	}
}

static bool in_range(enum range r, double x)
{
	if (!isfinite(x))
		return false;
	switch (r) {
	case R_ANY: return true;
	case R_POS: return x > 0;
	case R_NONNEG: return x >= 0;
	case R_UNIT: return x >= 0 && x <= 1;
	case R_FRAC: return x >= 0 && x < 1;
	case R_POS_UNIT: return x > 0 && x <= 1;
	}
	return false;
}

/* What a spec accepts, in words: "a positive integer", "none or a metric
 * such as val.loss", "an augmentation or a pipeline of them". */
static const char *expect_text(struct ck *c, const struct spec *sp)
{
	const char *alt[24];
	int n = 0;
	char syms[256];
	const char *sv[16];
	unsigned ac = sp->accept;

	if (ac & AC_CTOR_ANY) {
		const char *one = kinds[sp->kind].one;
		alt[n++] = arena_printf(c->A, "%s %s%s", article(one), one,
					ac & AC_PIPE ? " or a pipeline of them"
					: ac & AC_CTORS ? " or a list of them" : "");
	}
	if (ac & AC_INT) {
		const char *adj = range_adj(sp->range);
		alt[n++] = arena_printf(c->A, "%s %sinteger%s", article(*adj ? adj : "integer"), adj,
					range_suffix(sp->range));
	}
	if (ac & AC_NUM) {
		alt[n++] = arena_printf(c->A, "a %snumber%s", range_adj(sp->range),
					range_suffix(sp->range));
	}
	if (ac & AC_NUMS)
		alt[n++] = arena_printf(c->A, "a list of %snumbers%s", range_adj(sp->range),
					range_suffix(sp->range));
	if (ac & AC_BOOL) {
		alt[n++] = "true";
		alt[n++] = "false";
	}
	if (ac & AC_STR)
		alt[n++] = "a string";
	if (ac & AC_SYM) {
		int k = split_syms(sp->syms, syms, sizeof syms, sv, 16);
		for (int i = 0; i < k && n < 20; i++)
			alt[n++] = sv[i];
	}
	if (ac & AC_NAMES)
		alt[n++] = "a list of names";
	if (ac & AC_METRIC)
		alt[n++] = "a metric such as val.loss";
	if (n == 0)
		return "nothing";

	struct sbuf b = { .n = 0 };
	for (int i = 0; i < n; i++)
		sb_add(&b, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ", nn(alt[i]));
	return nn(arena_strdup(c->A, b.b));
}

/* ---------------------------------------------------------------------
 * Lookups and argument values
 * ------------------------------------------------------------------- */

static const struct ctor *find_ctor(enum kind k, const char *name)
{
	for (int i = 0; i < NCTORS; i++)
		if (ctors[i].kind == k && strcmp(ctors[i].name, name) == 0)
			return &ctors[i];
	return NULL;
}

/* A constructor of another family with this name (loss = adam). */
static const struct ctor *find_ctor_elsewhere(enum kind k, const char *name)
{
	for (int i = 0; i < NCTORS; i++)
		if (ctors[i].kind != k && strcmp(ctors[i].name, name) == 0)
			return &ctors[i];
	return NULL;
}

static int arg_index(const struct ctor *ct, const char *name)
{
	for (int i = 0; i < ct->nargs && i < REC_MAX_ARGS; i++)
		if (strcmp(ct->args[i].name, name) == 0)
			return i;
	return -1;
}

static struct fval *field(struct ck *c, const char *name)
{
	for (int i = 0; i < c->nfields; i++)
		if (strcmp(c->fields[i].name, name) == 0)
			return &c->fv[i];
	return NULL;
}

/* The one constructor of a field, when it checked out. */
static const struct rec *field_rec(struct ck *c, const char *name)
{
	struct fval *f = field(c, name);
	return f && f->ok && f->nrec == 1 && f->rec[0].ok ? &f->rec[0] : NULL;
}

/* Argument values with their defaults.  Unknown names give 0. */
static int64_t rec_int(const struct rec *r, const char *name, int depth)
{
	int i = arg_index(r->c, name);
	if (i < 0 || depth > 4)
		return 0;
	const struct value *v = r->arg[i];
	if (v && (v->kind == V_INT || v->kind == V_BOOL))
		return v->i;
	if (v && v->kind == V_FLOAT)
		return (int64_t)v->f;
	const char *d = r->c->args[i].def;
	if (!d)
		return 0;
	if (d[0] == '=')
		return rec_int(r, d + 1, depth + 1);
	if (strcmp(d, "true") == 0)
		return 1;
	return strtoll(d, NULL, 10);
}

static double rec_num(const struct rec *r, const char *name)
{
	int i = arg_index(r->c, name);
	if (i < 0)
		return 0;
	const struct value *v = r->arg[i];
	double x;
	if (v && val_number(v, &x))
		return x;
	const char *d = r->c->args[i].def;
	if (!d || d[0] == '=')
		return (double)rec_int(r, name, 0);
	return strtod(d, NULL);
}

static const char *rec_str(const struct rec *r, const char *name)
{
	int i = arg_index(r->c, name);
	if (i < 0)
		return "";
	const struct value *v = r->arg[i];
	if (v && (v->kind == V_STR || v->kind == V_SYM) && v->s)
		return v->s;
	return r->c->args[i].def ? r->c->args[i].def : "";
}

/* The value given for an argument, or NULL. */
static const struct value *rec_given(const struct rec *r, const char *name)
{
	int i = arg_index(r->c, name);
	return i < 0 ? NULL : r->arg[i];
}

/* Where to point at an argument: its value when given, else the call. */
static struct loc rec_loc(const struct rec *r, const char *name)
{
	const struct value *v = rec_given(r, name);
	return v ? v->loc : r->v->loc;
}

/* ---------------------------------------------------------------------
 * Step 2: values against specs
 * ------------------------------------------------------------------- */

static bool is_error(struct ck *c, const struct value *v)
{
	if (!v || v->kind == V_ERROR) {
		c->bad = true;
		return true;
	}
	return false;
}

static void note_ctor_list(struct ck *c, struct loc at, enum kind k)
{
	diag_note(c->D, at, "%s are: %s", kinds[k].many, ctor_names(c, k));
}

static void mismatch(struct ck *c, const struct spec *sp, const struct value *v, const char *ctx)
{
	diag_error(c->D, v->loc, "%s expects %s, got %s", ctx, expect_text(c, sp), describe(c, v));
	bool named = (v->kind == V_SYM || v->kind == V_STR) && v->s;
	if ((sp->accept & AC_SYM) && named) {
		char buf[256];
		const char *sv[16];
		int k = split_syms(sp->syms, buf, sizeof buf, sv, 16);
		const char *near = suggest(v->s, sv, k);
		if (v->kind == V_STR && sym_in(sp->syms, v->s))
			diag_note(c->D, v->loc, "write it without quotes: %s", v->s);
		else if (near)
			diag_note(c->D, v->loc, "did you mean '%s'?", near);
	}
	if (sp->accept & AC_CTOR_ANY) {
		if (v->kind == V_STR && v->s && find_ctor(sp->kind, v->s))
			diag_note(c->D, v->loc, "write it without quotes: %s", v->s);
		note_ctor_list(c, v->loc, sp->kind);
	}
}

static bool check_number(struct ck *c, const struct spec *sp, const struct value *v,
			 double x, const char *ctx)
{
	if (in_range(sp->range, x))
		return true;
	diag_error(c->D, v->loc, "%s expects %s, got %s", ctx, expect_text(c, sp), describe(c, v));
	return false;
}

/* val.loss, train.accuracy: the form only (step 3 checks it is computed). */
static bool check_metric_name(struct ck *c, const struct value *v, const char *ctx)
{
	const char *dot = strchr(v->s, '.');
	size_t np = (size_t)(dot - v->s);
	const char *m = dot + 1;
	if (!((np == 3 && strncmp(v->s, "val", 3) == 0) || (np == 5 && strncmp(v->s, "train", 5) == 0))) {
		diag_error(c->D, v->loc, "%s expects a metric such as val.loss, got '%s'", ctx, v->s);
		diag_note(c->D, v->loc, "a metric is val.<name> (validation split) or train.<name>");
		return false;
	}
	if (find_ctor(K_METRIC, m))
		return true;
	const char *cands[NCTORS];
	int n = 0;
	for (int i = 0; i < NCTORS; i++)
		if (ctors[i].kind == K_METRIC)
			cands[n++] = ctors[i].name;
	diag_error(c->D, v->loc, "%s: unknown metric '%s' in '%s'", ctx, m, v->s);
	const char *near = suggest(m, cands, n);
	if (near)
		diag_note(c->D, v->loc, "did you mean '%.*s.%s'?", (int)np, v->s, near);
	note_ctor_list(c, v->loc, K_METRIC);
	return false;
}

/* A name in a list of names: a symbol, a string, or a layer (an op name
 * like `dense` evaluates to a layer). */
static const char *item_name(const struct value *v)
{
	if ((v->kind == V_SYM || v->kind == V_STR) && v->s)
		return v->s;
	if (v->kind == V_LAYER && v->layer && v->layer->name)
		return v->layer->name;
	return NULL;
}

static bool check_list(struct ck *c, const struct spec *sp, const struct value *v, const char *ctx)
{
	if (v->n == 0 || !v->items) {
		diag_error(c->D, v->loc, "%s expects %s, got an empty list", ctx, expect_text(c, sp));
		return false;
	}
	/* Numbers or names, by the first item. */
	bool nums = sp->accept & AC_NUMS;
	if ((sp->accept & AC_NAMES) && v->items[0] && item_name(v->items[0]))
		nums = false;
	bool ok = true;
	for (int i = 0; i < v->n; i++) {
		const struct value *it = v->items[i];
		double x;
		if (is_error(c, it)) {
			ok = false;
			continue;
		}
		if (nums ? val_number(it, &x) && in_range(sp->range, x) : item_name(it) != NULL)
			continue;
		diag_error(c->D, it->loc, "%s expects %s; item %d is %s", ctx, expect_text(c, sp),
			   i + 1, describe(c, it));
		return false;
	}
	return ok;
}

/* Values that are not constructors. */
static bool check_plain(struct ck *c, const struct spec *sp, const struct value *v, const char *ctx)
{
	unsigned ac = sp->accept;
	if (is_error(c, v))
		return false;
	if (ac & AC_ANY)
		return true;
	switch (v->kind) {
	case V_INT:
		if (ac & (AC_INT | AC_NUM))
			return check_number(c, sp, v, (double)v->i, ctx);
		break;
	case V_FLOAT:
		if (ac & AC_NUM)
			return check_number(c, sp, v, v->f, ctx);
		break;
	case V_BOOL:
		if (ac & AC_BOOL)
			return true;
		break;
	case V_STR:
		if ((ac & AC_STR) && v->s)
			return true;
		break;
	case V_SYM:
		if (!v->s)
			break;
		if ((ac & AC_SYM) && sym_in(sp->syms, v->s))
			return true;
		if ((ac & AC_METRIC) && strchr(v->s, '.'))
			return check_metric_name(c, v, ctx);
		break;
	case V_LIST:
		if (!v->pipeline && (ac & (AC_NUMS | AC_NAMES)))
			return check_list(c, sp, v, ctx);
		break;
	default:
		break;
	}
	mismatch(c, sp, v, ctx);
	return false;
}

/* Match a constructor call (or bare name) against its schema into *r. */
static bool check_ctor(struct ck *c, const struct spec *sp, const struct value *v,
		       const char *ctx, struct rec *r)
{
	memset(r, 0, sizeof *r);
	if (is_error(c, v))
		return false;
	if ((v->kind != V_RECORD && v->kind != V_SYM) || !v->s) {
		mismatch(c, sp, v, ctx);
		return false;
	}
	const struct ctor *ct = find_ctor(sp->kind, v->s);
	if (!ct) {
		const char *one = kinds[sp->kind].one;
		const struct ctor *other = find_ctor_elsewhere(sp->kind, v->s);
		diag_error(c->D, v->loc, "unknown %s '%s'", one, v->s);
		if (other) {
			diag_note(c->D, v->loc, "'%s' is %s %s, not %s %s", v->s,
				  article(kinds[other->kind].one), kinds[other->kind].one, article(one), one);
		} else {
			const char *cands[NCTORS];
			int n = 0;
			for (int i = 0; i < NCTORS; i++)
				if (ctors[i].kind == sp->kind)
					cands[n++] = ctors[i].name;
			const char *near = suggest(v->s, cands, n);
			if (near)
				diag_note(c->D, v->loc, "did you mean '%s'?", near);
		}
		note_ctor_list(c, v->loc, sp->kind);
		return false;
	}
	r->c = ct;
	r->v = v;
	bool ok = true;
	int npos = 0, nargs = ct->nargs < REC_MAX_ARGS ? ct->nargs : REC_MAX_ARGS;
	for (int i = 0; v->kind == V_RECORD && i < v->nargs && v->args; i++) {
		const struct varg *a = &v->args[i];
		struct loc at = a->name ? a->name_loc : a->v ? a->v->loc : v->loc;
		int k;
		if (a->name) {
			k = arg_index(ct, a->name);
			if (k < 0) {
				const char *cands[REC_MAX_ARGS];
				for (int j = 0; j < nargs; j++)
					cands[j] = ct->args[j].name;
				diag_error(c->D, at, "%s has no argument '%s'", ct->name, a->name);
				const char *near = suggest(a->name, cands, nargs);
				if (near)
					diag_note(c->D, at, "did you mean '%s'?", near);
				note_signature(c, v->loc, ct);
				ok = false;
				continue;
			}
		} else {
			k = npos++;
			if (k >= nargs) {
				if (k == nargs) {
					diag_error(c->D, at, "too many arguments to %s: it takes %d", ct->name, nargs);
					note_signature(c, v->loc, ct);
				}
				ok = false;
				continue;
			}
		}
		if (r->arg[k]) {
			diag_error(c->D, at, "%s: argument '%s' is given twice", ct->name, ct->args[k].name);
			diag_note(c->D, r->argloc[k], "first given here");
			ok = false;
			continue;
		}
		if (is_error(c, a->v)) {
			ok = false;
			continue;
		}
		r->arg[k] = a->v;
		r->argloc[k] = at;
		const char *actx = arena_printf(c->A, "%s: argument '%s'", ct->name, ct->args[k].name);
		if (!check_plain(c, &ct->args[k], a->v, nn(actx)))
			ok = false;
	}
	for (int k = 0; k < nargs; k++) {
		if (r->arg[k] || ct->args[k].def)
			continue;
		/* Report a missing argument only when nothing else went wrong:
		 * a misspelt keyword already said so. */
		if (ok) {
			diag_error(c->D, v->loc, "%s: missing argument '%s'", ct->name, ct->args[k].name);
			note_signature(c, v->loc, ct);
		}
		ok = false;
		break;
	}
	r->ok = ok;
	return ok;
}

/* A field's value: constructors into f->rec, anything else plainly. */
static void check_field(struct ck *c, struct fval *f)
{
	const struct spec *sp = f->sp;
	const struct value *v = f->v;
	const char *ctx = nn(arena_printf(c->A, "field '%s'", sp->name));

	if (is_error(c, v))
		return;
	if (!(sp->accept & AC_CTOR_ANY)) {
		f->ok = check_plain(c, sp, v, ctx);
		return;
	}
	bool list = v->kind == V_LIST &&
		    ((v->pipeline && (sp->accept & AC_PIPE)) ||
		     (!v->pipeline && (sp->accept & (AC_PIPE | AC_CTORS))));
	int n = list ? v->n : 1;
	if (list && n > 0 && !v->items) {
		c->bad = true;
		return;
	}
	if (v->kind == V_LIST && !list) {
		mismatch(c, sp, v, ctx);
		return;
	}
	f->rec = n > 0 ? arena_array(c->A, (size_t)n, sizeof *f->rec) : NULL;
	if (n > 0 && !f->rec)
		return;
	f->nrec = n;
	bool ok = true;
	for (int i = 0; i < n; i++)
		if (!check_ctor(c, sp, list ? v->items[i] : v, ctx, &f->rec[i]))
			ok = false;
	f->ok = ok;
}

/* ---------------------------------------------------------------------
 * Step 1: the fields of a section
 * ------------------------------------------------------------------- */

static const char *section_name(const struct ck *c)
{
	return c->s->decl && c->s->decl->name ? c->s->decl->name : "?";
}

static struct loc section_loc(const struct ck *c)
{
	return c->s->decl ? c->s->decl->name_loc : loc_none();
}

static bool read_fields(struct ck *c)
{
	const struct section *s = c->s;
	c->fv = arena_array(c->A, (size_t)c->nfields, sizeof *c->fv);
	if (!c->fv)
		return false;
	for (int i = 0; i < c->nfields; i++)
		c->fv[i].sp = &c->fields[i];

	int n = s->fields && s->values ? s->n : 0;
	for (int i = 0; i < n; i++) {
		const struct ast *fa = s->fields[i];
		if (!fa || !fa->name)
			continue;
		struct fval *f = field(c, fa->name);
		if (!f) {
			const char *cands[32];
			int nc = 0;
			for (int j = 0; j < c->nfields && nc < 32; j++)
				cands[nc++] = c->fields[j].name;
			diag_error(c->D, fa->name_loc, "%s section has no field '%s'", c->what, fa->name);
			const char *near = suggest(fa->name, cands, nc);
			if (near) {
				diag_note(c->D, fa->name_loc, "did you mean '%s'?", near);
			} else {
				struct sbuf b = { .n = 0 };
				for (int j = 0; j < nc; j++)
					sb_add(&b, "%s%s", j ? ", " : "", cands[j]);
				diag_note(c->D, fa->name_loc, "%s fields are: %s", c->what, b.b);
			}
			continue;
		}
		if (f->field) {
			diag_error(c->D, fa->name_loc, "field '%s' is given twice", fa->name);
			diag_note(c->D, f->field->name_loc, "first given here");
			continue;
		}
		f->field = fa;
		f->v = s->values[i];
		check_field(c, f);
	}
	for (int i = 0; i < c->nfields; i++)
		if (!c->fv[i].field && !c->fields[i].def)
			diag_error(c->D, section_loc(c), "%s section '%s' has no '%s' field",
				   c->what, section_name(c), c->fields[i].name);
	return true;
}

/* ---------------------------------------------------------------------
 * Step 3: checks across fields and against the network
 * ------------------------------------------------------------------- */

static const char *net_name(const struct ck *c)
{
	return c->net && c->net->name ? c->net->name : "?";
}

static const char *data_name(const struct ck *c)
{
	return c->data && c->data->decl && c->data->decl->name ? c->data->decl->name : "?";
}

static const char *shape_text(struct ck *c, const struct shape *s)
{
	char buf[128];
	return nn(arena_strdup(c->A, shape_str(s, buf, sizeof buf)));
}

/* A location worth pointing at (zeroed ones are not). */
static bool has_loc(struct loc l)
{
	return l.file >= 0 && l.line > 0;
}

static void note_output(struct ck *c)
{
	if (has_loc(c->out->loc))
		diag_note(c->D, c->out->loc, "the output of network '%s' comes from here", net_name(c));
}

/* The number of classes and where it was said: the data's, else the
 * network output's.  0 when neither says. */
static int64_t class_count(struct ck *c, struct loc *where)
{
	if (c->data && c->data->nclasses > 0) {
		*where = c->data->classes_loc;
		return c->data->nclasses;
	}
	if (c->out && c->out->shape.rank >= 1) {
		*where = c->out->loc;
		return c->out->shape.d[0];
	}
	return 0;
}

static struct loc value_loc(struct ck *c, const char *name)
{
	struct fval *f = field(c, name);
	return f && f->v ? f->v->loc : section_loc(c);
}

/* The checks a loss's or metric's flags ask for: output shape and last op. */
static void check_output(struct ck *c, struct rec *r)
{
	unsigned fl = r->c->flags;
	const struct shape *os = c->out ? &c->out->shape : NULL;
	const char *name = r->c->name;
	struct loc at = r->v->loc;

	if (!(fl & (CF_CLASSES | CF_PIXEL | CF_BINARY)))
		return;
	if (os && os->rank < 1 && (fl & (CF_CLASSES | CF_PIXEL))) {
		diag_error(c->D, at, "%s needs an output [classes, ...], network '%s' outputs %s",
			   name, net_name(c), shape_text(c, os));
		note_output(c);
		return;
	}
	if (os && (fl & CF_PIXEL) && os->rank < 2) {
		diag_error(c->D, at, "%s needs a per-pixel output [classes, H, W], got %s",
			   name, shape_text(c, os));
		note_output(c);
		return;
	}
	if (c->out && (fl & CF_NO_SIGMOID) && c->out->op == OP_SIGMOID) {
		diag_error(c->D, at, "loss %s: network '%s' must not end in sigmoid: %s applies softmax",
			   name, net_name(c), name);
		note_output(c);
		diag_note(c->D, at, "for independent (multi-label) classes use binary_cross_entropy");
		return;
	}
	if (c->out && (fl & CF_NO_SOFTMAX) && c->out->op == OP_SOFTMAX) {
		diag_error(c->D, at, "loss %s: network '%s' must not end in softmax: "
			   "its classes are independent probabilities", name, net_name(c));
		note_output(c);
		diag_note(c->D, at, "for one label per sample use cross_entropy");
		return;
	}
	if ((fl & CF_ONE_LABEL) && c->data && c->data->multi_label) {
		diag_error(c->D, at, "loss %s takes one label per sample, but data '%s' is multi-label",
			   name, data_name(c));
		if (c->data->decl)
			diag_note(c->D, c->data->decl->name_loc, "data '%s' is declared here", data_name(c));
		diag_note(c->D, at, "for multi-label data use binary_cross_entropy");
		return;
	}
	if (os && (fl & CF_ONE_LABEL) && os->d[0] < 2) {
		diag_error(c->D, at, "loss %s needs at least 2 classes, network '%s' outputs %s",
			   name, net_name(c), shape_text(c, os));
		note_output(c);
		diag_note(c->D, at, "for a single output use binary_cross_entropy");
		return;
	}
	if (os && (fl & CF_CLASSES) && c->data && c->data->nclasses > 0) {
		int64_t got = os->d[0], want = c->data->nclasses;
		bool one_for_two = got == 1 && want == 2 && (fl & CF_INDEPENDENT);
		if (got != want && !one_for_two) {
			diag_error(c->D, value_loc(c, "network"),
				   "network '%s' outputs %s (%" PRId64 " classes) but data '%s' has %" PRId64 " classes",
				   net_name(c), shape_text(c, os), got, data_name(c), want);
			if (has_loc(c->data->classes_loc))
				diag_note(c->D, c->data->classes_loc, "data '%s' gives %" PRId64
					  " classes here", data_name(c), want);
			note_output(c);
		}
	}
	if (fl & CF_BINARY) {
		struct loc where;
		int64_t n = class_count(c, &where);
		if (!c->loss || (c->loss->c->flags & CF_INDEPENDENT) || n <= 0 || n == 2)
			return;
		if (c->out && c->out->shape.rank >= 1 && c->out->shape.d[0] == 1)
			return;
		diag_error(c->D, at, "%s needs binary_cross_entropy or a 2-class output, got %" PRId64
			   " classes with %s", name, n, c->loss->c->name);
		if (has_loc(where))
			diag_note(c->D, where, "%" PRId64 " classes here", n);
	}
}

/* A dotted metric (val.auc) must be the loss or in the metrics list. */
static void check_metric_refs(struct ck *c, struct rec *r)
{
	struct fval *mf = field(c, "metrics");
	if (!mf)
		return;
	for (int k = 0; k < r->c->nargs && k < REC_MAX_ARGS; k++) {
		const struct value *v = r->arg[k];
		if (!(r->c->args[k].accept & AC_METRIC) || !v || v->kind != V_SYM || !v->s)
			continue;
		const char *dot = strchr(v->s, '.');
		if (!dot || strcmp(dot + 1, "loss") == 0)
			continue;
		if (mf->field && !mf->ok)
			continue;   /* the metrics are wrong already */
		bool found = false;
		for (int i = 0; i < mf->nrec && !found; i++)
			found = mf->rec[i].c && strcmp(mf->rec[i].c->name, dot + 1) == 0;
		if (found)
			continue;
		diag_error(c->D, v->loc, "%s: '%s' is not computed: '%s' is not in the metrics",
			   r->c->name, v->s, dot + 1);
		if (mf->field)
			diag_note(c->D, mf->v->loc, "add %s to the metrics here", dot + 1);
		else
			diag_note(c->D, section_loc(c), "add metrics = [%s] to train section '%s'",
				  dot + 1, section_name(c));
	}
}

/* Crops: never larger than the image they get. */
static void check_crop(struct ck *c, struct rec *r)
{
	int64_t h = rec_int(r, "height", 0), w = rec_int(r, "width", 0);
	int64_t pad = rec_int(r, "pad", 0);
	if (c->h > 0 && c->w > 0) {
		int64_t ph, pw;
		if (!dim_add(c->h, 2 * (pad < SHAPE_DIM_MAX ? pad : SHAPE_DIM_MAX), &ph))
			ph = INT64_MAX;
		if (!dim_add(c->w, 2 * (pad < SHAPE_DIM_MAX ? pad : SHAPE_DIM_MAX), &pw))
			pw = INT64_MAX;
		if (h > ph || w > pw) {
			diag_error(c->D, r->v->loc, "%s: %" PRId64 "x%" PRId64 " is larger than the %"
				   PRId64 "x%" PRId64 " image%s", r->c->name, h, w, c->h, c->w,
				   pad > 0 ? " padded" : "");
			diag_note(c->D, c->size_loc, "the image is %" PRId64 "x%" PRId64 " after %s",
				  c->h, c->w, c->size_rec ? c->size_rec->c->name : "decoding");
			return;
		}
	}
	c->h = h;
	c->w = w;
	c->size_loc = r->v->loc;
	c->size_rec = r;
}

/* Step 3 over every field in table order. */
static void check_all(struct ck *c)
{
	for (int i = 0; i < c->nfields; i++) {
		struct fval *f = &c->fv[i];
		if (!f->ok)
			continue;
		if (f->sp->check)
			f->sp->check(c, f);
		for (int k = 0; k < f->nrec; k++) {
			struct rec *r = &f->rec[k];
			if (!r->ok)
				continue;
			check_output(c, r);
			if (r->c->flags & CF_CROP)
				check_crop(c, r);
			if (r->c->check)
				r->c->check(c, r);
			check_metric_refs(c, r);
		}
	}
}

/* ---------------------------------------------------------------------
 * Hooks
 * ------------------------------------------------------------------- */

enum { CLASSES_MAX = 1 << 24 };

static void check_classes(struct ck *c, struct fval *f)
{
	const struct value *v = f->v;
	if (v->kind == V_INT && v->i > CLASSES_MAX) {
		diag_error(c->D, v->loc, "field 'classes': %" PRId64 " classes is more than %d",
			   v->i, CLASSES_MAX);
		f->ok = false;
		return;
	}
	if (v->kind != V_LIST)
		return;
	if (v->n > CLASSES_MAX) {
		diag_error(c->D, v->loc, "field 'classes': %d classes is more than %d", v->n, CLASSES_MAX);
		f->ok = false;
		return;
	}
	/* Duplicates: a map from name to its first item. */
	struct strmap seen = { 0 };
	for (int i = 0; i < v->n; i++) {
		const struct value *it = v->items[i];
		const char *name = item_name(it);
		if (!name)
			continue;
		const struct value *first = strmap_get(&seen, name);
		if (first) {
			diag_error(c->D, it->loc, "class '%s' is listed twice", name);
			diag_note(c->D, first->loc, "first given here");
			f->ok = false;
			continue;
		}
		strmap_put(c->A, &seen, name, (void *)it);
	}
}

static void check_multi_label(struct ck *c, struct fval *f)
{
	const struct rec *src = c->source;
	if (!f->v->i || !src)
		return;
	if (!(src->c->flags & CF_LABEL_LIST)) {
		diag_error(c->D, f->v->loc, "multi_label = true needs a source with several labels per "
			   "sample; %s gives one", src->c->name);
		diag_note(c->D, src->v->loc, "the source is given here");
		f->ok = false;
	} else if (!rec_str(src, "sep")[0]) {
		diag_error(c->D, f->v->loc, "multi_label = true needs a separator of the labels, "
			   "but %s has sep = \"\"", src->c->name);
		diag_note(c->D, rec_loc(src, "sep"), "sep is given here");
		f->ok = false;
	}
}

static void check_folder(struct ck *c, struct rec *r)
{
	const char *ext = rec_str(r, "ext");
	if (!sym_in("png|jpg|jpeg|PNG|JPG|JPEG", ext)) {
		diag_error(c->D, rec_loc(r, "ext"), "folder: ext \"%s\" is not an image format netc "
			   "decodes: png, jpg or jpeg", ext);
		r->ok = false;
	}
}

static void check_split(struct ck *c, struct rec *r)
{
	double tr = rec_num(r, "train"), va = rec_num(r, "val"), te = rec_num(r, "test");
	double sum = tr + va + te, d = sum - 1;
	if (d > 1e-6 || d < -1e-6) {
		diag_error(c->D, r->v->loc, "%s: the fractions sum to %.10g, not 1 "
			   "(train %.10g + val %.10g + test %.10g)", r->c->name, sum, tr, va, te);
		r->ok = false;
	} else if (tr <= 0) {
		diag_error(c->D, rec_loc(r, "train"), "%s: the train fraction is 0", r->c->name);
		r->ok = false;
	}
}

static void check_by_patient(struct ck *c, struct rec *r)
{
	check_split(c, r);
	if (c->source && !(c->source->c->flags & CF_COLUMNS)) {
		diag_error(c->D, r->v->loc, "by_patient needs a source with a patient column; %s has none",
			   c->source->c->name);
		diag_note(c->D, c->source->v->loc, "the source is given here");
		r->ok = false;
	}
}

static void check_decode(struct ck *c, struct rec *r)
{
	int64_t h = rec_int(r, "height", 0), w = rec_int(r, "width", 0), n;
	struct shape s = { 3, { r->c->param, h, w } };
	if (!shape_numel(&s, &n)) {
		diag_error(c->D, r->v->loc, "%s: %" PRId64 "x%" PRId64 " images are too large",
			   r->c->name, h, w);
		r->ok = false;
		return;
	}
	c->channels = r->c->param;
	c->h = h;
	c->w = w;
	c->size_loc = r->v->loc;
	c->size_rec = r;
}

static void check_normalize(struct ck *c, struct rec *r)
{
	static const char *const which[] = { "mean", "std" };
	const struct rec *dec = field_rec(c, "decode");
	for (int i = 0; i < 2; i++) {
		const struct value *v = rec_given(r, which[i]);
		if (!v || v->kind != V_LIST)
			continue;
		if (c->channels > 0 && dec && v->n != c->channels) {
			diag_error(c->D, v->loc, "normalize: %s has %d values but %s images have %d channel%s",
				   which[i], v->n, dec->c->name, c->channels, c->channels == 1 ? "" : "s");
			diag_note(c->D, dec->v->loc, "images are decoded as %s here", dec->c->name);
			r->ok = false;
		} else if (c->channels == 0 && v->n != 1 && v->n != 3) {
			diag_error(c->D, v->loc, "normalize: %s has %d values; images have 1 (gray) or 3 (rgb) channels",
				   which[i], v->n);
			r->ok = false;
		}
	}
}

static void check_weights(struct ck *c, struct rec *r)
{
	const struct value *v = rec_given(r, "weights");
	struct loc where;
	int64_t n = class_count(c, &where);
	if (!v || v->kind != V_LIST || n <= 0 || v->n == n)
		return;
	diag_error(c->D, v->loc, "%s: %d weights for %" PRId64 " classes: give one per class",
		   r->c->name, v->n, n);
	if (has_loc(where))
		diag_note(c->D, where, "%" PRId64 " classes here", n);
	r->ok = false;
}

static void check_sgd(struct ck *c, struct rec *r)
{
	if (rec_int(r, "nesterov", 0) && !(rec_num(r, "momentum") > 0)) {
		diag_error(c->D, rec_loc(r, "nesterov"), "sgd: nesterov = true needs momentum > 0");
		diag_note(c->D, r->v->loc, "for example sgd(lr = %g, momentum = 0.9, nesterov = true)",
			  rec_num(r, "lr"));
		r->ok = false;
	}
}

static void check_top_k(struct ck *c, struct rec *r)
{
	struct loc where;
	int64_t n = class_count(c, &where), k = rec_int(r, "k", 0);
	if (n > 0 && k > n) {
		diag_error(c->D, rec_loc(r, "k"), "top_k: k = %" PRId64 " is more than the %" PRId64
			   " classes", k, n);
		if (has_loc(where))
			diag_note(c->D, where, "%" PRId64 " classes here", n);
		r->ok = false;
	}
}

/* ---------------------------------------------------------------------
 * Entry points
 * ------------------------------------------------------------------- */

static void ck_init(struct ck *c, struct diag_ctx *D, struct arena *A, const struct section *s,
		    const char *what, const struct spec *fields, int nfields)
{
	memset(c, 0, sizeof *c);
	c->D = D;
	c->A = A;
	c->s = s;
	c->what = what;
	c->fields = fields;
	c->nfields = nfields;
	c->size_loc = loc_none();
}

static const char *section_json(struct arena *A, const struct section *s,
				const struct spec *fields, int nfields);

bool schema_check_data(struct diag_ctx *D, struct arena *A, struct section *s,
		       struct data_info *out)
{
	struct ck c;
	int errors = D->nerrors;
	ck_init(&c, D, A, s, "data", data_fields, (int)(sizeof data_fields / sizeof data_fields[0]));

	memset(out, 0, sizeof *out);
	out->decl = s->decl;
	out->classes_loc = out->decode_loc = section_loc(&c);
	if (!read_fields(&c))
		return false;
	c.source = field_rec(&c, "source");
	check_all(&c);

	struct fval *f = field(&c, "classes");
	if (f && f->ok) {
		out->nclasses = f->v->kind == V_INT ? (int)f->v->i : f->v->n;
		out->classes_loc = f->v->loc;
	}
	f = field(&c, "multi_label");
	out->multi_label = f && f->ok && f->v->i;
	f = field(&c, "decode");
	if (f && f->v)
		out->decode_loc = f->v->loc;
	if (c.channels > 0 && c.h > 0 && c.w > 0)
		out->sample = (struct shape){ 3, { c.channels, c.h, c.w } };
	if (c.bad || D->nerrors != errors)
		return false;
	s->json = out->json = section_json(A, s, c.fields, c.nfields);
	return true;
}

bool schema_check_train(struct diag_ctx *D, struct arena *A, struct section *s,
			const struct graph *net, const struct data_info *data)
{
	struct ck c;
	int errors = D->nerrors;
	ck_init(&c, D, A, s, "train", train_fields, (int)(sizeof train_fields / sizeof train_fields[0]));
	c.net = net;
	c.data = data;
	if (net && net->noutputs > 0 && net->outputs && net->outputs[0])
		c.out = net->outputs[0];
	if (!read_fields(&c))
		return false;
	c.loss = field_rec(&c, "loss");
	check_all(&c);
	if (c.bad || D->nerrors != errors)
		return false;
	s->json = section_json(A, s, c.fields, c.nfields);
	return true;
}

/* ---------------------------------------------------------------------
 * The section as JSON (docs/runtime-abi.md, "The configuration"): every
 * field given or defaulted, every constructor {"kind": name, ...} with
 * all its arguments by name, defaults filled in from the tables.
 * ------------------------------------------------------------------- */

/* A growing string in malloc'd memory; copied into the arena at the end. */
struct jbuf {
	char *b;
	size_t n, cap;
	bool oom;
};

static void jb_add(struct jbuf *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void jb_add(struct jbuf *j, const char *fmt, ...)
{
	va_list ap;
	int k;
	if (j->oom)
		return;
	va_start(ap, fmt);
	k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	if (j->n + (size_t)k + 1 > j->cap) {
		size_t cap = j->cap ? j->cap : 256;
		while (cap < j->n + (size_t)k + 1)
			cap *= 2;
		char *nb = realloc(j->b, cap);
		if (!nb) {
			j->oom = true;
			return;
		}
		j->b = nb;
		j->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(j->b + j->n, j->cap - j->n, fmt, ap);
	va_end(ap);
	j->n += (size_t)k;
}

static void jb_str(struct jbuf *j, const char *s)
{
	jb_add(j, "\"");
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			jb_add(j, "\\%c", *p);
		else if (*p < 0x20)
			jb_add(j, "\\u%04x", *p);
		else
			jb_add(j, "%c", *p);
	}
	jb_add(j, "\"");
}

static void jb_num(struct jbuf *j, double x)
{
	if (isfinite(x) && x == (double)(int64_t)x && fabs(x) < 9e15)
		jb_add(j, "%" PRId64, (int64_t)x);
	else if (isfinite(x)) {
		char b[32];
		for (int prec = 15; prec <= 17; prec++) {   /* the shortest text that reads back */
			snprintf(b, sizeof b, "%.*g", prec, x);
			if (strtod(b, NULL) == x)
				break;
		}
		jb_add(j, "%s", b);
	}
	else
		jb_add(j, "null");
}

/* A plain value: numbers, booleans, strings and symbols, lists of them. */
static void jb_value(struct jbuf *j, const struct value *v)
{
	switch (v ? v->kind : V_ERROR) {
	case V_INT: jb_add(j, "%" PRId64, v->i); break;
	case V_FLOAT: jb_num(j, v->f); break;
	case V_BOOL: jb_add(j, v->i ? "true" : "false"); break;
	case V_STR: case V_SYM: case V_RECORD: jb_str(j, v->s); break;
	case V_LIST:
		jb_add(j, "[");
		for (int i = 0; i < v->n; i++) {
			if (i)
				jb_add(j, ", ");
			jb_value(j, v->items ? v->items[i] : NULL);
		}
		jb_add(j, "]");
		break;
	case V_LAYER: jb_str(j, v->layer ? v->layer->name : ""); break;
	default: jb_add(j, "null"); break;
	}
}

/* A default written in a table (source text, strings unquoted). */
static void jb_default(struct jbuf *j, const struct spec *sp, const char *d)
{
	char *end;
	double x = strtod(d, &end);
	if ((sp->accept & AC_BOOL) && (strcmp(d, "true") == 0 || strcmp(d, "false") == 0))
		jb_add(j, "%s", d);
	else if ((sp->accept & (AC_INT | AC_NUM)) && *d && !*end)
		jb_num(j, x);
	else
		jb_str(j, d);
}

/* One constructor: its name and every argument, given or defaulted. */
static void jb_ctor(struct jbuf *j, const struct ctor *ct, const struct value *v)
{
	const struct value *given[REC_MAX_ARGS] = { 0 };
	int pos = 0;
	if (v && v->kind == V_RECORD)
		for (int i = 0; i < v->nargs; i++) {
			int k = v->args[i].name ? arg_index(ct, v->args[i].name) : pos++;
			if (k >= 0 && k < ct->nargs && k < REC_MAX_ARGS)
				given[k] = v->args[i].v;
		}
	jb_add(j, "{\"kind\": ");
	jb_str(j, ct->name);
	for (int k = 0; k < ct->nargs && k < REC_MAX_ARGS; k++) {
		const char *d = ct->args[k].def;
		int depth = 0;
		/* "=x": the value of argument x, itself given or defaulted */
		int src = k;
		while (!given[src] && d && d[0] == '=' && depth++ < 4) {
			int s2 = arg_index(ct, d + 1);
			if (s2 < 0)
				break;
			src = s2;
			d = ct->args[src].def;
		}
		if (!given[src] && !d)
			continue;
		jb_add(j, ", ");
		jb_str(j, ct->args[k].name);
		jb_add(j, ": ");
		if (given[src])
			jb_value(j, given[src]);
		else
			jb_default(j, &ct->args[src], d);
	}
	jb_add(j, "}");
}

/* The constructor named by v (a record or a bare name) in family k. */
static const struct ctor *ctor_of(enum kind k, const struct value *v)
{
	return v && (v->kind == V_RECORD || v->kind == V_SYM) && v->s ? find_ctor(k, v->s) : NULL;
}

static void jb_field(struct jbuf *j, const struct spec *sp, const struct value *v)
{
	if (!(sp->accept & AC_CTOR_ANY) || (sp->accept & AC_ANY)) {
		if (v)
			jb_value(j, v);
		else
			jb_default(j, sp, sp->def);
		return;
	}
	bool many = sp->accept & (AC_PIPE | AC_CTORS);
	const struct value *one = v;
	struct value dv;
	if (!v) {   /* a default constructor: a bare name */
		memset(&dv, 0, sizeof dv);
		dv.kind = V_SYM;
		dv.s = sp->def;
		one = &dv;
	}
	if (many)
		jb_add(j, "[");
	if (one->kind == V_LIST) {
		for (int i = 0; one->items && i < one->n; i++) {
			const struct ctor *ct = ctor_of(sp->kind, one->items[i]);
			if (i)
				jb_add(j, ", ");
			if (ct)
				jb_ctor(j, ct, one->items[i]);
			else
				jb_add(j, "null");
		}
	} else {
		const struct ctor *ct = ctor_of(sp->kind, one);
		if (ct)
			jb_ctor(j, ct, one);
		else
			jb_add(j, "null");
	}
	if (many)
		jb_add(j, "]");
}

static const char *section_json(struct arena *A, const struct section *s,
				const struct spec *fields, int nfields)
{
	struct jbuf j = { 0 };
	char *out;
	jb_add(&j, "{\"name\": ");
	jb_str(&j, s->decl && s->decl->name ? s->decl->name : "");
	for (int f = 0; f < nfields; f++) {
		const struct spec *sp = &fields[f];
		const struct value *v = NULL;
		for (int i = 0; s->fields && s->values && i < s->n; i++)
			if (s->fields[i] && s->fields[i]->name && strcmp(s->fields[i]->name, sp->name) == 0)
				v = s->values[i];
		if (!v && (!sp->def || !*sp->def))
			continue;
		jb_add(&j, ", ");
		jb_str(&j, sp->name);
		jb_add(&j, ": ");
		jb_field(&j, sp, v);
	}
	jb_add(&j, "}");
	out = j.oom ? NULL : arena_strdup(A, j.b);
	free(j.b);
	return out;
}

const struct value *schema_arg(struct arena *A, const struct value *ctor, const char *arg)
{
	const struct ctor *ct = NULL;
	for (int i = 0; ctor && ctor->s && i < NCTORS && !ct; i++)
		if (strcmp(ctors[i].name, ctor->s) == 0 && arg_index(&ctors[i], arg) >= 0)
			ct = &ctors[i];
	int k = ct ? arg_index(ct, arg) : -1, pos = 0;
	if (k < 0)
		return NULL;
	for (int i = 0; ctor->kind == V_RECORD && i < ctor->nargs; i++)
		if (ctor->args[i].name ? strcmp(ctor->args[i].name, arg) == 0 : pos++ == k)
			return ctor->args[i].v;
	if (ct->args[k].def && ct->args[k].def[0] == '=' && strcmp(ct->args[k].def + 1, arg) != 0)
		return schema_arg(A, ctor, ct->args[k].def + 1);
	const char *d = ct->args[k].def;
	if (!d)
		return NULL;
	char *end;
	double x = strtod(d, &end);
	struct value *v;
	if ((ct->args[k].accept & AC_BOOL) && (strcmp(d, "true") == 0 || strcmp(d, "false") == 0)) {
		v = val_new(A, V_BOOL, ctor->loc);
		v->i = d[0] == 't';
	} else if ((ct->args[k].accept & (AC_INT | AC_NUM)) && *d && !*end) {
		v = x == (double)(int64_t)x && (ct->args[k].accept & AC_INT) ? val_int(A, (int64_t)x, ctor->loc)
									 : val_float(A, x, ctor->loc);
	} else {
		v = val_new(A, (ct->args[k].accept & AC_STR) ? V_STR : V_SYM, ctor->loc);
		v->s = d;
	}
	return v;
}

const char *schema_config(struct arena *A, const char *base_dir, int64_t world, bool world_used,
			  const char *data_json, const char *train_json)
{
	struct jbuf j = { 0 };
	const char *out;
	jb_add(&j, "{\"base_dir\": ");
	jb_str(&j, base_dir);
	jb_add(&j, ", \"world\": %" PRId64 ", \"world_used\": %s", world, world_used ? "true" : "false");
	jb_add(&j, ",\n \"data\": %s,\n \"train\": %s}", data_json ? data_json : "null",
	       train_json ? train_json : "null");
	out = j.oom ? NULL : arena_strdup(A, j.b);
	free(j.b);
	return out;
}
