// 128-bit SIMD, through clang's wasm_simd128.h intrinsics and auto-vectorised loops
// (built with -msimd128 -O2). Every instruction family runs over pseudo-random vectors
// made at run time (so nothing is folded at compile time) and each family prints one hash
// of its results. Float lanes that are NaN are hashed as one value: NaN bit patterns are
// nondeterministic in wasm, everything else must match wasmtime bit for bit.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wasm_simd128.h>

#define N 64

static uint64_t seed = 0x9e3779b97f4a7c15u;
static uint32_t next(void) {
  seed = seed * 6364136223846793005u + 1442695040888963407u;
  return (uint32_t)(seed >> 32);
}

static v128_t ints[N];   // random bits
static v128_t small[N];  // shift counts, lane indices, 7-bit values
static v128_t floats[N]; // f32x4: finite values, halves, signed zeros, infinities
static v128_t doubles[N];

static uint64_t h;
static void mix64(uint64_t x) {
  h ^= x;
  h *= 0x100000001b3u;
  h ^= h >> 29;
}
static void mix(v128_t v) {
  mix64(wasm_i64x2_extract_lane(v, 0));
  mix64(wasm_i64x2_extract_lane(v, 1));
}
static void mix_f32(v128_t v) {
  float l[4];
  wasm_v128_store(l, v);
  for (int i = 0; i < 4; i++) {
    uint32_t b;
    memcpy(&b, &l[i], 4);
    mix64(isnan(l[i]) ? 0x7fc00000u : b);
  }
}
static void mix_f64(v128_t v) {
  double l[2];
  wasm_v128_store(l, v);
  for (int i = 0; i < 2; i++) {
    uint64_t b;
    memcpy(&b, &l[i], 8);
    mix64(isnan(l[i]) ? 0x7ff8000000000000u : b);
  }
}
static void report(const char *name) {
  printf("%-14s %016llx\n", name, (unsigned long long)h);
  h = 0xcbf29ce484222325u;
}

static float special_f32(uint32_t r) {
  static const float s[] = {0.5f, -0.5f, 1.5f, 2.5f, -2.5f, 0.0f, -0.0f, INFINITY,
                            -INFINITY, 3e9f, -3e9f, 1e-40f, 4294967040.0f, 65536.5f};
  if (r % 4 == 0)
    return s[(r >> 8) % (sizeof s / sizeof s[0])];
  return (float)((int32_t)r % 2000000) / 997.0f;
}

static void init(void) {
  for (int i = 0; i < N; i++) {
    ints[i] = wasm_i32x4_make(next(), next(), next(), next());
    small[i] = wasm_i32x4_make(next() & 0x1f1f1f1f, next() & 0x3f3f3f3f,
                               next() & 0x0f0f0f0f, next() & 0x7f7f7f7f);
    floats[i] = wasm_f32x4_make(special_f32(next()), special_f32(next()),
                                special_f32(next()), special_f32(next()));
    doubles[i] = wasm_f64x2_make((double)special_f32(next()) * 1.0000001,
                                 (double)special_f32(next()) * 3e5);
  }
}

#define EACH(i) for (int i = 0; i < N; i++)
#define A ints[i]
#define B ints[(i + 1) % N]
#define C ints[(i + 7) % N]
#define S small[i]
#define F floats[i]
#define G floats[(i + 3) % N]
#define D doubles[i]
#define E doubles[(i + 5) % N]

static unsigned char bytes[N * 16 + 64];

static void memory_ops(void) {
  EACH(i) wasm_v128_store(bytes + i * 16, A);
  EACH(i) {
    const unsigned char *p = bytes + (i * 13) % (N * 16 - 16);
    mix(wasm_v128_load(p));
    mix(wasm_i16x8_load8x8(p));
    mix(wasm_u16x8_load8x8(p));
    mix(wasm_i32x4_load16x4(p));
    mix(wasm_u32x4_load16x4(p));
    mix(wasm_i64x2_load32x2(p));
    mix(wasm_u64x2_load32x2(p));
    mix(wasm_v128_load8_splat(p));
    mix(wasm_v128_load16_splat(p));
    mix(wasm_v128_load32_splat(p));
    mix(wasm_v128_load64_splat(p));
    mix(wasm_v128_load32_zero(p));
    mix(wasm_v128_load64_zero(p));
    mix(wasm_v128_load8_lane(p, B, 5));
    mix(wasm_v128_load16_lane(p, B, 3));
    mix(wasm_v128_load32_lane(p, B, 2));
    mix(wasm_v128_load64_lane(p, B, 1));
  }
  EACH(i) {
    unsigned char *q = bytes + (i * 7) % (N * 16 - 16);
    wasm_v128_store8_lane(q, C, 9);
    wasm_v128_store16_lane(q + 1, C, 6);
    wasm_v128_store32_lane(q + 3, C, 1);
    wasm_v128_store64_lane(q + 5, C, 0);
  }
  EACH(i) mix(wasm_v128_load(bytes + i * 16));
  report("memory");
}

