/* SQLite (amalgamation from the libsqlite3-sys crate) on an in-memory database:
 * bulk inserts in a transaction, an index, point and range queries, aggregates, an update
 * and a join. Prints integer results only, so every target must agree exactly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sqlite3.h"

static sqlite3 *db;
static void die(const char *what) { printf("sqlite error in %s: %s\n", what, sqlite3_errmsg(db)); exit(1); }
static void exec(const char *sql) { if (sqlite3_exec(db, sql, 0, 0, 0) != SQLITE_OK) die(sql); }
static sqlite3_stmt *prep(const char *sql) {
  sqlite3_stmt *s; if (sqlite3_prepare_v2(db, sql, -1, &s, 0) != SQLITE_OK) die(sql); return s;
}
static uint64_t mix(uint64_t h, int64_t v) { return (h ^ (uint64_t)v) * 1099511628211ULL; }

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 100000;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) die("open");
  exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;");
  exec("CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c INTEGER)");
  exec("CREATE TABLE u(k INTEGER PRIMARY KEY, name TEXT)");
  exec("BEGIN");
  sqlite3_stmt *ins = prep("INSERT INTO t(a, b, c) VALUES(?, ?, ?)");
  uint32_t s = 12345;
  char buf[64];
  for (int i = 0; i < n; i++) {
    s = s * 1103515245u + 12345u;
    int a = (s >> 8) % 100000;
    snprintf(buf, sizeof buf, "name-%u-%d", s % 9973, i % 17);
    sqlite3_bind_int(ins, 1, a);
    sqlite3_bind_text(ins, 2, buf, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(ins, 3, (int)(s % 1000));
    if (sqlite3_step(ins) != SQLITE_DONE) die("insert");
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  sqlite3_stmt *insu = prep("INSERT INTO u(k, name) VALUES(?, ?)");
  for (int k = 0; k < 1000; k++) {
    snprintf(buf, sizeof buf, "group-%d", k * 7 % 1000);
    sqlite3_bind_int(insu, 1, k); sqlite3_bind_text(insu, 2, buf, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(insu) != SQLITE_DONE) die("insert u");
    sqlite3_reset(insu);
  }
  sqlite3_finalize(insu);
  exec("COMMIT");
  exec("CREATE INDEX ta ON t(a)");

  uint64_t h = 1469598103934665603ULL;
  sqlite3_stmt *q = prep("SELECT count(*), sum(c) FROM t WHERE a BETWEEN ? AND ?");
  for (int i = 0; i < 20000; i++) {
    s = s * 1103515245u + 12345u;
    int lo = (s >> 8) % 100000;
    sqlite3_bind_int(q, 1, lo); sqlite3_bind_int(q, 2, lo + 50);
    if (sqlite3_step(q) != SQLITE_ROW) die("range");
    h = mix(h, sqlite3_column_int64(q, 0)); h = mix(h, sqlite3_column_int64(q, 1));
    sqlite3_reset(q);
  }
  sqlite3_finalize(q);
  q = prep("SELECT c % 10, count(*), sum(a), max(length(b)) FROM t GROUP BY 1 ORDER BY 1");
  while (sqlite3_step(q) == SQLITE_ROW)
    for (int c = 0; c < 4; c++) h = mix(h, sqlite3_column_int64(q, c));
  sqlite3_finalize(q);
  exec("UPDATE t SET c = c + 1 WHERE a % 3 = 0");
  q = prep("SELECT u.name, count(*), sum(t.a) FROM t JOIN u ON u.k = t.c GROUP BY u.name "
           "ORDER BY 2 DESC, 1 LIMIT 50");
  while (sqlite3_step(q) == SQLITE_ROW) {
    const unsigned char *nm = sqlite3_column_text(q, 0);
    for (; *nm; nm++) h = mix(h, *nm);
    h = mix(h, sqlite3_column_int64(q, 1)); h = mix(h, sqlite3_column_int64(q, 2));
  }
  sqlite3_finalize(q);
  q = prep("SELECT count(*) FROM t WHERE b LIKE '%-1%-3'");
  if (sqlite3_step(q) != SQLITE_ROW) die("like");
  h = mix(h, sqlite3_column_int64(q, 0));
  sqlite3_finalize(q);
  sqlite3_close(db);
  printf("sqlite %s rows=%d hash=%016llx\n", sqlite3_libversion(), n, (unsigned long long)h);
  return 0;
}
