//! 128-bit SIMD and relaxed SIMD: wasm's `v128` operators to Cranelift vector types.
//!
//! Outside this module a `v128` is always an `I8X16` CLIF value: on the operand stack, in
//! locals, globals, block parameters and calls. Each operator bitcasts its operands to the
//! lane type it works on ([`FuncCx::pop_vec`]) and its result back ([`FuncCx::push_vec`]);
//! vector-to-vector bitcasts cost nothing on x86-64, and a bitcast straight back to the
//! type it came from is skipped, so chains of `f32x4` operators see `F32X4` values.
//!
//! Floating-point results follow Cranelift's (and the CPU's) NaN behaviour, which is what
//! wasm allows: an operation that creates a NaN yields x86's default NaN (a canonical NaN
//! up to its sign), one with a NaN operand yields that operand's NaN, quieted (an
//! arithmetic NaN). `fmin`/`fmax` lower to sequences that implement wasm's rules for NaN
//! and signed zeros.
//!
//! Relaxed SIMD makes the choice wasmtime makes by default on x86-64 (relaxed SIMD not
//! deterministic, SSSE3 and SSE4.1 present, which Kiln requires for SIMD: `cpu_check.rs`),
//! so results agree with `wasmtime run` and never depend on the CPU the code runs on:
//! `relaxed_swizzle` is `pshufb`, `relaxed_trunc` signed is `cvttps2dq`/`cvttpd2dq` (unsigned is the saturating
//! conversion), `relaxed_laneselect` is a blend on the mask's top bits (a bit select for
//! `i16x8`, which has no blend), `relaxed_min`/`max` are `minps`/`maxps`-style
//! comparisons, `relaxed_q15mulr` is `pmulhrsw`, and the relaxed dot products are
//! `pmaddubsw`. `relaxed_madd`/`nmadd` are always fused: wasmtime fuses them when the
//! target has FMA and otherwise rounds twice, which would make Kiln's result depend on
//! `--target-cpu`; Cranelift computes a fused result without FMA hardware too (through
//! libm's `fmaf`/`fma`, lane by lane).
//!
//! On other architectures the same x86 results are computed by generic sequences
//! (`x86_pshufb` and friends below), so a relaxed SIMD program prints the same on every
//! target Kiln compiles for.

use cranelift_codegen::ir::{
    condcodes::{FloatCC, IntCC},
    types::{F32X4, F64X2, I16X8, I32, I32X4, I64X2, I8X16},
    ConstantData, Endianness, InstBuilder, MemFlagsData, Opcode, Type, Value, ValueDef,
};
use wasmparser::{MemArg, Operator};

use kiln_abi::target::Arch;

use super::memory::heap_flags;
use super::FuncCx;

/// Flags of a bitcast between vector types: lanes are numbered little-endian, as in wasm.
fn lanes_le() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

impl FuncCx<'_, '_> {
    /// `v` (a vector) as a value of vector type `ty`.
    fn as_vec(&mut self, v: Value, ty: Type) -> Value {
        let dfg = &self.bcx.func.dfg;
        if dfg.value_type(v) == ty {
            return v;
        }
        // `v` is itself a bitcast of a `ty` value: use that value.
        if let ValueDef::Result(inst, 0) = dfg.value_def(v) {
            if dfg.insts[inst].opcode() == Opcode::Bitcast {
                let src = dfg.inst_args(inst)[0];
                if dfg.value_type(src) == ty {
                    return src;
                }
            }
        }
        self.bcx.ins().bitcast(ty, lanes_le(), v)
    }

    /// Pops a `v128` as a value of vector type `ty`.
    fn pop_vec(&mut self, ty: Type) -> Value {
        let v = self.pop();
        self.as_vec(v, ty)
    }

    fn pop2_vec(&mut self, ty: Type) -> (Value, Value) {
        let b = self.pop_vec(ty);
        let a = self.pop_vec(ty);
        (a, b)
    }

    fn pop3_vec(&mut self, ty: Type) -> (Value, Value, Value) {
        let c = self.pop_vec(ty);
        let (a, b) = self.pop2_vec(ty);
        (a, b, c)
    }

    /// Pushes a vector as a `v128` (an `I8X16`).
    fn push_vec(&mut self, v: Value) {
        let v = self.as_vec(v, I8X16);
        self.push(v);
    }

    fn vec_unop(&mut self, ty: Type, f: impl FnOnce(&mut Self, Value) -> Value) {
        let a = self.pop_vec(ty);
        let v = f(self, a);
        self.push_vec(v);
    }

    fn vec_binop(&mut self, ty: Type, f: impl FnOnce(&mut Self, Value, Value) -> Value) {
        let (a, b) = self.pop2_vec(ty);
        let v = f(self, a, b);
        self.push_vec(v);
    }

    fn vec_icmp(&mut self, ty: Type, cc: IntCC) {
        self.vec_binop(ty, |cx, a, b| cx.bcx.ins().icmp(cc, a, b));
    }

    fn vec_fcmp(&mut self, ty: Type, cc: FloatCC) {
        self.vec_binop(ty, |cx, a, b| cx.bcx.ins().fcmp(cc, a, b));
    }

    /// A shift of every lane by a scalar count; Cranelift, like wasm, takes the count
    /// modulo the lane width.
    fn vec_shift(&mut self, ty: Type, f: impl FnOnce(&mut Self, Value, Value) -> Value) {
        let count = self.pop();
        let a = self.pop_vec(ty);
        let v = f(self, a, count);
        self.push_vec(v);
    }

    /// A whole-vector predicate (`any_true`, `all_true`) as an i32.
    fn vec_test(&mut self, ty: Type, f: impl FnOnce(&mut Self, Value) -> Value) {
        let a = self.pop_vec(ty);
        let b = f(self, a);
        let v = self.bcx.ins().uextend(I32, b);
        self.push(v);
    }

    /// A vector of `ty` with every lane `bits` (the lane's bit pattern, low bits used).
    fn vec_splat_bits(&mut self, ty: Type, bits: i64) -> Value {
        let lane = ty.lane_type();
        let int = Type::int(u16::try_from(lane.bits()).expect("lanes are at most 64 bits"))
            .expect("an integer type of a lane's width");
        // Cranelift wants a narrow constant zero-extended.
        let bits = if lane.bits() < 64 {
            bits & ((1i64 << lane.bits()) - 1)
        } else {
            bits
        };
        let c = self.bcx.ins().iconst(int, bits);
        let v = self
            .bcx
            .ins()
            .splat(int.by(ty.lane_count()).expect("a 128-bit vector"), c);
        self.as_vec(v, ty)
    }

