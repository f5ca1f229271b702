//! A small sphere ray tracer (f64, sqrt only), hashes the quantised image.
#[derive(Clone, Copy)]
struct V(f64, f64, f64);
impl V {
    fn add(self, o: V) -> V { V(self.0 + o.0, self.1 + o.1, self.2 + o.2) }
    fn sub(self, o: V) -> V { V(self.0 - o.0, self.1 - o.1, self.2 - o.2) }
    fn mul(self, k: f64) -> V { V(self.0 * k, self.1 * k, self.2 * k) }
    fn dot(self, o: V) -> f64 { self.0 * o.0 + self.1 * o.1 + self.2 * o.2 }
    fn norm(self) -> V { self.mul(1.0 / self.dot(self).sqrt()) }
}
struct Sphere { c: V, r: f64, col: V, refl: f64 }

fn hit(spheres: &[Sphere], o: V, d: V) -> Option<(f64, usize)> {
    let mut best: Option<(f64, usize)> = None;
    for (i, s) in spheres.iter().enumerate() {
        let oc = o.sub(s.c);
        let b = oc.dot(d);
        let c = oc.dot(oc) - s.r * s.r;
        let disc = b * b - c;
        if disc > 0.0 {
            let t = -b - disc.sqrt();
            if t > 1e-6 && best.map_or(true, |(bt, _)| t < bt) {
                best = Some((t, i));
            }
        }
    }
    best
}

fn trace(spheres: &[Sphere], o: V, d: V, depth: u32) -> V {
    let light = V(-0.5, 1.0, -0.7).norm();
    match hit(spheres, o, d) {
        None => V(0.2, 0.3, 0.5).mul(0.5 + 0.5 * d.1),
        Some((t, i)) => {
            let s = &spheres[i];
            let p = o.add(d.mul(t));
            let n = p.sub(s.c).norm();
            let shadow = hit(spheres, p, light).is_some();
            let diff = if shadow { 0.0 } else { n.dot(light).max(0.0) };
            let mut col = s.col.mul(0.1 + 0.9 * diff);
            if depth < 4 && s.refl > 0.0 {
                let r = d.sub(n.mul(2.0 * d.dot(n)));
                col = col.mul(1.0 - s.refl).add(trace(spheres, p, r, depth + 1).mul(s.refl));
            }
            col
        }
    }
}

fn main() {
    let w: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let h = w * 3 / 4;
    let mut spheres = vec![Sphere { c: V(0.0, -1000.0, 0.0), r: 999.0, col: V(0.6, 0.6, 0.6), refl: 0.2 }];
    let mut seed: u32 = 1;
    for i in 0..40 {
        seed = seed.wrapping_mul(1103515245).wrapping_add(12345);
        let x = ((seed >> 8) % 200) as f64 / 20.0 - 5.0;
        seed = seed.wrapping_mul(1103515245).wrapping_add(12345);
        let z = ((seed >> 8) % 200) as f64 / 20.0 + 2.0;
        let r = 0.2 + (i % 5) as f64 * 0.15;
        spheres.push(Sphere { c: V(x, -1.0 + r, z), r, col: V((i % 3) as f64 / 2.0, (i % 5) as f64 / 4.0, (i % 7) as f64 / 6.0), refl: if i % 4 == 0 { 0.5 } else { 0.0 } });
    }
    let mut hash: u64 = 1469598103934665603;
    let eye = V(0.0, 1.0, -4.0);
    for y in 0..h {
        for x in 0..w {
            let mut acc = V(0.0, 0.0, 0.0);
            for sy in 0..2 {
                for sx in 0..2 {
                    let u = (x as f64 + 0.25 + 0.5 * sx as f64) / w as f64 - 0.5;
                    let v = 0.5 - (y as f64 + 0.25 + 0.5 * sy as f64) / h as f64;
                    let d = V(u * 1.6, v * 1.2, 1.0).norm();
                    acc = acc.add(trace(&spheres, eye, d, 0));
                }
            }
            let q = |c: f64| ((c * 0.25).clamp(0.0, 1.0) * 255.0) as u64;
            hash = (hash ^ (q(acc.0) << 16 | q(acc.1) << 8 | q(acc.2))).wrapping_mul(1099511628211);
        }
    }
    println!("{}x{} hash={:016x}", w, h, hash);
}
