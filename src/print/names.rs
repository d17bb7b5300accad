//! Names in LaTeX: `w1` → `w_{1}`, `yhat` and `ŷ` → `\hat{y}`, `alpha` and `α` → `\alpha`.
//!
//! Those textbook forms ([`latex_name`]) are kept for names that fit them: a letter (Latin or
//! Greek, as a character or a word), with at most one accent, and a subscript of digits or
//! after one `_`. Any other name is written out character by character, `\mathrm{…}` with
//! `\_` for underscores, `{\omega}` for Greek letters and accent commands for combining
//! marks, which is valid LaTeX for every name and different for different names. Where two
//! names in play would print alike (`w1` and `w_1`, `yhat` and `ŷ`), [`with_names_in_play`] writes
//! both out that way, so distinct names never print the same.

use crate::expr::{Memo, hash32, name_near};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

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

/// Combining marks KaTeX has an accent command for (beyond [`ACCENTS`]).
const MARKS: [(char, &str); 11] = [
    ('\u{300}', "grave"),
    ('\u{301}', "acute"),
    ('\u{302}', "hat"),
    ('\u{303}', "tilde"),
    ('\u{304}', "bar"),
    ('\u{306}', "breve"),
    ('\u{307}', "dot"),
    ('\u{308}', "ddot"),
    ('\u{30a}', "mathring"),
    ('\u{30c}', "check"),
    ('\u{20d7}', "vec"),
];

/// The command of a Greek letter (or `ℓ`), as a character.
fn greek_char(c: char) -> Option<&'static str> {
    if c == 'ℓ' {
        return Some("ell");
    }
    GREEK.iter().find(|(_, g)| *g == c).map(|(w, _)| *w)
}

/// The letter a Greek command names (`sigma` → `σ`, `ell` → `ℓ`): what the LaTeX reader
/// (`syntax::latex`) makes of `\sigma`, the inverse of how names print.
pub fn greek_of_command(word: &str) -> Option<char> {
    if word == "ell" {
        return Some('ℓ');
    }
    GREEK.iter().find(|(w, _)| *w == word).map(|(_, c)| *c)
}

/// The LaTeX command word of a Greek letter or of `ℓ` (`σ` → `sigma`), or of a combining
/// accent (U+0302 → `hat`): how to spell such a character in ASCII.
pub fn command_of_char(c: char) -> Option<&'static str> {
    if c == 'ℓ' {
        return Some("ell");
    }
    GREEK
        .iter()
        .find(|(_, g)| *g == c)
        .map(|(w, _)| *w)
        .or_else(|| MARKS.iter().find(|(m, _)| *m == c).map(|(_, w)| *w))
}

/// The combining mark an accent command puts on a letter (`hat` → U+0302): what the LaTeX
/// reader makes of `\hat{y}`, the inverse of how accented names print.
pub fn mark_of_accent(cmd: &str) -> Option<char> {
    let cmd = match cmd {
        "widehat" => "hat",
        "overline" => "bar",
        "widetilde" => "tilde",
        c => c,
    };
    MARKS.iter().find(|(_, c)| *c == cmd).map(|(m, _)| *m)
}

/// A letter as LaTeX, when it is one textbook names use: an ASCII letter, a Greek letter
/// (character or word, `α` or `alpha`), `ℓ`.
fn letter(s: &str) -> Option<String> {
    let command = |word: &str| {
        let mut t = String::with_capacity(word.len() + 1);
        t.push('\\');
        t.push_str(word);
        t
    };
    let mut chars = s.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_ascii_alphabetic() {
            return Some(c.to_string());
        }
        return greek_char(c).map(command);
    }
    GREEK.iter().find(|(w, _)| *w == s).map(|(w, _)| command(w))
}

