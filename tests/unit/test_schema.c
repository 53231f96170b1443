/* test_schema.c - the data/train schema checker: a valid chexnet-style
 * data and train section, then one error at a time, checked by the text of
 * the diagnostics; last, odd values in every field must not crash it. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "check.h"

/* ---------------------------------------------------------------------
 * A test's arena, diagnostics (into memory) and value builders
 * ------------------------------------------------------------------- */

static struct {
	struct arena A;
	struct diag_ctx D;
	FILE *f;
	char *buf;
	size_t len;
	int line;
} T;

enum { SRC_LINES = 400 };

static void begin(void)
{
	static char src[SRC_LINES * 32];
	size_t n = 0;
	for (int i = 1; i <= SRC_LINES; i++)
		n += (size_t)snprintf(src + n, sizeof src - n, "    field%d = value %d\n", i, i);
	arena_init(&T.A);
	T.buf = NULL;
	T.len = 0;
	T.f = open_memstream(&T.buf, &T.len);
	diag_init(&T.D, T.f);
	T.D.error_limit = 0;
	diag_add_file(&T.D, "t.net", src, n);
	T.line = 1;
}

/* The diagnostics so far. */
static const char *out(void)
{
	fflush(T.f);
	return T.buf ? T.buf : "";
}

/* TEST_SCHEMA_VERBOSE=1 shows the diagnostics of every test. */
static void finish(void)
{
	if (getenv("TEST_SCHEMA_VERBOSE") && T.line < SRC_LINES / 2)
		fprintf(stderr, "----\n%s", out());
	fclose(T.f);
	free(T.buf);
	diag_free(&T.D);
	arena_free(&T.A);
}

/* Every value gets a line of its own. */
static struct loc L(void)
{
	struct loc l = { 0, T.line, 5, T.line, 15 };
	T.line = T.line % SRC_LINES + 1;
	return l;
}

static struct value *I(int64_t i) { return val_int(&T.A, i, L()); }
static struct value *F(double f) { return val_float(&T.A, f, L()); }

static struct value *B(bool b)
{
	struct value *v = val_new(&T.A, V_BOOL, L());
	v->i = b;
	return v;
}

static struct value *S(const char *s)
{
	struct value *v = val_new(&T.A, V_STR, L());
	v->s = s;
	return v;
}

/* A symbol: an identifier naming nothing, or a dotted name. */
static struct value *Y(const char *s)
{
	struct value *v = val_new(&T.A, V_SYM, L());
	v->s = s;
	return v;
}

static struct value *vlist(bool pipeline, int n, va_list ap)
{
	struct value *v = val_new(&T.A, V_LIST, L());
	v->pipeline = pipeline;
	v->n = n;
	v->items = arena_array(&T.A, (size_t)(n ? n : 1), sizeof *v->items);
	for (int i = 0; i < n; i++)
		v->items[i] = va_arg(ap, struct value *);
	return v;
}

static struct value *LIST(int n, ...)
{
	va_list ap;
	va_start(ap, n);
	struct value *v = vlist(false, n, ap);
	va_end(ap);
	return v;
}

static struct value *PIPE(int n, ...)
{
	va_list ap;
	va_start(ap, n);
	struct value *v = vlist(true, n, ap);
	va_end(ap);
	return v;
}

static struct varg P(struct value *v)
{
	return (struct varg){ NULL, v ? v->loc : loc_none(), v };
}

static struct varg K(const char *name, struct value *v)
{
	return (struct varg){ name, L(), v };
}

/* A call: R("adam", 1, K("lr", F(1e-3))). */
static struct value *R(const char *name, int n, ...)
{
	struct value *v = val_new(&T.A, V_RECORD, L());
	v->s = name;
	v->nargs = n;
	v->args = arena_array(&T.A, (size_t)(n ? n : 1), sizeof *v->args);
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		v->args[i] = va_arg(ap, struct varg);
	va_end(ap);
	return v;
}

static struct value *layer(const char *name)
{
	struct value *v = val_new(&T.A, V_LAYER, L());
	v->layer = arena_alloc(&T.A, sizeof *v->layer);
	v->layer->kind = L_DECL;
	v->layer->name = name;
	return v;
}

/* ---------------------------------------------------------------------
 * Sections and networks by hand
 * ------------------------------------------------------------------- */

enum { SEC_MAX = 40 };

struct sec {
	struct ast *decl;
	const struct ast *fields[SEC_MAX];
	struct value *values[SEC_MAX];
	int n;
	struct section s;
};

static struct sec *sec_new(enum ast_kind k, const char *name)
{
	struct sec *s = arena_alloc(&T.A, sizeof *s);
	s->decl = ast_new(&T.A, k, L());
	s->decl->name = name;
	s->decl->name_loc = s->decl->loc;
	return s;
}

/* Append a field (duplicates allowed). */
static void add(struct sec *s, const char *name, struct value *v)
{
	if (s->n == SEC_MAX)
		return;
	struct ast *f = ast_new(&T.A, AST_FIELD, L());
	f->name = name;
	f->name_loc = f->loc;
	s->fields[s->n] = f;
	s->values[s->n++] = v;
}

