//! Compilation of one function: CLIF → machine code, with its trap sites and address map
//! (code offset → wasm offset) taken from Cranelift's source locations (and, for calls an
//! inlined function makes, from their debug tags). Small callees are inlined first
//! ([`crate::inline`]). An error names the wasm function.

use std::cell::RefCell;
use std::collections::HashSet;

use cranelift_codegen::ir::{Function, Opcode};
use cranelift_codegen::isa::TargetIsa;
use cranelift_codegen::settings::OptLevel;
use cranelift_codegen::{control::ControlPlane, CodegenError, CodegenResult, Context};
use cranelift_codegen::{CompiledCode, MachBufferFrameLayout, MachDebugTagPos};
use cranelift_codegen::{ExceptionContextLoc, FinalizedMachExceptionHandler};
use cranelift_module::{FuncId, ModuleReloc};
use kiln_abi::descriptor::{AddrMapEntry, CallSite, Handler, TrapSite};
use kiln_abi::info::ModuleInfo;

use super::clif::{ClifFunc, WatText};
use crate::inline::Candidates;
use crate::{translate, CompileError};

/// One function's machine code and metadata, ready to be placed in the object.
pub(super) struct CompiledFunc {
    pub id: FuncId,
    pub bytes: Vec<u8>,
    pub alignment: u64,
    pub relocs: Vec<ModuleReloc>,
    pub traps: Vec<TrapSite>,
    pub addr_map: Vec<AddrMapEntry>,
    /// Calls with exception handlers (sorted by return address), and their handlers.
    pub call_sites: Vec<CallSite>,
    pub handlers: Vec<Handler>,
    /// The CLIF as translated, before inlining and optimisation, when asked for.
    pub unoptimized_clif: Option<String>,
    /// The CLIF after inlining and Cranelift's optimisations, when asked for.
    pub optimized_clif: Option<String>,
}

/// Inlines `candidates` into the translated function `f` and compiles it, in `ctx` (the
/// thread's reusable context). `wat` is `Some` to keep the optimised CLIF text.
pub(super) fn compile_translated(
    isa: &dyn TargetIsa,
    info: &ModuleInfo,
    ctx: &mut Context,
    f: ClifFunc,
    candidates: &Candidates<'_>,
    wat: Option<&WatText>,
    no_wasm_calls: &HashSet<u32>,
) -> Result<CompiledFunc, CompileError> {
    ctx.clear();
    ctx.func = f.func;
    let label = || describe_function(info, f.index);
    if !candidates.is_empty() {
        candidates.tag_calls_of_callers(&mut ctx.func, f.index);
        ctx.inline(candidates.inliner())
            .map_err(|e| codegen_error(&label, &ctx.func, e, "inlining"))?;
    }
    let wat = wat.map(|wat| (wat, Some(f.body_offset)));
    let mut compiled = compile_function(isa, ctx, f.id, &label, wat, no_wasm_calls)?;
    compiled.unoptimized_clif = f.unoptimized_clif;
    Ok(compiled)
}

/// "wasm function 12 `main`": how errors and CLIF dumps name function `index`.
pub(super) fn describe_function(info: &ModuleInfo, index: u32) -> String {
    match info.func_name(index) {
        Some(name) => format!("wasm function {index} `{name}`"),
        None => format!("wasm function {index}"),
    }
}

/// A Cranelift failure, naming the function (`label()`) it happened in.
pub(super) fn codegen_error(
    label: &dyn Fn() -> String,
    func: &Function,
    error: CodegenError,
    during: &str,
) -> CompileError {
    let message = match error {
        CodegenError::Verifier(errors) => format!(
            "{during}: the CLIF does not verify:\n{}",
            cranelift_codegen::print_errors::pretty_verifier_error(func, None, errors)
        ),
        other => format!("{during}: {other}"),
    };
    CompileError::Codegen {
        function: label(),
        message,
    }
}

thread_local! {
    /// The register allocator's reusable state, one per compiling thread.
    static REGALLOC: RefCell<regalloc2::Ctx> = RefCell::default();
}

