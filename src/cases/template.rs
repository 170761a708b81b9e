//! `${name}` interpolation of strings and JSON values from a case's variables.
//!
//! A string that is exactly `${name}` becomes the variable's JSON value (so numbers stay
//! numbers); `${name}` inside a longer string is replaced by the variable's text.

use serde_json::Value;
use std::collections::BTreeMap;

/// Variables of a running case: prerequisites, fixture ids, captured values.
pub type Vars = BTreeMap<String, Value>;

/// A variable named in a template that has no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown variable `${{{0}}}`")]
pub struct MissingVar(pub String);

/// The value of `name`, or of `name+N` (the integer variable plus N).
fn lookup(name: &str, vars: &Vars) -> Result<Value, MissingVar> {
    if let Some(v) = vars.get(name) {
        return Ok(v.clone());
    }
    if let Some((base, add)) = name.rsplit_once('+') {
        if let (Some(v), Ok(n)) = (vars.get(base), add.trim().parse::<i64>()) {
            let current = v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()));
            if let Some(c) = current {
                return Ok(Value::from(c + n));
            }
        }
    }
    Err(MissingVar(name.to_owned()))
}

/// Interpolates a string.
pub fn render_str(template: &str, vars: &Vars) -> Result<String, MissingVar> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let name = &after[..end];
        match lookup(name, vars)? {
            Value::String(s) => out.push_str(&s),
            other => out.push_str(&other.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Interpolates every string of a JSON value.
pub fn render_value(template: &Value, vars: &Vars) -> Result<Value, MissingVar> {
    Ok(match template {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
                if !name.contains("${") && !name.contains('}') {
                    return lookup(name, vars);
                }
            }
            Value::String(render_str(s, vars)?)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| render_value(v, vars)).collect::<Result<_, _>>()?),
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                out.insert(render_str(k, vars)?, render_value(v, vars)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// The variable names a JSON template uses.
pub fn names_in(template: &Value, out: &mut Vec<String>) {
    match template {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(start) = rest.find("${") {
                let after = &rest[start + 2..];
                let Some(end) = after.find('}') else { break };
                out.push(after[..end].to_owned());
                rest = &after[end + 1..];
            }
        }
        Value::Array(items) => items.iter().for_each(|v| names_in(v, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            names_in(&Value::String(k.clone()), out);
            names_in(v, out);
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars() -> Vars {
        let mut v = Vars::new();
        v.insert("group".into(), json!("g-1"));
        v.insert("size".into(), json!(20));
        v
    }

    #[test]
    fn a_whole_string_variable_keeps_its_json_type() {
        let out = render_value(&json!({"id": "${group}", "n": "${size}", "s": "x-${size}"}), &vars()).unwrap();
        assert_eq!(out, json!({"id": "g-1", "n": 20, "s": "x-20"}));
        assert_eq!(render_value(&json!("${size+10}"), &vars()).unwrap(), json!(30));
    }

    #[test]
    fn an_unknown_variable_is_an_error_naming_it() {
        let err = render_str("/v1/${nope}", &vars()).unwrap_err();
        assert_eq!(err.to_string(), "unknown variable `${nope}`");
    }
}
