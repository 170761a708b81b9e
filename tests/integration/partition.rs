//! Partitions and merged reports: `run --partition I/N` splits the selection into parts that
//! hold every case exactly once, the same parts every time, and `merge` turns their reports into
//! the whole run's; reports that do not make one run are refused, naming the file or partition.

use crate::common::{command, run_cli, Output, Proc};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// Bound of one embedded run.
const RUN: Duration = Duration::from_secs(600);

/// A whole embedded run and its three partitions, run side by side once for every test.
struct Runs {
    dir: PathBuf,
    whole: Output,
    parts: Vec<Output>,
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `run` with `args` and its three report files named `name.*` in `dir`, spawned.
fn spawn_run(dir: &Path, name: &str, args: &[&str]) -> Proc {
    let file = |ext: &str| dir.join(format!("{name}.{ext}")).to_string_lossy().into_owned();
    let mut all: Vec<String> = vec!["run".into()];
    all.extend(args.iter().map(|a| a.to_string()));
    for (flag, ext) in [("--json", "json"), ("--junit", "xml"), ("--report-md", "md")] {
        all.push(flag.into());
        all.push(file(ext));
    }
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    Proc::spawn(&format!("run {name}"), command(&all))
}

fn runs() -> &'static Runs {
    static RUNS: OnceLock<Runs> = OnceLock::new();
    RUNS.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("partition-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("report directory");
        // As CI workers would: the partitions at the same time, each with its own emulator.
        let parts: Vec<Proc> =
            (1..=3).map(|i| spawn_run(&dir, &format!("p{i}"), &["--partition", &format!("{i}/3")])).collect();
        let whole = spawn_run(&dir, "whole", &[]).finish(RUN);
        let parts: Vec<Output> = parts.into_iter().map(|p| p.finish(RUN)).collect();
        whole.expect_code(0);
        parts.iter().for_each(|p| p.expect_code(0));
        Runs { dir, whole, parts }
    })
}

fn ids(report: &Value) -> Vec<String> {
    report["cases"].as_array().expect("cases").iter().map(|c| c["id"].as_str().expect("id").to_owned()).collect()
}

/// The markdown between `## Matrix` and the next section.
fn matrix(md: &str) -> String {
    let start = md.find("## Matrix").expect("a matrix");
    let end = md[start..].find("## Failures").map_or(md.len(), |e| start + e);
    md[start..end].to_owned()
}

