//! First pass over the module: every section is validated with `wasmparser` and turned into
//! the runtime's [`ModuleInfo`]; function bodies are kept, with their validators, for the
//! translation pass.

use kiln_abi::info::{
    ConstExpr, ConstOp, ConstValue, DataSegment, ElemSegment, Export, ExportKind, FuncType,
    GlobalDef, GlobalType, HeapType, Import, ImportKind, Limits, MemoryType, ModuleInfo,
    SegmentMode, TableType, ValType,
};
use wasmparser::{
    BinaryReaderError, CompositeInnerType, DataKind, ElementItems, ElementKind, ExternalKind,
    FuncToValidate, FunctionBody, KnownCustom, Name, Operator, Parser, Payload, TableInit, TypeRef,
    Validator, ValidatorResources, WasmFeatures,
};

use crate::CompileError;

/// The features Kiln compiles: WebAssembly 2.0 (128-bit SIMD included) and WebAssembly
/// 3.0's relaxed SIMD, typed function references, extended constant expressions, tail
/// calls, exception handling (and the legacy exception instructions), multi-memory,
/// memory64 and the threads proposal's shared memories and atomic instructions.
pub(crate) fn features() -> WasmFeatures {
    WasmFeatures::WASM2
        | WasmFeatures::RELAXED_SIMD
        | WasmFeatures::FUNCTION_REFERENCES
        | WasmFeatures::EXTENDED_CONST
        | WasmFeatures::TAIL_CALL
        | WasmFeatures::EXCEPTIONS
        | WasmFeatures::LEGACY_EXCEPTIONS
        | WasmFeatures::MULTI_MEMORY
        | WasmFeatures::MEMORY64
        | WasmFeatures::THREADS
}

/// A function body waiting for translation.
pub(crate) struct FunctionInput<'a> {
    pub index: u32,
    pub body: FunctionBody<'a>,
    pub validator: FuncToValidate<ValidatorResources>,
}

/// Everything the translation pass needs to know about the module.
pub(crate) struct ModuleEnv<'a> {
    pub info: ModuleInfo,
    /// Bytes of every data segment, back to back.
    pub data: Vec<u8>,
    pub bodies: Vec<FunctionInput<'a>>,
    /// Byte offset of the first use of each import, for error messages.
    pub import_offsets: Vec<usize>,
}

/// A byte offset into the module (wasmparser reports them as `u64`) as an index into the
/// module's bytes, which are in memory, so it fits a `usize`.
pub(crate) fn to_usize(offset: u64) -> usize {
    usize::try_from(offset).expect("an offset into a module held in memory fits usize")
}

pub(crate) fn invalid(e: BinaryReaderError) -> CompileError {
    let message = e.message().to_string();
    let offset = to_usize(e.offset());
    // A feature wasmparser knows but Kiln does not enable: name it.
    if let Some(missing) = e.missing_wasm_feature() {
        let names: Vec<String> = missing
            .iter_names()
            .map(|(name, _)| name.to_lowercase().replace('_', "-"))
            .collect();
        return CompileError::Unsupported {
            feature: format!("the WebAssembly {} proposal ({message})", names.join(", ")),
            offset: Some(offset),
        };
    }
    CompileError::Invalid { offset, message }
}

/// A function name as a person reads it: Rust (legacy `_ZN...E` and v0 `_R...`) and C++
/// (Itanium `_Z...`) names demangled, anything else as it is. Done here, at compile time,
/// rather than in the runtime's trap report: a C++ demangler linked into every executable
/// costs about 500 KB of code, for a report that is printed at most once.
pub(crate) fn demangle(name: &str) -> String {
    if let Ok(d) = rustc_demangle::try_demangle(name) {
        // `{:#}` leaves out the hash suffix (`::h0123456789abcdef`), as wasmtime does.
        return format!("{d:#}");
    }
    if name.starts_with("_Z") {
        let options = cpp_demangle::DemangleOptions::new();
        if let Ok(d) = cpp_demangle::Symbol::new(name).and_then(|s| {
            s.demangle_with_options(&options)
                .map_err(|_| cpp_demangle::error::Error::Overflow)
        }) {
            return d;
        }
    }
    name.to_string()
}

