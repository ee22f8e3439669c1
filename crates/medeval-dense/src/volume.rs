//! Label maps on a regular grid.
//!
//! A [`LabelVolume`] is what every reader produces and every metric consumes: integer labels in
//! x-fastest order (the order NIfTI, MetaImage and NRRD store them), the voxel spacing in
//! millimetres and the grid's placement in world space. Labels are kept in the narrowest
//! unsigned type that holds the largest label, so two 512x512x200 `uint8` masks cost 105 MB and
//! not four times that: memory close to the size of the inputs is one of the crate's promises.

use std::fmt;

/// Voxel grid geometry: shape, spacing and placement in world (scanner) space.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Number of voxels along x, y and z (z is 1 for 2D images).
    pub shape: [usize; 3],
    /// 2 for images, 3 for volumes. A 2D image has no surfaces across z.
    pub spatial_dims: usize,
    /// Voxel size along x, y and z in millimetres (always positive).
    pub spacing: [f64; 3],
    /// Unit world direction of each index axis: `direction[axis]` is the world vector along
    /// which `axis` grows.
    pub direction: [[f64; 3]; 3],
    /// World position of the centre of voxel (0, 0, 0) in millimetres.
    pub origin: [f64; 3],
}

impl Grid {
    /// A grid with identity orientation and zero origin.
    pub fn new(shape: [usize; 3], spacing: [f64; 3]) -> Self {
        Grid {
            shape,
            spatial_dims: if shape[2] == 1 { 2 } else { 3 },
            spacing,
            direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            origin: [0.0; 3],
        }
    }

    /// Total number of voxels.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the grid holds no voxel at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Volume of one voxel in mm³ (area in mm² for 2D images).
    pub fn voxel_volume(&self) -> f64 {
        self.spacing[..self.spatial_dims].iter().product()
    }

    /// World coordinates (mm) of the centre of the voxel at a (possibly fractional) index.
    pub fn index_to_world(&self, index: [f64; 3]) -> [f64; 3] {
        let mut world = self.origin;
        for (axis, &i) in index.iter().enumerate() {
            for (w, d) in world.iter_mut().zip(self.direction[axis]) {
                *w += d * self.spacing[axis] * i;
            }
        }
        world
    }

    /// Continuous index of a world point, or `None` when the direction matrix is singular.
    pub fn world_to_index(&self, world: [f64; 3]) -> Option<[f64; 3]> {
        // Columns of M are direction[axis] * spacing[axis]; solve M * index = world - origin.
        let m: [[f64; 3]; 3] = std::array::from_fn(|row| {
            std::array::from_fn(|col| self.direction[col][row] * self.spacing[col])
        });
        let rhs: [f64; 3] = std::array::from_fn(|i| world[i] - self.origin[i]);
        solve3(m, rhs)
    }

    /// Explains how `other` differs from `self`, or returns `None` when they describe the same
    /// voxels. Spacing, directions and origin are compared with a relative tolerance of 1e-4
    /// (NIfTI stores them as 32-bit floats, so exact equality would reject copies of one grid).
    /// With `check_orientation` off only shape and spacing must agree.
    pub fn mismatch(&self, other: &Grid, check_orientation: bool) -> Option<GridMismatch> {
        if self.shape != other.shape {
            return Some(GridMismatch::Shape(self.shape, other.shape));
        }
        let close = |a: f64, b: f64, scale: f64| (a - b).abs() <= 1e-4 * scale.max(1e-12);
        if (0..3).any(|a| !close(self.spacing[a], other.spacing[a], self.spacing[a])) {
            return Some(GridMismatch::Spacing(self.spacing, other.spacing));
        }
        if !check_orientation {
            return None;
        }
        for axis in 0..3 {
            if (0..3).any(|c| !close(self.direction[axis][c], other.direction[axis][c], 1.0)) {
                return Some(GridMismatch::Direction(self.direction, other.direction));
            }
        }
        let min_spacing = self.spacing.iter().copied().fold(f64::INFINITY, f64::min);
        if (0..3).any(|c| !close(self.origin[c], other.origin[c], min_spacing)) {
            return Some(GridMismatch::Origin(self.origin, other.origin));
        }
        None
    }
}

