//! The tokenisation pycocoevalcap applies before every COCO metric.
//!
//! pycocoevalcap runs the Stanford CoreNLP 3.4.1 `PTBTokenizer` with `-preserveLines
//! -lowerCase` over each caption and then drops the tokens in [`COCO_PUNCTUATION`]. The Stanford
//! tokenizer is a large JFlex lexer; this module reimplements the part of it that English
//! clinical and caption text exercises, rule by rule, from the tokenizer's observable output:
//!
//! * whitespace separates tokens; brackets become `-LRB-`/`-RRB-`/`-LSB-`/`-RSB-`/`-LCB-`/
//!   `-RCB-` (lower-cased to `-lrb-` ..., which the COCO list, written in upper case, does
//!   *not* remove);
//! * words keep internal hyphens, slashes, `&` between capitals, and `.`/`,`/`:` between
//!   digits (`2.5`, `1,000`, `10:30`); a leading sign before a digit stays (`+5`, `-5`);
//! * a final period is split off unless the word is an abbreviation: a dotted acronym or single
//!   letter (`e.g.`, `x.`), a title or company abbreviation (`Dr.`, `etc.`, `vs.`), or a
//!   number-only abbreviation (`Fig.`, `No.`, `approx.`) followed by a number;
//! * an upper-case dotted acronym or a sentence-ending abbreviation followed by a capitalised
//!   word gets an extra `.` token (the lexer's sentence-boundary rule);
//! * quotes become `` ` `` `` `` `` `'` `''` by position, `—`/`–`/`--` become `--`, `…`/`...`
//!   become `...`, runs of `!`/`?` stay together, clitics split (`n't`, `'s`, `'ll`, ...), and
//!   `cannot`/`gonna`/`gotta`/`wanna`/`lemme`/`gimme`/`'tis` split in two.
//!
//! Inputs outside these rules (URLs, e-mail addresses, emoticons, SGML, unusual dot runs) may be
//! cut differently from the Stanford lexer; `docs/report-metrics.md` records the measured
//! agreement on the test and benchmark corpora.

use unicode_general_category::{GeneralCategory, get_general_category};

use super::Tokens;

/// The tokens pycocoevalcap removes after PTB tokenisation (its `PUNCTUATIONS` list).
pub const COCO_PUNCTUATION: [&str; 17] = [
    "''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".", "?", "!", ",", ":", "-", "--",
    "...", ";",
];

/// Tokenises one caption exactly as pycocoevalcap's `PTBTokenizer.tokenize` leaves it:
/// PTB tokens, lower-cased, with the COCO punctuation removed.
pub fn coco_tokenize(text: &str) -> Tokens {
    lex(text, true)
}

/// PTB tokens of one line, in their original case (before `-lowerCase`).
pub fn ptb_tokenize(text: &str) -> Tokens {
    lex(text, false)
}

fn lex(text: &str, coco: bool) -> Tokens {
    let tokens = Tokens::with_capacity(text.len());
    if text.is_ascii() {
        // Character rewriting leaves ASCII untouched, so an ASCII text is lexed straight from
        // its bytes (and its tokens copied from it).
        let mut lexer = Lexer {
            chars: text.as_bytes(),
            ascii_text: Some(text),
            pos: 0,
            tokens,
            coco,
        };
        lexer.run();
        return lexer.tokens;
    }
    let chars = normalize_characters(text);
    let mut lexer = Lexer {
        chars: &chars[..],
        ascii_text: None,
        pos: 0,
        tokens,
        coco,
    };
    lexer.run();
    lexer.tokens
}

/// A character of the text being lexed: a byte of an ASCII text, or a `char` of any other
/// (after [`normalize_characters`]). The lexer is written once over this trait and compiled
/// for both, so that ASCII text, the common case, needs no `Vec<char>` copy.
trait Unit: Copy {
    fn ch(self) -> char;
}

impl Unit for u8 {
    #[inline]
    fn ch(self) -> char {
        char::from(self)
    }
}

impl Unit for char {
    #[inline]
    fn ch(self) -> char {
        self
    }
}