/// A letter with at most one accent: `y`, `ŷ` (precomposed or combining), `yhat`, `α̂`.
fn accented(s: &str) -> Option<String> {
    use unicode_normalization::UnicodeNormalization as _;
    if let Some(l) = letter(s) {
        return Some(l);
    }
    let chars: Vec<char> = s.nfd().collect();
    if let [c, m] = chars[..]
        && let Some((_, _, cmd)) = ACCENTS.iter().find(|(_, a, _)| *a == m)
    {
        return letter(&c.to_string()).map(|l| format!("\\{cmd}{{{l}}}"));
    }
    ACCENTS.iter().find_map(|(word, _, cmd)| {
        let base = s.strip_suffix(word)?;
        letter(base).map(|l| format!("\\{cmd}{{{l}}}"))
    })
}

/// An ASCII letter and digits as LaTeX: `x`, `w_{12}`.
fn letter_digits(name: &str) -> Option<String> {
    let mut t = String::new();
    push_letter_digits(name, &mut t).then_some(t)
}

/// [`letter_digits`] onto `out`: whether `name` is an ASCII letter and digits (`out` is
/// unchanged when not). Built by hand, not with `format!`: a large program's report puts
/// hundreds of thousands of such names in play.
fn push_letter_digits(name: &str, out: &mut String) -> bool {
    let [c, digits @ ..] = name.as_bytes() else {
        return false;
    };
    if !c.is_ascii_alphabetic() || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    out.push(*c as char);
    if !digits.is_empty() {
        out.push_str("_{");
        out.push_str(&name[1..]);
        out.push('}');
    }
    true
}

/// The textbook form of a name, when it has one (see the module's documentation).
fn textbook(name: &str) -> Option<String> {
    // The common case first, without the general rules' allocations: an ASCII letter and
    // digits (`x`, `w12`), which those rules make `x` and `w_{12}`.
    if let Some(t) = letter_digits(name) {
        return Some(t);
    }
    // Next, one letter, `_` and such a name (`δ_x1`, `δ_w12`, the adjoints' names), which
    // the rules below make `\delta_{x_{1}}`: neither an accented letter nor a word, so it is
    // the base and subscript rule's.
    if let Some((b, sub)) = name.split_once('_')
        && b.chars().count() == 1
        && let Some(base) = letter(b)
    {
        let mut t = String::with_capacity(base.len() + sub.len() + 8);
        t.push_str(&base);
        t.push_str("_{");
        if push_letter_digits(sub, &mut t) {
            t.push('}');
            return Some(t);
        }
    }
    if let Some(l) = accented(name) {
        return Some(l);
    }
    // `w_1`, `w_in`, `y_hat`, `δ_yhat`: one `_` between a letter and a subscript.
    if let Some((b, sub)) = name.split_once('_') {
        if sub.is_empty() {
            return None;
        }
        if let Some((_, _, cmd)) = ACCENTS.iter().find(|(w, _, _)| *w == sub) {
            return letter(b).map(|l| format!("\\{cmd}{{{l}}}"));
        }
        let base = accented(b)?;
        let sub_tex = if sub.chars().all(|c| c.is_ascii_digit()) {
            sub.to_string()
        } else {
            textbook(sub)?
        };
        return Some(format!("{base}_{{{sub_tex}}}"));
    }
    // `w1`, `α2`, `ŷ1`: a letter and digits.
    let digits_at = name
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()
        .map(|(i, _)| i);
    if let Some(i) = digits_at.filter(|i| *i > 0)
        && let Some(base) = accented(&name[..i])
    {
        return Some(format!("{base}_{{{}}}", &name[i..]));
    }
    // `loss`, `x1y`: an ASCII word, upright.
    if name.chars().all(|c| c.is_ascii_alphanumeric())
        && !name.starts_with(|c: char| c.is_ascii_digit())
    {
        return Some(format!("\\mathrm{{{name}}}"));
    }
    None
}

