//! Names that look alike: a Cyrillic `х` and a Latin `x` print the same and are different
//! variables, so a name asked for that does not occur, while a look-alike does, gets a
//! warning naming the look-alike and the script of each.

/// Letters of other scripts drawn like a Latin letter (Unicode's confusables, restricted
/// to the Cyrillic and Greek letters a keyboard layout switch produces).
const LOOKALIKES: &[(char, char)] = &[
    // Cyrillic
    ('а', 'a'),
    ('в', 'b'),
    ('е', 'e'),
    ('һ', 'h'),
    ('і', 'i'),
    ('ј', 'j'),
    ('к', 'k'),
    ('м', 'm'),
    ('н', 'h'),
    ('о', 'o'),
    ('р', 'p'),
    ('с', 'c'),
    ('т', 't'),
    ('у', 'y'),
    ('х', 'x'),
    ('ѕ', 's'),
    ('ԁ', 'd'),
    ('ԛ', 'q'),
    ('ԝ', 'w'),
    ('А', 'A'),
    ('В', 'B'),
    ('Е', 'E'),
    ('К', 'K'),
    ('М', 'M'),
    ('Н', 'H'),
    ('О', 'O'),
    ('Р', 'P'),
    ('С', 'C'),
    ('Т', 'T'),
    ('Х', 'X'),
    ('У', 'Y'),
    ('І', 'I'),
    ('Ј', 'J'),
    ('Ѕ', 'S'),
    // Greek
    ('ο', 'o'),
    ('ν', 'v'),
    ('ι', 'i'),
    ('κ', 'k'),
    ('ρ', 'p'),
    ('υ', 'u'),
    ('χ', 'x'),
    ('Α', 'A'),
    ('Β', 'B'),
    ('Ε', 'E'),
    ('Ζ', 'Z'),
    ('Η', 'H'),
    ('Ι', 'I'),
    ('Κ', 'K'),
    ('Μ', 'M'),
    ('Ν', 'N'),
    ('Ο', 'O'),
    ('Ρ', 'P'),
    ('Τ', 'T'),
    ('Υ', 'Y'),
    ('Χ', 'X'),
];

/// `name` with every look-alike letter replaced by the Latin letter it looks like.
fn skeleton(name: &str) -> String {
    name.chars()
        .map(|c| {
            LOOKALIKES
                .iter()
                .find(|(k, _)| *k == c)
                .map_or(c, |(_, l)| *l)
        })
        .collect()
}

/// The script of a name's letters, for a message: "Latin", "Cyrillic", "Greek" or "mixed".
fn script(name: &str) -> &'static str {
    let of = |c: char| match c as u32 {
        0x0400..=0x052F => "Cyrillic",
        0x0370..=0x03FF => "Greek",
        _ if c.is_ascii_alphabetic() => "Latin",
        _ => "",
    };
    let mut scripts = name.chars().map(of).filter(|s| !s.is_empty());
    let first = scripts.next().unwrap_or("Latin");
    if scripts.all(|s| s == first) {
        first
    } else {
        "mixed"
    }
}

/// When `given` is not one of `names` but looks like one of them, a warning that says so:
/// "`х` (Cyrillic) does not occur in the expression, but `x` (Latin) does: …".
/// `where_` names what was searched ("the expression", "the program").
pub fn lookalike_warning<'a>(
    given: &str,
    names: impl IntoIterator<Item = &'a str>,
    where_: &str,
) -> Option<String> {
    let names: Vec<&str> = names.into_iter().collect();
    if names.contains(&given) {
        return None;
    }
    let key = skeleton(given);
    let other = names
        .into_iter()
        .find(|n| *n != given && skeleton(n) == key)?;
    Some(format!(
        "warning: `{given}` ({}) does not occur in {where_}, but `{other}` ({}) does: they \
         look alike and are different names",
        script(given),
        script(other)
    ))
}

