//! Appendix A.1: every SDRS error code with its HTTP status and English message.

use super::locate::{LineFinder, Location};
use super::SpecProblem;
use serde::Deserialize;
use std::collections::BTreeMap;

/// One row of appendix A.1.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ErrorCode {
    /// Normalised code, such as `SDRS.0221`.
    pub code: String,
    /// HTTP status the code is documented with.
    pub status: u16,
    /// English message.
    pub message: String,
}

/// The error-code table.
#[derive(Debug, Default)]
pub struct ErrorTable {
    /// Rows in appendix order.
    pub codes: Vec<ErrorCode>,
    by_code: BTreeMap<String, usize>,
    /// Codes the reference uses outside A.1 (INC-32).
    pub outside_table: Vec<String>,
}

#[derive(Deserialize)]
struct RawTable {
    codes: Vec<ErrorCode>,
    #[serde(default)]
    outside_table: Vec<OutsideRow>,
}

#[derive(Deserialize)]
struct OutsideRow {
    code: String,
}

impl ErrorTable {
    /// Parses `errors.yaml`, reporting malformed rows and duplicate codes.
    pub fn parse(text: &str, file: &str, problems: &mut Vec<SpecProblem>) -> Option<ErrorTable> {
        let raw: RawTable = match serde_yaml_ng::from_str(text) {
            Ok(r) => r,
            Err(e) => {
                let line = e.location().map(|l| l.line()).unwrap_or(0);
                problems.push(SpecProblem {
                    location: Location { file: file.to_owned(), line },
                    message: format!("malformed error table: {e}"),
                });
                return None;
            }
        };
        let finder = LineFinder::new(text, file);
        let mut table = ErrorTable {
            outside_table: raw.outside_table.into_iter().map(|r| r.code).collect(),
            ..ErrorTable::default()
        };
        let shape = regex::Regex::new(r"^SDRS\.\d{4}$").expect("static regex");
        for (i, row) in raw.codes.into_iter().enumerate() {
            let location = finder.locate(&["codes", &format!("#{i}")]);
            if !shape.is_match(&row.code) {
                problems.push(SpecProblem {
                    location: location.clone(),
                    message: format!("code `{}` is not shaped SDRS.NNNN", row.code),
                });
            }
            if !(400..600).contains(&row.status) {
                problems.push(SpecProblem {
                    location: location.clone(),
                    message: format!("code {} has status {}, not an error status", row.code, row.status),
                });
            }
            if let Some(&first) = table.by_code.get(&row.code) {
                problems.push(SpecProblem {
                    location,
                    message: format!("duplicate code {} (first at row {})", row.code, first + 1),
                });
                continue;
            }
            table.by_code.insert(row.code.clone(), table.codes.len());
            table.codes.push(row);
        }
        Some(table)
    }

    /// The row of a code.
    pub fn get(&self, code: &str) -> Option<&ErrorCode> {
        self.by_code.get(code).map(|&i| &self.codes[i])
    }

    /// Number of codes per HTTP status.
    pub fn count_by_status(&self) -> BTreeMap<u16, usize> {
        let mut out = BTreeMap::new();
        for c in &self.codes {
            *out.entry(c.status).or_insert(0) += 1;
        }
        out
    }

    /// Codes that resemble `code`, for did-you-mean hints.
    pub fn suggest(&self, code: &str) -> Option<&str> {
        let digits: String = code.chars().filter(char::is_ascii_digit).collect();
        self.codes.iter().map(|c| c.code.as_str()).find(|c| c.ends_with(&digits) && !digits.is_empty())
    }
}
