//! Programs with vectors and matrices: shapes declared (`x: 3`, `W1: 4x3`, `W: m×n`,
//! `f: R^{d3} → R^{d4}`), definitions lowered into the shaped DAG with their shapes checked,
//! and the backward pass as one adjoint per name by the matrix adjoint rules
//! (`δ_H2 = W3ᵀ*δ_ŷ`, `δ_Z2 = δ_H2 ⊙ relu'(Z2)`, `∇_W2 E = δ_Z2*H1ᵀ`).
//!
//! Each definition has a *local* formula (earlier names as variables of their shapes) and an
//! *expanded* one (in terms of inputs only). The adjoint of a name `v` is the sum over its
//! users `u` of the gradient by `v` of `⟨δ_u, local_u⟩`, with `δ_u` a variable shaped like `u`:
//! the adjoint rules applied to one definition at a time.

use super::ADJOINT_PREFIX;
use crate::error::{Error, Result, SourceError};
use crate::eval::Mode;
use crate::eval::dense::Dense;
use crate::eval::matrix::{self as meval, MatPoint, MatValue};
use crate::matrix::{self, Dim, MId, MatStore, Shape};
use crate::syntax::ast::{DimDecl, Expr, ExprKind, Program, ShapeDecl, Span, Stmt};
use crate::syntax::{self, MatUserFn, MatrixLowerer};
use rug::Rational;
use std::collections::HashMap;

/// A point as a program or the command line gives it: each input's exact value, with its
/// text as written (`[1, 2]`).
pub type WrittenPoint = Vec<(String, Dense<Rational>, String)>;

/// A value given by a front end (the command line's `--at`, Python's `at=`) as an exact
/// matrix, with its shape and its text as written (`[1, 2]`, `[[1, 2], [3, 4]]`).
pub fn given_value(lit: &syntax::Literal) -> (Dense<Rational>, Shape, String) {
    let list = |items: &[(Rational, String)]| {
        let texts: Vec<&str> = items.iter().map(|(_, t)| t.as_str()).collect();
        format!("[{}]", texts.join(", "))
    };
    match lit {
        syntax::Literal::Scalar(r, t) => (Dense::scalar(r.clone()), Shape::scalar(), t.clone()),
        syntax::Literal::Vector(v) => (
            Dense::column(v.iter().map(|(r, _)| r.clone()).collect()),
            syntax::literal_shape(v.len(), None),
            list(v),
        ),
        syntax::Literal::Matrix(rows) => {
            let cols = rows.first().map_or(0, Vec::len);
            let text: Vec<String> = rows.iter().map(|r| list(r)).collect();
            let dense = Dense::from_rows(
                rows.iter()
                    .map(|r| r.iter().map(|(q, _)| q.clone()).collect())
                    .collect(),
            )
            .expect("rows of equal length");
            (
                dense,
                syntax::literal_shape(rows.len(), Some(cols)),
                format!("[{}]", text.join(", ")),
            )
        }
    }
}

/// One definition of a shaped program.
#[derive(Clone, Debug)]
pub struct MatDef {
    /// The name defined.
    pub name: String,
    /// The formula in terms of inputs and earlier names.
    pub local: MId,
    /// The formula in terms of inputs only.
    pub expanded: MId,
    /// The right-hand side as written.
    pub written: String,
    /// Where the name is.
    pub span: Span,
    /// Every subexpression of the right-hand side as written (expanded, simplified), with
    /// its place: the forward pass checks that each is defined, though simplifying may have
    /// cancelled it.
    pub parts: Vec<(MId, Span)>,
    /// The names the local formula uses (inputs and earlier definitions), found once.
    pub uses: Vec<String>,
}

/// One adjoint: `δ_v` (or, for a parameter, the gradient) in terms of names and adjoints.
#[derive(Clone, Debug)]
pub struct MatAdjoint {
    /// The name `v`.
    pub of: String,
    /// `δ_v` in terms of the program's names and the adjoints of v's users.
    pub formula: MId,
    /// The same in terms of inputs only.
    pub expanded: MId,
}

