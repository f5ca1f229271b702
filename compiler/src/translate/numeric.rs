//! Constants, integer and floating-point arithmetic, comparisons and conversions.
//!
//! Cranelift's instructions already have wasm's semantics here: division traps on zero and
//! on signed overflow, shifts and rotates mask their count, `fmin`/`fmax` propagate NaN
//! and order signed zeros, `fcvt_to_*int` traps on NaN (`invalid conversion to integer`)
//! and on out-of-range values (`integer overflow`).

use cranelift_codegen::ir::{
    condcodes::{FloatCC, IntCC},
    immediates::{Ieee32, Ieee64},
    types, InstBuilder, MemFlagsData, Value,
};
use wasmparser::Operator;

use super::FuncCx;

impl FuncCx<'_, '_> {
    fn unop(&mut self, f: impl FnOnce(&mut Self, Value) -> Value) {
        let a = self.pop();
        let v = f(self, a);
        self.push(v);
    }

    fn binop(&mut self, f: impl FnOnce(&mut Self, Value, Value) -> Value) {
        let (a, b) = self.pop2();
        let v = f(self, a, b);
        self.push(v);
    }

    fn icmp(&mut self, cc: IntCC) {
        self.binop(|cx, a, b| {
            let c = cx.bcx.ins().icmp(cc, a, b);
            cx.bcx.ins().uextend(types::I32, c)
        });
    }

    fn fcmp(&mut self, cc: FloatCC) {
        self.binop(|cx, a, b| {
            let c = cx.bcx.ins().fcmp(cc, a, b);
            cx.bcx.ins().uextend(types::I32, c)
        });
    }

    fn eqz(&mut self) {
        self.unop(|cx, a| {
            let c = cx.bcx.ins().icmp_imm_u(IntCC::Equal, a, 0);
            cx.bcx.ins().uextend(types::I32, c)
        });
    }

    /// Sign-extends the low `from` bits of an integer of type `ty`.
    fn extend_low(&mut self, from: types::Type, ty: types::Type) {
        self.unop(|cx, a| {
            let low = cx.bcx.ins().ireduce(from, a);
            cx.bcx.ins().sextend(ty, low)
        });
    }

    fn bitcast(&mut self, ty: types::Type) {
        self.unop(|cx, a| cx.bcx.ins().bitcast(ty, MemFlagsData::new(), a));
    }

