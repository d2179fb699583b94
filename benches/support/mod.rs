//! What the benchmarks share: one criterion configuration, so every table
//! of docs/benchmarks.md is measured the same way.

use std::time::Duration;

use criterion::Criterion;

/// Criterion with short, environment-tunable warm-up and measurement times
/// (`BENCH_WARMUP_SECS`, `BENCH_MEASURE_SECS`): `ci/bench/digest.sh` runs every
/// cell side by side in one process, where ratios matter more than the
/// absolute times of a shared machine.
pub(crate) fn criterion() -> Criterion {
    let secs = |var: &str, default: f64| {
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(Duration::from_secs_f64(default), Duration::from_secs_f64)
    };
    Criterion::default()
        .warm_up_time(secs("BENCH_WARMUP_SECS", 0.3))
        .measurement_time(secs("BENCH_MEASURE_SECS", 1.0))
        .sample_size(20)
}
