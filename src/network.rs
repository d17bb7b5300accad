//! Programs of named definitions, and the forward and backward passes over them.
//!
//! A program (`z1 = w1*x`, `x1 = σ(z1)`, …) is kept as named nodes in definition order:
//! each definition's *local* formula refers to earlier definitions by name (as symbols), and
//! its *expanded* formula has them substituted. The backward pass is the reverse-mode sweep
//! over those names: each adjoint `δ_v = ∂E/∂v` is its own formula, built from the adjoints
//! of v's users (`δ_z2 = δ_x2·σ'(z2)`), and stays a node of its own rather than being
//! multiplied out, so a deep network's gradient stays linear in size (DESIGN.md).

use crate::diff::diff;
use crate::error::{Error, Request, Result, SourceError};
use crate::eval::{self, Backend, EvalError, Exact, ExactVal, F64, Fail, Mode, Mpfr, Point, Value};
use crate::expr::{Builtin, Condition, Func, Id, Node, Store, Sym};
use crate::syntax::ast::{Expr, ExprKind, Ident, Span, Stmt};
use crate::syntax::{self, Lowerer, UserFn};
use rug::{Float, Rational};
use std::collections::{HashMap, HashSet};

/// One named definition.
#[derive(Clone, Debug)]
pub struct Def {
    /// The name defined.
    pub name: Sym,
    /// The formula as written, in terms of inputs and earlier names.
    pub formula: Id,
    /// The formula with every earlier name substituted: in terms of inputs only.
    pub expanded: Id,
    /// Where the definition's name is.
    pub span: Span,
    /// The right-hand side as written in the source.
    pub written: String,
    /// Where the formula as written is defined beyond what `formula` shows (denominators,
    /// logarithms, roots that cancelled), in terms of inputs and earlier names.
    pub conditions: Vec<Condition>,
}

/// A loaded program.
#[derive(Debug)]
pub struct Network {
    /// Owner of every node.
    pub store: Store,
    /// The definitions, in order.
    pub defs: Vec<Def>,
    /// Index of the output (the loss) in `defs`.
    pub output: usize,
    /// The parameters to differentiate by, in order.
    pub params: Vec<Sym>,
    /// Whether the program names its parameters (`wrt`); if not, they are all its inputs.
    pub wrt_given: bool,
    /// The point given by `at` statements.
    pub point: Point,
    /// Warnings for the user.
    pub warnings: Vec<String>,
    /// The source text and its name, for diagnostics.
    pub source: (String, String),
    /// User-defined functions, for reading formulas in the program's terms.
    pub functions: HashMap<String, UserFn>,
    /// Declared unspecified functions with their parameter names.
    pub declared: HashMap<String, Vec<String>>,
    /// Rebound names (`c = c + 1`), each to its latest version (`c_2`).
    pub renames: HashMap<String, Sym>,
}

/// One adjoint of the backward pass: `δ_v = Σ_u δ_u · ∂u/∂v`.
#[derive(Clone, Debug)]
pub struct Adjoint {
    /// The variable `v` (an intermediate or a parameter).
    pub of: Sym,
    /// The symbol `δ_v` that stands for it in later formulas.
    pub delta: Sym,
    /// The users `u` of `v` with the local partial `∂u/∂v` (in terms of names).
    pub terms: Vec<(Sym, Id)>,
    /// `Σ_u δ_u · ∂u/∂v` with the `δ_u` as symbols.
    pub formula: Id,
}

/// The backward pass: adjoints in sweep order (output first), then the parameters' gradients.
#[derive(Clone, Debug)]
pub struct Backward {
    /// Adjoints of the intermediates, output first.
    pub adjoints: Vec<Adjoint>,
    /// Adjoints of the parameters: the gradient.
    pub gradient: Vec<Adjoint>,
}

/// Values of a forward and backward pass at a point.
#[derive(Clone, Debug)]
pub struct Trace {
    /// Each definition's value, in definition order.
    pub forward: Vec<Value>,
    /// Each adjoint's value, in sweep order.
    pub adjoints: Vec<Value>,
    /// Each parameter's gradient.
    pub gradient: Vec<Value>,
    /// Notes for the user: kinks met (non-differentiable points and the convention used),
    /// and, when exact values grew past the limit, that MPFR was used instead.
    pub kinks: Vec<String>,
}

/// One edge of a path through the program: `(user, used, ∂user/∂used)`.
pub type Edge = (Sym, Sym, Id);

/// Forward values, adjoint values, gradient values and kink notes of one sweep.
type SweepValues = (Vec<Value>, Vec<Value>, Vec<Value>, Vec<String>);

/// Names used in an expression, with their spans (iteratively: deep input is fine).
pub(crate) fn names_used(e: &Expr) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Num(_) => {}
            ExprKind::Name(n) => out.push((n.clone(), e.span)),
            ExprKind::Neg(x) => stack.push(x),
            ExprKind::Sum(a, rest) => {
                stack.push(a);
                stack.extend(rest.iter().map(|(_, t)| t));
            }
            ExprKind::Product(a, rest) => {
                stack.push(a);
                stack.extend(rest.iter().map(|(_, t)| t));
            }
            ExprKind::Pow(a, b) => {
                stack.push(a);
                stack.push(b);
            }
            ExprKind::Call(c) => stack.extend(c.args.iter()),
        }
    }
    out
}

