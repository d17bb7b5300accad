//! `chainrule._native.Program`: a program of named definitions and the library's commands on
//! it (backprop, grad, explain, check, fd, sweep, graph). Each method returns a dict of
//! Python values and the report's text, LaTeX and JSON; `chainrule.Program` (Python) wraps
//! them in result objects for notebooks.

use crate::errors::{run, usage};
use crate::expr::warn;
use crate::values;
use chainrule::error::{Request, SourceError, TooLarge};
use chainrule::eval::{Point, Value};
use chainrule::expr::Sym;
use chainrule::network::{self, MatNetwork, Network, WrittenPoint};
use chainrule::report::{self, Numbers, Style};
use chainrule::syntax::Literal;
use chainrule::{Error, Result, fd, plot, print, syntax};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::sync::{Arc, Mutex};

/// A loaded program: of scalars, or with vectors and matrices.
#[pyclass(module = "chainrule._native", frozen)]
pub struct Program {
    net: Net,
}

enum Net {
    Scalar(Arc<Mutex<Network>>),
    Shaped(Arc<Mutex<MatNetwork>>),
}

/// The point asked for: names and exact values (numbers, vectors, matrices), as given.
type Given = Vec<(String, Literal)>;

/// The values of `at`: a number exactly as [`values::exact`] takes it, or a string in
/// chainrule's syntax (`"3/4"`, `"[1, 2]"`, `"[[1, 2], [3, 4]]"`; the Python layer writes
/// NumPy arrays and lists so).
fn given(at: Option<&Bound<'_, PyDict>>) -> PyResult<Given> {
    let mut out = Vec::new();
    if let Some(at) = at {
        for (k, v) in at.iter() {
            let raw: String = k.extract()?;
            let name = values::name(&raw)?;
            let literal = match v.cast::<pyo3::types::PyString>() {
                Ok(text) => {
                    let text = text.to_str()?;
                    syntax::parse_value_literal(text.trim())
                        .map_err(|m| usage(format!("at {name}={text}: {m}")))?
                }
                Err(_) => {
                    let r = values::exact(&name, &v)?;
                    let text = r.to_string();
                    Literal::Scalar(r, text)
                }
            };
            out.push((name, literal));
        }
    }
    Ok(out)
}

/// The program's point with the vector and matrix values asked for (checked against the
/// declared shapes).
fn shaped_point(net: &MatNetwork, at: Given) -> Result<WrittenPoint> {
    let mut extra = Vec::new();
    for (n, lit) in at {
        if net.is_intermediate(&n) {
            return Err(Error::Usage(format!(
                "at: `{n}` is an intermediate of the program: its value is computed, not given"
            )));
        }
        let (d, _, text) = network::given_value(&lit);
        if let Some((msg, help)) = network::misfit(&net.store, &n, &d) {
            let help = help.map(|h| format!("; {h}")).unwrap_or_default();
            return Err(Error::Usage(format!("at {n}={text}: {msg}{help}")));
        }
        extra.push((n, d, text));
    }
    Ok(net.point_with(&extra))
}

/// What the commands not yet written for vectors and matrices say.
fn not_yet(what: &str) -> Error {
    Error::Usage(format!(
        "{what} does not yet work on programs with vectors and matrices; use backprop, grad, explain, check or fd"
    ))
}

fn numbers(arith: &str, precision: u32, digits: Option<usize>) -> PyResult<Numbers> {
    Ok(Numbers {
        mode: values::mode(arith, precision)?,
        digits: digits.unwrap_or(chainrule::eval::format::DEFAULT_DIGITS),
    })
}

