"""Weights trained elsewhere, read into ocrstudio's own networks (never run as they are):

- `ppocr`: PaddleOCR's ONNX files (PP-OCRv6 detector and recognizer), tensor by tensor;
- `easyocr`: EasyOCR's english_g2 recognizer (`recognition.crnn`'s g2 shape);
- `craft`: CRAFT's VGG16-BN trunk (`detection.craft_vgg`), to start a DBNet.

Every reader takes tensors only (no unpickling) and names the file in its `InputError`.
"""