/// Validates and reads `wasm` with `features` (a subset of [`features`]).
pub(crate) fn translate_module(
    wasm: &[u8],
    features: WasmFeatures,
) -> Result<ModuleEnv<'_>, CompileError> {
    // Every offset, length and source location below is then a u32.
    if u32::try_from(wasm.len()).is_err() {
        return Err(CompileError::Unsupported {
            feature: "modules of 4 GiB or more".into(),
            offset: None,
        });
    }
    let mut validator = Validator::new_with_features(features);
    let mut env = ModuleEnv {
        info: ModuleInfo::default(),
        data: Vec::new(),
        bodies: Vec::new(),
        import_offsets: Vec::new(),
    };
    let mut next_func = 0u32;
    let mut debug = crate::dwarf::DebugSections::default();
    let mut code_section = (0, 0);
    // The binary is decoded with the same features it is validated with: with all of them
    // (the parser's default), 3.0 encodings such as a memory index where 2.0 has a zero
    // byte would be accepted.
    let mut parser = Parser::new(0);
    parser.set_features(features);
    for payload in parser.parse_all(wasm) {
        let payload = payload.map_err(invalid)?;
        match &payload {
            Payload::CodeSectionStart {
                unchecked_range, ..
            } => {
                let r = unchecked_range;
                code_section = (to_usize(r.start), to_usize(r.end - r.start));
            }
            Payload::CustomSection(c) => debug.add(c.name(), c.data()),
            _ => {}
        }
        if let Payload::CodeSectionEntry(body) = &payload {
            let validator = validator.code_section_entry(body).map_err(invalid)?;
            let index = env.info.num_imported_funcs + next_func;
            next_func += 1;
            env.bodies.push(FunctionInput {
                index,
                body: body.clone(),
                validator,
            });
            continue;
        }
        validator.payload(&payload).map_err(invalid)?;
        section(&mut env, payload)?;
    }
    env.info.source_lines = crate::dwarf::source_lines(&debug, code_section.0, code_section.1);
    Ok(env)
}