/// Loads a program: parses, checks names, lowers definitions, expands them.
///
/// `output` names the definition to treat as the loss (default: the last one).
pub fn load(src: &str, src_name: &str, output: Option<&str>) -> Result<Network> {
    let program = syntax::parse_program(src, src_name)?;
    let names = Names::of(&program.stmts, src, src_name)?;
    let mut loader = Loader::new(src, src_name);
    for (stmt, _) in &program.stmts {
        loader.statement(stmt, &names)?;
    }
    let Loader {
        store,
        defs,
        point,
        point_spans,
        wrt,
        warnings,
        functions,
        declared,
        renames,
        ..
    } = loader;
    if defs.is_empty() {
        return Err(Error::Usage(format!(
            "{src_name} defines nothing: write definitions such as `z1 = w1*x`, the last one being the loss"
        )));
    }
    let output = match output {
        None => defs.len() - 1,
        Some(n) => {
            let n = syntax::normalize_name(n);
            let s = renames.get(&n).copied().or_else(|| store.lookup(&n));
            defs.iter()
                .position(|d| Some(d.name) == s)
                .ok_or(Error::Request(Request::NoDefinition { name: n }))?
        }
    };
    for (n, span) in &point_spans {
        if names.defined_at.contains_key(n) {
            return Err(source_error(
                src,
                src_name,
                *span,
                format!("`{n}` is an intermediate: its value is computed, not given"),
                "an intermediate",
            ));
        }
    }
    let mut net = Network {
        store,
        defs,
        output,
        params: Vec::new(),
        wrt_given: wrt.is_some(),
        point,
        warnings,
        source: (src.to_string(), src_name.to_string()),
        functions,
        declared,
        renames,
    };
    net.params = net.choose_params(wrt, &names.defined_at)?;
    Ok(net)
}

/// An error at `span` of the program.
fn source_error(src: &str, src_name: &str, span: Span, msg: String, label: &str) -> Error {
    SourceError::new(src_name, src, span.start, span.end, msg, label).into()
}

/// Where each name of a program is defined, found before anything is lowered.
struct Names {
    /// Each intermediate's first definition.
    defined_at: HashMap<String, Span>,
    /// Each function's definition or declaration.
    fn_at: HashMap<String, Span>,
    /// How many versions each rebound name has (`c = a + b` then `c = c + 1`, or `c += 1`).
    versions: HashMap<String, usize>,
}

impl Names {
    /// The names defined by `stmts`, refusing a name defined twice (other than by
    /// rebinding), a built-in redefined, a name both function and intermediate, and a
    /// rebound name whose versions would clash with another name.
    fn of(stmts: &[(Stmt, Span)], src: &str, src_name: &str) -> Result<Names> {
        let err =
            |span: Span, msg: String, label: &str| source_error(src, src_name, span, msg, label);
        let mut names = Names {
            defined_at: HashMap::new(),
            fn_at: HashMap::new(),
            versions: HashMap::new(),
        };
        for (stmt, _) in stmts {
            let (name, is_fn) = match stmt {
                Stmt::Def { name, .. } => (name, false),
                Stmt::FnDef { name, .. } | Stmt::FnDecl { name, .. } => (name, true),
                _ => continue,
            };
            let table = if is_fn {
                &mut names.fn_at
            } else {
                &mut names.defined_at
            };
            if let (Some(_), Stmt::Def { value, .. }) = (table.get(&name.name), stmt)
                && names_used(value).iter().any(|(n, _)| *n == name.name)
            {
                // A new version in terms of the old, as Python rebinds a name.
                *names.versions.entry(name.name.clone()).or_insert(1) += 1;
                continue;
            }
            if let Some(first) = table.get(&name.name) {
                return Err(SourceError::new(
                    src_name,
                    src,
                    name.span.start,
                    name.span.end,
                    format!("`{}` is defined twice", name.name),
                    "defined again here",
                )
                .with_label(first.start, first.end, "first defined here")
                .with_help(format!(
                    "give each intermediate its own name, or write the new value in terms of the old (`{0} = {0} + …`) to make a new version",
                    name.name
                ))
                .into());
            }
            if is_fn && syntax::is_reserved_function_name(&name.name) {
                return Err(err(
                    name.span,
                    format!(
                        "`{}` is a built-in function and cannot be redefined",
                        name.name
                    ),
                    "built in",
                ));
            }
            table.insert(name.name.clone(), name.span);
        }
        for (name, span) in &names.defined_at {
            if let Some(f) = names.fn_at.get(name) {
                return Err(SourceError::new(
                    src_name,
                    src,
                    span.start,
                    span.end,
                    format!("`{name}` is both a function and an intermediate"),
                    "defined as an intermediate here",
                )
                .with_label(f.start, f.end, "defined as a function here")
                .into());
            }
        }
        names.check_versions(stmts, src, src_name)?;
        Ok(names)
    }

