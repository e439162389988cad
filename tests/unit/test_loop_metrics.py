"""The demo loop's report arithmetic: precision and recall before and after, agreement and flag rate from items."""

from securebank.demo.loop_metrics import Decisions, f1, precision_recall, ratio, refusal, shadow_quality, verdict


def item(active: bool, shadow: bool | None) -> dict[str, object]:
    return {"is_fraud": active, "shadow_is_fraud": shadow}


def test_precision_and_recall_count_flagged_frauds_against_flags_and_frauds():
    assert precision_recall({"a", "b", "c", "d"}, {"a", "e"}) == (0.25, 0.5)


def test_precision_is_undefined_when_nothing_is_flagged_and_recall_when_nothing_is_fraud():
    assert precision_recall(set(), {"a"}) == (None, 0.0)
    assert precision_recall({"a"}, set()) == (0.0, None)


def test_ratio_rounds_to_four_places():
    assert ratio(1, 3) == 0.3333
    assert ratio(2, 3) == 0.6667


def test_items_without_a_shadow_decision_are_left_out_of_every_comparison():
    items = {"t1": item(True, True), "t2": item(False, None), "t3": {"is_fraud": True}}
    decisions = Decisions.from_items(items)
    assert decisions.compared == {"t1"}
    quality = shadow_quality(decisions, {"t1": True, "t2": True, "t3": True})
    assert quality["shadow_scored"] == 1
    assert quality["recall_before"] == 1.0  # t2 and t3 (frauds) would halve it if they were counted


def test_shadow_quality_compares_both_decisions_with_the_ground_truth():
    items = {
        "f1": item(True, True),  # fraud, both flag
        "f2": item(False, True),  # fraud only the shadow catches
        "f3": item(False, False),  # fraud both miss
        "l1": item(True, False),  # legit the active policy flags
        "l2": item(False, True),  # legit the shadow policy flags
        "l3": item(False, False),
        "l4": item(False, False),
        "l5": item(False, False),
    }
    truth = {"f1": True, "f2": True, "f3": True, "l1": False, "l2": False}  # unlabelled ids: not fraud
    quality = shadow_quality(Decisions.from_items(items), truth)
    assert quality == {
        "shadow_scored": 8,
        "shadow_agreement": 0.625,  # f1, f3, l3, l4, l5
        "shadow_flag_rate": 0.375,  # f1, f2, l2
        "active_flag_rate": 0.25,  # f1, l1
        "precision_before": 0.5,
        "recall_before": 0.3333,
        "precision_after": 0.6667,
        "recall_after": 0.6667,
        "f1_before": 0.4,  # 2 x 1 / (2 x 1 + 1 + 2)
        "f1_after": 0.6667,  # 2 x 2 / (2 x 2 + 1 + 1)
    }


def test_no_shadow_decisions_leave_every_shadow_figure_undefined():
    quality = shadow_quality(Decisions.from_items({"t1": item(True, None)}), {"t1": True})
    assert quality["shadow_scored"] == 0
    assert quality["shadow_agreement"] is None
    assert quality["shadow_flag_rate"] is None
    assert quality["precision_after"] is None


def test_f1_is_the_harmonic_mean_of_precision_and_recall_and_undefined_without_flags_or_frauds():
    assert f1({"a", "b", "c", "d"}, {"a", "e"}) == 0.3333  # precision 0.25, recall 0.5
    assert f1(set(), {"a"}) == 0.0
    assert f1(set(), set()) is None


def test_the_verdict_says_whether_the_promotion_made_the_decisions_better_or_worse():
    assert verdict(0.4, 0.6667) == "better (F1 0.4 -> 0.6667)"
    assert verdict(0.6667, 0.0877) == "worse (F1 0.6667 -> 0.0877)"
    assert verdict(0.5, 0.5) == "as good (F1 0.5)"
    assert verdict(None, 0.5).startswith("undefined")


def test_the_approver_refuses_a_candidate_that_would_set_off_the_fraud_rate_alarm() -> None:
    assert refusal(0.363, 5) is not None and "36.3%" in (refusal(0.363, 5) or "")
    assert refusal(0.0501, 5) is not None
    assert refusal(0.05, 5) is None  # at the threshold the alarm (greater than) does not fire
    assert refusal(0.006, 5) is None
    assert refusal(None, 5) is None  # nothing compared: nothing to refuse on
