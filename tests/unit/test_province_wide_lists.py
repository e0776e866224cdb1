"""The whole province's lists, which hold thousands a hour at scale: kept in five-minute buckets, read
a part of an hour at a time, and entries an earlier release kept by the whole hour still read in turn."""

import asyncio
from dataclasses import replace
from datetime import timedelta

from contracts.lifecycle import State
from services.gateway.list_paging import at_once
from tests.fake_case_files import InMemoryCaseFiles
from tests.unit.test_work_order_lists import NOW, Clock, a_case, pages

HOUR_AGO = NOW.replace(minute=0, second=0, microsecond=0) - timedelta(hours=5)
HOUR = HOUR_AGO.strftime("%Y-%m-%dT%H")


def closed(case):
    step = replace(case.steps[0], step_id="closed", seq=3, step="closed", state=State.CLOSED, clocks=())
    return replace(case, steps=(*case.steps, step))


async def test_the_province_wide_list_reads_by_the_five_minutes_each_joined_then_by_id_a_page_at_a_time():
    clock = Clock(HOUR_AGO)
    cases = InMemoryCaseFiles(clock=clock)
    joined: list[list[str]] = []
    for minute in (58, 7, 9, 31, 0):  # joined out of the order the list reads them in
        clock.at = HOUR_AGO + timedelta(minutes=minute)
        two = [a_case(department=f"dept-{minute}"), a_case(department="billing")]
        for case in two:
            cases.add(case)
        joined.append(sorted(case.facts.work_order_id for case in two))
    by_part = {0: joined[4], 5: sorted(joined[1] + joined[2]), 30: joined[3], 55: joined[0]}
    expected = [i for part in sorted(by_part) for i in by_part[part]]
    read = await pages("/v1/work-orders?limit=3", "gd.supervisor", cases)
    assert [len(page) for page in read] == [3, 3, 3, 1]
    assert [i for page in read for i in page] == expected, "each once, by its part of the hour, then id"
    [seventh] = [i for i in joined[1] if cases.files[i].current_dispatch.department == "dept-7"]
    placed = cases.entries[seventh]
    assert f"open@{HOUR}:05" in placed, "the whole province's list: its five minutes"
    assert f"open|department=dept-7@{HOUR}" in placed, "a department's: its hour"
    assert f"open@{HOUR}*" in cases.directory, "the directory notes the hour once, as split"


async def test_entries_an_earlier_release_kept_by_the_hour_are_read_before_that_hours_parts_and_kept():
    clock = Clock(HOUR_AGO + timedelta(minutes=40))
    cases = InMemoryCaseFiles(clock=clock)
    new = a_case()
    cases.add(new)
    old = a_case()
    cases.add(old)
    # As an earlier release placed it: the province-wide entry by its hour, noted whole in the directory.
    cases.entries[old.facts.work_order_id] = [
        f"open@{HOUR}" if entry.startswith("open@") else entry
        for entry in cases.entries[old.facts.work_order_id]
    ]
    cases.directory.add(f"open@{HOUR}")
    read = await pages("/v1/work-orders?limit=1", "gd.supervisor", cases)
    assert read == [[old.facts.work_order_id], [new.facts.work_order_id]], "the whole hour, then its parts"
    clock.at = NOW
    cases.add(replace(old, steps=(*old.steps, replace(old.steps[0], step_id="s3", seq=3))))
    assert f"open@{HOUR}" in cases.entries[old.facts.work_order_id], "still on the list: keeps its hour"


async def test_a_split_hour_long_emptied_is_forgotten_and_one_still_holding_a_work_order_is_kept():
    clock = Clock(HOUR_AGO + timedelta(minutes=12))
    cases = InMemoryCaseFiles(clock=clock)
    leaving, staying = a_case(), a_case(state=State.WAITING_CUSTOMER)
    for case in (leaving, staying):
        cases.add(case)
    clock.at = NOW
    cases.add(closed(leaving))
    assert await pages("/v1/work-orders?status=accepted", "gd.supervisor", cases) == [[]]
    assert f"status:accepted@{HOUR}*" not in cases.directory, "every part empty hours after: forgotten"
    still = await pages("/v1/work-orders?limit=5", "gd.supervisor", cases)
    assert still == [[staying.facts.work_order_id]]
    assert f"open@{HOUR}*" in cases.directory


def test_a_dense_list_reads_one_part_at_a_time_and_a_sparse_one_the_rest_of_its_hour_at_once():
    assert at_once(found=0, read=0, wanted=51, left=12) == 1, "one part first"
    assert at_once(found=117, read=1, wanted=40, left=11) == 1, "a part fills the page: the next alone"
    assert at_once(found=6, read=1, wanted=45, left=11) == 8, "six a part: eight more fill the page"
    assert at_once(found=1, read=1, wanted=50, left=11) == 11, "never more than the hour has left"
    assert [at_once(found=0, read=read, wanted=51, left=12 - read) for read in (1, 3, 7)] == [2, 6, 5]


async def test_a_page_of_a_sparse_province_wide_list_reads_its_hour_in_two_rounds_not_one_a_part():
    clock = Clock(HOUR_AGO)
    cases = InMemoryCaseFiles(clock=clock)
    escalated = []
    for minute in (3, 48):  # two escalated in the hour: most of its parts are empty
        clock.at = HOUR_AGO + timedelta(minutes=minute)
        escalated.append(a_case(escalated=True))
        cases.add(escalated[-1])
    members, reading, rounds, reads = cases.members, 0, 0, 0

    async def counted(entry: str) -> list:
        nonlocal reading, rounds, reads
        rounds, reading, reads = rounds + (reading == 0), reading + 1, reads + 1
        await asyncio.sleep(0)  # the reads sent side by side are all under way before any answers
        reading -= 1
        return await members(entry)

    cases.members = counted  # type: ignore[method-assign]
    read = await pages("/v1/work-orders?escalated=true", "gd.supervisor", cases)
    assert read == [[case.facts.work_order_id for case in escalated]]
    assert (reads, rounds) == (12, 2), "one part, then the eleven left side by side"


async def test_the_province_wide_due_list_reads_the_parts_of_its_window_its_directory_notes_soonest_first():
    cases = InMemoryCaseFiles()
    later, soon, sooner, soonest = (a_case(due_in=timedelta(minutes=m)) for m in (300, 90, 22, 20))
    long_overdue = a_case(due_in=-timedelta(hours=5), alarms=1)
    for case in (later, soon, sooner, soonest, long_overdue):
        cases.add(case)
    due_at = (NOW + timedelta(minutes=22)).replace(second=0, microsecond=0)
    part = due_at.replace(minute=due_at.minute - due_at.minute % 5).strftime("%Y-%m-%dT%H:%M")
    assert f"due@{part}" in cases.entries[sooner.facts.work_order_id], "by the five minutes of its deadline"
    past = (NOW - timedelta(hours=5)).strftime("%Y-%m-%dT%H")
    assert f"due@{past}*" in cases.directory
    read = await pages("/v1/work-orders?due_within_minutes=120&limit=1", "gd.supervisor", cases)
    assert read == [[case.facts.work_order_id] for case in (soonest, sooner, soon)]
    assert f"due@{past}*" not in cases.directory, "hours long before any window: forgotten"
    assert f"due@{part[:13]}*" in cases.directory
