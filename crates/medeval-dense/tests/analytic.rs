//! Shapes whose metric values are known in closed form or by hand.

use medeval_dense::metrics::{EvalOptions, LabelResult, evaluate, parse_metrics};
use medeval_dense::surface::Convention;
use medeval_dense::volume::LabelVolume;

fn volume(
    shape: [usize; 3],
    spacing: [f64; 3],
    inside: impl Fn(usize, usize, usize) -> bool,
) -> LabelVolume {
    let mut labels = Vec::with_capacity(shape.iter().product());
    for z in 0..shape[2] {
        for y in 0..shape[1] {
            for x in 0..shape[0] {
                labels.push(u32::from(inside(x, y, z)));
            }
        }
    }
    LabelVolume::from_u32(shape, spacing, labels).expect("sizes match")
}

fn run(
    reference: &LabelVolume,
    prediction: &LabelVolume,
    metrics: &str,
    convention: Convention,
) -> Vec<LabelResult> {
    let options = EvalOptions {
        metrics: parse_metrics(metrics).expect("valid"),
        labels: Some(vec![1]),
        convention,
        binarize: None,
    };
    evaluate(reference, prediction, &options).expect("same shape")
}

fn close(got: Option<f64>, want: f64) {
    let got = got.expect("defined");
    assert!((got - want).abs() < 1e-12, "{got} vs {want}");
}

/// Two 4x4x4 voxel cubes, the second shifted by one slice, at spacing (0.8, 0.8, 2.5).
/// By hand (56 surface voxels each): 16 at 2.5 mm (the exposed end faces), 4 at 0.8 mm
/// (the inner 2x2 of the overlapped end face, nearest to the side walls), 36 at 0.
#[test]
fn offset_cubes_at_anisotropic_spacing() {
    let spacing = [0.8, 0.8, 2.5];
    let cube = |dz: usize| {
        move |x: usize, y: usize, z: usize| {
            (2..6).contains(&x) && (2..6).contains(&y) && (2 + dz..6 + dz).contains(&z)
        }
    };
    let a = volume([10, 10, 10], spacing, cube(0));
    let b = volume([10, 10, 10], spacing, cube(1));
    let r = &run(
        &a,
        &b,
        "dice,iou,hd,hd95,hd95_pooled,assd,masd,nsd@1.0,nsd@0.5,vol_diff",
        Convention::Voxel,
    )[0];
    close(r.values[0], 2.0 * 48.0 / 128.0);
    close(r.values[1], 48.0 / 80.0);
    close(r.values[2], 2.5);
    close(r.values[3], 2.5); // rank 0.95 * 55 = 52.25 lies among the 2.5 mm values (40..55)
    close(r.values[4], 2.5);
    close(r.values[5], 2.0 * (16.0 * 2.5 + 4.0 * 0.8) / 112.0);
    close(r.values[6], (16.0 * 2.5 + 4.0 * 0.8) / 56.0);
    close(r.values[7], 80.0 / 112.0);
    close(r.values[8], 72.0 / 112.0);
    close(r.values[9], 0.0);
}

