//! `path_*`: paths relative to a directory fd, confined to its preopen. Not implemented
//! yet (`ENOSYS`, bound in `mod.rs`).
