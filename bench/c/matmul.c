/* Dense double matrix multiply, i-k-j loop order, n x n. Prints a checksum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1024;
  double *a = malloc(sizeof(double) * n * n), *b = malloc(sizeof(double) * n * n),
         *c = calloc((size_t)n * n, sizeof(double));
  uint32_t s = 12345;
  for (int i = 0; i < n * n; i++) {
    s = s * 1103515245u + 12345u; a[i] = (double)((s >> 16) & 0x3ff) / 1024.0 - 0.5;
    s = s * 1103515245u + 12345u; b[i] = (double)((s >> 16) & 0x3ff) / 1024.0 - 0.5;
  }
  for (int rep = 0; rep < 2; rep++)
    for (int i = 0; i < n; i++)
      for (int k = 0; k < n; k++) {
        double aik = a[i * n + k];
        for (int j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
      }
  double sum = 0;
  for (int i = 0; i < n * n; i++) sum += c[i] * (double)((i % 7) + 1);
  printf("%.6f\n", sum);
  return 0;
}