/// Any name written out character by character: valid LaTeX, different for different names.
fn spelled(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    let mut parts: Vec<String> = Vec::new();
    for c in name.nfd() {
        if let Some((_, cmd)) = MARKS.iter().find(|(m, _)| *m == c) {
            let base = parts.pop().unwrap_or_default();
            parts.push(format!("\\{cmd}{{{base}}}"));
        } else if c.is_ascii_alphanumeric() {
            parts.push(c.to_string());
        } else if c == '_' {
            parts.push("\\_".into());
        } else if let Some(w) = greek_char(c) {
            parts.push(format!("{{\\{w}}}"));
        } else if matches!(c as u32, 0xC0..=0x24F | 0x400..=0x4FF | 0x4E00..=0x9FFF) {
            // Latin with accents, Cyrillic, CJK: KaTeX has them in text.
            parts.push(format!("\\text{{{c}}}"));
        } else {
            parts.push(format!("\\text{{U+{:04X}}}", c as u32));
        }
    }
    format!("\\mathrm{{{}}}", parts.concat())
}

/// A variable or function name as LaTeX: its textbook form when it has one, else spelt out;
/// spelt out too when another name in play would print alike (see [`with_names_in_play`]).
pub fn latex_name(name: &str) -> String {
    latex_name_in_play(name).unwrap_or_else(|| plain(name))
}

/// The LaTeX of `name` if it is in play ([`latex_name`]), found once; `None` if it is not.
pub(super) fn latex_name_in_play(name: &str) -> Option<String> {
    IN_PLAY.with(|p| p.borrow().latex(name))
}

/// Whether every one of `names` is in play already: then putting them in play changes no
/// name's LaTeX, and [`with_names_in_play`] may be skipped.
pub(super) fn all_in_play(names: &[&str]) -> bool {
    IN_PLAY.with(|p| {
        let p = p.borrow();
        names.iter().all(|n| p.contains(n))
    })
}

/// [`latex_name`] regardless of the names in play.
fn plain(name: &str) -> String {
    textbook(name).unwrap_or_else(|| spelled(name))
}

/// The LaTeX of each of `names`, the names in play in one output: [`latex_name`], except that
/// names that would print alike are all spelt out, so that distinct names print differently.
#[cfg(test)]
fn latex_names(names: &[&str]) -> Vec<String> {
    with_names_in_play(names, || names.iter().map(|n| latex_name(n)).collect())
}

/// The names a thread puts in play on top of its base ([`with_names_in_play`]: each formula's
/// few), as they come and go: names and their textbook forms (computed once, when a name comes
/// into play), and per form how many of the names have it.
#[derive(Default)]
struct Table {
    names: HashMap<Box<str>, Entry, Fx>,
    by_form: HashMap<Arc<str>, usize, Fx>,
}

/// A name in a [`Table`].
struct Entry {
    form: Arc<str>,
    /// In the thread's own table: the number of [`with_names_in_play`] calls that put the
    /// name there (a name given twice to one call counts twice).
    count: usize,
}

impl Table {
    /// One more name with `form`: the form as kept in `by_form`.
    fn count_form(&mut self, form: Arc<str>) -> Arc<str> {
        use std::collections::hash_map::Entry::{Occupied, Vacant};
        match self.by_form.entry(form) {
            Occupied(mut o) => {
                *o.get_mut() += 1;
                o.key().clone()
            }
            Vacant(v) => {
                let kept = v.key().clone();
                v.insert(1);
                kept
            }
        }
    }
}

/// A table of names made once and then only read: a program's names, put in play for a whole
/// report and shared by the threads that print it. Names and forms are kept in one string and
/// found through [`Memo`]s of their numbers; each name's form is numbered, with the number
/// of names that have it. (A program of 10^5 layers has 6·10^5 names: 40 MB so, where maps
/// of boxed strings took 90.)
#[derive(Default)]
struct Frozen {
    text: String,
    /// Per name: where it is in `text`, and its form's number.
    names: Vec<(Piece, u32)>,
    /// Per form: where it is in `text`, and how many of the names have it.
    forms: Vec<(Piece, u32)>,
    name_index: Memo,
    form_index: Memo,
}

/// The string at `p` in `text` ([`Frozen::text`]).
fn piece(text: &str, p: Piece) -> &str {
    &text[p.start as usize..(p.start + p.len) as usize]
}

/// Where a string is in [`Frozen::text`].
#[derive(Clone, Copy)]
struct Piece {
    start: u32,
    len: u32,
}

