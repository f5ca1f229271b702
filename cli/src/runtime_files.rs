//! The link inputs that travel inside `kiln` (a target's runtime library, and musl's start
//! files and C library for a musl target), on disk once per build of `kiln` rather than
//! once per link: `<cache>/runtime/<build>/<triple>/` (`<cache>`: [`crate::cache::user_dir`];
//! `<build>`: a hash of [`crate::cache::build_id`]). Writing them is 17 MB for a musl
//! target: a copy per link cost time, and made `kiln`'s resident memory grow by the
//! embedded bytes it read.
//!
//! A directory is filled under a temporary name beside it and renamed into place, so a
//! concurrent `kiln` sees all the files or none; when two fill it at once, the first rename
//! wins and the other's copy is removed. The directories of other builds are removed once
//! unused for [`STALE_BUILD`] (a build's directory is touched at each use). Without a
//! usable cache directory, the files go to the link's temporary directory as before.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

/// Files by name and contents.
pub(crate) type Files<'a> = &'a [(&'a str, &'a [u8])];

/// Another build's directory unused this long is removed.
const STALE_BUILD: Duration = Duration::from_secs(7 * 24 * 3600);

/// The directory holding `files` for `triple`: the cache's, written if needed, or `None`
/// when the cache cannot be used (the caller then writes them itself).
pub(crate) fn cached(triple: &str, files: Files<'_>) -> Option<PathBuf> {
    let root = crate::cache::user_dir()?.join("runtime");
    let build = build_dir_name();
    let dir = root.join(&build).join(triple);
    if !holds(&dir, files) {
        fill(&dir, files).ok()?;
        remove_stale_builds(&root, &build);
    }
    // Marks the build as in use, for remove_stale_builds of another build.
    let _ = std::fs::File::open(root.join(&build)).and_then(|d| d.set_modified(SystemTime::now()));
    Some(dir)
}

/// 16 hex digits of the SHA-256 of the build id.
fn build_dir_name() -> String {
    let digest = Sha256::digest(crate::cache::build_id().as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `dir` holds every file at its size (a directory only ever appears whole).
fn holds(dir: &Path, files: Files<'_>) -> bool {
    files.iter().all(|(name, bytes)| {
        std::fs::metadata(dir.join(name)).is_ok_and(|m| m.len() == bytes.len() as u64)
    })
}

/// Writes `files` into a temporary directory beside `dir`, then renames it to `dir`.
fn fill(dir: &Path, files: Files<'_>) -> std::io::Result<()> {
    let parent = dir.parent().expect("a triple under a build directory");
    std::fs::create_dir_all(parent)?;
    let temp = tempfile::Builder::new()
        .prefix(".filling-")
        .tempdir_in(parent)?;
    for (name, bytes) in files {
        std::fs::write(temp.path().join(name), bytes)?;
    }
    match std::fs::rename(temp.path(), dir) {
        Ok(()) => {
            // Renamed away: nothing left for the guard to remove.
            let _ = temp.keep();
            Ok(())
        }
        // Another kiln renamed its copy first (a non-empty directory is not replaced).
        Err(_) if holds(dir, files) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Removes the directories of other builds than `current` unused for [`STALE_BUILD`].
fn remove_stale_builds(root: &Path, current: &str) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        if entry.file_name() == current {
            continue;
        }
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > STALE_BUILD);
        if stale {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_written_once_and_found_again() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("build").join("x86_64-unknown-linux-musl");
        let files: Files<'_> = &[
            ("libkiln_runtime.a", b"!<arch>\nruntime"),
            ("crt1.o", b"crt"),
        ];
        assert!(!holds(&dir, files));
        fill(&dir, files).unwrap();
        assert!(holds(&dir, files));
        assert_eq!(std::fs::read(dir.join("crt1.o")).unwrap(), b"crt");
        // A second fill (another kiln that raced this one) keeps the first copy and leaves
        // no temporary directory behind.
        fill(&dir, files).unwrap();
        let left: Vec<_> = std::fs::read_dir(dir.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["x86_64-unknown-linux-musl"]);
        // A file of another size (another build's, or damaged) is not taken for it.
        let longer: Files<'_> = &[("crt1.o", b"crt1")];
        assert!(!holds(&dir, longer));
    }

    #[test]
    fn stale_builds_are_removed_and_the_current_one_kept() {
        let root = tempfile::tempdir().unwrap();
        for name in ["current", "old", "recent"] {
            std::fs::create_dir(root.path().join(name)).unwrap();
        }
        let long_ago = SystemTime::now() - STALE_BUILD - Duration::from_secs(60);
        for name in ["current", "old"] {
            std::fs::File::open(root.path().join(name))
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        }
        remove_stale_builds(root.path(), "current");
        let mut left: Vec<_> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["current", "recent"]);
    }
}
