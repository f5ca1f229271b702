//! `rust_program simd`: `core::arch::wasm32` SIMD intrinsics, and loops LLVM vectorises,
//! in functions compiled with `simd128` (the rest of the program is built without it).
//! Prints one line per kernel, floats as bits.

use core::arch::wasm32::*;

/// A run-time pseudo-random sequence (nothing is folded at compile time).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 32) as u32
    }
}

fn lanes(v: v128) -> [u32; 4] {
    [
        u32x4_extract_lane::<0>(v),
        u32x4_extract_lane::<1>(v),
        u32x4_extract_lane::<2>(v),
        u32x4_extract_lane::<3>(v),
    ]
}

/// Folds the intrinsic results over many random vectors into one hash per family.
#[target_feature(enable = "simd128")]
fn intrinsics(rng: &mut Lcg) -> Vec<(&'static str, u64)> {
    let mut hashes = vec![
        ("bytes", 0u64),
        ("words", 0),
        ("ints", 0),
        ("floats", 0),
        ("shuffles", 0),
    ];
    let mut mix = |i: usize, v: v128| {
        for l in lanes(v) {
            hashes[i].1 = (hashes[i].1 ^ u64::from(l)).wrapping_mul(0x100000001b3);
        }
    };
    for _ in 0..200 {
        let a = u32x4(rng.next(), rng.next(), rng.next(), rng.next());
        let b = u32x4(rng.next(), rng.next(), rng.next(), rng.next());
        let n = rng.next() % 40;
        mix(0, u8x16_add_sat(a, b));
        mix(0, i8x16_sub_sat(a, b));
        mix(0, u8x16_avgr(a, b));
        mix(0, i8x16_min(a, b));
        mix(0, u8x16_max(a, b));
        mix(0, i8x16_popcnt(a));
        mix(0, u8x16_narrow_i16x8(a, b));
        mix(0, i8x16_shr(a, n));
        mix(
            0,
            u32x4(
                u8x16_bitmask(a).into(),
                i8x16_all_true(a) as u32,
                v128_any_true(b) as u32,
                0,
            ),
        );
        mix(1, i16x8_mul(a, b));
        mix(1, i16x8_q15mulr_sat(a, b));
        mix(1, i16x8_extmul_low_i8x16(a, b));
        mix(1, u16x8_extadd_pairwise_u8x16(a));
        mix(1, i16x8_narrow_i32x4(a, b));
        mix(1, u16x8_shl(a, n));
        mix(2, i32x4_dot_i16x8(a, b));
        mix(2, i32x4_mul(a, b));
        mix(2, i64x2_mul(a, b));
        mix(2, i64x2_abs(a));
        mix(2, u32x4_lt(a, b));
        mix(2, i64x2_gt(a, b));
        mix(2, i64x2_shr(a, n));
        mix(2, u64x2_extend_high_u32x4(a));
        let f = f32x4_convert_i32x4(i32x4_shr(a, 8));
        let g = f32x4_div(f32x4_convert_u32x4(b), f32x4_splat(1024.0));
        mix(3, f32x4_add(f, g));
        mix(3, f32x4_mul(f, g));
        mix(3, f32x4_sqrt(f32x4_abs(f)));
        mix(3, f32x4_nearest(f32x4_div(f, g)));
        mix(3, f32x4_pmin(f, g));
        mix(3, f32x4_max(f, g));
        mix(3, i32x4_trunc_sat_f32x4(f32x4_mul(f, f)));
        mix(3, f64x2_promote_low_f32x4(g));
        mix(3, f64x2_floor(f64x2_convert_low_i32x4(a)));
        mix(
            3,
            f32x4_demote_f64x2_zero(f64x2_div(f64x2_convert_low_u32x4(a), f64x2_splat(3.0))),
        );
        mix(
            4,
            i8x16_shuffle::<1, 3, 5, 7, 9, 11, 13, 15, 16, 18, 20, 22, 24, 26, 28, 30>(a, b),
        );
        mix(4, i32x4_shuffle::<3, 2, 5, 4>(a, b));
        mix(4, i8x16_swizzle(a, u8x16_shr(b, 3)));
        mix(4, v128_bitselect(a, b, i32x4_splat(0x0f0f_f0f0)));
        mix(
            4,
            i8x16_replace_lane::<7>(a, u8x16_extract_lane::<2>(b) as i8),
        );
    }
    hashes
}

#[target_feature(enable = "simd128")]
fn dot(x: &[f32], y: &[f32]) -> f32 {
    let mut acc = f32x4_splat(0.0);
    let chunks = x.len() / 4;
    for i in 0..chunks {
        // SAFETY: `i * 4 + 4 <= len`; v128 loads need no alignment.
        let (a, b) = unsafe {
            (
                v128_load(x.as_ptr().add(i * 4).cast()),
                v128_load(y.as_ptr().add(i * 4).cast()),
            )
        };
        acc = f32x4_add(acc, f32x4_mul(a, b));
    }
    let mut s = f32x4_extract_lane::<0>(acc)
        + f32x4_extract_lane::<1>(acc)
        + (f32x4_extract_lane::<2>(acc) + f32x4_extract_lane::<3>(acc));
    for i in chunks * 4..x.len() {
        s += x[i] * y[i];
    }
    s
}

/// Left to LLVM's vectoriser.
#[target_feature(enable = "simd128")]
fn byte_stats(data: &[u8]) -> (u32, u8, u8) {
    let sum = data.iter().map(|&b| u32::from(b)).sum();
    let min = data.iter().copied().min().unwrap_or(0);
    let max = data.iter().copied().max().unwrap_or(0);
    (sum, min, max)
}

pub fn run() {
    let mut rng = Lcg(0x853c49e6748fea9b);
    // Calling a `simd128` function is safe on wasm: an engine without SIMD rejects the
    // whole module.
    for (name, h) in intrinsics(&mut rng) {
        println!("{name:<9} {h:016x}");
    }
    let x: Vec<f32> = (0..1027)
        .map(|_| (rng.next() % 2000) as f32 / 37.0 - 27.0)
        .collect();
    let y: Vec<f32> = (0..1027)
        .map(|_| (rng.next() % 2000) as f32 / 91.0)
        .collect();
    let d = dot(&x, &y);
    println!("dot       {:08x} {d}", d.to_bits());
    let data: Vec<u8> = (0..4099).map(|_| rng.next() as u8).collect();
    println!("stats     {:?}", byte_stats(&data));
}
