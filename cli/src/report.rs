//! What `kiln` tells the person waiting for it: `-v`'s phase timings and, on a terminal, a
//! progress bar for a compile that takes more than a second.
//!
//! The compiler reports through [`kiln_compiler::Observer`] from its worker threads; the
//! CLI adds its own phases (hashing, the cache, linking) through [`Reporter::phase`].
//! Timing lines are collected and written by [`Reporter::flush`] to the stream `kiln`
//! reports on, so in-process callers (the tests) see them too; the bar draws straight to
//! the terminal and only when stderr is one.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kiln_compiler::{Observer, Phase};

/// How long a phase runs before its progress bar appears: a quick compile stays silent.
const BAR_DELAY: Duration = Duration::from_secs(1);

/// Collects `-v` lines and drives the progress bar of one `kiln` command.
pub struct Reporter {
    verbose: bool,
    /// Whether a bar may be drawn: stderr is a terminal.
    bars: bool,
    lines: Mutex<Vec<String>>,
    bar: Mutex<Option<Bar>>,
    started: Instant,
}

struct Bar {
    bar: ProgressBar,
    since: Instant,
    shown: bool,
}

impl Reporter {
    /// Reports nothing.
    pub fn quiet() -> Reporter {
        Reporter::new(false, false)
    }

    /// With `verbose`, each phase and its time; with `bars`, progress bars (pass
    /// [`Reporter::terminal`] for "when stderr is a terminal").
    pub fn new(verbose: bool, bars: bool) -> Reporter {
        Reporter {
            verbose,
            bars,
            lines: Mutex::new(Vec::new()),
            bar: Mutex::new(None),
            started: Instant::now(),
        }
    }

    /// Whether stderr is a terminal, where a progress bar belongs.
    pub fn terminal() -> bool {
        std::io::stderr().is_terminal()
    }

    /// Records a phase that took `time` (shown with `-v`).
    pub fn phase(&self, name: &str, time: Duration, detail: &str) {
        if self.verbose {
            let ms = time.as_secs_f64() * 1e3;
            let line = format!("kiln: {name:<20} {ms:>9.2} ms  {detail}");
            self.lines.lock().expect("not poisoned").push(line);
        }
    }

    /// Times `work` as the phase `name`, with a detail computed from its result.
    pub fn time<T>(
        &self,
        name: &str,
        work: impl FnOnce() -> T,
        detail: impl Fn(&T) -> String,
    ) -> T {
        let start = Instant::now();
        let result = work();
        self.phase(name, start.elapsed(), &detail(&result));
        result
    }

    /// Writes the collected lines (and the total time since the command started) to `out`,
    /// after removing any progress bar.
    pub fn flush(&self, out: &mut dyn Write) {
        if let Some(bar) = self.bar.lock().expect("not poisoned").take() {
            bar.bar.finish_and_clear();
        }
        let lines = std::mem::take(&mut *self.lines.lock().expect("not poisoned"));
        if lines.is_empty() {
            return;
        }
        for line in &lines {
            let _ = writeln!(out, "{line}");
        }
        let total = self.started.elapsed().as_secs_f64() * 1e3;
        let _ = writeln!(out, "kiln: {:<20} {total:>9.2} ms", "total");
    }
}

impl Observer for Reporter {
    fn phase_done(&self, phase: Phase, time: Duration, detail: &str) {
        if let Some(bar) = self.bar.lock().expect("not poisoned").take() {
            bar.bar.finish_and_clear();
        }
        self.phase(phase.name(), time, detail);
    }

    fn functions_started(&self, phase: Phase, count: usize) {
        if !self.bars {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(count as u64), ProgressDrawTarget::hidden());
        let style = ProgressStyle::with_template(
            "kiln: {prefix:>18} [{bar:30}] {pos}/{len} functions, {elapsed} (eta {eta})",
        )
        .expect("a valid template")
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(phase.name());
        *self.bar.lock().expect("not poisoned") = Some(Bar {
            bar,
            since: Instant::now(),
            shown: false,
        });
    }

    fn function_done(&self, _phase: Phase) {
        if !self.bars {
            return;
        }
        let mut guard = self.bar.lock().expect("not poisoned");
        if let Some(b) = guard.as_mut() {
            b.bar.inc(1);
            if !b.shown && b.since.elapsed() >= BAR_DELAY {
                b.shown = true;
                b.bar.set_draw_target(ProgressDrawTarget::stderr());
            }
        }
    }
}
