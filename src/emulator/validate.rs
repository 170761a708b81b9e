//! Shared input validation: JSON bodies and their fields, names, descriptions, limit/offset,
//! ID lists, tags. Each helper refuses with the A.1 code the caller names.

use serde_json::{Map, Value};

use super::errors::{ApiError, ApiResult};

/// A JSON object.
pub(super) type Object = Map<String, Value>;

/// Parses a body that must be a JSON object; an empty body is `{}` unless `required`.
pub(super) fn body(bytes: &[u8], required: bool) -> ApiResult<Object> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return if required { Err(ApiError::Sdrs("SDRS.0201")) } else { Ok(Object::new()) };
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ApiError::Sdrs("SDRS.0201")),
    }
}

/// The object under `key` (missing or not an object: `code`).
pub(super) fn object<'a>(map: &'a Object, key: &str, code: &'static str) -> ApiResult<&'a Object> {
    map.get(key).and_then(Value::as_object).ok_or(ApiError::Sdrs(code))
}

/// A required string (missing, null or another type: `code`).
pub(super) fn string(map: &Object, key: &str, code: &'static str) -> ApiResult<String> {
    match map.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(ApiError::Sdrs(code)),
    }
}

/// A required non-empty string.
pub(super) fn non_empty(map: &Object, key: &str, code: &'static str) -> ApiResult<String> {
    let s = string(map, key, code)?;
    if s.trim().is_empty() {
        Err(ApiError::Sdrs(code))
    } else {
        Ok(s)
    }
}

/// An optional string (absent or null: None; another type: `code`).
pub(super) fn opt_string(map: &Object, key: &str, code: &'static str) -> ApiResult<Option<String>> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        _ => Err(ApiError::Sdrs(code)),
    }
}

/// An optional boolean (another type: SDRS.0201).
pub(super) fn opt_bool(map: &Object, key: &str) -> ApiResult<Option<bool>> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        _ => Err(ApiError::Sdrs("SDRS.0201")),
    }
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') || ('\u{4e00}'..='\u{9fa5}').contains(&c)
}

/// A resource name: 1..=`max_bytes` bytes of CJK, letters, digits, `.`, `_`, `-` (SDRS.0202).
pub(super) fn name_within(value: &str, max_bytes: usize) -> ApiResult<()> {
    if value.is_empty() || value.len() > max_bytes || !value.chars().all(name_char) {
        Err(ApiError::Sdrs("SDRS.0202"))
    } else {
        Ok(())
    }
}

/// The new name an update request carries: `{wrapper: {"name": …}}`.
pub(super) fn new_name(bytes: &[u8], wrapper: &str) -> ApiResult<String> {
    let body = body(bytes, true)?;
    name(object(&body, wrapper, "SDRS.0201")?)
}

/// A required resource name of at most 64 bytes (SDRS.0202).
pub(super) fn name(map: &Object) -> ApiResult<String> {
    let value = string(map, "name", "SDRS.0202")?;
    name_within(&value, 64)?;
    Ok(value)
}

/// An optional description: at most 64 bytes, no `<` or `>` (SDRS.0212).
pub(super) fn description(map: &Object) -> ApiResult<Option<String>> {
    let value = opt_string(map, "description", "SDRS.0212")?;
    if let Some(d) = &value {
        if d.len() > 64 || d.contains(['<', '>']) {
            return Err(ApiError::Sdrs("SDRS.0212"));
        }
    }
    Ok(value)
}

/// The first value of a query parameter.
pub(super) fn query<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// `limit` (0..=1000, default 1000, SDRS.0221) and `offset` (>= 0, default 0, SDRS.0222).
pub(super) fn paging(params: &[(String, String)]) -> ApiResult<(usize, usize)> {
    paging_within(params, 1000)
}

/// [`paging`] with another largest `limit`.
pub(super) fn paging_within(params: &[(String, String)], max_limit: i64) -> ApiResult<(usize, usize)> {
    let limit = match query(params, "limit") {
        None => 1000,
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if (0..=max_limit).contains(&n) => usize::try_from(n).unwrap_or(usize::MAX),
            _ => return Err(ApiError::Sdrs("SDRS.0221")),
        },
    };
    let offset = match query(params, "offset") {
        None => 0,
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if n >= 0 => n as usize,
            _ => return Err(ApiError::Sdrs("SDRS.0222")),
        },
    };
    Ok((limit, offset))
}

/// One page of `items`.
pub(super) fn page<T>(items: Vec<T>, limit: usize, offset: usize) -> Vec<T> {
    items.into_iter().skip(offset).take(limit).collect()
}