/// How two grids that should coincide differ.
#[derive(Debug, Clone, PartialEq)]
pub enum GridMismatch {
    /// Different numbers of voxels.
    Shape([usize; 3], [usize; 3]),
    /// Different voxel sizes.
    Spacing([f64; 3], [f64; 3]),
    /// Different axis directions in world space.
    Direction([[f64; 3]; 3], [[f64; 3]; 3]),
    /// Different world position of the first voxel.
    Origin([f64; 3], [f64; 3]),
}

impl fmt::Display for GridMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GridMismatch::Shape(a, b) => write!(f, "shape {a:?} vs {b:?}"),
            GridMismatch::Spacing(a, b) => write!(f, "spacing {a:?} mm vs {b:?} mm"),
            GridMismatch::Direction(a, b) => write!(f, "axis directions {a:?} vs {b:?}"),
            GridMismatch::Origin(a, b) => write!(f, "origin {a:?} mm vs {b:?} mm"),
        }
    }
}

fn solve3(m: [[f64; 3]; 3], rhs: [f64; 3]) -> Option<[f64; 3]> {
    let det = |m: &[[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(&m);
    if d.abs() < 1e-12 {
        return None;
    }
    // Cramer's rule: three 3x3 systems are not worth a factorisation.
    Some(std::array::from_fn(|col| {
        let mut mc = m;
        for row in 0..3 {
            mc[row][col] = rhs[row];
        }
        det(&mc) / d
    }))
}

/// Integer labels stored in the narrowest unsigned type that holds the largest one.
#[derive(Debug, Clone, PartialEq)]
pub enum Labels {
    /// Labels 0..=255.
    U8(Vec<u8>),
    /// Labels 0..=65535.
    U16(Vec<u16>),
    /// Any other label.
    U32(Vec<u32>),
}

impl Labels {
    /// Number of voxels.
    pub fn len(&self) -> usize {
        match self {
            Labels::U8(v) => v.len(),
            Labels::U16(v) => v.len(),
            Labels::U32(v) => v.len(),
        }
    }

    /// Whether there are no voxels.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The label of voxel `index` (x-fastest linear index).
    pub fn get(&self, index: usize) -> u32 {
        match self {
            Labels::U8(v) => u32::from(v[index]),
            Labels::U16(v) => u32::from(v[index]),
            Labels::U32(v) => v[index],
        }
    }

    /// Width of one stored label in bytes.
    pub fn bytes_per_voxel(&self) -> usize {
        match self {
            Labels::U8(_) => 1,
            Labels::U16(_) => 2,
            Labels::U32(_) => 4,
        }
    }

    /// Stores `values` in the narrowest type that holds their maximum.
    pub fn from_u32(values: Vec<u32>) -> Self {
        let max = values.iter().copied().max().unwrap_or(0);
        if max <= u32::from(u8::MAX) {
            Labels::U8(values.into_iter().map(|v| v as u8).collect())
        } else if max <= u32::from(u16::MAX) {
            Labels::U16(values.into_iter().map(|v| v as u16).collect())
        } else {
            Labels::U32(values)
        }
    }

    /// The same labels widened to at least `bytes` bytes per voxel (1, 2 or 4), so that two
    /// volumes can be walked with one element type. Returns `self` unchanged when already wide
    /// enough.
    pub fn widened_to(self, bytes: usize) -> Self {
        match (self, bytes) {
            (Labels::U8(v), 2) => Labels::U16(v.into_iter().map(u16::from).collect()),
            (Labels::U8(v), 4) => Labels::U32(v.into_iter().map(u32::from).collect()),
            (Labels::U16(v), 4) => Labels::U32(v.into_iter().map(u32::from).collect()),
            (other, _) => other,
        }
    }
}

/// A label map: one integer label per voxel (0 is background) on a [`Grid`].
#[derive(Debug, Clone, PartialEq)]
pub struct LabelVolume {
    /// Shape, spacing and world placement.
    pub grid: Grid,
    /// One label per voxel, x fastest, then y, then z.
    pub labels: Labels,
}

impl LabelVolume {
    /// Builds a volume; `None` when the number of labels does not match the grid.
    pub fn new(grid: Grid, labels: Labels) -> Option<Self> {
        (grid.len() == labels.len()).then_some(LabelVolume { grid, labels })
    }

    /// Convenience constructor for tests and synthetic data: identity orientation.
    pub fn from_u32(shape: [usize; 3], spacing: [f64; 3], labels: Vec<u32>) -> Option<Self> {
        Self::new(Grid::new(shape, spacing), Labels::from_u32(labels))
    }

    /// Sorted distinct non-zero labels present in the volume.
    pub fn present_labels(&self) -> Vec<u32> {
        fn distinct<T: Copy + Into<u32>>(values: &[T], max: usize) -> Vec<u32> {
            let mut seen = vec![false; max + 1];
            for &v in values {
                seen[v.into() as usize] = true;
            }
            (1..=max).filter(|&l| seen[l]).map(|l| l as u32).collect()
        }
        match &self.labels {
            Labels::U8(v) => distinct(v, u8::MAX as usize),
            Labels::U16(v) => distinct(v, u16::MAX as usize),
            Labels::U32(v) => {
                let mut labels: Vec<u32> = v.iter().copied().filter(|&l| l != 0).collect();
                labels.sort_unstable();
                labels.dedup();
                labels
            }
        }
    }
}

/// The element types a label map is stored in (`u8`, `u16`, `u32`).
pub trait LabelValue: Copy + Eq + Ord + Send + Sync + Into<u32> + 'static {
    /// The label as this type, or `None` when it cannot occur in a volume of this type.
    fn from_label(label: u32) -> Option<Self>;
}

impl LabelValue for u8 {
    fn from_label(label: u32) -> Option<Self> {
        u8::try_from(label).ok()
    }
}

impl LabelValue for u16 {
    fn from_label(label: u32) -> Option<Self> {
        u16::try_from(label).ok()
    }
}

impl LabelValue for u32 {
    fn from_label(label: u32) -> Option<Self> {
        Some(label)
    }
}

/// How a file numbers its axes, which decides the default image plane and slice axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisOrder {
    /// NIfTI, MetaImage, NRRD, PNG, TIFF: axes i, j, k, t with i fastest in memory (as nibabel
    /// loads a NIfTI file). The image plane is (i, j), the slice axis k, the frame axis t.
    Voxel,
    /// NumPy: the array's own shape, e.g. fastMRI's (slices, height, width). The image plane is
    /// the last two axes, the slice axis the first, the frame axis the second of four.
    NumPy,
}

