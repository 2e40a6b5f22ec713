"""Kinds of citizen report, as reference data (loaded into `citizen_report_kinds` by the migration,
so an administrator can add or retire a kind without a code change)."""

from __future__ import annotations

# code, name_kk, name_ru, name_en, sort order
KINDS: tuple[tuple[str, str, str, str, int], ...] = (
    ("illegal_dump", "Рұқсат етілмеген қоқыс үйіндісі", "Несанкционированная свалка", "Illegal dump", 10),
    ("burning", "Қалдықтарды өртеу", "Сжигание отходов", "Burning waste", 20),
    ("overflowing_containers", "Толып кеткен контейнерлер", "Переполненные контейнеры", "Overflowing containers", 30),
    ("water_body", "Су айдынындағы қалдықтар", "Отходы в водоёме", "Waste in a water body", 40),
    ("other", "Басқа бұзушылық", "Другое нарушение", "Other violation", 90),
)

KIND_CODES = frozenset(k[0] for k in KINDS)