/// A loaded program with vectors and matrices.
#[derive(Debug)]
pub struct MatNetwork {
    /// Owner of every node.
    pub store: MatStore,
    /// The definitions, in order.
    pub defs: Vec<MatDef>,
    /// Index of the output in `defs`.
    pub output: usize,
    /// The parameters, in order.
    pub params: Vec<String>,
    /// The inputs (names used but not defined), in order of first use.
    pub inputs: Vec<String>,
    /// The point of the `at` statements: each value exact, with its text as written.
    pub point: WrittenPoint,
    /// Warnings for the user.
    pub warnings: Vec<String>,
    /// The program's own functions (`σ(t) = relu(t)`), applied entry by entry.
    pub functions: Vec<(String, MatUserFn)>,
    /// The source text and its name.
    pub source: (String, String),
}

/// Whether a program is about vectors and matrices: it declares shapes, or gives a list as a
/// value, or uses vector or matrix syntax.
pub fn is_shaped(program: &Program) -> bool {
    program.stmts.iter().any(|(s, _)| match s {
        Stmt::Shape { .. } | Stmt::FnShape { .. } => true,
        Stmt::At(bs) => bs.iter().any(|(_, e)| matches!(e.kind, ExprKind::List(_))),
        Stmt::Def { value, .. } => syntax::uses_matrix_syntax(value),
        _ => false,
    })
}

fn dim(d: &DimDecl) -> Dim {
    match d {
        DimDecl::Num(n, _) => Dim::Known(*n),
        DimDecl::Sym(id) => Dim::Sym(id.name.clone()),
    }
}

/// A declared shape.
pub fn shape_of(decl: &ShapeDecl) -> Shape {
    match &decl.cols {
        None => Shape::vector(dim(&decl.rows)),
        Some(c) => Shape::matrix(dim(&decl.rows), dim(c)),
    }
}

fn err(src: &str, src_name: &str, span: Span, msg: impl Into<String>, label: &str) -> Error {
    SourceError::new(src_name, src, span.start, span.end, msg, label).into()
}

/// The exact value of a number written in a point: `2`, `-1/2`, `0.5`.
fn exact_number(src: &str, src_name: &str, e: &Expr) -> Result<Rational> {
    let mut scratch = MatStore::new();
    let id = MatrixLowerer::new(&mut scratch, src, src_name).expr(e)?;
    scratch.num(id).cloned().ok_or_else(|| {
        err(
            src,
            src_name,
            e.span,
            "a value in a point must be a number (`2`, `-0.5`, `3/4`)",
            "not a number",
        )
    })
}

/// Why `value` does not fit the shape declared for `name` (a scalar when undeclared), with a
/// hint when the name is undeclared. Dimensions that are numbers are checked here; symbolic
/// ones (`W: m×n`) when the point is evaluated, where their sizes are bound.
pub fn misfit(
    store: &MatStore,
    name: &str,
    value: &Dense<Rational>,
) -> Option<(String, Option<String>)> {
    let declared = store.shape_of_var(name);
    let shape = declared.cloned().unwrap_or_else(Shape::scalar);
    let (r, c) = value.shape();
    let fits = |d: &Dim, n: usize| match d {
        Dim::Known(k) => *k as usize == n,
        Dim::Sym(_) => true,
    };
    if fits(&shape.rows, r) && fits(&shape.cols, c) {
        return None;
    }
    let what = match (r, c) {
        (1, 1) => "a number".to_string(),
        (r, 1) => format!("a vector of {r} entries"),
        (r, c) => format!("a {r}×{c} matrix"),
    };
    Some(match declared {
        Some(s) => (
            format!(
                "`{name}` is declared {} but its value is {what}",
                s.describe()
            ),
            None,
        ),
        None => (
            format!("`{name}` is not declared, so it is a scalar, but its value is {what}"),
            Some(if c == 1 {
                format!("declare its shape in the program: `{name}: {r}`")
            } else {
                format!("declare its shape in the program: `{name}: {r}x{c}`")
            }),
        ),
    })
}

