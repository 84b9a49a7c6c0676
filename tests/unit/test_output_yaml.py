"""`-o yaml` through libyaml when that writes the same bytes as PyYAML's pure emitter."""

from __future__ import annotations

import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubectl_rollouts_py.render.output import serialise, yaml_text


def pure(document):
    """What `-o yaml` wrote before libyaml was used: the bytes to keep."""
    return yaml.dump(document, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=False)


# Strings mixing what each emitter writes differently: line breaks, tabs, C0/C1 controls,
# bidi and zero-width characters, lone surrogates (JSON can carry them), astral planes,
# YAML indicators, and lengths past the 80-column fold.
TEXT = st.text(alphabet=st.sampled_from(
    list(" azAZ09'\"#:-?[]{},&*!|>%@`~\\") + ["\n", "\t", "\x1b", "\x7f", "\x85", "\u202e", "\u200b",
                                              "\ud800", "\U0001f600", "\xe9"]), max_size=120)
SCALARS = st.one_of(TEXT, st.text(alphabet=st.sampled_from(" ax'"), min_size=70, max_size=300), st.none(),
                    st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.sampled_from(["", "null", "~", "yes", "010", "0x1F", "1e3", ".inf", "2026-01-01", "<<", "="]))
KEYS = st.one_of(TEXT, st.text(alphabet=st.sampled_from("ab "), min_size=60, max_size=200))
DOCUMENTS = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(KEYS, inner, max_size=4)), max_leaves=20)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_yaml_is_byte_identical_to_the_pure_emitter(document):
    assert yaml_text(document) == pure(document)
    assert serialise(document, "yaml") == pure(document)


@pytest.mark.parametrize("document", [
    {"": 1},                                      # libyaml: `'': 1`, PyYAML: `? ''`
    {"k" * 128: 1},                               # a 128-character key is complex in PyYAML only
    {"m": "a\x01" * 60},                         # long escaped strings fold differently
    {"m": "\ud800"},                              # libyaml refuses a lone surrogate
    "a scalar",                                   # PyYAML ends a lone scalar with `...`
])
def test_documents_libyaml_writes_differently_keep_the_pure_emitters_bytes(document):
    assert yaml_text(document) == pure(document)


def test_a_view_with_5_mb_strings_is_written_in_seconds():
    # Four 5 MB strings, as the hostile 5 MB rollout view holds: the pure emitter takes ~30 s
    # here unloaded (the whole view took 40 s on a busy box), libyaml ~0.6 s. The bound
    # leaves 15x headroom for a loaded machine and still fails with the pure emitter.
    big = "a" * (5 * 1024 * 1024)
    document = {"name": "app-backend", "message": big, "annotations": {"example.com/huge": big},
                "replicaSets": [{"annotations": {"example.com/huge": big, "scale-down-deadline": big}}], "n": [1, 2.5, None, True]}
    start = time.perf_counter()
    text = yaml_text(document)
    assert time.perf_counter() - start < 10
    assert yaml.load(text, Loader=yaml.CSafeLoader) == document  # (the pure loader alone takes ~10 s)
