"""Text recognition: word crops in, text with confidences out.

The recognizer module contract (every architecture in `zoo.RECOGNIZERS` follows it)
------------------------------------------------------------------------------------

Configuration is a frozen dataclass with an ``input: RecInput`` field
(`preprocess.RecInput`: height, width, channels, mean, std, keep_ratio, dynamic_width);
its "full" config is the published model, its "tiny" config learns on a CPU in about a
minute. The zoo entry's ``build(config, charset) -> nn.Module`` returns a module that

* keeps ``self.config`` (its config) and ``self.charset`` (`core.charset.Charset`);
* ``forward(images, targets: list[str] | None = None) -> dict``:
  ``images`` is what ``preprocess.prepare_crops(crops, config.input)`` returns,
  a float tensor (B, C, H, W). With ``targets`` (training) it returns the loss dict:
  ``"loss"`` (scalar to backpropagate) plus its named parts (detached or not, scalars);
  without targets it returns ``{"logits": Tensor}`` (B, T, num_classes) for the
  decoder (T = time steps for CTC, max_len + 1 for attention decoders).
  Targets hold only charset characters: callers filter labels with
  ``Charset.filter_report`` first and report what was removed.
* ``read(images) -> list[RecResult]`` (`types.RecResult(text, score, char_scores,
  char_spans)`; spans where the decoder knows them, CTC's greedy path, which is what cuts
  a line into word boxes): decoding, one result per image, in whatever mode the caller
  set. Callers go through
  ``predictor.recognize(model, images)``, which reads in eval mode under
  ``torch.inference_mode()`` and restores the module's train/eval state (one place for
  that, not one per architecture).

Tokenization follows `engine/tokenizer.py` (CTC: blank = 0; attention: EOS = 0,
characters 1..N, BOS = N + 1, PAD = N + 2). Loss code lives in a module of its own
(e.g. `ctc.py` for CRNN), apart from the network (PARSeq's model/system split), so the
network stays exportable and the objective swappable (ConCLR is a training objective
of the ABINet vision model).

`predictor.RecognitionPredictor` batches crops (sorted by width), prepares them with
`prepare` (the model's ``config.input``) and reads them; training calls ``forward`` with
targets. Checkpoints store ``"charset": charset.to_meta()`` in their metadata and load
through ``engine.zoo.load_model``.
"""
