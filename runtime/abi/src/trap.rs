//! Trap codes shared by the compiler (which records where each can happen) and the
//! runtime (which reports them). Messages use wasmtime's wording, which is also the
//! wording of the spec tests' `assert_trap`.

/// Why wasm execution stopped abnormally. The discriminant is the byte stored in
/// [`crate::descriptor::TrapSite::trap`]; values are append-only.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Trap {
    StackOverflow = 1,
    MemoryOutOfBounds = 2,
    /// `call_indirect` with an index past the end of the table.
    UndefinedElement = 3,
    /// `call_indirect` of a null entry.
    UninitializedElement = 4,
    BadSignature = 5,
    IntegerOverflow = 6,
    IntegerDivisionByZero = 7,
    BadConversionToInteger = 8,
    Unreachable = 9,
    /// `table.get/set/fill/copy/init` out of range.
    TableOutOfBounds = 10,
    /// A call to an import Kiln could not satisfy (`--unknown-imports=trap`).
    UnknownImport = 11,
    /// `call_ref` of a null function reference, `ref.as_non_null` of a null reference,
    /// `throw_ref` of a null `exnref`.
    NullReference = 12,
    /// An atomic access whose effective address is not a multiple of its size.
    HeapMisaligned = 13,
    /// `memory.atomic.wait32/64` on a memory that is not shared.
    AtomicWaitNonSharedMemory = 14,
    /// The program ran past its `--timeout` (an interruption check saw the flag set).
    Interrupt = 15,
    /// The program used up its `--fuel` budget (a fuel check saw none left).
    OutOfFuel = 16,
}

impl Trap {
    pub const ALL: [Trap; 16] = [
        Trap::StackOverflow,
        Trap::MemoryOutOfBounds,
        Trap::UndefinedElement,
        Trap::UninitializedElement,
        Trap::BadSignature,
        Trap::IntegerOverflow,
        Trap::IntegerDivisionByZero,
        Trap::BadConversionToInteger,
        Trap::Unreachable,
        Trap::TableOutOfBounds,
        Trap::UnknownImport,
        Trap::NullReference,
        Trap::HeapMisaligned,
        Trap::AtomicWaitNonSharedMemory,
        Trap::Interrupt,
        Trap::OutOfFuel,
    ];

    pub fn from_u8(byte: u8) -> Option<Trap> {
        Trap::ALL.into_iter().find(|t| *t as u8 == byte)
    }

    /// The message printed after `wasm trap: `.
    pub fn message(self) -> &'static str {
        match self {
            Trap::StackOverflow => "call stack exhausted",
            Trap::MemoryOutOfBounds => "out of bounds memory access",
            // wasmtime 49 words both table-bounds traps this way.
            Trap::UndefinedElement => "undefined element: out of bounds table access",
            Trap::UninitializedElement => "uninitialized element",
            Trap::BadSignature => "indirect call type mismatch",
            Trap::IntegerOverflow => "integer overflow",
            Trap::IntegerDivisionByZero => "integer divide by zero",
            Trap::BadConversionToInteger => "invalid conversion to integer",
            Trap::Unreachable => "wasm `unreachable` instruction executed",
            Trap::TableOutOfBounds => "undefined element: out of bounds table access",
            Trap::UnknownImport => {
                "call to an import Kiln does not provide (compiled with --unknown-imports=trap)"
            }
            // wasmtime 49's wording for all three (the spec's are `null function reference`,
            // `null reference` and `null exception reference`).
            Trap::NullReference => "null reference",
            // wasmtime 49's wording (the spec tests' is `unaligned atomic` too).
            Trap::HeapMisaligned => "unaligned atomic",
            Trap::AtomicWaitNonSharedMemory => "atomic wait on non-shared memory",
            // wasmtime's wording for an epoch or timeout interruption (`-W timeout`).
            Trap::Interrupt => "interrupt",
            // wasmtime's wording when `-W fuel=N` runs out.
            Trap::OutOfFuel => "all fuel consumed by WebAssembly",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip() {
        for t in Trap::ALL {
            assert_eq!(Trap::from_u8(t as u8), Some(t));
        }
        assert_eq!(Trap::from_u8(0), None);
    }
}
