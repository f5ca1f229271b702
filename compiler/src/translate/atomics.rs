//! The threads proposal's atomic memory instructions: loads, stores, read-modify-writes,
//! compare-exchanges and `atomic.fence`, on shared and unshared memories alike, and
//! `memory.atomic.wait32/64` and `notify`, which call the runtime's wait queues
//! (`runtime/src/wait.rs`) on a shared memory.
//!
//! Each access is at the width the instruction names (8, 16, 32 or 64 bits); a narrow
//! `_u` form zero-extends the old value to its result type, and narrows its operands to
//! the access width first. Addresses come from [`FuncCx::atomic_heap_address`]
//! (`heap.rs`): the alignment trap, then the memory's usual bounds check. Cranelift's
//! atomic instructions are sequentially consistent, which is what wasm's atomics are.

use cranelift_codegen::ir::{types, AtomicRmwOp, InstBuilder, Type, Value};
use kiln_abi::builtin::Builtin;
use kiln_abi::Trap;
use wasmparser::{MemArg, MemArgTarget, Operator};

use super::memory::heap_flags;
use super::FuncCx;

/// Bytes accessed at `ty` (one of `I8`..`I64`).
fn access_bytes(ty: Type) -> u8 {
    u8::try_from(ty.bytes()).expect("atomic accesses are at most 8 bytes")
}

impl FuncCx<'_, '_> {
    /// `v` (an `i32` or `i64` operand) at the access type `access`.
    fn narrow_to(&mut self, v: Value, access: Type) -> Value {
        if self.bcx.func.dfg.value_type(v) == access {
            v
        } else {
            self.bcx.ins().ireduce(access, v)
        }
    }

    /// The value read at `access`, zero-extended to the instruction's `result` type.
    fn widen_to(&mut self, v: Value, result: Type) -> Value {
        if self.bcx.func.dfg.value_type(v) == result {
            v
        } else {
            self.bcx.ins().uextend(result, v)
        }
    }

    fn atomic_load(&mut self, memarg: &MemArg, result: Type, access: Type) {
        let index = self.pop();
        let addr = self.atomic_heap_address(index, memarg, access_bytes(access));
        let v = self.bcx.ins().atomic_load(access, heap_flags(), addr);
        let v = self.widen_to(v, result);
        self.push(v);
    }

    fn atomic_store(&mut self, memarg: &MemArg, access: Type) {
        let value = self.pop();
        let index = self.pop();
        let value = self.narrow_to(value, access);
        let addr = self.atomic_heap_address(index, memarg, access_bytes(access));
        self.bcx.ins().atomic_store(heap_flags(), value, addr);
    }

    fn atomic_rmw(&mut self, memarg: &MemArg, result: Type, access: Type, op: AtomicRmwOp) {
        let operand = self.pop();
        let index = self.pop();
        let operand = self.narrow_to(operand, access);
        let addr = self.atomic_heap_address(index, memarg, access_bytes(access));
        let old = self
            .bcx
            .ins()
            .atomic_rmw(access, heap_flags(), op, addr, operand);
        let old = self.widen_to(old, result);
        self.push(old);
    }

    fn atomic_cmpxchg(&mut self, memarg: &MemArg, result: Type, access: Type) {
        let (index, expected, replacement) = self.pop3();
        // A narrow form compares only the low bits of `expected` (the proposal wraps it to
        // the access width), so narrowing first is exact.
        let expected = self.narrow_to(expected, access);
        let replacement = self.narrow_to(replacement, access);
        let addr = self.atomic_heap_address(index, memarg, access_bytes(access));
        let old = self
            .bcx
            .ins()
            .atomic_cas(heap_flags(), addr, expected, replacement);
        let old = self.widen_to(old, result);
        self.push(old);
    }

    /// Whether memory `memarg.memory` is shared.
    fn shared(&self, memarg: &MemArg) -> bool {
        match memarg.target {
            MemArgTarget::Memory(m) => self.m.info.memories[m as usize].shared,
            MemArgTarget::Array(_) => unreachable!("GC arrays are refused by the validator"),
        }
    }

    fn memory_index(&mut self, memarg: &MemArg) -> Value {
        let MemArgTarget::Memory(m) = memarg.target else {
            unreachable!("GC arrays are refused by the validator")
        };
        self.bcx.ins().iconst(types::I32, i64::from(m))
    }

