//! Kebab-case names of switches (`--fault`, `--variant`): parsing with a did-you-mean.

use crate::edit_distance::distance;

/// The item of `all` named `name` (kebab case; case and `_` for `-` are forgiven). The error,
/// about a `kind` (`fault`, `variant`), names the closest item, if one is close, and lists every
/// valid name.
pub(super) fn parse_named<T: Copy>(
    kind: &str,
    name: &str,
    all: &[T],
    name_of: fn(T) -> &'static str,
) -> Result<T, String> {
    let wanted = name.trim().to_ascii_lowercase().replace('_', "-");
    if let Some(item) = all.iter().find(|i| name_of(**i) == wanted) {
        return Ok(*item);
    }
    let valid: Vec<&str> = all.iter().map(|i| name_of(*i)).collect();
    let closest = valid
        .iter()
        .map(|n| (distance(&wanted, n), *n))
        .min()
        .filter(|(d, _)| *d <= (wanted.len() / 3).max(2))
        .map(|(_, n)| n)
        .or_else(|| valid.iter().copied().find(|n| !wanted.is_empty() && n.contains(wanted.as_str())));
    let hint = closest.map(|n| format!(": did you mean `{n}`?")).unwrap_or_else(|| ";".into());
    Err(format!("unknown {kind} `{}`{hint} valid {kind}s: {}", name.trim(), valid.join(", ")))
}