/// A ball of radius 10 mm and a concentric ball of radius 13 mm, sampled at (0.8, 0.8, 2.5):
/// every surface point lies 3 mm from the other surface, up to the sampling error (at most
/// half the largest voxel diagonal step in the directions that matter, here well under 1.5 mm).
#[test]
fn concentric_spheres_are_three_millimetres_apart() {
    let spacing = [0.8, 0.8, 2.5];
    let shape = [48, 48, 16];
    let centre = [24.0 * 0.8, 24.0 * 0.8, 8.0 * 2.5];
    let ball = |radius: f64| {
        move |x: usize, y: usize, z: usize| {
            let d = [
                x as f64 * 0.8 - centre[0],
                y as f64 * 0.8 - centre[1],
                z as f64 * 2.5 - centre[2],
            ];
            (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt() <= radius
        }
    };
    let inner = volume(shape, spacing, ball(10.0));
    let outer = volume(shape, spacing, ball(13.0));
    for convention in [Convention::Voxel, Convention::Surfel] {
        let r = &run(&inner, &outer, "assd,masd,hd95", convention)[0];
        for value in &r.values {
            let v = value.expect("defined");
            assert!((v - 3.0).abs() < 1.5, "{convention:?}: {v}");
        }
    }
}

/// In 2D, one pixel and a pixel four columns away at spacing 0.5 mm: 2 mm apart.
#[test]
fn two_pixels_in_2d() {
    let a = volume([8, 3, 1], [0.5, 0.7, 1.0], |x, y, _| x == 1 && y == 1);
    let b = volume([8, 3, 1], [0.5, 0.7, 1.0], |x, y, _| x == 5 && y == 1);
    let r = &run(&a, &b, "hd,assd,nsd@2.0,nsd@1.9,dice", Convention::Voxel)[0];
    close(r.values[0], 2.0);
    close(r.values[1], 2.0);
    close(r.values[2], 1.0);
    close(r.values[3], 0.0);
    close(r.values[4], 0.0);
}

/// A mask compared with itself: overlap 1 and every distance 0, in both conventions.
#[test]
fn identical_masks_have_zero_distances_in_both_conventions() {
    let a = volume([6, 6, 6], [0.8, 1.0, 2.5], |x, y, z| {
        (1..4).contains(&x) && (2..5).contains(&y) && z == 2
    });
    for convention in [Convention::Voxel, Convention::Surfel] {
        let r = &run(
            &a,
            &a,
            "dice,hd,hd95,assd,masd,nsd@0.0,biou@1.0",
            convention,
        )[0];
        assert_eq!(
            r.values,
            vec![
                Some(1.0),
                Some(0.0),
                Some(0.0),
                Some(0.0),
                Some(0.0),
                Some(1.0),
                Some(1.0)
            ]
        );
    }
}

/// The empty-mask table of docs/segmentation-metrics.md.
#[test]
fn empty_masks_follow_the_documented_table() {
    let metrics =
        "dice,iou,precision,recall,vol_diff,rel_vol_diff,hd,hd95,assd,masd,nsd@1.0,biou@1.0";
    let empty = volume([4, 4, 4], [1.0, 1.0, 2.0], |_, _, _| false);
    let full = volume([4, 4, 4], [1.0, 1.0, 2.0], |x, _, _| x < 2);
    let both = &run(&empty, &empty, metrics, Convention::Voxel)[0];
    assert_eq!(
        both.values,
        vec![
            Some(1.0),
            Some(1.0),
            None,
            None,
            Some(0.0),
            None,
            Some(0.0),
            Some(0.0),
            Some(0.0),
            Some(0.0),
            Some(1.0),
            Some(1.0)
        ]
    );
    let reference_empty = &run(&empty, &full, metrics, Convention::Voxel)[0];
    assert_eq!(
        reference_empty.values,
        vec![
            Some(0.0),
            Some(0.0),
            Some(0.0),
            None,
            Some(64.0),
            None,
            None,
            None,
            None,
            None,
            Some(0.0),
            Some(0.0)
        ]
    );
    let prediction_empty = &run(&full, &empty, metrics, Convention::Surfel)[0];
    assert_eq!(
        prediction_empty.values,
        vec![
            Some(0.0),
            Some(0.0),
            None,
            Some(0.0),
            Some(-64.0),
            Some(-1.0),
            None,
            None,
            None,
            None,
            Some(0.0),
            Some(0.0)
        ]
    );
    let json = prediction_empty
        .to_json(&parse_metrics(metrics).expect("valid"), Convention::Surfel)
        .to_string();
    assert!(
        json.contains("\"hd\":null") && json.contains("\"convention\":\"surfel\""),
        "{json}"
    );
}

/// Boundary IoU at 1 mm isotropic spacing, by hand: two 4x4 squares offset by one column.
/// Bands at width 1 mm (< 1, so only the surface pixels): each square's ring of 12 pixels.
/// Rings of A (x 0..4) and B (x 1..5), y 0..4: shared ring pixels are the y = 0 and y = 3 rows at
/// x 1..3 (6 pixels) plus the column x = 3 of A's ring... counted below by enumeration.
#[test]
fn boundary_iou_by_hand() {
    let a = volume([6, 4, 1], [1.0; 3], |x, _, _| x < 4);
    let b = volume([6, 4, 1], [1.0; 3], |x, _, _| (1..5).contains(&x));
    // A's ring: x = 0 or 3, or y = 0 or 3 (within x 0..4): 12 pixels. B's ring: x = 1 or 4, or
    // y = 0 or 3 (within x 1..5): 12 pixels. Intersection: rows y = 0, 3 at x = 1, 2, 3 (6) and
    // x = 3 at y = 1, 2 only if in B's ring (x = 3 is not B's border column) -> none; x = 1 at
    // y = 1, 2 only if in A's ring -> no. So 6 shared, union 12 + 12 - 6 = 18.
    let r = &run(&a, &b, "biou@1.0", Convention::Voxel)[0];
    close(r.values[0], 6.0 / 18.0);
}
