"""Writes the test fixtures of medeval-dense and records reference values from the Python tools.

Run by hand (never by the test suite), from the repository root:

    bash bench/seg/setup_venv.sh && bench/seg/.venv/bin/python bench/seg/make_fixtures.py

Outputs go to crates/medeval-dense/tests/data/:
  * small label maps written by independent writers (nibabel, SimpleITK, pynrrd, Pillow,
    tifffile) and the geometry SimpleITK reads back from each (geometry.json);
  * metric values computed by MONAI, medpy and DeepMind's surface-distance on the same masks
    (reference_values.json);
  * DeepMind's surfel area / contour length tables for a few spacings (surfel_tables.json).
MetricsReloaded is not published on PyPI, so it is not among the references.
"""
import json
import os
import sys

import nibabel as nib
import numpy as np
import SimpleITK as sitk

sys.path.insert(0, os.path.dirname(__file__))
from shapes import ellipsoid_pair, noisy_ellipsoid  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "crates", "medeval-dense", "tests", "data")


def save_nifti(array, spacing, path, dtype=np.uint8, nifti2=False, affine=None):
    if affine is None:
        affine = np.diag(list(spacing) + [1.0] if len(spacing) == 3 else list(spacing) + [1.0, 1.0])
    cls = nib.Nifti2Image if nifti2 else nib.Nifti1Image
    img = cls(array.astype(dtype), affine)
    img.header.set_zooms(tuple(spacing))
    img.header.set_sform(affine, code=1)
    img.header.set_qform(affine, code=1)
    nib.save(img, path)
    return img


def header_spacing(path):
    return [float(z) for z in nib.load(path).header.get_zooms()]


# ---------------------------------------------------------------- reference metric values

def monai_values(ref, pred, spacing):
    import torch
    from monai.metrics import (compute_average_surface_distance, compute_hausdorff_distance,
                               compute_surface_dice)

    def onehot(m):
        m = torch.from_numpy(m.astype(bool))
        return torch.stack([~m, m])[None].float()

    y, yp = onehot(ref), onehot(pred)
    sp = list(spacing)
    return {
        "hd": float(compute_hausdorff_distance(yp, y, spacing=sp)[0, 0]),
        "hd95": float(compute_hausdorff_distance(yp, y, percentile=95, spacing=sp)[0, 0]),
        "assd": float(compute_average_surface_distance(yp, y, symmetric=True, spacing=sp)[0, 0]),
        "nsd@1.0": float(compute_surface_dice(yp, y, class_thresholds=[1.0], spacing=sp)[0, 0]),
        "nsd@2.0": float(compute_surface_dice(yp, y, class_thresholds=[2.0], spacing=sp)[0, 0]),
    }


def medpy_values(ref, pred, spacing):
    from medpy.metric import binary as mb
    r, p = ref.astype(bool), pred.astype(bool)
    return {
        "dice": float(mb.dc(p, r)),
        "iou": float(mb.jc(p, r)),
        "precision": float(mb.precision(p, r)),
        "recall": float(mb.recall(p, r)),
        "rel_vol_diff": float(mb.ravd(p, r)),
        "hd": float(mb.hd(p, r, voxelspacing=spacing)),
        "hd95_pooled": float(mb.hd95(p, r, voxelspacing=spacing)),
        # medpy >= 0.5 pools both directions in `assd`; the mean of the two directed means is
        # built from its directed `asd`.
        "assd": float(mb.assd(p, r, voxelspacing=spacing)),
        "masd": float(0.5 * (mb.asd(p, r, voxelspacing=spacing) + mb.asd(r, p, voxelspacing=spacing))),
    }


def deepmind_values(ref, pred, spacing):
    import surface_distance as sd
    s = sd.compute_surface_distances(ref.astype(bool), pred.astype(bool), list(spacing))
    gt_to_pred, pred_to_gt = sd.compute_average_surface_distance(s)
    a_gt, a_pred = s["surfel_areas_gt"], s["surfel_areas_pred"]
    pooled = (np.sum(s["distances_gt_to_pred"] * a_gt) + np.sum(s["distances_pred_to_gt"] * a_pred)) / (
        np.sum(a_gt) + np.sum(a_pred))
    return {
        "hd": float(sd.compute_robust_hausdorff(s, 100)),
        "hd95": float(sd.compute_robust_hausdorff(s, 95)),
        "masd": float(0.5 * (gt_to_pred + pred_to_gt)),
        "assd": float(pooled),
        "nsd@1.0": float(sd.compute_surface_dice_at_tolerance(s, 1.0)),
        "nsd@2.0": float(sd.compute_surface_dice_at_tolerance(s, 2.0)),
        "dice": float(sd.compute_dice_coefficient(ref.astype(bool), pred.astype(bool))),
    }


def box(shape, lo, hi):
    m = np.zeros(shape, np.uint8)
    m[tuple(slice(a, b) for a, b in zip(lo, hi))] = 1
    return m


