//! Which axes of an image form the 2-D planes that SSIM and the per-slice convention see.
//!
//! Defaults follow the file's own axis numbering ([`AxisOrder`]): for NIfTI and the other
//! volume formats the plane is (i, j), the slice axis k and the frame axis t (nibabel's order);
//! for `.npy` the plane is the last two axes, the slice axis the first and the frame axis the
//! second (fastMRI's (slices, height, width), and (slices, frames, height, width) for a cine).
//! `--slice-axis` picks another slice axis for a 3-D image; the plane is then the other two.

use std::path::{Path, PathBuf};

use crate::volume::{AxisOrder, IntensityImage, Samples};

/// The axes of one image: its plane and the axes that index its planes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The axis whose index is the slice number, `None` for a 2-D image.
    pub slice_axis: Option<usize>,
    /// The axis whose index is the frame number of a 4-D image.
    pub frame_axis: Option<usize>,
    /// The two axes of each 2-D plane, in the file's axis order.
    pub plane_axes: [usize; 2],
    /// The plane's axes ordered by stride (fastest first), so planes are copied row by row.
    fast_slow: [usize; 2],
}

/// Why an image's axes cannot be laid out as asked.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct LayoutError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong and what to do.
    pub message: String,
}

impl Layout {
    /// The layout of `image` read from `path`, with the slice axis `slice_axis` when given.
    pub fn of(
        path: &Path,
        image: &IntensityImage,
        slice_axis: Option<usize>,
    ) -> Result<Layout, LayoutError> {
        let ndim = image.shape.len();
        let error = |message: String| LayoutError {
            path: path.to_path_buf(),
            message,
        };
        let (slice, frame) = match (ndim, slice_axis, image.axis_order) {
            (2, None, _) => (None, None),
            (2, Some(axis), _) => {
                return Err(error(format!(
                    "--slice-axis {axis} given, but the image is 2-D (shape {:?}): it is one slice",
                    image.shape
                )));
            }
            (3, Some(axis), _) if axis < 3 => (Some(axis), None),
            (3, Some(axis), _) => {
                return Err(error(format!(
                    "--slice-axis {axis} given, but the image has axes 0, 1 and 2 (shape {:?})",
                    image.shape
                )));
            }
            (3, None, AxisOrder::Voxel) => (Some(2), None),
            (3, None, AxisOrder::NumPy) => (Some(0), None),
            (4, Some(axis), _) => {
                return Err(error(format!(
                    "--slice-axis {axis} given, but the image is 4-D (shape {:?}); its slice and \
                     frame axes are fixed ({}), so leave --slice-axis out",
                    image.shape,
                    match image.axis_order {
                        AxisOrder::Voxel => "k and t, planes (i, j)",
                        AxisOrder::NumPy => "0 and 1, planes the last two axes",
                    }
                )));
            }
            (4, None, AxisOrder::Voxel) => (Some(2), Some(3)),
            (4, None, AxisOrder::NumPy) => (Some(0), Some(1)),
            _ => {
                return Err(error(format!(
                    "{ndim} axes (shape {:?}); images with 2 to 4 axes are read",
                    image.shape
                )));
            }
        };
        let mut plane = (0..ndim).filter(|&a| Some(a) != slice && Some(a) != frame);
        let (Some(a), Some(b)) = (plane.next(), plane.next()) else {
            return Err(error("no image plane".into()));
        };
        let fast_slow = if image.strides[a] <= image.strides[b] {
            [a, b]
        } else {
            [b, a]
        };
        Ok(Layout {
            slice_axis: slice,
            frame_axis: frame,
            plane_axes: [a, b],
            fast_slow,
        })
    }

    /// Number of slices (1 for a 2-D image).
    pub fn slices(&self, image: &IntensityImage) -> usize {
        self.slice_axis.map_or(1, |a| image.shape[a])
    }

    /// Number of frames (1 unless the image is 4-D).
    pub fn frames(&self, image: &IntensityImage) -> usize {
        self.frame_axis.map_or(1, |a| image.shape[a])
    }

    /// Number of 2-D planes: slices x frames.
    pub fn planes(&self, image: &IntensityImage) -> usize {
        self.slices(image) * self.frames(image)
    }

    /// The plane's width and height: the sizes of its fastest and its slowest axis.
    pub fn plane_size(&self, image: &IntensityImage) -> (usize, usize) {
        (
            image.shape[self.fast_slow[0]],
            image.shape[self.fast_slow[1]],
        )
    }

