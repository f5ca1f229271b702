//! Load: many runs at once of one file-writing program. 1000 runs of one Kiln executable, 8
//! at a time, each writing its own file into the same preopen; then 8 concurrent `kiln run`
//! of one module sharing one cache. No file may be lost or corrupt, no temporary file may
//! stay behind, and the test process holds no more descriptors afterwards than before. (A
//! test of the `kiln` package, so that cargo builds the binary it runs.)

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// `writer NAME`: creates `/out/NAME` holding NAME, 64 KiB of NAME's last byte, NAME again
/// (`fd_write` until each part is written), then exits 0; on an error exits with 100 + its
/// errno.
const WRITER: &str = r#"(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 2)
  ;; 0: argc, 4: buffer size, 16: argv[], 64: argv strings, 512: new fd, 520: written,
  ;; 528: an iovec, 65536: the 64 KiB block.
  (func $check (param $e i32)
    (if (local.get $e) (then (call $exit (i32.add (i32.const 100) (local.get $e))))))
  ;; Writes `len` bytes at `ptr` to `fd`, as many calls as it takes.
  (func $put (param $fd i32) (param $ptr i32) (param $len i32)
    (loop $more
      (i32.store (i32.const 528) (local.get $ptr))
      (i32.store (i32.const 532) (local.get $len))
      (call $check (call $write (local.get $fd) (i32.const 528) (i32.const 1) (i32.const 520)))
      (if (i32.eqz (i32.load (i32.const 520))) (then (call $exit (i32.const 3))))
      (local.set $ptr (i32.add (local.get $ptr) (i32.load (i32.const 520))))
      (local.set $len (i32.sub (local.get $len) (i32.load (i32.const 520))))
      (br_if $more (local.get $len))))
  (func (export "_start") (local $name i32) (local $len i32) (local $fd i32)
    (call $check (call $sizes (i32.const 0) (i32.const 4)))
    (if (i32.ne (i32.load (i32.const 0)) (i32.const 2)) (then (call $exit (i32.const 2))))
    (call $check (call $args (i32.const 16) (i32.const 64)))
    (local.set $name (i32.load (i32.const 20)))
    ;; argv[1] is the last string: it ends one byte (its NUL) before the buffer's end.
    (local.set $len
      (i32.sub (i32.sub (i32.add (i32.const 64) (i32.load (i32.const 4))) (local.get $name))
               (i32.const 1)))
    (call $check (call $open (i32.const 3) (i32.const 0) (local.get $name) (local.get $len)
      (i32.const 9) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 512)))
    (local.set $fd (i32.load (i32.const 512)))
    (memory.fill (i32.const 65536)
      (i32.load8_u (i32.sub (i32.add (local.get $name) (local.get $len)) (i32.const 1)))
      (i32.const 65536))
    (call $put (local.get $fd) (local.get $name) (local.get $len))
    (call $put (local.get $fd) (i32.const 65536) (i32.const 65536))
    (call $put (local.get $fd) (local.get $name) (local.get $len))
    (call $check (call $close (local.get $fd)))))
"#;

fn expected(name: &str) -> Vec<u8> {
    let mut v = name.as_bytes().to_vec();
    v.resize(v.len() + 65536, *name.as_bytes().last().unwrap());
    v.extend_from_slice(name.as_bytes());
    v
}

/// The two tests run one at a time: each counts the descriptors of the whole process.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Checks that `out` holds exactly the files `names`, each whole.
fn assert_all_written(out: &Path, names: &[String]) {
    let mut want = names.to_vec();
    want.sort();
    assert_eq!(entries(out), want, "lost or extra files");
    for name in names {
        let got = std::fs::read(out.join(name)).unwrap();
        assert!(
            got == expected(name),
            "{name} is corrupt ({} bytes)",
            got.len()
        );
    }
}

