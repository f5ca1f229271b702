//! Source lines from a module's DWARF (`clang -g`): `.debug_line` read with `gimli` at
//! compile time and reduced to [`SourceLines`] (wasm offset → file:line:column), which the
//! runtime prints under each frame of a trap report.
//!
//! DWARF in a wasm module addresses code relative to the start of the code section's
//! contents; the runtime knows module offsets, so every address is shifted by that start.
//! Functions the linker dropped keep their line sequences with a tombstone address (-1 or
//! -2, or 0 with older linkers): sequences that do not start inside the code section are
//! skipped.

use std::collections::HashMap;

use gimli::{EndianSlice, LittleEndian, SectionId};
use kiln_abi::info::{LineRow, SourceLines};

type Reader<'a> = EndianSlice<'a, LittleEndian>;

/// The `.debug_*` custom sections of a module, by name.
#[derive(Default)]
pub(crate) struct DebugSections<'a> {
    pub sections: HashMap<&'a str, &'a [u8]>,
}

impl<'a> DebugSections<'a> {
    pub(crate) fn add(&mut self, name: &'a str, data: &'a [u8]) {
        if name.starts_with(".debug_") {
            self.sections.insert(name, data);
        }
    }
}

/// The module's line table, or `None` when it has no (usable) `.debug_line`. Malformed DWARF
/// is never an error: a trap report simply goes without source lines.
pub(crate) fn source_lines(
    debug: &DebugSections<'_>,
    code_start: usize,
    code_len: usize,
) -> Option<SourceLines> {
    if !debug.sections.contains_key(".debug_line") || !debug.sections.contains_key(".debug_info") {
        return None;
    }
    let load = |id: SectionId| -> Result<Reader<'_>, gimli::Error> {
        let data = debug.sections.get(id.name()).copied().unwrap_or(&[]);
        Ok(EndianSlice::new(data, LittleEndian))
    };
    let dwarf = gimli::Dwarf::load(load).ok()?;
    let mut files: Vec<String> = Vec::new();
    let mut file_ids: HashMap<String, u32> = HashMap::new();
    let mut rows: Vec<LineRow> = Vec::new();
    let mut units = dwarf.units();
    while let Ok(Some(header)) = units.next() {
        let Ok(unit) = dwarf.unit(header) else {
            continue;
        };
        let Some(program) = unit.line_program.clone() else {
            continue;
        };
        // File paths of this unit's line program, resolved once per file index.
        let mut unit_files: HashMap<u64, Option<u32>> = HashMap::new();
        // Whether the current sequence is live code: decided at its first row.
        let mut live: Option<bool> = None;
        let mut rows_iter = program.rows();
        while let Ok(Some((header, row))) = rows_iter.next_row() {
            let addr = row.address();
            // Address 0 is never code (the code section starts with the function count).
            let valid = *live.get_or_insert(addr != 0 && addr < code_len as u64);
            if row.end_sequence() {
                live = None;
                if let (true, Some(off)) = (valid, module_offset(addr, code_start, code_len)) {
                    rows.push((off, None));
                }
                continue;
            }
            let (true, Some(off)) = (valid, module_offset(addr, code_start, code_len)) else {
                continue;
            };
            let file = *unit_files.entry(row.file_index()).or_insert_with(|| {
                let entry = row.file(header)?;
                let name = dwarf.attr_string(&unit, entry.path_name()).ok()?;
                let name = name.to_string_lossy();
                let dir = entry
                    .directory(header)
                    .and_then(|d| dwarf.attr_string(&unit, d).ok())
                    .map(|d| d.to_string_lossy().into_owned());
                let comp_dir = unit.comp_dir.map(|d| d.to_string_lossy().into_owned());
                let path = [dir, comp_dir]
                    .into_iter()
                    .flatten()
                    .fold(name.into_owned(), |path, d| join(&d, path));
                let next = u32::try_from(files.len()).expect("DWARF file numbers are u32");
                let id = *file_ids.entry(path.clone()).or_insert(next);
                if id == next {
                    files.push(path);
                }
                Some(id)
            });
            let loc = match (file, row.line()) {
                (Some(f), Some(line)) => {
                    let col = match row.column() {
                        gimli::ColumnType::LeftEdge => 0,
                        gimli::ColumnType::Column(c) => c.get(),
                    };
                    Some((
                        f,
                        u32::try_from(line.get()).unwrap_or(u32::MAX),
                        u32::try_from(col).unwrap_or(0),
                    ))
                }
                _ => None,
            };
            rows.push((off, loc));
        }
    }
    if rows.is_empty() {
        return None;
    }
    // Sequences come in any order; within one offset the last row wins (DWARF lists the
    // rows of one address in order, the last being the instruction's own).
    rows.sort_by_key(|r| r.0);
    let mut reduced: Vec<LineRow> = Vec::with_capacity(rows.len());
    for r in rows {
        match reduced.last_mut() {
            // One sequence's end and the next one's start can share an offset.
            Some(last) if last.0 == r.0 => {
                if r.1.is_some() || last.1.is_none() {
                    last.1 = r.1;
                }
            }
            Some(last) if last.1 == r.1 => {}
            _ => reduced.push(r),
        }
    }
    Some(SourceLines {
        files,
        rows: SourceLines::encode_rows(&reduced),
    })
}

/// The module offset of DWARF address `addr`, if it lies in the code section.
fn module_offset(addr: u64, code_start: usize, code_len: usize) -> Option<u32> {
    if addr > code_len as u64 {
        return None;
    }
    u32::try_from(code_start as u64 + addr).ok()
}

/// `dir/path`, unless `path` is absolute (or `dir` empty).
fn join(dir: &str, path: String) -> String {
    if dir.is_empty() || path.starts_with('/') {
        path
    } else {
        format!("{}/{path}", dir.trim_end_matches('/'))
    }
}
