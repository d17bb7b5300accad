//! Source text to syntax trees: the pest grammar (`grammar/chainrule.pest`), the parser that
//! builds [`ast`] trees with a span on every node, and its diagnostics; then lowering of
//! those trees into the expression store.

pub mod ast;
mod lower;
mod parser;

pub(crate) use lower::distance;
pub use lower::{
    Condition, Lowerer, ReadExpr, UserFn, lower_expr, normalize_name, parse_number,
    prune_conditions, read_expr, read_expr_conditions, suggest,
};
pub use parser::{MAX_DEPTH, parse_expr, parse_program};
