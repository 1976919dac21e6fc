from pathlib import Path

from fleet.migrations import MISSING, directory_digest


def _write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text)
    return directory


def test_same_files_give_the_same_digest(tmp_path):
    a = _write(tmp_path / "a", {"001_init.sql": "create table t();", "002.sql": "alter table t add c int;"})
    b = _write(tmp_path / "b", {"002.sql": "alter table t add c int;", "001_init.sql": "create table t();"})
    assert directory_digest(a) == directory_digest(b)


def test_editing_a_migration_changes_the_digest(tmp_path):
    directory = _write(tmp_path, {"001_init.sql": "create table t();"})
    before = directory_digest(directory)
    _write(directory, {"001_init.sql": "create table t(id int);"})
    assert directory_digest(directory) != before


def test_renaming_a_migration_changes_the_digest(tmp_path):
    directory = _write(tmp_path, {"001_init.sql": "create table t();"})
    before = directory_digest(directory)
    (directory / "001_init.sql").rename(directory / "001_first.sql")
    assert directory_digest(directory) != before


def test_missing_directory_has_its_own_digest(tmp_path):
    assert directory_digest(tmp_path / "absent") == MISSING
