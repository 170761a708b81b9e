//! Finds the line of a key path in a YAML text, so that problems point at `file:line`.
//!
//! The spec files are block-style YAML written by people; a key path is followed by
//! indentation, which is enough to point a reader at the right line.

use std::fmt;

/// A place in a spec file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// File name as shown to the user.
    pub file: String,
    /// 1-based line, 0 when unknown.
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}", self.file, self.line)
        } else {
            write!(f, "{}", self.file)
        }
    }
}

/// Line index over one YAML text.
pub(super) struct LineFinder<'a> {
    file: &'a str,
    lines: Vec<&'a str>,
}

impl<'a> LineFinder<'a> {
    /// Indexes `text`, to be reported as `file`.
    pub(super) fn new(text: &'a str, file: &'a str) -> Self {
        LineFinder { file, lines: text.lines().collect() }
    }

    /// The location of the entry at `path` (mapping keys, or `#N` for the N-th item of a list).
    /// Falls back to the deepest ancestor found.
    pub(super) fn locate(&self, path: &[&str]) -> Location {
        let mut start = 0usize;
        let mut min_indent: isize = -1;
        let mut line = 0usize;
        for segment in path {
            match self.find_child(start, min_indent, segment) {
                Some((idx, indent)) => {
                    line = idx + 1;
                    start = idx + 1;
                    min_indent = indent as isize;
                }
                None => break,
            }
        }
        Location { file: self.file.to_owned(), line }
    }

    fn find_child(&self, start: usize, parent_indent: isize, segment: &str) -> Option<(usize, usize)> {
        let mut item_index = 0usize;
        let wanted_item = segment.strip_prefix('#').and_then(|n| n.parse::<usize>().ok());
        let mut child_indent: Option<usize> = None;
        for (idx, raw) in self.lines.iter().enumerate().skip(start) {
            let trimmed = raw.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = raw.len() - trimmed.len();
            if (indent as isize) <= parent_indent && !(trimmed.starts_with("- ") && indent as isize == parent_indent) {
                return None;
            }
            if let Some(n) = wanted_item {
                if trimmed.starts_with("- ") || trimmed == "-" {
                    let ci = *child_indent.get_or_insert(indent);
                    if indent == ci {
                        if item_index == n {
                            return Some((idx, indent + 1));
                        }
                        item_index += 1;
                    }
                }
                continue;
            }
            let body = trimmed.strip_prefix("- ").unwrap_or(trimmed);
            let key_indent = indent + (trimmed.len() - body.len());
            let ci = *child_indent.get_or_insert(key_indent);
            if key_indent != ci {
                continue;
            }
            let key = body.split(':').next().unwrap_or("").trim().trim_matches(|c| c == '\'' || c == '"');
            if key == segment
                || body.starts_with(&format!("'{segment}':"))
                || body.starts_with(&format!("\"{segment}\":"))
            {
                return Some((idx, key_indent));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "a:\n  b:\n    c: 1\n  d:\n    - x: 1\n    - y: 2\n";

    #[test]
    fn finds_nested_keys_and_list_items() {
        let f = LineFinder::new(TEXT, "t.yaml");
        assert_eq!(f.locate(&["a", "b", "c"]).line, 3);
        assert_eq!(f.locate(&["a", "d", "#1"]).line, 6);
        assert_eq!(f.locate(&["a", "zz"]).line, 1);
        assert_eq!(f.locate(&["a", "d"]).to_string(), "t.yaml:4");
    }
}
