//! Redaction shared by the reports and the snapshots: [`Redactor`] replaces IDs, timestamps, the
//! run prefix and loopback ports by stable placeholders, keeping identity; [`scrub_secrets`]
//! removes credentials from any text.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use regex::{Captures, Regex};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::LazyLock;

/// What replaces a secret.
const REDACTED: &str = "<redacted>";

/// A whole-string UUID or 32-hex ID.
static ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})$")
        .unwrap()
});
/// A UUID or 32-hex ID inside a longer text.
static EMBEDDED_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})\b")
        .unwrap()
});
/// A whole-string timestamp in one of the documented forms.
static TIMESTAMP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z?$").unwrap());
/// A timestamp inside a longer text.
static EMBEDDED_TIMESTAMP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z?").unwrap());
/// A loopback address with its port (the emulator's port changes every run).
static LOOPBACK_PORT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(127\.0\.0\.1|localhost|0\.0\.0\.0|\[::1\]):\d{1,5}\b").unwrap());
/// The signature of an `SDK-HMAC-SHA256` Authorization value.
static SIGNATURE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"(?i)\b(signature=)[^\s,"&;]+"#).unwrap());
/// The access key of an `SDK-HMAC-SHA256` Authorization value.
static ACCESS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"(?i)(SDK-HMAC-SHA256\s+Access=)[^\s,"]+"#).unwrap());
/// A token header value, as a header line, a JSON member or a debugged tuple. A value starting
/// with `$` is a shell variable (`$HW_AUTH_TOKEN` in a reproduction's `curl` line), not a token.
static TOKEN_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(x-(?:auth|subject|security)-token(?:\s*[:=]\s*"?|"\s*[:=,]\s*"))[^$"\s,})][^"\s,})]*"#).unwrap()
});

/// Percent-encoding that keeps RFC 3986 unreserved characters, as most URL encoders do.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Replaces IDs, timestamps and the run prefix in JSON values and texts, keeping identity: the
/// same ID always becomes the same placeholder (`<server_group_id:1>`) within one redactor.
///
/// ```
/// use sdrs_conformance::report::Redactor;
/// use serde_json::json;
///
/// let id = "c2d5f6a8-0b1e-4b5d-9a7e-3f2a1b0c9d8e";
/// let body = json!({"server_group": {"id": id, "name": "run42-pg", "created_at": "2024-05-01T10:00:00.000000"}});
/// let redacted = Redactor::with_prefix("run42").redact_value(&body);
/// assert_eq!(
///     redacted,
///     json!({"server_group": {"id": "<server_group_id:1>", "name": "<run>-pg", "created_at": "<timestamp>"}})
/// );
/// ```
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    prefix: Option<String>,
    placeholders: HashMap<String, String>,
    count: usize,
}

impl Redactor {
    /// A redactor without run prefix.
    pub fn new() -> Self {
        Self::default()
    }

    /// A redactor that also replaces this run prefix by `<run>` inside strings.
    pub fn with_prefix(prefix: &str) -> Self {
        Redactor { prefix: (!prefix.is_empty()).then(|| prefix.to_string()), ..Self::default() }
    }

    /// The value with IDs, timestamps, the run prefix and loopback ports replaced.
    pub fn redact_value(&mut self, v: &Value) -> Value {
        self.walk(v, None, None)
    }

    /// A free text (an error message, a URL) with the same replacements, IDs found anywhere in it.
    pub fn redact_text(&mut self, text: &str) -> String {
        let text = EMBEDDED_TIMESTAMP.replace_all(text, "<timestamp>");
        self.redact_embedded(&text)
    }