impl Frozen {
    /// A table of `names` (each counted once).
    fn of(names: &[&str]) -> Self {
        let mut t = Frozen::default();
        t.names.reserve(names.len());
        for n in names {
            let (hash, near) = (hash32(*n), name_near(n));
            if t.name_index
                .find_near(hash, near, |i| t.name(i as usize) == *n)
                .is_some()
            {
                continue;
            }
            let name = t.push(n);
            let form = plain(n);
            let f = match t.form_number(&form) {
                Some(f) => {
                    t.forms[f].1 += 1;
                    f as u32
                }
                None => {
                    let at = t.push(&form);
                    t.forms.push((at, 1));
                    let Frozen {
                        text,
                        forms,
                        form_index,
                        ..
                    } = &mut t;
                    form_index.insert_near(hash32(&*form), name_near(&form), |i| {
                        name_near(piece(text, forms[i as usize].0))
                    });
                    (t.forms.len() - 1) as u32
                }
            };
            t.names.push((name, f));
            let Frozen {
                text,
                names,
                name_index,
                ..
            } = &mut t;
            name_index.insert_near(hash, near, |i| name_near(piece(text, names[i as usize].0)));
        }
        t
    }

    fn push(&mut self, s: &str) -> Piece {
        let start = u32::try_from(self.text.len()).expect("names under 4 GB");
        self.text.push_str(s);
        Piece {
            start,
            len: s.len() as u32,
        }
    }

    fn piece(&self, p: Piece) -> &str {
        piece(&self.text, p)
    }

    fn name(&self, i: usize) -> &str {
        self.piece(self.names[i].0)
    }

    /// The number of `name`, if it is one of the names.
    fn find(&self, name: &str) -> Option<usize> {
        let i = self
            .name_index
            .find_near(hash32(name), name_near(name), |i| {
                self.name(i as usize) == name
            })?;
        Some(i as usize)
    }

    fn contains(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// The form of name number `i`, and how many of the names have it.
    fn form(&self, i: usize) -> (&str, u32) {
        let (piece, count) = self.forms[self.names[i].1 as usize];
        (self.piece(piece), count)
    }

    /// The number of `form`, if one of the names has it.
    fn form_number(&self, form: &str) -> Option<usize> {
        let f = self
            .form_index
            .find_near(hash32(form), name_near(form), |f| {
                self.piece(self.forms[f as usize].0) == form
            })?;
        Some(f as usize)
    }

    /// How many of the names have `form`.
    fn count(&self, form: &str) -> u32 {
        self.form_number(form).map_or(0, |f| self.forms[f].1)
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        (0..self.names.len()).map(|i| self.name(i))
    }
}

/// The store's hasher: names are the user's own, not chosen to collide, and a large program's
/// report looks up hundreds of thousands of them.
type Fx = std::hash::BuildHasherDefault<crate::expr::FxHasher>;

/// The names in play on this thread: a shared base (a program's names, put in play for a
/// whole report, on each thread that renders part of it: [`NamesInPlay`]) and the thread's
/// own, put in play by [`with_names_in_play`] on top of it.
#[derive(Default)]
struct InPlay {
    base: Option<NamesInPlay>,
    own: Table,
}

impl InPlay {
    fn is_empty(&self) -> bool {
        self.base.is_none() && self.own.names.is_empty()
    }

    fn contains(&self, name: &str) -> bool {
        self.own.names.contains_key(name)
            || self.base.as_ref().is_some_and(|b| b.table().contains(name))
    }