/// Character-level rewrites of the Stanford lexer, applied before tokenising: currency signs
/// normalised (`€` -> `$`, `£` -> `#`, `¢` -> `cents`), guillemets turned into PTB quotes,
/// vulgar fractions spelled out, and the characters the lexer cannot tokenise (most currency
/// signs, Roman-numeral letters, emoji, several General Punctuation marks) deleted. Each
/// replacement is surrounded by spaces, as the lexer makes it a token of its own.
fn normalize_characters(text: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(text.len());
    let push_token = |out: &mut Vec<char>, token: &str| {
        out.push(' ');
        out.extend(token.chars());
        out.push(' ');
    };
    for c in text.chars() {
        // No ASCII character is rewritten or deleted; most report text is all ASCII.
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        match c {
            '€' | '¤' | '\u{20a0}' => push_token(&mut out, "$"),
            '£' => push_token(&mut out, "#"),
            '¢' => push_token(&mut out, "cents"),
            '«' => push_token(&mut out, "``"),
            '»' => push_token(&mut out, "''"),
            '‹' | '‛' => push_token(&mut out, "`"),
            '›' => push_token(&mut out, "'"),
            '¼' => push_token(&mut out, "1/4"),
            '½' => push_token(&mut out, "1/2"),
            '¾' => push_token(&mut out, "3/4"),
            '⅔' => push_token(&mut out, "2/3"),
            '\u{ad}' => push_token(&mut out, "-"),
            c if is_untokenizable(c) => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Characters the Stanford lexer 3.4.1 deletes (`-untokenizable firstDelete`), as observed.
fn is_untokenizable(c: char) -> bool {
    matches!(c,
        '\u{2010}'..='\u{2012}'
        | '\u{2024}' | '\u{2025}' | '\u{2027}'
        | '\u{203c}' | '\u{203d}' | '\u{2043}'
        | '\u{2045}'..='\u{205e}'
        | '\u{20a1}'..='\u{20a3}' | '\u{20a5}'..='\u{20ab}' | '\u{20ad}'..='\u{20bf}'
        | '\u{2151}'
        | '\u{2160}'..='\u{2188}'
        | '\u{1f000}'..='\u{1faff}')
}

struct Lexer<'a, U: Unit> {
    chars: &'a [U],
    /// The text itself when it is all ASCII (and `chars` its bytes), to copy tokens from.
    ascii_text: Option<&'a str>,
    pos: usize,
    tokens: Tokens,
    /// Lower-case tokens and drop the COCO punctuation as they are emitted.
    coco: bool,
}

impl<U: Unit> Lexer<'_, U> {
    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).map(|u| u.ch())
    }

    fn starts_with(&self, s: &str) -> bool {
        (self.pos..)
            .zip(s.chars())
            .all(|(i, c)| self.at(i) == Some(c))
    }

    fn starts_with_ignore_case(&self, s: &str) -> bool {
        (self.pos..)
            .zip(s.chars())
            .all(|(i, c)| self.at(i).map(|d| d.to_ascii_lowercase()) == Some(c))
    }

    /// True when the current position begins a token (line start, after whitespace or after
    /// an opening bracket or quote).
    fn at_token_start(&self) -> bool {
        self.pos == 0
            || self
                .at(self.pos - 1)
                .is_some_and(|c| c.is_whitespace() || matches!(c, '(' | '[' | '{' | '"' | '“'))
    }

    fn emit(&mut self, token: &str) {
        self.tokens.push(token);
        self.finish_token();
    }

    /// Emits the characters `start..end` as one token.
    fn emit_range(&mut self, start: usize, end: usize) {
        if let (true, Some(text)) = (self.coco, self.ascii_text) {
            // The common case: the token copied from the text and lower-cased in place, the
            // same result as `finish_token`'s Unicode lower-casing, which only differs from
            // the ASCII one outside ASCII.
            self.tokens.push_ascii_lowercase(&text[start..end]);
            self.drop_coco_punctuation();
            return;
        }
        self.tokens
            .push_chars(self.chars[start..end].iter().map(|u| u.ch()));
        self.finish_token();
    }

    /// pycocoevalcap's post-processing of the token just pushed: lower-case it and drop it if
    /// it is COCO punctuation.
    fn finish_token(&mut self) {
        if self.coco {
            self.tokens.lowercase_last();
            self.drop_coco_punctuation();
        }
    }

    /// Drops the token just pushed (already lower-cased) if it is COCO punctuation.
    fn drop_coco_punctuation(&mut self) {
        let last = self.tokens.last();
        let may_be_punctuation = matches!(
            last.as_bytes().first(),
            Some(b'\'' | b'`' | b'-' | b'.' | b'?' | b'!' | b',' | b':' | b';')
        );
        if may_be_punctuation && COCO_PUNCTUATION.contains(&last) {
            self.tokens.pop();
        }
    }

    fn run(&mut self) {
        while let Some(c) = self.at(self.pos) {
            if c.is_whitespace() {
                self.pos += 1;
                continue;
            }
            self.next_token(c);
        }
    }

    fn next_token(&mut self, c: char) {
        // Multi-character punctuation first (`c` is the current character: checking it first
        // spares most tokens the comparisons).
        if c == '.' && self.starts_with("...") {
            let mut end = self.pos;
            while self.at(end) == Some('.') {
                end += 1;
            }
            self.pos = end;
            return self.emit("...");
        }
        if c == '-' && self.starts_with("--") {
            let mut end = self.pos;
            while self.at(end) == Some('-') {
                end += 1;
            }
            self.pos = end;
            return self.emit("--");
        }
        if (c == '`' && self.starts_with("``")) || (c == '\'' && self.starts_with("''")) {
            self.pos += 2;
            return self.emit_range(self.pos - 2, self.pos);
        }
        match c {
            '…' => {
                self.pos += 1;
                return self.emit("...");
            }
            '—' | '–' | '―' => {
                self.pos += 1;
                return self.emit("--");
            }
            '(' => return self.single("-LRB-"),
            ')' => return self.single("-RRB-"),
            '[' => return self.single("-LSB-"),
            ']' => return self.single("-RSB-"),
            '{' => return self.single("-LCB-"),
            '}' => return self.single("-RCB-"),
            '“' => return self.single("``"),
            '”' => return self.single("''"),
            '‘' => return self.single("`"),
            '"' => {
                let token = if self.at_token_start() { "``" } else { "''" };
                return self.single(token);
            }
            '!' | '?' => {
                let mut end = self.pos;
                while matches!(self.at(end), Some('!' | '?')) {
                    end += 1;
                }
                let start = std::mem::replace(&mut self.pos, end);
                return self.emit_range(start, end);
            }
            '*' | '_' | '#' => {
                let mut end = self.pos;
                while self.at(end) == Some(c) {
                    end += 1;
                }
                let start = std::mem::replace(&mut self.pos, end);
                return self.emit_range(start, end);
            }
            '\'' | '’' => return self.apostrophe(),
            '+' | '-'
                if self.at_token_start()
                    && self.at(self.pos + 1).is_some_and(|d| d.is_ascii_digit()) =>
            {
                return self.word();
            }
            _ => {}
        }
        if is_word_char(c) {
            return self.word();
        }
        self.single_char();
    }

    fn single(&mut self, token: &str) {
        self.pos += 1;
        self.emit(token);
    }

    fn single_char(&mut self) {
        self.pos += 1;
        self.emit_range(self.pos - 1, self.pos);
    }

    /// An apostrophe that does not sit inside a word: a clitic (`'s`, `'ll`, `'tis`), an
    /// opening single quote, or a closing one.
    fn apostrophe(&mut self) {
        if self.at_token_start() {
            for (clitic, rest) in [("'tis", "is"), ("'twas", "was")] {
                if self.starts_with_ignore_case(clitic)
                    && !self.word_char_at(self.pos + clitic.len())
                {
                    let start = self.pos;
                    self.pos += 2 + rest.len();
                    self.emit_range(start, start + 2);
                    return self.emit_range(start + 2, self.pos);
                }
            }
            if self.word_char_at(self.pos + 1) {
                return self.single("`");
            }
        }
        if let Some(len) = self.clitic_len() {
            self.pos += len;
            return self.emit_range(self.pos - len, self.pos);
        }
        self.single("'")
    }

    fn word_char_at(&self, i: usize) -> bool {
        self.at(i).is_some_and(is_word_char)
    }

    /// Length of a clitic (`'s`, `'m`, `'d`, `'re`, `'ve`, `'ll`) starting at the current
    /// apostrophe and ending the word.
    fn clitic_len(&self) -> Option<usize> {
        for clitic in ["ll", "re", "ve", "s", "m", "d"] {
            let start = self.pos + 1;
            let matches = clitic
                .chars()
                .enumerate()
                .all(|(k, c)| self.at(start + k).map(|d| d.to_ascii_lowercase()) == Some(c));
            if matches && !self.word_char_at(start + clitic.len()) {
                return Some(1 + clitic.len());
            }
        }
        None
    }

    /// A word or number, with its trailing clitic or abbreviation period handled.
    fn word(&mut self) {
        let start = self.pos;
        let mut end = start + 1;
        while let Some(c) = self.at(end) {
            if c.is_ascii_alphanumeric() {
                // A word character: joins whatever surrounds it.
                end += 1;
                continue;
            }
            let prev = self.chars[end - 1].ch();
            let next = self.at(end + 1);
            let joins = if is_word_char(c) {
                true
            } else {
                match c {
                    '-' | '/' => next.is_some_and(is_word_char) && is_word_char(prev),
                    '.' => {
                        next.is_some_and(char::is_alphanumeric)
                            && prev.is_alphanumeric()
                            && !(next.is_some_and(|n| n.is_alphabetic()) && prev.is_ascii_digit())
                    }
                    ',' | ':' => prev.is_ascii_digit() && next.is_some_and(|n| n.is_ascii_digit()),
                    '&' => prev.is_uppercase() && next.is_some_and(char::is_uppercase),
                    '\'' | '’' => self.inner_apostrophe(start, end) || self.negation_clitic(end),
                    _ => false,
                }
            };
            if !joins {
                break;
            }
            end += 1;
        }
        // A number followed directly by letters splits (`0.5mm`, `1.5x`) when the number has
        // a decimal point; plain alphanumerics (`3x4`, `2nd`) stay whole.
        let end = split_decimal_unit(&self.chars[start..end]).map_or(end, |n| start + n);
        self.pos = end;
        if self.at(end) == Some('.') && self.at(end + 1) != Some('.') {
            self.period_after(start);
            return;
        }
        self.emit_word(start, end);
    }

    /// Whether the apostrophe at `i` stays inside the word that started at `start`
    /// (`o'clock`, `d'Amato`).
    fn inner_apostrophe(&self, start: usize, i: usize) -> bool {
        let first = self.chars[start].ch();
        i == start + 1
            && first.is_alphabetic()
            && !matches!(first, 'I' | 'Y' | 'y' | 'i')
            && self.word_char_at(i + 1)
            && self.word_char_at(i + 2)
            && self.word_char_at(i + 3)
    }

    /// Whether the apostrophe at `i` is the one of a final `n't` (`can't`, `don't`).
    fn negation_clitic(&self, i: usize) -> bool {
        matches!(self.chars[i - 1].ch(), 'n' | 'N')
            && matches!(self.at(i + 1), Some('t' | 'T'))
            && !self.word_char_at(i + 2)
    }

    /// Splits clitics and assimilations off the word `start..end` and emits the pieces.
    fn emit_word(&mut self, start: usize, end: usize) {
        let word = &self.chars[start..end];
        let split = if word.len() < 4 {
            None
        } else if [
            "cannot", "gonna", "gotta", "wanna", "lemme", "gimme", "dunno",
        ]
        .iter()
        .any(|whole| eq_ignore_ascii_case(word, whole))
        {
            Some(3)
        } else {
            let n = word.len();
            let tail = &word[n - 3..];
            (matches!(tail[0].ch(), 'n' | 'N')
                && matches!(tail[1].ch(), '\'' | '’')
                && matches!(tail[2].ch(), 't' | 'T'))
            .then_some(n - 3)
        };
        match split {
            Some(k) => {
                self.emit_range(start, start + k);
                self.emit_range(start + k, end);
            }
            None => self.emit_range(start, end),
        }
    }

    /// Handles the period right after the word that started at `start` (the period is at
    /// `self.pos`): kept for abbreviations, split off otherwise.
    fn period_after(&mut self, start: usize) {
        let end = self.pos;
        let next_start = self.next_non_space(end + 1);
        let next_char = next_start.and_then(|i| self.at(i));
        let followed_by_space_or_end = self.at(end + 1).is_none_or(char::is_whitespace);
        if !followed_by_space_or_end {
            // `normal.Lungs` or `a.b` stay one token in the lexer.
            let mut joined_end = end + 1;
            while self.at(joined_end).is_some_and(is_word_char) {
                joined_end += 1;
            }
            if joined_end > end + 1 {
                self.pos = joined_end;
                return self.emit_word(start, joined_end);
            }
            return self.emit_word(start, end);
        }
        let next_is_number = next_char.is_some_and(|c| c.is_ascii_digit());
        let next_is_capital = next_char.is_some_and(char::is_uppercase);
        let word = &self.chars[start..end];
        match abbreviation_kind(word) {
            Some(kind) if kind != AbbrevKind::BeforeNumber || next_is_number => {
                let sentence_end = match kind {
                    AbbrevKind::SentenceFinal => true,
                    AbbrevKind::Acronym => {
                        word.iter().filter(|u| u.ch().is_alphabetic()).count() > 1
                            && word.iter().all(|u| u.ch().is_uppercase() || u.ch() == '.')
                    }
                    _ => false,
                };
                self.pos += 1;
                self.emit_range(start, end + 1);
                if sentence_end && next_is_capital {
                    self.emit(".");
                }
            }
            _ => {
                self.emit_word(start, end);
                self.single(".");
            }
        }
    }

    fn next_non_space(&self, mut i: usize) -> Option<usize> {
        while let Some(c) = self.at(i) {
            if !c.is_whitespace() {
                return Some(i);
            }
            i += 1;
        }
        None
    }
}

