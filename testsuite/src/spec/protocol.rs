//! The messages between a script's process and a runner ([`super::remote`] sends
//! [`Request`]s, [`super::runner`] answers each with one [`Response`]): one [`Engine`]
//! call each, postcard-encoded, each frame its length (u32, little-endian) then its bytes.
//! The runner speaks first, a [`Hello`] naming its architecture.
//!
//! Values cross as their bits: a function reference is its address in the runner (the
//! script side only tells null from non-null), a trap its [`Trap`] code.
//!
//! [`Engine`]: super::engine::Engine

use std::io::{self, Read, Write};

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use super::embed::{InstantiateError, Trap, Unwind, Val};

/// Bumped on any change to the messages: a runner of another build refuses to talk.
pub const VERSION: u32 = 1;

/// The runner's first frame.
#[derive(Serialize, Deserialize, Debug)]
pub struct Hello {
    pub version: u32,
    /// `std::env::consts::ARCH` of the runner.
    pub arch: String,
}

#[derive(Serialize, Deserialize, Debug)]
pub enum Request {
    Load(Vec<u8>),
    Instantiate(u32),
    Register(String, u32),
    Call(u32, String, Vec<WireVal>),
    Global(u32, String),
}

#[derive(Serialize, Deserialize, Debug)]
pub enum Response {
    Loaded(Result<u32, String>),
    Instantiated(Result<u32, WireInstantiateError>),
    Registered,
    Called(Result<Vec<WireVal>, WireUnwind>),
    Global(Result<WireVal, String>),
}

/// [`Val`] with its function reference as an address.
#[derive(Serialize, Deserialize, Debug, Clone, Copy)]
pub enum WireVal {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    FuncRef(u64),
    ExternRef(u64),
    ExnRef(u64),
}

impl From<Val> for WireVal {
    fn from(v: Val) -> WireVal {
        match v {
            Val::I32(x) => WireVal::I32(x),
            Val::I64(x) => WireVal::I64(x),
            Val::F32(x) => WireVal::F32(x),
            Val::F64(x) => WireVal::F64(x),
            Val::V128(x) => WireVal::V128(x),
            Val::FuncRef(p) => WireVal::FuncRef(p as u64),
            Val::ExternRef(x) => WireVal::ExternRef(x),
            Val::ExnRef(x) => WireVal::ExnRef(x),
        }
    }
}

impl WireVal {
    /// The value in this process. A non-null function reference from another process
    /// becomes a pointer that must never be followed: the script side only shows it and
    /// tests it for null, and the runner refuses one as an argument ([`WireVal::to_local`]).
    pub fn to_val(self) -> Val {
        match self {
            WireVal::I32(x) => Val::I32(x),
            WireVal::I64(x) => Val::I64(x),
            WireVal::F32(x) => Val::F32(x),
            WireVal::F64(x) => Val::F64(x),
            WireVal::V128(x) => Val::V128(x),
            WireVal::FuncRef(p) => Val::FuncRef(p as usize as *const _),
            WireVal::ExternRef(x) => Val::ExternRef(x),
            WireVal::ExnRef(x) => Val::ExnRef(x),
        }
    }

    /// An argument in the runner: only a null function reference may cross (scripts
    /// pass no others, and an address from the other side would be a wild pointer here).
    pub fn to_local(self) -> Result<Val, String> {
        match self {
            WireVal::FuncRef(p) if p != 0 => Err("a non-null funcref argument".into()),
            v => Ok(v.to_val()),
        }
    }
}

#[derive(Serialize, Deserialize, Debug)]
pub enum WireInstantiateError {
    Link(String),
    Trap(u8),
    Exception,
    Other(String),
}

impl From<InstantiateError> for WireInstantiateError {
    fn from(e: InstantiateError) -> Self {
        match e {
            InstantiateError::Link(m) => WireInstantiateError::Link(m),
            InstantiateError::Trap(t) => WireInstantiateError::Trap(t as u8),
            InstantiateError::Exception => WireInstantiateError::Exception,
            InstantiateError::Other(m) => WireInstantiateError::Other(m),
        }
    }
}