static void lanes(void) {
  EACH(i) {
    mix64(wasm_i8x16_extract_lane(A, 3) + wasm_u8x16_extract_lane(A, 15));
    mix64(wasm_i16x8_extract_lane(A, 7) + wasm_u16x8_extract_lane(A, 2));
    mix64(wasm_i32x4_extract_lane(A, 1) ^ wasm_i64x2_extract_lane(B, 1));
    mix(wasm_i8x16_replace_lane(A, 11, (int8_t)wasm_i32x4_extract_lane(B, 0)));
    mix(wasm_i16x8_replace_lane(A, 4, (int16_t)wasm_i32x4_extract_lane(B, 1)));
    mix(wasm_i32x4_replace_lane(A, 3, wasm_i32x4_extract_lane(B, 2)));
    mix(wasm_i64x2_replace_lane(A, 0, wasm_i64x2_extract_lane(B, 1)));
    mix_f32(wasm_f32x4_replace_lane(F, 2, wasm_f32x4_extract_lane(G, 1)));
    mix_f64(wasm_f64x2_replace_lane(D, 1, wasm_f64x2_extract_lane(E, 0)));
    mix(wasm_i8x16_splat((int8_t)wasm_i32x4_extract_lane(A, 0)));
    mix(wasm_i16x8_splat((int16_t)wasm_i32x4_extract_lane(A, 1)));
    mix(wasm_i32x4_splat(wasm_i32x4_extract_lane(A, 2)));
    mix(wasm_i64x2_splat(wasm_i64x2_extract_lane(A, 1)));
    mix_f32(wasm_f32x4_splat(wasm_f32x4_extract_lane(F, 3)));
    mix_f64(wasm_f64x2_splat(wasm_f64x2_extract_lane(D, 0)));
    mix(wasm_i8x16_shuffle(A, B, 0, 17, 2, 19, 4, 21, 31, 30, 8, 9, 10, 11, 16, 16, 1, 0));
    mix(wasm_i32x4_shuffle(A, B, 3, 6, 1, 4));
    mix(wasm_i8x16_swizzle(A, S));
    mix(wasm_i8x16_swizzle(A, B));
    mix(wasm_i8x16_const(1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12, 13, -14, 15, -16));
  }
  report("lanes");
}

static void integer_ops(void) {
  EACH(i) {
    mix(wasm_i8x16_add(A, B)), mix(wasm_i16x8_add(A, B)), mix(wasm_i32x4_add(A, B));
    mix(wasm_i64x2_add(A, B)), mix(wasm_i8x16_sub(A, B)), mix(wasm_i16x8_sub(A, B));
    mix(wasm_i32x4_sub(A, B)), mix(wasm_i64x2_sub(A, B));
    mix(wasm_i16x8_mul(A, B)), mix(wasm_i32x4_mul(A, B)), mix(wasm_i64x2_mul(A, B));
    mix(wasm_i8x16_add_sat(A, B)), mix(wasm_u8x16_add_sat(A, B));
    mix(wasm_i16x8_add_sat(A, B)), mix(wasm_u16x8_add_sat(A, B));
    mix(wasm_i8x16_sub_sat(A, B)), mix(wasm_u8x16_sub_sat(A, B));
    mix(wasm_i16x8_sub_sat(A, B)), mix(wasm_u16x8_sub_sat(A, B));
    mix(wasm_i8x16_min(A, B)), mix(wasm_u8x16_min(A, B)), mix(wasm_i8x16_max(A, B));
    mix(wasm_u8x16_max(A, B)), mix(wasm_i16x8_min(A, B)), mix(wasm_u16x8_min(A, B));
    mix(wasm_i16x8_max(A, B)), mix(wasm_u16x8_max(A, B)), mix(wasm_i32x4_min(A, B));
    mix(wasm_u32x4_min(A, B)), mix(wasm_i32x4_max(A, B)), mix(wasm_u32x4_max(A, B));
    mix(wasm_u8x16_avgr(A, B)), mix(wasm_u16x8_avgr(A, B));
    mix(wasm_i8x16_abs(A)), mix(wasm_i16x8_abs(A)), mix(wasm_i32x4_abs(A));
    mix(wasm_i64x2_abs(A)), mix(wasm_i8x16_neg(A)), mix(wasm_i16x8_neg(A));
    mix(wasm_i32x4_neg(A)), mix(wasm_i64x2_neg(A)), mix(wasm_i8x16_popcnt(A));
    mix(wasm_i16x8_q15mulr_sat(A, B));
    mix(wasm_i16x8_q15mulr_sat(wasm_i16x8_splat(-32768), wasm_i16x8_splat(-32768)));
  }
  report("integer");
}

