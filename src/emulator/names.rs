//! Kebab-case names of switches (`--fault`, `--variant`): parsing with a did-you-mean.

use crate::edit_distance::distance;
use std::fmt;

/// A switch name that names nothing: what it was meant to name (`fault`, `variant`), the closest
/// valid name if one is close, and every valid name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct UnknownName {
    /// What the name was meant to name: `fault`, `variant`.
    pub kind: &'static str,
    /// The name as given (trimmed).
    pub name: String,
    /// The valid name closest to it, when one is close.
    pub closest: Option<&'static str>,
    /// Every valid name, in declaration order.
    pub valid: Vec<&'static str>,
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let UnknownName { kind, name, closest, valid } = self;
        write!(f, "unknown {kind} `{name}`")?;
        match closest {
            Some(n) => write!(f, ": did you mean `{n}`?")?,
            None => f.write_str(";")?,
        }
        write!(f, " valid {kind}s: {}", valid.join(", "))
    }
}

/// The item of `all` named `name` (kebab case; case and `_` for `-` are forgiven). The error,
/// about a `kind` (`fault`, `variant`), names the closest item, if one is close, and lists every
/// valid name.
pub(super) fn parse_named<T: Copy>(
    kind: &'static str,
    name: &str,
    all: &[T],
    name_of: fn(T) -> &'static str,
) -> Result<T, UnknownName> {
    let wanted = name.trim().to_ascii_lowercase().replace('_', "-");
    if let Some(item) = all.iter().find(|i| name_of(**i) == wanted) {
        return Ok(*item);
    }
    let valid: Vec<&'static str> = all.iter().map(|i| name_of(*i)).collect();
    let closest = valid
        .iter()
        .map(|n| (distance(&wanted, n), *n))
        .min()
        .filter(|(d, _)| *d <= (wanted.len() / 3).max(2))
        .map(|(_, n)| n)
        .or_else(|| valid.iter().copied().find(|n| !wanted.is_empty() && n.contains(wanted.as_str())));
    Err(UnknownName { kind, name: name.trim().to_owned(), closest, valid })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [&str; 3] = ["job-never-ends", "count-wrong", "no-auth"];

    fn parse(name: &str) -> Result<&'static str, UnknownName> {
        parse_named("fault", name, &ALL, |n| n)
    }

    #[test]
    fn a_close_name_is_suggested_in_the_message_and_kept_in_the_error() {
        let e = parse("count-wrnog").unwrap_err();
        assert_eq!(e.closest, Some("count-wrong"));
        assert_eq!(
            e.to_string(),
            "unknown fault `count-wrnog`: did you mean `count-wrong`? valid faults: job-never-ends, count-wrong, no-auth"
        );
    }

    #[test]
    fn a_far_name_gets_no_suggestion_but_the_list() {
        let e = parse(" zzzzzzzzzzzz ").unwrap_err();
        assert_eq!(e.closest, None);
        assert_eq!(e.to_string(), "unknown fault `zzzzzzzzzzzz`; valid faults: job-never-ends, count-wrong, no-auth");
    }
}
