//! Inlining of small functions, using Cranelift's inliner.
//!
//! LLVM inlines within a translation unit before it emits wasm, but not across units (and
//! wasm-ld does no LTO), so C and Rust modules keep tiny functions: small helpers from
//! another file, and wrappers such as wasi-libc's `malloc` and `free`, which only call
//! `dlmalloc` and `dlfree`. Each call costs a prologue with a stack-limit check and a frame.
//!
//! A callee is inlined only when it is small and contains nothing that can trap, apart from
//! direct calls of defined functions (loads and stores marked `notrap`, of vmctx fields and
//! globals, are fine): its own instructions can never be where a trap is reported
//! (Cranelift's inliner does not carry source locations into the caller, which rules out
//! inlining anything that traps). It may be on the stack when a
//! function it calls traps, though, and the backtrace must still show it as wasmtime
//! does. So every call such a callee makes carries Cranelift debug tags `[function index,
//! wasm offset]`, and so does each call of it; the inliner prepends the call's tags to the
//! inlined call's, and [`inlined_frames`] reads the four of them back from the compiled
//! code: the address map then records the inlined function's frame at that call
//! ([`kiln_abi::descriptor::InlinedFrame`]). Callees are inlined one level deep (an
//! inlined body keeps its calls), so a call has at most one inlined frame.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use cranelift_codegen::inline::{Inline, InlineCommand};
use cranelift_codegen::ir::{self, DebugTag, ExternalName, Function, Opcode};
use cranelift_codegen::{Final, MachBufferFinalized, MachDebugTagPos};
use kiln_abi::descriptor::InlinedFrame;

/// Callees with at most this many instructions are inlined.
const MAX_CALLEE_INSTS: usize = 40;
/// Bodies of at most this many bytes are translated before anything is compiled, as the
/// possible callees (the others only just before they are compiled). A callee of at most
/// [`MAX_CALLEE_INSTS`] CLIF instructions comes from a body of a few dozen bytes: what is
/// not an instruction is a `local.get`, `block` or `end`.
pub(crate) const MAX_CALLEE_BODY_BYTES: usize = 256;
/// Callers stop inlining beyond this many instructions.
const MAX_CALLER_INSTS: usize = 20_000;

/// One inlinable function.
struct Candidate<'a> {
    /// Its CLIF; a callee that makes calls has them tagged (see the module documentation).
    func: Cow<'a, Function>,
    /// Whether it makes calls, so that its callers' calls of it need tags.
    calls: bool,
}

/// What the inliner needs to know about each translated function.
pub(crate) struct Candidates<'a> {
    /// Function id (`cranelift_module::FuncId` number) → its CLIF, for inlinable ones.
    by_id: HashMap<u32, Candidate<'a>>,
}

impl<'a> Candidates<'a> {
    /// `funcs` are the possible callees: module-level id, wasm function index, CLIF;
    /// `defined` holds the module-level ids of all defined functions (a callee may call
    /// those, not builtins or imports).
    pub(crate) fn new(
        funcs: impl IntoIterator<Item = (u32, u32, &'a Function)>,
        defined: &HashSet<u32>,
    ) -> Self {
        let by_id = funcs
            .into_iter()
            .filter_map(|(id, index, f)| {
                let calls = inlinable(f, defined)?;
                let func = if calls {
                    let mut f = f.clone();
                    tag_calls(&mut f, index, |_| true);
                    Cow::Owned(f)
                } else {
                    Cow::Borrowed(f)
                };
                Some((id, Candidate { func, calls }))
            })
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

    /// Tags the calls in `f` (wasm function `index`) of candidates that make calls, so that
    /// their inlined calls know where they were inlined.
    pub(crate) fn tag_calls_of_callers(&self, f: &mut Function, index: u32) {
        tag_calls(f, index, |callee| {
            self.by_id.get(&callee).is_some_and(|c| c.calls)
        });
    }
}

/// `Some(makes calls)` when `f` may be inlined: small, and its only instructions that can
/// trap are direct calls of defined functions (ids in `defined`); its loads and stores are
/// all `notrap` (a heap access is a trap site: the guard pages fault). A function compiled
/// with fuel or timeout checks is never inlined: its entry check is a `trapnz`.
pub(crate) fn inlinable(f: &Function, defined: &HashSet<u32>) -> Option<bool> {
    let mut n = 0;
    let mut calls = false;
    for block in f.layout.blocks() {
        for inst in f.layout.block_insts(block) {
            n += 1;
            if n > MAX_CALLEE_INSTS {
                return None;
            }
            let op = f.dfg.insts[inst].opcode();
            if op == Opcode::Call {
                direct_callee(f, inst).filter(|id| defined.contains(id))?;
                calls = true;
            } else if op.is_call() {
                return None;
            } else if f.dfg.insts[inst].memflags().is_some() {
                if f.dfg.insts[inst].memflags_trap_code(&f.dfg).is_some() {
                    return None;
                }
            } else if op.can_trap() || op.can_load() || op.can_store() {
                return None;
            }
        }
    }
    Some(calls)
}

/// The module-level id of the function `call` instruction `inst` calls.
fn direct_callee(f: &Function, inst: ir::Inst) -> Option<u32> {
    let ir::InstructionData::Call { func_ref, .. } = f.dfg.insts[inst] else {
        return None;
    };
    let ExternalName::User(name) = f.dfg.ext_funcs[func_ref].name else {
        return None;
    };
    let name = &f.params.user_named_funcs()[name];
    (name.namespace == 0).then_some(name.index)
}

/// Gives each direct call in `f` (wasm function `index`) whose callee id passes `wanted`
/// the debug tags `[index, wasm offset of the call]`.
fn tag_calls(f: &mut Function, index: u32, wanted: impl Fn(u32) -> bool) {
    let mut calls = Vec::new();
    for block in f.layout.blocks() {
        for inst in f.layout.block_insts(block) {
            if f.dfg.insts[inst].opcode() == Opcode::Call
                && direct_callee(f, inst).is_some_and(&wanted)
            {
                calls.push(inst);
            }
        }
    }
    for inst in calls {
        let offset = f.srcloc(inst).bits();
        f.debug_tags
            .set(inst, [DebugTag::User(index), DebugTag::User(offset)]);
    }
}

/// The calls in compiled code that an inlined function made: return offset → (the wasm
/// offset of the inlined call in the compiled function, the inlined function's frame).
pub(crate) fn inlined_frames(
    buffer: &MachBufferFinalized<Final>,
) -> HashMap<u32, (u32, InlinedFrame)> {
    buffer
        .debug_tags()
        .filter(|t| t.pos == MachDebugTagPos::Post)
        .filter_map(|t| match *t.tags {
            [DebugTag::User(_), DebugTag::User(outer), DebugTag::User(func_index), DebugTag::User(wasm_offset)] => {
                Some((
                    t.offset,
                    (
                        outer,
                        InlinedFrame {
                            func_index,
                            wasm_offset,
                        },
                    ),
                ))
            }
            _ => None,
        })
        .collect()
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
        let Some(c) = self.candidates.by_id.get(&name.index) else {
            return InlineCommand::KeepCall;
        };
        // Counted only here, for the rare call to a candidate, not at every call site.
        if name.namespace != 0 || inst_count(caller) > MAX_CALLER_INSTS {
            return InlineCommand::KeepCall;
        }
        InlineCommand::Inline {
            callee: Cow::Borrowed(&*c.func),
            visit_callee: false,
        }
    }
}
