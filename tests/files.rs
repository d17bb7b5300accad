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

/// Outputs go where the path leads: through a symbolic link (a dangling one creates its
/// target, relative to the link's folder), and into a FIFO in place. They were replaced by
/// regular files (`--csv /dev/stdout` replaced the link, `--csv /dev/null` as root the device).
#[cfg(unix)]
#[test]
fn outputs_follow_links_and_write_special_files_in_place() {
    use std::os::unix::fs::FileTypeExt as _;
    let dir = folder("special");
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/real.csv"), "old\n").unwrap();
    std::os::unix::fs::symlink("sub/real.csv", dir.join("link.csv")).unwrap();
    std::os::unix::fs::symlink("target_real.csv", dir.join("sub/dang.csv")).unwrap();
    for (out, target) in [
        ("link.csv", "sub/real.csv"),
        ("sub/dang.csv", "sub/target_real.csv"),
    ] {
        let (code, err) = run(&dir, &["sweep", "prog.chain", "--csv", out]);
        assert_eq!(code, 0, "{err}");
        let link = std::fs::symlink_metadata(dir.join(out)).unwrap();
        assert!(link.file_type().is_symlink(), "{out} is no longer a link");
        let csv = std::fs::read_to_string(dir.join(target)).unwrap();
        assert!(csv.lines().count() > 1 && !csv.contains("old"), "{csv}");
    }
    // A FIFO is written in place (read from another thread), and stays a FIFO.
    let fifo = dir.join("pipe.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let (code, err) = run(&dir, &["sweep", "prog.chain", "--csv", "pipe.csv"]);
    assert_eq!(code, 0, "{err}");
    let csv = reader.join().unwrap();
    assert!(csv.lines().count() > 1, "{csv}");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    program_intact(&dir);
}

/// A write-protected file is not overwritten (rename needs only the folder's permission);
/// the mode is what counts, so this holds as root too. A writable file replaced keeps its mode.
#[cfg(unix)]
#[test]
fn a_write_protected_output_is_refused_and_modes_are_kept() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = folder("readonly");
    std::fs::write(dir.join("ro.csv"), "keep\n").unwrap();
    std::fs::set_permissions(dir.join("ro.csv"), std::fs::Permissions::from_mode(0o444)).unwrap();
    let (code, err) = run(&dir, &["sweep", "prog.chain", "--csv", "ro.csv"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--csv ro.csv: the file is write-protected"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("ro.csv")).unwrap(),
        "keep\n"
    );
    std::fs::write(dir.join("rw.csv"), "old\n").unwrap();
    std::fs::set_permissions(dir.join("rw.csv"), std::fs::Permissions::from_mode(0o640)).unwrap();
    let (code, err) = run(&dir, &["sweep", "prog.chain", "--csv", "rw.csv"]);
    assert_eq!(code, 0, "{err}");
    let mode = std::fs::metadata(dir.join("rw.csv"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
}