/// The value of a point's binding: a number, a list (a column vector) or a list of rows.
fn literal_value(src: &str, src_name: &str, e: &Expr) -> Result<Dense<Rational>> {
    let ExprKind::List(items) = &e.kind else {
        return Ok(Dense::scalar(exact_number(src, src_name, e)?));
    };
    if items.iter().all(|i| matches!(i.kind, ExprKind::List(_))) {
        let mut rows = Vec::new();
        for (k, row) in items.iter().enumerate() {
            let ExprKind::List(cells) = &row.kind else {
                unreachable!()
            };
            if k > 0 && cells.len() != rows.first().map_or(0, Vec::len) {
                return Err(err(
                    src,
                    src_name,
                    row.span,
                    format!(
                        "row {} has {} entries but row 1 has {}: every row of a matrix has the same length",
                        k + 1,
                        cells.len(),
                        rows.first().map_or(0, Vec::len)
                    ),
                    "this row",
                ));
            }
            let mut r = Vec::new();
            for c in cells {
                r.push(exact_number(src, src_name, c)?);
            }
            rows.push(r);
        }
        return Dense::from_rows(rows)
            .ok_or_else(|| err(src, src_name, e.span, "an empty matrix", "here"));
    }
    let mut v = Vec::new();
    for c in items {
        v.push(exact_number(src, src_name, c)?);
    }
    Ok(Dense::column(v))
}

/// Loads a program with vectors and matrices; `output` names the definition to differentiate
/// (the last one by default).
pub fn load_shaped(src: &str, src_name: &str, output: Option<&str>) -> Result<MatNetwork> {
    let program = syntax::parse_program(src, src_name)?;
    load_shaped_parsed(&program, src, src_name, output)
}

