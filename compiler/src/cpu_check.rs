//! Refuses a module whose code needs CPU features the target lacks, before any code is
//! generated. On x86-64, Cranelift lowers some wasm operators correctly only with SSSE3 and
//! SSE4.1. Measured by running the spec tiers with no CPU feature enabled: swizzles and
//! shuffles become calls to a helper (`__cranelift_x86_pshufb`) that no executable links;
//! scalar and vector `ceil`/`floor`/`trunc`/`nearest` return a signalling NaN unquieted,
//! against wasm's NaN rules; Kiln's relaxed-SIMD choices (`pshufb`, `pmulhrsw`,
//! `pmaddubsw`, `blendv`, see `translate/simd.rs`) cannot be lowered at all. Everything
//! else passes with SSE2 alone. Every named `--target-cpu` level has both features, so only
//! `native` on an older machine gets here, and the bodies are scanned only then.

use kiln_abi::target::Arch;
use wasmparser::Operator;

use crate::environ::{invalid, ModuleEnv};
use crate::{CompileError, Target, TargetCpu};

/// The CPU features (names of [`Arch::cpu_features`]) Kiln needs to compile `op` for
/// `arch`, which starts at `bytes[0]` of the code.
fn needs(arch: Arch, op: &Operator<'_>, bytes: &[u8]) -> &'static [&'static str] {
    const SIMD_PREFIX: u8 = 0xfd;
    match arch {
        Arch::X86_64 if bytes.first() == Some(&SIMD_PREFIX) => X86_64_SIMD,
        Arch::X86_64 => match op {
            Operator::F32Ceil
            | Operator::F32Floor
            | Operator::F32Trunc
            | Operator::F32Nearest
            | Operator::F64Ceil
            | Operator::F64Floor
            | Operator::F64Trunc
            | Operator::F64Nearest => &["sse4.1"],
            _ => &[],
        },
        // NEON and FP are part of ARMv8.0: Cranelift lowers every operator on the baseline.
        Arch::Aarch64 => &[],
    }
}

/// What every SIMD and relaxed-SIMD operator needs on x86-64.
const X86_64_SIMD: &[&str] = &["ssse3", "sse4.1"];

/// Every feature some operator [`needs`] on `arch`.
pub(crate) fn all_needs(arch: Arch) -> &'static [&'static str] {
    match arch {
        Arch::X86_64 => X86_64_SIMD,
        Arch::Aarch64 => &[],
    }
}

