//! Image perturbations for robustness probes.
//!
//! [`apply`] takes a decoded image and an [`ImageTransform`] and returns the perturbed image, of the
//! same size. Corruptions work on intensities in [0, 1] (per channel), are clipped back to that
//! range, and come back in the source's bit depth (8 or 16 bits; alpha is dropped). Severity runs
//! from 1 (mild) to 5 (severe); every corruption is monotone in severity (a higher severity moves
//! each image further from the original) and deterministic for a given seed.
//!
//! Where ImageNet-C (Hendrycks & Dietterich, 2019) defines a corruption, its published severity
//! parameters are used, so numbers are comparable with the robustness literature. Spatial
//! parameters are given for a 224-pixel image and scaled with the image's shorter side. The two
//! MRI-like corruptions (ghosting, bias field) follow the ideas of TorchIO's artefact transforms,
//! implemented in the image domain. `docs/probes.md` tabulates every parameter.

use image::{DynamicImage, ImageBuffer, Luma, Rgb};
use medeval_core::{Corruption, ImageTransform};

/// The seeded stream the corruptions draw from; defined in `medeval-core` so every crate shares it.
pub use medeval_core::SplitMix64;

/// Additive Gaussian noise standard deviations (ImageNet-C).
const GAUSSIAN_NOISE: [f32; 5] = [0.08, 0.12, 0.18, 0.26, 0.38];
/// Speckle noise standard deviations (ImageNet-C).
const SPECKLE_NOISE: [f32; 5] = [0.15, 0.20, 0.35, 0.45, 0.60];
/// Gaussian blur sigmas in pixels at 224 px (ImageNet-C).
const GAUSSIAN_BLUR: [f32; 5] = [1.0, 2.0, 3.0, 4.0, 6.0];
/// Motion blur lengths in pixels at 224 px.
const MOTION_BLUR: [f32; 5] = [5.0, 9.0, 13.0, 17.0, 23.0];
/// Contrast factors (ImageNet-C).
const CONTRAST: [f32; 5] = [0.4, 0.3, 0.2, 0.1, 0.05];
/// Brightness offsets (ImageNet-C).
const BRIGHTNESS: [f32; 5] = [0.1, 0.2, 0.3, 0.4, 0.5];
/// JPEG qualities (ImageNet-C).
const JPEG_QUALITY: [u8; 5] = [25, 18, 15, 10, 7];
/// Pixelation block sizes in pixels at 224 px. Each is twice the previous, so every coarser grid
/// nests in the finer one and the error is monotone in severity (a projection onto a smaller
/// space); ImageNet-C's factors (0.6 ... 0.25 of the resolution) do not nest and are not.
const PIXELATE: [f32; 5] = [2.0, 4.0, 8.0, 16.0, 32.0];
/// Ghost intensities.
const GHOSTING: [f32; 5] = [0.1, 0.2, 0.3, 0.4, 0.5];
/// Bias-field coefficient ranges.
const BIAS_FIELD: [f32; 5] = [0.1, 0.2, 0.3, 0.45, 0.6];

/// A working copy of an image: interleaved channels in [0, 1].
#[derive(Debug, Clone)]
struct Planes {
    width: usize,
    height: usize,
    channels: usize,
    data: Vec<f32>,
    sixteen_bit: bool,
}

impl Planes {
    fn from_image(image: &DynamicImage) -> Self {
        let colour = image.color();
        let sixteen_bit = colour.bytes_per_pixel() / colour.channel_count().max(1) >= 2;
        let (width, height) = (image.width() as usize, image.height() as usize);
        if colour.has_color() {
            let rgb = image.to_rgb32f();
            Self {
                width,
                height,
                channels: 3,
                data: rgb.into_raw(),
                sixteen_bit,
            }
        } else {
            let data = image
                .to_luma32f()
                .into_raw()
                .into_iter()
                .map(|v| v.clamp(0.0, 1.0))
                .collect();
            Self {
                width,
                height,
                channels: 1,
                data,
                sixteen_bit,
            }
        }
    }

