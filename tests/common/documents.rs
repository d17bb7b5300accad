//! Every LaTeX document chainrule writes (the sheets, and the reports with `--standalone`),
//! for the tests that check them (tests/sheet.rs, tests/katex.rs).
#![allow(dead_code)]

/// The homework's examples, scalar and shaped.
pub const EXAMPLES: [&str; 5] = [
    "hw7_relu",
    "hw7_sigmoid",
    "hw7_abstract",
    "hw7_matrix",
    "hw7_phi",
];

/// The stdout of a command that must succeed.
fn ok(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run chainrule");
    assert!(
        out.status.success(),
        "chainrule {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The math of a document, each piece to render on its own: every display `\[ … \]` and
/// every `$…$` of the text.
pub fn math_of(doc: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut display: Option<Vec<&str>> = None;
    let mut verbatim = false;
    for line in doc.lines() {
        match (line, display.as_mut()) {
            ("\\begin{verbatim}", None) => verbatim = true,
            ("\\end{verbatim}", None) => verbatim = false,
            _ if verbatim => {}
            ("\\[", None) => display = Some(Vec::new()),
            ("\\]", Some(d)) => {
                out.push(d.join("\n"));
                display = None;
            }
            (l, Some(d)) => d.push(l),
            (l, None) => out.extend(
                l.split('$')
                    .enumerate()
                    .filter(|(k, _)| k % 2 == 1)
                    .map(|(_, m)| m.to_string()),
            ),
        }
    }
    assert!(display.is_none(), "an unclosed display");
    out
}

/// Every LaTeX document chainrule writes: the sheets and each report with `--standalone`.
pub fn documents() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for name in EXAMPLES {
        let file = format!("examples/{name}.chain");
        out.push((
            format!("sheet {name}"),
            ok(&["sheet", &file, "--format", "latex"]),
        ));
        let l = ["--format", "latex", "--standalone"];
        let mut commands: Vec<Vec<&str>> = vec![vec!["grad", &file]];
        if name != "hw7_abstract" && name != "hw7_phi" {
            commands.push(vec!["backprop", &file]);
        }
        match name {
            "hw7_matrix" => commands.push(vec!["explain", &file, "--wrt", "W1"]),
            "hw7_phi" => commands.push(vec!["explain", &file, "--wrt", "W"]),
            _ => commands.push(vec!["explain", &file, "--wrt", "w1"]),
        }
        for mut c in commands {
            c.extend(l);
            out.push((c.join(" "), ok(&c)));
        }
    }
    let l = ["--format", "latex", "--standalone"];
    for c in [
        vec!["diff", "sigmoid(w*x)", "--wrt", "w", "--at", "w=2,x=1"],
        vec!["eval", "x'*A*x", "--at", "x=[1,2],A=[[1,2],[3,4]]"],
        vec![
            "check",
            "examples/hw7_abstract.chain",
            "--wrt",
            "w3",
            "--claim",
            "∂_2 ℓ(y, ŷ) · x2",
        ],
    ] {
        let mut c = c;
        c.extend(l);
        out.push((c.join(" "), ok(&c)));
    }
    out
}