/// A list parameter shaped `['a','b']` or `["a","b"]` (at most 30 IDs; SDRS.0226).
pub(super) fn id_list(value: &str) -> ApiResult<Vec<String>> {
    let inner = value.trim().strip_prefix('[').and_then(|v| v.strip_suffix(']')).ok_or(ApiError::Sdrs("SDRS.0226"))?;
    if inner.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut ids = Vec::new();
    for item in inner.split(',') {
        let item = item.trim();
        let unquoted = item
            .strip_prefix('\'')
            .and_then(|i| i.strip_suffix('\''))
            .or_else(|| item.strip_prefix('"').and_then(|i| i.strip_suffix('"')))
            .unwrap_or(item);
        if unquoted.is_empty() {
            return Err(ApiError::Sdrs("SDRS.0226"));
        }
        ids.push(unquoted.to_string());
    }
    if ids.len() > 30 {
        return Err(ApiError::Sdrs("SDRS.0226"));
    }
    Ok(ids)
}

/// Case-insensitive substring match.
pub(super) fn fuzzy(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// Whether `value` is a dotted IPv4 address.
pub(super) fn is_ipv4(value: &str) -> bool {
    value.parse::<std::net::Ipv4Addr>().is_ok()
}

fn forbidden_tag_char(c: char) -> bool {
    (c as u32) < 32 || matches!(c, '*' | '<' | '>' | '\\' | '=' | ',' | '/')
}

/// A resource tag key: present and non-blank (SDRS.2205), at most 36 characters without
/// forbidden characters (SDRS.2204).
pub(super) fn tag_key(value: Option<&Value>) -> ApiResult<String> {
    let key = match value {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => return Err(ApiError::Sdrs("SDRS.2205")),
        _ => return Err(ApiError::Sdrs("SDRS.2204")),
    };
    if key.trim().is_empty() {
        return Err(ApiError::Sdrs("SDRS.2205"));
    }
    if key.chars().count() > 36 || key.chars().any(forbidden_tag_char) {
        return Err(ApiError::Sdrs("SDRS.2204"));
    }
    Ok(key)
}

/// A resource tag value: present (SDRS.2208), at most 43 characters without forbidden
/// characters (SDRS.2207).
pub(super) fn tag_value(value: Option<&Value>) -> ApiResult<String> {
    let v = match value {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => return Err(ApiError::Sdrs("SDRS.2208")),
        _ => return Err(ApiError::Sdrs("SDRS.2207")),
    };
    if v.chars().count() > 43 || v.chars().any(forbidden_tag_char) {
        return Err(ApiError::Sdrs("SDRS.2207"));
    }
    Ok(v)
}

/// A list of `{key, value}` tags: at most 10 (SDRS.2203), unique keys (SDRS.2209).
pub(super) fn tag_list(value: &Value) -> ApiResult<Vec<(String, String)>> {
    let items = value.as_array().ok_or(ApiError::Sdrs("SDRS.0201"))?;
    if items.len() > 10 {
        return Err(ApiError::Sdrs("SDRS.2203"));
    }
    let mut tags: Vec<(String, String)> = Vec::new();
    for item in items {
        let item = item.as_object().ok_or(ApiError::Sdrs("SDRS.0201"))?;
        let key = tag_key(item.get("key"))?;
        let value = tag_value(item.get("value"))?;
        if tags.iter().any(|(k, _)| *k == key) {
            return Err(ApiError::Sdrs("SDRS.2209"));
        }
        tags.push((key, value));
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_allow_cjk_letters_digits_and_three_marks() {
        assert!(name_within("pg-1_a.b", 64).is_ok());
        assert!(name_within("保护组", 64).is_ok());
        assert!(name_within("a b", 64).is_err());
        assert!(name_within("", 64).is_err());
        assert!(name_within(&"a".repeat(65), 64).is_err());
        assert!(name_within(&"保".repeat(22), 64).is_err());
    }

    #[test]
    fn id_lists_accept_both_quote_styles_and_at_most_thirty() {
        assert_eq!(id_list("['a','b']").unwrap(), vec!["a", "b"]);
        assert_eq!(id_list("[\"a\", \"b\"]").unwrap(), vec!["a", "b"]);
        assert!(id_list("a,b").is_err());
        let many = format!("[{}]", vec!["'x'"; 31].join(","));
        assert_eq!(id_list(&many), Err(ApiError::Sdrs("SDRS.0226")));
    }

    #[test]
    fn paging_refuses_out_of_range_values() {
        let q = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        assert_eq!(paging(&q("limit", "1001")), Err(ApiError::Sdrs("SDRS.0221")));
        assert_eq!(paging(&q("offset", "-1")), Err(ApiError::Sdrs("SDRS.0222")));
        assert_eq!(paging(&q("offset", "x")), Err(ApiError::Sdrs("SDRS.0222")));
        assert_eq!(paging(&[]).unwrap(), (1000, 0));
    }
}