def metric_cases():
    cases = []
    # 3D: rough ellipsoids (label 1) and offset boxes (label 2), anisotropic spacing.
    shape, spacing = (40, 36, 20), (0.8, 0.8, 2.5)
    r1, p1 = ellipsoid_pair(shape, seed=3)
    ref = r1.copy()
    pred = p1.copy()
    ref[box(shape, (2, 2, 1), (9, 8, 5)) == 1] = 2
    pred[box(shape, (3, 2, 2), (10, 9, 6)) == 1] = 2
    cases.append(("ellipsoids", ref, pred, spacing))
    # 2D: two rough ellipses, anisotropic pixels.
    shape2 = (48, 40, 1)
    e_ref = noisy_ellipsoid(shape2, (24, 20, 0), (14, 10, 1.0), seed=11)[:, :, 0]
    e_pred = noisy_ellipsoid(shape2, (26, 19, 0), (13, 11, 1.0), seed=12)[:, :, 0]
    cases.append(("ellipses2d", e_ref.astype(np.uint8), e_pred.astype(np.uint8), (0.5, 0.7)))
    # 3D: label 300 as int16, one box inside the other.
    shape3, spacing3 = (16, 14, 12), (1.2, 0.9, 1.5)
    ref3 = box(shape3, (3, 3, 3), (12, 10, 9)).astype(np.int16) * 300
    pred3 = box(shape3, (4, 3, 2), (11, 11, 9)).astype(np.int16) * 300
    cases.append(("boxes_int16", ref3, pred3, spacing3))
    return cases


def write_metric_fixtures():
    records = []
    for name, ref, pred, spacing in metric_cases():
        dtype = ref.dtype
        ref_path = f"{name}_reference.nii.gz"
        pred_path = f"{name}_prediction.nii.gz"
        save_nifti(ref, spacing, os.path.join(OUT, ref_path), dtype=dtype)
        save_nifti(pred, spacing, os.path.join(OUT, pred_path), dtype=dtype)
        # Use the spacing exactly as stored (float32 in the header).
        sp = header_spacing(os.path.join(OUT, ref_path))
        ref = np.asarray(nib.load(os.path.join(OUT, ref_path)).dataobj)
        pred = np.asarray(nib.load(os.path.join(OUT, pred_path)).dataobj)
        labels = {}
        for label in sorted((set(np.unique(ref)) | set(np.unique(pred))) - {0}):
            r, p = (ref == label).astype(np.uint8), (pred == label).astype(np.uint8)
            labels[str(int(label))] = {
                "reference_voxels": int(r.sum()),
                "prediction_voxels": int(p.sum()),
                "monai": monai_values(r, p, sp),
                "medpy": medpy_values(r, p, sp),
                "deepmind": deepmind_values(r, p, sp),
            }
        records.append({"name": name, "reference": ref_path, "prediction": pred_path, "spacing": sp, "labels": labels})
    versions = {}
    for module in ["monai", "medpy", "surface_distance", "scipy", "numpy", "torch"]:
        try:
            from importlib.metadata import version
            versions[module] = version(module.replace("_", "-"))
        except Exception:  # noqa: BLE001
            versions[module] = "unknown"
    with open(os.path.join(OUT, "reference_values.json"), "w") as f:
        json.dump({"generated_by": "bench/seg/make_fixtures.py", "versions": versions, "cases": records}, f, indent=1)


# ---------------------------------------------------------------- surfel tables

def write_surfel_tables():
    from surface_distance import lookup_tables as lt
    tables = {"3d": [], "2d": []}
    for spacing in [(1.0, 1.0, 1.0), (0.8, 0.8, 2.5), (1.1, 1.7, 2.9), (3.0, 0.5, 1.2)]:
        tables["3d"].append({"spacing": spacing, "areas": lt.create_table_neighbour_code_to_surface_area(spacing).tolist()})
    for spacing in [(1.0, 1.0), (0.5, 0.7), (2.0, 3.0)]:
        tables["2d"].append({"spacing": spacing, "lengths": lt.create_table_neighbour_code_to_contour_length(spacing).tolist()})
    with open(os.path.join(OUT, "surfel_tables.json"), "w") as f:
        json.dump(tables, f, indent=1)


# ---------------------------------------------------------------- reader fixtures

