//! Runs one `.wast` script: parses it, compiles its modules for the engine's architecture,
//! runs them on an [`Engine`] (this process's, or a runner's) and checks every outcome.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::embed::{InstantiateError, Trap, Unwind, Val};
use super::engine::{Engine, InstanceId, ModuleId};
use super::values;
use kiln_compiler::{CompileOptions, ModuleKind, Target, WasmFeatures};
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, WastInvoke, WastRet};

/// The outcome of one directive: its line and `Err(why)` when it failed.
pub type Outcome = (usize, Result<(), String>);

/// A parse buffer that, like wasmtime's runner, accepts the "confusing" unicode characters
/// `names.wast` uses on purpose.
fn buffer(src: &str) -> Result<ParseBuffer<'_>, String> {
    let mut lexer = wast::lexer::Lexer::new(src);
    lexer.allow_confusing_unicode(true);
    ParseBuffer::new_with_lexer(lexer).map_err(|e| e.to_string())
}

/// The lines of every directive of a script, in order.
pub fn directive_lines(src: &str) -> Result<Vec<usize>, String> {
    let src = super::legacy::unfold_try(src);
    let buf = buffer(&src)?;
    let wast = parser::parse::<Wast>(&buf).map_err(|e| e.to_string())?;
    Ok(wast
        .directives
        .iter()
        .map(|d| d.span().linecol_in(&src).0 + 1)
        .collect())
}

/// Runs every directive of `src` on `engine`, its modules compiled for the engine's
/// architecture with `features` (`None`: every feature Kiln compiles), reporting each
/// outcome as it is known (so a crash later in the script loses nothing already reported).
/// `Err` when the script does not parse or the engine's architecture has no target.
pub fn run(
    src: &str,
    features: Option<WasmFeatures>,
    engine: &mut dyn Engine,
    report: &mut dyn FnMut(Outcome),
) -> Result<(), String> {
    let unfolded = super::legacy::unfold_try(src);
    let src: &str = &unfolded;
    let buf = buffer(src)?;
    let wast = parser::parse::<Wast>(&buf).map_err(|e| e.to_string())?;
    // The engine runs objects for its own architecture, whatever this machine's (the
    // compiler's default target is x86-64 everywhere).
    let triple = format!("{}-unknown-linux-gnu", engine.arch());
    let target = Target::with_default_cpu(&triple)
        .map_err(|e| format!("no target for the engine's architecture: {e}"))?;
    let mut ctx = Context {
        engine,
        target,
        features,
        current: None,
        named: HashMap::new(),
        definitions: HashMap::new(),
    };
    for d in wast.directives {
        let line = d.span().linecol_in(src).0 + 1;
        let result = match catch_unwind(AssertUnwindSafe(|| ctx.directive(d))) {
            Ok(r) => r,
            Err(p) => Err(format!("panicked: {}", panic_message(&*p))),
        };
        report((line, result));
    }
    Ok(())
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic)".into()
    }
}

/// Why a module could not be turned into a runtime `Module`.
enum Build {
    /// The text could not be encoded to a binary (malformed text).
    Encode(String),
    /// `kiln_compiler::compile` rejected it.
    Rejected(String),
    /// The compiler panicked, or the engine could not load what it compiled: a bug.
    Broken(String),
}

impl Build {
    fn describe(&self) -> String {
        match self {
            Build::Encode(m) => format!("cannot encode the module: {m}"),
            Build::Rejected(m) => format!("compile error: {m}"),
            Build::Broken(m) => m.clone(),
        }
    }
}

/// Why a module could not be instantiated.
enum Inst {
    Build(Build),
    Runtime(InstantiateError),
}

impl Inst {
    fn describe(&self) -> String {
        match self {
            Inst::Build(b) => b.describe(),
            Inst::Runtime(InstantiateError::Link(m)) => format!("link error: {m}"),
            Inst::Runtime(InstantiateError::Trap(t)) => {
                format!("trap during instantiation: {}", t.message())
            }
            Inst::Runtime(InstantiateError::Exception) => {
                "uncaught exception during instantiation".into()
            }
            Inst::Runtime(InstantiateError::Other(m)) => format!("instantiation failed: {m}"),
        }
    }
}

struct Context<'e> {
    engine: &'e mut dyn Engine,
    /// What modules are compiled for: the engine's architecture.
    target: Target,
    /// What the script's modules may use.
    features: Option<WasmFeatures>,
    /// The most recently instantiated module.
    current: Option<InstanceId>,
    /// Instances by their `$id`.
    named: HashMap<String, InstanceId>,
    /// `(module definition $id ...)`.
    definitions: HashMap<String, ModuleId>,
}

/// Compiles a module as the engine will load it: a library for `target`.
fn compile(
    bytes: &[u8],
    target: &Target,
    features: Option<WasmFeatures>,
) -> Result<Vec<u8>, Build> {
    let opts = CompileOptions {
        kind: ModuleKind::Library,
        features,
        target: target.clone(),
        ..Default::default()
    };
    match catch_unwind(|| kiln_compiler::compile(bytes, &opts)) {
        Ok(Ok(obj)) => Ok(obj),
        Ok(Err(e)) => Err(Build::Rejected(e.to_string())),
        Err(p) => Err(Build::Broken(format!(
            "the compiler panicked: {}",
            panic_message(&*p)
        ))),
    }
}

