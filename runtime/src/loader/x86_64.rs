//! The x86-64 half of the loader: which relocations need a GOT slot, what a PLT entry is,
//! and how each relocation type Cranelift emits is applied (the psABI's formulas:
//! S = symbol, A = addend, P = place, G = the symbol's GOT slot).

use object::elf;

use super::{Reloc, RelocError};

pub(super) const ARCHITECTURE: object::Architecture = object::Architecture::X86_64;

/// `jmp *disp32(%rip)`, padded to 8 bytes with `ud2`.
pub(super) const PLT_ENTRY: usize = 8;

/// Whether relocation type `r_type` refers to its symbol through a GOT slot.
pub(super) fn needs_got(r_type: u32) -> bool {
    matches!(
        r_type,
        elf::R_X86_64_GOTPCREL | elf::R_X86_64_GOTPCRELX | elf::R_X86_64_REX_GOTPCRELX
    )
}

/// Writes the PLT entry at `entry` (its address `at`) jumping through the GOT slot at
/// `got_slot`.
pub(super) fn write_plt_entry(entry: &mut [u8], at: usize, got_slot: usize) {
    let disp = got_slot as i64 - (at + 6) as i64;
    entry[..2].copy_from_slice(&[0xff, 0x25]);
    entry[2..6].copy_from_slice(&(disp as i32).to_le_bytes());
    entry[6..8].copy_from_slice(&[0x0f, 0x0b]);
}

/// Applies relocation `r` of type `r_type` to `place` (the bytes at P onwards).
pub(super) fn apply(r_type: u32, r: &Reloc, place: &mut [u8]) -> Result<(), RelocError> {
    let (s, a, p) = (r.symbol, r.addend, r.place);
    let write32 = |place: &mut [u8], v: i64, signed: bool| {
        let fits = if signed {
            i32::try_from(v).is_ok()
        } else {
            u32::try_from(v).is_ok()
        };
        if !fits {
            return Err(RelocError::Overflow);
        }
        place[..4].copy_from_slice(&(v as u32).to_le_bytes());
        Ok(())
    };
    match r_type {
        elf::R_X86_64_64 => place[..8].copy_from_slice(&(s.wrapping_add(a) as u64).to_le_bytes()),
        elf::R_X86_64_PC32 | elf::R_X86_64_PLT32 => {
            let mut target = s;
            if i32::try_from(s.wrapping_add(a).wrapping_sub(p)).is_err() {
                // A far host function: go through its PLT entry.
                if let Some(stub) = r.plt {
                    target = stub;
                }
            }
            write32(place, target.wrapping_add(a).wrapping_sub(p), true)?;
        }
        elf::R_X86_64_32 => write32(place, s.wrapping_add(a), false)?,
        elf::R_X86_64_32S => write32(place, s.wrapping_add(a), true)?,
        elf::R_X86_64_PC64 => {
            place[..8].copy_from_slice(&(s.wrapping_add(a).wrapping_sub(p) as u64).to_le_bytes());
        }
        _ if needs_got(r_type) => {
            let g = r.got.ok_or(RelocError::NoGotSlot)?;
            write32(place, g.wrapping_add(a).wrapping_sub(p), true)?;
        }
        _ => return Err(RelocError::Unsupported),
    }
    Ok(())
}
