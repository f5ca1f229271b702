/* Four-way SHA-256: four independent messages hashed at once, one per lane of a 4 x u32
 * vector (the multi-buffer technique of e.g. Bitcoin Core's SSE4.1 SHA-256 for Merkle
 * trees), written with GCC/Clang vector extensions, which clang lowers to SSE2 on x86-64
 * and to simd128 on wasm32. The four messages are four xorshift streams, hashed in
 * 64 KiB chunks; prints the four digests (each equals the plain SHA-256 of its stream). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint32_t u32x4 __attribute__((vector_size(16)));

static const uint32_t K[64] = {
  0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,
  0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,
  0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,
  0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,
  0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,
  0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,
  0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,
  0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2};
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static inline uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One 64-byte block of each of the four messages. */
static void block4(u32x4 h[8], const uint8_t *p0, const uint8_t *p1, const uint8_t *p2,
                   const uint8_t *p3) {
  u32x4 w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (u32x4){be32(p0 + 4 * i), be32(p1 + 4 * i), be32(p2 + 4 * i), be32(p3 + 4 * i)};
  for (int i = 16; i < 64; i++) {
    u32x4 s0 = ROR(w[i-15], 7) ^ ROR(w[i-15], 18) ^ (w[i-15] >> 3);
    u32x4 s1 = ROR(w[i-2], 17) ^ ROR(w[i-2], 19) ^ (w[i-2] >> 10);
    w[i] = w[i-16] + s0 + w[i-7] + s1;
  }
  u32x4 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; i++) {
    u32x4 S1 = ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25);
    u32x4 ch = (e & f) ^ (~e & g);
    u32x4 t1 = hh + S1 + ch + K[i] + w[i];
    u32x4 S0 = ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22);
    u32x4 mj = (a & b) ^ (a & c) ^ (b & c);
    u32x4 t2 = S0 + mj;
    hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

int main(int argc, char **argv) {
  int mib = argc > 1 ? atoi(argv[1]) : 32; /* per message */
  enum { CH = 65536, L = 4 };
  static uint8_t chunk[L][CH];
  uint64_t x[L] = {88172645463325252ULL, 0x9e3779b97f4a7c15ULL, 0xdeadbeefcafebabeULL,
                   0x0123456789abcdefULL};
  static const uint32_t iv[8] = {0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,
                                 0x510e527f,0x9b05688c,0x1f83d9ab,0x5be0cd19};
  u32x4 h[8];
  for (int i = 0; i < 8; i++) h[i] = (u32x4){iv[i], iv[i], iv[i], iv[i]};
  for (int m = 0; m < mib * 16; m++) {
    for (int l = 0; l < L; l++)
      for (int i = 0; i < CH; i += 8) {
        x[l] ^= x[l] << 13; x[l] ^= x[l] >> 7; x[l] ^= x[l] << 17;
        memcpy(chunk[l] + i, &x[l], 8);
      }
    for (int i = 0; i < CH; i += 64)
      block4(h, chunk[0] + i, chunk[1] + i, chunk[2] + i, chunk[3] + i);
  }
  /* All four messages have the same length, a whole number of blocks: one padding block. */
  uint64_t bits = (uint64_t)mib * 16 * CH * 8;
  uint8_t pad[64] = {0x80};
  for (int i = 0; i < 8; i++) pad[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
  block4(h, pad, pad, pad, pad);
  for (int l = 0; l < L; l++) {
    for (int i = 0; i < 8; i++) printf("%08x", h[i][l]);
    printf("\n");
  }
  return 0;
}
