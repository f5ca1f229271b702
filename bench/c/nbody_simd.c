/* n-body (Benchmarks Game algorithm) with 2-lane double vectors: positions in a
 * structure of arrays, the ten pair distances computed two at a time (GCC/Clang vector
 * extensions; the square root through the target's intrinsic: SSE2 `sqrtpd` or simd128
 * `f64x2.sqrt`). Same arithmetic order per pair as the scalar nbody.c. Prints energies. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#else
#error "needs simd128 or SSE2"
#endif

#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24
#define NB 5
#define NP (NB * (NB - 1) / 2)

typedef double f64x2 __attribute__((vector_size(16)));

static inline f64x2 vsqrt(f64x2 x) {
#if defined(__wasm_simd128__)
  return (f64x2)wasm_f64x2_sqrt((v128_t)x);
#else
  return (f64x2)_mm_sqrt_pd((__m128d)x);
#endif
}

static double x[NB], y[NB], z[NB], vx[NB], vy[NB], vz[NB], mass[NB];

static void init(void) {
  static const double b[NB][7] = {
    {0, 0, 0, 0, 0, 0, SOLAR_MASS},
    {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
     1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
     -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS},
    {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
     -2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
     2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS},
    {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
     2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
     -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS},
    {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
     2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
     -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS}};
  for (int i = 0; i < NB; i++) {
    x[i] = b[i][0]; y[i] = b[i][1]; z[i] = b[i][2];
    vx[i] = b[i][3]; vy[i] = b[i][4]; vz[i] = b[i][5]; mass[i] = b[i][6];
  }
}

static void advance(double dt) {
  double dx[NP], dy[NP], dz[NP], mag[NP];
  for (int i = 0, k = 0; i < NB; i++)
    for (int j = i + 1; j < NB; j++, k++) {
      dx[k] = x[i] - x[j]; dy[k] = y[i] - y[j]; dz[k] = z[i] - z[j];
    }
  const f64x2 vdt = {dt, dt};
  for (int k = 0; k < NP; k += 2) {
    f64x2 X, Y, Z;
    __builtin_memcpy(&X, dx + k, 16); __builtin_memcpy(&Y, dy + k, 16);
    __builtin_memcpy(&Z, dz + k, 16);
    f64x2 d2 = X * X + Y * Y + Z * Z;
    f64x2 m = vdt / (d2 * vsqrt(d2));
    __builtin_memcpy(mag + k, &m, 16);
  }
  for (int i = 0, k = 0; i < NB; i++)
    for (int j = i + 1; j < NB; j++, k++) {
      vx[i] -= dx[k] * mass[j] * mag[k]; vy[i] -= dy[k] * mass[j] * mag[k];
      vz[i] -= dz[k] * mass[j] * mag[k];
      vx[j] += dx[k] * mass[i] * mag[k]; vy[j] += dy[k] * mass[i] * mag[k];
      vz[j] += dz[k] * mass[i] * mag[k];
    }
  for (int i = 0; i < NB; i++) {
    x[i] += dt * vx[i]; y[i] += dt * vy[i]; z[i] += dt * vz[i];
  }
}

static double energy(void) {
  double e = 0.0;
  for (int i = 0; i < NB; i++) {
    e += 0.5 * mass[i] * (vx[i] * vx[i] + vy[i] * vy[i] + vz[i] * vz[i]);
    for (int j = i + 1; j < NB; j++) {
      double ddx = x[i] - x[j], ddy = y[i] - y[j], ddz = z[i] - z[j];
      e -= (mass[i] * mass[j]) / sqrt(ddx * ddx + ddy * ddy + ddz * ddz);
    }
  }
  return e;
}

static void offset_momentum(void) {
  double px = 0, py = 0, pz = 0;
  for (int i = 0; i < NB; i++) {
    px += vx[i] * mass[i]; py += vy[i] * mass[i]; pz += vz[i] * mass[i];
  }
  vx[0] = -px / SOLAR_MASS; vy[0] = -py / SOLAR_MASS; vz[0] = -pz / SOLAR_MASS;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 5000000;
  init();
  offset_momentum();
  printf("%.9f\n", energy());
  for (int i = 1; i <= n; i++) advance(0.01);
  printf("%.9f\n", energy());
  return 0;
}
