/* harness.h - the checks of tests/train/test_train and its groups of
 * tests (one file each):
 *
 *   test_train.c  main; the program's structure, diagnostics, the golden dump
 *   test_grad.c   whole-network gradients against finite differences
 *   test_steps.c  optimizer steps, batchnorm statistics, frozen layers,
 *                 determinism
 *
 * CHECK(expr) counts a check and prints file:line and the expression
 * when it fails; the run goes on. */
#ifndef NETC_TESTS_HARNESS_H
#define NETC_TESTS_HARNESS_H

#include <stdbool.h>

#include "nets.h"

bool t_check(bool ok, const char *file, int line, const char *expr);
#define CHECK(expr) t_check(!!(expr), __FILE__, __LINE__, #expr)

/* Seconds since an arbitrary start (for the timings printed). */
double t_now(void);

void test_grad(void);
void test_steps(void);

#endif
