"""Writes the reconstruction-metric fixtures of medeval-dense and records scikit-image's values.

Run by hand (never by the test suite), from the repository root:

    bash bench/recon/fixtures.sh

Outputs go to crates/medeval-dense/tests/fixtures/recon/: small image pairs (.npy written by
NumPy, .nii.gz written by nibabel) and reference.json, which holds for each pair the PSNR, SSIM,
NMSE and MSE that scikit-image gives under two published conventions:

* fastmri (fastMRI's evaluate.py): per volume, data_range = gt.max(); PSNR over the volume,
  NMSE = ||gt - pred||^2 / ||gt||^2, SSIM = mean over slices of structural_similarity(gt[s],
  pred[s], data_range=gt.max());
* cmrxrecon (CMRxRecon's evaluation): every 2-D image (slice, and frame of a cine) of gt and of
  pred divided by its own maximum, then PSNR, SSIM and NMSE with data_range 1, averaged over the
  images of the file.

Every array is cast to float64 before scikit-image sees it (scikit-image computes in float32 for
float32 input). A case whose convention is undefined records the error medeval must raise.
"""
import json
import os

import nibabel as nib
import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

OUT = os.path.join(
    os.path.dirname(__file__), "..", "..", "crates", "medeval-dense", "tests", "fixtures", "recon"
)


def planes(array, layout):
    """The 2-D images of an array as a (n, h, w) float64 stack.

    layout "numpy": (slices, h, w) or (slices, frames, h, w); "voxel": nibabel's (i, j, k[, t]).
    """
    a = np.asarray(array, dtype=np.float64)
    if a.ndim == 2:
        return a[None]
    if layout == "voxel":
        a = np.moveaxis(a, [0, 1], [-2, -1])  # (k[, t], i, j)
    return a.reshape((-1,) + a.shape[-2:])


def fastmri(gt, pred):
    data_range = gt.max()
    mse = float(np.mean((gt - pred) ** 2))
    with np.errstate(divide="ignore"):
        psnr = float(peak_signal_noise_ratio(gt, pred, data_range=data_range))
    ssim = float(
        np.mean([structural_similarity(g, p, data_range=data_range) for g, p in zip(gt, pred)])
    )
    nmse = float(np.linalg.norm(gt - pred) ** 2 / np.linalg.norm(gt) ** 2)
    return {
        "psnr": psnr if np.isfinite(psnr) else None,
        "ssim": ssim,
        "nmse": nmse,
        "mse": mse,
        "data_range": float(data_range),
    }


def cmrxrecon(gt, pred):
    rows = []
    for g, p in zip(gt, pred):
        g = g / g.max()
        p = p / p.max()
        with np.errstate(divide="ignore"):
            psnr = float(peak_signal_noise_ratio(g, p, data_range=1.0))
        rows.append(
            (
                psnr,
                float(structural_similarity(g, p, data_range=1.0)),
                float(np.linalg.norm(g - p) ** 2 / np.linalg.norm(g) ** 2),
                float(np.mean((g - p) ** 2)),
            )
        )
    psnr, ssim, nmse, mse = (float(np.mean(c)) for c in zip(*rows))
    return {
        "psnr": psnr if np.isfinite(psnr) else None,
        "ssim": ssim,
        "nmse": nmse,
        "mse": mse,
        "data_range": 1.0,
    }


def save(name, array, layout, dtype=np.float32, fortran=False, big_endian=False):
    path = os.path.join(OUT, name)
    if layout == "numpy":
        a = np.asarray(array, dtype=dtype)
        if big_endian:
            a = a.astype(a.dtype.newbyteorder(">"))
        if fortran:
            a = np.asfortranarray(a)
        np.save(path, a)
    else:
        img = nib.Nifti1Image(np.asarray(array, dtype=dtype), np.eye(4))
        nib.save(img, path)
    return name


def loaded(name, layout):
    path = os.path.join(OUT, name)
    if layout == "numpy":
        return np.load(path)
    return np.asanyarray(nib.load(path).dataobj)


