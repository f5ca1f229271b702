/* binary-trees (Benchmarks Game algorithm) with malloc/free per node. */
#include <stdio.h>
#include <stdlib.h>

typedef struct node { struct node *l, *r; } node;

static node *make(int d) {
  node *n = malloc(sizeof *n);
  if (d > 0) { n->l = make(d - 1); n->r = make(d - 1); } else n->l = n->r = NULL;
  return n;
}
static long check(node *n) { return 1 + (n->l ? check(n->l) + check(n->r) : 0); }
static void del(node *n) { if (n->l) { del(n->l); del(n->r); } free(n); }

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 17;
  int maxd = n < 6 ? 6 : n;
  node *s = make(maxd + 1);
  printf("stretch tree of depth %d\t check: %ld\n", maxd + 1, check(s));
  del(s);
  node *longlived = make(maxd);
  for (int d = 4; d <= maxd; d += 2) {
    long iters = 1L << (maxd - d + 4), c = 0;
    for (long i = 0; i < iters; i++) { node *t = make(d); c += check(t); del(t); }
    printf("%ld\t trees of depth %d\t check: %ld\n", iters, d, c);
  }
  printf("long lived tree of depth %d\t check: %ld\n", maxd, check(longlived));
  del(longlived);
  return 0;
}
