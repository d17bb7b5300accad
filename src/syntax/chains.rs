//! The chains of equalities in a LaTeX solution: `a = b = c` on a line, continued on the next
//! lines of an `aligned` (or `align`) environment by `&= d`. Each side keeps its place in the
//! file, so that a side that does not read gets a caret where it is.

/// One side of a chain: its text and where it starts (a byte offset into the file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Side {
    /// The LaTeX of the side, trimmed.
    pub text: String,
    /// Where it starts in the file.
    pub offset: usize,
    /// Whether `≈` (not `=`) comes before it.
    pub approx: bool,
}

/// A chain `s0 = s1 = … = sn`: at least two sides.
pub type Chain = Vec<Side>;

/// The display-math blocks of `tex`: `$$…$$`, `\[…\]`, and the `align`, `align*`, `aligned`,
/// `equation`, `equation*`, `gather` environments (an `aligned` inside `$$` is read once), each
/// as (start offset, body).
fn blocks(tex: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut i = 0;
    let b = tex.as_bytes();
    while i < b.len() {
        let rest = &tex[i..];
        let (open, close): (&str, &str) = if rest.starts_with("$$") {
            ("$$", "$$")
        } else if rest.starts_with("\\[") {
            ("\\[", "\\]")
        } else if let Some(env) = [
            "align*",
            "align",
            "equation*",
            "equation",
            "gather*",
            "gather",
        ]
        .iter()
        .find(|e| rest.starts_with(&format!("\\begin{{{e}}}")))
        {
            let open = format!("\\begin{{{env}}}");
            let close = format!("\\end{{{env}}}");
            let start = i + open.len();
            match tex[start..].find(&close) {
                Some(end) => {
                    out.push((start, &tex[start..start + end]));
                    i = start + end + close.len();
                }
                None => i = start,
            }
            continue;
        } else if rest.starts_with("\\%") || rest.starts_with("\\$") {
            // A percent or dollar sign, not a comment or math.
            i += 2;
            continue;
        } else if rest.starts_with('%') {
            // A comment runs to the end of its line.
            i += rest.find('\n').unwrap_or(rest.len());
            continue;
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let start = i + open.len();
        match tex[start..].find(close) {
            Some(end) => {
                out.push((start, &tex[start..start + end]));
                i = start + end + close.len();
            }
            None => i = start,
        }
    }
    out
}

/// Splits `s` at top-level occurrences of `sep` (outside `{}`, `()`, `[]`), with offsets.
fn split_top<'a>(s: &'a str, sep: &str) -> Vec<(usize, &'a str)> {
    split_top_any(s, &[sep])
}

/// Splits `s` at top-level occurrences of any of `seps`, with offsets. A separator that is a
/// command word (`\approx`) is one only when no letter follows it (`\approxeq` is another
/// command); a line break `\\` is one whatever follows.
fn split_top_any<'a>(s: &'a str, seps: &[&str]) -> Vec<(usize, &'a str)> {
    let word = |sep: &str| {
        sep.starts_with('\\') && sep[1..].starts_with(|c: char| c.is_ascii_alphabetic())
    };
    let sep_at = |rest: &str| {
        seps.iter().copied().find(|sep| {
            rest.starts_with(sep)
                && !(word(sep) && rest[sep.len()..].starts_with(|c: char| c.is_ascii_alphabetic()))
        })
    };
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut last = 0;
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        let c = rest.chars().next().expect("in bounds");
        if c == '\\' && sep_at(rest).is_none() {
            // A command; the set braces `\{ … \}` nest as groups do.
            let next = rest[1..].chars().next();
            match next {
                Some('{') => depth += 1,
                Some('}') => depth -= 1,
                _ => {}
            }
            i += 1 + next.map_or(0, char::len_utf8);
            continue;
        }
        match c {
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => depth -= 1,
            _ => {}
        }
        if depth == 0
            && let Some(sep) = sep_at(rest)
        {
            out.push((last, &s[last..i]));
            i += sep.len();
            last = i;
            continue;
        }
        i += c.len_utf8();
    }
    out.push((last, &s[last..]));
    out
}

