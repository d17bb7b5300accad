//! Names in LaTeX: `w1` → `w_{1}`, `yhat` and `ŷ` → `\hat{y}`, `alpha` and `α` → `\alpha`.

const GREEK: [(&str, char); 40] = [
    ("alpha", 'α'),
    ("beta", 'β'),
    ("gamma", 'γ'),
    ("delta", 'δ'),
    ("epsilon", 'ε'),
    ("zeta", 'ζ'),
    ("eta", 'η'),
    ("theta", 'θ'),
    ("iota", 'ι'),
    ("kappa", 'κ'),
    ("lambda", 'λ'),
    ("mu", 'μ'),
    ("nu", 'ν'),
    ("xi", 'ξ'),
    ("pi", 'π'),
    ("rho", 'ρ'),
    ("sigma", 'σ'),
    ("tau", 'τ'),
    ("upsilon", 'υ'),
    ("phi", 'φ'),
    ("chi", 'χ'),
    ("psi", 'ψ'),
    ("omega", 'ω'),
    ("Gamma", 'Γ'),
    ("Delta", 'Δ'),
    ("Theta", 'Θ'),
    ("Lambda", 'Λ'),
    ("Xi", 'Ξ'),
    ("Pi", 'Π'),
    ("Sigma", 'Σ'),
    ("Upsilon", 'Υ'),
    ("Phi", 'Φ'),
    ("Psi", 'Ψ'),
    ("Omega", 'Ω'),
    ("varepsilon", 'ϵ'),
    ("vartheta", 'ϑ'),
    ("varphi", 'ϕ'),
    ("varsigma", 'ς'),
    ("varrho", 'ϱ'),
    ("varpi", 'ϖ'),
];

/// Accents written as a suffix (`yhat`, `y_hat`) or as a combining mark.
const ACCENTS: [(&str, char, &str); 5] = [
    ("hat", '\u{302}', "hat"),
    ("bar", '\u{304}', "bar"),
    ("tilde", '\u{303}', "tilde"),
    ("dot", '\u{307}', "dot"),
    ("vec", '\u{20d7}', "vec"),
];

/// Precomposed letters with a circumflex, mapped to the bare letter.
fn strip_precomposed_hat(c: char) -> Option<char> {
    let table = [
        ('â', 'a'),
        ('ĉ', 'c'),
        ('ê', 'e'),
        ('ĝ', 'g'),
        ('ĥ', 'h'),
        ('î', 'i'),
        ('ĵ', 'j'),
        ('ô', 'o'),
        ('ŝ', 's'),
        ('û', 'u'),
        ('ŵ', 'w'),
        ('ŷ', 'y'),
        ('ẑ', 'z'),
        ('Â', 'A'),
        ('Ê', 'E'),
        ('Î', 'I'),
        ('Ô', 'O'),
        ('Û', 'U'),
        ('Ŷ', 'Y'),
    ];
    table.iter().find(|(p, _)| *p == c).map(|(_, b)| *b)
}

/// A single letter or Greek word as LaTeX.
fn letter(s: &str) -> String {
    if let Some((word, _)) = GREEK.iter().find(|(w, _)| *w == s) {
        return format!("\\{word}");
    }
    let mut chars = s.chars();
    if let (Some(c), None) = (chars.next(), chars.clone().next()) {
        if c.is_ascii_alphabetic() {
            return c.to_string();
        }
        if let Some((word, _)) = GREEK.iter().find(|(_, g)| *g == c) {
            return format!("\\{word}");
        }
        if c == 'ℓ' {
            return "\\ell".into();
        }
        return format!("\\text{{{c}}}");
    }
    if s.chars().all(|c| c.is_ascii_alphanumeric()) {
        format!("\\mathrm{{{s}}}")
    } else {
        format!("\\text{{{}}}", s.replace('_', "\\_"))
    }
}

/// A variable or function name as LaTeX.
pub fn latex_name(name: &str) -> String {
    // Combining accent after the first letter: ŷ written as y + U+0302.
    let mut chars: Vec<char> = name.chars().collect();
    if let Some(pos) = chars
        .iter()
        .position(|c| strip_precomposed_hat(*c).is_some())
    {
        let base = strip_precomposed_hat(chars[pos]).unwrap();
        chars.splice(pos..=pos, [base, '\u{302}']);
    }
    if chars.len() >= 2
        && let Some((_, _, cmd)) = ACCENTS.iter().find(|(_, m, _)| *m == chars[1])
    {
        let rest: String = chars[2..].iter().collect();
        return with_sub(
            format!("\\{cmd}{{{}}}", letter(&chars[0].to_string())),
            &rest,
        );
    }
    let name: String = chars.into_iter().collect();
    // Suffix accents: yhat, y_hat, xbar.
    for (word, _, cmd) in ACCENTS {
        for sep in ["_", ""] {
            let suffix = format!("{sep}{word}");
            if let Some(base) = name.strip_suffix(&suffix)
                && !base.is_empty()
                && !base.ends_with('_')
            {
                let (b, sub) = split_sub(base);
                let inner = format!("\\{cmd}{{{}}}", letter(b));
                return with_sub(inner, sub);
            }
        }
    }
    let (b, sub) = split_sub(&name);
    with_sub(letter(b), sub)
}

/// Splits `w_1`, `w1`, `w_in` into base and subscript.
fn split_sub(name: &str) -> (&str, &str) {
    if let Some((b, s)) = name.split_once('_')
        && !b.is_empty()
    {
        return (b, s);
    }
    let digits_at = name
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()
        .map(|(i, _)| i);
    match digits_at {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    }
}

fn with_sub(base: String, sub: &str) -> String {
    if sub.is_empty() {
        return base;
    }
    let sub_tex = if sub.chars().all(|c| c.is_ascii_digit()) {
        sub.to_string()
    } else {
        latex_name(sub)
    };
    format!("{base}_{{{sub_tex}}}")
}