    fn into_image(self) -> DynamicImage {
        let (w, h) = (self.width as u32, self.height as u32);
        let clamp = |v: f32| v.clamp(0.0, 1.0);
        match (self.channels, self.sixteen_bit) {
            (1, false) => DynamicImage::ImageLuma8(ImageBuffer::from_fn(w, h, |x, y| {
                Luma([to_u8(clamp(self.at(x as usize, y as usize, 0)))])
            })),
            (1, true) => DynamicImage::ImageLuma16(ImageBuffer::from_fn(w, h, |x, y| {
                Luma([to_u16(clamp(self.at(x as usize, y as usize, 0)))])
            })),
            (_, false) => DynamicImage::ImageRgb8(ImageBuffer::from_fn(w, h, |x, y| {
                let (x, y) = (x as usize, y as usize);
                Rgb([0, 1, 2].map(|c| to_u8(clamp(self.at(x, y, c)))))
            })),
            (_, true) => DynamicImage::ImageRgb16(ImageBuffer::from_fn(w, h, |x, y| {
                let (x, y) = (x as usize, y as usize);
                Rgb([0, 1, 2].map(|c| to_u16(clamp(self.at(x, y, c)))))
            })),
        }
    }

    fn at(&self, x: usize, y: usize, c: usize) -> f32 {
        self.data[(y * self.width + x) * self.channels + c]
    }

    /// Scale of spatial parameters: the shorter side relative to 224 pixels.
    fn spatial_scale(&self) -> f32 {
        self.width.min(self.height) as f32 / 224.0
    }

    fn map(&mut self, f: impl Fn(f32) -> f32) {
        for v in &mut self.data {
            *v = f(*v).clamp(0.0, 1.0);
        }
    }
}

fn to_u8(v: f32) -> u8 {
    (v * 255.0).round() as u8
}

fn to_u16(v: f32) -> u16 {
    (v * 65535.0).round() as u16
}

/// Applies `transform` to `image`.
pub fn apply(image: &DynamicImage, transform: &ImageTransform) -> DynamicImage {
    match *transform {
        ImageTransform::Blank => {
            let mut planes = Planes::from_image(image);
            planes.data.fill(0.0);
            planes.into_image()
        }
        ImageTransform::Corrupt {
            corruption,
            severity,
            seed,
        } => corrupt(image, corruption, severity, seed),
    }
}

/// Applies one corruption at `severity` (clamped to 1..=5) with the random stream of `seed`.
pub fn corrupt(
    image: &DynamicImage,
    corruption: Corruption,
    severity: u8,
    seed: u64,
) -> DynamicImage {
    let level = usize::from(severity.clamp(1, 5) - 1);
    let mut rng = SplitMix64::new(seed);
    let mut planes = Planes::from_image(image);
    match corruption {
        Corruption::GaussianNoise => {
            let sigma = GAUSSIAN_NOISE[level];
            for v in &mut planes.data {
                *v = (*v + sigma * rng.normal()).clamp(0.0, 1.0);
            }
        }
        Corruption::SpeckleNoise => {
            let sigma = SPECKLE_NOISE[level];
            for v in &mut planes.data {
                *v = (*v + *v * sigma * rng.normal()).clamp(0.0, 1.0);
            }
        }
        Corruption::GaussianBlur => {
            let sigma = GAUSSIAN_BLUR[level] * planes.spatial_scale();
            gaussian_blur(&mut planes, sigma);
        }
        Corruption::MotionBlur => {
            let length = MOTION_BLUR[level] * planes.spatial_scale();
            let angle = (rng.uniform() - 0.5) * std::f32::consts::FRAC_PI_2;
            motion_blur(&mut planes, length, angle);
        }
        Corruption::Contrast => {
            let factor = CONTRAST[level];
            for c in 0..planes.channels {
                let mean = channel_mean(&planes, c);
                for v in planes.data.iter_mut().skip(c).step_by(planes.channels) {
                    *v = ((*v - mean) * factor + mean).clamp(0.0, 1.0);
                }
            }
        }
        Corruption::Brightness => {
            let offset = BRIGHTNESS[level];
            planes.map(|v| v + offset);
        }
        Corruption::Jpeg => return jpeg(&planes, JPEG_QUALITY[level]),
        Corruption::Pixelate => {
            // The smallest block (at least 2 pixels, so severity 1 changes something) is rounded
            // once and doubled, so the grids stay nested at any size.
            let smallest = (PIXELATE[0] * planes.spatial_scale()).round().max(2.0) as usize;
            pixelate(&mut planes, smallest << level);
        }
        Corruption::Ghosting => {
            let vertical = rng.uniform() < 0.5;
            ghosting(&mut planes, GHOSTING[level], vertical);
        }
        Corruption::BiasField => {
            // The coefficients' directions are drawn once; severity only scales them, so a
            // higher severity is the same field, stronger.
            let directions: Vec<f32> = (0..10).map(|_| rng.uniform() * 2.0 - 1.0).collect();
            bias_field(&mut planes, BIAS_FIELD[level], &directions);
        }
    }
    planes.into_image()
}

