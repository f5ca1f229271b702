//! Globals, tables and references.

use cranelift_codegen::ir::{condcodes::IntCC, types, InstBuilder, MemFlagsData, Value};
use kiln_abi::builtin::Builtin;
use kiln_abi::{vmctx, Trap};
use wasmparser::Operator;

use super::{clif_type, FuncCx};

impl FuncCx<'_, '_> {
    /// The address of global `index`'s 16-byte slot, and whether the global is mutable.
    fn global_address(&mut self, index: u32) -> (Value, i32, bool) {
        let info = self.m.info;
        let mutable = info.globals[index as usize].ty.mutable;
        if index < info.num_imported_globals {
            let ptrs = self.load_readonly(self.vmctx, vmctx::OFFSET_IMPORTED_GLOBALS);
            let slot = self.load_readonly(ptrs, index as i32 * 8);
            (slot, 0, mutable)
        } else {
            let defined = (index - info.num_imported_globals) as i32;
            let off = vmctx::OFFSET_DEFINED_GLOBALS + defined * vmctx::GLOBAL_SLOT_SIZE;
            (self.vmctx, off, mutable)
        }
    }

    /// Loads `(base, length)` of table `index`, the length as the table's index type
    /// (zero-extended for a 64-bit table). Both can change (`table.grow`), so they are
    /// reloaded at every use, except for a table whose maximum is its minimum (as clang and
    /// rustc declare the table of function pointers): its length is that constant and its
    /// base never moves (`WasmTable::grow` cannot reallocate it), so one load serves the
    /// whole function, across calls, and `call_indirect` compares with an immediate. That
    /// holds for an imported table too: a table matches the import only when its own
    /// limits lie within the declared ones.
    pub(super) fn table_base_and_len(&mut self, index: u32) -> (Value, Value) {
        let tables = self.load_readonly(self.vmctx, vmctx::OFFSET_TABLES);
        let table = self.load_readonly(tables, index as i32 * 8);
        let limits = self.m.info.tables[index as usize].limits;
        if limits.max == Some(limits.min) {
            let base = self.load_readonly(table, vmctx::OFFSET_VMTABLE_BASE);
            let ty = if self.table64(index) {
                types::I64
            } else {
                types::I32
            };
            // A minimum past `MAX_TABLE_ELEMS` fails instantiation, so any value will do.
            let len = self.bcx.ins().iconst(ty, limits.min.cast_signed());
            return (base, len);
        }
        let base = self.bcx.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            table,
            vmctx::OFFSET_VMTABLE_BASE,
        );
        let len = self.bcx.ins().load(
            types::I32,
            MemFlagsData::trusted(),
            table,
            vmctx::OFFSET_VMTABLE_LENGTH,
        );
        let len = if self.table64(index) {
            self.bcx.ins().uextend(types::I64, len)
        } else {
            len
        };
        (base, len)
    }

    fn table64(&self, index: u32) -> bool {
        self.m.info.tables[index as usize].table64
    }

    /// A length or old size from a builtin (`i64`) as table `table`'s index type.
    fn narrow_to_table_index(&mut self, table: u32, v: Value) -> Value {
        if self.table64(table) {
            v
        } else {
            self.bcx.ins().ireduce(types::I32, v)
        }
    }

    /// Address of element `index` (already bounds-checked) in a table's element array.
    fn table_element_address(&mut self, base: Value, index: Value) -> Value {
        let index = self.index_operand(index);
        let scaled = self.bcx.ins().ishl_imm_u(index, 3);
        self.bcx.ins().iadd(base, scaled)
    }

    pub(super) fn table_element_load(&mut self, base: Value, index: Value) -> Value {
        let addr = self.table_element_address(base, index);
        self.bcx
            .ins()
            .load(types::I64, MemFlagsData::trusted(), addr, 0)
    }

    /// The address of element `index` of table `table`, trapping when out of bounds.
    fn checked_table_element(&mut self, table: u32, index: Value) -> Value {
        let (base, len) = self.table_base_and_len(table);
        let oob = self
            .bcx
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
        self.trapnz(oob, Trap::TableOutOfBounds);
        self.table_element_address(base, index)
    }

    fn table_const(&mut self, index: u32) -> Value {
        self.bcx.ins().iconst(types::I32, i64::from(index))
    }

    /// Handles global, table and reference operators. Returns false otherwise.
    pub(super) fn translate_table_or_global(&mut self, op: &Operator<'_>) -> bool {
        match *op {
            Operator::GlobalGet { global_index } => {
                let ty = clif_type(self.m.info.globals[global_index as usize].ty.ty);
                let (base, off, mutable) = self.global_address(global_index);
                let flags = if mutable {
                    MemFlagsData::trusted()
                } else {
                    super::readonly()
                };
                let v = self.bcx.ins().load(ty, flags, base, off);
                self.push(v);
            }
            Operator::GlobalSet { global_index } => {
                let v = self.pop();
                let (base, off, _) = self.global_address(global_index);
                self.bcx.ins().store(MemFlagsData::trusted(), v, base, off);
            }
            Operator::RefNull { .. } => {
                let v = self.bcx.ins().iconst(types::I64, 0);
                self.push(v);
            }
            Operator::RefIsNull => {
                self.unop_ref_is_null();
            }
            Operator::RefAsNonNull => {
                let r = *self.stack.last().expect("validated");
                self.trapz(r, Trap::NullReference);
            }
            Operator::RefFunc { function_index } => {
                let refs = self.load_readonly(self.vmctx, vmctx::OFFSET_FUNC_REFS);
                let v = self.load_readonly(refs, function_index as i32 * 8);
                self.push(v);
            }
            Operator::TableGet { table } => {
                let index = self.pop();
                let addr = self.checked_table_element(table, index);
                let v = self
                    .bcx
                    .ins()
                    .load(types::I64, MemFlagsData::trusted(), addr, 0);
                self.push(v);
            }
            Operator::TableSet { table } => {
                let (index, value) = self.pop2();
                let addr = self.checked_table_element(table, index);
                self.bcx
                    .ins()
                    .store(MemFlagsData::trusted(), value, addr, 0);
            }
            Operator::TableSize { table } => {
                let (_, len) = self.table_base_and_len(table);
                self.push(len);
            }
            Operator::TableGrow { table } => {
                let (init, delta) = self.pop2();
                let delta = self.index_operand(delta);
                let t = self.table_const(table);
                let old = self.call_builtin(Builtin::TableGrow, &[t, init, delta])[0];
                // u64::MAX (cannot grow) narrows to -1 in a 32-bit table, as it should.
                let old = self.narrow_to_table_index(table, old);
                self.push(old);
            }
            Operator::TableFill { table } => {
                let (dst, val, len) = self.pop3();
                let (dst, len) = (self.index_operand(dst), self.index_operand(len));
                let t = self.table_const(table);
                let failed = self.call_builtin(Builtin::TableFill, &[t, dst, val, len])[0];
                self.trapnz(failed, Trap::TableOutOfBounds);
            }
            Operator::TableCopy {
                dst_table,
                src_table,
            } => {
                let (dst, src, len) = self.pop3();
                let dst = self.index_operand(dst);
                let src = self.index_operand(src);
                let len = self.index_operand(len);
                let dt = self.table_const(dst_table);
                let st = self.table_const(src_table);
                let failed = self.call_builtin(Builtin::TableCopy, &[dt, st, dst, src, len])[0];
                self.trapnz(failed, Trap::TableOutOfBounds);
            }
            Operator::TableInit { elem_index, table } => {
                let (dst, src, len) = self.pop3();
                let dst = self.index_operand(dst);
                let t = self.table_const(table);
                let seg = self.table_const(elem_index);
                let failed = self.call_builtin(Builtin::TableInit, &[t, seg, dst, src, len])[0];
                self.trapnz(failed, Trap::TableOutOfBounds);
            }
            Operator::ElemDrop { elem_index } => {
                let seg = self.table_const(elem_index);
                self.call_builtin(Builtin::ElemDrop, &[seg]);
            }
            _ => return false,
        }
        true
    }

    fn unop_ref_is_null(&mut self) {
        let r = self.pop();
        let c = self.bcx.ins().icmp_imm_u(IntCC::Equal, r, 0);
        let v = self.bcx.ins().uextend(types::I32, c);
        self.push(v);
    }
}