def phantom(shape, rng):
    """Smooth blobs on a dark background, like a magnitude image."""
    h, w = shape[-2:]
    yy, xx = np.mgrid[0:h, 0:w]
    out = np.zeros(shape)
    for index in np.ndindex(*shape[:-2]):
        img = np.zeros((h, w))
        for _ in range(4):
            cy, cx = rng.uniform(0, h), rng.uniform(0, w)
            s = rng.uniform(2, 6)
            img += rng.uniform(0.3, 1.0) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
        out[index] = img
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    rng = np.random.default_rng(20240611)
    cases = []

    def case(name, gt, pred, layout, conventions=("fastmri", "cmrxrecon"), **save_args):
        ext = ".npy" if layout == "numpy" else ".nii.gz"
        ref = save(f"{name}_gt{ext}", gt, layout, **save_args)
        pre = save(f"{name}_pred{ext}", pred, layout, **save_args)
        g = planes(loaded(ref, layout), layout)
        p = planes(loaded(pre, layout), layout)
        for convention in conventions:
            compute = fastmri if convention == "fastmri" else cmrxrecon
            expected = compute(g, p)
            expected["planes"] = int(g.shape[0])
            cases.append(
                {
                    "name": f"{name}/{convention}",
                    "reference": ref,
                    "prediction": pre,
                    "convention": convention,
                    "expected": expected,
                }
            )

    # fastMRI-shaped random volume (slices, height, width), float32 as fastMRI stores it.
    gt = rng.random((4, 20, 24))
    pred = gt + 0.2 * rng.standard_normal(gt.shape)
    case("random", gt, pred, "numpy")
    # The same arrays, big-endian float64 in Fortran order: the reader's other layouts.
    case("random_f8_be_fortran", gt, pred, "numpy", dtype=np.float64, fortran=True, big_endian=True)
    # Structured phantom as NIfTI (i, j, k): slices along the third axis.
    gt = np.moveaxis(phantom((5, 28, 32), rng), 0, -1)
    pred = gt + 0.05 * rng.standard_normal(gt.shape)
    case("phantom", gt, pred, "voxel")
    # Odd plane size 9x13 (windows 3x7).
    gt = rng.random((3, 9, 13))
    pred = 0.8 * gt + 0.1 * rng.random(gt.shape)
    case("odd_9x13", gt, pred, "numpy", dtype=np.float64)
    # Large offset (CT-like numbers): variances are small beside the squared means.
    gt = 1000.0 + 20.0 * rng.random((2, 16, 16))
    pred = gt + 2.0 * rng.standard_normal(gt.shape)
    case("offset", gt, pred, "numpy", dtype=np.float64)
    # Constant images: SSIM reduces to the luminance term.
    case("constant", np.full((2, 10, 10), 5.0), np.full((2, 10, 10), 3.0), "numpy", dtype=np.float64)
    # Identical images: infinite PSNR (null), SSIM 1, NMSE 0.
    gt = rng.random((2, 12, 12))
    case("identical", gt, gt.copy(), "numpy", dtype=np.float64)
    # 4-D cine, NIfTI (i, j, k, t) and NumPy (slices, frames, h, w).
    gt = phantom((2, 3, 14, 16), rng)
    pred = np.abs(gt + 0.05 * rng.standard_normal(gt.shape))
    case("cine_npy", gt, pred, "numpy")
    case("cine_nii", np.moveaxis(gt, [2, 3], [0, 1]), np.moveaxis(pred, [2, 3], [0, 1]), "voxel")
    # Integer images (uint16 magnitude).
    gt = np.round(1000 * rng.random((2, 11, 10)))
    pred = np.round(gt + 50 * rng.standard_normal(gt.shape)).clip(0, None)
    case("uint16", gt, pred, "numpy", dtype=np.uint16)

    # Undefined cases: the error medeval must give (a fragment of its message).
    zero = save("zero_gt.npy", np.zeros((2, 8, 8)), "numpy", dtype=np.float64)
    noisy = save("zero_pred.npy", rng.random((2, 8, 8)), "numpy", dtype=np.float64)
    cases.append({"name": "range0/fastmri", "reference": zero, "prediction": noisy,
                  "convention": "fastmri", "error": "must be positive"})
    cases.append({"name": "range0/cmrxrecon", "reference": zero, "prediction": noisy,
                  "convention": "cmrxrecon", "error": "slice 0 has maximum 0"})
    small = save("small_gt.npy", rng.random((2, 6, 9)), "numpy", dtype=np.float64)
    cases.append({"name": "small/fastmri", "reference": small, "prediction": small,
                  "convention": "fastmri", "error": "smaller than the 7x7 SSIM window"})
    nan = rng.random((2, 8, 8))
    nan[1, 2, 3] = np.nan
    nan_file = save("nan_pred.npy", nan, "numpy", dtype=np.float64)
    cases.append({"name": "nan/fastmri", "reference": noisy, "prediction": nan_file,
                  "convention": "fastmri", "error": "sample [1, 2, 3]"})
    mismatch = save("mismatch_pred.npy", rng.random((2, 8, 9)), "numpy", dtype=np.float64)
    cases.append({"name": "mismatch/fastmri", "reference": noisy, "prediction": mismatch,
                  "convention": "fastmri", "error": "[2, 8, 9]"})

    import skimage

    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(
            {
                "generator": "bench/recon/make_fixtures.py",
                "skimage": skimage.__version__,
                "numpy": np.__version__,
                "cases": cases,
            },
            f,
            indent=1,
        )
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"{len(cases)} cases, {total} bytes in {OUT}")


if __name__ == "__main__":
    main()