impl WireInstantiateError {
    pub fn into_error(self) -> Result<InstantiateError, String> {
        Ok(match self {
            WireInstantiateError::Link(m) => InstantiateError::Link(m),
            WireInstantiateError::Trap(t) => InstantiateError::Trap(trap(t)?),
            WireInstantiateError::Exception => InstantiateError::Exception,
            WireInstantiateError::Other(m) => InstantiateError::Other(m),
        })
    }
}

#[derive(Serialize, Deserialize, Debug)]
pub enum WireUnwind {
    Trap { trap: u8, message: String },
    Exception { exn: WireVal, message: String },
    Exit(i32),
    Error(String),
}

impl From<Unwind> for WireUnwind {
    fn from(u: Unwind) -> Self {
        match u {
            Unwind::Trap { trap, message } => WireUnwind::Trap {
                trap: trap as u8,
                message,
            },
            Unwind::Exception { exn, message } => WireUnwind::Exception {
                exn: exn.into(),
                message,
            },
            Unwind::Exit(c) => WireUnwind::Exit(c),
            Unwind::Error(m) => WireUnwind::Error(m),
        }
    }
}

impl WireUnwind {
    pub fn into_unwind(self) -> Result<Unwind, String> {
        Ok(match self {
            WireUnwind::Trap { trap: t, message } => Unwind::Trap {
                trap: trap(t)?,
                message,
            },
            WireUnwind::Exception { exn, message } => Unwind::Exception {
                exn: exn.to_val(),
                message,
            },
            WireUnwind::Exit(c) => Unwind::Exit(c),
            WireUnwind::Error(m) => Unwind::Error(m),
        })
    }
}

fn trap(code: u8) -> Result<Trap, String> {
    Trap::ALL
        .into_iter()
        .find(|t| *t as u8 == code)
        .ok_or_else(|| format!("the runner sent an unknown trap code {code}"))
}

/// Writes one frame.
pub fn send<T: Serialize>(w: &mut impl Write, msg: &T) -> io::Result<()> {
    let bytes = postcard::to_allocvec(msg).map_err(io::Error::other)?;
    let len = u32::try_from(bytes.len()).map_err(io::Error::other)?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(&bytes)?;
    w.flush()
}

/// Reads one frame; `Ok(None)` at a clean end of the stream (before a frame starts).
pub fn receive<T: DeserializeOwned>(r: &mut impl Read) -> io::Result<Option<T>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut bytes = vec![0u8; u32::from_le_bytes(len) as usize];
    r.read_exact(&mut bytes)?;
    postcard::from_bytes(&bytes)
        .map(Some)
        .map_err(io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let mut buf = Vec::new();
        let req = Request::Call(
            3,
            "f".into(),
            vec![
                WireVal::V128(u128::MAX - 1),
                WireVal::F64(0x7ff8_0000_0000_0001),
            ],
        );
        send(&mut buf, &req).unwrap();
        send(&mut buf, &Response::Registered).unwrap();
        let mut r = &buf[..];
        let Some(Request::Call(3, name, args)) = receive::<Request>(&mut r).unwrap() else {
            panic!("not the call sent");
        };
        assert_eq!(name, "f");
        assert!(matches!(
            args[..],
            [WireVal::V128(v), WireVal::F64(0x7ff8_0000_0000_0001)] if v == u128::MAX - 1
        ));
        assert!(matches!(
            receive::<Response>(&mut r).unwrap(),
            Some(Response::Registered)
        ));
        assert!(receive::<Response>(&mut r).unwrap().is_none());
    }

    #[test]
    fn every_trap_crosses() {
        for t in Trap::ALL {
            let InstantiateError::Trap(back) =
                WireInstantiateError::from(InstantiateError::Trap(t))
                    .into_error()
                    .unwrap()
            else {
                panic!("not a trap");
            };
            assert_eq!(back, t);
        }
        assert!(trap(0).is_err());
    }
}
