/*
 * The live pixel classifier's filter bank (core/ml/live/filter-bank.ts) and forest predict
 * (core/ml/live/random-forest.ts) as SIMD kernels, on planes in a memory of their own
 * (core/ml/wasm-kernels/filter-bank-kernels.ts instantiates this module with a fresh
 * WebAssembly.Memory; the tfjs kernels bind the same module to the backend's heap and never
 * call these). Same build rules as conv-grad.c: no static data, no stack (every scratch array
 * is passed in by the caller).
 *
 * Borders are mirrored like the TS (x = -1 reads x = 1); sums are in float32 (the TS sums in
 * double), so results agree with the TS path to ~1e-6 relative.
 */
#include <wasm_simd128.h>

typedef int i32;

#define EXPORT(name) __attribute__((export_name(#name)))

static inline i32 mirror(i32 i, i32 n) {
  if (n == 1) return 0;
  const i32 p = 2 * (n - 1);
  i %= p;
  if (i < 0) i += p;
  return i < n ? i : p - i;
}

/* dst[y, x] = sum_t k[t] * src[y, mirror(x + t - r)], w x h planes, n = 2r + 1 taps */
EXPORT(fb_conv_rows)
void fb_conv_rows(const float *src, float *dst, i32 w, i32 h, const float *k, i32 n) {
  const i32 r = (n - 1) >> 1;
  i32 lo = r < w ? r : w;
  i32 hi = w - r;
  if (hi < lo) hi = lo;
  for (i32 y = 0; y < h; y++) {
    const float *s = src + y * w;
    float *d = dst + y * w;
    for (i32 x = 0; x < lo; x++) {
      float a = 0.0f;
      for (i32 t = 0; t < n; t++) a += k[t] * s[mirror(x + t - r, w)];
      d[x] = a;
    }
    i32 x = lo;
    for (; x + 8 <= hi; x += 8) {
      const float *b = s + x - r;
      v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0;
      for (i32 t = 0; t < n; t++) {
        const v128_t kt = wasm_f32x4_splat(k[t]);
        a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(kt, wasm_v128_load(b + t)));
        a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(kt, wasm_v128_load(b + t + 4)));
      }
      wasm_v128_store(d + x, a0);
      wasm_v128_store(d + x + 4, a1);
    }
    for (; x < hi; x++) {
      const float *b = s + x - r;
      float a = 0.0f;
      for (i32 t = 0; t < n; t++) a += k[t] * b[t];
      d[x] = a;
    }
    for (x = hi; x < w; x++) {
      float a = 0.0f;
      for (i32 t = 0; t < n; t++) a += k[t] * s[mirror(x + t - r, w)];
      d[x] = a;
    }
  }
}

/* dst[y, x] = sum_t k[t] * src[mirror(y + t - r), x] */
EXPORT(fb_conv_cols)
void fb_conv_cols(const float *src, float *dst, i32 w, i32 h, const float *k, i32 n) {
  const i32 r = (n - 1) >> 1;
  for (i32 y = 0; y < h; y++) {
    float *d = dst + y * w;
    const i32 inside = y - r >= 0 && y + r < h;
    if (inside) {
      const float *b = src + (y - r) * w;
      i32 x = 0;
      for (; x + 16 <= w; x += 16) {
        v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
        const float *p = b + x;
        for (i32 t = 0; t < n; t++, p += w) {
          const v128_t kt = wasm_f32x4_splat(k[t]);
          a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(kt, wasm_v128_load(p)));
          a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(kt, wasm_v128_load(p + 4)));
          a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(kt, wasm_v128_load(p + 8)));
          a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(kt, wasm_v128_load(p + 12)));
        }
        wasm_v128_store(d + x, a0);
        wasm_v128_store(d + x + 4, a1);
        wasm_v128_store(d + x + 8, a2);
        wasm_v128_store(d + x + 12, a3);
      }
      for (; x + 4 <= w; x += 4) {
        v128_t a0 = wasm_f32x4_splat(0.0f);
        const float *p = b + x;
        for (i32 t = 0; t < n; t++, p += w) a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_f32x4_splat(k[t]), wasm_v128_load(p)));
        wasm_v128_store(d + x, a0);
      }
      for (; x < w; x++) {
        float a = 0.0f;
        const float *p = b + x;
        for (i32 t = 0; t < n; t++, p += w) a += k[t] * *p;
        d[x] = a;
      }
    } else {
      i32 x = 0;
      for (; x + 4 <= w; x += 4) {
        v128_t a0 = wasm_f32x4_splat(0.0f);
        for (i32 t = 0; t < n; t++) a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_f32x4_splat(k[t]), wasm_v128_load(src + mirror(y + t - r, h) * w + x)));
        wasm_v128_store(d + x, a0);
      }
      for (; x < w; x++) {
        float a = 0.0f;
        for (i32 t = 0; t < n; t++) a += k[t] * src[mirror(y + t - r, h) * w + x];
        d[x] = a;
      }
    }
  }
}

