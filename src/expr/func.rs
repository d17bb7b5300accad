//! The function table: built-ins with their names, arities and exact values at rational
//! arguments ([`Builtin::exact`], which the constructors fold with and the exact evaluator
//! uses), and abstract functions.
//!
//! The other rules of a built-in are each written once, a `match` over [`Builtin`]: its
//! partial derivatives in `diff.rs` (`diff::partial`), its value in f64 and MPFR and its
//! domain in `eval/builtins.rs`; so adding a built-in is a compile error everywhere it must
//! be taught.

use super::Sym;
use rug::Rational;
use std::cmp::Ordering;

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
    /// `cot(t) = cos(t)/sin(t)`, `sin t ≠ 0`; derivative `-(1 + cot(t)^2)`
    Cot,
    /// `tanh(t)`
    Tanh,
    /// `sech(t) = 1/cosh(t)`; derivative `-sech(t)·tanh(t)`
    Sech,
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
pub const BUILTINS: [Builtin; 16] = [
    Builtin::Exp,
    Builtin::Log,
    Builtin::Sin,
    Builtin::Cos,
    Builtin::Tan,
    Builtin::Cot,
    Builtin::Tanh,
    Builtin::Sech,
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
            Builtin::Cot => "cot",
            Builtin::Tanh => "tanh",
            Builtin::Sech => "sech",
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
        // A `match`, not a search of `BUILTINS` by `name()`: it is asked of every name a
        // program uses (hundreds of thousands in a large one), and most are no built-in.
        Some(match name {
            "exp" => Builtin::Exp,
            "log" => Builtin::Log,
            "sin" => Builtin::Sin,
            "cos" => Builtin::Cos,
            "tan" => Builtin::Tan,
            "cot" => Builtin::Cot,
            "tanh" => Builtin::Tanh,
            "sech" => Builtin::Sech,
            "abs" => Builtin::Abs,
            "sign" => Builtin::Sign,
            "sigmoid" => Builtin::Sigmoid,
            "relu" => Builtin::Relu,
            "softplus" => Builtin::Softplus,
            "step" | "heaviside" => Builtin::Step,
            "max" => Builtin::Max,
            "min" => Builtin::Min,
            _ => return None,
        })
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

    /// Its value at rational arguments, when that value is rational (`relu(-2)` is 0,
    /// `exp(0)` is 1, `sigmoid(0)` is 1/2).
    pub fn exact(self, a: &[&Rational]) -> Result<Rational, NoExactValue> {
        let t = a[0];
        let zero = *t == 0;
        if let Some(why) = self.domain_error(Some(t.cmp0())) {
            return Err(NoExactValue::Domain(why));
        }
        Ok(match self {
            Builtin::Log if *t == 1 => Rational::new(),
            Builtin::Exp | Builtin::Cos | Builtin::Sech if zero => Rational::from(1),
            Builtin::Sin | Builtin::Tan | Builtin::Tanh if zero => Rational::new(),
            Builtin::Sigmoid if zero => Rational::from((1, 2)),
            Builtin::Abs => t.clone().abs(),
            Builtin::Sign => Rational::from(t.cmp0() as i32),
            Builtin::Relu => {
                if t.cmp0() == Ordering::Greater {
                    t.clone()
                } else {
                    Rational::new()
                }
            }
            Builtin::Step => Rational::from(i32::from(t.cmp0() == Ordering::Greater)),
            Builtin::Max => a.iter().copied().max().unwrap_or(t).clone(),
            Builtin::Min => a.iter().copied().min().unwrap_or(t).clone(),
            _ => return Err(NoExactValue::NotRational),
        })
    }

    /// Whether it has a domain rule ([`Builtin::domain_error`]): `log` and `cot`, undefined
    /// at some numbers, which an expression must keep the condition of where simplifying
    /// cancels the call (`cot(x)*0` is undefined at 0).
    pub fn has_domain_rule(self) -> bool {
        matches!(self, Builtin::Log | Builtin::Cot)
    }

    /// Its domain rule, given the sign of its first argument: why it is undefined there, or
    /// `None`. `log` has one, and `cot` is undefined at 0 (its other poles, the nonzero
    /// multiples of π, are neither rational nor floats, as `tan`'s are not). A NaN argument
    /// (`None`) is left to the arithmetic's own check of non-finite results.
    pub fn domain_error(self, sign: Option<std::cmp::Ordering>) -> Option<&'static str> {
        use std::cmp::Ordering::{Equal, Less};
        match (self, sign) {
            (Builtin::Log, Some(Less | Equal)) => Some("log of a non-positive number"),
            (Builtin::Cot, Some(Equal)) => Some("cot of 0 (sin 0 = 0)"),
            _ => None,
        }
    }
}

/// Why [`Builtin::exact`] has no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoExactValue {
    /// The arguments are outside the domain: what went wrong (`"log of a non-positive number"`).
    Domain(&'static str),
    /// The value exists but is not rational (`exp(1)`).
    NotRational,
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
    /// An unspecified function or one of its derivatives. Boxed: abstract functions are rare
    /// and a call's function is in every node's room (a `Node` is 40 bytes with it boxed, 48
    /// without; a 10^5-layer program's store holds over a million nodes).
    Abstract(Box<AbstractFn>),
}

#[cfg(test)]
mod tests {
    use super::{BUILTINS, Builtin};

    /// `from_name` is `name`'s inverse on every built-in (and knows `heaviside`), and takes
    /// no other name for one: not a prefix, a longer word, another case.
    #[test]
    fn from_name_inverts_name() {
        for b in BUILTINS {
            assert_eq!(Builtin::from_name(b.name()), Some(b), "{}", b.name());
            let longer = format!("{}1", b.name());
            assert_eq!(Builtin::from_name(&longer), None);
            assert_eq!(Builtin::from_name(&b.name().to_uppercase()), None);
            assert_eq!(Builtin::from_name(&b.name()[1..]), None);
        }
        assert_eq!(Builtin::from_name("heaviside"), Some(Builtin::Step));
        for n in ["", "x", "w1", "sqrt", "ln", "sigma", "σ"] {
            assert_eq!(Builtin::from_name(n), None, "{n}");
        }
    }
}
