/*
 * Maskwright's own wasm32 SIMD kernels for the training hot path (see ../README in
 * core/ml/wasm-kernels/native-kernels.ts for how they are loaded and registered).
 *
 * Built by scripts/build-wasm-kernels.mjs with Debian's clang + lld:
 *   clang --target=wasm32 -O3 -msimd128 -mbulk-memory -nostdlib -ffreestanding
 *         -Wl,--no-entry -Wl,--import-memory ...
 * The module imports the tfjs wasm backend's own memory, so tensors are read and written in
 * place (no copies). It must therefore own no memory of its own: no static data and no use of
 * the shadow stack (the build script checks both: the linker's stack would sit at the bottom
 * of the backend's heap). Everything here is plain scalar and v128 locals.
 *
 * All pointers are byte offsets into the imported memory; all tensors are float32, NHWC, and
 * filters [kh, kw, Cin, Cout] (tfjs's layout).
 */
#include <wasm_simd128.h>

typedef int i32;

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))

static i32 imin(i32 a, i32 b) { return a < b ? a : b; }
static i32 imax(i32 a, i32 b) { return a > b ? a : b; }

/* ceil(a / b) for b > 0 and any sign of a */
static i32 ceil_div(i32 a, i32 b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

/*
 * The range [lo, hi) of output positions o whose input position o*s + k*d - pad lies in
 * [0, len).
 */
static void valid_range(i32 outLen, i32 len, i32 s, i32 kd, i32 pad, i32 *lo, i32 *hi) {
  i32 l = ceil_div(pad - kd, s);
  i32 h = ceil_div(len + pad - kd, s);
  *lo = imax(0, l);
  *hi = imin(outLen, h);
  if (*hi < *lo) *hi = *lo;
}

/* ------------------------------------------------------------------------------------------
 * Weight gradient of conv2d:
 *   dw[a, b, ci, co] += sum_{n, oh, ow} x[n, oh*sh + a*dh - pt, ow*sw + b*dw - pl, ci] * dy[n, oh, ow, co]
 * For each filter tap this is C[Cin, Cout] += A^T B with A the (shifted, strided) input and B
 * dy, both [positions, channels]; the reduction over batch x H x W is the inner loop. The
 * output is register-blocked MR input channels x NV vectors of 4 output channels: per position
 * MR broadcasts of x and NV loads of dy feed MR*NV vector multiply-adds.
 * ---------------------------------------------------------------------------------------- */

/* One MR x (4*NV) tile of dw over `rows` output rows of `cols` positions each. */
INLINE void fgrad_tile(const float *x, i32 xRow, i32 xStep, const float *dy, i32 dyRow, i32 dyStep, i32 rows, i32 cols,
                       float *dw, i32 dwStride, const i32 MR, const i32 NV) {
  v128_t acc[4][4];
  for (i32 i = 0; i < MR; i++)
    for (i32 j = 0; j < NV; j++) acc[i][j] = wasm_f32x4_splat(0.0f);
  for (i32 r = 0; r < rows; r++) {
    const float *xp = x + r * xRow;
    const float *dp = dy + r * dyRow;
    for (i32 c = 0; c < cols; c++) {
      v128_t d[4];
      for (i32 j = 0; j < NV; j++) d[j] = wasm_v128_load(dp + 4 * j);
      for (i32 i = 0; i < MR; i++) {
        v128_t xv = wasm_v128_load32_splat(xp + i);
        for (i32 j = 0; j < NV; j++) acc[i][j] = wasm_f32x4_add(acc[i][j], wasm_f32x4_mul(xv, d[j]));
      }
      xp += xStep;
      dp += dyStep;
    }
  }
  for (i32 i = 0; i < MR; i++)
    for (i32 j = 0; j < NV; j++) {
      float *o = dw + i * dwStride + 4 * j;
      wasm_v128_store(o, wasm_f32x4_add(wasm_v128_load(o), acc[i][j]));
    }
}

/*
 * The same for output channels that do not fill a vector (Cout % 4): the vector runs over 4
 * input channels instead and dy is broadcast; NC (1..3) output channels.
 */
INLINE void fgrad_tile_t(const float *x, i32 xRow, i32 xStep, const float *dy, i32 dyRow, i32 dyStep, i32 rows, i32 cols,
                         float *dw, i32 dwStride, const i32 NC) {
  v128_t acc[3];
  for (i32 j = 0; j < NC; j++) acc[j] = wasm_f32x4_splat(0.0f);
  for (i32 r = 0; r < rows; r++) {
    const float *xp = x + r * xRow;
    const float *dp = dy + r * dyRow;
    for (i32 c = 0; c < cols; c++) {
      v128_t xv = wasm_v128_load(xp);
      for (i32 j = 0; j < NC; j++) acc[j] = wasm_f32x4_add(acc[j], wasm_f32x4_mul(xv, wasm_v128_load32_splat(dp + j)));
      xp += xStep;
      dp += dyStep;
    }
  }
  for (i32 j = 0; j < NC; j++) {
    dw[0 * dwStride + j] += wasm_f32x4_extract_lane(acc[j], 0);
    dw[1 * dwStride + j] += wasm_f32x4_extract_lane(acc[j], 1);
    dw[2 * dwStride + j] += wasm_f32x4_extract_lane(acc[j], 2);
    dw[3 * dwStride + j] += wasm_f32x4_extract_lane(acc[j], 3);
  }
}

/* Scalar tile: one input channel x one output channel (the last corner of odd shapes). */
static void fgrad_tile_s(const float *x, i32 xRow, i32 xStep, const float *dy, i32 dyRow, i32 dyStep, i32 rows, i32 cols,
                         float *dw) {
  float acc = 0.0f;
  for (i32 r = 0; r < rows; r++) {
    const float *xp = x + r * xRow;
    const float *dp = dy + r * dyRow;
    for (i32 c = 0; c < cols; c++) {
      acc += *xp * *dp;
      xp += xStep;
      dp += dyStep;
    }
  }
  *dw += acc;
}

#define FGRAD_ARGS xp, xRow, xStep, dp, dyRow, dyStep, rows, cols

static void fgrad_ci_block(const float *xp, i32 xRow, i32 xStep, const float *dy, i32 dyRow, i32 dyStep, i32 rows,
                           i32 cols, float *dwp, i32 cout, const i32 MR) {
  i32 co = 0;
  const float *dp;
  for (; co + 8 <= cout; co += 8) {
    dp = dy + co;
    fgrad_tile(FGRAD_ARGS, dwp + co, cout, MR, 2);
  }
  if (co + 4 <= cout) {
    dp = dy + co;
    fgrad_tile(FGRAD_ARGS, dwp + co, cout, MR, 1);
    co += 4;
  }
  (void)dp;
}

/*
 * dw [kh, kw, cin, cout] = the weight gradient (overwritten).
 * rowBlock: output rows per pass over dw (the working set of x and dy between passes).
 */
EXPORT(conv2d_filter_grad)
void conv2d_filter_grad(const float *x, const float *dy, float *dw, i32 n, i32 h, i32 w, i32 cin, i32 oh, i32 ow,
                        i32 cout, i32 kh, i32 kw, i32 sh, i32 sw, i32 dh, i32 dwl, i32 pt, i32 pl, i32 rowBlock) {
  __builtin_memset(dw, 0, (unsigned long)kh * kw * cin * cout * sizeof(float));
  const i32 xStep = sw * cin;
  const i32 dyStep = cout;
  const i32 xRow = sh * w * cin;
  const i32 dyRow = ow * cout;
  const i32 cout4 = cout & ~3;
  if (rowBlock < 1) rowBlock = 1;
  for (i32 b0 = 0; b0 < n; b0++) {
    for (i32 r0 = 0; r0 < oh; r0 += rowBlock) {
      const i32 r1 = imin(oh, r0 + rowBlock);
      for (i32 a = 0; a < kh; a++) {
        i32 rlo, rhi;
        valid_range(oh, h, sh, a * dh, pt, &rlo, &rhi);
        rlo = imax(rlo, r0);
        rhi = imin(rhi, r1);
        const i32 rows = rhi - rlo;
        if (rows <= 0) continue;
        for (i32 bb = 0; bb < kw; bb++) {
          i32 clo, chi;
          valid_range(ow, w, sw, bb * dwl, pl, &clo, &chi);
          const i32 cols = chi - clo;
          if (cols <= 0) continue;
          const i32 ih0 = rlo * sh + a * dh - pt;
          const i32 iw0 = clo * sw + bb * dwl - pl;
          const float *x0 = x + ((b0 * h + ih0) * w + iw0) * cin;
          const float *dy0 = dy + ((b0 * oh + rlo) * ow + clo) * cout;
          float *dwt = dw + (a * kw + bb) * cin * cout;
          i32 ci = 0;
          if (cout4 > 0) {
            for (; ci + 4 <= cin; ci += 4) fgrad_ci_block(x0 + ci, xRow, xStep, dy0, dyRow, dyStep, rows, cols, dwt + ci * cout, cout, 4);
            switch (cin - ci) {
              case 3: fgrad_ci_block(x0 + ci, xRow, xStep, dy0, dyRow, dyStep, rows, cols, dwt + ci * cout, cout, 3); break;
              case 2: fgrad_ci_block(x0 + ci, xRow, xStep, dy0, dyRow, dyStep, rows, cols, dwt + ci * cout, cout, 2); break;
              case 1: fgrad_ci_block(x0 + ci, xRow, xStep, dy0, dyRow, dyStep, rows, cols, dwt + ci * cout, cout, 1); break;
              default: break;
            }
          }
          if (cout4 < cout) {
            /* the last cout % 4 output channels */
            const i32 nc = cout - cout4;
            const float *dp = dy0 + cout4;
            ci = 0;
            for (; ci + 4 <= cin; ci += 4) {
              const float *xp = x0 + ci;
              float *o = dwt + ci * cout + cout4;
              switch (nc) {
                case 3: fgrad_tile_t(FGRAD_ARGS, o, cout, 3); break;
                case 2: fgrad_tile_t(FGRAD_ARGS, o, cout, 2); break;
                default: fgrad_tile_t(FGRAD_ARGS, o, cout, 1); break;
              }
            }
            for (; ci < cin; ci++)
              for (i32 co = cout4; co < cout; co++) {
                const float *xp = x0 + ci;
                const float *dq = dy0 + co;
                fgrad_tile_s(xp, xRow, xStep, dq, dyRow, dyStep, rows, cols, dwt + ci * cout + co);
              }
          }
        }
      }
    }
  }
}