/// `body` with each relation written with a note over or under it (`\overset{\text{chain
/// rule}}{=}`, `\stackrel{(a)}{=}`, `\underset{…}{\approx}`) left as the bare relation, and
/// `\equiv` and `≡` as `=`, blanked byte for byte so that offsets stay those of the file. The
/// `=` inside the braces was not seen, so such a step, a wrong one included, was silently
/// left out of the grading.
fn plain_relations(body: &str) -> String {
    // The end (exclusive) of the brace group opening at `open`, if it closes.
    fn group_end(s: &str, open: usize) -> Option<usize> {
        let mut depth = 0i32;
        let mut escaped = false;
        for (i, c) in s[open..].char_indices() {
            match c {
                '{' if !escaped => depth += 1,
                '}' if !escaped => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(open + i + 1);
                    }
                }
                _ => {}
            }
            escaped = !escaped && c == '\\';
        }
        None
    }
    let mut out = body.to_string();
    let blank = |out: &mut String, from: usize, to: usize| {
        out.replace_range(from..to, &" ".repeat(to - from));
    };
    for cmd in ["\\overset", "\\stackrel", "\\underset"] {
        let mut from = 0;
        while let Some(p) = out[from..].find(cmd).map(|p| from + p) {
            from = p + cmd.len();
            let open1 = from + (out[from..].len() - out[from..].trim_start().len());
            if !out[open1..].starts_with('{') {
                continue;
            }
            let Some(end1) = group_end(&out, open1) else {
                continue;
            };
            let open2 = end1 + (out[end1..].len() - out[end1..].trim_start().len());
            if !out[open2..].starts_with('{') {
                continue;
            }
            let Some(end2) = group_end(&out, open2) else {
                continue;
            };
            let inner = out[open2 + 1..end2 - 1].trim();
            if ["=", "\\approx", "≈", "\\equiv", "≡"].contains(&inner) {
                blank(&mut out, p, open2 + 1);
                blank(&mut out, end2 - 1, end2);
                from = end2;
            }
        }
    }
    // `\equiv` (not `\equiv` followed by letters) and `≡`: an equality.
    let mut from = 0;
    while let Some(p) = out[from..].find("\\equiv").map(|p| from + p) {
        from = p + "\\equiv".len();
        if !out[from..].starts_with(|c: char| c.is_ascii_alphabetic()) {
            out.replace_range(p..from, "=     ");
        }
    }
    let mut out = out.replace('≡', "=  ");
    // `={}&`: an empty group after a relation, for LaTeX's spacing, is no side of it.
    let mut from = 0;
    while let Some(p) = out[from..].find("{}").map(|p| from + p) {
        from = p + 2;
        let before = out[..p].trim_end();
        if before.ends_with('=') || before.ends_with("\\approx") || before.ends_with('≈') {
            out.replace_range(p..p + 2, "  ");
        }
    }
    out
}

/// `body` with each `%` comment (to the end of its line) blanked out, byte for byte, so
/// that offsets stay those of the file; `\%` is a percent sign, not a comment.
fn without_comments(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut in_comment = false;
    let mut escaped = false;
    for c in body.chars() {
        if c == '\n' {
            in_comment = false;
        } else if !in_comment && !escaped && c == '%' {
            in_comment = true;
        }
        if in_comment {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        } else {
            out.push(c);
        }
        escaped = !escaped && c == '\\';
    }
    out
}

/// Words of prose between two equations on one line: `\text{ and }`, `\text{where }`.
const PROSE: &[&str] = &[
    "and", "where", "for", "with", "so", "if", "since", "then", "hence", "thus", "i.e.", "or",
];

