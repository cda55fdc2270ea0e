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

/* ------------------------------------------------------------------------------------------
 * Convolution (cross-correlation), NHWC, filter [kh, kw, cin, cout]:
 *   y[n, oy, ox, co] = sum_{a, b, ci} x[n, oy*sh + a*dh - pt, ox*sw + b*dw - pl, ci] * f[a, b, ci, co]
 * with taps outside x counting as zero; pt and pl may be negative (a crop) and oh, ow are the
 * caller's (any padding at the bottom/right follows from them). The input gradient of a conv
 * is this with dy as x and the flipped, channel-swapped filter (strided ones phase by phase,
 * conv2d-backprop-input.ts). Register-blocked: MR output positions of one row x NV vectors of
 * 4 output channels; per (tap, input channel) MR broadcasts of x and NV loads of f feed MR*NV
 * vector multiply-adds: the reduction over taps x cin is the inner loop.
 * ---------------------------------------------------------------------------------------- */

/* output positions per register tile (x 8 output channels: 2*CONV_MR vector accumulators) */
#define CONV_MR 4

typedef struct {
  i32 xRow;   /* x floats between filter rows (dh input rows) */
  i32 xTap;   /* x floats between filter columns (dw input columns) */
  i32 xPos;   /* x floats between neighbouring output positions (sw input columns) */
  i32 fRow;   /* f floats between filter rows */
  i32 fTap;   /* f floats between filter columns (cin * cout) */
  i32 yPos;   /* y floats between neighbouring output positions */
  i32 cin;    /* reduction channels (x's channels) */
  i32 cout;   /* output channels: f's and y's innermost stride */
} ConvGeom;

/*
 * MR positions x 4*NV output channels at y (positions yPos apart); x and f point at the first
 * valid filter row (arows of them) and at filter column blo of the first position; columns
 * [blo, bhi) valid for all MR positions.
 */
INLINE void conv_tile(const float *x, const float *f, i32 arows, i32 blo, i32 bhi, const ConvGeom *g, float *y, const i32 MR,
                      const i32 NV) {
  v128_t acc[CONV_MR][2];
  for (i32 i = 0; i < MR; i++)
    for (i32 j = 0; j < NV; j++) acc[i][j] = wasm_f32x4_splat(0.0f);
  const i32 cin = g->cin, cout = g->cout, xPos = g->xPos;
  (void)blo;
  for (i32 a = 0; a < arows; a++) {
    for (i32 b = blo; b < bhi; b++) {
      const float *xp = x + a * g->xRow + (b - blo) * g->xTap;
      const float *fp = f + a * g->fRow + (b - blo) * g->fTap;
      for (i32 ci = 0; ci < cin; ci++) {
        v128_t wv[2];
        for (i32 j = 0; j < NV; j++) wv[j] = wasm_v128_load(fp + 4 * j);
        for (i32 i = 0; i < MR; i++) {
          v128_t xv = wasm_v128_load32_splat(xp + i * xPos + ci);
          for (i32 j = 0; j < NV; j++) acc[i][j] = wasm_f32x4_add(acc[i][j], wasm_f32x4_mul(xv, wv[j]));
        }
        fp += cout;
      }
    }
  }
  for (i32 i = 0; i < MR; i++)
    for (i32 j = 0; j < NV; j++) wasm_v128_store(y + i * g->yPos + 4 * j, acc[i][j]);
}

/* One position, output channels [co, cout) one at a time (the cout % 4 tail). */
static void conv_point_scalar(const float *x, const float *f, i32 arows, i32 blo, i32 bhi, const ConvGeom *g, i32 co, i32 co1,
                              float *y) {
  const i32 cin = g->cin, cout = g->cout;
  for (i32 c = co; c < co1; c++) {
    float acc = 0.0f;
    for (i32 a = 0; a < arows; a++)
      for (i32 b = blo; b < bhi; b++) {
        const float *xp = x + a * g->xRow + (b - blo) * g->xTap;
        const float *fp = f + a * g->fRow + (b - blo) * g->fTap + c;
        for (i32 ci = 0; ci < cin; ci++) acc += xp[ci] * fp[ci * cout];
      }
    y[c] = acc;
  }
}

