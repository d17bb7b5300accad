//! Files the commands write: never an input of the same command, never one path twice, and
//! never half a file (issue 9, item 10: `sweep prog.chain --csv prog.chain` lost the program).

use std::path::{Path, PathBuf};
use std::process::Command;

const PROGRAM: &str = "z = w*x\nE = (y - z)^2\nat w = 2, x = 1, y = 10\n";

/// A fresh folder holding `prog.chain`.
fn folder(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("files")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("prog.chain"), PROGRAM).unwrap();
    dir
}

/// Runs the binary in `dir`; the exit code and standard error.
fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("CHAINRULE_ERROR_WIDTH", "1000")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn program_intact(dir: &Path) {
    assert_eq!(
        std::fs::read_to_string(dir.join("prog.chain")).unwrap(),
        PROGRAM
    );
}

/// The files in `dir`, sorted (no temporary file may be left behind).
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn an_output_never_overwrites_the_program() {
    let dir = folder("input");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("prog.chain", dir.join("link.chain")).unwrap();
        std::fs::hard_link(dir.join("prog.chain"), dir.join("hard.chain")).unwrap();
    }
    let absolute = dir.join("prog.chain").to_string_lossy().into_owned();
    let mut spellings = vec![
        "prog.chain".to_string(),
        "./prog.chain".to_string(),
        "../input/prog.chain".to_string(),
        absolute,
    ];
    if cfg!(unix) {
        spellings.push("link.chain".into());
        spellings.push("hard.chain".into());
    }
    for out in &spellings {
        for flag in ["--csv", "--plot"] {
            let (code, err) = run(&dir, &["sweep", "prog.chain", flag, out]);
            assert_eq!(code, 2, "{flag} {out}: {err}");
            assert!(
                err.contains("that is the input file"),
                "{flag} {out}: {err}"
            );
            program_intact(&dir);
        }
    }
    // The program read through a link is protected as well.
    if cfg!(unix) {
        let (code, err) = run(&dir, &["sweep", "link.chain", "--csv", "prog.chain"]);
        assert_eq!(code, 2, "{err}");
        program_intact(&dir);
    }
}

#[test]
fn one_path_is_never_written_twice() {
    let dir = folder("twice");
    for (csv, svg) in [("out", "out"), ("out", "./out"), ("out", "../twice/out")] {
        let (code, err) = run(&dir, &["sweep", "prog.chain", "--csv", csv, "--plot", svg]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("writes the same file"), "{err}");
        assert!(!dir.join("out").exists(), "nothing is written");
    }
}

#[test]
fn a_failed_write_leaves_the_old_file_and_no_temporary_file() {
    let dir = folder("failed");
    std::fs::create_dir(dir.join("plot.svg")).unwrap();
    std::fs::write(dir.join("old.csv"), "old contents\n").unwrap();
    // The plot cannot be written (a folder has its name): an error before anything is written.
    let (code, err) = run(
        &dir,
        &[
            "sweep",
            "prog.chain",
            "--csv",
            "old.csv",
            "--plot",
            "plot.svg",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("it is a directory"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("old.csv")).unwrap(),
        "old contents\n"
    );
    // A folder that does not exist.
    let (code, err) = run(&dir, &["sweep", "prog.chain", "--csv", "nowhere/e.csv"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("its folder does not exist"), "{err}");
    assert_eq!(
        listing(&dir),
        ["old.csv", "plot.svg", "prog.chain"],
        "no temporary file is left"
    );
    program_intact(&dir);
}

#[test]
fn a_good_write_replaces_the_old_file_whole() {
    let dir = folder("good");
    std::fs::write(dir.join("e.csv"), "x".repeat(100_000)).unwrap();
    let (code, err) = run(
        &dir,
        &["sweep", "prog.chain", "--csv", "e.csv", "--plot", "e.svg"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("wrote e.csv") && err.contains("wrote e.svg"),
        "{err}"
    );
    let csv = std::fs::read_to_string(dir.join("e.csv")).unwrap();
    assert!(
        !csv.contains('x') || csv.len() < 100_000,
        "the old file is gone"
    );
    assert!(csv.lines().count() > 1, "{csv}");
    assert!(
        std::fs::read_to_string(dir.join("e.svg"))
            .unwrap()
            .contains("<svg")
    );
    assert_eq!(listing(&dir), ["e.csv", "e.svg", "prog.chain"]);
    program_intact(&dir);
}
