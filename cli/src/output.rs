//! Atomic output: the result is built in a temporary file beside `OUT` and renamed over it.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Calls `build` with a fresh temporary path in `out`'s directory, then renames the result to
/// `out`. If `build` (or anything else) fails, the temporary file is removed and `out` is not
/// touched.
pub(crate) fn write_atomically(
    out: &Path,
    executable: bool,
    build: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), String> {
    if out.is_dir() {
        return Err("is a directory".into());
    }
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(format!("directory {} does not exist", dir.display()));
    }
    // Only the path is kept (removed on drop), not an open file: a writable descriptor held
    // here would be inherited by any process another thread forks meanwhile, and executing
    // the file while it is open for writing fails with ETXTBSY.
    let tmp = tempfile::Builder::new()
        .prefix(".kiln-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot create a file in {}: {e}", dir.display()))?
        .into_temp_path();
    build(&tmp)?;
    // The linker may have replaced the file: set the mode on whatever is at the path now.
    let mode = if executable { 0o755 } else { 0o644 };
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("cannot set permissions: {e}"))?;
    tmp.persist(out)
        .map_err(|e| format!("cannot write: {}", e.error))?;
    Ok(())
}
