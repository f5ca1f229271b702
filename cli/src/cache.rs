//! The cache of `kiln run`: compiled executables, content-addressed.
//!
//! An entry is one executable, named by a [`Key`]: the SHA-256 of the module's bytes, of the
//! Kiln build that compiled it, and of every option that changes the output (the whole
//! [`CompileOptions`], with the CPU features `--target-cpu native` resolved to, and the
//! linker). A second `kiln run` of the same module with the same options finds the entry and
//! starts it directly: no parse, no compile, no link.
//!
//! Entries live in `<dir>/v1/` (`<dir>`: `$XDG_CACHE_HOME/kiln`, else `$HOME/.cache/kiln`).
//! An entry is built in a temporary file in that directory and renamed to its name, so a
//! concurrent `kiln run` sees either no entry or a whole one, never half of one; when two
//! runs build the same entry at once, the later rename wins and both are equally good. The
//! modification time of an entry is its last use: after each insertion the least recently
//! used entries are removed until the cache is within its size bound
//! (`KILN_CACHE_MAX_SIZE`, default [`DEFAULT_MAX_SIZE`]).

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use kiln_compiler::CompileOptions;
use sha2::{Digest, Sha256};

use crate::link::Linker;

/// The size bound of a cache when `KILN_CACHE_MAX_SIZE` does not set one: 1 GiB (as
/// wasmtime's compilation cache).
pub const DEFAULT_MAX_SIZE: u64 = 1 << 30;

/// The subdirectory holding the entries; a new layout gets a new name, so an older Kiln's
/// entries are never misread.
const ENTRIES: &str = "v1";

/// Temporary files of a process that died while building an entry are removed once they
/// are this old (a build in progress is never that slow to rename).
const STALE_TEMPORARY: Duration = Duration::from_secs(3600);

/// A cache of compiled executables in one directory.
#[derive(Clone, Debug)]
pub struct Cache {
    dir: PathBuf,
    max_size: u64,
}

/// The name of one entry: a hex SHA-256 over everything the executable depends on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key(String);

/// How many entries a cache holds and their total size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub entries: u64,
    pub bytes: u64,
}

impl Key {
    /// The key of the executable `kiln run` builds from `module` (the input file's bytes,
    /// binary or text) with `opts`, linked by `linker`.
    pub fn new(module: &[u8], opts: &CompileOptions, linker: &Linker) -> Key {
        let mut h = Sha256::new();
        // Each part is length-prefixed so that no two different lists of parts hash alike.
        let mut part = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        part(build_id().as_bytes());
        // The Debug form covers every field, including ones added later; the build id above
        // changes whenever the code (and so possibly that form) does.
        part(format!("{opts:?}").as_bytes());
        part(opts.target.cpu_features().join(",").as_bytes());
        part(
            format!(
                "{:?} {:?} {}",
                linker.program, linker.args, linker.keep_symbols
            )
            .as_bytes(),
        );
        part(module);
        let mut hex = String::with_capacity(64);
        for byte in h.finalize() {
            let _ = write!(hex, "{byte:02x}");
        }
        Key(hex)
    }

    /// The key as a file name: 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Kiln's directory in the user's cache: `$XDG_CACHE_HOME/kiln`, else `$HOME/.cache/kiln`
/// (`None` when neither variable gives one). `kiln run`'s entries and the link inputs
/// (`crate::runtime_files`) live there.
pub fn user_dir() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME") {
        // The XDG spec: a relative value is invalid and is ignored.
        Some(d) if Path::new(&d).is_absolute() => PathBuf::from(d),
        _ => match std::env::var_os("HOME") {
            Some(h) if !h.is_empty() => Path::new(&h).join(".cache"),
            _ => return None,
        },
    };
    Some(base.join("kiln"))
}

/// Identifies this build of Kiln: its version and the identity of its executable file
/// (size, modification time, inode), so that a rebuilt `kiln` (same version number,
/// different code) never runs an executable an older build cached. Reading the file's
/// metadata costs one `stat`; hashing a 60 MB binary on every run would not be quick.
pub(crate) fn build_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        use std::os::unix::fs::MetadataExt;
        let mut id = format!("kiln {}", env!("CARGO_PKG_VERSION"));
        match std::env::current_exe().and_then(std::fs::metadata) {
            Ok(m) => {
                let _ = write!(
                    id,
                    " exe {} {} {}.{} {}",
                    m.dev(),
                    m.ino(),
                    m.mtime(),
                    m.mtime_nsec(),
                    m.size()
                );
            }
            // Without it, the version alone; a development build then shares entries with
            // another build of the same version, which `kiln cache clean` undoes.
            Err(_) => id.push_str(" exe unknown"),
        }
        id
    })
}