impl AxisOrder {
    /// The name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            AxisOrder::Voxel => "voxel",
            AxisOrder::NumPy => "numpy",
        }
    }
}

/// An image's samples as stored: `f32` files stay `f32` in memory (half the memory and half the
/// reading time of a widened copy) and every computation converts them to `f64`, which is exact.
#[derive(Debug, Clone, PartialEq)]
pub enum Samples {
    /// Single-precision samples, as a `float32` file holds them.
    F32(Vec<f32>),
    /// Double-precision samples (every other type is widened to these).
    F64(Vec<f64>),
}

impl Samples {
    /// Number of samples.
    pub fn len(&self) -> usize {
        match self {
            Samples::F32(v) => v.len(),
            Samples::F64(v) => v.len(),
        }
    }

    /// Whether there is no sample.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sample `index` as `f64`, `None` past the end.
    pub fn get(&self, index: usize) -> Option<f64> {
        match self {
            Samples::F32(v) => v.get(index).map(|&x| f64::from(x)),
            Samples::F64(v) => v.get(index).copied(),
        }
    }
}

impl From<Vec<f64>> for Samples {
    fn from(values: Vec<f64>) -> Self {
        Samples::F64(values)
    }
}

impl From<Vec<f32>> for Samples {
    fn from(values: Vec<f32>) -> Self {
        Samples::F32(values)
    }
}