    fn is_x86(&self) -> bool {
        self.m.arch == Arch::X86_64
    }

    /// `pshufb`: an index with its top bit set selects 0, any other the lane `index & 15`
    /// (`swizzle` selects 0 for any index above 15).
    fn x86_pshufb(&mut self, a: Value, b: Value) -> Value {
        if self.is_x86() {
            return self.bcx.ins().x86_pshufb(a, b);
        }
        let mask = self.vec_splat_bits(I8X16, 0x8f);
        let index = self.bcx.ins().band(b, mask);
        self.bcx.ins().swizzle(a, index)
    }

    /// `cvttps2dq`: truncation, with `i32::MIN` for NaN and out-of-range lanes (the
    /// saturating conversion gives MIN only below the range, MAX above it and 0 for NaN).
    fn x86_cvttps2dq(&mut self, a: Value) -> Value {
        if self.is_x86() {
            return self.bcx.ins().x86_cvtt2dq(I32X4, a);
        }
        let sat = self.bcx.ins().fcvt_to_sint_sat(I32X4, a);
        let limit = self.vec_splat_bits(F32X4, i64::from(2147483648.0f32.to_bits()));
        let in_range = self.bcx.ins().fcmp(FloatCC::LessThan, a, limit);
        let min = self.vec_splat_bits(I32X4, i64::from(i32::MIN));
        self.bcx.ins().bitselect(in_range, sat, min)
    }

    /// `cvttpd2dq`'s lanes widened to i64: truncation, `i32::MIN` for NaN and out-of-range
    /// lanes once narrowed (below the range the saturating narrow gives MIN too).
    fn x86_cvttpd2dq(&mut self, a: Value) -> Value {
        if self.is_x86() {
            return self.bcx.ins().x86_cvtt2dq(I64X2, a);
        }
        let sat = self.bcx.ins().fcvt_to_sint_sat(I64X2, a);
        let limit = self.vec_splat_bits(F64X2, 2147483648.0f64.to_bits().cast_signed());
        let in_range = self.bcx.ins().fcmp(FloatCC::LessThan, a, limit);
        let min = self.vec_splat_bits(I64X2, i64::MIN);
        self.bcx.ins().bitselect(in_range, sat, min)
    }

    /// `pmulhrsw`: `(a * b + 2^14) >> 15` as `q15mulr_sat`, but wrapping where that
    /// saturates: `i16::MIN * i16::MIN` gives MIN, not MAX.
    fn x86_pmulhrsw(&mut self, a: Value, b: Value) -> Value {
        if self.is_x86() {
            return self.bcx.ins().x86_pmulhrsw(a, b);
        }
        let r = self.bcx.ins().sqmul_round_sat(a, b);
        let min = self.vec_splat_bits(I16X8, i64::from(i16::MIN));
        let a_min = self.bcx.ins().icmp(IntCC::Equal, a, min);
        let b_min = self.bcx.ins().icmp(IntCC::Equal, b, min);
        let both = self.bcx.ins().band(a_min, b_min);
        // MAX (0x7fff) xor all ones is MIN (0x8000).
        self.bcx.ins().bxor(r, both)
    }

    /// `pmaddubsw` (as Cranelift's `x86_pmaddubsw`): signed bytes of `a` times unsigned
    /// bytes of `b`, adjacent products added with signed saturation into i16 lanes.
    fn x86_pmaddubsw(&mut self, a: Value, b: Value) -> Value {
        if self.is_x86() {
            return self.bcx.ins().x86_pmaddubsw(a, b);
        }
        // Each product fits an i16 (-128 * 255 .. 127 * 255); their pair sums may not, so
        // they are added as i32 and narrowed with saturation.
        let low_a = self.bcx.ins().swiden_low(a);
        let low_b = self.bcx.ins().uwiden_low(b);
        let low = self.bcx.ins().imul(low_a, low_b);
        let high_a = self.bcx.ins().swiden_high(a);
        let high_b = self.bcx.ins().uwiden_high(b);
        let high = self.bcx.ins().imul(high_a, high_b);
        let mut pair_sums = |v: Value| {
            let l = self.bcx.ins().swiden_low(v);
            let h = self.bcx.ins().swiden_high(v);
            self.bcx.ins().iadd_pairwise(l, h)
        };
        let low = pair_sums(low);
        let high = pair_sums(high);
        self.bcx.ins().snarrow(low, high)
    }

    /// `blendv`: each lane of `a` where the top bit of `mask`'s lane is set, else of `b`.
    fn x86_blendv(&mut self, mask: Value, a: Value, b: Value) -> Value {
        if self.is_x86() {
            return self.bcx.ins().blendv(mask, a, b);
        }
        let ty = self.bcx.func.dfg.value_type(mask);
        let top = i64::from(ty.lane_bits() - 1);
        let lanes = self.bcx.ins().sshr_imm_u(mask, top);
        self.bcx.ins().bitselect(lanes, a, b)
    }

    fn vec_zero(&mut self, ty: Type) -> Value {
        let c = self.bcx.func.dfg.constants.insert(vec![0u8; 16].into());
        self.bcx.ins().vconst(ty, c)
    }

    /// Widens both halves of `a` and `b` with `widen` and multiplies lane by lane:
    /// `(low(a) * low(b), high(a) * high(b))`.
    fn widening_products(&mut self, a: Value, b: Value, signed: bool) -> (Value, Value) {
        let ins = |cx: &mut Self, v: Value, high: bool| match (signed, high) {
            (true, false) => cx.bcx.ins().swiden_low(v),
            (true, true) => cx.bcx.ins().swiden_high(v),
            (false, false) => cx.bcx.ins().uwiden_low(v),
            (false, true) => cx.bcx.ins().uwiden_high(v),
        };
        let (al, bl) = (ins(self, a, false), ins(self, b, false));
        let low = self.bcx.ins().imul(al, bl);
        let (ah, bh) = (ins(self, a, true), ins(self, b, true));
        let high = self.bcx.ins().imul(ah, bh);
        (low, high)
    }