fn channel_mean(planes: &Planes, channel: usize) -> f32 {
    let values = planes.data.iter().skip(channel).step_by(planes.channels);
    let n = (planes.width * planes.height).max(1) as f64;
    (values.map(|v| f64::from(*v)).sum::<f64>() / n) as f32
}

/// Separable Gaussian blur with a kernel of radius ⌈3σ⌉ and edges clamped.
fn gaussian_blur(planes: &mut Planes, sigma: f32) {
    if sigma <= 0.0 {
        return;
    }
    let radius = (3.0 * sigma).ceil() as isize;
    let kernel: Vec<f32> = (-radius..=radius)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f32 = kernel.iter().sum();
    let kernel: Vec<f32> = kernel.iter().map(|k| k / total).collect();
    convolve_axis(planes, &kernel, radius, true);
    convolve_axis(planes, &kernel, radius, false);
}

fn convolve_axis(planes: &mut Planes, kernel: &[f32], radius: isize, horizontal: bool) {
    let (w, h, ch) = (
        planes.width as isize,
        planes.height as isize,
        planes.channels,
    );
    let source = planes.data.clone();
    for y in 0..h {
        for x in 0..w {
            for c in 0..ch {
                let mut sum = 0.0;
                for (k, weight) in kernel.iter().enumerate() {
                    let offset = k as isize - radius;
                    let (sx, sy) = if horizontal {
                        ((x + offset).clamp(0, w - 1), y)
                    } else {
                        (x, (y + offset).clamp(0, h - 1))
                    };
                    sum += weight * source[((sy * w + sx) as usize) * ch + c];
                }
                planes.data[((y * w + x) as usize) * ch + c] = sum;
            }
        }
    }
}

/// Averages each pixel with the samples along a line of `length` pixels through it, at `angle`.
fn motion_blur(planes: &mut Planes, length: f32, angle: f32) {
    let taps = length.round().max(1.0) as isize;
    let (dx, dy) = (angle.cos(), angle.sin());
    let (w, h, ch) = (
        planes.width as isize,
        planes.height as isize,
        planes.channels,
    );
    let source = planes.data.clone();
    for y in 0..h {
        for x in 0..w {
            for c in 0..ch {
                let mut sum = 0.0;
                for t in 0..taps {
                    // The trail extends behind the pixel, as a camera moving in one direction.
                    let step = -(t as f32);
                    let sx = (x as f32 + step * dx).round() as isize;
                    let sy = (y as f32 + step * dy).round() as isize;
                    let (sx, sy) = (sx.clamp(0, w - 1), sy.clamp(0, h - 1));
                    sum += source[((sy * w + sx) as usize) * ch + c];
                }
                planes.data[((y * w + x) as usize) * ch + c] = sum / taps as f32;
            }
        }
    }
}