/*
 * Per-pixel combinations of n values.
 *   op 0: out0 = sqrt(a^2 + b^2)                       (gradient magnitude)
 *   op 1: out0 = a + b                                  (Laplacian)
 *   op 2: out0 = a - b                                  (difference of Gaussians)
 *   op 3: out0, out1 = eigenvalues of [[a, b], [b, c]], larger first
 *   op 4: out0 = a^2, out1 = a b, out2 = b^2             (structure tensor entries)
 */
EXPORT(fb_pixelwise)
void fb_pixelwise(i32 op, const float *a, const float *b, const float *c, float *o0, float *o1, float *o2, i32 n) {
  i32 i = 0;
  const v128_t half = wasm_f32x4_splat(0.5f);
  for (; i + 4 <= n; i += 4) {
    const v128_t va = wasm_v128_load(a + i), vb = wasm_v128_load(b + i);
    if (op == 0)
      wasm_v128_store(o0 + i, wasm_f32x4_sqrt(wasm_f32x4_add(wasm_f32x4_mul(va, va), wasm_f32x4_mul(vb, vb))));
    else if (op == 1)
      wasm_v128_store(o0 + i, wasm_f32x4_add(va, vb));
    else if (op == 2)
      wasm_v128_store(o0 + i, wasm_f32x4_sub(va, vb));
    else if (op == 3) {
      const v128_t vc = wasm_v128_load(c + i);
      const v128_t m = wasm_f32x4_mul(wasm_f32x4_add(va, vc), half);
      const v128_t d = wasm_f32x4_mul(wasm_f32x4_sub(va, vc), half);
      const v128_t q = wasm_f32x4_sqrt(wasm_f32x4_add(wasm_f32x4_mul(d, d), wasm_f32x4_mul(vb, vb)));
      wasm_v128_store(o0 + i, wasm_f32x4_add(m, q));
      wasm_v128_store(o1 + i, wasm_f32x4_sub(m, q));
    } else {
      wasm_v128_store(o0 + i, wasm_f32x4_mul(va, va));
      wasm_v128_store(o1 + i, wasm_f32x4_mul(va, vb));
      wasm_v128_store(o2 + i, wasm_f32x4_mul(vb, vb));
    }
  }
  for (; i < n; i++) {
    const float va = a[i], vb = b[i];
    if (op == 0)
      o0[i] = __builtin_sqrtf(va * va + vb * vb);
    else if (op == 1)
      o0[i] = va + vb;
    else if (op == 2)
      o0[i] = va - vb;
    else if (op == 3) {
      const float m = (va + c[i]) * 0.5f, d = (va - c[i]) * 0.5f;
      const float q = __builtin_sqrtf(d * d + vb * vb);
      o0[i] = m + q;
      o1[i] = m - q;
    } else {
      o0[i] = va * va;
      o1[i] = va * vb;
      o2[i] = vb * vb;
    }
  }
}

