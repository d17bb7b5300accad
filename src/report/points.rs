//! A point (the values of the inputs) as text, LaTeX and JSON, names in natural order.

use crate::eval::{Point, format};
use crate::expr::{Store, Sym, natural_cmp};
use crate::print::latex_name;
use serde::ser::{Serialize, SerializeMap, Serializer};

/// The point's values sorted by name in natural order (`w2` before `w10`).
fn sorted_point<'p>(store: &Store, point: &'p Point) -> Vec<(Sym, &'p rug::Rational)> {
    let mut items: Vec<(Sym, &rug::Rational)> = point.iter().map(|(s, v)| (*s, v)).collect();
    // In the order of the symbols first (cheap): the program's first mention of its names,
    // close to their natural order, whose runs the merge sort then finds; from the table's
    // order it would compare names about log2(n) times each.
    items.sort_unstable_by_key(|(s, _)| *s);
    items.sort_by(|a, b| natural_cmp(store.name(a.0), store.name(b.0)));
    items
}

/// The point as `x = 1, y = 10`, names in natural order.
pub fn point_text(store: &Store, point: &Point) -> String {
    sorted_point(store, point)
        .iter()
        .map(|(s, v)| match store.written_value(*s, v) {
            // As the user wrote it: 6.8813735870195432, not 8601716983774429/1250000000000000.
            Some(t) => format!("{} = {t}", store.name(*s)),
            None => format!("{} = {v}", store.name(*s)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The point in LaTeX: `w_{1} = 2, \; x = 1`.
pub fn point_latex(store: &Store, point: &Point) -> String {
    sorted_point(store, point)
        .iter()
        .map(|(s, v)| {
            // A plain decimal as written; fractions and exponents as LaTeX fractions.
            let value = match store.written_value(*s, v) {
                Some(t)
                    if t.bytes()
                        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') =>
                {
                    t.to_string()
                }
                _ => format::latex_rational(v),
            };
            format!("{} = {value}", latex_name(store.name(*s)))
        })
        .collect::<Vec<_>>()
        .join(", \\; ")
}

/// The point as a JSON object from name to exact value (`"3/4"`), names in natural order:
/// written out as it is serialised, without a map of strings made first (a large program's
/// point has a value for each of its 10^5 weights).
pub(super) fn point_json<'a>(store: &'a Store, point: &'a Point) -> PointJson<'a> {
    PointJson {
        store,
        items: sorted_point(store, point),
    }
}

/// A point as JSON ([`point_json`]).
pub(super) struct PointJson<'a> {
    store: &'a Store,
    items: Vec<(Sym, &'a rug::Rational)>,
}

impl Serialize for PointJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.items.len()))?;
        let mut value = String::new();
        for (sym, v) in &self.items {
            value.clear();
            format::push_rational(v, &mut value);
            map.serialize_entry(self.store.name(*sym), &value)?;
        }
        map.end()
    }
}