fn encode(q: &mut QuoteWat<'_>) -> Result<Vec<u8>, Build> {
    q.encode().map_err(|e| Build::Encode(e.to_string()))
}

/// Whether `trap` is the trap a script's `assert_trap` names. Each kind has its own spec
/// phrase(s), matched as a prefix (scripts append detail, e.g. `uninitialized element 2`);
/// the runtime's own message is not consulted, since it may name several phrases (both
/// table-bounds traps print `undefined element: out of bounds table access`, as wasmtime's do).
fn trap_matches(trap: Trap, expected: &str) -> bool {
    let phrases: &[&str] = match trap {
        Trap::Unreachable => &["unreachable"],
        Trap::StackOverflow => &["call stack exhausted", "stack overflow"],
        Trap::MemoryOutOfBounds => &["out of bounds memory access"],
        // `call_indirect` past the end of the table.
        Trap::UndefinedElement => &["undefined element"],
        // `table.get/set/fill/copy/init` and active element segments out of range.
        Trap::TableOutOfBounds => &["out of bounds table access"],
        Trap::UninitializedElement => &["uninitialized element"],
        Trap::BadSignature => &[
            "indirect call type mismatch",
            "indirect call signature mismatch",
        ],
        Trap::IntegerOverflow => &["integer overflow"],
        Trap::IntegerDivisionByZero => &["integer divide by zero"],
        Trap::BadConversionToInteger => &["invalid conversion to integer"],
        Trap::UnknownImport | Trap::Interrupt | Trap::OutOfFuel => &[],
        // `call_ref` of null, `ref.as_non_null` of null, `throw_ref` of null.
        Trap::NullReference => &[
            "null function reference",
            "null exception reference",
            "null reference",
        ],
        Trap::HeapMisaligned => &["unaligned atomic"],
        Trap::AtomicWaitNonSharedMemory => &["atomic wait on non-shared memory"],
    };
    phrases.iter().any(|p| expected.starts_with(p))
}