    /// Handles numeric operators. Returns false if `op` is not one of them.
    pub(super) fn translate_numeric(&mut self, op: &Operator<'_>) -> bool {
        use types::{F32, F64, I16, I32, I64, I8};
        match *op {
            Operator::I32Const { value } => {
                let v = self.bcx.ins().iconst(I32, i64::from(value as u32));
                self.push(v);
            }
            Operator::I64Const { value } => {
                let v = self.bcx.ins().iconst(I64, value);
                self.push(v);
            }
            Operator::F32Const { value } => {
                let v = self.bcx.ins().f32const(Ieee32::with_bits(value.bits()));
                self.push(v);
            }
            Operator::F64Const { value } => {
                let v = self.bcx.ins().f64const(Ieee64::with_bits(value.bits()));
                self.push(v);
            }

            // Integer comparisons.
            Operator::I32Eqz | Operator::I64Eqz => self.eqz(),
            Operator::I32Eq | Operator::I64Eq => self.icmp(IntCC::Equal),
            Operator::I32Ne | Operator::I64Ne => self.icmp(IntCC::NotEqual),
            Operator::I32LtS | Operator::I64LtS => self.icmp(IntCC::SignedLessThan),
            Operator::I32LtU | Operator::I64LtU => self.icmp(IntCC::UnsignedLessThan),
            Operator::I32GtS | Operator::I64GtS => self.icmp(IntCC::SignedGreaterThan),
            Operator::I32GtU | Operator::I64GtU => self.icmp(IntCC::UnsignedGreaterThan),
            Operator::I32LeS | Operator::I64LeS => self.icmp(IntCC::SignedLessThanOrEqual),
            Operator::I32LeU | Operator::I64LeU => self.icmp(IntCC::UnsignedLessThanOrEqual),
            Operator::I32GeS | Operator::I64GeS => self.icmp(IntCC::SignedGreaterThanOrEqual),
            Operator::I32GeU | Operator::I64GeU => self.icmp(IntCC::UnsignedGreaterThanOrEqual),

            // Float comparisons.
            Operator::F32Eq | Operator::F64Eq => self.fcmp(FloatCC::Equal),
            Operator::F32Ne | Operator::F64Ne => self.fcmp(FloatCC::NotEqual),
            Operator::F32Lt | Operator::F64Lt => self.fcmp(FloatCC::LessThan),
            Operator::F32Gt | Operator::F64Gt => self.fcmp(FloatCC::GreaterThan),
            Operator::F32Le | Operator::F64Le => self.fcmp(FloatCC::LessThanOrEqual),
            Operator::F32Ge | Operator::F64Ge => self.fcmp(FloatCC::GreaterThanOrEqual),

            // Integer arithmetic.
            Operator::I32Clz | Operator::I64Clz => self.unop(|cx, a| cx.bcx.ins().clz(a)),
            Operator::I32Ctz | Operator::I64Ctz => self.unop(|cx, a| cx.bcx.ins().ctz(a)),
            Operator::I32Popcnt | Operator::I64Popcnt => self.unop(|cx, a| cx.bcx.ins().popcnt(a)),
            Operator::I32Add | Operator::I64Add => self.binop(|cx, a, b| cx.bcx.ins().iadd(a, b)),
            Operator::I32Sub | Operator::I64Sub => self.binop(|cx, a, b| cx.bcx.ins().isub(a, b)),
            Operator::I32Mul | Operator::I64Mul => self.binop(|cx, a, b| cx.bcx.ins().imul(a, b)),
            Operator::I32DivS | Operator::I64DivS => self.binop(|cx, a, b| cx.bcx.ins().sdiv(a, b)),
            Operator::I32DivU | Operator::I64DivU => self.binop(|cx, a, b| cx.bcx.ins().udiv(a, b)),
            Operator::I32RemS | Operator::I64RemS => self.binop(|cx, a, b| cx.bcx.ins().srem(a, b)),
            Operator::I32RemU | Operator::I64RemU => self.binop(|cx, a, b| cx.bcx.ins().urem(a, b)),
            Operator::I32And | Operator::I64And => self.binop(|cx, a, b| cx.bcx.ins().band(a, b)),
            Operator::I32Or | Operator::I64Or => self.binop(|cx, a, b| cx.bcx.ins().bor(a, b)),
            Operator::I32Xor | Operator::I64Xor => self.binop(|cx, a, b| cx.bcx.ins().bxor(a, b)),
            Operator::I32Shl | Operator::I64Shl => self.binop(|cx, a, b| cx.bcx.ins().ishl(a, b)),
            Operator::I32ShrS | Operator::I64ShrS => self.binop(|cx, a, b| cx.bcx.ins().sshr(a, b)),
            Operator::I32ShrU | Operator::I64ShrU => self.binop(|cx, a, b| cx.bcx.ins().ushr(a, b)),
            Operator::I32Rotl | Operator::I64Rotl => self.binop(|cx, a, b| cx.bcx.ins().rotl(a, b)),
            Operator::I32Rotr | Operator::I64Rotr => self.binop(|cx, a, b| cx.bcx.ins().rotr(a, b)),

            // Float arithmetic.
            Operator::F32Abs | Operator::F64Abs => self.unop(|cx, a| cx.bcx.ins().fabs(a)),
            Operator::F32Neg | Operator::F64Neg => self.unop(|cx, a| cx.bcx.ins().fneg(a)),
            Operator::F32Ceil | Operator::F64Ceil => self.unop(|cx, a| cx.bcx.ins().ceil(a)),
            Operator::F32Floor | Operator::F64Floor => self.unop(|cx, a| cx.bcx.ins().floor(a)),
            Operator::F32Trunc | Operator::F64Trunc => self.unop(|cx, a| cx.bcx.ins().trunc(a)),
            Operator::F32Nearest | Operator::F64Nearest => {
                self.unop(|cx, a| cx.bcx.ins().nearest(a))
            }
            Operator::F32Sqrt | Operator::F64Sqrt => self.unop(|cx, a| cx.bcx.ins().sqrt(a)),
            Operator::F32Add | Operator::F64Add => self.binop(|cx, a, b| cx.bcx.ins().fadd(a, b)),
            Operator::F32Sub | Operator::F64Sub => self.binop(|cx, a, b| cx.bcx.ins().fsub(a, b)),
            Operator::F32Mul | Operator::F64Mul => self.binop(|cx, a, b| cx.bcx.ins().fmul(a, b)),
            Operator::F32Div | Operator::F64Div => self.binop(|cx, a, b| cx.bcx.ins().fdiv(a, b)),
            Operator::F32Min | Operator::F64Min => self.binop(|cx, a, b| cx.bcx.ins().fmin(a, b)),
            Operator::F32Max | Operator::F64Max => self.binop(|cx, a, b| cx.bcx.ins().fmax(a, b)),
            Operator::F32Copysign | Operator::F64Copysign => {
                self.binop(|cx, a, b| cx.bcx.ins().fcopysign(a, b))
            }

            // Conversions.
            Operator::I32WrapI64 => self.unop(|cx, a| cx.bcx.ins().ireduce(I32, a)),
            Operator::I64ExtendI32S => self.unop(|cx, a| cx.bcx.ins().sextend(I64, a)),
            Operator::I64ExtendI32U => self.unop(|cx, a| cx.bcx.ins().uextend(I64, a)),
            Operator::I32TruncF32S | Operator::I32TruncF64S => {
                self.unop(|cx, a| cx.bcx.ins().fcvt_to_sint(I32, a))
            }
            Operator::I32TruncF32U | Operator::I32TruncF64U => {
                self.unop(|cx, a| cx.bcx.ins().fcvt_to_uint(I32, a))
            }
            Operator::I64TruncF32S | Operator::I64TruncF64S => {
                self.unop(|cx, a| cx.bcx.ins().fcvt_to_sint(I64, a))
            }
            Operator::I64TruncF32U | Operator::I64TruncF64U => {
                self.unop(|cx, a| cx.bcx.ins().fcvt_to_uint(I64, a))
            }
            Operator::I32TruncSatF32S | Operator::I32TruncSatF64S => {
                self.unop(|cx, a| cx.bcx.ins().fcvt_to_sint_sat(I32, a))
            }
            Operator::I32TruncSatF32U | Operator::I32TruncSatF64U => {
                self.unop(|cx, a| cx.bcx.ins().fcvt_to_uint_sat(I32, a))
            }
            Operator::I64TruncSatF32S | Operator::I64TruncSatF64S => {
                self.unop(|cx, a| cx.bcx.ins().fcvt_to_sint_sat(I64, a))
            }
            Operator::I64TruncSatF32U | Operator::I64TruncSatF64U => {
                self.unop(|cx, a| cx.bcx.ins().fcvt_to_uint_sat(I64, a))
            }
            Operator::F32ConvertI32S | Operator::F32ConvertI64S => {
                self.unop(|cx, a| cx.bcx.ins().fcvt_from_sint(F32, a))
            }
            Operator::F32ConvertI32U | Operator::F32ConvertI64U => {
                self.unop(|cx, a| cx.bcx.ins().fcvt_from_uint(F32, a))
            }
            Operator::F64ConvertI32S | Operator::F64ConvertI64S => {
                self.unop(|cx, a| cx.bcx.ins().fcvt_from_sint(F64, a))
            }
            Operator::F64ConvertI32U | Operator::F64ConvertI64U => {
                self.unop(|cx, a| cx.bcx.ins().fcvt_from_uint(F64, a))
            }
            Operator::F32DemoteF64 => self.unop(|cx, a| cx.bcx.ins().fdemote(F32, a)),
            Operator::F64PromoteF32 => self.unop(|cx, a| cx.bcx.ins().fpromote(F64, a)),
            Operator::I32ReinterpretF32 => self.bitcast(I32),
            Operator::I64ReinterpretF64 => self.bitcast(I64),
            Operator::F32ReinterpretI32 => self.bitcast(F32),
            Operator::F64ReinterpretI64 => self.bitcast(F64),

            // Sign extension.
            Operator::I32Extend8S => self.extend_low(I8, I32),
            Operator::I32Extend16S => self.extend_low(I16, I32),
            Operator::I64Extend8S => self.extend_low(I8, I64),
            Operator::I64Extend16S => self.extend_low(I16, I64),
            Operator::I64Extend32S => self.extend_low(I32, I64),
            _ => return false,
        }
        true
    }
}
