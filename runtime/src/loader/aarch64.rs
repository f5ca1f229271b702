//! The AArch64 half of the loader: which relocations need a GOT slot, what a PLT entry (a
//! veneer for calls beyond a `bl`'s ±128 MiB) is, and how each relocation type Cranelift
//! emits is applied (the AArch64 ELF ABI's formulas: S = symbol, A = addend, P = place,
//! G = the symbol's GOT slot, Page(x) = x & !0xfff). Instructions are little-endian words;
//! a relocation rewrites only its immediate field.

use object::elf;

use super::{Reloc, RelocError};

pub(super) const ARCHITECTURE: object::Architecture = object::Architecture::Aarch64;

/// `adrp x16, slot; ldr x16, [x16, :lo12:slot]; br x16; udf #0`. x16 (IP0) is the
/// register the ABI leaves to linker veneers, so no caller keeps a value in it across a
/// call.
pub(super) const PLT_ENTRY: usize = 16;

/// Whether relocation type `r_type` refers to its symbol through a GOT slot.
pub(super) fn needs_got(r_type: u32) -> bool {
    matches!(
        r_type,
        elf::R_AARCH64_ADR_GOT_PAGE | elf::R_AARCH64_LD64_GOT_LO12_NC
    )
}

fn page(x: i64) -> i64 {
    x & !0xfff
}

fn read(place: &[u8]) -> u32 {
    u32::from_le_bytes(place[..4].try_into().expect("4 bytes"))
}

fn write(place: &mut [u8], insn: u32) {
    place[..4].copy_from_slice(&insn.to_le_bytes());
}

/// `adr`/`adrp`'s 21-bit immediate: its low 2 bits in bits 29-30, the rest in bits 5-23.
fn with_adr_imm(insn: u32, imm: i64) -> Result<u32, RelocError> {
    if !(-(1 << 20)..(1 << 20)).contains(&imm) {
        return Err(RelocError::Overflow);
    }
    let imm = imm as u32 & 0x1f_ffff;
    Ok((insn & !((0x3 << 29) | (0x7_ffff << 5))) | ((imm & 0x3) << 29) | ((imm >> 2) << 5))
}

/// An `add`/`ldr`/`str`'s 12-bit unsigned immediate (bits 10-21), already scaled.
fn with_imm12(insn: u32, imm: u32) -> u32 {
    (insn & !(0xfff << 10)) | ((imm & 0xfff) << 10)
}

/// Writes the PLT entry at `entry` (its address `at`) jumping through the GOT slot at
/// `got_slot`.
pub(super) fn write_plt_entry(entry: &mut [u8], at: usize, got_slot: usize) {
    const ADRP_X16: u32 = 0x9000_0010;
    const LDR_X16_X16: u32 = 0xf940_0210;
    const BR_X16: u32 = 0xd61f_0200;
    const UDF: u32 = 0;
    let pages = (page(got_slot as i64) - page(at as i64)) >> 12;
    // The GOT follows the code in the same mapping, far closer than ±4 GiB.
    let adrp = with_adr_imm(ADRP_X16, pages).unwrap_or_else(|_| panic!("GOT out of adrp range"));
    let ldr = with_imm12(LDR_X16_X16, (got_slot as u32 & 0xfff) >> 3);
    for (i, insn) in [adrp, ldr, BR_X16, UDF].into_iter().enumerate() {
        write(&mut entry[i * 4..], insn);
    }
}