    /// Versions are named `c_1`, `c_2`, …: names the program must not use otherwise.
    fn check_versions(&self, stmts: &[(Stmt, Span)], src: &str, src_name: &str) -> Result<()> {
        if self.versions.is_empty() {
            return Ok(());
        }
        let mut used: HashSet<String> = self
            .defined_at
            .keys()
            .chain(self.fn_at.keys())
            .cloned()
            .collect();
        for (stmt, _) in stmts {
            match stmt {
                Stmt::Def { value, .. } | Stmt::FnDef { body: value, .. } => {
                    used.extend(names_used(value).into_iter().map(|(n, _)| n));
                }
                _ => {}
            }
        }
        let mut rebound: Vec<(&String, &usize)> = self.versions.iter().collect();
        rebound.sort();
        for (name, &count) in rebound {
            if let Some(clash) = (1..=count)
                .map(|k| format!("{name}_{k}"))
                .find(|v| used.contains(v))
            {
                let at = self.defined_at[name];
                return Err(source_error(
                    src,
                    src_name,
                    at,
                    format!(
                        "`{name}` is rebound, and its versions are named `{name}_1`, `{name}_2`, …, but `{clash}` is already a name of the program"
                    ),
                    "rebound later",
                ));
            }
        }
        Ok(())
    }
}

/// A program's statements lowered one by one, top to bottom, into the store.
struct Loader<'s> {
    src: &'s str,
    src_name: &'s str,
    store: Store,
    /// The current version of each rebound name.
    renames: HashMap<String, Sym>,
    functions: HashMap<String, UserFn>,
    declared: HashMap<String, Vec<String>>,
    defs: Vec<Def>,
    point: Point,
    point_spans: Vec<(String, Span)>,
    wrt: Option<Vec<(String, Span)>>,
    warnings: Vec<String>,
    expanded_of: HashMap<Sym, Id>,
    /// The definitions so far as (name, formula), lent to the lowerer for `d(…)`.
    locals: Vec<(Sym, Id)>,
}

impl<'s> Loader<'s> {
    fn new(src: &'s str, src_name: &'s str) -> Self {
        Loader {
            src,
            src_name,
            store: Store::new(),
            renames: HashMap::new(),
            functions: HashMap::new(),
            declared: HashMap::new(),
            defs: Vec::new(),
            point: Point::new(),
            point_spans: Vec::new(),
            wrt: None,
            warnings: Vec::new(),
            expanded_of: HashMap::new(),
            locals: Vec::new(),
        }
    }

    fn err(&self, span: Span, msg: String, label: &str) -> Error {
        source_error(self.src, self.src_name, span, msg, label)
    }

    fn statement(&mut self, stmt: &Stmt, names: &Names) -> Result<()> {
        match stmt {
            Stmt::FnDecl { name, params } => {
                let names: Vec<String> = params.iter().map(|p| p.name.clone()).collect();
                let f = self.store.intern(&name.name);
                self.store.set_param_names(f, names.clone());
                self.declared.insert(name.name.clone(), names);
            }
            Stmt::FnDef { name, params, body } => self.fn_def(name, params, body, names)?,
            Stmt::Def { name, value } => self.def(name, value, names)?,
            Stmt::At(items) => {
                for (id, e) in items {
                    let v = constant_value(&mut self.store, e, self.src, self.src_name)?;
                    let s = self.store.intern(&id.name);
                    self.store
                        .set_written_value(s, &v, &self.src[e.span.start..e.span.end]);
                    self.point.insert(s, v);
                    self.point_spans.push((id.name.clone(), id.span));
                }
            }
            Stmt::Wrt(names) => {
                self.wrt = Some(names.iter().map(|n| (n.name.clone(), n.span)).collect());
            }
        }
        Ok(())
    }

    /// Lowers `e` strictly, with the program's functions and declarations (and, for a
    /// definition, the definitions so far and the rebound names) lent to the lowerer and
    /// taken back, not copied per statement; returns the formula and its domain conditions.
    fn lower(
        &mut self,
        e: &Expr,
        defining: Option<&str>,
        definitions: bool,
    ) -> Result<(Id, Vec<Condition>)> {
        let mut l = Lowerer::new(&mut self.store, self.src, self.src_name);
        l.strict = true;
        l.defining = defining.map(str::to_string);
        l.functions = std::mem::take(&mut self.functions);
        l.declared = std::mem::take(&mut self.declared);
        if definitions {
            l.definitions = std::mem::take(&mut self.locals);
            l.renames = std::mem::take(&mut self.renames);
        }
        let id = l.expr(e);
        self.functions = std::mem::take(&mut l.functions);
        self.declared = std::mem::take(&mut l.declared);
        if definitions {
            self.renames = std::mem::take(&mut l.renames);
            self.locals = std::mem::take(&mut l.definitions);
        }
        let id = id?;
        self.warnings.append(&mut l.warnings);
        let mut conditions = std::mem::take(&mut l.conditions);
        crate::expr::prune_conditions(&self.store, &[id], &mut conditions);
        Ok((id, conditions))
    }

    /// A function definition `σ(t) = …`.
    fn fn_def(&mut self, name: &Ident, params: &[Ident], body: &Expr, names: &Names) -> Result<()> {
        // The body may use only its parameters and global inputs, not intermediates.
        for (n, span) in names_used(body) {
            if names.defined_at.contains_key(&n) && !params.iter().any(|p| p.name == n) {
                return Err(self.err(
                    span,
                    format!("the body of `{}` uses the intermediate `{n}`", name.name),
                    "an intermediate",
                ));
            }
        }
        let (body_id, conditions) = self.lower(body, Some(&name.name), false)?;
        let params = params.iter().map(|p| self.store.intern(&p.name)).collect();
        // Interned so printers know the name is in play (LaTeX `sigmoid` is `\sigma`
        // only when no user name σ is).
        self.store.intern(&name.name);
        self.functions.insert(
            name.name.clone(),
            UserFn {
                params,
                body: body_id,
                conditions,
            },
        );
        Ok(())
    }

