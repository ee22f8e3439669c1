//! The generated marching-cubes tables against DeepMind surface-distance's own tables,
//! recorded by `bench/seg/make_fixtures.py` for several spacings.

use std::path::Path;

use medeval_dense::surface::{contour_length_table, surface_area_table};
use serde_json::Value;

fn tables() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/surfel_tables.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture present"))
        .expect("valid JSON")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

#[test]
fn surface_areas_match_for_every_configuration_and_spacing() {
    let tables = tables();
    for entry in tables["3d"].as_array().expect("3d tables") {
        let s = floats(&entry["spacing"]);
        let ours = surface_area_table([s[0], s[1], s[2]]);
        for (code, want) in floats(&entry["areas"]).into_iter().enumerate() {
            assert!(
                (ours[code] - want).abs() <= 1e-12 * want.max(1.0),
                "spacing {s:?} code {code}: {} vs {want}",
                ours[code]
            );
        }
    }
}

#[test]
fn contour_lengths_match_for_every_configuration_and_spacing() {
    let tables = tables();
    for entry in tables["2d"].as_array().expect("2d tables") {
        let s = floats(&entry["spacing"]);
        let ours = contour_length_table([s[0], s[1]]);
        for (code, want) in floats(&entry["lengths"]).into_iter().enumerate() {
            assert!(
                (ours[code] - want).abs() <= 1e-12 * want.max(1.0),
                "spacing {s:?} code {code}"
            );
        }
    }
}