fn section<'a>(env: &mut ModuleEnv<'a>, payload: Payload<'a>) -> Result<(), CompileError> {
    let info = &mut env.info;
    match payload {
        Payload::TypeSection(reader) => {
            for group in reader {
                for sub in group?.into_types() {
                    match &sub.composite_type.inner {
                        CompositeInnerType::Func(ft) => info.types.push(FuncType {
                            params: ft.params().iter().map(|t| val_type(*t)).collect(),
                            results: ft.results().iter().map(|t| val_type(*t)).collect(),
                        }),
                        // GC types are rejected by the validator's feature set.
                        _ => unreachable!("non-function type passed validation"),
                    }
                }
            }
        }
        Payload::ImportSection(reader) => {
            for import in reader.into_imports_with_offsets() {
                let (offset, import) = import?;
                let kind = match import.ty {
                    TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                        info.funcs.push(t);
                        info.num_imported_funcs += 1;
                        ImportKind::Func(t)
                    }
                    TypeRef::Table(t) => {
                        let ty = table_type(&t);
                        info.tables.push(ty);
                        info.num_imported_tables += 1;
                        ImportKind::Table(ty)
                    }
                    TypeRef::Memory(m) => {
                        let ty = memory_type(&m);
                        info.memories.push(ty);
                        info.num_imported_memories += 1;
                        ImportKind::Memory(ty)
                    }
                    TypeRef::Global(g) => {
                        let ty = GlobalType {
                            ty: val_type(g.content_type),
                            mutable: g.mutable,
                        };
                        info.globals.push(GlobalDef { ty, init: None });
                        info.num_imported_globals += 1;
                        ImportKind::Global(ty)
                    }
                    TypeRef::Tag(t) => {
                        info.tags.push(t.func_type_idx);
                        info.num_imported_tags += 1;
                        ImportKind::Tag(t.func_type_idx)
                    }
                };
                info.imports.push(Import {
                    module: import.module.to_string(),
                    name: import.name.to_string(),
                    kind,
                });
                env.import_offsets.push(to_usize(offset));
            }
        }
        Payload::FunctionSection(reader) => {
            for t in reader {
                info.funcs.push(t?);
            }
        }
        Payload::TableSection(reader) => {
            for table in reader {
                let table = table?;
                if let TableInit::Expr(e) = &table.init {
                    let index = u32::try_from(info.tables.len()).expect("wasmparser limits tables");
                    let init = const_expr(e, &info.globals)?;
                    info.table_inits.push((index, init));
                }
                info.tables.push(table_type(&table.ty));
            }
        }
        Payload::MemorySection(reader) => {
            for m in reader {
                info.memories.push(memory_type(&m?));
            }
        }
        Payload::GlobalSection(reader) => {
            for g in reader {
                let g = g?;
                info.globals.push(GlobalDef {
                    ty: GlobalType {
                        ty: val_type(g.ty.content_type),
                        mutable: g.ty.mutable,
                    },
                    init: Some(const_expr(&g.init_expr, &info.globals)?),
                });
            }
        }
        Payload::ExportSection(reader) => {
            for e in reader {
                let e = e?;
                let kind = match e.kind {
                    ExternalKind::Func | ExternalKind::FuncExact => ExportKind::Func,
                    ExternalKind::Table => ExportKind::Table,
                    ExternalKind::Memory => ExportKind::Memory,
                    ExternalKind::Global => ExportKind::Global,
                    ExternalKind::Tag => ExportKind::Tag,
                };
                info.exports.push(Export {
                    name: e.name.to_string(),
                    kind,
                    index: e.index,
                });
            }
        }
        Payload::TagSection(reader) => {
            for t in reader {
                info.tags.push(t?.func_type_idx);
            }
        }
        Payload::StartSection { func, .. } => info.start = Some(func),
        Payload::ElementSection(reader) => {
            for elem in reader {
                let elem = elem?;
                let mode = match elem.kind {
                    ElementKind::Passive => SegmentMode::Passive,
                    ElementKind::Declared => SegmentMode::Declared,
                    ElementKind::Active {
                        table_index,
                        offset_expr,
                    } => SegmentMode::Active {
                        index: table_index.unwrap_or(0),
                        offset: const_expr(&offset_expr, &info.globals)?,
                    },
                };
                let (elem_ty, items) = match elem.items {
                    ElementItems::Functions(r) => (
                        ValType::FuncRef,
                        r.into_iter()
                            .map(|f| f.map(ConstExpr::RefFunc))
                            .collect::<Result<Vec<_>, _>>()?,
                    ),
                    ElementItems::Expressions(rt, r) => (
                        ref_type(rt),
                        r.into_iter()
                            .map(|e| const_expr(&e?, &info.globals))
                            .collect::<Result<Vec<_>, _>>()?,
                    ),
                };
                info.elements.push(ElemSegment {
                    mode,
                    elem: elem_ty,
                    items,
                });
            }
        }
        Payload::DataSection(reader) => {
            for d in reader {
                let d = d?;
                let mode = match d.kind {
                    DataKind::Passive => SegmentMode::Passive,
                    DataKind::Active {
                        memory_index,
                        offset_expr,
                    } => SegmentMode::Active {
                        index: memory_index,
                        offset: const_expr(&offset_expr, &info.globals)?,
                    },
                };
                let start =
                    u32::try_from(env.data.len()).map_err(|_| CompileError::Unsupported {
                        feature: "data segments larger than 4 GiB in total".into(),
                        offset: Some(to_usize(d.range.start)),
                    })?;
                env.data.extend_from_slice(d.data);
                info.data.push(DataSegment {
                    mode,
                    start,
                    len: u32::try_from(d.data.len())
                        .expect("part of the module, under 4 GiB (checked on entry)"),
                });
            }
        }
        Payload::CustomSection(c) => {
            if let KnownCustom::Name(reader) = c.as_known() {
                // A malformed name section is not an error (the spec says custom sections
                // never affect validity); keep what could be read.
                for name in reader.into_iter().map_while(Result::ok) {
                    match name {
                        Name::Module { name, .. } => info.name = Some(name.to_string()),
                        Name::Function(map) => {
                            for naming in map.into_iter().map_while(Result::ok) {
                                info.func_names.push((naming.index, demangle(naming.name)));
                            }
                        }
                        _ => {}
                    }
                }
                info.func_names.sort_by_key(|(i, _)| *i);
                info.func_names.dedup_by_key(|(i, _)| *i);
            }
        }
        _ => {}
    }
    Ok(())
}

