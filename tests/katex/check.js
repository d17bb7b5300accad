// Reads a JSON array of LaTeX strings on stdin and renders each with KaTeX in display mode,
// strictly. Prints one JSON object: {"ok": n, "errors": [{"index", "latex", "message"}]}.
const katex = require("katex");
let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const items = JSON.parse(input);
  const errors = [];
  items.forEach((latex, index) => {
    try {
      katex.renderToString(latex, { displayMode: true, throwOnError: true, strict: "error" });
    } catch (e) {
      errors.push({ index, latex, message: String(e.message) });
    }
  });
  process.stdout.write(JSON.stringify({ ok: items.length - errors.length, errors }));
});