/* box average over f x f blocks into a ceil(w/f) x ceil(h/f) plane (partial blocks average what they have) */
EXPORT(fb_downsample_box)
void fb_downsample_box(const float *src, float *dst, i32 w, i32 h, i32 f) {
  const i32 dw = (w + f - 1) / f, dh = (h + f - 1) / f;
  for (i32 by = 0; by < dh; by++) {
    float *d = dst + by * dw;
    for (i32 bx = 0; bx < dw; bx++) d[bx] = 0.0f;
    const i32 y0 = by * f;
    const i32 y1 = y0 + f < h ? y0 + f : h;
    for (i32 y = y0; y < y1; y++) {
      const float *s = src + y * w;
      for (i32 bx = 0; bx < dw; bx++) {
        const i32 x0 = bx * f;
        const i32 x1 = x0 + f < w ? x0 + f : w;
        float a = 0.0f;
        for (i32 x = x0; x < x1; x++) a += s[x];
        d[bx] += a;
      }
    }
    const i32 ny = y1 - y0;
    for (i32 bx = 0; bx < dw; bx++) {
      const i32 x0 = bx * f;
      const i32 nx = (x0 + f < w ? f : w - x0);
      d[bx] /= (float)(nx * ny);
    }
  }
}

/*
 * Rows y0..y1 of a feature plane into an interleaved (HWC) buffer: dst points at channel c of
 * row y0's first pixel, pixels `stride` floats apart, rows w * stride apart. At f = 1 the plane is
 * full resolution (src row y); else bilinear from the coarse dw-wide plane with the taps
 * precomputed by the caller (x: xi0, xi1, xt per full-res column; y: yi0, yi1, yt per row).
 */
EXPORT(fb_upsample_rows)
void fb_upsample_rows(const float *src, i32 dw, i32 f, i32 w, i32 y0, i32 y1, const i32 *xi0, const i32 *xi1, const float *xt, const i32 *yi0, const i32 *yi1, const float *yt, float *dst, i32 stride, float mul) {
  for (i32 y = y0; y < y1; y++) {
    float *o = dst + (y - y0) * w * stride;
    if (f == 1) {
      const float *s = src + y * w;
      for (i32 x = 0; x < w; x++, o += stride) *o = s[x] * mul;
      continue;
    }
    const float *r0 = src + yi0[y] * dw;
    const float *r1 = src + yi1[y] * dw;
    const float v = yt[y];
    for (i32 x = 0; x < w; x++, o += stride) {
      const i32 a = xi0[x], b = xi1[x];
      const float u = xt[x];
      const float top = r0[a] + (r0[b] - r0[a]) * u;
      const float bot = r1[a] + (r1[b] - r1[a]) * u;
      *o = (top + (bot - top) * v) * mul;
    }
  }
}

/*
 * Random-forest class probabilities of n rows of f features (row-major x). nodes: 4 words per
 * node {feature (i32), threshold (f32), left (i32), right (i32)}, node indices global over the
 * concatenated trees, leaves packed as {-1, -inf, self, self} (a row stays put once there; its
 * x[-1] read is in bounds: the caller keeps x off offset 0, and the value is never used);
 * roots[t], depth[t]: tree t's root and depth; value: classes floats per node. out (n x classes)
 * is overwritten: out = sum over trees in order of value * inv, each add rounded to float32 from
 * double like the TS (so the results are bit-identical).
 * Rows descend eight at a time in branch-free steps (x < threshold picks left, otherwise, NaN
 * included, right) until all eight are at leaves (at most depth[t] steps), in blocks of rows
 * whose features stay in L1.
 */
#define FEAT(k) const i32 f##k = nodes[4 * n##k]
#define STEP(k) n##k = nodes[4 * n##k + 2 + !(x##k[f##k] < thr[4 * n##k + 1])]

