//! Code generation: a validated module ([`ModuleEnv`]) in, a relocatable object out, in
//! phases with one job each (the shape of cg_clif's declare-then-define driver):
//!
//! ```text
//! declare ──► translate + compile ──────► trampolines ──► place + descriptor ──► .o
//!  every       each body → CLIF (clif.rs),  array-call     code into .text;
//!  symbol      small leaves inlined, CLIF   entries of     kiln_module and its
//!  gets an id  → code (compile.rs), one     exports and    sections (kiln_abi's
//!  (declare.rs) body after another on every start          encoders) (descriptor.rs)
//!              thread (schedule.rs)         (trampoline.rs)
//! ```
//!
//! With [`Dump`], the CLIF of every function before and after optimisation and its machine
//! code are kept for `kiln compile --emit clif` and the snapshot tests.

mod clif;
mod compile;
mod declare;
mod descriptor;
mod schedule;
mod trampoline;

use std::collections::HashSet;

use cranelift_codegen::Context;
use cranelift_module::{Module, ModuleRelocTarget};
use cranelift_object::{ObjectBuilder, ObjectModule};
use kiln_abi::info::{ImportKind, ModuleInfo, RunConfig};
use kiln_abi::Trap;

use crate::environ::ModuleEnv;
use crate::translate::ModuleCtx;
use crate::{CompileError, CompileOptions, ModuleKind, Observer, OptLevel, Phase, UnknownImports};
use std::time::Instant;

thread_local! {
    /// What this thread is compiling, for [`function_being_compiled`].
    static COMPILING: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// The function this thread is translating or compiling ("wasm function 12 `main`"), if
/// any: a panic hook prints it, so that a panic inside Cranelift names the function it
/// happened in even when panics abort (as cg_clif's `PrintOnPanic` guard does).
pub fn function_being_compiled() -> Option<String> {
    COMPILING.with(|c| c.borrow().clone())
}

/// Marks this thread as working on the function `label` describes, until dropped.
struct Compiling;

impl Compiling {
    fn start(label: String) -> Compiling {
        COMPILING.with(|c| *c.borrow_mut() = Some(label));
        Compiling
    }
}

impl Drop for Compiling {
    fn drop(&mut self) {
        COMPILING.with(|c| *c.borrow_mut() = None);
    }
}

fn internal(e: impl std::fmt::Display) -> CompileError {
    CompileError::Internal(e.to_string())
}

/// What to keep of each function besides the object.
pub(crate) enum Dump<'a> {
    /// Nothing: `kiln compile`.
    None,
    /// The CLIF text and the machine code of every function; `wasm` is the module's binary,
    /// whose text format annotates the CLIF.
    Functions { wasm: &'a [u8] },
}

/// One function as [`crate::compile_and_dump`] reports it.
#[derive(Clone, Debug)]
pub struct FunctionDump {
    /// The wasm function index (of the function a trampoline calls, for trampolines).
    pub index: u32,
    /// Its name in the name section (demangled), if any.
    pub name: Option<String>,
    /// The array-call trampoline of an export or the start function, not the function.
    pub trampoline: bool,
    /// The CLIF as translated, before inlining and optimisation.
    pub unoptimized_clif: String,
    /// The CLIF Cranelift lowered to machine code.
    pub optimized_clif: String,
    /// The machine code, relocations not applied.
    pub code: Vec<u8>,
    /// `(code offset, symbol)` of each relocation in `code`.
    pub relocations: Vec<(u32, String)>,
    /// `(code offset, trap)` of each instruction that can trap.
    pub trap_sites: Vec<(u32, Option<Trap>)>,
}

impl FunctionDump {
    /// `12-main` or `12-main.trampoline` (`12` without a name): the file name stem
    /// `--emit clif` uses. The name is reduced to characters safe in a file name.
    pub fn file_stem(&self) -> String {
        let mut stem = self.index.to_string();
        if let Some(name) = &self.name {
            stem.push('-');
            let safe = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                        c
                    } else {
                        '_'
                    }
                })
                .take(80);
            stem.extend(safe);
        }
        if self.trampoline {
            stem.push_str(".trampoline");
        }
        stem
    }
}