/// The program's point with the values asked for: only inputs may be given (an
/// intermediate's value is computed); a name the program does not use is a warning.
fn point(net: &mut Network, at: Given, warnings: &mut Vec<String>) -> Result<Point> {
    let inputs = net.inputs();
    let mut extra = Point::new();
    for (name, v) in at {
        let Literal::Scalar(v, text) = v else {
            return Err(Error::Usage(format!(
                "at: `{name}` is given a vector or matrix, but the program is about scalars"
            )));
        };
        if net.is_intermediate(&name) {
            return Err(Error::Usage(format!(
                "at: `{name}` is an intermediate of the program: its value is computed, not given"
            )));
        }
        if name.starts_with(network::ADJOINT_PREFIX) {
            return Err(Error::Usage(format!(
                "at: `{name}` is an adjoint of the backward pass: its value is computed, not given"
            )));
        }
        let s = net.store.intern(&name);
        // Reports show the value as it was written (`0.1`, not 1/10).
        net.store.set_written_value(s, &v, &text);
        if !inputs.contains(&s) {
            let names: Vec<String> = inputs
                .iter()
                .map(|i| format!("`{}`", net.store.name(*i)))
                .collect();
            warnings.push(format!(
                "at: `{name}` is not an input of the program, so its value is not used (the inputs are {})",
                names.join(", ")
            ));
            continue;
        }
        extra.insert(s, v);
    }
    Ok(net.point_with(&extra))
}

fn in_play<T>(names: &[String], f: impl FnOnce() -> T) -> T {
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    print::with_names_in_play(&names, f)
}

/// An input without a value, pointed at where the program first uses it (a usage error: the
/// program is fine, the point is not).
fn placed(net: &Network, e: Error) -> Error {
    let Error::Request(Request::NoValue { name }) = e else {
        return e;
    };
    let (src, src_name) = (&net.source.0, &net.source.1);
    let found = syntax::name_spans(src)
        .into_iter()
        .find(|(n, _, _)| *n == name);
    let Some((_, start, end)) = found else {
        return Error::Request(Request::NoValue { name });
    };
    let e = SourceError::new(
        src_name,
        src,
        start,
        end,
        format!("no value for `{name}`"),
        "this has no value",
    )
    .with_help(format!(
        "give it one in the program's `at` line (`at {name} = 1`) or with at={{\"{name}\": 1}}"
    ));
    Error::Usage(crate::errors::render(e.into()))
}

/// A variable of the program: a parameter, an intermediate or an input.
fn variable(net: &Network, name: &str) -> Result<Sym> {
    net.lookup(name)
        .filter(|s| net.knows(*s))
        .ok_or_else(|| Error::Usage(format!("the program has no variable named `{name}`")))
}

/// A text, LaTeX and JSON report and the warnings met, as a dict for the Python layer.
struct Rendered {
    text: String,
    latex: Option<String>,
    json: String,
    warnings: Vec<String>,
}

impl Rendered {
    fn into_dict<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        warn(py, &self.warnings)?;
        let d = PyDict::new(py);
        d.set_item("text", self.text)?;
        d.set_item("latex", self.latex)?;
        d.set_item("json", self.json)?;
        Ok(d)
    }
}

/// A report in each of the styles it has.
fn styles(
    latex: bool,
    mut render: impl FnMut(Style) -> Result<String>,
) -> Result<(String, Option<String>, String)> {
    let text = render(Style::Text)?;
    let latex = if latex {
        Some(render(Style::Latex)?)
    } else {
        None
    };
    let json = render(Style::Json)?;
    Ok((text, latex, json))
}

/// For `arith="exact"`: every value of the passes at `p` is rational, or the error saying
/// exact arithmetic cannot give them (`Mode::Auto` would fall back to MPFR).
fn exact_at(net: &mut Network, p: &Point, numbers: Numbers) -> Result<()> {
    let bw = net.backward();
    let t = net.trace(&bw, p, numbers.mode)?;
    let mut all = t.forward.iter().chain(&t.adjoints).chain(&t.gradient);
    if all.any(|v| v.as_exact().is_none()) {
        return Err(Error::Usage(values::NOT_EXACT.to_string()));
    }
    Ok(())
}

