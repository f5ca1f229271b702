//! Loop-invariant ALU operations with a constant operand, taken back out of loops after
//! Cranelift's optimiser has put them in.
//!
//! Cranelift's e-graph elaboration hoists loop-invariant pure instructions out of loops,
//! except the ones its `remat.isle` rules mark for rematerialisation: an `iadd`, `isub`,
//! `band`, `bor` or `bxor` with a constant operand, and `bnot`. Those it copies into every
//! block that uses them, loops included, on the reasoning that recomputing one costs one
//! cheap instruction and spares a register. In a loop that reasoning fails: the copy runs on
//! every iteration, and its other operand must be live in the loop anyway, usually spilled
//! in a function large enough to have loops that matter, so each iteration pays a reload,
//! a move and the operation. The pattern is in every C function with a stack frame: the
//! frame's base, `__stack_pointer - N`, is computed once on entry, and each loop that
//! addresses a local recomputes it (zstd's `ZSTD_RowFindBestMatch`: `mov 0x98(%rsp),%rcx;
//! mov %rcx,%r9; sub $0x100,%r9d` in a 24-instruction inner loop, where gcc uses the
//! register holding the base).
//!
//! [`hoist_loop_invariant_remats`] runs between Cranelift's optimiser and its lowering. Such
//! an instruction in a loop that defines none of its value operands moves out of that
//! (innermost) loop, to the end of the block immediately dominating the loop's header,
//! where the e-graph places other invariant instructions; or, when an identical
//! instruction is already computed in a block dominating that one, it is replaced by it.
//! A constant operand that does not dominate the new place gets a fresh `iconst` there.
//! One loop level at a time, deepest loops first, at most [`MAX_HOISTED_PER_LOOP`] per
//! loop and none out of loops larger than [`MAX_LOOP_INSTS`]: each moved value is live
//! across the loop, and Cranelift's reasoning about register pressure holds when too many
//! are. Measured with callgrind over `scripts/bench`'s modules: sha256 and matmul run 6%
//! fewer instructions, zstd 4-5%, fannkuch 1%, sqlite and sort under 1%, nothing more.

use std::collections::HashMap;

use cranelift_codegen::cursor::{Cursor, FuncCursor};
use cranelift_codegen::dominator_tree::DominatorTree;
use cranelift_codegen::entity::SecondaryMap;
use cranelift_codegen::ir::{
    Block, Function, Inst, InstBuilder, InstructionData, Opcode, Type, Value, ValueDef,
};
use cranelift_codegen::loop_analysis::{Loop, LoopAnalysis};

/// At most this many instructions leave one loop: each is a value live across the loop, in
/// place of a cheap instruction in it, and past a few the register pressure they add costs
/// more spills than they save (fannkuch's main loop: 25 of them, 4% more instructions run;
/// 3 was the best of 1 to 8 over the benchmarks).
const MAX_HOISTED_PER_LOOP: usize = 3;
/// Nothing leaves a loop larger than this (in instructions, its inner loops' included): an
/// interpreter's dispatch loop, whose registers are all taken.
const MAX_LOOP_INSTS: usize = 1000;

/// An operand of a rematerialisable instruction: a value, or a constant by its bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Operand {
    Value(Value),
    Const(i64),
}

/// What makes two rematerialisable instructions compute the same value.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    opcode: Opcode,
    ty: Type,
    operands: [Option<Operand>; 2],
}