static void compare_ops(void) {
  EACH(i) {
    // Equal lanes in some vectors: compare A with a mix of A and B.
    v128_t X = wasm_v128_bitselect(A, B, wasm_i32x4_make(-1, 0, 0xffff, 0xff00ff));
    mix(wasm_i8x16_eq(A, X)), mix(wasm_i8x16_ne(A, X)), mix(wasm_i8x16_lt(A, X));
    mix(wasm_u8x16_lt(A, X)), mix(wasm_i8x16_gt(A, X)), mix(wasm_u8x16_gt(A, X));
    mix(wasm_i8x16_le(A, X)), mix(wasm_u8x16_le(A, X)), mix(wasm_i8x16_ge(A, X));
    mix(wasm_u8x16_ge(A, X)), mix(wasm_i16x8_eq(A, X)), mix(wasm_i16x8_ne(A, X));
    mix(wasm_i16x8_lt(A, X)), mix(wasm_u16x8_lt(A, X)), mix(wasm_i16x8_gt(A, X));
    mix(wasm_u16x8_gt(A, X)), mix(wasm_i16x8_le(A, X)), mix(wasm_u16x8_le(A, X));
    mix(wasm_i16x8_ge(A, X)), mix(wasm_u16x8_ge(A, X)), mix(wasm_i32x4_eq(A, X));
    mix(wasm_i32x4_ne(A, X)), mix(wasm_i32x4_lt(A, X)), mix(wasm_u32x4_lt(A, X));
    mix(wasm_i32x4_gt(A, X)), mix(wasm_u32x4_gt(A, X)), mix(wasm_i32x4_le(A, X));
    mix(wasm_u32x4_le(A, X)), mix(wasm_i32x4_ge(A, X)), mix(wasm_u32x4_ge(A, X));
    mix(wasm_i64x2_eq(A, X)), mix(wasm_i64x2_ne(A, X)), mix(wasm_i64x2_lt(A, X));
    mix(wasm_i64x2_gt(A, X)), mix(wasm_i64x2_le(A, X)), mix(wasm_i64x2_ge(A, X));
    mix(wasm_f32x4_eq(F, G)), mix(wasm_f32x4_ne(F, G)), mix(wasm_f32x4_lt(F, G));
    mix(wasm_f32x4_gt(F, G)), mix(wasm_f32x4_le(F, G)), mix(wasm_f32x4_ge(F, G));
    mix(wasm_f64x2_eq(D, E)), mix(wasm_f64x2_ne(D, E)), mix(wasm_f64x2_lt(D, E));
    mix(wasm_f64x2_gt(D, E)), mix(wasm_f64x2_le(D, E)), mix(wasm_f64x2_ge(D, E));
    v128_t m = wasm_i8x16_gt(A, X);
    mix64(wasm_i8x16_bitmask(A) | (uint64_t)wasm_i16x8_bitmask(A) << 16 |
          (uint64_t)wasm_i32x4_bitmask(A) << 24 | (uint64_t)wasm_i64x2_bitmask(A) << 28);
    mix64(wasm_v128_any_true(m) | wasm_i8x16_all_true(A) << 1 | wasm_i16x8_all_true(A) << 2 |
          wasm_i32x4_all_true(A) << 3 | wasm_i64x2_all_true(A) << 4 |
          wasm_v128_any_true(wasm_i8x16_splat(0)) << 5 |
          wasm_i8x16_all_true(wasm_i8x16_splat(1)) << 6);
  }
  report("compare");
}

