//! Times the phases of one pair evaluation (reading, counting, surfaces, distance fields) for
//! profiling: `cargo run --release -p medeval-dense --example profile_pair REF PRED [voxel|surfel] [REPEATS]`.
#![allow(clippy::unwrap_used, missing_docs)]
use std::path::Path;
use std::time::{Duration, Instant};

use medeval_dense::edt::DistanceField;
use medeval_dense::io::read_label_volume;
use medeval_dense::metrics::{EvalOptions, evaluate, label_counts, parse_metrics};
use medeval_dense::surface::{Convention, surface_voxels};
use medeval_dense::volume::Labels;

/// CPU time of the whole process so far (all threads), from /proc: with other jobs sharing
/// the machine, wall-clock phases are unreliable while CPU time stays comparable.
fn cpu() -> Duration {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let stat =
            std::fs::read_to_string(task.unwrap().path().join("schedstat")).unwrap_or_default();
        total += stat
            .split_whitespace()
            .next()
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Duration::from_nanos(total)
}

/// Runs `f`, returning its result, wall time and CPU time.
fn timed<R>(f: impl FnOnce() -> R) -> (R, String) {
    let (wall, cpu0) = (Instant::now(), cpu());
    let r = f();
    let text = format!("{:.1?} wall / {:.1?} cpu", wall.elapsed(), cpu() - cpu0);
    (r, text)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let convention: Convention = args.get(3).map_or("voxel", |s| s.as_str()).parse().unwrap();
    let repeats: usize = args.get(4).map_or(1, |s| s.parse().unwrap());
    for _ in 0..repeats {
        let (r, read_one) = timed(|| read_label_volume(Path::new(&args[1])).unwrap());
        let ((r2, p), read_both) = timed(|| {
            rayon::join(
                || read_label_volume(Path::new(&args[1])).unwrap(),
                || read_label_volume(Path::new(&args[2])).unwrap(),
            )
        });
        assert_eq!(r, r2);
        let options = EvalOptions {
            metrics: parse_metrics("dice,iou,hd,hd95,assd,nsd@1.0").unwrap(),
            labels: None,
            convention,
            binarize: None,
        };
        let (results, eval) = timed(|| evaluate(&r, &p, &options).unwrap());
        eprintln!(
            "read one: {read_one}; both in parallel: {read_both}; evaluate: {eval}\n  {:?}",
            results[0].values
        );
        if let (Labels::U8(rv), Labels::U8(pv)) = (&r.labels, &p.labels) {
            let grid = &r.grid;
            let (counts, count_time) = timed(|| label_counts(rv, pv, grid.shape));
            let crop = counts[&1].extent.unwrap();
            let ((rs, ps), surface_time) = timed(|| {
                (
                    surface_voxels(rv, grid.shape, grid.spatial_dims, crop, 1),
                    surface_voxels(pv, grid.shape, grid.spatial_dims, crop, 1),
                )
            });
            let (field, z_time) = timed(|| DistanceField::new(crop.shape(), grid.spacing, &rs));
            let (d, query_time) = timed(|| field.distances(&ps));
            eprintln!(
                "  crop {:?}; counts: {count_time}; surfaces: {surface_time} ({} + {} points)\n  one field: z pass {z_time}; queries {query_time} (max {:.3})",
                crop.shape(),
                rs.len(),
                ps.len(),
                d.iter().copied().fold(0.0, f64::max)
            );
        }
    }
}