static int find(struct sec *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->fields[i]->name, name) == 0)
			return i;
	return -1;
}

/* Replace a field's value, or append it. */
static void set(struct sec *s, const char *name, struct value *v)
{
	int i = find(s, name);
	if (i < 0)
		add(s, name, v);
	else
		s->values[i] = v;
}

static void del(struct sec *s, const char *name)
{
	int i = find(s, name);
	if (i < 0)
		return;
	memmove(&s->fields[i], &s->fields[i + 1], (size_t)(s->n - i - 1) * sizeof s->fields[0]);
	memmove(&s->values[i], &s->values[i + 1], (size_t)(s->n - i - 1) * sizeof s->values[0]);
	s->n--;
}

static struct section *section(struct sec *s)
{
	s->s = (struct section){ s->decl, s->n, s->fields, s->values, NULL };
	return &s->s;
}

/* A network whose output is `last` with the given shape. */
static struct graph *net(const char *name, enum op last, int rank, ...)
{
	struct graph *g = arena_alloc(&T.A, sizeof *g);
	struct node *n = arena_alloc(&T.A, sizeof *n);
	g->A = &T.A;
	g->name = name;
	g->loc = L();
	n->op = last;
	n->loc = L();
	n->name = "out";
	n->shape.rank = rank;
	va_list ap;
	va_start(ap, rank);
	for (int i = 0; i < rank; i++)
		n->shape.d[i] = va_arg(ap, int);
	va_end(ap);
	g->outputs = arena_alloc(&T.A, sizeof *g->outputs);
	g->outputs[0] = n;
	g->noutputs = g->capoutputs = 1;
	return g;
}

/* The data section of the ChestX-ray14 example. */
static const char *const CLASSES[14] = {
	"Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule",
	"Pneumonia", "Pneumothorax", "Consolidation", "Edema", "Emphysema", "Fibrosis",
	"Pleural_Thickening", "Hernia",
};

static struct value *classes(int n)
{
	struct value *v = LIST(0);
	v->items = arena_array(&T.A, (size_t)n, sizeof *v->items);
	for (int i = 0; i < n; i++)
		v->items[v->n++] = Y(CLASSES[i % 14]);
	return v;
}

static struct sec *xray(void)
{
	struct sec *s = sec_new(AST_DATA, "xray");
	add(s, "source", R("csv", 5, P(S("Data_Entry_2017.csv")), K("image", S("Image Index")),
			   K("labels", S("Finding Labels")), K("sep", S("|")), K("root", S("images/"))));
	add(s, "classes", classes(14));
	add(s, "multi_label", B(true));
	add(s, "split", R("by_patient", 5, P(S("Patient ID")), K("train", F(0.7)), K("val", F(0.1)),
			  K("test", F(0.2)), K("seed", I(1))));
	add(s, "decode", R("rgb", 2, P(I(256)), P(I(256))));
	add(s, "augment", PIPE(4, R("center_crop", 1, P(I(224))), Y("random_flip"),
			       R("brightness", 1, P(F(0.1))),
			       R("normalize", 2, K("mean", LIST(3, F(0.485), F(0.456), F(0.406))),
				 K("std", LIST(3, F(0.229), F(0.224), F(0.225))))));
	add(s, "balance", R("resample_majority", 1, K("seed", I(7))));
	add(s, "shuffle", B(true));
	add(s, "cache", B(false));
	add(s, "workers", I(4));
	return s;
}

/* The train section of the example. */
static struct sec *chexnet_adam(void)
{
	struct sec *s = sec_new(AST_TRAIN, "chexnet_adam");
	add(s, "network", layer("chexnet"));
	add(s, "data", Y("xray"));
	add(s, "loss", Y("binary_cross_entropy"));
	add(s, "optimizer", R("adam", 1, K("lr", F(1e-3))));
	add(s, "schedule", PIPE(2, R("warmup", 1, K("epochs", I(5))),
				R("plateau", 3, K("on", Y("val.loss")), K("factor", F(0.1)),
				  K("patience", I(1)))));
	add(s, "batch", I(32));
	add(s, "epochs", I(15));
	add(s, "metrics", LIST(2, R("auc", 1, P(Y("per_class"))), Y("accuracy")));
	add(s, "checkpoint", R("every", 3, P(I(1)), K("to", S("ckpt/chexnet")),
			       K("keep_best", Y("val.auc"))));
	add(s, "early_stopping", R("patience", 2, P(I(3)), K("on", Y("val.auc"))));
	add(s, "regularize", R("l2", 2, P(F(1e-4)), K("layers", LIST(2, S("dense"), Y("conv")))));
	add(s, "distribute", Y("allreduce"));
	add(s, "seed", I(42));
	add(s, "precision", Y("f32"));
	add(s, "resume", B(false));
	return s;
}

/* A small train section: only the required fields. */
static struct sec *small_train(struct value *loss)
{
	struct sec *s = sec_new(AST_TRAIN, "small");
	add(s, "network", layer("chexnet"));
	add(s, "data", Y("xray"));
	add(s, "loss", loss);
	add(s, "optimizer", Y("adam"));
	add(s, "batch", I(32));
	add(s, "epochs", I(15));
	return s;
}

