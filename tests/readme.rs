//! The README's examples are real: every `$ chainrule …` line in a code block is run, and its
//! output must be the lines that follow it in the README, word for word.

use std::path::Path;
use std::process::Command;

/// Splits a shell command line with single and double quotes (enough for the README).
fn split(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() || any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if !cur.is_empty() || any {
        out.push(cur);
    }
    out
}

/// (command, expected output) pairs from the README's code blocks.
fn examples(readme: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut current: Option<(String, Vec<String>)> = None;
    for line in readme.lines() {
        if line.starts_with("```") {
            if let Some((cmd, lines)) = current.take() {
                out.push((cmd, lines.join("\n")));
            }
            in_block = !in_block;
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ chainrule ") {
            if let Some((c, lines)) = current.take() {
                out.push((c, lines.join("\n")));
            }
            current = Some((cmd.to_string(), Vec::new()));
        } else if let Some((_, lines)) = current.as_mut() {
            if line.is_empty() && lines.last().is_some_and(|l: &String| l.is_empty()) {
                continue;
            }
            lines.push(line.to_string());
        }
    }
    out
}

#[test]
fn readme_examples_print_what_the_readme_says() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let cases = examples(&readme);
    assert!(cases.len() >= 10, "only {} examples found", cases.len());
    // Run in a scratch folder, so `--plot sweep.svg` does not write into the repository.
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chainrule-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let examples = dir.join("examples");
    if !examples.exists() {
        std::os::unix::fs::symlink(root.join("examples"), &examples).unwrap();
    }
    for (cmd, expected) in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_chainrule"))
            .args(split(&cmd))
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let got = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        let norm = |s: &str| {
            s.lines()
                .map(str::trim_end)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(
            norm(&got),
            norm(&expected),
            "README example `chainrule {cmd}`"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn quick_start_output_is_what_the_main_command_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let at = readme
        .find("The first prints the homework's forward and backward passes:")
        .expect("the quick start's output");
    let block = readme[at..].split("```").nth(1).unwrap().trim_matches('\n');
    // `cargo run --release -- examples/hw7_relu.chain` runs this binary on this file.
    let out = Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .arg("examples/hw7_relu.chain")
        .current_dir(root)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim_matches('\n'),
        block
    );
}
