"""Writes the small DICOM folder that medeval-sanity's tests read.

Run by hand after changing it (the files are committed):

    python3 -m venv bench/sanity/.venv
    bench/sanity/.venv/bin/pip install pydicom==3.0.1 numpy pillow
    bench/sanity/.venv/bin/python bench/sanity/make_fixtures.py

The files are written by pydicom, independently of the Rust reader, and cover what the builder
must handle: explicit and implicit VR little endian, signed 16-bit CT with a rescale and a window,
unsigned 16-bit MR without a window, MONOCHROME1 8-bit radiography, RGB ultrasound that declares
Burned In Annotation = NO, a multi-frame image, JPEG baseline (encapsulated), a transfer syntax the
builder does not decode, an image with burned-in annotation, and a file that is not DICOM at all.
Header values (modality, body part, orientation) are the answers the tests expect. The grey-scale
CT, MR and radiography images carry no Burned In Annotation attribute, as most scanners write them.

A second folder, `burned_in_unknown/`, holds a grey-scale CT and an RGB ultrasound image, neither
with Burned In Annotation: the ultrasound image is left out unless unknown burned-in annotation
is explicitly allowed.
"""

import io
from pathlib import Path

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    ComputedRadiographyImageStorage,
    CTImageStorage,
    DigitalXRayImageStorageForPresentation,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    MRImageStorage,
    UltrasoundImageStorage,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "crates" / "medeval-sanity" / "tests" / "fixtures"
OUT = FIXTURES / "dicom"
UNKNOWN = FIXTURES / "burned_in_unknown"

# Fixed UIDs so that the files are byte-for-byte reproducible.
PREFIX = "1.2.826.0.1.3680043.10.1087."


def uid(n: int) -> str:
    return f"{PREFIX}{n}"


# The storage SOP class of each modality (Secondary Capture would mark every image as a possible
# screen capture with burned-in text).
SOP_CLASSES = {
    "CT": CTImageStorage,
    "MR": MRImageStorage,
    "CR": ComputedRadiographyImageStorage,
    "DX": DigitalXRayImageStorageForPresentation,
    "US": UltrasoundImageStorage,
}


def dataset(
    *,
    transfer_syntax: str,
    modality: str,
    study: int,
    series: int,
    instance: int,
    rows: int,
    columns: int,
    body_part: str | None = None,
    orientation: list[float] | None = None,
) -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SOP_CLASSES[modality]
    meta.MediaStorageSOPInstanceUID = uid(1000 + series * 10 + instance)
    meta.TransferSyntaxUID = transfer_syntax
    meta.ImplementationClassUID = uid(1)
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = "Sanity^Fixture"
    ds.PatientID = "FIXTURE"
    ds.StudyInstanceUID = uid(100 + study)
    ds.SeriesInstanceUID = uid(200 + series)
    ds.InstanceNumber = instance
    ds.Modality = modality
    if body_part is not None:
        ds.BodyPartExamined = body_part
    if orientation is not None:
        ds.ImageOrientationPatient = orientation
    ds.Rows = rows
    ds.Columns = columns
    return ds


def monochrome(ds: Dataset, pixels: np.ndarray, *, signed: bool, photometric: str = "MONOCHROME2") -> None:
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    bits = pixels.dtype.itemsize * 8
    ds.BitsAllocated = bits
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.PixelData = pixels.astype(pixels.dtype.newbyteorder("<")).tobytes()


def save(ds: Dataset, name: str, folder: Path = OUT) -> None:
    little = ds.file_meta.TransferSyntaxUID != ImplicitVRLittleEndian
    ds.save_as(folder / name, enforce_file_format=True, implicit_vr=not little, little_endian=True)


def burned_in_unknown() -> None:
    # Neither file says whether text is burned in: the CT slice (grey scale) is used, the RGB
    # ultrasound image only when unknown burned-in annotation is allowed.
    ds = dataset(
        transfer_syntax=ExplicitVRLittleEndian,
        modality="CT",
        study=7,
        series=9,
        instance=1,
        rows=8,
        columns=8,
        body_part="HEAD",
        orientation=[1, 0, 0, 0, 1, 0],
    )
    hu = np.full((8, 8), 1000, dtype=np.int16)
    hu[2:6, 2:6] = 1100
    monochrome(ds, hu, signed=True)
    save(ds, "ct.dcm", UNKNOWN)
    us_rgb(burned_in=None, folder=UNKNOWN, name="us_rgb.dcm")


def ct_series() -> None:
    # Three axial CT slices of one series; stored values are HU + 1024. Slice 2 (the middle
    # instance) holds a horizontal ramp from -160 HU to 240 HU over 5 columns on its first row:
    # with window centre 40 / width 400 the DICOM linear VOI function maps them by hand to
    # 0, 64, 128, 191, 255 (see the Rust test).
    for instance in (1, 2, 3):
        ds = dataset(
            transfer_syntax=ExplicitVRLittleEndian,
            modality="CT",
            study=1,
            series=1,
            instance=instance,
            rows=16,
            columns=20,
            body_part="CHEST",
            orientation=[1, 0, 0, 0, 1, 0],
        )
        hu = np.full((16, 20), -1000, dtype=np.int16)
        hu[4:12, 5:15] = 40 * instance
        if instance == 2:
            hu[0, 0:5] = [-160, -60, 40, 140, 240]
        monochrome(ds, (hu + 1024).astype(np.int16), signed=True)
        ds.RescaleSlope = 1
        ds.RescaleIntercept = -1024
        ds.WindowCenter = 40
        ds.WindowWidth = 400
        save(ds, f"ct/series1/slice{instance}.dcm")