/// A report too large to write out, with what to ask for instead (in Python's words).
fn too_large(e: Error) -> Error {
    let Error::TooLarge(t) = e else { return e };
    let instead = match t {
        TooLarge::ChainForm { .. } => {
            "use Program.backprop(), whose adjoints share their work and stay linear in the size of the network, or Program.explain(name) for one parameter"
        }
        TooLarge::Expanded { .. } => {
            "use form=\"intermediates\", or Program.backprop(), which stays linear in the size of the network"
        }
        TooLarge::Derivation { .. } => {
            "use Program.backprop(), which writes each adjoint once, in terms of the next"
        }
    };
    Error::Limit(format!("{t}: {instead}"))
}

impl Program {
    /// Runs `scalar` or `shaped` on the network, on the worker thread.
    fn on<T, F, G>(&self, py: Python<'_>, scalar: F, shaped: G) -> PyResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Network) -> Result<T> + Send + 'static,
        G: FnOnce(&mut MatNetwork) -> Result<T> + Send + 'static,
    {
        match &self.net {
            Net::Scalar(net) => {
                let net = net.clone();
                run(py, move || {
                    let mut net = net.lock().unwrap_or_else(|p| p.into_inner());
                    let r = scalar(&mut net);
                    r.map_err(|e| placed(&net, e))
                })
            }
            Net::Shaped(net) => {
                let net = net.clone();
                run(py, move || {
                    let mut net = net.lock().unwrap_or_else(|p| p.into_inner());
                    shaped(&mut net)
                })
            }
        }
    }

    /// Runs `scalar` on a program of scalars; a program with vectors and matrices is
    /// refused with `what` not yet done for it.
    pub(crate) fn scalar<T, F>(&self, py: Python<'_>, what: &'static str, scalar: F) -> PyResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Network) -> Result<T> + Send + 'static,
    {
        self.on(py, scalar, move |_| Err(not_yet(what)))
    }

    /// Reads something of either kind of network.
    fn read<T>(
        &self,
        scalar: impl FnOnce(&Network) -> T,
        shaped: impl FnOnce(&MatNetwork) -> T,
    ) -> T {
        match &self.net {
            Net::Scalar(n) => scalar(&n.lock().unwrap_or_else(|p| p.into_inner())),
            Net::Shaped(n) => shaped(&n.lock().unwrap_or_else(|p| p.into_inner())),
        }
    }
}

fn values_list<'py>(py: Python<'py>, items: Vec<(String, Value)>) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for (name, v) in items {
        list.append((name, values::to_py(py, &v)?))?;
    }
    Ok(list)
}

#[pymethods]
impl Program {
    /// Reads the program `src` (named `name` in diagnostics); `output` is the definition to
    /// take as the output (default: the last), `data` inputs that are data, not parameters.
    #[new]
    #[pyo3(signature = (src, name = "<program>".to_string(), output = None, data = Vec::new()))]
    fn new(
        py: Python<'_>,
        src: String,
        name: String,
        output: Option<String>,
        data: Vec<String>,
    ) -> PyResult<Self> {
        let (net, warnings) = run(py, move || {
            let program = syntax::parse_program(&src, &name)?;
            if network::is_shaped(&program) {
                let mut net =
                    network::load_shaped_parsed(&program, &src, &name, output.as_deref())?;
                for d in &data {
                    if !net.params.iter().any(|p| p == d) {
                        return Err(Error::Usage(format!(
                            "data: `{d}` is not a parameter of the program (its parameters: {})",
                            net.params.join(", ")
                        )));
                    }
                    net.params.retain(|p| p != d);
                }
                let warnings = std::mem::take(&mut net.warnings);
                return Ok((Net::Shaped(Arc::new(Mutex::new(net))), warnings));
            }
            let mut net = network::load_parsed(program, &src, &name, output.as_deref())?;
            net.set_data(&data)?;
            let warnings = std::mem::take(&mut net.warnings);
            Ok((Net::Scalar(Arc::new(Mutex::new(net))), warnings))
        })?;
        warn(py, &warnings)?;
        Ok(Program { net })
    }

