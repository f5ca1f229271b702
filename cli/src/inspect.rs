//! `kiln inspect FILE`: what a WebAssembly module or a Kiln executable contains.
//!
//! A module is read with wasmparser on its own (it need not be a command Kiln compiles);
//! the proposals it uses are found by validating it once with every feature and then
//! once without each feature in turn: a feature whose removal makes it invalid is used.
//! An executable is read through its ELF symbol table: `kiln_module` is the descriptor
//! ([`kiln_abi::descriptor::ModuleDescriptor`], each field at its `offset_of!`), whose
//! pointers (absolute in a static executable) lead to the encoded `ModuleInfo` and
//! `RunConfig`; the `.comment` line the compiler adds ([`kiln_compiler::producer_comment`])
//! names the Kiln version and target. The `RunConfig` (grants, limits, CPU features) is
//! printed field by field through serde, so a field added to it shows up here unchanged.
//!
//! The report is built as one JSON value; `--json` prints it, the text form is rendered
//! from it.

use std::fmt::Write as _;
use std::mem::{offset_of, size_of};
use std::path::Path;

use kiln_abi::descriptor::{ModuleDescriptor, MAGIC};
use kiln_abi::info::{ExportKind, ImportKind, ModuleInfo, RunConfig};
use serde_json::{json, Map, Value};
use wasmparser::{ExternalKind, KnownCustom, Parser, Payload, TypeRef, Validator, WasmFeatures};

/// The report on `path`: a module's or an executable's, as JSON.
pub fn inspect(path: &Path) -> Result<Value, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    if bytes.starts_with(b"\x7fELF") {
        return inspect_executable(&bytes);
    }
    let wasm = if bytes.starts_with(b"\0asm") {
        bytes
    } else {
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            "neither a WebAssembly module (binary or text) nor an ELF executable".to_string()
        })?;
        wat::parse_str(text).map_err(|e| format!("invalid WebAssembly text: {e}"))?
    };
    inspect_module(&wasm)
}

/// The WebAssembly proposals `kiln inspect` looks for, with their names.
const PROPOSALS: &[(WasmFeatures, &str)] = &[
    (WasmFeatures::MUTABLE_GLOBAL, "mutable-global"),
    (
        WasmFeatures::SATURATING_FLOAT_TO_INT,
        "nontrapping-float-to-int",
    ),
    (WasmFeatures::SIGN_EXTENSION, "sign-extension"),
    (WasmFeatures::MULTI_VALUE, "multi-value"),
    (WasmFeatures::BULK_MEMORY, "bulk-memory"),
    (WasmFeatures::REFERENCE_TYPES, "reference-types"),
    (WasmFeatures::SIMD, "simd"),
    (WasmFeatures::RELAXED_SIMD, "relaxed-simd"),
    (WasmFeatures::TAIL_CALL, "tail-call"),
    (WasmFeatures::EXCEPTIONS, "exceptions"),
    (WasmFeatures::LEGACY_EXCEPTIONS, "legacy-exceptions"),
    (WasmFeatures::FUNCTION_REFERENCES, "function-references"),
    (WasmFeatures::EXTENDED_CONST, "extended-const"),
    (WasmFeatures::MULTI_MEMORY, "multi-memory"),
    (WasmFeatures::MEMORY64, "memory64"),
    (WasmFeatures::THREADS, "threads"),
    (WasmFeatures::GC, "gc"),
];

fn valid_with(wasm: &[u8], features: WasmFeatures) -> Result<(), String> {
    Validator::new_with_features(features)
        .validate_all(wasm)
        .map(drop)
        .map_err(|e| {
            format!(
                "invalid module at byte offset {:#x}: {}",
                e.offset(),
                e.message()
            )
        })
}

