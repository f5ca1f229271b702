//! Kiln's compiler: a WebAssembly module (binary or text) in, one relocatable object out.
//!
//! ```text
//! bytes ─► wat::parse_bytes ─► environ::translate_module (wasmparser: sections, validation,
//!          ModuleInfo) ─► codegen: declare ─► per function, in parallel: translate
//!          (operators ─► CLIF) and compile (Cranelift) ─► trampolines ─► place + descriptor
//!          ─► .o
//! ```

// A silently truncated offset, index or length here is a miscompile or a sandbox escape, so
// every narrowing `as` is either checked or says why it cannot lose bits. (Set here, not in
// `[workspace.lints]`: the other crates do not carry that risk, and a crate opting into the
// workspace table cannot add lints of its own there.)
#![warn(clippy::cast_possible_truncation)]

mod codegen;
mod command;
mod cpu_check;
mod dwarf;
mod environ;
mod error;
mod hoist;
mod image;
mod inline;
mod target;
mod translate;

pub use codegen::{function_being_compiled, FunctionDump};
pub use error::CompileError;
pub use target::{cpu_names, Target, TargetCpu, SUPPORTED_TRIPLES};

pub use kiln_abi::info::RunConfig;
pub use kiln_abi::target::Arch;

use std::time::{Duration, Instant};

/// How hard Cranelift optimises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OptLevel {
    None,
    Speed,
    #[default]
    SpeedAndSize,
}

/// What the module must be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ModuleKind {
    /// A WASI command: exports `_start` and `memory`, imports only WASI functions.
    #[default]
    Command,
    /// Any valid module (test harnesses instantiate it with their own imports).
    Library,
}

/// What to do with a command's imports that the runtime cannot provide.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnknownImports {
    #[default]
    Reject,
    /// Compile anyway; calling such an import traps.
    Trap,
}

#[derive(Clone, Debug, Default)]
pub struct CompileOptions {
    pub opt_level: OptLevel,
    /// What to generate code for (default: x86-64 Linux, this machine's CPU).
    pub target: Target,
    pub kind: ModuleKind,
    pub unknown_imports: UnknownImports,
    /// Grants and limits baked into the executable.
    pub run_config: RunConfig,
    /// The WebAssembly features the module may use; `None`: every feature Kiln compiles
    /// ([`supported_features`]). A feature named here that Kiln does not compile stays
    /// refused, with an error that names its proposal. (The spec-test harness runs each
    /// tier with the features the reference runs it with: 2.0-only scripts assert that
    /// 3.0 constructs are invalid.)
    pub features: Option<WasmFeatures>,
    /// Whether memory 0's address is built into the code ([`MemoryBase`]).
    pub memory_base: MemoryBase,
}

/// Where compiled code finds memory 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MemoryBase {
    /// Built in: for a command compiled for x86-64 whose memory 0 is a 32-bit memory, the
    /// runtime reserves that memory at `kiln_abi::memory::FIXED_MEMORY0_BASE` and the code
    /// adds the address to each wasm address as an immediate, which frees the register that
    /// would hold the base. Only one instance of the module can exist in a process, so it
    /// is for executables. Any other module is compiled as with [`MemoryBase::Loaded`].
    #[default]
    Fixed,
    /// Loaded from the instance's vmctx: any number of instances in one process
    /// (`kiln::load`, the spec harness).
    Loaded,
}

/// The WebAssembly features a module may use (wasmparser's feature set).
pub use wasmparser::WasmFeatures;

/// Every WebAssembly feature Kiln compiles.
pub fn supported_features() -> WasmFeatures {
    environ::features()
}

impl CompileOptions {
    /// The features the module is validated with.
    fn effective_features(&self) -> WasmFeatures {
        match self.features {
            Some(f) => f & environ::features(),
            None => environ::features(),
        }
    }
}

/// Compiles a module (wasm binary or `.wat` text) into a relocatable object file.
///
/// ```
/// let wat = r#"(module (memory (export "memory") 1) (func (export "_start")))"#;
/// let object = kiln_compiler::compile(wat.as_bytes(), &Default::default())?;
/// assert!(object.starts_with(b"\x7fELF"));
/// # Ok::<(), kiln_compiler::CompileError>(())
/// ```
pub fn compile(bytes: &[u8], opts: &CompileOptions) -> Result<Vec<u8>, CompileError> {
    compile_observed(bytes, opts, &Quiet)
}

/// [`compile`], telling `observer` how it proceeds: each [`Phase`] with its time, and each
/// function as it is translated and compiled (for a progress bar).
pub fn compile_observed(
    bytes: &[u8],
    opts: &CompileOptions,
    observer: &dyn Observer,
) -> Result<Vec<u8>, CompileError> {
    let start = Instant::now();
    let wasm = to_binary(bytes)?;
    let form = if wasm.as_ptr() == bytes.as_ptr() {
        "binary"
    } else {
        "text"
    };
    observer.phase_done(
        Phase::Parse,
        start.elapsed(),
        &format!(
            "{} bytes of {form}, {} bytes of wasm",
            bytes.len(),
            wasm.len()
        ),
    );
    let start = Instant::now();
    let env = read_module(&wasm, opts)?;
    if opts.kind == ModuleKind::Command {
        command::check(&env, opts.unknown_imports)?;
    }
    cpu_check::check(&env, &opts.target, &opts.target.cpu_features())?;
    let code_bytes: usize = env.bodies.iter().map(|b| b.body.as_bytes().len()).sum();
    observer.phase_done(
        Phase::Read,
        start.elapsed(),
        &format!(
            "{} functions ({} imported), {code_bytes} bytes of code",
            env.bodies.len(),
            env.info.num_imported_funcs
        ),
    );
    let (object, _) = codegen::emit(env, opts, codegen::Dump::None, observer)?;
    Ok(object)
}

