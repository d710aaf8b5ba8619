//! Heap and time of the message table's scan over real log text, line by line.
//!
//! `cargo run --release -p unloop-core --example message_scan_heap -- FILE_OR_DIR...`
//! (`*.log` and `*.txt` files; default: the workspace's `examples/`).
//! `ROUNDS=n` sets the timed passes (default 10).
//!
//! Live heap is counted by a wrapping global allocator. `first scan` is the
//! selector set's build; `after corpus scan` adds the set's lazy DFA cache
//! and the rows' own regexes that the corpus made the set select (compiled
//! on first use). The signature hashes every (line, row) hit, to compare
//! two builds' results. Prints figures, asserts nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

use unloop_core::diagnose::knowledge::messages;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let now =
                    LIVE.fetch_add(new_size - layout.size(), Relaxed) + new_size - layout.size();
                PEAK.fetch_max(now, Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static A: Counting = Counting;

fn files(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for e in entries {
            files(&e, out);
        }
    } else if p.extension().is_some_and(|e| e == "log" || e == "txt") {
        out.push(p.to_owned());
    }
}

fn mb(n: usize) -> f64 {
    n as f64 / (1 << 20) as f64
}

fn main() {
    let mut args: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if args.is_empty() {
        args.push(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples"
        )));
    }
    let mut paths = Vec::new();
    for a in &args {
        files(a, &mut paths);
    }
    let texts: Vec<String> = paths
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    let lines: Vec<&str> = texts.iter().flat_map(|t| t.lines()).collect();
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    println!(
        "corpus: {} files, {} lines, {:.2} MB",
        texts.len(),
        lines.len(),
        mb(bytes)
    );

    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    // Builds the table's set and the first search cache; matches no row.
    assert!(messages::scan("").is_empty());
    let built = LIVE.load(Relaxed) - base;
    let built_peak = PEAK.load(Relaxed) - base;
    println!(
        "first scan (set built): live {:>7.2} MB, peak {:>7.2} MB",
        mb(built),
        mb(built_peak)
    );

    let mut hits = 0usize;
    let mut sig = 0u64;
    for (i, l) in lines.iter().enumerate() {
        for h in messages::scan(l) {
            hits += 1;
            sig = sig.wrapping_mul(31).wrapping_add(i as u64);
            for b in h.pattern.id.bytes() {
                sig = sig.wrapping_mul(31).wrapping_add(u64::from(b));
            }
        }
    }
    let after = LIVE.load(Relaxed) - base;
    let after_peak = PEAK.load(Relaxed) - base;
    println!(
        "after corpus scan:      live {:>7.2} MB, peak {:>7.2} MB ({hits} hits, signature {sig:016x})",
        mb(after),
        mb(after_peak)
    );

    let rounds = std::env::var("ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let start = Instant::now();
    for _ in 0..rounds {
        for l in &lines {
            hits += messages::scan(l).len();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "scan time: {rounds} rounds in {secs:.3} s = {:.1} MB/s ({:.2} us/line)",
        mb(bytes * rounds) / secs,
        secs * 1e6 / (rounds * lines.len()) as f64
    );
    std::hint::black_box(hits);
    let end = LIVE.load(Relaxed) - base;
    println!(
        "end: live {:>7.2} MB, peak {:>7.2} MB",
        mb(end),
        mb(PEAK.load(Relaxed) - base)
    );
}