/// What `Context::compile` does, with Kiln's own pass ([`crate::hoist`]) between
/// Cranelift's optimiser and its lowering. `no_wasm_calls`: see [`may_skip_stack_check`].
fn optimize_and_lower(
    isa: &dyn TargetIsa,
    ctx: &mut Context,
    no_wasm_calls: &HashSet<u32>,
) -> CodegenResult<CompiledCode> {
    ctx.optimize(isa, &mut ControlPlane::default())?;
    if isa.flags().opt_level() != OptLevel::None {
        ctx.compute_loop_analysis();
        crate::hoist::hoist_loop_invariant_remats(&mut ctx.func, &ctx.domtree, &ctx.loop_analysis);
        ctx.func.dfg.resolve_all_aliases();
    }
    // The frame size is known only after register allocation: a function that may skip the
    // stack-limit check but whose frame turns out big is lowered a second time, with it.
    let unchecked = may_skip_stack_check(&ctx.func, no_wasm_calls);
    let stack_limit = ctx.func.stack_limit;
    if unchecked {
        ctx.func.stack_limit = None;
    }
    // (The stencil's type is not exported by Cranelift; hence a closure.)
    let lower = |func: &Function, domtree| {
        REGALLOC.with_borrow_mut(|regalloc| {
            isa.compile_function(
                func,
                domtree,
                regalloc,
                ctx.want_disasm,
                &mut ControlPlane::default(),
            )
        })
    };
    let mut stencil = lower(&ctx.func, &ctx.domtree)?;
    if unchecked && stack_limit.is_some() && !frame_fits_unchecked(stencil.buffer.frame_layout()) {
        ctx.func.stack_limit = stack_limit;
        stencil = lower(&ctx.func, &ctx.domtree)?;
    }
    ctx.func.stack_limit = stack_limit;
    Ok(stencil.apply_params(&ctx.func.params))
}

/// Whether `func` needs no stack-limit check if its frame is small
/// (`UNCHECKED_FRAME_MAX`): it calls nothing, or only defined functions in `no_wasm_calls`
/// (module ids of those whose bodies call no function). Such a callee calls nothing and
/// skips the check too, or calls builtins and checks itself, so two unchecked frames are
/// the most that are ever below the limit.
fn may_skip_stack_check(func: &Function, no_wasm_calls: &HashSet<u32>) -> bool {
    func.layout.blocks().all(|block| {
        func.layout.block_insts(block).all(|inst| {
            let op = func.dfg.insts[inst].opcode();
            !op.is_call()
                || (op == Opcode::Call
                    && crate::inline::direct_callee(func, inst)
                        .is_some_and(|id| no_wasm_calls.contains(&id)))
        })
    })
}

/// Whether the frame below the return address (frame record, saved registers, spill and
/// stack slots, outgoing arguments) is at most `UNCHECKED_FRAME_MAX` bytes.
fn frame_fits_unchecked(layout: Option<&MachBufferFrameLayout>) -> bool {
    const FRAME_RECORD: u32 = 16;
    layout.is_some_and(|layout| {
        layout.frame_to_fp_offset + FRAME_RECORD <= kiln_abi::vmctx::UNCHECKED_FRAME_MAX
    })
}

/// Generates code for the function in `ctx` (Cranelift id `id`, described by `label()`).
pub(super) fn compile_function(
    isa: &dyn TargetIsa,
    ctx: &mut Context,
    id: FuncId,
    label: &dyn Fn() -> String,
    wat: Option<(&WatText, Option<u32>)>,
    no_wasm_calls: &HashSet<u32>,
) -> Result<CompiledFunc, CompileError> {
    let compiled = optimize_and_lower(isa, ctx, no_wasm_calls)
        .map_err(|e| codegen_error(label, &ctx.func, e, "code generation"))?;
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
    // A trap site in an inlined function's code is reported at the inlining call, and an
    // address map entry at the site gives the inlined frame (see `inline.rs`).
    let inlined_sites = crate::inline::inlined_frames(buffer, MachDebugTagPos::Pre);
    let mut inlined_trap_entries = Vec::new();
    let traps = buffer
        .traps()
        .iter()
        .map(|t| {
            let wasm_offset = match inlined_sites.get(&t.offset) {
                Some(&(outer, frame)) => {
                    inlined_trap_entries.push(AddrMapEntry {
                        code_offset: t.offset,
                        wasm_offset: outer,
                        inlined: Some(frame),
                    });
                    outer
                }
                None => srcloc_at(t.offset).map_or(0, |s| s.loc.bits()),
            };
            TrapSite {
                code_offset: t.offset,
                wasm_offset,
                trap: translate::trap_from_code(t.code).map_or(0, |t| t as u8),
            }
        })
        .collect();
    // Backtraces only ever look up return addresses (and trap sites, which carry their
    // own wasm offset), so the map records the wasm offset of each call: an entry at the
    // start of the call's code, found by the runtime as "the last entry at or before the
    // return address - 1". One entry per call keeps the map small. A call an inlined
    // function made has no source location; its entry, at the call's last byte, carries the
    // wasm offset of the inlined call and the inlined function's frame. The entries of trap
    // sites in inlined code (above) join them, each at its site's own offset.
    let inlined = crate::inline::inlined_frames(buffer, MachDebugTagPos::Post);
    let mut addr_map: Vec<AddrMapEntry> = Vec::new();
    for call in buffer.call_sites() {
        let Some(at) = call.ret_addr.checked_sub(1) else {
            continue;
        };
        let entry = if let Some(&(outer, frame)) = inlined.get(&call.ret_addr) {
            AddrMapEntry {
                code_offset: at,
                wasm_offset: outer,
                inlined: Some(frame),
            }
        } else {
            let Some(s) = srcloc_at(at) else {
                continue;
            };
            AddrMapEntry {
                code_offset: s.start,
                wasm_offset: s.loc.bits(),
                inlined: None,
            }
        };
        if addr_map.last() != Some(&entry) {
            addr_map.push(entry);
        }
    }
    addr_map.extend(inlined_trap_entries);
    addr_map.sort_by_key(|e| e.code_offset);
    addr_map.dedup_by_key(|e| e.code_offset);
    let (call_sites, handlers) =
        exception_call_sites(buffer).map_err(|message| CompileError::Codegen {
            function: label(),
            message,
        })?;
    let alignment = u64::from(buffer.alignment.max(16));
    let mach_relocs = buffer.relocs().to_vec();
    let relocs = mach_relocs
        .iter()
        .map(|r| ModuleReloc::from_mach_reloc(r, &ctx.func, id))
        .collect();
    // After `compile`, `ctx.func` holds the optimised CLIF that was lowered.
    let optimized_clif = wat.map(|(wat, body_offset)| wat.write_clif(&ctx.func, body_offset));
    Ok(CompiledFunc {
        id,
        bytes,
        alignment,
        relocs,
        traps,
        addr_map,
        call_sites,
        handlers,
        unoptimized_clif: None,
        optimized_clif,
    })
}

