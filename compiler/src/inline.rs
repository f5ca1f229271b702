//! Inlining of small functions, using Cranelift's inliner.
//!
//! LLVM inlines within a translation unit before it emits wasm, but not across units (and
//! wasm-ld does no LTO), so C and Rust modules keep tiny functions: small helpers from
//! another file, and wrappers such as wasi-libc's `malloc` and `free`, which only call
//! `dlmalloc` and `dlfree`. Each call costs a prologue with a stack-limit check and a frame.
//!
//! A callee is inlined only when it is small and the only things in it that can trap are
//! direct calls of defined functions and linear-memory accesses (loads and stores marked
//! `notrap`, of vmctx fields and globals, are fine). Cranelift's inliner carries no source
//! locations into the caller, yet a backtrace must show an inlined function as wasmtime
//! does: on top when one of its accesses faults, below the callee when a function it
//! calls traps. So every call such a callee makes, and every memory access of one (and
//! every instruction using a loaded value, which a faulting load may have been fused into),
//! carries Cranelift debug tags `[function index, wasm offset]`, and so does each call of
//! it; the inliner prepends the call's tags to the inlined instruction's, and
//! [`inlined_frames`] reads the four of them back from the compiled code: after a call
//! ([`MachDebugTagPos::Post`]), the address map records the inlined function's frame at
//! that call; at a trap site ([`MachDebugTagPos::Pre`]), the trap site's offset is the
//! inlining call's and an address map entry at the site records the inlined frame
//! ([`kiln_abi::descriptor::InlinedFrame`]). Callees are inlined one level deep (an
//! inlined body keeps its calls), so a frame has at most one inlined frame.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use cranelift_codegen::inline::{Inline, InlineCommand};
use cranelift_codegen::ir::{self, DebugTag, ExternalName, Function, Opcode, TrapCode};
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
    /// Its CLIF; a callee that makes calls or accesses memory has them tagged (see the
    /// module documentation).
    func: Cow<'a, Function>,
    /// Whether it makes calls or accesses memory, so that its callers' calls of it need
    /// tags.
    tagged: bool,
}

/// What an inlinable function does that the backtrace must see through.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Inlinable {
    /// It calls defined functions.
    pub(crate) calls: bool,
    /// It accesses linear memory (a trap site: the guard pages fault).
    pub(crate) accesses_memory: bool,
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
                let what = inlinable(f, defined)?;
                let tagged = what.calls || what.accesses_memory;
                let func = if tagged {
                    let mut f = f.clone();
                    tag_calls(&mut f, index, |_| true);
                    if what.accesses_memory {
                        tag_memory_users(&mut f, index);
                    }
                    Cow::Owned(f)
                } else {
                    Cow::Borrowed(f)
                };
                Some((id, Candidate { func, tagged }))
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

    /// Tags the calls in `f` (wasm function `index`) of candidates that make calls or access
    /// memory, so that their inlined calls and trap sites know where they were inlined.
    pub(crate) fn tag_calls_of_callers(&self, f: &mut Function, index: u32) {
        tag_calls(f, index, |callee| {
            self.by_id.get(&callee).is_some_and(|c| c.tagged)
        });
    }
}

/// What `f` does, when it may be inlined: small, and its only instructions that can trap
/// are direct calls of defined functions (ids in `defined`) and linear-memory accesses
/// (their trap code is `HEAP_OUT_OF_BOUNDS`; other loads and stores are `notrap`). A
/// function compiled with fuel or timeout checks is never inlined: its entry check is a
/// `trapnz`.
pub(crate) fn inlinable(f: &Function, defined: &HashSet<u32>) -> Option<Inlinable> {
    let mut n = 0;
    let mut what = Inlinable::default();
    for block in f.layout.blocks() {
        for inst in f.layout.block_insts(block) {
            n += 1;
            if n > MAX_CALLEE_INSTS {
                return None;
            }
            let op = f.dfg.insts[inst].opcode();
            if op == Opcode::Call {
                direct_callee(f, inst).filter(|id| defined.contains(id))?;
                what.calls = true;
            } else if op.is_call() {
                return None;
            } else if f.dfg.insts[inst].memflags().is_some() {
                match f.dfg.insts[inst].memflags_trap_code(&f.dfg) {
                    None => {}
                    Some(TrapCode::HEAP_OUT_OF_BOUNDS) => what.accesses_memory = true,
                    Some(_) => return None,
                }
            } else if op.can_trap() || op.can_load() || op.can_store() {
                return None;
            }
        }
    }
    Some(what)
}

/// The module-level id of the function `call` instruction `inst` calls.
pub(crate) fn direct_callee(f: &Function, inst: ir::Inst) -> Option<u32> {
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
    tag_where(f, index, |f, inst| {
        f.dfg.insts[inst].opcode() == Opcode::Call && direct_callee(f, inst).is_some_and(&wanted)
    });
}

/// Gives each linear-memory access of `f` (wasm function `index`), and each instruction
/// using a value one of them loads, the debug tags `[index, its wasm offset]`: an access
/// that faults is either the access itself or the instruction x64 fused a load into. (Only
/// those: a tagged instruction that emits no code would lend its tags to whatever
/// instruction comes next.)
fn tag_memory_users(f: &mut Function, index: u32) {
    fn is_access(f: &Function, inst: ir::Inst) -> bool {
        f.dfg.insts[inst].memflags_trap_code(&f.dfg) == Some(TrapCode::HEAP_OUT_OF_BOUNDS)
    }
    tag_where(f, index, |f, inst| {
        let uses_a_load = f.dfg.inst_values(inst).any(|v| {
            f.dfg
                .value_def(v)
                .inst()
                .is_some_and(|def| is_access(f, def) && f.dfg.insts[def].opcode().can_load())
        });
        (is_access(f, inst) || uses_a_load) && !f.srcloc(inst).is_default()
    });
}

/// Gives each instruction of `f` (wasm function `index`) that passes `wanted` the debug tags
/// `[index, its wasm offset]`.
fn tag_where(f: &mut Function, index: u32, wanted: impl Fn(&Function, ir::Inst) -> bool) {
    let mut insts = Vec::new();
    for block in f.layout.blocks() {
        for inst in f.layout.block_insts(block) {
            if wanted(f, inst) {
                insts.push(inst);
            }
        }
    }
    for inst in insts {
        let offset = f.srcloc(inst).bits();
        f.debug_tags
            .set(inst, [DebugTag::User(index), DebugTag::User(offset)]);
    }
}

/// Where compiled code came from an inlined function: at `pos` `Post`, the calls it made,
/// by return offset; at `Pre`, its instructions, by their offset (looked up for trap
/// sites). Each → (the wasm offset of the inlining call in the compiled function, the
/// inlined function's frame).
pub(crate) fn inlined_frames(
    buffer: &MachBufferFinalized<Final>,
    pos: MachDebugTagPos,
) -> HashMap<u32, (u32, InlinedFrame)> {
    buffer
        .debug_tags()
        .filter(|t| t.pos == pos)
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
