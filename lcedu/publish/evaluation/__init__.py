"""The end-of-plan evaluation (终期评估) as Word documents: one for the city, one per county.

Laid out as a bureau writes it: cover, 一、总体情况, 二、各项任务完成情况, 三、存在的问题,
四、下一步建议, 附表 and 附图. Every number and sentence comes from
:func:`lcedu.measure.evaluation.target_status` (the scorecard's values judged against the
plan) and the gap-closing estimates; this package only words and lays them out. Text from
the data is written as text (python-docx escapes it; characters XML cannot hold are
dropped). PDFs are converted with headless LibreOffice where ``soffice`` is installed.
The words of its lookup tables are sections of ``lcedu/present/config/words.yml``
(``evaluation_status``, ``evaluation_stages``, ``evaluation``, ``text``).

Public API: :func:`evaluation_data`, :func:`write_document`, :func:`write_evaluation`,
:func:`to_pdf`, :data:`STATUS_WORDS`.

The package's modules, one job each: :mod:`.data` (the stored results gathered once), :mod:`.wording`
(verdicts, targets, values and places as words), :mod:`.styles` (document styles and the 公文 fonts'
fallbacks), :mod:`.layout` (paragraphs, tables, page sections, header and footer), :mod:`.sections` (cover,
一 to 四, 附表, 附图), :mod:`.advice` (四、下一步建议 from the projections), :mod:`.figures` (the maps of 附图),
:mod:`.document` (writing a document and the set of them) and :mod:`.pdf` (LibreOffice conversion). Every
public name is re-exported here, so ``from lcedu.publish import evaluation`` keeps working.
"""

from __future__ import annotations

from lcedu.publish.evaluation.advice import projected_advice
from lcedu.publish.evaluation.data import PLANNING_TABLES, EvaluationData, evaluation_data
from lcedu.publish.evaluation.document import document_name, output_folder, write_document, write_evaluation
from lcedu.publish.evaluation.figures import draw_figures
from lcedu.publish.evaluation.layout import SYNTHETIC_NOTICE
from lcedu.publish.evaluation.pdf import to_pdf
from lcedu.publish.evaluation.sections import CITY_REFERENCE_HEADING
from lcedu.publish.evaluation.styles import DOCUMENT_STYLES, FONT_FALLBACKS, FontEntry, font_chain
from lcedu.publish.evaluation.wording import STATUS_WORDS

__all__ = [
    "CITY_REFERENCE_HEADING",
    "DOCUMENT_STYLES",
    "FONT_FALLBACKS",
    "PLANNING_TABLES",
    "STATUS_WORDS",
    "SYNTHETIC_NOTICE",
    "EvaluationData",
    "FontEntry",
    "document_name",
    "draw_figures",
    "evaluation_data",
    "font_chain",
    "output_folder",
    "projected_advice",
    "to_pdf",
    "write_document",
    "write_evaluation",
]