static struct data_info info_of(struct sec *d)
{
	struct data_info di;
	schema_check_data(&T.D, &T.A, section(d), &di);
	return di;
}

static bool has(const char *text)
{
	bool ok = strstr(out(), text) != NULL;
	if (!ok)
		fprintf(stderr, "    missing \"%s\" in:\n%s\n", text, out());
	return ok;
}

/* One error in a data section, with the texts it must contain. */
#define DATA_ERROR(sec, ...) do { \
		struct data_info di_; \
		ASSERT(!schema_check_data(&T.D, &T.A, section(sec), &di_)); \
		ASSERT_EQ_INT(1, T.D.nerrors); \
		const char *texts_[] = { __VA_ARGS__ }; \
		for (size_t i_ = 0; i_ < sizeof texts_ / sizeof texts_[0]; i_++) \
			ASSERT(has(texts_[i_])); \
	} while (0)

#define TRAIN_ERROR(sec, g, di, ...) do { \
		int e_ = T.D.nerrors; \
		ASSERT(!schema_check_train(&T.D, &T.A, section(sec), g, di)); \
		ASSERT_EQ_INT(1, T.D.nerrors - e_); \
		const char *texts_[] = { __VA_ARGS__ }; \
		for (size_t i_ = 0; i_ < sizeof texts_ / sizeof texts_[0]; i_++) \
			ASSERT(has(texts_[i_])); \
	} while (0)

/* ---------------------------------------------------------------------
 * Valid sections
 * ------------------------------------------------------------------- */

static void test_valid(void)
{
	begin();
	struct data_info di;
	ASSERT(schema_check_data(&T.D, &T.A, section(xray()), &di));
	ASSERT_EQ_INT(14, di.nclasses);
	ASSERT(di.multi_label);
	ASSERT_EQ_INT(3, di.sample.rank);
	ASSERT_EQ_INT(3, di.sample.d[0]);
	ASSERT_EQ_INT(224, di.sample.d[1]);
	ASSERT_EQ_INT(224, di.sample.d[2]);
	ASSERT_EQ_INT(0, di.classes_loc.file);
	ASSERT(di.decl != NULL);

	struct graph *g = net("chexnet", OP_SIGMOID, 1, 14);
	ASSERT(schema_check_train(&T.D, &T.A, section(chexnet_adam()), g, &di));
	ASSERT_EQ_INT(0, T.D.nerrors);
	ASSERT_STR_EQ("", out());
	finish();
}

/* The sections as JSON: every constructor with all its arguments by name,
 * positional ones named, defaults (and "=x" defaults) filled in. */
static void test_json(void)
{
	begin();
	struct data_info di;
	struct section *d = section(xray());
	ASSERT(schema_check_data(&T.D, &T.A, d, &di));
	ASSERT(d->json != NULL && di.json == d->json);
	ASSERT_STR_EQ("{\"name\": \"xray\", "
		      "\"source\": {\"kind\": \"csv\", \"file\": \"Data_Entry_2017.csv\", "
		      "\"image\": \"Image Index\", \"labels\": \"Finding Labels\", \"sep\": \"|\", "
		      "\"root\": \"images/\", \"patient\": \"\"}, "
		      "\"classes\": [\"Atelectasis\", \"Cardiomegaly\", \"Effusion\", \"Infiltration\", "
		      "\"Mass\", \"Nodule\", \"Pneumonia\", \"Pneumothorax\", \"Consolidation\", "
		      "\"Edema\", \"Emphysema\", \"Fibrosis\", \"Pleural_Thickening\", \"Hernia\"], "
		      "\"multi_label\": true, "
		      "\"split\": {\"kind\": \"by_patient\", \"column\": \"Patient ID\", \"train\": 0.7, "
		      "\"val\": 0.1, \"test\": 0.2, \"seed\": 1}, "
		      "\"decode\": {\"kind\": \"rgb\", \"height\": 256, \"width\": 256}, "
		      "\"augment\": [{\"kind\": \"center_crop\", \"height\": 224, \"width\": 224}, "
		      "{\"kind\": \"random_flip\", \"horizontal\": true, \"vertical\": false, \"p\": 0.5}, "
		      "{\"kind\": \"brightness\", \"delta\": 0.1}, "
		      "{\"kind\": \"normalize\", \"mean\": [0.485, 0.456, 0.406], "
		      "\"std\": [0.229, 0.224, 0.225]}], "
		      "\"balance\": {\"kind\": \"resample_majority\", \"seed\": 7}, "
		      "\"shuffle\": true, \"cache\": false, \"workers\": 4}", d->json);

	struct graph *g = net("chexnet", OP_SIGMOID, 1, 14);
	struct section *t = section(small_train(Y("binary_cross_entropy")));
	ASSERT(schema_check_train(&T.D, &T.A, t, g, &di));
	ASSERT_STR_EQ("{\"name\": \"small\", \"network\": \"chexnet\", \"data\": \"xray\", "
		      "\"loss\": {\"kind\": \"binary_cross_entropy\"}, "
		      "\"optimizer\": {\"kind\": \"adam\", \"lr\": 0.001, \"beta1\": 0.9, "
		      "\"beta2\": 0.999, \"eps\": 1e-08, \"weight_decay\": 0}, "
		      "\"schedule\": [{\"kind\": \"constant\"}], \"batch\": 32, \"epochs\": 15, "
		      "\"resume\": false, \"distribute\": {\"kind\": \"local\"}, \"sync_batchnorm\": true, "
		      "\"seed\": 1, "
		      "\"precision\": \"f32\"}", t->json);
	/* defaults read back as values */
	const struct value *a = schema_arg(&T.A, Y("adam"), "eps");
	ASSERT(a && a->kind == V_FLOAT && a->f == 1e-8);
	a = schema_arg(&T.A, R("random_crop", 1, P(I(20))), "width");   /* width = height */
	ASSERT(a && a->kind == V_INT && a->i == 20);
	ASSERT(schema_arg(&T.A, Y("adam"), "momentum") == NULL);
	/* a section that does not check out gets no JSON */
	struct sec *bad = xray();
	del(bad, "source");
	d = section(bad);
	ASSERT(!schema_check_data(&T.D, &T.A, d, &di));
	ASSERT(d->json == NULL);
	finish();
}

