//! `run --partition I/N`: a deterministic I-th of N of the selected cases, for CI workers.
//!
//! Cases that share a setup stay together: the cases of one shared setup (a unit of
//! [`shared_setup::plan`]) and every case that reads the shared fixture, which is then built by
//! one partition only, so that the partitions together create what a whole run creates. Units are
//! spread by weight (the requests and waits they send, a setup counted once) with the greedy
//! longest-first rule: heaviest unit first, ties by the unit's first case id, each to the lightest
//! partition (ties to the lowest index). Nothing depends on the machine, the run or hash order.

use super::shared_setup;
use crate::cases::Case;
use serde::{Deserialize, Serialize};

/// One partition of a run: the `index`-th (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Partition {
    /// 1-based index, `1 <= index <= count`.
    pub index: usize,
    /// Number of partitions.
    pub count: usize,
}

/// Why a `--partition` value is not `I/N` with `1 <= I <= N`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartitionError {
    /// No `/` between the index and the count.
    #[error("`{text}`: no `/` (expected I/N with 1 <= I <= N, e.g. 2/3)")]
    NoSlash {
        /// The value given.
        text: String,
    },
    /// The index or the count is not a whole number.
    #[error("`{text}`: the {what} `{value}` is not a whole number (expected I/N with 1 <= I <= N, e.g. 2/3)")]
    NotANumber {
        /// The value given.
        text: String,
        /// `index` or `count`.
        what: &'static str,
        /// The part that is not a number.
        value: String,
        /// What the integer parser said.
        #[source]
        source: std::num::ParseIntError,
    },
    /// The count is 0.
    #[error("`{text}`: the count must be at least 1 (expected I/N with 1 <= I <= N, e.g. 2/3)")]
    NoCount {
        /// The value given.
        text: String,
    },
    /// The index is 0 or above the count.
    #[error("`{text}`: the index must be between 1 and {count} (expected I/N with 1 <= I <= N, e.g. 2/3)")]
    IndexOutOfRange {
        /// The value given.
        text: String,
        /// The count given.
        count: usize,
    },
}

impl Partition {
    /// Parses `I/N` (`1 <= I <= N`); the error says what is wrong.
    pub fn parse(text: &str) -> Result<Partition, PartitionError> {
        let text_owned = || text.to_owned();
        let (i, n) = text.trim().split_once('/').ok_or_else(|| PartitionError::NoSlash { text: text_owned() })?;
        let number = |s: &str, what: &'static str| {
            s.trim().parse::<usize>().map_err(|source| PartitionError::NotANumber {
                text: text_owned(),
                what,
                value: s.trim().to_owned(),
                source,
            })
        };
        let (index, count) = (number(i, "index")?, number(n, "count")?);
        if count == 0 {
            return Err(PartitionError::NoCount { text: text_owned() });
        }
        if index == 0 || index > count {
            return Err(PartitionError::IndexOutOfRange { text: text_owned(), count });
        }
        Ok(Partition { index, count })
    }

    /// `p2of3`: the tag in run ids and ledger file names.
    pub fn tag(self) -> String {
        format!("p{}of{}", self.index, self.count)
    }

    /// The ledger path of this partition: `-p2of3` before the extension, unless the file name
    /// already carries the tag (a path the caller made per partition).
    pub fn ledger_path(self, path: &std::path::Path) -> std::path::PathBuf {
        let tag = self.tag();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.contains(&tag) {
            return path.to_path_buf();
        }
        let renamed = match name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => format!("{stem}-{tag}.{ext}"),
            _ => format!("{name}-{tag}"),
        };
        path.with_file_name(renamed)
    }
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The units a partition never splits, as indices into `cases`, each in case id order, the
/// units in the order of their first case id.
pub(crate) fn units(cases: &[Case], share: bool) -> Vec<Vec<usize>> {
    let mut units: Vec<Vec<usize>> = Vec::new();
    let mut fixture: Vec<usize> = Vec::new();
    for unit in shared_setup::plan(cases, share) {
        // The shared fixture is one setup for every case that reads it, sharing on or off.
        if unit.iter().all(|&i| reads_fixture(&cases[i])) {
            fixture.extend(unit);
        } else {
            units.push(unit);
        }
    }
    if !fixture.is_empty() {
        units.push(fixture);
    }
    // By case id, not position: the same cases in another order make the same units.
    for unit in &mut units {
        unit.sort_by(|&a, &b| cases[a].id.cmp(&cases[b].id));
    }
    units.sort_by(|a, b| cases[a[0]].id.cmp(&cases[b[0]].id));
    units
}

