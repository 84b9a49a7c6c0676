"""`replay`'s timeline reads every key of a burst (a held arrow key sends several at once)."""

from kubectl_rollouts_py.cli.replay_timeline import keys_in


def test_keys_in_a_burst() -> None:
    assert keys_in(b"\x1b[D\x1b[D") == [-1, -1]
    assert keys_in(b"\x1bOC") == [1]
    assert keys_in(b"x\x1b[Hq") == ["first", "quit"]
    assert keys_in(b"\x1b[4~G") == ["last", "last"]
    assert keys_in(b"") == []
