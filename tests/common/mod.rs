//! Helpers shared by the integration tests.
#![allow(dead_code)]

use chainrule::eval::{Mode, Point, Value, evaluate};
use chainrule::expr::{Id, Store};
use rug::{Float, Rational};
use serde_json::Value as Json;

pub mod graph_svg;

/// One line of the SymPy oracle (tests/data/derivatives.jsonl).
pub struct OracleCase {
    pub id: String,
    pub category: String,
    pub expr: String,
    pub wrt: String,
    pub at: Vec<(String, String)>,
    pub value: String,
    pub exact: Option<String>,
    pub sympy_derivative: Option<String>,
    pub sympy_size: Option<u64>,
}

pub fn oracle() -> Vec<OracleCase> {
    let text = include_str!("../data/derivatives.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let j: Json = serde_json::from_str(l).expect("oracle line is JSON");
            OracleCase {
                id: j["id"].as_str().unwrap().into(),
                category: j["category"].as_str().unwrap().into(),
                expr: j["expr"].as_str().unwrap().into(),
                wrt: j["wrt"].as_str().unwrap().into(),
                at: j["at"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect(),
                value: j["value"].as_str().unwrap().into(),
                exact: j["exact"].as_str().map(String::from),
                sympy_derivative: j["sympy_derivative"].as_str().map(String::from),
                sympy_size: j["sympy_size"].as_u64(),
            }
        })
        .collect()
}

/// The exact point of a case, in `store`.
pub fn point(store: &mut Store, at: &[(String, String)]) -> Point {
    at.iter()
        .map(|(k, v)| {
            (
                store.intern(k),
                chainrule::cli::parse_value(v).expect("oracle value parses"),
            )
        })
        .collect()
}

/// The expected value as a 512-bit float (exact when `exact` is given).
pub fn expected(case: &OracleCase) -> Float {
    match &case.exact {
        Some(e) => Float::with_val(512, e.parse::<Rational>().expect("exact parses")),
        None => Float::with_val(512, Float::parse(&case.value).expect("value parses")),
    }
}

/// Whether `got` is within `rel` of `want` (absolute `rel` when `want` is 0).
pub fn close(got: &Float, want: &Float, rel: f64) -> bool {
    let err = Float::with_val(512, got - want).abs();
    if want.is_zero() {
        err <= rel
    } else {
        let scale = Float::with_val(512, want.abs_ref());
        err <= scale * rel
    }
}

/// Evaluates one root in a mode.
pub fn eval1(store: &Store, id: Id, point: &Point, mode: Mode) -> Value {
    evaluate(store, &[id], point, mode)
        .unwrap_or_else(|e| panic!("evaluation failed: {e}"))
        .0
        .remove(0)
}

/// Runs the `chainrule` binary from the crate's folder: exit code, stdout, stderr.
pub fn chainrule(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run chainrule");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// [`chainrule`] with `input` on standard input (an argument is limited to 128 KiB).
pub fn chainrule_with_input(args: &[&str], input: &str) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_chainrule"));
    cmd.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    run_with_input(&mut cmd, input.as_bytes())
}

/// Runs `cmd` with `input` on its standard input: its exit code (-1 when killed), stdout and
/// stderr.
pub fn run_with_input(cmd: &mut std::process::Command, input: &[u8]) -> (i32, String, String) {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run chainrule");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    )
}

/// The stdout of a command that must succeed.
pub fn ok(args: &[&str]) -> String {
    let (code, out, err) = chainrule(args);
    assert_eq!(code, 0, "chainrule {args:?} failed: {err}");
    out
}

/// The JSON printed by a command that must succeed.
pub fn json(args: &[&str]) -> Json {
    serde_json::from_str(&ok(args)).expect("JSON output")
}

/// A JSON value string (`"24"`, `"-9/2500"`, `"24.0036"`) as a double.
pub fn num(v: &Json) -> f64 {
    let s = v.as_str().expect("values are strings");
    match s.split_once('/') {
        Some((p, q)) => p.parse::<f64>().unwrap() / q.parse::<f64>().unwrap(),
        None => s.parse().unwrap(),
    }
}

/// A seeded xorshift generator: the same numbers on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A double uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }
}

/// The insta settings every snapshot test uses: snapshots in the top-level `snapshots/`,
/// named without the test module's prefix. Tests add their own description or options.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

/// A scratch folder of its own, `name` naming it within this test run, with `files` in it.
pub fn scratch_dir(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chainrule-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}