/// [`load_shaped`] of a program already parsed from `src`.
pub fn load_shaped_parsed(
    program: &Program,
    src: &str,
    src_name: &str,
    output: Option<&str>,
) -> Result<MatNetwork> {
    let mut store = MatStore::new();
    let mut functions: Vec<(String, MatUserFn)> = Vec::new();
    let mut defs: Vec<MatDef> = Vec::new();
    let mut point = Vec::new();
    let mut given_at: HashMap<String, Span> = HashMap::new();
    let mut wrt: Option<Vec<String>> = None;
    let mut declared: HashMap<String, Span> = HashMap::new();
    // Declarations first: a shape may be declared anywhere in the file.
    for (stmt, span) in &program.stmts {
        match stmt {
            Stmt::Shape { names, shape } => {
                for n in names {
                    if n.name.starts_with(ADJOINT_PREFIX) {
                        return Err(err(
                            src,
                            src_name,
                            n.span,
                            format!(
                                "`{}` is reserved for the adjoints of the backward pass",
                                n.name
                            ),
                            "reserved",
                        ));
                    }
                    store.declare(&n.name, shape_of(shape));
                    declared.insert(n.name.clone(), *span);
                }
            }
            Stmt::FnShape { name, from, to } => {
                store.declare_vec_fn(&name.name, shape_of(from), shape_of(to));
            }
            Stmt::FnDecl { name, params } => {
                if params.len() != 1 {
                    return Err(err(
                        src,
                        src_name,
                        name.span,
                        format!(
                            "`{}` has {} parameters: in a program with vectors and matrices, declare an unspecified function of one variable (`fn σ(t)`, applied entry by entry) or a vector function with its shapes (`{}: R^3 -> R^2`)",
                            name.name,
                            params.len(),
                            name.name
                        ),
                        "here",
                    ));
                }
                store.declare_scalar_fn(&name.name);
            }
            Stmt::FnDef { name, params, body } => functions.push((
                name.name.clone(),
                MatUserFn {
                    params: params.iter().map(|p| p.name.clone()).collect(),
                    body: (**body).clone(),
                },
            )),
            Stmt::Take(_) => {
                return Err(err(
                    src,
                    src_name,
                    *span,
                    "`take` (an instance of the unspecified functions, for `grade`) is not supported in programs with vectors and matrices yet",
                    "a `take` statement",
                ));
            }
            _ => {}
        }
    }
    let mut expanded_of: HashMap<String, MId> = HashMap::new();
    for (stmt, _) in &program.stmts {
        match stmt {
            Stmt::Def { name, value } => {
                let n = name.name.clone();
                if expanded_of.contains_key(&n) {
                    return Err(err(
                        src,
                        src_name,
                        name.span,
                        format!(
                            "`{n}` is defined twice: in a program with vectors and matrices every name is defined once"
                        ),
                        "defined again",
                    ));
                }
                if n.starts_with(ADJOINT_PREFIX) {
                    return Err(err(
                        src,
                        src_name,
                        name.span,
                        format!("`{n}` is reserved for the adjoints of the backward pass"),
                        "reserved",
                    ));
                }
                let mut low = MatrixLowerer::new(&mut store, src, src_name);
                for (f, body) in &functions {
                    low.define_fn(f, body.clone());
                }
                let local = low.expr(value)?;
                low.take_parts();
                for (k, v) in &expanded_of {
                    low.bind(k, Some(*v));
                }
                let expanded = low.expr(value)?;
                let parts = low.take_parts();
                let shape = store.shape(local).clone();
                if let Some(decl) = store.shape_of_var(&n).cloned()
                    && declared.contains_key(&n)
                    && decl != shape
                {
                    return Err(err(
                        src,
                        src_name,
                        value.span,
                        format!(
                            "`{n}` is declared {} but its formula is {}",
                            decl.describe(),
                            shape.describe()
                        ),
                        "this formula",
                    ));
                }
                store.declare(&n, shape);
                expanded_of.insert(n.clone(), expanded);
                defs.push(MatDef {
                    name: n,
                    local,
                    expanded,
                    written: src[value.span.start..value.span.end].to_string(),
                    span: name.span,
                    parts,
                    uses: store.variables(local),
                });
            }
            Stmt::At(bindings) => {
                for (id, e) in bindings {
                    let v = literal_value(src, src_name, e)?;
                    if let Some((msg, help)) = misfit(&store, &id.name, &v) {
                        let e = SourceError::new(
                            src_name,
                            src,
                            e.span.start,
                            e.span.end,
                            msg,
                            "this value",
                        );
                        return Err(match help {
                            Some(h) => e.with_help(h),
                            None => e,
                        }
                        .into());
                    }
                    if let Some(first) = given_at.insert(id.name.clone(), id.span) {
                        return Err(super::load::given_twice(src, src_name, id, first));
                    }
                    let text = src[e.span.start..e.span.end]
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ");
                    point.push((id.name.clone(), v, text));
                }
            }
            Stmt::Wrt(names) => {
                wrt = Some(names.iter().map(|n| n.name.clone()).collect());
            }
            _ => {}
        }
    }
    let t_is_a_variable = point.iter().any(|(n, _, _)| n == "T")
        || wrt.as_ref().is_some_and(|w| w.iter().any(|n| n == "T"));
    if t_is_a_variable && let Some(e) = syntax::caret_t_meant_as_power(src, src_name) {
        return Err(e);
    }
    if defs.is_empty() {
        return Err(Error::Usage(format!(
            "{src_name} defines nothing: write definitions such as `Z1 = W1*x`, the last one being the loss"
        )));
    }
    let output = match output {
        None => defs.len() - 1,
        Some(n) => defs.iter().position(|d| d.name == n).ok_or(Error::Request(
            crate::error::Request::NoDefinition {
                name: n.to_string(),
            },
        ))?,
    };
    let mut inputs: Vec<String> = Vec::new();
    for v in store.variables(defs[output].expanded) {
        if !inputs.contains(&v) {
            inputs.push(v);
        }
    }
    for (n, _, _) in &point {
        if expanded_of.contains_key(n) {
            return Err(Error::Usage(format!(
                "`{n}` is an intermediate: its value is computed, not given"
            )));
        }
    }
    let params = match wrt {
        Some(ps) => {
            for p in &ps {
                if expanded_of.contains_key(p) {
                    return Err(Error::Usage(format!(
                        "`{p}` is an intermediate, not a parameter: `wrt` names inputs"
                    )));
                }
            }
            ps
        }
        None => inputs.clone(),
    };
    Ok(MatNetwork {
        store,
        defs,
        output,
        params,
        inputs,
        point,
        warnings: Vec::new(),
        functions,
        source: (src.to_string(), src_name.to_string()),
    })
}

