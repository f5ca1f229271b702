//! Strings, HashMap, BTreeMap, Vec sorting and dedup over generated words.
use std::collections::{BTreeMap, HashMap};

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_500_000);
    let mut s: u64 = 0x9E3779B97F4A7C15;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let syll = ["ka", "lo", "mi", "ne", "ru", "ta", "shi", "vo", "ze", "qu", "ph", "x"];
    let mut words: Vec<String> = Vec::with_capacity(n);
    for _ in 0..n {
        let r = next();
        let len = 1 + (r % 4) as usize;
        let mut w = String::new();
        for k in 0..len {
            w.push_str(syll[((r >> (8 + 4 * k)) % syll.len() as u64) as usize]);
        }
        words.push(w);
    }
    let mut freq: HashMap<&str, u64> = HashMap::new();
    for w in &words {
        *freq.entry(w.as_str()).or_insert(0) += 1;
    }
    let mut by_len: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for (w, _) in &freq {
        by_len.entry(w.len()).or_default().push(w);
    }
    let mut h: u64 = 1469598103934665603;
    for (len, ws) in by_len.iter_mut() {
        ws.sort_unstable();
        h = (h ^ *len as u64).wrapping_mul(1099511628211);
        for w in ws.iter() {
            h = (h ^ freq[w]).wrapping_mul(1099511628211);
        }
    }
    let mut sorted = words.clone();
    sorted.sort();
    sorted.dedup();
    let mut nums: Vec<u64> = (0..n).map(|_| next() % 1_000_000).collect();
    nums.sort_unstable();
    let median = nums[n / 2];
    let total: usize = words.iter().map(|w| w.len()).sum();
    println!("distinct={} sorted={} total_len={} median={} hash={:016x}", freq.len(), sorted.len(), total, median, h);
}
