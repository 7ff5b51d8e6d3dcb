"""Where a run's time goes: parts, the rest as "other", and the printed table."""

from ftgui.core.training.time_spent import OTHER, TimeSpent, table_lines


def test_parts_add_up_to_the_whole_with_the_rest_as_other():
    now = [100.0]
    spent = TimeSpent(clock=lambda: now[0])
    with spent.part("image check"):
        now[0] += 2.0
    now[0] += 0.5  # untimed
    with spent.part("training"):
        now[0] += 3.0
    spent.add("training", 1.0)  # a part seen twice adds up
    rows = spent.table(before=0.25)
    assert rows == [
        ("start-up (Python, ftgui imports)", 0.25),
        ("image check", 2.0),
        ("training", 4.0),
        (OTHER, 0.0),  # the time inside adds more than the clock saw: never negative
    ]
    lines = table_lines(rows)
    assert lines[-1].split()[-2:] == ["6.25", "s"]
    assert "32.0%" in lines[1]  # 2.0 of 6.25 s


def test_untimed_time_is_other():
    now = [0.0]
    spent = TimeSpent(clock=lambda: now[0])
    with spent.part("a"):
        now[0] += 1.0
    now[0] += 3.0
    assert spent.table() == [("a", 1.0), (OTHER, 3.0)]