/* Bare names where constructors are expected, defaults, the other forms. */
static void test_valid_forms(void)
{
	begin();
	struct sec *d = sec_new(AST_DATA, "mnist");
	add(d, "source", R("folder", 1, P(S("mnist/"))));
	add(d, "classes", I(10));
	add(d, "split", Y("ratio"));
	add(d, "decode", R("gray", 2, P(I(28)), P(I(28))));
	add(d, "augment", PIPE(3, R("random_crop", 2, P(I(28)), K("pad", I(2))), Y("rotate180"),
			       R("normalize", 2, P(F(0.1307)), P(F(0.3081)))));
	add(d, "balance", Y("class_weights"));
	struct data_info di;
	ASSERT(schema_check_data(&T.D, &T.A, section(d), &di));
	ASSERT_EQ_INT(10, di.nclasses);
	ASSERT(!di.multi_label);
	ASSERT_EQ_INT(1, di.sample.d[0]);
	ASSERT_EQ_INT(28, di.sample.d[2]);

	struct sec *t = small_train(R("cross_entropy", 1, K("label_smoothing", F(0.1))));
	set(t, "optimizer", R("sgd", 3, P(F(0.1)), P(F(0.9)), K("nesterov", B(true))));
	set(t, "schedule", PIPE(2, R("warmup", 1, P(I(2))), R("cosine", 0)));
	set(t, "metrics", LIST(3, Y("accuracy"), R("top_k", 1, P(I(5))), Y("loss")));
	set(t, "distribute", R("parameter_server", 1, K("servers", I(2))));
	set(t, "resume", S("ckpt/lenet-3"));
	set(t, "regularize", R("l2", 1, P(F(5e-4))));
	struct graph *g = net("lenet", OP_DENSE, 1, 10);
	ASSERT(schema_check_train(&T.D, &T.A, section(t), g, &di));

	/* Weighted cross-entropy with one weight per class; softmax output. */
	t = small_train(R("weighted_cross_entropy", 1, P(LIST(3, F(1), F(2), F(0.5)))));
	struct data_info d3 = { .nclasses = 3 };
	ASSERT(schema_check_train(&T.D, &T.A, section(t), net("n", OP_SOFTMAX, 1, 3), &d3));

	/* One sigmoid output for two classes with binary cross-entropy, and auc. */
	t = small_train(Y("binary_cross_entropy"));
	set(t, "metrics", LIST(1, Y("auc")));
	struct data_info d2 = { .nclasses = 2 };
	ASSERT(schema_check_train(&T.D, &T.A, section(t), net("n", OP_SIGMOID, 1, 1), &d2));

	/* Segmentation: dice loss and iou on a per-pixel output. */
	t = small_train(R("dice", 0));
	set(t, "metrics", LIST(2, Y("dice"), Y("iou")));
	ASSERT(schema_check_train(&T.D, &T.A, section(t), net("unet", OP_SIGMOID, 3, 3, 64, 64), &d3));

	/* Without network or data info, the train section alone. */
	ASSERT(schema_check_train(&T.D, &T.A, section(small_train(Y("mse"))), NULL, NULL));
	ASSERT_EQ_INT(0, T.D.nerrors);
	ASSERT_STR_EQ("", out());
	finish();
}

/* ---------------------------------------------------------------------
 * Errors: fields
 * ------------------------------------------------------------------- */

static void test_unknown_field(void)
{
	begin();
	struct sec *t = chexnet_adam();
	add(t, "optimiser", Y("adam"));
	TRAIN_ERROR(t, NULL, NULL, "t.net:", "error: train section has no field 'optimiser'",
		    "note: did you mean 'optimizer'?");
	finish();

	begin();
	struct sec *d = xray();
	add(d, "zzzzzz", I(1));
	DATA_ERROR(d, "data section has no field 'zzzzzz'", "note: data fields are: source, classes");
	finish();
}