    /// `key` holds `v`; `owner` is the key holding the object that has `key` (arrays pass both on).
    fn walk(&mut self, v: &Value, key: Option<&str>, owner: Option<&str>) -> Value {
        match v {
            Value::Object(map) => {
                let mut out = Map::with_capacity(map.len());
                for (k, child) in map {
                    let child = self.walk(child, Some(k), key);
                    out.insert(k.clone(), child);
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(|item| self.walk(item, key, owner)).collect()),
            Value::String(s) => Value::String(self.redact_string(s, key, owner)),
            other => other.clone(),
        }
    }

    fn redact_string(&mut self, s: &str, key: Option<&str>, owner: Option<&str>) -> String {
        if TIMESTAMP.is_match(s) {
            return "<timestamp>".to_string();
        }
        // A broken date format must stay visible in snapshots.
        if key.is_some_and(|k| k.ends_with("_at") || k.ends_with("_time")) {
            return s.to_string();
        }
        let kind = kind_of(key, owner);
        if ID.is_match(s) {
            return self.placeholder(&kind, s);
        }
        if key.is_some_and(|k| k.ends_with("_ids")) && s.contains(',') {
            let parts: Vec<String> = s
                .split(',')
                .map(|part| {
                    let id = part.trim();
                    if ID.is_match(id) {
                        part.replace(id, &self.placeholder(&kind, id))
                    } else {
                        part.to_string()
                    }
                })
                .collect();
            return parts.join(",");
        }
        self.redact_embedded(s)
    }

    /// Replaces the prefix, loopback ports and IDs inside a longer text.
    fn redact_embedded(&mut self, s: &str) -> String {
        let text = match &self.prefix {
            Some(prefix) => s.replace(prefix.as_str(), "<run>"),
            None => s.to_string(),
        };
        let text = LOOPBACK_PORT.replace_all(&text, "$1:<port>");
        EMBEDDED_ID.replace_all(&text, |c: &Captures| self.placeholder("id", &c[0])).into_owned()
    }

    /// The placeholder of `id`, numbered on first sight.
    fn placeholder(&mut self, kind: &str, id: &str) -> String {
        // IDs compare case-insensitively: a target may echo them in another case.
        let id = id.to_ascii_lowercase();
        if let Some(p) = self.placeholders.get(&id) {
            return p.clone();
        }
        self.count += 1;
        let p = format!("<{kind}:{}>", self.count);
        self.placeholders.insert(id, p.clone());
        p
    }
}

/// The placeholder kind of an ID held by `key` in an object held by `owner`.
fn kind_of(key: Option<&str>, owner: Option<&str>) -> String {
    match key {
        Some("id") => owner.and_then(owner_kind).unwrap_or("id").to_string(),
        Some(k) if k.ends_with("_id") => k.to_string(),
        Some(k) if k.ends_with("_ids") => k[..k.len() - 1].to_string(),
        _ => "id".to_string(),
    }
}

/// The kind of the `id` of an object held by this key.
fn owner_kind(owner: &str) -> Option<&'static str> {
    Some(match owner {
        "server_group" | "server_groups" => "server_group_id",
        "protected_instance" | "protected_instances" => "protected_instance_id",
        "replication" | "replications" => "replication_id",
        "disaster_recovery_drill" | "disaster_recovery_drills" => "disaster_recovery_drill_id",
        "job" | "jobs" => "job_id",
        _ => return None,
    })
}

/// Replaces secrets in texts; built once per set of secrets (the pattern is compiled once).
#[derive(Debug, Clone)]
pub struct Scrubber {
    forms: Vec<String>,
    pattern: Option<Regex>,
}

impl Scrubber {
    /// A scrubber for these secrets (empty ones are ignored).
    pub fn new(secrets: &[&str]) -> Scrubber {
        let mut forms: Vec<String> = Vec::new();
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            forms.push(secret.to_string());
            for set in [NON_ALPHANUMERIC, COMPONENT] {
                let encoded = utf8_percent_encode(secret, set).to_string();
                forms.push(lowercase_escapes(&encoded));
                forms.push(encoded);
            }
        }
        // Longest first, in one pass: a secret inside another, or inside `<redacted>`, cannot leave pieces.
        forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        forms.dedup();
        let pattern = if forms.is_empty() {
            None
        } else {
            Regex::new(&forms.iter().map(|f| regex::escape(f)).collect::<Vec<_>>().join("|")).ok()
        };
        Scrubber { forms, pattern }
    }

    /// The text with every secret (raw or percent-encoded), every request signature and every
    /// token header value replaced by `<redacted>`.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = match &self.pattern {
            Some(re) => re.replace_all(text, REDACTED).into_owned(),
            // Too large for a regex: plain replacement, still longest first.
            None => self.forms.iter().fold(text.to_string(), |t, f| t.replace(f.as_str(), REDACTED)),
        };
        let lower = out.to_ascii_lowercase();
        if lower.contains("signature=") || lower.contains("access=") || lower.contains("token") {
            for re in [&*SIGNATURE, &*ACCESS, &*TOKEN_HEADER] {
                out = re.replace_all(&out, format!("${{1}}{REDACTED}")).into_owned();
            }
        }
        out
    }
}

