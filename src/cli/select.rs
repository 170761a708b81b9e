//! A selection that keeps no case is a usage error, never an empty success: the message names
//! the filters and suggests the closest case ids, operations, families, kinds or tags.

use super::CliError;
use crate::cases::Case;
use crate::edit_distance::distance;
use std::collections::BTreeSet;

/// Most suggestions shown per filter.
const MAX_SUGGESTIONS: usize = 4;

/// The error of `filters` keeping none of `all`.
pub(super) fn nothing_selected(filters: &[String], all: &[Case]) -> CliError {
    if filters.is_empty() {
        return CliError::usage("the suite holds no case: check --cases");
    }
    let names = filters.iter().map(|f| format!("--filter {f:?}")).collect::<Vec<_>>().join(" or ");
    let mut msg = format!(
        "no case matches {names} (a filter keeps the cases whose id, operation, family, kind or tag contains it)"
    );
    let candidates = candidates(all);
    for f in filters {
        let close = closest(f, &candidates);
        if !close.is_empty() {
            let shown: Vec<String> = close.iter().map(|c| format!("--filter {c}")).collect();
            msg.push_str(&format!("\n  for {f:?}, did you mean: {}?", shown.join(", ")));
        }
    }
    msg.push_str("\n  `sdrs-conformance list` shows every case id");
    CliError::usage(msg)
}

/// Every name a filter can match: ids and their `/`-prefixes, operations, families, kinds, tags.
fn candidates(all: &[Case]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for c in all {
        let mut prefix = String::new();
        for (i, segment) in c.id.split('/').enumerate() {
            if i > 0 {
                prefix.push('/');
            }
            prefix.push_str(segment);
            out.insert(prefix.clone());
        }
        out.extend([c.operation.clone(), c.family.clone(), c.kind.as_str().to_owned()]);
        out.extend(c.tags.iter().cloned());
    }
    out.remove("");
    out
}

/// The candidates within a few edits of `filter` (case-insensitive), closest first.
fn closest(filter: &str, candidates: &BTreeSet<String>) -> Vec<String> {
    let f = filter.to_ascii_lowercase();
    let bound = (f.chars().count() / 4).max(2);
    let mut scored: Vec<(usize, &String)> = candidates
        .iter()
        .filter_map(|c| {
            let d = distance(&f, &c.to_ascii_lowercase());
            (d <= bound).then_some((d, c))
        })
        .collect();
    scored.sort();
    // A near miss hides the farther ones: one edit away says more than five three edits away.
    let best = scored.first().map_or(0, |(d, _)| *d);
    scored.into_iter().take_while(|(d, _)| *d <= best + 1).take(MAX_SUGGESTIONS).map(|(_, c)| c.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Specs;

    fn suite() -> Vec<Case> {
        crate::cases::all(Specs::embedded(), Vec::new())
    }

    #[test]
    fn a_misspelt_operation_suggests_the_operation() {
        let msg = nothing_selected(&["createProtectionGrup".into()], &suite()).to_string();
        assert!(msg.contains("no case matches --filter \"createProtectionGrup\""), "{msg}");
        assert!(msg.contains("did you mean: --filter createProtectionGroup"), "{msg}");
    }

    #[test]
    fn a_misspelt_case_id_suggests_the_id() {
        let msg = nothing_selected(&["showProtectionGroup/postive".into()], &suite()).to_string();
        assert!(msg.contains("--filter showProtectionGroup/positive"), "{msg}");
    }

    #[test]
    fn every_filter_is_named_and_a_far_one_gets_no_suggestion() {
        let msg = nothing_selected(&["zzzzzzzzzzzz".into(), "negatve".into()], &suite()).to_string();
        assert!(msg.contains("--filter \"zzzzzzzzzzzz\" or --filter \"negatve\""), "{msg}");
        assert!(!msg.contains("for \"zzzzzzzzzzzz\""), "{msg}");
        assert!(msg.contains("for \"negatve\", did you mean: --filter negative"), "{msg}");
    }
}
