//! `cargo bench`: the whole suite against the embedded emulator on loopback, cases per second,
//! the time of one request through the runner (checks included) against a bare kept-alive
//! reqwest round trip, the ratio of the two, and the peak memory of the process.

use sdrs_conformance::runner::Runner;
use std::sync::Arc;
use std::time::{Duration, Instant};

const ROUND_TRIPS: usize = 2000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn memory_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    // `cargo bench -- <filter>` passes arguments; this bench has one shape and ignores them.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let mut suite_times = Vec::new();
    let mut total_cases = 0;
    let mut rss_after = Vec::new();
    for round in 0..3 {
        let started = Instant::now();
        let report = runtime.block_on(async {
            let runner = Arc::new(Runner::new(sdrs_conformance::embedded::config()).await.expect("runner"));
            runner.run_all(|_| {}).await
        });
        let elapsed = started.elapsed();
        assert_eq!(report.summary.failed, 0, "the suite must pass against the emulator before it is measured");
        total_cases = report.summary.total;
        suite_times.push(elapsed);
        rss_after.push(memory_kb("VmRSS:"));
        eprintln!("suite run {}: {} cases in {:.2}s", round + 1, report.summary.total, elapsed.as_secs_f64());
    }
    suite_times.sort();
    let suite = suite_times[suite_times.len() / 2];

    // One request through the runner: a single-request case, checks included.
    let (runner_times, floor_times) = runtime.block_on(async {
        let mut config = sdrs_conformance::embedded::config();
        config.filters = vec!["showActiveDomains/positive".into()];
        config.scenarios = sdrs_conformance::runner::Files::None;
        let runner = Runner::new(config).await.expect("runner");
        let case = runner.cases()[0].clone();
        let mut through = Vec::with_capacity(ROUND_TRIPS);
        for _ in 0..ROUND_TRIPS {
            let t = Instant::now();
            let r = runner.run_case(&case).await;
            through.push(t.elapsed());
            assert!(!r.outcome.is_failure());
        }
        let target = runner.target_info().clone();
        let client = reqwest::Client::builder().no_proxy().build().expect("client");
        let url = format!("{}/v1/{}/active-domains", target.endpoint, target.project_id);
        let token = runner.bench_token();
        let mut bare = Vec::with_capacity(ROUND_TRIPS);
        for _ in 0..ROUND_TRIPS {
            let t = Instant::now();
            let resp = client.get(&url).header("X-Auth-Token", &token).send().await.expect("bare request");
            let _ = resp.bytes().await.expect("body");
            bare.push(t.elapsed());
        }
        (through, bare)
    });
    let mut r = runner_times;
    let mut f = floor_times;
    r.sort();
    f.sort();
    let (r50, r99, f50, f99) = (percentile(&r, 0.5), percentile(&r, 0.99), percentile(&f, 0.5), percentile(&f, 0.99));
    println!();
    println!(
        "sdrs-conformance benchmark ({} cores)",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    println!(
        "  whole suite (median of 3): {total_cases} cases in {:.3}s, {:.0} cases/s",
        suite.as_secs_f64(),
        total_cases as f64 / suite.as_secs_f64()
    );
    println!("  one request through the runner: median {:?}, p99 {:?}", r50, r99);
    println!("  bare reqwest round trip (floor): median {:?}, p99 {:?}", f50, f99);
    println!("  ratio runner/floor (median): {:.2}x", r50.as_secs_f64() / f50.as_secs_f64());
    println!("  peak memory (VmHWM): {} MiB", memory_kb("VmHWM:") / 1024);
    println!("  resident after each suite run: {:?} MiB", rss_after.iter().map(|k| k / 1024).collect::<Vec<_>>());
}
