//! Text tables: rows of cells in columns aligned by display width.

use unicode_width::UnicodeWidthStr;

/// Rows of cells, aligned in columns by display width, `gap` spaces between columns.
pub(super) fn table(rows: &[Vec<String>], indent: &str, gap: usize) -> String {
    let mut out = String::new();
    table_onto(&mut out, rows, indent, gap);
    out
}

/// [`table`] written onto the end of `out` (a large report's tables are not copied into it).
pub(super) fn table_onto(out: &mut String, rows: &[Vec<String>], indent: &str, gap: usize) {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; cols];
    for r in rows {
        for (c, cell) in r.iter().enumerate() {
            widths[c] = widths[c].max(width(cell));
        }
    }
    // The size of the table, padding included: one allocation for a table of any length.
    let size: usize = rows
        .iter()
        .map(|r| {
            let pads: usize = r
                .iter()
                .zip(&widths)
                .take(r.len().saturating_sub(1))
                .map(|(cell, w)| w - width(cell) + gap)
                .sum();
            indent.len() + r.iter().map(String::len).sum::<usize>() + pads + 1
        })
        .sum();
    out.reserve(size);
    for r in rows {
        let start = out.len();
        out.push_str(indent);
        for (c, cell) in r.iter().enumerate() {
            out.push_str(cell);
            if c + 1 < r.len() {
                let pad = widths[c] - width(cell) + gap;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        // The line without its trailing whitespace.
        let kept = out[start..].trim_end().len();
        out.truncate(start + kept);
        out.push('\n');
    }
}

/// The display width of a cell: its length when it is printable ASCII (the common case).
fn width(cell: &str) -> usize {
    if cell.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        cell.len()
    } else {
        UnicodeWidthStr::width(cell)
    }
}
