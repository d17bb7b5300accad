//! Points files: CSV in, CSV out. A points file has a header of variable names, then one
//! point per row (`#` starts a comment line); [`points_csv`] evaluates a formula and its
//! gradient at every row on a compiled tape ([`crate::eval::tape`]) and writes the values as
//! CSV. Reading and writing the format live here, not in the evaluator, which only computes.

use crate::diff;
use crate::error::{Error, Result};
use crate::eval::nearest_f64;
use crate::eval::tape::Tape;
use crate::expr::{Id, Store, Sym};

/// The lines of a points file that hold data (numbered from 0): its byte-order mark, blank
/// lines and `#` comments left out; the first is the header.
fn data_lines(csv: &str) -> impl Iterator<Item = (usize, &str)> {
    // Spreadsheets save "CSV UTF-8" with a byte-order mark first.
    let csv = csv.strip_prefix('\u{feff}').unwrap_or(csv);
    csv.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
}

/// The column names of a points file, normalized as names are (empty for an empty file).
pub fn columns(csv: &str) -> Vec<String> {
    data_lines(csv).next().map_or(Vec::new(), |(_, header)| {
        header
            .split(',')
            .map(|n| crate::syntax::normalize_name(n.trim()))
            .collect()
    })
}

/// Parses CSV points: a header of variable names, then one point per row.
fn read_points(csv: &str) -> Result<(Vec<String>, Vec<Vec<f64>>)> {
    let mut lines = data_lines(csv);
    if lines.next().is_none() {
        return Err(Error::Usage(
            "the points file is empty: its first line names the variables, e.g. `x,y,w1`".into(),
        ));
    }
    let names = columns(csv);
    if let Some((i, n)) = names
        .iter()
        .enumerate()
        .find(|(i, n)| names[..*i].contains(n))
    {
        return Err(Error::Usage(format!(
            "the points file has two columns named `{n}` (columns {} and {}): which is meant?",
            names.iter().position(|m| m == n).unwrap() + 1,
            i + 1
        )));
    }
    let mut columns: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    for (i, line) in lines {
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() != names.len() {
            return Err(Error::Usage(format!(
                "points, line {}: {} values for {} columns",
                i + 1,
                cells.len(),
                names.len()
            )));
        }
        for ((col, cell), name) in columns.iter_mut().zip(&cells).zip(&names) {
            let cell = cell.trim();
            let v = match cell.parse::<f64>() {
                Ok(v) => v,
                Err(_) => {
                    let q = crate::syntax::parse_exact(cell).map_err(|e| {
                        let msg = e.message(cell);
                        Error::Usage(format!("points, line {}, column `{name}`: {msg}", i + 1))
                    })?;
                    nearest_f64(&q)
                }
            };
            col.push(v);
        }
    }
    Ok((names, columns))
}

/// Evaluates `root` and its gradient by `wrt` at every point of a CSV text (a header of
/// variable names, then one point per row; `#` starts a comment line) in f64, compiled to a
/// tape and run over all cores for large files. Returns CSV: a column `name` with the value,
/// then one column `d{name}/d{w}` per variable of `wrt` (none when `wrt` is empty). Columns
/// that name no variable of `root` are ignored; a variable without a column is an error.
///
/// ```
/// use chainrule::{expr::Store, points::points_csv, syntax::read_expr};
/// let mut store = Store::new();
/// let (e, _) = read_expr(&mut store, "(y - w*x)^2", "<expr>").unwrap();
/// let w = store.intern("w");
/// let csv = points_csv(&mut store, e, "E", &[w], "x,y,w\n1,10,2\n2,0,1\n").unwrap();
/// assert_eq!(csv, "E,dE/dw\n64,-16\n4,8\n");
/// ```
pub fn points_csv(
    store: &mut Store,
    root: Id,
    name: &str,
    wrt: &[Sym],
    csv: &str,
) -> Result<String> {
    points_csv_guarded(store, root, &[], name, wrt, csv)
}

/// [`points_csv`] checking domain conditions: `conditions` are nodes that must be defined
/// (see [`crate::expr::Condition`]); a row where one is NaN or infinite is NaN throughout,
/// as a row where the formula itself is undefined.
pub fn points_csv_guarded(
    store: &mut Store,
    root: Id,
    conditions: &[Id],
    name: &str,
    wrt: &[Sym],
    csv: &str,
) -> Result<String> {
    let (names, columns) = read_points(csv)?;
    let tape = if conditions.is_empty() {
        Tape::gradient(store, root, wrt)?
    } else {
        let grads = diff::gradient(store, root, wrt);
        let mut inputs = store.free_symbols(root);
        // One walk over all the conditions (a deep program's share most of their nodes)
        // and a set: linear in their size, where a walk and a scan per condition was cubic.
        let mut seen: std::collections::HashSet<Sym> = inputs.iter().copied().collect();
        let more = store.reachable(conditions).into_iter();
        for w in wrt
            .iter()
            .copied()
            .chain(more.filter_map(|id| store.as_sym(id)))
        {
            if seen.insert(w) {
                inputs.push(w);
            }
        }
        let mut roots = vec![root];
        roots.extend(grads);
        roots.extend_from_slice(conditions);
        let mut tape = Tape::compile(store, &roots, &inputs)?;
        // The conditions are computed, so a point where one is undefined is undefined
        // ([`Tape::eval_batch`]); their values are not needed.
        tape.keep_outputs(1 + wrt.len());
        tape
    };
    let mut cols: Vec<&[f64]> = Vec::new();
    for s in tape.inputs() {
        let var = store.name(*s);
        match names.iter().position(|n| n == var) {
            Some(i) => cols.push(&columns[i]),
            None => {
                return Err(Error::Usage(format!(
                    "the points file has no column `{var}` (its columns: {})",
                    names.join(", ")
                )));
            }
        }
    }
    let rows = columns.first().map_or(0, Vec::len);
    let values = if cols.is_empty() {
        // A constant (`0*x`): one value for every row, not no rows.
        let one = tape.eval_f64(&[]);
        one.into_iter().map(|v| vec![v; rows]).collect()
    } else {
        tape.eval_batch(&cols)
    };
    let mut out = String::new();
    out.push_str(name);
    for w in wrt {
        out.push_str(&format!(",d{name}/d{}", store.name(*w)));
    }
    out.push('\n');
    for i in 0..rows {
        for (j, col) in values.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            // -0 as 0: a spreadsheet shows the same, and `-0` reads as a sign that matters.
            let v = if col[i] == 0.0 { 0.0 } else { col[i] };
            out.push_str(&crate::eval::format::f64_text(v));
        }
        out.push('\n');
    }
    Ok(out)
}
