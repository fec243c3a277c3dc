"""Text detection: DBNet (and TCM and PP-OCRv6's detector, which end in the same DB head).

The contract every architecture in `zoo.DETECTORS` follows is `protocol.Detector`, with a
config that is a `protocol.DetectorConfig`.

Each architecture is one module (docTR's layout): its frozen config dataclass and
`DEFAULT_CFGS` (architecture name -> named configs, "full" and "tiny" at least), the
network with its loss beside it (`compute_loss`), and its `build_*(config, charset)`:
`dbnet` (DBNet and DB's loss), `tcm` (+ its CLIP parts in `tcm_modules`), `ppocr_det`.
Shared parts: `backbones` / `craft_vgg` (trunks with strides 4-32), `fpn.FPN`,
`head.DBHead`; DB's numpy/cv2 side beside them: `targets.make_targets` and
`postprocess.boxes_from_prob` (no torch); `predictor.DetectionPredictor` (images in,
`Region`s out), `fuse.fold_batchnorm` (inference speed-up) and `zoo.DETECTORS`.
Submodules are imported where used, so importing this package stays cheap.
"""

from ocrstudio.engine.detection.protocol import (
    Detector,
    DetectorConfig,
    as_detector,
)

__all__ = ["Detector", "DetectorConfig", "as_detector"]
