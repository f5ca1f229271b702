//! Linear memory: loads, stores and the memory instructions. Addresses come from
//! [`FuncCx::heap_address`] (`heap.rs`), which owns the bounds checks.

use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, TrapCode, Type, Value};
use kiln_abi::builtin::Builtin;
use kiln_abi::Trap;
use wasmparser::{MemArg, Operator};

use super::FuncCx;

/// Flags of a wasm memory access: may trap (out of bounds, via the guard region), and
/// little-endian regardless of host.
pub(super) fn heap_flags() -> MemFlagsData {
    MemFlagsData::new()
        .with_endianness(cranelift_codegen::ir::Endianness::Little)
        .with_trap_code(Some(TrapCode::HEAP_OUT_OF_BOUNDS))
}

/// Bytes of a scalar or vector value of type `ty`.
fn bytes_of(ty: Type) -> u8 {
    u8::try_from(ty.bytes()).expect("wasm values are at most 16 bytes")
}

impl FuncCx<'_, '_> {
    fn load(&mut self, memarg: &MemArg, ty: Type, kind: LoadKind) {
        let index = self.pop();
        let size = match kind {
            LoadKind::Plain => bytes_of(ty),
            LoadKind::S8 | LoadKind::U8 => 1,
            LoadKind::S16 | LoadKind::U16 => 2,
            LoadKind::S32 | LoadKind::U32 => 4,
        };
        let (addr, off) = self.heap_address(index, memarg, size);
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
        let size = match bits {
            0 => bytes_of(self.bcx.func.dfg.value_type(value)),
            _ => bits / 8,
        };
        let (addr, off) = self.heap_address(index, memarg, size);
        let f = heap_flags();
        let ins = self.bcx.ins();
        match bits {
            8 => ins.istore8(f, value, addr, off),
            16 => ins.istore16(f, value, addr, off),
            32 => ins.istore32(f, value, addr, off),
            _ => ins.store(f, value, addr, off),
        };
    }

    /// A page count or size from a builtin (`i64`) as memory `mem`'s index type.
    fn narrow_to_index(&mut self, mem: u32, v: Value) -> Value {
        if self.heap(mem).memory64 {
            v
        } else {
            self.bcx.ins().ireduce(types::I32, v)
        }
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
            Operator::MemorySize { mem } => {
                let len = self.heap_length(*mem);
                let pages = self.bcx.ins().ushr_imm_u(len, 16);
                let pages = self.narrow_to_index(*mem, pages);
                self.push(pages);
            }
            Operator::MemoryGrow { mem } => {
                let delta = self.pop();
                let delta = self.index_operand(delta);
                let memory = self.bcx.ins().iconst(I32, i64::from(*mem));
                let old = self.call_builtin(Builtin::MemoryGrow, &[memory, delta])[0];
                // u64::MAX (cannot grow) narrows to -1 in a 32-bit memory, as it should.
                let old = self.narrow_to_index(*mem, old);
                self.push(old);
            }
            Operator::MemoryFill { mem } => {
                let (dst, val, len) = self.pop3();
                let (dst, len) = (self.index_operand(dst), self.index_operand(len));
                let dst = self.bulk_range(*mem, dst, len);
                self.call_builtin(Builtin::MemSet, &[dst, val, len]);
            }
            Operator::MemoryCopy { dst_mem, src_mem } => {
                let (dst, src, len) = self.pop3();
                let dst = self.index_operand(dst);
                let src = self.index_operand(src);
                let len = self.index_operand(len);
                let dst = self.bulk_range(*dst_mem, dst, len);
                let src = self.bulk_range(*src_mem, src, len);
                self.call_builtin(Builtin::MemMove, &[dst, src, len]);
            }
            Operator::MemoryInit { data_index, mem } => {
                let (dst, src, len) = self.pop3();
                let dst = self.index_operand(dst);
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
