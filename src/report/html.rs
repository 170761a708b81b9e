//! The HTML report: one self-contained file (inline CSS and script, no request to any network)
//! with the operations x checks matrix as a heatmap, the coverage bars and every failure with its
//! exchanges and reproduction lines.
//!
//! Every text of the report is escaped, and the page's Content-Security-Policy runs only the
//! page's own style and script (by hash) and loads nothing: a response body that carries markup
//! shows as text, and could not run even if escaping were missed.

use crate::checks::{CheckName, CheckOutcome};
use crate::coverage::{Coverage, Section, Why};
use crate::outcome::ExchangeReport;
use crate::outcome::{first_line, CaseOutcome, CaseReport, RunReport};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Failures shown unfolded; the others are one click away.
const OPEN_FAILURES: usize = 5;

const STYLE: &str = r#"
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d232b;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d5dae0;padding-bottom:4px}
.meta{color:#56606b;margin:0 0 12px}.meta code{background:#f2f4f6;padding:0 4px;border-radius:3px}
.score{font-size:18px;font-weight:600}
table{border-collapse:collapse}th,td{padding:3px 6px;border:1px solid #e1e5ea;text-align:left;vertical-align:top}
th{background:#f6f7f9;font-weight:600}
table.heat th.check{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:500;height:120px;white-space:nowrap}
table.heat td.cell{text-align:center;min-width:34px;font-variant-numeric:tabular-nums}
td.n{background:#fff;color:#b9c0c8}.s{background:#eceff2;color:#6b747e}
.p1{background:#d8f0dc}.p2{background:#a9ddb3}.p3{background:#6fc383}
.w1{background:#fff0c2}.w2{background:#ffd86b}.f1{background:#f9c4c0}.f2{background:#ee7d74;color:#fff}.f3{background:#c62f25;color:#fff}
span.obs{background:#3aa757;color:#fff}span.design{background:#9aa3ad;color:#fff}span.world{background:#f0b429}span.todo{background:#e3e7eb}
.legend span{display:inline-block;padding:1px 8px;margin-right:6px;border:1px solid #e1e5ea}
svg.bar{width:520px;height:16px;vertical-align:middle}
rect.obs{fill:#3aa757}rect.design{fill:#9aa3ad}rect.world{fill:#f0b429}rect.todo{fill:#e3e7eb}
td.num{text-align:right;font-variant-numeric:tabular-nums}
details{margin:6px 0}summary{cursor:pointer}
details.failure{border:1px solid #e8b4b0;border-left:4px solid #c62f25;padding:6px 10px;border-radius:3px}
.badge{display:inline-block;font-size:12px;padding:0 6px;border-radius:3px;background:#c62f25;color:#fff;margin-right:6px}
.badge.error{background:#7a4bd0}
pre{background:#f6f7f9;padding:6px 8px;overflow:auto;max-height:320px;white-space:pre-wrap;word-break:break-all;margin:4px 0}
.label{color:#56606b;font-size:12px;margin-top:6px}
input#filter{padding:3px 6px;margin:0 0 8px;width:260px}
"#;

const SCRIPT: &str = r#"
window.onerror = function (message) { document.body.dataset.renderError = String(message); };
(function () {
  var rows = document.querySelectorAll('table.heat tbody tr');
  var input = document.getElementById('filter');
  if (input) {
    input.addEventListener('input', function () {
      var text = input.value.toLowerCase();
      rows.forEach(function (r) { r.hidden = text !== '' && r.textContent.toLowerCase().indexOf(text) < 0; });
    });
  }
  var toggle = document.getElementById('toggle-failures');
  if (toggle) {
    toggle.addEventListener('click', function () {
      var all = document.querySelectorAll('details.failure');
      var open = Array.prototype.some.call(all, function (d) { return !d.open; });
      all.forEach(function (d) { d.open = open; });
    });
  }
  document.body.dataset.render = ['done', rows.length, document.querySelectorAll('details.failure').length].join(':');
})();
"#;

/// Escapes text for HTML content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The CSP source of an inline element's text.
fn hash(text: &str) -> String {
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes())))
}

/// The whole report as one HTML page; the coverage bars when `coverage` is given.
pub fn render(report: &RunReport, coverage: Option<&Coverage>) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let csp = format!(
        "default-src 'none'; style-src {}; script-src {}; img-src 'none'; form-action 'none'; base-uri 'none'",
        hash(STYLE),
        hash(SCRIPT)
    );
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>SDRS conformance report</title><style>{STYLE}</style></head>\n<body>\n"
    );
    header(&mut h, report);
    heatmap(&mut h, report);
    if let Some(c) = coverage {
        coverage_bars(&mut h, c);
    }
    failures(&mut h, report);
    let _ = write!(h, "<script>{SCRIPT}</script>\n</body></html>\n");
    h
}

fn header(h: &mut String, report: &RunReport) {
    let t = &report.target;
    let s = &report.summary;
    h.push_str("<h1>SDRS conformance report</h1>\n<p class=\"meta\">");
    let _ = write!(h, "{} <code>{}</code>", escape(&t.kind), escape(&t.endpoint));
    if !t.project_id.is_empty() {
        let _ = write!(h, " &middot; project <code>{}</code>", escape(&t.project_id));
    }
    if let Some(r) = &t.region {
        let _ = write!(h, " &middot; region <code>{}</code>", escape(r));
    }
    let _ = writeln!(
        h,
        " &middot; mode {} &middot; strict {} &middot; auth {} &middot; run <code>{}</code></p>",
        escape(&t.mode),
        if t.strict { "yes" } else { "no" },
        escape(&t.auth),
        escape(&t.run_id)
    );
    let score = s.score().map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}%"));
    let _ = writeln!(
        h,
        "<p><span class=\"score\">Score: {score}</span> &middot; {} cases: {} in {}</p>",
        s.total,
        escape(&s.counts()),
        escape(&s.seconds())
    );
}

/// Verdict counts of one check over the cases of one operation.
#[derive(Default, Clone, Copy)]
struct Counts {
    pass: usize,
    warn: usize,
    fail: usize,
    skip: usize,
}

impl Counts {
    /// The cell's class (hue by the worst verdict, shade by its share) and its text.
    fn cell(&self) -> (String, String) {
        let judged = self.pass + self.warn + self.fail;
        let shade = |n: usize, levels: usize| -> usize {
            let share = n as f64 / judged.max(1) as f64;
            ((share * levels as f64).ceil() as usize).clamp(1, levels)
        };
        if self.fail > 0 {
            (format!("f{}", shade(self.fail, 3)), format!("✗{}", self.fail))
        } else if self.warn > 0 {
            (format!("w{}", shade(self.warn, 2)), format!("!{}", self.warn))
        } else if self.pass > 0 {
            let level = match self.pass {
                1..=2 => 1,
                3..=9 => 2,
                _ => 3,
            };
            (format!("p{level}"), format!("✓{}", self.pass))
        } else if self.skip > 0 {
            ("s".to_owned(), format!("–{}", self.skip))
        } else {
            ("n".to_owned(), String::new())
        }
    }
}

fn heatmap(h: &mut String, report: &RunReport) {
    h.push_str("<h2>Operations &times; checks</h2>\n");
    let mut rows: BTreeMap<(&str, &str), Vec<&CaseReport>> = BTreeMap::new();
    for case in &report.cases {
        rows.entry((case.family_or_other(), &case.operation)).or_default().push(case);
    }
    if rows.is_empty() {
        h.push_str("<p>No case was run.</p>\n");
        return;
    }
    let columns: Vec<CheckName> = CheckName::ALL
        .into_iter()
        .filter(|name| report.cases.iter().flat_map(|c| &c.checks).any(|v| v.name == *name))
        .collect();
    h.push_str(
        "<p class=\"legend\"><span class=\"cell p2\">✓ passed</span><span class=\"cell w2\">! warned</span>\
         <span class=\"cell f2\">✗ failed</span><span class=\"cell s\">– skipped</span> \
         darker: more verdicts of the kind</p>\n\
         <input id=\"filter\" type=\"search\" placeholder=\"filter operations\" aria-label=\"filter operations\">\n",
    );
    h.push_str("<table class=\"heat\"><thead><tr><th>family</th><th>operation</th>");
    for name in &columns {
        let _ = write!(h, "<th class=\"check\">{}</th>", escape(name.as_str()));
    }
    h.push_str("<th>cases</th></tr></thead>\n<tbody>\n");
    for ((family, operation), cases) in rows {
        let _ = write!(h, "<tr><td>{}</td><td>{}</td>", escape(family), escape(operation));
        for name in &columns {
            let mut n = Counts::default();
            for v in cases.iter().flat_map(|c| &c.checks).filter(|v| v.name == *name) {
                match v.outcome {
                    CheckOutcome::Passed => n.pass += 1,
                    CheckOutcome::Warned => n.warn += 1,
                    CheckOutcome::Failed => n.fail += 1,
                    CheckOutcome::Skipped => n.skip += 1,
                }
            }
            let (class, text) = n.cell();
            let _ = write!(
                h,
                "<td class=\"cell {class}\" title=\"{} {name}: {} passed, {} warned, {} failed, {} skipped\">{text}</td>",
                escape(operation),
                n.pass,
                n.warn,
                n.fail,
                n.skip
            );
        }
        let ok = cases
            .iter()
            .filter(|c| matches!(c.outcome, CaseOutcome::Passed | CaseOutcome::Warned | CaseOutcome::ExpectedFail))
            .count();
        let _ = writeln!(h, "<td class=\"num\">{ok}/{}</td></tr>", cases.len());
    }
    h.push_str("</tbody></table>\n");
}

fn coverage_bars(h: &mut String, c: &Coverage) {
    h.push_str(
        "<h2>Coverage of the contract</h2>\n<p class=\"legend\"><span class=\"cov obs\">observed</span>\
         <span class=\"cov design\">unreachable by design</span><span class=\"cov world\">missing from the world or profile</span>\
         <span class=\"cov todo\">not tested yet</span></p>\n<table class=\"coverage\"><tbody>\n",
    );
    for (name, s) in c.sections() {
        let _ = writeln!(
            h,
            "<tr><th>{name}</th><td>{}</td><td class=\"num\">{} / {}</td><td class=\"num\">{:.1}%</td></tr>",
            bar(s),
            s.observed,
            s.documented,
            s.percent()
        );
    }
    h.push_str("</tbody></table>\n");
    for (name, s) in c.sections() {
        if s.unobserved.is_empty() {
            continue;
        }
        let _ = writeln!(
            h,
            "<details><summary>{name}: {} not observed</summary>\n<table><thead><tr><th>item</th><th>why</th><th>detail</th></tr></thead><tbody>",
            s.unobserved.len()
        );
        for u in &s.unobserved {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&u.id),
                escape(u.why.as_str()),
                escape(&u.detail)
            );
        }
        h.push_str("</tbody></table></details>\n");
    }
}

/// One section as a stacked bar: observed, then the unobserved by reason.
fn bar(s: &Section) -> String {
    const WIDTH: f64 = 1000.0;
    let total = s.documented.max(1) as f64;
    let parts = [
        ("obs", s.observed),
        ("design", s.count(Why::UnreachableByDesign)),
        ("world", s.count(Why::MissingFromWorld)),
        ("todo", s.count(Why::NotTestedYet)),
    ];
    let mut svg = String::from("<svg class=\"bar\" viewBox=\"0 0 1000 16\" preserveAspectRatio=\"none\" role=\"img\">");
    let mut x = 0.0;
    for (class, n) in parts {
        let w = n as f64 * WIDTH / total;
        if n > 0 {
            let _ = write!(svg, "<rect class=\"{class}\" x=\"{x:.1}\" y=\"0\" width=\"{w:.1}\" height=\"16\"><title>{class}: {n}</title></rect>");
        }
        x += w;
    }
    svg.push_str("</svg>");
    svg
}

fn failures(h: &mut String, report: &RunReport) {
    let failed: Vec<&CaseReport> = report.cases.iter().filter(|c| c.outcome.is_failure()).collect();
    let _ = writeln!(h, "<h2>Failures ({})</h2>", failed.len());
    if failed.is_empty() {
        h.push_str("<p>None.</p>\n");
        return;
    }
    h.push_str("<p><button id=\"toggle-failures\" type=\"button\">unfold or fold all</button></p>\n");
    for (i, case) in failed.iter().enumerate() {
        let open = if i < OPEN_FAILURES { " open" } else { "" };
        let badge = if case.outcome == CaseOutcome::Error { "badge error" } else { "badge" };
        let title = case
            .first_failed_check()
            .map(|c| format!("{}: {}", c.name, c.title()))
            .or_else(|| case.reason.as_deref().map(|r| first_line(r).to_owned()))
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<details class=\"failure\"{open}><summary><span class=\"{badge}\">{}</span><b>{}</b> ({}) {}</summary>",
            case.outcome.as_str(),
            escape(&case.id),
            escape(&case.operation),
            escape(&title)
        );
        for check in case.checks_with(CheckOutcome::Failed) {
            let step = if check.step.is_empty() { String::new() } else { format!(" in {}", escape(&check.step)) };
            let _ = writeln!(
                h,
                "<div class=\"label\">{}{step}</div><pre>{}</pre>",
                escape(check.name.as_str()),
                escape(&check.text())
            );
        }
        if let (CaseOutcome::Error, Some(reason)) = (case.outcome, &case.reason) {
            let _ = writeln!(h, "<div class=\"label\">harness error</div><pre>{}</pre>", escape(reason));
        }
        for ex in &case.evidence {
            exchange(h, ex);
        }
        if let Some(r) = &case.reproduce {
            let _ = writeln!(h, "<div class=\"label\">reproduce</div><pre>{}</pre>", escape(&r.command));
            if let Some(curl) = &r.curl {
                let _ = writeln!(h, "<div class=\"label\">curl</div><pre>{}</pre>", escape(curl));
            }
        }
        h.push_str("</details>\n");
    }
}

fn exchange(h: &mut String, ex: &ExchangeReport) {
    let step = if ex.step.is_empty() { String::new() } else { format!("{}: ", escape(&ex.step)) };
    let _ = writeln!(h, "<div class=\"label\">{step}exchange ({} ms)</div>", ex.elapsed_ms);
    let mut text = format!("> {}\n", ex.request_line());
    for hd in &ex.request.headers {
        let _ = writeln!(text, "> {}: {}", hd.name, hd.value);
    }
    if let Some(body) = &ex.request.body {
        let _ = writeln!(text, ">\n{body}");
    }
    match (&ex.response, &ex.error) {
        (Some(r), _) => {
            let _ = writeln!(text, "\n< {}", r.status);
            for hd in &r.headers {
                let _ = writeln!(text, "< {}: {}", hd.name, hd.value);
            }
            if !r.body.is_empty() {
                let _ = writeln!(text, "<\n{}", r.body);
            }
        }
        (None, Some(e)) => {
            let _ = writeln!(text, "\n(no answer: {e})");
        }
        (None, None) => {}
    }
    let _ = writeln!(h, "<pre>{}</pre>", escape(&text));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{HeaderReport, RequestReport, ResponseReport};
    use crate::report::testdata::sample;
    use crate::report::Reproduce;

    const HOSTILE: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&";

    fn hostile_report() -> RunReport {
        let mut report = sample();
        let failed = report.cases.iter_mut().find(|c| c.outcome == CaseOutcome::Failed).unwrap();
        failed.evidence.push(ExchangeReport {
            step: format!("step {HOSTILE}"),
            operation: "showProtectionGroup".into(),
            started: "1970-01-01T00:00:00.000Z".into(),
            elapsed_ms: 3,
            request: RequestReport {
                method: "GET".into(),
                url: format!("https://sdrs.example.com/v1/p/server-groups/{HOSTILE}"),
                headers: vec![HeaderReport { name: "X-Auth-Token".into(), value: "<redacted>".into() }],
                body: None,
            },
            response: Some(ResponseReport {
                status: 500,
                headers: vec![HeaderReport { name: "content-type".into(), value: "text/html".into() }],
                body: format!("<html><body>{HOSTILE}</body></html>"),
            }),
            error: None,
        });
        failed.reproduce =
            Some(Reproduce { command: format!("sdrs-conformance run --filter '{HOSTILE}'"), curl: None });
        failed.checks[0].message = format!("unexpected status 500 {HOSTILE}");
        report.target.endpoint = format!("http://{HOSTILE}");
        report
    }

    #[test]
    fn markup_from_any_text_of_the_report_is_shown_escaped_never_as_markup() {
        let html = render(&hostile_report(), None);
        for bad in ["<script>alert", "<img src=x", "<html><body>", "onerror=alert(2)>"] {
            assert!(!html.contains(bad), "unescaped {bad:?} in the page");
        }
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        // The only script element is the page's own, allowed by its hash.
        assert_eq!(html.matches("<script>").count(), 1);
        assert!(html.contains(&hash(SCRIPT)));
    }

    #[test]
    fn the_escape_covers_the_five_characters_of_html() {
        assert_eq!(escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn the_page_loads_nothing_from_any_network() {
        let html = render(&hostile_report(), Some(&Coverage::default()));
        assert!(html.contains("default-src 'none'"));
        for needle in ["<link", " src=\"http", "@import", "url(", "fetch(", "XMLHttpRequest"] {
            assert!(!html.contains(needle), "{needle}");
        }
    }

    #[test]
    fn the_heatmap_shades_a_cell_by_its_worst_verdict() {
        let c = |pass, warn, fail, skip| Counts { pass, warn, fail, skip }.cell();
        assert_eq!(c(3, 1, 1, 0), ("f1".to_owned(), "✗1".to_owned()));
        assert_eq!(c(0, 0, 4, 0).0, "f3");
        assert_eq!(c(5, 1, 0, 2), ("w1".to_owned(), "!1".to_owned()));
        assert_eq!(c(12, 0, 0, 0), ("p3".to_owned(), "✓12".to_owned()));
        assert_eq!(c(0, 0, 0, 2).0, "s");
        assert_eq!(c(0, 0, 0, 0).0, "n");
    }

    #[test]
    fn each_failure_shows_its_checks_exchange_and_reproduction() {
        let html = render(&hostile_report(), None);
        assert!(html.contains("Failures (2)"), "the failed case and the errored one");
        assert!(html.contains("&gt; GET https://sdrs.example.com/v1/p/server-groups/"));
        assert!(html.contains("&lt; 500"));
        assert!(html.contains("sdrs-conformance run --filter"));
        assert!(html.contains("connection reset by peer"), "the harness error of the errored case");
    }

    #[test]
    fn coverage_bars_are_drawn_per_section_when_coverage_is_given() {
        let mut c = Coverage {
            error_codes: Section { documented: 4, observed: 1, unobserved: Vec::new() },
            ..Coverage::default()
        };
        for (why, n) in [(Why::UnreachableByDesign, 1), (Why::NotTestedYet, 2)] {
            for i in 0..n {
                c.error_codes.unobserved.push(crate::coverage::Unobserved {
                    id: format!("SDRS.000{i}<b>"),
                    why,
                    detail: String::new(),
                });
            }
        }
        let html = render(&sample(), Some(&c));
        assert!(html.contains("<th>error_codes</th>"));
        assert!(html.contains("<rect class=\"obs\" x=\"0.0\" y=\"0\" width=\"250.0\""), "{html}");
        assert!(html.contains("<rect class=\"todo\" x=\"500.0\" y=\"0\" width=\"500.0\""));
        assert!(html.contains("SDRS.0000&lt;b&gt;"));
        assert!(!render(&sample(), None).contains("Coverage of the contract"));
    }
}
