/*
 * Sum over any set of axes of a float32 tensor, in place on the tfjs wasm heap, without the
 * transpose the stock kernel makes first when the axes are not the innermost ones (the bias
 * and GroupNorm gradients reduce NHWC tensors over N, H, W, or over H, W and the channels of
 * a group). The caller collapses the shape into at most four runs of axes, alternately kept
 * and reduced (size-1 axes dropped, leading runs of size 1 added): s0..s3, and `reduced` has
 * bit k set where run k is summed over. See conv-grad.c for the build rules (no static data,
 * no stack).
 */
#include <wasm_simd128.h>

typedef int i32;

#define EXPORT(name) __attribute__((export_name(#name)))

/* sum of n floats, 4 vector accumulators then the lanes */
static float hsum(const float *x, i32 n) {
  v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
  i32 i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = wasm_f32x4_add(a0, wasm_v128_load(x + i));
    a1 = wasm_f32x4_add(a1, wasm_v128_load(x + i + 4));
    a2 = wasm_f32x4_add(a2, wasm_v128_load(x + i + 8));
    a3 = wasm_f32x4_add(a3, wasm_v128_load(x + i + 12));
  }
  for (; i + 4 <= n; i += 4) a0 = wasm_f32x4_add(a0, wasm_v128_load(x + i));
  v128_t a = wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3));
  float s = wasm_f32x4_extract_lane(a, 0) + wasm_f32x4_extract_lane(a, 1) + wasm_f32x4_extract_lane(a, 2) +
            wasm_f32x4_extract_lane(a, 3);
  for (; i < n; i++) s += x[i];
  return s;
}

/* y[0..n) += x[0..n) */
static void add_row(float *y, const float *x, i32 n) {
  i32 i = 0;
  for (; i + 8 <= n; i += 8) {
    wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_v128_load(x + i)));
    wasm_v128_store(y + i + 4, wasm_f32x4_add(wasm_v128_load(y + i + 4), wasm_v128_load(x + i + 4)));
  }
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_v128_load(x + i)));
  for (; i < n; i++) y[i] += x[i];
}

EXPORT(sum_runs)
void sum_runs(const float *x, float *y, i32 s0, i32 s1, i32 s2, i32 s3, i32 reduced) {
  const i32 r0 = reduced & 1, r1 = (reduced >> 1) & 1, r2 = (reduced >> 2) & 1, r3 = (reduced >> 3) & 1;
  /* output strides per run: the product of the kept runs after it; 0 where summed over */
  const i32 k3 = r3 ? 1 : s3;
  const i32 k2 = r2 ? 1 : s2;
  const i32 k1 = r1 ? 1 : s1;
  const i32 o3 = r3 ? 0 : 1;
  const i32 o2 = r2 ? 0 : k3;
  const i32 o1 = r1 ? 0 : k3 * k2;
  const i32 o0 = r0 ? 0 : k3 * k2 * k1;
  const i32 total = (r0 ? 1 : s0) * k1 * k2 * k3;
  for (i32 i = 0; i < total; i++) y[i] = 0.0f;
  (void)o3;
  for (i32 i0 = 0; i0 < s0; i0++)
    for (i32 i1 = 0; i1 < s1; i1++)
      for (i32 i2 = 0; i2 < s2; i2++) {
        const float *xr = x + ((i0 * s1 + i1) * s2 + i2) * s3;
        float *yr = y + i0 * o0 + i1 * o1 + i2 * o2;
        if (r3)
          *yr += hsum(xr, s3);
        else
          add_row(yr, xr, s3);
      }
}
