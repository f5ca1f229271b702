//! Fuel (`--fuel N`): a deterministic budget of wasm operators, counted as wasmtime counts
//! it under `-W fuel=N`, so the same program runs out at the same point under both.
//!
//! The counter is `vmctx.fuel`: fuel consumed, starting at `-N`; the program runs out when
//! it reaches 0. A function keeps it in a variable, loaded at entry and after every call
//! (the callee consumed some), stored before every call and return; the cost of the
//! operators since the last update is added at compile time ([`Fuel::pending`]) and
//! folded into the variable at every operator that ends a straight line of code (a branch,
//! `end`, `else`, a call). The checks (`consumed >= 0` traps `all fuel consumed by
//! WebAssembly`) are where `--timeout` checks: every function entry and loop header, and
//! before a `memory.fill`/`memory.copy` whose length is not a constant of at most 128
//! bytes (those wasmtime expands inline, unchecked).
//!
//! Costs (wasmtime 49's, measured against `wasmtime run -W fuel=N`): every operator costs
//! 1 but `nop`, `drop`, `block`, `loop`, `unreachable`, `return`, `else` and `end` (0);
//! entering a function costs 1; `memory.fill`, `memory.copy`, `memory.init`,
//! `table.fill`, `table.copy` and `table.init` 1 more per byte or element, and a
//! successful `memory.grow` / `table.grow` 1 more per page or element added.
//!
//! Code compiled without `--fuel` has none of this ([`super::ModuleCtx::fuel`]).

use cranelift_codegen::ir::{condcodes::IntCC, types, InstBuilder, InstructionData, MemFlagsData};
use cranelift_codegen::ir::{Opcode, Value};
use cranelift_frontend::Variable;
use kiln_abi::{vmctx, Trap};
use wasmparser::Operator;

use super::FuncCx;

/// One function's fuel accounting.
pub(super) struct Fuel {
    /// Fuel consumed (negative while some remains), as this function last knew it.
    var: Variable,
    /// The cost of the operators translated since `var` was last updated.
    pending: i64,
    /// The page or element count of the `memory.grow` / `table.grow` being translated.
    grow_delta: Option<Value>,
}

/// wasmtime's cost of an operator (its `default_operator_cost`).
fn cost(op: &Operator<'_>) -> i64 {
    match op {
        Operator::Nop
        | Operator::Drop
        | Operator::Block { .. }
        | Operator::Loop { .. }
        | Operator::Unreachable
        | Operator::Return
        | Operator::Else
        | Operator::End => 0,
        _ => 1,
    }
}

/// Entering a function (measured: wasmtime 49 charges one unit per wasm function entered).
const ENTRY_COST: i64 = 1;

/// The longest constant-length `memory.fill` / `memory.copy` wasmtime expands inline,
/// without a fuel check.
const INLINE_BULK_MAX: i64 = 128;

impl FuncCx<'_, '_> {
    /// At the function's entry: load the counter, charge the entry, check.
    pub(super) fn fuel_entry(&mut self) {
        if !self.m.fuel {
            return;
        }
        let var = self.bcx.declare_var(types::I64);
        self.fuel = Some(Fuel {
            var,
            pending: ENTRY_COST,
            grow_delta: None,
        });
        self.fuel_reload();
        self.fuel_check();
    }

    /// Before translating `op` (reachable code only).
    pub(super) fn fuel_before_op(&mut self, op: &Operator<'_>) {
        let Some(fuel) = self.fuel.as_mut() else {
            return;
        };
        fuel.pending += cost(op);
        match op {
            // Control leaves this function: the callee (or a handler up the stack) reads
            // the counter from the vmctx.
            Operator::Call { .. }
            | Operator::CallIndirect { .. }
            | Operator::CallRef { .. }
            | Operator::ReturnCall { .. }
            | Operator::ReturnCallIndirect { .. }
            | Operator::ReturnCallRef { .. }
            | Operator::Throw { .. }
            | Operator::ThrowRef
            | Operator::Rethrow { .. } => {
                self.fuel_flush();
                self.fuel_save();
            }
            // The end of a straight line of code: what follows may be reached from
            // elsewhere.
            Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Else
            | Operator::End
            | Operator::Br { .. }
            | Operator::BrIf { .. }
            | Operator::BrTable { .. }
            | Operator::BrOnNull { .. }
            | Operator::BrOnNonNull { .. }
            | Operator::Return
            | Operator::Unreachable
            | Operator::TryTable { .. }
            | Operator::Try { .. }
            | Operator::Catch { .. }
            | Operator::CatchAll
            | Operator::Delegate { .. } => self.fuel_flush(),
            Operator::MemoryFill { .. } | Operator::MemoryCopy { .. } => {
                let len = self.top();
                self.fuel_charge(len);
                // wasmtime checks before the libcall; a short constant length it expands
                // inline, without a check.
                if !self.is_small_constant(len) {
                    self.fuel_check();
                }
            }
            Operator::MemoryInit { .. }
            | Operator::TableFill { .. }
            | Operator::TableCopy { .. }
            | Operator::TableInit { .. } => {
                let len = self.top();
                self.fuel_charge(len);
            }
            Operator::MemoryGrow { .. } | Operator::TableGrow { .. } => {
                let delta = self.top();
                if let Some(f) = self.fuel.as_mut() {
                    f.grow_delta = Some(delta);
                }
            }
            _ => {}
        }
    }

