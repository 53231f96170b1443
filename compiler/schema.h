/* schema.h - checks of data and train sections against their schemas:
 * which fields exist, which constructors each field takes (csv(...),
 * adam(...), warmup(...) => plateau(...)), their arguments, and whether
 * the training fits the network (loss vs output shape, class counts). */
#ifndef NETC_SCHEMA_H
#define NETC_SCHEMA_H

#include <stdbool.h>

#include "diag.h"
#include "graph.h"
#include "value.h"

/* A data or train section after evaluation: field i was written as
 * fields[i] (AST_FIELD: name, name_loc, loc) and evaluated to values[i]. */
struct section {
	const struct ast *decl;          /* AST_DATA or AST_TRAIN */
	int n;
	const struct ast **fields;
	struct value **values;
	const char *json;                /* set by the check when the section checks out */
};

/* What a train section needs to know of the data section it names. */
struct data_info {
	const struct ast *decl;
	int nclasses;                    /* 0 when the section does not say */
	struct loc classes_loc;          /* where classes were given */
	bool multi_label;                /* labels split by sep: one sample may have several */
	struct shape sample;             /* decoded sample [C,H,W] after crops; rank 0 if unknown */
	struct loc decode_loc;
	const char *json;                /* the section as JSON (schema_check_data) */
};

/* Check a data section; fill *out.  False if an error was reported.  A
 * section that checks out gets s->json: the section as a JSON object with
 * every field given or defaulted and every constructor as {"kind": name,
 * argument: value, ...}, all arguments by name, defaults filled in
 * (docs/runtime-abi.md, "The configuration"). */
bool schema_check_data(struct diag_ctx *D, struct arena *A, struct section *s,
		       struct data_info *out);

/* Check a train section.  The fields `network` and `data` were resolved by
 * sema: net is the network's graph (NULL if it failed or is missing),
 * data the data section's info (NULL if missing or failed). */
bool schema_check_train(struct diag_ctx *D, struct arena *A, struct section *s,
			const struct graph *net, const struct data_info *data);

/* Argument `arg` of a constructor value of a checked section (a record,
 * or a bare name), as given or, when not given, its default from the
 * tables as a new value in A.  NULL when the constructor has no such
 * argument or it has no default. */
const struct value *schema_arg(struct arena *A, const struct value *ctor, const char *arg);

/* The configuration a built program carries: {"base_dir": DIR, "world": N,
 * "world_used": B, "data": DATA, "train": TRAIN} (the sections' json; NULL
 * gives null).  world: the ranks the sections were evaluated for;
 * world_used: whether they read `world` (then they hold for N ranks only). */
const char *schema_config(struct arena *A, const char *base_dir, int64_t world, bool world_used,
			  const char *data_json, const char *train_json);

#endif
