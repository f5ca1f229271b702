//! Inlining of small leaf functions, using Cranelift's inliner.
//!
//! LLVM inlines within a translation unit before it emits wasm, but not across units (and
//! wasm-ld does no LTO), so C and Rust modules keep tiny functions: small helpers from
//! another file. Each call costs a prologue with a stack-limit check and a frame.
//!
//! A callee is inlined only when it is small, calls nothing (so inlining never recurses and
//! code size stays bounded) and contains nothing that can trap or touch memory: such a
//! function can never be on the stack when a trap is reported, so backtraces stay exactly
//! those of the wasm call stack (as wasmtime prints them). Cranelift's inliner does not
//! carry source locations into the caller, which rules out inlining anything that traps.

use std::borrow::Cow;
use std::collections::HashMap;

use cranelift_codegen::inline::{Inline, InlineCommand};
use cranelift_codegen::ir::{self, ExternalName, Function, Opcode};

/// Callees with at most this many instructions are inlined.
const MAX_CALLEE_INSTS: usize = 40;
/// Bodies of at most this many bytes are translated before anything is compiled, as the
/// possible callees (the others only just before they are compiled). A callee of at most
/// [`MAX_CALLEE_INSTS`] CLIF instructions with no call, load or store comes from a body of
/// a few dozen bytes: what is not an instruction is a `local.get`, `block` or `end`.
pub(crate) const MAX_CALLEE_BODY_BYTES: usize = 256;
/// Callers stop inlining beyond this many instructions.
const MAX_CALLER_INSTS: usize = 20_000;

/// What the inliner needs to know about each translated function.
pub(crate) struct Candidates<'a> {
    /// Function id (`cranelift_module::FuncId` number) → its CLIF, for inlinable ones.
    by_id: HashMap<u32, &'a Function>,
}

impl<'a> Candidates<'a> {
    /// `funcs` are the translated functions with their module-level ids.
    pub(crate) fn new(funcs: impl IntoIterator<Item = (u32, &'a Function)>) -> Self {
        let by_id = funcs
            .into_iter()
            .filter(|(_, f)| is_small_leaf(f))
            .collect();
        Candidates { by_id }
    }

    /// Whether there is nothing to inline (then callers need not be searched for calls).
    pub(crate) fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub(crate) fn inliner(&self) -> Inliner<'_, 'a> {
        Inliner { candidates: self }
    }
}

/// Whether `f` may be inlined: small, calls nothing, cannot trap, touches no memory.
pub(crate) fn is_small_leaf(f: &Function) -> bool {
    let mut n = 0;
    for block in f.layout.blocks() {
        for inst in f.layout.block_insts(block) {
            n += 1;
            let op = f.dfg.insts[inst].opcode();
            if n > MAX_CALLEE_INSTS
                || op.is_call()
                || op.can_trap()
                || op.can_load()
                || op.can_store()
            {
                return false;
            }
        }
    }
    true
}

fn inst_count(f: &Function) -> usize {
    f.layout
        .blocks()
        .map(|b| f.layout.block_insts(b).count())
        .sum()
}

pub(crate) struct Inliner<'c, 'a> {
    candidates: &'c Candidates<'a>,
}

impl Inline for Inliner<'_, '_> {
    fn inline(
        &mut self,
        caller: &ir::Function,
        _call_inst: ir::Inst,
        opcode: Opcode,
        callee: ir::FuncRef,
        _call_args: &[ir::Value],
    ) -> InlineCommand<'_> {
        if opcode != Opcode::Call {
            return InlineCommand::KeepCall;
        }
        let ExternalName::User(name) = caller.dfg.ext_funcs[callee].name else {
            return InlineCommand::KeepCall;
        };
        let name = &caller.params.user_named_funcs()[name];
        let Some(&f) = self.candidates.by_id.get(&name.index) else {
            return InlineCommand::KeepCall;
        };
        // Counted only here, for the rare call to a candidate, not at every call site.
        if name.namespace != 0 || inst_count(caller) > MAX_CALLER_INSTS {
            return InlineCommand::KeepCall;
        }
        InlineCommand::Inline {
            callee: Cow::Borrowed(f),
            visit_callee: false,
        }
    }
}
