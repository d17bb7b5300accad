//! The function table: built-ins with their names and arities, and abstract functions.
//!
//! Derivative rules live in `diff.rs` and numeric rules in `eval/`, each a `match` over
//! [`Builtin`], so adding a built-in is a compile error everywhere it must be taught.

use super::Sym;

/// A built-in function.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Builtin {
    /// `exp(t)`
    Exp,
    /// `log(t)`, natural logarithm, `t > 0`
    Log,
    /// `sin(t)`
    Sin,
    /// `cos(t)`
    Cos,
    /// `tan(t)`
    Tan,
    /// `tanh(t)`
    Tanh,
    /// `abs(t)`; derivative `sign(t)`
    Abs,
    /// `sign(t)`: -1, 0 or 1; derivative 0
    Sign,
    /// `sigmoid(t) = 1/(1 + exp(-t))`
    Sigmoid,
    /// `relu(t) = max(t, 0)`; derivative `step(t)`, 0 at 0
    Relu,
    /// `softplus(t) = log(1 + exp(t))`; derivative `sigmoid(t)`
    Softplus,
    /// `step(t)`: 1 if `t > 0`, else 0 (alias `heaviside`)
    Step,
    /// `max(a, b, …)`: two or more arguments
    Max,
    /// `min(a, b, …)`: two or more arguments
    Min,
}

/// Every built-in, for lookups and suggestions.
pub const BUILTINS: [Builtin; 14] = [
    Builtin::Exp,
    Builtin::Log,
    Builtin::Sin,
    Builtin::Cos,
    Builtin::Tan,
    Builtin::Tanh,
    Builtin::Abs,
    Builtin::Sign,
    Builtin::Sigmoid,
    Builtin::Relu,
    Builtin::Softplus,
    Builtin::Step,
    Builtin::Max,
    Builtin::Min,
];

impl Builtin {
    /// The name used in text syntax.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Exp => "exp",
            Builtin::Log => "log",
            Builtin::Sin => "sin",
            Builtin::Cos => "cos",
            Builtin::Tan => "tan",
            Builtin::Tanh => "tanh",
            Builtin::Abs => "abs",
            Builtin::Sign => "sign",
            Builtin::Sigmoid => "sigmoid",
            Builtin::Relu => "relu",
            Builtin::Softplus => "softplus",
            Builtin::Step => "step",
            Builtin::Max => "max",
            Builtin::Min => "min",
        }
    }

    /// The built-in with this name (`heaviside` is `step`). `sqrt` is not here: it is built as
    /// the power `t^(1/2)`.
    pub fn from_name(name: &str) -> Option<Builtin> {
        if name == "heaviside" {
            return Some(Builtin::Step);
        }
        BUILTINS.iter().copied().find(|b| b.name() == name)
    }

    /// Number of arguments: the fewest it takes (`max` and `min` take that many or more).
    pub fn arity(self) -> usize {
        match self {
            Builtin::Max | Builtin::Min => 2,
            _ => 1,
        }
    }

    /// Whether it takes any number of arguments from [`Builtin::arity`] on.
    pub fn variadic(self) -> bool {
        matches!(self, Builtin::Max | Builtin::Min)
    }

    /// Whether `n` arguments are right for it.
    pub fn takes(self, n: usize) -> bool {
        n == self.arity() || self.variadic() && n > self.arity()
    }

    /// Its domain rule, given the sign of its first argument: why it is undefined there, or
    /// `None`. Only `log` has one. A NaN argument (`None`) is left to the arithmetic's own
    /// check of non-finite results.
    pub fn domain_error(self, sign: Option<std::cmp::Ordering>) -> Option<&'static str> {
        use std::cmp::Ordering::{Equal, Less};
        match (self, sign) {
            (Builtin::Log, Some(Less | Equal)) => Some("log of a non-positive number"),
            _ => None,
        }
    }
}

/// An unspecified function, or one of its partial derivatives: `f`, `f'`, `∂_2 ℓ`.
#[derive(Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct AbstractFn {
    /// The function's name.
    pub name: Sym,
    /// The slots (0-based) differentiated by, sorted (partials commute): `[]` for `f` itself,
    /// `[0, 0]` for `f''`, `[1]` for `∂_2 ℓ`.
    pub partials: Box<[u16]>,
}

/// A function: built in or abstract.
#[derive(Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Func {
    /// A built-in.
    Builtin(Builtin),
    /// An unspecified function or one of its derivatives.
    Abstract(AbstractFn),
}
