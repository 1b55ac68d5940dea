//! Terminal output of the management commands: aligned tables (`ID   NAME   TYPE`), aligned
//! `Field: value` details, compact JSON, UTC timestamps. Text from the server is cleaned of
//! control characters first, so a name holding escape sequences cannot rewrite the terminal.

use super::{EXIT_ERROR, Failure};
use serde::Serialize;
use std::io::Write;

/// `text` with control characters shown escaped (`\u{1b}`), on one line.
pub fn clean(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// An optional value, or `-`.
pub fn or_dash(value: Option<&str>) -> String {
    value.map_or_else(|| "-".to_owned(), str::to_owned)
}

/// A list of values joined by commas, or `-`.
pub fn list(values: &[String]) -> String {
    if values.is_empty() {
        "-".to_owned()
    } else {
        values.join(", ")
    }
}

fn write_failed(error: std::io::Error) -> Failure {
    Failure::new(EXIT_ERROR, format!("cannot write the output: {error}"))
}

/// Prints `value` as JSON on one line.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string(value)
        .map_err(|e| Failure::new(EXIT_ERROR, format!("cannot encode JSON: {e}")))?;
    writeln!(std::io::stdout().lock(), "{text}").map_err(write_failed)
}

/// Rows under upper-case headers, columns padded to their widest cell, three spaces apart
/// (as `kubectl get` prints them).
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Self {
        Self {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows
            .push(cells.iter().map(|cell| clean(cell)).collect());
    }

    /// The table's text, one line per row, each ending in a newline.
    pub fn render(&self) -> String {
        let header: Vec<String> = self.headers.iter().map(|h| (*h).to_owned()).collect();
        let lines: Vec<&Vec<String>> = std::iter::once(&header).chain(&self.rows).collect();
        let mut widths: Vec<usize> = vec![0; self.headers.len()];
        for line in &lines {
            for (width, cell) in widths.iter_mut().zip(line.iter()) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut text = String::new();
        for line in lines {
            let cells: Vec<String> = line
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            text.push_str(cells.join("   ").trim_end());
            text.push('\n');
        }
        text
    }

    pub fn print(&self) -> Result<(), Failure> {
        write!(std::io::stdout().lock(), "{}", self.render()).map_err(write_failed)
    }
}

/// `Field: value` lines with the values aligned (as `kubectl describe` prints them).
pub fn print_details(fields: &[(&str, String)]) -> Result<(), Failure> {
    write!(std::io::stdout().lock(), "{}", render_details(fields)).map_err(write_failed)
}

fn render_details(fields: &[(&str, String)]) -> String {
    let width = fields
        .iter()
        .map(|(name, _)| name.chars().count() + 1)
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for (name, value) in fields {
        let label = format!("{name}:");
        text.push_str(format!("{label:<width$}  {}", clean(value)).trim_end());
        text.push('\n');
    }
    text
}

/// Seconds since the Unix epoch as RFC 3339 UTC (`2026-05-01T12:00:00Z`).
pub fn time(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    // Howard Hinnant's days_from_civil inverse, for the proleptic Gregorian calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns_and_escape_control_characters() {
        let mut table = Table::new(&["ID", "NAME", "TYPE"]);
        table.row(vec!["a1".into(), "billing".into(), "m2m".into()]);
        table.row(vec!["b".into(), "x\x1b[2Jy".into(), "spa".into()]);
        assert_eq!(
            table.render(),
            "ID   NAME          TYPE\n\
             a1   billing       m2m\n\
             b    x\\u{1b}[2Jy   spa\n"
        );
    }

    #[test]
    fn details_align_values() {
        let text = render_details(&[("ID", "a".into()), ("Client secret", "s".into())]);
        assert_eq!(text, "ID:             a\nClient secret:  s\n");
    }

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(time(0), "1970-01-01T00:00:00Z");
        assert_eq!(time(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(time(1_767_225_599), "2025-12-31T23:59:59Z");
        assert_eq!(time(-1), "1969-12-31T23:59:59Z");
    }
}
