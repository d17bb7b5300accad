//! Domain conditions: parts of an expression as written that must be defined, kept beside
//! the canonical result that may have cancelled them.

use super::{Id, Store};
use crate::span::Span;

/// A domain condition of an expression as written: `node` must be defined (evaluate without
/// a domain error). Lowering records one for each denominator, logarithm, even root and
/// non-integer or symbolic power it builds, because the canonical constructors may cancel
/// them: `(x-2)/(x-2)` is `1` and `sqrt(x)^2` is `x`, but neither is defined everywhere.
/// Evaluation checks the conditions beside the result, and a derivative keeps the conditions
/// of its function and the function itself (DESIGN.md, "Domain conditions").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Condition {
    /// The subexpression that must be defined, as built (before anything cancelled it).
    pub node: Id,
    /// Where it is written in the source.
    pub span: Span,
    /// Whether `node` is a function kept because its derivative is taken (a derivative is
    /// defined only where its function is), rather than a part that simplifying cancelled.
    pub derivative: bool,
}

impl Condition {
    /// `node`, written at `span`, must be defined.
    pub fn new(node: Id, span: Span) -> Self {
        Condition {
            node,
            span,
            derivative: false,
        }
    }

    /// The function `node`, written at `span`, must be defined where its derivative is taken.
    pub fn function(node: Id, span: Span) -> Self {
        Condition {
            node,
            span,
            derivative: true,
        }
    }
}

/// `conditions` without duplicates, numbers, and those whose node is part of `roots`: those
/// are evaluated with the roots anyway. Linear in the size of `roots`, and free when there are none.
pub(crate) fn prune_conditions(store: &Store, roots: &[Id], conditions: &mut Vec<Condition>) {
    // The common cases need no walk: a denominator that stays the root's (`1/(1 + exp(-z))`),
    // and a number (`x/2` records 1/2), which is defined.
    conditions.retain(|c| !roots.contains(&c.node) && store.as_num(c.node).is_none());
    if conditions.is_empty() {
        return;
    }
    let reach = store.reachable(roots);
    let mut seen = std::collections::HashSet::with_capacity(conditions.len());
    conditions.retain(|c| reach.binary_search(&c.node).is_err() && seen.insert(c.node));
}
