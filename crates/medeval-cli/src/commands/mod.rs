//! One module per subcommand. Each exposes an `Args` struct (parsed by clap) and a `run`
//! function returning the process exit code.
//!
//! Output to stdout goes through [`outln!`] and [`out!`], which return the write error instead
//! of panicking as `println!` does: `medeval show RUN | head` closes the pipe early, and `main`
//! ends such a command quietly.

/// `println!` that returns `std::io::Result<()>`; use with `?`.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// `print!` that returns `std::io::Result<()>`; use with `?`.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)
    }};
}

pub mod agree;
pub mod bench;
pub mod classify;
pub mod compare;
pub mod demo;
pub mod detect;
pub mod fairness;
pub mod froc;
pub mod inputs;
pub mod judge;
pub mod output;
pub mod power;
pub mod probe;
pub mod rank;
pub mod recon;
pub mod rescore;
pub mod run;
pub mod runs;
pub mod sanity;
pub mod score;
pub mod seg;
pub mod show;
pub mod table;
pub mod text;
pub mod values;

/// Whether `err` comes from writing to a pipe whose reader has gone (`medeval ... | head`):
/// not a failure of the command, so it ends quietly.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Prints an error and its chain of causes to stderr, one cause per line. A cause whose text
/// an earlier line already quotes (many errors name their cause in their own message) is not
/// repeated.
pub fn print_error(err: &anyhow::Error) {
    let mut shown = err.to_string();
    eprintln!("error: {}", terminal_text(&shown));
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if shown.contains(&cause) {
            continue;
        }
        eprintln!("  caused by: {}", terminal_text(&cause));
        shown.push_str(&cause);
    }
}

/// A message for the terminal whose parts may come from a server or a file (a model list, an
/// error body, a cell): its lines are kept, and every other control character (ESC, BEL, CR
/// ...) is written as an escape, so the text can neither move the cursor nor forge output.
pub fn terminal_text(message: &str) -> String {
    message
        .split('\n')
        .map(|line| medeval_report::visible(line))
        .collect::<Vec<_>>()
        .join("\n")
}
