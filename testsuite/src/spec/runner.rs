//! The runner's side of [`super::protocol`]: answers requests on a [`Local`] engine until
//! the other side closes the stream. `kiln-spec-runner` is this loop on stdin and stdout;
//! built for another architecture and run under an emulator, it is where that
//! architecture's code runs while the script's process compiles and checks.

use std::io::{self, Read, Write};

use super::engine::{Engine, InstanceId, Local, ModuleId};
use super::protocol::{self, Hello, Request, Response, WireVal};

/// Serves requests from `input`, writing the answers to `output`, until `input` ends.
pub fn serve(input: &mut impl Read, output: &mut impl Write) -> io::Result<()> {
    let hello = Hello {
        version: protocol::VERSION,
        arch: std::env::consts::ARCH.to_string(),
    };
    protocol::send(output, &hello)?;
    let mut engine = Local::new();
    while let Some(req) = protocol::receive::<Request>(input)? {
        let resp = answer(&mut engine, req);
        protocol::send(output, &resp)?;
    }
    Ok(())
}

fn answer(engine: &mut Local, req: Request) -> Response {
    match req {
        Request::Load(object) => Response::Loaded(engine.load(object).map(|m| m.0)),
        Request::Instantiate(m) => Response::Instantiated(
            engine
                .instantiate(ModuleId(m))
                .map(|i| i.0)
                .map_err(Into::into),
        ),
        Request::Register(name, i) => {
            engine.register(&name, InstanceId(i));
            Response::Registered
        }
        Request::Call(i, name, args) => {
            let args = match args.into_iter().map(WireVal::to_local).collect() {
                Ok(a) => a,
                Err(m) => {
                    return Response::Called(Err(protocol::WireUnwind::Error(m)));
                }
            };
            let args: Vec<_> = args;
            Response::Called(
                engine
                    .call(InstanceId(i), &name, &args)
                    .map(|vals| vals.into_iter().map(Into::into).collect())
                    .map_err(Into::into),
            )
        }
        Request::Global(i, name) => {
            Response::Global(engine.global(InstanceId(i), &name).map(Into::into))
        }
    }
}