/// Fails when the module uses an operator whose [`needs`] `features` (what the target's code
/// may use) lack; the error names the first one, its function and what is missing.
pub(crate) fn check(
    env: &ModuleEnv<'_>,
    target: &Target,
    features: &[&str],
) -> Result<(), CompileError> {
    let arch = target.arch();
    if all_needs(arch).iter().all(|f| features.contains(f)) {
        return Ok(());
    }
    for input in &env.bodies {
        let body = &input.body;
        let bytes = body.as_bytes();
        let start = body.range().start;
        let mut ops = body.get_operators_reader().map_err(invalid)?;
        while !ops.eof() {
            let (op, offset) = ops.read_with_offset().map_err(invalid)?;
            let at = usize::try_from(offset - start).expect("an offset inside the body");
            let needed = needs(arch, &op, &bytes[at..]);
            let missing: Vec<&str> = needed
                .iter()
                .copied()
                .filter(|f| !features.contains(f))
                .collect();
            if missing.is_empty() {
                continue;
            }
            let function = match env.info.func_name(input.index) {
                Some(name) => format!("wasm function {} `{name}`", input.index),
                None => format!("wasm function {}", input.index),
            };
            let cpu = match target.cpu() {
                TargetCpu::Native => "`native` (this machine's CPU)".to_string(),
                TargetCpu::Level(name) => format!("`{name}`"),
            };
            let baseline = arch.baseline_cpu();
            return Err(CompileError::Target(format!(
                "{function} uses `{op:?}` (at byte offset {offset:#x}), which Kiln compiles \
                 for {} CPUs with {}; the target CPU {cpu} lacks {}. Compile with \
                 `--target-cpu {}` for {} (the executable will not start on a CPU without \
                 them)",
                arch.name(),
                needed.join(" and "),
                missing.join(" and "),
                baseline.name,
                baseline.about,
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environ::translate_module;

    /// What a CPU of each generation offers, as a fake host for `--target-cpu native`.
    const PENTIUM_4: &[&str] = &["sse3"];
    const CORE_2: &[&str] = &["sse3", "ssse3"];
    const NEHALEM: &[&str] = &["sse3", "ssse3", "sse4.1", "sse4.2", "popcnt"];

    fn native_on(host: &'static [&'static str]) -> (Target, Vec<&'static str>) {
        let target = Target::new(crate::SUPPORTED_TRIPLES[0], TargetCpu::Native).unwrap();
        let features = target.cpu_features_on(|f| host.contains(&f));
        (target, features)
    }

    fn check_wat(wat: &str, host: &'static [&'static str]) -> Result<(), CompileError> {
        let wasm = wat::parse_str(wat).unwrap();
        let env = translate_module(&wasm, crate::supported_features()).unwrap();
        let (target, features) = native_on(host);
        check(&env, &target, &features)
    }

    const SCALAR: &str = r#"(module (func $f (param f32 i32) (result f32)
        (f32.add (local.get 0) (f32.convert_i32_s (i32.popcnt (local.get 1))))))"#;
    const ROUNDING: &str = r#"(module (func $f (param f64) (result f64)
        (f64.floor (local.get 0))))"#;
    const SWIZZLE: &str = r#"(module (memory 1)
        (func $scalar (result i32) (i32.const 1))
        (func $shuffle (param i32) (result i32)
          (i32x4.extract_lane 0 (i8x16.swizzle (v128.load (local.get 0))
                                               (v128.load offset=16 (local.get 0))))))"#;
    const LANESELECT: &str = r#"(module (func (param v128 v128 v128) (result v128)
        (i32x4.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2))))"#;

    #[test]
    fn native_features_come_from_the_host() {
        assert_eq!(native_on(CORE_2).1, ["sse3", "ssse3"]);
        assert!(native_on(NEHALEM).1.contains(&"sse4.1"));
    }

    #[test]
    fn simd_without_sse41_is_refused_naming_the_instruction() {
        let e = check_wat(SWIZZLE, CORE_2).unwrap_err().to_string();
        assert!(
            e.starts_with("wasm function 1 `shuffle` uses `V128Load"),
            "{e}"
        );
        assert!(e.contains("x86_64 CPUs with ssse3 and sse4.1;"), "{e}");
        assert!(
            e.contains("the target CPU `native` (this machine's CPU) lacks sse4.1."),
            "{e}"
        );
        assert!(e.contains("`--target-cpu x86-64-v2`"), "{e}");
        let e = check_wat(LANESELECT, PENTIUM_4).unwrap_err().to_string();
        assert!(e.contains("`I32x4RelaxedLaneselect`"), "{e}");
        assert!(e.contains("lacks ssse3 and sse4.1."), "{e}");
    }

    #[test]
    fn scalar_rounding_needs_sse41() {
        let e = check_wat(ROUNDING, CORE_2).unwrap_err().to_string();
        assert!(
            e.starts_with("wasm function 0 `f` uses `F64Floor` (at byte offset"),
            "{e}"
        );
        assert!(e.contains("CPUs with sse4.1; the target CPU"), "{e}");
        check_wat(ROUNDING, NEHALEM).unwrap();
    }

    #[test]
    fn other_code_needs_no_feature() {
        check_wat(SCALAR, PENTIUM_4).unwrap();
    }

    #[test]
    fn simd_compiles_where_the_features_are() {
        check_wat(SWIZZLE, NEHALEM).unwrap();
        check_wat(LANESELECT, NEHALEM).unwrap();
        for level in Arch::X86_64.cpu_levels() {
            for f in all_needs(Arch::X86_64) {
                assert!(level.features.contains(f), "{} lacks {f}", level.name);
            }
        }
    }
}