static void bitwise_ops(void) {
  EACH(i) {
    int n = wasm_i32x4_extract_lane(S, 0) & 0xff; // also counts past the lane width
    mix(wasm_i8x16_shl(A, n)), mix(wasm_i16x8_shl(A, n)), mix(wasm_i32x4_shl(A, n));
    mix(wasm_i64x2_shl(A, n)), mix(wasm_i8x16_shr(A, n)), mix(wasm_u8x16_shr(A, n));
    mix(wasm_i16x8_shr(A, n)), mix(wasm_u16x8_shr(A, n)), mix(wasm_i32x4_shr(A, n));
    mix(wasm_u32x4_shr(A, n)), mix(wasm_i64x2_shr(A, n)), mix(wasm_u64x2_shr(A, n));
    mix(wasm_i32x4_shl(A, 3)), mix(wasm_u16x8_shr(A, 15));
    mix(wasm_v128_and(A, B)), mix(wasm_v128_or(A, B)), mix(wasm_v128_xor(A, B));
    mix(wasm_v128_andnot(A, B)), mix(wasm_v128_not(A)), mix(wasm_v128_bitselect(A, B, C));
  }
  report("bitwise");
}

static void float_ops(void) {
  EACH(i) {
    mix_f32(wasm_f32x4_add(F, G)), mix_f32(wasm_f32x4_sub(F, G));
    mix_f32(wasm_f32x4_mul(F, G)), mix_f32(wasm_f32x4_div(F, G));
    mix_f32(wasm_f32x4_min(F, G)), mix_f32(wasm_f32x4_max(F, G));
    mix_f32(wasm_f32x4_pmin(F, G)), mix_f32(wasm_f32x4_pmax(F, G));
    mix_f32(wasm_f32x4_abs(F)), mix_f32(wasm_f32x4_neg(F)), mix_f32(wasm_f32x4_sqrt(F));
    mix_f32(wasm_f32x4_ceil(F)), mix_f32(wasm_f32x4_floor(F));
    mix_f32(wasm_f32x4_trunc(F)), mix_f32(wasm_f32x4_nearest(F));
    mix_f64(wasm_f64x2_add(D, E)), mix_f64(wasm_f64x2_sub(D, E));
    mix_f64(wasm_f64x2_mul(D, E)), mix_f64(wasm_f64x2_div(D, E));
    mix_f64(wasm_f64x2_min(D, E)), mix_f64(wasm_f64x2_max(D, E));
    mix_f64(wasm_f64x2_pmin(D, E)), mix_f64(wasm_f64x2_pmax(D, E));
    mix_f64(wasm_f64x2_abs(D)), mix_f64(wasm_f64x2_neg(D)), mix_f64(wasm_f64x2_sqrt(D));
    mix_f64(wasm_f64x2_ceil(D)), mix_f64(wasm_f64x2_floor(D));
    mix_f64(wasm_f64x2_trunc(D)), mix_f64(wasm_f64x2_nearest(D));
  }
  report("float");
}

static void conversions(void) {
  EACH(i) {
    mix(wasm_i32x4_trunc_sat_f32x4(F)), mix(wasm_u32x4_trunc_sat_f32x4(F));
    mix(wasm_i32x4_trunc_sat_f64x2_zero(D)), mix(wasm_u32x4_trunc_sat_f64x2_zero(D));
    mix_f32(wasm_f32x4_convert_i32x4(A)), mix_f32(wasm_f32x4_convert_u32x4(A));
    mix_f64(wasm_f64x2_convert_low_i32x4(A)), mix_f64(wasm_f64x2_convert_low_u32x4(A));
    mix_f32(wasm_f32x4_demote_f64x2_zero(D)), mix_f64(wasm_f64x2_promote_low_f32x4(F));
    mix(wasm_i8x16_narrow_i16x8(A, B)), mix(wasm_u8x16_narrow_i16x8(A, B));
    mix(wasm_i16x8_narrow_i32x4(A, B)), mix(wasm_u16x8_narrow_i32x4(A, B));
    mix(wasm_i16x8_extend_low_i8x16(A)), mix(wasm_i16x8_extend_high_i8x16(A));
    mix(wasm_u16x8_extend_low_u8x16(A)), mix(wasm_u16x8_extend_high_u8x16(A));
    mix(wasm_i32x4_extend_low_i16x8(A)), mix(wasm_i32x4_extend_high_i16x8(A));
    mix(wasm_u32x4_extend_low_u16x8(A)), mix(wasm_u32x4_extend_high_u16x8(A));
    mix(wasm_i64x2_extend_low_i32x4(A)), mix(wasm_i64x2_extend_high_i32x4(A));
    mix(wasm_u64x2_extend_low_u32x4(A)), mix(wasm_u64x2_extend_high_u32x4(A));
  }
  report("conversions");
}