/* MR positions, output channels [co0, co1). */
INLINE void conv_positions(const float *x, const float *f, i32 arows, i32 blo, i32 bhi, const ConvGeom *g, float *y, i32 co0,
                           i32 co1, const i32 MR) {
  const i32 cout = co1;
  i32 co = co0;
  for (; co + 8 <= cout; co += 8) conv_tile(x, f + co, arows, blo, bhi, g, y + co, MR, 2);
  if (co + 4 <= cout) {
    conv_tile(x, f + co, arows, blo, bhi, g, y + co, MR, 1);
    co += 4;
  }
  if (co < cout)
    for (i32 i = 0; i < MR; i++) conv_point_scalar(x + i * g->xPos, f, arows, blo, bhi, g, co, cout, y + i * g->yPos);
}

EXPORT(conv2d_nhwc)
void conv2d_nhwc(const float *x, const float *f, float *y, i32 n, i32 h, i32 w, i32 cin, i32 oh, i32 ow, i32 cout, i32 kh,
                 i32 kw, i32 sh, i32 sw, i32 dh, i32 dwl, i32 pt, i32 pl) {
  ConvGeom g = {dh * w * cin, dwl * cin, sw * cin, kw * cin * cout, cin * cout, cout, cin, cout};
  /* output columns whose every filter column is inside x: [ilo, ihi) */
  i32 lo0, hi0, loK, hiK;
  valid_range(ow, w, sw, 0, pl, &lo0, &hi0);
  valid_range(ow, w, sw, (kw - 1) * dwl, pl, &loK, &hiK);
  i32 ilo = imax(lo0, loK), ihi = imin(hi0, hiK);
  if (ihi < ilo) ihi = ilo = 0;
  for (i32 b0 = 0; b0 < n; b0++) {
    for (i32 oy = 0; oy < oh; oy++) {
      float *yr = y + ((b0 * oh + oy) * ow) * cout;
      /* valid filter rows a: 0 <= oy*sh + a*dh - pt < h */
      const i32 base = oy * sh - pt;
      i32 alo = base >= 0 ? 0 : ceil_div(-base, dh);
      i32 ahi = imin(kh, ceil_div(h - base, dh));
      if (ahi <= alo) {
        __builtin_memset(yr, 0, (unsigned long)ow * cout * sizeof(float));
        continue;
      }
      const float *xr = x + ((b0 * h + base + alo * dh) * w) * cin;
      const float *fr = f + alo * g.fRow;
      const i32 arows = ahi - alo;
      for (i32 ox = 0; ox < ow;) {
        if (ox >= ilo && ox + CONV_MR <= ihi) {
          conv_positions(xr + (ox * sw - pl) * cin, fr, arows, 0, kw, &g, yr + ox * cout, 0, cout, CONV_MR);
          ox += CONV_MR;
          continue;
        }
        /* one position with its own valid filter columns */
        const i32 bb = ox * sw - pl;
        i32 blo = bb >= 0 ? 0 : ceil_div(-bb, dwl);
        i32 bhi = imin(kw, ceil_div(w - bb, dwl));
        if (bhi <= blo) {
          __builtin_memset(yr + ox * cout, 0, (unsigned long)cout * sizeof(float));
        } else {
          conv_positions(xr + (bb + blo * dwl) * cin, fr + blo * g.fTap, arows, blo, bhi, &g, yr + ox * cout, 0, cout, 1);
        }
        ox++;
      }
    }
  }
}

/*
 * The filter of the input-gradient conv, flipped and channel-swapped, packed in blocks of
 * `chunk` dx channels: block j (channels [c0, c0 + cb)) starts at c0 * kh * kw * cout and holds
 *   dst[block][kh-1-a][kw-1-b][co][ci - c0] = src[a, b, ci, co]
 * so that the weights one pass of conv2d_input_grad reads are contiguous.
 */
EXPORT(filter_flip_swap)
void filter_flip_swap(const float *src, float *dst, i32 kh, i32 kw, i32 cin, i32 cout, i32 chunk) {
  for (i32 c0 = 0; c0 < cin; c0 += chunk) {
    const i32 cb = imin(chunk, cin - c0);
    float *blk = dst + c0 * kh * kw * cout;
    for (i32 a = 0; a < kh; a++)
      for (i32 b = 0; b < kw; b++) {
        const float *s = src + (a * kw + b) * cin * cout;
        float *d = blk + ((kh - 1 - a) * kw + (kw - 1 - b)) * cout * cb;
        for (i32 ci = 0; ci < cb; ci++)
          for (i32 co = 0; co < cout; co++) d[co * cb + ci] = s[(c0 + ci) * cout + co];
      }
  }
}