static void test_missing_field(void)
{
	begin();
	struct sec *t = chexnet_adam();
	del(t, "loss");
	TRAIN_ERROR(t, NULL, NULL, "error: train section 'chexnet_adam' has no 'loss' field");
	finish();

	begin();
	struct sec *d = xray();
	del(d, "source");
	DATA_ERROR(d, "data section 'xray' has no 'source' field");
	finish();
}

static void test_duplicate_field(void)
{
	begin();
	struct sec *t = chexnet_adam();
	add(t, "batch", I(64));
	int first = t->fields[find(t, "batch")]->name_loc.line;
	TRAIN_ERROR(t, NULL, NULL, "error: field 'batch' is given twice", "note: first given here");
	char at[64];
	snprintf(at, sizeof at, "t.net:%d:5: note: first given here", first);
	ASSERT(has(at));
	finish();
}

static void test_wrong_type(void)
{
	begin();
	struct sec *t = chexnet_adam();
	set(t, "batch", S("32"));
	TRAIN_ERROR(t, NULL, NULL, "error: field 'batch' expects a positive integer, got string \"32\"");
	finish();

	begin();
	t = chexnet_adam();
	set(t, "epochs", I(0));
	TRAIN_ERROR(t, NULL, NULL, "field 'epochs' expects a positive integer, got integer 0");
	finish();

	begin();
	t = chexnet_adam();
	set(t, "optimizer", S("adam"));
	TRAIN_ERROR(t, NULL, NULL, "field 'optimizer' expects an optimizer, got string \"adam\"",
		    "note: write it without quotes: adam",
		    "note: optimizers are: sgd, adam, adadelta, rmsprop");
	finish();

	begin();
	t = chexnet_adam();
	set(t, "loss", PIPE(2, Y("mse"), Y("dice")));
	TRAIN_ERROR(t, NULL, NULL, "field 'loss' expects a loss, got pipeline of 2 stages");
	finish();

	begin();
	t = chexnet_adam();
	set(t, "precision", Y("f16"));
	TRAIN_ERROR(t, NULL, NULL, "field 'precision' expects f32, got name 'f16'");
	finish();

	begin();
	struct sec *d = xray();
	set(d, "workers", I(-1));
	DATA_ERROR(d, "field 'workers' expects a non-negative integer, got integer -1");
	finish();

	begin();
	d = xray();
	set(d, "shuffle", I(1));
	DATA_ERROR(d, "field 'shuffle' expects true or false, got integer 1");
	finish();
}

/* A value that is already an error gives no further message. */
static void test_error_values(void)
{
	begin();
	struct sec *t = chexnet_adam();
	set(t, "batch", val_error(&T.A, L()));
	set(t, "optimizer", R("adam", 1, K("lr", val_error(&T.A, L()))));
	set(t, "metrics", LIST(2, Y("accuracy"), val_error(&T.A, L())));
	ASSERT(!schema_check_train(&T.D, &T.A, section(t), NULL, NULL));
	struct sec *d = xray();
	set(d, "classes", LIST(2, Y("a"), val_error(&T.A, L())));
	set(d, "augment", val_error(&T.A, L()));
	struct data_info di;
	ASSERT(!schema_check_data(&T.D, &T.A, section(d), &di));
	ASSERT_EQ_INT(0, T.D.nerrors);
	ASSERT_STR_EQ("", out());
	finish();
}

/* ---------------------------------------------------------------------
 * Errors: constructors and their arguments
 * ------------------------------------------------------------------- */

static void test_unknown_augmentation(void)
{
	begin();
	struct sec *d = xray();
	set(d, "augment", PIPE(2, R("center_crop", 1, P(I(224))), Y("random_flop")));
	DATA_ERROR(d, "error: unknown augmentation 'random_flop'", "note: did you mean 'random_flip'?",
		   "note: augmentations are: crop, random_crop, center_crop, random_flip");
	finish();

	begin();
	struct sec *t = chexnet_adam();
	set(t, "loss", Y("adam"));
	TRAIN_ERROR(t, NULL, NULL, "unknown loss 'adam'", "note: 'adam' is an optimizer, not a loss");
	finish();
}

