//! The library API: a WebAssembly module's bytes to a relocatable object, to a standalone
//! executable (linked with the runtime `kiln` carries), or to a module loaded into this
//! process ([`load`], run with [`kiln_runtime::Wasi`]), all from one [`Options`]. `kiln compile` and `kiln run` are a layer over these
//! functions: argument parsing, files and the cache are theirs, the pipeline is here.
//!
//! ```no_run
//! let wasm = std::fs::read("app.wasm")?;
//! let mut options = kiln::Options::default();
//! options.compile.run_config.dirs.push(("./data".into(), "/data".into()));
//! kiln::compile_to_executable(&wasm, &options, "app".as_ref())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

use std::fmt;
use std::path::Path;
use std::time::Instant;

use kiln_compiler::{CompileError, CompileOptions};

use crate::link::{link_executable, Linker};
use crate::output;
use crate::report::Reporter;

/// Everything that decides what Kiln builds: what and how to compile (target, CPU,
/// optimisation, the grants and limits baked into the executable) and how to link.
///
/// `Options::default()` compiles a WASI command for the default target (x86-64 Linux, musl,
/// this machine's CPU) with no grants, and links with `$CC` or `cc` as `kiln` does.
///
/// ```
/// use kiln::Options;
/// use kiln_compiler::{OptLevel, Target};
///
/// let mut options = Options::default();
/// options.compile.opt_level = OptLevel::Speed;
/// options.compile.target = Target::with_default_cpu("aarch64-unknown-linux-musl")?;
/// options.compile.run_config.env.push(("LANG".into(), Some("C".into())));
/// options.linker = options.linker.keeping_symbols(true); // as `kiln compile --debug`
/// # Ok::<(), kiln_compiler::CompileError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    /// What the compiler is asked for: `kiln compile`'s flags other than the linker's.
    pub compile: CompileOptions,
    /// The C compiler driver that links executables (`--linker`, `$CC`, `cc`) and whether
    /// the executable keeps its symbol table (`--debug`).
    pub linker: Linker,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            compile: CompileOptions::default(),
            linker: Linker::resolve(None),
        }
    }
}

/// Why [`compile_to_object`], [`link_object`], [`compile_to_executable`] or
/// [`load`](crate::load) failed.
#[derive(Debug)]
pub enum BuildError {
    /// The module is not valid, not a command Kiln compiles, or uses what Kiln does not
    /// support; the message names the byte offset where it applies.
    Compile(CompileError),
    /// Linking failed (the message includes the linker's output) or the executable could
    /// not be written; nothing was left at the output path.
    Output(String),
    /// The compiled module could not be loaded into this process.
    Load(String),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Compile(e) => write!(f, "{e}"),
            BuildError::Output(m) | BuildError::Load(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Compile(e) => Some(e),
            _ => None,
        }
    }
}

impl From<CompileError> for BuildError {
    fn from(e: CompileError) -> BuildError {
        BuildError::Compile(e)
    }
}

/// Compiles a module (wasm binary or `.wat` text) into a relocatable ELF object for
/// `options.compile.target`: what `kiln compile --emit obj` writes.
///
/// ```
/// let wat = r#"(module (memory (export "memory") 1) (func (export "_start")))"#;
/// let object = kiln::compile_to_object(wat.as_bytes(), &kiln::Options::default())?;
/// assert!(object.starts_with(b"\x7fELF"));
/// # Ok::<(), kiln::BuildError>(())
/// ```
pub fn compile_to_object(wasm: &[u8], options: &Options) -> Result<Vec<u8>, BuildError> {
    compile_to_object_reported(wasm, options, &Reporter::quiet())
}

/// [`compile_to_object`], telling `report` each phase's time and drawing its progress bar.
pub fn compile_to_object_reported(
    wasm: &[u8],
    options: &Options,
    report: &Reporter,
) -> Result<Vec<u8>, BuildError> {
    Ok(kiln_compiler::compile_observed(
        wasm,
        &options.compile,
        report,
    )?)
}

/// Links `object` (from [`compile_to_object`] with the same `options`) with the runtime
/// `kiln` carries for `options.compile.target` into the executable `output`, written in
/// place: a caller that wants it atomic links to a temporary path and renames it (as
/// [`compile_to_executable`] does).
///
/// ```
/// let wat = r#"(module (memory (export "memory") 1) (func (export "_start")))"#;
/// let options = kiln::Options::default();
/// let object = kiln::compile_to_object(wat.as_bytes(), &options)?;
/// let dir = tempfile::tempdir()?;
/// kiln::link_object(&object, &options, &dir.path().join("app"))?;
/// let status = std::process::Command::new(dir.path().join("app")).status()?;
/// assert!(status.success());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn link_object(object: &[u8], options: &Options, output: &Path) -> Result<(), BuildError> {
    link_object_reported(object, options, output, &Reporter::quiet())
}

/// [`link_object`], reporting the time as the phase `link` of `report`.
pub fn link_object_reported(
    object: &[u8],
    options: &Options,
    output: &Path,
    report: &Reporter,
) -> Result<(), BuildError> {
    let start = Instant::now();
    let target = &options.compile.target;
    let linked = link_executable(object, target, output, &options.linker);
    let size = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    // The program that linked: the musl targets' link editor is chosen in link.rs.
    let by = linked.as_deref().unwrap_or("failed");
    let detail = format!("{} with {by} into {size} bytes", target.triple());
    report.phase("link", start.elapsed(), &detail);
    linked.map(drop).map_err(BuildError::Output)
}

