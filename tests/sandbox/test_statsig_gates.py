"""The Statsig sandbox's gate endpoints behave as the Console API docs describe (sandbox/statsig.py)."""

from __future__ import annotations

import pytest

GATE = "/gates/checkout_v2"


# ---------------------------------------------------------------- create


def test_create_answers_201_with_the_gate_wrapped_in_message_and_data(statsig, make_rule):
    response = statsig.request(
        "POST",
        "/gates",
        {
            "name": "Checkout v2",
            "description": "new checkout",
            "isEnabled": True,
            "idType": "userID",
            "rules": [make_rule(emails=["alice@gatewayz.ai"])],
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Gate created successfully."
    gate = body["data"]
    assert (gate["id"], gate["name"], gate["description"]) == ("checkout_v2", "Checkout v2", "new checkout")
    assert gate["isEnabled"] is True and gate["idType"] == "userID" and gate["status"] == "In Progress"


def test_create_derives_the_id_from_the_name_lowercase_with_underscores(statsig):
    gate = statsig.create_gate("Zippy Home Page")

    assert gate["id"] == "zippy_home_page"


def test_create_stores_rules_with_ids_and_the_given_conditions_and_environments(statsig, make_rule):
    gate = statsig.create_gate(rules=[make_rule(emails=["a@x.io"], user_ids=["u-1"])])

    [rule] = gate["rules"]
    assert rule["name"] == "stagefleet: enabled for" and rule["passPercentage"] == 100
    assert rule["environments"] == ["staging"]
    assert rule["conditions"] == [
        {"type": "email", "operator": "any", "targetValue": ["a@x.io"]},
        {"type": "user_id", "operator": "any", "targetValue": ["u-1"]},
    ]
    assert isinstance(rule["id"], str) and len(rule["id"]) == 22


def test_create_defaults_to_an_enabled_userid_gate_with_no_rules(statsig):
    gate = statsig.create_gate()

    assert (gate["description"], gate["isEnabled"], gate["idType"], gate["rules"]) == ("", True, "userID", [])


def test_create_is_visible_in_the_state_helper(st, statsig):
    statsig.create_gate()

    assert [g["id"] for g in st.gates()] == ["checkout_v2"]


@pytest.mark.parametrize("name", ["ab", "x" * 101, "bad/name", "emoji \u2603"])
def test_create_rejects_names_outside_statsigs_allowed_form(st, statsig, name):
    response = statsig.request("POST", "/gates", {"name": name})

    assert response.status_code == 400
    assert response.json()["message"].startswith("name:")
    assert st.gates() == []


def test_create_rejects_a_rule_without_a_valid_pass_percentage(statsig, make_rule):
    rule = {**make_rule(emails=["a@x.io"]), "passPercentage": 101}

    response = statsig.request("POST", "/gates", {"name": "Checkout v2", "rules": [rule]})

    assert response.status_code == 400
    assert response.json() == {"status": 400, "message": "rules[0].passPercentage: must be a number between 0 and 100"}


# ---------------------------------------------------------------- duplicate name


def test_create_with_a_taken_name_answers_400_already_exists(st, statsig):
    statsig.create_gate("Checkout v2")

    response = statsig.request("POST", "/gates", {"name": "Checkout v2"})

    assert response.status_code == 400
    assert response.json() == {"status": 400, "message": 'A gate with the name "Checkout v2" already exists.'}
    assert len(st.gates()) == 1


def test_create_with_a_name_deriving_a_taken_id_is_a_duplicate(statsig):
    statsig.create_gate("Checkout v2")

    response = statsig.request("POST", "/gates", {"name": "checkout_v2"})

    assert response.status_code == 400 and "already exists" in response.json()["message"]


def test_an_archived_gate_keeps_its_name_taken(st, statsig):
    statsig.create_gate()
    statsig.request("PUT", f"{GATE}/archive", {})

    response = statsig.request("POST", "/gates", {"name": "Checkout v2"})

    assert response.status_code == 400 and "already exists" in response.json()["message"]


# ---------------------------------------------------------------- get


def test_get_answers_the_gate(statsig):
    created = statsig.create_gate(description="d")

    response = statsig.request("GET", GATE)

    assert response.status_code == 200
    assert response.json()["data"] == created


def test_get_unknown_id_answers_404(statsig):
    response = statsig.request("GET", "/gates/no_such_gate")

    assert response.status_code == 404
    assert response.json() == {"status": 404, "message": "Gate no_such_gate not found."}


# ---------------------------------------------------------------- full update (POST /gates/{id})


def test_full_update_replaces_rules_and_description(statsig, make_rule):
    statsig.create_gate(description="old", rules=[make_rule(emails=["a@x.io"])])

    response = statsig.request(
        "POST",
        GATE,
        {
            "description": "new",
            "isEnabled": True,
            "rules": [make_rule(user_ids=["u-9"])],
        },
    )

    assert response.status_code == 200 and response.json()["message"] == "Gate updated successfully."
    gate = response.json()["data"]
    assert gate["description"] == "new"
    assert [c["targetValue"] for c in gate["rules"][0]["conditions"]] == [["u-9"]]


def test_full_update_resets_fields_it_does_not_carry(statsig, make_rule):
    statsig.create_gate(description="old", isEnabled=False, rules=[make_rule(emails=["a@x.io"])])

    gate = statsig.request("POST", GATE, {"description": "only this"}).json()["data"]

    assert (gate["description"], gate["isEnabled"], gate["rules"]) == ("only this", True, [])


def test_full_update_keeps_the_id_and_bumps_the_version(statsig):
    created = statsig.create_gate()

    gate = statsig.request("POST", GATE, {"name": "Checkout v3"}).json()["data"]

    assert (gate["id"], gate["name"]) == ("checkout_v2", "Checkout v3")
    assert gate["version"] == created["version"] + 1


def test_full_update_keeps_a_rules_id_when_its_name_is_unchanged(statsig, make_rule):
    created = statsig.create_gate(rules=[make_rule(emails=["a@x.io"])])

    gate = statsig.request("POST", GATE, {"rules": [make_rule(emails=["b@x.io"])]}).json()["data"]

    assert gate["rules"][0]["id"] == created["rules"][0]["id"]


def test_full_update_of_unknown_id_answers_404(statsig):
    assert statsig.request("POST", "/gates/ghost", {"description": "x"}).status_code == 404


# ---------------------------------------------------------------- partial update (PATCH)


def test_partial_update_changes_only_the_given_fields(statsig, make_rule):
    statsig.create_gate(description="keep me", isEnabled=False, rules=[make_rule(emails=["a@x.io"])])

    response = statsig.request("PATCH", GATE, {"rules": [make_rule(emails=["b@x.io"])]})

    assert response.status_code == 200 and response.json()["message"] == "Gate updated successfully."
    gate = response.json()["data"]
    assert (gate["description"], gate["isEnabled"]) == ("keep me", False)
    assert gate["rules"][0]["conditions"][0]["targetValue"] == ["b@x.io"]


def test_partial_update_of_description_leaves_rules_alone(statsig, make_rule):
    created = statsig.create_gate(rules=[make_rule(emails=["a@x.io"])])

    gate = statsig.request("PATCH", GATE, {"description": "new"}).json()["data"]

    assert gate["description"] == "new" and gate["rules"] == created["rules"]


def test_partial_update_rename_to_a_taken_name_answers_400(statsig):
    statsig.create_gate("Checkout v2")
    statsig.create_gate("Search v1")

    response = statsig.request("PATCH", GATE, {"name": "Search v1"})

    assert response.status_code == 400 and "already exists" in response.json()["message"]


def test_partial_update_of_unknown_id_answers_404(statsig):
    assert statsig.request("PATCH", "/gates/ghost", {"description": "x"}).status_code == 404


# ---------------------------------------------------------------- delete


def test_delete_answers_200_and_the_gate_is_gone(st, statsig):
    statsig.create_gate()

    response = statsig.request("DELETE", GATE)

    assert response.status_code == 200
    assert response.json() == {"message": "Gate deleted successfully."}
    assert statsig.request("GET", GATE).status_code == 404
    assert st.gates() == [] and st.archived_gates() == []


def test_delete_unknown_id_answers_404(statsig):
    assert statsig.request("DELETE", "/gates/ghost").status_code == 404


def test_delete_frees_the_name(statsig):
    statsig.create_gate()
    statsig.request("DELETE", GATE)

    assert statsig.request("POST", "/gates", {"name": "Checkout v2"}).status_code == 201


# ---------------------------------------------------------------- archive


def test_archive_answers_the_gate_with_status_archived(statsig):
    statsig.create_gate()

    response = statsig.request("PUT", f"{GATE}/archive", {"archiveReason": "flag expired"})

    assert response.status_code == 200 and response.json()["message"] == "Gate updated successfully."
    assert response.json()["data"]["status"] == "Archived"


def test_archived_gate_leaves_the_live_list_and_joins_the_archived_list(st, statsig):
    statsig.create_gate()

    statsig.request("PUT", f"{GATE}/archive", {})

    assert st.gates() == []
    assert [g["id"] for g in st.archived_gates()] == ["checkout_v2"]


def test_archived_gate_still_reads_with_status_archived(statsig):
    statsig.create_gate()
    statsig.request("PUT", f"{GATE}/archive", {})

    response = statsig.request("GET", GATE)

    assert response.status_code == 200 and response.json()["data"]["status"] == "Archived"


def test_archive_metadata_is_present_only_when_asked_for(statsig):
    statsig.create_gate()
    statsig.request("PUT", f"{GATE}/archive", {"archiveReason": "flag expired"})

    plain = statsig.request("GET", GATE).json()["data"]
    detailed = statsig.request("GET", GATE, params={"includeArchiveMetadata": "true"}).json()["data"]

    assert "archiveReason" not in plain
    assert detailed["archiveReason"] == "flag expired" and isinstance(detailed["archivedAt"], int)


def test_archive_twice_is_not_an_error(statsig):
    statsig.create_gate()
    statsig.request("PUT", f"{GATE}/archive", {})

    assert statsig.request("PUT", f"{GATE}/archive", {}).status_code == 200


def test_archive_unknown_id_answers_404(statsig):
    assert statsig.request("PUT", "/gates/ghost/archive", {}).status_code == 404


def test_unarchive_makes_the_gate_live_again(st, statsig):
    statsig.create_gate()
    statsig.request("PUT", f"{GATE}/archive", {})

    response = statsig.request("PUT", f"{GATE}/unarchive", {})

    assert response.status_code == 200 and response.json()["data"]["status"] == "In Progress"
    assert [g["id"] for g in st.gates()] == ["checkout_v2"]


# ---------------------------------------------------------------- list with pagination


def test_list_answers_gates_with_pagination(statsig):
    statsig.create_gate("Gate one")
    statsig.create_gate("Gate two")

    response = statsig.request("GET", "/gates")

    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Gates listed successfully."
    assert [g["id"] for g in body["data"]] == ["gate_one", "gate_two"]
    assert body["pagination"] == {
        "itemsPerPage": 100,
        "pageNumber": 1,
        "totalItems": 2,
        "nextPage": None,
        "previousPage": None,
        "all": "/console/v1/gates",
    }


def test_list_pages_with_page_and_limit(statsig):
    for n in range(5):
        statsig.create_gate(f"Gate {n}")

    second = statsig.request("GET", "/gates", params={"page": 2, "limit": 2}).json()

    assert [g["id"] for g in second["data"]] == ["gate_2", "gate_3"]
    assert second["pagination"]["pageNumber"] == 2 and second["pagination"]["totalItems"] == 5
    assert second["pagination"]["nextPage"] == "/console/v1/gates?page=3&limit=2"
    assert second["pagination"]["previousPage"] == "/console/v1/gates?page=1&limit=2"


def test_list_last_page_has_no_next_page(statsig):
    for n in range(3):
        statsig.create_gate(f"Gate {n}")

    last = statsig.request("GET", "/gates", params={"page": 2, "limit": 2}).json()

    assert [g["id"] for g in last["data"]] == ["gate_2"] and last["pagination"]["nextPage"] is None


def test_list_following_next_page_visits_every_gate_once(statsig):
    for n in range(7):
        statsig.create_gate(f"Gate {n}")
    seen, path = [], "/gates?limit=3"

    while path:
        body = statsig.request("GET", path).json()
        seen += [g["id"] for g in body["data"]]
        next_page = body["pagination"]["nextPage"]
        path = next_page.removeprefix("/console/v1") if next_page else None

    assert seen == [f"gate_{n}" for n in range(7)]


def test_list_leaves_out_archived_gates_unless_asked(statsig):
    statsig.create_gate("Gate one")
    statsig.create_gate("Gate two")
    statsig.request("PUT", "/gates/gate_one/archive", {})

    live = statsig.request("GET", "/gates").json()["data"]
    everything = statsig.request("GET", "/gates", params={"includeArchived": "true"}).json()["data"]

    assert [g["id"] for g in live] == ["gate_two"]
    assert [g["id"] for g in everything] == ["gate_one", "gate_two"]


@pytest.mark.parametrize("params", [{"page": 0}, {"limit": "ten"}, {"limit": 0}])
def test_list_rejects_bad_paging_parameters(statsig, params):
    assert statsig.request("GET", "/gates", params=params).status_code == 400


# ---------------------------------------------------------------- routing


def test_unknown_path_answers_404(statsig):
    assert statsig.request("GET", "/experiments").status_code == 404


def test_wrong_method_answers_405_with_allow(statsig):
    response = statsig.request("PUT", "/gates")

    assert response.status_code == 405 and response.headers["Allow"] == "GET, POST"


def test_invalid_json_body_answers_400(statsig):
    response = statsig.request("POST", "/gates", content=b"{not json", headers={"Content-Type": "application/json"})

    assert response.status_code == 400


# ---------------------------------------------------------------- rule validation and concurrency


def test_create_rejects_a_rule_for_an_unknown_environment(st, statsig, make_rule):
    rule = {**make_rule(emails=["a@x.io"]), "environments": ["qa"]}

    response = statsig.request("POST", "/gates", {"name": "Checkout v2", "rules": [rule]})

    assert response.status_code == 400
    assert response.json()["message"] == 'rules[0].environments: unknown environment "qa"'
    assert st.gates() == []


def test_a_rule_without_environments_applies_to_all_of_them(statsig):
    rule = {"name": "everyone", "passPercentage": 100, "conditions": [{"type": "public"}]}

    gate = statsig.create_gate(rules=[rule])

    assert gate["rules"][0]["environments"] is None


def test_create_rejects_an_email_condition_without_a_target_list(statsig):
    rule = {
        "name": "r",
        "passPercentage": 100,
        "conditions": [{"type": "email", "operator": "any", "targetValue": "a@x.io"}],
    }

    response = statsig.request("POST", "/gates", {"name": "Checkout v2", "rules": [rule]})

    assert response.status_code == 400
    assert response.json()["message"] == "rules[0].conditions[0].targetValue: must be an array"


def test_partial_update_with_an_invalid_rule_changes_nothing(statsig, make_rule):
    created = statsig.create_gate(description="keep", rules=[make_rule(emails=["a@x.io"])])
    bad = {**make_rule(emails=["b@x.io"]), "passPercentage": -1}

    response = statsig.request("PATCH", GATE, {"description": "changed", "rules": [bad]})

    assert response.status_code == 400
    assert statsig.request("GET", GATE).json()["data"] == created


def test_concurrent_creates_of_one_name_make_exactly_one_gate(st, statsig_client):
    from concurrent.futures import ThreadPoolExecutor

    clients = [statsig_client() for _ in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(lambda c: c.request("POST", "/gates", {"name": "Checkout v2"}).status_code, clients))

    assert statuses == [201] + [400] * 7
    assert len(st.gates()) == 1
