//! Raw multi-lane throughput: 256 equal-length messages per kernel, side by
//! side with the md-5 crate hashing them one after another.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use md5::{Digest as _, Md5};
use md5_lanes::{Kernel, Md5Lanes};

const BATCH: usize = 256;

fn bench(c: &mut Criterion) {
    for len in [64usize, 1500, 9000] {
        let data: Vec<Vec<u8>> = (0..BATCH).map(|i| vec![i as u8; len]).collect();
        let msgs: Vec<[&[u8]; 1]> = data.iter().map(|d| [d.as_slice()]).collect();
        let mut g = c.benchmark_group(format!("lanes.len{len}"));
        g.throughput(Throughput::Bytes((len * BATCH) as u64));
        g.bench_function("md5", |b| {
            b.iter(|| {
                msgs.iter()
                    .map(|[m]| <[u8; 16]>::from(Md5::digest(black_box(m))))
                    .collect::<Vec<_>>()
            })
        });
        for kernel in Kernel::ALL {
            let Ok(lanes) = Md5Lanes::with_kernel(kernel) else {
                eprintln!("SKIP {kernel}: not supported by this CPU");
                continue;
            };
            g.bench_function(kernel.name(), |b| b.iter(|| lanes.digest(black_box(&msgs))));
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20);
    targets = bench
}
criterion_main!(benches);
