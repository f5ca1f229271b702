/* Start-up with a 64 MiB initialised data segment: `big` is defined in data64-gen.c (generated
 * by scripts/bench: 64 MiB of nonzero bytes). Reads one byte per MiB and prints their sum. */
#include <stdio.h>
extern unsigned char big[64 << 20];
int main(void) {
  unsigned sum = 0;
  for (unsigned i = 0; i < sizeof big; i += 1 << 20) sum += big[i];
  printf("%u\n", sum);
  return 0;
}
