"""Synthetic label maps shared by the fixture generator and the benchmark.

Two overlapping ellipsoids whose radius is modulated by smooth random noise, with extra
random voxel flips in a thin shell around the surface: rough, realistic-looking organ masks.
"""
import numpy as np
from scipy import ndimage


def noisy_ellipsoid(shape, center, radii, seed, roughness=0.08, shell=0.03, flip=0.15):
    """Boolean mask (x, y, z axis order) of a rough ellipsoid."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(-1.0, 1.0, size=(6, 6, 4))
    zoom = [s / c for s, c in zip(shape, coarse.shape)]
    noise = ndimage.zoom(coarse, zoom, order=1, mode="nearest")[: shape[0], : shape[1], : shape[2]]
    axes = [(np.arange(n, dtype=np.float32) - c) / r for n, c, r in zip(shape, center, radii)]
    radius = np.sqrt(axes[0][:, None, None] ** 2 + axes[1][None, :, None] ** 2 + axes[2][None, None, :] ** 2)
    threshold = 1.0 + roughness * noise
    mask = radius < threshold
    near = np.abs(radius - threshold) < shell
    flips = near & (rng.uniform(size=shape) < flip)
    mask ^= flips
    return mask


def ellipsoid_pair(shape, seed=0):
    """(reference, prediction) uint8 label maps with label 1, offset and differently rough."""
    nx, ny, nz = shape
    center = (nx * 0.5, ny * 0.5, nz * 0.5)
    radii = (nx * 0.3, ny * 0.25, nz * 0.3)
    reference = noisy_ellipsoid(shape, center, radii, seed)
    shifted = (center[0] + nx * 0.02, center[1] - ny * 0.015, center[2] + nz * 0.02)
    prediction = noisy_ellipsoid(shape, shifted, tuple(r * 1.03 for r in radii), seed + 1)
    return reference.astype(np.uint8), prediction.astype(np.uint8)
