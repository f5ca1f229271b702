//! Phases 2 and 3, translate and compile, scheduled together: each function body is
//! translated to CLIF just before it is compiled, on whichever of rayon's threads is free,
//! so only the functions in flight hold their CLIF. (Translating every body first and
//! compiling afterwards held all of it at once, most of the compiler's peak memory:
//! SQLite's 475 000 CLIF instructions took 50 MB, CPython's 3.5 million about 370 MB.)
//!
//! ```text
//! inlinees ─────────────────────► queue, largest body first ──► each thread, in a loop:
//!  the bodies small enough to be    (one shared counter)          take the next body,
//!  inlined, translated first, in                                  translate, inline the
//!  parallel; the small ones                                       small ones, compile
//!  among them are the callees the                                      │
//!  inliner may copy                                    results in function index order
//! ```
//!
//! Largest first, each thread taking the next body when it is done with one: a module's
//! biggest functions (an interpreter's dispatch loop) start at once instead of whenever
//! their turn in index order comes, so no thread is left compiling one while the others
//! are idle at the end.

use std::cmp::Reverse;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cranelift_codegen::ir::Function;
use cranelift_codegen::isa::TargetIsa;
use cranelift_codegen::Context;
use cranelift_frontend::FunctionBuilderContext;
use rayon::prelude::*;

use super::clif::{self, ClifFunc, WatText};
use super::compile::{self, CompiledFunc};
use super::Compiling;
use crate::environ::FunctionInput;
use crate::inline::{self, Candidates};
use crate::translate::ModuleCtx;
use crate::{CompileError, Observer, Phase};

/// A body waiting in the queue: its wasm, or what the inlinee pass made of it (boxed: a
/// translated function is large, and the queue holds one `Work` per defined function).
enum Work<'a> {
    Wasm(FunctionInput<'a>),
    Translated(Box<Result<ClifFunc, CompileError>>),
}

/// One body in the queue: its position among the defined functions and its work.
struct Queued<'a> {
    position: usize,
    work: Work<'a>,
}

/// What one thread did.
#[derive(Default)]
struct ThreadResults {
    compiled: Vec<(usize, Result<CompiledFunc, CompileError>)>,
    clif_insts: usize,
    translating: Duration,
    compiling: Duration,
}

/// Module ids of the defined functions whose bodies call no function (no `call`,
/// `call_indirect`, `call_ref` or `return_call*`), found before anything is compiled: a
/// function that calls only these may skip its stack-limit check (`compile.rs`). A body
/// that does not parse counts as calling; the validator reports it when it is translated.
fn calling_no_function(m: &ModuleCtx<'_>, bodies: &[FunctionInput<'_>]) -> HashSet<u32> {
    use wasmparser::Operator;
    bodies
        .par_iter()
        .filter(|input| {
            let Ok(mut ops) = input.body.get_operators_reader() else {
                return false;
            };
            while !ops.eof() {
                match ops.read() {
                    Ok(
                        Operator::Call { .. }
                        | Operator::CallIndirect { .. }
                        | Operator::CallRef { .. }
                        | Operator::ReturnCall { .. }
                        | Operator::ReturnCallIndirect { .. }
                        | Operator::ReturnCallRef { .. },
                    )
                    | Err(_) => return false,
                    Ok(_) => {}
                }
            }
            true
        })
        .filter_map(|input| m.func_ids[input.index as usize].map(|id| id.as_u32()))
        .collect()
}