pub(crate) fn val_type(t: wasmparser::ValType) -> ValType {
    match t {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => ValType::V128,
        wasmparser::ValType::Ref(r) => ref_type(r),
    }
}

/// A reference type as the runtime holds it: nullable or not, abstract or typed, a function
/// reference is a `*const VmFuncRef`. (Without GC the only other heap types are
/// `extern`'s; GC's are refused by the validator.)
fn ref_type(r: wasmparser::RefType) -> ValType {
    use wasmparser::{HeapType as H, UnpackedIndex};
    if is_exn_heap_type(r.heap_type()) {
        return ValType::ExnRef;
    }
    let heap = match r.heap_type() {
        H::Concrete(UnpackedIndex::Module(i)) | H::Exact(UnpackedIndex::Module(i)) => {
            HeapType::Type(i)
        }
        h if is_func_heap_type(h) => HeapType::Func,
        _ => HeapType::Extern,
    };
    ValType::reference(r.is_nullable(), heap)
}

fn table_type(t: &wasmparser::TableType) -> TableType {
    TableType {
        elem: ref_type(t.element_type),
        limits: Limits {
            min: t.initial,
            max: t.maximum,
        },
        table64: t.table64,
    }
}

fn memory_type(m: &wasmparser::MemoryType) -> MemoryType {
    MemoryType {
        limits: Limits {
            min: m.initial,
            max: m.maximum,
        },
        memory64: m.memory64,
        shared: m.shared,
    }
}

/// Reads a constant expression (already validated). `globals` are the module's globals
/// so far (imports first): an extended expression over constants and defined globals with
/// constant initialisers is folded to its value here, so that, e.g., a data segment's
/// offset stays constant for the memory image; one that reads an imported global stays a
/// program, run at instantiation. (wasmparser accepts `global.get` of a defined global only
/// with GC on, which Kiln does not compile: today only imported globals are read.)
fn const_expr(
    expr: &wasmparser::ConstExpr<'_>,
    globals: &[GlobalDef],
) -> Result<ConstExpr, CompileError> {
    let mut reader = expr.get_operators_reader();
    let mut single = None;
    let mut ops = Vec::new();
    loop {
        let offset = reader.original_position();
        let op = reader.read().map_err(invalid)?;
        let simple = match op {
            Operator::End => break,
            Operator::I32Const { value } => ConstExpr::I32(value),
            Operator::I64Const { value } => ConstExpr::I64(value),
            Operator::F32Const { value } => ConstExpr::F32(value.bits()),
            Operator::F64Const { value } => ConstExpr::F64(value.bits()),
            Operator::V128Const { value } => ConstExpr::V128(u128::from_le_bytes(*value.bytes())),
            Operator::RefNull { hty } => ConstExpr::RefNull(if is_func_heap_type(hty) {
                ValType::FuncRef
            } else if is_exn_heap_type(hty) {
                ValType::ExnRef
            } else {
                ValType::ExternRef
            }),
            Operator::RefFunc { function_index } => ConstExpr::RefFunc(function_index),
            Operator::GlobalGet { global_index } => ConstExpr::GlobalGet(global_index),
            Operator::I32Add => ConstExpr::Extended(vec![ConstOp::I32Add]),
            Operator::I32Sub => ConstExpr::Extended(vec![ConstOp::I32Sub]),
            Operator::I32Mul => ConstExpr::Extended(vec![ConstOp::I32Mul]),
            Operator::I64Add => ConstExpr::Extended(vec![ConstOp::I64Add]),
            Operator::I64Sub => ConstExpr::Extended(vec![ConstOp::I64Sub]),
            Operator::I64Mul => ConstExpr::Extended(vec![ConstOp::I64Mul]),
            _ => {
                return Err(CompileError::Unsupported {
                    feature: format!("the constant expression operator {op:?}"),
                    offset: Some(to_usize(offset)),
                })
            }
        };
        let op = match &simple {
            ConstExpr::I32(v) => Some(ConstOp::I32(*v)),
            ConstExpr::I64(v) => Some(ConstOp::I64(*v)),
            ConstExpr::GlobalGet(g) => Some(ConstOp::GlobalGet(*g)),
            ConstExpr::Extended(e) => Some(e[0]),
            // Validation allows these only as the whole expression.
            _ => None,
        };
        ops.extend(op);
        single = Some(simple);
    }
    let single = single.expect("a validated constant expression has an operator");
    if ops.len() <= 1 && !matches!(single, ConstExpr::GlobalGet(_)) {
        return Ok(single);
    }
    // The value of a defined global whose initialiser is a constant integer.
    let known = |g: u32| match globals.get(g as usize).and_then(|d| d.init.as_ref()) {
        Some(ConstExpr::I32(v)) => Some(ConstValue::I32(*v)),
        Some(ConstExpr::I64(v)) => Some(ConstValue::I64(*v)),
        _ => None,
    };
    Ok(match ConstOp::eval(&ops, known) {
        Some(ConstValue::I32(v)) => ConstExpr::I32(v),
        Some(ConstValue::I64(v)) => ConstExpr::I64(v),
        None if ops.len() == 1 => single,
        None => ConstExpr::Extended(ops),
    })
}

