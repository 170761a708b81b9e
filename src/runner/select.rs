//! Reads a value out of a JSON answer by a JSON pointer whose segments may also be
//! `?field=value` (the first array item whose `field` equals `value`).

use serde_json::Value;

/// The value at `path`, if any.
pub(super) fn select<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() || path == "/" {
        return Some(root);
    }
    let mut node = root;
    for raw in path.trim_start_matches('/').split('/') {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        node = if let Some(cond) = seg.strip_prefix('?') {
            let (field, value) = cond.split_once('=')?;
            node.as_array()?.iter().find(|item| item.get(field).and_then(Value::as_str) == Some(value))?
        } else {
            match node {
                Value::Object(m) => m.get(&seg)?,
                Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            }
        };
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selects_by_pointer_and_by_field_value() {
        let v = json!({"items": [{"name": "a", "id": 1}, {"name": "b", "id": 2}]});
        assert_eq!(select(&v, "/items/1/id"), Some(&json!(2)));
        assert_eq!(select(&v, "/items/?name=b/id"), Some(&json!(2)));
        assert_eq!(select(&v, "/items/?name=c/id"), None);
    }
}
