//! Source text to syntax trees: the pest grammar (`grammar/chainrule.pest`), the parser that
//! builds [`ast`] trees with a span on every node, and its diagnostics; then lowering of
//! those trees into the expression store.

pub mod ast;
mod lower;
mod names;
mod parser;

pub(crate) use lower::distance;
pub use lower::{
    Lowerer, ReadExpr, UserFn, edit_distance, lower_expr, normalize_name, parse_number,
    parse_value, read_expr, read_expr_conditions, suggest,
};
pub use names::{lookalike_warning, name_spans};
pub use parser::{MAX_DEPTH, is_name, parse_expr, parse_program};
