//! How limits are spelled: `--max-memory 64MiB`, `--timeout 1.5s` on the command line and
//! `KILN_MAX_MEMORY`, `KILN_TIMEOUT`, ... in an executable's environment (read by the
//! runtime's entry when run-time grants are allowed). One parser serves both, so both
//! accept exactly the same text.

use alloc::format;
use alloc::string::String;

/// A count or a size: digits, optionally followed (for sizes) by `K`/`KiB`, `M`/`MiB` or
/// `G`/`GiB` (powers of 1024; `KB`, `MB`, `GB` are powers of 1000).
pub fn parse_amount(s: &str) -> Result<u64, String> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (n, unit) = s.split_at(digits);
    let bad =
        || format!("`{s}`: expected a number, optionally with a unit such as KiB, MiB or GiB");
    let n: u64 = n.parse().map_err(|_| bad())?;
    let scale: u64 = match unit {
        "" => 1,
        "K" | "KiB" => 1 << 10,
        "M" | "MiB" => 1 << 20,
        "G" | "GiB" => 1 << 30,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return Err(bad()),
    };
    n.checked_mul(scale)
        .ok_or_else(|| format!("`{s}`: too large"))
}

/// A duration in milliseconds: a number (decimals allowed) followed by `ms`, `s`, `m` or
/// `h`; a bare number is seconds (as `wasmtime -W timeout` reads `1s`, `500ms`).
pub fn parse_duration_ms(s: &str) -> Result<u64, String> {
    let bad = || format!("`{s}`: expected a duration such as 500ms, 10s, 1.5m or 2h");
    let end = s
        .bytes()
        .position(|b| !(b.is_ascii_digit() || b == b'.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(end);
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && frac.is_empty() || frac.contains('.') {
        return Err(bad());
    }
    let scale_ms: u64 = match unit {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(bad()),
    };
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let mut ms = whole.checked_mul(scale_ms).ok_or_else(bad)?;
    // Each decimal digit is worth a tenth of the one before; below a millisecond is dropped.
    let mut place = scale_ms;
    for d in frac.bytes() {
        place /= 10;
        ms = ms
            .checked_add(u64::from(d - b'0') * place)
            .ok_or_else(bad)?;
    }
    if ms == 0 {
        return Err(format!("`{s}`: a timeout must be at least 1ms"));
    }
    Ok(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("65536"), Ok(65536));
        assert_eq!(parse_amount("64MiB"), Ok(64 << 20));
        assert_eq!(parse_amount("2G"), Ok(2 << 30));
        assert_eq!(parse_amount("3MB"), Ok(3_000_000));
        assert!(parse_amount("").is_err());
        assert!(parse_amount("-1").is_err());
        assert!(parse_amount("12 MiB").is_err());
        assert!(parse_amount("99999999999999999999G").is_err());
        assert!(parse_amount("17179869184G").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("500ms"), Ok(500));
        assert_eq!(parse_duration_ms("10s"), Ok(10_000));
        assert_eq!(parse_duration_ms("10"), Ok(10_000));
        assert_eq!(parse_duration_ms("1.5m"), Ok(90_000));
        assert_eq!(parse_duration_ms("0.25"), Ok(250));
        assert_eq!(parse_duration_ms("2h"), Ok(7_200_000));
        assert!(parse_duration_ms("0s").is_err());
        assert!(parse_duration_ms("0.0001s").is_err());
        assert!(parse_duration_ms("1.2.3s").is_err());
        assert!(parse_duration_ms(".").is_err());
        assert!(parse_duration_ms("5 s").is_err());
        assert!(parse_duration_ms("5d").is_err());
    }
}