static void extended_ops(void) {
  EACH(i) {
    mix(wasm_i16x8_extadd_pairwise_i8x16(A)), mix(wasm_u16x8_extadd_pairwise_u8x16(A));
    mix(wasm_i32x4_extadd_pairwise_i16x8(A)), mix(wasm_u32x4_extadd_pairwise_u16x8(A));
    mix(wasm_i16x8_extmul_low_i8x16(A, B)), mix(wasm_i16x8_extmul_high_i8x16(A, B));
    mix(wasm_u16x8_extmul_low_u8x16(A, B)), mix(wasm_u16x8_extmul_high_u8x16(A, B));
    mix(wasm_i32x4_extmul_low_i16x8(A, B)), mix(wasm_i32x4_extmul_high_i16x8(A, B));
    mix(wasm_u32x4_extmul_low_u16x8(A, B)), mix(wasm_u32x4_extmul_high_u16x8(A, B));
    mix(wasm_i64x2_extmul_low_i32x4(A, B)), mix(wasm_i64x2_extmul_high_i32x4(A, B));
    mix(wasm_u64x2_extmul_low_u32x4(A, B)), mix(wasm_u64x2_extmul_high_u32x4(A, B));
    mix(wasm_i32x4_dot_i16x8(A, B));
  }
  report("extended");
}

// Plain loops that clang vectorises at -O2 with -msimd128.
#define LEN 4099
static uint8_t buf[LEN];
static float xs[LEN], ys[LEN];
static int32_t ws[LEN];

__attribute__((noinline)) static uint32_t checksum(const uint8_t *p, int n) {
  uint32_t a = 0, b = 0;
  for (int i = 0; i < n; i++)
    a += p[i], b += (uint32_t)p[i] * (uint32_t)(n - i);
  return a ^ (b << 7);
}

__attribute__((noinline)) static void histogram(const uint8_t *p, int n, uint32_t *hist) {
  for (int i = 0; i < n; i++)
    hist[p[i]]++;
}

__attribute__((noinline)) static float dot(const float *x, const float *y, int n) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int i = 0;
  for (; i + 4 <= n; i += 4)
    s0 += x[i] * y[i], s1 += x[i + 1] * y[i + 1], s2 += x[i + 2] * y[i + 2],
        s3 += x[i + 3] * y[i + 3];
  for (; i < n; i++)
    s0 += x[i] * y[i];
  return (s0 + s1) + (s2 + s3);
}

__attribute__((noinline)) static void saxpy(float a, const float *x, float *y, int n) {
  for (int i = 0; i < n; i++)
    y[i] = a * x[i] + y[i];
}

__attribute__((noinline)) static int64_t clamp_sum(const int32_t *w, int n) {
  int64_t s = 0;
  for (int i = 0; i < n; i++) {
    int32_t v = w[i] < -1000 ? -1000 : w[i] > 1000 ? 1000 : w[i];
    s += v;
  }
  return s;
}

__attribute__((noinline)) static void to_upper(uint8_t *p, int n) {
  for (int i = 0; i < n; i++)
    p[i] = (p[i] >= 'a' && p[i] <= 'z') ? p[i] - 32 : p[i];
}

static void vectorised_loops(void) {
  for (int i = 0; i < LEN; i++) {
    buf[i] = (uint8_t)next();
    xs[i] = (float)((int32_t)next() % 1000) / 64.0f;
    ys[i] = (float)((int32_t)next() % 1000) / 128.0f;
    ws[i] = (int32_t)next() % 3000;
  }
  printf("checksum       %08x %08x\n", checksum(buf, LEN), checksum(buf + 1, LEN - 3));
  uint32_t hist[256] = {0};
  histogram(buf, LEN, hist);
  uint64_t hh = 0;
  for (int i = 0; i < 256; i++)
    hh = hh * 31 + hist[i];
  printf("histogram      %016llx (bucket 0: %u)\n", (unsigned long long)hh, hist[0]);
  float d = dot(xs, ys, LEN);
  uint32_t db;
  memcpy(&db, &d, 4);
  printf("dot            %08x (%.3f)\n", db, d);
  saxpy(0.75f, xs, ys, LEN);
  printf("saxpy          %08x\n", checksum((const uint8_t *)ys, sizeof ys));
  printf("clamp_sum      %lld\n", (long long)clamp_sum(ws, LEN));
  to_upper(buf, LEN);
  printf("to_upper       %08x\n", checksum(buf, LEN));
}

int main(void) {
  h = 0xcbf29ce484222325u;
  init();
  memory_ops();
  lanes();
  integer_ops();
  compare_ops();
  bitwise_ops();
  float_ops();
  conversions();
  extended_ops();
  vectorised_loops();
  return 0;
}
