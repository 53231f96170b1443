/* interp.h - the reference interpreter of training programs
 * (compiler/train/tprog.h): runs the step lists on libnetrt's reference
 * kernels (runtime/kernels/ref.h), in float32 or float64, over one array
 * per region.  It is the oracle the compiled train step will be compared
 * with, and what the whole-network gradient checks run.
 *
 * A run of train_step takes the step number (from 1: dropout masks and
 * Adam's bias correction depend on it) and the seed (init and dropout). */
#ifndef NETC_TESTS_INTERP_H
#define NETC_TESTS_INTERP_H

#include <stddef.h>
#include <stdint.h>

#include "tprog.h"

enum interp_prec { INTERP_F32, INTERP_F64 };

struct interp {
	const struct tprog *P;
	enum interp_prec prec;
	size_t esize;                  /* bytes of a REAL element */
	void *mem[TP_NREGIONS];        /* the regions; TARGET holds int32 when the targets do */
	size_t bytes[TP_NREGIONS];
	uint64_t seed;                 /* init and dropout; the program's seed to start with */
	double lr_scale;               /* multiplies every learning rate (a schedule); 1 */
};

/* An interpreter with zeroed regions (the program must be laid out). */
struct interp *interp_new(const struct tprog *P, enum interp_prec prec);
void interp_free(struct interp *I);
/* Run the steps of list L whose phase is in [from, to] at train step `step`. */
void interp_run(struct interp *I, const struct tp_list *L, uint32_t step, enum tp_phase from,
		enum tp_phase to);
/* The whole init list. */
void interp_init(struct interp *I);
/* A whole train_step (all phases) at step `step`. */
void interp_train_step(struct interp *I, uint32_t step);
/* Element i of buffer b as a double (int32 targets too), and setting it. */
double interp_get(const struct interp *I, int b, int64_t i);
void interp_set(struct interp *I, int b, int64_t i, double v);
/* The loss scalar. */
double interp_loss(const struct interp *I);
/* Copy all regions from src (same program and precision). */
void interp_copy(struct interp *dst, const struct interp *src);

#endif