/// The `tests` attribute of `<testsuites>`.
fn junit_tests(xml: &str) -> usize {
    let re = regex::Regex::new(r#"<testsuites [^>]*tests="(\d+)""#).expect("regex");
    re.captures(xml).map(|c| c[1].parse().expect("count")).unwrap_or_else(|| panic!("no tests attribute:\n{xml}"))
}

fn merge(args: &[&str]) -> Output {
    let mut all = vec!["merge"];
    all.extend_from_slice(args);
    run_cli(&all, &[], Duration::from_secs(60))
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn three_partitions_hold_every_case_of_the_whole_run_exactly_once() {
    let r = runs();
    let whole = ids(&json(&r.dir.join("whole.json")));
    let mut seen = BTreeSet::new();
    for i in 1..=3 {
        let part = json(&r.dir.join(format!("p{i}.json")));
        let part_ids = ids(&part);
        assert!(part_ids.len() * 5 > whole.len(), "partition {i}/3 holds {} of {} cases", part_ids.len(), whole.len());
        for id in part_ids {
            assert!(seen.insert(id.clone()), "{id} is in two partitions");
        }
        assert_eq!(part["partition"]["index"], i);
        assert_eq!(part["partition"]["count"], 3);
        assert_eq!(part["partition"]["cases_selected"], whole.len());
        let run_id = part["target"]["run_id"].as_str().expect("run id");
        assert!(run_id.ends_with(&format!("-p{i}of3")), "run id {run_id}");
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), whole);
}

#[test]
fn the_merge_of_three_partitions_equals_the_whole_run() {
    let r = runs();
    let out_json = r.dir.join("merged.json");
    let out_xml = r.dir.join("merged.xml");
    let out_md = r.dir.join("merged.md");
    let inputs: Vec<PathBuf> = [3, 1, 2].iter().map(|i| r.dir.join(format!("p{i}.json"))).collect();
    let mut args = vec!["--json", path_str(&out_json), "--junit", path_str(&out_xml), "--report-md", path_str(&out_md)];
    args.extend(inputs.iter().map(|p| path_str(p)));
    let out = merge(&args);
    out.expect_code(0);
    assert!(out.stdout.contains("merged from 3 partitions: 1/3 "), "{out}");
    let (merged, whole) = (json(&out_json), json(&r.dir.join("whole.json")));
    let totals = |v: &Value| {
        let mut s = v["summary"].clone();
        s.as_object_mut().expect("summary").remove("duration_ms");
        s
    };
    assert_eq!(totals(&merged), totals(&whole));
    assert_eq!(ids(&merged), ids(&whole), "cases in the whole run's order");
    let outcomes = |v: &Value| v["cases"].as_array().unwrap().iter().map(|c| c["outcome"].clone()).collect::<Vec<_>>();
    assert_eq!(outcomes(&merged), outcomes(&whole));
    assert_eq!(merged["created_resources"], whole["created_resources"]);
    let slowest = (1..=3).map(|i| json(&r.dir.join(format!("p{i}.json")))["summary"]["duration_ms"].as_u64().unwrap());
    assert_eq!(merged["summary"]["duration_ms"].as_u64(), slowest.max());
    assert_eq!(merged["merged_from"].as_array().map(Vec::len), Some(3));
    let read = |p: &Path| std::fs::read_to_string(p).expect("report");
    assert_eq!(junit_tests(&read(&out_xml)), junit_tests(&read(&r.dir.join("whole.xml"))));
    assert_eq!(matrix(&read(&out_md)), matrix(&read(&r.dir.join("whole.md"))));
}

#[test]
fn each_report_of_a_partition_says_which_partition_it_is() {
    let r = runs();
    let read = |name: &str| std::fs::read_to_string(r.dir.join(name)).expect("report");
    let selected = ids(&json(&r.dir.join("whole.json"))).len();
    for (i, out) in r.parts.iter().enumerate() {
        let i = i + 1;
        let n = ids(&json(&r.dir.join(format!("p{i}.json")))).len();
        let line = format!("partition {i}/3 ({n} of {selected} selected cases)");
        assert!(out.stdout.contains(&line), "no `{line}` on the console\n{out}");
        assert!(read(&format!("p{i}.md")).contains(&format!("- P{}", &line[1..])), "markdown of {i}/3");
        assert!(read(&format!("p{i}.xml")).contains(&format!(r#"<property name="partition" value="{i}/3"/>"#)));
    }
    assert!(!r.whole.stdout.contains("partition "), "a whole run names no partition\n{}", r.whole);
}

#[test]
fn merge_refuses_reports_that_are_not_the_partitions_of_one_run() {
    let r = runs();
    let p = |i: usize| r.dir.join(format!("p{i}.json"));
    let dir = tempfile::tempdir().expect("temp dir");
    let refused = |args: &[&str], wanted: &str| {
        let out = merge(args);
        out.expect_code(2);
        assert!(out.stderr.contains(wanted), "merge {args:?}: no `{wanted}` in\n{out}");
    };
    let (p1, p2, p3) = (p(1), p(2), p(3));
    let (p1, p2, p3) = (path_str(&p1), path_str(&p2), path_str(&p3));
    refused(&[p1, p3], &format!("partition(s) 2/3 of 3 missing (given: 1/3 ({p1}), 3/3 ({p3}))"));
    refused(&[p1, p2, p3, p1], &format!("partition 1/3 is given twice: {p1} and {p1}"));
    // A case copied into another partition.
    let mut overlapping = json(&p(2));
    let stolen = json(&p(1))["cases"][0].clone();
    overlapping["cases"].as_array_mut().unwrap().push(stolen.clone());
    let edited = |name: &str, v: &Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_string(v).unwrap()).unwrap();
        path.to_string_lossy().into_owned()
    };
    let o = edited("overlap.json", &overlapping);
    refused(&[p1, &o, p3], &format!("the case {} is in {p1} and in {o}", stolen["id"].as_str().unwrap()));
    let mut other_version = json(&p(3));
    other_version["format_version"] = 99.into();
    let v = edited("version.json", &other_version);
    refused(&[p1, p2, &v], &format!("{v} has report format version 99, {p1} has 1"));
    let mut other_target = json(&p(3));
    other_target["target"]["kind"] = "endpoint".into();
    let t = edited("target.json", &other_target);
    refused(&[p1, p2, &t], "the target kind differs (endpoint against embedded-emulator)");
    let mut other_mode = json(&p(3));
    other_mode["target"]["mode"] = "readonly".into();
    let m = edited("mode.json", &other_mode);
    refused(&[p1, p2, &m], "the mode differs (readonly against full)");
    let mut other_specs = json(&p(3));
    other_specs["partition"]["specs"] = "9.9.9 specs 0000000000000000".into();
    let s = edited("specs.json", &other_specs);
    refused(&[p1, p2, &s], "the harness and specs version differs (9.9.9 specs 0000000000000000 against");
    let whole = r.dir.join("whole.json");
    refused(&[p1, p2, path_str(&whole)], "is not the report of a partition (run it with --partition I/N)");
    let missing = dir.path().join("none.json");
    refused(&[p1, path_str(&missing)], &format!("cannot read the report {}", missing.display()));
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\n  \"format_version\": 1,\n  oops\n}\n").unwrap();
    refused(&[p1, path_str(&bad)], &format!("{}:3:3: not a JSON report", bad.display()));
}

#[test]
fn a_bad_partition_is_a_usage_error_naming_the_rule() {
    for (bad, why) in [("0/3", "between 1 and 3"), ("4/3", "between 1 and 3"), ("2", "no `/`"), ("1/0", "at least 1")] {
        let out = run_cli(&["run", "--partition", bad], &[], Duration::from_secs(60));
        out.expect_code(2);
        assert!(out.stderr.contains(why) && out.stderr.contains("I/N"), "--partition {bad}\n{out}");
    }
}

#[test]
fn shared_setups_partition_the_same_way_every_time_and_cover_the_selection() {
    // Precondition cases of one state share a setup and negative cases read the shared fixture.
    let filters = ["--filter", "stopProtectionGroup", "--filter", "createProtectedInstance", "--share-fixtures"];
    let listed = run_cli(&["list", filters[0], filters[1], filters[2], filters[3]], &[], Duration::from_secs(60));
    listed.expect_code(0);
    let selection: Vec<String> = listed
        .stdout
        .lines()
        .filter(|l| l.contains("  ["))
        .map(|l| l.split("  [").next().unwrap().to_owned())
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let spawn = |name: &str, partition: &str| {
        let mut args = filters.to_vec();
        args.extend(["--partition", partition]);
        spawn_run(dir.path(), name, &args)
    };
    let procs: Vec<Proc> = vec![spawn("a1", "1/3"), spawn("a2", "2/3"), spawn("a3", "3/3"), spawn("again2", "2/3")];
    for p in procs {
        p.finish(RUN).expect_code(0);
    }
    let part = |name: &str| ids(&json(&dir.path().join(format!("{name}.json"))));
    assert_eq!(part("a2"), part("again2"), "the same partition twice");
    let mut union: Vec<String> = ["a1", "a2", "a3"].iter().flat_map(|n| part(n)).collect();
    let count = union.len();
    union.sort();
    union.dedup();
    assert_eq!(union.len(), count, "a case in two partitions");
    assert_eq!(union, selection);
    for name in ["a1", "a2", "a3"] {
        assert!(!part(name).is_empty(), "partition {name} is empty");
    }
    let merged = dir.path().join("merged.json");
    let inputs: Vec<String> = ["a1", "a2", "a3"]
        .iter()
        .map(|n| dir.path().join(format!("{n}.json")).to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["--json", path_str(&merged)];
    args.extend(inputs.iter().map(String::as_str));
    merge(&args).expect_code(0);
    assert_eq!(ids(&json(&merged)), selection);
}

#[test]
fn a_partition_that_gets_no_case_runs_none_and_still_merges() {
    let dir = tempfile::tempdir().expect("temp dir");
    let procs: Vec<Proc> = (1..=3)
        .map(|i| {
            spawn_run(
                dir.path(),
                &format!("q{i}"),
                &["--filter", "showQuotas/positive", "--partition", &format!("{i}/3")],
            )
        })
        .collect();
    let outs: Vec<Output> = procs.into_iter().map(|p| p.finish(RUN)).collect();
    let empty: Vec<&Output> = outs.iter().filter(|o| o.stdout.contains("holds none of the 1 selected cases")).collect();
    assert_eq!(empty.len(), 2, "two of three partitions get nothing");
    outs.iter().for_each(|o| o.expect_code(0));
    let inputs: Vec<String> =
        (1..=3).map(|i| dir.path().join(format!("q{i}.json")).to_string_lossy().into_owned()).collect();
    let merged = dir.path().join("merged.json");
    let mut args = vec!["--json", path_str(&merged)];
    args.extend(inputs.iter().map(String::as_str));
    merge(&args).expect_code(0);
    assert_eq!(ids(&json(&merged)), ["showQuotas/positive"]);
}
