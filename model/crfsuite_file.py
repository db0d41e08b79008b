"""crfsuite's formats: the attribute strings it trains on, and its model file, read exactly.

Attributes are ``name=key`` strings: a template's name and the integer key
:func:`zhseg.features.templates.feature_keys` gives it (``U-1=20320``).


python-crfsuite exposes weights only through a text dump that prints six decimals, which would
make the compiled decoder disagree with crfsuite on close calls. The binary CRF1d format is small
and stable (crfsuite's ``crf1d_model.c`` and ``cqdb.c``): a header, a FEAT chunk of
``(type, source, target, weight)`` records, and two CQDB string tables for labels and attributes.
All integers are little-endian; weights are IEEE doubles.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

def attribute_strings(keys: np.ndarray, names: Sequence[str]) -> list[list[str]]:
    """crfsuite attributes (``name=key``) for each row of a key array from ``feature_keys``."""
    columns = [[f"{name}={k}" for k in keys[:, j].tolist()] for j, name in enumerate(names)]
    return [list(row) for row in zip(*columns)]


def parse_attribute(attribute: str) -> tuple[str, int]:
    """Inverse of the ``name=key`` naming in :func:`attribute_strings`."""
    name, _, key = attribute.partition("=")
    return name, int(key)


HEADER = struct.Struct("<4sI4sIIIIIIIII")
FEATURE_DTYPE = np.dtype([("type", "<u4"), ("src", "<u4"), ("dst", "<u4"), ("weight", "<f8")])
CQDB_HEADER = struct.Struct("<4sIIIII")
STATE_FEATURE, TRANSITION_FEATURE = 0, 1


@dataclass
class CrfsuiteWeights:
    """All weights of a CRF1d model: label and attribute names by id, state features as parallel
    arrays, and the dense transition matrix (from-label by to-label)."""

    labels: list[str]
    attributes: list[str]
    state_attr: np.ndarray
    state_label: np.ndarray
    state_weight: np.ndarray
    transitions: np.ndarray


def _cqdb_strings(buffer: bytes, offset: int, count: int) -> list[str]:
    chunk, _size, _flag, _order, bwd_size, bwd_offset = CQDB_HEADER.unpack_from(buffer, offset)
    if chunk != b"CQDB" or bwd_size < count:
        raise ValueError("malformed string table in crfsuite model")
    backward = np.frombuffer(buffer, dtype="<u4", count=count, offset=offset + bwd_offset)
    strings = []
    for record in backward.tolist():
        position = offset + record
        _value, key_size = struct.unpack_from("<II", buffer, position)
        strings.append(buffer[position + 8 : position + 8 + key_size - 1].decode("utf-8"))
    return strings


def check_crfsuite_file(path: Path) -> None:
    """ModelError unless ``path`` looks like a whole CRF1d model (its header's size is the file's)."""
    from zhseg.model.store import ModelError

    with open(path, "rb") as stream:
        header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        raise ModelError(f"{path}: too short for a crfsuite model; retrain the model or restore the file")
    magic, size, model_type = HEADER.unpack(header)[:3]
    if magic != b"lCRF" or model_type != b"FOMC" or size != path.stat().st_size:
        raise ModelError(f"{path}: not a whole crfsuite model (truncated or damaged); retrain or restore it")


def read_crfsuite_weights(path: str | Path) -> CrfsuiteWeights:
    buffer = Path(path).read_bytes()
    (magic, _size, model_type, _version, _unused_count, n_labels, n_attrs,
     off_features, off_labels, off_attrs, _off_labelrefs, _off_attrrefs) = HEADER.unpack_from(buffer, 0)
    if magic != b"lCRF" or model_type != b"FOMC":
        raise ValueError(f"{path}: not a crfsuite CRF1d model")
    chunk, _chunk_size, n_features = struct.unpack_from("<4sII", buffer, off_features)
    if chunk != b"FEAT":  # the header's own feature count is left at 0 by crfsuite; the chunk's is right
        raise ValueError(f"{path}: feature chunk not found")
    features = np.frombuffer(buffer, dtype=FEATURE_DTYPE, count=n_features, offset=off_features + 12)
    state = features[features["type"] == STATE_FEATURE]
    transition = features[features["type"] == TRANSITION_FEATURE]
    transitions = np.zeros((n_labels, n_labels))
    transitions[transition["src"], transition["dst"]] = transition["weight"]
    return CrfsuiteWeights(
        labels=_cqdb_strings(buffer, off_labels, n_labels),
        attributes=_cqdb_strings(buffer, off_attrs, n_attrs),
        state_attr=state["src"].astype(np.int64),
        state_label=state["dst"].astype(np.int64),
        state_weight=state["weight"].astype(np.float64),
        transitions=transitions,
    )