/// Why there is no user cache: what `kiln cache` reports and `kiln run` notes.
pub const NO_CACHE_DIR: &str = "neither $XDG_CACHE_HOME nor $HOME is set";

impl Cache {
    /// The user's cache: `$XDG_CACHE_HOME/kiln`, else `$HOME/.cache/kiln`, bounded by
    /// `KILN_CACHE_MAX_SIZE` (bytes, or with a `K`, `M` or `G` suffix) or
    /// [`DEFAULT_MAX_SIZE`]. An error when neither variable gives a directory
    /// ([`NO_CACHE_DIR`]), or the bound does not parse.
    pub fn user() -> Result<Cache, String> {
        Cache::user_if_any()?.ok_or_else(|| NO_CACHE_DIR.into())
    }

    /// As [`Cache::user`], but `None` when neither variable gives a directory: `kiln run`
    /// then runs without a cache (as a program started with an empty environment would
    /// want) instead of failing.
    pub fn user_if_any() -> Result<Option<Cache>, String> {
        let Some(dir) = user_dir() else {
            return Ok(None);
        };
        let max_size = match std::env::var("KILN_CACHE_MAX_SIZE") {
            Ok(s) => parse_size(&s).ok_or_else(|| {
                format!("KILN_CACHE_MAX_SIZE={s}: not a size (bytes, or a number with K, M or G)")
            })?,
            Err(_) => DEFAULT_MAX_SIZE,
        };
        Ok(Some(Cache::at(dir, max_size)))
    }

    /// A cache in `dir` holding at most `max_size` bytes of entries.
    pub fn at(dir: impl Into<PathBuf>, max_size: u64) -> Cache {
        Cache {
            dir: dir.into(),
            max_size,
        }
    }

    /// The cache's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its size bound in bytes.
    pub fn max_size(&self) -> u64 {
        self.max_size
    }

    fn entries(&self) -> PathBuf {
        self.dir.join(ENTRIES)
    }

    /// The entry's path, if the cache holds it; marks it as just used.
    pub fn lookup(&self, key: &Key) -> Option<PathBuf> {
        let path = self.entries().join(key.as_str());
        // Opened read-only (a running executable cannot be opened for writing); as the
        // owner we may still set its times.
        let file = std::fs::File::open(&path).ok()?;
        let _ = file.set_modified(SystemTime::now());
        Some(path)
    }

    /// Builds the entry for `key`: `build` writes the executable at the temporary path it
    /// is given, which is then made executable and renamed into place. Returns the entry's
    /// path. Afterwards the least recently used other entries are evicted down to the size
    /// bound.
    pub fn insert(
        &self,
        key: &Key,
        build: impl FnOnce(&Path) -> Result<(), String>,
    ) -> Result<PathBuf, String> {
        let entries = self.entries();
        std::fs::create_dir_all(&entries)
            .map_err(|e| format!("cannot create the cache {}: {e}", entries.display()))?;
        let path = entries.join(key.as_str());
        crate::output::write_atomically(&path, true, build)?;
        self.evict(&path)?;
        Ok(path)
    }

    /// Removes the least recently used entries (never `keep`) until the cache is within
    /// its bound, and temporary files that a dead process left.
    fn evict(&self, keep: &Path) -> Result<(), String> {
        let mut files = self.files()?;
        let now = SystemTime::now();
        files.retain(|f| {
            if !f.temporary {
                return true;
            }
            let stale = now
                .duration_since(f.modified)
                .is_ok_and(|age| age > STALE_TEMPORARY);
            if stale {
                let _ = std::fs::remove_file(&f.path);
            }
            false
        });
        let mut total: u64 = files.iter().map(|f| f.bytes).sum();
        files.sort_by_key(|f| f.modified);
        for f in &files {
            if total <= self.max_size {
                break;
            }
            if f.path == keep {
                continue;
            }
            // Another process may have removed it first: its bytes are gone either way.
            let _ = std::fs::remove_file(&f.path);
            total -= f.bytes;
        }
        Ok(())
    }