/// The statements of a line: the line cut at what separates two equations on one line (`,`
/// or `;` outside brackets, `\quad`, `\qquad`, prose in `\text{…}`) and at equation labels
/// (`\label{…}`, `\tag{…}`, `\nonumber`, `\notag`), each with its offset. Without the cuts,
/// `\hat{y} = 12 \quad x_2 = 4` was the chain ŷ = 12·x2 = 4 (spacing means nothing in a
/// formula), a wrong step that the student never wrote.
fn statements(line: &str) -> Vec<(usize, &str, usize)> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut last = 0;
    let mut i = 0;
    // The column of the statement being read: how many `&` separating columns came before.
    let mut column = 0;
    while i < line.len() {
        let rest = &line[i..];
        let c = rest.chars().next().expect("in bounds");
        // The length of a separator starting here, at the top level.
        let mut cut = 0;
        let mut next_column = column;
        if depth == 0 {
            if c == '&' && separates_columns(&line[last..i], &rest[1..]) {
                cut = 1;
                next_column += 1;
            } else if c == ',' || c == ';' {
                cut = 1;
            } else if c == '\\' {
                let word: String = rest[1..]
                    .chars()
                    .take_while(char::is_ascii_alphabetic)
                    .collect();
                let after = &rest[1 + word.len()..];
                match word.as_str() {
                    "quad" | "qquad" | "nonumber" | "notag" => cut = 1 + word.len(),
                    "label" | "tag" | "text" | "textrm" | "mbox" | "textnormal"
                        if after.starts_with('{') =>
                    {
                        if let Some(close) = after.find('}') {
                            let inside = after[1..close].trim();
                            let prose = inside.contains(' ')
                                || inside.is_empty()
                                || PROSE.contains(&inside);
                            if prose || word == "label" || word == "tag" {
                                cut = 1 + word.len() + close + 1;
                            }
                        }
                    }
                    _ => {}
                }
                if cut == 0 {
                    // A command (or `\{`, `\}`): the set braces nest as groups do.
                    match rest[1..].chars().next() {
                        Some('{') => depth += 1,
                        Some('}') => depth -= 1,
                        _ => {}
                    }
                    i += 1 + rest[1..].chars().next().map_or(0, char::len_utf8);
                    continue;
                }
            }
        } else if c == '\\' {
            match rest[1..].chars().next() {
                Some('{') => depth += 1,
                Some('}') => depth -= 1,
                _ => {}
            }
            i += 1 + rest[1..].chars().next().map_or(0, char::len_utf8);
            continue;
        }
        // Spacing that opens a line (`&\qquad \approx -12.71`) separates nothing from it.
        let opens = line[last..i]
            .trim_matches(|c: char| c.is_whitespace() || c == '&')
            .is_empty()
            && (rest.starts_with("\\quad") || rest.starts_with("\\qquad"));
        if cut > 0 && opens {
            i += cut;
            continue;
        }
        if cut > 0 {
            out.push((last, &line[last..i], column));
            column = next_column;
            i += cut;
            last = i;
            continue;
        }
        match c {
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => depth -= 1,
            _ => {}
        }
        i += c.len_utf8();
    }
    out.push((last, &line[last..], column));
    out
}

/// Whether an `&` between `before` (the statement so far) and `after` separates two
/// equations set side by side in columns (`a &= 1 & b &= 2`), not a relation from its left
/// side (`a &= 1`) or a continuation from the line above (`&\qquad \cdot x_2`): the
/// statement has a relation already, and none follows the `&`. Read as one formula, the
/// second equation's left side was multiplied into the first's right side (1·b), and two
/// right steps were graded wrong.
fn separates_columns(before: &str, after: &str) -> bool {
    let has_relation =
        |t: &str| split_top_any(t, SIDE_SEPARATORS).len() > 1 || first_relation(t).is_some();
    // `a &=& b` and `a = & b` (eqnarray's layout): the `&` right after a relation sets off
    // its right side.
    let before_trimmed = before.trim_end();
    let ends_on_relation = SIDE_SEPARATORS.iter().any(|r| before_trimmed.ends_with(r))
        || first_relation(before_trimmed).is_some_and(|(at, len)| at + len == before_trimmed.len());
    if ends_on_relation {
        return false;
    }
    // `& &= 12`: the second column's continuation, its left side empty.
    let after = after.trim_start();
    let opens_relation = SIDE_SEPARATORS.iter().any(|r| after.starts_with(r))
        || first_relation(after).is_some_and(|(at, _)| at == 0);
    has_relation(before) && !opens_relation
}

/// The pieces of a statement between its relations other than `=` and `≈` outside brackets
/// (`\le`, `\ne`, `<`, `\Rightarrow`, …), each with its offset: each piece's `=` make a chain
/// of their own (`E = (y - ŷ)^2 \Rightarrow ∂E/∂w3 = 17` is two chains), and a relation
/// between pieces is not graded. `≈` is a step of a chain ([`SIDE_SEPARATORS`]).
fn relation_pieces(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some((i, len)) = first_relation(&s[at..]) {
        out.push((at, &s[at..at + i]));
        at += i + len;
    }
    out.push((at, &s[at..]));
    out
}

