"""The risk map's site names: beside their dot, and never printed over one another."""

from qaldyq.control.mapsvg import Dot, _box, _overlap, risk_map


def _labels(m) -> list[tuple]:
    return [_box(x + r + 3, label_y, name) for x, y, r, _lvl, _t, _h, name, label_y in m["points"] if name]


def test_a_lone_site_has_its_name_beside_its_dot():
    m = risk_map([Dot(51.13, 71.43, 9, "t", "/x", name="Полигон ТБО")], "map", [], zoom=True)
    x, y, *_rest, label_y = m["points"][0]
    assert label_y == y + 4


def test_names_of_sites_close_together_do_not_overlap():
    # four sites within a few hundred metres, and a region centre among them
    dots = [Dot(51.130 + i * 0.002, 71.430 + i * 0.001, 9 - i, "t", f"/s/{i}", name=f"Площадка переработки номер {i}") for i in range(4)]
    m = risk_map(dots, "map", [(51.131, 71.431, "город Астана")], zoom=True)
    boxes = _labels(m)
    assert len(boxes) == 4
    centre = _box(m["centres"][0][0] + 6, m["centres"][0][1] + 4, "город Астана")
    assert not any(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert not any(_overlap(b, centre) for b in boxes)
    dots_drawn = [(x - r, y - r, x + r, y + r) for x, y, r, *_ in m["points"]]
    assert not any(_overlap(b, d) for b in boxes for d in dots_drawn)
    assert any(label_y != y + 4 for x, y, *_r, label_y in m["points"])  # some had to move