    /// The entries the cache holds now.
    pub fn usage(&self) -> Result<Usage, String> {
        let mut usage = Usage::default();
        for f in self.files()?.into_iter().filter(|f| !f.temporary) {
            usage.entries += 1;
            usage.bytes += f.bytes;
        }
        Ok(usage)
    }

    /// Removes every entry (and any temporary file); returns what was removed.
    pub fn clean(&self) -> Result<Usage, String> {
        let mut removed = Usage::default();
        for f in self.files()? {
            match std::fs::remove_file(&f.path) {
                Ok(()) if !f.temporary => {
                    removed.entries += 1;
                    removed.bytes += f.bytes;
                }
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("cannot remove {}: {e}", f.path.display())),
            }
        }
        Ok(removed)
    }

    /// Every file in the entries directory (none if it does not exist yet).
    fn files(&self) -> Result<Vec<CacheFile>, String> {
        let dir = self.entries();
        let read = match std::fs::read_dir(&dir) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(format!("cannot read the cache {}: {e}", dir.display())),
        };
        let mut files = Vec::new();
        for entry in read.flatten() {
            // A file removed meanwhile by another process is simply not there.
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let name = entry.file_name();
            files.push(CacheFile {
                temporary: !is_entry_name(&name),
                path: entry.path(),
                bytes: meta.len(),
                modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            });
        }
        Ok(files)
    }
}

struct CacheFile {
    path: PathBuf,
    bytes: u64,
    modified: SystemTime,
    /// Not an entry: an entry being built (or abandoned).
    temporary: bool,
}

fn is_entry_name(name: &OsStr) -> bool {
    name.len() == 64
        && name
            .as_encoded_bytes()
            .iter()
            .all(|b| b.is_ascii_hexdigit())
}

/// `1048576`, `512K`, `100M`, `2G` (powers of 1024; `KiB`, `MB`... spellings too).
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(digits);
    let number: u64 = number.parse().ok()?;
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        _ => return None,
    };
    number.checked_mul(1 << shift)
}

/// `1.5 MiB`, `312 KiB`, `17 B`: a size for people.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("0"), Some(0));
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("512K"), Some(512 << 10));
        assert_eq!(parse_size("100M"), Some(100 << 20));
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size("3 MiB"), Some(3 << 20));
        assert_eq!(parse_size("M"), None);
        assert_eq!(parse_size("12X"), None);
        assert_eq!(parse_size("-1"), None);
    }

    #[test]
    fn sizes_print() {
        assert_eq!(human_size(17), "17 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(3 << 20), "3.0 MiB");
    }

    #[test]
    fn keys_depend_on_module_and_options() {
        let linker = Linker::resolve(Some("cc".as_ref()));
        let opts = CompileOptions::default();
        let a = Key::new(b"module a", &opts, &linker);
        assert_eq!(a, Key::new(b"module a", &opts, &linker));
        assert!(is_entry_name(a.as_str().as_ref()));
        assert_ne!(a, Key::new(b"module b", &opts, &linker));
        let mut o2 = opts.clone();
        o2.run_config.dirs.push((".".into(), ".".into()));
        assert_ne!(a, Key::new(b"module a", &o2, &linker));
        let other = Linker::resolve(Some("clang".as_ref()));
        assert_ne!(a, Key::new(b"module a", &opts, &other));
    }

    #[test]
    fn eviction_removes_the_least_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path(), 2500);
        let key = |n: u8| Key(format!("{n:064x}"));
        let put = |k: &Key| {
            cache
                .insert(k, |p| {
                    std::fs::write(p, [0u8; 1000]).map_err(|e| e.to_string())
                })
                .unwrap()
        };
        let old = SystemTime::now() - Duration::from_secs(100);
        put(&key(1));
        std::fs::File::open(cache.entries().join(key(1).as_str()))
            .unwrap()
            .set_modified(old)
            .unwrap();
        put(&key(2));
        // Using entry 1 makes entry 2 the least recently used one.
        std::fs::File::open(cache.entries().join(key(2).as_str()))
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert!(cache.lookup(&key(1)).is_some());
        put(&key(3));
        assert!(cache.lookup(&key(1)).is_some());
        assert!(cache.lookup(&key(2)).is_none(), "entry 2 was evicted");
        assert!(cache.lookup(&key(3)).is_some());
        assert_eq!(
            cache.usage().unwrap(),
            Usage {
                entries: 2,
                bytes: 2000
            }
        );
        assert_eq!(cache.clean().unwrap().entries, 2);
        assert_eq!(cache.usage().unwrap(), Usage::default());
    }
}
