//! `kiln-spec-runner`: runs compiled spec modules for `kiln-spec --runner CMD`, answering
//! `spec::protocol` requests on stdin and stdout until stdin closes (`spec::runner`).
//!
//! It holds the object loader and the runtime but no compiler and no script parser, so it
//! cross-builds quickly (`cargo build -p kiln-testsuite --no-default-features --bin
//! kiln-spec-runner --target aarch64-unknown-linux-gnu`) and does little beyond the
//! modules' own code under an emulator.

use std::io::{BufReader, BufWriter};
use std::os::fd::{FromRawFd, OwnedFd};

fn main() {
    // The protocol gets stdout to itself: its descriptor is moved aside, and descriptor 1
    // becomes stderr, so nothing else printed (a host function's output, a runtime
    // warning) can corrupt a frame.
    // SAFETY: plain descriptor calls on the process's own standard descriptors; the
    // duplicate is owned by nothing else.
    let protocol = unsafe {
        let fd = libc::dup(1);
        if fd < 0 || libc::dup2(2, 1) < 0 {
            eprintln!(
                "kiln-spec-runner: cannot set up stdout: {}",
                std::io::Error::last_os_error()
            );
            std::process::exit(2);
        }
        std::fs::File::from(OwnedFd::from_raw_fd(fd))
    };
    let mut input = BufReader::new(std::io::stdin().lock());
    let mut output = BufWriter::new(protocol);
    if let Err(e) = kiln_testsuite::spec::runner::serve(&mut input, &mut output) {
        eprintln!("kiln-spec-runner: {e}");
        std::process::exit(1);
    }
}
