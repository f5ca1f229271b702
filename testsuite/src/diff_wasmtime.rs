//! A second opinion on a divergence of the differential fuzzer ([`crate::diff`]): wasmi,
//! the reference, is not always right (2.0.0 reports divisions by zero that do not happen
//! and computes some globals wrongly). When Kiln and wasmi disagree, the module and Kiln's
//! run up to the disagreement are written as a `.wast` script that asserts Kiln's outcomes
//! and exported globals, and `wasmtime wast` (the oracle `scripts/setup` installs) runs it.
//! Only a divergence wasmtime also rejects counts against Kiln.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

use crate::diff::{Outcome, Run, State, Value};
use kiln_abi::Trap;

/// The wasmtime CLI, if `scripts/setup` installed it.
fn wasmtime() -> Option<PathBuf> {
    let p = crate::programs::repo_root().join(".tools/wasmtime/wasmtime_cli/wasmtime");
    p.is_file().then_some(p)
}

/// What wasmtime said of Kiln's run.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// wasmtime agrees with every assertion: wasmi was wrong.
    KilnRight,
    /// wasmtime rejects Kiln's run (its message).
    KilnWrong(String),
    /// No wasmtime, or a divergence in memories or tables, which a script cannot assert.
    Unknown(String),
}

fn f32_lit(bits: u32) -> String {
    let f = f32::from_bits(bits);
    let sign = if bits >> 31 == 1 { "-" } else { "" };
    if f.is_nan() {
        format!("{sign}nan:{:#x}", bits & 0x7f_ffff)
    } else if f.is_infinite() {
        format!("{sign}inf")
    } else {
        // Rust prints the shortest decimal that reads back as the same bits.
        format!("{f:e}")
    }
}

fn f64_lit(bits: u64) -> String {
    let f = f64::from_bits(bits);
    let sign = if bits >> 63 == 1 { "-" } else { "" };
    if f.is_nan() {
        format!("{sign}nan:{:#x}", bits & 0xf_ffff_ffff_ffff)
    } else if f.is_infinite() {
        format!("{sign}inf")
    } else {
        format!("{f:e}")
    }
}

/// `v` as a wast constant of type `t` (references: null or, for a result, any non-null).
fn lit(v: Value, t: &wasmi::ValType) -> String {
    let heap = if matches!(t, wasmi::ValType::FuncRef) {
        "func"
    } else {
        "extern"
    };
    match v {
        Value::I32(x) => format!("(i32.const {x})"),
        Value::I64(x) => format!("(i64.const {x})"),
        Value::F32(b) => format!("(f32.const {})", f32_lit(b)),
        Value::F64(b) => format!("(f64.const {})", f64_lit(b)),
        // As four i32 lanes, which asserts all 128 bits exactly (the diff compares v128
        // bit for bit, NaN lanes included).
        Value::V128(x) => {
            let lanes: Vec<String> = (0..4)
                .map(|i| format!("{:#010x}", (x >> (32 * i)) as u32))
                .collect();
            format!("(v128.const i32x4 {})", lanes.join(" "))
        }
        Value::NullRef => format!("(ref.null {heap})"),
        Value::NonNullRef => format!("(ref.{heap})"),
    }
}

/// A wast string literal of `s`, every byte escaped.
fn name(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        let _ = write!(out, "\\{b:02x}");
    }
    out.push('"');
    out
}

fn phrase(t: Trap) -> &'static str {
    match t {
        Trap::Unreachable => "unreachable",
        Trap::MemoryOutOfBounds => "out of bounds memory access",
        // wasmtime words both table-bounds traps `undefined element: out of bounds table
        // access`; the fuzzer compares them as one.
        Trap::TableOutOfBounds | Trap::UndefinedElement => "out of bounds table access",
        Trap::UninitializedElement => "uninitialized element",
        Trap::BadSignature => "indirect call type mismatch",
        Trap::IntegerOverflow => "integer overflow",
        Trap::IntegerDivisionByZero => "integer divide by zero",
        Trap::BadConversionToInteger => "invalid conversion to integer",
        Trap::StackOverflow => "call stack exhausted",
        Trap::UnknownImport => "unknown import",
        Trap::NullReference => "null reference",
        Trap::HeapMisaligned => "unaligned atomic",
        Trap::AtomicWaitNonSharedMemory => "atomic wait on non-shared memory",
        // Never raised: the fuzzer compiles without --timeout or --fuel.
        Trap::Interrupt => "interrupt",
        Trap::OutOfFuel => "all fuel consumed",
    }
}

