//! Linear memory: loads, stores and the memory instructions.
//!
//! SANDBOX-CRITICAL. Loads and stores carry no bounds check: the address is
//! `memory_base + zext(index) + offset` with a 32-bit index and a 32-bit offset, so it
//! lies within the `kiln_abi::memory::TOTAL_BYTES` the runtime reserves, and everything
//! past the memory's current length is inaccessible. This relies on the index being
//! zero-extended (never sign-extended) and on the offset being added in 64 bits.

use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, TrapCode, Type, Value};
use kiln_abi::builtin::Builtin;
use kiln_abi::{vmctx, Trap};
use wasmparser::{MemArg, Operator};

use super::FuncCx;

/// Flags of a wasm memory access: may trap (out of bounds, via the guard region), and
/// little-endian regardless of host.
pub(super) fn heap_flags() -> MemFlagsData {
    MemFlagsData::new()
        .with_endianness(cranelift_codegen::ir::Endianness::Little)
        .with_trap_code(Some(TrapCode::HEAP_OUT_OF_BOUNDS))
}

impl FuncCx<'_, '_> {
    /// The native address of `index + memarg.offset` and the immediate offset to use.
    pub(super) fn heap_address(&mut self, index: Value, memarg: &MemArg) -> (Value, i32) {
        let base = self.memory_base.expect("validated: module has a memory");
        let index = self.bcx.ins().uextend(types::I64, index);
        let addr = self.bcx.ins().iadd(base, index);
        match i32::try_from(memarg.offset) {
            Ok(off) => (addr, off),
            Err(_) => {
                let off = self.bcx.ins().iconst(types::I64, memarg.offset as i64);
                (self.bcx.ins().iadd(addr, off), 0)
            }
        }
    }

    fn load(&mut self, memarg: &MemArg, ty: Type, kind: LoadKind) {
        let index = self.pop();
        let (addr, off) = self.heap_address(index, memarg);
        let f = heap_flags();
        let ins = self.bcx.ins();
        let v = match kind {
            LoadKind::Plain => ins.load(ty, f, addr, off),
            LoadKind::S8 => ins.sload8(ty, f, addr, off),
            LoadKind::U8 => ins.uload8(ty, f, addr, off),
            LoadKind::S16 => ins.sload16(ty, f, addr, off),
            LoadKind::U16 => ins.uload16(ty, f, addr, off),
            LoadKind::S32 => ins.sload32(f, addr, off),
            LoadKind::U32 => ins.uload32(f, addr, off),
        };
        self.push(v);
    }

    fn store(&mut self, memarg: &MemArg, bits: u8) {
        let value = self.pop();
        let index = self.pop();
        let (addr, off) = self.heap_address(index, memarg);
        let f = heap_flags();
        let ins = self.bcx.ins();
        match bits {
            8 => ins.istore8(f, value, addr, off),
            16 => ins.istore16(f, value, addr, off),
            32 => ins.istore32(f, value, addr, off),
            _ => ins.store(f, value, addr, off),
        };
    }

    /// Calls a builtin that returns nonzero on failure, and traps with `trap` if it did.
    fn fallible_builtin(&mut self, builtin: Builtin, args: &[Value], trap: Trap) {
        let failed = self.call_builtin(builtin, args)[0];
        self.trapnz(failed, trap);
    }