fn reads_fixture(case: &Case) -> bool {
    case.fixture.is_some() && case.skip.is_none()
}

/// What a unit costs: every step of its first case (its setup is built once), then the last
/// step of each other case; a case that will not run costs one.
pub(crate) fn weight(cases: &[Case], unit: &[usize]) -> usize {
    let Some(&first) = unit.first() else { return 0 };
    if reads_fixture(&cases[first]) {
        return crate::cases::generate::recipes::fixture().steps.len() + unit.len();
    }
    let own = if cases[first].skip.is_some() { 1 } else { cases[first].steps.len().max(1) };
    own + unit.len() - 1
}

/// The partition (0-based) of each case of `cases`, spread over `count` partitions.
pub(crate) fn assign(cases: &[Case], share: bool, count: usize) -> Vec<usize> {
    let mut units: Vec<(usize, Vec<usize>)> = units(cases, share).into_iter().map(|u| (weight(cases, &u), u)).collect();
    // Heaviest first; equal weights by the id of their first case, which no run changes.
    units.sort_by(|(wa, a), (wb, b)| wb.cmp(wa).then_with(|| cases[a[0]].id.cmp(&cases[b[0]].id)));
    let mut load = vec![0usize; count.max(1)];
    let mut of_case = vec![0usize; cases.len()];
    for (w, unit) in units {
        let lightest = (0..load.len()).min_by_key(|&p| (load[p], p)).unwrap_or(0);
        load[lightest] += w;
        for i in unit {
            of_case[i] = lightest;
        }
    }
    of_case
}

/// Keeps the cases of `partition`, in their order.
pub(crate) fn select(cases: Vec<Case>, share: bool, partition: Partition) -> Vec<Case> {
    let of_case = assign(&cases, share, partition.count);
    cases.into_iter().zip(of_case).filter(|(_, p)| *p + 1 == partition.index).map(|(c, _)| c).collect()
}

