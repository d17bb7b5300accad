//! Dependencies run one way: every `crate::MODULE` path in `src/` (in `use` lines and in
//! code, not in comments or strings) names a module of an earlier layer than its own, as
//! listed in the module comment of `src/lib.rs` (read from there, so the list and the check
//! cannot drift apart).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Known references against the order, each with who removes it: (from, to, why).
const EXCEPTIONS: &[(&str, &str, &str)] = &[];

/// Module name → layer number, from the numbered list under `# Layers` in `src/lib.rs`.
fn layers(lib: &str) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for line in lib.lines() {
        let Some(item) = line.strip_prefix("//! ") else {
            continue;
        };
        let Some((number, rest)) = item.split_once(". ") else {
            continue;
        };
        let Ok(layer) = number.parse::<usize>() else {
            continue;
        };
        let names = rest.split_once(':').map_or(rest, |(names, _)| names);
        for name in names.split(',') {
            let name = name.trim().trim_matches('`');
            assert!(
                out.insert(name.to_string(), layer).is_none(),
                "src/lib.rs lists `{name}` twice"
            );
        }
    }
    out
}

/// The names the crate root re-exports, each with its module (`pub use error::{Error,
/// Result};` gives `Error` and `Result` of `error`).
fn reexports(lib: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for line in lib.lines() {
        let Some(item) = line.strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = item.trim_end_matches(';').split_once("::") else {
            continue;
        };
        for name in names.trim_matches(['{', '}']).split(',') {
            out.insert(name.trim().to_string(), module.to_string());
        }
    }
    out
}

/// `src` with comments (doc comments too), string literals and character literals
/// blanked out, line breaks kept, so offsets still give line numbers.
fn code_only(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            loop {
                if i >= b.len() {
                    break;
                }
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && (i == 0 || !(b[i - 1].is_alphanumeric() || b[i - 1] == '_'))
        {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            let close: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            while j < b.len() && !b[j..].starts_with(&close) {
                j += 1;
            }
            j = (j + close.len()).min(b.len());
            out.extend(b[i..j].iter().map(|&c| blank(c)));
            i = j;
        } else if c == '"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != '"' {
                j += if b[j] == '\\' { 2 } else { 1 };
            }
            j = (j + 1).min(b.len());
            out.extend(b[i..j].iter().map(|&c| blank(c)));
            i = j;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\'', '\u{feff}'), or else a lifetime ('a).
            let end = if next == Some('\\') {
                (i + 3..b.len()).find(|&j| b[j] == '\'').map(|j| j + 1)
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 3)
            } else {
                None
            };
            match end {
                Some(j) => {
                    out.extend(b[i..j].iter().map(|&c| blank(c)));
                    i = j;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Each module a `crate::` path of `code` names, with its line (1-based): `crate::eval::…`
/// and every first name in `crate::{eval::…, expr}`.
fn references(code: &str) -> Vec<(usize, String)> {
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        if at > 0 && {
            let before = code[..at].chars().next_back().unwrap();
            before.is_alphanumeric() || before == '_' || before == '$'
        } {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        let rest_at = at + "crate::".len();
        if let Some(group) = rest.strip_prefix('{') {
            // The first name of each top-level item of the group.
            let mut depth = 0;
            let mut start = true;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && (c.is_alphanumeric() || c == '_') => {
                        out.push((line_of(rest_at + 1 + k), ident(&group[k..])));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.push((line_of(rest_at), ident(rest)));
        }
    }
    out
}

/// The files under `dir`, recursively, that end in `.rs`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The references against the layer order in the files of `src`, as `file:line: message`.
fn violations(src: &Path) -> Vec<String> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let layer = layers(&lib);
    let root = reexports(&lib);
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap();
        let module = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if module == "lib" || module == "main" {
            continue; // the crate root declares the modules; main.rs is its own crate
        }
        let shown = Path::new("src").join(rel).display().to_string();
        let Some(&own) = layer.get(&module) else {
            out.push(format!(
                "{shown}: module `{module}` has no layer: add it to the list in src/lib.rs"
            ));
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, target) in references(&code_only(&text)) {
            let target = root.get(&target).cloned().unwrap_or(target);
            if target == module || target == "self" || target == "super" {
                continue;
            }
            let Some(&theirs) = layer.get(&target) else {
                out.push(format!(
                    "{shown}:{line}: `crate::{target}` has no layer in src/lib.rs"
                ));
                continue;
            };
            if theirs >= own
                && !EXCEPTIONS
                    .iter()
                    .any(|(from, to, _)| *from == module && *to == target)
            {
                let how = if theirs == own {
                    "its own layer"
                } else {
                    "a later layer"
                };
                out.push(format!(
                    "{shown}:{line}: `{module}` (layer {own}) uses `crate::{target}`, of {how} ({theirs})"
                ));
            }
        }
    }
    out
}

#[test]
fn no_module_uses_a_later_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let bad = violations(&src);
    assert!(
        bad.is_empty(),
        "dependencies against the layer order of src/lib.rs:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_exceptions_are_still_needed() {
    // An exception that is no longer used must go, so the list only shrinks.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layer = layers(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for (from, to, why) in EXCEPTIONS {
        let used = files.iter().any(|f| {
            let rel = f.strip_prefix(&src).unwrap().to_string_lossy().to_string();
            (rel == format!("{from}.rs") || rel.starts_with(&format!("{from}/")))
                && references(&code_only(&std::fs::read_to_string(f).unwrap()))
                    .iter()
                    .any(|(_, t)| t == to)
        });
        assert!(
            used,
            "the exception {from} → {to} ({why}) is no longer needed: remove it"
        );
        assert!(
            layer[*to] >= layer[*from],
            "{from} → {to} is not against the order"
        );
    }
}

#[test]
fn the_reader_sees_code_not_comments_or_strings() {
    let code = code_only(
        "use crate::{eval::{self, Value},\n    expr};\n// crate::cli\n/// [`crate::report`]\n\
         let s = \"crate::fd\"; let c = '\"'; let q = '\\''; let r = r#\"crate::plot\"#;\n\
         /* crate::files /* nested */ crate::check */ crate::diff::diff(x);\n\
         fn f<'a>(x: &'a str) -> &'a str { crate::print::text(x) }\n",
    );
    let found = references(&code);
    assert_eq!(
        found,
        vec![
            (1, "eval".to_string()),
            (2, "expr".to_string()),
            (6, "diff".to_string()),
            (7, "print".to_string()),
        ]
    );
}

#[test]
fn a_use_of_a_later_layer_is_found() {
    // A copy of src/ where expr uses the CLI: the check must name the file and line.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let tmp = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chainrule-layers-{}", std::process::id()));
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for f in &files {
        let to = tmp.join(f.strip_prefix(&src).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(f, &to).unwrap();
    }
    let func = tmp.join("expr").join("func.rs");
    let text = std::fs::read_to_string(&func).unwrap();
    let lines = text.lines().count();
    std::fs::write(&func, format!("{text}use crate::cli::parse_value;\n")).unwrap();
    let bad = violations(&tmp);
    std::fs::remove_dir_all(&tmp).unwrap();
    let want = format!(
        "src/expr/func.rs:{}: `expr` (layer 2) uses `crate::cli`, of a later layer (15)",
        lines + 1
    );
    assert_eq!(bad, vec![want]);
}