/// Moves the loop-invariant rematerialised instructions of `func` out of their loops (see
/// the module documentation). `domtree` and `loops` must describe `func` as it is; the
/// pass changes no block or edge, so they stay valid.
pub(crate) fn hoist_loop_invariant_remats(
    func: &mut Function,
    domtree: &DominatorTree,
    loops: &LoopAnalysis,
) {
    if loops.loops().next().is_none() {
        return;
    }
    // Each loop's size in instructions, its inner loops' included.
    let mut sizes: SecondaryMap<Loop, usize> = SecondaryMap::new();
    for &block in domtree.cfg_rpo() {
        let mut lp = loops.innermost_loop(block);
        if lp.is_none() {
            continue;
        }
        let count = func.layout.block_insts(block).count();
        while let Some(l) = lp {
            sizes[l] += count;
            lp = loops.loop_parent(l);
        }
    }
    // The candidates: rematerialisable instructions in a loop that defines none of their
    // value operands, with the loop's depth.
    let mut candidates = Vec::new();
    for &block in domtree.cfg_rpo() {
        let Some(innermost) = loops
            .innermost_loop(block)
            .filter(|&lp| sizes[lp] <= MAX_LOOP_INSTS)
        else {
            continue;
        };
        for inst in func.layout.block_insts(block) {
            if let Some(key) = remat_key(func, inst) {
                if !defines_operand(func, loops, innermost, &key) {
                    candidates.push((loops.loop_level(block).level(), innermost, inst, key));
                }
            }
        }
    }
    if candidates.is_empty() {
        return;
    }
    // Every instruction computing what a candidate does, its possible twins.
    let mut available: HashMap<Key, Vec<Inst>> =
        candidates.iter().map(|c| (c.3, Vec::new())).collect();
    for &block in domtree.cfg_rpo() {
        for inst in func.layout.block_insts(block) {
            if let Some(seen) = remat_key(func, inst).and_then(|key| available.get_mut(&key)) {
                seen.push(inst);
            }
        }
    }
    // The deepest first, since they run the most.
    candidates.sort_by_key(|&(depth, ..)| std::cmp::Reverse(depth));
    let mut taken: SecondaryMap<Loop, usize> = SecondaryMap::new();
    for (_, lp, inst, key) in candidates {
        let Some(target) = domtree.idom(loops.loop_header(lp)) else {
            continue;
        };
        let twin = available[&key].iter().copied().find(|&other| {
            other != inst
                && func
                    .layout
                    .inst_block(other)
                    .is_some_and(|b| domtree.block_dominates(b, target))
        });
        let count = &mut taken[lp];
        if *count == MAX_HOISTED_PER_LOOP {
            continue;
        }
        *count += 1;
        let result = func.dfg.first_result(inst);
        match twin {
            Some(other) => {
                let value = func.dfg.first_result(other);
                func.layout.remove_inst(inst);
                func.dfg.clear_results(inst);
                func.dfg.change_to_alias(result, value);
            }
            None => move_to_end(func, domtree, inst, target),
        }
    }
}

/// Whether loop `lp` defines one of the value operands of `key`.
fn defines_operand(func: &Function, loops: &LoopAnalysis, lp: Loop, key: &Key) -> bool {
    key.operands.iter().flatten().any(|o| match *o {
        Operand::Value(v) => loops.is_in_loop(value_block(func, v), lp),
        Operand::Const(_) => false,
    })
}

/// The key of `inst` if it is one Cranelift rematerialises: a two-operand ALU operation
/// with one constant operand, or `bnot`.
fn remat_key(func: &Function, inst: Inst) -> Option<Key> {
    let ty = || func.dfg.ctrl_typevar(inst);
    match func.dfg.insts[inst] {
        InstructionData::Binary { opcode, args }
            if matches!(
                opcode,
                Opcode::Iadd | Opcode::Isub | Opcode::Band | Opcode::Bor | Opcode::Bxor
            ) =>
        {
            let operands = args.map(|v| operand(func, v));
            operands
                .iter()
                .any(|o| matches!(o, Operand::Const(_)))
                .then(|| Key {
                    opcode,
                    ty: ty(),
                    operands: operands.map(Some),
                })
        }
        InstructionData::Unary {
            opcode: Opcode::Bnot,
            arg,
        } => Some(Key {
            opcode: Opcode::Bnot,
            ty: ty(),
            operands: [Some(operand(func, arg)), None],
        }),
        _ => None,
    }
}