    /// A definition `z1 = …`, or a new version of a rebound name.
    fn def(&mut self, name: &Ident, value: &Expr, names: &Names) -> Result<()> {
        let (src, src_name) = (self.src, self.src_name);
        let rebinding = self.renames.contains_key(&name.name);
        for (n, span) in names_used(value) {
            if n == name.name && !rebinding {
                return Err(SourceError::new(
                    src_name,
                    src,
                    span.start,
                    span.end,
                    format!("`{n}` is defined in terms of itself"),
                    "used in its own definition",
                )
                .with_help(format!(
                    "a name can be updated (`{n} = {n} + 1`, `{n} += 1`) only after a first definition of it"
                ))
                .into());
            }
            if let Some(at) = names.defined_at.get(&n)
                && at.start > name.span.start
            {
                return Err(SourceError::new(
                    src_name,
                    src,
                    span.start,
                    span.end,
                    format!("`{n}` is used before it is defined"),
                    "used here",
                )
                .with_label(at.start, at.end, "defined later here")
                .with_help("definitions run top to bottom; a cycle of definitions is not a network")
                .into());
            }
        }
        let (formula, mut conditions) = self.lower(value, None, true)?;
        // A defined name the formula as written uses must be defined even where simplifying
        // cancelled it (`E = u - u + w`, `E = 0*u + w`): its own condition.
        let mut reached: HashSet<Sym> = self.store.free_symbols(formula).into_iter().collect();
        for c in &conditions {
            reached.extend(self.store.free_symbols(c.node));
        }
        for (n, span) in names_used(value) {
            let n = syntax::normalize_name(&n);
            let Some(s) = self
                .renames
                .get(&n)
                .copied()
                .or_else(|| self.store.lookup(&n))
            else {
                continue;
            };
            if self.expanded_of.contains_key(&s) && reached.insert(s) {
                let node = self.store.sym_node(s);
                conditions.push(Condition::new(node, span));
            }
        }
        let (sym, written) = match names.versions.get(&name.name) {
            Some(_) => {
                // The next version: `c_1`, `c_2`, …, shown as its formula, which
                // names the versions it uses.
                let k = self
                    .renames
                    .get(&name.name)
                    .map_or(1, |s| version_number(self.store.name(*s)) + 1);
                let sym = self.store.intern(&format!("{}_{k}", name.name));
                self.renames.insert(name.name.clone(), sym);
                (sym, crate::print::text(&self.store, formula))
            }
            None => (
                self.store.intern(&name.name),
                src[value.span.start..value.span.end].to_string(),
            ),
        };
        self.locals.push((sym, formula));
        let expanded = self.store.substitute(formula, &self.expanded_of);
        self.expanded_of.insert(sym, expanded);
        self.defs.push(Def {
            name: sym,
            formula,
            expanded,
            span: name.span,
            written,
            conditions,
        });
        Ok(())
    }
}

impl Network {
    /// The parameters: the `wrt` line's names (an intermediate is refused; one the output
    /// does not use is warned about), else every input. An input whose terms cancel
    /// (`c = a + b; e = c - a`) stays a parameter, with gradient 0 and a word on why, rather
    /// than vanishing from the gradient.
    fn choose_params(
        &mut self,
        wrt: Option<Vec<(String, Span)>>,
        defined_at: &HashMap<String, Span>,
    ) -> Result<Vec<Sym>> {
        let inputs = self.inputs();
        let out_name = self.name(self.output_def().name).to_string();
        let params = match wrt {
            Some(names) => {
                let mut ps = Vec::new();
                for (n, span) in names {
                    if defined_at.contains_key(&n) {
                        return Err(source_error(
                            &self.source.0,
                            &self.source.1,
                            span,
                            format!("`{n}` is an intermediate; `wrt` names parameters (inputs)"),
                            "an intermediate",
                        ));
                    }
                    let s = self.store.intern(&n);
                    if !inputs.contains(&s) {
                        self.warnings.push(format!(
                            "warning: `{n}` does not occur in `{out_name}`; its gradient is 0"
                        ));
                    }
                    ps.push(s);
                }
                ps
            }
            None => inputs,
        };
        let reached: HashSet<Sym> = self
            .store
            .free_symbols(self.output_def().expanded)
            .into_iter()
            .collect();
        let written = self.written();
        for p in &params {
            if written.contains(p) && !reached.contains(p) {
                self.warnings.push(format!(
                    "warning: `{}` occurs in `{out_name}`, but its terms cancel: `{out_name}` does not depend on it, so its gradient is 0",
                    self.name(*p)
                ));
            }
        }
        Ok(params)
    }
}

/// `k` of a version's name `c_k`.
fn version_number(name: &str) -> usize {
    name.rsplit('_')
        .next()
        .and_then(|k| k.parse().ok())
        .unwrap_or(0)
}

/// An `at` value: an expression that must be a number.
fn constant_value(store: &mut Store, e: &Expr, src: &str, src_name: &str) -> Result<Rational> {
    let mut l = Lowerer::new(store, src, src_name);
    let id = l.expr(e)?;
    match store.as_num(id) {
        Some(r) => Ok(r.clone()),
        None => Err(SourceError::new(
            src_name,
            src,
            e.span.start,
            e.span.end,
            "a value in `at` must be a number",
            "not a number",
        )
        .into()),
    }
}

