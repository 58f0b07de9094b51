"""Excel workbooks of scorecards and gap tables for the bureau (openpyxl).

Each workbook has Chinese headers, panes frozen below the header and right of the label column,
number formats by unit (years as 2025, counts whole, 是/否 for yes/no), green / red fills for met /
not met, column widths fitted to the text, A4 landscape printing with code and note columns kept
right of the print area, and a sheet 来源与数据说明 naming the standards and plan clauses behind
every indicator and where the data came from (the processed manifest; a synthetic sample is labelled
合成样例数据，非官方统计). The 学龄人口预测 and 规划测算 sheets follow, or a line saying why the build
has none. Files are written to a temporary file beside the target and renamed, so a reader never
sees half a file. The words of the lookup tables are sections of ``lcedu/present/config/words.yml``.

Public API: :func:`write_county_workbook`, :func:`write_city_workbook`, :data:`SAMPLE_NOTICE`.

The package's modules, one job each: :mod:`.cells` (the shared cell writing, number formats, widths, A4
print setup and atomic saving), :mod:`.data` (what a workbook shows, gathered once), :mod:`.scorecards`,
:mod:`.assessments`, :mod:`.schools` (schools and gaps) and :mod:`.sources` (来源与数据说明 and the sheets
added after it): the sheets by kind; :mod:`.writers` (the county and city workbooks). The public names are
re-exported here, so ``from lcedu.present import workbooks`` keeps working.
"""

from __future__ import annotations

from lcedu.present.workbooks.cells import A4_LEGIBLE_WIDTH, SAMPLE_NOTICE, near_format
from lcedu.present.workbooks.writers import write_city_workbook, write_county_workbook

__all__ = ["A4_LEGIBLE_WIDTH", "SAMPLE_NOTICE", "near_format", "write_city_workbook", "write_county_workbook"]