fn operand(func: &Function, value: Value) -> Operand {
    match func.dfg.value_def(value) {
        ValueDef::Result(def, _) => match func.dfg.insts[def] {
            InstructionData::UnaryImm {
                opcode: Opcode::Iconst,
                imm,
            } => Operand::Const(imm.bits()),
            _ => Operand::Value(value),
        },
        _ => Operand::Value(value),
    }
}

fn value_block(func: &Function, value: Value) -> Block {
    match func.dfg.value_def(value) {
        ValueDef::Result(inst, _) => func.layout.inst_block(inst).expect("inserted"),
        ValueDef::Param(block, _) => block,
        ValueDef::Union(..) => unreachable!("no unions after the e-graph pass"),
    }
}

/// Moves `inst` before the terminator of `target`; a constant operand that does not
/// dominate that place is replaced by a new `iconst` there.
fn move_to_end(func: &mut Function, domtree: &DominatorTree, inst: Inst, target: Block) {
    let terminator = func
        .layout
        .last_inst(target)
        .expect("a block ends in a branch");
    func.layout.remove_inst(inst);
    let mut cursor = FuncCursor::new(func).at_inst(terminator);
    for i in 0..cursor.func.dfg.inst_args(inst).len() {
        let arg = cursor.func.dfg.inst_args(inst)[i];
        let Operand::Const(bits) = operand(cursor.func, arg) else {
            continue;
        };
        let def_block = value_block(cursor.func, arg);
        if !domtree.block_dominates(def_block, target) {
            let ty = cursor.func.dfg.value_type(arg);
            let constant = cursor.ins().iconst(ty, bits);
            cursor.func.dfg.inst_args_mut(inst)[i] = constant;
        }
    }
    cursor.insert_inst(inst);
}

#[cfg(test)]
mod tests {
    use cranelift_codegen::control::ControlPlane;
    use cranelift_codegen::ir::condcodes::IntCC;
    use cranelift_codegen::ir::{types::I32, AbiParam, Signature, UserFuncName};
    use cranelift_codegen::isa::CallConv;
    use cranelift_codegen::{settings, verify_function, Context};
    use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

    use super::*;
    use crate::{target::Target, OptLevel};

    /// `f(sp, n)`: a frame base `sp - 256` computed on entry (and returned, so it is used
    /// there), and a counted loop adding to an accumulator the loop counter, the frame base
    /// and `others` more `sp - 16 * k`, computed in the loop; with its analyses, and
    /// optimised by Cranelift for x86-64 when `optimise`.
    fn function(others: i64, optimise: bool) -> Context {
        let mut sig = Signature::new(CallConv::SystemV);
        sig.params = vec![AbiParam::new(I32), AbiParam::new(I32)];
        sig.returns = vec![AbiParam::new(I32), AbiParam::new(I32)];
        let mut func = Function::with_name_signature(UserFuncName::default(), sig);
        let mut fctx = FunctionBuilderContext::new();
        let mut b = FunctionBuilder::new(&mut func, &mut fctx);
        let (entry, header, exit) = (b.create_block(), b.create_block(), b.create_block());
        b.append_block_params_for_function_params(entry);
        b.append_block_param(header, I32); // the counter
        b.append_block_param(header, I32); // the accumulator
        b.append_block_param(exit, I32);
        b.switch_to_block(entry);
        let (sp, n) = (b.block_params(entry)[0], b.block_params(entry)[1]);
        let frame = b.ins().iadd_imm_s(sp, -256);
        let zero = b.ins().iconst(I32, 0);
        b.ins().jump(header, &[zero.into(), zero.into()]);
        b.switch_to_block(header);
        let (i, acc) = (b.block_params(header)[0], b.block_params(header)[1]);
        let mut acc = b.ins().iadd(acc, i);
        acc = b.ins().iadd(acc, frame);
        for k in 1..=others {
            let base = b.ins().iadd_imm_s(sp, -16 * k);
            acc = b.ins().iadd(acc, base);
        }
        let i = b.ins().iadd_imm_s(i, 1);
        let more = b.ins().icmp(IntCC::UnsignedLessThan, i, n);
        b.ins()
            .brif(more, header, &[i.into(), acc.into()], exit, &[acc.into()]);
        b.switch_to_block(exit);
        let result = b.block_params(exit)[0];
        b.ins().return_(&[result, frame]);
        b.seal_all_blocks();
        let target = Target::with_default_cpu("x86_64-unknown-linux-musl").unwrap();
        let (isa, _) = target.isa(OptLevel::Speed).unwrap();
        b.finalize(isa.frontend_config());
        let mut ctx = Context::for_function(func);
        if optimise {
            ctx.optimize(&*isa, &mut ControlPlane::default()).unwrap();
        } else {
            ctx.compute_cfg();
            ctx.compute_domtree();
        }
        ctx.compute_loop_analysis();
        ctx
    }

