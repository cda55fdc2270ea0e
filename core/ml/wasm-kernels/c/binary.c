/*
 * Elementwise float32 add / sub / mul with broadcasting, in place on the tfjs wasm heap. The
 * stock kernels take a slow per-element index path whenever one side is broadcast (GroupNorm's
 * scale and shift, [N, H, W, G, C/G] x [N, 1, 1, G, 1], cost 4x a same-shape op). The caller
 * collapses the broadcast output shape into at most four runs s0..s3 in each of which each
 * operand is either full or broadcast (bit k of aFull / bFull set where the operand varies
 * along run k). See conv-grad.c for the build rules (no static data, no stack).
 */
#include <wasm_simd128.h>

typedef int i32;

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))

INLINE v128_t vop(v128_t a, v128_t b, const i32 op) {
  return op == 0 ? wasm_f32x4_add(a, b) : op == 1 ? wasm_f32x4_sub(a, b) : wasm_f32x4_mul(a, b);
}
INLINE float sop(float a, float b, const i32 op) { return op == 0 ? a + b : op == 1 ? a - b : a * b; }

/* y[0..n) = a op b, where a and b step by as and bs (1 or 0) */
INLINE void row(const float *a, i32 as, const float *b, i32 bs, float *y, i32 n, const i32 op) {
  i32 i = 0;
  if (as && bs) {
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, vop(wasm_v128_load(a + i), wasm_v128_load(b + i), op));
  } else if (as) {
    const v128_t bv = wasm_f32x4_splat(*b);
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, vop(wasm_v128_load(a + i), bv, op));
  } else if (bs) {
    const v128_t av = wasm_f32x4_splat(*a);
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, vop(av, wasm_v128_load(b + i), op));
  }
  for (; i < n; i++) y[i] = sop(a[i * as], b[i * bs], op);
}

INLINE void binop(const float *a, const float *b, float *y, i32 s0, i32 s1, i32 s2, i32 s3, i32 aFull, i32 bFull, const i32 op) {
  const i32 s[4] = {s0, s1, s2, s3};
  i32 as[4], bs[4];
  i32 ap = 1, bp = 1;
  for (i32 k = 3; k >= 0; k--) {
    as[k] = (aFull >> k) & 1 ? ap : 0;
    bs[k] = (bFull >> k) & 1 ? bp : 0;
    if ((aFull >> k) & 1) ap *= s[k];
    if ((bFull >> k) & 1) bp *= s[k];
  }
  for (i32 i0 = 0; i0 < s0; i0++)
    for (i32 i1 = 0; i1 < s1; i1++)
      for (i32 i2 = 0; i2 < s2; i2++) {
        const float *ar = a + i0 * as[0] + i1 * as[1] + i2 * as[2];
        const float *br = b + i0 * bs[0] + i1 * bs[1] + i2 * bs[2];
        float *yr = y + ((i0 * s1 + i1) * s2 + i2) * s3;
        row(ar, as[3], br, bs[3], yr, s3, op);
      }
}

EXPORT(binary_runs)
void binary_runs(const float *a, const float *b, float *y, i32 s0, i32 s1, i32 s2, i32 s3, i32 aFull, i32 bFull, i32 op) {
  if (op == 0) binop(a, b, y, s0, s1, s2, s3, aFull, bFull, 0);
  else if (op == 1) binop(a, b, y, s0, s1, s2, s3, aFull, bFull, 1);
  else binop(a, b, y, s0, s1, s2, s3, aFull, bFull, 2);
}
