//! The linear memories ("heaps") a function accesses, and the one place where a wasm address
//! becomes a native one: each memory's bounds-check strategy.
//!
//! SANDBOX-CRITICAL (two reviews please). Every load and store, scalar or SIMD, goes
//! through [`FuncCx::heap_address`]. What it emits depends on the memory's index type and
//! on the runtime's reservation for it (`kiln_abi::memory`, `runtime/src/memory.rs`):
//!
//! - **32-bit memories** ([`Strategy::GuardRegion`]): no check. The address is
//!   `base + zext(index) + offset` with a 32-bit index and a 32-bit offset, so it lies
//!   within the `kiln_abi::memory::TOTAL_BYTES` reserved for the memory (4 GiB + a 4 GiB
//!   guard), and everything past the current length is inaccessible: the MMU does the
//!   check. This relies on the index being zero-extended (never sign-extended) and on the
//!   offset being added in 64 bits.
//! - **64-bit memories**, static offset plus access size at most
//!   `MEMORY64_GUARD_BYTES` ([`Strategy::CompareIndex`]): trap when `index > length`.
//!   An index that passes is at most the length, itself at most the reservation, so the
//!   whole access ends within the guard that follows the reservation; any byte past the
//!   length faults.
//! - **64-bit memories**, larger offsets ([`Strategy::CompareEnd`]): trap when
//!   `index + offset + size` overflows or exceeds the length: the precise check.
//!
//! `memory.fill` and `memory.copy` ([`FuncCx::bulk_range`]) check each whole range
//! against the length, precisely, and hand native addresses to the runtime's `memset` and
//! `memmove` builtins.
//!
//! Atomic accesses ([`FuncCx::atomic_heap_address`]) first check the threads proposal's
//! alignment (`unaligned atomic`), then go through the same function. `memory.atomic.wait`
//! and `notify` ([`FuncCx::atomic_wait_address`]) check alignment and the full bounds
//! explicitly and hand the wasm address to a runtime builtin.
//!
//! The length of a 64-bit memory is reloaded at each access (`memory.grow` changes it);
//! the base of every memory never moves, so it is loaded once, in the entry block. Memory
//! 0's base comes straight from the vmctx header, one load, as before multi-memory. When
//! the module's code has memory 0's address built in (`ModuleInfo::memory0_base`: an
//! x86-64 executable's 32-bit memory 0, which the runtime reserves exactly there or
//! refuses to instantiate), an access at a computed index may add that constant instead
//! ([`place_memory0`] chooses per function); the address is the same.

use cranelift_codegen::cursor::{Cursor, FuncCursor};
use cranelift_codegen::ir::{
    condcodes::IntCC, types, Function, Inst, InstBuilder, InstructionData, MemFlagsData, Opcode,
    Value,
};
use cranelift_frontend::FunctionBuilder;
use kiln_abi::info::ModuleInfo;
use kiln_abi::memory::MEMORY64_GUARD_BYTES;
use kiln_abi::{vmctx, Trap};
use wasmparser::{MemArg, MemArgTarget};

use super::{readonly, trap_code, FuncCx};

/// One memory as a function sees it: values defined in the entry block.
#[derive(Clone, Copy)]
pub(super) struct Heap {
    /// Where the memory starts (never moves), loaded from the vmctx.
    base: Value,
    /// The same address as a constant, when the code has it built in (memory 0 of an
    /// executable: `ModuleInfo::memory0_base`).
    fixed_base: Option<i64>,
    /// The memory's `VmMemory`, whose `length` is its current size in bytes.
    vmmemory: Value,
    /// Indexed with `i64`.
    pub(super) memory64: bool,
}

/// How an access to a memory is kept inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strategy {
    /// No check: the reservation and its guard cover every address (32-bit memories).
    GuardRegion,
    /// Trap when `index > length`; the guard after the reservation covers the rest.
    CompareIndex,
    /// Trap when `index + offset + size` overflows or exceeds `length`.
    CompareEnd,
}

fn strategy(memory64: bool, offset: u64, size: u8) -> Strategy {
    if !memory64 {
        Strategy::GuardRegion
    } else if offset.saturating_add(u64::from(size)) <= MEMORY64_GUARD_BYTES {
        Strategy::CompareIndex
    } else {
        Strategy::CompareEnd
    }
}