    /// How many instructions of `block` compute `value` with a constant.
    fn with_constant_in(ctx: &Context, block: Block, value: Value) -> usize {
        let func = &ctx.func;
        func.layout
            .block_insts(block)
            .filter(|&inst| {
                remat_key(func, inst)
                    .is_some_and(|key| key.operands.contains(&Some(Operand::Value(value))))
            })
            .count()
    }

    /// How many instructions of `block` compute `sp` (the first parameter) with a constant.
    fn frame_bases_in(ctx: &Context, block: Block) -> usize {
        let sp = ctx
            .func
            .dfg
            .block_params(ctx.func.layout.entry_block().unwrap())[0];
        with_constant_in(ctx, block, sp)
    }

    fn header(ctx: &Context) -> Block {
        let lp = ctx.loop_analysis.loops().next().expect("a loop");
        ctx.loop_analysis.loop_header(lp)
    }

    fn hoist(ctx: &mut Context) {
        hoist_loop_invariant_remats(&mut ctx.func, &ctx.domtree, &ctx.loop_analysis);
        ctx.func.dfg.resolve_all_aliases();
        let flags = settings::Flags::new(settings::builder());
        verify_function(&ctx.func, &flags)
            .unwrap_or_else(|e| panic!("{e}\n{}", ctx.func.display()));
    }

    #[test]
    fn a_frame_base_rematerialised_in_a_loop_is_replaced_by_the_one_on_entry() {
        let mut ctx = function(0, true);
        let (entry, header) = (ctx.func.layout.entry_block().unwrap(), header(&ctx));
        // Cranelift copied `sp - 256` into the loop (if it stops doing so, this pass has
        // nothing left to do there).
        assert_eq!(frame_bases_in(&ctx, header), 1, "{}", ctx.func.display());
        hoist(&mut ctx);
        assert_eq!(frame_bases_in(&ctx, header), 0, "{}", ctx.func.display());
        assert_eq!(frame_bases_in(&ctx, entry), 1, "{}", ctx.func.display());
    }

    #[test]
    fn at_most_three_values_leave_a_loop() {
        let mut ctx = function(5, true);
        let header = header(&ctx);
        assert_eq!(frame_bases_in(&ctx, header), 6, "{}", ctx.func.display());
        hoist(&mut ctx);
        assert_eq!(frame_bases_in(&ctx, header), 3, "{}", ctx.func.display());
        // The counter's increment depends on the loop and stays.
        let counter = ctx.func.dfg.block_params(header)[0];
        assert_eq!(
            with_constant_in(&ctx, header, counter),
            1,
            "{}",
            ctx.func.display()
        );
    }

    #[test]
    fn an_invariant_value_without_a_twin_moves_with_its_constant() {
        // Unoptimised: `sp - 16` is computed only in the loop, from a constant defined there.
        let mut ctx = function(1, false);
        let (entry, header) = (ctx.func.layout.entry_block().unwrap(), header(&ctx));
        assert_eq!(frame_bases_in(&ctx, header), 1, "{}", ctx.func.display());
        hoist(&mut ctx);
        assert_eq!(frame_bases_in(&ctx, header), 0, "{}", ctx.func.display());
        assert_eq!(frame_bases_in(&ctx, entry), 2, "{}", ctx.func.display());
    }
}
