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
//! * a word starting with a letter keeps letters, digits and `.`/`!`/`?` between letters
//!   (`normal.Lungs`, `e.g`); a number keeps `.`/`,`/`:` between digits and may open with one
//!   (`2.5`, `1,000`, `,786.2`, `.5`) or a sign (`+5`), and ends before letters once it has a
//!   separator (`0.5mm`, `12:30pm`), so `1.Lucency` is `1`, `.`, `Lucency` and `V70.0` is
//!   `V70`, `.0`; hyphens join parts (`x-ray`, `2.5cm-thick`); at most three parts join by
//!   slashes, and only undotted ones (`a/b/c`, but `16.2 / 24.7`); `5 1/2` and SGML tags are
//!   single tokens with non-breaking spaces; `&amp;`, `&lt;`, `&gt;` become `&`, `<`, `>`;
//! * a final period is split off unless the word is an abbreviation: a dotted acronym or single
//!   letter (`e.g.`, `x.`, but `x. The` splits), a title, state or company abbreviation
//!   (`Dr.`, `etc.`, `vs.`, `CT.`, `PA.` but not `pa.`), or a number-only abbreviation
//!   (`Fig.`, `No.`) followed by a number; `word.` before `,` `;` `:` keeps its period;
//! * an upper-case dotted acronym or a sentence-ending abbreviation followed by a capitalised
//!   word gets an extra `.` token (the lexer's sentence-boundary rule);
//! * quotes become `` ` `` `` `` `` `'` `''` by position, `—`/`–`/`--` become `--`, `…`/`...`
//!   become `...`, runs of `!`/`?` stay together, clitics split (`n't`, `'s`, `'ll`, ...), and
//!   `cannot`/`gonna`/`gotta`/`wanna`/`lemme`/`gimme`/`'tis` split in two.
//!
//! Inputs outside these rules (URLs, e-mail addresses, emoticons, unusual dot runs, punctuation
//! glued between unrelated words) may be cut differently from the Stanford lexer;
//! `docs/report-metrics.md` records the measured agreement (every section of the 3,955 IU
//! chest X-ray reports tokenises identically).

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
            // A signed number (the lexer's NUMBER rule applies wherever a token starts).
            '+' | '-' if self.number_follows(self.pos + 1) => {
                return self.word();
            }
            // A number may open with its separator (`,786.2`, `.5`): the lexer's NUMBER
            // rule, longer than the lone punctuation mark.
            '.' | ',' | ':' if self.at(self.pos + 1).is_some_and(|d| d.is_ascii_digit()) => {
                return self.word();
            }
            '<' if self
                .at(self.pos + 1)
                .is_some_and(|d| d.is_ascii_alphabetic() || d == '!' || d == '/') =>
            {
                if let Some(end) = self.sgml_end() {
                    return self.emit_spaced(self.pos, end);
                }
            }
            '&' => {
                for (entity, token) in [("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">")] {
                    if self.starts_with_ignore_case(entity) {
                        self.pos += entity.len();
                        return self.emit(token);
                    }
                }
                if self.starts_with_ignore_case("&quot;") {
                    let token = if self.at_token_start() { "``" } else { "''" };
                    self.pos += "&quot;".len();
                    return self.emit(token);
                }
            }
            '@' if self
                .at(self.pos + 1)
                .is_some_and(|d| d.is_ascii_alphabetic() || d == '_') =>
            {
                let mut end = self.pos + 1;
                while self
                    .at(end)
                    .is_some_and(|d| d.is_ascii_alphanumeric() || d == '_')
                {
                    end += 1;
                }
                let start = std::mem::replace(&mut self.pos, end);
                return self.emit_range(start, end);
            }
            _ => {}
        }
        if is_word_char(c) {
            return self.word();
        }
        self.single_char();
    }

    /// Whether a number starts at `i`: a digit, or a separator and a digit.
    fn number_follows(&self, i: usize) -> bool {
        match self.at(i) {
            Some(d) if d.is_ascii_digit() => true,
            Some('.' | ',' | ':') => self.at(i + 1).is_some_and(|d| d.is_ascii_digit()),
            _ => false,
        }
    }

    /// End (exclusive) of an SGML tag starting at the current `<`: `<` or `</`, a letter or
    /// `!`, anything but `>`, then `>`.
    fn sgml_end(&self) -> Option<usize> {
        let mut i = self.pos + 1;
        if self.at(i) == Some('/') {
            i += 1;
        }
        if !self
            .at(i)
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '!')
        {
            return None;
        }
        while let Some(c) = self.at(i) {
            if c == '>' {
                return Some(i + 1);
            }
            i += 1;
        }
        None
    }

    /// Emits `start..end` as one token with its spaces made non-breaking, as the lexer does
    /// for the tokens that may contain spaces (SGML tags, fractions like `5 1/2`).
    fn emit_spaced(&mut self, start: usize, end: usize) {
        self.pos = end;
        let token: String = self.chars[start..end]
            .iter()
            .map(|u| if u.ch() == ' ' { '\u{a0}' } else { u.ch() })
            .collect();
        self.tokens.push(&token);
        self.finish_token();
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
            // `'s` standing alone is a clitic (the lexer's REDAUX rule precedes its opening
            // quote rule); `'sick` opens a quotation.
            if self.word_char_at(self.pos + 1) && self.clitic_len().is_none() {
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

    /// A word or number, with its trailing clitic or period handled.
    fn word(&mut self) {
        let start = self.pos;
        let mut shape = Shape::new(self.chars[start].ch());
        let mut end = start + 1;
        while let Some(c) = self.at(end) {
            let prev = self.chars[end - 1].ch();
            let next = self.at(end + 1);
            let joins = match c {
                '\'' | '’' => self.inner_apostrophe(start, end) || self.negation_clitic(end),
                c => shape.extends(c, prev, next),
            };
            if !joins {
                break;
            }
            shape.push(c, next);
            end += 1;
        }
        // `5 1/2` is one token (the lexer's fraction rule) when longer than the word.
        if let Some(fraction_end) = self.fraction_end(start)
            && fraction_end > end
        {
            return self.emit_spaced(start, fraction_end);
        }
        // An e-mail-like token (`name@host`, anything but spaces, quotes, brackets and bars on
        // either side of the `@`) is one token when longer.
        if let Some(email_end) = self.email_end(start)
            && email_end > end
        {
            self.pos = email_end;
            return self.emit_range(start, email_end);
        }
        // So is a hyphenated compound whose first part has dots or commas (`2.5cm-thick`,
        // `COPD.-5`), when longer.
        if let Some(compound_end) = self.hyphenated_end(start)
            && compound_end > end
        {
            end = compound_end;
            shape = Shape::new('-');
            shape.hyphen = true;
            shape.numeric = false;
            shape.separators = false;
        }
        self.pos = end;
        if self.at(end) == Some('.') {
            return self.period_after(start, shape);
        }
        self.emit_word(start, end);
    }

    /// End (exclusive) of the lexer's EMAIL at `start`: an ASCII letter or digit, any run of
    /// characters other than spaces, `"`, `<`, `>`, `|`, brackets, then `@` and dot-separated
    /// parts of such characters.
    fn email_end(&self, start: usize) -> Option<usize> {
        let allowed = |c: char| {
            !(c.is_whitespace() || matches!(c, '"' | '<' | '>' | '|' | '(' | ')' | '\u{a0}'))
        };
        if !self.at(start).is_some_and(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        let mut i = start + 1;
        while self.at(i).is_some_and(|c| allowed(c) && c != '@') {
            i += 1;
        }
        if self.at(i) != Some('@') {
            return None;
        }
        let mut end = None;
        loop {
            let part = i + 1;
            i = part;
            while self.at(i).is_some_and(|c| allowed(c) && c != '.') {
                i += 1;
            }
            if i == part {
                return end;
            }
            end = Some(i);
            if self.at(i) != Some('.') {
                return end;
            }
        }
    }

    /// End (exclusive) of the lexer's HTHING at `start`: an ASCII letter or digit, letters,
    /// digits, dots and commas, then one or more hyphen-joined parts of letters and digits.
    fn hyphenated_end(&self, start: usize) -> Option<usize> {
        let alnum = |i: usize| self.at(i).is_some_and(|c| c.is_ascii_alphanumeric());
        if !alnum(start) {
            return None;
        }
        let mut i = start + 1;
        while self
            .at(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ','))
        {
            i += 1;
        }
        let mut end = None;
        while self.at(i) == Some('-') && alnum(i + 1) {
            i += 1;
            while alnum(i) {
                i += 1;
            }
            end = Some(i);
        }
        end
    }

    /// End (exclusive) of a fraction with a whole part (`5 1/2`, `5-1/2`) at `start`: up to
    /// four digits, a space or hyphen, up to four digits, `/`, up to four digits.
    fn fraction_end(&self, start: usize) -> Option<usize> {
        let digits = |from: usize| {
            let mut i = from;
            while i < from + 4 && self.at(i).is_some_and(|d| d.is_ascii_digit()) {
                i += 1;
            }
            (i > from).then_some(i)
        };
        let whole = digits(start)?;
        if !matches!(self.at(whole), Some(' ' | '-' | '\u{a0}')) {
            return None;
        }
        let numerator = digits(whole + 1)?;
        if self.at(numerator) != Some('/') {
            return None;
        }
        digits(numerator + 1)
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
    /// `self.pos`): kept for abbreviations and before `,` `;` `:`, split off otherwise.
    fn period_after(&mut self, start: usize, shape: Shape) {
        let end = self.pos;
        let after = self.at(end + 1);
        let kind = abbreviation_kind(&self.chars[start..end]);
        let keep = match (kind, after) {
            // Only an abbreviation before a number, with at most one space between.
            (Some(AbbrevKind::BeforeNumber), _) => {
                self.number_follows(end + 1)
                    || (after.is_some_and(char::is_whitespace) && self.number_follows(end + 2))
            }
            (Some(AbbrevKind::Acronym), None) => true,
            (Some(AbbrevKind::Acronym), Some(c)) if c.is_whitespace() => {
                !self.single_letter_before_sentence_opener(start, end)
            }
            (Some(_), _) => true,
            // `word.,` keeps its period (`e.g.,`, `2.,`) unless the word is a decimal number
            // or has a slash.
            (None, Some(',' | ';' | ':')) => !shape.separators && shape.slashes == 0,
            (None, _) => false,
        };
        if !keep {
            self.emit_word(start, end);
            // A period followed by a space or the end is a token of its own; any other is
            // lexed again (it may open a number, `.5`).
            if after.is_none_or(char::is_whitespace) {
                self.single(".");
            }
            return;
        }
        self.pos += 1;
        self.emit_range(start, end + 1);
        // The lexer's sentence-boundary rule: a sentence-final abbreviation or an upper-case
        // acronym followed by a capitalised word also ends the sentence.
        let word = &self.chars[start..end];
        let sentence_end = match kind {
            Some(AbbrevKind::SentenceFinal) => true,
            Some(AbbrevKind::Acronym) => {
                word.iter().filter(|u| u.ch().is_alphabetic()).count() > 1
                    && word.iter().all(|u| u.ch().is_uppercase() || u.ch() == '.')
            }
            _ => false,
        };
        let followed_by_space = after.is_some_and(char::is_whitespace);
        let next_is_capital = self
            .next_non_space(end + 1)
            .and_then(|i| self.at(i))
            .is_some_and(char::is_uppercase);
        if sentence_end && followed_by_space && next_is_capital {
            self.emit(".");
        }
    }

    /// `x. The`: a one-letter acronym followed by a word that usually opens a sentence is a
    /// letter and a period (the lexer's acronym rule; the word list is case-sensitive in its
    /// first letter).
    fn single_letter_before_sentence_opener(&self, start: usize, end: usize) -> bool {
        if end - start != 1 {
            return false;
        }
        let Some(from) = self.next_non_space(end + 1) else {
            return false;
        };
        let mut to = from;
        while self.at(to).is_some_and(|c| !c.is_whitespace()) {
            to += 1;
        }
        let word: String = self.chars[from..to].iter().map(|u| u.ch()).collect();
        let mut letters = word.chars();
        let first_upper = letters.next().is_some_and(|c| c.is_ascii_uppercase());
        first_upper && SENTENCE_OPENERS.contains(&word.to_ascii_lowercase().as_str())
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

/// What the token being lexed looks like so far, which decides what may extend it: the
/// lexer's WORD (letters, digits, and `.` `!` `?` between letters), NUMBER (digits and `.`
/// `,` `:` between digits), THING3 (up to three parts joined by `/`) and HTHING (parts joined
/// by hyphens) rules, followed in one pass.
#[derive(Debug, Clone, Copy)]
struct Shape {
    starts_with_letter: bool,
    /// Only digits, number separators and a leading sign so far.
    numeric: bool,
    /// A number separator (`.` `,` `:`) was joined.
    separators: bool,
    /// The token opened with `+` or `-`.
    signed: bool,
    hyphen: bool,
    /// A hyphen followed by a digit was joined (`T4-5`): no slash may follow.
    hyphen_digit: bool,
    slashes: u8,
    /// A `.`, `!` or `?` was joined between letters (`e.g`, `normal.Lungs`).
    dotted: bool,
    /// Only ASCII capitals so far (what may open `AT&T`).
    capitals: bool,
    /// An `&` or `+` was joined between capitals (`AT&T`): only capitals may follow.
    ampersand: bool,
    /// A hyphen was joined after a slash: digits may not follow.
    letters_only: bool,
}

impl Shape {
    fn new(first: char) -> Self {
        Self {
            starts_with_letter: first.is_alphabetic(),
            numeric: first.is_ascii_digit() || matches!(first, '+' | '-' | '.' | ',' | ':'),
            separators: matches!(first, '.' | ',' | ':'),
            signed: matches!(first, '+' | '-'),
            hyphen: false,
            hyphen_digit: false,
            slashes: 0,
            dotted: false,
            capitals: first.is_ascii_uppercase(),
            ampersand: false,
            letters_only: false,
        }
    }

    /// Whether `c` (between `prev` and `next`) extends the token.
    fn extends(&self, c: char, prev: char, next: Option<char>) -> bool {
        if self.ampersand {
            // The lexer's THINGA: capitals joined by `&` or `+`, nothing else.
            return c.is_ascii_uppercase()
                || (matches!(c, '&' | '+') && next.is_some_and(|n| n.is_ascii_uppercase()));
        }
        if c.is_ascii_digit() {
            return !self.letters_only;
        }
        if is_word_char(c) {
            // A number with a separator or a sign ends before letters (`0.5mm`, `10:30pm`,
            // `+5a`); plain alphanumerics stay whole (`10cm`, `2nd`).
            return !(self.numeric && (self.separators || self.signed));
        }
        let next_is_word = next.is_some_and(is_word_char);
        match c {
            // `_` joins parts like a hyphen (the lexer's HYPHEN class); after a slash, hyphen
            // parts are letters only (`1/2-inch`).
            '-' | '_' => {
                let after_slash_letter = self.slashes == 0 || next.is_some_and(char::is_alphabetic);
                let underscore_allowed = c != '_' || !(self.dotted || self.separators);
                next_is_word && is_word_char(prev) && after_slash_letter && underscore_allowed
            }
            '/' => {
                next_is_word
                    && is_word_char(prev)
                    && !self.separators
                    && !self.dotted
                    && !self.hyphen_digit
                    && self.slashes < 2
            }
            '.' | '!' | '?' => {
                let between_letters = self.starts_with_letter
                    && !self.hyphen
                    && self.slashes == 0
                    && is_word_char(prev)
                    && next.is_some_and(char::is_alphabetic);
                let in_number = c == '.'
                    && self.numeric
                    && prev.is_ascii_digit()
                    && next.is_some_and(|n| n.is_ascii_digit());
                between_letters || in_number
            }
            ',' | ':' => {
                self.numeric && prev.is_ascii_digit() && next.is_some_and(|n| n.is_ascii_digit())
            }
            '&' => self.capitals && next.is_some_and(|n| n.is_ascii_uppercase()),
            _ => false,
        }
    }

    /// Records that `c` (followed by `next`) joined the token.
    fn push(&mut self, c: char, next: Option<char>) {
        self.capitals &= c.is_ascii_uppercase();
        match c {
            '.' | ',' | ':' if self.numeric => self.separators = true,
            '.' | '!' | '?' => self.dotted = true,
            '&' | '+' => self.ampersand = true,
            '-' | '_' => {
                self.hyphen = true;
                self.numeric = false;
                self.hyphen_digit |= next.is_some_and(|n| n.is_ascii_digit());
                self.letters_only = self.slashes > 0;
            }
            '/' => {
                self.slashes += 1;
                self.numeric = false;
                self.letters_only = false;
            }
            c if c.is_ascii_digit() => {}
            _ => self.numeric = false,
        }
    }
}

/// Words after which a one-letter acronym's period ends the sentence (`x. The`), lower-cased;
/// the lexer requires their first letter in upper case.
const SENTENCE_OPENERS: [&str; 46] = [
    "about",
    "according",
    "additionally",
    "after",
    "an",
    "a",
    "as",
    "at",
    "but",
    "earlier",
    "he",
    "her",
    "here",
    "however",
    "if",
    "in",
    "it",
    "last",
    "many",
    "more",
    "mr.",
    "ms.",
    "now",
    "once",
    "one",
    "other",
    "our",
    "she",
    "since",
    "so",
    "some",
    "such",
    "that",
    "the",
    "their",
    "then",
    "there",
    "these",
    "they",
    "this",
    "we",
    "when",
    "while",
    "what",
    "yet",
    "you",
];

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
    if !case_allows(word, lower) {
        return None;
    }
    listed_abbreviation(lower)
}

/// The lexer lists some abbreviations with a case-sensitive letter (`[P]a`, `Pp?t[ye]s?`,
/// `M[ft]g`), so that common words (`pa`, `ill`, `mass`) stay words: whether `word` has that
/// letter in the listed case.
fn case_allows<U: Unit>(word: &[U], lower: &str) -> bool {
    let at = |i: usize| word.get(i).map_or(' ', |u| u.ch());
    match lower {
        "az" | "ark" | "del" | "ill" | "la" | "mass" | "miss" | "ore" | "pa" | "tex" | "wash" => {
            at(0).is_ascii_uppercase()
        }
        "pty" | "ptys" | "pte" | "ptes" => at(2).is_ascii_lowercase(),
        "mfg" | "mtg" => at(1).is_ascii_lowercase(),
        _ => true,
    }
}

/// The Stanford lexer's abbreviation lists, lower-cased (a `match` compiles to a length switch
/// and a few comparisons instead of scanning ~150 strings per sentence end).
fn listed_abbreviation(lower: &str) -> Option<AbbrevKind> {
    Some(match lower {
        "jan" | "feb" | "mar" | "apr" | "jun" | "jul" | "aug" | "sep" | "sept" | "oct" | "nov"
        | "dec" | "mon" | "tue" | "tues" | "wed" | "thu" | "thurs" | "fri" | "ala" | "ariz"
        | "ark" | "calif" | "colo" | "conn" | "ct" | "dak" | "fla" | "ga" | "ind" | "kan"
        | "kans" | "ky" | "md" | "mich" | "minn" | "mo" | "mont" | "neb" | "nev" | "okla"
        | "penn" | "tenn" | "va" | "vt" | "wis" | "wisc" | "wyo" | "az" | "del" | "ill" | "la"
        | "mass" | "miss" | "ore" | "pa" | "tex" | "wash" | "inc" | "co" | "cos" | "corp"
        | "pty" | "ptys" | "pte" | "ptes" | "ltd" | "plc" | "rt" | "bancorp" | "bhd" | "assn"
        | "univ" | "intl" | "sys" | "tel" | "est" | "ext" | "sq" | "jr" | "bros" | "esq"
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
        "ca" | "fig" | "figs" | "no" | "nos" | "prop" | "art" | "pp" | "op" => {
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
            "50 % $ 100\u{a0}3/4 1,000 10:30 0.5 mm 5-10 t4-5 +5 x-ray"
        );
        assert_eq!(
            coco("1.Lucency 2.No v70.0 x1.5 ,786.2 16.2/24.7 a/b/c/d 12:30pm"),
            "1 lucency 2 no v70 .0 x1 .5 ,786.2 16.2 / 24.7 a/b/c / d 12:30 pm"
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