/// Loads every memory's base and `VmMemory` in the entry block (`bcx` is positioned
/// there). The loads are read-only and movable, so Cranelift drops those of memories the
/// function never touches.
pub(super) fn declare_heaps(
    bcx: &mut FunctionBuilder<'_>,
    vmctx: Value,
    info: &ModuleInfo,
) -> Vec<Heap> {
    let mut memories = None;
    info.memories
        .iter()
        .enumerate()
        .map(|(i, ty)| {
            let fixed_base = if i == 0 {
                info.memory0_base.map(|b| {
                    debug_assert!(!ty.memory64, "only a 32-bit memory 0 is at a fixed address");
                    i64::try_from(b).expect("FIXED_MEMORY0_BASE is below 2^63")
                })
            } else {
                None
            };
            let (base, vmmemory) = if i == 0 {
                let base = bcx
                    .ins()
                    .load(types::I64, readonly(), vmctx, vmctx::OFFSET_MEMORY_BASE);
                let vmmemory = bcx
                    .ins()
                    .load(types::I64, readonly(), vmctx, vmctx::OFFSET_MEMORY);
                (base, vmmemory)
            } else {
                let array = *memories.get_or_insert_with(|| {
                    bcx.ins()
                        .load(types::I64, readonly(), vmctx, vmctx::OFFSET_MEMORIES)
                });
                let slot = i32::try_from(i * 8).expect("validation bounds the memory count");
                let vmmemory = bcx.ins().load(types::I64, readonly(), array, slot);
                let base = bcx.ins().load(
                    types::I64,
                    readonly(),
                    vmmemory,
                    vmctx::OFFSET_VMMEMORY_BASE,
                );
                (base, vmmemory)
            };
            Heap {
                base,
                fixed_base,
                vmmemory,
                memory64: ty.memory64,
            }
        })
        .collect()
}

/// A function's accesses to memory 0, when the code may have its address built in.
#[derive(Default)]
pub(super) struct Memory0Uses {
    /// The `iadd`s of the loaded base and a computed index.
    computed: Vec<Inst>,
    /// How many accesses are at a constant index.
    constant: usize,
}

/// A function keeps the loaded base for all its accesses to memory 0 when it has one
/// constant-index access or more for every this many computed-index ones (see
/// [`place_memory0`]). Chosen with callgrind over the benchmarks: 3 against 2, 4, 8 and
/// "any constant access".
const CONSTANT_SHARE_FOR_LOADED_BASE: usize = 3;

/// Chooses, once `func` is translated, which base its computed-index accesses to memory 0
/// add. By default the built-in address, which x86-64 folds into each access's
/// displacement, so that no register holds the base. The accesses at a constant index
/// always use the loaded base: Cranelift has no absolute addressing mode, so they need a
/// base in a register. A function with many of those (a third as many as computed ones)
/// uses the loaded base for all its accesses: mixing the two there costs registers
/// (dlmalloc's `free` saved three more callee-saved registers and spilled the vmctx, 10%
/// more instructions; binarytrees after wasm-opt -4.1% with this rule).
pub(super) fn place_memory0(func: &mut Function, heaps: &[Heap], uses: Memory0Uses) {
    let Some(address) = heaps.first().and_then(|h| h.fixed_base) else {
        return;
    };
    let mostly_constant = uses.constant * CONSTANT_SHARE_FOR_LOADED_BASE >= uses.computed.len();
    if uses.computed.is_empty() || mostly_constant {
        return;
    }
    let entry = func.layout.entry_block().expect("translated");
    let mut pos = FuncCursor::new(func).at_first_insertion_point(entry);
    let base = pos.ins().iconst(types::I64, address);
    for inst in uses.computed {
        pos.func.dfg.inst_args_mut(inst)[0] = base;
    }
}

impl FuncCx<'_, '_> {
    pub(super) fn heap(&self, memory: u32) -> Heap {
        self.heaps[memory as usize]
    }