/// Where the first relation other than `=` and `≈` outside brackets is (`\le`, `\ne`, `<`,
/// `>`, `\implies`, …), and its length.
fn first_relation(s: &str) -> Option<(usize, usize)> {
    const RELATIONS: &[&str] = &[
        "le",
        "leq",
        "leqslant",
        "ge",
        "geq",
        "geqslant",
        "approxeq",
        "cong",
        "ne",
        "neq",
        "lt",
        "gt",
        "sim",
        "simeq",
        "propto",
        "to",
        "rightarrow",
        "Rightarrow",
        "Longrightarrow",
        "longrightarrow",
        "Leftarrow",
        "Longleftarrow",
        "impliedby",
        "mapsto",
        "implies",
        "iff",
        "Leftrightarrow",
        "Longleftrightarrow",
        "therefore",
    ];
    let mut depth = 0i32;
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        let c = rest.chars().next().expect("in bounds");
        if c == '\\' {
            let word: String = rest[1..]
                .chars()
                .take_while(char::is_ascii_alphabetic)
                .collect();
            if depth == 0 && RELATIONS.contains(&word.as_str()) {
                return Some((i, 1 + word.len()));
            }
            match rest[1..].chars().next() {
                Some('{') | Some('(') | Some('[') if word.is_empty() => depth += 1,
                Some('}') | Some(')') | Some(']') if word.is_empty() => depth -= 1,
                _ => {}
            }
            i += 1 + word
                .len()
                .max(rest[1..].chars().next().map_or(0, char::len_utf8));
            continue;
        }
        match c {
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => depth -= 1,
            '<' | '>' | '≤' | '≥' | '≠' | '⇒' | '⟹' | '→' | '⇔' | '⇐' | '≃' | '≅' if depth == 0 =>
            {
                return Some((i, c.len_utf8()));
            }
            _ => {}
        }
        i += c.len_utf8();
    }
    None
}

/// LaTeX spacing, which is not part of a side before or after it.
const SPACING: [&str; 7] = ["\\qquad", "\\quad", "\\,", "\\;", "\\!", "\\:", "~"];

/// A side's text: without the spaces and `&` around it, nor the punctuation (`,` `.` `;`)
/// and LaTeX spacing (`\,` `\;` `\!` `\:` `~`) after it.
fn side_text(t: &str) -> &str {
    let mut t = t.trim_matches(|c: char| c.is_whitespace() || c == '&');
    loop {
        let before = t.len();
        for tail in SPACING.iter().chain(&[",", ".", ";", "&"]) {
            t = t.strip_suffix(tail).unwrap_or(t).trim_end();
        }
        // Spacing before it too (`\approx \, -12.698`, `&\qquad = …`), not a letter's command.
        for head in SPACING.iter().chain(&["&"]) {
            if let Some(r) = t.strip_prefix(head)
                && !(head.ends_with(|c: char| c.is_ascii_alphabetic())
                    && r.starts_with(|c: char| c.is_ascii_alphabetic()))
            {
                t = r.trim_start();
            }
        }
        if t.len() == before {
            return t;
        }
    }
}

/// What separates two sides of a chain: `=`, and `≈`, which a student writes before a
/// rounded number (`∂E/∂w3 ≈ -12.698`): grading takes a number written with a decimal point
/// as rounded, after `=` as after `≈` (`crate::check::grade`).
const SIDE_SEPARATORS: &[&str] = &["=", "\\approx", "≈"];

fn strip_environment_markers(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with("\\begin{") || t.starts_with("\\end{")
}

