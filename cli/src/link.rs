//! Linking the compiled object with the embedded runtime into an executable, using the system C
//! compiler driver (`--linker`, else `$CC`, else `cc`).

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::Command;

use kiln_compiler::Target;

// The runtime static library (kiln-runtime built with `--features exe`) of every target,
// embedded by `build.rs`: `RUNTIMES`.
include!(concat!(env!("OUT_DIR"), "/runtimes.rs"));

/// The embedded runtime library for `target`, if this `kiln` carries one.
pub fn runtime_lib(target: &Target) -> Option<&'static [u8]> {
    RUNTIMES
        .iter()
        .find(|(triple, _)| *triple == target.triple().to_string())
        .map(|(_, lib)| *lib)
}

/// Libraries the runtime needs from the C library.
const SYSTEM_LIBS: &[&str] = &["-lpthread", "-ldl", "-lm"];

/// Executables are linked static (`-static`) when the C library allows it: skipping the
/// dynamic loader is most of a hello world's start-up time (measured on glibc, hyperfine medians:
/// 0.56 ms static vs 0.90 ms dynamic). If the static link fails (no `libc.a`, say), the
/// executable is linked dynamically instead. Both drop unused runtime code (`--gc-sections`)
/// and the runtime's DWARF (`--strip-debug`; traps are reported from the module descriptor, not
/// from debug info): a hello world is 1.6 MB instead of 8 MB.
const STATIC_FLAGS: &[&str] = &["-static", "-Wl,--gc-sections", "-Wl,--strip-debug"];
const DYNAMIC_FLAGS: &[&str] = &["-Wl,--gc-sections", "-Wl,--strip-debug"];

/// The C compiler driver and any leading arguments (`CC="ccache gcc"` works).
#[derive(Clone, Debug)]
pub struct Linker {
    pub program: OsString,
    pub args: Vec<OsString>,
    /// Chosen by Kiln (neither `--linker` nor `$CC`): Kiln may pick the link editor too.
    pub default: bool,
}

impl Linker {
    /// `explicit` (from `--linker`) if given, else `$CC` split on whitespace, else `cc`.
    pub fn resolve(explicit: Option<&OsStr>) -> Linker {
        if let Some(p) = explicit {
            return Linker {
                program: p.to_owned(),
                args: Vec::new(),
                default: false,
            };
        }
        if let Some(cc) = std::env::var_os("CC") {
            let cc = cc.to_string_lossy().into_owned();
            let mut words = cc.split_whitespace().map(OsString::from);
            if let Some(program) = words.next() {
                return Linker {
                    program,
                    args: words.collect(),
                    default: false,
                };
            }
        }
        Linker {
            program: "cc".into(),
            args: Vec::new(),
            default: true,
        }
    }

    fn name(&self) -> String {
        self.program.to_string_lossy().into_owned()
    }
}

/// Links `object` (the compiler's output for `target`) with that target's runtime into the
/// executable `output`. On error the message is ready for the user (it includes the
/// linker's own output).
pub fn link_executable(
    object: &[u8],
    target: &Target,
    output: &Path,
    linker: &Linker,
) -> Result<(), String> {
    let runtime = runtime_lib(target).ok_or_else(|| {
        format!(
            "this kiln carries no runtime library for {} (it has: {})",
            target.triple(),
            RUNTIMES
                .iter()
                .map(|(t, _)| *t)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let work = tempfile::Builder::new()
        .prefix("kiln-link-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory for linking: {e}"))?;
    let obj_path = work.path().join("module.o");
    let lib_path = work.path().join("libkiln_runtime.a");
    std::fs::write(&obj_path, object)
        .and_then(|()| std::fs::write(&lib_path, runtime))
        .map_err(|e| format!("cannot write temporary link inputs: {e}"))?;

    // A faster link editor than the default GNU ld, when installed, takes a sizeable part of
    // `kiln compile`'s time off (static link of lua: ld.bfd 171 ms, gold 124 ms, lld 95 ms).
    // If it fails for any reason, the ordinary link below runs as if it had not been tried.
    if let Some(fuse) = linker.default.then(fast_link_editor).flatten() {
        let flags: Vec<&str> = STATIC_FLAGS.iter().copied().chain([fuse]).collect();
        if run_linker(linker, &flags, output, &obj_path, &lib_path).is_ok() {
            return Ok(());
        }
    }
    match run_linker(linker, STATIC_FLAGS, output, &obj_path, &lib_path) {
        Ok(()) => Ok(()),
        Err(LinkFailure::Failed(static_msg)) => {
            match run_linker(linker, DYNAMIC_FLAGS, output, &obj_path, &lib_path) {
                Ok(()) => Ok(()),
                // Report the first failure: it is the one a user would reproduce by hand.
                Err(_) => Err(static_msg),
            }
        }
        Err(LinkFailure::NotRun(msg)) => Err(msg),
    }
}

/// `-fuse-ld=lld` or `-fuse-ld=gold` when that link editor is on `PATH`.
fn fast_link_editor() -> Option<&'static str> {
    let path = std::env::var_os("PATH")?;
    let on_path = |name: &str| std::env::split_paths(&path).any(|d| d.join(name).is_file());
    [("ld.lld", "-fuse-ld=lld"), ("ld.gold", "-fuse-ld=gold")]
        .into_iter()
        .find(|(name, _)| on_path(name))
        .map(|(_, flag)| flag)
}

enum LinkFailure {
    /// The linker could not be started.
    NotRun(String),
    /// The linker ran and failed; its output is in the message.
    Failed(String),
}

fn run_linker(
    linker: &Linker,
    flags: &[&str],
    output: &Path,
    obj_path: &Path,
    lib_path: &Path,
) -> Result<(), LinkFailure> {
    let mut cmd = Command::new(&linker.program);
    cmd.args(&linker.args)
        .args(flags)
        .arg("-o")
        .arg(output)
        .arg(obj_path)
        .arg(lib_path)
        .args(SYSTEM_LIBS);
    let out = cmd.output().map_err(|e| {
        LinkFailure::NotRun(format!(
            "cannot run the linker `{}`: {e} (install a C compiler driver such as gcc or clang, \
             or name one with --linker or $CC)",
            linker.name()
        ))
    })?;
    if !out.status.success() {
        let status = match out.status.code() {
            Some(code) => format!("exited with status {code}"),
            None => format!("was killed ({})", out.status),
        };
        let mut msg = format!("linking failed (`{}` {status}):", linker.name());
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        for text in [stdout.trim_end(), stderr.trim_end()] {
            if !text.is_empty() {
                msg.push('\n');
                msg.push_str(text);
            }
        }
        return Err(LinkFailure::Failed(msg));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runtime_for_every_supported_target_and_no_other() {
        let carried: Vec<&str> = RUNTIMES.iter().map(|(t, _)| *t).collect();
        assert_eq!(carried, kiln_compiler::SUPPORTED_TRIPLES);
        for triple in kiln_compiler::SUPPORTED_TRIPLES {
            let target = Target::with_default_cpu(triple).unwrap();
            let lib = runtime_lib(&target).unwrap();
            assert!(lib.starts_with(b"!<arch>\n"), "{triple}: not an ar archive");
        }
    }
}