fn jpeg(planes: &Planes, quality: u8) -> DynamicImage {
    let mut eight_bit = planes.clone();
    eight_bit.sixteen_bit = false;
    let source = eight_bit.into_image();
    let mut encoded = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut encoded, quality);
    let decoded = source.write_with_encoder(encoder).ok().and_then(|()| {
        image::load_from_memory_with_format(&encoded, image::ImageFormat::Jpeg).ok()
    });
    let Some(decoded) = decoded else {
        // Encoding an in-memory 8-bit image cannot fail; if it did, the image is left as it was
        // rather than replaced by something else.
        return source;
    };
    let mut back = Planes::from_image(&decoded);
    back.sixteen_bit = planes.sixteen_bit;
    back.into_image()
}

/// Replaces each `block` × `block` cell of a grid anchored at the top-left corner by its mean
/// (cells at the right and bottom edges may be smaller).
fn pixelate(planes: &mut Planes, block: usize) {
    let block = block.max(1);
    let (w, h, ch) = (planes.width, planes.height, planes.channels);
    for by in (0..h).step_by(block) {
        for bx in (0..w).step_by(block) {
            let (x_end, y_end) = ((bx + block).min(w), (by + block).min(h));
            let count = ((x_end - bx) * (y_end - by)) as f32;
            for c in 0..ch {
                let mut sum = 0.0;
                for y in by..y_end {
                    for x in bx..x_end {
                        sum += planes.data[(y * w + x) * ch + c];
                    }
                }
                let mean = sum / count;
                for y in by..y_end {
                    for x in bx..x_end {
                        planes.data[(y * w + x) * ch + c] = mean;
                    }
                }
            }
        }
    }
}

/// Two ghosts, a quarter of the field of view away on either side along the phase-encoding axis,
/// each carrying half of `intensity`: x' = (1 - a) x + a/2 (x shifted up + x shifted down).
fn ghosting(planes: &mut Planes, intensity: f32, vertical: bool) {
    let (w, h, ch) = (planes.width, planes.height, planes.channels);
    let source = planes.data.clone();
    let span = if vertical { h } else { w };
    let shift = (span / 4).max(1);
    for y in 0..h {
        for x in 0..w {
            let (a, b) = if vertical {
                (((y + shift) % h, x), ((y + h - shift % h) % h, x))
            } else {
                ((y, (x + shift) % w), (y, (x + w - shift % w) % w))
            };
            for c in 0..ch {
                let here = source[(y * w + x) * ch + c];
                let ghost =
                    (source[(a.0 * w + a.1) * ch + c] + source[(b.0 * w + b.1) * ch + c]) / 2.0;
                planes.data[(y * w + x) * ch + c] =
                    ((1.0 - intensity) * here + intensity * ghost).clamp(0.0, 1.0);
            }
        }
    }
}

