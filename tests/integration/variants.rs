//! `--variant` on the command line: only with the embedded emulator for `run`, names checked
//! with a did-you-mean, and a run through `--endpoint` retrying what `serve --variant
//! retry-after` throttles on loopback.

use crate::common::{run_cli, totals, Serve, PROJECT};
use std::time::Duration;

const QUICK: Duration = Duration::from_secs(120);

#[test]
fn run_with_a_variant_and_an_endpoint_exits_2_saying_variants_are_for_the_embedded_emulator() {
    let out = run_cli(
        &["run", "--variant", "extra-keys", "--endpoint", "http://127.0.0.1:9", "--project-id", "p", "--token", "t"],
        &[],
        QUICK,
    );
    out.expect_code(2);
    assert!(out.stderr.contains("--variant applies to the embedded emulator only"), "{out}");
}

#[test]
fn an_unknown_variant_name_exits_2_with_the_closest_name_for_run_and_serve() {
    for args in [&["run", "--variant", "flat-erors"][..], &["serve", "--port", "0", "--variant", "flat-erors"][..]] {
        let out = run_cli(args, &[], QUICK);
        out.expect_code(2);
        assert!(out.stderr.contains("unknown variant `flat-erors`: did you mean `flat-errors`?"), "{out}");
    }
}

#[test]
fn a_run_through_a_loopback_endpoint_retries_the_gets_that_serve_throttles() {
    let serve = Serve::start(&["--variant", "retry-after", "--variant", "flat-errors"]);
    let out = run_cli(
        &["run", "--endpoint", &serve.url, "--project-id", PROJECT, "--filter", "listProtectionGroups"],
        &[("HW_AUTH_TOKEN", "variant-token-0123456789")],
        QUICK,
    );
    drop(serve);
    let t = totals(&out);
    assert!(t.passed >= 5, "only {} cases passed\n{out}", t.passed);
    assert_eq!(t.failed, 0, "a throttled GET reached the checks\n{out}");
    out.expect_code(0);
}

#[test]
fn run_with_variants_says_which_are_on_and_passes_the_cases_they_do_not_touch() {
    let out =
        run_cli(&["run", "--variant", "slow-jobs", "--variant", "retry-after", "--filter", "showQuotas"], &[], QUICK);
    out.expect_code(0);
    assert!(out.stdout.contains("variants switched on: slow-jobs, retry-after"), "{out}");
}
