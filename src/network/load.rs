//! Loading a program: names and their versions (`c = c + 1`), lowering each statement,
//! choosing the parameters.

use super::{Def, Instance, Network, TakenFn};
use crate::error::{Error, Request, Result, SourceError};
use crate::eval::Point;
use crate::expr::{Condition, Id, Store, Sym};
use crate::parallel;
use crate::syntax::ast::{Expr, ExprKind, Ident, MulOp, Program, Span, Stmt, TakeItem};
use crate::syntax::{self, Lowerer, UserFn, parse_number};
use rug::Rational;
use std::collections::{HashMap, HashSet};

/// The store's hasher, for the loader's tables of a program's names (a large program has
/// hundreds of thousands): names are the user's own, not chosen to collide.
type Fx = std::hash::BuildHasherDefault<crate::expr::FxHasher>;

/// Up to how many names a formula's names are told apart by a look through the list.
const SMALL: usize = 16;

/// Names used in an expression, with their spans (iteratively: deep input is fine).
pub(crate) fn names_used(e: &Expr) -> Vec<(&str, Span)> {
    let mut out = Vec::new();
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        if let ExprKind::Name(n) = &e.kind {
            out.push((n.as_str(), e.span));
        }
        e.for_each_child(|c| stack.push(c));
    }
    out
}

/// Loads a program: parses, checks names, lowers definitions, expands them.
///
/// `output` names the definition to treat as the loss (default: the last one).
pub fn load(src: &str, src_name: &str, output: Option<&str>) -> Result<Network> {
    let program = syntax::parse_program(src, src_name)?;
    load_parsed(program, src, src_name, output)
}