fn globals(out: &mut String, s: &State, module: &wasmi::Module) {
    for (g, v) in &s.globals {
        let Some(wasmi::ExternType::Global(ty)) = module.get_export(g) else {
            continue;
        };
        let _ = writeln!(
            out,
            "(assert_return (get {}) {})",
            name(g),
            lit(*v, &ty.content())
        );
    }
}

/// Asks wasmtime about Kiln's run of `wasm`, through its call `upto` (or instantiation,
/// `None`), given that it diverged from wasmi's `reference` there.
pub fn second_opinion(
    wasm: &[u8],
    module: &wasmi::Module,
    kiln: &Run,
    reference: &Run,
    upto: Option<usize>,
) -> Verdict {
    let Some(wasmtime) = wasmtime() else {
        return Verdict::Unknown("no wasmtime (scripts/setup installs it)".into());
    };
    let unassertable = |k: &State, w: &State| k.memories != w.memories || k.tables != w.tables;
    let mut script = String::new();
    let bytes: String = wasm.iter().map(|b| format!("\\{b:02x}")).collect();
    match (&kiln.instantiation, &reference.instantiation) {
        (Err(Outcome::Trap(t)), _) => {
            let _ = writeln!(
                script,
                "(assert_trap (module binary \"{bytes}\") \"{}\")",
                phrase(*t)
            );
        }
        (Err(o), _) => return Verdict::Unknown(format!("instantiation {o:?}")),
        (Ok(k), w) => {
            if let (None, Ok(w)) = (upto, w) {
                if unassertable(k, w) {
                    return Verdict::Unknown("memories or tables differ".into());
                }
            }
            let _ = writeln!(script, "(module binary \"{bytes}\")");
            globals(&mut script, k, module);
        }
    }
    if let Some(upto) = upto {
        for (i, call) in kiln.calls.iter().enumerate().take(upto + 1) {
            let Some(wasmi::ExternType::Func(fty)) = module.get_export(&call.export) else {
                return Verdict::Unknown(format!("no function {}", call.export));
            };
            let args: Vec<String> = call
                .args
                .iter()
                .zip(fty.params())
                .map(|(v, t)| lit(*v, t))
                .collect();
            let invoke = format!("(invoke {} {})", name(&call.export), args.join(" "));
            let _ = match &call.outcome {
                Outcome::Values(vals) => {
                    let r: Vec<String> = vals
                        .iter()
                        .zip(fty.results())
                        .map(|(v, t)| lit(*v, t))
                        .collect();
                    writeln!(script, "(assert_return {invoke} {})", r.join(" "))
                }
                Outcome::Trap(t) => writeln!(script, "(assert_trap {invoke} \"{}\")", phrase(*t)),
                Outcome::Exhausted => {
                    writeln!(
                        script,
                        "(assert_exhaustion {invoke} \"call stack exhausted\")"
                    )
                }
            };
            if i == upto {
                // Where the outcomes differ, the states after differ as a consequence and
                // wasmtime's word on the outcome (and globals) decides; where only the
                // states differ, they must be states a script can assert.
                if let Some(w) = reference.calls.get(i) {
                    if w.outcome == call.outcome && unassertable(&call.after, &w.after) {
                        return Verdict::Unknown("memories or tables differ".into());
                    }
                }
                globals(&mut script, &call.after, module);
            }
        }
    }
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => return Verdict::Unknown(format!("tempdir: {e}")),
    };
    let path = dir.path().join("divergence.wast");
    if let Err(e) = std::fs::write(&path, &script) {
        return Verdict::Unknown(format!("{}: {e}", path.display()));
    }
    // WebAssembly 2.0 with SIMD, tail calls, multi-memory and memory64 but not relaxed
    // SIMD, as the generated modules.
    let out = Command::new(wasmtime)
        .args([
            "wast",
            "-W",
            "bulk-memory=y,reference-types=y,multi-value=y,simd=y,relaxed-simd=n,tail-call=y,\
             multi-memory=y,memory64=y,extended-const=n,exceptions=n,gc=n,\
             function-references=n,threads=n",
        ])
        .arg(&path)
        .output();
    match out {
        Ok(o) if o.status.success() => Verdict::KilnRight,
        Ok(o) => Verdict::KilnWrong(
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .take(6)
                .collect::<Vec<_>>()
                .join(" | "),
        ),
        Err(e) => Verdict::Unknown(format!("cannot run wasmtime: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v128_literal_puts_lane_0_in_the_low_bits() {
        // wasm's v128 is little-endian: i32x4 lane 0 is bits 0..32.
        let v = Value::V128(0xffff_ffff_8000_0000_0000_0001_0123_4567);
        assert_eq!(
            lit(v, &wasmi::ValType::V128),
            "(v128.const i32x4 0x01234567 0x00000001 0x80000000 0xffffffff)"
        );
    }
}
