import threading

import pytest

from orchestration.extract.readers import WholeFileFault, read_ahead


def test_items_arrive_in_order():
    assert list(read_ahead(iter(range(50)))) == list(range(50))


def test_a_reader_fault_is_raised_in_the_consumer_after_the_good_items():
    def batches():
        yield 1
        yield 2
        raise WholeFileFault("truncated_gzip", "compressed stream ends early")

    seen = []
    with pytest.raises(WholeFileFault, match="ends early"):
        for item in read_ahead(batches()):
            seen.append(item)
    assert seen == [1, 2]


def test_a_consumer_that_stops_early_does_not_leave_the_reader_blocked():
    def batches():
        yield from range(1000)

    before = threading.active_count()
    with pytest.raises(RuntimeError):
        for item in read_ahead(batches()):
            if item == 3:
                raise RuntimeError("the writer failed")
    # the reader thread was stopped and joined, not left waiting on a full queue
    assert threading.active_count() == before
