//! Prints pycocoevalcap's tokenisation of each stdin line (PTB tokens, lower-cased, COCO
//! punctuation removed), one line per input line, for comparing with the Stanford jar:
//!
//! ```text
//! cargo run --release -p medeval-text --example coco_tokenize < texts.txt
//! ```

use std::io::{BufRead, Write};

use medeval_text::tokenize::ptb::coco_tokenize;

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lines() {
        writeln!(out, "{}", coco_tokenize(&line?).join(" "))?;
    }
    out.flush()
}