    /// `extmul_low`/`extmul_high`: one half of each operand widened, then multiplied.
    fn extmul(&mut self, ty: Type, signed: bool, high: bool) {
        self.vec_binop(ty, |cx, a, b| {
            let (a, b) = match (signed, high) {
                (true, false) => (cx.bcx.ins().swiden_low(a), cx.bcx.ins().swiden_low(b)),
                (true, true) => (cx.bcx.ins().swiden_high(a), cx.bcx.ins().swiden_high(b)),
                (false, false) => (cx.bcx.ins().uwiden_low(a), cx.bcx.ins().uwiden_low(b)),
                (false, true) => (cx.bcx.ins().uwiden_high(a), cx.bcx.ins().uwiden_high(b)),
            };
            cx.bcx.ins().imul(a, b)
        });
    }

    /// `extadd_pairwise`: adjacent lanes widened and added.
    fn extadd_pairwise(&mut self, ty: Type, signed: bool) {
        self.vec_unop(ty, |cx, a| {
            let (low, high) = if signed {
                (cx.bcx.ins().swiden_low(a), cx.bcx.ins().swiden_high(a))
            } else {
                (cx.bcx.ins().uwiden_low(a), cx.bcx.ins().uwiden_high(a))
            };
            cx.bcx.ins().iadd_pairwise(low, high)
        });
    }

    /// `pmin` (`b < a ? b : a`) and `pmax` (`a < b ? b : a`), in the operand order the
    /// x86-64 backend turns into `minps`/`maxps` (and friends).
    fn pseudo_min_max(&mut self, ty: Type, max: bool) {
        self.vec_binop(ty, |cx, a, b| {
            let cmp = if max {
                cx.bcx.ins().fcmp(FloatCC::LessThan, a, b)
            } else {
                cx.bcx.ins().fcmp(FloatCC::LessThan, b, a)
            };
            let cmp = cx.bcx.ins().bitcast(ty, lanes_le(), cmp);
            cx.bcx.ins().bitselect(cmp, b, a)
        });
    }

    /// A fused multiply-add `a * b + c` (`negate`: `-(a * b) + c`).
    fn fused_madd(&mut self, ty: Type, negate: bool) {
        let (a, b, c) = self.pop3_vec(ty);
        let neg_a = if negate { self.bcx.ins().fneg(a) } else { a };
        let mut v = self.bcx.ins().fma(neg_a, b, c);
        if negate && !self.is_x86() {
            // x86's `vfnmadd` passes a NaN `a` through with its sign; negating `a` first
            // flips it. Where `a`'s NaN is the one propagated (`a` NaN, `c` not: the addend's
            // NaN comes first on AArch64, as on x86), flip it back.
            let a_nan = self.bcx.ins().fcmp(FloatCC::Unordered, a, a);
            let c_num = self.bcx.ins().fcmp(FloatCC::Ordered, c, c);
            let fix = self.bcx.ins().band(a_nan, c_num);
            let fix = self.bcx.ins().bitcast(ty, lanes_le(), fix);
            let flipped = self.bcx.ins().fneg(v);
            v = self.bcx.ins().bitselect(fix, flipped, v);
        }
        self.push_vec(v);
    }

    /// `f64x2 -> i32x4` conversions with zeroed high lanes: `convert` to `i64x2`, then
    /// narrow (saturating, `signed` or unsigned) together with a zero vector.
    fn trunc_f64x2_zero(&mut self, signed: bool, relaxed: bool) {
        let a = self.pop_vec(F64X2);
        let zero = self.vec_zero(I64X2);
        let v = if signed {
            let wide = if relaxed {
                self.x86_cvttpd2dq(a)
            } else {
                self.bcx.ins().fcvt_to_sint_sat(I64X2, a)
            };
            self.bcx.ins().snarrow(wide, zero)
        } else {
            let wide = self.bcx.ins().fcvt_to_uint_sat(I64X2, a);
            self.bcx.ins().uunarrow(wide, zero)
        };
        self.push_vec(v);
    }

    /// `v128.load*_splat`: one lane loaded, copied to every lane of `ty`.
    fn load_splat(&mut self, memarg: &MemArg, ty: Type) {
        let index = self.pop();
        let (addr, off) = self.heap_address(index, memarg, lane_bytes(ty));
        let lane = self.bcx.ins().load(ty.lane_type(), heap_flags(), addr, off);
        let v = self.bcx.ins().splat(ty, lane);
        self.push_vec(v);
    }

    /// `v128.load32_zero`/`load64_zero`: lane 0 loaded, the others zero.
    fn load_zero(&mut self, memarg: &MemArg, ty: Type) {
        let index = self.pop();
        let (addr, off) = self.heap_address(index, memarg, lane_bytes(ty));
        let lane = self.bcx.ins().load(ty.lane_type(), heap_flags(), addr, off);
        let v = self.bcx.ins().scalar_to_vector(ty, lane);
        self.push_vec(v);
    }

    /// `v128.loadMxN_s/u`: `N` lanes of `M` bits loaded and extended to twice the width.
    fn load_extend(&mut self, memarg: &MemArg, kind: Opcode) {
        let index = self.pop();
        let (addr, off) = self.heap_address(index, memarg, 8);
        let f = heap_flags();
        let ins = self.bcx.ins();
        let v = match kind {
            Opcode::Sload8x8 => ins.sload8x8(f, addr, off),
            Opcode::Uload8x8 => ins.uload8x8(f, addr, off),
            Opcode::Sload16x4 => ins.sload16x4(f, addr, off),
            Opcode::Uload16x4 => ins.uload16x4(f, addr, off),
            Opcode::Sload32x2 => ins.sload32x2(f, addr, off),
            Opcode::Uload32x2 => ins.uload32x2(f, addr, off),
            _ => unreachable!("an extending vector load"),
        };
        self.push_vec(v);
    }

    /// `v128.loadN_lane`: one lane of the vector replaced by a value from memory.
    fn load_lane(&mut self, memarg: &MemArg, ty: Type, lane: u8) {
        let vector = self.pop_vec(ty);
        let index = self.pop();
        let (addr, off) = self.heap_address(index, memarg, lane_bytes(ty));
        let value = self.bcx.ins().load(ty.lane_type(), heap_flags(), addr, off);
        let v = self.bcx.ins().insertlane(vector, value, lane);
        self.push_vec(v);
    }

    /// `v128.storeN_lane`: one lane of the vector stored.
    fn store_lane(&mut self, memarg: &MemArg, ty: Type, lane: u8) {
        let vector = self.pop_vec(ty);
        let index = self.pop();
        let (addr, off) = self.heap_address(index, memarg, lane_bytes(ty));
        let value = self.bcx.ins().extractlane(vector, lane);
        self.bcx.ins().store(heap_flags(), value, addr, off);
    }