impl Network {
    /// The name of a symbol.
    pub fn name(&self, s: Sym) -> &str {
        self.store.name(s)
    }

    /// Marks inputs as data, not parameters: they keep their values and get no gradient.
    /// Names that are not inputs of the output, or that the program's `wrt` lists, are errors.
    pub fn set_data(&mut self, names: &[String]) -> Result<()> {
        let inputs = self.inputs();
        for n in names {
            let n = syntax::normalize_name(n.trim());
            let s = self
                .store
                .lookup(&n)
                .filter(|s| inputs.contains(s))
                .ok_or_else(|| {
                    Error::Request(Request::NotAnInput {
                        name: n.clone(),
                        output: self.name(self.output_def().name).to_string(),
                    })
                })?;
            if self.wrt_given && self.params.contains(&s) {
                return Err(Error::Request(Request::ParameterAsData { name: n }));
            }
            self.params.retain(|p| *p != s);
        }
        Ok(())
    }

    /// Where the output as a function of the inputs is defined beyond what its expanded
    /// formula shows: every definition it depends on must be defined, with its conditions,
    /// though substituting the definitions may cancel them (`u = x - 2; E = u/u`).
    pub fn expanded_conditions(&mut self) -> Vec<Condition> {
        let expanded: HashMap<Sym, Id> = self.defs.iter().map(|d| (d.name, d.expanded)).collect();
        let mut out = Vec::new();
        for i in self.live_defs() {
            let (node, span) = (self.defs[i].expanded, self.defs[i].span);
            out.push(Condition::new(node, span));
            for c in self.defs[i].conditions.clone() {
                let node = self.store.substitute(c.node, &expanded);
                out.push(Condition { node, ..c });
            }
        }
        let root = self.output_def().expanded;
        crate::expr::prune_conditions(&self.store, &[root], &mut out);
        out
    }

    /// An evaluation error in words, pointing into the program where it can.
    pub fn explain(&self, e: EvalError) -> Error {
        eval::explain_in(&self.store, e, &self.source.1, &self.source.0)
    }

    /// The inputs of the output, in natural order: the names its definitions use that are
    /// not defined themselves (including those whose terms cancel, as `a` in `c = a + b;
    /// e = c - a`), and those its expanded formula reaches through `d(…)`.
    pub fn inputs(&self) -> Vec<Sym> {
        let defined: HashSet<Sym> = self.defs.iter().map(|d| d.name).collect();
        let mut seen = self.written();
        seen.extend(self.store.free_symbols(self.output_def().expanded));
        let mut inputs: Vec<Sym> = seen.into_iter().filter(|s| !defined.contains(s)).collect();
        inputs.sort_by(|a, b| crate::expr::natural_cmp(self.name(*a), self.name(*b)));
        inputs
    }

    /// The names written in the definitions the output depends on (inputs and names),
    /// including those only their domain conditions keep (`E = d(sqrt(w)^2, w)` is 1 where
    /// it is defined, but it is a function of `w`).
    fn written(&self) -> HashSet<Sym> {
        let roots: Vec<Id> = self
            .live_defs()
            .into_iter()
            .flat_map(|i| {
                let d = &self.defs[i];
                std::iter::once(d.formula).chain(d.conditions.iter().map(|c| c.node))
            })
            .collect();
        self.store
            .reachable(&roots)
            .into_iter()
            .filter_map(|id| self.store.as_sym(id))
            .collect()
    }

    /// Whether `s` names something of the program: a definition, an input of any definition,
    /// a parameter or a name given a value.
    pub fn knows(&self, s: Sym) -> bool {
        self.params.contains(&s)
            || self.point.contains_key(&s)
            || self
                .defs
                .iter()
                .any(|d| d.name == s || self.store.free_symbols(d.formula).contains(&s))
            || self
                .store
                .free_symbols(self.output_def().expanded)
                .contains(&s)
    }

    /// The symbol a name stands for: a rebound name's latest version, else the name itself.
    pub fn lookup(&self, name: &str) -> Option<Sym> {
        let name = syntax::normalize_name(name.trim());
        self.renames
            .get(&name)
            .copied()
            .or_else(|| self.store.lookup(&name))
    }

    /// The output definition.
    pub fn output_def(&self) -> &Def {
        &self.defs[self.output]
    }