    /// What two images must share to be compared plane by plane: plane size, slices, frames.
    pub fn geometry(&self, image: &IntensityImage) -> (usize, usize, usize, usize) {
        let (w, h) = self.plane_size(image);
        (w, h, self.slices(image), self.frames(image))
    }

    /// Plane `index` (slice-major: index = slice · frames + frame) as `f64`: borrowed when the
    /// image holds `f64` and the plane is contiguous, else copied (and widened) into `scratch`.
    pub fn plane<'a>(
        &self,
        image: &'a IntensityImage,
        index: usize,
        scratch: &'a mut Vec<f64>,
    ) -> &'a [f64] {
        let frames = self.frames(image);
        let (slice, frame) = (index / frames, index % frames);
        let mut base = 0;
        if let Some(a) = self.slice_axis {
            base += slice * image.strides[a];
        }
        if let Some(a) = self.frame_axis {
            base += frame * image.strides[a];
        }
        let (w, h) = self.plane_size(image);
        let (fast, slow) = (
            image.strides[self.fast_slow[0]],
            image.strides[self.fast_slow[1]],
        );
        scratch.clear();
        match &image.values {
            Samples::F64(values) if fast == 1 && slow == w => &values[base..base + w * h],
            Samples::F32(values) if fast == 1 && slow == w => {
                scratch.extend(values[base..base + w * h].iter().map(|&v| f64::from(v)));
                scratch
            }
            Samples::F64(values) => {
                copy_plane(scratch, |i| values[i], base, (w, h), (fast, slow));
                scratch
            }
            Samples::F32(values) => {
                copy_plane(
                    scratch,
                    |i| f64::from(values[i]),
                    base,
                    (w, h),
                    (fast, slow),
                );
                scratch
            }
        }
    }

    /// The (slice, frame) of plane `index`, for messages.
    pub fn slice_and_frame(&self, image: &IntensityImage, index: usize) -> (usize, usize) {
        let frames = self.frames(image);
        (index / frames, index % frames)
    }
}

/// Copies a strided plane row by row.
fn copy_plane(
    out: &mut Vec<f64>,
    value: impl Fn(usize) -> f64,
    base: usize,
    (width, height): (usize, usize),
    (fast, slow): (usize, usize),
) {
    out.reserve(width * height);
    for row in 0..height {
        let start = base + row * slow;
        out.extend((0..width).map(|col| value(start + col * fast)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(shape: &[usize], order: AxisOrder, strides: Option<Vec<usize>>) -> IntensityImage {
        let n = shape.iter().product::<usize>();
        IntensityImage::new(
            shape.to_vec(),
            strides,
            (0..n).map(|v| v as f64).collect::<Vec<f64>>(),
            order,
        )
        .expect("sizes match")
    }

    #[test]
    fn numpy_volumes_slice_along_the_first_axis() {
        let img = image(&[2, 3, 4], AxisOrder::NumPy, None);
        let layout = Layout::of(Path::new("a.npy"), &img, None).expect("3-D");
        assert_eq!((layout.slice_axis, layout.plane_axes), (Some(0), [1, 2]));
        let mut scratch = Vec::new();
        let plane = layout.plane(&img, 1, &mut scratch).to_vec();
        assert_eq!(plane, (12..24).map(|v| v as f64).collect::<Vec<_>>());
    }

    #[test]
    fn voxel_volumes_slice_along_k_and_another_axis_on_request() {
        let img = image(&[4, 3, 2], AxisOrder::Voxel, None);
        let layout = Layout::of(Path::new("a.nii"), &img, None).expect("3-D");
        assert_eq!(
            (layout.slice_axis, layout.plane_size(&img)),
            (Some(2), (4, 3))
        );
        let layout = Layout::of(Path::new("a.nii"), &img, Some(0)).expect("3-D");
        assert_eq!(layout.plane_size(&img), (3, 2));
        let mut scratch = Vec::new();
        // Slice i = 1 of an x-fastest 4x3x2 volume: values 1 + 4j + 12k.
        let plane = layout.plane(&img, 1, &mut scratch).to_vec();
        assert_eq!(plane, vec![1.0, 5.0, 9.0, 13.0, 17.0, 21.0]);
    }

    #[test]
    fn four_dimensional_images_have_slices_and_frames() {
        let img = image(&[5, 6, 3, 2], AxisOrder::Voxel, None);
        let layout = Layout::of(Path::new("cine.nii"), &img, None).expect("4-D");
        assert_eq!(layout.planes(&img), 6);
        assert_eq!(layout.slice_and_frame(&img, 3), (1, 1));
        assert!(Layout::of(Path::new("cine.nii"), &img, Some(2)).is_err());
    }
}
