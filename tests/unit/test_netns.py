"""The suite really is cut off from every network but loopback."""

from oakd.netns import only_loopback


def test_the_suite_sees_only_loopback() -> None:
    assert only_loopback()