    /// Handles memory operators. Returns false if `op` is not one of them.
    pub(super) fn translate_memory(&mut self, op: &Operator<'_>) -> bool {
        use types::{F32, F64, I32, I64};
        match op {
            Operator::I32Load { memarg } => self.load(memarg, I32, LoadKind::Plain),
            Operator::I64Load { memarg } => self.load(memarg, I64, LoadKind::Plain),
            Operator::F32Load { memarg } => self.load(memarg, F32, LoadKind::Plain),
            Operator::F64Load { memarg } => self.load(memarg, F64, LoadKind::Plain),
            Operator::I32Load8S { memarg } => self.load(memarg, I32, LoadKind::S8),
            Operator::I32Load8U { memarg } => self.load(memarg, I32, LoadKind::U8),
            Operator::I32Load16S { memarg } => self.load(memarg, I32, LoadKind::S16),
            Operator::I32Load16U { memarg } => self.load(memarg, I32, LoadKind::U16),
            Operator::I64Load8S { memarg } => self.load(memarg, I64, LoadKind::S8),
            Operator::I64Load8U { memarg } => self.load(memarg, I64, LoadKind::U8),
            Operator::I64Load16S { memarg } => self.load(memarg, I64, LoadKind::S16),
            Operator::I64Load16U { memarg } => self.load(memarg, I64, LoadKind::U16),
            Operator::I64Load32S { memarg } => self.load(memarg, I64, LoadKind::S32),
            Operator::I64Load32U { memarg } => self.load(memarg, I64, LoadKind::U32),
            Operator::V128Load { memarg } => self.load(memarg, types::I8X16, LoadKind::Plain),
            Operator::I32Store { memarg }
            | Operator::I64Store { memarg }
            | Operator::F32Store { memarg }
            | Operator::F64Store { memarg }
            | Operator::V128Store { memarg } => self.store(memarg, 0),
            Operator::I32Store8 { memarg } | Operator::I64Store8 { memarg } => {
                self.store(memarg, 8)
            }
            Operator::I32Store16 { memarg } | Operator::I64Store16 { memarg } => {
                self.store(memarg, 16)
            }
            Operator::I64Store32 { memarg } => self.store(memarg, 32),
            Operator::MemorySize { .. } => {
                let mem = self.load_readonly(self.vmctx, vmctx::OFFSET_MEMORY);
                let len = self.bcx.ins().load(
                    I64,
                    MemFlagsData::trusted(),
                    mem,
                    vmctx::OFFSET_VMMEMORY_LENGTH,
                );
                let pages = self.bcx.ins().ushr_imm_u(len, 16);
                let pages = self.bcx.ins().ireduce(I32, pages);
                self.push(pages);
            }
            Operator::MemoryGrow { mem } => {
                let delta = self.pop();
                let mem = self.bcx.ins().iconst(I32, i64::from(*mem));
                let old = self.call_builtin(Builtin::MemoryGrow, &[mem, delta])[0];
                self.push(old);
            }
            Operator::MemoryFill { mem } => {
                let (dst, val, len) = self.pop3();
                let mem = self.bcx.ins().iconst(I32, i64::from(*mem));
                self.fallible_builtin(
                    Builtin::MemoryFill,
                    &[mem, dst, val, len],
                    Trap::MemoryOutOfBounds,
                );
            }
            Operator::MemoryCopy { dst_mem, src_mem } => {
                let (dst, src, len) = self.pop3();
                let dst_mem = self.bcx.ins().iconst(I32, i64::from(*dst_mem));
                let src_mem = self.bcx.ins().iconst(I32, i64::from(*src_mem));
                self.fallible_builtin(
                    Builtin::MemoryCopy,
                    &[dst_mem, src_mem, dst, src, len],
                    Trap::MemoryOutOfBounds,
                );
            }
            Operator::MemoryInit { data_index, mem } => {
                let (dst, src, len) = self.pop3();
                let mem = self.bcx.ins().iconst(I32, i64::from(*mem));
                let seg = self.bcx.ins().iconst(I32, i64::from(*data_index));
                self.fallible_builtin(
                    Builtin::MemoryInit,
                    &[mem, seg, dst, src, len],
                    Trap::MemoryOutOfBounds,
                );
            }
            Operator::DataDrop { data_index } => {
                let seg = self.bcx.ins().iconst(I32, i64::from(*data_index));
                self.call_builtin(Builtin::DataDrop, &[seg]);
            }
            _ => return false,
        }
        true
    }
}

#[derive(Clone, Copy)]
enum LoadKind {
    Plain,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
}
