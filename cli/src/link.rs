//! Linking the compiled object with the embedded runtime into an executable.
//!
//! glibc targets link with the target's C compiler driver (`--linker`; else `$CC` or `cc`
//! for the build machine's architecture, `<arch>-linux-gnu-gcc` for another). musl targets
//! carry their C library inside `kiln` ([`MUSL_LIBS`]) and link with `ld.gold` (this
//! machine's architecture) or `ld.lld`, which knows every architecture's ELF, or with a C
//! compiler driver for the target: cross-compiling to AArch64 musl needs no cross toolchain.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use kiln_compiler::{Arch, Target};

use crate::prelink;

// The runtime static library (kiln-runtime built with `--features exe`) of every target,
// and musl's start files and C library for the musl targets, embedded by `build.rs`:
// `RUNTIMES`, `MUSL_LIBS`.
include!(concat!(env!("OUT_DIR"), "/runtimes.rs"));

/// A musl target's embedded files: (file name, contents).
pub type MuslFiles = &'static [(&'static str, &'static [u8])];

/// The embedded runtime library for `target`, if this `kiln` carries one.
pub fn runtime_lib(target: &Target) -> Option<&'static [u8]> {
    RUNTIMES
        .iter()
        .find(|(triple, _)| *triple == target.triple().to_string())
        .map(|(_, lib)| *lib)
}

/// The embedded musl files for `target` (none for a glibc target).
fn musl_libs(target: &Target) -> Option<MuslFiles> {
    MUSL_LIBS
        .iter()
        .find(|(triple, _)| *triple == target.triple().to_string())
        .map(|(_, files)| *files)
}

/// What linking for `target` needs on this machine, for `kiln targets` and `--help`.
pub fn link_requirements(target: &Target) -> String {
    let triple = target.triple().to_string();
    if musl_libs(target).is_some() {
        if Arch::HOST == Some(target.arch()) {
            "ld.lld, or any C compiler driver (musl is built in)".to_string()
        } else {
            format!(
                "ld.lld, or a C compiler driver for {} (musl is built in)",
                target.arch().name()
            )
        }
    } else if Arch::HOST == Some(target.arch()) {
        "a C compiler driver and glibc's static libraries (`cc`)".to_string()
    } else {
        format!(
            "the target's C compiler driver with glibc (`{}`, Debian: gcc-{}); {} needs none",
            cross_gcc(target.arch()),
            debian_arch_gcc(target.arch()),
            triple.replace("-gnu", "-musl")
        )
    }
}

/// `aarch64-linux-gnu-gcc`: the usual name of a cross C compiler driver for `arch`.
fn cross_gcc(arch: Arch) -> String {
    format!("{}-linux-gnu-gcc", arch.name())
}

/// `aarch64-linux-gnu`: the suffix of Debian's cross compiler package for `arch`.
fn debian_arch_gcc(arch: Arch) -> String {
    format!("{}-linux-gnu", arch.name().replace('_', "-"))
}

/// Libraries the runtime needs from the C library.
const SYSTEM_LIBS: &[&str] = &["-lpthread", "-ldl", "-lm"];

/// Executables are linked static (`-static`) when the C library allows it: skipping the
/// dynamic loader is most of a hello world's start-up time (measured on glibc, hyperfine medians:
/// 0.56 ms static vs 0.90 ms dynamic). If the static link fails (no `libc.a`, say), the
/// executable is linked dynamically instead. Both drop unused runtime code (`--gc-sections`).
/// The symbol table and any DWARF are stripped too ([`STRIP`]; traps are reported from the
/// module descriptor, not from either), unless `--debug` asks to keep them: the symbols
/// are a fifth of a small executable (hello world, musl: 0.91 MB with them, 0.72 MB without).
const STATIC_FLAGS: &[&str] = &["-static", "-Wl,--gc-sections"];
const DYNAMIC_FLAGS: &[&str] = &["-Wl,--gc-sections"];

/// What the link editor strips, as a driver's flag and as its own.
const STRIP: (&str, &str) = ("-Wl,--strip-all", "--strip-all");

/// Where the linker came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkerSource {
    /// `--linker`: used for every target.
    Explicit,
    /// `$CC`: a compiler for the build machine, used for targets of its architecture only.
    Env,
    /// Neither: Kiln picks the program (and may pick the link editor too).
    Default,
}

