"""The 17 oblasts and 3 cities of republican significance with their KATO codes (ҚАТО/КАТО,
the classifier of administrative-territorial objects), after the 2022 reform that created the
Abai, Zhetisu and Ulytau regions. Centres are the administrative centres."""

from __future__ import annotations

# kato, kind, name_kk, name_ru, name_en, centre (lat, lon)
REGIONS: tuple[tuple[str, str, str, str, str, tuple[float, float]], ...] = (
    ("100000000", "oblast", "Абай облысы", "Абайская область", "Abai Region", (50.411, 80.227)),
    ("110000000", "oblast", "Ақмола облысы", "Акмолинская область", "Akmola Region", (53.284, 69.396)),
    ("150000000", "oblast", "Ақтөбе облысы", "Актюбинская область", "Aktobe Region", (50.283, 57.167)),
    ("190000000", "oblast", "Алматы облысы", "Алматинская область", "Almaty Region", (43.867, 77.064)),
    ("230000000", "oblast", "Атырау облысы", "Атырауская область", "Atyrau Region", (47.107, 51.914)),
    ("270000000", "oblast", "Батыс Қазақстан облысы", "Западно-Казахстанская область", "West Kazakhstan Region", (51.227, 51.387)),
    ("310000000", "oblast", "Жамбыл облысы", "Жамбылская область", "Zhambyl Region", (42.900, 71.366)),
    ("330000000", "oblast", "Жетісу облысы", "Область Жетісу", "Zhetisu Region", (45.017, 78.373)),
    ("350000000", "oblast", "Қарағанды облысы", "Карагандинская область", "Karaganda Region", (49.806, 73.085)),
    ("390000000", "oblast", "Қостанай облысы", "Костанайская область", "Kostanay Region", (53.214, 63.624)),
    ("430000000", "oblast", "Қызылорда облысы", "Кызылординская область", "Kyzylorda Region", (44.848, 65.482)),
    ("470000000", "oblast", "Маңғыстау облысы", "Мангистауская область", "Mangystau Region", (43.651, 51.158)),
    ("550000000", "oblast", "Павлодар облысы", "Павлодарская область", "Pavlodar Region", (52.287, 76.967)),
    ("590000000", "oblast", "Солтүстік Қазақстан облысы", "Северо-Казахстанская область", "North Kazakhstan Region", (54.875, 69.162)),
    ("610000000", "oblast", "Түркістан облысы", "Туркестанская область", "Turkistan Region", (43.297, 68.252)),
    ("620000000", "oblast", "Ұлытау облысы", "Область Ұлытау", "Ulytau Region", (47.783, 67.714)),
    ("630000000", "oblast", "Шығыс Қазақстан облысы", "Восточно-Казахстанская область", "East Kazakhstan Region", (49.948, 82.628)),
    ("710000000", "city", "Астана қаласы", "город Астана", "Astana", (51.128, 71.430)),
    ("750000000", "city", "Алматы қаласы", "город Алматы", "Almaty", (43.238, 76.946)),
    ("790000000", "city", "Шымкент қаласы", "город Шымкент", "Shymkent", (42.341, 69.590)),
)

REGION_CODES = frozenset(r[0] for r in REGIONS)
