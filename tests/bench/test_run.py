"""The benchmark's parts against the real portal on a small data set, so `bench/run.py` cannot
rot unnoticed: the generator, every measured page (each must answer as expected), the queue and
admin pair listing the same cases, EXPLAIN with and without the indexes, and the report. No
time is asserted here; the goals are judged on 100,000 cases in bench/README.md."""

from pathlib import Path
from typing import Any

import pytest

from bench import explain, pages, report
from bench.generate import existing_dataset, generate

CASES = 1000  # ~36 submitted: more than a page of the queue


@pytest.fixture
def dataset(transactional_db: None) -> dict[str, Any]:
    summary = generate(CASES)
    return {"cases": CASES, "seconds": summary.seconds, "counts": summary.counts}


def test_it_generates_a_data_set_of_the_size_asked(dataset: dict[str, Any]) -> None:
    counts = dataset["counts"]
    assert counts["reviews_case"] == CASES
    assert counts["reviews_caseevent"] > 5 * CASES  # about ten a case
    assert counts["audit_auditlog"] > counts["reviews_caseevent"]
    assert existing_dataset() == {**dataset, "seconds": pytest.approx(dataset["seconds"])}


def test_it_measures_explains_and_reports_every_page(
    dataset: dict[str, Any], tmp_path: Path
) -> None:
    groups = [pages.reviewer_pages(), pages.clinic_pages(), pages.audit_pages(), [pages.api_page()]]
    results = [
        pages.measure(page, 2) for group in groups for page in group
    ]  # raises on a bad status
    pairs = [(pages.measure(q, 2), pages.measure(a, 2)) for q, a in pages.queue_versus_admin()]
    plans = explain.compare()

    text = report.write(
        tmp_path / "results.md",
        tmp_path / "results.json",
        dataset=dataset,
        pages=results,
        pairs=pairs,
        load=None,
        explain=plans,
        load_before=(0.0, 0.0, 0.0),
    )

    assert all(result.queries > 0 for result in results)
    assert {plan["name"] for plan in plans} == {probe.name for probe in explain.probes()}
    assert all("Execution Time" in plan["plan_without"] for plan in plans)
    for result in results:
        assert f"| {result.name} |" in text
    assert (tmp_path / "results.json").stat().st_size > 0


def test_the_queue_and_the_admin_at_25_rows_list_the_same_cases(dataset: dict[str, Any]) -> None:
    queue, admin = pages.queue_versus_admin()[-1]

    listed = queue.call(0).context["page"].object_list
    changelist = admin.call(0).context["cl"].result_list

    assert len(listed) == 25
    assert [case.pk for case in listed] == [case.pk for case in changelist]