def write_reader_fixtures():
    shape = (6, 5, 4)
    labels = (np.arange(np.prod(shape)) % 4).reshape(shape, order="F").astype(np.uint8)
    labels[0, 0, 0] = 7
    # Oblique affine: rotation about z by 30 degrees, then translation.
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    spacing = (0.7, 1.1, 2.0)
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])
    affine = np.eye(4)
    affine[:3, :3] = rot @ np.diag(spacing)
    affine[:3, 3] = [12.5, -7.25, 30.0]
    files = {}
    save_nifti(labels, spacing, os.path.join(OUT, "oblique_n1.nii.gz"), affine=affine)
    files["oblique_n1.nii.gz"] = "nibabel NIfTI-1, gzip"
    save_nifti(labels.astype(np.int16), spacing, os.path.join(OUT, "oblique_n2.nii"), dtype=np.int16, nifti2=True, affine=affine)
    files["oblique_n2.nii"] = "nibabel NIfTI-2, int16"
    image = sitk.ReadImage(os.path.join(OUT, "oblique_n1.nii.gz"))
    sitk.WriteImage(image, os.path.join(OUT, "oblique.mha"), useCompression=True)
    files["oblique.mha"] = "SimpleITK MetaImage, zlib"
    sitk.WriteImage(sitk.Cast(image, sitk.sitkUInt16), os.path.join(OUT, "oblique.mhd"), useCompression=False)
    files["oblique.mhd"] = "SimpleITK MetaImage header + raw, uint16"
    import nrrd
    direction = np.array(image.GetDirection()).reshape(3, 3)
    space_directions = (direction * np.array(image.GetSpacing())[None, :]).T
    nrrd.write(os.path.join(OUT, "oblique.nrrd"), labels, header={
        "space": "left-posterior-superior",
        "space directions": space_directions,
        "space origin": np.array(image.GetOrigin()),
        "encoding": "gzip",
    }, index_order="F")
    files["oblique.nrrd"] = "pynrrd, gzip, LPS"
    geometry = {}
    for name in files:
        if name.endswith("n2.nii"):
            # SimpleITK does not read NIfTI-2: derive LPS geometry from nibabel's affine.
            img2 = nib.load(os.path.join(OUT, name))
            zooms = [float(z) for z in img2.header.get_zooms()]
            lps = np.diag([-1.0, -1.0, 1.0]) @ img2.affine[:3, :3] / np.array(zooms)[None, :]
            geometry[name] = {
                "writer": files[name],
                "shape": list(img2.shape),
                "spacing": zooms,
                "direction_row_major": lps.reshape(-1).tolist(),
                "origin": (np.diag([-1.0, -1.0, 1.0]) @ img2.affine[:3, 3]).tolist(),
                "labels_x_fastest": [int(v) for v in np.asarray(img2.dataobj).reshape(-1, order="F")],
            }
            continue
        img = sitk.ReadImage(os.path.join(OUT, name))
        arr = sitk.GetArrayFromImage(img)  # z, y, x
        geometry[name] = {
            "writer": files[name],
            "shape": list(img.GetSize()),
            "spacing": list(img.GetSpacing()),
            "direction_row_major": list(img.GetDirection()),
            "origin": list(img.GetOrigin()),
            "labels_x_fastest": [int(v) for v in arr.reshape(-1)],
        }
    # 2D rasters: Pillow PNGs (8-bit gray, palette, 16-bit gray) and a tifffile stack.
    from PIL import Image
    import tifffile
    plane = (np.arange(7 * 5) % 3).reshape(5, 7).astype(np.uint8)  # rows = y, cols = x
    plane[4, 6] = 9
    Image.fromarray(plane).save(os.path.join(OUT, "gray8.png"))
    pal = Image.fromarray(plane)
    pal.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [10] * (253 * 3))
    pal.save(os.path.join(OUT, "palette.png"))
    Image.fromarray(plane.astype(np.uint16) * 1000).save(os.path.join(OUT, "gray16.png"))
    stack = np.stack([plane, plane * 2]).astype(np.uint16)  # pages = z
    tifffile.imwrite(os.path.join(OUT, "stack.tif"), stack)
    rgb = np.stack([plane] * 3, axis=-1)
    Image.fromarray(rgb).save(os.path.join(OUT, "rgb.png"))
    geometry["gray8.png"] = {"shape": [7, 5, 1], "labels_x_fastest": [int(v) for v in plane.reshape(-1)]}
    geometry["palette.png"] = {"shape": [7, 5, 1], "labels_x_fastest": [int(v) for v in plane.reshape(-1)]}
    geometry["gray16.png"] = {"shape": [7, 5, 1], "labels_x_fastest": [int(v) * 1000 for v in plane.reshape(-1)]}
    geometry["stack.tif"] = {"shape": [7, 5, 2], "labels_x_fastest": [int(v) for v in stack.reshape(-1)]}
    with open(os.path.join(OUT, "geometry.json"), "w") as f:
        json.dump(geometry, f, indent=1)
    # Bad inputs written by nibabel: non-integer labels and a 4D series.
    floats = labels.astype(np.float32)
    floats[1, 2, 3] = 2.5
    save_nifti(floats, spacing, os.path.join(OUT, "float_labels.nii.gz"), dtype=np.float32)
    four_d = np.stack([labels, labels], axis=-1)
    img = nib.Nifti1Image(four_d, np.eye(4))
    nib.save(img, os.path.join(OUT, "four_d.nii.gz"))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    write_reader_fixtures()
    write_surfel_tables()
    write_metric_fixtures()
    print("fixtures written to", os.path.abspath(OUT))