/// The C compiler driver and any leading arguments (`CC="ccache gcc"` works).
#[derive(Clone, Debug)]
pub struct Linker {
    pub program: OsString,
    pub args: Vec<OsString>,
    pub source: LinkerSource,
    /// Keep the symbol table (`--debug`) instead of stripping it.
    pub keep_symbols: bool,
}

impl Linker {
    /// `explicit` (from `--linker`) if given, else `$CC` split on whitespace, else `cc`.
    pub fn resolve(explicit: Option<&OsStr>) -> Linker {
        if let Some(p) = explicit {
            return Linker {
                program: p.to_owned(),
                args: Vec::new(),
                source: LinkerSource::Explicit,
                keep_symbols: false,
            };
        }
        if let Some(cc) = std::env::var_os("CC") {
            let cc = cc.to_string_lossy().into_owned();
            let mut words = cc.split_whitespace().map(OsString::from);
            if let Some(program) = words.next() {
                return Linker {
                    program,
                    args: words.collect(),
                    source: LinkerSource::Env,
                    keep_symbols: false,
                };
            }
        }
        Linker {
            program: "cc".into(),
            args: Vec::new(),
            source: LinkerSource::Default,
            keep_symbols: false,
        }
    }

    /// This linker, keeping the executable's symbol table when `keep` (`--debug`).
    pub fn keeping_symbols(self, keep: bool) -> Linker {
        Linker {
            keep_symbols: keep,
            ..self
        }
    }

    /// The C compiler driver to link for `target` with: this one, unless it is the build
    /// machine's (`$CC` or the default `cc`) and `target` is another architecture, which
    /// gets that architecture's cross driver by its usual name.
    fn for_target(&self, target: &Target) -> Linker {
        if self.source == LinkerSource::Explicit || Arch::HOST == Some(target.arch()) {
            return self.clone();
        }
        Linker {
            program: cross_gcc(target.arch()).into(),
            args: Vec::new(),
            source: LinkerSource::Default,
            keep_symbols: self.keep_symbols,
        }
    }

    fn name(&self) -> String {
        self.program.to_string_lossy().into_owned()
    }
}

/// The link inputs: the object in a temporary directory, the runtime library (and for musl
/// the C library files) in the cache ([`crate::runtime_files`]) or, without one, beside it.
struct Inputs {
    /// Holds the object (and the embedded files when not cached) until the link is done.
    _dir: tempfile::TempDir,
    object: PathBuf,
    /// Where the embedded files are.
    embedded: PathBuf,
    /// Whether that is the cache's directory, which outlives this link.
    cached: bool,
}

/// The name of the runtime library among a target's embedded files.
const RUNTIME_FILE: &str = "libkiln_runtime.a";

impl Inputs {
    fn write(object: &[u8], target: &Target, embedded: &[(&str, &[u8])]) -> Result<Inputs, String> {
        let dir = tempfile::Builder::new()
            .prefix("kiln-link-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary directory for linking: {e}"))?;
        let object_path = dir.path().join("module.o");
        write(&object_path, object)?;
        let (embedded, cached) =
            match crate::runtime_files::cached(&target.triple().to_string(), embedded) {
                Some(cached) => (cached, true),
                None => {
                    for (name, bytes) in embedded {
                        write(&dir.path().join(name), bytes)?;
                    }
                    (dir.path().to_path_buf(), false)
                }
            };
        Ok(Inputs {
            _dir: dir,
            object: object_path,
            embedded,
            cached,
        })
    }

    /// The path of the embedded file `name`.
    fn embedded(&self, name: &str) -> PathBuf {
        self.embedded.join(name)
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write temporary link inputs: {e}"))
}

/// Links `object` (the compiler's output for `target`) with that target's runtime into the
/// executable `output`; returns the program that linked (`ld.gold`, or a driver with the
/// link editor it was told to use), for `kiln -v`. On error the message is ready for the
/// user (it includes the linker's own output).
pub fn link_executable(
    object: &[u8],
    target: &Target,
    output: &Path,
    linker: &Linker,
) -> Result<String, String> {
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
    let musl = musl_libs(target);
    let embedded: Vec<(&str, &[u8])> = std::iter::once((RUNTIME_FILE, runtime))
        .chain(musl.unwrap_or_default().iter().copied())
        .collect();
    let inputs = Inputs::write(object, target, &embedded)?;
    match musl {
        Some(_) => link_musl(&inputs, target, output, linker),
        None => link_gnu(&inputs, target, output, &linker.for_target(target)),
    }
}

