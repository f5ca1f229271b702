//! Converting script arguments to runtime values and matching results against
//! `assert_return` patterns.

use super::embed::Val;
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::{WastArg, WastRet};

/// `ref.extern N` is the runtime handle `N + 1`: handle 0 is `ref.null extern`.
pub(crate) fn extern_handle(n: u32) -> u64 {
    u64::from(n) + 1
}

pub(crate) fn arg(a: &WastArg<'_>) -> Result<Val, String> {
    let WastArg::Core(a) = a else {
        return Err("component-model argument".into());
    };
    Ok(match a {
        WastArgCore::I32(v) => Val::I32(*v),
        WastArgCore::I64(v) => Val::I64(*v),
        WastArgCore::F32(v) => Val::F32(v.bits),
        WastArgCore::F64(v) => Val::F64(v.bits),
        WastArgCore::V128(v) => Val::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(HeapType::Abstract {
            ty: AbstractHeapType::Func,
            ..
        }) => Val::FuncRef(std::ptr::null()),
        WastArgCore::RefNull(HeapType::Abstract {
            ty: AbstractHeapType::Extern,
            ..
        }) => Val::ExternRef(0),
        WastArgCore::RefNull(HeapType::Abstract {
            ty: AbstractHeapType::Exn | AbstractHeapType::NoExn,
            ..
        }) => Val::ExnRef(0),
        WastArgCore::RefExtern(n) => Val::ExternRef(extern_handle(*n)),
        other => return Err(format!("unsupported argument {other:?}")),
    })
}

pub(crate) fn show(v: &Val) -> String {
    match v {
        Val::I32(x) => format!("i32:{x}"),
        Val::I64(x) => format!("i64:{x}"),
        Val::F32(b) => format!("f32:{} ({b:#010x})", f32::from_bits(*b)),
        Val::F64(b) => format!("f64:{} ({b:#018x})", f64::from_bits(*b)),
        Val::V128(b) => format!("v128:{b:#034x}"),
        Val::FuncRef(p) if p.is_null() => "ref.null func".into(),
        Val::FuncRef(p) => format!("ref.func {p:?}"),
        Val::ExternRef(0) => "ref.null extern".into(),
        Val::ExternRef(h) => format!("ref.extern {}", h - 1),
        Val::ExnRef(0) => "ref.null exn".into(),
        Val::ExnRef(_) => "ref.exn".into(),
    }
}

fn f32_matches(p: &NanPattern<wast::token::F32>, bits: u32) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn f64_matches(p: &NanPattern<wast::token::F64>, bits: u64) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn v128_matches(p: &V128Pattern, v: u128) -> bool {
    let b = v.to_le_bytes();
    match p {
        V128Pattern::I8x16(l) => l.iter().enumerate().all(|(i, x)| b[i] as i8 == *x),
        V128Pattern::I16x8(l) => l
            .iter()
            .enumerate()
            .all(|(i, x)| i16::from_le_bytes([b[2 * i], b[2 * i + 1]]) == *x),
        V128Pattern::I32x4(l) => l
            .iter()
            .enumerate()
            .all(|(i, x)| i32::from_le_bytes(b[4 * i..4 * i + 4].try_into().unwrap()) == *x),
        V128Pattern::I64x2(l) => l
            .iter()
            .enumerate()
            .all(|(i, x)| i64::from_le_bytes(b[8 * i..8 * i + 8].try_into().unwrap()) == *x),
        V128Pattern::F32x4(l) => l.iter().enumerate().all(|(i, x)| {
            f32_matches(
                x,
                u32::from_le_bytes(b[4 * i..4 * i + 4].try_into().unwrap()),
            )
        }),
        V128Pattern::F64x2(l) => l.iter().enumerate().all(|(i, x)| {
            f64_matches(
                x,
                u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().unwrap()),
            )
        }),
    }
}

fn core_matches(p: &WastRetCore<'_>, v: &Val) -> bool {
    match (p, v) {
        (WastRetCore::I32(e), Val::I32(a)) => e == a,
        (WastRetCore::I64(e), Val::I64(a)) => e == a,
        (WastRetCore::F32(e), Val::F32(a)) => f32_matches(e, *a),
        (WastRetCore::F64(e), Val::F64(a)) => f64_matches(e, *a),
        (WastRetCore::V128(e), Val::V128(a)) => v128_matches(e, *a),
        (WastRetCore::RefNull(ty), Val::FuncRef(p)) => {
            p.is_null()
                && !matches!(
                    ty,
                    Some(HeapType::Abstract {
                        ty: AbstractHeapType::Extern,
                        ..
                    })
                )
        }
        (WastRetCore::RefNull(ty), Val::ExternRef(h)) => {
            *h == 0
                && !matches!(
                    ty,
                    Some(HeapType::Abstract {
                        ty: AbstractHeapType::Func,
                        ..
                    })
                )
        }
        (WastRetCore::RefNull(ty), Val::ExnRef(h)) => {
            *h == 0
                && matches!(
                    ty,
                    None | Some(HeapType::Abstract {
                        ty: AbstractHeapType::Exn | AbstractHeapType::NoExn,
                        ..
                    })
                )
        }
        (WastRetCore::RefExtern(Some(n)), Val::ExternRef(h)) => *h == extern_handle(*n),
        (WastRetCore::RefExtern(None), Val::ExternRef(h)) => *h != 0,
        (WastRetCore::RefFunc(_), Val::FuncRef(p)) => !p.is_null(),
        (WastRetCore::Either(alts), v) => alts.iter().any(|p| core_matches(p, v)),
        _ => false,
    }
}

/// Whether `v` matches `p`; `Err` for patterns the harness cannot check.
pub(crate) fn matches(p: &WastRet<'_>, v: &Val) -> Result<bool, String> {
    match p {
        WastRet::Core(p) => Ok(core_matches(p, v)),
        #[allow(
            unreachable_patterns,
            reason = "`WastRet` has variants beyond `Core` only with wast's component-model feature"
        )]
        _ => Err("component-model result".into()),
    }
}

pub(crate) fn show_pattern(p: &WastRet<'_>) -> String {
    let WastRet::Core(p) = p else {
        return "?".into();
    };
    fn nan<T: std::fmt::Debug>(p: &NanPattern<T>, show: impl Fn(&T) -> String) -> String {
        match p {
            NanPattern::CanonicalNan => "nan:canonical".into(),
            NanPattern::ArithmeticNan => "nan:arithmetic".into(),
            NanPattern::Value(v) => show(v),
        }
    }
    match p {
        WastRetCore::I32(x) => format!("i32:{x}"),
        WastRetCore::I64(x) => format!("i64:{x}"),
        WastRetCore::F32(x) => format!(
            "f32:{}",
            nan(x, |v| format!(
                "{} ({:#010x})",
                f32::from_bits(v.bits),
                v.bits
            ))
        ),
        WastRetCore::F64(x) => format!(
            "f64:{}",
            nan(x, |v| format!(
                "{} ({:#018x})",
                f64::from_bits(v.bits),
                v.bits
            ))
        ),
        WastRetCore::RefNull(_) => "ref.null".into(),
        WastRetCore::RefExtern(Some(n)) => format!("ref.extern {n}"),
        WastRetCore::RefExtern(None) => "ref.extern".into(),
        WastRetCore::RefFunc(_) => "ref.func".into(),
        other => format!("{other:?}"),
    }
}
