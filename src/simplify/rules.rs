//! The named rules of [`super::simplify`]. Each takes a node (its children already in their
//! shortest found form) and returns candidate equal forms; the search keeps a candidate only
//! when it is shorter. Every candidate equals the node wherever the node is defined (each
//! rule's comment says why).

use super::Search;
use crate::expr::{Builtin, Func, Id, Node, Store, owned_pairs};
use rug::{Integer, Rational};

/// A rule: the node and its candidates.
pub type Rule = fn(&mut Search<'_>, Id) -> Vec<Id>;

/// The rules, in the order they are tried.
pub const RULES: [(&str, Rule); 12] = [
    ("abs-from-sign", abs_from_sign),
    ("integer-sum-in-power", integer_sum_in_power),
    ("merge-exp", merge_exp),
    ("sign-into-sum", sign_into_sum),
    ("collect-common-factors", collect_common_factors),
    ("abs-as-sign-in-sum", abs_as_sign_in_sum),
    ("expand", expand),
    ("sigmoid-complement", sigmoid_complement),
    ("tan-squared-plus-one", tan_squared_plus_one),
    ("cos-over-sin", cos_over_sin),
    ("log-of-sigmoid", log_of_sigmoid),
    ("rational", rational),
];

/// Fractions over one denominator with their common factors cancelled
/// ([`super::rational::normal`]: a multivariate gcd over Q, the non-polynomial parts as
/// atoms), when that is shorter. Equal wherever the node is defined: a cancelled denominator
/// is a part the result no longer contains, so the search keeps it as a condition.
fn rational(s: &mut Search<'_>, id: Id) -> Vec<Id> {
    super::rational::normal(s.store, id)
        .map(|n| n.expr)
        .into_iter()
        .collect()
}

/// The rule called `name` (for tests: each rule is shown on its own).
pub fn rule(name: &str) -> Option<Rule> {
    RULES.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
}

fn one() -> Rational {
    Rational::from(1)
}

/// `u^k·sign(u)` is `|u|·u^(k-1)` and `|u|^k·sign(u)` is `u·|u|^(k-1)`: equal for u ≠ 0
/// (sign(u) = u/|u|), and at u = 0 both sides are 0 for k ≥ 1 and both undefined for k ≤ 0.
/// The same with `-u` in place of `u` (`(y - x)*sign(x - y)` is `-|x - y|`).
fn abs_from_sign(s: &mut Search<'_>, id: Id) -> Vec<Id> {
    let Node::Mul(p) = s.store.node(id) else {
        return Vec::new();
    };
    let (coeff, factors) = (p.coeff().clone(), owned_pairs(p.factors()));
    let mut out = Vec::new();
    for (i, (sg, e)) in factors.iter().enumerate() {
        if *e != 1 {
            continue;
        }
        let Node::Call(Func::Builtin(Builtin::Sign), args) = s.store.node(*sg) else {
            continue;
        };
        let u = args[0];
        let minus_u = s.store.neg(u);
        let abs_u = s.store.apply(Builtin::Abs, u);
        for (j, (b, k)) in factors.iter().enumerate() {
            if j == i || k.denom() != &1 {
                continue;
            }
            // (base to keep, its sign flip, the other base): u^k·sign(u) = |u|·u^(k-1),
            // (-u)^k·sign(u) = -|u|·(-u)^(k-1), |u|^k·sign(u) = u·|u|^(k-1).
            let (keep, flip, other) = if *b == u {
                (u, false, abs_u)
            } else if *b == minus_u {
                (minus_u, true, abs_u)
            } else if *b == abs_u {
                (abs_u, false, u)
            } else {
                continue;
            };
            let mut fs: Vec<(Id, Rational)> = factors
                .iter()
                .enumerate()
                .filter(|(n, _)| *n != i && *n != j)
                .map(|(_, f)| f.clone())
                .collect();
            fs.push((keep, Rational::from(k - 1u32)));
            fs.push((other, one()));
            let c = if flip { -coeff.clone() } else { coeff.clone() };
            out.push(s.store.product_of(c, fs));
        }
    }
    out
}

/// `c·X·(a - b)` is `(-c)·X·(b - a)`: a negative coefficient goes into a sum factor raised
/// to an odd power, `-2*x*(y - w*x)` is `2*x*(w*x - y)`. Exact arithmetic: equal everywhere.
fn sign_into_sum(s: &mut Search<'_>, id: Id) -> Vec<Id> {
    let Node::Mul(p) = s.store.node(id) else {
        return Vec::new();
    };
    if *p.coeff() > 0 {
        return Vec::new();
    }
    let (coeff, factors) = (p.coeff().clone(), owned_pairs(p.factors()));
    let mut out = Vec::new();
    for (i, (b, e)) in factors.iter().enumerate() {
        if !matches!(s.store.node(*b), Node::Add(_)) || e.denom() != &1 || e.numer().is_even() {
            continue;
        }
        let mut fs = factors.clone();
        fs[i].0 = s.store.neg(*b);
        out.push(s.store.product_of(-coeff.clone(), fs));
    }
    out
}

/// A product not built: its coefficient and `(base, exponent)` factors.
type Item = (Rational, Vec<(Id, Rational)>);

/// A sum's items: the constant as an item with no factors, and each term as its coefficient
/// and factors.
fn items(store: &Store, id: Id) -> Option<Vec<Item>> {
    let Node::Add(sum) = store.node(id) else {
        return None;
    };
    let mut out = Vec::new();
    for (t, k) in sum.terms() {
        out.push(match store.node(*t) {
            Node::Mul(p) => (Rational::from(&**k * p.coeff()), owned_pairs(p.factors())),
            _ => (k.to_rational(), vec![(*t, one())]),
        });
    }
    if *sum.constant() != 0 {
        out.push((sum.constant().clone(), Vec::new()));
    }
    Some(out)
}

/// The exponent of `b` in a product's factors (0 when absent).
fn exponent(factors: &[(Id, Rational)], b: Id) -> Rational {
    factors
        .iter()
        .find(|(x, _)| *x == b)
        .map_or_else(Rational::new, |(_, e)| e.clone())
}

/// The positive greatest common divisor of rationals (gcd of numerators over lcm of
/// denominators).
fn rational_gcd(ks: &[&Rational]) -> Rational {
    let mut n = Integer::new();
    let mut d = Integer::from(1);
    for k in ks {
        n = n.gcd(k.numer());
        d = d.lcm(k.denom());
    }
    Rational::from((n, d))
}

/// `a*b + a*c + d` is `a*(b + c) + d`: for each base common to two or more terms, the
/// largest factor common to the terms that hold it (each base at its smallest power, all
/// powers of one sign) and their numeric gcd, of either sign, are pulled out. Distributivity:
/// equal wherever the sum is defined (a base pulled out at a negative or fractional power is
/// one the sum already divides by or takes the root of).
fn collect_common_factors(s: &mut Search<'_>, id: Id) -> Vec<Id> {
    let Some(items) = items(s.store, id) else {
        return Vec::new();
    };
    if univariate_polynomial(s.store, &items) {
        return Vec::new();
    }
    let mut bases: Vec<Id> = items
        .iter()
        .flat_map(|(_, f)| f.iter().map(|x| x.0))
        .collect();
    bases.sort_unstable();
    bases.dedup();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for b in bases {
        for positive in [true, false] {
            let group: Vec<usize> = (0..items.len())
                .filter(|&i| {
                    let e = exponent(&items[i].1, b);
                    e != 0 && (e > 0) == positive
                })
                .collect();
            if group.len() >= 2 && !groups.contains(&group) {
                groups.push(group);
            }
        }
    }
    // The largest groups first, and only so many: a long sum has many small ones.
    groups.sort_by_key(|g| std::cmp::Reverse(g.len()));
    groups.truncate(GROUPS_MAX);
    let all: Vec<usize> = (0..items.len()).collect();
    if !groups.contains(&all) {
        groups.push(all);
    }
    let mut out = Vec::new();
    for group in groups {
        if s.exhausted() {
            break;
        }
        // The common factor: every base of the first item present in all with one sign.
        let first = &items[group[0]].1;
        let mut common: Vec<(Id, Rational)> = Vec::new();
        for (b, e0) in first {
            let mut m = e0.clone();
            let ok = group.iter().all(|&i| {
                let e = exponent(&items[i].1, *b);
                if e == 0 || (e > 0) != (*e0 > 0) {
                    return false;
                }
                if e.clone().abs() < m.clone().abs() {
                    m = e;
                }
                true
            });
            if ok {
                common.push((*b, m));
            }
        }
        let ks: Vec<&Rational> = group.iter().map(|&i| &items[i].0).collect();
        let g = rational_gcd(&ks);
        if common.is_empty() && g == 1 {
            continue;
        }
        let mut scales = vec![g.clone(), Rational::from(-&g)];
        if g != 1 && !common.is_empty() {
            scales.extend([one(), Rational::from(-1)]);
        }
        for g in scales {
            let inner: Vec<(Id, Rational)> = group
                .iter()
                .map(|&i| {
                    let (k, f) = &items[i];
                    let rest: Vec<(Id, Rational)> = f
                        .iter()
                        .map(|(b, e)| (*b, Rational::from(e - &exponent(&common, *b))))
                        .collect();
                    let t = s.store.product_of(Rational::from(k / &g), rest);
                    (t, one())
                })
                .collect();
            let inner = s.store.sum_of(Rational::new(), inner);
            let inner = s.run_nested(inner);
            let mut fs = common.clone();
            fs.push((inner, one()));
            let factored = s.store.product_of(g, fs);
            let mut terms = vec![(factored, one())];
            for (i, (k, f)) in items.iter().enumerate() {
                if !group.contains(&i) {
                    let t = s.store.product_of(k.clone(), f.clone());
                    terms.push((t, one()));
                }
            }
            out.push(s.store.sum_of(Rational::new(), terms));
        }
    }
    out
}

/// Whether a sum of three or more items is a polynomial in one variable (`2 - 8*z + 6*z^2`):
/// a textbook writes it expanded, not in Horner's form `z*(z*(6 - 8*z) - 8) + 2`, though that
/// is shorter.
fn univariate_polynomial(store: &Store, items: &[Item]) -> bool {
    let mut var = None;
    items.len() >= 3
        && items.iter().all(|(_, f)| {
            f.iter().all(|(b, e)| {
                store.as_sym(*b).is_some()
                    && e.denom() == &1
                    && *e > 0
                    && *var.get_or_insert(*b) == *b
            })
        })
}

/// The most groups of terms [`collect_common_factors`] tries on one sum.
const GROUPS_MAX: usize = 12;

/// The most terms an expansion may make.
const EXPAND_MAX: usize = 16;

/// Multiplies out sums that are factors (to the first power) of a product or of a sum's
/// terms, and collects: `σ(t)*(1 - y) - y*(1 - σ(t))` is `σ(t) - y`. Distributivity: equal
/// everywhere the input is defined (a term that cancels may have been undefined somewhere:
/// [`super::Simplified::conditions`] keeps it). Also offers the expansion's common factors
/// pulled out, since the shortest form is often a different grouping.
fn expand(s: &mut Search<'_>, id: Id) -> Vec<Id> {
    let items = match s.store.node(id) {
        Node::Add(_) => items(s.store, id).unwrap_or_default(),
        Node::Mul(p) => vec![(p.coeff().clone(), owned_pairs(p.factors()))],
        _ => return Vec::new(),
    };
    let mut terms: Vec<(Id, Rational)> = Vec::new();
    let mut opened = false;
    for (k, factors) in items {
        // Partial products: each a coefficient and factors.
        let mut partials: Vec<Item> = vec![(k, Vec::new())];
        for (b, e) in factors {
            let sum_items = if e == 1 {
                self::items(s.store, b)
            } else {
                None
            };
            match sum_items {
                Some(parts) if partials.len() * parts.len() <= EXPAND_MAX => {
                    opened = true;
                    let mut next = Vec::new();
                    for (pk, pf) in &partials {
                        for (qk, qf) in &parts {
                            let mut f = pf.clone();
                            f.extend(qf.iter().cloned());
                            next.push((Rational::from(pk * qk), f));
                        }
                    }
                    partials = next;
                }
                _ => partials.iter_mut().for_each(|p| p.1.push((b, e.clone()))),
            }
        }
        if terms.len() + partials.len() > EXPAND_MAX {
            return Vec::new();
        }
        for (k, f) in partials {
            let t = s.store.product_of(k, f);
            terms.push((t, one()));
        }
    }
    if !opened {
        return Vec::new();
    }
    let e = s.store.sum_of(Rational::new(), terms);
    let mut out = vec![e];
    if e != id {
        out.extend(collect_common_factors(s, e));
    }
    out
}

/// `1 - σ(t)` is `σ(-t)` and `σ(t) - 1` is `-σ(-t)`: σ(t) + σ(-t) = 1 for every real t.
fn sigmoid_complement(s: &mut Search<'_>, id: Id) -> Vec<Id> {
    let Node::Add(sum) = s.store.node(id) else {
        return Vec::new();
    };
    let [(t, k)] = sum.terms() else {
        return Vec::new();
    };
    let (t, k, c) = (*t, k.to_rational(), sum.constant().clone());
    let Node::Call(Func::Builtin(Builtin::Sigmoid), args) = s.store.node(t) else {
        return Vec::new();
    };
    if c != -k.clone() {
        return Vec::new();
    }
    let minus = s.store.neg(args[0]);
    let flipped = s.store.apply(Builtin::Sigmoid, minus);
    vec![s.store.scale(flipped, &c)]
}

/// `log(σ(t))` is `-softplus(-t)` and `log(1 - σ(t))` is `-softplus(t)`: log σ(t) =
/// -log(1 + e^(-t)), and 1 - σ(t) = σ(-t). Both sides are defined for every real t.
fn log_of_sigmoid(s: &mut Search<'_>, id: Id) -> Vec<Id> {
    let Node::Call(Func::Builtin(Builtin::Log), args) = s.store.node(id) else {
        return Vec::new();
    };
    let a = args[0];
    let arg = match s.store.node(a) {
        Node::Call(Func::Builtin(Builtin::Sigmoid), x) => {
            let x = x[0];
            s.store.neg(x)
        }
        Node::Add(sum) => match sum.terms() {
            [(t, k)] if *k == -1 && *sum.constant() == 1 => match s.store.node(*t) {
                Node::Call(Func::Builtin(Builtin::Sigmoid), x) => x[0],
                _ => return Vec::new(),
            },
            _ => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    let sp = s.store.apply(Builtin::Softplus, arg);
    vec![s.store.neg(sp)]
}

/// `c·(a/2 + 3/2)^k` is `(c/2^k)·(a + 3)^k`, and for an even `k`, `(-a - b)^k` is
/// `(a + b)^k`: a sum raised to an integer power is scaled to integer coefficients with no
/// common divisor, of either sign. `(r·S)^k = r^k·S^k` for a rational r ≠ 0 and an integer
/// k: equal everywhere, both sides undefined where S = 0 and k < 0.
fn integer_sum_in_power(s: &mut Search<'_>, id: Id) -> Vec<Id> {
    let Node::Mul(p) = s.store.node(id) else {
        return Vec::new();
    };
    let (coeff, factors) = (p.coeff().clone(), owned_pairs(p.factors()));
    let mut out = Vec::new();
    for (i, (b, e)) in factors.iter().enumerate() {
        if e.denom() != &1 || !s.store.mergeable(*b) {
            continue;
        }
        let Node::Add(sum) = s.store.node(*b) else {
            continue;
        };
        let mut ks: Vec<&Rational> = sum.terms().iter().map(|(_, k)| &**k).collect();
        if *sum.constant() != 0 {
            ks.push(sum.constant());
        }
        let g = rational_gcd(&ks);
        for r in [Rational::from(1 / &g), Rational::from(-1 / &g)] {
            if r == 1 {
                continue;
            }
            let scaled = s.store.scale(*b, &r);
            let Some(rk) = crate::expr::rational_powi(&r, e.numer(), 1 << 12) else {
                continue;
            };
            let mut fs = factors.clone();
            fs[i].0 = scaled;
            out.push(s.store.product_of(Rational::from(&coeff / &rk), fs));
        }
    }
    out
}

/// `exp(a)^m·exp(b)^n` is `exp(m·a + n·b)` for integers m, n: equal for all real a, b.
fn merge_exp(s: &mut Search<'_>, id: Id) -> Vec<Id> {
    let Node::Mul(p) = s.store.node(id) else {
        return Vec::new();
    };
    let (coeff, factors) = (p.coeff().clone(), owned_pairs(p.factors()));
    let mut rest = Vec::new();
    let mut exponent = Vec::new();
    for (b, e) in factors {
        match s.store.node(b) {
            Node::Call(Func::Builtin(Builtin::Exp), a) if e.denom() == &1 => {
                exponent.push((a[0], e));
            }
            _ => rest.push((b, e)),
        }
    }
    if exponent.len() < 2 {
        return Vec::new();
    }
    let sum = s.store.sum_of(Rational::new(), exponent);
    let sum = s.run_nested(sum);
    let merged = s.store.apply(Builtin::Exp, sum);
    rest.push((merged, one()));
    vec![s.store.product_of(coeff, rest)]
}

/// In a sum whose terms hold both `|u|` and `sign(u)`, `|u|` is `u·sign(u)` (for every real
/// u), so that `sign(u)` can be pulled out: `t*sign(u) + 4*|u|` with `u = t/2 + 2` is
/// `sign(u)*(3*t + 8)`. Offers the forms with common factors pulled out.
fn abs_as_sign_in_sum(s: &mut Search<'_>, id: Id) -> Vec<Id> {
    let Some(items) = items(s.store, id) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let bases: Vec<Id> = items
        .iter()
        .flat_map(|(_, f)| f.iter().map(|x| x.0))
        .collect();
    for &b in &bases {
        let Node::Call(Func::Builtin(Builtin::Abs), args) = s.store.node(b) else {
            continue;
        };
        let u = args[0];
        let sign = s.store.apply(Builtin::Sign, u);
        if !bases.contains(&sign) {
            continue;
        }
        let replaced = s.store.mul(u, sign);
        let map: std::collections::HashMap<Id, Id> = [(b, replaced)].into();
        let terms: Vec<(Id, Rational)> = items
            .iter()
            .map(|(k, f)| {
                let f: Vec<(Id, Rational)> = f
                    .iter()
                    .map(|(x, e)| {
                        if *x == b && *e == 1 {
                            (map[x], e.clone())
                        } else {
                            (*x, e.clone())
                        }
                    })
                    .collect();
                (s.store.product_of(k.clone(), f), one())
            })
            .collect();
        let e = s.store.sum_of(Rational::new(), terms);
        if e != id {
            out.extend(collect_common_factors(s, e));
        }
    }
    out
}

/// Factors `cos(u)^a·sin(u)^b` of a product, integers `a ≥ 1` and `b ≤ -1`, are
/// `cot(u)^k·cos(u)^(a-k)·sin(u)^(b+k)` with `k = min(a, -b)`: cot u = cos u / sin u wherever
/// sin u ≠ 0, and both sides are undefined where sin u = 0 (the input divides by sin u, and
/// cot u is undefined there), so equal wherever either is defined. Not `1/tan(u)`, which is
/// undefined where cos u = 0 too. `q*cos(u)/sin(u)` is `q*cot(u)`, `cos(u)^2/sin(u)^3` is
/// `cot(u)^2/sin(u)`.
fn cos_over_sin(s: &mut Search<'_>, id: Id) -> Vec<Id> {
    let Node::Mul(p) = s.store.node(id) else {
        return Vec::new();
    };
    let (coeff, factors) = (p.coeff().clone(), owned_pairs(p.factors()));
    let mut out = Vec::new();
    for (i, (c, a)) in factors.iter().enumerate() {
        if a.denom() != &1 || *a < 1 {
            continue;
        }
        let Node::Call(Func::Builtin(Builtin::Cos), args) = s.store.node(*c) else {
            continue;
        };
        let u = args[0];
        let sin = s.store.apply(Builtin::Sin, u);
        let Some(j) = factors
            .iter()
            .position(|(b, e)| *b == sin && e.denom() == &1 && *e < 0)
        else {
            continue;
        };
        let b = factors[j].1.clone();
        let k = a.clone().min(-b.clone());
        let cot = s.store.apply(Builtin::Cot, u);
        let mut fs: Vec<(Id, Rational)> = factors
            .iter()
            .enumerate()
            .filter(|(m, _)| *m != i && *m != j)
            .map(|(_, f)| f.clone())
            .collect();
        fs.push((*c, a.clone() - &k));
        fs.push((sin, b + &k));
        fs.push((cot, k));
        out.push(s.store.product_of(coeff.clone(), fs));
    }
    out
}

/// A factor `(tan(u)^2 + 1)^k` of a product is `cos(u)^(-2k)`: 1 + tan²u = 1/cos²u wherever
/// tan u is defined (cos u ≠ 0), and both sides are undefined where cos u = 0. Shorter in a
/// product: `v*(tan(u)^2 + 1)` is `v/cos(u)^2`, `2*x*(tan(x^2)^2 + 1)/y` is
/// `2*x/(y*cos(x^2)^2)`.
fn tan_squared_plus_one(s: &mut Search<'_>, id: Id) -> Vec<Id> {
    let Node::Mul(p) = s.store.node(id) else {
        return Vec::new();
    };
    let (coeff, factors) = (p.coeff().clone(), owned_pairs(p.factors()));
    let mut out = Vec::new();
    for (i, (b, e)) in factors.iter().enumerate() {
        let Node::Add(sum) = s.store.node(*b) else {
            continue;
        };
        let [(t, k)] = sum.terms() else {
            continue;
        };
        if *k != 1 || *sum.constant() != 1 {
            continue;
        }
        let Node::Mul(sq) = s.store.node(*t) else {
            continue;
        };
        let [(tan, two)] = sq.factors() else {
            continue;
        };
        if *two != 2 || !sq.coeff_is(1) {
            continue;
        }
        let Node::Call(Func::Builtin(Builtin::Tan), args) = s.store.node(*tan) else {
            continue;
        };
        let cos = s.store.apply(Builtin::Cos, args[0]);
        let mut fs = factors.clone();
        fs[i] = (cos, Rational::from(e * -2));
        out.push(s.store.product_of(coeff.clone(), fs));
    }
    out
}