/*
 * Input gradient of a conv (no dilation), NHWC:
 *   dx[n, ih, iw, ci] = sum over (a, b, co) with ih = oy*sh + a - pt, iw = ox*sw + b - pl of
 *                       dy[n, oy, ox, co] * f[a, b, ci, co]
 * computed from ft = filter_flip_swap(f) ([kh-1-a, kw-1-b, co, ci]) phase by phase: output
 * columns iw = rw + u*sw of one phase rw see the same filter columns b = (rw + pl) mod sw +
 * k*sw, and for ascending flipped taps dy's row and column advance by one, so each phase is a
 * stride-1 correlation over undilated dy and no work is spent on the zeros of a dilated dy.
 * ft is packed in blocks of coChunk dx channels (filter_flip_swap with the same chunk); one
 * pass over dy per block keeps the block's weights in cache.
 */
EXPORT(conv2d_input_grad)
void conv2d_input_grad(const float *dy, const float *ft, float *dx, i32 n, i32 h, i32 w, i32 cin, i32 oh, i32 ow, i32 cout,
                       i32 kh, i32 kw, i32 sh, i32 sw, i32 pt, i32 pl, i32 coChunk) {
  if (coChunk < 1) coChunk = cin;
  for (i32 cc = 0; cc < cin; cc += coChunk) {
    /* this pass: dx channels [cc, cc + cb), written as [c0, c1) of yr = dx + cc */
    const i32 cb = imin(coChunk, cin - cc);
    const i32 c0 = 0, c1 = cb;
    /* the conv run here: x = dy (cout channels), y = dx (cin channels), f = ft's block */
    ConvGeom g = {ow * cout, cout, cout, sh * kw * cout * cb, sw * cout * cb, sw * cin, cout, cb};
    const float *fblk = ft + cc * kh * kw * cout;
    for (i32 b0 = 0; b0 < n; b0++) {
      for (i32 ih = 0; ih < h; ih++) {
        float *yr = dx + ((b0 * h + ih) * w) * cin + cc;
        /* filter rows a = amax, amax - sh, ... with 0 <= (ih + pt - a) / sh < oh */
        const i32 t = ih + pt;
        i32 amax = imin(kh - 1, t);
        amax -= ((amax - t) % sh + sh) % sh; /* amax = t (mod sh) */
        i32 arows = 0, oy0 = 0;
        if (amax >= 0) {
          oy0 = (t - amax) / sh;
          /* a >= 0 and oy < oh */
          arows = imin(amax / sh + 1, oh - oy0);
        }
        if (arows <= 0 || oy0 >= oh) {
          for (i32 iw = 0; iw < w; iw++)
            for (i32 c = c0; c < c1; c++) yr[iw * cin + c] = 0.0f;
          continue;
        }
        const float *xr = dy + ((b0 * oh + oy0) * ow) * cout;
        const float *fr = fblk + (kh - 1 - amax) * kw * cout * cb;
        for (i32 rw = 0; rw < sw && rw < w; rw++) {
          const i32 tw = rw + pl;
          /* filter columns b = bmax, bmax - sw, ... ; ox = u + c0w + k for the k-th */
          i32 bmax = kw - 1;
          bmax -= ((bmax - tw) % sw + sw) % sw;
          const i32 nu = (w - rw + sw - 1) / sw;
          if (bmax < 0) {
            for (i32 u = 0; u < nu; u++)
              for (i32 c = c0; c < c1; c++) yr[(rw + u * sw) * cin + c] = 0.0f;
            continue;
          }
          const i32 nb = bmax / sw + 1;
          const i32 cw = (tw - bmax) / sw; /* may be negative */
          const float *fc = fr + (kw - 1 - bmax) * cout * cb;
          const i32 ulo = imax(0, -cw), uhi = imin(nu, ow - cw - nb + 1);
          for (i32 u = 0; u < nu;) {
            float *yp = yr + (rw + u * sw) * cin;
            if (u >= ulo && u + CONV_MR <= uhi) {
              conv_positions(xr + (u + cw) * cout, fc, arows, 0, nb, &g, yp, c0, c1, CONV_MR);
              u += CONV_MR;
              continue;
            }
            const i32 klo = imax(0, -(u + cw)), khi = imin(nb, ow - (u + cw));
            if (khi <= klo) {
              for (i32 c = c0; c < c1; c++) yp[c] = 0.0f;
            } else {
              conv_positions(xr + (u + cw + klo) * cout, fc + klo * g.fTap, arows, klo, khi, &g, yp, c0, c1, 1);
            }
            u++;
          }
        }
      }
    }
  }
}