/// A step of [`compile_observed`], in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// `.wat` text to binary (nothing to do for a binary).
    Parse,
    /// The sections read and validated into the module's description, and the checks
    /// a command must pass (function bodies are validated as they are translated).
    Read,
    /// The bodies small enough to be inlined validated and translated to Cranelift IR, in
    /// parallel (the inliner needs them all before anything is compiled).
    Translate,
    /// Every other body validated and translated, then for each function inlining,
    /// Cranelift's optimisations and machine-code generation, one function after another
    /// on every thread.
    Compile,
    /// The array-call entries of exports and the host adapters of imports.
    Trampolines,
    /// Code, data and descriptor placed, the object written.
    Emit,
}

impl Phase {
    /// Its name in `kiln -v`.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Parse => "parse",
            Phase::Read => "read + validate",
            Phase::Translate => "translate inlinees",
            Phase::Compile => "translate + codegen",
            Phase::Trampolines => "trampolines",
            Phase::Emit => "emit object",
        }
    }
}

/// Hears how [`compile_observed`] proceeds. Called from the compiling threads, so it is
/// `Sync`; every method has a default that does nothing.
pub trait Observer: Sync {
    /// `phase` finished after `time`; `detail` gives the counts that explain the time.
    fn phase_done(&self, _phase: Phase, _time: Duration, _detail: &str) {}
    /// `count` functions are about to go through `phase` ([`Phase::Translate`] or
    /// [`Phase::Compile`]).
    fn functions_started(&self, _phase: Phase, _count: usize) {}
    /// One more function went through `phase`.
    fn function_done(&self, _phase: Phase) {}
}

/// The [`Observer`] that ignores everything: what [`compile`] uses.
pub struct Quiet;

impl Observer for Quiet {}

/// Every symbol a compiled object may import: the runtime's builtins and the functions
/// Cranelift calls for some instructions (`memcpy`, `ceilf`, ...), which the link takes from
/// the C library. (The runtime in turn imports the object's descriptor, `kiln_module`.)
pub fn imported_symbols() -> Vec<String> {
    let libcall_name = cranelift_module::default_libcall_names();
    kiln_abi::builtin::Builtin::ALL
        .iter()
        .map(|b| b.symbol().to_string())
        .chain(
            cranelift_codegen::ir::LibCall::all_libcalls()
                .iter()
                .map(|&l| libcall_name(l)),
        )
        .collect()
}

/// What the compiler writes in the object's `.comment` section, which the linker keeps in
/// the executable: `Kiln <version> (<triple>, --target-cpu <cpu>)`.
pub fn producer_comment(target: &Target) -> String {
    let cpu = match target.cpu() {
        TargetCpu::Native => "native",
        TargetCpu::Level(level) => level,
    };
    format!(
        "{PRODUCER_PREFIX}{} ({}, --target-cpu {cpu})",
        env!("CARGO_PKG_VERSION"),
        target.triple()
    )
}

/// How [`producer_comment`] starts.
pub const PRODUCER_PREFIX: &str = "Kiln ";

/// Compiles a module like [`compile`] and also returns, for every function and trampoline,
/// its CLIF before and after optimisation (with the wasm instructions as comments) and its
/// machine code: what `kiln compile --emit clif` writes and the snapshot tests compare.
pub fn compile_and_dump(
    bytes: &[u8],
    opts: &CompileOptions,
) -> Result<(Vec<u8>, Vec<FunctionDump>), CompileError> {
    let wasm = to_binary(bytes)?;
    let env = read_module(&wasm, opts)?;
    if opts.kind == ModuleKind::Command {
        command::check(&env, opts.unknown_imports)?;
    }
    cpu_check::check(&env, &opts.target, &opts.target.cpu_features())?;
    codegen::emit(env, opts, codegen::Dump::Functions { wasm: &wasm }, &Quiet)
}

/// Validates and reads the module with the features it may use.
fn read_module<'a>(
    wasm: &'a [u8],
    opts: &CompileOptions,
) -> Result<environ::ModuleEnv<'a>, CompileError> {
    let mut env = environ::translate_module(wasm, opts.effective_features())?;
    let fixed = opts.memory_base == MemoryBase::Fixed
        && opts.kind == ModuleKind::Command
        && opts.target.arch() == Arch::X86_64
        && env.info.memories.first().is_some_and(|m| !m.memory64);
    env.info.memory0_base = fixed.then_some(kiln_abi::memory::FIXED_MEMORY0_BASE);
    Ok(env)
}

/// The module's binary encoding: `bytes` itself, or `bytes` parsed as the text format.
fn to_binary(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, CompileError> {
    if bytes.starts_with(b"\0asm") {
        return Ok(bytes.into());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        CompileError::Parse(
            "not a WebAssembly module: no `\\0asm` header, and not UTF-8 text in the .wat format"
                .into(),
        )
    })?;
    wat::parse_str(text)
        .map(Into::into)
        .map_err(|e| CompileError::Parse(format!("invalid WebAssembly text: {e}")))
}
