//! How grants are spelled: `HOST[::GUEST]` for a directory and `K[=V]` for an environment
//! variable. One parser serves `kiln compile --dir/--env` and the run-time grant variables
//! (`KILN_DIR`, `KILN_ENV`, read by the runtime's entry), so both accept exactly the same
//! text. It works on `str` (the command line) and on bytes (the environment, which need
//! not be UTF-8) alike: every separator is ASCII, so each part of a `str` is a `str`.

use alloc::string::String;
use core::fmt;
use core::ops::Range;

/// A grant that is not spelled as its kind requires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantError {
    /// The grant as given (lossily decoded when it was bytes).
    pub spec: String,
    /// What was expected, e.g. `HOST or HOST::GUEST`.
    pub expected: &'static str,
}

impl fmt::Display for GrantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: expected {}", self.spec, self.expected)
    }
}

/// Text a grant can be parsed from: `str` or `[u8]`.
pub trait GrantText {
    fn as_bytes(&self) -> &[u8];
    /// The part at `range`, whose ends are next to ASCII separators (or the ends).
    fn part(&self, range: Range<usize>) -> &Self;
    fn lossy(&self) -> String;
}

impl GrantText for str {
    fn as_bytes(&self) -> &[u8] {
        str::as_bytes(self)
    }

    fn part(&self, range: Range<usize>) -> &str {
        &self[range]
    }

    fn lossy(&self) -> String {
        self.into()
    }
}

impl GrantText for [u8] {
    fn as_bytes(&self) -> &[u8] {
        self
    }

    fn part(&self, range: Range<usize>) -> &[u8] {
        &self[range]
    }

    fn lossy(&self) -> String {
        String::from_utf8_lossy(self).into_owned()
    }
}

/// `HOST[::GUEST]`, as `wasmtime run --dir` spells it: the host directory and the name
/// the guest sees it under (`HOST` when no `::GUEST` is given). Both must be non-empty;
/// the first `::` separates them.
pub fn parse_dir<T: GrantText + ?Sized>(spec: &T) -> Result<(&T, &T), GrantError> {
    let b = spec.as_bytes();
    let (host, guest) = match b.windows(2).position(|w| w == b"::") {
        Some(i) => (spec.part(0..i), spec.part(i + 2..b.len())),
        None => (spec, spec),
    };
    if host.as_bytes().is_empty() || guest.as_bytes().is_empty() {
        return Err(GrantError {
            spec: spec.lossy(),
            expected: "HOST or HOST::GUEST",
        });
    }
    Ok((host, guest))
}

/// `K=V` (the variable `K` set to `V`) or `K` (the host's value of `K`, if it has one).
/// The first `=` separates them, so `V` may contain `=`; `K` must be non-empty.
pub fn parse_env<T: GrantText + ?Sized>(spec: &T) -> Result<(&T, Option<&T>), GrantError> {
    let b = spec.as_bytes();
    let (key, value) = match b.iter().position(|&c| c == b'=') {
        Some(i) => (spec.part(0..i), Some(spec.part(i + 1..b.len()))),
        None => (spec, None),
    };
    if key.as_bytes().is_empty() {
        return Err(GrantError {
            spec: spec.lossy(),
            expected: "K=V or K",
        });
    }
    Ok((key, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn dir_spellings() {
        assert_eq!(parse_dir("a"), Ok(("a", "a")));
        assert_eq!(parse_dir("./d::/data"), Ok(("./d", "/data")));
        assert_eq!(parse_dir("/a/b::/data"), Ok(("/a/b", "/data")));
        assert_eq!(parse_dir("a::b::c"), Ok(("a", "b::c")));
        assert_eq!(parse_dir("a:b"), Ok(("a:b", "a:b")));
        for bad in ["", "::", "::x", "x::"] {
            let e = parse_dir(bad).unwrap_err();
            assert_eq!(
                e.to_string(),
                alloc::format!("`{bad}`: expected HOST or HOST::GUEST")
            );
        }
    }

    #[test]
    fn env_spellings() {
        assert_eq!(parse_env("K=V"), Ok(("K", Some("V"))));
        assert_eq!(parse_env("K="), Ok(("K", Some(""))));
        assert_eq!(parse_env("K=a=b"), Ok(("K", Some("a=b"))));
        assert_eq!(parse_env("K"), Ok(("K", None)));
        for bad in ["", "=", "=V"] {
            let e = parse_env(bad).unwrap_err();
            assert_eq!(e.to_string(), alloc::format!("`{bad}`: expected K=V or K"));
        }
    }

    #[test]
    fn bytes_follow_the_same_rules() {
        assert_eq!(
            parse_dir(&b"/d\xff::/g"[..]),
            Ok((&b"/d\xff"[..], &b"/g"[..]))
        );
        assert_eq!(
            parse_env(&b"K=\xfe"[..]),
            Ok((&b"K"[..], Some(&b"\xfe"[..])))
        );
        assert!(parse_env(&b"=\xfe"[..]).is_err());
        assert!(parse_dir(&b"x::"[..]).is_err());
        // Multi-byte characters around a separator stay whole.
        assert_eq!(parse_dir("é::ü"), Ok(("é", "ü")));
        assert_eq!(parse_env("ключ=значение"), Ok(("ключ", Some("значение"))));
    }
}
