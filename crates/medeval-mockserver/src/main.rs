//! `medeval-mockserver`: the scripted OpenAI-compatible server as a process, for benchmarks and
//! for trying medeval without a model.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use medeval_mockserver::{Fault, MockServer, Reply};

/// Serve a scripted OpenAI-compatible chat endpoint on loopback.
#[derive(Debug, Parser)]
#[command(name = "medeval-mockserver", version)]
struct Args {
    /// Port to listen on (0 picks a free one; the URL is printed).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Latency added to every chat response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// The text every chat response answers.
    #[arg(long, default_value = "A")]
    answer: String,
    /// Model id to serve (repeatable).
    #[arg(long = "model", default_value = "mock-model")]
    models: Vec<String>,
    /// Fail every chat request whose prompt contains this text (with --fail-status).
    #[arg(long, value_name = "TEXT", requires = "fail_status")]
    fail_prompt_containing: Option<String>,
    /// Answer chat requests with this HTTP status instead (all of them unless
    /// --fail-prompt-containing narrows it down).
    #[arg(long, value_name = "CODE")]
    fail_status: Option<u16>,
    /// Answer every chat request with an answer of this many bytes, streamed as it is generated
    /// (for testing how clients bound what they read).
    #[arg(long, value_name = "BYTES", conflicts_with = "fail_status")]
    answer_bytes: Option<u64>,
    /// With --answer-bytes: send the body in chunked transfer encoding, without announcing its
    /// length.
    #[arg(long, requires = "answer_bytes")]
    chunked: bool,
    /// Scripted answers, JSONL: `{"when": "TEXT", "answer": "..."}` per line; a chat request
    /// whose prompt contains TEXT gets that answer (the first line that matches), others get
    /// --answer.
    #[arg(long, value_name = "FILE")]
    answers: Option<std::path::PathBuf>,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

/// Reads `--answers`: (text the prompt contains, answer) per line, in order.
fn scripted_answers(path: &std::path::Path) -> std::io::Result<Vec<(String, String)>> {
    #[derive(serde::Deserialize)]
    struct Line {
        when: String,
        answer: String,
    }
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(at, line)| {
            let parsed: Line = serde_json::from_str(line).map_err(|e| {
                std::io::Error::other(format!("{}, line {}: {e}", path.display(), at + 1))
            })?;
            Ok((parsed.when, parsed.answer))
        })
        .collect()
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let scripted = match &args.answers {
        Some(path) => scripted_answers(path)?,
        None => Vec::new(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let models: Vec<&str> = args.models.iter().map(String::as_str).collect();
        let answer = args.answer.clone();
        let failing = args.fail_prompt_containing.clone();
        let status = args.fail_status;
        let oversized = args.answer_bytes.map(|bytes| Fault::Oversized {
            bytes,
            declare_length: !args.chunked,
        });
        let server = MockServer::builder()
            .latency(Duration::from_millis(args.latency_ms))
            .models(&models)
            .rule(move |request| {
                let scripted = scripted
                    .iter()
                    .find(|(when, _)| request.prompt.contains(when.as_str()));
                Reply::text(scripted.map_or_else(|| answer.clone(), |(_, a)| a.clone()))
            })
            .faults(move |request| {
                if let Some(fault) = &oversized {
                    return Some(fault.clone());
                }
                let code = status?;
                let text = failing.as_deref().unwrap_or("");
                request.prompt.contains(text).then_some(Fault::Status {
                    code,
                    retry_after: None,
                })
            })
            .start_on(SocketAddr::from(([127, 0, 0, 1], args.port)))
            .await?;
        println!("{}", server.url());
        tokio::signal::ctrl_c().await?;
        drop(server);
        Ok(())
    })
}