/// Compiles a module (wasm binary or `.wat` text) into a standalone executable at `output`:
/// what `kiln compile` does. The file appears atomically: on error nothing is left at
/// `output` and a file already there is untouched.
///
/// ```
/// let wat = r#"(module
///   (import "wasi_snapshot_preview1" "fd_write"
///     (func $fd_write (param i32 i32 i32 i32) (result i32)))
///   (memory (export "memory") 1)
///   (data (i32.const 8) "hi\n")
///   (func (export "_start")
///     (i32.store (i32.const 0) (i32.const 8))  ;; iovec: base
///     (i32.store (i32.const 4) (i32.const 3))  ;; iovec: length
///     (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))))"#;
/// let dir = tempfile::tempdir()?;
/// let exe = dir.path().join("hi");
/// kiln::compile_to_executable(wat.as_bytes(), &kiln::Options::default(), &exe)?;
/// let out = std::process::Command::new(&exe).output()?;
/// assert_eq!(out.stdout, b"hi\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compile_to_executable(
    wasm: &[u8],
    options: &Options,
    output: &Path,
) -> Result<(), BuildError> {
    compile_to_executable_reported(wasm, options, output, &Reporter::quiet())
}

/// [`compile_to_executable`], telling `report` how it goes.
pub fn compile_to_executable_reported(
    wasm: &[u8],
    options: &Options,
    output: &Path,
    report: &Reporter,
) -> Result<(), BuildError> {
    let object = compile_to_object_reported(wasm, options, report)?;
    write_executable(&object, options, output, report)
}

/// Links `object` at `output` atomically (see [`compile_to_executable`]).
pub(crate) fn write_executable(
    object: &[u8],
    options: &Options,
    output: &Path,
    report: &Reporter,
) -> Result<(), BuildError> {
    let mut link_error = None;
    let written = output::write_atomically(output, true, |tmp| {
        link_object_reported(object, options, tmp, report).map_err(|e| {
            let message = e.to_string();
            link_error = Some(e);
            message
        })
    });
    match (written, link_error) {
        (Ok(()), _) => Ok(()),
        (Err(_), Some(e)) => Err(e),
        (Err(m), None) => Err(BuildError::Output(m)),
    }
}

/// Compiles a WASI command (wasm binary or `.wat` text) for this machine and loads it into
/// this process, ready for [`kiln_runtime::Wasi::start`]: the safe way to embed one.
/// `options.compile.target` must be of this machine's architecture (x86-64; glibc or musl
/// makes no difference to the object); the linker is not used. The loaded code stays
/// mapped for the life of the process, as the runtime requires.
///
/// ```
/// use kiln_runtime::{Output, Wasi, WasiOptions};
///
/// let wat = r#"(module
///   (import "wasi_snapshot_preview1" "fd_write"
///     (func $fd_write (param i32 i32 i32 i32) (result i32)))
///   (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
///   (memory (export "memory") 1)
///   (data (i32.const 8) "hi\n")
///   (func (export "_start")
///     (i32.store (i32.const 0) (i32.const 8))
///     (i32.store (i32.const 4) (i32.const 3))
///     (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
///     (call $proc_exit (i32.const 7))))"#;
/// let module = kiln::load(wat.as_bytes(), &kiln::Options::default())?;
/// let mut wasi = Wasi::new(WasiOptions {
///     return_on_exit: true,
///     stdout: Output::Capture,
///     ..WasiOptions::default()
/// })?;
/// assert_eq!(wasi.start(&module)?, 7);
/// assert_eq!(wasi.stdout()?.unwrap(), b"hi\n");
/// assert!(wasi.start(&module).is_err()); // a second start is refused
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub fn load(wasm: &[u8], options: &Options) -> Result<kiln_runtime::Module, BuildError> {
    use kiln_compiler::Arch;
    let target = &options.compile.target;
    if Arch::HOST != Some(target.arch()) {
        return Err(BuildError::Load(format!(
            "cannot load code for {} into this {} process",
            target.triple(),
            std::env::consts::ARCH
        )));
    }
    // Any number of modules and instances share this process: memory 0's base is loaded.
    let options = &Options {
        compile: CompileOptions {
            memory_base: kiln_compiler::MemoryBase::Loaded,
            ..options.compile.clone()
        },
        linker: options.linker.clone(),
    };
    let object = compile_to_object(wasm, options)?;
    // SAFETY: the object was just produced by Kiln's compiler from `wasm`, for this
    // architecture: its code is what the loader's contract asks for.
    let descriptor = unsafe { crate::loader::load_module(&object) }
        .map_err(|e| BuildError::Load(format!("cannot load the compiled module: {e}")))?;
    // SAFETY: `descriptor` points into the loader's mapping, which is never unmapped, and
    // was written by the compiler that made the object.
    unsafe { kiln_runtime::Module::from_descriptor(descriptor) }
        .map_err(|e| BuildError::Load(format!("cannot decode the compiled module: {e}")))
}
