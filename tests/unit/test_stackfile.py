"""Reading Pulumi.<stack>.yaml as Pulumi does, without the engine."""

import datetime

import pytest

from fleet.stackfile import StackFileError, StackFileNotFoundError, load_stack_config


def write(tmp_path, text: str):
    path = tmp_path / "Pulumi.test.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_returns_the_config_mapping_with_namespaced_keys(tmp_path):
    path = write(tmp_path, "encryptionsalt: abc\nconfig:\n  stagefleet:limits: {maxLongLived: 5}\n  aws:region: eu\n")

    assert load_stack_config(path) == {"stagefleet:limits": {"maxLongLived": 5}, "aws:region": "eu"}


def test_encrypted_values_stay_as_secure_mappings(tmp_path):
    path = write(tmp_path, "config:\n  stagefleet:railwayToken:\n    secure: v1:abc\n")

    assert load_stack_config(path) == {"stagefleet:railwayToken": {"secure": "v1:abc"}}


def test_dates_are_read_as_dates(tmp_path):
    path = write(tmp_path, "config:\n  stagefleet:x: 2027-01-31\n")

    assert load_stack_config(path) == {"stagefleet:x": datetime.date(2027, 1, 31)}


def test_an_impossible_date_is_kept_as_text_for_the_model_to_explain(tmp_path):
    path = write(tmp_path, "config:\n  stagefleet:x: 2027-02-30\n")

    assert load_stack_config(path) == {"stagefleet:x": "2027-02-30"}


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n"])
def test_yaml_1_1_boolean_words_stay_strings_as_in_pulumi(tmp_path, word):
    path = write(tmp_path, f"config:\n  stagefleet:x: {word}\n")

    assert load_stack_config(path) == {"stagefleet:x": word}


@pytest.mark.parametrize(("word", "value"), [("true", True), ("False", False)])
def test_true_and_false_are_booleans(tmp_path, word, value):
    path = write(tmp_path, f"config:\n  stagefleet:x: {word}\n")

    assert load_stack_config(path) == {"stagefleet:x": value}


def test_a_file_without_config_has_an_empty_config(tmp_path):
    assert load_stack_config(write(tmp_path, "encryptionsalt: abc\n")) == {}


def test_a_missing_file_is_reported_as_not_found(tmp_path):
    missing = tmp_path / "Pulumi.nope.yaml"

    with pytest.raises(StackFileNotFoundError, match=f"{missing}: no such stack file"):
        load_stack_config(missing)


def test_invalid_yaml_is_reported_with_its_position(tmp_path):
    path = write(tmp_path, "config:\n  stagefleet:railway: {projectId: x\n")

    with pytest.raises(StackFileError, match=r"not valid YAML: .* \(line 3, column 1\)$"):
        load_stack_config(path)


def test_invalid_yaml_report_does_not_quote_the_file(tmp_path):
    path = write(tmp_path, "config:\n  stagefleet:railwayToken: [plain-secret-token\n")

    with pytest.raises(StackFileError) as caught:
        load_stack_config(path)
    assert "plain-secret-token" not in str(caught.value)


def test_a_key_given_twice_is_rejected_as_pulumi_does(tmp_path):
    path = write(tmp_path, "config:\n  stagefleet:limits: {}\n  stagefleet:limits: {maxLongLived: 1}\n")

    with pytest.raises(StackFileError, match=r'found duplicate key "stagefleet:limits" \(line 3, column 3\)$'):
        load_stack_config(path)


def test_config_that_is_not_a_mapping_is_rejected(tmp_path):
    with pytest.raises(StackFileError, match="`config:` must be a mapping"):
        load_stack_config(write(tmp_path, "config: [a, b]\n"))
