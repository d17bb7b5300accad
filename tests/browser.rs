//! The sheets in a real browser: headless Chromium loads the page of each homework example,
//! and a script added to a copy of the page (the page itself has none) reports what Chromium
//! made of it: every `<math>` a MathML element of the MathML namespace, laid out with a size,
//! with only MathML Core elements in it and no `merror`; every `<svg>` an SVG element with a
//! size, all its nodes, edges and texts there; no `parsererror`. A screenshot of each page
//! is saved under `target/sheets/` for people to look at.
//!
//! Needs Chromium (`apt-get install chromium`; `.ci/run` installs it). Without it the test
//! fails under CI and is skipped, loudly, elsewhere.

#[path = "common/documents.rs"]
mod documents;

use documents::EXAMPLES;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The browser: `CHROMIUM`, or the first of Debian's names found.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Runs Chromium headless on `page` with `extra` arguments, in a fresh profile of its own,
/// with nothing reaching the network; returns its standard output.
fn headless(browser: &Path, page: &Path, profile: &Path, extra: &[&str]) -> String {
    let _ = std::fs::remove_dir_all(profile);
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed on {}: {}",
        page.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What the script reports: counts and the elements that are wrong.
const CHECK: &str = r#"<script>
(function () {
  const MATHML = "http://www.w3.org/1998/Math/MathML", SVG = "http://www.w3.org/2000/svg";
  const core = new Set(["math", "semantics", "annotation", "annotation-xml", "mi", "mn", "mo",
    "mtext", "mspace", "ms", "mrow", "mfrac", "msqrt", "mroot", "mstyle", "merror", "mpadded",
    "mphantom", "msub", "msup", "msubsup", "munder", "mover", "munderover", "mmultiscripts",
    "mprescripts", "none", "mtable", "mtr", "mtd"]);
  const r = { math: 0, mathElements: 0, svg: 0, svgNodes: 0, svgEdges: 0, svgTexts: 0,
    wrong: [], parsererror: document.getElementsByTagName("parsererror").length };
  const show = (e) => e.outerHTML.slice(0, 160);
  for (const m of document.getElementsByTagName("math")) {
    r.math++;
    if (m.namespaceURI !== MATHML || !(m instanceof MathMLElement)) r.wrong.push("not MathML: " + show(m));
    const b = m.getBoundingClientRect();
    if (!(b.width > 0 && b.height > 0)) r.wrong.push("no size: " + show(m));
    for (const e of m.querySelectorAll("*")) {
      r.mathElements++;
      if (e.namespaceURI !== MATHML || !core.has(e.localName)) r.wrong.push("not MathML Core: " + e.localName);
      if (e.localName === "merror") r.wrong.push("merror: " + show(e));
    }
  }
  for (const s of document.querySelectorAll("body > section svg")) {
    if (s.parentElement.closest("svg")) continue;
    r.svg++;
    if (s.namespaceURI !== SVG || !(s instanceof SVGSVGElement)) r.wrong.push("not SVG: " + show(s));
    const b = s.getBoundingClientRect();
    if (!(b.width > 0 && b.height > 0)) r.wrong.push("no size: " + show(s));
    r.svgNodes += s.querySelectorAll("g.node").length;
    r.svgEdges += s.querySelectorAll("g.edge").length;
    for (const t of s.querySelectorAll("text")) {
      r.svgTexts++;
      if (t.getComputedTextLength() <= 0 && t.textContent.trim() !== "") r.wrong.push("text not laid out: " + t.textContent);
    }
  }
  const pre = document.createElement("pre");
  pre.id = "chainrule-check";
  pre.textContent = JSON.stringify(r);
  document.body.appendChild(pre);
})();
</script>
"#;

fn count(html: &str, what: &str) -> u64 {
    html.matches(what).count() as u64
}

#[test]
fn sheets_render_in_chromium_without_mathml_or_svg_errors() {
    let Some(browser) = chromium() else {
        let msg = "Chromium is needed to render the sheets (apt-get install chromium)";
        if std::env::var_os("CI").is_some() {
            panic!("{msg}");
        }
        eprintln!("SKIPPED sheets_render_in_chromium: {msg}");
        return;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/sheets");
    std::fs::create_dir_all(&dir).unwrap();
    for name in EXAMPLES {
        let page = dir.join(format!("{name}.html"));
        let out = Command::new(env!("CARGO_BIN_EXE_chainrule"))
            .args(["sheet", &format!("examples/{name}.chain"), "-o"])
            .arg(&page)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let html = std::fs::read_to_string(&page).unwrap();
        assert!(!html.contains("<script"), "{name}: the page has a script");
        // A copy with the checking script just before `</body>`.
        let checked = dir.join(format!("{name}.check.html"));
        std::fs::write(
            &checked,
            html.replace("</body>", &format!("{CHECK}</body>")),
        )
        .unwrap();
        let profile = dir.join(format!("profile-{name}"));
        let dom = headless(&browser, &checked, &profile, &["--dump-dom"]);
        let report = dom
            .split_once("<pre id=\"chainrule-check\">")
            .and_then(|(_, r)| r.split_once("</pre>"))
            .map(|(r, _)| {
                r.replace("&quot;", "\"")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&")
            })
            .unwrap_or_else(|| panic!("{name}: the check did not run:\n{dom}"));
        let r: serde_json::Value = serde_json::from_str(&report).unwrap();
        assert_eq!(r["wrong"], serde_json::json!([]), "{name}: {report}");
        assert_eq!(r["parsererror"], 0, "{name}");
        // Chromium kept every formula and picture the page has, whole.
        assert_eq!(r["math"], count(&html, "<math "), "{name}: {report}");
        let mathml_in_page = count(&html, "<m") + count(&html, "<none")
            - count(&html, "<math ")
            - count(&html, "<meta ")
            - count(&html, "<marker ");
        assert_eq!(r["mathElements"], mathml_in_page, "{name}: {report}");
        assert_eq!(r["svgNodes"], count(&html, "class=\"node\""), "{name}");
        assert_eq!(r["svgEdges"], count(&html, "class=\"edge\""), "{name}");
        // The graph, and the sweep's plot where there is one.
        let pictures = match name {
            "hw7_relu" | "hw7_sigmoid" => 2,
            _ => 1,
        };
        assert_eq!(r["svg"], pictures, "{name}: {report}");
        assert!(r["svgTexts"].as_u64().unwrap() > 10, "{name}: {report}");
        // And a screenshot of the page itself, for people.
        let png = dir.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&png);
        headless(
            &browser,
            &page,
            &profile,
            &[
                "--window-size=1100,2600",
                &format!("--screenshot={}", png.display()),
            ],
        );
        let size = std::fs::metadata(&png).map_or(0, |m| m.len());
        assert!(size > 20_000, "{name}: a screenshot of {size} bytes");
        let _ = std::fs::remove_dir_all(&profile);
    }
}
