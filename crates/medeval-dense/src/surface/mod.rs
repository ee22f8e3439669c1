//! Surfaces of one label, in the two conventions the reference tools use.
//!
//! * [`Convention::Voxel`]: the surface is the set of label voxels with at least one face
//!   neighbour (6-connectivity in 3D, 4 in 2D) outside the label; outside the image counts as
//!   background. Every surface voxel has weight 1 and sits at its voxel centre. This is what
//!   MONAI, MetricsReloaded and medpy compute (binary erosion with the cross structuring
//!   element, XOR the mask).
//! * [`Convention::Surfel`]: the surface is the marching-cubes iso-surface between voxel
//!   centres. Surface elements sit at the centres of the 2x2x2 voxel cubes they cross and are
//!   weighted by their area (contour length in 2D), as in DeepMind's `surface-distance`.
//!
//! Both work on the bounding box of the union of the two masks (the only region where surface
//! points exist), which is where the distance transforms run too.

mod extract;
mod marching;

pub use extract::{border_cubes, cube_grid_shape, surface_voxels};
pub use marching::{contour_length_table, surface_area_table};

use serde::{Deserialize, Serialize};

/// Which definition of "surface" the distance metrics use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Convention {
    /// Surface voxels at voxel centres, unit weight (MONAI, MetricsReloaded, medpy).
    #[default]
    Voxel,
    /// Area-weighted marching-cubes surface elements (DeepMind surface-distance).
    Surfel,
}

impl Convention {
    /// The name used on the command line and in every output.
    pub fn name(self) -> &'static str {
        match self {
            Convention::Voxel => "voxel",
            Convention::Surfel => "surfel",
        }
    }
}

impl std::str::FromStr for Convention {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "voxel" => Ok(Convention::Voxel),
            "surfel" => Ok(Convention::Surfel),
            other => Err(format!(
                "unknown surface convention '{other}' (expected voxel or surfel)"
            )),
        }
    }
}

/// An axis-aligned box of voxels `[start, end)` on each axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CropBox {
    /// First voxel on each axis.
    pub start: [usize; 3],
    /// One past the last voxel on each axis.
    pub end: [usize; 3],
}

impl CropBox {
    /// Number of voxels along each axis.
    pub fn shape(&self) -> [usize; 3] {
        std::array::from_fn(|a| self.end[a] - self.start[a])
    }

    /// The smallest box holding both boxes.
    pub fn union(self, other: CropBox) -> CropBox {
        CropBox {
            start: std::array::from_fn(|a| self.start[a].min(other.start[a])),
            end: std::array::from_fn(|a| self.end[a].max(other.end[a])),
        }
    }
}

/// Surface points of one mask inside a crop: linear indices into the crop's point grid
/// (voxel grid for [`Convention::Voxel`], cube grid for [`Convention::Surfel`]) and, for
/// surfels, each point's area in mm² (length in mm for 2D images).
#[derive(Debug, Clone, Default)]
pub struct SurfacePoints {
    /// Sorted x-fastest linear indices into the point grid.
    pub indices: Vec<u32>,
    /// Weight of each point: 1 for voxels, area for surfels.
    pub weights: Option<Vec<f64>>,
}

impl SurfacePoints {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Whether the surface is empty (the mask is empty).
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }
}