/// Letters, digits and combining marks of any script.
fn is_word_char(c: char) -> bool {
    // ASCII has no combining marks; answering it here skips the category table lookup that
    // every word boundary (a space, a period) would otherwise pay.
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    c.is_alphanumeric()
        || matches!(
            get_general_category(c),
            GeneralCategory::NonspacingMark
                | GeneralCategory::SpacingMark
                | GeneralCategory::EnclosingMark
        )
}

fn eq_ignore_ascii_case<U: Unit>(word: &[U], ascii: &str) -> bool {
    word.len() == ascii.len()
        && word
            .iter()
            .zip(ascii.chars())
            .all(|(w, a)| w.ch().to_ascii_lowercase() == a)
}

/// `0.5mm`: the length of a decimal number glued to a unit, when the word is one.
fn split_decimal_unit<U: Unit>(word: &[U]) -> Option<usize> {
    let digits_end = word.iter().position(|u| {
        let c = u.ch();
        !(c.is_ascii_digit() || matches!(c, '.' | ',' | '+' | '-'))
    })?;
    let number = &word[..digits_end];
    (number.iter().any(|u| u.ch() == '.')
        && number.last().is_some_and(|u| u.ch().is_ascii_digit())
        && word[digits_end..].iter().all(|u| u.ch().is_alphabetic()))
    .then_some(digits_end)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AbbrevKind {
    /// A dotted acronym or single letter (`e.g`, `U.S`, `x`).
    Acronym,
    /// Usually followed by a lower-case word; a capital after it marks a sentence end.
    SentenceFinal,
    /// Titles and similar, normally followed by a name.
    Title,
    /// Only an abbreviation before a number (`Fig. 2`, `No. 5`).
    BeforeNumber,
}

fn abbreviation_kind<U: Unit>(word: &[U]) -> Option<AbbrevKind> {
    if is_dotted_acronym(word) {
        return Some(AbbrevKind::Acronym);
    }
    // Every listed abbreviation is ASCII and at most 8 characters long, so a word that is not
    // can be rejected without building its lower-case form.
    if word.len() > 8 || !word.iter().all(|u| u.ch().is_ascii()) {
        return None;
    }
    let mut buffer = [0u8; 8];
    for (b, u) in buffer.iter_mut().zip(word) {
        *b = u.ch().to_ascii_lowercase() as u8;
    }
    let lower = std::str::from_utf8(&buffer[..word.len()]).ok()?;
    listed_abbreviation(lower)
}

/// The Stanford lexer's abbreviation lists, lower-cased (a `match` compiles to a length switch
/// and a few comparisons instead of scanning ~150 strings per sentence end).
fn listed_abbreviation(lower: &str) -> Option<AbbrevKind> {
    Some(match lower {
        "jan" | "feb" | "mar" | "apr" | "jun" | "jul" | "aug" | "sep" | "sept" | "oct" | "nov"
        | "dec" | "mon" | "tue" | "tues" | "wed" | "thu" | "thurs" | "fri" | "ala" | "ariz"
        | "ark" | "calif" | "colo" | "conn" | "dak" | "fla" | "ind" | "kan" | "kans" | "ky"
        | "md" | "mich" | "minn" | "mont" | "neb" | "nev" | "okla" | "tenn" | "vt" | "wis"
        | "wisc" | "wyo" | "inc" | "co" | "cos" | "corp" | "ltd" | "plc" | "bancorp" | "bhd"
        | "assn" | "univ" | "intl" | "sys" | "est" | "ext" | "sq" | "jr" | "bros" | "esq"
        | "etc" | "al" | "seq" | "bldg" => AbbrevKind::SentenceFinal,
        "mr" | "mrs" | "ms" | "dr" | "drs" | "prof" | "profs" | "sen" | "sens" | "rep" | "reps"
        | "atty" | "attys" | "lt" | "col" | "gen" | "messrs" | "gov" | "govs" | "adm" | "rev"
        | "maj" | "sgt" | "cpl" | "pvt" | "capt" | "st" | "ste" | "ave" | "pres" | "lieut"
        | "hon" | "brig" | "cmdr" | "comdr" | "pfc" | "spc" | "supt" | "supts" | "det" | "mt"
        | "ft" | "adj" | "adv" | "asst" | "assoc" | "ens" | "insp" | "mlle" | "mme" | "msgr"
        | "sfc" | "sr" | "vs" | "alex" | "wm" | "jos" | "cie" | "cf" | "treas" | "ph" | "invt"
        | "elec" | "natl" | "mfg" | "mtg" | "dept" | "blvd" | "rd" | "a.k.a" | "ph.d" | "ed.d" => {
            AbbrevKind::Title
        }
        "ca" | "fig" | "figs" | "no" | "nos" | "art" | "arts" | "pp" | "op" => {
            AbbrevKind::BeforeNumber
        }
        _ => return None,
    })
}

/// `x`, `e.g`, `U.S`: ASCII letters separated by single dots.
fn is_dotted_acronym<U: Unit>(word: &[U]) -> bool {
    let mut expect_letter = true;
    for c in word.iter().map(|u| u.ch()) {
        if expect_letter {
            if !c.is_ascii_alphabetic() {
                return false;
            }
        } else if c != '.' {
            return false;
        }
        expect_letter = !expect_letter;
    }
    !expect_letter
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coco(s: &str) -> String {
        coco_tokenize(s).join(" ")
    }

    #[test]
    fn original_case_before_lowercasing() {
        assert_eq!(
            ptb_tokenize("Dr. Smith (left).").join(" "),
            "Dr. Smith -LRB- left -RRB- ."
        );
    }

    // Expected outputs were read off Stanford CoreNLP 3.4.1 `PTBTokenizer -preserveLines
    // -lowerCase` and then filtered with the COCO punctuation list.
    #[test]
    fn radiology_sentences() {
        assert_eq!(
            coco("The heart size is normal. No pleural effusion, pneumothorax, or consolidation."),
            "the heart size is normal no pleural effusion pneumothorax or consolidation"
        );
        assert_eq!(
            coco("Dr. Smith's report (see prior) shows a 2.5 cm nodule; it's \"stable\"."),
            "dr. smith 's report -lrb- see prior -rrb- shows a 2.5 cm nodule it 's stable"
        );
        assert_eq!(
            coco("1. Lungs are clear. 2. No effusion."),
            "1 lungs are clear 2 no effusion"
        );
    }

    #[test]
    fn abbreviations_keep_their_period() {
        assert_eq!(
            coco("e.g. vs. U.S. x. etc. Fig. 2."),
            "e.g. vs. u.s. x. etc. fig. 2"
        );
        assert_eq!(coco("approx. vs. no. more"), "approx vs. no more");
        assert_eq!(
            coco("approx. 3 cm, no. 5, vol. 2"),
            "approx 3 cm no. 5 vol 2"
        );
        assert_eq!(coco("The U.S. The end"), "the u.s. the end");
    }

    #[test]
    fn clitics_and_assimilations_split() {
        assert_eq!(
            coco("Can't won't I'm you'll cannot gonna o'clock"),
            "ca n't wo n't i 'm you 'll can not gon na o'clock"
        );
    }

    #[test]
    fn numbers_and_symbols() {
        assert_eq!(
            coco("50% $100 3/4 1,000 10:30 0.5mm 5-10 T4-5 +5 x-ray"),
            "50 % $ 100 3/4 1,000 10:30 0.5 mm 5-10 t4-5 +5 x-ray"
        );
        assert_eq!(
            coco("mild -- no acute disease!?"),
            "mild no acute disease !?"
        );
        assert_eq!(coco(""), "");
        assert_eq!(
            coco("€5 £5 ¢5 ₹5 «a» ½ \u{2010} 😀"),
            "$ 5 # 5 cents 5 5 a 1/2"
        );
    }
}
