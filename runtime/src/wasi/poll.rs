//! `poll_oneoff`: clocks and fd readiness. Not implemented yet (`ENOSYS`, bound in `mod.rs`).
