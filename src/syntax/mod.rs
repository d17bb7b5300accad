//! Source text to syntax trees: the pest grammar (`grammar/chainrule.pest`), the parser that
//! builds [`ast`] trees with a span on every node, and its diagnostics; LaTeX math read into
//! the same trees (`grammar/latex.pest`, [`parse_latex`]); then lowering of those trees into
//! the expression store.

pub mod ast;
mod chains;
mod latex;
mod literal;
mod lower;
mod lower_matrix;
mod names;
mod number;
mod parser;

pub use chains::{Chain, Side, chains};
pub use latex::{looks_like_latex, parse_latex};
pub use literal::{Literal, parse_value_literal, split_top_level};
pub(crate) use lower::{Lowerer, SQRT, edit_distance, suggest};
pub use lower::{
    ReadExpr, UserFn, is_function_name, is_reserved_function_name, normalize_name, read_expr,
    read_expr_conditions, read_latex,
};
pub use lower_matrix::{
    MATRIX_FUNCTIONS, MatUserFn, MatrixLowerer, caret_t_meant_as_power, literal_shape,
    uses_matrix_syntax,
};
pub use names::{lookalike_warning, name_spans};
pub use number::{MAX_LITERAL_EXPONENT, NumberError, parse_exact, parse_number};
pub use parser::{MAX_DEPTH, is_name, parse_expr, parse_program};
