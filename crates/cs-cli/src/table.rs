//! Plain-text tables and number formatting for the human-readable output of `cs`.
//!
//! Columns are padded to their widest cell; the first column is left-aligned and the
//! others right-aligned (they hold numbers), unless a column is marked left-aligned.
//! Missing figures (a ratio over nothing) print as `-`.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Text as it may be printed: control characters (a newline, a NUL, a terminal escape) and
/// bidirectional overrides written as `\u{1b}` escapes, so that a name can neither break a
/// table's lines nor drive the terminal. The engine and the scenarios refuse such names
/// (`cs_core::config::name_problem`); this guards whatever else is printed.
pub fn printable(text: &str) -> Cow<'_, str> {
    let bad = |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(bad) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if bad(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A table of text cells with a header row.
#[derive(Clone, Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    left: Vec<bool>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Table {
        let mut left = vec![false; header.len()];
        if let Some(first) = left.first_mut() {
            *first = true;
        }
        Table { header: header.iter().map(|h| (*h).to_owned()).collect(), rows: Vec::new(), left }
    }

    /// Left-aligns column `i` (for text such as names and lists).
    pub fn left(mut self, i: usize) -> Table {
        if let Some(l) = self.left.get_mut(i) {
            *l = true;
        }
        self
    }

    /// Adds a row; missing cells print empty, extra cells are dropped.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as text, one line per row, each ending in a newline.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(printable(c).chars().count());
            }
        }
        let mut out = String::new();
        for r in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::new();
            for (i, (&width, &left)) in widths.iter().zip(&self.left).enumerate() {
                let cell = r.get(i).map_or(Cow::Borrowed(""), |c| printable(c));
                if i > 0 {
                    line.push_str("  ");
                }
                let pad = width.saturating_sub(cell.chars().count());
                if left {
                    line.push_str(&cell);
                    line.extend(std::iter::repeat_n(' ', pad));
                } else {
                    line.extend(std::iter::repeat_n(' ', pad));
                    line.push_str(&cell);
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out
    }
}

/// A share as a percentage with one decimal (`88.8 %`), or `-`.
pub fn percent(v: Option<f64>) -> String {
    v.filter(|x| x.is_finite()).map_or_else(|| "-".to_owned(), |x| format!("{:.1} %", 100.0 * x))
}

/// Seconds with one decimal (`6.7 s`), in scientific notation from 1e15 on (`4.357e15 s`,
/// not sixteen digits or three hundred), or `-`.
pub fn seconds(v: Option<f64>) -> String {
    v.filter(|x| x.is_finite())
        .map_or_else(|| "-".to_owned(), |x| if x.abs() >= 1e15 { format!("{x:.3e} s") } else { format!("{x:.1} s") })
}

/// Key/value lines with the keys padded to the same width.
pub fn pairs(rows: &[(&str, String)]) -> String {
    let w = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    rows.iter().map(|(k, v)| format!("{k:<w$}  {}\n", printable(v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align() {
        let mut t = Table::new(&["queue", "waiting"]);
        t.row(vec!["chat".into(), "12".into()]);
        t.row(vec!["email".into(), "3".into()]);
        assert_eq!(t.render(), "queue  waiting\nchat        12\nemail        3\n");
    }

    #[test]
    fn control_characters_print_as_escapes() {
        let mut t = Table::new(&["queue", "waiting"]);
        t.row(vec!["a\nb\u{1b}[2J\u{202e}".into(), "1".into()]);
        assert_eq!(t.render(), "queue                     waiting\na\\u{a}b\\u{1b}[2J\\u{202e}        1\n");
        assert_eq!(printable("plain"), "plain");
    }

    #[test]
    fn numbers_format() {
        assert_eq!(percent(Some(0.8883)), "88.8 %");
        assert_eq!(percent(None), "-");
        assert_eq!(seconds(Some(6.66)), "6.7 s");
        assert_eq!(seconds(Some(1e300)), "1.000e300 s");
        assert_eq!(pairs(&[("a", "1".into()), ("bbb", "2".into())]), "a    1\nbbb  2\n");
    }
}