    /// After translating `op` (which was reachable).
    pub(super) fn fuel_after_op(&mut self, op: &Operator<'_>) {
        let Some(fuel) = self.fuel.as_mut() else {
            return;
        };
        match op {
            Operator::Call { .. } | Operator::CallIndirect { .. } | Operator::CallRef { .. }
                if self.reachable =>
            {
                self.fuel_reload();
            }
            Operator::MemoryGrow { .. } | Operator::TableGrow { .. } => {
                let delta = fuel.grow_delta.take().expect("captured before the grow");
                let result = self.top();
                let failed = self.bcx.ins().icmp_imm_s(IntCC::Equal, result, -1);
                let ty = self.bcx.func.dfg.value_type(delta);
                let zero = self.bcx.ins().iconst(ty, 0);
                let grown = self.bcx.ins().select(failed, zero, delta);
                self.fuel_charge(grown);
            }
            _ => {}
        }
    }

    /// The landing block of an exception handler: the thrower stored the counter.
    pub(super) fn fuel_reload(&mut self) {
        let Some(fuel) = &self.fuel else {
            return;
        };
        let var = fuel.var;
        let v = self.bcx.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            self.vmctx,
            vmctx::OFFSET_FUEL,
        );
        self.bcx.def_var(var, v);
    }

    /// Before the function returns: the caller reloads the counter.
    pub(super) fn fuel_save(&mut self) {
        let Some(fuel) = &self.fuel else {
            return;
        };
        let v = self.bcx.use_var(fuel.var);
        self.bcx
            .ins()
            .store(MemFlagsData::trusted(), v, self.vmctx, vmctx::OFFSET_FUEL);
    }

    /// At a loop header (and the function entry): trap when the fuel is gone.
    pub(super) fn fuel_check(&mut self) {
        self.fuel_flush();
        let Some(fuel) = &self.fuel else {
            return;
        };
        let v = self.bcx.use_var(fuel.var);
        let gone = self
            .bcx
            .ins()
            .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, v, 0);
        self.trapnz(gone, Trap::OutOfFuel);
    }

    /// Adds the pending cost to the variable.
    fn fuel_flush(&mut self) {
        let Some(fuel) = self.fuel.as_mut() else {
            return;
        };
        let pending = std::mem::take(&mut fuel.pending);
        if pending == 0 {
            return;
        }
        let var = fuel.var;
        let v = self.bcx.use_var(var);
        let v = self.bcx.ins().iadd_imm_s(v, pending);
        self.bcx.def_var(var, v);
    }

    /// Adds a run-time amount (an `i32` or `i64` count, unsigned) to the variable.
    fn fuel_charge(&mut self, amount: Value) {
        let Some(fuel) = &self.fuel else {
            return;
        };
        let var = fuel.var;
        let amount = if self.bcx.func.dfg.value_type(amount) == types::I32 {
            self.bcx.ins().uextend(types::I64, amount)
        } else {
            amount
        };
        let v = self.bcx.use_var(var);
        let v = self.bcx.ins().iadd(v, amount);
        self.bcx.def_var(var, v);
    }

    fn top(&self) -> Value {
        *self.stack.last().expect("validated operand stack")
    }

    /// Whether `v` is an `iconst` of at most [`INLINE_BULK_MAX`].
    fn is_small_constant(&self, v: Value) -> bool {
        let dfg = &self.bcx.func.dfg;
        let Some(inst) = dfg.value_def(v).inst() else {
            return false;
        };
        match dfg.insts[inst] {
            InstructionData::UnaryImm {
                opcode: Opcode::Iconst,
                imm,
            } => {
                let bits = dfg.value_type(v).bits();
                let n = if bits == 32 {
                    // The constant's low 32 bits, read as unsigned.
                    imm.bits() & 0xffff_ffff
                } else {
                    imm.bits()
                };
                (0..=INLINE_BULK_MAX).contains(&n)
            }
            _ => false,
        }
    }
}