impl MatNetwork {
    /// Whether `name` is an intermediate.
    pub fn is_intermediate(&self, name: &str) -> bool {
        self.defs.iter().any(|d| d.name == name)
    }

    /// The definitions the output depends on, in order.
    pub fn live_defs(&self) -> Vec<usize> {
        let mut live = vec![false; self.defs.len()];
        live[self.output] = true;
        for i in (0..self.output).rev() {
            let name = &self.defs[i].name;
            live[i] = (i + 1..=self.output).any(|u| live[u] && self.defs[u].uses.contains(name));
        }
        (0..=self.output).filter(|&i| live[i]).collect()
    }

    /// `⟨δ_u, f⟩`: the scalar whose gradient by a name is that name's share of `δ_u`.
    fn pairing(&mut self, delta: MId, f: MId) -> Result<MId> {
        let s = &mut self.store;
        let shape = s.shape(f).clone();
        let r = if shape.is_scalar() {
            s.scale(delta, f)
        } else if shape.cols.is_one() {
            let dt = s.transpose(delta).map_err(internal)?;
            s.matmul(dt, f)
        } else {
            let h = s.hadamard(delta, f).map_err(internal)?;
            s.sum(h)
        };
        r.map_err(internal)
    }

    /// The backward pass: the adjoint of every live intermediate from the output down, then the
    /// gradient by every parameter, each in terms of names and adjoints (and expanded).
    pub fn backward(&mut self) -> Result<Vec<MatAdjoint>> {
        let out = &self.defs[self.output];
        if !self.store.is_scalar(out.local) {
            return Err(Error::Usage(format!(
                "the output `{}` is {}: back-propagation needs a scalar output (a loss); sum it, or take vᵀ… of it",
                out.name,
                self.store.shape(out.local).describe()
            )));
        }
        let live = self.live_defs();
        let mut adjoints: Vec<MatAdjoint> = Vec::new();
        let mut delta_var: HashMap<String, MId> = HashMap::new();
        let mut delta_expanded: HashMap<String, MId> = HashMap::new();
        let names_expanded: HashMap<String, MId> = self
            .defs
            .iter()
            .map(|d| (d.name.clone(), d.expanded))
            .collect();
        // The adjoints of intermediates, from the output down, then of parameters.
        let mut targets: Vec<String> = live
            .iter()
            .rev()
            .map(|&i| self.defs[i].name.clone())
            .collect();
        targets.extend(self.params.iter().cloned());
        for v in targets {
            let formula = if v == self.defs[self.output].name {
                self.store.int(1)
            } else {
                let mut parts = Vec::new();
                for &u in live.iter().rev() {
                    let d = &self.defs[u];
                    if !d.uses.contains(&v) {
                        continue;
                    }
                    let (uname, local) = (d.name.clone(), d.local);
                    let delta = delta_var[&uname];
                    let p = self.pairing(delta, local)?;
                    parts.push(
                        matrix::gradient(&mut self.store, p, &v)
                            .map_err(|e| Error::Usage(e.to_string()))?,
                    );
                }
                let shape = self.store.var_shape(&v);
                if parts.is_empty() {
                    self.store.zero(shape)
                } else {
                    self.store.add(parts).map_err(internal)?
                }
            };
            let mut vars = names_expanded.clone();
            vars.extend(
                delta_expanded
                    .iter()
                    .map(|(k, v)| (format!("{ADJOINT_PREFIX}{k}"), *v)),
            );
            let expanded = self
                .store
                .substitute(formula, &vars, &mut |_, _| None)
                .map_err(internal)?;
            let dname = format!("{ADJOINT_PREFIX}{v}");
            let shape = self.store.shape(formula).clone();
            self.store.declare(&dname, shape);
            // The output's adjoint is 1: its users' formulas say so rather than name it.
            let dv = if v == self.defs[self.output].name {
                formula
            } else {
                self.store.var(&dname)
            };
            delta_var.insert(v.clone(), dv);
            delta_expanded.insert(v.clone(), expanded);
            adjoints.push(MatAdjoint {
                of: v,
                formula,
                expanded,
            });
        }
        Ok(adjoints)
    }

