"""CLIP4STR and its PARSeq decoders: permutations and masks, frozen text layers, CLIP
weights from a local file, checkpoints, and a tiny model that learns to read."""

from __future__ import annotations

import dataclasses

import numpy as np
import open_clip
import pytest
import torch
from safetensors.torch import save_file

from ocrstudio.core.charset import Charset
from ocrstudio.engine.checkpoint import save_checkpoint
from ocrstudio.engine.clip_backbone import clip_model_config
from ocrstudio.engine.recognition.clip4str import CLIP4STR, DEFAULT_CFGS
from ocrstudio.engine.recognition.parseq_decoder import (
    causal_mask,
    cloze_query_mask,
    gen_tgt_perms,
    perm_attn_masks,
)
from ocrstudio.engine.recognition.predictor import recognize
from ocrstudio.engine.recognition.preprocess import prepare_crops
from ocrstudio.engine.zoo import get_spec, load_model, new_card
from tests.support.rendered_words import WORDS, render

CONFIGS = DEFAULT_CFGS["clip4str_base"]

TINY = CONFIGS["tiny"]


def test_permutations_forward_reverse_and_mirrored_pairs() -> None:
    for n_chars in (3, 4, 7, 12):
        perms = gen_tgt_perms(n_chars, 6, np.random.default_rng(n_chars))
        assert perms.shape == (6, n_chars + 2)
        assert perms[:, 0].eq(0).all()  # BOS first
        for p in perms:
            assert sorted(p.tolist()) == list(range(n_chars + 2))
        assert perms[0].tolist() == list(range(n_chars + 2))
        assert perms[1].tolist() == [0, *range(n_chars + 1, 0, -1)]  # EOS from null context
        for k in (2, 4):  # random orders come with their mirror, EOS last
            assert perms[k + 1, 1:-1].tolist() == perms[k, 1:-1].flip(0).tolist()
            assert perms[k, -1] == perms[k + 1, -1] == n_chars + 1
        assert len({tuple(p.tolist()) for p in perms}) == 6
    assert gen_tgt_perms(1).tolist() == [[0, 1, 2]]
    assert len(gen_tgt_perms(2)) == 2  # only forward and reverse exist


def test_attention_masks_follow_the_permutation() -> None:
    content, query = perm_attn_masks(torch.arange(6))
    assert torch.equal(content, causal_mask(5, "cpu"))  # forward order = causal
    assert torch.equal(query, causal_mask(5, "cpu"))
    perm = torch.tensor([0, 3, 1, 2, 4])  # read position 3 first, then 1, 2, EOS
    content, query = perm_attn_masks(perm)
    assert content.dtype == torch.bool
    # the query of position 1 sees BOS and position 3 only; position 3 sees BOS only
    assert (~query[0]).nonzero().flatten().tolist() == [0, 3]
    assert (~query[2]).nonzero().flatten().tolist() == [0]
    assert (~content[1]).nonzero().flatten().tolist() == [0, 1, 3]  # itself included
    cloze = cloze_query_mask(4, "cpu")
    assert cloze.nonzero().tolist() == [[0, 1], [1, 2], [2, 3]]


def test_text_encoder_first_half_frozen() -> None:
    full_text = clip_model_config(CONFIGS["full"].clip_model)["text_cfg"]
    assert full_text["layers"] == 12 and CONFIGS["full"].text_frozen_layers == 6
    model = CLIP4STR(TINY, Charset("abc"))
    blocks = model.clip.transformer.resblocks
    assert len(blocks) == 2 and TINY.text_frozen_layers == 1
    assert not any(p.requires_grad for p in blocks[0].parameters())
    assert all(p.requires_grad for p in blocks[1].parameters())
    assert not model.clip.token_embedding.weight.requires_grad
    assert all(p.requires_grad for p in model.clip.visual.parameters())
    before = [p.detach().clone() for p in blocks[0].parameters()]
    model(torch.randn(2, 3, 32, 128), ["ab", "c"])["loss"].backward()
    assert blocks[1].mlp.c_fc.weight.grad is not None  # the cross branch trains the top half
    assert all(p.grad is None for p in blocks[0].parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, blocks[0].parameters(), strict=True))


def test_clip_weights_from_local_file(tmp_path) -> None:
    source = open_clip.CLIP(**TINY.open_clip_config())
    path = tmp_path / "tiny_clip.safetensors"
    save_file({k: v.contiguous() for k, v in source.state_dict().items()}, str(path))
    model = CLIP4STR(dataclasses.replace(TINY, clip_weights=str(path)), Charset("abc"))
    assert torch.equal(model.clip.visual.conv1.weight, source.visual.conv1.weight)
    assert torch.equal(
        model.clip.transformer.resblocks[1].mlp.c_fc.weight,
        source.transformer.resblocks[1].mlp.c_fc.weight,
    )
    assert model.config.clip_weights is None  # the weights now live in the model


def test_checkpoint_round_trip(tmp_path) -> None:
    cs = Charset.default()
    torch.manual_seed(0)
    model = CLIP4STR(TINY, cs).eval()
    save_checkpoint(tmp_path / "c4", model.state_dict(), new_card(get_spec("clip4str_base"), model))
    loaded, _ = load_model(tmp_path / "c4")
    x = torch.randn(2, 3, 32, 128)
    with torch.no_grad():
        assert torch.equal(model(x)["logits"], loaded(x)["logits"])
    assert model(x)["logits"].shape == (2, 26, len(cs) + 1)


def test_extend_charset_keeps_what_the_decoders_knew() -> None:
    torch.manual_seed(0)
    model = CLIP4STR(TINY, Charset("abc")).eval()
    x = torch.randn(2, 3, 32, 128)
    with torch.no_grad():
        memory = model.encode_image(x)
        context = torch.tensor([[model.tokenizer.bos, 1, 3], [model.tokenizer.bos, 2, 0]])
        before = model.visual_decoder(context, memory)
        model.extend_charset(Charset("abc").extended(["é中"]))
        context[:, 0] = model.tokenizer.bos  # BOS moved behind the new characters
        after = model.visual_decoder(context, memory)
        assert model(x)["logits"].shape == (2, 26, 6)
    assert after.shape[-1] == 6 and model.cross_decoder.embed.num_embeddings == 8
    torch.testing.assert_close(after[..., :4], before)
    with pytest.raises(ValueError):
        model.extend_charset(Charset("xyz"))


@pytest.mark.slow
def test_tiny_reads_back_words_with_and_without_refinement() -> None:
    torch.manual_seed(0)
    model = CLIP4STR(TINY, Charset.default())
    x = prepare_crops([render(w) for w in WORDS], TINY.input)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    reads = (0, 0)
    for step in range(1, 301):
        out = model(x, WORDS)
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        if step % 10 == 0:
            reads = tuple(
                sum(
                    r.text == w
                    for r, w in zip(recognize(model, x, refine_iters=k), WORDS, strict=True)
                )
                for k in (0, 2)
            )
            if min(reads) >= 7:
                break
    assert min(reads) >= 7, reads
    # refinement really runs: its logits differ from the plain autoregressive ones
    model.eval()
    with torch.no_grad():
        assert not torch.equal(model.decode(x, 0), model.decode(x, 1))
