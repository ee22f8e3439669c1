//! Surface area (and 2D contour length) of the marching-cubes surface inside one 2x2x2 cube,
//! for each of the 256 inside/outside configurations of its corners.
//!
//! The table is generated, not transcribed. For a configuration:
//!
//! 1. every cube edge whose two corners differ gets a vertex at its midpoint (the iso-level
//!    0.5 between a 0 and a 1 sample);
//! 2. on each face, vertices are joined into segments; a face with all four edges crossed
//!    (diagonal corners inside) is resolved by cutting off each *inside* corner; a
//!    configuration with more than four inside corners is treated as its complement, which
//!    has the same surface;
//! 3. segments are chained into closed polygons, and each polygon is triangulated as the fan,
//!    among the fans from each of its vertices, with the largest area in index space.
//!
//! Areas for a voxel spacing follow from scaling the triangles. These rules reproduce the
//! surfel areas of DeepMind's `surface-distance` exactly for all 256 configurations and any
//! spacing; `tests/surfel_table.rs` checks this against areas recorded from that library.
//!
//! Corner bit order matches that library: corner (a, b, c) (offsets along x, y, z) is bit
//! `7 - (4a + 2b + c)`; in 2D, corner (a, b) is bit `3 - (2a + b)`.

use std::sync::OnceLock;

type Point = [f64; 3];
type Triangle = [Point; 3];

/// Surface area in mm² of each 2x2x2 configuration for voxel `spacing` (x, y, z).
pub fn surface_area_table(spacing: [f64; 3]) -> [f64; 256] {
    let triangles = triangles_per_configuration();
    std::array::from_fn(|code| {
        triangles[code]
            .iter()
            .map(|t| {
                let [a, b, c] = t.map(|p| std::array::from_fn(|k| p[k] * spacing[k]));
                triangle_area(a, b, c)
            })
            .sum()
    })
}

/// Contour length in mm of each 2x2 configuration for pixel `spacing` (x, y).
pub fn contour_length_table(spacing: [f64; 2]) -> [f64; 16] {
    let bit = |c: [usize; 2]| 3 - (2 * c[0] + c[1]);
    // Square boundary in cyclic order.
    let cycle = [[0, 0], [1, 0], [1, 1], [0, 1]];
    std::array::from_fn(|code| {
        let inside = |c: [usize; 2]| (code >> bit(c)) & 1 == 1;
        let midpoint = |p: [usize; 2], q: [usize; 2]| {
            [
                (p[0] + q[0]) as f64 / 2.0 * spacing[0],
                (p[1] + q[1]) as f64 / 2.0 * spacing[1],
            ]
        };
        let crossed: Vec<usize> = (0..4)
            .filter(|&i| inside(cycle[i]) != inside(cycle[(i + 1) % 4]))
            .collect();
        let length = |e1: usize, e2: usize| {
            let p = midpoint(cycle[e1], cycle[(e1 + 1) % 4]);
            let q = midpoint(cycle[e2], cycle[(e2 + 1) % 4]);
            ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt()
        };
        match crossed.len() {
            2 => length(crossed[0], crossed[1]),
            4 => {
                // Cut off each inside corner: corner i lies between edges i-1 and i.
                (0..4)
                    .filter(|&i| inside(cycle[i]))
                    .map(|i| length((i + 3) % 4, i))
                    .sum()
            }
            _ => 0.0,
        }
    })
}

fn triangle_area(a: Point, b: Point, c: Point) -> f64 {
    let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
    let cross = [
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ];
    0.5 * (cross[0] * cross[0] + cross[1] * cross[1] + cross[2] * cross[2]).sqrt()
}

type Corner = [u8; 3];
type Edge = (Corner, Corner);

fn triangles_per_configuration() -> &'static [Vec<Triangle>; 256] {
    static TABLE: OnceLock<[Vec<Triangle>; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        std::array::from_fn(|code| {
            let code = code as u8;
            let canonical = if code.count_ones() > 4 { !code } else { code };
            polygons(canonical)
                .iter()
                .flat_map(|p| widest_fan(p))
                .collect()
        })
    })
}

fn corner_bit(c: Corner) -> u8 {
    7 - (4 * c[0] + 2 * c[1] + c[2])
}