fn inspect_module(wasm: &[u8]) -> Result<Value, String> {
    let all = WasmFeatures::all();
    let validity = valid_with(wasm, all);
    let kiln_compiles = kiln_compiler::supported_features();
    let proposals: Vec<Value> = match validity {
        Ok(()) => PROPOSALS
            .iter()
            .filter(|(f, _)| valid_with(wasm, all - *f).is_err())
            .map(|(f, name)| json!({"name": name, "kiln_compiles": kiln_compiles.contains(*f)}))
            .collect(),
        Err(_) => Vec::new(),
    };

    let mut types: Vec<Option<wasmparser::FuncType>> = Vec::new();
    let mut func_types: Vec<u32> = Vec::new();
    let mut imports = Vec::new();
    let mut exports = Vec::new();
    let mut memories = Vec::new();
    let mut tables = Vec::new();
    let mut globals = Vec::new();
    let mut imported_funcs = 0u32;
    let mut defined_funcs = 0u32;
    let mut code_size = 0usize;
    let mut producers = Map::new();
    let mut module_name = None;
    let mut custom_sections = Vec::new();
    let sig = |types: &[Option<wasmparser::FuncType>], index: u32| match types
        .get(index as usize)
        .and_then(Option::as_ref)
    {
        Some(ty) => signature(ty.params(), ty.results()),
        None => format!("type {index}"),
    };
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| format!("malformed module: {e}"))?;
        match payload {
            Payload::TypeSection(r) => {
                // A GC type (a struct or an array) is not a function type: `None`.
                types.extend(r.into_iter_err_on_gc_types().map(Result::ok));
            }
            Payload::ImportSection(r) => {
                for import in r.into_imports() {
                    let import = import.map_err(|e| format!("malformed import: {e}"))?;
                    let (kind, ty, provided) = match import.ty {
                        TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                            imported_funcs += 1;
                            func_types.push(t);
                            let ty = sig(&types, t);
                            let provided = kiln_provides(import.module, import.name, &types, t);
                            ("func", ty, provided)
                        }
                        TypeRef::Memory(m) => ("memory", memory_type(&m), false),
                        TypeRef::Table(t) => ("table", table_type(&t), false),
                        TypeRef::Global(g) => ("global", global_type(&g), false),
                        TypeRef::Tag(t) => ("tag", sig(&types, t.func_type_idx), false),
                    };
                    imports.push(json!({
                        "module": import.module, "name": import.name, "kind": kind,
                        "type": ty, "kiln_provides": provided,
                    }));
                }
            }
            Payload::FunctionSection(r) => {
                for t in r {
                    func_types.push(t.map_err(|e| format!("malformed function: {e}"))?);
                    defined_funcs += 1;
                }
            }
            Payload::MemorySection(r) => {
                for m in r.into_iter().flatten() {
                    memories.push(json!(memory_type(&m)));
                }
            }
            Payload::TableSection(r) => {
                for t in r.into_iter().flatten() {
                    tables.push(json!(table_type(&t.ty)));
                }
            }
            Payload::GlobalSection(r) => {
                for g in r.into_iter().flatten() {
                    globals.push(json!(global_type(&g.ty)));
                }
            }
            Payload::ExportSection(r) => {
                for e in r.into_iter().flatten() {
                    let kind = match e.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => "func",
                        ExternalKind::Table => "table",
                        ExternalKind::Memory => "memory",
                        ExternalKind::Global => "global",
                        ExternalKind::Tag => "tag",
                    };
                    let ty = match e.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => func_types
                            .get(e.index as usize)
                            .map(|&t| sig(&types, t))
                            .unwrap_or_default(),
                        _ => String::new(),
                    };
                    exports
                        .push(json!({"name": e.name, "kind": kind, "index": e.index, "type": ty}));
                }
            }
            Payload::CodeSectionEntry(body) => code_size += body.as_bytes().len(),
            Payload::CustomSection(c) => {
                custom_sections.push(json!({"name": c.name(), "size": c.data().len()}));
                match c.as_known() {
                    KnownCustom::Producers(r) => {
                        for field in r.into_iter().flatten() {
                            let values: Vec<Value> = field
                                .values
                                .into_iter()
                                .flatten()
                                .map(|v| {
                                    Value::String(if v.version.is_empty() {
                                        v.name.to_string()
                                    } else {
                                        format!("{} {}", v.name, v.version)
                                    })
                                })
                                .collect();
                            producers.insert(field.name.to_string(), Value::Array(values));
                        }
                    }
                    KnownCustom::Name(r) => {
                        for n in r.into_iter().flatten() {
                            if let wasmparser::Name::Module { name, .. } = n {
                                module_name = Some(name.to_string());
                            }
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let exports_start = exports.iter().any(|e| e["name"] == "_start");
    let exports_memory = exports
        .iter()
        .any(|e| e["name"] == "memory" && e["kind"] == "memory");
    Ok(json!({
        "kind": "module",
        "name": module_name,
        "size": wasm.len(),
        "valid": validity.as_ref().map(|()| Value::Bool(true)).unwrap_or_else(|e| Value::String(e.clone())),
        "wasi_command": exports_start && exports_memory,
        "functions": {"imported": imported_funcs, "defined": defined_funcs, "code_bytes": code_size},
        "imports": imports,
        "exports": exports,
        "memories": memories,
        "tables": tables,
        "globals": globals,
        "proposals": proposals,
        "producers": producers,
        "custom_sections": custom_sections,
    }))
}

/// Whether the runtime binds this import: a WASI preview1 function of the right type.
fn kiln_provides(
    module: &str,
    name: &str,
    types: &[Option<wasmparser::FuncType>],
    ty: u32,
) -> bool {
    use kiln_abi::info::ValType as K;
    let Some(Some(ty)) = types.get(ty as usize) else {
        return false;
    };
    let Some((_, params, results)) = (module == kiln_abi::wasi::MODULE)
        .then(|| kiln_abi::wasi::lookup(name))
        .flatten()
    else {
        return false;
    };
    let same = |ours: &[K], theirs: &[wasmparser::ValType]| {
        ours.len() == theirs.len()
            && ours.iter().zip(theirs).all(|(a, b)| {
                matches!(
                    (a, b),
                    (K::I32, wasmparser::ValType::I32) | (K::I64, wasmparser::ValType::I64)
                )
            })
    };
    same(params, ty.params()) && same(results, ty.results())
}

fn signature(params: &[wasmparser::ValType], results: &[wasmparser::ValType]) -> String {
    let list = |v: &[wasmparser::ValType]| {
        v.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("({}) -> ({})", list(params), list(results))
}

fn limits(min: u64, max: Option<u64>) -> String {
    match max {
        Some(max) => format!("{min}..{max}"),
        None => format!("{min}.."),
    }
}

fn memory_type(m: &wasmparser::MemoryType) -> String {
    let mut s = format!("{} pages", limits(m.initial, m.maximum));
    if m.memory64 {
        s.push_str(", 64-bit");
    }
    if m.shared {
        s.push_str(", shared");
    }
    if let Some(log2) = m.page_size_log2 {
        let _ = write!(s, ", page size {}", 1u64 << log2);
    }
    s
}

fn table_type(t: &wasmparser::TableType) -> String {
    let mut s = format!("{} {}", limits(t.initial, t.maximum), t.element_type);
    if t.table64 {
        s.push_str(", 64-bit");
    }
    s
}

fn global_type(g: &wasmparser::GlobalType) -> String {
    if g.mutable {
        format!("mut {}", g.content_type)
    } else {
        g.content_type.to_string()
    }
}

// ---- executables ----

fn inspect_executable(bytes: &[u8]) -> Result<Value, String> {
    use object::{Object, ObjectSection, ObjectSegment, ObjectSymbol};
    let file = object::File::parse(bytes).map_err(|e| format!("not a readable ELF file: {e}"))?;
    let producer = file
        .section_by_name(".comment")
        .and_then(|s| s.data().ok())
        .and_then(|data| {
            data.split(|&b| b == 0)
                .filter_map(|line| std::str::from_utf8(line).ok())
                .find(|line| line.starts_with(kiln_compiler::PRODUCER_PREFIX))
                .map(str::to_string)
        });
    // A virtual address's bytes, through the loadable segments.
    let at = |address: u64, len: u64| -> Result<&[u8], String> {
        for seg in file.segments() {
            let (offset, file_size) = seg.file_range();
            if address >= seg.address() && address + len <= seg.address() + file_size {
                let start = usize::try_from(offset + (address - seg.address()))
                    .map_err(|e| e.to_string())?;
                let len = usize::try_from(len).map_err(|e| e.to_string())?;
                return bytes
                    .get(start..start + len)
                    .ok_or_else(|| "the descriptor points past the end of the file".into());
            }
        }
        Err(format!(
            "address {address:#x} is in no loaded segment of the file (a position-independent \
             executable, relocated only when it starts?)"
        ))
    };
    let word = |record: &[u8], offset: usize| {
        u64::from_le_bytes(record[offset..offset + 8].try_into().expect("8 bytes"))
    };
    let decode = |record: &[u8]| -> Result<(ModuleInfo, RunConfig), String> {
        let section = |ptr: usize, len: usize| at(word(record, ptr), word(record, len));
        let info = ModuleInfo::decode(section(
            offset_of!(ModuleDescriptor, info),
            offset_of!(ModuleDescriptor, info_len),
        )?)
        .map_err(|e| format!("its module description does not decode: {e}"))?;
        let config = RunConfig::decode(section(
            offset_of!(ModuleDescriptor, config),
            offset_of!(ModuleDescriptor, config_len),
        )?)
        .map_err(|e| format!("its run configuration does not decode: {e}"))?;
        Ok((info, config))
    };
    let record_len = size_of::<ModuleDescriptor>();
    let symbol = file
        .symbols()
        .find(|s| s.name() == Ok(kiln_abi::symbols::MODULE_DESCRIPTOR))
        .map(|s| s.address());
    let (info, config) = match symbol {
        Some(address) => {
            let record = at(address, record_len as u64)?;
            check_magic(word(record, offset_of!(ModuleDescriptor, magic)), &producer)?;
            decode(record)?
        }
        // Stripped (Kiln strips executables unless --debug): the descriptor is the one
        // 8-aligned record in a writable data segment that starts with the magic and whose
        // sections decode.
        None => {
            let magic = MAGIC.to_le_bytes();
            let mut found = None;
            'segments: for seg in file.segments() {
                let Ok(Some(data)) = seg.data().map(Some) else {
                    continue;
                };
                let mut offset = 0;
                while offset + record_len <= data.len() {
                    if data[offset..offset + 8] == magic {
                        if let Ok(decoded) = decode(&data[offset..offset + record_len]) {
                            found = Some(decoded);
                            break 'segments;
                        }
                    }
                    offset += 8;
                }
            }
            match (found, &producer) {
                (Some(decoded), _) => decoded,
                (None, Some(p)) => {
                    return Err(format!(
                        "built by {p}, but no module descriptor this kiln reads is in it \
                         (descriptor format version {})",
                        MAGIC.to_le_bytes()[7]
                    ))
                }
                (None, None) => {
                    return Err("an ELF file that Kiln did not build (no Kiln module \
                                descriptor in it)"
                        .into())
                }
            }
        }
    };
    // "Kiln 0.1.0 (x86_64-unknown-linux-gnu, --target-cpu native)"
    let (version, target, cpu) = match &producer {
        Some(p) => {
            let rest = &p[kiln_compiler::PRODUCER_PREFIX.len()..];
            let (version, rest) = rest.split_once(" (").unwrap_or((rest, ""));
            let (target, cpu) = rest
                .trim_end_matches(')')
                .split_once(", --target-cpu ")
                .unwrap_or((rest, ""));
            (Value::from(version), Value::from(target), Value::from(cpu))
        }
        None => (Value::Null, Value::Null, Value::Null),
    };
    let imports: Vec<Value> = info
        .imports
        .iter()
        .map(|i| {
            let kind = match i.kind {
                ImportKind::Func(_) => "func",
                ImportKind::Table(_) => "table",
                ImportKind::Memory(_) => "memory",
                ImportKind::Global(_) => "global",
                ImportKind::Tag(_) => "tag",
            };
            json!({"module": i.module, "name": i.name, "kind": kind})
        })
        .collect();
    let exports: Vec<Value> = info
        .exports
        .iter()
        .map(|e| {
            let kind = match e.kind {
                ExportKind::Func => "func",
                ExportKind::Table => "table",
                ExportKind::Memory => "memory",
                ExportKind::Global => "global",
                ExportKind::Tag => "tag",
            };
            json!({"name": e.name, "kind": kind, "index": e.index})
        })
        .collect();
    let config = serde_json::to_value(&config).map_err(|e| e.to_string())?;
    Ok(json!({
        "kind": "executable",
        "kiln_version": version,
        "target": target,
        "target_cpu": cpu,
        "machine": format!("{:?}", file.architecture()),
        "descriptor_version": MAGIC.to_le_bytes()[7],
        "name": info.name,
        "functions": {"imported": info.num_imported_funcs,
                      "defined": info.funcs.len() as u64 - u64::from(info.num_imported_funcs)},
        "memories": info.memories.len(),
        "tables": info.tables.len(),
        "globals": info.globals.len(),
        "imports": imports,
        "exports": exports,
        "run_config": config,
    }))
}

/// An error unless `magic` is this kiln's descriptor magic.
fn check_magic(magic: u64, producer: &Option<String>) -> Result<(), String> {
    if magic == MAGIC {
        return Ok(());
    }
    let bytes = magic.to_le_bytes();
    Err(if bytes[..4] == *b"KILN" {
        format!(
            "built by a Kiln whose descriptor format is version {} ({}); this kiln reads \
             version {}",
            bytes[7],
            producer.as_deref().unwrap_or("version unknown"),
            MAGIC.to_le_bytes()[7]
        )
    } else {
        "its `kiln_module` symbol is not a Kiln module descriptor".into()
    })
}

// ---- text ----

/// The leaves of a JSON object, nested keys joined with `.`.
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

/// The report as text for people: one `key: value` line per fact, lists indented below.
pub fn render_text(report: &Value) -> String {
    let mut out = String::new();
    let str_of = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    };
    let line = |out: &mut String, key: &str, value: String| {
        let _ = writeln!(out, "{key:<18}{value}");
    };
    if report["kind"] == "executable" {
        line(&mut out, "file", "a Kiln executable".into());
        line(
            &mut out,
            "built by",
            format!("Kiln {}", str_of(&report["kiln_version"])),
        );
        line(&mut out, "target", str_of(&report["target"]));
        line(&mut out, "target cpu", str_of(&report["target_cpu"]));
        if let Some(name) = report["name"].as_str() {
            line(&mut out, "module name", name.into());
        }
        let f = &report["functions"];
        line(
            &mut out,
            "functions",
            format!("{} defined, {} imported", f["defined"], f["imported"]),
        );
        let _ = writeln!(out, "grants and limits:");
        let mut fields = Vec::new();
        flatten("", &report["run_config"], &mut fields);
        {
            for (key, value) in &fields {
                let shown = match value {
                    Value::Array(items) if items.is_empty() => "none".into(),
                    Value::Array(items) => items
                        .iter()
                        .map(|i| match i {
                            Value::Array(pair) => {
                                pair.iter().map(str_of).collect::<Vec<_>>().join(" = ")
                            }
                            other => str_of(other),
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    other => str_of(other),
                };
                let _ = writeln!(out, "  {:<16}{shown}", key.replace('_', " "));
            }
        }
    } else {
        let wasi = if report["wasi_command"] == true {
            "a WASI command"
        } else {
            "not a WASI command (no `_start` and `memory` exports)"
        };
        line(
            &mut out,
            "file",
            format!("a WebAssembly module ({} bytes), {wasi}", report["size"]),
        );
        if let Some(name) = report["name"].as_str() {
            line(&mut out, "module name", name.into());
        }
        if let Some(reason) = report["valid"].as_str() {
            line(&mut out, "valid", format!("no: {reason}"));
        }
        let f = &report["functions"];
        line(
            &mut out,
            "functions",
            format!(
                "{} defined ({} bytes of code), {} imported",
                f["defined"], f["code_bytes"], f["imported"]
            ),
        );
        let proposals: Vec<String> = report["proposals"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                let name = str_of(&p["name"]);
                if p["kiln_compiles"] == true {
                    name
                } else {
                    format!("{name} (Kiln does not compile it)")
                }
            })
            .collect();
        line(
            &mut out,
            "proposals used",
            if proposals.is_empty() {
                "none beyond WebAssembly 1.0".into()
            } else {
                proposals.join(", ")
            },
        );
        if let Some(producers) = report["producers"].as_object() {
            for (field, values) in producers {
                let values: Vec<String> = values
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(str_of)
                    .collect();
                line(&mut out, &field.replace('-', " "), values.join(", "));
            }
        }
        for (key, title) in [
            ("memories", "memories"),
            ("tables", "tables"),
            ("globals", "globals"),
        ] {
            let items: Vec<String> = report[key]
                .as_array()
                .into_iter()
                .flatten()
                .map(str_of)
                .collect();
            if !items.is_empty() {
                line(&mut out, title, items.join("; "));
            }
        }
    }
    let imports = report["imports"].as_array().cloned().unwrap_or_default();
    let _ = writeln!(out, "imports ({}):", imports.len());
    for i in &imports {
        let provided = match i.get("kiln_provides") {
            Some(Value::Bool(true)) => "  [Kiln provides]",
            Some(Value::Bool(false)) => "  [not provided by Kiln]",
            _ => "",
        };
        let ty = i.get("type").map(str_of).unwrap_or_default();
        let entry = format!(
            "  {}.{}: {} {ty}{provided}",
            str_of(&i["module"]),
            str_of(&i["name"]),
            str_of(&i["kind"])
        );
        let _ = writeln!(out, "{}", entry.trim_end());
    }
    let exports = report["exports"].as_array().cloned().unwrap_or_default();
    let _ = writeln!(out, "exports ({}):", exports.len());
    for e in &exports {
        let ty = e.get("type").map(str_of).unwrap_or_default();
        let entry = format!(
            "  {}: {} {} {ty}",
            str_of(&e["name"]),
            str_of(&e["kind"]),
            e["index"]
        );
        let _ = writeln!(out, "{}", entry.trim_end());
    }
    out
}
