//! Running executables of Kiln's other targets on the x86-64 test machine: x86-64 glibc ones
//! (the default is musl) natively, AArch64 ones under `qemu-aarch64` (Debian `qemu-user`, installed by
//! `scripts/setup`; a missing qemu fails the test with that advice, it never skips it).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The targets besides the default that the tests compile for.
pub const OTHER_TARGETS: &[&str] = &[
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "aarch64-unknown-linux-musl",
];

/// Where Debian's cross packages (`libc6-arm64-cross`) put glibc for AArch64: qemu's `-L`,
/// for the dynamic loader and libraries of an executable that is not static.
pub const AARCH64_GLIBC: &str = "/usr/aarch64-linux-gnu";

/// `qemu-aarch64` on `PATH`.
pub fn qemu_aarch64() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("qemu-aarch64"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "qemu-aarch64 is not installed: the AArch64 executables are tested under \
                 qemu-user (Debian package `qemu-user`; run scripts/setup)"
            )
        })
}

/// A command that runs `exe`, an executable for `target` (`None`: the default target).
pub fn command(target: Option<&str>, exe: &Path) -> Command {
    match target {
        Some(t) if t.starts_with("aarch64-") => {
            let mut cmd = Command::new(qemu_aarch64());
            if t.ends_with("-gnu") {
                cmd.arg("-L").arg(AARCH64_GLIBC);
            }
            cmd.arg(exe);
            cmd
        }
        Some(t) if t.starts_with("x86_64-") => Command::new(exe),
        Some(t) => panic!("no way to run executables for {t} here"),
        None => Command::new(exe),
    }
}
