#![allow(clippy::unwrap_used, missing_docs)]
use std::path::Path;

use medeval_dense::metrics::{EvalOptions, parse_metrics};
use medeval_dense::pair::{GeometryPolicy, evaluate_pair};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let options = EvalOptions {
        metrics: parse_metrics("dice,iou,precision,recall,vol_diff,hd,hd95,hd95_pooled,assd,masd,nsd@1.0,nsd@2.5,biou@1.0,biou@3").unwrap(),
        labels: None,
        convention: args[3].parse().unwrap(),
        binarize: None,
    };
    let results = evaluate_pair(
        Path::new(&args[1]),
        Path::new(&args[2]),
        &options,
        &GeometryPolicy::default(),
    )
    .unwrap();
    for r in results {
        println!("{}", r.to_json(&options.metrics, options.convention));
    }
}