/// Generates the object for `env`; with [`Dump::Functions`], also every function's dump,
/// in function index order (trampolines after the functions).
pub(crate) fn emit(
    env: ModuleEnv<'_>,
    opts: &CompileOptions,
    dump: Dump<'_>,
    observer: &dyn Observer,
) -> Result<(Vec<u8>, Vec<FunctionDump>), CompileError> {
    let (isa, cpu_features) = opts.target.isa(opts.opt_level)?;
    let builder = ObjectBuilder::new(
        isa.clone(),
        "kiln-module",
        cranelift_module::default_libcall_names(),
    )
    .map_err(internal)?;
    let mut module = ObjectModule::new(builder);
    let host_call_conv = isa.default_call_conv();
    let info = &env.info;
    let wat = match dump {
        Dump::None => None,
        Dump::Functions { wasm } => Some(clif::WatText::new(wasm)?),
    };

    let decls = declare::declare(&mut module, info, host_call_conv)?;
    let trapping_imports = trapping_imports(info, opts);
    let m = ModuleCtx {
        info,
        host_call_conv,
        arch: opts.target.arch(),
        func_ids: &decls.funcs,
        builtins: &decls.builtins,
        frontend_config: isa.frontend_config(),
        trapping_imports: &trapping_imports,
        interruptible: opts.run_config.limits.timeout_ms.is_some(),
        fuel: opts.run_config.limits.fuel.is_some(),
    };

    let inline = opts.opt_level != OptLevel::None;
    let compiled =
        schedule::translate_and_compile(&*isa, &m, env.bodies, inline, wat.as_ref(), observer)?;
    let start = Instant::now();

    let mut ctx = Context::new();
    let mut trampolines = Vec::with_capacity(decls.trampolines.len());
    let mut trampoline_clif = Vec::new();
    for &(index, id) in &decls.trampolines {
        let callee = decls.funcs[index as usize].expect("defined");
        ctx.clear();
        ctx.func = trampoline::build_trampoline(&m, index, callee, id);
        if let Some(wat) = &wat {
            trampoline_clif.push(wat.write_clif(&ctx.func, None));
        }
        let label = || {
            format!(
                "the array-call trampoline of {}",
                compile::describe_function(info, index)
            )
        };
        let _compiling = Compiling::start(label());
        trampolines.push(compile::compile_function(
            &*isa,
            &mut ctx,
            id,
            &label,
            wat.as_ref().map(|wat| (wat, None)),
            &HashSet::new(),
        )?);
    }

    for (index, &id) in (0..).zip(&decls.import_adapters) {
        ctx.clear();
        ctx.func = trampoline::build_import_adapter(&m, index, id);
        let label = || {
            format!(
                "the host adapter of {}",
                compile::describe_function(info, index)
            )
        };
        let _compiling = Compiling::start(label());
        trampolines.push(compile::compile_function(
            &*isa,
            &mut ctx,
            id,
            &label,
            None,
            &HashSet::new(),
        )?);
    }

    observer.phase_done(
        Phase::Trampolines,
        start.elapsed(),
        &format!(
            "{} entry trampolines, {} import adapters",
            decls.trampolines.len(),
            decls.import_adapters.len()
        ),
    );
    let start = Instant::now();
    descriptor::place_code(&mut module, &compiled, &trampolines)?;
    let dumps = if wat.is_some() {
        let symbol = |target: &ModuleRelocTarget| match target {
            ModuleRelocTarget::User {
                namespace: 0,
                index,
            } => module
                .declarations()
                .get_function_decl(cranelift_module::FuncId::from_u32(*index))
                .linkage_name(cranelift_module::FuncId::from_u32(*index))
                .into_owned(),
            ModuleRelocTarget::User {
                namespace: 1,
                index,
            } => module
                .declarations()
                .get_data_decl(cranelift_module::DataId::from_u32(*index))
                .linkage_name(cranelift_module::DataId::from_u32(*index))
                .into_owned(),
            other => other.to_string(),
        };
        let mut dumps = Vec::new();
        for (index, c) in (info.num_imported_funcs..).zip(&compiled) {
            dumps.push(function_dump(
                info,
                index,
                false,
                c.unoptimized_clif.clone(),
                c,
                &symbol,
            ));
        }
        for ((&(index, _), c), unopt) in decls
            .trampolines
            .iter()
            .zip(&trampolines)
            .zip(trampoline_clif)
        {
            dumps.push(function_dump(info, index, true, Some(unopt), c, &symbol));
        }
        dumps
    } else {
        Vec::new()
    };

    let image = crate::image::build(info, &env.data, opts.target.image_align());
    let inputs = descriptor::DescriptorInputs {
        info: env.info.clone(),
        data: env.data,
        config: RunConfig {
            cpu_features,
            ..opts.run_config.clone()
        },
        image,
    };
    descriptor::write_descriptor(&mut module, &decls, &compiled, inputs)?;
    let mut product = module.finish();
    mark_producer(&mut product.object, opts);
    let object = product.emit().map_err(internal)?;
    observer.phase_done(
        Phase::Emit,
        start.elapsed(),
        &format!("an object of {} bytes", object.len()),
    );
    Ok((object, dumps))
}

/// Records which Kiln built the object, for which target, in its `.comment` section (where
/// C compilers put theirs; the linker merges them and keeps them in the executable, where
/// `kiln inspect` and `readelf -p .comment` read them): [`crate::producer_comment`].
fn mark_producer(object: &mut cranelift_object::object::write::Object<'_>, opts: &CompileOptions) {
    use cranelift_object::object::SectionKind;
    let section = object.add_section(Vec::new(), b".comment".to_vec(), SectionKind::OtherString);
    let mut text = crate::producer_comment(&opts.target).into_bytes();
    text.push(0);
    object.append_section_data(section, &text, 1);
}

/// Per imported function: whether calling it traps (`--unknown-imports=trap`).
fn trapping_imports(info: &ModuleInfo, opts: &CompileOptions) -> Vec<bool> {
    info.imports
        .iter()
        .filter(|i| matches!(i.kind, ImportKind::Func(_)))
        .map(|i| {
            opts.kind == ModuleKind::Command
                && opts.unknown_imports == UnknownImports::Trap
                && !crate::command::is_wasi_import(i, &info.types)
        })
        .collect()
}

fn function_dump(
    info: &ModuleInfo,
    index: u32,
    trampoline: bool,
    unoptimized_clif: Option<String>,
    c: &compile::CompiledFunc,
    symbol: &dyn Fn(&ModuleRelocTarget) -> String,
) -> FunctionDump {
    FunctionDump {
        index,
        name: info.func_name(index).map(str::to_string),
        trampoline,
        unoptimized_clif: unoptimized_clif.unwrap_or_default(),
        optimized_clif: c.optimized_clif.clone().unwrap_or_default(),
        code: c.bytes.clone(),
        relocations: c
            .relocs
            .iter()
            .map(|r| (r.offset, symbol(&r.name)))
            .collect(),
        trap_sites: c
            .traps
            .iter()
            .map(|t| (t.code_offset, Trap::from_u8(t.trap)))
            .collect(),
    }
}