    /// `memory.atomic.wait32/64` (`size` 4 or 8): the address checks, then on a shared
    /// memory the runtime's wait queue; on an unshared one, nothing could ever notify, so
    /// the proposal traps (after the address checks, as wasmtime orders them).
    fn atomic_wait(&mut self, memarg: &MemArg, size: u8) {
        let timeout = self.pop();
        let expected = self.pop();
        let index = self.pop();
        let addr = self.atomic_wait_address(index, memarg, size);
        if !self.shared(memarg) {
            self.trap(Trap::AtomicWaitNonSharedMemory);
            self.reachable = false;
            return;
        }
        let memory = self.memory_index(memarg);
        let builtin = if size == 4 {
            Builtin::MemoryAtomicWait32
        } else {
            Builtin::MemoryAtomicWait64
        };
        let result = self.call_builtin(builtin, &[memory, addr, expected, timeout])[0];
        self.push(result);
    }

    /// `memory.atomic.notify`: the address checks, then on a shared memory the runtime
    /// wakes up to `count` waiters; an unshared memory has none, so it returns 0.
    fn atomic_notify(&mut self, memarg: &MemArg) {
        let count = self.pop();
        let index = self.pop();
        let addr = self.atomic_wait_address(index, memarg, 4);
        let woken = if self.shared(memarg) {
            let memory = self.memory_index(memarg);
            self.call_builtin(Builtin::MemoryAtomicNotify, &[memory, addr, count])[0]
        } else {
            self.bcx.ins().iconst(types::I32, 0)
        };
        self.push(woken);
    }