static inline void add_leaf(float *o, const float *v, i32 classes, double inv) {
  for (i32 c = 0; c < classes; c++) o[c] = (float)((double)o[c] + (double)v[c] * inv);
}

EXPORT(rf_predict)
void rf_predict(const float *x, i32 n, i32 f, const i32 *nodes, const i32 *roots, const i32 *depth, i32 trees, const float *value, i32 classes, double inv, float *out) {
  const float *thr = (const float *)nodes;
  for (i32 i = 0; i < n * classes; i++) out[i] = 0.0f;
  const i32 block = 96;
  for (i32 b0 = 0; b0 < n; b0 += block) {
    const i32 b1 = b0 + block < n ? b0 + block : n;
    for (i32 t = 0; t < trees; t++) {
      const i32 root = roots[t], d = depth[t];
      i32 i = b0;
      for (; i + 8 <= b1; i += 8) {
        const float *x0 = x + i * f, *x1 = x0 + f, *x2 = x1 + f, *x3 = x2 + f, *x4 = x3 + f, *x5 = x4 + f, *x6 = x5 + f, *x7 = x6 + f;
        i32 n0 = root, n1 = root, n2 = root, n3 = root, n4 = root, n5 = root, n6 = root, n7 = root;
        for (i32 s = 0; s < d; s++) {
          FEAT(0); FEAT(1); FEAT(2); FEAT(3); FEAT(4); FEAT(5); FEAT(6); FEAT(7);
          if ((f0 & f1 & f2 & f3 & f4 & f5 & f6 & f7) < 0) break; /* all eight at a leaf */
          STEP(0); STEP(1); STEP(2); STEP(3); STEP(4); STEP(5); STEP(6); STEP(7);
        }
        float *o = out + i * classes;
        add_leaf(o, value + n0 * classes, classes, inv);
        add_leaf(o + classes, value + n1 * classes, classes, inv);
        add_leaf(o + 2 * classes, value + n2 * classes, classes, inv);
        add_leaf(o + 3 * classes, value + n3 * classes, classes, inv);
        add_leaf(o + 4 * classes, value + n4 * classes, classes, inv);
        add_leaf(o + 5 * classes, value + n5 * classes, classes, inv);
        add_leaf(o + 6 * classes, value + n6 * classes, classes, inv);
        add_leaf(o + 7 * classes, value + n7 * classes, classes, inv);
      }
      for (; i < b1; i++) {
        const float *x0 = x + i * f;
        i32 n0 = root;
        for (i32 s = 0; s < d; s++) {
          FEAT(0);
          if (f0 < 0) break;
          STEP(0);
        }
        add_leaf(out + i * classes, value + n0 * classes, classes, inv);
      }
    }
  }
}

/*
 * fb_upsample_rows for the np planes of one pyramid level (srcs[p] scaled by muls[p] goes to
 * channel p from dst on), four planes per pass over a row: the taps are computed once per pixel
 * for four channels written side by side. Same arithmetic as fb_upsample_rows.
 */
static inline float bilerp(const float *s, i32 r0, i32 r1, i32 a, i32 b, float u, float v) {
  const float top = s[r0 + a] + (s[r0 + b] - s[r0 + a]) * u;
  const float bot = s[r1 + a] + (s[r1 + b] - s[r1 + a]) * u;
  return top + (bot - top) * v;
}