/// The chains of equalities of a LaTeX solution, in reading order. A line (`\\`-separated, in
/// a block) whose text before its first `=` is empty or only `&` continues the chain above it.
pub fn chains(tex: &str) -> Vec<Chain> {
    let mut out: Vec<Chain> = Vec::new();
    for (start, body) in blocks(tex) {
        let body = &plain_relations(&without_comments(body));
        // `\begin{aligned}` inside `$$`: its markers are not sides.
        let body_clean_offsets = split_top(body, "\\\\");
        // The chain going on in each column of the block's lines.
        let mut current: Vec<Option<Chain>> = Vec::new();
        let block_start = out.len();
        for (line_off, line) in body_clean_offsets {
            let mut line_off = line_off;
            let mut line = line;
            // `\\[2pt]`: the line break's spacing is not part of the next line.
            if let Some(r) = line.strip_prefix('[')
                && let Some(close) = r.find(']')
                && r[..close]
                    .trim()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                && r[..close]
                    .trim()
                    .ends_with(|c: char| c.is_ascii_alphabetic())
            {
                line_off += close + 2;
                line = &line[close + 2..];
            }
            for marker in [
                "\\begin{aligned}",
                "\\end{aligned}",
                "\\begin{split}",
                "\\end{split}",
            ] {
                if let Some(p) = line.find(marker) {
                    if p == line.len() - line.trim_start().len() {
                        line_off += p + marker.len();
                        line = &line[p + marker.len()..];
                    } else if let Some(q) = line.rfind(marker) {
                        line = &line[..q];
                    }
                }
            }
            if strip_environment_markers(line) {
                continue;
            }
            let pieces = statements(line)
                .into_iter()
                .flat_map(|(stmt_off, stmt, column)| {
                    relation_pieces(stmt)
                        .into_iter()
                        .enumerate()
                        .map(move |(p, (o, piece))| (p, stmt_off + o, piece, column))
                });
            let mut seen_columns: Vec<usize> = Vec::new();
            for (after_relation, stmt_off, stmt, column) in pieces {
                // The first piece of its column on this line may continue the column's chain
                // on the lines above (`&= 4 & &= 24` continues two chains).
                let first_in_column = !seen_columns.contains(&column);
                seen_columns.push(column);
                if current.len() <= column {
                    current.resize_with(column + 1, || None);
                }
                let current = &mut current[column];
                let parts = split_top_any(stmt, SIDE_SEPARATORS);
                let sides: Vec<Side> = parts
                    .iter()
                    .enumerate()
                    .map(|(i, (o, t))| {
                        // The separator before it: what lies between it and the side before.
                        let approx = i > 0 && {
                            let (po, pt) = parts[i - 1];
                            stmt[po + pt.len()..*o].trim() != "="
                        };
                        let lead = t.len()
                            - t.trim_start_matches(|c: char| c.is_whitespace() || c == '&')
                                .len();
                        // `E := …` defines E as equal to what follows.
                        let t = t.trim_end().strip_suffix(':').unwrap_or(t);
                        // A sentence's punctuation and spacing after a side (`= 16.`, `= 3\,`)
                        // are not part of it; a point before one is (`= .5`).
                        let text = side_text(t);
                        Side {
                            text: text.to_string(),
                            offset: start + line_off + stmt_off + o + lead,
                            approx,
                        }
                    })
                    .collect();
                // A line that ends on `=` or `≈` (`… x_2 \approx \\ &\approx -12.71`): its
                // last side is on the next line.
                let mut sides = sides;
                if sides.len() > 1 && sides.last().is_some_and(|s| s.text.is_empty()) {
                    sides.pop();
                }
                // A line with no `=` that opens with an operator (`&\qquad \cdot x_2`)
                // continues the last side above.
                if first_in_column
                    && after_relation == 0
                    && sides.len() == 1
                    && let Some(c) = current.as_mut()
                    && let Some(last) = c.last_mut()
                    && ["\\cdot", "\\times", "+", "-", "*", "/"]
                        .iter()
                        .any(|op| sides[0].text.starts_with(op))
                {
                    last.text = format!("{} {}", last.text, sides[0].text);
                    continue;
                }
                if after_relation > 0 {
                    // What follows a relation starts a chain of its own, which the next
                    // line may continue (`&\le -12 \\ &= -12` is -12 = -12).
                    if let Some(c) = current.take() {
                        out.push(c);
                    }
                    *current = Some(sides);
                    continue;
                }
                if sides.len() < 2 {
                    continue;
                }
                if first_in_column && sides[0].text.is_empty() {
                    // `&= …` continues the chain above.
                    if let Some(c) = current.as_mut() {
                        c.extend(sides.into_iter().skip(1));
                    }
                    continue;
                }
                if let Some(c) = current.take() {
                    out.push(c);
                }
                *current = Some(sides);
            }
        }
        out.extend(current.into_iter().flatten());
        // In reading order, columns' chains among them.
        out[block_start..].sort_by_key(|c| c.first().map_or(0, |s| s.offset));
    }
    out.retain(|c| c.len() >= 2 && c.iter().all(|s| !s.text.is_empty()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(c: &Chain) -> Vec<&str> {
        c.iter().map(|s| s.text.as_str()).collect()
    }

    /// The sides' texts of each of `cs`.
    fn all_texts(cs: &[Chain]) -> Vec<Vec<&str>> {
        cs.iter().map(texts).collect()
    }

    #[test]
    fn lines_and_continuations() {
        let tex = "Intro $x$.\n$$\\begin{aligned}a &= b = c \\\\ &= d \\\\ e &= f\\end{aligned}$$\nand \\[ g = \\frac{h}{2} \\]";
        let cs = chains(tex);
        assert_eq!(cs.len(), 3);
        assert_eq!(texts(&cs[0]), ["a", "b", "c", "d"]);
        assert_eq!(texts(&cs[1]), ["e", "f"]);
        assert_eq!(texts(&cs[2]), ["g", "\\frac{h}{2}"]);
        for c in &cs {
            for s in c {
                assert_eq!(&tex[s.offset..s.offset + s.text.len()], s.text);
            }
        }
    }

    #[test]
    fn a_relation_other_than_equality_or_approximation_ends_the_chain() {
        let cs = chains(
            "$$ a = b \\approx 3.14 $$ and $$ c = d \\le e $$ and $$ \\mathbb{1}\\{z > 0\\} = s = t < 1 $$",
        );
        assert_eq!(cs.len(), 3);
        // `≈` is a step: before a number written to some digits, it is how a student writes
        // rounding.
        assert_eq!(texts(&cs[0]), ["a", "b", "3.14"]);
        assert_eq!(texts(&cs[1]), ["c", "d"]);
        assert_eq!(texts(&cs[2]), ["\\mathbb{1}\\{z > 0\\}", "s", "t"]);
    }

    #[test]
    fn a_review_of_the_relations() {
        // A line break followed by a letter still ends the line (`\\x_2` is no command).
        let cs = chains("\\begin{align}\na &= b x_2\\\\x_2 &= 17\n\\end{align}");
        assert_eq!(all_texts(&cs), [vec!["a", "b x_2"], vec!["x_2", "17"]]);
        // After a relation on a continuation line, the next line continues what follows it.
        let cs =
            chains("$$\\begin{aligned}\nd &= 2 x_2 \\\\ &\\le -12 \\\\ &= -12\n\\end{aligned}$$");
        assert_eq!(all_texts(&cs), [vec!["d", "2 x_2"], vec!["-12", "-12"]]);
        // A point before a number is the number's; punctuation and spacing after it are not.
        let cs = chains("$$ a = .5 $$ $$ b = -12.698\\, . $$ $$ c = 3~, $$ $$ e \\approxeq 3 $$");
        assert_eq!(
            all_texts(&cs),
            [vec!["a", ".5"], vec!["b", "-12.698"], vec!["c", "3"]]
        );
    }

    #[test]
    fn continuation_lines_as_a_second_review_wrote_them() {
        // A line opened by spacing, a line ending on ≈, and a side that goes on on the next
        // line: each was dropped (with the steps in it) or cut (a factor lost).
        let cs = chains(
            "$$\\begin{aligned}\nd &= 2 y \\\\\n&\\qquad \\approx -12.71 \\\\\n&\\quad = -12.72\n\\end{aligned}$$ $$\\begin{aligned}\ne &= 2 y \\approx \\\\ &\\approx -1.5\n\\end{aligned}$$ $$\\begin{aligned}\nf &= -2 y \\\\\n&\\qquad \\cdot x_2 \\\\\n&\\approx 3\n\\end{aligned}$$",
        );
        assert_eq!(
            all_texts(&cs),
            [
                vec!["d", "2 y", "-12.71", "-12.72"],
                vec!["e", "2 y", "-1.5"],
                vec!["f", "-2 y \\cdot x_2", "3"],
            ]
        );
        assert!(cs[0][2].approx && !cs[0][3].approx && cs[1][2].approx);
    }

    #[test]
    fn the_equalities_after_a_relation_are_a_chain_of_their_own() {
        // They were dropped, neither graded nor said to be ungraded: `E = … ⇒ ∂E/∂w3 = 17`
        // graded E = … alone (found by a review, 2026-12-03).
        let cs = chains(
            "$$ E = (y - \\hat{y})^2 \\Rightarrow \\frac{\\partial E}{\\partial w_3} = 17 $$ $$ d = 16 \\approx 17 = 18 $$ $$ q \\approx 2 r = 17 \\implies s = t ⇒ u = v $$ $$ \\lim_{h \\to 0} g = 1 $$",
        );
        assert_eq!(
            all_texts(&cs),
            [
                vec!["E", "(y - \\hat{y})^2"],
                vec!["\\frac{\\partial E}{\\partial w_3}", "17"],
                vec!["d", "16", "17", "18"],
                vec!["q", "2 r", "17"],
                vec!["s", "t"],
                vec!["u", "v"],
                vec!["\\lim_{h \\to 0} g", "1"],
            ]
        );
    }

    #[test]
    fn equals_inside_braces_do_not_split() {
        let cs = chains("$$ \\mathbb{1}\\{z = 0\\} = 0 $$");
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0].len(), 2);
    }
}
