//! The expected-failures list: directives (or whole scripts) known to fail, each with its
//! reason in a comment.
//!
//! ```text
//! # why these fail
//! simd_add.wast          # a whole script
//! table.wast:123         # one directive, by the line it starts on
//! ```
//!
//! An entry names a script by a path suffix (`table.wast`, `core-2.0/table.wast`). An entry
//! that no longer fails is an error, so the list cannot go stale.

use std::path::Path;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub file: String,
    /// `None`: every directive of the script may fail.
    pub line: Option<usize>,
    /// Line of the entry in the list, for messages.
    pub at: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Expected {
    pub entries: Vec<Entry>,
}

impl Expected {
    pub fn parse(text: &str) -> Result<Expected, String> {
        let mut entries = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (file, l) = match line.rsplit_once(':') {
                Some((f, n)) => (
                    f,
                    Some(
                        n.trim()
                            .parse::<usize>()
                            .map_err(|_| format!("line {}: bad entry `{line}`", i + 1))?,
                    ),
                ),
                None => (line, None),
            };
            entries.push(Entry {
                file: file.trim().to_string(),
                line: l,
                at: i + 1,
            });
        }
        Ok(Expected { entries })
    }

    pub fn load(path: &Path) -> Result<Expected, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Expected::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The entries that concern `script`.
    pub fn for_script(&self, script: &Path) -> Vec<&Entry> {
        let s = script.to_string_lossy().replace('\\', "/");
        self.entries
            .iter()
            .filter(|e| s == e.file || s.ends_with(&format!("/{}", e.file)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_matches() {
        let e = Expected::parse("# c\nfoo.wast # all\n\ncore-2.0/bar.wast:12 # one\n").unwrap();
        assert_eq!(e.entries.len(), 2);
        assert_eq!(e.entries[1].line, Some(12));
        assert_eq!(e.for_script(Path::new("/x/core-2.0/foo.wast")).len(), 1);
        assert_eq!(e.for_script(Path::new("/x/core-2.0/bar.wast")).len(), 1);
        assert_eq!(e.for_script(Path::new("/x/other/bar.wast")).len(), 0);
        assert_eq!(e.for_script(Path::new("/x/core-2.0/xfoo.wast")).len(), 0);
    }
}