    /// The LaTeX of a name in play: its form, spelt out when another name in play has it.
    fn latex(&self, name: &str) -> Option<String> {
        let base = self.base.as_ref().map(NamesInPlay::table);
        let own = |form: &str| self.own.by_form.get(form).copied().unwrap_or(0);
        let (form, count) = match self.own.names.get(name) {
            Some(e) => (
                &*e.form,
                own(&e.form) + base.map_or(0, |b| b.count(&e.form) as usize),
            ),
            None => {
                let (form, in_base) = base?.form(base?.find(name)?);
                (form, in_base as usize + own(form))
            }
        };
        Some(if count > 1 {
            spelled(name)
        } else {
            form.to_string()
        })
    }
}

thread_local! {
    static IN_PLAY: RefCell<InPlay> = RefCell::default();
}

/// Runs `f` with `names` in play, besides those already in play (an output sets the names of
/// its input; each formula adds its own): inside it, [`latex_name`] spells out the
/// names that would print like another name in play.
///
/// The cost is in the number of `names`, not in the number already in play: a report puts a
/// program's thousands of names in play once, and each formula printed in it adds its few.
pub fn with_names_in_play<T>(names: &[&str], f: impl FnOnce() -> T) -> T {
    // Names in play already (a program's, put in play for its whole report) need not be put
    // in play again, for each formula: that would change no name's LaTeX.
    if all_in_play(names) {
        return f();
    }
    // The first names put in play on this thread are a base, shared with the threads that
    // render part of the same output.
    if IN_PLAY.with(|p| p.borrow().is_empty()) {
        return NamesInPlay::new(names).run(f);
    }
    IN_PLAY.with(|p| {
        let mut p = p.borrow_mut();
        let InPlay { base, own } = &mut *p;
        own.names.reserve(names.len());
        for n in names {
            if let Some(e) = own.names.get_mut(*n) {
                e.count += 1;
                continue;
            }
            // A name of the base keeps its form, counted there, not again here.
            let table = base.as_ref().map(NamesInPlay::table);
            let form = match table.and_then(|b| Some(b.form(b.find(n)?).0)) {
                Some(form) => form.into(),
                None => own.count_form(plain(n).into()),
            };
            own.names.insert((*n).into(), Entry { form, count: 1 });
        }
    });
    // Take the names out of play again even if `f` panics (a caught panic leaves the thread
    // usable).
    struct Leave<'a>(&'a [&'a str]);
    impl Drop for Leave<'_> {
        fn drop(&mut self) {
            IN_PLAY.with(|p| {
                let InPlay { base, own } = &mut *p.borrow_mut();
                let in_base = |n: &str| base.as_ref().is_some_and(|b| b.table().contains(n));
                for n in self.0 {
                    let Some(e) = own.names.get_mut(*n) else {
                        continue;
                    };
                    e.count -= 1;
                    if e.count == 0
                        && let Some(e) = own.names.remove(*n)
                        && !in_base(n)
                        && let Some(k) = own.by_form.get_mut(&*e.form)
                    {
                        *k -= 1;
                        if *k == 0 {
                            own.by_form.remove(&*e.form);
                        }
                    }
                }
            });
        }
    }
    let _leave = Leave(names);
    f()
}

/// Names put in play together, which several threads can share: the threads that render parts
/// of one output ([`NamesInPlay::here`], then [`NamesInPlay::run`] on each), or a large
/// program's names made ready on a thread of their own while the work before the output is
/// done ([`NamesInPlay::building`]).
#[derive(Clone)]
pub struct NamesInPlay(Arc<Ready>);

/// A [`NamesInPlay`]'s table: made, or being made on a thread of its own.
struct Ready {
    table: std::sync::OnceLock<Frozen>,
    building: std::sync::Mutex<Option<std::thread::JoinHandle<Frozen>>>,
}

/// From how many names [`NamesInPlay::building`] makes their table on a thread of its own:
/// a thread costs tens of microseconds, a name about a microsecond.
const BUILD_APART: usize = 4096;

impl NamesInPlay {
    /// `names` ready to be put in play.
    pub fn new(names: &[&str]) -> Self {
        Self::made(Frozen::of(names))
    }

    fn made(table: Frozen) -> Self {
        NamesInPlay(Arc::new(Ready {
            table: table.into(),
            building: None.into(),
        }))
    }

