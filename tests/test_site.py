"""The site's pieces a reader relies on: relative, escaped navigation; short cells kept whole; map names."""

from __future__ import annotations

from pathlib import Path

from lcedu.publish import site


def test_navigation_links_are_relative_to_the_page_and_escaped(tmp_path: Path) -> None:
    for page in ("2025/530925/county_briefing.html", "2025/530925/teachers.html", "maps.html"):
        (tmp_path / page).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / page).write_text("<html></html>", encoding="utf-8")
    links = site.site_links(tmp_path, 2025, "530925")
    assert [link.text for link in links][:2] == ["首页", "地图"]
    assert [link.text for link in links if link.kind == "place"] == ["双江自治县"]
    assert [link.text for link in links][-2:] == ["县域简报", "强师兴校"], "the county's pages in reading order"
    bar = site.nav_html(links, "2025/530925/county_briefing.html")
    assert bar.startswith(site.NAV_START) and bar.endswith(site.NAV_END)
    assert 'href="../../index.html"' in bar and 'href="teachers.html"' in bar
    assert 'href="county_briefing.html" aria-current="page"' in bar
    hostile = site.nav_html([site.Link("a.html", "<script>x</script>")], "index.html")
    assert "<script>" not in hostile and "&lt;script&gt;" in hostile


def test_short_cells_are_marked_and_long_ones_left_to_wrap() -> None:
    html = (
        '<td id="c" class="data row0 col4" >全市目标(参照)</td><td>农村义务教育学校专任教师本科以上学历比例</td>'
        "<th>县际排名</th><td></td><td><b>x</b></td>"
    )
    marked = site.mark_short_cells(html)
    assert '<td id="c" class="lcedu-short data row0 col4" >全市目标(参照)</td>' in marked
    assert "<td>农村义务教育学校专任教师本科以上学历比例</td>" in marked
    assert '<th class="lcedu-short">县际排名</th>' in marked
    assert "<td></td>" in marked and "<td><b>x</b></td>" in marked


def test_every_map_file_has_a_chinese_title() -> None:
    assert site.map_title("preschool_gross_enrollment_pct_2025_choropleth") == (
        "学前三年毛入园率",
        "学前三年毛入园率：分县地图（2025/26学年初）",
    )
    assert "逐年对比" in site.map_title("senior_gross_enrollment_pct_2022-2025_small-multiples")[1]
    assert site.map_title("status_2025")[1] == "优质均衡与普及普惠达标县分布（2025/26学年初）"
    assert site.map_title("locator_530925")[1] == "双江自治县在临沧市的位置"