EXPORT(fb_upsample_level)
void fb_upsample_level(const i32 *srcs, const float *muls, i32 np, i32 dw, i32 f, i32 w, i32 y0, i32 y1, const i32 *xi0, const i32 *xi1, const float *xt, const i32 *yi0, const i32 *yi1, const float *yt, float *dst, i32 stride) {
  i32 p = 0;
  for (; p + 4 <= np; p += 4) {
    const float *s0 = (const float *)srcs[p], *s1 = (const float *)srcs[p + 1], *s2 = (const float *)srcs[p + 2], *s3 = (const float *)srcs[p + 3];
    const float m0 = muls[p], m1 = muls[p + 1], m2 = muls[p + 2], m3 = muls[p + 3];
    for (i32 y = y0; y < y1; y++) {
      float *o = dst + (y - y0) * w * stride + p;
      if (f == 1) {
        const i32 r = y * w;
        for (i32 x = 0; x < w; x++, o += stride) {
          o[0] = s0[r + x] * m0;
          o[1] = s1[r + x] * m1;
          o[2] = s2[r + x] * m2;
          o[3] = s3[r + x] * m3;
        }
        continue;
      }
      const i32 r0 = yi0[y] * dw, r1 = yi1[y] * dw;
      const float v = yt[y];
      for (i32 x = 0; x < w; x++, o += stride) {
        const i32 a = xi0[x], b = xi1[x];
        const float u = xt[x];
        o[0] = bilerp(s0, r0, r1, a, b, u, v) * m0;
        o[1] = bilerp(s1, r0, r1, a, b, u, v) * m1;
        o[2] = bilerp(s2, r0, r1, a, b, u, v) * m2;
        o[3] = bilerp(s3, r0, r1, a, b, u, v) * m3;
      }
    }
  }
  for (; p < np; p++) fb_upsample_rows((const float *)srcs[p], dw, f, w, y0, y1, xi0, xi1, xt, yi0, yi1, yt, dst + p, stride, muls[p]);
}

/*
 * An 8-bit image's n pixels (c interleaved channels) as float planes: v = byte * mul + add per
 * colour channel (the first `colors`, at most 3; planes[1 + k]), and their mean as luminance
 * (planes[0]); with colors = 0 the first channel is the luminance.
 */
EXPORT(fb_planes_u8)
void fb_planes_u8(const unsigned char *src, i32 n, i32 c, i32 colors, float mul, float add, const i32 *planes) {
  float *lum = (float *)planes[0];
  if (colors == 0) {
    for (i32 i = 0; i < n; i++) lum[i] = (float)src[i * c] * mul + add;
    return;
  }
  float *c0 = (float *)planes[1], *c1 = colors > 1 ? (float *)planes[2] : 0, *c2 = colors > 2 ? (float *)planes[3] : 0;
  const float inv = 1.0f / (float)colors;
  for (i32 i = 0; i < n; i++) {
    const unsigned char *p = src + i * c;
    const float a = (float)p[0] * mul + add;
    float s = a;
    c0[i] = a;
    if (colors > 1) {
      const float b = (float)p[1] * mul + add;
      c1[i] = b;
      s += b;
    }
    if (colors > 2) {
      const float d = (float)p[2] * mul + add;
      c2[i] = d;
      s += d;
    }
    lum[i] = colors == 3 ? s / 3.0f : s * inv;
  }
}

/* fb_planes_u8 for a float32 image */
EXPORT(fb_planes_f32)
void fb_planes_f32(const float *src, i32 n, i32 c, i32 colors, float mul, float add, const i32 *planes) {
  float *lum = (float *)planes[0];
  if (colors == 0) {
    for (i32 i = 0; i < n; i++) lum[i] = src[i * c] * mul + add;
    return;
  }
  float *c0 = (float *)planes[1], *c1 = colors > 1 ? (float *)planes[2] : 0, *c2 = colors > 2 ? (float *)planes[3] : 0;
  for (i32 i = 0; i < n; i++) {
    const float *p = src + i * c;
    const float a = p[0] * mul + add;
    float s = a;
    c0[i] = a;
    if (colors > 1) {
      const float b = p[1] * mul + add;
      c1[i] = b;
      s += b;
    }
    if (colors > 2) {
      const float d = p[2] * mul + add;
      c2[i] = d;
      s += d;
    }
    lum[i] = s / (float)colors;
  }
}
