//! A small deterministic PRNG (xorshift64*, seeded through splitmix64).
//!
//! The generator must produce the same bytes for the same seed on every platform and
//! every Rust version, so it does not use any external or std randomness.

/// The generator; clone or [`Rng::fork`] it for independent streams.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        // splitmix64 scrambles small seeds (0, 1, 2, ...) into well-spread states.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng {
            state: if z == 0 { 0x2545_F491_4F6C_DD1D } else { z },
        }
    }

    /// A child generator whose stream does not depend on how much the parent is used later.
    pub fn fork(&mut self, salt: u64) -> Rng {
        Rng::new(self.next_u64() ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0), by 128-bit multiply-shift (Lemire, without the rejection step).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    #[inline]
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform float in [0, 1).
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One of `items` (not empty), uniformly.
    #[inline]
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Exponentially distributed with the given mean.
    pub fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }

    /// Lowercase alphanumerics as Kubernetes uses for generated names.
    pub fn k8s_suffix(&mut self, out: &mut Vec<u8>, n: usize) {
        const A: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        for _ in 0..n {
            out.push(A[self.below(A.len() as u64) as usize]);
        }
    }

    /// `n` lowercase hex digits.
    pub fn hex(&mut self, out: &mut Vec<u8>, n: usize) {
        const H: &[u8] = b"0123456789abcdef";
        let mut left = n;
        while left > 0 {
            let mut v = self.next_u64();
            for _ in 0..left.min(16) {
                out.push(H[(v & 15) as usize]);
                v >>= 4;
            }
            left -= left.min(16);
        }
    }

    /// A version-4 UUID string.
    pub fn uuid(&mut self, out: &mut Vec<u8>) {
        const H: &[u8] = b"0123456789abcdef";
        let a = self.next_u64();
        let b = self.next_u64();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&a.to_le_bytes());
        bytes[8..].copy_from_slice(&b.to_le_bytes());
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        for (i, byte) in bytes.iter().enumerate() {
            if i == 4 || i == 6 || i == 8 || i == 10 {
                out.push(b'-');
            }
            out.push(H[(byte >> 4) as usize]);
            out.push(H[(byte & 15) as usize]);
        }
    }

    /// [`Rng::uuid`] as a `String`.
    pub fn uuid_string(&mut self) -> String {
        let mut v = Vec::with_capacity(36);
        self.uuid(&mut v);
        String::from_utf8(v).expect("ascii")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..1000 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = Rng::new(1);
        for n in [1u64, 2, 3, 10, 1000, 1 << 40, u64::MAX] {
            for _ in 0..1000 {
                assert!(r.below(n) < n);
            }
        }
    }

    #[test]
    fn uuid_shape() {
        let u = Rng::new(3).uuid_string();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }
}