    /// The gradient by each parameter, differentiated from the expanded output (the formula in
    /// terms of inputs only, simplified as a whole).
    pub fn expanded_gradient(&mut self) -> Result<Vec<MId>> {
        let e = self.defs[self.output].expanded;
        let mut out = Vec::new();
        for p in self.params.clone() {
            out.push(
                matrix::gradient(&mut self.store, e, &p)
                    .map_err(|e| Error::Usage(e.to_string()))?,
            );
        }
        Ok(out)
    }

    /// The point, with `extra` values replacing or adding to the program's.
    pub fn point_with(
        &self,
        extra: &[(String, Dense<Rational>, String)],
    ) -> Vec<(String, Dense<Rational>, String)> {
        let mut p: WrittenPoint = self
            .point
            .iter()
            .filter(|(n, _, _)| !extra.iter().any(|(m, _, _)| m == n))
            .cloned()
            .collect();
        p.extend(extra.iter().cloned());
        p
    }

    /// Checks that every part of the live definitions as written is defined at `point`
    /// (simplifying may have cancelled one that is not: `0*sum(log(x))`).
    pub fn check_written(&self, point: &MatPoint, mode: Mode) -> Result<()> {
        let parts: Vec<(MId, Span)> = self
            .live_defs()
            .into_iter()
            .flat_map(|i| self.defs[i].parts.iter().copied())
            .collect();
        meval::check_written(
            &self.store,
            &parts,
            point,
            mode,
            (&self.source.0, &self.source.1),
        )
    }

    /// Evaluates the forward pass (every live definition) and the adjoints at `point`, with the
    /// notes and warnings for the user (digits lost to cancellation, kinks met).
    pub fn trace(
        &self,
        adjoints: &[MatAdjoint],
        point: &[(String, Dense<Rational>, String)],
        mode: Mode,
    ) -> Result<(Vec<MatValue>, Vec<MatValue>, Vec<String>)> {
        let live = self.live_defs();
        let mut roots: Vec<MId> = live.iter().map(|&i| self.defs[i].expanded).collect();
        roots.extend(adjoints.iter().map(|a| a.expanded));
        let kinks = meval::kink_arguments(&self.store, &roots);
        let n_roots = roots.len();
        roots.extend(&kinks);
        let mp: MatPoint = point
            .iter()
            .map(|(n, v, _)| (n.clone(), v.clone()))
            .collect();
        for v in self.inputs.iter() {
            if !mp.contains_key(v) {
                return Err(Error::Request(crate::error::Request::NoValue {
                    name: v.clone(),
                }));
            }
        }
        let (mut vals, note) =
            meval::evaluate(&self.store, &roots, &mp, mode).map_err(|e| e.describe(&self.store))?;
        self.check_written(&mp, mode)?;
        let kink_values = vals.split_off(n_roots);
        let mut notes: Vec<String> = note.into_iter().map(|n| format!("note: {n}")).collect();
        notes.extend(meval::kinks_met(&self.store, &kinks, &kink_values));
        let back = vals.split_off(live.len());
        Ok((vals, back, notes))
    }
}

fn internal(e: matrix::ShapeError) -> Error {
    Error::Internal(format!(
        "a derivative rule built a badly shaped formula: {e}"
    ))
}
