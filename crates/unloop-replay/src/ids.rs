//! Identifiers the server makes up: UIDs and `generateName` suffixes.

use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// SplitMix64: a good 64-bit mix, enough for identifiers that need to be
/// distinct, not secret.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn hash(s: &str) -> u64 {
    // FNV-1a.
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn format_uuid(hi: u64, lo: u64) -> String {
    // Version 4, variant 1 bits, as a random UUID would carry.
    let hi = (hi & !0xF000) | 0x4000;
    let lo = (lo & !(0xC << 60)) | (0x8 << 60);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0xFFFF,
        lo >> 48,
        lo & 0xFFFF_FFFF_FFFF
    )
}

/// A UID that is always the same for the same seed (objects of a snapshot
/// that had none keep theirs across restarts).
pub fn uid_for(seed: &str) -> String {
    let h = hash(seed);
    format_uuid(mix(h), mix(h ^ 0x5555_5555_5555_5555))
}

fn fresh() -> u64 {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    mix(t ^ mix(n) ^ u64::from(std::process::id()))
}

/// A new UID.
pub fn new_uid() -> String {
    format_uuid(fresh(), fresh())
}

/// Five characters from the alphabet the real server's `generateName` uses
/// (no vowels, no confusable digits).
pub fn name_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut r = fresh();
    (0..5)
        .map(|_| {
            let c = ALPHABET[(r % ALPHABET.len() as u64) as usize] as char;
            r /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_look_like_uuids_and_are_stable_per_seed() {
        let a = uid_for("pods/ns/a");
        assert_eq!(a, uid_for("pods/ns/a"));
        assert_ne!(a, uid_for("pods/ns/b"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert_ne!(new_uid(), new_uid());
        let s = name_suffix();
        assert_eq!(s.len(), 5);
        assert!(s.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)));
    }
}