/// A smooth multiplicative field exp(Σ a_ij u^i v^j) over normalised coordinates u, v in [-1, 1],
/// with the cubic polynomial's ten coefficients a_ij = range × direction_ij.
fn bias_field(planes: &mut Planes, range: f32, directions: &[f32]) {
    let (w, h, ch) = (planes.width, planes.height, planes.channels);
    let terms: Vec<(i32, i32)> = (0..=3)
        .flat_map(|i| (0..=3 - i).map(move |j| (i, j)))
        .collect();
    for y in 0..h {
        let v = if h > 1 {
            2.0 * y as f32 / (h - 1) as f32 - 1.0
        } else {
            0.0
        };
        for x in 0..w {
            let u = if w > 1 {
                2.0 * x as f32 / (w - 1) as f32 - 1.0
            } else {
                0.0
            };
            let exponent: f32 = terms
                .iter()
                .zip(directions)
                .map(|(&(i, j), d)| range * d * u.powi(i) * v.powi(j))
                .sum();
            let field = exponent.exp();
            for c in 0..ch {
                let value = &mut planes.data[(y * w + x) * ch + c];
                *value = (*value * field).clamp(0.0, 1.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::GrayImage;

    /// A 96x80 test image: a gradient with a bright disk and a dark bar.
    fn phantom() -> DynamicImage {
        DynamicImage::ImageLuma8(GrayImage::from_fn(96, 80, |x, y| {
            let (dx, dy) = (x as f32 - 40.0, y as f32 - 38.0);
            let value = if dx * dx + dy * dy < 400.0 {
                230.0
            } else if (60..70).contains(&x) {
                20.0
            } else {
                60.0 + x as f32
            };
            Luma([value as u8])
        }))
    }

    /// Root-mean-square difference in grey levels.
    fn rms_difference(a: &DynamicImage, b: &DynamicImage) -> f64 {
        let (a, b) = (a.to_luma8(), b.to_luma8());
        let squares: f64 = a
            .pixels()
            .zip(b.pixels())
            .map(|(p, q)| (f64::from(p.0[0]) - f64::from(q.0[0])).powi(2))
            .sum();
        (squares / f64::from(a.width() * a.height())).sqrt()
    }

    #[test]
    fn every_corruption_grows_with_severity_and_keeps_the_size() {
        let clean = phantom();
        for corruption in Corruption::ALL {
            let mut previous = 0.0;
            for severity in 1..=5 {
                let corrupted = corrupt(&clean, corruption, severity, 7);
                assert_eq!((corrupted.width(), corrupted.height()), (96, 80));
                let difference = rms_difference(&clean, &corrupted);
                assert!(
                    difference > previous,
                    "{} severity {severity}: {difference} after {previous}",
                    corruption.as_str()
                );
                previous = difference;
            }
        }
    }

    #[test]
    fn corruptions_are_deterministic_for_a_seed() {
        let clean = phantom();
        for corruption in Corruption::ALL {
            let a = corrupt(&clean, corruption, 3, 42);
            let b = corrupt(&clean, corruption, 3, 42);
            assert_eq!(a, b, "{}", corruption.as_str());
        }
        let a = corrupt(&clean, Corruption::GaussianNoise, 3, 42);
        let c = corrupt(&clean, Corruption::GaussianNoise, 3, 43);
        assert_ne!(a, c, "another seed, other noise");
    }

    #[test]
    fn known_values_by_hand() {
        let flat = DynamicImage::ImageLuma8(GrayImage::from_pixel(10, 10, Luma([100])));
        // Brightness +0.1 at severity 1: 100/255 + 0.1 = 0.49216 -> 125.5 -> 126.
        let bright = corrupt(&flat, Corruption::Brightness, 1, 0).to_luma8();
        assert!(bright.pixels().all(|p| p.0[0] == 126));
        // Contrast of a flat image is the image itself; blur and pixelation too.
        for corruption in [
            Corruption::Contrast,
            Corruption::GaussianBlur,
            Corruption::Pixelate,
        ] {
            assert_eq!(corrupt(&flat, corruption, 5, 0).to_luma8(), flat.to_luma8());
        }
        // Blank keeps size and colour type, every pixel 0.
        let blank = apply(&phantom(), &ImageTransform::Blank);
        assert_eq!(blank.color(), image::ColorType::L8);
        assert!(blank.to_luma8().pixels().all(|p| p.0[0] == 0));
    }

    #[test]
    fn colour_and_sixteen_bit_images_keep_their_kind() {
        let rgb = DynamicImage::ImageRgb8(phantom().to_rgb8());
        assert_eq!(
            corrupt(&rgb, Corruption::Jpeg, 2, 0).color(),
            image::ColorType::Rgb8
        );
        let deep = DynamicImage::ImageLuma16(phantom().to_luma16());
        assert_eq!(
            corrupt(&deep, Corruption::Ghosting, 2, 0).color(),
            image::ColorType::L16
        );
    }
}
