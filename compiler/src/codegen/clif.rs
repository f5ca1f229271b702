//! Translation of one wasm function body into a CLIF function (the translator itself is
//! [`crate::translate`]; `schedule.rs` decides when each body is translated). Also the
//! CLIF text of `--emit clif` and the snapshot tests: Cranelift's printer, with the wasm
//! instruction each group of CLIF instructions came from as a comment above it.
//!
//! ```text
//!                                     ;; @0025: local.get 0
//!                                     ;; @0027: i32.load offset=4
//! @0027                               v4 = uextend.i64 v2
//! @0027                               v5 = iadd v3, v4
//! @0027                               v6 = load.i32 little heap v5+4
//! ```

use std::fmt;

use cranelift_codegen::entity::SecondaryMap;
use cranelift_codegen::ir::{Block, Function, Inst, Value};
use cranelift_codegen::write::{decorate_function, FuncWriter, PlainWriter};
use cranelift_frontend::FunctionBuilderContext;
use cranelift_module::FuncId;

use crate::environ::FunctionInput;
use crate::translate::{self, ModuleCtx};
use crate::CompileError;

/// One translated function.
pub(super) struct ClifFunc {
    /// Wasm function index.
    pub index: u32,
    pub id: FuncId,
    pub func: Function,
    /// Where its body starts in the wasm binary.
    pub body_offset: u32,
    /// Its text straight from the translator, when asked for.
    pub unoptimized_clif: Option<String>,
}

/// Translates one body (`fctx` is the thread's reusable builder context). `wat` is `Some`
/// to keep the function's CLIF text.
pub(super) fn translate(
    m: &ModuleCtx<'_>,
    input: FunctionInput<'_>,
    fctx: &mut FunctionBuilderContext,
    wat: Option<&WatText>,
) -> Result<ClifFunc, CompileError> {
    let index = input.index;
    let body_offset = u32::try_from(input.body.range().start)
        .expect("translate_module refuses modules of 4 GiB or more");
    let id = m.func_ids[index as usize].expect("defined");
    match translate::translate_function(m, input, fctx) {
        Ok(func) => Ok(ClifFunc {
            index,
            id,
            unoptimized_clif: wat.map(|wat| wat.write_clif(&func, Some(body_offset))),
            body_offset,
            func,
        }),
        Err(e) => {
            // A failed translation leaves the builder context mid-function.
            *fctx = FunctionBuilderContext::new();
            Err(e)
        }
    }
}

/// The module's text format, line by line, by the byte offset each line starts at: the
/// instruction a CLIF source location (a wasm byte offset) came from.
pub(super) struct WatText {
    /// Sorted by offset.
    lines: Vec<(u32, String)>,
}

impl WatText {
    pub(crate) fn new(wasm: &[u8]) -> Result<WatText, CompileError> {
        let mut storage = String::new();
        let lines = wasmprinter::Config::new()
            .offsets_and_lines(wasm, &mut storage)
            .map_err(|e| CompileError::Internal(format!("printing the module as text: {e}")))?;
        let mut by_offset: Vec<(u32, String)> = lines
            .filter_map(|(offset, line)| {
                let offset = u32::try_from(offset?).ok()?;
                let line = line.trim();
                (!line.is_empty()).then(|| (offset, line.to_string()))
            })
            .collect();
        by_offset.sort_by_key(|(offset, _)| *offset);
        by_offset.dedup_by_key(|(offset, _)| *offset);
        Ok(WatText { lines: by_offset })
    }

    /// `func` as CLIF text, with wasm instructions as comments. `body_offset` is where the
    /// function's body starts in the wasm binary (None for code with no wasm of its own).
    pub(crate) fn write_clif(&self, func: &Function, body_offset: Option<u32>) -> String {
        let mut text = String::new();
        let mut writer = WasmComments {
            wat: self,
            written_up_to: body_offset,
        };
        decorate_function(&mut writer, &mut text, func).expect("writing to a String");
        text
    }

    /// The lines at offsets in `range`.
    fn lines_in(&self, range: std::ops::RangeInclusive<u32>) -> &[(u32, String)] {
        let start = self.lines.partition_point(|(o, _)| o < range.start());
        let end = self.lines.partition_point(|(o, _)| o <= range.end());
        &self.lines[start..end.max(start)]
    }
}

/// A Cranelift [`FuncWriter`] that writes, above the first CLIF instruction of each wasm
/// instruction, that wasm instruction's text, preceded by the instructions since the last
/// one written that have no CLIF of their own (`local.get`, `nop`, `block`, ...), so the
/// comments read as the wasm does.
struct WasmComments<'a> {
    wat: &'a WatText,
    /// The largest wasm offset whose line is written (at first: the body's start).
    written_up_to: Option<u32>,
}

impl FuncWriter for WasmComments<'_> {
    fn write_block_header(
        &mut self,
        w: &mut dyn fmt::Write,
        func: &Function,
        block: Block,
        indent: usize,
    ) -> fmt::Result {
        PlainWriter.write_block_header(w, func, block, indent)
    }

    fn write_instruction(
        &mut self,
        w: &mut dyn fmt::Write,
        func: &Function,
        aliases: &SecondaryMap<Value, Vec<Value>>,
        inst: Inst,
        indent: usize,
    ) -> fmt::Result {
        let loc = func.srcloc(inst);
        if !loc.is_default() {
            let offset = loc.bits();
            // Optimised code is not in wasm order: a location before the last one written
            // gets its own line only.
            let from = match self.written_up_to {
                Some(done) if done < offset => done + 1,
                Some(done) if done == offset => offset + 1,
                _ => offset,
            };
            if from <= offset {
                for (o, text) in self.wat.lines_in(from..=offset) {
                    writeln!(w, "{:indent$};; @{o:04x}: {text}", "")?;
                }
            }
            self.written_up_to = Some(self.written_up_to.map_or(offset, |d| d.max(offset)));
        }
        PlainWriter.write_instruction(w, func, aliases, inst, indent)
    }
}