/// The calls of a compiled function that have exception handlers (`try_call`s), as the
/// unwinder reads them: each with its frame offset, where the vmctx its tags are resolved
/// in is saved, and its handlers in match order.
fn exception_call_sites(
    buffer: &cranelift_codegen::MachBufferFinalized<cranelift_codegen::Final>,
) -> Result<(Vec<CallSite>, Vec<Handler>), String> {
    let mut sites = Vec::new();
    let mut handlers = Vec::new();
    for call in buffer.call_sites() {
        if call.exception_handlers.is_empty() {
            continue;
        }
        let start = handlers.len();
        let mut context_offset = None;
        for h in call.exception_handlers {
            match *h {
                FinalizedMachExceptionHandler::Context(ExceptionContextLoc::SPOffset(o)) => {
                    context_offset = Some(o);
                }
                FinalizedMachExceptionHandler::Context(ExceptionContextLoc::GPR(_)) => {
                    return Err("an exception context in a register (expected a stack slot)".into())
                }
                FinalizedMachExceptionHandler::Tag(tag, target) => handlers.push(Handler {
                    target_offset: target,
                    tag: tag.as_u32(),
                }),
                FinalizedMachExceptionHandler::Default(target) => handlers.push(Handler {
                    target_offset: target,
                    tag: Handler::CATCH_ALL,
                }),
            }
        }
        let (Some(frame_offset), Some(context_offset)) = (call.frame_offset, context_offset) else {
            return Err("a call with exception handlers but no frame offset or context".into());
        };
        let count = |n: usize| u32::try_from(n).expect("fewer than 2^32 handlers");
        sites.push(CallSite {
            ret_offset: call.ret_addr,
            frame_offset,
            context_offset,
            handlers_start: count(start),
            handlers_len: count(handlers.len() - start),
            reserved: 0,
        });
    }
    sites.sort_by_key(|s| s.ret_offset);
    Ok((sites, handlers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codegen_errors_name_the_wasm_function() {
        let info = ModuleInfo {
            func_names: vec![(3, "hot_loop".into())],
            ..ModuleInfo::default()
        };
        let label = || describe_function(&info, 3);
        let e = codegen_error(
            &label,
            &Function::new(),
            CodegenError::CodeTooLarge,
            "code generation",
        );
        assert_eq!(
            e.to_string(),
            "internal compiler error in wasm function 3 `hot_loop`: code generation: \
             Code for function is too large"
        );
        assert_eq!(describe_function(&info, 4), "wasm function 4");
    }

    #[test]
    fn a_panic_hook_can_name_the_function_being_compiled() {
        assert_eq!(crate::function_being_compiled(), None);
        let compiling = super::super::Compiling::start("wasm function 7".into());
        assert_eq!(
            crate::function_being_compiled().as_deref(),
            Some("wasm function 7")
        );
        drop(compiling);
        assert_eq!(crate::function_being_compiled(), None);
    }
}
