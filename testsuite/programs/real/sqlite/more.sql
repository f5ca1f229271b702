-- Fed on stdin: bigger tables (sorter, index build), VACUUM INTO, ATTACH, .backup, .once, .import,
-- readfile/writefile/fsdir (the fileio extension), .system (no processes on WASI), .cd, .save.
.open /work/a.db
CREATE TABLE t(id INTEGER PRIMARY KEY, s TEXT, b BLOB);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 30000)
INSERT INTO t SELECT i, printf('%08d-%s', i * 7919 % 100003, substr('abcdefghijklmnopqrstuvwxyz', i % 26 + 1)), zeroblob(i % 50) FROM n;
CREATE INDEX t_s ON t(s);
SELECT count(*), sum(length(b)), min(s), max(s) FROM t;
SELECT s FROM t ORDER BY s DESC LIMIT 3;
VACUUM INTO '/work/copy.db';
ATTACH '/work/copy.db' AS c;
SELECT count(*) FROM c.t WHERE s GLOB '*xyz';
DETACH c;
.backup /work/backup.db
.mode csv
.headers on
.once /work/export.csv
SELECT id, s FROM t WHERE id % 1000 = 0;
CREATE TABLE imp(id, s);
.import --skip 1 /work/export.csv imp
SELECT count(*), sum(id) FROM imp;
.mode list
SELECT writefile('/work/sub_written.bin', x'00010203ff');
SELECT length(readfile('/work/sub_written.bin'));
SELECT name, length(data), (mode & 0xF000) AS kind FROM fsdir('/work') WHERE name NOT LIKE '%-journal' ORDER BY name;
.system echo hi
.shell ls
.cd /work
.print cd done
.tables
DELETE FROM t WHERE id > 1000;
VACUUM;
PRAGMA page_count;
.save /work/saved.db
.print end
