# WASI file-system behaviour seen through CPython's os module: results and errno names must be
# the same as under wasmtime (st_dev/st_ino left out: wasmtime reports dev 1 and a hashed ino).
import os, errno, stat, sys
def t(label, f):
    try:
        r = f()
        print(label, 'ok', r)
    except OSError as e:
        print(label, 'err', errno.errorcode.get(e.errno, e.errno))
    except Exception as e:
        print(label, 'exc', type(e).__name__, e)
W = '/work'
t('mkdir', lambda: os.mkdir(W + '/d'))
t('mkdir again', lambda: os.mkdir(W + '/d'))
t('write', lambda: open(W + '/d/f.txt', 'w').write('hello world\n'))
t('excl', lambda: os.open(W + '/d/f.txt', os.O_CREAT | os.O_EXCL | os.O_WRONLY))
def app():
    fd = os.open(W + '/d/f.txt', os.O_WRONLY | os.O_APPEND); os.write(fd, b'more\n'); os.lseek(fd, 0, 0); os.write(fd, b'end\n'); os.close(fd)
    return open(W + '/d/f.txt').read()
t('append', app)
def prw():
    fd = os.open(W + '/d/f.txt', os.O_RDWR); n = os.pwrite(fd, b'HELLO', 0); s = os.pread(fd, 11, 0); p = os.lseek(fd, 0, 1); os.close(fd); return n, s, p
t('pread/pwrite', prw)
def seekpast():
    fd = os.open(W + '/d/g.bin', os.O_CREAT | os.O_RDWR); os.lseek(fd, 10000, 0); os.write(fd, b'x'); sz = os.fstat(fd).st_size; os.ftruncate(fd, 50); sz2 = os.fstat(fd).st_size; os.fsync(fd); os.close(fd); return sz, sz2
t('seek past end', seekpast)
t('truncate', lambda: (os.truncate(W + '/d/g.bin', 7), os.stat(W + '/d/g.bin').st_size))
t('symlink in', lambda: os.symlink('f.txt', W + '/d/lnk'))
t('readlink', lambda: os.readlink(W + '/d/lnk'))
t('read via link', lambda: open(W + '/d/lnk').read())
t('lstat', lambda: stat.S_ISLNK(os.lstat(W + '/d/lnk').st_mode))
t('stat', lambda: stat.S_ISREG(os.stat(W + '/d/lnk').st_mode))
t('symlink out abs', lambda: os.symlink('/etc/passwd', W + '/d/out'))
t('open out abs', lambda: open(W + '/d/out').read())
t('symlink out rel', lambda: os.symlink('../../..', W + '/d/up'))
t('open via up', lambda: os.listdir(W + '/d/up'))
t('hardlink', lambda: os.link(W + '/d/f.txt', W + '/d/h.txt'))
t('nlink', lambda: os.stat(W + '/d/f.txt').st_nlink)
t('utime', lambda: (os.utime(W + '/d/f.txt', (1000000000, 1500000000)), os.stat(W + '/d/f.txt').st_mtime, os.stat(W + '/d/f.txt').st_atime))
t('utime ns', lambda: (os.utime(W + '/d/f.txt', ns=(1, 123456789)), os.stat(W + '/d/f.txt').st_mtime_ns))
t('scandir', lambda: sorted((e.name, e.is_dir(), e.is_file(), e.is_symlink()) for e in os.scandir(W + '/d')))
t('rename over', lambda: os.rename(W + '/d/h.txt', W + '/d/g.bin'))
t('rename dir into file', lambda: os.rename(W + '/d', W + '/d/g.bin'))
t('rmdir nonempty', lambda: os.rmdir(W + '/d'))
t('unlink dir', lambda: os.unlink(W + '/d'))
t('rmdir file', lambda: os.rmdir(W + '/d/g.bin'))
t('open dir for write', lambda: open(W + '/d', 'w'))
t('read dir', lambda: open(W + '/d').read())
t('listdir file', lambda: os.listdir(W + '/d/g.bin'))
t('open trailing slash', lambda: open(W + '/d/g.bin/'))
t('mkdir nested missing', lambda: os.mkdir(W + '/x/y'))
t('chdir', lambda: (os.chdir(W + '/d'), os.getcwd(), open('f.txt').read(5)))
t('relative dotdot', lambda: open('../d/f.txt').read(5))
t('dotdot escape', lambda: open('../../etc/passwd').read(5))
t('abs outside', lambda: os.stat('/'))
t('stat root preopen', lambda: stat.S_ISDIR(os.stat('/work').st_mode))
t('long name', lambda: open(W + '/' + 'n' * 300, 'w'))
t('empty path', lambda: stat.S_ISDIR(os.stat('').st_mode))
t('nul path', lambda: os.stat('a\0b'))
t('dup', lambda: os.dup(1))
t('isatty', lambda: (os.isatty(0), os.isatty(1), os.isatty(2)))
t('fstat stdin', lambda: stat.S_IFMT(os.fstat(0).st_mode))
t('bad fd', lambda: os.write(99, b'x'))
t('close stdin', lambda: os.close(0))
t('read closed', lambda: os.read(0, 1))
t('unlink link', lambda: os.unlink(W + '/d/lnk'))
t('remove all', lambda: [os.unlink(W + '/d/' + n) for n in sorted(os.listdir(W + '/d'))])
t('rmdir', lambda: os.rmdir(W + '/d'))
t('final', lambda: sorted(os.listdir(W)))