static void test_arguments(void)
{
	begin();
	struct sec *t = chexnet_adam();
	set(t, "optimizer", R("adam", 1, K("betas1", F(0.9))));
	TRAIN_ERROR(t, NULL, NULL, "error: adam has no argument 'betas1'", "note: did you mean 'beta1'?",
		    "note: adam(lr = 0.001, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0)");
	finish();

	begin();
	struct sec *d = xray();
	set(d, "decode", R("gray", 3, P(I(28)), P(I(28)), P(I(3))));
	set(d, "augment", Y("random_flip"));
	DATA_ERROR(d, "error: too many arguments to gray: it takes 2", "note: gray(height, width)");
	finish();

	begin();
	d = xray();
	set(d, "decode", Y("gray"));
	set(d, "augment", Y("random_flip"));
	DATA_ERROR(d, "error: gray: missing argument 'height'");
	finish();

	begin();
	t = chexnet_adam();
	set(t, "optimizer", R("adam", 2, P(F(0.1)), K("lr", F(0.2))));
	TRAIN_ERROR(t, NULL, NULL, "error: adam: argument 'lr' is given twice", "note: first given here");
	finish();

	begin();
	t = chexnet_adam();
	set(t, "optimizer", R("adam", 1, K("lr", I(-1))));
	TRAIN_ERROR(t, NULL, NULL, "adam: argument 'lr' expects a positive number, got integer -1");
	finish();

	begin();
	t = chexnet_adam();
	set(t, "schedule", R("plateau", 1, K("mode", Y("maximum"))));
	TRAIN_ERROR(t, NULL, NULL, "plateau: argument 'mode' expects min or max, got name 'maximum'");
	finish();
}

static void test_split_sum(void)
{
	begin();
	struct sec *d = xray();
	set(d, "split", R("ratio", 3, P(F(0.7)), P(F(0.1)), P(F(0.1))));
	DATA_ERROR(d, "error: ratio: the fractions sum to 0.9, not 1");
	finish();

	begin();
	d = xray();
	set(d, "split", R("ratio", 1, K("val", F(1.5))));
	DATA_ERROR(d, "ratio: argument 'val' expects a number in [0, 1], got number 1.5");
	finish();
}

static void test_normalize_channels(void)
{
	begin();
	struct sec *d = xray();
	set(d, "decode", R("gray", 2, P(I(28)), P(I(28))));
	set(d, "augment", R("normalize", 2, K("mean", LIST(3, F(0.5), F(0.5), F(0.5))), K("std", F(0.5))));
	DATA_ERROR(d, "error: normalize: mean has 3 values but gray images have 1 channel",
		   "note: images are decoded as gray here");
	finish();

	begin();
	d = xray();
	set(d, "augment", R("normalize", 2, P(F(0.5)), P(LIST(3, F(0.2), F(0), F(0.2)))));
	DATA_ERROR(d, "normalize: argument 'std' expects a positive number or a list of positive numbers; "
		   "item 2 is number 0");
	finish();
}

static void test_crop_size(void)
{
	begin();
	struct sec *d = xray();
	set(d, "augment", R("center_crop", 1, P(I(300))));
	DATA_ERROR(d, "error: center_crop: 300x300 is larger than the 256x256 image",
		   "note: the image is 256x256 after rgb");
	finish();

	begin();
	d = xray();
	set(d, "augment", PIPE(2, R("center_crop", 1, P(I(224))), R("crop", 2, P(I(200)), P(I(240)))));
	DATA_ERROR(d, "crop: 200x240 is larger than the 224x224 image", "after center_crop");
	finish();
}

static void test_data_cross_checks(void)
{
	begin();
	struct sec *d = xray();
	set(d, "classes", LIST(3, Y("Effusion"), Y("Mass"), S("Effusion")));
	DATA_ERROR(d, "error: class 'Effusion' is listed twice", "note: first given here");
	finish();

	begin();
	d = xray();
	set(d, "source", R("folder", 1, P(S("images/"))));
	set(d, "split", Y("ratio"));
	DATA_ERROR(d, "multi_label = true needs a source with several labels per sample; folder gives one");
	finish();

	begin();
	d = xray();
	set(d, "multi_label", B(false));
	set(d, "source", R("folder", 1, P(S("images/"))));
	DATA_ERROR(d, "by_patient needs a source with a patient column; folder has none");
	finish();
}

/* ---------------------------------------------------------------------
 * Errors: training against the network and the data
 * ------------------------------------------------------------------- */

static void test_nesterov(void)
{
	begin();
	struct sec *t = chexnet_adam();
	set(t, "optimizer", R("sgd", 2, K("lr", F(0.1)), K("nesterov", B(true))));
	TRAIN_ERROR(t, NULL, NULL, "error: sgd: nesterov = true needs momentum > 0");
	finish();
}

static void test_class_count(void)
{
	begin();
	struct sec *d = xray();
	struct data_info di = info_of(d);
	int cline = di.classes_loc.line;
	struct graph *g = net("chexnet", OP_SIGMOID, 1, 10);
	TRAIN_ERROR(small_train(Y("binary_cross_entropy")), g, &di,
		    "error: network 'chexnet' outputs [10] (10 classes) but data 'xray' has 14 classes",
		    "note: data 'xray' gives 14 classes here");
	char at[64];
	snprintf(at, sizeof at, "t.net:%d:5: note: data 'xray' gives 14", cline);
	ASSERT(has(at));
	finish();
}

