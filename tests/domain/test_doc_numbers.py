"""发文字号: one code per issuing computer, the next number after the largest in use."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from wushan_desk.domain import doc_numbers as rules


def test_codes_of_the_county_a_centre_and_its_second_laptop() -> None:
    assert rules.issuer_code(None) == "巫督"
    assert rules.issuer_code("高唐片区教育督导中心") == "巫督高唐"
    assert rules.issuer_code("高唐片区教育督导中心", 2) == "巫督高唐二"
    assert rules.format_number("巫督高唐", 2026, 12) == "巫督高唐〔2026〕12号"
    assert rules.parse("巫督高唐二〔2026〕3号") == ("巫督高唐二", 2026, 3)
    assert rules.parse("巫督〔2026〕") is None and rules.parse(None) is None


def test_the_next_number_follows_the_largest_of_its_code_and_year() -> None:
    in_use = ["巫督高唐〔2026〕1号", "巫督高唐〔2026〕7号", "巫督高唐二〔2026〕9号",
              "巫督高唐〔2025〕30号", None, "手写的文号"]
    assert rules.next_numbers(in_use, "巫督高唐", 2026, 2) == [
        "巫督高唐〔2026〕8号", "巫督高唐〔2026〕9号"]
    assert rules.next_numbers(in_use, "巫督高唐", 2027, 1) == ["巫督高唐〔2027〕1号"]


codes = st.sampled_from(["巫督", "巫督高唐", "巫督高唐二", "巫督龙溪"])


@given(st.lists(st.tuples(codes, st.sampled_from([2025, 2026]), st.integers(1, 3)),
                max_size=40))
def test_computers_giving_out_numbers_in_any_order_never_share_one(
        steps: list[tuple[str, int, int]]) -> None:
    """Each computer (code) takes numbers against what it has seen (its own); however the
    takings interleave, the county's documents never share a number."""
    seen: dict[str, list[str]] = {}
    everything: list[str] = []
    for code, year, count in steps:
        mine = seen.setdefault(code, [])
        new = rules.next_numbers(mine, code, year, count)
        assert not set(new) & set(mine)
        mine += new
        everything += new
    assert rules.duplicates(everything) == []
    assert len(set(everything)) == len(everything)