/// The closed iso-polygons of one configuration, as lists of crossed edges.
fn polygons(code: u8) -> Vec<Vec<Edge>> {
    let inside = |c: Corner| (code >> corner_bit(c)) & 1 == 1;
    let edge = |p: Corner, q: Corner| if p <= q { (p, q) } else { (q, p) };
    let mut segments: Vec<(Edge, Edge)> = Vec::new();
    for axis in 0..3 {
        let (u, v) = ((axis + 1) % 3, (axis + 2) % 3);
        for level in 0..2u8 {
            let cycle: [Corner; 4] = [(0, 0), (1, 0), (1, 1), (0, 1)].map(|(i, j)| {
                let mut c = [0u8; 3];
                c[axis] = level;
                c[u] = i;
                c[v] = j;
                c
            });
            let crossed: Vec<usize> = (0..4)
                .filter(|&i| inside(cycle[i]) != inside(cycle[(i + 1) % 4]))
                .collect();
            let side = |i: usize| edge(cycle[i], cycle[(i + 1) % 4]);
            match crossed.len() {
                2 => segments.push((side(crossed[0]), side(crossed[1]))),
                4 => {
                    for i in (0..4).filter(|&i| inside(cycle[i])) {
                        segments.push((side((i + 3) % 4), side(i)));
                    }
                }
                _ => {}
            }
        }
    }
    let mut loops = Vec::new();
    while let Some((first, second)) = segments.pop() {
        let mut chain = vec![first, second];
        loop {
            let tail = *chain.last().expect("chain is never empty");
            let Some(k) = segments.iter().position(|&(a, b)| a == tail || b == tail) else {
                break;
            };
            let (a, b) = segments.swap_remove(k);
            let next = if a == tail { b } else { a };
            if next == chain[0] {
                break;
            }
            chain.push(next);
        }
        loops.push(chain);
    }
    loops
}

/// Triangulates a polygon as the fan with the largest area (in index space).
fn widest_fan(polygon: &[Edge]) -> Vec<Triangle> {
    let points: Vec<Point> = polygon
        .iter()
        .map(|(p, q)| std::array::from_fn(|k| f64::from(p[k] + q[k]) / 2.0))
        .collect();
    let n = points.len();
    let fan = |start: usize| -> Vec<Triangle> {
        (1..n - 1)
            .map(|i| {
                [
                    points[start],
                    points[(start + i) % n],
                    points[(start + i + 1) % n],
                ]
            })
            .collect()
    };
    let area = |tris: &[Triangle]| {
        tris.iter()
            .map(|t| triangle_area(t[0], t[1], t[2]))
            .sum::<f64>()
    };
    let mut best = fan(0);
    let mut best_area = area(&best);
    for start in 1..n {
        let candidate = fan(start);
        let a = area(&candidate);
        if a > best_area + 1e-12 {
            best = candidate;
            best_area = a;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_full_cubes_have_no_surface() {
        let table = surface_area_table([1.0, 2.0, 3.0]);
        assert_eq!(table[0], 0.0);
        assert_eq!(table[255], 0.0);
    }

    #[test]
    fn one_corner_cuts_off_a_triangle() {
        // Corner (1,1,1) is bit 0: triangle through three edge midpoints at distance 1/2.
        let area = surface_area_table([1.0; 3])[1];
        assert!((area - 3f64.sqrt() / 8.0).abs() < 1e-12);
    }

    #[test]
    fn a_full_face_gives_a_unit_square_scaled_by_spacing() {
        // The four corners with a = 0 (bits 7, 6, 5, 4): a plane normal to x.
        let area = surface_area_table([0.8, 0.9, 2.5])[0b1111_0000];
        assert!((area - 0.9 * 2.5).abs() < 1e-12);
    }

    #[test]
    fn complements_have_equal_areas() {
        let table = surface_area_table([0.7, 1.1, 2.3]);
        for code in 0..256 {
            assert!(
                (table[code] - table[255 - code]).abs() < 1e-12,
                "code {code}"
            );
        }
    }

    #[test]
    fn contour_lengths_in_2d() {
        let table = contour_length_table([2.0, 3.0]);
        let half_diagonal = 0.5 * (4.0f64 + 9.0).sqrt();
        assert!((table[0b0001] - half_diagonal).abs() < 1e-12);
        assert!((table[0b0011] - 3.0).abs() < 1e-12);
        assert!((table[0b0101] - 2.0).abs() < 1e-12);
        assert!((table[0b0110] - 2.0 * half_diagonal).abs() < 1e-12);
        assert_eq!(table[0], 0.0);
        assert_eq!(table[15], 0.0);
    }
}