/// The version of the harness and of the specs it judges with, for refusing to merge the
/// reports of different builds.
pub fn specs_version() -> String {
    let s = crate::spec::SpecSources::embedded();
    let texts = [&s.sdrs, &s.extensions, &s.dws, &s.errors, &s.states, &s.readings];
    format!("{} specs {}", env!("CARGO_PKG_VERSION"), crate::outcome::fingerprint(texts.iter().map(|t| t.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::prereq::Profile;
    use crate::runner::Pool;
    use std::collections::{BTreeMap, BTreeSet};

    /// The embedded suite as `run` selects it, shared onto the fixture when `share`.
    fn suite(share: bool) -> Vec<Case> {
        let specs = crate::spec::Specs::embedded();
        let scenarios = crate::runner::load_scenarios(&crate::runner::Files::Embedded, specs).expect("scenarios");
        let mut all = crate::cases::all(specs, scenarios);
        let pool = Pool::new(&Profile::emulator_default().prerequisites);
        for c in &mut all {
            if share {
                if let Some(shared) = crate::cases::share::onto_fixture(c) {
                    *c = shared;
                }
            }
            if c.skip.is_none() {
                c.skip = pool.impossible(&c.needs);
            }
        }
        all
    }

    fn ids(cases: &[Case]) -> Vec<String> {
        cases.iter().map(|c| c.id.clone()).collect()
    }

    #[test]
    fn good_partitions_parse_and_bad_ones_say_why() {
        assert_eq!(Partition::parse("2/3"), Ok(Partition { index: 2, count: 3 }));
        assert_eq!(Partition::parse(" 1 / 1 "), Ok(Partition { index: 1, count: 1 }));
        for (bad, why) in [
            ("0/3", "between 1 and 3"),
            ("4/3", "between 1 and 3"),
            ("1/0", "at least 1"),
            ("3", "no `/`"),
            ("a/3", "index `a`"),
            ("1/-2", "count `-2`"),
            ("", "no `/`"),
        ] {
            let e = Partition::parse(bad).expect_err(bad).to_string();
            assert!(e.contains(why) && e.contains("I/N"), "{bad}: {e}");
        }
        assert_eq!(Partition { index: 2, count: 3 }.to_string(), "2/3");
    }

    #[test]
    fn a_part_that_is_no_number_keeps_the_parse_error_as_its_source() {
        let e = Partition::parse("x/3").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`x/3`: the index `x` is not a whole number (expected I/N with 1 <= I <= N, e.g. 2/3)"
        );
        let source = std::error::Error::source(&e).expect("a source");
        assert_eq!(source.to_string(), "x".parse::<usize>().unwrap_err().to_string());
    }

    #[test]
    fn the_ledger_path_carries_the_partition_once() {
        let p = Partition { index: 2, count: 3 };
        let path = |s: &str| std::path::PathBuf::from(s);
        assert_eq!(p.ledger_path(&path("/state/ledger.jsonl")), path("/state/ledger-p2of3.jsonl"));
        assert_eq!(p.ledger_path(&path("ledger")), path("ledger-p2of3"));
        assert_eq!(p.ledger_path(&path("out/.ledger")), path("out/.ledger-p2of3"));
        assert_eq!(p.ledger_path(&path("ledger-p2of3.jsonl")), path("ledger-p2of3.jsonl"));
    }

    #[test]
    fn three_partitions_hold_every_case_exactly_once_with_and_without_sharing() {
        for share in [false, true] {
            let all = suite(share);
            let mut seen: BTreeMap<String, usize> = BTreeMap::new();
            for index in 1..=3 {
                let part = select(all.clone(), share, Partition { index, count: 3 });
                assert!(!part.is_empty(), "partition {index}/3 is empty (share {share})");
                for c in part {
                    if let Some(before) = seen.insert(c.id.clone(), index) {
                        panic!("{} is in partitions {before} and {index} (share {share})", c.id);
                    }
                }
            }
            assert_eq!(seen.keys().cloned().collect::<Vec<_>>(), ids(&all), "share {share}");
        }
    }

    #[test]
    fn the_same_partition_twice_holds_the_same_cases_whatever_order_the_cases_came_in() {
        let all = suite(true);
        let p = Partition { index: 2, count: 3 };
        let once = ids(&select(all.clone(), true, p));
        assert_eq!(once, ids(&select(all.clone(), true, p)));
        // Another order of the same cases (as another platform's directory listing might give)
        // puts the same ids in the partition.
        let mut reversed = all;
        reversed.reverse();
        let mut again = ids(&select(reversed, true, p));
        again.sort();
        assert_eq!(once, again);
    }

    #[test]
    fn partition_weights_differ_by_at_most_the_heaviest_unit() {
        for share in [false, true] {
            let all = suite(share);
            let units = units(&all, share);
            let heaviest = units.iter().map(|u| weight(&all, u)).max().unwrap_or(0);
            for count in [2, 3, 5] {
                let of_case = assign(&all, share, count);
                let mut load = vec![0usize; count];
                for u in &units {
                    load[of_case[u[0]]] += weight(&all, u);
                }
                let (min, max) = (load.iter().min().unwrap(), load.iter().max().unwrap());
                assert!(max - min <= heaviest, "share {share}, {count} partitions: {load:?}, heaviest {heaviest}");
                // A weight close to the total's share: no partition is left nearly idle.
                assert!(*min * 10 >= *max * 8, "share {share}, {count} partitions: {load:?}");
            }
        }
    }

    #[test]
    fn cases_of_one_setup_and_the_fixture_readers_stay_in_one_partition() {
        let all = suite(true);
        let of_case = assign(&all, true, 3);
        let mut by_key: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
        for (i, c) in all.iter().enumerate() {
            if let Some(key) = shared_setup::key_of(c) {
                by_key.entry(key).or_default().insert(of_case[i]);
            }
        }
        assert!(by_key.values().any(|_| true), "no shared setup in the suite");
        assert!(by_key.values().all(|p| p.len() == 1), "a shared setup split across partitions");
        let fixture: BTreeSet<usize> = (0..all.len()).filter(|&i| reads_fixture(&all[i])).map(|i| of_case[i]).collect();
        assert_eq!(fixture.len(), 1, "the fixture readers are in partitions {fixture:?}");
        // Without sharing, every case but the fixture readers is a unit of its own.
        let alone = suite(false);
        let units = units(&alone, false);
        let readers = alone.iter().filter(|c| reads_fixture(c)).count();
        assert_eq!(units.len(), alone.len() - readers + usize::from(readers > 0));
    }

    #[test]
    fn a_weight_counts_a_shared_setup_once() {
        let all = suite(true);
        let units = units(&all, true);
        let shared = units.iter().find(|u| u.len() > 2 && !reads_fixture(&all[u[0]])).expect("a shared unit");
        let first = all[shared[0]].steps.len();
        assert_eq!(weight(&all, shared), first + shared.len() - 1);
    }

    #[test]
    fn the_specs_version_names_the_harness_version() {
        assert!(specs_version().starts_with(env!("CARGO_PKG_VERSION")));
        assert_eq!(specs_version(), specs_version());
    }
}