impl Context<'_> {
    fn instance(&self, id: Option<wast::token::Id<'_>>) -> Result<InstanceId, String> {
        match id {
            Some(id) => self
                .named
                .get(id.name())
                .copied()
                .ok_or_else(|| format!("no instance named ${}", id.name())),
            None => self
                .current
                .ok_or_else(|| "no current instance (its module failed)".into()),
        }
    }

    /// Compiles a module and loads it into the engine.
    fn build(&mut self, q: &mut QuoteWat<'_>) -> Result<ModuleId, Build> {
        let bytes = encode(q)?;
        let object = compile(&bytes, &self.target, self.features)?;
        self.engine.load(object).map_err(Build::Broken)
    }

    fn build_and_instantiate(&mut self, q: &mut QuoteWat<'_>) -> Result<InstanceId, Inst> {
        let module = self.build(q).map_err(Inst::Build)?;
        self.engine.instantiate(module).map_err(Inst::Runtime)
    }

    fn invoke(&mut self, inv: &WastInvoke<'_>) -> Result<Result<Vec<Val>, Unwind>, String> {
        let inst = self.instance(inv.module)?;
        let args = inv
            .args
            .iter()
            .map(values::arg)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.engine.call(inst, inv.name, &args))
    }

    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Result<Vec<Val>, Unwind>, String> {
        match exec {
            WastExecute::Invoke(inv) => self.invoke(&inv),
            WastExecute::Get { module, global, .. } => {
                let inst = self.instance(module)?;
                Ok(Ok(vec![self.engine.global(inst, global)?]))
            }
            WastExecute::Wat(w) => {
                let mut q = QuoteWat::Wat(w);
                match self.build_and_instantiate(&mut q) {
                    Ok(_) => Ok(Ok(vec![])),
                    Err(Inst::Runtime(InstantiateError::Trap(t))) => Ok(Err(Unwind::Trap {
                        trap: t,
                        message: t.message().to_string(),
                    })),
                    Err(e) => Err(e.describe()),
                }
            }
        }
    }

    fn directive(&mut self, d: WastDirective<'_>) -> Result<(), String> {
        match d {
            WastDirective::Module(mut q) => {
                let name = q.name().map(|id| id.name().to_string());
                // A failed module leaves no current instance, so what follows fails too.
                self.current = None;
                let inst = self
                    .build_and_instantiate(&mut q)
                    .map_err(|e| e.describe())?;
                if let Some(n) = name {
                    self.named.insert(n, inst);
                }
                self.current = Some(inst);
                Ok(())
            }
            WastDirective::ModuleDefinition(mut q) => {
                let name = q.name().map(|id| id.name().to_string());
                let module = self.build(&mut q).map_err(|e| e.describe())?;
                if let Some(n) = name {
                    self.definitions.insert(n, module);
                }
                Ok(())
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                let module = module
                    .and_then(|m| self.definitions.get(m.name()).copied())
                    .ok_or("module instance of an unknown definition")?;
                let inst = self
                    .engine
                    .instantiate(module)
                    .map_err(|e| Inst::Runtime(e).describe())?;
                if let Some(i) = instance {
                    self.named.insert(i.name().to_string(), inst);
                }
                self.current = Some(inst);
                Ok(())
            }
            WastDirective::Register { name, module, .. } => {
                let inst = self.instance(module)?;
                self.engine.register(name, inst);
                Ok(())
            }
            WastDirective::Invoke(inv) => match self.invoke(&inv)? {
                Ok(_) => Ok(()),
                Err(u) => Err(describe_unwind(&u)),
            },
            WastDirective::AssertReturn { exec, results, .. } => {
                let got = match self.execute(exec)? {
                    Ok(v) => v,
                    Err(u) => return Err(describe_unwind(&u)),
                };
                check_results(&results, &got)
            }
            WastDirective::AssertTrap { exec, message, .. } => match self.execute(exec)? {
                Ok(v) => Err(format!(
                    "expected trap `{message}`, got [{}]",
                    v.iter().map(values::show).collect::<Vec<_>>().join(", ")
                )),
                Err(Unwind::Trap { trap, .. }) if trap_matches(trap, message) => Ok(()),
                Err(u) => Err(format!(
                    "expected trap `{message}`, got {}",
                    describe_unwind(&u)
                )),
            },
            WastDirective::AssertException { exec, .. } => match self.execute(exec)? {
                Err(Unwind::Exception { .. }) => Ok(()),
                Ok(v) => Err(format!(
                    "expected an exception, got [{}]",
                    v.iter().map(values::show).collect::<Vec<_>>().join(", ")
                )),
                Err(u) => Err(format!(
                    "expected an exception, got {}",
                    describe_unwind(&u)
                )),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call)? {
                Ok(_) => Err(format!("expected `{message}`, returned normally")),
                Err(Unwind::Trap {
                    trap: Trap::StackOverflow,
                    ..
                }) => Ok(()),
                Err(u) => Err(format!("expected `{message}`, got {}", describe_unwind(&u))),
            },
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            } => {
                let bytes = encode(&mut module).map_err(|e| e.describe())?;
                expect_rejected(&bytes, &self.target, self.features, message)
            }
            WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => {
                // Text the `wast` crate cannot even encode is malformed by definition.
                let Ok(bytes) = encode(&mut module) else {
                    return Ok(());
                };
                expect_rejected(&bytes, &self.target, self.features, message)
            }
            WastDirective::AssertUnlinkable {
                module, message, ..
            } => {
                let mut q = QuoteWat::Wat(module);
                match self.build_and_instantiate(&mut q) {
                    Ok(_) => Err(format!("expected link error `{message}`, instantiated")),
                    Err(Inst::Runtime(InstantiateError::Link(_))) => Ok(()),
                    Err(e) => Err(format!(
                        "expected link error `{message}`, got {}",
                        e.describe()
                    )),
                }
            }
            other => Err(format!(
                "unsupported directive {:?}",
                std::mem::discriminant(&other)
            )),
        }
    }
}

/// An invalid or malformed module must not compile (it is never loaded).
fn expect_rejected(
    bytes: &[u8],
    target: &Target,
    features: Option<WasmFeatures>,
    message: &str,
) -> Result<(), String> {
    match compile(bytes, target, features) {
        Err(Build::Rejected(_)) | Err(Build::Encode(_)) => Ok(()),
        Err(Build::Broken(m)) => Err(format!("expected rejection `{message}`; {m}")),
        Ok(_) => Err(format!(
            "expected rejection `{message}`, but the module compiled"
        )),
    }
}

fn describe_unwind(u: &Unwind) -> String {
    match u {
        Unwind::Trap { trap, message } => {
            // The runtime's message repeats the trap, then the wasm backtrace.
            let bt: Vec<&str> = message
                .lines()
                .skip(1)
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            // The kind too: two kinds may share a message.
            if bt.is_empty() {
                format!("trap `{}` [{trap:?}]", trap.message())
            } else {
                format!("trap `{}` [{trap:?}] ({})", trap.message(), bt.join(" "))
            }
        }
        Unwind::Exception { .. } => "uncaught exception".into(),
        Unwind::Exit(c) => format!("exit({c})"),
        Unwind::Error(m) => format!("error: {m}"),
    }
}

fn check_results(expected: &[WastRet<'_>], got: &[Val]) -> Result<(), String> {
    let show_got = || got.iter().map(values::show).collect::<Vec<_>>().join(", ");
    let show_expected = || {
        expected
            .iter()
            .map(values::show_pattern)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if expected.len() != got.len() {
        return Err(format!(
            "expected [{}], got [{}]",
            show_expected(),
            show_got()
        ));
    }
    for (e, g) in expected.iter().zip(got) {
        if !values::matches(e, g)? {
            return Err(format!(
                "expected [{}], got [{}]",
                show_expected(),
                show_got()
            ));
        }
    }
    Ok(())
}
