"""Reading the specification files in a child process: the same reading, and a hard stop at the deadline."""

from __future__ import annotations

from catalog_service.domain.specification import SpecLimits, read_specification
from catalog_service.publishing.reader import read_isolated
from tests.catalog.test_published_specification import EVERY_FIELD


def test_the_child_reads_what_the_domain_reads():
    limits = SpecLimits()
    assert read_isolated(EVERY_FIELD, None, limits=limits, timeout=30) == read_specification(EVERY_FIELD, limits=limits)
    bad = EVERY_FIELD.replace("    endpoint: /api\n", "")
    assert read_isolated(bad, None, limits=limits, timeout=30).errors == ("connect.yaml: [deployAs.0.endpoint]: Required",)


def test_a_read_still_running_at_the_deadline_is_stopped_with_an_error():
    # 128 000 scalars take seconds to read; the deadline has already passed when the child starts.
    text = "deployAs: [" + ",".join(["a"] * 128_000) + "]\n"
    reading = read_isolated(text, None, limits=SpecLimits(), timeout=0)
    assert reading.specification is None
    assert reading.errors == ("connect.yaml: reading the file did not finish within the publish deadline",)