static void test_loss_vs_output(void)
{
	struct data_info single = { .nclasses = 10 };

	begin();
	struct data_info di = info_of(xray());
	TRAIN_ERROR(small_train(Y("binary_cross_entropy")), net("chexnet", OP_SOFTMAX, 1, 14), &di,
		    "error: loss binary_cross_entropy: network 'chexnet' must not end in softmax");
	finish();

	begin();
	TRAIN_ERROR(small_train(Y("cross_entropy")), net("lenet", OP_SIGMOID, 1, 10), &single,
		    "error: loss cross_entropy: network 'lenet' must not end in sigmoid",
		    "note: the output of network 'lenet' comes from here");
	finish();

	begin();
	TRAIN_ERROR(small_train(Y("dice")), net("lenet", OP_DENSE, 1, 10), &single,
		    "error: dice needs a per-pixel output [classes, H, W], got [10]");
	finish();

	begin();
	TRAIN_ERROR(small_train(R("weighted_cross_entropy", 1, K("weights", LIST(3, F(1), F(1), F(2))))),
		    net("lenet", OP_DENSE, 1, 10), &single,
		    "error: weighted_cross_entropy: 3 weights for 10 classes");
	finish();

	begin();
	di = info_of(xray());
	TRAIN_ERROR(small_train(Y("cross_entropy")), net("chexnet", OP_DENSE, 1, 14), &di,
		    "loss cross_entropy takes one label per sample, but data 'xray' is multi-label");
	finish();
}

static void test_metrics(void)
{
	struct data_info single = { .nclasses = 10 };

	begin();
	struct sec *t = small_train(Y("cross_entropy"));
	set(t, "metrics", LIST(2, Y("accuracy"), Y("auc")));
	TRAIN_ERROR(t, net("lenet", OP_DENSE, 1, 10), &single,
		    "error: auc needs binary_cross_entropy or a 2-class output, got 10 classes with cross_entropy");
	finish();

	begin();
	t = small_train(Y("cross_entropy"));
	set(t, "metrics", LIST(1, Y("iou")));
	TRAIN_ERROR(t, net("lenet", OP_DENSE, 1, 10), &single,
		    "error: iou needs a per-pixel output [classes, H, W], got [10]");
	finish();

	begin();
	t = small_train(Y("cross_entropy"));
	set(t, "metrics", LIST(1, R("top_k", 1, P(I(20)))));
	TRAIN_ERROR(t, net("lenet", OP_DENSE, 1, 10), &single,
		    "error: top_k: k = 20 is more than the 10 classes");
	finish();

	begin();
	t = chexnet_adam();
	set(t, "metrics", LIST(1, Y("accuracy")));
	del(t, "checkpoint");
	TRAIN_ERROR(t, NULL, NULL, "error: patience: 'val.auc' is not computed: 'auc' is not in the metrics",
		    "note: add auc to the metrics here");
	finish();

	begin();
	t = chexnet_adam();
	set(t, "early_stopping", R("patience", 2, P(I(3)), K("on", Y("vall.loss"))));
	TRAIN_ERROR(t, NULL, NULL, "patience: argument 'on' expects a metric such as val.loss, got 'vall.loss'");
	finish();

	begin();
	t = chexnet_adam();
	set(t, "early_stopping", R("patience", 2, P(I(3)), K("on", Y("val.acuracy"))));
	TRAIN_ERROR(t, NULL, NULL, "unknown metric 'acuracy' in 'val.acuracy'",
		    "note: did you mean 'val.accuracy'?");
	finish();
}

/* ---------------------------------------------------------------------
 * Odd values everywhere: no crash, and an error or a failure each time
 * ------------------------------------------------------------------- */

static struct value *odd(int k)
{
	struct value *v;
	switch (k) {
	case 0: return I(INT64_MAX);
	case 1: return I(INT64_MIN);
	case 2: return F(NAN);
	case 3: return F(-INFINITY);
	case 4: return B(true);
	case 5: return S("");
	case 6: return Y("val.");
	case 7: return Y(".");
	case 8: return Y("train.loss.x");
	case 9: return LIST(0);
	case 10: return PIPE(0);
	case 11: return LIST(2, I(1), S("x"));
	case 12: return LIST(1, LIST(1, I(1)));
	case 13: return PIPE(2, I(1), Y("nothing"));
	case 14: return val_new(&T.A, V_TENSOR, L());          /* node NULL */
	case 15: return val_new(&T.A, V_LAYER, L());           /* layer NULL */
	case 16: return val_new(&T.A, V_RECORD, L());          /* s NULL */
	case 17: return val_new(&T.A, V_SYM, L());             /* s NULL */
	case 18: return val_new(&T.A, V_STR, L());             /* s NULL */
	case 19:
		v = LIST(0);
		v->n = 3;                                      /* items NULL */
		v->items = NULL;
		return v;
	case 20:
		v = LIST(2, I(1), I(2));
		v->items[1] = NULL;
		return v;
	case 21: return R("nothing", 1, P(I(1)));
	case 22:
		v = R("x", 0);
		v->nargs = 2;                                  /* args NULL */
		v->args = NULL;
		return v;
	case 23: return R("x", 2, P(NULL), K("y", NULL));
	case 24: return val_error(&T.A, L());
	case 25: return F(1e300);
	case 26: return I(0);
	case 27: return layer(NULL);
	default: return Y("xyz");
	}
}
enum { NODD = 29 };