def mr_sagittal() -> None:
    ds = dataset(
        transfer_syntax=ImplicitVRLittleEndian,
        modality="MR",
        study=2,
        series=2,
        instance=1,
        rows=24,
        columns=16,
        body_part="HEAD",
        orientation=[0, 1, 0, 0, 0, -1],
    )
    values = np.zeros((24, 16), dtype=np.uint16)
    values[:, :] = np.arange(16, dtype=np.uint16)[None, :] * 100
    values[2:6, 2:6] = 3000
    monochrome(ds, values, signed=False)
    save(ds, "mr/sagittal.dcm")


def mr_coronal_multiframe() -> None:
    ds = dataset(
        transfer_syntax=ExplicitVRLittleEndian,
        modality="MR",
        study=2,
        series=3,
        instance=1,
        rows=12,
        columns=12,
        body_part="KNEE",
        orientation=[1, 0, 0, 0, 0, -1],
    )
    frames = np.zeros((3, 12, 12), dtype=np.uint8)
    for k in range(3):
        frames[k, :, : 4 * (k + 1)] = 200
    ds.NumberOfFrames = 3
    monochrome(ds, frames, signed=False)
    save(ds, "mr/coronal_multiframe.dcm")


def cr_monochrome1() -> None:
    ds = dataset(
        transfer_syntax=ExplicitVRLittleEndian,
        modality="CR",
        study=3,
        series=4,
        instance=1,
        rows=20,
        columns=16,
        body_part="CHEST",
    )
    values = np.zeros((20, 16), dtype=np.uint8)
    values[:, 8:] = 255
    monochrome(ds, values, signed=False, photometric="MONOCHROME1")
    save(ds, "cr/chest.dcm")


def us_rgb(*, burned_in: str | None = "NO", folder: Path = OUT, name: str = "us/rgb.dcm") -> None:
    ds = dataset(
        transfer_syntax=ExplicitVRLittleEndian,
        modality="US",
        study=4,
        series=5,
        instance=1,
        rows=10,
        columns=14,
    )
    if burned_in is not None:
        ds.BurnedInAnnotation = burned_in
    rgb = np.zeros((10, 14, 3), dtype=np.uint8)
    rgb[..., 0] = 200
    rgb[5:, :, 2] = 120
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "RGB"
    ds.PlanarConfiguration = 0
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = rgb.tobytes()
    save(ds, name, folder)


def us_burned_in() -> None:
    ds = dataset(
        transfer_syntax=ExplicitVRLittleEndian,
        modality="US",
        study=4,
        series=6,
        instance=1,
        rows=8,
        columns=8,
    )
    ds.BurnedInAnnotation = "YES"
    monochrome(ds, np.full((8, 8), 90, dtype=np.uint8), signed=False)
    save(ds, "us/burned_in.dcm")


def dx_jpeg() -> None:
    ds = dataset(
        transfer_syntax=JPEGBaseline8Bit,
        modality="DX",
        study=5,
        series=7,
        instance=1,
        rows=16,
        columns=16,
        body_part="HAND",
    )
    gray = np.zeros((16, 16), dtype=np.uint8)
    gray[:, :8] = 230
    buffer = io.BytesIO()
    Image.fromarray(gray, mode="L").save(buffer, format="JPEG", quality=95)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = encapsulate([buffer.getvalue()])
    ds["PixelData"].VR = "OB"
    save(ds, "dx/hand_jpeg.dcm")


def unsupported_jpeg2000() -> None:
    ds = dataset(
        transfer_syntax=JPEG2000Lossless,
        modality="CT",
        study=6,
        series=8,
        instance=1,
        rows=8,
        columns=8,
        body_part="ABDOMEN",
    )
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = encapsulate([b"\xff\x4f\xff\x51 not a real codestream"])
    ds["PixelData"].VR = "OB"
    save(ds, "ct/j2k.dcm")


def main() -> None:
    for sub in ("ct/series1", "mr", "cr", "us", "dx"):
        (OUT / sub).mkdir(parents=True, exist_ok=True)
    ct_series()
    mr_sagittal()
    mr_coronal_multiframe()
    cr_monochrome1()
    us_rgb()
    us_burned_in()
    dx_jpeg()
    unsupported_jpeg2000()
    (OUT / "README.txt").write_text("Not DICOM: the builder skips files without the DICM magic.\n")
    UNKNOWN.mkdir(parents=True, exist_ok=True)
    burned_in_unknown()


if __name__ == "__main__":
    main()