    /// The definitions the output depends on, in definition order (output last).
    pub fn live_defs(&self) -> Vec<usize> {
        let mut live = vec![false; self.defs.len()];
        live[self.output] = true;
        let index: HashMap<Sym, usize> = self
            .defs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name, i))
            .collect();
        for i in (0..=self.output).rev() {
            if !live[i] {
                continue;
            }
            // The names its domain conditions use count too: `E = u/u` needs u ≠ 0.
            let conds = self.defs[i].conditions.iter().map(|c| c.node);
            for root in std::iter::once(self.defs[i].formula).chain(conds) {
                for s in self.store.free_symbols(root) {
                    if let Some(&j) = index.get(&s) {
                        live[j] = true;
                    }
                }
            }
        }
        (0..=self.output).filter(|i| live[*i]).collect()
    }

    /// The symbol `δ_v` for a variable.
    fn delta_sym(&mut self, v: Sym) -> Sym {
        let name = format!("δ_{}", self.store.name(v));
        self.store.intern(&name)
    }

    /// The backward pass, symbolically.
    pub fn backward(&mut self) -> Backward {
        self.backward_for(&[])
    }

    /// The backward pass with, besides the parameters' gradients, the adjoints of the inputs
    /// `extra` (data inputs, say) appended to [`Backward::gradient`], for reports about any
    /// name of the program. Names already in the pass are not repeated.
    pub fn backward_for(&mut self, extra: &[Sym]) -> Backward {
        let live = self.live_defs();
        let users = self.users();
        let adjoints = live
            .iter()
            .rev()
            .map(|&i| self.adjoint(self.defs[i].name, &users))
            .collect();
        let mut wanted = self.params.clone();
        for v in extra {
            if !wanted.contains(v) && !live.iter().any(|&i| self.defs[i].name == *v) {
                wanted.push(*v);
            }
        }
        let gradient = wanted.iter().map(|p| self.adjoint(*p, &users)).collect();
        Backward { adjoints, gradient }
    }

    /// The adjoint `δ_v = Σ_u δ_u · ∂u/∂v` over the users `u` of `v`.
    fn adjoint(&mut self, v: Sym, users: &HashMap<Sym, Vec<(Sym, Id)>>) -> Adjoint {
        let out = self.defs[self.output].name;
        let delta = self.delta_sym(v);
        if v == out {
            let one = self.store.num(1);
            return Adjoint {
                of: v,
                delta,
                terms: vec![],
                formula: one,
            };
        }
        let terms = users.get(&v).cloned().unwrap_or_default();
        let mut f_terms = Vec::new();
        for (u, local) in &terms {
            // δ_E = 1: write the output's users' terms without it.
            let du_node = if *u == out {
                self.store.num(1)
            } else {
                let du = self.delta_sym(*u);
                self.store.sym_node(du)
            };
            f_terms.push(self.store.mul(du_node, *local));
        }
        let formula = self.store.add_all(f_terms);
        Adjoint {
            of: v,
            delta,
            terms,
            formula,
        }
    }

    /// `∂E/∂v` in terms of intermediates and inputs: every `δ` of `bw` inlined. Each product
    /// is flattened, so in a deep chain this costs time quadratic in the depth: it is for
    /// display, while the backward pass itself keeps the adjoints shared.
    pub fn inlined(&mut self, bw: &Backward, v: Sym) -> Id {
        let by_sym: HashMap<Sym, &Adjoint> = bw
            .adjoints
            .iter()
            .chain(&bw.gradient)
            .map(|a| (a.of, a))
            .collect();
        let Some(target) = by_sym.get(&v) else {
            return self.store.num(0);
        };
        let mut memo: HashMap<Sym, Id> = HashMap::new();
        // The adjoints in sweep order: each depends only on earlier ones.
        for a in bw.adjoints.iter().chain(&bw.gradient) {
            let id = if a.terms.is_empty() {
                self.store
                    .num(if a.of == self.output_def().name { 1 } else { 0 })
            } else {
                let terms: Vec<Id> = a
                    .terms
                    .iter()
                    .map(|(u, local)| {
                        let du = memo[u];
                        self.store.mul(du, *local)
                    })
                    .collect();
                self.store.add_all(terms)
            };
            memo.insert(a.of, id);
            if a.of == target.of {
                return id;
            }
        }
        memo[&v]
    }

    /// The local derivatives of the definitions the output depends on: `(user, used,
    /// ∂user/∂used)` for each name a definition uses with a nonzero partial, users from the
    /// output down.
    fn local_edges(&mut self) -> Vec<Edge> {
        let mut edges = Vec::new();
        for i in self.live_defs().into_iter().rev() {
            let (u, f) = (self.defs[i].name, self.defs[i].formula);
            for w in self.store.free_symbols(f) {
                let local = diff(&mut self.store, f, w);
                if !self.store.is_zero(local) {
                    edges.push((u, w, local));
                }
            }
        }
        edges
    }

    /// The users of each name: `(user, ∂user/∂name)`, users from the output down.
    fn users(&mut self) -> HashMap<Sym, Vec<(Sym, Id)>> {
        let mut users: HashMap<Sym, Vec<(Sym, Id)>> = HashMap::new();
        for (u, w, local) in self.local_edges() {
            users.entry(w).or_default().push((u, local));
        }
        users
    }

    /// For each variable, the number of paths from the output down to it and the number of
    /// local factors along all of them together (saturating): the size of the chain-rule
    /// form, computed in time linear in the program, before anyone writes it out.
    pub fn chain_sizes(&mut self) -> HashMap<Sym, (u64, u64)> {
        let out = self.defs[self.output].name;
        let mut sizes: HashMap<Sym, (u64, u64)> = HashMap::from([(out, (1, 0))]);
        // Edges come user by user from the output down, so a user's totals are final
        // before they flow into the names it uses.
        for (u, w, _) in self.local_edges() {
            let Some(&(paths, factors)) = sizes.get(&u) else {
                continue;
            };
            let e = sizes.entry(w).or_insert((0, 0));
            e.0 = e.0.saturating_add(paths);
            e.1 = e.1.saturating_add(factors.saturating_add(paths));
        }
        sizes
    }

    /// The paths from the output down to `v`, each a list of edges `(user, used, ∂user/∂used)`
    /// from the output downwards; `None` when there are more than `max` paths.
    pub fn paths(&mut self, v: Sym, max: usize) -> Option<Vec<Vec<Edge>>> {
        let live = self.live_defs();
        let out = self.defs[self.output].name;
        let index: HashMap<Sym, usize> = live.iter().map(|&i| (self.defs[i].name, i)).collect();
        let users = self.users();
        // Walk up from v to the output, depth first. A partial path is a chain of parent
        // links into `steps`, so extending it costs O(1) however deep the network is.
        let mut steps: Vec<(Edge, Option<usize>)> = Vec::new();
        let mut done: Vec<Vec<Edge>> = Vec::new();
        let mut stack: Vec<(Sym, Option<usize>)> = vec![(v, None)];
        while let Some((w, tail)) = stack.pop() {
            if w == out {
                // Follow the links from the output's end back down to v.
                let mut path = Vec::new();
                let mut at = tail;
                while let Some(k) = at {
                    path.push(steps[k].0);
                    at = steps[k].1;
                }
                done.push(path);
                if done.len() > max {
                    return None;
                }
                continue;
            }
            for (u, local) in users.get(&w).into_iter().flatten() {
                steps.push(((*u, w, *local), tail));
                stack.push((*u, Some(steps.len() - 1)));
            }
        }
        // A stable order: by the definitions along the path, from the output down.
        done.sort_by_key(|p| {
            p.iter()
                .map(|e| std::cmp::Reverse(index[&e.0]))
                .collect::<Vec<_>>()
        });
        Some(done)
    }

    /// `∂output/∂p` of the fully expanded output, by direct differentiation.
    ///
    /// Small programs are differentiated once per parameter, which prints each partial in its
    /// most readable grouping; large ones by one reverse sweep ([`crate::diff::gradient`]),
    /// linear in the program where one `diff` per parameter would be quadratic.
    pub fn expanded_gradient(&mut self) -> Vec<Id> {
        const PER_PARAMETER_WORK: usize = 200_000;
        let root = self.defs[self.output].expanded;
        let params = self.params.clone();
        if params.len().saturating_mul(self.store.dag_size(root)) > PER_PARAMETER_WORK {
            return crate::diff::gradient(&mut self.store, root, &params);
        }
        params
            .iter()
            .map(|p| diff(&mut self.store, root, *p))
            .collect()
    }

    /// The point with `extra` values taking precedence over the program's `at`.
    pub fn point_with(&self, extra: &Point) -> Point {
        let mut p = self.point.clone();
        p.extend(extra.iter().map(|(k, v)| (*k, v.clone())));
        p
    }

    /// Evaluates the forward and backward passes at `point`.
    pub fn trace(&self, bw: &Backward, point: &Point, mode: Mode) -> Result<Trace> {
        let live = self.live_defs();
        // In f64 the forward pass is the program as written, as NumPy computes it; the
        // backward pass evaluates chainrule's formulas with those values.
        let written = match mode {
            Mode::F64 => self.written_forward(&live, point),
            _ => None,
        };
        let run = |m: Mode| -> std::result::Result<SweepValues, EvalError> {
            match m {
                Mode::Auto(_) => {
                    let env = point
                        .iter()
                        .map(|(s, r)| (*s, ExactVal::Q(r.clone())))
                        .collect();
                    let exact = Exact::new(self.store.limits().max_exact_bits);
                    self.sweep(bw, &live, env, None, &exact, |v: ExactVal| {
                        v.exact().map(Value::Exact)
                    })
                }
                Mode::Mpfr(prec) => {
                    let env = point
                        .iter()
                        .map(|(s, r)| (*s, Float::with_val(prec, r)))
                        .collect();
                    self.sweep(bw, &live, env, None, &Mpfr::new(prec), |v| {
                        Ok(Value::Mpfr(v))
                    })
                }
                Mode::F64 => {
                    let env = point
                        .iter()
                        .map(|(s, r)| (*s, eval::nearest_f64(r)))
                        .collect();
                    let given = written.as_ref().and_then(|w| w.as_ref().ok().cloned());
                    self.sweep(bw, &live, env, given, &F64, |v| Ok(Value::F64(v)))
                }
            }
        };
        let result = match mode {
            Mode::Auto(prec) => {
                eval::exact_or_mpfr(&self.store, prec, run(mode), || run(Mode::Mpfr(prec)))
            }
            m => run(m).map(|values| (values, None)),
        };
        let ((forward, adjoints, gradient, mut kinks), note) = match (result, written) {
            // Only the written order failed (`exp(1000)*0`): its error.
            (Ok(_), Some(Err(e))) => return Err(e),
            (result, _) => result.map_err(|e| self.explain(e))?,
        };
        // The note that exact values were too large goes with the kink notes: the reports
        // show those to the user.
        kinks.extend(note);
        Ok(Trace {
            forward,
            adjoints,
            gradient,
            kinks,
        })
    }

    /// The live definitions' values in f64, computed as written ([`eval::written`]); `None`
    /// when the program has no as-written form.
    fn written_forward(&self, live: &[usize], point: &Point) -> Option<Result<Vec<f64>>> {
        let names: Vec<&str> = live.iter().map(|&i| self.name(self.defs[i].name)).collect();
        let set = names.iter().copied().collect();
        let mut inputs: Vec<Sym> = point.keys().copied().collect();
        inputs.sort();
        let w = eval::written::compile_program(&self.store, &self.source.0, &set, &names, &inputs)?;
        let values: Vec<f64> = inputs
            .iter()
            .map(|s| eval::nearest_f64(&point[s]))
            .collect();
        Some(w.eval_f64_all(&values))
    }

    /// One sweep in one arithmetic: forward through the definitions (or with the `given`
    /// forward values), backward through the adjoints, each formula evaluated with the names
    /// before it bound.
    fn sweep<B: Backend>(
        &self,
        bw: &Backward,
        live: &[usize],
        mut env: HashMap<Sym, B::V>,
        given: Option<Vec<B::V>>,
        backend: &B,
        wrap: impl Fn(B::V) -> std::result::Result<Value, Fail>,
    ) -> std::result::Result<SweepValues, EvalError> {
        let mut forward = Vec::new();
        for (k, &i) in live.iter().enumerate() {
            let d = &self.defs[i];
            let v = match &given {
                Some(vals) => vals[k].clone(),
                None => eval::evaluate_with_conditions(
                    &self.store,
                    &[d.formula],
                    &d.conditions,
                    &env,
                    backend,
                )?
                .remove(0),
            };
            env.insert(d.name, v.clone());
            forward.push(wrap(v).map_err(|f| EvalError::At(d.formula, f))?);
        }
        let mut kinks = Vec::new();
        let mut adjoint_vals = Vec::new();
        let defs: HashMap<Sym, &Def> = self.defs.iter().map(|d| (d.name, d)).collect();
        let mut eval_adjoint =
            |a: &Adjoint, env: &mut HashMap<Sym, B::V>| -> std::result::Result<Value, EvalError> {
                for (user, _) in &a.terms {
                    self.find_kinks(&defs, *user, a.of, env, backend, &mut kinks)?;
                }
                let v = eval::evaluate_with(&self.store, &[a.formula], env, backend)?.remove(0);
                env.insert(a.delta, v.clone());
                wrap(v).map_err(|f| EvalError::At(a.formula, f))
            };
        for a in &bw.adjoints {
            adjoint_vals.push(eval_adjoint(a, &mut env)?);
        }
        let mut grads = Vec::new();
        for a in &bw.gradient {
            grads.push(eval_adjoint(a, &mut env)?);
        }
        kinks.sort();
        kinks.dedup();
        Ok((forward, adjoint_vals, grads, kinks))
    }

    /// Notes for the kinks met at the point on the way from `user` to `of` (a name its
    /// formula uses), where the derivative does not exist and a convention is used: `relu`
    /// or `abs` of exactly 0, and `max` or `min` reached by several arguments (one note per
    /// tie). Arguments that are the same function of the inputs (`u = x; v = x; max(u, v)`)
    /// tie everywhere: that is no kink, and the note says so.
    fn find_kinks<B: Backend>(
        &self,
        defs: &HashMap<Sym, &Def>,
        user: Sym,
        of: Sym,
        env: &HashMap<Sym, B::V>,
        backend: &B,
        notes: &mut Vec<String>,
    ) -> std::result::Result<(), EvalError> {
        let Some(def) = defs.get(&user) else {
            return Ok(());
        };
        let value =
            |id: Id| eval::evaluate_with(&self.store, &[id], env, backend).map(|mut v| v.remove(0));
        let text = |id: Id| crate::print::text(&self.store, id);
        let zero = |v: &B::V| backend.sign(v) == Some(std::cmp::Ordering::Equal);
        for n in self.store.reachable(&[def.formula]) {
            let Node::Call(Func::Builtin(b), args) = self.store.node(n) else {
                continue;
            };
            if !matches!(
                b,
                Builtin::Relu | Builtin::Abs | Builtin::Max | Builtin::Min
            ) || !self.store.free_symbols(n).contains(&of)
            {
                continue;
            }
            if let Builtin::Relu | Builtin::Abs = b {
                if zero(&value(args[0])?) {
                    let rule = if *b == Builtin::Relu {
                        "step(0) = 0: relu'(0) is taken as 0"
                    } else {
                        "sign(0) = 0: abs'(0) is taken as 0"
                    };
                    notes.push(format!(
                        "{} = 0 here, a kink where the derivative does not exist; convention {rule}",
                        text(args[0])
                    ));
                }
                continue;
            }
            let m = value(n)?;
            let (one, minus) = (Rational::from(1), Rational::from(-1));
            let mut tied: Vec<Id> = Vec::new();
            for &a in args.iter() {
                let gap = backend
                    .sum(&Rational::new(), &[(&value(a)?, &one), (&m, &minus)])
                    .map_err(|f| EvalError::At(n, f))?;
                if zero(&gap) && !tied.contains(&a) {
                    tied.push(a);
                }
            }
            if tied.len() < 2 {
                continue;
            }
            // An argument as a function of the inputs: a name's expanded formula.
            let function = |a: Id| match self.store.as_sym(a).and_then(|s| defs.get(&s)) {
                Some(d) => d.expanded,
                None => a,
            };
            let kink = tied.iter().any(|a| function(*a) != function(tied[0]));
            let names: Vec<String> = tied.iter().map(|a| text(*a)).collect();
            let (last, rest) = names.split_last().expect("two or more");
            let (names, among) = (
                format!("{} and {last}", rest.join(", ")),
                if tied.len() == 2 { "between" } else { "among" },
            );
            notes.push(if kink {
                format!(
                    "a tie of {names} in {}, a kink where the derivative does not exist; convention: the derivative is shared equally {among} them",
                    text(n)
                )
            } else {
                format!(
                    "a tie of {names} in {}: they are the same function of the inputs, so this is no kink; the derivative is shared equally {among} them",
                    text(n)
                )
            });
        }
        Ok(())
    }
}