/// A glibc target: the C compiler driver links with the C library it comes with. Returns
/// how it was run (the driver, and the link editor it was told to use).
fn link_gnu(
    inputs: &Inputs,
    target: &Target,
    output: &Path,
    linker: &Linker,
) -> Result<String, String> {
    let tail = |flags: &[&str]| -> Vec<OsString> {
        let mut args: Vec<OsString> = flags.iter().map(OsString::from).collect();
        if !linker.keep_symbols {
            args.push(STRIP.0.into());
        }
        args.extend(["-o".into(), output.into()]);
        args.extend([
            inputs.object.clone().into(),
            inputs.embedded(RUNTIME_FILE).into(),
        ]);
        args.extend(SYSTEM_LIBS.iter().map(OsString::from));
        args
    };
    // A faster link editor than the default GNU ld, when installed, takes a sizeable part of
    // `kiln compile`'s time off (static link of lua: ld.bfd 171 ms, gold 124 ms, lld 95 ms).
    // If it fails for any reason, the ordinary link below runs as if it had not been tried.
    let default = linker.source == LinkerSource::Default;
    if let Some(fuse) = default.then(fast_link_editor).flatten() {
        let flags: Vec<&str> = STATIC_FLAGS.iter().copied().chain([fuse]).collect();
        if run_linker(linker, &tail(&flags), target).is_ok() {
            return Ok(format!("{} {fuse}", linker.program.to_string_lossy()));
        }
    }
    let driver = linker.program.to_string_lossy().into_owned();
    match run_linker(linker, &tail(STATIC_FLAGS), target) {
        Ok(()) => Ok(driver),
        Err(LinkFailure::Failed(static_msg)) => {
            match run_linker(linker, &tail(DYNAMIC_FLAGS), target) {
                Ok(()) => Ok(format!("{driver} (dynamic)")),
                // Report the first failure: it is the one a user would reproduce by hand.
                Err(_) => Err(static_msg),
            }
        }
        Err(LinkFailure::NotRun(msg)) => Err(msg),
    }
}

/// A C compiler driver's flags for a static link that adds no C library of its own.
const DRIVER_STATIC_FLAGS: &[&str] = &["-static", "-nostdlib", "-Wl,--gc-sections"];

