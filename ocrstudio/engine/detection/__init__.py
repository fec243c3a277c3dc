"""Text detection: DBNet (and TCM, which ends in the same FPN and DB head).

Modules: `backbones` / `craft_vgg` (trunks with strides 4-32), `fpn.FPN`, `head.DBHead`,
`losses.DBLoss`, `model.DBNet` (network only), `targets.make_targets` and
`postprocess.boxes_from_prob` (numpy/cv2/pyclipper, no torch), `predictor.DetectionPredictor`
(images in, `Region`s out), `fuse.fold_batchnorm` (inference speed-up) and `zoo.DETECTORS`.
Submodules are imported where used, so importing this package stays cheap.
"""
