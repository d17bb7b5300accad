//! Values written as text outside a program (a point given on the command line): a number
//! (`-0.5`, `3/4`), a vector `[1, 2, 3]` (a flat list, always a column) or a matrix
//! `[[1, 2], [3, 4]]` (a list of rows of equal length). Every entry is exact and keeps the
//! text it was written as; entries are read by [`parse_exact`], as single values are.

use super::number::parse_exact;
use rug::Rational;

/// A value as written: each entry exact, with its text.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A number: `2`, `-0.5`, `-11/4`, `1e-4`.
    Scalar(Rational, String),
    /// A column vector: `[1, 2, 3]`. Never empty.
    Vector(Vec<(Rational, String)>),
    /// A matrix, row by row: `[[1, 2], [3, 4]]`. Never empty; its rows have equal lengths
    /// (at least 1).
    Matrix(Vec<Vec<(Rational, String)>>),
}

/// Reads a value: a number, a vector `[1, 2]` or a matrix `[[1, 2], [3, 4]]`.
///
/// # Errors
/// A message (without the name of the value, which the caller adds) for an entry that is not
/// a number, an empty list, brackets that do not balance, lists nested deeper than a matrix,
/// a list mixing numbers and rows, or rows of different lengths (naming the row).
pub fn parse_value_literal(text: &str) -> Result<Literal, String> {
    let text = text.trim();
    if !text.starts_with('[') {
        if text.contains(['[', ']']) {
            return Err(format!(
                "`{text}` is not a number, a vector `[1, 2]` or a matrix `[[1, 2], [3, 4]]`"
            ));
        }
        // As `parse_exact` reads a single value, with its messages (an empty text too).
        return parse_exact(text)
            .map(|v| Literal::Scalar(v, text.to_string()))
            .map_err(|e| e.message(text));
    }
    let items = list(text)?;
    let rows = items.iter().filter(|i| i.starts_with('[')).count();
    if rows == 0 {
        return items
            .into_iter()
            .map(entry)
            .collect::<Result<Vec<_>, String>>()
            .map(Literal::Vector);
    }
    if rows < items.len() {
        return Err(
            "a list holds numbers (a vector, `[1, 2]`) or rows (a matrix, `[[1, 2], [3, 4]]`), not both"
                .into(),
        );
    }
    let mut matrix: Vec<Vec<(Rational, String)>> = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let row = list(item)?;
        if row.iter().any(|e| e.starts_with('[')) {
            return Err(
                "lists nest at most two deep: a matrix is a list of rows, as in `[[1, 2], [3, 4]]`"
                    .into(),
            );
        }
        let row = row
            .into_iter()
            .map(entry)
            .collect::<Result<Vec<_>, String>>()?;
        if let Some(first) = matrix.first()
            && first.len() != row.len()
        {
            return Err(format!(
                "row {} has {} but row 1 has {}: the rows of a matrix have equal lengths",
                i + 1,
                entries(row.len()),
                entries(first.len())
            ));
        }
        matrix.push(row);
    }
    Ok(Literal::Matrix(matrix))
}

/// `1 entry`, `2 entries`.
fn entries(n: usize) -> String {
    if n == 1 {
        "1 entry".into()
    } else {
        format!("{n} entries")
    }
}

/// One exact entry, with its text.
fn entry(text: &str) -> Result<(Rational, String), String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("an entry is missing (two commas in a row, or a comma before `]`)".into());
    }
    parse_exact(text)
        .map(|v| (v, text.to_string()))
        .map_err(|e| e.message(text))
}

/// The items of a bracketed list `[a, b, …]` (the whole of `text`), split at its top-level
/// commas and trimmed.
fn list(text: &str) -> Result<Vec<&str>, String> {
    let text = text.trim();
    let mut depth = 0usize;
    let mut close = None;
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let Some(close) = close else {
        return Err("a `[` is not closed".into());
    };
    let after = text[close + 1..].trim();
    if !after.is_empty() {
        return Err(format!("unexpected `{after}` after `]`"));
    }
    let inner = &text[1..close];
    if inner.trim().is_empty() {
        return Err(
            "empty brackets: a vector lists its entries, as in `[1, 2, 3]`; a matrix its rows, as in `[[1, 2], [3, 4]]`"
                .into(),
        );
    }
    Ok(split_top_level(inner).into_iter().map(str::trim).collect())
}

