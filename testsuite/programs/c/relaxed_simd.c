// Relaxed SIMD (built with -mrelaxed-simd -O2): every relaxed instruction over inputs that
// include the cases where the allowed results differ (out-of-range swizzle indices, NaN
// and out-of-range truncations, masks that are not all-ones/all-zeros, signed zeros and
// NaN in min/max, q15mulr overflow, dot products with the top bit set). Kiln makes
// wasmtime's x86-64 choices, so the printed lanes must match `wasmtime run` exactly.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wasm_simd128.h>

static uint64_t seed = 0x2545f4914f6cdd1du;
static uint32_t next(void) {
  seed = seed * 6364136223846793005u + 1442695040888963407u;
  return (uint32_t)(seed >> 32);
}

static void show(const char *name, v128_t v) {
  uint32_t l[4];
  wasm_v128_store(l, v);
  printf("%-12s %08x %08x %08x %08x\n", name, l[0], l[1], l[2], l[3]);
}

static float pick_f32(uint32_t r) {
  static const float s[] = {NAN, -NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 3e9f, -3e9f,
                            2147483520.0f, 4294967040.0f, 1.5f, -1.5f, 1e30f, 1e-30f};
  if (r % 3 == 0)
    return s[(r >> 8) % (sizeof s / sizeof s[0])];
  return (float)((int32_t)r % 100000) / 7.0f;
}

int main(void) {
  for (int round = 0; round < 24; round++) {
    v128_t a = wasm_i32x4_make(next(), next(), next(), next());
    v128_t b = wasm_i32x4_make(next(), next(), next(), next());
    v128_t m = wasm_i32x4_make(next(), -1, 0, next() | 0x80808080u);
    v128_t f = wasm_f32x4_make(pick_f32(next()), pick_f32(next()), pick_f32(next()),
                               pick_f32(next()));
    v128_t g = wasm_f32x4_make(pick_f32(next()), pick_f32(next()), pick_f32(next()),
                               pick_f32(next()));
    v128_t k = wasm_f32x4_make(pick_f32(next()), 1.0f, -1.0f, pick_f32(next()));
    v128_t d = wasm_f64x2_make((double)pick_f32(next()) * 3.0, (double)pick_f32(next()));
    v128_t e = wasm_f64x2_make((double)pick_f32(next()), 0.1);
    v128_t c = wasm_f64x2_make(-0.3, (double)pick_f32(next()));
    printf("round %d\n", round);
    show("swizzle", __builtin_wasm_relaxed_swizzle_i8x16(a, b));
    show("trunc_s", __builtin_wasm_relaxed_trunc_s_i32x4_f32x4(f));
    show("trunc_u", __builtin_wasm_relaxed_trunc_u_i32x4_f32x4(f));
    show("trunc_s_z", __builtin_wasm_relaxed_trunc_s_zero_i32x4_f64x2(d));
    show("trunc_u_z", __builtin_wasm_relaxed_trunc_u_zero_i32x4_f64x2(d));
    show("madd32", __builtin_wasm_relaxed_madd_f32x4(f, k, g));
    show("nmadd32", __builtin_wasm_relaxed_nmadd_f32x4(f, k, g));
    show("madd64", __builtin_wasm_relaxed_madd_f64x2(d, e, c));
    show("nmadd64", __builtin_wasm_relaxed_nmadd_f64x2(d, e, c));
    show("lanesel8", __builtin_wasm_relaxed_laneselect_i8x16(a, b, m));
    show("lanesel16", __builtin_wasm_relaxed_laneselect_i16x8(a, b, m));
    show("lanesel32", __builtin_wasm_relaxed_laneselect_i32x4(a, b, m));
    show("lanesel64", __builtin_wasm_relaxed_laneselect_i64x2(a, b, m));
    show("min32", __builtin_wasm_relaxed_min_f32x4(f, g));
    show("max32", __builtin_wasm_relaxed_max_f32x4(f, g));
    show("min64", __builtin_wasm_relaxed_min_f64x2(d, e));
    show("max64", __builtin_wasm_relaxed_max_f64x2(d, e));
    show("q15mulr", __builtin_wasm_relaxed_q15mulr_s_i16x8(
                        a, wasm_v128_or(b, wasm_i16x8_splat((int16_t)0x8000))));
    show("q15min", __builtin_wasm_relaxed_q15mulr_s_i16x8(wasm_i16x8_splat((int16_t)0x8000),
                                                          wasm_i16x8_splat((int16_t)0x8000)));
    show("dot", __builtin_wasm_relaxed_dot_i8x16_i7x16_s_i16x8(a, b));
    show("dot_add", __builtin_wasm_relaxed_dot_i8x16_i7x16_add_s_i32x4(a, b, m));
  }
  return 0;
}
