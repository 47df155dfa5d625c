"""A helper for the benchmark scripts' command-line tests."""

import pytest


def assert_usage_error(main, argv: list[str], message: str, capsys) -> None:
    """`main(argv)` exits with argparse's usage status 2 and `message` on stderr."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
