"""Fixed partition slices of the feature consumer: who owns which partition, the settings that
choose a slice, and the names that keep one slice's state and erasure answers apart."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from features.streaming import PartitionSlice
from learnloop.commands.ingest import features_slice, features_state_name
from learnloop.console import CliError
from learnloop.settings import IngestSettings, Settings


def test_slices_split_every_partition_exactly_once() -> None:
    slices = [PartitionSlice(i, 3) for i in range(3)]
    for partition in range(12):
        assert sum(s.owns(partition) for s in slices) == 1
    assert [p for p in range(6) if slices[1].owns(p)] == [1, 4]
    assert slices[2].label == "2-of-3"


@pytest.mark.parametrize(("index", "count"), [(3, 3), (-1, 2), (0, 0)])
def test_a_slice_outside_its_range_is_refused(index: int, count: int) -> None:
    with pytest.raises(ValueError, match="slice index"):
        PartitionSlice(index, count)


def test_settings_name_the_field_of_a_bad_instance() -> None:
    with pytest.raises(ValidationError, match=r"ingest\.features_instance \(2\)"):
        IngestSettings(features_instances=2, features_instance=2)
    with pytest.raises(ValidationError, match="features_instances"):
        IngestSettings(features_instances=0)


def test_one_instance_keeps_group_membership_and_its_state_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, ingest=IngestSettings(features_group="fc"))
    assert features_slice(settings) is None
    assert features_state_name("fc", features_slice(settings)) == "fc.sqlite"


def test_a_slice_has_a_state_file_of_its_own(tmp_path: Path) -> None:
    ingest = IngestSettings(features_group="fc", features_instances=4, features_instance=1)
    settings = Settings(data_dir=tmp_path, ingest=ingest)
    assert features_slice(settings) == PartitionSlice(1, 4)
    assert features_state_name("fc", features_slice(settings)) == "fc-1-of-4.sqlite"


def test_several_instances_without_an_index_is_one_clear_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, ingest=IngestSettings(features_instances=2))
    with pytest.raises(CliError, match=r"LEARNLOOP_INGEST__FEATURES_INSTANCE .*\(0\.\.1\)"):
        features_slice(settings)
