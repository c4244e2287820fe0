"""The playlist's timeline, loop ids, and synthetic restart traces."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

from callcenter.ami.playlist import concat_traces, loop_period, timeline
from callcenter.ami.trace import load_trace

ANSWERED = "answered_caller_hangs_up"
ABANDONED = "abandoned_while_ringing"


def test_traces_follow_each_other_and_loops_start_over(traces: Path) -> None:
    one, two = load_trace(traces / ANSWERED), load_trace(traces / ABANDONED)
    count = sum(1 for _ in one.messages()) + sum(1 for _ in two.messages())
    steps = list(islice(timeline([one, two], loop=True), 2 * (count + 2)))
    messages = [s for s in steps if s.message is not None]
    assert [s.tau for s in steps] == sorted(s.tau for s in steps)
    first_of_two = next(s for s in messages if s.trace is two)
    assert first_of_two.tau == one.duration + first_of_two.message.t
    again = next(s for s in messages if s.iteration == 1)
    assert again.tau == one.duration + two.duration + again.message.t
    assert [s.iteration for s in messages if s.last] == [0, 1]
    assert messages[count - 1].last and messages[count - 1].trace is two


def test_loop_period_covers_the_playlist_and_its_id_span(traces: Path) -> None:
    one, two = load_trace(traces / ANSWERED), load_trace(traces / ABANDONED)
    assert loop_period([one]) == 21  # 19.24 s long, ids all of 1795898248
    assert loop_period([one, two]) == (1795898740 - 1795898248) + 1  # recorded 8 min apart


def test_a_step_moves_ids_and_times(traces: Path) -> None:
    trace = load_trace(traces / "timestamped_answered")
    steps = [s for s in islice(timeline([trace], loop=True), 400) if s.message is not None]
    later = next(s for s in steps if s.iteration == 1 and s.message.get("Event") == "Newchannel")
    start = 2_000_000_000.0
    headers = dict(later.headers(start, 100))
    assert headers["Uniqueid"] == "1795899272.12"
    assert abs(float(headers["Timestamp"]) - (start + later.tau)) < 0.01  # recorded ≈ t
    cdr = next(s for s in steps if s.iteration == 1 and s.message.get("Event") == "Cdr")
    assert cdr.cdr_row(start, 100).fields[16] == "1795899272.12"
    assert cdr.cdr_row(start, 100).fields[9] == dict(cdr.headers(start, 100))["StartTime"]


def test_concat_writes_a_restart_between_traces(traces: Path, tmp_path: Path) -> None:
    source = traces / ANSWERED
    both = load_trace(concat_traces([source, source], tmp_path / "twice", gap=2.0))
    first, second = both.connections
    assert first.closed and not second.closed
    assert first.messages[-1].headers[:2] == (("Event", "Shutdown"), ("Privilege", "system,all"))
    assert first.fully_booted.get("Uptime") == "6" and second.fully_booted.get("Uptime") == "0"
    once = load_trace(source)
    assert second.start - first.end > 1.9 and both.duration > 2 * once.duration
    ids = {m.get("Linkedid") for m in both.messages()} - {None}
    assert ids == {"1795898248.0", f"{1795898248 + round(second.start - first.start)}.0"}
    assert len(both.cdr_rows) == 4  # load_trace matched every Cdr event to its moved row
    steps = [s for s in timeline([both]) if s.restart]
    assert [s.tau for s in steps] == [first.end] and steps[0].booted is second.fully_booted