/// Runs `jobs` (commands) with at most `width` at a time; every one must exit 0.
fn run_all(mut jobs: Vec<Command>, width: usize) {
    let mut running = Vec::new();
    jobs.reverse();
    while !jobs.is_empty() || !running.is_empty() {
        while running.len() < width {
            let Some(mut cmd) = jobs.pop() else { break };
            let child = loop {
                match cmd.stdin(Stdio::null()).stderr(Stdio::piped()).spawn() {
                    // A sibling's fork may still hold the executable open for writing.
                    Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                        std::thread::sleep(std::time::Duration::from_millis(10))
                    }
                    r => break r.unwrap(),
                }
            };
            running.push(child);
        }
        let child = running.remove(0);
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{:?}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Each test's directory: the writer module (`writer.wat`), the preopen it writes into
/// (`out`) and the `TMPDIR` whose emptiness afterwards is checked (`tmp`).
struct Scratch {
    dir: tempfile::TempDir,
    wat: PathBuf,
    out: PathBuf,
    tmp: PathBuf,
}

fn setup() -> Scratch {
    let dir = tempfile::tempdir().unwrap();
    let wat = dir.path().join("writer.wat");
    std::fs::write(&wat, WRITER).unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    Scratch { dir, wat, out, tmp }
}

#[test]
fn a_thousand_runs_eight_at_a_time_into_one_preopen() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Scratch {
        dir: tmp,
        wat,
        out,
        tmp: scratch,
    } = setup();
    let exe = tmp.path().join("writer");
    let status = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["compile", "--dir", "out::/out", "-o"])
        .arg(&exe)
        .arg(&wat)
        .status()
        .unwrap();
    assert!(status.success());
    let fds = open_fds();
    let names: Vec<String> = (0..1000).map(|i| format!("file-{i:04}")).collect();
    let jobs = names
        .iter()
        .map(|name| {
            let mut cmd = Command::new(&exe);
            cmd.arg(name)
                .current_dir(tmp.path())
                .env("TMPDIR", &scratch);
            cmd
        })
        .collect();
    let start = Instant::now();
    run_all(jobs, 8);
    eprintln!("1000 runs, 8 at a time: {:?}", start.elapsed());
    assert_all_written(&out, &names);
    assert_eq!(entries(&scratch), Vec::<String>::new(), "temporary files");
    assert_eq!(open_fds(), fds, "descriptors leaked into the test process");
}

#[test]
fn eight_concurrent_kiln_runs_of_one_module_share_the_cache() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Scratch {
        dir: tmp,
        wat,
        out,
        tmp: scratch,
    } = setup();
    let cache = tmp.path().join("cache");
    let fds = open_fds();
    let names: Vec<String> = (0..8).map(|i| format!("run-{i}")).collect();
    let jobs = names
        .iter()
        .map(|name| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_kiln"));
            cmd.args(["run", "--dir", "out::/out"])
                .arg(&wat)
                .arg("--")
                .arg(name)
                .current_dir(tmp.path())
                .env("TMPDIR", &scratch)
                .env("XDG_CACHE_HOME", &cache);
            cmd
        })
        .collect();
    let start = Instant::now();
    run_all(jobs, 8);
    eprintln!("8 concurrent kiln runs: {:?}", start.elapsed());
    assert_all_written(&out, &names);
    assert_eq!(entries(&scratch), Vec::<String>::new(), "temporary files");
    // One entry, whole and runnable; no builder's temporary file left beside it.
    let v1 = cache.join("kiln/v1");
    let left = entries(&v1);
    assert_eq!(left.len(), 1, "cache holds {left:?}");
    let again = Command::new(v1.join(&left[0]))
        .arg("again")
        .current_dir(tmp.path())
        .status()
        .unwrap();
    assert!(again.success());
    assert_eq!(std::fs::read(out.join("again")).unwrap(), expected("again"));
    assert_eq!(open_fds(), fds, "descriptors leaked into the test process");
}
