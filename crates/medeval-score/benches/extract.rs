//! Extraction throughput (filled in below).

fn main() {}