    /// The parameters (the program's `wrt`, else its inputs), in order.
    #[getter]
    fn params(&self) -> Vec<String> {
        self.read(
            |net| {
                net.params
                    .iter()
                    .map(|s| net.name(*s).to_string())
                    .collect()
            },
            |net| net.params.clone(),
        )
    }

    /// Whether the program is about vectors and matrices.
    #[getter]
    fn shaped(&self) -> bool {
        matches!(self.net, Net::Shaped(_))
    }

    /// The inputs of the output (in natural order; with vectors and matrices, in order of
    /// first use).
    #[getter]
    pub(crate) fn inputs(&self) -> Vec<String> {
        self.read(
            |net| {
                net.inputs()
                    .iter()
                    .map(|s| net.name(*s).to_string())
                    .collect()
            },
            |net| net.inputs.clone(),
        )
    }

    /// The output's name.
    #[getter]
    fn output(&self) -> String {
        self.read(
            |net| net.name(net.output_def().name).to_string(),
            |net| net.defs[net.output].name.clone(),
        )
    }

    /// The program's source text.
    #[getter]
    fn source(&self) -> String {
        self.read(|net| net.source.0.clone(), |net| net.source.0.clone())
    }

    /// The forward and backward passes at the point: values of every definition, adjoint and
    /// gradient entry, with the report.
    #[pyo3(signature = (at = None, arith = "auto", precision = values::DEFAULT_PRECISION, digits = None))]
    fn backprop<'py>(
        &self,
        py: Python<'py>,
        at: Option<&Bound<'py, PyDict>>,
        arith: &str,
        precision: u32,
        digits: Option<usize>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let at = given(at)?;
        let numbers = numbers(arith, precision, digits)?;
        let exact = arith == "exact";
        type Values = Vec<(String, Value)>;
        let (rendered, forward, adjoints, gradient, kinks): (
            Rendered,
            Values,
            Values,
            Values,
            Vec<String>,
        ) = self.on(
            py,
            {
                let at = at.clone();
                move |net: &mut Network| {
                    let mut warnings = Vec::new();
                    let p = point(net, at, &mut warnings)?;
                    if exact {
                        exact_at(net, &p, numbers)?;
                    }
                    let bw = net.backward();
                    let trace = net.trace(&bw, &p, numbers.mode)?;
                    let live = net.live_defs();
                    let forward = live
                        .iter()
                        .zip(&trace.forward)
                        .map(|(&i, v)| (net.name(net.defs[i].name).to_string(), v.clone()))
                        .collect();
                    let adjoints = bw
                        .adjoints
                        .iter()
                        .zip(&trace.adjoints)
                        .map(|(a, v)| (net.name(a.of).to_string(), v.clone()))
                        .collect();
                    let gradient = bw
                        .gradient
                        .iter()
                        .zip(&trace.gradient)
                        .map(|(a, v)| (net.name(a.of).to_string(), v.clone()))
                        .collect();
                    let names = net.names_in_play();
                    let (text, latex, json) = styles(true, |style| {
                        in_play(&names, || report::backprop(net, &p, numbers, style))
                    })?;
                    Ok((
                        Rendered {
                            text,
                            latex,
                            json,
                            warnings,
                        },
                        forward,
                        adjoints,
                        gradient,
                        trace.kinks,
                    ))
                }
            },
            move |net: &mut MatNetwork| {
                // The values are in the report's JSON, which the Python layer reads.
                let p = shaped_point(net, at)?;
                let mut warnings = Vec::new();
                let (text, latex, json) = styles(true, |style| {
                    report::shaped_backprop(net, &p, numbers, None, style, &mut warnings)
                })?;
                warnings.dedup();
                let r = Rendered {
                    text,
                    latex,
                    json,
                    warnings,
                };
                Ok((r, Vec::new(), Vec::new(), Vec::new(), Vec::new()))
            },
        )?;
        let d = rendered.into_dict(py)?;
        d.set_item("forward", values_list(py, forward)?)?;
        d.set_item("adjoints", values_list(py, adjoints)?)?;
        d.set_item("gradient", values_list(py, gradient)?)?;
        d.set_item("kinks", kinks)?;
        d.set_item("shaped", self.shaped())?;
        Ok(d)
    }

    /// The gradient's formulas (`form`: "intermediates", "expanded" or "both"), with values
    /// when a point is given or the program has one.
    #[pyo3(signature = (form = "intermediates", at = None, arith = "auto", precision = values::DEFAULT_PRECISION, digits = None))]
    fn grad<'py>(
        &self,
        py: Python<'py>,
        form: &str,
        at: Option<&Bound<'py, PyDict>>,
        arith: &str,
        precision: u32,
        digits: Option<usize>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let form = match form {
            "intermediates" => report::Form::Intermediates,
            "expanded" => report::Form::Expanded,
            "both" => report::Form::Both,
            other => {
                return Err(usage(format!(
                    "form={other:?}: expected \"intermediates\", \"expanded\" or \"both\""
                )));
            }
        };
        let shaped_form = match form {
            report::Form::Intermediates => report::ShapedForm::Intermediates,
            report::Form::Expanded => report::ShapedForm::Expanded,
            report::Form::Both => report::ShapedForm::Both,
        };
        let at = given(at)?;
        let numbers = numbers(arith, precision, digits)?;
        let exact = arith == "exact";
        let shaped = {
            let at = at.clone();
            move |net: &mut MatNetwork| {
                if net.params.is_empty() {
                    return Err(Error::Usage(
                        "nothing to differentiate: every input is data, none a parameter".into(),
                    ));
                }
                let p = shaped_point(net, at)?;
                let mut warnings = Vec::new();
                let (text, latex, json) = styles(true, |style| {
                    report::shaped_backprop(
                        net,
                        &p,
                        numbers,
                        Some(shaped_form),
                        style,
                        &mut warnings,
                    )
                })?;
                warnings.dedup();
                Ok(Rendered {
                    text,
                    latex,
                    json,
                    warnings,
                })
            }
        };
        let rendered = self.on(
            py,
            move |net: &mut Network| {
                if net.params.is_empty() {
                    return Err(Error::Usage(format!(
                        "nothing to differentiate: `{}` has no parameter",
                        net.name(net.output_def().name)
                    )));
                }
                let mut warnings = Vec::new();
                let p = point(net, at, &mut warnings)?;
                if exact && !p.is_empty() {
                    exact_at(net, &p, numbers)?;
                }
                let p = (!p.is_empty()).then_some(p);
                let names = net.names_in_play();
                let (text, latex, json) = styles(true, |style| {
                    in_play(&names, || {
                        report::grad(net, p.as_ref(), numbers, form, style)
                    })
                    .map_err(too_large)
                })?;
                Ok(Rendered {
                    text,
                    latex,
                    json,
                    warnings,
                })
            },
            shaped,
        )?;
        rendered.into_dict(py)
    }

    /// The chain rule for ∂output/∂name, step by step.
    #[pyo3(signature = (name, at = None, arith = "auto", precision = values::DEFAULT_PRECISION, digits = None))]
    fn explain<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        at: Option<&Bound<'py, PyDict>>,
        arith: &str,
        precision: u32,
        digits: Option<usize>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let name = values::name(name)?;
        let at = given(at)?;
        let numbers = numbers(arith, precision, digits)?;
        let exact = arith == "exact";
        let shaped = {
            let (at, name) = (at.clone(), name.clone());
            move |net: &mut MatNetwork| {
                if name == net.defs[net.output].name {
                    return Err(Error::Usage(format!(
                        "`{name}` is the output, and its adjoint is 1: ask for a name it depends on"
                    )));
                }
                let p = shaped_point(net, at)?;
                let mut warnings = Vec::new();
                let (text, latex, json) = styles(true, |style| {
                    report::shaped_explain(net, &name, &p, numbers, style, &mut warnings)
                })?;
                warnings.dedup();
                Ok(Rendered {
                    text,
                    latex,
                    json,
                    warnings,
                })
            }
        };
        let rendered = self.on(py, move |net: &mut Network| {
            let v = variable(net, &name)?;
            if v == net.output_def().name {
                return Err(Error::Usage(format!(
                    "`{name}` is the output, and ∂{name}/∂{name} = 1 has no chain to explain; ask for a name it depends on"
                )));
            }
            let mut warnings = Vec::new();
            let p = point(net, at, &mut warnings)?;
            if exact && !p.is_empty() {
                exact_at(net, &p, numbers)?;
            }
            let p = (!p.is_empty()).then_some(p);
            let names = net.names_in_play();
            let (text, latex, json) = styles(true, |style| {
                in_play(&names, || report::explain(net, v, p.as_ref(), numbers, style))
                    .map_err(too_large)
            })?;
            Ok(Rendered { text, latex, json, warnings })
        }, shaped)?;
        rendered.into_dict(py)
    }

    /// Checks the claim (text or LaTeX) for ∂output/∂name.
    fn check<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        claim: String,
    ) -> PyResult<Bound<'py, PyDict>> {
        let name = values::name(name)?;
        let shaped = {
            let (name, claim) = (name.clone(), claim.clone());
            move |net: &mut MatNetwork| {
                let c = chainrule::check::check_shaped(net, &name, &claim)?;
                let (text, _, json) =
                    styles(false, |style| Ok(report::shaped_check(&c, &claim, style)))?;
                let r = Rendered {
                    text,
                    latex: None,
                    json,
                    warnings: Vec::new(),
                };
                Ok((r, c.agrees()))
            }
        };
        let (rendered, agrees) = self.on(
            py,
            move |net: &mut Network| {
                let v = variable(net, &name)?;
                let c = chainrule::check::check(net, v, &claim)?;
                let (text, latex, json) =
                    styles(true, |style| Ok(report::check(net, &c, &claim, style)))?;
                Ok((
                    Rendered {
                        text,
                        latex,
                        json,
                        warnings: Vec::new(),
                    },
                    c.agrees(),
                ))
            },
            shaped,
        )?;
        let d = rendered.into_dict(py)?;
        d.set_item("agrees", agrees)?;
        Ok(d)
    }

    /// Finite-difference quotients against the symbolic gradient at one step.
    #[pyo3(signature = (delta = "1e-4".to_string(), scheme = "all".to_string(), arith = "f64".to_string(), at = None, digits = None))]
    fn fd<'py>(
        &self,
        py: Python<'py>,
        delta: String,
        scheme: String,
        arith: String,
        at: Option<&Bound<'py, PyDict>>,
        digits: Option<usize>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let at = given(at)?;
        let digits = digits.unwrap_or(chainrule::eval::format::DEFAULT_DIGITS);
        let shaped = {
            let (at, delta, scheme, arith) =
                (at.clone(), delta.clone(), scheme.clone(), arith.clone());
            move |net: &mut MatNetwork| {
                if scheme != "all" {
                    return Err(Error::Usage(format!(
                        "scheme={scheme:?}: with vectors and matrices every scheme is computed; leave scheme=\"all\""
                    )));
                }
                let delta = fd::parse_step(&delta)?;
                let arith: fd::Arith = arith.parse()?;
                let p = shaped_point(net, at)?;
                for v in &net.inputs {
                    if !p.iter().any(|(n, _, _)| n == v) {
                        return Err(Error::Request(Request::NoValue { name: v.clone() }));
                    }
                }
                let mp = p.iter().map(|(n, v, _)| (n.clone(), v.clone())).collect();
                let rows = fd::fd_shaped(net, &mp, &delta, arith)?;
                let (text, _, json) =
                    styles(false, |style| Ok(report::shaped_fd(&rows, digits, style)))?;
                Ok(Rendered {
                    text,
                    latex: None,
                    json,
                    warnings: Vec::new(),
                })
            }
        };
        let rendered = self.on(
            py,
            move |net: &mut Network| {
                let delta = fd::parse_step(&delta)?;
                let schemes = fd::parse_schemes(&scheme)?;
                let arith: fd::Arith = arith.parse()?;
                let mut warnings = Vec::new();
                let p = point(net, at, &mut warnings)?;
                let size = net.store.dag_size(net.output_def().expanded);
                fd::check_work(size, net.params.len(), 1, &schemes, &[arith])?;
                let obj = fd::ProgramObjective::new(net, &p)?;
                let r = fd::check_gradient(&obj, &delta, &schemes, arith)?;
                drop(obj);
                let (text, _, json) =
                    styles(false, |style| Ok(report::fd(net, &p, &r, digits, style)))?;
                Ok(Rendered {
                    text,
                    latex: None,
                    json,
                    warnings,
                })
            },
            shaped,
        )?;
        rendered.into_dict(py)
    }

    /// The error of finite-difference gradients over many steps, with its log-log plot (SVG).
    #[pyo3(signature = (deltas = "1e-10:1e-1:10".to_string(), scheme = "all".to_string(), arith = "f64".to_string(), measure = "squared", at = None))]
    fn sweep<'py>(
        &self,
        py: Python<'py>,
        deltas: String,
        scheme: String,
        arith: String,
        measure: &str,
        at: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let measure = match measure {
            "squared" => fd::Measure::Squared,
            "norm" => fd::Measure::Norm,
            other => {
                return Err(usage(format!(
                    "measure={other:?}: expected \"squared\" (the homework's) or \"norm\""
                )));
            }
        };
        let at = given(at)?;
        let (rendered, svg) = self.scalar(py, "sweep", move |net| {
            let deltas = fd::parse_deltas(&deltas)?;
            let schemes = fd::parse_schemes(&scheme)?;
            let ariths = fd::parse_ariths(&arith)?;
            let mut warnings = Vec::new();
            let p = point(net, at, &mut warnings)?;
            let size = net.store.dag_size(net.output_def().expanded);
            fd::check_work(size, net.params.len(), deltas.len(), &schemes, &ariths)?;
            let obj = fd::ProgramObjective::new(net, &p)?;
            let r = fd::sweep(&obj, &deltas, &schemes, &ariths)?;
            drop(obj);
            let (text, _, json) = styles(false, |style| {
                Ok(report::sweep(net, &p, &r, measure, style))
            })?;
            let title = format!(
                "{}: {} at {}",
                net.source.1,
                net.name(net.output_def().name),
                report::point_text(&net.store, &p)
            );
            let svg = plot::sweep_svg(&r, &title, measure)?;
            Ok((
                Rendered {
                    text,
                    latex: None,
                    json,
                    warnings,
                },
                svg,
            ))
        })?;
        let d = rendered.into_dict(py)?;
        d.set_item("svg", svg)?;
        Ok(d)
    }

    /// The computation graph as SVG (with values when a point is given or the program has one).
    #[pyo3(signature = (at = None, arith = "auto", precision = values::DEFAULT_PRECISION, digits = None))]
    fn graph(
        &self,
        py: Python<'_>,
        at: Option<&Bound<'_, PyDict>>,
        arith: &str,
        precision: u32,
        digits: Option<usize>,
    ) -> PyResult<String> {
        let at = given(at)?;
        let numbers = numbers(arith, precision, digits)?;
        let (svg, warnings) = self.scalar(py, "graph", move |net| {
            let mut warnings = Vec::new();
            let p = point(net, at, &mut warnings)?;
            let p = (!p.is_empty()).then_some(p);
            let names = net.names_in_play();
            let g = in_play(&names, || report::graph(net, p.as_ref(), numbers))?;
            Ok((report::graph_svg(&g), warnings))
        })?;
        warn(py, &warnings)?;
        Ok(svg)
    }
}