/// `text` split at its commas outside brackets: `x=[1,2],y=3` gives `x=[1,2]` and `y=3`.
/// Brackets that do not balance are left for the reader of each part to report.
pub fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::{Literal, parse_value_literal, split_top_level};
    use rug::Rational;

    fn q(p: i64, d: i64) -> Rational {
        Rational::from((p, d))
    }

    fn values(entries: &[(Rational, String)]) -> Vec<Rational> {
        entries.iter().map(|(v, _)| v.clone()).collect()
    }

    #[test]
    fn scalars_read_as_parse_exact_does() {
        assert_eq!(
            parse_value_literal(" -11/4 "),
            Ok(Literal::Scalar(q(-11, 4), "-11/4".into()))
        );
        assert_eq!(
            parse_value_literal("1e-4"),
            Ok(Literal::Scalar(q(1, 10_000), "1e-4".into()))
        );
        let error = parse_value_literal("abc").unwrap_err();
        assert!(error.contains("`abc` is not a number"), "{error}");
    }

    #[test]
    fn vectors_are_flat_lists_with_exact_entries_and_their_text() {
        let Ok(Literal::Vector(v)) = parse_value_literal("[1, -0.5, 3/4, 1e2]") else {
            panic!("a vector")
        };
        assert_eq!(values(&v), [q(1, 1), q(-1, 2), q(3, 4), q(100, 1)]);
        let texts: Vec<&str> = v.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["1", "-0.5", "3/4", "1e2"]);
    }

    #[test]
    fn matrices_are_lists_of_rows() {
        let Ok(Literal::Matrix(m)) = parse_value_literal("[[1,2],[3, -4/3]]") else {
            panic!("a matrix")
        };
        assert_eq!(m.len(), 2);
        assert_eq!(values(&m[0]), [q(1, 1), q(2, 1)]);
        assert_eq!(values(&m[1]), [q(3, 1), q(-4, 3)]);
        // A single row and a single column are matrices too.
        assert!(matches!(parse_value_literal("[[1, 2]]"), Ok(Literal::Matrix(m)) if m.len() == 1));
        assert!(
            matches!(parse_value_literal("[[1], [2]]"), Ok(Literal::Matrix(m)) if m.len() == 2 && m[0].len() == 1)
        );
    }

    #[test]
    fn bad_lists_are_explained() {
        let cases: &[(&str, &str)] = &[
            ("[]", "empty brackets"),
            ("[[]]", "empty brackets"),
            ("[1, 2", "is not closed"),
            ("[1, 2]]", "unexpected `]` after `]`"),
            ("[1, 2] 3", "unexpected `3` after `]`"),
            ("[1,,2]", "an entry is missing"),
            ("[1, 2,]", "an entry is missing"),
            ("[1, x]", "`x` is not a number"),
            ("[[1, 2], 3]", "not both"),
            ("[[1, 2], [3]]", "row 2 has 1 entry but row 1 has 2"),
            ("[[1], [2], [3, 4]]", "row 3 has 2 entries but row 1 has 1"),
            ("[[[1]]]", "at most two deep"),
            ("1]", "is not a number, a vector"),
            ("[1/0]", "division by zero"),
        ];
        for (text, want) in cases {
            let error = parse_value_literal(text).expect_err(text);
            assert!(error.contains(want), "{text}: {error}");
        }
    }

    #[test]
    fn commas_split_only_outside_brackets() {
        assert_eq!(
            split_top_level("A=[[1,2],[3,4]],x=[1,2],c=3"),
            ["A=[[1,2],[3,4]]", "x=[1,2]", "c=3"]
        );
        assert_eq!(split_top_level("x=1,y=2"), ["x=1", "y=2"]);
        assert_eq!(split_top_level("x=[1,2"), ["x=[1,2"]);
        assert_eq!(split_top_level("x=1]],y=2"), ["x=1]]", "y=2"]);
    }
}