/// The superscript T, a letter to Unicode but the transpose to the grammar (`xᵀ`).
pub(crate) const TRANSPOSE_MARK: char = 'ᵀ';

/// Whether `c` may start a name: the grammar's `LETTER` (`name` in `grammar/chainrule.pest`),
/// other than `ᵀ`.
pub(crate) fn is_name_start(c: char) -> bool {
    // The ASCII letters are ASCII's only `LETTER`s; the table lookup is for the rest.
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    pest::unicode::LETTER(c) && c != TRANSPOSE_MARK
}

/// Whether `c` may continue a name: the grammar's `LETTER | MARK | ASCII_DIGIT | "_"`,
/// other than `ᵀ`.
pub(crate) fn is_name_continue(c: char) -> bool {
    // ASCII has no `MARK`.
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    (pest::unicode::LETTER(c) || pest::unicode::MARK(c) || c.is_ascii_digit() || c == '_')
        && c != TRANSPOSE_MARK
}

/// Every name in `src`, in order, with its byte span: the grammar's names (a letter, then
/// letters, marks, ASCII digits and `_`, by the grammar's own character classes), skipping numbers (`1e-4` is one number, `1e` a
/// number and the name `e`) and comments. Names are normalized as the parser does.
pub fn name_spans(src: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut it = src.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c == '#' {
            while it.next_if(|(_, c)| *c != '\n').is_some() {}
        } else if c.is_ascii_digit() {
            while it
                .next_if(|(_, c)| c.is_ascii_digit() || *c == '.')
                .is_some()
            {}
            // An exponent only when digits follow: `1e-4`, not `1e`.
            let rest = &src[it.peek().map_or(src.len(), |(j, _)| *j)..];
            let exp = rest
                .strip_prefix(['e', 'E'])
                .map(|r| r.strip_prefix(['+', '-']).unwrap_or(r));
            if exp.is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit())) {
                while it.next_if(|(_, c)| !c.is_ascii_digit()).is_some() {}
                while it.next_if(|(_, c)| c.is_ascii_digit()).is_some() {}
            }
        } else if is_name_start(c) {
            let mut end = i + c.len_utf8();
            while let Some((j, d)) = it.next_if(|(_, d)| is_name_continue(*d)) {
                end = j + d.len_utf8();
            }
            out.push((super::normalize_name(&src[i..end]), i, end));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn ascii_shortcuts_are_the_grammars_classes() {
        for c in (0..128u8).map(char::from) {
            let letter = pest::unicode::LETTER(c);
            assert_eq!(super::is_name_start(c), letter, "{c:?}");
            let digit_or_underscore = c.is_ascii_digit() || c == '_';
            let continues = letter || pest::unicode::MARK(c) || digit_or_underscore;
            assert_eq!(super::is_name_continue(c), continues, "{c:?}");
        }
    }

    #[test]
    fn names_are_found_with_their_spans() {
        let got = super::name_spans("2*x + 1e-4*w1 + 1e # y\n+ ŷ");
        let names: Vec<(&str, usize)> = got.iter().map(|(n, s, _)| (n.as_str(), *s)).collect();
        assert_eq!(names, [("x", 2), ("w1", 11), ("e", 17), ("ŷ", 25)]);
    }

    use super::*;

    #[test]
    fn cyrillic_x_is_a_lookalike_of_latin_x() {
        let w = lookalike_warning("х", ["x", "y"], "the expression").unwrap();
        assert!(
            w.contains("`х` (Cyrillic)") && w.contains("`x` (Latin)"),
            "{w}"
        );
        assert!(lookalike_warning("x", ["x"], "the expression").is_none());
        assert!(lookalike_warning("z", ["x"], "the expression").is_none());
        let w = lookalike_warning("w1", ["ѡ1", "w1"], "the program");
        assert!(w.is_none());
        let w = lookalike_warning("рх", ["px"], "the program").unwrap();
        assert!(w.contains("(Cyrillic)"), "{w}");
    }
}
