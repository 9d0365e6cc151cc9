//! Plain-text tables and number formatting for the human-readable output of `cs`.
//!
//! Columns are padded to their widest cell; the first column is left-aligned and the
//! others right-aligned (they hold numbers), unless a column is marked left-aligned.
//! Missing figures (a ratio over nothing) print as `-`.

use std::fmt::Write as _;

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
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        for r in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::new();
            for (i, (&width, &left)) in widths.iter().zip(&self.left).enumerate() {
                let cell = r.get(i).map_or("", String::as_str);
                if i > 0 {
                    line.push_str("  ");
                }
                let pad = width.saturating_sub(cell.chars().count());
                if left {
                    line.push_str(cell);
                    line.extend(std::iter::repeat_n(' ', pad));
                } else {
                    line.extend(std::iter::repeat_n(' ', pad));
                    line.push_str(cell);
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

/// Seconds with one decimal (`6.7 s`), or `-`.
pub fn seconds(v: Option<f64>) -> String {
    v.filter(|x| x.is_finite()).map_or_else(|| "-".to_owned(), |x| format!("{x:.1} s"))
}

/// Key/value lines with the keys padded to the same width.
pub fn pairs(rows: &[(&str, String)]) -> String {
    let w = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    rows.iter().map(|(k, v)| format!("{k:<w$}  {v}\n")).collect()
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
    fn numbers_format() {
        assert_eq!(percent(Some(0.8883)), "88.8 %");
        assert_eq!(percent(None), "-");
        assert_eq!(seconds(Some(6.66)), "6.7 s");
        assert_eq!(pairs(&[("a", "1".into()), ("bbb", "2".into())]), "a    1\nbbb  2\n");
    }
}
