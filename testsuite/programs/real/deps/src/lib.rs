//! Empty: this crate only exists to be fetched (see Cargo.toml).