/// A musl target: always static, with the embedded start files and C library, by `ld.gold`
/// for this machine's architecture or `ld.lld` (Kiln's choice: it links any architecture),
/// or by the C compiler driver the user named (told to add no C library of its own). Where
/// Kiln picks for this machine's architecture, `ld.bfd` against the pre-linked runtime
/// (`prelink.rs`) comes first.
/// Returns the program that linked.
fn link_musl(
    inputs: &Inputs,
    target: &Target,
    output: &Path,
    linker: &Linker,
) -> Result<String, String> {
    let path = |name: &str| OsString::from(inputs.embedded(name));
    // crt1 and crti open the program, crtbegin/crtend bracket the constructors, crtn
    // closes: the order a C compiler driver uses.
    let mut objects: Vec<OsString> = prelink::HEAD.iter().map(|n| path(n)).collect();
    objects.push(inputs.object.clone().into());
    objects.extend(
        prelink::ARCHIVES
            .iter()
            .chain(prelink::TAIL)
            .map(|n| path(n)),
    );
    let out: [OsString; 2] = ["-o".into(), output.into()];
    let on_host = Arch::HOST == Some(target.arch());
    // The user's driver if they named one (or `$CC` for this machine's architecture), else
    // a link editor, else this machine's C compiler driver when it is the target's
    // architecture.
    let driver = match linker.source {
        LinkerSource::Explicit => Some(linker.clone()),
        LinkerSource::Env if on_host => Some(linker.clone()),
        _ => None,
    };
    // For this machine's architecture, GNU gold when installed: it links as fast as lld in
    // a fraction of its memory (Debian's lld is a front end of the 100 MB libLLVM, whose
    // loading alone is 54 MB of resident memory; SQLite's link: gold 30 MB, lld 84 MB), and
    // a link editor's memory is `kiln compile`'s peak for small modules.
    let editor = on_host
        .then(|| on_path("ld.gold").then(|| "ld.gold".to_string()))
        .flatten()
        .or_else(find_lld);
    let (program, flags, strip, is_editor): (Linker, &[&str], &str, bool) = match (driver, editor) {
        (Some(driver), _) => (driver, DRIVER_STATIC_FLAGS, STRIP.0, false),
        (None, Some(editor)) => (
            Linker {
                program: editor.into(),
                args: Vec::new(),
                source: LinkerSource::Default,
                keep_symbols: linker.keep_symbols,
            },
            &["-static", "--gc-sections"],
            STRIP.1,
            true,
        ),
        (None, None) if on_host => (linker.clone(), DRIVER_STATIC_FLAGS, STRIP.0, false),
        (None, None) => {
            return Err(format!(
                "linking for {} needs `ld.lld` (Debian: lld), which was not found on PATH, \
                 or a C compiler driver for {} named with --linker",
                target.triple(),
                target.arch().name()
            ))
        }
    };
    let mut head: Vec<OsString> = flags.iter().map(OsString::from).collect();
    if !linker.keep_symbols {
        head.push(strip.into());
    }
    head.extend(out);
    // Where Kiln picks the link editor, for this machine's architecture, it links against
    // the pre-linked runtime when the cache holds one (or can make it): GNU ld then links in
    // a third of the time gold takes with the archives (and drops more unused code than gold
    // does from a relocatable link's output). If that fails for any reason, the link below
    // runs as if it had not been tried.
    if let Some(pre) = (is_editor && on_host && inputs.cached)
        .then(|| prelink::prelinked(&inputs.embedded))
        .flatten()
    {
        let ld = Linker {
            program: prelink::LINK_EDITOR.into(),
            ..program.clone()
        };
        let mut fast = head.clone();
        fast.extend([pre.into(), inputs.object.clone().into()]);
        fast.extend(prelink::TAIL.iter().map(|n| path(n)));
        if run_linker(&ld, &fast, target).is_ok() {
            return Ok(format!(
                "{} and the pre-linked runtime",
                prelink::LINK_EDITOR
            ));
        }
    }
    let mut args = head;
    args.extend(objects);
    run_linker(&program, &args, target)
        .map(|()| program.program.to_string_lossy().into_owned())
        .map_err(|f| match f {
            LinkFailure::NotRun(m) | LinkFailure::Failed(m) => m,
        })
}

/// `ld.lld`, or a versioned one (Debian's `lld-16` installs `ld.lld-16`), on `PATH`.
fn find_lld() -> Option<String> {
    let names =
        std::iter::once("ld.lld".to_string()).chain((14..=22).rev().map(|v| format!("ld.lld-{v}")));
    names.into_iter().find(|n| on_path(n))
}

pub(crate) fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(name).is_file()))
}

/// `-fuse-ld=gold` or `-fuse-ld=lld` when that link editor is on `PATH` (gold first: as
/// fast, in less memory; see [`link_musl`]).
fn fast_link_editor() -> Option<&'static str> {
    [("ld.gold", "-fuse-ld=gold"), ("ld.lld", "-fuse-ld=lld")]
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

fn run_linker(linker: &Linker, args: &[OsString], target: &Target) -> Result<(), LinkFailure> {
    let mut cmd = Command::new(&linker.program);
    cmd.args(&linker.args).args(args);
    let out = cmd.output().map_err(|e| {
        let hint = if Arch::HOST == Some(target.arch()) {
            "install a C compiler driver such as gcc or clang, or name one with --linker or $CC"
                .to_string()
        } else {
            format!(
                "to link for {}, install its C compiler driver (Debian: gcc-{}) or name one with \
                 --linker; --target {} needs no cross toolchain",
                target.triple(),
                debian_arch_gcc(target.arch()),
                target.triple().to_string().replace("-gnu", "-musl")
            )
        };
        LinkFailure::NotRun(format!(
            "cannot run the linker `{}`: {e} ({hint})",
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

    #[test]
    fn musl_targets_carry_their_c_library() {
        for triple in kiln_compiler::SUPPORTED_TRIPLES {
            let target = Target::with_default_cpu(triple).unwrap();
            let files = musl_libs(&target);
            assert_eq!(files.is_some(), triple.ends_with("-musl"), "{triple}");
            for (name, bytes) in files.unwrap_or_default() {
                let magic: &[u8] = if name.ends_with(".a") {
                    b"!<arch>\n"
                } else {
                    b"\x7fELF"
                };
                assert!(bytes.starts_with(magic), "{triple}: {name}");
            }
        }
    }
}
