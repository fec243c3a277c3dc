"""Text recognition: word crops in, text with confidences out.

The contract every architecture in `zoo.RECOGNIZERS` follows is `protocol.Recognizer`
(`protocol.CTCModel` for CTC networks, which the int8 export and the ONNX runner need),
with a config that is a `protocol.RecognizerConfig`.

Each architecture is one module (docTR's layout): its frozen config dataclass and
`DEFAULT_CFGS` (architecture name -> named configs, "full" and "tiny" at least), the
network with its loss beside it (`compute_loss`), and its `build_*(config, charset)`:
`crnn` (CRNN, EasyOCR's g2 shape, CTC), `abinet` (+ its ConCLR objective in `conclr`),
`clip4str` (+ `parseq_decoder`), `ppocr_rec` (PP-OCRv6). Shared: `preprocess`
(`RecInput`, `prepare_crops`), `types` (`RecResult`), `predictor` (`recognize`,
`RecognitionPredictor`), `zoo`. Importers of foreign weights live in `engine/importers`.
"""

from ocrstudio.engine.recognition.protocol import (
    CTCModel,
    Recognizer,
    RecognizerConfig,
    as_ctc_model,
    as_recognizer,
)

__all__ = ["CTCModel", "Recognizer", "RecognizerConfig", "as_ctc_model", "as_recognizer"]
