//! One module per subcommand. Each exposes an `Args` struct (parsed by clap) and a `run`
//! function returning the process exit code.

pub mod bench;
pub mod classify;
pub mod compare;
pub mod demo;
pub mod inputs;
pub mod output;
pub mod power;
pub mod probe;
pub mod rank;
pub mod run;
pub mod runs;
pub mod sanity;
pub mod score;
pub mod seg;
pub mod show;
pub mod table;
pub mod text;

/// Prints an error and its chain of causes to stderr, one cause per line. A cause whose text
/// an earlier line already quotes (many errors name their cause in their own message) is not
/// repeated.
pub fn print_error(err: &anyhow::Error) {
    let mut shown = err.to_string();
    eprintln!("error: {shown}");
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if shown.contains(&cause) {
            continue;
        }
        eprintln!("  caused by: {cause}");
        shown.push_str(&cause);
    }
}
