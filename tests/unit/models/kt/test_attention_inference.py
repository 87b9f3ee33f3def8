"""Inference shortcuts of the attention blocks == their plain module paths."""

from __future__ import annotations

import pytest
import torch

from models.kt.deep.attention import TransformerLayer, head_logits, head_question_part, output_mlp


@pytest.mark.parametrize("apply_ffn", [True, False])
def test_eval_layer_equals_its_modules_in_sequence(apply_ffn: bool) -> None:
    torch.manual_seed(0)
    layer = TransformerLayer(16, 2, 32, dropout=0.3).eval()
    query, attended = torch.randn(2, 5, 16), torch.randn(2, 5, 16)
    expected = layer.norm1(query + layer.drop(attended))
    if apply_ffn:
        expected = layer.norm2(expected + layer.drop(layer.ffn(expected)))
    got = layer(query, attended.clone(), apply_ffn=apply_ffn)
    assert torch.allclose(got, expected, atol=1e-6)
    assert not torch.allclose(layer.train()(query, attended, apply_ffn), expected)  # dropout on


def test_head_logits_equal_the_output_mlp_on_the_concatenation() -> None:
    torch.manual_seed(1)
    mlp = output_mlp(2 * 8, 12, 6, dropout=0.5).eval()
    h, x = torch.randn(3, 8), torch.randn(3, 8)
    expected = mlp(torch.cat([h, x], dim=-1))
    with torch.no_grad():
        got = head_logits(mlp, h, head_question_part(mlp, x))
    assert torch.allclose(got, expected, atol=1e-6)
