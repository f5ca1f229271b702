//! A musl target's runtime, linked once into one relocatable object: the start files in
//! front (`crt1.o`, `crti.o`, `crtbegin.o`), then the runtime library, libunwind and musl's
//! C library, by `ld.bfd -r --gc-sections` rooted at `main`, `_start` and every symbol a
//! compiled object may import ([`kiln_compiler::imported_symbols`]). It is kept beside the
//! embedded files in the cache, so it is made once per build of `kiln`.
//!
//! Why: of a `kiln compile`'s link, most is the link editor searching the archives, 388 of
//! their 1,433 members loaded, the same work for every module (ld.gold: hello world 51 ms,
//! Lua 59 ms). Against the pre-linked object, GNU ld links Lua in 20 ms, and the final
//! `--gc-sections` still drops what the module does not use (hello world 530,312 bytes
//! against 538,704; gold keeps nearly every section of a relocatable link's output, 16 KB
//! more).
//!
//! GNU ld, not gold or lld, because only it takes `-r` with `--gc-sections`. When there is
//! no `ld.bfd`, or the pre-link fails, the link uses the files themselves as before; a
//! failed pre-link leaves a marker so it is not tried again for this build.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The link editor that pre-links, and links against the result.
pub(crate) const LINK_EDITOR: &str = "ld.bfd";
/// The pre-linked object's file name, in a target's cache directory.
const PRELINKED: &str = "runtime-prelinked.o";
/// Left in its place when the pre-link failed.
const FAILED: &str = "runtime-prelinked.failed";
/// In front of everything: the start files, as a C compiler driver orders them.
pub(crate) const HEAD: &[&str] = &["crt1.o", "crti.o", "crtbegin.o"];
/// The archives, in link order.
pub(crate) const ARCHIVES: &[&str] = &["libkiln_runtime.a", "libunwind.a", "libc.a"];
/// After the compiled object: the constructor terminators and the end of `.init`/`.fini`.
pub(crate) const TAIL: &[&str] = &["crtend.o", "crtn.o"];

/// The pre-linked object of the files in `dir` (a target's cache directory), made now if it
/// is not there yet; `None` when it cannot be had.
pub(crate) fn prelinked(dir: &Path) -> Option<PathBuf> {
    let path = dir.join(PRELINKED);
    if path.is_file() {
        return Some(path);
    }
    if dir.join(FAILED).exists() || !crate::link::on_path(LINK_EDITOR) {
        return None;
    }
    // Made under a temporary name and renamed: a concurrent `kiln` sees the whole object
    // or none (two that make it at once each rename a complete one).
    let temp = tempfile::Builder::new()
        .prefix(".prelink-")
        .suffix(".o")
        .tempfile_in(dir)
        .ok()?
        .into_temp_path();
    let mut cmd = Command::new(LINK_EDITOR);
    cmd.args(["-r", "--gc-sections", "-e", "_start", "-u", "main"]);
    for symbol in kiln_compiler::imported_symbols() {
        cmd.arg("-u").arg(symbol);
    }
    cmd.arg("-o").arg(&temp);
    cmd.args(HEAD.iter().chain(ARCHIVES).map(|f| dir.join(f)));
    let ok = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let _ = std::fs::write(dir.join(FAILED), b"");
        return None;
    }
    temp.persist(&path).ok()?;
    Some(path)
}