/// Translates and compiles every body (`bodies`: the defined functions in index order),
/// inlining small callees when `inline`; returns the compiled functions in index order,
/// or the first error in index order. `wat` is `Some` to keep each function's CLIF text.
/// Reports [`Phase::Translate`] (the inlinees) and [`Phase::Compile`] (everything else).
pub(super) fn translate_and_compile(
    isa: &dyn TargetIsa,
    m: &ModuleCtx<'_>,
    bodies: Vec<FunctionInput<'_>>,
    inline: bool,
    wat: Option<&WatText>,
    observer: &dyn Observer,
) -> Result<Vec<CompiledFunc>, CompileError> {
    let count = bodies.len();
    let sizes: Vec<usize> = bodies.iter().map(|b| b.body.as_bytes().len()).collect();
    let no_wasm_calls = calling_no_function(m, &bodies);

    // The inlinees: translated in full before anything is compiled, since any function may
    // call them. Every other body waits in the queue as wasm.
    let start = Instant::now();
    let (small, large): (Vec<_>, Vec<_>) = bodies
        .into_iter()
        .enumerate()
        .partition(|&(p, _)| inline && sizes[p] <= inline::MAX_CALLEE_BODY_BYTES);
    observer.functions_started(Phase::Translate, small.len());
    let translated: Vec<Queued<'_>> = small
        .into_par_iter()
        .map_init(FunctionBuilderContext::new, |fctx, (position, input)| {
            let _compiling = Compiling::start(compile::describe_function(m.info, input.index));
            let result = clif::translate(m, input, fctx, wat);
            observer.function_done(Phase::Translate);
            Queued {
                position,
                work: Work::Translated(Box::new(result)),
            }
        })
        .collect();
    // Copies: the originals are compiled (and consumed) like every other function.
    let defined: HashSet<u32> = m.func_ids.iter().flatten().map(|id| id.as_u32()).collect();
    let callees: Vec<(u32, u32, Function)> = translated
        .iter()
        .filter_map(|q| match &q.work {
            Work::Translated(r) => r.as_ref().as_ref().ok(),
            Work::Wasm(_) => None,
        })
        .filter(|f| inline::inlinable(&f.func, &defined).is_some())
        .map(|f| (f.id.as_u32(), f.index, f.func.clone()))
        .collect();
    let candidates = Candidates::new(
        callees.iter().map(|(id, index, f)| (*id, *index, f)),
        &defined,
    );
    observer.phase_done(
        Phase::Translate,
        start.elapsed(),
        &format!(
            "{} of {count} functions (bodies of at most {} bytes), {} of them inlinable",
            translated.len(),
            inline::MAX_CALLEE_BODY_BYTES,
            callees.len()
        ),
    );

    let start = Instant::now();
    let mut queue: Vec<Queued<'_>> = large
        .into_iter()
        .map(|(position, input)| Queued {
            position,
            work: Work::Wasm(input),
        })
        .chain(translated)
        .collect();
    // Stable: equal sizes stay in index order.
    queue.sort_by_key(|q| Reverse(sizes[q.position]));
    let queue: Vec<Mutex<Option<Queued<'_>>>> =
        queue.into_iter().map(|q| Mutex::new(Some(q))).collect();
    let next = AtomicUsize::new(0);
    // The lowest position that failed: bodies after it need not be compiled, since only
    // the first error in index order is reported.
    let first_failure = AtomicUsize::new(usize::MAX);
    observer.functions_started(Phase::Compile, count);
    let threads = rayon::current_num_threads().clamp(1, count.max(1));
    let per_thread: Vec<ThreadResults> = (0..threads)
        .into_par_iter()
        .map(|_| {
            let mut ctx = Context::new();
            let mut fctx = FunctionBuilderContext::new();
            let mut done = ThreadResults::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(slot) = queue.get(i) else {
                    break;
                };
                let Queued { position, work } = slot
                    .lock()
                    .expect("not poisoned")
                    .take()
                    .expect("each slot is taken once");
                if position > first_failure.load(Ordering::Relaxed) {
                    continue;
                }
                let index = m.info.num_imported_funcs
                    + u32::try_from(position).expect("wasm function indices are u32");
                let _compiling = Compiling::start(compile::describe_function(m.info, index));
                let started = Instant::now();
                let translated = match work {
                    Work::Wasm(input) => clif::translate(m, input, &mut fctx, wat),
                    Work::Translated(result) => *result,
                };
                let translated_at = Instant::now();
                done.translating += translated_at - started;
                let result = translated.and_then(|f| {
                    done.clif_insts += f.func.dfg.num_insts();
                    compile::compile_translated(
                        isa,
                        m.info,
                        &mut ctx,
                        f,
                        &candidates,
                        wat,
                        &no_wasm_calls,
                    )
                });
                done.compiling += translated_at.elapsed();
                if result.is_err() {
                    first_failure.fetch_min(position, Ordering::Relaxed);
                }
                observer.function_done(Phase::Compile);
                done.compiled.push((position, result));
            }
            done
        })
        .collect();

    let mut by_position: Vec<Option<Result<CompiledFunc, CompileError>>> =
        std::iter::repeat_with(|| None).take(count).collect();
    let (mut clif_insts, mut translating, mut compiling) = (0, Duration::ZERO, Duration::ZERO);
    for t in per_thread {
        clif_insts += t.clif_insts;
        translating += t.translating;
        compiling += t.compiling;
        for (position, result) in t.compiled {
            by_position[position] = Some(result);
        }
    }
    let mut compiled = Vec::with_capacity(count);
    for result in by_position {
        // A body skipped after a failure comes after the failed one, which ends the loop.
        compiled.push(result.expect("compiled or skipped after an earlier failure")?);
    }
    let code: usize = compiled.iter().map(|c| c.bytes.len()).sum();
    observer.phase_done(
        Phase::Compile,
        start.elapsed(),
        &format!(
            "{count} functions into {clif_insts} CLIF instructions and {code} bytes of \
             machine code ({:.0} ms translating, {:.0} ms compiling, summed over {threads} \
             threads)",
            translating.as_secs_f64() * 1e3,
            compiling.as_secs_f64() * 1e3,
        ),
    );
    Ok(compiled)
}
