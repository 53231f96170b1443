/* ref_f32.c - the reference kernels in float32: ref_impl.inc with
 * T = float.  TF(exp) names the math function of type T (expf). */
#define T float
#define FN(name) nrt_ref_##name##_f32
#define TF(fn) fn##f
#include "ref_impl.inc"