static const char *const DATA_FIELDS[] = {
	"source", "classes", "multi_label", "split", "decode", "augment", "balance",
	"shuffle", "cache", "workers",
};
static const char *const TRAIN_FIELDS[] = {
	"network", "data", "loss", "optimizer", "schedule", "batch", "epochs", "metrics",
	"checkpoint", "resume", "early_stopping", "regularize", "distribute", "seed", "precision",
};

/* Constructors with the field that takes them. */
static const char *const CTORS[][2] = {
	{ "source", "csv" }, { "source", "folder" }, { "split", "ratio" }, { "split", "by_patient" },
	{ "decode", "gray" }, { "decode", "rgb" }, { "augment", "crop" }, { "augment", "random_crop" },
	{ "augment", "center_crop" }, { "augment", "random_flip" }, { "augment", "rotate180" },
	{ "augment", "random_rotation" }, { "augment", "brightness" }, { "augment", "contrast" },
	{ "augment", "gaussian_noise" }, { "augment", "normalize" }, { "balance", "resample_majority" },
	{ "loss", "cross_entropy" }, { "loss", "weighted_cross_entropy" }, { "loss", "dice" },
	{ "optimizer", "sgd" }, { "optimizer", "adam" }, { "optimizer", "adadelta" },
	{ "optimizer", "rmsprop" }, { "schedule", "warmup" }, { "schedule", "step" },
	{ "schedule", "cosine" }, { "schedule", "plateau" }, { "metrics", "top_k" },
	{ "metrics", "auc" }, { "checkpoint", "every" }, { "early_stopping", "patience" },
	{ "regularize", "l2" }, { "distribute", "allreduce" }, { "distribute", "parameter_server" },
};

static bool is_data_field(const char *f)
{
	for (size_t i = 0; i < sizeof DATA_FIELDS / sizeof DATA_FIELDS[0]; i++)
		if (strcmp(DATA_FIELDS[i], f) == 0)
			return true;
	return false;
}

static void test_odd_values(void)
{
	begin();
	long runs = 0, failed = 0;
	struct graph *graphs[] = {
		NULL, net("a", OP_SOFTMAX, 0), net("b", OP_SIGMOID, 4, 2, 8, 8, 8),
		net("c", OP_DENSE, 1, 1),
	};
	graphs[3]->noutputs = 0;
	struct data_info di = info_of(xray());
	for (int k = 0; k < NODD; k++) {
		for (size_t i = 0; i < sizeof DATA_FIELDS / sizeof DATA_FIELDS[0]; i++) {
			struct sec *d = xray();
			set(d, DATA_FIELDS[i], odd(k));
			struct data_info o;
			int e = T.D.nerrors;
			failed += !schema_check_data(&T.D, &T.A, section(d), &o) || T.D.nerrors > e;
			runs++;
		}
		for (size_t i = 0; i < sizeof TRAIN_FIELDS / sizeof TRAIN_FIELDS[0]; i++) {
			struct sec *t = chexnet_adam();
			set(t, TRAIN_FIELDS[i], odd(k));
			int e = T.D.nerrors;
			struct graph *g = graphs[(k + (int)i) % 4];
			failed += !schema_check_train(&T.D, &T.A, section(t), g, &di) || T.D.nerrors > e;
			runs++;
		}
		for (size_t i = 0; i < sizeof CTORS / sizeof CTORS[0]; i++) {
			for (int nargs = 1; nargs <= 6; nargs++) {
				struct value *r = R(CTORS[i][1], 0);
				r->nargs = nargs;
				r->args = arena_array(&T.A, (size_t)nargs, sizeof *r->args);
				for (int a = 0; a < nargs; a++)
					r->args[a] = P(odd((k + a) % NODD));
				if (is_data_field(CTORS[i][0])) {
					struct sec *d = xray();
					set(d, CTORS[i][0], r);
					struct data_info o;
					schema_check_data(&T.D, &T.A, section(d), &o);
				} else {
					struct sec *t = chexnet_adam();
					set(t, CTORS[i][0], r);
					schema_check_train(&T.D, &T.A, section(t), graphs[(k + nargs) % 4], &di);
				}
			}
		}
	}
	/* The values that are fine in some fields: the rest must all fail. */
	ASSERT(failed > runs * 3 / 4);
	/* Empty sections and a section without a declaration. */
	struct section empty = { NULL, 0, NULL, NULL, NULL };
	struct data_info o;
	ASSERT(!schema_check_data(&T.D, &T.A, &empty, &o));
	ASSERT(!schema_check_train(&T.D, &T.A, &empty, NULL, NULL));
	finish();
}

int main(void)
{
	test_valid();
	test_valid_forms();
	test_unknown_field();
	test_missing_field();
	test_duplicate_field();
	test_wrong_type();
	test_error_values();
	test_unknown_augmentation();
	test_arguments();
	test_split_sum();
	test_normalize_channels();
	test_crop_size();
	test_data_cross_checks();
	test_nesterov();
	test_class_count();
	test_loss_vs_output();
	test_metrics();
	test_odd_values();
	test_json();
	return check_summary();
}
