"""Branch names follow `git check-ref-format --branch`: a bad one would only fail at deploy time."""

import pytest

from fleet.config import branch_name_problem


@pytest.mark.parametrize(
    "name",
    ["main", "feature/alice-payment", "release/1.2.0", "fix-#42", "user@host", "a/b/c", "feature/x.locked", "@x"],
)
def test_valid_branch_name_is_accepted(name):
    assert branch_name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "it is empty"),
        ("@", 'it is "@"'),
        ("feature..x", 'it contains ".."'),
        ("feature\tx", "it contains a control character"),
        ("feature\x7fx", "it contains a control character"),
        ("feature x", "it contains a space"),
        ("feature~1", 'it contains "~"'),
        ("feature^1", 'it contains "^"'),
        ("feature:x", 'it contains ":"'),
        ("feature?", 'it contains "?"'),
        ("feature*", 'it contains "*"'),
        ("feature[1]", 'it contains "["'),
        ("feature\\x", 'it contains "\\\\"'),
        ("feature//x", 'it contains "//"'),
        ("main@{1}", 'it contains "@{"'),
        ("-feature", 'it starts with "-"'),
        ("/feature", 'it starts with "/"'),
        ("feature/", 'it ends with "/"'),
        ("feature.", 'it ends with "."'),
        ("feature.lock", 'it ends with ".lock"'),
        ("feature/.hidden", 'a part between slashes starts with "."'),
        (".hidden", 'a part between slashes starts with "."'),
        ("feature.lock/x", 'a part between slashes ends with ".lock"'),
    ],
)
def test_invalid_branch_name_is_rejected_with_the_reason(name, reason):
    assert branch_name_problem(name) == reason