/// Applies relocation `r` of type `r_type` to `place` (the bytes at P onwards).
pub(super) fn apply(r_type: u32, r: &Reloc, place: &mut [u8]) -> Result<(), RelocError> {
    let (s, a, p) = (r.symbol, r.addend, r.place);
    let sa = s.wrapping_add(a);
    match r_type {
        elf::R_AARCH64_ABS64 => place[..8].copy_from_slice(&(sa as u64).to_le_bytes()),
        elf::R_AARCH64_PREL64 => {
            place[..8].copy_from_slice(&(sa.wrapping_sub(p) as u64).to_le_bytes())
        }
        elf::R_AARCH64_PREL32 => {
            let v = i32::try_from(sa.wrapping_sub(p)).map_err(|_| RelocError::Overflow)?;
            place[..4].copy_from_slice(&v.to_le_bytes());
        }
        elf::R_AARCH64_ABS32 => {
            let v = u32::try_from(sa).map_err(|_| RelocError::Overflow)?;
            place[..4].copy_from_slice(&v.to_le_bytes());
        }
        elf::R_AARCH64_CALL26 | elf::R_AARCH64_JUMP26 => {
            let fits = |d: i64| d & 3 == 0 && (-(1 << 27)..(1 << 27)).contains(&d);
            let mut d = sa.wrapping_sub(p);
            if !fits(d) {
                // A far host function: branch to its PLT entry instead.
                if let Some(stub) = r.plt {
                    d = stub.wrapping_add(a).wrapping_sub(p);
                }
            }
            if !fits(d) {
                return Err(RelocError::Overflow);
            }
            let insn = read(place);
            write(
                place,
                (insn & !0x03ff_ffff) | ((d >> 2) as u32 & 0x03ff_ffff),
            );
        }
        elf::R_AARCH64_ADR_PREL_LO21 => {
            let insn = with_adr_imm(read(place), sa.wrapping_sub(p))?;
            write(place, insn);
        }
        elf::R_AARCH64_ADR_PREL_PG_HI21 | elf::R_AARCH64_ADR_PREL_PG_HI21_NC => {
            let pages = (page(sa) - page(p)) >> 12;
            let insn = if r_type == elf::R_AARCH64_ADR_PREL_PG_HI21_NC {
                with_adr_imm(read(place), (pages << 43) >> 43)?
            } else {
                with_adr_imm(read(place), pages)?
            };
            write(place, insn);
        }
        elf::R_AARCH64_ADD_ABS_LO12_NC | elf::R_AARCH64_LDST8_ABS_LO12_NC => {
            write(place, with_imm12(read(place), sa as u32 & 0xfff));
        }
        elf::R_AARCH64_LDST16_ABS_LO12_NC => {
            write(place, with_imm12(read(place), (sa as u32 & 0xfff) >> 1));
        }
        elf::R_AARCH64_LDST32_ABS_LO12_NC => {
            write(place, with_imm12(read(place), (sa as u32 & 0xfff) >> 2));
        }
        elf::R_AARCH64_LDST64_ABS_LO12_NC => {
            write(place, with_imm12(read(place), (sa as u32 & 0xfff) >> 3));
        }
        elf::R_AARCH64_LDST128_ABS_LO12_NC => {
            write(place, with_imm12(read(place), (sa as u32 & 0xfff) >> 4));
        }
        elf::R_AARCH64_ADR_GOT_PAGE => {
            // The slot holds S; a GOT relocation's addend is always 0 from Cranelift.
            let g = r.got.ok_or(RelocError::NoGotSlot)?;
            let insn = with_adr_imm(read(place), (page(g.wrapping_add(a)) - page(p)) >> 12)?;
            write(place, insn);
        }
        elf::R_AARCH64_LD64_GOT_LO12_NC => {
            let g = r.got.ok_or(RelocError::NoGotSlot)?;
            write(
                place,
                with_imm12(read(place), (g.wrapping_add(a) as u32 & 0xfff) >> 3),
            );
        }
        _ => return Err(RelocError::Unsupported),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reloc(symbol: i64, place: i64) -> Reloc {
        Reloc {
            symbol,
            addend: 0,
            place,
            got: None,
            plt: None,
        }
    }

    /// Encodings checked against GNU as's output for the same instructions.
    #[test]
    fn immediates_land_in_their_fields() {
        // bl .+0x100 (from `bl .`: 0x94000000).
        let mut w = 0x9400_0000u32.to_le_bytes();
        apply(elf::R_AARCH64_CALL26, &reloc(0x1100, 0x1000), &mut w)
            .ok()
            .unwrap();
        assert_eq!(u32::from_le_bytes(w), 0x9400_0040);
        // bl .-4
        let mut w = 0x9400_0000u32.to_le_bytes();
        apply(elf::R_AARCH64_CALL26, &reloc(0x0ffc, 0x1000), &mut w)
            .ok()
            .unwrap();
        assert_eq!(u32::from_le_bytes(w), 0x97ff_ffff);
        // adrp x0, .+0x3000 (three pages on): immlo = 3, immhi = 0.
        let mut w = 0x9000_0000u32.to_le_bytes();
        apply(
            elf::R_AARCH64_ADR_PREL_PG_HI21,
            &reloc(0x4abc, 0x1010),
            &mut w,
        )
        .ok()
        .unwrap();
        assert_eq!(u32::from_le_bytes(w), 0xf000_0000);
        // add x0, x0, #0xabc
        let mut w = 0x9100_0000u32.to_le_bytes();
        apply(elf::R_AARCH64_ADD_ABS_LO12_NC, &reloc(0x4abc, 0), &mut w)
            .ok()
            .unwrap();
        assert_eq!(u32::from_le_bytes(w), 0x912a_f000);
        // ldr x0, [x0, #0xab8]
        let mut w = 0xf940_0000u32.to_le_bytes();
        apply(elf::R_AARCH64_LDST64_ABS_LO12_NC, &reloc(0x4ab8, 0), &mut w)
            .ok()
            .unwrap();
        assert_eq!(u32::from_le_bytes(w), 0xf945_5c00);
    }

    #[test]
    fn a_far_call_goes_through_its_plt_entry_or_fails() {
        let far = 1i64 << 40;
        let mut w = 0x9400_0000u32.to_le_bytes();
        assert!(matches!(
            apply(elf::R_AARCH64_CALL26, &reloc(far, 0x1000), &mut w),
            Err(RelocError::Overflow)
        ));
        let r = Reloc {
            plt: Some(0x2000),
            ..reloc(far, 0x1000)
        };
        apply(elf::R_AARCH64_CALL26, &r, &mut w).ok().unwrap();
        assert_eq!(u32::from_le_bytes(w), 0x9400_0400);
    }

    #[test]
    fn plt_entry_loads_its_slot() {
        let mut e = [0u8; PLT_ENTRY];
        // Entry at 0x10_0ff0, slot at 0x10_2ab8: two pages on, offset 0xab8.
        write_plt_entry(&mut e, 0x10_0ff0, 0x10_2ab8);
        let w: Vec<u32> = e
            .chunks(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(w, [0xd000_0010, 0xf945_5e10, 0xd61f_0200, 0]);
    }
}