    fn extract_lane(&mut self, ty: Type, lane: u8, extend: Option<bool>) {
        let vector = self.pop_vec(ty);
        let v = self.bcx.ins().extractlane(vector, lane);
        let v = match extend {
            Some(true) => self.bcx.ins().sextend(I32, v),
            Some(false) => self.bcx.ins().uextend(I32, v),
            None => v,
        };
        self.push(v);
    }

    fn replace_lane(&mut self, ty: Type, lane: u8) {
        let mut value = self.pop();
        let vector = self.pop_vec(ty);
        if self.bcx.func.dfg.value_type(value) != ty.lane_type() {
            // i8x16/i16x8 lanes come from an i32.
            value = self.bcx.ins().ireduce(ty.lane_type(), value);
        }
        let v = self.bcx.ins().insertlane(vector, value, lane);
        self.push_vec(v);
    }

    fn splat(&mut self, ty: Type) {
        let mut value = self.pop();
        if self.bcx.func.dfg.value_type(value) != ty.lane_type() {
            value = self.bcx.ins().ireduce(ty.lane_type(), value);
        }
        let v = self.bcx.ins().splat(ty, value);
        self.push_vec(v);
    }

    /// Handles the SIMD and relaxed-SIMD operators. Returns false if `op` is not one.
    pub(super) fn translate_simd(&mut self, op: &Operator<'_>) -> bool {
        use Operator as O;
        match *op {
            // Memory.
            O::V128Load8x8S { ref memarg } => self.load_extend(memarg, Opcode::Sload8x8),
            O::V128Load8x8U { ref memarg } => self.load_extend(memarg, Opcode::Uload8x8),
            O::V128Load16x4S { ref memarg } => self.load_extend(memarg, Opcode::Sload16x4),
            O::V128Load16x4U { ref memarg } => self.load_extend(memarg, Opcode::Uload16x4),
            O::V128Load32x2S { ref memarg } => self.load_extend(memarg, Opcode::Sload32x2),
            O::V128Load32x2U { ref memarg } => self.load_extend(memarg, Opcode::Uload32x2),
            O::V128Load8Splat { ref memarg } => self.load_splat(memarg, I8X16),
            O::V128Load16Splat { ref memarg } => self.load_splat(memarg, I16X8),
            O::V128Load32Splat { ref memarg } => self.load_splat(memarg, I32X4),
            O::V128Load64Splat { ref memarg } => self.load_splat(memarg, I64X2),
            O::V128Load32Zero { ref memarg } => self.load_zero(memarg, I32X4),
            O::V128Load64Zero { ref memarg } => self.load_zero(memarg, I64X2),
            O::V128Load8Lane { ref memarg, lane } => self.load_lane(memarg, I8X16, lane),
            O::V128Load16Lane { ref memarg, lane } => self.load_lane(memarg, I16X8, lane),
            O::V128Load32Lane { ref memarg, lane } => self.load_lane(memarg, I32X4, lane),
            O::V128Load64Lane { ref memarg, lane } => self.load_lane(memarg, I64X2, lane),
            O::V128Store8Lane { ref memarg, lane } => self.store_lane(memarg, I8X16, lane),
            O::V128Store16Lane { ref memarg, lane } => self.store_lane(memarg, I16X8, lane),
            O::V128Store32Lane { ref memarg, lane } => self.store_lane(memarg, I32X4, lane),
            O::V128Store64Lane { ref memarg, lane } => self.store_lane(memarg, I64X2, lane),

            // Constants, lanes, shuffles.
            O::V128Const { value } => {
                let c = self
                    .bcx
                    .func
                    .dfg
                    .constants
                    .insert(value.bytes().to_vec().into());
                let v = self.bcx.ins().vconst(I8X16, c);
                self.push(v);
            }
            O::I8x16Splat => self.splat(I8X16),
            O::I16x8Splat => self.splat(I16X8),
            O::I32x4Splat => self.splat(I32X4),
            O::I64x2Splat => self.splat(I64X2),
            O::F32x4Splat => self.splat(F32X4),
            O::F64x2Splat => self.splat(F64X2),
            O::I8x16ExtractLaneS { lane } => self.extract_lane(I8X16, lane, Some(true)),
            O::I8x16ExtractLaneU { lane } => self.extract_lane(I8X16, lane, Some(false)),
            O::I16x8ExtractLaneS { lane } => self.extract_lane(I16X8, lane, Some(true)),
            O::I16x8ExtractLaneU { lane } => self.extract_lane(I16X8, lane, Some(false)),
            O::I32x4ExtractLane { lane } => self.extract_lane(I32X4, lane, None),
            O::I64x2ExtractLane { lane } => self.extract_lane(I64X2, lane, None),
            O::F32x4ExtractLane { lane } => self.extract_lane(F32X4, lane, None),
            O::F64x2ExtractLane { lane } => self.extract_lane(F64X2, lane, None),
            O::I8x16ReplaceLane { lane } => self.replace_lane(I8X16, lane),
            O::I16x8ReplaceLane { lane } => self.replace_lane(I16X8, lane),
            O::I32x4ReplaceLane { lane } => self.replace_lane(I32X4, lane),
            O::I64x2ReplaceLane { lane } => self.replace_lane(I64X2, lane),
            O::F32x4ReplaceLane { lane } => self.replace_lane(F32X4, lane),
            O::F64x2ReplaceLane { lane } => self.replace_lane(F64X2, lane),
            O::I8x16Shuffle { lanes } => self.vec_binop(I8X16, |cx, a, b| {
                let mask = cx
                    .bcx
                    .func
                    .dfg
                    .immediates
                    .push(ConstantData::from(&lanes[..]));
                cx.bcx.ins().shuffle(a, b, mask)
            }),
            O::I8x16Swizzle => self.vec_binop(I8X16, |cx, a, b| cx.bcx.ins().swizzle(a, b)),

            // Bitwise.
            O::V128Not => self.vec_unop(I8X16, |cx, a| cx.bcx.ins().bnot(a)),
            O::V128And => self.vec_binop(I8X16, |cx, a, b| cx.bcx.ins().band(a, b)),
            O::V128AndNot => self.vec_binop(I8X16, |cx, a, b| cx.bcx.ins().band_not(a, b)),
            O::V128Or => self.vec_binop(I8X16, |cx, a, b| cx.bcx.ins().bor(a, b)),
            O::V128Xor => self.vec_binop(I8X16, |cx, a, b| cx.bcx.ins().bxor(a, b)),
            O::V128Bitselect => {
                let (a, b, mask) = self.pop3_vec(I8X16);
                let v = self.bcx.ins().bitselect(mask, a, b);
                self.push_vec(v);
            }
            O::V128AnyTrue => self.vec_test(I8X16, |cx, a| cx.bcx.ins().vany_true(a)),

            // Integer comparisons.
            O::I8x16Eq => self.vec_icmp(I8X16, IntCC::Equal),
            O::I8x16Ne => self.vec_icmp(I8X16, IntCC::NotEqual),
            O::I8x16LtS => self.vec_icmp(I8X16, IntCC::SignedLessThan),
            O::I8x16LtU => self.vec_icmp(I8X16, IntCC::UnsignedLessThan),
            O::I8x16GtS => self.vec_icmp(I8X16, IntCC::SignedGreaterThan),
            O::I8x16GtU => self.vec_icmp(I8X16, IntCC::UnsignedGreaterThan),
            O::I8x16LeS => self.vec_icmp(I8X16, IntCC::SignedLessThanOrEqual),
            O::I8x16LeU => self.vec_icmp(I8X16, IntCC::UnsignedLessThanOrEqual),
            O::I8x16GeS => self.vec_icmp(I8X16, IntCC::SignedGreaterThanOrEqual),
            O::I8x16GeU => self.vec_icmp(I8X16, IntCC::UnsignedGreaterThanOrEqual),
            O::I16x8Eq => self.vec_icmp(I16X8, IntCC::Equal),
            O::I16x8Ne => self.vec_icmp(I16X8, IntCC::NotEqual),
            O::I16x8LtS => self.vec_icmp(I16X8, IntCC::SignedLessThan),
            O::I16x8LtU => self.vec_icmp(I16X8, IntCC::UnsignedLessThan),
            O::I16x8GtS => self.vec_icmp(I16X8, IntCC::SignedGreaterThan),
            O::I16x8GtU => self.vec_icmp(I16X8, IntCC::UnsignedGreaterThan),
            O::I16x8LeS => self.vec_icmp(I16X8, IntCC::SignedLessThanOrEqual),
            O::I16x8LeU => self.vec_icmp(I16X8, IntCC::UnsignedLessThanOrEqual),
            O::I16x8GeS => self.vec_icmp(I16X8, IntCC::SignedGreaterThanOrEqual),
            O::I16x8GeU => self.vec_icmp(I16X8, IntCC::UnsignedGreaterThanOrEqual),
            O::I32x4Eq => self.vec_icmp(I32X4, IntCC::Equal),
            O::I32x4Ne => self.vec_icmp(I32X4, IntCC::NotEqual),
            O::I32x4LtS => self.vec_icmp(I32X4, IntCC::SignedLessThan),
            O::I32x4LtU => self.vec_icmp(I32X4, IntCC::UnsignedLessThan),
            O::I32x4GtS => self.vec_icmp(I32X4, IntCC::SignedGreaterThan),
            O::I32x4GtU => self.vec_icmp(I32X4, IntCC::UnsignedGreaterThan),
            O::I32x4LeS => self.vec_icmp(I32X4, IntCC::SignedLessThanOrEqual),
            O::I32x4LeU => self.vec_icmp(I32X4, IntCC::UnsignedLessThanOrEqual),
            O::I32x4GeS => self.vec_icmp(I32X4, IntCC::SignedGreaterThanOrEqual),
            O::I32x4GeU => self.vec_icmp(I32X4, IntCC::UnsignedGreaterThanOrEqual),
            O::I64x2Eq => self.vec_icmp(I64X2, IntCC::Equal),
            O::I64x2Ne => self.vec_icmp(I64X2, IntCC::NotEqual),
            O::I64x2LtS => self.vec_icmp(I64X2, IntCC::SignedLessThan),
            O::I64x2GtS => self.vec_icmp(I64X2, IntCC::SignedGreaterThan),
            O::I64x2LeS => self.vec_icmp(I64X2, IntCC::SignedLessThanOrEqual),
            O::I64x2GeS => self.vec_icmp(I64X2, IntCC::SignedGreaterThanOrEqual),

            // Float comparisons.
            O::F32x4Eq => self.vec_fcmp(F32X4, FloatCC::Equal),
            O::F32x4Ne => self.vec_fcmp(F32X4, FloatCC::NotEqual),
            O::F32x4Lt => self.vec_fcmp(F32X4, FloatCC::LessThan),
            O::F32x4Gt => self.vec_fcmp(F32X4, FloatCC::GreaterThan),
            O::F32x4Le => self.vec_fcmp(F32X4, FloatCC::LessThanOrEqual),
            O::F32x4Ge => self.vec_fcmp(F32X4, FloatCC::GreaterThanOrEqual),
            O::F64x2Eq => self.vec_fcmp(F64X2, FloatCC::Equal),
            O::F64x2Ne => self.vec_fcmp(F64X2, FloatCC::NotEqual),
            O::F64x2Lt => self.vec_fcmp(F64X2, FloatCC::LessThan),
            O::F64x2Gt => self.vec_fcmp(F64X2, FloatCC::GreaterThan),
            O::F64x2Le => self.vec_fcmp(F64X2, FloatCC::LessThanOrEqual),
            O::F64x2Ge => self.vec_fcmp(F64X2, FloatCC::GreaterThanOrEqual),

            // Integer lane tests and bit masks.
            O::I8x16AllTrue => self.vec_test(I8X16, |cx, a| cx.bcx.ins().vall_true(a)),
            O::I16x8AllTrue => self.vec_test(I16X8, |cx, a| cx.bcx.ins().vall_true(a)),
            O::I32x4AllTrue => self.vec_test(I32X4, |cx, a| cx.bcx.ins().vall_true(a)),
            O::I64x2AllTrue => self.vec_test(I64X2, |cx, a| cx.bcx.ins().vall_true(a)),
            O::I8x16Bitmask | O::I16x8Bitmask | O::I32x4Bitmask | O::I64x2Bitmask => {
                let ty = match *op {
                    O::I8x16Bitmask => I8X16,
                    O::I16x8Bitmask => I16X8,
                    O::I32x4Bitmask => I32X4,
                    _ => I64X2,
                };
                let a = self.pop_vec(ty);
                let v = self.bcx.ins().vhigh_bits(I32, a);
                self.push(v);
            }

            // Integer arithmetic.
            O::I8x16Abs => self.vec_unop(I8X16, |cx, a| cx.bcx.ins().iabs(a)),
            O::I16x8Abs => self.vec_unop(I16X8, |cx, a| cx.bcx.ins().iabs(a)),
            O::I32x4Abs => self.vec_unop(I32X4, |cx, a| cx.bcx.ins().iabs(a)),
            O::I64x2Abs => self.vec_unop(I64X2, |cx, a| cx.bcx.ins().iabs(a)),
            O::I8x16Neg => self.vec_unop(I8X16, |cx, a| cx.bcx.ins().ineg(a)),
            O::I16x8Neg => self.vec_unop(I16X8, |cx, a| cx.bcx.ins().ineg(a)),
            O::I32x4Neg => self.vec_unop(I32X4, |cx, a| cx.bcx.ins().ineg(a)),
            O::I64x2Neg => self.vec_unop(I64X2, |cx, a| cx.bcx.ins().ineg(a)),
            O::I8x16Popcnt => self.vec_unop(I8X16, |cx, a| cx.bcx.ins().popcnt(a)),
            O::I8x16Add => self.vec_binop(I8X16, |cx, a, b| cx.bcx.ins().iadd(a, b)),
            O::I16x8Add => self.vec_binop(I16X8, |cx, a, b| cx.bcx.ins().iadd(a, b)),
            O::I32x4Add => self.vec_binop(I32X4, |cx, a, b| cx.bcx.ins().iadd(a, b)),
            O::I64x2Add => self.vec_binop(I64X2, |cx, a, b| cx.bcx.ins().iadd(a, b)),
            O::I8x16Sub => self.vec_binop(I8X16, |cx, a, b| cx.bcx.ins().isub(a, b)),
            O::I16x8Sub => self.vec_binop(I16X8, |cx, a, b| cx.bcx.ins().isub(a, b)),
            O::I32x4Sub => self.vec_binop(I32X4, |cx, a, b| cx.bcx.ins().isub(a, b)),
            O::I64x2Sub => self.vec_binop(I64X2, |cx, a, b| cx.bcx.ins().isub(a, b)),
            O::I16x8Mul => self.vec_binop(I16X8, |cx, a, b| cx.bcx.ins().imul(a, b)),
            O::I32x4Mul => self.vec_binop(I32X4, |cx, a, b| cx.bcx.ins().imul(a, b)),
            O::I64x2Mul => self.vec_binop(I64X2, |cx, a, b| cx.bcx.ins().imul(a, b)),
            O::I8x16AddSatS => self.vec_binop(I8X16, |cx, a, b| cx.bcx.ins().sadd_sat(a, b)),
            O::I8x16AddSatU => self.vec_binop(I8X16, |cx, a, b| cx.bcx.ins().uadd_sat(a, b)),
            O::I16x8AddSatS => self.vec_binop(I16X8, |cx, a, b| cx.bcx.ins().sadd_sat(a, b)),
            O::I16x8AddSatU => self.vec_binop(I16X8, |cx, a, b| cx.bcx.ins().uadd_sat(a, b)),
            O::I8x16SubSatS => self.vec_binop(I8X16, |cx, a, b| cx.bcx.ins().ssub_sat(a, b)),
            O::I8x16SubSatU => self.vec_binop(I8X16, |cx, a, b| cx.bcx.ins().usub_sat(a, b)),
            O::I16x8SubSatS => self.vec_binop(I16X8, |cx, a, b| cx.bcx.ins().ssub_sat(a, b)),
            O::I16x8SubSatU => self.vec_binop(I16X8, |cx, a, b| cx.bcx.ins().usub_sat(a, b)),
            O::I8x16MinS => self.vec_binop(I8X16, |cx, a, b| cx.bcx.ins().smin(a, b)),
            O::I8x16MinU => self.vec_binop(I8X16, |cx, a, b| cx.bcx.ins().umin(a, b)),
            O::I8x16MaxS => self.vec_binop(I8X16, |cx, a, b| cx.bcx.ins().smax(a, b)),
            O::I8x16MaxU => self.vec_binop(I8X16, |cx, a, b| cx.bcx.ins().umax(a, b)),
            O::I16x8MinS => self.vec_binop(I16X8, |cx, a, b| cx.bcx.ins().smin(a, b)),
            O::I16x8MinU => self.vec_binop(I16X8, |cx, a, b| cx.bcx.ins().umin(a, b)),
            O::I16x8MaxS => self.vec_binop(I16X8, |cx, a, b| cx.bcx.ins().smax(a, b)),
            O::I16x8MaxU => self.vec_binop(I16X8, |cx, a, b| cx.bcx.ins().umax(a, b)),
            O::I32x4MinS => self.vec_binop(I32X4, |cx, a, b| cx.bcx.ins().smin(a, b)),
            O::I32x4MinU => self.vec_binop(I32X4, |cx, a, b| cx.bcx.ins().umin(a, b)),
            O::I32x4MaxS => self.vec_binop(I32X4, |cx, a, b| cx.bcx.ins().smax(a, b)),
            O::I32x4MaxU => self.vec_binop(I32X4, |cx, a, b| cx.bcx.ins().umax(a, b)),
            O::I8x16AvgrU => self.vec_binop(I8X16, |cx, a, b| cx.bcx.ins().avg_round(a, b)),
            O::I16x8AvgrU => self.vec_binop(I16X8, |cx, a, b| cx.bcx.ins().avg_round(a, b)),
            O::I16x8Q15MulrSatS => {
                self.vec_binop(I16X8, |cx, a, b| cx.bcx.ins().sqmul_round_sat(a, b))
            }

            // Shifts.
            O::I8x16Shl => self.vec_shift(I8X16, |cx, a, n| cx.bcx.ins().ishl(a, n)),
            O::I16x8Shl => self.vec_shift(I16X8, |cx, a, n| cx.bcx.ins().ishl(a, n)),
            O::I32x4Shl => self.vec_shift(I32X4, |cx, a, n| cx.bcx.ins().ishl(a, n)),
            O::I64x2Shl => self.vec_shift(I64X2, |cx, a, n| cx.bcx.ins().ishl(a, n)),
            O::I8x16ShrS => self.vec_shift(I8X16, |cx, a, n| cx.bcx.ins().sshr(a, n)),
            O::I16x8ShrS => self.vec_shift(I16X8, |cx, a, n| cx.bcx.ins().sshr(a, n)),
            O::I32x4ShrS => self.vec_shift(I32X4, |cx, a, n| cx.bcx.ins().sshr(a, n)),
            O::I64x2ShrS => self.vec_shift(I64X2, |cx, a, n| cx.bcx.ins().sshr(a, n)),
            O::I8x16ShrU => self.vec_shift(I8X16, |cx, a, n| cx.bcx.ins().ushr(a, n)),
            O::I16x8ShrU => self.vec_shift(I16X8, |cx, a, n| cx.bcx.ins().ushr(a, n)),
            O::I32x4ShrU => self.vec_shift(I32X4, |cx, a, n| cx.bcx.ins().ushr(a, n)),
            O::I64x2ShrU => self.vec_shift(I64X2, |cx, a, n| cx.bcx.ins().ushr(a, n)),

            // Narrowing and widening.
            O::I8x16NarrowI16x8S => self.vec_binop(I16X8, |cx, a, b| cx.bcx.ins().snarrow(a, b)),
            O::I8x16NarrowI16x8U => self.vec_binop(I16X8, |cx, a, b| cx.bcx.ins().unarrow(a, b)),
            O::I16x8NarrowI32x4S => self.vec_binop(I32X4, |cx, a, b| cx.bcx.ins().snarrow(a, b)),
            O::I16x8NarrowI32x4U => self.vec_binop(I32X4, |cx, a, b| cx.bcx.ins().unarrow(a, b)),
            O::I16x8ExtendLowI8x16S => self.vec_unop(I8X16, |cx, a| cx.bcx.ins().swiden_low(a)),
            O::I16x8ExtendHighI8x16S => self.vec_unop(I8X16, |cx, a| cx.bcx.ins().swiden_high(a)),
            O::I16x8ExtendLowI8x16U => self.vec_unop(I8X16, |cx, a| cx.bcx.ins().uwiden_low(a)),
            O::I16x8ExtendHighI8x16U => self.vec_unop(I8X16, |cx, a| cx.bcx.ins().uwiden_high(a)),
            O::I32x4ExtendLowI16x8S => self.vec_unop(I16X8, |cx, a| cx.bcx.ins().swiden_low(a)),
            O::I32x4ExtendHighI16x8S => self.vec_unop(I16X8, |cx, a| cx.bcx.ins().swiden_high(a)),
            O::I32x4ExtendLowI16x8U => self.vec_unop(I16X8, |cx, a| cx.bcx.ins().uwiden_low(a)),
            O::I32x4ExtendHighI16x8U => self.vec_unop(I16X8, |cx, a| cx.bcx.ins().uwiden_high(a)),
            O::I64x2ExtendLowI32x4S => self.vec_unop(I32X4, |cx, a| cx.bcx.ins().swiden_low(a)),
            O::I64x2ExtendHighI32x4S => self.vec_unop(I32X4, |cx, a| cx.bcx.ins().swiden_high(a)),
            O::I64x2ExtendLowI32x4U => self.vec_unop(I32X4, |cx, a| cx.bcx.ins().uwiden_low(a)),
            O::I64x2ExtendHighI32x4U => self.vec_unop(I32X4, |cx, a| cx.bcx.ins().uwiden_high(a)),

            // Extended arithmetic.
            O::I16x8ExtAddPairwiseI8x16S => self.extadd_pairwise(I8X16, true),
            O::I16x8ExtAddPairwiseI8x16U => self.extadd_pairwise(I8X16, false),
            O::I32x4ExtAddPairwiseI16x8S => self.extadd_pairwise(I16X8, true),
            O::I32x4ExtAddPairwiseI16x8U => self.extadd_pairwise(I16X8, false),
            O::I16x8ExtMulLowI8x16S => self.extmul(I8X16, true, false),
            O::I16x8ExtMulHighI8x16S => self.extmul(I8X16, true, true),
            O::I16x8ExtMulLowI8x16U => self.extmul(I8X16, false, false),
            O::I16x8ExtMulHighI8x16U => self.extmul(I8X16, false, true),
            O::I32x4ExtMulLowI16x8S => self.extmul(I16X8, true, false),
            O::I32x4ExtMulHighI16x8S => self.extmul(I16X8, true, true),
            O::I32x4ExtMulLowI16x8U => self.extmul(I16X8, false, false),
            O::I32x4ExtMulHighI16x8U => self.extmul(I16X8, false, true),
            O::I64x2ExtMulLowI32x4S => self.extmul(I32X4, true, false),
            O::I64x2ExtMulHighI32x4S => self.extmul(I32X4, true, true),
            O::I64x2ExtMulLowI32x4U => self.extmul(I32X4, false, false),
            O::I64x2ExtMulHighI32x4U => self.extmul(I32X4, false, true),
            O::I32x4DotI16x8S => self.vec_binop(I16X8, |cx, a, b| {
                let (low, high) = cx.widening_products(a, b, true);
                cx.bcx.ins().iadd_pairwise(low, high)
            }),

            // Float arithmetic.
            O::F32x4Abs => self.vec_unop(F32X4, |cx, a| cx.bcx.ins().fabs(a)),
            O::F64x2Abs => self.vec_unop(F64X2, |cx, a| cx.bcx.ins().fabs(a)),
            O::F32x4Neg => self.vec_unop(F32X4, |cx, a| cx.bcx.ins().fneg(a)),
            O::F64x2Neg => self.vec_unop(F64X2, |cx, a| cx.bcx.ins().fneg(a)),
            O::F32x4Sqrt => self.vec_unop(F32X4, |cx, a| cx.bcx.ins().sqrt(a)),
            O::F64x2Sqrt => self.vec_unop(F64X2, |cx, a| cx.bcx.ins().sqrt(a)),
            O::F32x4Ceil => self.vec_unop(F32X4, |cx, a| cx.bcx.ins().ceil(a)),
            O::F64x2Ceil => self.vec_unop(F64X2, |cx, a| cx.bcx.ins().ceil(a)),
            O::F32x4Floor => self.vec_unop(F32X4, |cx, a| cx.bcx.ins().floor(a)),
            O::F64x2Floor => self.vec_unop(F64X2, |cx, a| cx.bcx.ins().floor(a)),
            O::F32x4Trunc => self.vec_unop(F32X4, |cx, a| cx.bcx.ins().trunc(a)),
            O::F64x2Trunc => self.vec_unop(F64X2, |cx, a| cx.bcx.ins().trunc(a)),
            O::F32x4Nearest => self.vec_unop(F32X4, |cx, a| cx.bcx.ins().nearest(a)),
            O::F64x2Nearest => self.vec_unop(F64X2, |cx, a| cx.bcx.ins().nearest(a)),
            O::F32x4Add => self.vec_binop(F32X4, |cx, a, b| cx.bcx.ins().fadd(a, b)),
            O::F64x2Add => self.vec_binop(F64X2, |cx, a, b| cx.bcx.ins().fadd(a, b)),
            O::F32x4Sub => self.vec_binop(F32X4, |cx, a, b| cx.bcx.ins().fsub(a, b)),
            O::F64x2Sub => self.vec_binop(F64X2, |cx, a, b| cx.bcx.ins().fsub(a, b)),
            O::F32x4Mul => self.vec_binop(F32X4, |cx, a, b| cx.bcx.ins().fmul(a, b)),
            O::F64x2Mul => self.vec_binop(F64X2, |cx, a, b| cx.bcx.ins().fmul(a, b)),
            O::F32x4Div => self.vec_binop(F32X4, |cx, a, b| cx.bcx.ins().fdiv(a, b)),
            O::F64x2Div => self.vec_binop(F64X2, |cx, a, b| cx.bcx.ins().fdiv(a, b)),
            O::F32x4Min => self.vec_binop(F32X4, |cx, a, b| cx.bcx.ins().fmin(a, b)),
            O::F64x2Min => self.vec_binop(F64X2, |cx, a, b| cx.bcx.ins().fmin(a, b)),
            O::F32x4Max => self.vec_binop(F32X4, |cx, a, b| cx.bcx.ins().fmax(a, b)),
            O::F64x2Max => self.vec_binop(F64X2, |cx, a, b| cx.bcx.ins().fmax(a, b)),
            O::F32x4PMin => self.pseudo_min_max(F32X4, false),
            O::F64x2PMin => self.pseudo_min_max(F64X2, false),
            O::F32x4PMax => self.pseudo_min_max(F32X4, true),
            O::F64x2PMax => self.pseudo_min_max(F64X2, true),

            // Conversions.
            O::I32x4TruncSatF32x4S => {
                self.vec_unop(F32X4, |cx, a| cx.bcx.ins().fcvt_to_sint_sat(I32X4, a))
            }
            O::I32x4TruncSatF32x4U | O::I32x4RelaxedTruncF32x4U => {
                self.vec_unop(F32X4, |cx, a| cx.bcx.ins().fcvt_to_uint_sat(I32X4, a))
            }
            O::I32x4TruncSatF64x2SZero => self.trunc_f64x2_zero(true, false),
            O::I32x4TruncSatF64x2UZero | O::I32x4RelaxedTruncF64x2UZero => {
                self.trunc_f64x2_zero(false, false)
            }
            O::F32x4ConvertI32x4S => {
                self.vec_unop(I32X4, |cx, a| cx.bcx.ins().fcvt_from_sint(F32X4, a))
            }
            O::F32x4ConvertI32x4U => {
                self.vec_unop(I32X4, |cx, a| cx.bcx.ins().fcvt_from_uint(F32X4, a))
            }
            O::F64x2ConvertLowI32x4S => self.vec_unop(I32X4, |cx, a| {
                let wide = cx.bcx.ins().swiden_low(a);
                cx.bcx.ins().fcvt_from_sint(F64X2, wide)
            }),
            O::F64x2ConvertLowI32x4U => self.vec_unop(I32X4, |cx, a| {
                let wide = cx.bcx.ins().uwiden_low(a);
                cx.bcx.ins().fcvt_from_uint(F64X2, wide)
            }),
            O::F32x4DemoteF64x2Zero => self.vec_unop(F64X2, |cx, a| cx.bcx.ins().fvdemote(a)),
            O::F64x2PromoteLowF32x4 => self.vec_unop(F32X4, |cx, a| cx.bcx.ins().fvpromote_low(a)),

            // Relaxed SIMD (see the module comment for the choices).
            O::I8x16RelaxedSwizzle => self.vec_binop(I8X16, |cx, a, b| cx.x86_pshufb(a, b)),
            O::I32x4RelaxedTruncF32x4S => self.vec_unop(F32X4, |cx, a| cx.x86_cvttps2dq(a)),
            O::I32x4RelaxedTruncF64x2SZero => self.trunc_f64x2_zero(true, true),
            O::F32x4RelaxedMadd => self.fused_madd(F32X4, false),
            O::F32x4RelaxedNmadd => self.fused_madd(F32X4, true),
            O::F64x2RelaxedMadd => self.fused_madd(F64X2, false),
            O::F64x2RelaxedNmadd => self.fused_madd(F64X2, true),
            O::I8x16RelaxedLaneselect
            | O::I16x8RelaxedLaneselect
            | O::I32x4RelaxedLaneselect
            | O::I64x2RelaxedLaneselect => {
                let ty = match *op {
                    O::I8x16RelaxedLaneselect => I8X16,
                    O::I16x8RelaxedLaneselect => I16X8,
                    O::I32x4RelaxedLaneselect => I32X4,
                    _ => I64X2,
                };
                let (a, b, mask) = self.pop3_vec(ty);
                // x86 has no 16-bit blend: a bit select (what a mask of whole lanes gives
                // either way), as wasmtime does.
                let v = if ty == I16X8 {
                    self.bcx.ins().bitselect(mask, a, b)
                } else {
                    self.x86_blendv(mask, a, b)
                };
                self.push_vec(v);
            }
            O::F32x4RelaxedMin => self.pseudo_min_max(F32X4, false),
            O::F64x2RelaxedMin => self.pseudo_min_max(F64X2, false),
            O::F32x4RelaxedMax => self.pseudo_min_max(F32X4, true),
            O::F64x2RelaxedMax => self.pseudo_min_max(F64X2, true),
            O::I16x8RelaxedQ15mulrS => self.vec_binop(I16X8, |cx, a, b| cx.x86_pmulhrsw(a, b)),
            O::I16x8RelaxedDotI8x16I7x16S => {
                self.vec_binop(I8X16, |cx, a, b| cx.x86_pmaddubsw(a, b))
            }
            O::I32x4RelaxedDotI8x16I7x16AddS => {
                let c = self.pop_vec(I32X4);
                let (a, b) = self.pop2_vec(I8X16);
                let dot = self.x86_pmaddubsw(a, b);
                let low = self.bcx.ins().swiden_low(dot);
                let high = self.bcx.ins().swiden_high(dot);
                let dot = self.bcx.ins().iadd_pairwise(low, high);
                let v = self.bcx.ins().iadd(dot, c);
                self.push_vec(v);
            }
            _ => return false,
        }
        true
    }
}

/// Bytes of one lane of `ty`: what a lane load or store accesses.
fn lane_bytes(ty: Type) -> u8 {
    u8::try_from(ty.lane_type().bytes()).expect("lanes are at most 8 bytes")
}
