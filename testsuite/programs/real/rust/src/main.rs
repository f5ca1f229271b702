//! Real work on real crates, for wasm32-wasip1: parses a JSON document (a Cargo.lock turned
//! into JSON), transforms and summarises it with serde_json, searches a Markdown text with
//! regex, and writes results into the preopened directory.
//!
//! usage: kiln-real-rust <packages.json> <text.md> <out-dir>

use regex::Regex;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: {} <packages.json> <text.md> <out-dir>", args[0]);
        return ExitCode::from(2);
    }
    if let Err(e) = run(&args[1], &args[2], &args[3]) {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn run(json_path: &str, text_path: &str, out_dir: &str) -> Result<()> {
    let doc: Value = serde_json::from_slice(&fs::read(json_path)?)?;
    let summary = summarise_packages(&doc)?;
    let pretty = serde_json::to_string_pretty(&summary)?;
    fs::write(format!("{out_dir}/summary.json"), pretty.as_bytes())?;
    println!("summary.json: {} bytes", pretty.len());

    // Round trip: what was written parses back to the same value.
    let back: Value =
        serde_json::from_str(&fs::read_to_string(format!("{out_dir}/summary.json"))?)?;
    println!("summary round trip: {}", back == summary);

    search_text(text_path, out_dir)?;
    errors();
    Ok(())
}

fn summarise_packages(doc: &Value) -> Result<Value> {
    let packages = doc["package"].as_array().ok_or("no `package` array")?;
    let semver = Regex::new(r"^(\d+)\.(\d+)\.(\d+)(?:[-+](.+))?$")?;

    // Semver-compatible groups: (major, minor) for 0.x, (major, _) otherwise.
    let mut by_major: BTreeMap<(u64, Option<u64>), Vec<&str>> = BTreeMap::new();
    let mut reverse_deps: HashMap<&str, usize> = HashMap::new();
    let mut local = Vec::new();
    let mut prerelease = Vec::new();
    for p in packages {
        let name = p["name"].as_str().ok_or("package without a name")?;
        let version = p["version"].as_str().ok_or("package without a version")?;
        let caps = semver
            .captures(version)
            .ok_or_else(|| format!("{name}: `{version}` is not semver"))?;
        let major: u64 = caps[1].parse()?;
        let key = (major, (major == 0).then(|| caps[2].parse()).transpose()?);
        by_major.entry(key).or_default().push(name);
        if let Some(pre) = caps.get(4) {
            prerelease.push(format!("{name} {}", pre.as_str()));
        }
        if p.get("source").is_none() {
            local.push(name);
        }
        for d in p["dependencies"].as_array().into_iter().flatten() {
            let dep = d.as_str().unwrap_or_default();
            // "name" or "name version" when several versions are locked.
            let dep_name = dep.split(' ').next().unwrap_or(dep);
            *reverse_deps.entry(dep_name).or_default() += 1;
        }
    }
    let mut most_used: Vec<(&str, usize)> = reverse_deps.into_iter().collect();
    most_used.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    local.sort_unstable();

    let checksum_nibbles = packages
        .iter()
        .filter_map(|p| p["checksum"].as_str())
        .flat_map(|c| c.chars())
        .fold([0u32; 16], |mut acc, c| {
            if let Some(d) = c.to_digit(16) {
                acc[d as usize] += 1;
            }
            acc
        });

    println!("packages: {}", packages.len());
    println!("workspace members: {}", local.join(", "));
    println!("most depended upon:");
    for (name, n) in most_used.iter().take(8) {
        println!("  {n:3} {name}");
    }
    println!("versions by major:");
    let group = |(major, minor): &(u64, Option<u64>)| match minor {
        Some(minor) => format!("{major}.{minor}"),
        None => major.to_string(),
    };
    for (key, names) in &by_major {
        println!("  {:>5}: {}", group(key), names.len());
    }

    let mut majors = Map::new();
    for (key, mut names) in by_major {
        names.sort_unstable();
        majors.insert(group(&key), json!(names));
    }
    Ok(json!({
        "packages": packages.len(),
        "workspace": local,
        "most_used": most_used.iter().take(10).map(|(n, c)| json!({"name": n, "dependents": c})).collect::<Vec<_>>(),
        "by_major": majors,
        "prerelease": prerelease,
        "checksum_nibbles": checksum_nibbles,
        "ratio": (most_used.len() as f64) / (packages.len() as f64),
    }))
}

fn search_text(text_path: &str, out_dir: &str) -> Result<()> {
    let code_span = Regex::new(r"`([^`\n]+)`")?;
    let heading = Regex::new(r"^(#{1,6})\s+(.+?)\s*$")?;
    let word = Regex::new(r"\b\p{L}[\p{L}'’-]*\b")?;
    let flag = Regex::new(r"(?:^|\s)(--?[a-z][a-z0-9-]*)")?;
    let path = Regex::new(r"\b(?:[a-z_]+/)+[a-z_]+\.(?:rs|md|wat|wasm|c)\b")?;
    let number_unit = Regex::new(r"(?i)\b(\d+(?:\.\d+)?)\s?(ms|kb|mb|mib|gib|s|x)\b")?;

    let reader = BufReader::new(fs::File::open(text_path)?);
    let mut out = BufWriter::new(fs::File::create(format!("{out_dir}/outline.txt"))?);
    let mut words: HashMap<String, usize> = HashMap::new();
    let mut spans = 0usize;
    let mut flags: BTreeMap<String, usize> = BTreeMap::new();
    let mut paths: Vec<String> = Vec::new();
    let mut measures = Vec::new();
    let mut lines = 0;
    let mut in_code = false;
    for line in reader.lines() {
        let line = line?;
        lines += 1;
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if let Some(c) = heading.captures(&line) {
            let depth = c[1].len();
            let title = code_span.replace_all(&c[2], "«$1»");
            writeln!(out, "{}{} (line {lines})", "  ".repeat(depth - 1), title)?;
        }
        spans += code_span.find_iter(&line).count();
        for c in flag.captures_iter(&line) {
            *flags.entry(c[1].to_string()).or_default() += 1;
        }
        for m in path.find_iter(&line) {
            if !paths.iter().any(|p| p == m.as_str()) {
                paths.push(m.as_str().to_string());
            }
        }
        for c in number_unit.captures_iter(&line) {
            measures.push(format!("{} {}", &c[1], c[2].to_lowercase()));
        }
        let prose = code_span.replace_all(&line, " ");
        for w in word.find_iter(&prose) {
            *words.entry(w.as_str().to_lowercase()).or_default() += 1;
        }
    }
    out.flush()?;

    let mut top: Vec<(&String, &usize)> = words
        .iter()
        .filter(|(w, _)| w.chars().count() > 3)
        .collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    println!(
        "text: {lines} lines, {} distinct words, {spans} code spans",
        words.len()
    );
    println!(
        "top words: {}",
        top.iter()
            .take(12)
            .map(|(w, n)| format!("{w}={n}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "flags: {}",
        flags
            .iter()
            .map(|(f, n)| format!("{f}×{n}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("paths: {}", paths.join(" "));
    println!("measures: {}", measures.join(", "));
    Ok(())
}

/// Errors the crates report, with their messages.
fn errors() {
    for bad in [
        "{\"a\": [1, 2,, 3]}",
        "[1, 2",
        "{\"k\": tru}",
        "\"\\uD800\"",
    ] {
        match serde_json::from_str::<Value>(bad) {
            Ok(v) => println!("json {bad:?}: parsed as {v}"),
            Err(e) => println!("json {bad:?}: {e}"),
        }
    }
    for bad in [r"(unclosed", r"a{3,2}", r"\p{NoSuchClass}"] {
        match Regex::new(bad) {
            Ok(_) => println!("regex {bad:?}: compiled"),
            Err(e) => println!(
                "regex {bad:?}: {}",
                e.to_string().lines().last().unwrap_or_default()
            ),
        }
    }
    let numbers: Value =
        serde_json::from_str("[1e300, -0.0, 18446744073709551615, 0.1, 1.7976931348623157e308]")
            .unwrap_or(Value::Null);
    println!("numbers: {numbers}");
}