    /// `names` to be put in play, a large list's table made on a thread of its own
    /// meanwhile (a program of 10^5 layers has 6·10^5 names): the first use of the names
    /// waits for it.
    pub fn building(names: Vec<String>) -> Self {
        fn table_of(names: &[String]) -> Frozen {
            Frozen::of(&names.iter().map(String::as_str).collect::<Vec<_>>())
        }
        if names.len() < BUILD_APART {
            return Self::made(table_of(&names));
        }
        let names = Arc::new(names);
        let theirs = names.clone();
        // The stack of every chainrule thread: a name's textbook form is found recursively,
        // part by part, and names have no length limit.
        match crate::parallel::thread().spawn(move || table_of(&theirs)) {
            Ok(handle) => NamesInPlay(Arc::new(Ready {
                table: std::sync::OnceLock::new(),
                building: Some(handle).into(),
            })),
            Err(_) => Self::made(table_of(&names)),
        }
    }

    /// The table, once made.
    fn table(&self) -> &Frozen {
        self.0.table.get_or_init(|| {
            let handle = self
                .0
                .building
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
            let handle = handle.expect("a table not made is being made");
            handle
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
    }

    /// The names in play on this thread now.
    pub fn here() -> Self {
        IN_PLAY.with(|p| {
            let p = p.borrow();
            match &p.base {
                Some(base) if p.own.names.is_empty() => base.clone(),
                base => {
                    let mut names: Vec<&str> = p.own.names.keys().map(|n| &**n).collect();
                    if let Some(b) = base {
                        names.extend(b.table().names());
                    }
                    NamesInPlay::new(&names)
                }
            }
        })
    }

    /// Runs `f` with these names in play (besides those already in play on this thread).
    pub fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        let installed = IN_PLAY.with(|p| {
            let mut p = p.borrow_mut();
            let empty = p.is_empty();
            if empty {
                p.base = Some(self.clone());
            }
            empty
        });
        if !installed {
            let names: Vec<&str> = self.table().names().collect();
            return with_names_in_play(&names, f);
        }
        struct Leave;
        impl Drop for Leave {
            fn drop(&mut self) {
                IN_PLAY.with(|p| *p.borrow_mut() = InPlay::default());
            }
        }
        let _leave = Leave;
        f()
    }
}

#[cfg(test)]
mod tests {
    use super::{latex_name, latex_names};

    #[test]
    fn textbook_forms() {
        for (name, tex) in [
            ("x", "x"),
            ("w1", "w_{1}"),
            ("w_1", "w_{1}"),
            ("w_in", "w_{\\mathrm{in}}"),
            ("ŷ", "\\hat{y}"),
            ("yhat", "\\hat{y}"),
            ("y_hat", "\\hat{y}"),
            ("δ_yhat", "\\delta_{\\hat{y}}"),
            ("δ_y_hat", "\\delta_{\\hat{y}}"),
            ("alpha", "\\alpha"),
            ("σ", "\\sigma"),
            ("ℓ", "\\ell"),
            ("loss", "\\mathrm{loss}"),
            ("x_", "\\mathrm{x\\_}"),
            ("x__", "\\mathrm{x\\_\\_}"),
            ("αβ", "\\mathrm{{\\alpha}{\\beta}}"),
            ("ωx", "\\mathrm{{\\omega}x}"),
            ("ŷ\u{302}", "\\mathrm{\\hat{\\hat{y}}}"),
        ] {
            assert_eq!(latex_name(name), tex, "{name}");
        }
    }

    /// The shortcut for a letter, `_` and a letter with digits gives what the general rules
    /// give.
    #[test]
    fn subscripted_names_as_the_rules_make_them() {
        for (name, tex) in [
            ("δ_x1", "\\delta_{x_{1}}"),
            ("δ_z10000", "\\delta_{z_{10000}}"),
            ("δ_E", "\\delta_{E}"),
            ("a_x12", "a_{x_{12}}"),
            ("ℓ_y", "\\ell_{y}"),
            ("δ_x_1", "\\delta_{x_{1}}"),
            ("ŷ_x1", "\\hat{y}_{x_{1}}"),
            ("δ_yhat", "\\delta_{\\hat{y}}"),
            ("ab_x1", "\\mathrm{ab\\_x1}"),
        ] {
            assert_eq!(latex_name(name), tex, "{name}");
        }
    }