/// The text with every non-empty secret (raw or percent-encoded), every request signature and
/// every token header value replaced by `<redacted>`.
pub fn scrub_secrets(text: &str, secrets: &[&str]) -> String {
    Scrubber::new(secrets).scrub(text)
}

/// `%2F` as `%2f`: some encoders write lower-case escapes.
fn lowercase_escapes(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut hex_left = 0;
    for c in encoded.chars() {
        if hex_left > 0 {
            out.push(c.to_ascii_lowercase());
            hex_left -= 1;
        } else {
            hex_left = if c == '%' { 2 } else { 0 };
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PG: &str = "c2d5f6a8-0b1e-4b5d-9a7e-3f2a1b0c9d8e";
    const PI: &str = "a1b2c3d4-e5f6-4789-8abc-def012345678";
    const JOB: &str = "0605767b5780d5762fc5c0118072a564";
    const VOL1: &str = "11111111-2222-4333-8444-555555555555";
    const VOL2: &str = "66666666-7777-4888-9999-aaaaaaaaaaaa";

    #[test]
    fn ids_are_named_after_their_owner_or_key_and_keep_identity() {
        let body = json!({
            "server_group": {"id": PG, "name": "pg"},
            "protected_instances": [{"id": PI, "server_group_id": PG}],
            "job_id": JOB,
            "entities": {"server_group_id": PG, "volume_ids": format!("{VOL1},{VOL2}")},
            "other": {"id": VOL1},
            "name": JOB,
        });
        let redacted = Redactor::new().redact_value(&body);
        assert_eq!(
            redacted,
            json!({
                "server_group": {"id": "<server_group_id:1>", "name": "pg"},
                "protected_instances": [{"id": "<protected_instance_id:2>", "server_group_id": "<server_group_id:1>"}],
                "job_id": "<job_id:3>",
                "entities": {"server_group_id": "<server_group_id:1>", "volume_ids": "<volume_id:4>,<volume_id:5>"},
                "other": {"id": "<volume_id:4>"},
                "name": "<job_id:3>",
            })
        );
    }

    #[test]
    fn every_known_owner_names_the_ids_of_its_objects() {
        let body = json!({
            "replication": {"id": PG},
            "disaster_recovery_drills": [{"id": PI}],
            "jobs": [{"id": JOB}],
            "servers": [{"id": VOL1}],
            "volume_ids": [VOL2],
        });
        assert_eq!(
            Redactor::new().redact_value(&body),
            json!({
                "replication": {"id": "<replication_id:1>"},
                "disaster_recovery_drills": [{"id": "<disaster_recovery_drill_id:2>"}],
                "jobs": [{"id": "<job_id:3>"}],
                "servers": [{"id": "<id:4>"}],
                "volume_ids": ["<volume_id:5>"],
            })
        );
    }

    #[test]
    fn placeholders_are_numbered_in_order_of_first_appearance() {
        let body = json!({"b_id": PI, "a_id": PG, "list": [PG, PI]});
        let redacted = Redactor::new().redact_value(&body);
        assert_eq!(redacted, json!({"b_id": "<b_id:1>", "a_id": "<a_id:2>", "list": ["<a_id:2>", "<b_id:1>"]}));
        // Identity lasts across values of one redactor, and a new redactor starts again.
        let mut redactor = Redactor::new();
        redactor.redact_value(&json!({"job_id": JOB}));
        assert_eq!(redactor.redact_value(&json!([JOB.to_uppercase(), PG])), json!(["<job_id:1>", "<id:2>"]));
    }

    #[test]
    fn timestamps_are_replaced_but_a_broken_date_under_a_time_key_stays_visible() {
        let body = json!({
            "created_at": "2019-05-29T08:56:12.123456Z",
            "begin_time": "2019-05-29 08:56:12.0",
            "updated_at": "29/05/2019 08:56",
            "end_time": "2019-05-29T08:56:12+08:00",
            "note": "2019-05-29T08:56:12",
            "count": 3,
        });
        assert_eq!(
            Redactor::new().redact_value(&body),
            json!({
                "created_at": "<timestamp>",
                "begin_time": "<timestamp>",
                "updated_at": "29/05/2019 08:56",
                "end_time": "2019-05-29T08:56:12+08:00",
                "note": "<timestamp>",
                "count": 3,
            })
        );
    }

    #[test]
    fn the_run_prefix_ports_and_embedded_ids_are_replaced_inside_strings() {
        let body = json!({
            "name": "sdrsct-7f3a-pg-1",
            "description": "made by sdrsct-7f3a",
            "href": format!("http://127.0.0.1:54321/v1/{JOB}/server-groups/{PG}"),
            "server_group_id": PG,
        });
        assert_eq!(
            Redactor::with_prefix("sdrsct-7f3a").redact_value(&body),
            json!({
                "name": "<run>-pg-1",
                "description": "made by <run>",
                "href": "http://127.0.0.1:<port>/v1/<id:1>/server-groups/<id:2>",
                "server_group_id": "<id:2>",
            })
        );
    }

    #[test]
    fn free_text_gets_the_same_replacements() {
        let mut redactor = Redactor::with_prefix("run9");
        redactor.redact_value(&json!({"server_group": {"id": PG}}));
        assert_eq!(
            redactor.redact_text(&format!("group {PG} of run9-a failed at 2024-01-02 03:04:05 on localhost:8080")),
            "group <server_group_id:1> of <run>-a failed at <timestamp> on localhost:<port>"
        );
    }

    #[test]
    fn secrets_and_their_percent_encoded_forms_are_scrubbed() {
        let sk = "SK/secret+Value=42";
        let ak = "AKIDEXAMPLE0001";
        let text = format!("sk={sk} q=SK%2Fsecret%2BValue%3D42 lower=SK%2fsecret%2bValue%3d42 ak={ak}");
        let scrubbed = scrub_secrets(&text, &[sk, ak, ""]);
        assert_eq!(scrubbed, "sk=<redacted> q=<redacted> lower=<redacted> ak=<redacted>");
    }

    #[test]
    fn a_secret_inside_another_leaves_no_piece_behind() {
        assert_eq!(scrub_secrets("xx-tok-123-yy tok", &["tok", "tok-123"]), "xx-<redacted>-yy <redacted>");
        assert_eq!(scrub_secrets("nothing here", &[]), "nothing here");
    }

    #[test]
    fn signatures_access_keys_and_token_headers_are_masked_without_being_told_the_secret() {
        let text = "\
Authorization: SDK-HMAC-SHA256 Access=HPUAEXAMPLEKEY, SignedHeaders=host;x-sdk-date, Signature=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
X-Auth-Token: MIIEXAMPLE-token_value+/=
x-subject-token: MIIOTHER
{\"x-auth-token\": \"MIIJSON\"}
(\"X-Auth-Token\", \"MIITUPLE\")
missing X-Auth-Token, got 401";
        assert_eq!(
            scrub_secrets(text, &[]),
            "\
Authorization: SDK-HMAC-SHA256 Access=<redacted>, SignedHeaders=host;x-sdk-date, Signature=<redacted>
X-Auth-Token: <redacted>
x-subject-token: <redacted>
{\"x-auth-token\": \"<redacted>\"}
(\"X-Auth-Token\", \"<redacted>\")
missing X-Auth-Token, got 401"
        );
    }

    #[test]
    fn a_shell_variable_in_a_token_header_is_kept_and_a_token_is_not() {
        let curl = r#"curl -H "X-Auth-Token: $HW_AUTH_TOKEN" -H "X-Auth-Token: MIIREAL""#;
        assert_eq!(scrub_secrets(curl, &[]), r#"curl -H "X-Auth-Token: $HW_AUTH_TOKEN" -H "X-Auth-Token: <redacted>""#);
    }

    #[test]
    fn scrubbing_a_report_reaches_every_message_and_reason() {
        let mut report = crate::report::testdata::sample();
        report.cases[1].checks[0].message.push_str(" token=TOPSECRET");
        report.cases[5].reason = Some("refused: TOPSECRET".to_string());
        crate::outcome::scrub_report(&mut report, &["TOPSECRET"]);
        let json = crate::report::to_json(&report);
        assert!(!json.contains("TOPSECRET"));
        assert!(json.contains("refused: <redacted>"));
    }
}
