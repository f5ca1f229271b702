//! What the runtime needs to instantiate a module, beyond its machine code. The compiler
//! builds a [`ModuleInfo`] from the wasm module and encodes it with postcard in three
//! parts, each its own descriptor section: [`ModuleInfo::encode`] (what every instantiation
//! needs, decoded at start-up), [`ModuleInfo::encode_segments`] (the data segments) and
//! [`ModuleInfo::encode_names`] (function names and source lines). The last two grow with
//! the module (tens of thousands of segments, every function's name) and are only needed
//! by some runs, so the runtime decodes them when first used: the segments when a module
//! without a memory image is instantiated or `memory.init`/`data.drop` runs, the names when
//! a trap is reported. [`ModuleInfo::decode`] leaves those fields empty.
//!
//! Index spaces follow wasm: imported items come first, then defined ones.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValType {
    I32,
    I64,
    F32,
    F64,
    V128,
    /// `funcref`, `(ref null func)`.
    FuncRef,
    /// `externref`, `(ref null extern)`.
    ExternRef,
    /// A reference to an exception (`exnref`): a `*const VmExn`, null for `ref.null exn`.
    ExnRef,
    /// Any other reference type (typed function references): non-null, or of a concrete
    /// type. Represented like `FuncRef`/`ExternRef`; the precise type only matters to
    /// type identity (canonical ids, import checks).
    Ref(RefType),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RefType {
    pub nullable: bool,
    pub heap: HeapType,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HeapType {
    Func,
    Extern,
    /// A function type, by its index in the module's types.
    Type(u32),
    /// A function type, by its process-wide canonical id: only the runtime writes these,
    /// when it compares types across modules (a module's `Type(i)` becomes the id of its
    /// type `i`).
    Canonical(u32),
}

impl ValType {
    /// The reference type `(ref null? heap)`, as [`ValType`] spells it (the nullable
    /// abstract ones are `FuncRef` and `ExternRef`).
    pub fn reference(nullable: bool, heap: HeapType) -> ValType {
        match (nullable, heap) {
            (true, HeapType::Func) => ValType::FuncRef,
            (true, HeapType::Extern) => ValType::ExternRef,
            _ => ValType::Ref(RefType { nullable, heap }),
        }
    }

    /// Whether values of this type are function references (`*const VmFuncRef`).
    pub fn is_func_ref(self) -> bool {
        match self {
            ValType::FuncRef => true,
            ValType::Ref(r) => r.heap != HeapType::Extern,
            _ => false,
        }
    }

    /// Whether values of this type are references (8 bytes, null is 0).
    pub fn is_ref(self) -> bool {
        matches!(
            self,
            ValType::FuncRef | ValType::ExternRef | ValType::ExnRef | ValType::Ref(_)
        )
    }

    /// `self` as `(nullable, heap)`, for reference types.
    fn as_ref_type(self) -> Option<(bool, HeapType)> {
        match self {
            ValType::FuncRef => Some((true, HeapType::Func)),
            ValType::ExternRef => Some((true, HeapType::Extern)),
            ValType::Ref(r) => Some((r.nullable, r.heap)),
            _ => None,
        }
    }

    /// Whether `self` is a subtype of `other` (both with canonical heap types): without
    /// GC, a non-null reference matches a nullable one, and a concrete function type
    /// matches `func`.
    pub fn matches(self, other: ValType) -> bool {
        if self == other {
            return true;
        }
        let (Some((n1, h1)), Some((n2, h2))) = (self.as_ref_type(), other.as_ref_type()) else {
            return false;
        };
        (n2 || !n1)
            && (h1 == h2
                || (h2 == HeapType::Func
                    && matches!(h1, HeapType::Canonical(_) | HeapType::Type(_))))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FuncType {
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub min: u64,
    pub max: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableType {
    pub elem: ValType,
    pub limits: Limits,
    /// Indexed with `i64` (memory64's table64) rather than `i32`.
    pub table64: bool,
}

/// A linear memory's type: limits in pages, its index type, and whether it is shared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryType {
    pub limits: Limits,
    /// Indexed with `i64` (memory64) rather than `i32`.
    pub memory64: bool,
    /// Declared `shared` (the threads proposal): it has a maximum (validation requires
    /// one), `memory.atomic.wait*` may block on it, and an import must be shared too.
    pub shared: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlobalType {
    pub ty: ValType,
    pub mutable: bool,
}

/// A constant expression (global and table initialisers, segment offsets, element items).
/// The compiler folds what it can into one value; an extended constant expression whose
/// value depends on an imported global stays [`ConstExpr::Extended`], evaluated at
/// instantiation. Segment offsets are `i32` for 32-bit memories and tables, `i64` for
/// 64-bit ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConstExpr {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    RefNull(ValType),
    RefFunc(u32),
    GlobalGet(u32),
    /// WebAssembly 3.0's extended constant expressions: integer arithmetic over constants
    /// and immutable globals, a stack program whose one result is the value.
    Extended(Vec<ConstOp>),
}

/// One operator of an [`ConstExpr::Extended`] program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConstOp {
    I32(i32),
    I64(i64),
    /// An `i32` or `i64` global (the program is typed, so its type is the global's).
    GlobalGet(u32),
    I32Add,
    I32Sub,
    I32Mul,
    I64Add,
    I64Sub,
    I64Mul,
}

/// A value of an extended constant program's stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstValue {
    I32(i32),
    I64(i64),
}

impl ConstOp {
    /// Runs `ops` (a validated program), reading globals with `global`; `None` when
    /// `global` does not know one (the compiler folding what it can).
    pub fn eval(
        ops: &[ConstOp],
        mut global: impl FnMut(u32) -> Option<ConstValue>,
    ) -> Option<ConstValue> {
        let mut stack: Vec<ConstValue> = Vec::with_capacity(ops.len());
        for op in ops {
            let v = match *op {
                ConstOp::I32(x) => ConstValue::I32(x),
                ConstOp::I64(x) => ConstValue::I64(x),
                ConstOp::GlobalGet(g) => global(g)?,
                bin => {
                    let b = stack.pop()?;
                    let a = stack.pop()?;
                    match (bin, a, b) {
                        (ConstOp::I32Add, ConstValue::I32(a), ConstValue::I32(b)) => {
                            ConstValue::I32(a.wrapping_add(b))
                        }
                        (ConstOp::I32Sub, ConstValue::I32(a), ConstValue::I32(b)) => {
                            ConstValue::I32(a.wrapping_sub(b))
                        }
                        (ConstOp::I32Mul, ConstValue::I32(a), ConstValue::I32(b)) => {
                            ConstValue::I32(a.wrapping_mul(b))
                        }
                        (ConstOp::I64Add, ConstValue::I64(a), ConstValue::I64(b)) => {
                            ConstValue::I64(a.wrapping_add(b))
                        }
                        (ConstOp::I64Sub, ConstValue::I64(a), ConstValue::I64(b)) => {
                            ConstValue::I64(a.wrapping_sub(b))
                        }
                        (ConstOp::I64Mul, ConstValue::I64(a), ConstValue::I64(b)) => {
                            ConstValue::I64(a.wrapping_mul(b))
                        }
                        _ => return None,
                    }
                }
            };
            stack.push(v);
        }
        match stack[..] {
            [v] => Some(v),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportKind {
    /// A function of the given type index.
    Func(u32),
    Table(TableType),
    Memory(MemoryType),
    Global(GlobalType),
    /// A tag (exception handling) whose parameters are those of the given type index.
    Tag(u32),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    pub module: String,
    pub name: String,
    pub kind: ImportKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportKind {
    Func,
    Table,
    Memory,
    Global,
    Tag,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    pub name: String,
    pub kind: ExportKind,
    pub index: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SegmentMode {
    Active {
        index: u32,
        offset: ConstExpr,
    },
    Passive,
    /// Element segments only: declares functions for `ref.func`, dropped at instantiation.
    Declared,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElemSegment {
    pub mode: SegmentMode,
    pub elem: ValType,
    pub items: Vec<ConstExpr>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSegment {
    pub mode: SegmentMode,
    /// Range in the descriptor's data blob.
    pub start: u32,
    pub len: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlobalDef {
    pub ty: GlobalType,
    /// `None` for imported globals.
    pub init: Option<ConstExpr>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleInfo {
    pub types: Vec<FuncType>,
    /// The type index of every function, imports first.
    pub funcs: Vec<u32>,
    pub num_imported_funcs: u32,
    pub imports: Vec<Import>,
    /// Every table, imports first.
    pub tables: Vec<TableType>,
    pub num_imported_tables: u32,
    /// Defined tables whose elements start as an initialiser's value rather than null
    /// (typed function references: `(table 10 (ref $t) (ref.func $f))`), by table index.
    pub table_inits: Vec<(u32, ConstExpr)>,
    /// Every memory, imports first.
    pub memories: Vec<MemoryType>,
    pub num_imported_memories: u32,
    /// Where memory 0 must be, when the compiled code has its address built in
    /// ([`crate::memory::FIXED_MEMORY0_BASE`]); `None`: the code loads it from the vmctx.
    pub memory0_base: Option<u64>,
    /// Every global, imports first.
    pub globals: Vec<GlobalDef>,
    pub num_imported_globals: u32,
    /// The function type index of every tag (its parameters are the exception's payload),
    /// imports first.
    pub tags: Vec<u32>,
    pub num_imported_tags: u32,
    pub exports: Vec<Export>,
    pub start: Option<u32>,
    pub elements: Vec<ElemSegment>,
    /// Encoded apart ([`ModuleInfo::encode_segments`]); empty after [`ModuleInfo::decode`].
    #[serde(skip)]
    pub data: Vec<DataSegment>,
    /// The module's name from the `name` section, if any.
    pub name: Option<String>,
    /// Function names from the `name` section: (function index, name), sorted by index.
    /// The compiler demangles Rust and C++ names, so they are stored as reports show them.
    /// Encoded apart ([`ModuleInfo::encode_names`]); empty after [`ModuleInfo::decode`].
    #[serde(skip)]
    pub func_names: Vec<(u32, String)>,
    /// Source lines from the module's DWARF `.debug_line`, when it has one (`clang -g`).
    /// Encoded apart, with the function names.
    #[serde(skip)]
    pub source_lines: Option<SourceLines>,
}

/// What trap reports name: [`ModuleInfo::func_names`] and [`ModuleInfo::source_lines`],
/// decoded from their own section ([`ModuleInfo::decode_names`]) when first needed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Names {
    pub func_names: Vec<(u32, String)>,
    pub source_lines: Option<SourceLines>,
}

impl Names {
    pub fn func_name(&self, index: u32) -> Option<&str> {
        self.func_names
            .binary_search_by_key(&index, |(i, _)| *i)
            .ok()
            .map(|i| self.func_names[i].1.as_str())
    }
}

/// Which source line each wasm instruction came from: DWARF's line table reduced to what a
/// trap report needs, encoded compactly (it is only decoded when a trap is reported).
///
/// `rows` is a sequence of rows sorted by wasm offset, each five unsigned LEB128 numbers:
/// the offset's increase over the previous row's (module-relative, starting from 0), the
/// file index plus one (0: no source location from this offset on), the line, the column (0:
/// unknown). A row covers the offsets up to the next row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLines {
    /// File paths, as the DWARF names them (directory joined with file name).
    pub files: Vec<String>,
    pub rows: Bytes,
}

/// One row given to [`SourceLines::encode_rows`]: a wasm offset and, from there on, the
/// location `(file index, line, column)` or none.
pub type LineRow = (u32, Option<(u32, u32, u32)>);

/// A source location found in [`SourceLines`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceLocation<'a> {
    pub file: &'a str,
    pub line: u32,
    pub column: u32,
}

impl SourceLines {
    /// Encodes rows `(wasm offset, Some((file index, line, column)) or None)`, sorted by
    /// offset.
    pub fn encode_rows(rows: &[LineRow]) -> Bytes {
        let mut out = Vec::new();
        let mut prev = 0u32;
        for &(off, loc) in rows {
            let (file, line, col) = loc.map_or((0, 0, 0), |(f, l, c)| (f + 1, l, c));
            for v in [off - prev, file, line, col] {
                crate::descriptor::put_uleb(&mut out, u64::from(v));
            }
            prev = off;
        }
        Bytes(out)
    }

    /// The location of the instruction at module offset `wasm_offset`.
    pub fn lookup(&self, wasm_offset: u32) -> Option<SourceLocation<'_>> {
        let mut bytes = &self.rows.0[..];
        let mut off = 0u32;
        let mut found = None;
        while !bytes.is_empty() {
            let delta = get_leb(&mut bytes)?;
            let (file, line, column) = (
                get_leb(&mut bytes)?,
                get_leb(&mut bytes)?,
                get_leb(&mut bytes)?,
            );
            off = off.checked_add(delta)?;
            if off > wasm_offset {
                break;
            }
            found = (file != 0).then(|| (file - 1, line, column));
        }
        let (file, line, column) = found?;
        Some(SourceLocation {
            file: self.files.get(file as usize)?,
            line,
            column,
        })
    }
}

fn get_leb(bytes: &mut &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for shift in (0..35).step_by(7) {
        let (&b, rest) = bytes.split_first()?;
        *bytes = rest;
        v |= u32::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Opaque bytes, (de)serialized as one byte string (one copy, not one element at a time).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a byte string")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

impl ModuleInfo {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("encoding into a Vec cannot fail")
    }

    /// Everything but the data segments, function names and source lines (those stay
    /// empty: see [`ModuleInfo::decode_segments`], [`ModuleInfo::decode_names`]).
    pub fn decode(bytes: &[u8]) -> Result<ModuleInfo, postcard::Error> {
        postcard::from_bytes(bytes)
    }

    /// The data segments, for their own section.
    pub fn encode_segments(&self) -> Vec<u8> {
        postcard::to_allocvec(&self.data).expect("encoding into a Vec cannot fail")
    }

    pub fn decode_segments(bytes: &[u8]) -> Result<Vec<DataSegment>, postcard::Error> {
        if bytes.is_empty() {
            return Ok(Vec::new());
        }
        postcard::from_bytes(bytes)
    }

    /// The function names and source lines, for their own section.
    pub fn encode_names(&self) -> Vec<u8> {
        // Field for field what `Names` decodes, without cloning the names.
        postcard::to_allocvec(&(&self.func_names, &self.source_lines))
            .expect("encoding into a Vec cannot fail")
    }

    pub fn decode_names(bytes: &[u8]) -> Result<Names, postcard::Error> {
        if bytes.is_empty() {
            return Ok(Names::default());
        }
        postcard::from_bytes(bytes)
    }

    pub fn func_name(&self, index: u32) -> Option<&str> {
        self.func_names
            .binary_search_by_key(&index, |(i, _)| *i)
            .ok()
            .map(|i| self.func_names[i].1.as_str())
    }

    pub fn export(&self, name: &str) -> Option<&Export> {
        self.exports.iter().find(|e| e.name == name)
    }
}

/// How the executable runs the module: the grants fixed at compile time (`kiln compile
/// --dir/--env/--inherit-env/--argv0`) and execution limits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunConfig {
    /// Replaces `argv[0]` as the guest sees it.
    pub argv0: Option<String>,
    /// `(KEY, Some(value))` is fixed; `(KEY, None)` reads the host's value at start-up
    /// (absent on the host means absent in the guest).
    pub env: Vec<(String, Option<String>)>,
    /// Pass the host's whole environment through (before `env` is applied).
    pub inherit_env: bool,
    /// Preopened directories: (host path, guest path).
    pub dirs: Vec<(String, String)>,
    /// Whether the launcher may add grants and tighten limits at run time (`KILN_DIR`,
    /// `KILN_ENV`, `KILN_TCPLISTEN`, `KILN_MAX_*`, `KILN_TIMEOUT`: the runtime's `entry`).
    /// Off unless compiled with `--allow-runtime-grants`.
    pub runtime_grants: bool,
    /// Native stack bytes wasm code may use before `call stack exhausted`; 0 = default.
    pub max_wasm_stack: u64,
    /// Resource limits (none by default).
    pub limits: ResourceLimits,
    /// CPU features the code was compiled to use (names from the target's
    /// [`crate::target::Arch::cpu_features`]).
    pub cpu_features: Vec<String>,
}

/// Limits on what the program may use, each `None` when unlimited. Set at compile time; an
/// executable that allows run-time grants may tighten each (never loosen it) at start-up,
/// through [`ResourceLimits::tightened`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceLimits {
    /// Bytes each linear memory may reach: `memory.grow` past it returns -1 (as
    /// `wasmtime -W max-memory-size`), a larger minimum fails instantiation.
    pub max_memory: Option<u64>,
    /// Elements each table may reach: `table.grow` past it returns -1.
    pub max_table_elements: Option<u64>,
    /// Open file descriptors the guest may hold at once (stdio and preopens included):
    /// opening one more fails with `EMFILE`.
    pub max_open_files: Option<u32>,
    /// Wall-clock milliseconds before the program is stopped with `wasm trap: interrupt`.
    /// Code is compiled with interruption checks only when this is set at compile time, so
    /// a run-time timeout needs one at compile time (it can only shorten it).
    pub timeout_ms: Option<u64>,
    /// Fuel each instance (the main thread's, each wasi-thread's) may consume before it
    /// is stopped with `wasm trap: all fuel consumed by WebAssembly`, counted as
    /// `wasmtime -W fuel=N` counts it. Code is compiled with fuel accounting only when
    /// this is set at compile time (a run-time value can only lower it).
    pub fuel: Option<u64>,
}

impl ResourceLimits {
    /// Each limit the smaller of `self`'s and `other`'s (a `None` is no limit).
    pub fn tightened(self, other: ResourceLimits) -> ResourceLimits {
        fn min<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
            match (a, b) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        }
        ResourceLimits {
            max_memory: min(self.max_memory, other.max_memory),
            max_table_elements: min(self.max_table_elements, other.max_table_elements),
            max_open_files: min(self.max_open_files, other.max_open_files),
            timeout_ms: min(self.timeout_ms, other.timeout_ms),
            fuel: min(self.fuel, other.fuel),
        }
    }
}

impl RunConfig {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("encoding into a Vec cannot fail")
    }

    pub fn decode(bytes: &[u8]) -> Result<RunConfig, postcard::Error> {
        postcard::from_bytes(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn limits_only_tighten() {
        let compiled = ResourceLimits {
            max_memory: Some(1 << 20),
            max_table_elements: None,
            max_open_files: Some(10),
            timeout_ms: Some(5000),
            fuel: Some(1000),
        };
        let asked = ResourceLimits {
            max_memory: Some(1 << 30),
            max_table_elements: Some(100),
            max_open_files: Some(5),
            timeout_ms: None,
            fuel: Some(1_000_000),
        };
        assert_eq!(
            compiled.tightened(asked),
            ResourceLimits {
                max_memory: Some(1 << 20),
                max_table_elements: Some(100),
                max_open_files: Some(5),
                timeout_ms: Some(5000),
                fuel: Some(1000),
            }
        );
        assert_eq!(
            ResourceLimits::default().tightened(ResourceLimits::default()),
            ResourceLimits::default()
        );
    }

    #[test]
    fn reference_subtyping_without_gc() {
        let typed = |nullable, id| ValType::reference(nullable, HeapType::Canonical(id));
        let func = ValType::reference(false, HeapType::Func);
        assert_eq!(ValType::reference(true, HeapType::Func), ValType::FuncRef);
        assert!(typed(false, 1).matches(typed(true, 1)));
        assert!(!typed(true, 1).matches(typed(false, 1)));
        assert!(typed(false, 1).matches(func) && func.matches(ValType::FuncRef));
        assert!(typed(true, 1).matches(ValType::FuncRef));
        assert!(!typed(true, 1).matches(func));
        assert!(!typed(false, 1).matches(typed(false, 2)));
        assert!(!ValType::FuncRef.matches(typed(true, 1)));
        assert!(!ValType::ExternRef.matches(ValType::FuncRef));
        assert!(!ValType::I32.matches(ValType::I64));
    }

    #[test]
    fn extended_constants_evaluate_and_wrap() {
        use ConstOp::*;
        let globals = |g| match g {
            0 => Some(ConstValue::I32(i32::MAX)),
            1 => Some(ConstValue::I64(-3)),
            _ => None,
        };
        let v = ConstOp::eval(&[GlobalGet(0), I32(1), I32Add], globals);
        assert_eq!(v, Some(ConstValue::I32(i32::MIN)));
        let v = ConstOp::eval(&[I64(10), GlobalGet(1), I64Mul, I64(4), I64Sub], globals);
        assert_eq!(v, Some(ConstValue::I64(-34)));
        assert_eq!(
            ConstOp::eval(&[GlobalGet(2), I32(1), I32Add], globals),
            None
        );
        // Ill-typed or unbalanced programs (never valid wasm) give no value.
        assert_eq!(ConstOp::eval(&[I32(1), I64(1), I64Add], globals), None);
        assert_eq!(ConstOp::eval(&[I32(1), I32(1)], globals), None);
    }

    #[test]
    fn segments_travel_apart_from_the_rest() {
        let info = ModuleInfo {
            funcs: vec![1, 2],
            data: vec![
                DataSegment {
                    mode: SegmentMode::Passive,
                    start: 0,
                    len: 3,
                },
                DataSegment {
                    mode: SegmentMode::Active {
                        index: 0,
                        offset: ConstExpr::I32(64),
                    },
                    start: 3,
                    len: 1,
                },
            ],
            ..ModuleInfo::default()
        };
        let main = ModuleInfo::decode(&info.encode()).unwrap();
        assert_eq!((main.funcs.len(), main.data.len()), (2, 0));
        let segments = ModuleInfo::decode_segments(&info.encode_segments()).unwrap();
        assert_eq!(segments, info.data);
        assert_eq!(ModuleInfo::decode_segments(&[]).unwrap(), []);
        assert_eq!(ModuleInfo::decode_names(&[]).unwrap(), Names::default());
    }

    #[test]
    fn source_lines_round_trip() {
        let lines = SourceLines {
            files: vec!["a.c".into(), "dir/b.h".into()],
            rows: SourceLines::encode_rows(&[
                (0x40, Some((0, 3, 5))),
                (0x48, Some((1, 300, 0))),
                (0x4000, None),
                (0x5000, Some((0, 70000, 1))),
            ]),
        };
        let info = ModuleInfo {
            source_lines: Some(lines.clone()),
            func_names: vec![(3, "f".into()), (7, "g".into())],
            ..ModuleInfo::default()
        };
        assert_eq!(
            ModuleInfo::decode(&info.encode()).unwrap().source_lines,
            None
        );
        let back = ModuleInfo::decode_names(&info.encode_names()).unwrap();
        assert_eq!(back.source_lines.as_ref(), Some(&lines));
        assert_eq!((back.func_name(7), back.func_name(4)), (Some("g"), None));
        let at = |o| lines.lookup(o).map(|l| (l.file, l.line, l.column));
        assert_eq!(at(0x3f), None);
        assert_eq!(at(0x40), Some(("a.c", 3, 5)));
        assert_eq!(at(0x47), Some(("a.c", 3, 5)));
        assert_eq!(at(0x48), Some(("dir/b.h", 300, 0)));
        assert_eq!(at(0x3fff), Some(("dir/b.h", 300, 0)));
        assert_eq!(at(0x4000), None);
        assert_eq!(at(0x6000), Some(("a.c", 70000, 1)));
    }
}