    /// The current length in bytes of `memory` (changes with `memory.grow`).
    pub(super) fn heap_length(&mut self, memory: u32) -> Value {
        let heap = self.heap(memory);
        self.bcx.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            heap.vmmemory,
            vmctx::OFFSET_VMMEMORY_LENGTH,
        )
    }

    /// The native address of an access of `size` bytes at `index + memarg.offset` in
    /// `memarg.memory`, with the immediate offset to use, after the memory's bounds check.
    pub(super) fn heap_address(&mut self, index: Value, memarg: &MemArg, size: u8) -> (Value, i32) {
        let memory = match memarg.target {
            MemArgTarget::Memory(m) => m,
            MemArgTarget::Array(_) => unreachable!("GC arrays are refused by the validator"),
        };
        let heap = self.heap(memory);
        let index = if heap.memory64 {
            index
        } else {
            self.bcx.ins().uextend(types::I64, index)
        };
        match strategy(heap.memory64, memarg.offset, size) {
            Strategy::GuardRegion => {}
            Strategy::CompareIndex => {
                let length = self.heap_length(memory);
                let oob = self
                    .bcx
                    .ins()
                    .icmp(IntCC::UnsignedGreaterThan, index, length);
                self.trapnz(oob, Trap::MemoryOutOfBounds);
            }
            Strategy::CompareEnd => {
                // Saturating: an end past u64::MAX is out of bounds like u64::MAX itself.
                let reach = memarg.offset.saturating_add(u64::from(size));
                let reach = self.bcx.ins().iconst(types::I64, reach.cast_signed());
                let end = self.bcx.ins().uadd_overflow_trap(
                    index,
                    reach,
                    trap_code(Trap::MemoryOutOfBounds),
                );
                let length = self.heap_length(memory);
                let oob = self.bcx.ins().icmp(IntCC::UnsignedGreaterThan, end, length);
                self.trapnz(oob, Trap::MemoryOutOfBounds);
            }
        }
        let addr = self.native_address(heap, memory, index);
        match i32::try_from(memarg.offset) {
            Ok(off) => (addr, off),
            Err(_) => {
                // In 64 bits; for a 64-bit memory the check above has ruled out a wrap.
                let off = self
                    .bcx
                    .ins()
                    .iconst(types::I64, memarg.offset.cast_signed());
                (self.bcx.ins().iadd(addr, off), 0)
            }
        }
    }

    /// The native address of an atomic access of `size` bytes (1, 2, 4 or 8) at
    /// `index + memarg.offset`: the threads proposal's alignment check (the effective
    /// address must be a multiple of `size`, or `unaligned atomic`), made before the bounds
    /// check as wasmtime makes it, then [`FuncCx::heap_address`] with the offset folded in
    /// (Cranelift's atomic instructions take no immediate offset).
    pub(super) fn atomic_heap_address(&mut self, index: Value, memarg: &MemArg, size: u8) -> Value {
        debug_assert!(size.is_power_of_two() && size <= 8);
        if size > 1 {
            // The low bits of `index + offset` are the same whatever the width the sum is
            // computed in, so a wrapping add in the index's type decides alignment exactly.
            let effective = if memarg.offset == 0 {
                index
            } else {
                self.bcx
                    .ins()
                    .iadd_imm_u(index, memarg.offset.cast_signed())
            };
            let low = self.bcx.ins().band_imm_u(effective, i64::from(size - 1));
            self.trapnz(low, Trap::HeapMisaligned);
        }
        let (addr, off) = self.heap_address(index, memarg, size);
        if off == 0 {
            addr
        } else {
            self.bcx.ins().iadd_imm_u(addr, i64::from(off))
        }
    }

    /// The effective address (`i64`, in the wasm memory) of `memory.atomic.wait32/64` or
    /// `notify` on a `size`-byte cell at `index + memarg.offset`, checked as wasmtime checks
    /// it, so that the same programs trap the same way: a sum that overflows the index type
    /// is out of bounds, then a misaligned address traps `unaligned atomic`, then
    /// `address + size > length` is out of bounds. The check is explicit, not left to the
    /// guard region: a notify on an unshared memory accesses nothing, and the runtime's
    /// wait and notify builtins read the cell from Rust, where a fault is no wasm trap.
    pub(super) fn atomic_wait_address(&mut self, index: Value, memarg: &MemArg, size: u8) -> Value {
        debug_assert!(size == 4 || size == 8);
        let memory = match memarg.target {
            MemArgTarget::Memory(m) => m,
            MemArgTarget::Array(_) => unreachable!("GC arrays are refused by the validator"),
        };
        let oob = trap_code(Trap::MemoryOutOfBounds);
        let effective = if self.heap(memory).memory64 {
            if memarg.offset == 0 {
                index
            } else {
                let off = self
                    .bcx
                    .ins()
                    .iconst(types::I64, memarg.offset.cast_signed());
                self.bcx.ins().uadd_overflow_trap(index, off, oob)
            }
        } else {
            let index = self.bcx.ins().uextend(types::I64, index);
            if memarg.offset == 0 {
                index
            } else {
                // At most 2^33 - 2 in 64 bits; past u32::MAX it wrapped in wasmtime's i32 sum.
                let sum = self
                    .bcx
                    .ins()
                    .iadd_imm_u(index, memarg.offset.cast_signed());
                let wrapped =
                    self.bcx
                        .ins()
                        .icmp_imm_u(IntCC::UnsignedGreaterThan, sum, i64::from(u32::MAX));
                self.trapnz(wrapped, Trap::MemoryOutOfBounds);
                sum
            }
        };
        let low = self.bcx.ins().band_imm_u(effective, i64::from(size - 1));
        self.trapnz(low, Trap::HeapMisaligned);
        let size = self.bcx.ins().iconst(types::I64, i64::from(size));
        let end = self.bcx.ins().uadd_overflow_trap(effective, size, oob);
        let length = self.heap_length(memory);
        let past = self.bcx.ins().icmp(IntCC::UnsignedGreaterThan, end, length);
        self.trapnz(past, Trap::MemoryOutOfBounds);
        effective
    }

    /// The native address of `[index, index + len)` (both `i64`) in memory `mem`, after
    /// the bulk-memory bounds check: out of bounds when the end is past the memory's
    /// length (a zero `len` at the very end is not), trapping before anything is written.
    pub(super) fn bulk_range(&mut self, mem: u32, index: Value, len: Value) -> Value {
        let heap = self.heap(mem);
        let end = if heap.memory64 {
            let oob = trap_code(Trap::MemoryOutOfBounds);
            self.bcx.ins().uadd_overflow_trap(index, len, oob)
        } else {
            // Both zero-extended from 32 bits: the sum cannot wrap.
            self.bcx.ins().iadd(index, len)
        };
        let length = self.heap_length(mem);
        let past = self.bcx.ins().icmp(IntCC::UnsignedGreaterThan, end, length);
        self.trapnz(past, Trap::MemoryOutOfBounds);
        self.native_address(heap, mem, index)
    }

    /// `base + index` for an access to `heap` (`index` 64-bit). For memory 0 at a fixed
    /// address, the base stays the loaded one until the whole function is translated and
    /// [`place_memory0`] has chosen.
    fn native_address(&mut self, heap: Heap, memory: u32, index: Value) -> Value {
        let addr = self.bcx.ins().iadd(heap.base, index);
        if memory == 0 && heap.fixed_base.is_some() {
            if self.is_constant(index) {
                self.memory0.constant += 1;
            } else {
                let inst = self.bcx.func.dfg.value_def(addr).unwrap_inst();
                self.memory0.computed.push(inst);
            }
        }
        addr
    }

    /// Whether `v` is an `iconst`, or the `uextend` of one.
    fn is_constant(&self, v: Value) -> bool {
        let dfg = &self.bcx.func.dfg;
        let def = |v: Value| dfg.value_def(v).inst().map(|i| &dfg.insts[i]);
        match def(v) {
            Some(InstructionData::UnaryImm {
                opcode: Opcode::Iconst,
                ..
            }) => true,
            Some(InstructionData::Unary {
                opcode: Opcode::Uextend,
                arg,
            }) => matches!(
                def(*arg),
                Some(InstructionData::UnaryImm {
                    opcode: Opcode::Iconst,
                    ..
                })
            ),
            _ => false,
        }
    }

    /// `v` as an `i64` operand of a builtin: an `i32` (an address or length in a 32-bit
    /// memory or table) is zero-extended.
    pub(super) fn index_operand(&mut self, v: Value) -> Value {
        if self.bcx.func.dfg.value_type(v) == types::I32 {
            self.bcx.ins().uextend(types::I64, v)
        } else {
            v
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_follow_index_type_and_offset() {
        assert_eq!(
            strategy(false, u64::from(u32::MAX), 16),
            Strategy::GuardRegion
        );
        assert_eq!(strategy(true, 0, 8), Strategy::CompareIndex);
        assert_eq!(
            strategy(true, MEMORY64_GUARD_BYTES - 16, 16),
            Strategy::CompareIndex
        );
        assert_eq!(
            strategy(true, MEMORY64_GUARD_BYTES - 15, 16),
            Strategy::CompareEnd
        );
        assert_eq!(strategy(true, u64::MAX, 1), Strategy::CompareEnd);
    }
}
