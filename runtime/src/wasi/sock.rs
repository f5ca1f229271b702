//! `sock_*`: sockets handed over by the launcher. None are handed over yet, so every
//! function returns `ENOSYS` (bound in `mod.rs`).