/// [`load`] of a program already parsed from `src`. Each statement's syntax tree is
/// dropped once it is loaded (a large program's on another thread, meanwhile, and what can
/// be found from a statement alone, its `Prepared`, found on a third ahead of the loader:
/// [`parallel::each_prepared_then_drop`]), so that the network reuses its memory as it is
/// made (a program of 10^5 layers has a tree of about 140 MB).
pub fn load_parsed(
    program: Program,
    src: &str,
    src_name: &str,
    output: Option<&str>,
) -> Result<Network> {
    if let Some((_, span)) = program
        .stmts
        .iter()
        .find(|(stmt, _)| matches!(stmt, Stmt::Shape { .. } | Stmt::FnShape { .. }))
    {
        return Err(shapes_unsupported(src, src_name, *span));
    }
    reserved_names(src, src_name)?;
    let names = Names::of(&program.stmts, src, src_name)?;
    let mut loader = Loader::new(src, src_name, names.defined_at.len());
    parallel::each_prepared_then_drop(
        program.stmts,
        |(stmt, _)| Prepared::of(stmt, &names, src),
        |(stmt, _), prepared| loader.statement(stmt, &names, prepared),
    )?;
    let Loader {
        store,
        defs,
        point,
        intermediate_at,
        wrt,
        warnings,
        functions,
        declared,
        renames,
        takes,
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
    if let Some((n, span)) = intermediate_at {
        return Err(source_error(
            src,
            src_name,
            span,
            format!("`{n}` is an intermediate: its value is computed, not given"),
            "an intermediate",
        ));
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
        instance: None,
        live_cache: Default::default(),
        inputs_cache: Default::default(),
        reached_cache: Default::default(),
    };
    net.params = net.choose_params(wrt, &names.defined_at)?;
    if !takes.is_empty() {
        net.instance = Some(net.instance_of(&takes, &names)?);
    }
    Ok(net)
}

/// The error for a name given a value by two `at` lines (`first`, then `again`): the second
/// silently won, where one line naming it twice is refused by the parser.
pub(super) fn given_twice(src: &str, src_name: &str, again: &Ident, first: Span) -> Error {
    SourceError::new(
        src_name,
        src,
        first.start,
        first.end,
        format!("`{}` is given two values", again.name),
        "first here",
    )
    .with_label(again.span.start, again.span.end, "again here")
    .with_help("give each name one value, in one `at` line or another; `--at` on the command line changes a value for one run")
    .into()
}

/// The error for a shape declaration (`x: 3`, `f: R^3 → R^4`) at `span`: programs are
/// scalar for now.
fn shapes_unsupported(src: &str, src_name: &str, span: Span) -> Error {
    SourceError::new(
        src_name,
        src,
        span.start,
        span.end,
        "shape declarations are not supported by this command yet",
        "a shape declaration",
    )
    .with_help("without a declaration every name is a scalar")
    .into()
}

/// An error at `span` of the program.
fn source_error(src: &str, src_name: &str, span: Span, msg: String, label: &str) -> Error {
    SourceError::new(src_name, src, span.start, span.end, msg, label).into()
}

/// Where each name of a program is defined, found before anything is lowered.
struct Names {
    /// Each intermediate's first definition.
    defined_at: HashMap<String, Span, Fx>,
    /// Each function's definition or declaration.
    fn_at: HashMap<String, Span, Fx>,
    /// How many versions each rebound name has (`c = a + b` then `c = c + 1`, or `c += 1`).
    versions: HashMap<String, usize, Fx>,
}

impl Names {
    /// The names defined by `stmts`, refusing a name defined twice (other than by
    /// rebinding), a built-in redefined, a name both function and intermediate, and a
    /// rebound name whose versions would clash with another name.
    fn of(stmts: &[(Stmt, Span)], src: &str, src_name: &str) -> Result<Names> {
        let err =
            |span: Span, msg: String, label: &str| source_error(src, src_name, span, msg, label);
        let defs = stmts
            .iter()
            .filter(|(s, _)| matches!(s, Stmt::Def { .. }))
            .count();
        let mut names = Names {
            defined_at: HashMap::with_capacity_and_hasher(defs, Fx::default()),
            fn_at: HashMap::default(),
            versions: HashMap::default(),
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
            // One probe of the table per name (a program of 10^5 layers defines 2·10^5).
            let first = match table.entry(name.name.clone()) {
                std::collections::hash_map::Entry::Occupied(o) => *o.get(),
                std::collections::hash_map::Entry::Vacant(v) => {
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
                    v.insert(name.span);
                    continue;
                }
            };
            if let Stmt::Def { value, .. } = stmt
                && names_used(value).iter().any(|(n, _)| *n == name.name)
            {
                // A new version in terms of the old, as Python rebinds a name.
                *names.versions.entry(name.name.clone()).or_insert(1) += 1;
                continue;
            }
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
        // The first such name in the program, whatever the tables' order (none without a
        // function).
        let clash = (!names.fn_at.is_empty())
            .then(|| names.defined_at.iter())
            .into_iter()
            .flatten()
            .filter_map(|(name, span)| Some((name, span, names.fn_at.get(name)?)))
            .min_by_key(|(_, span, _)| span.start);
        if let Some((name, span, f)) = clash {
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
            let formula = match stmt {
                Stmt::Def { value, .. } => value,
                Stmt::FnDef { body, .. } => &**body,
                _ => continue,
            };
            used.extend(names_used(formula).into_iter().map(|(n, _)| n.to_string()));
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

/// What loading a statement needs that its syntax tree and the program's [`Names`] give
/// alone, found for a large program on another thread ahead of the loader
/// ([`parallel::each_prepared_then_drop`]): taken off the loader's thread, it made the load
/// of a program of 10^5 layers a fifth faster (each name a definition uses was looked up
/// among the program's names there, and each formula walked twice).
enum Prepared {
    /// A definition: the first misuse of a name in its formula, and its formula as written,
    /// when its name is never rebound.
    Def {
        misuse: Option<Misuse>,
        written: Option<String>,
        /// Where the names its formula uses are, in [`names_used`]'s order, when each is
        /// its source text as written (not when one is normalized): what the loader needs of
        /// them, without walking the formula again.
        used: Option<Vec<Span>>,
    },
    /// An `at` line: its values that are numbers as written (`None` for one to be lowered),
    /// and its first name that is an intermediate.
    At {
        values: Vec<Option<Rational>>,
        intermediate: Option<(String, Span)>,
    },
    /// Any other statement.
    Other,
}

/// A name a definition may not use.
enum Misuse {
    /// The name being defined, in its first definition.
    Itself { name: String, span: Span },
    /// A name defined later (`at`: where).
    Later { name: String, span: Span, at: Span },
}

impl Prepared {
    fn of(stmt: &Stmt, names: &Names, src: &str) -> Prepared {
        match stmt {
            Stmt::Def { name, value } => {
                // A new version of a rebound name (`c = c + 1`) may use its own name: one
                // defined before, the first definition being where `Names` has it.
                let rebinding = names
                    .defined_at
                    .get(&name.name)
                    .is_some_and(|first| first.start < name.span.start);
                let used = names_used(value);
                // The first misuse in the formula's order.
                let misuse = used.iter().find_map(|&(n, span)| {
                    if n == name.name && !rebinding {
                        return Some(Misuse::Itself {
                            name: n.to_string(),
                            span,
                        });
                    }
                    let at = *names.defined_at.get(n)?;
                    (at.start > name.span.start).then(|| Misuse::Later {
                        name: n.to_string(),
                        span,
                        at,
                    })
                });
                let as_written = used
                    .iter()
                    .all(|(n, span)| src.get(span.start..span.end) == Some(*n));
                Prepared::Def {
                    misuse,
                    written: (!names.versions.contains_key(&name.name))
                        .then(|| src[value.span.start..value.span.end].to_string()),
                    used: as_written.then(|| used.iter().map(|(_, span)| *span).collect()),
                }
            }
            Stmt::At(items) => Prepared::At {
                values: items.iter().map(|(_, e)| literal_value(e)).collect(),
                intermediate: items
                    .iter()
                    .find(|(id, _)| names.defined_at.contains_key(&id.name))
                    .map(|(id, _)| (id.name.clone(), id.span)),
            },
            _ => Prepared::Other,
        }
    }
}

impl Misuse {
    fn error(self, src: &str, src_name: &str) -> Error {
        match self {
            Misuse::Itself { name: n, span } => SourceError::new(
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
            .into(),
            Misuse::Later { name: n, span, at } => SourceError::new(
                src_name,
                src,
                span.start,
                span.end,
                format!("`{n}` is used before it is defined"),
                "used here",
            )
            .with_label(at.start, at.end, "defined later here")
            .with_help("definitions run top to bottom; a cycle of definitions is not a network")
            .into(),
        }
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
    /// The first name given a value by an `at` line that is an intermediate.
    intermediate_at: Option<(String, Span)>,
    wrt: Option<Vec<(String, Span)>>,
    warnings: Vec<String>,
    expanded_of: HashMap<Sym, Id, Fx>,
    /// Where each name given a value by an `at` line was given it.
    given_at: HashMap<Sym, Span, Fx>,
    /// The definitions so far as (name, formula), lent to the lowerer for `d(…)`.
    locals: Vec<(Sym, Id)>,
    /// The items of the `take` statements, read once the whole program is.
    takes: Vec<TakeItem>,
}

impl<'s> Loader<'s> {
    /// A loader for a program of about `defs` definitions, with room made for them: a large
    /// program's tables would otherwise be copied to larger ones again and again.
    fn new(src: &'s str, src_name: &'s str, defs: usize) -> Self {
        let mut store = Store::new();
        // About three and a half nodes a definition (its formula, its expanded formula, its
        // name), and as many again for the backward pass most commands make (the adjoint's
        // name, the local derivatives, the products): room made once, where growing would
        // copy the nodes to a list twice as large, a layered program's 56 MB at 10^5 layers.
        store.reserve(8 * defs);
        Loader {
            src,
            src_name,
            store,
            renames: HashMap::new(),
            functions: HashMap::new(),
            declared: HashMap::new(),
            defs: Vec::with_capacity(defs),
            point: Point::new(),
            intermediate_at: None,
            wrt: None,
            warnings: Vec::new(),
            expanded_of: HashMap::with_capacity_and_hasher(defs, Fx::default()),
            given_at: HashMap::default(),
            locals: Vec::with_capacity(defs),
            takes: Vec::new(),
        }
    }

    fn err(&self, span: Span, msg: String, label: &str) -> Error {
        source_error(self.src, self.src_name, span, msg, label)
    }

    fn statement(&mut self, stmt: &Stmt, names: &Names, prepared: Prepared) -> Result<()> {
        match stmt {
            Stmt::FnDecl { name, params } => {
                let names: Vec<String> = params.iter().map(|p| p.name.clone()).collect();
                let f = self.store.intern(&name.name);
                self.store.set_param_names(f, names.clone());
                self.declared.insert(name.name.clone(), names);
            }
            Stmt::FnDef { name, params, body } => self.fn_def(name, params, body, names)?,
            Stmt::Def { name, value } => self.def(name, value, names, prepared)?,
            Stmt::At(items) => {
                let Prepared::At {
                    mut values,
                    intermediate,
                } = prepared
                else {
                    unreachable!("an `at` line is prepared as one")
                };
                for ((id, e), v) in items.iter().zip(values.iter_mut()) {
                    let v = match v.take() {
                        Some(v) => v,
                        None => constant_value(&mut self.store, e, self.src, self.src_name)?,
                    };
                    let s = self.store.intern(&id.name);
                    // Two `at` lines giving one name a value: the second silently won.
                    if let Some(first) = self.given_at.insert(s, id.span) {
                        return Err(given_twice(self.src, self.src_name, id, first));
                    }
                    self.store
                        .set_written_value(s, &v, &self.src[e.span.start..e.span.end]);
                    self.point.insert(s, v);
                }
                if self.intermediate_at.is_none() {
                    self.intermediate_at = intermediate;
                }
            }
            Stmt::Take(items) => self.takes.extend(items.iter().cloned()),
            Stmt::Wrt(names) => {
                self.wrt = Some(names.iter().map(|n| (n.name.clone(), n.span)).collect());
            }
            // Refused by `load` before anything is lowered.
            Stmt::Shape { names, .. } => {
                let span = names.first().map_or(Span::default(), |n| n.span);
                return Err(shapes_unsupported(self.src, self.src_name, span));
            }
            Stmt::FnShape { name, .. } => {
                return Err(shapes_unsupported(self.src, self.src_name, name.span));
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
            if names.defined_at.contains_key(n) && !params.iter().any(|p| p.name == n) {
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
    fn def(&mut self, name: &Ident, value: &Expr, names: &Names, prepared: Prepared) -> Result<()> {
        let Prepared::Def {
            misuse,
            mut written,
            used,
        } = prepared
        else {
            unreachable!("a definition is prepared as one")
        };
        if let Some(m) = misuse {
            return Err(m.error(self.src, self.src_name));
        }
        let src = self.src;
        let used: Vec<(&str, Span)> = match used {
            Some(spans) => spans
                .into_iter()
                .map(|span| (&src[span.start..span.end], span))
                .collect(),
            None => names_used(value),
        };
        let (formula, mut conditions) = self.lower(value, None, true)?;
        // A defined name the formula as written uses must be defined even where simplifying
        // cancelled it (`E = u - u + w`, `E = 0*u + w`): its own condition. The names the
        // formula and its conditions reach, sorted to be looked up, found once one is needed.
        let mut reached: Option<Vec<Sym>> = None;
        // Every name the formula as written uses, cancelled or not (`z = x - x` uses x); the
        // syntax tree's names are normalized (NFC) already.
        let mut uses = Vec::new();
        let mut seen: HashSet<Sym, Fx> = HashSet::default();
        for (n, span) in used {
            let Some(s) = self
                .renames
                .get(n)
                .copied()
                .or_else(|| self.store.lookup(n))
            else {
                continue;
            };
            let new = if uses.len() < SMALL {
                !uses.contains(&s)
            } else {
                if seen.is_empty() {
                    seen.extend(uses.iter().copied());
                }
                seen.insert(s)
            };
            if new {
                uses.push(s);
            }
            if self.expanded_of.contains_key(&s) {
                let reached = reached.get_or_insert_with(|| {
                    let roots: Vec<Id> = std::iter::once(formula)
                        .chain(conditions.iter().map(|c| c.node))
                        .collect();
                    let mut syms: Vec<Sym> = self
                        .store
                        .reachable(&roots)
                        .into_iter()
                        .filter_map(|id| self.store.as_sym(id))
                        .collect();
                    syms.sort_unstable();
                    syms
                });
                if let Err(at) = reached.binary_search(&s) {
                    reached.insert(at, s);
                    let node = self.store.sym_node(s);
                    conditions.push(Condition::new(node, span));
                }
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
                written
                    .take()
                    .unwrap_or_else(|| src[value.span.start..value.span.end].to_string()),
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
            uses,
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
        defined_at: &HashMap<String, Span, Fx>,
    ) -> Result<Vec<Sym>> {
        let (inputs, written, reached) = self.inputs_with_parts();
        let out_name = self.name(self.output_def().name).to_string();
        let params = match wrt {
            Some(names) => {
                let mut ps = Vec::new();
                for (n, span) in names {
                    // A version of a rebound name (`c_1`) is an intermediate too.
                    if defined_at.contains_key(&n) || self.is_intermediate(&n) {
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
        let reached: HashSet<Sym, Fx> = reached.into_iter().collect();
        for p in &params {
            if written.binary_search(p).is_ok() && !reached.contains(p) {
                self.warnings.push(format!(
                    "warning: `{}` occurs in `{out_name}`, but its terms cancel: `{out_name}` does not depend on it, so its gradient is 0",
                    self.name(*p)
                ));
            }
        }
        Ok(params)
    }
}

impl Network {
    /// The instance the `take` statements give: each function one the program declares with
    /// `fn`, with as many parameters, and a formula of them and of built-in functions only;
    /// each value one of an input, not given by `at` too.
    fn instance_of(&mut self, takes: &[TakeItem], names: &Names) -> Result<Instance> {
        let (src, src_name) = (self.source.0.clone(), self.source.1.clone());
        let err =
            |span: Span, msg: String, label: &str| source_error(&src, &src_name, span, msg, label);
        let mut instance = Instance {
            functions: Vec::new(),
            point: self.point.clone(),
        };
        let inputs = self.inputs();
        for item in takes {
            match item {
                TakeItem::Function { name, params, body } => {
                    let Some(declared) = self.declared.get(&name.name) else {
                        let why = if self.functions.contains_key(&name.name) {
                            format!(
                                "`{}` is defined by the program already; `take` gives a formula to a function the program leaves unspecified (`fn {}(…)`)",
                                name.name, name.name
                            )
                        } else {
                            format!(
                                "`{}` is not an unspecified function of the program; `take` gives a formula to one declared with `fn`",
                                name.name
                            )
                        };
                        return Err(err(name.span, why, "not declared with `fn`"));
                    };
                    if declared.len() != params.len() {
                        return Err(err(
                            name.span,
                            format!(
                                "`{}` is declared with {} parameter{} (`fn {}({})`), but taken with {}",
                                name.name,
                                declared.len(),
                                if declared.len() == 1 { "" } else { "s" },
                                name.name,
                                declared.join(", "),
                                params.len()
                            ),
                            "wrong number of parameters",
                        ));
                    }
                    if let Some((n, span)) = names_used(body)
                        .into_iter()
                        .find(|(n, _)| !params.iter().any(|p| p.name == *n))
                    {
                        let ps: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
                        return Err(err(
                            span,
                            format!(
                                "the formula taken for `{}` uses `{n}`, which is not one of its parameters ({})",
                                name.name,
                                ps.join(", ")
                            ),
                            "not a parameter",
                        ));
                    }
                    let body_id = {
                        let mut l = Lowerer::new(&mut self.store, &src, &src_name);
                        l.strict = true;
                        l.functions = self.functions.clone();
                        l.declared = self.declared.clone();
                        l.expr(body)?
                    };
                    if let Some(f) = self.store.reachable(&[body_id]).into_iter().find_map(|id| {
                        match self.store.node(id) {
                            crate::expr::Node::Call(crate::expr::Func::Abstract(f), _) => {
                                Some(self.store.name(f.name).to_string())
                            }
                            _ => None,
                        }
                    }) {
                        return Err(err(
                            body.span,
                            format!(
                                "the formula taken for `{}` calls `{f}`, which the program leaves unspecified; take a formula of built-in functions",
                                name.name
                            ),
                            "not a formula of built-in functions",
                        ));
                    }
                    let ps: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
                    instance.functions.push(TakenFn {
                        name: name.name.clone(),
                        params: params.iter().map(|p| self.store.intern(&p.name)).collect(),
                        body: body_id,
                        text: format!(
                            "{}({}) = {}",
                            name.name,
                            ps.join(", "),
                            src[body.span.start..body.span.end].trim()
                        ),
                    });
                }
                TakeItem::Value(id, e) => {
                    if names.defined_at.contains_key(&id.name) {
                        return Err(err(
                            id.span,
                            format!(
                                "`{}` is an intermediate: its value is computed, not given",
                                id.name
                            ),
                            "an intermediate",
                        ));
                    }
                    let v = constant_value(&mut self.store, e, &src, &src_name)?;
                    let s = self.store.intern(&id.name);
                    if !inputs.contains(&s) {
                        return Err(err(
                            id.span,
                            format!("`{}` is not an input of the program", id.name),
                            "not an input",
                        ));
                    }
                    if self.point.contains_key(&s) {
                        return Err(err(
                            id.span,
                            format!("`{}` has a value in the program's `at` already", id.name),
                            "given twice",
                        ));
                    }
                    self.store
                        .set_written_value(s, &v, &src[e.span.start..e.span.end]);
                    instance.point.insert(s, v);
                }
            }
        }
        Ok(instance)
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
    if let ExprKind::List(items) = &e.kind {
        let what = if items.iter().any(|i| matches!(i.kind, ExprKind::List(_))) {
            "a matrix"
        } else {
            "a vector"
        };
        return Err(SourceError::new(
            src_name,
            src,
            e.span.start,
            e.span.end,
            "vector and matrix values are not supported by this command yet",
            what,
        )
        .into());
    }
    if let Some(r) = literal_value(e) {
        return Ok(r);
    }
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

/// The value of a number as `at` lines write them (`2`, `0.5`, `-3/4`, `1e-3`): a literal, or
/// `-a` or `a/b` of such, computed directly rather than built in the store (an `at` line of a
/// large program has one per parameter). `None` for anything else, and where lowering could
/// answer otherwise (a number that does not parse, a zero or large denominator): those take
/// the general path, with its errors and limits.
fn literal_value(e: &Expr) -> Option<Rational> {
    match &e.kind {
        ExprKind::Num(text) => parse_number(text)?.ok(),
        ExprKind::Neg(x) => literal_value(x).map(|r| -r),
        ExprKind::Product(first, rest) if matches!(rest.as_slice(), [(MulOp::Div, _)]) => {
            let (a, b) = (literal_value(first)?, literal_value(&rest[0].1)?);
            if let Some(q) = integer_ratio(&a, &b) {
                return Some(q);
            }
            let small = |r: &Rational| {
                r.numer().significant_bits() <= 64 && r.denom().significant_bits() <= 64
            };
            (b != 0 && small(&a) && small(&b)).then(|| a / b)
        }
        _ => None,
    }
}

/// `a/b` of two integers that fit a machine word, `b` not 0, reduced in machine words (GMP's
/// general division costs as much again as reading the numbers); `None` for other values.
fn integer_ratio(a: &Rational, b: &Rational) -> Option<Rational> {
    if *a.denom() != 1 || *b.denom() != 1 {
        return None;
    }
    let (n, d) = (a.numer().to_i64()?, b.numer().to_i64()?);
    if d == 0 {
        return None;
    }
    let (mut x, mut y) = (n.unsigned_abs(), d.unsigned_abs());
    while y != 0 {
        (x, y) = (y, x % y);
    }
    // x is the gcd, at least 1 (d is not 0); the sign goes to the numerator.
    let (num, den) = (n.unsigned_abs() / x, d.unsigned_abs() / x);
    let num = if (n < 0) != (d < 0) {
        -rug::Integer::from(num)
    } else {
        rug::Integer::from(num)
    };
    Some(Rational::from((num, rug::Integer::from(den))))
}

/// The prefix of the adjoints' names in the backward table (`δ_z1`), which `check` also reads
/// in claims.
pub const ADJOINT_PREFIX: &str = "δ_";

/// The name of the adjoint of the variable `name`: `δ_name`.
pub(crate) fn adjoint_name(name: &str) -> String {
    let mut a = String::with_capacity(ADJOINT_PREFIX.len() + name.len());
    a.push_str(ADJOINT_PREFIX);
    a.push_str(name);
    a
}

/// A program may not name anything `δ_…`: those names are the adjoints of its backward pass,
/// and an input `δ_z1` would be taken for the adjoint of `z1` (a wrong gradient).
fn reserved_names(src: &str, src_name: &str) -> Result<()> {
    // A name that starts with `δ_` once normalized is written so: normalizing (NFC) neither
    // makes nor removes a `δ` or a `_`. Most programs have none, and need no scan.
    if !src.contains(ADJOINT_PREFIX) {
        return Ok(());
    }
    match syntax::name_spans(src)
        .into_iter()
        .find(|(n, _, _)| n.starts_with(ADJOINT_PREFIX))
    {
        Some((n, start, end)) => Err(SourceError::new(
            src_name,
            src,
            start,
            end,
            format!("`{n}` is the name of an adjoint in the backward table"),
            "reserved",
        )
        .with_help(format!(
            "names that start with `{ADJOINT_PREFIX}` stand for adjoints (δ_v = ∂E/∂v); call this one otherwise, e.g. `d_{}`",
            &n[ADJOINT_PREFIX.len()..]
        ))
        .into()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value lowering gives an `at` value (the general path of [`constant_value`]).
    fn lowered(text: &str) -> Option<Rational> {
        let e = syntax::parse_expr(text, "<at>").unwrap();
        let mut store = Store::new();
        let id = Lowerer::new(&mut store, text, "<at>").expr(&e).ok()?;
        store.as_num(id).cloned()
    }

    /// Of several names both functions and intermediates, the error names the one defined as
    /// an intermediate first, not the first a hash table happens to give.
    #[test]
    fn the_first_name_both_function_and_intermediate_is_the_one_reported() {
        let names: Vec<String> = (0..20).map(|k| format!("q{}", (k * 7) % 20)).collect();
        let mut src = String::new();
        for n in &names {
            src.push_str(&format!("{n}(t) = t^2\n"));
        }
        for n in &names {
            src.push_str(&format!("{n} = 2*x\n"));
        }
        src.push_str(&format!("E = {}\n", names.join(" + ")));
        let e = load(&src, "<t>", None).unwrap_err().to_string();
        assert!(
            e.contains(&format!(
                "`{}` is both a function and an intermediate",
                names[0]
            )),
            "{e}"
        );
    }

    #[test]
    fn literal_at_values_are_the_values_lowering_gives() {
        let cases = [
            "2",
            "-3/4",
            "0.5",
            "-0.5",
            "1e-3",
            "-1.5E3",
            "--2",
            "-(3/4)",
            "6/4",
            "0.1/3",
            "-7/-2",
            "3/0.5",
            "1/3",
            "123456789012345678901234567890",
        ];
        for text in cases {
            let e = syntax::parse_expr(text, "<at>").unwrap();
            let fast = literal_value(&e);
            assert!(fast.is_some(), "{text} should take the direct path");
            assert_eq!(fast, lowered(text), "{text}");
        }
    }

    /// Ratios of integers, reduced in machine words, are the rationals' quotients: signs,
    /// common factors, 1 and 0 on top, the largest words.
    #[test]
    fn integer_ratios_are_the_rational_quotients() {
        let ints = [
            0,
            1,
            -1,
            2,
            -3,
            4,
            6,
            -12,
            35,
            97,
            1 << 40,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ];
        for &n in &ints {
            for &d in &ints {
                let (a, b) = (Rational::from(n), Rational::from(d));
                let q = integer_ratio(&a, &b);
                if d == 0 {
                    assert_eq!(q, None);
                    continue;
                }
                let want = Rational::from((n, d));
                assert_eq!(q.as_ref(), Some(&want), "{n}/{d}");
                let q = q.unwrap();
                assert!(*q.denom() > 0, "{n}/{d}");
            }
        }
        assert_eq!(
            integer_ratio(&Rational::from((1, 2)), &Rational::from(3)),
            None
        );
        let big = Rational::from(rug::Integer::from(1) << 70);
        assert_eq!(integer_ratio(&big, &Rational::from(3)), None);
    }

    #[test]
    fn other_at_values_take_the_general_path() {
        // A zero denominator, numbers beyond 64 bits in a quotient, anything else: lowering
        // decides (and reports the error, for 1/0).
        for text in [
            "1/0",
            "-2/0.0",
            "1e30/1e30",
            "1e30/7",
            "2*3",
            "1/2/3",
            "2^3",
            "x",
            "sqrt(4)",
        ] {
            let e = syntax::parse_expr(text, "<at>").unwrap();
            assert_eq!(literal_value(&e), None, "{text}");
        }
    }
}
