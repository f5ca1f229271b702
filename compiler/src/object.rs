//! Code generation and the object file: compiles every function (in parallel), the
//! array-call trampolines, and the module descriptor the runtime reads.

use std::sync::Arc;

use cranelift_codegen::ir::{
    types, AbiParam, Function, InstBuilder, MemFlagsData, Signature, UserFuncName,
};
use cranelift_codegen::isa::{self, TargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::{control::ControlPlane, Context};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{DataDescription, DataId, FuncId, Linkage, Module, ModuleReloc};
use cranelift_object::{ObjectBuilder, ObjectModule};
use kiln_abi::cpu;
use kiln_abi::descriptor::{self as d, AddrMapEntry, TrapSite};
use kiln_abi::info::{ExportKind, ImportKind, RunConfig};
use kiln_abi::symbols;
use rayon::prelude::*;

use crate::environ::ModuleEnv;
use crate::translate::{self, clif_type, func_name, ModuleCtx};
use crate::{CompileError, CompileOptions, ModuleKind, OptLevel, TargetCpu, UnknownImports};

/// The target: x86-64 Linux with the CPU features `cpu` allows. Returns the ISA and the
/// features it uses (recorded in the executable, which checks them at start-up).
pub fn build_isa(
    opt: OptLevel,
    cpu: TargetCpu,
) -> Result<(Arc<dyn TargetIsa>, Vec<String>), CompileError> {
    let internal = |e: &dyn std::fmt::Display| CompileError::Internal(e.to_string());
    let mut flags = settings::builder();
    let opt_level = match opt {
        OptLevel::None => "none",
        OptLevel::Speed => "speed",
        OptLevel::SpeedAndSize => "speed_and_size",
    };
    for (name, value) in [
        ("opt_level", opt_level),
        // Backtraces walk the frame-pointer chain.
        ("preserve_frame_pointers", "true"),
        // Position-independent code links into PIE executables and loads anywhere.
        ("is_pic", "true"),
        ("enable_multi_ret_implicit_sret", "true"),
        // Stack overflow is caught by the stack-limit check, not by probing.
        ("enable_probestack", "false"),
        ("unwind_info", "false"),
        (
            "enable_verifier",
            if cfg!(debug_assertions) {
                "true"
            } else {
                "false"
            },
        ),
    ] {
        flags.set(name, value).map_err(|e| internal(&e))?;
    }
    let mut builder = isa::lookup_by_name("x86_64-unknown-linux-gnu").map_err(|e| internal(&e))?;
    let wanted: Vec<&str> = match cpu {
        TargetCpu::X86_64V2 => cpu::X86_64_V2.to_vec(),
        TargetCpu::X86_64V3 => cpu::X86_64_V3.to_vec(),
        TargetCpu::Native => cpu::FEATURES
            .iter()
            .map(|(_, name)| *name)
            .filter(|name| cpu::host_has(name))
            .collect(),
    };
    for (setting, name) in cpu::FEATURES {
        if wanted.contains(name) {
            builder.enable(setting).map_err(|e| internal(&e))?;
        }
    }
    let isa = builder
        .finish(settings::Flags::new(flags))
        .map_err(|e| internal(&e))?;
    Ok((isa, wanted.into_iter().map(String::from).collect()))
}

/// One function's machine code and metadata, ready to be placed in the object.
struct CompiledFunc {
    id: FuncId,
    bytes: Vec<u8>,
    alignment: u64,
    relocs: Vec<ModuleReloc>,
    traps: Vec<TrapSite>,
    addr_map: Vec<AddrMapEntry>,
}

/// Generates code for the function in `ctx`.
fn compile_clif(
    isa: &dyn TargetIsa,
    ctx: &mut Context,
    id: FuncId,
) -> Result<CompiledFunc, CompileError> {
    let compiled = ctx
        .compile(isa, &mut ControlPlane::default())
        .map_err(|e| CompileError::Internal(format!("{:?}", e.inner)))?;
    let bytes = compiled.code_buffer().to_vec();
    let buffer = &compiled.buffer;
    // Sorted, non-overlapping code ranges → wasm offset: binary search, since large
    // functions have thousands of ranges and thousands of trap sites.
    let srclocs = buffer.get_srclocs_sorted();
    let srcloc_at = |code_offset: u32| {
        let i = srclocs.partition_point(|s| s.start <= code_offset);
        let s = srclocs.get(i.checked_sub(1)?)?;
        (code_offset < s.end && !s.loc.is_default()).then_some(s)
    };
    let traps = buffer
        .traps()
        .iter()
        .map(|t| TrapSite {
            code_offset: t.offset,
            wasm_offset: srcloc_at(t.offset).map_or(0, |s| s.loc.bits()),
            trap: translate::trap_from_code(t.code).map_or(0, |t| t as u8),
            reserved: [0; 3],
        })
        .collect();
    // Backtraces only ever look up return addresses (and trap sites, which carry their
    // own wasm offset), so the map records the wasm offset of each call: an entry at the
    // start of the call's code, found by the runtime as "the last entry at or before the
    // return address - 1". One entry per call keeps the map small.
    let mut addr_map: Vec<AddrMapEntry> = Vec::new();
    for call in buffer.call_sites() {
        let Some(at) = call.ret_addr.checked_sub(1) else {
            continue;
        };
        let Some(s) = srcloc_at(at) else {
            continue;
        };
        let entry = AddrMapEntry {
            code_offset: s.start,
            wasm_offset: s.loc.bits(),
        };
        if addr_map.last() != Some(&entry) {
            addr_map.push(entry);
        }
    }
    addr_map.sort_by_key(|e| e.code_offset);
    addr_map.dedup_by_key(|e| e.code_offset);
    let alignment = u64::from(buffer.alignment.max(16));
    let mach_relocs = buffer.relocs().to_vec();
    let relocs = mach_relocs
        .iter()
        .map(|r| ModuleReloc::from_mach_reloc(r, &ctx.func, id))
        .collect();
    Ok(CompiledFunc {
        id,
        bytes,
        alignment,
        relocs,
        traps,
        addr_map,
    })
}

/// `extern "C" fn(vmctx, values: *mut ValRaw)`: reads the arguments from `values`, calls
/// function `index` directly and writes its results back to `values`.
fn build_trampoline(m: &ModuleCtx<'_>, index: u32, callee: FuncId, id: FuncId) -> Function {
    let ty = &m.info.types[m.info.funcs[index as usize] as usize];
    let mut sig = Signature::new(m.call_conv);
    sig.params.push(AbiParam::new(types::I64));
    sig.params.push(AbiParam::new(types::I64));
    let mut func = Function::with_name_signature(UserFuncName::User(func_name(id)), sig);
    let mut fctx = FunctionBuilderContext::new();
    let mut bcx = FunctionBuilder::new(&mut func, &mut fctx);
    let block = bcx.create_block();
    bcx.append_block_params_for_function_params(block);
    bcx.switch_to_block(block);
    bcx.seal_block(block);
    let (vmctx, values) = (bcx.block_params(block)[0], bcx.block_params(block)[1]);
    let flags = MemFlagsData::trusted();
    let mut args = vec![vmctx];
    for (i, t) in ty.params.iter().enumerate() {
        args.push(bcx.ins().load(clif_type(*t), flags, values, i as i32 * 16));
    }
    let callee = translate::import_func(&mut bcx, callee, m.signature(ty), true);
    let call = bcx.ins().call(callee, &args);
    let results = bcx.inst_results(call).to_vec();
    for (i, r) in results.into_iter().enumerate() {
        bcx.ins().store(flags, r, values, i as i32 * 16);
    }
    bcx.ins().return_(&[]);
    bcx.finalize(m.frontend_config);
    func
}

fn internal(e: impl std::fmt::Display) -> CompileError {
    CompileError::Internal(e.to_string())
}

/// The data blob without the bytes of active segments, which are all in the memory image
/// (active segments are dropped at instantiation, so their bytes are never read again).
fn strip_active_segments(info: &mut kiln_abi::info::ModuleInfo, data: &[u8]) -> Vec<u8> {
    let mut kept = Vec::new();
    for seg in &mut info.data {
        if matches!(seg.mode, kiln_abi::info::SegmentMode::Active { .. }) {
            seg.start = 0;
            seg.len = 0;
        } else {
            let bytes = &data[seg.start as usize..(seg.start + seg.len) as usize];
            seg.start = kept.len() as u32;
            kept.extend_from_slice(bytes);
        }
    }
    kept
}

pub fn emit(env: ModuleEnv<'_>, opts: &CompileOptions) -> Result<Vec<u8>, CompileError> {
    let (isa, cpu_features) = build_isa(opts.opt_level, opts.target_cpu)?;
    let builder = ObjectBuilder::new(
        isa.clone(),
        "kiln-module",
        cranelift_module::default_libcall_names(),
    )
    .map_err(internal)?;
    let mut module = ObjectModule::new(builder);
    let call_conv = isa.default_call_conv();
    let info = &env.info;

    // Declare everything first, so that any function can refer to any other.
    let mut func_ids = vec![None; info.funcs.len()];
    for index in info.num_imported_funcs..info.funcs.len() as u32 {
        let ty = &info.types[info.funcs[index as usize] as usize];
        let sig = translate::wasm_signature(ty, call_conv);
        let id = module
            .declare_function(&symbols::func(index), Linkage::Local, &sig)
            .map_err(internal)?;
        func_ids[index as usize] = Some(id);
    }
    let mut builtins = Vec::new();
    for name in symbols::builtin::ALL {
        // Builtins are declared with a placeholder signature; calls import their own.
        let sig = Signature::new(call_conv);
        let id = module
            .declare_function(name, Linkage::Import, &sig)
            .map_err(internal)?;
        builtins.push((name, id));
    }
    let mut needs_trampoline: Vec<u32> = info
        .exports
        .iter()
        .filter(|e| e.kind == ExportKind::Func && e.index >= info.num_imported_funcs)
        .map(|e| e.index)
        .chain(info.start.filter(|s| *s >= info.num_imported_funcs))
        .collect();
    needs_trampoline.sort_unstable();
    needs_trampoline.dedup();
    let mut tramp_sig = Signature::new(call_conv);
    tramp_sig.params.push(AbiParam::new(types::I64));
    tramp_sig.params.push(AbiParam::new(types::I64));
    let mut trampolines = Vec::new();
    for &index in &needs_trampoline {
        let id = module
            .declare_function(&symbols::trampoline(index), Linkage::Local, &tramp_sig)
            .map_err(internal)?;
        trampolines.push((index, id));
    }

    let trapping_imports: Vec<bool> = info
        .imports
        .iter()
        .filter(|i| matches!(i.kind, ImportKind::Func(_)))
        .map(|i| {
            opts.kind == ModuleKind::Command
                && opts.unknown_imports == UnknownImports::Trap
                && !crate::command::is_wasi_import(i, &info.types)
        })
        .collect();
    let m = ModuleCtx {
        info,
        call_conv,
        func_ids: &func_ids,
        builtins: &builtins,
        frontend_config: isa.frontend_config(),
        trapping_imports: &trapping_imports,
    };

    // Translate every body in parallel; keep the first error in module order.
    let translated: Vec<Result<(FuncId, Function), CompileError>> = env
        .bodies
        .into_par_iter()
        .map_init(FunctionBuilderContext::new, |fctx, input| {
            let id = func_ids[input.index as usize].expect("defined");
            translate::translate_function(&m, input, fctx)
                .map(|f| (id, f))
                .inspect_err(|_| {
                    // A failed translation leaves the builder context mid-function.
                    *fctx = FunctionBuilderContext::new();
                })
        })
        .collect();
    let mut funcs = Vec::with_capacity(translated.len());
    for t in translated {
        funcs.push(t?);
    }
    // Then inline small leaf functions into their callers and generate code, in parallel.
    let candidates = if opts.opt_level == OptLevel::None {
        crate::inline::Candidates::new([])
    } else {
        crate::inline::Candidates::new(funcs.iter().map(|(id, f)| (id.as_u32(), f)))
    };
    let results: Vec<Result<CompiledFunc, CompileError>> = funcs
        .par_iter()
        .map_init(Context::new, |ctx, (id, func)| {
            ctx.clear();
            ctx.func = func.clone();
            ctx.inline(candidates.inliner())
                .map_err(|e| CompileError::Internal(format!("inlining: {e:?}")))?;
            compile_clif(&*isa, ctx, *id)
        })
        .collect();
    let mut compiled = Vec::with_capacity(results.len());
    for r in results {
        compiled.push(r?);
    }
    let mut ctx = Context::new();
    let mut compiled_trampolines = Vec::new();
    for &(index, id) in &trampolines {
        let callee = func_ids[index as usize].expect("defined");
        ctx.clear();
        ctx.func = build_trampoline(&m, index, callee, id);
        compiled_trampolines.push(compile_clif(&*isa, &mut ctx, id)?);
    }

    // Place the code and collect the per-function tables.
    let mut trap_bytes = Vec::new();
    let mut addr_bytes = Vec::new();
    let mut entries = Vec::new();
    let (mut num_traps, mut num_addrs) = (0u32, 0u32);
    for f in compiled.iter().chain(&compiled_trampolines) {
        module
            .define_function_bytes(f.id, f.alignment, &f.bytes, &f.relocs)
            .map_err(internal)?;
    }
    for f in &compiled {
        entries.push((
            f.id,
            f.bytes.len() as u32,
            num_traps,
            f.traps.len() as u32,
            num_addrs,
            f.addr_map.len() as u32,
        ));
        for t in &f.traps {
            trap_bytes.extend_from_slice(&t.to_bytes());
        }
        for a in &f.addr_map {
            addr_bytes.extend_from_slice(&a.to_bytes());
        }
        num_traps += f.traps.len() as u32;
        num_addrs += f.addr_map.len() as u32;
    }

    // The descriptor and the blobs it points to.
    let define_blob = |module: &mut ObjectModule, name: &str, bytes: Vec<u8>, align: u64| {
        let id = module
            .declare_data(name, Linkage::Local, false, false)
            .map_err(internal)?;
        let mut desc = DataDescription::new();
        desc.define(bytes.into_boxed_slice());
        desc.set_align(align);
        module.define_data(id, &desc).map_err(internal)?;
        Ok::<DataId, CompileError>(id)
    };
    // Active segments folded into the image need no bytes of their own at run time.
    let image = crate::image::build(info, &env.data);
    let mut info = env.info.clone();
    let mut data = env.data;
    if image.is_some() {
        data = strip_active_segments(&mut info, &data);
    }
    let info_len = {
        let bytes = info.encode();
        let len = bytes.len();
        (define_blob(&mut module, "kiln_info", bytes, 8)?, len)
    };
    let data_len = data.len();
    let data_id = define_blob(&mut module, "kiln_data", data, 16)?;
    let trap_id = define_blob(&mut module, "kiln_trap_sites", trap_bytes, 8)?;
    let addr_id = define_blob(&mut module, "kiln_addr_map", addr_bytes, 8)?;
    let config = RunConfig {
        cpu_features,
        ..opts.run_config.clone()
    }
    .encode();
    let config_len = config.len();
    let config_id = define_blob(&mut module, "kiln_config", config, 8)?;

    let funcs_id = module
        .declare_data("kiln_funcs", Linkage::Local, false, false)
        .map_err(internal)?;
    let mut funcs = DataDescription::new();
    let mut bytes = vec![0u8; entries.len() * d::FUNC_ENTRY_SIZE];
    for (i, &(id, code_len, traps_start, traps_len, addr_start, addr_len)) in
        entries.iter().enumerate()
    {
        let at = i * d::FUNC_ENTRY_SIZE;
        let index = info.num_imported_funcs + i as u32;
        let code_ref = module.declare_func_in_data(id, &mut funcs);
        funcs.write_function_addr(at as u32 + d::FUNC_ENTRY_OFFSET_CODE, code_ref);
        if let Some(&(_, tid)) = trampolines.iter().find(|(fi, _)| *fi == index) {
            let tref = module.declare_func_in_data(tid, &mut funcs);
            funcs.write_function_addr(at as u32 + d::FUNC_ENTRY_OFFSET_TRAMPOLINE, tref);
        }
        for (k, v) in [code_len, traps_start, traps_len, addr_start, addr_len]
            .into_iter()
            .enumerate()
        {
            let o = at + 16 + k * 4;
            bytes[o..o + 4].copy_from_slice(&v.to_le_bytes());
        }
    }
    funcs.define(bytes.into_boxed_slice());
    funcs.set_align(8);
    module.define_data(funcs_id, &funcs).map_err(internal)?;

    let desc_id = module
        .declare_data(symbols::MODULE_DESCRIPTOR, Linkage::Export, false, false)
        .map_err(internal)?;
    let mut desc = DataDescription::new();
    let mut bytes = vec![0u8; d::DESC_SIZE];
    bytes[0..8].copy_from_slice(&d::MAGIC.to_le_bytes());
    let mut blobs = vec![
        (d::DESC_OFFSET_INFO, info_len.0, info_len.1),
        (d::DESC_OFFSET_DATA, data_id, data_len),
        (d::DESC_OFFSET_FUNCS, funcs_id, entries.len()),
        (d::DESC_OFFSET_TRAP_SITES, trap_id, num_traps as usize),
        (d::DESC_OFFSET_ADDR_MAP, addr_id, num_addrs as usize),
        (d::DESC_OFFSET_CONFIG, config_id, config_len),
    ];
    if let Some(image) = image {
        let len = image.bytes.len();
        let id = define_blob(
            &mut module,
            "kiln_memory_image",
            image.bytes,
            d::IMAGE_ALIGN,
        )?;
        blobs.push((d::DESC_OFFSET_IMAGE, id, len));
        let o = d::DESC_OFFSET_IMAGE_OFFSET as usize;
        bytes[o..o + 8].copy_from_slice(&image.offset.to_le_bytes());
    }
    // Each blob is a (pointer, length) pair in the descriptor.
    for (off, id, len) in blobs {
        let gv = module.declare_data_in_data(id, &mut desc);
        desc.write_data_addr(off, gv, 0);
        let o = off as usize + 8;
        bytes[o..o + 8].copy_from_slice(&(len as u64).to_le_bytes());
    }
    desc.define(bytes.into_boxed_slice());
    desc.set_align(8);
    module.define_data(desc_id, &desc).map_err(internal)?;

    let product = module.finish();
    product.emit().map_err(internal)
}