    /// Handles the atomic loads, stores, read-modify-writes, compare-exchanges, the fence,
    /// wait and notify. Returns false if `op` is not one of them.
    pub(super) fn translate_atomic(&mut self, op: &Operator<'_>) -> bool {
        use types::{I16, I32, I64, I8};
        use AtomicRmwOp::{Add, And, Or, Sub, Xchg, Xor};
        match op {
            Operator::AtomicFence { .. } => {
                self.bcx.ins().fence();
            }
            Operator::MemoryAtomicWait32 { memarg } => self.atomic_wait(memarg, 4),
            Operator::MemoryAtomicWait64 { memarg } => self.atomic_wait(memarg, 8),
            Operator::MemoryAtomicNotify { memarg } => self.atomic_notify(memarg),

            Operator::I32AtomicLoad { memarg } => self.atomic_load(memarg, I32, I32),
            Operator::I64AtomicLoad { memarg } => self.atomic_load(memarg, I64, I64),
            Operator::I32AtomicLoad8U { memarg } => self.atomic_load(memarg, I32, I8),
            Operator::I32AtomicLoad16U { memarg } => self.atomic_load(memarg, I32, I16),
            Operator::I64AtomicLoad8U { memarg } => self.atomic_load(memarg, I64, I8),
            Operator::I64AtomicLoad16U { memarg } => self.atomic_load(memarg, I64, I16),
            Operator::I64AtomicLoad32U { memarg } => self.atomic_load(memarg, I64, I32),

            Operator::I32AtomicStore { memarg } => self.atomic_store(memarg, I32),
            Operator::I64AtomicStore { memarg } => self.atomic_store(memarg, I64),
            Operator::I32AtomicStore8 { memarg } | Operator::I64AtomicStore8 { memarg } => {
                self.atomic_store(memarg, I8)
            }
            Operator::I32AtomicStore16 { memarg } | Operator::I64AtomicStore16 { memarg } => {
                self.atomic_store(memarg, I16)
            }
            Operator::I64AtomicStore32 { memarg } => self.atomic_store(memarg, I32),

            Operator::I32AtomicRmwAdd { memarg } => self.atomic_rmw(memarg, I32, I32, Add),
            Operator::I64AtomicRmwAdd { memarg } => self.atomic_rmw(memarg, I64, I64, Add),
            Operator::I32AtomicRmw8AddU { memarg } => self.atomic_rmw(memarg, I32, I8, Add),
            Operator::I32AtomicRmw16AddU { memarg } => self.atomic_rmw(memarg, I32, I16, Add),
            Operator::I64AtomicRmw8AddU { memarg } => self.atomic_rmw(memarg, I64, I8, Add),
            Operator::I64AtomicRmw16AddU { memarg } => self.atomic_rmw(memarg, I64, I16, Add),
            Operator::I64AtomicRmw32AddU { memarg } => self.atomic_rmw(memarg, I64, I32, Add),

            Operator::I32AtomicRmwSub { memarg } => self.atomic_rmw(memarg, I32, I32, Sub),
            Operator::I64AtomicRmwSub { memarg } => self.atomic_rmw(memarg, I64, I64, Sub),
            Operator::I32AtomicRmw8SubU { memarg } => self.atomic_rmw(memarg, I32, I8, Sub),
            Operator::I32AtomicRmw16SubU { memarg } => self.atomic_rmw(memarg, I32, I16, Sub),
            Operator::I64AtomicRmw8SubU { memarg } => self.atomic_rmw(memarg, I64, I8, Sub),
            Operator::I64AtomicRmw16SubU { memarg } => self.atomic_rmw(memarg, I64, I16, Sub),
            Operator::I64AtomicRmw32SubU { memarg } => self.atomic_rmw(memarg, I64, I32, Sub),

            Operator::I32AtomicRmwAnd { memarg } => self.atomic_rmw(memarg, I32, I32, And),
            Operator::I64AtomicRmwAnd { memarg } => self.atomic_rmw(memarg, I64, I64, And),
            Operator::I32AtomicRmw8AndU { memarg } => self.atomic_rmw(memarg, I32, I8, And),
            Operator::I32AtomicRmw16AndU { memarg } => self.atomic_rmw(memarg, I32, I16, And),
            Operator::I64AtomicRmw8AndU { memarg } => self.atomic_rmw(memarg, I64, I8, And),
            Operator::I64AtomicRmw16AndU { memarg } => self.atomic_rmw(memarg, I64, I16, And),
            Operator::I64AtomicRmw32AndU { memarg } => self.atomic_rmw(memarg, I64, I32, And),

            Operator::I32AtomicRmwOr { memarg } => self.atomic_rmw(memarg, I32, I32, Or),
            Operator::I64AtomicRmwOr { memarg } => self.atomic_rmw(memarg, I64, I64, Or),
            Operator::I32AtomicRmw8OrU { memarg } => self.atomic_rmw(memarg, I32, I8, Or),
            Operator::I32AtomicRmw16OrU { memarg } => self.atomic_rmw(memarg, I32, I16, Or),
            Operator::I64AtomicRmw8OrU { memarg } => self.atomic_rmw(memarg, I64, I8, Or),
            Operator::I64AtomicRmw16OrU { memarg } => self.atomic_rmw(memarg, I64, I16, Or),
            Operator::I64AtomicRmw32OrU { memarg } => self.atomic_rmw(memarg, I64, I32, Or),

            Operator::I32AtomicRmwXor { memarg } => self.atomic_rmw(memarg, I32, I32, Xor),
            Operator::I64AtomicRmwXor { memarg } => self.atomic_rmw(memarg, I64, I64, Xor),
            Operator::I32AtomicRmw8XorU { memarg } => self.atomic_rmw(memarg, I32, I8, Xor),
            Operator::I32AtomicRmw16XorU { memarg } => self.atomic_rmw(memarg, I32, I16, Xor),
            Operator::I64AtomicRmw8XorU { memarg } => self.atomic_rmw(memarg, I64, I8, Xor),
            Operator::I64AtomicRmw16XorU { memarg } => self.atomic_rmw(memarg, I64, I16, Xor),
            Operator::I64AtomicRmw32XorU { memarg } => self.atomic_rmw(memarg, I64, I32, Xor),

            Operator::I32AtomicRmwXchg { memarg } => self.atomic_rmw(memarg, I32, I32, Xchg),
            Operator::I64AtomicRmwXchg { memarg } => self.atomic_rmw(memarg, I64, I64, Xchg),
            Operator::I32AtomicRmw8XchgU { memarg } => self.atomic_rmw(memarg, I32, I8, Xchg),
            Operator::I32AtomicRmw16XchgU { memarg } => self.atomic_rmw(memarg, I32, I16, Xchg),
            Operator::I64AtomicRmw8XchgU { memarg } => self.atomic_rmw(memarg, I64, I8, Xchg),
            Operator::I64AtomicRmw16XchgU { memarg } => self.atomic_rmw(memarg, I64, I16, Xchg),
            Operator::I64AtomicRmw32XchgU { memarg } => self.atomic_rmw(memarg, I64, I32, Xchg),

            Operator::I32AtomicRmwCmpxchg { memarg } => self.atomic_cmpxchg(memarg, I32, I32),
            Operator::I64AtomicRmwCmpxchg { memarg } => self.atomic_cmpxchg(memarg, I64, I64),
            Operator::I32AtomicRmw8CmpxchgU { memarg } => self.atomic_cmpxchg(memarg, I32, I8),
            Operator::I32AtomicRmw16CmpxchgU { memarg } => self.atomic_cmpxchg(memarg, I32, I16),
            Operator::I64AtomicRmw8CmpxchgU { memarg } => self.atomic_cmpxchg(memarg, I64, I8),
            Operator::I64AtomicRmw16CmpxchgU { memarg } => self.atomic_cmpxchg(memarg, I64, I16),
            Operator::I64AtomicRmw32CmpxchgU { memarg } => self.atomic_cmpxchg(memarg, I64, I32),
            _ => return false,
        }
        true
    }
}
