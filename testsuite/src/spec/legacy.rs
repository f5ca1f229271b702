//! The folded form of the legacy exception instructions, which the `wast` crate does not
//! parse, rewritten into their flat form, which it does:
//!
//! ```text
//! (try $l (result t) (do A...) (catch $e B...) (catch_all C...))   →   try $l (result t) A... catch $e B... catch_all C... end
//! (try $l (do A...) (delegate $m))                                 →   try $l A... delegate $m
//! ```
//!
//! The legacy-exceptions proposal's scripts (`proposals/legacy-exceptions/`) are written in
//! the folded form. The rewrite keeps every newline, so directives keep their line numbers,
//! and leaves strings alone: a `(module quote "...")` is the script's own test of the
//! parser. Anything that does not have the shape above is left as it is, for the parser to
//! reject.

use std::borrow::Cow;

/// A parenthesised list or an atom of the script, by byte offsets.
enum Node {
    List {
        open: usize,
        close: usize,
        children: Vec<Node>,
    },
    Atom {
        start: usize,
        end: usize,
    },
}

/// `src` with every folded `try` unfolded (borrowed when it has none).
pub fn unfold_try(src: &str) -> Cow<'_, str> {
    if !src.contains("(try") {
        return Cow::Borrowed(src);
    }
    let nodes = parse(src.as_bytes());
    let mut edits: Vec<(usize, usize, &'static str)> = Vec::new();
    for n in &nodes {
        collect_edits(src, n, &mut edits);
    }
    if edits.is_empty() {
        return Cow::Borrowed(src);
    }
    edits.sort_by_key(|e| e.0);
    let mut out = String::with_capacity(src.len() + edits.len() * 2);
    let mut at = 0;
    for (start, len, text) in edits {
        out.push_str(&src[at..start]);
        out.push_str(text);
        at = start + len;
    }
    out.push_str(&src[at..]);
    Cow::Owned(out)
}

/// The top-level nodes of `src`, comments skipped. Unbalanced text yields what could be
/// read (the `wast` parser reports the error).
fn parse(src: &[u8]) -> Vec<Node> {
    let mut stack: Vec<(usize, Vec<Node>)> = vec![(0, Vec::new())];
    let mut i = 0;
    while i < src.len() {
        match src[i] {
            b';' if src.get(i + 1) == Some(&b';') => {
                while i < src.len() && src[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' if src.get(i + 1) == Some(&b';') => {
                // Block comments nest.
                let mut depth = 0;
                while i < src.len() {
                    if src[i..].starts_with(b"(;") {
                        depth += 1;
                        i += 2;
                    } else if src[i..].starts_with(b";)") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'(' => {
                stack.push((i, Vec::new()));
                i += 1;
            }
            b')' => {
                if stack.len() > 1 {
                    let (open, children) = stack.pop().expect("checked");
                    let list = Node::List {
                        open,
                        close: i,
                        children,
                    };
                    stack.last_mut().expect("the root").1.push(list);
                }
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < src.len() && src[i] != b'"' {
                    i += if src[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                let end = i.min(src.len());
                stack
                    .last_mut()
                    .expect("the root")
                    .1
                    .push(Node::Atom { start, end });
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                let start = i;
                while i < src.len()
                    && !src[i].is_ascii_whitespace()
                    && !matches!(src[i], b'(' | b')' | b'"' | b';')
                {
                    i += 1;
                }
                stack
                    .last_mut()
                    .expect("the root")
                    .1
                    .push(Node::Atom { start, end: i });
            }
        }
    }
    stack.swap_remove(0).1
}

/// The keyword a list starts with, if it starts with an atom.
fn head<'a>(src: &'a str, children: &[Node]) -> Option<&'a str> {
    match children.first()? {
        Node::Atom { start, end } => Some(&src[*start..*end]),
        Node::List { .. } => None,
    }
}

fn collect_edits(src: &str, node: &Node, edits: &mut Vec<(usize, usize, &'static str)>) {
    let Node::List {
        open,
        close,
        children,
    } = node
    else {
        return;
    };
    for c in children {
        collect_edits(src, c, edits);
    }
    if head(src, children) != Some("try") {
        return;
    }
    // `try`, then the label and block type, then `(do ...)` and the clauses.
    let Some(do_at) = children.iter().position(|c| match c {
        Node::List { children, .. } => head(src, children) == Some("do"),
        Node::Atom { .. } => false,
    }) else {
        return;
    };
    let clauses = &children[do_at + 1..];
    let kinds: Vec<&str> = clauses
        .iter()
        .map(|c| match c {
            Node::List { children, .. } => head(src, children).unwrap_or(""),
            Node::Atom { .. } => "",
        })
        .collect();
    let delegates = kinds == ["delegate"];
    let catches = kinds.iter().all(|k| *k == "catch" || *k == "catch_all");
    if !delegates && !catches {
        return;
    }
    let mut ops = Vec::new();
    ops.push((*open, 1, " "));
    // `(do` → spaces, and its `)`.
    if let Node::List {
        open,
        close,
        children,
    } = &children[do_at]
    {
        let Some(Node::Atom { end, .. }) = children.first() else {
            return;
        };
        ops.push((*open, end - open, "   "));
        ops.push((*close, 1, " "));
    }
    // `(catch $e ...)` → `catch $e ...`, `(delegate $l)` → `delegate $l`.
    for c in clauses {
        if let Node::List { open, close, .. } = c {
            ops.push((*open, 1, " "));
            ops.push((*close, 1, " "));
        }
    }
    // The `try`'s own `)`: `end`, unless `delegate` ended it.
    ops.push((*close, 1, if delegates { " " } else { " end" }));
    edits.extend(ops);
}

#[cfg(test)]
mod tests {
    use super::unfold_try;

    #[test]
    fn unfolds_catches_and_delegate() {
        let src = "(func (try $t (result i32)\n  (do (i32.const 1))\n  (catch $e (i32.const 2))\n  (catch_all (i32.const 3))))";
        let out = unfold_try(src);
        let words: Vec<&str> = out.split_whitespace().collect();
        assert_eq!(
            words.join(" "),
            "(func try $t (result i32) (i32.const 1) catch $e (i32.const 2) catch_all (i32.const 3) end)"
        );
        assert_eq!(out.lines().count(), src.lines().count());

        let src = "(try (do (try (do (nop)) (delegate 0))) (catch_all))";
        let words: Vec<String> = unfold_try(src)
            .split_whitespace()
            .map(String::from)
            .collect();
        assert_eq!(words.join(" "), "try try (nop) delegate 0 catch_all end");
    }

    #[test]
    fn leaves_strings_comments_and_other_shapes_alone() {
        let src = r#"(module quote "(func (try (do) (catch_all) (delegate 0)))") ;; (try (do))
(; (try (do)) ;) (try (do) (catch_all) (delegate 0)) try (nop) end"#;
        assert_eq!(unfold_try(src), src);
    }
}