/// Whether references to `hty` are function references: `func`, `nofunc` (its bottom)
/// or a concrete type index (without GC, every defined type is a function type).
pub(crate) fn is_func_heap_type(hty: wasmparser::HeapType) -> bool {
    use wasmparser::{AbstractHeapType as A, HeapType as H};
    matches!(
        hty,
        H::Abstract {
            ty: A::Func | A::NoFunc,
            ..
        } | H::Concrete(_)
            | H::Exact(_)
    )
}

pub(crate) fn is_exn_heap_type(hty: wasmparser::HeapType) -> bool {
    matches!(
        hty,
        wasmparser::HeapType::Abstract {
            ty: wasmparser::AbstractHeapType::Exn,
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use super::demangle;
    use kiln_abi::info::{ConstExpr, ConstOp, SegmentMode};

    /// Extended constant expressions fold to one value unless they read an import.
    #[test]
    fn constant_expressions_fold_what_they_can() {
        let wasm = wat::parse_str(
            r#"(module
                 (import "m" "g" (global $g i32))
                 (global i64 (i64.sub (i64.const 1) (i64.mul (i64.const 3) (i64.const 5))))
                 (global i32 (i32.add (global.get $g) (i32.const 16)))
                 (memory 1)
                 (data (i32.add (i32.const 1024) (i32.mul (i32.const 2) (i32.const 8))) "x")
                 (data (global.get $g) "y"))"#,
        )
        .unwrap();
        let env = super::translate_module(&wasm, super::features()).unwrap();
        let inits: Vec<_> = env.info.globals.iter().map(|g| g.init.clone()).collect();
        assert_eq!(inits[1], Some(ConstExpr::I64(-14)));
        assert_eq!(
            inits[2],
            Some(ConstExpr::Extended(vec![
                ConstOp::GlobalGet(0),
                ConstOp::I32(16),
                ConstOp::I32Add
            ]))
        );
        let offsets: Vec<_> = env
            .info
            .data
            .iter()
            .map(|d| match &d.mode {
                SegmentMode::Active { offset, .. } => offset.clone(),
                _ => unreachable!("active segments"),
            })
            .collect();
        assert_eq!(offsets, [ConstExpr::I32(1040), ConstExpr::GlobalGet(0)]);
    }

    #[test]
    fn demangles_rust_and_cpp() {
        assert_eq!(
            demangle("_ZN4core9panicking5panic17h0123456789abcdefE"),
            "core::panicking::panic"
        );
        assert_eq!(demangle("_RNvCs1234_7mycrate3foo"), "mycrate::foo");
        assert_eq!(
            demangle("_ZN9kiln_test6Parser5parseEi"),
            "kiln_test::Parser::parse(int)"
        );
        assert_eq!(demangle("__original_main"), "__original_main");
        assert_eq!(demangle("_Zfoo not mangled"), "_Zfoo not mangled");
        assert_eq!(demangle("main"), "main");
    }
}
