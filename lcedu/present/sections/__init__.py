"""Topic sections of the county notebooks: preschool and special education, compulsory
education, high schools, vocational education, teachers, digital and safe campuses.

Each function takes validated :class:`lcedu.present.briefing.Params` and returns a
:class:`lcedu.present.briefing.Section` (heading, generated sentences, styled tables, figures) for
:func:`lcedu.present.briefing.show`. This module only formats: every number is read from the
build's stored results (the scorecard, the assessments, and the per-school / per-county frames
of :mod:`lcedu.measure.schools` and :mod:`lcedu.measure.teachers`), and every threshold it
quotes comes from :mod:`lcedu.measure.standards`. Labels follow ``p.lang``.

One module per 工程: :mod:`.preschool`, :mod:`.compulsory`, :mod:`.high_school`, :mod:`.vocational`,
:mod:`.teachers`, :mod:`.digital` (digital and safe campuses), and :mod:`.common` for what they share. Every
public name is re-exported here, so ``from lcedu.present import sections`` keeps working.
"""

from __future__ import annotations

from lcedu.present.sections.common import (
    PRESCHOOL_QUALITY,
    PRESCHOOL_RATES,
    RESOURCE_UNITS,
    RESOURCES,
    TITLES,
    contribution_table,
    count_cell,
    county_dots,
    pct_text,
    year_table,
)
from lcedu.present.sections.compulsory import (
    compulsory_cv,
    compulsory_failing,
    compulsory_gap_estimates,
    compulsory_overview,
    compulsory_schools,
    compulsory_size,
)
from lcedu.present.sections.digital import (
    digital,
    safety,
)
from lcedu.present.sections.high_school import (
    high_school_enrolment,
    high_school_quality,
)
from lcedu.present.sections.preschool import (
    preschool_assessment,
    preschool_overview,
    special_education,
)
from lcedu.present.sections.teachers import (
    FAMOUS,
    teacher_famous,
    teacher_qualifications,
    teacher_shortage,
    teacher_staffing,
)
from lcedu.present.sections.vocational import (
    VOCATIONAL_CITY,
    vocational_city,
    vocational_county,
)

__all__ = [
    "FAMOUS",
    "PRESCHOOL_QUALITY",
    "PRESCHOOL_RATES",
    "RESOURCES",
    "RESOURCE_UNITS",
    "TITLES",
    "VOCATIONAL_CITY",
    "compulsory_cv",
    "compulsory_failing",
    "compulsory_gap_estimates",
    "compulsory_overview",
    "compulsory_schools",
    "compulsory_size",
    "contribution_table",
    "count_cell",
    "county_dots",
    "digital",
    "high_school_enrolment",
    "high_school_quality",
    "pct_text",
    "preschool_assessment",
    "preschool_overview",
    "safety",
    "special_education",
    "teacher_famous",
    "teacher_qualifications",
    "teacher_shortage",
    "teacher_staffing",
    "vocational_city",
    "vocational_county",
    "year_table",
]