/// An image's intensities, with 2 to 4 axes, as reconstruction metrics read them (computed on
/// in `f64`).
///
/// Unlike a [`LabelVolume`] it keeps every axis (a cine is slices x frames) and the file's own
/// axis numbering ([`AxisOrder`]), since which axis is "the slice axis" depends on it; `strides`
/// lets a Fortran-ordered `.npy` array be read without reordering it.
#[derive(Debug, Clone, PartialEq)]
pub struct IntensityImage {
    /// Size of each axis, in the file's own axis order.
    pub shape: Vec<usize>,
    /// Distance in samples between neighbours along each axis.
    pub strides: Vec<usize>,
    /// The samples.
    pub values: Samples,
    /// How the axes are numbered.
    pub axis_order: AxisOrder,
}

impl IntensityImage {
    /// An image of `shape`; `strides` default to the first axis fastest for
    /// [`AxisOrder::Voxel`] and the last axis fastest (C order) for [`AxisOrder::NumPy`].
    /// `None` when the number of values is not the product of the shape.
    pub fn new(
        shape: Vec<usize>,
        strides: Option<Vec<usize>>,
        values: impl Into<Samples>,
        axis_order: AxisOrder,
    ) -> Option<Self> {
        let values = values.into();
        if values.len() != shape.iter().product::<usize>() {
            return None;
        }
        let strides = match strides {
            Some(strides) if strides.len() == shape.len() => strides,
            Some(_) => return None,
            None => match axis_order {
                AxisOrder::Voxel => first_axis_fastest(&shape),
                AxisOrder::NumPy => last_axis_fastest(&shape),
            },
        };
        Some(IntensityImage {
            shape,
            strides,
            values,
            axis_order,
        })
    }
}

/// Strides of an array whose first axis varies fastest (Fortran order, NIfTI).
pub fn first_axis_fastest(shape: &[usize]) -> Vec<usize> {
    let mut stride = 1;
    shape
        .iter()
        .map(|&n| {
            let s = stride;
            stride *= n;
            s
        })
        .collect()
}

/// Strides of an array whose last axis varies fastest (C order).
pub fn last_axis_fastest(shape: &[usize]) -> Vec<usize> {
    let mut strides = first_axis_fastest(&shape.iter().rev().copied().collect::<Vec<_>>());
    strides.reverse();
    strides
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_use_the_narrowest_type() {
        assert!(matches!(Labels::from_u32(vec![0, 255]), Labels::U8(_)));
        assert!(matches!(Labels::from_u32(vec![0, 256]), Labels::U16(_)));
        assert!(matches!(Labels::from_u32(vec![70_000]), Labels::U32(_)));
    }

    #[test]
    fn world_index_round_trip_with_oblique_axes() {
        let mut grid = Grid::new([4, 5, 6], [0.8, 0.9, 2.5]);
        let c = std::f64::consts::FRAC_1_SQRT_2;
        grid.direction = [[c, c, 0.0], [-c, c, 0.0], [0.0, 0.0, -1.0]];
        grid.origin = [10.0, -3.0, 7.0];
        let world = grid.index_to_world([1.0, 2.0, 3.0]);
        let back = grid.world_to_index(world).expect("invertible");
        for (a, b) in back.iter().zip([1.0, 2.0, 3.0]) {
            assert!((a - b).abs() < 1e-9);
        }
    }

    #[test]
    fn mismatch_reports_the_first_difference() {
        let a = Grid::new([2, 2, 2], [1.0, 1.0, 1.0]);
        let mut b = a.clone();
        assert_eq!(a.mismatch(&b, true), None);
        b.origin = [0.5, 0.0, 0.0];
        assert!(matches!(
            a.mismatch(&b, true),
            Some(GridMismatch::Origin(..))
        ));
        assert_eq!(a.mismatch(&b, false), None);
        b.spacing = [1.0, 1.0, 1.2];
        assert!(matches!(
            a.mismatch(&b, false),
            Some(GridMismatch::Spacing(..))
        ));
    }
}