    /// A frozen table counts a name given twice once, and the names sharing a form.
    #[test]
    fn frozen_tables_count_names_once_and_forms_by_name() {
        let t = super::Frozen::of(&["w1", "x", "w_1", "w1", "yhat", "ŷ", "y_hat"]);
        assert_eq!(
            t.names().collect::<Vec<_>>(),
            ["w1", "x", "w_1", "yhat", "ŷ", "y_hat"]
        );
        assert_eq!(t.form(t.find("w1").unwrap()), ("w_{1}", 2));
        assert_eq!(t.form(t.find("x").unwrap()), ("x", 1));
        assert_eq!(t.form(t.find("ŷ").unwrap()), ("\\hat{y}", 3));
        assert_eq!(
            (t.count("\\hat{y}"), t.count("w_{1}"), t.count("z")),
            (3, 2, 0)
        );
        assert!(t.contains("y_hat") && !t.contains("y") && t.find("w").is_none());
    }

    /// Another thread given the names in play here prints every name as this one does, the
    /// names a nested call added included; and nothing stays in play after.
    #[test]
    fn names_in_play_are_shared_with_another_thread() {
        use super::{NamesInPlay, with_names_in_play};
        let all = ["w1", "x", "yhat", "δ_x1", "w_1", "ŷ", "loss"];
        let here = |names: &NamesInPlay| names.run(|| all.map(latex_name));
        with_names_in_play(&["w1", "x", "yhat"], || {
            with_names_in_play(&["w_1", "δ_x1"], || {
                let mine = all.map(latex_name);
                assert_eq!(mine[0], "\\mathrm{w1}");
                assert_eq!(mine[2], "\\hat{y}");
                let shared = NamesInPlay::here();
                let theirs = std::thread::scope(|s| s.spawn(|| here(&shared)).join().unwrap());
                assert_eq!(mine, theirs);
            });
            assert_eq!(latex_name("w1"), "w_{1}");
            let shared = NamesInPlay::here();
            let theirs = std::thread::scope(|s| s.spawn(|| here(&shared)).join().unwrap());
            assert_eq!(all.map(latex_name), theirs);
        });
        assert_eq!(latex_name("ŷ"), "\\hat{y}");
        assert_eq!(latex_name("w_1"), "w_{1}");
    }

    /// A large list's table, made on a thread of its own, puts the same names in play.
    #[test]
    fn names_made_ready_apart_are_in_play() {
        use super::{BUILD_APART, NamesInPlay};
        let mut names: Vec<String> = (0..BUILD_APART).map(|k| format!("x{k}")).collect();
        names.extend(["w1".into(), "w_1".into(), "yhat".into()]);
        let got = NamesInPlay::building(names).run(|| ["w1", "w_1", "yhat", "x12"].map(latex_name));
        assert_eq!(
            got,
            ["\\mathrm{w1}", "\\mathrm{w\\_1}", "\\hat{y}", "x_{12}"]
        );
        assert_eq!(latex_name("w1"), "w_{1}");
    }

    /// A name's form is found part by part, recursively: the table made apart has the stack
    /// of every chainrule thread, not a default thread's 2 MiB, which a name of some thousands
    /// of parts overflowed, aborting the whole command (4000 in a debug build, 20 000 in a
    /// release build).
    #[test]
    fn a_long_name_made_ready_apart_does_not_overflow_the_stack() {
        use super::{BUILD_APART, NamesInPlay};
        let long = vec!["x"; 4_000].join("_");
        let mut names: Vec<String> = (0..BUILD_APART).map(|k| format!("w{k}")).collect();
        names.push(long.clone());
        let got = NamesInPlay::building(names).run(|| latex_name(&long));
        assert!(got.starts_with("x_{x_{x_{"), "{}", &got[..20]);
    }

    #[test]
    fn names_in_play_print_differently() {
        assert_eq!(
            latex_names(&["w1", "w_1", "x"]),
            ["\\mathrm{w1}", "\\mathrm{w\\_1}", "x"]
        );
        assert_eq!(
            latex_names(&["yhat", "ŷ"]),
            ["\\mathrm{yhat}", "\\mathrm{\\hat{y}}"]
        );
    }
}
