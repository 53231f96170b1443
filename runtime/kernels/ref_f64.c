/* ref_f64.c - the reference kernels in float64: ref_impl.inc with
 * T = double.  TF(exp) names the math function of type T (exp). */
#define T double
#define FN(name) nrt_ref_##name##_f64
#define TF(fn) fn
#include "ref_impl.inc"
