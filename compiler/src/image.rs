//! The initial memory image: when every active data segment has a constant offset inside
//! the memory's initial size, the compiler applies them itself and emits the result as one
//! blob aligned to the target's largest page size. An executable then maps it into linear memory copy-on-write, so
//! start-up time does not grow with the size of the data.

use kiln_abi::info::{ConstExpr, ModuleInfo, SegmentMode};
use kiln_abi::memory::WASM_PAGE_SIZE;

/// Zero bytes an image may contain beyond the segments themselves before it is not worth
/// it (a sparse layout would bloat the executable with zeros).
const MAX_EXTRA_ZEROS: u64 = 1 << 20;

pub(crate) struct Image {
    /// Where the image starts in linear memory (a multiple of the alignment).
    pub offset: u64,
    /// Whole pages of the alignment.
    pub bytes: Vec<u8>,
    /// The target's image alignment, which the blob must have in the object.
    pub align: u64,
}

/// Builds the image, or `None` when the runtime must apply the segments (imported memory,
/// several memories, computed offsets, a segment that would trap, or a too sparse layout). `align` is the
/// target's [`kiln_abi::target::Arch::image_align`]: the image's offset and length are
/// multiples of it.
pub(crate) fn build(info: &ModuleInfo, data: &[u8], align: u64) -> Option<Image> {
    // One defined memory: the image is memory 0's, and every active segment is in it.
    let [ty] = info.memories[..] else {
        return None;
    };
    if info.num_imported_memories != 0 {
        return None;
    }
    let limits = ty.limits;
    let size = limits.min.checked_mul(WASM_PAGE_SIZE)?;
    let mut segments = Vec::new();
    for seg in &info.data {
        if let SegmentMode::Active { offset, .. } = &seg.mode {
            let start = match *offset {
                ConstExpr::I32(offset) => u64::from(offset.cast_unsigned()),
                ConstExpr::I64(offset) => offset.cast_unsigned(),
                _ => return None,
            };
            let end = start.checked_add(u64::from(seg.len))?;
            if end > size {
                return None; // instantiation traps; the runtime reports it.
            }
            let bytes = &data[seg.start as usize..(seg.start + seg.len) as usize];
            if !bytes.is_empty() {
                segments.push((start, bytes));
            }
        }
    }
    let lo = segments.iter().map(|(s, _)| *s).min()? / align * align;
    let hi = segments
        .iter()
        .map(|(s, b)| s + b.len() as u64)
        .max()?
        .div_ceil(align)
        * align;
    let payload: u64 = segments.iter().map(|(_, b)| b.len() as u64).sum();
    if hi - lo > payload + MAX_EXTRA_ZEROS {
        return None;
    }
    // At most the segments' bytes (in memory) plus `MAX_EXTRA_ZEROS`, so it fits a usize.
    let len = usize::try_from(hi - lo).expect("checked against the in-memory payload above");
    let mut bytes = vec![0u8; len];
    for (start, seg) in segments {
        let at = usize::try_from(start - lo).expect("below `hi - lo`, which fits usize");
        bytes[at..at + seg.len()].copy_from_slice(seg);
    }
    Some(Image {
        offset: lo,
        bytes,
        align,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_abi::info::{DataSegment, Limits, MemoryType};

    fn module(segs: &[(i32, u32)], min_pages: u64) -> (ModuleInfo, Vec<u8>) {
        let mut info = ModuleInfo {
            memories: vec![MemoryType {
                limits: Limits {
                    min: min_pages,
                    max: None,
                },
                memory64: false,
                shared: false,
            }],
            ..Default::default()
        };
        let mut data = Vec::new();
        for (i, (offset, len)) in segs.iter().enumerate() {
            info.data.push(DataSegment {
                mode: SegmentMode::Active {
                    index: 0,
                    offset: ConstExpr::I32(*offset),
                },
                start: u32::try_from(data.len()).expect("test segments are small"),
                len: *len,
            });
            data.extend(std::iter::repeat_n(
                u8::try_from(i + 1).expect("fewer than 255 test segments"),
                *len as usize,
            ));
        }
        (info, data)
    }

    #[test]
    fn later_segments_overwrite_earlier_ones() {
        let (info, data) = module(&[(1024, 100), (1050, 10)], 1);
        let image = build(&info, &data, 4096).unwrap();
        assert_eq!(image.offset, 0);
        assert_eq!(image.bytes.len(), 4096);
        assert_eq!(image.bytes[1024], 1);
        assert_eq!(image.bytes[1050], 2);
        assert_eq!(image.bytes[1060], 1);
        assert_eq!(image.bytes[1124], 0);
    }

    #[test]
    fn offset_and_length_are_multiples_of_the_alignment() {
        let (info, data) = module(&[(70_000, 10), (200_000, 10)], 4);
        let small = build(&info, &data, 4096).unwrap();
        assert_eq!((small.offset, small.bytes.len()), (69_632, 131_072));
        // 64 KiB pages (AArch64 kernels may run with them).
        let big = build(&info, &data, 65536).unwrap();
        assert_eq!((big.offset, big.bytes.len()), (65_536, 196_608));
        assert_eq!(big.bytes[70_000 - 65_536], 1);
        assert_eq!(big.bytes[200_000 - 65_536], 2);
    }

    #[test]
    fn no_image_when_a_segment_would_trap() {
        let (info, data) = module(&[(65530, 10)], 1);
        assert!(build(&info, &data, 4096).is_none());
    }

    /// An extended constant offset that reads an imported global is only known at
    /// instantiation: the runtime applies the segments.
    #[test]
    fn no_image_when_an_offset_is_computed_at_instantiation() {
        use kiln_abi::info::ConstOp;
        let (mut info, data) = module(&[(0, 1), (100, 1)], 1);
        info.data[1].mode = SegmentMode::Active {
            index: 0,
            offset: ConstExpr::Extended(vec![
                ConstOp::GlobalGet(0),
                ConstOp::I32(4),
                ConstOp::I32Add,
            ]),
        };
        assert!(build(&info, &data, 4096).is_none());
    }

    #[test]
    fn no_image_when_sparse() {
        let (info, data) = module(&[(0, 1), (8 << 20, 1)], 256);
        assert!(build(&info, &data, 4096).is_none());
    }
}
