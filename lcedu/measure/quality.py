"""The data-quality review: validation rules, cross-year consistency, outliers and completeness.

What the county statistician checks before the autumn figures are final (issue 27), after DHIS2's
validation rules (left side / operator / right side, with an importance) and outlier analysis
(modified z-score on the median absolute deviation), and the WHO Data Quality Review (completeness,
consistency over time, consistency between related figures). The rules and thresholds are data
(``config/quality_rules.yml``); the expressions are parsed by a small safe evaluator, never ``eval``.

:func:`review` runs once in ``lcedu clean`` and its three tables are stored in the build
(``lcedu.load("quality_findings")``). Findings are findings: nothing here blocks cleaning.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from lcedu import paths
from lcedu.errors import RequestError

RULES_FILE = paths.package_file("measure", "config", "quality_rules.yml")
IMPORTANCE_WEIGHT = {"high": 3, "medium": 2, "low": 1}
STAGES = ("kindergarten", "primary", "junior", "senior", "vocational", "special")
FLOWS = (
    "start",
    "admitted",
    "resumed",
    "transferred_in",
    "other_in",
    "graduated",
    "completed",
    "suspended",
    "dropped_out",
    "died",
    "transferred_out",
    "other_out",
    "end",
)
#: Columns carried one year back into ``school_stage`` as ``prev_<column>``.
LAGGED = ("student_count", "full_time_teacher_count", "flow_end")
#: MAD of a normal distribution is 0.6745 σ: the modified z-score's constant (Iglewicz & Hoaglin).
MAD_CONSTANT = 0.6745

FINDING_COLUMNS = {
    "county_code": "string",
    "year": "Int64",
    "school_id": "string",
    "school_name": "string",
    "township": "string",
    "stage": "string",
    "check": "string",
    "kind": "string",
    "field": "string",
    "value": "Float64",
    "expected_low": "Float64",
    "expected_high": "Float64",
    "expected": "string",
    "importance": "string",
    "score": "Float64",
    "detail": "string",
}


# --------------------------------------------------------------------------- the safe expressions


class RuleError(RequestError):
    """A rule of the registry that cannot be read: names the rule, the file and the fix."""


_ARITHMETIC: dict[type, Callable] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_COMPARE: dict[type, Callable] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
OPERATORS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
}
MIRRORED = {"==": "==", "!=": "!=", "<=": ">=", "<": ">", ">=": "<=", ">": "<"}
SYMBOLS = {"==": "=", "!=": "≠", "<=": "≤", "<": "<", ">=": "≥", ">": ">"}
_FUNCTIONS = {"min": np.fmin, "max": np.fmax}


def parse_expression(text: str, where: str) -> ast.expr:
    """Parse a rule expression and refuse anything beyond columns, numbers, strings, arithmetic,
    comparisons, ``in [...]``, ``and``/``or``/``not`` and ``min``/``max``."""
    try:
        tree = ast.parse(str(text).strip(), mode="eval").body
    except SyntaxError as exc:
        raise RuleError(f"{where}: 表达式无法解析 / cannot parse 「{text}」: {exc.msg}", _FIX) from None
    for node in ast.walk(tree):
        allowed = (
            ast.Name,
            ast.Constant,
            ast.BinOp,
            ast.UnaryOp,
            ast.Compare,
            ast.BoolOp,
            ast.List,
            ast.Tuple,
            ast.Call,
            ast.Load,
            ast.And,
            ast.Or,
            ast.Not,
            ast.USub,
            ast.In,
            ast.NotIn,
            *_ARITHMETIC,
            *_COMPARE,
        )
        if not isinstance(node, allowed):
            raise RuleError(f"{where}: 表达式中不允许 {type(node).__name__} / not allowed in 「{text}」", _FIX)
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS):
            raise RuleError(f"{where}: 只允许函数 min、max / only min() and max() are allowed in 「{text}」", _FIX)
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float | str):
            raise RuleError(f"{where}: 常量只能是数字或文字 / constants are numbers or text in 「{text}」", _FIX)
    return tree


_FIX = f"按 {RULES_FILE.name} 文件开头的说明改写该规则 / rewrite the rule as the header of the file describes"


def columns_of(tree: ast.expr) -> set[str]:
    """The column names an expression reads (function names excluded)."""
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in calls}


def evaluate(tree: ast.expr, frame: pd.DataFrame) -> pd.Series | float | str:
    """Evaluate a parsed expression over a frame's columns (NA propagates; numbers as Float64)."""
    if isinstance(tree, ast.Constant):
        return float(tree.value) if isinstance(tree.value, int | float) else tree.value
    if isinstance(tree, ast.Name):
        column = frame[tree.id]
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        return column.astype("Float64") if numeric or pd.api.types.is_bool_dtype(column) else column
    if isinstance(tree, ast.BinOp):
        return _ARITHMETIC[type(tree.op)](evaluate(tree.left, frame), evaluate(tree.right, frame))
    if isinstance(tree, ast.UnaryOp):
        value = evaluate(tree.operand, frame)
        return -value if isinstance(tree.op, ast.USub) else ~value.fillna(False).astype(bool)
    if isinstance(tree, ast.Call):
        a, b = (evaluate(arg, frame) for arg in tree.args)
        return pd.Series(_FUNCTIONS[tree.func.id](a, b), index=frame.index, dtype="Float64")
    if isinstance(tree, ast.BoolOp):
        parts = [_as_mask(evaluate(v, frame), frame) for v in tree.values]
        out = parts[0]
        for p in parts[1:]:
            out = (out & p) if isinstance(tree.op, ast.And) else (out | p)
        return out
    if isinstance(tree, ast.Compare):
        left, out = evaluate(tree.left, frame), None
        for op, comparator in zip(tree.ops, tree.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                options = [evaluate(e, frame) for e in comparator.elts]
                part = left.isin(options).fillna(False)
                part = ~part if isinstance(op, ast.NotIn) else part
            else:
                right = evaluate(comparator, frame)
                part = _as_mask(_COMPARE[type(op)](left, right), frame)
                left = right
            out = part if out is None else out & part
        return out
    if isinstance(tree, ast.List | ast.Tuple):
        return [evaluate(e, frame) for e in tree.elts]
    raise RuleError(f"不支持的表达式 / unsupported expression {ast.dump(tree)}", _FIX)


def _as_mask(value: object, frame: pd.DataFrame) -> pd.Series:
    if isinstance(value, pd.Series):
        return value.fillna(False).astype(bool)
    return pd.Series(bool(value), index=frame.index)


# --------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Rule:
    id: str
    name_zh: str
    name_en: str
    frame: str
    requires: tuple[str, ...]
    left: ast.expr
    operator: str
    right: ast.expr
    field: str
    importance: str
    source: str
    where: ast.expr | None = None
    tolerance: float = 0.0
    text: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Registry:
    rules: tuple[Rule, ...]
    cohorts: tuple[dict, ...]
    roster: dict
    outliers: dict
    completeness: dict

    def names(self) -> pd.DataFrame:
        """Every check's id, names, kind, importance and source (the pages' legend)."""
        rows = [
            {"check": r.id, "name_zh": r.name_zh, "name_en": r.name_en, "kind": "rule", **_meta(r.__dict__)}
            for r in self.rules
        ]
        rows += [{"check": c["id"], "kind": "cohort", **_names(c)} for c in self.cohorts]
        prefix = self.roster.get("id_prefix", "roster")
        rows += [
            {"check": f"{prefix}_{k}", "kind": "roster", **_names(v)}
            for k, v in self.roster.items()
            if isinstance(v, dict) and "name_zh" in v
        ]
        rows += [{"check": f["id"], "kind": "outlier", **_names(f)} for f in self.outliers.get("fields", [])]
        return pd.DataFrame(rows)


def _meta(d: Mapping) -> dict:
    return {"importance": d.get("importance"), "source": d.get("source")}


def _names(d: Mapping) -> dict:
    return {"name_zh": d["name_zh"], "name_en": d["name_en"], **_meta(d)}


@cache
def load_registry(path: str | None = None) -> Registry:
    """Read and check the rules file (default: the package's ``quality_rules.yml``)."""
    file = Path(path) if path else RULES_FILE
    spec = yaml.safe_load(file.read_text(encoding="utf-8"))
    rules = []
    for i, r in enumerate(spec.get("rules", [])):
        where = f"{file.name} 规则 rule {r.get('id', i + 1)}"
        missing = [k for k in ("id", "name_zh", "name_en", "frame", "left", "operator", "right") if k not in r]
        if missing:
            raise RuleError(f"{where}: 缺少 / missing {', '.join(missing)}", _FIX)
        if r["operator"] not in OPERATORS:
            raise RuleError(f"{where}: 运算符 / operator 「{r['operator']}」 不在 {' '.join(OPERATORS)}", _FIX)
        if r.get("importance", "medium") not in IMPORTANCE_WEIGHT:
            raise RuleError(f"{where}: importance 应为 high / medium / low", _FIX)
        rules.append(
            Rule(
                id=r["id"],
                name_zh=r["name_zh"],
                name_en=r["name_en"],
                frame=r["frame"],
                requires=tuple(r.get("requires", [])),
                left=parse_expression(r["left"], where),
                operator=r["operator"],
                right=parse_expression(r["right"], where),
                field=r.get("field", ""),
                importance=r.get("importance", "medium"),
                source=r.get("source", ""),
                where=parse_expression(r["where"], where) if r.get("where") else None,
                tolerance=float(r.get("tolerance", 0)),
                text={k: str(r[k]) for k in ("left", "right") if k in r},
            )
        )
    return Registry(
        rules=tuple(rules),
        cohorts=tuple(spec.get("cohorts", [])),
        roster=spec.get("roster_changes", {}),
        outliers=spec.get("outliers", {}),
        completeness=spec.get("completeness", {}),
    )


# --------------------------------------------------------------------------- step 1: the frames


def _booleans_as_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in frame.columns if frame[c].dtype == "boolean" or frame[c].dtype == bool]
    return frame.astype({c: "Int64" for c in cols}) if cols else frame


def school_frame(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per school and year: schools, facilities, and a 教学点's parent as found that year."""
    schools = tables["schools"]
    frame = schools.copy()
    if "facilities" in tables:
        extra = [c for c in tables["facilities"].columns if c not in frame.columns or c in ("school_id", "year")]
        frame = frame.merge(tables["facilities"][extra], on=["school_id", "year"], how="left")
    parents = schools[["school_id", "year", "county_code", "is_counted_school"]].rename(
        columns={"school_id": "parent_school_id", "county_code": "parent_county", "is_counted_school": "_p_counted"}
    )
    frame = frame.merge(parents, on=["parent_school_id", "year"], how="left")
    frame["parent_found"] = frame["parent_county"].notna().astype("Int64")
    frame["parent_is_counted"] = frame["_p_counted"].fillna(False).astype("Int64")
    frame["parent_same_county"] = frame["parent_county"].eq(frame["county_code"]).fillna(False).astype("Int64")
    frame["has_opened_year"] = frame["opened_year"].notna().astype("Int64") if "opened_year" in frame else pd.NA
    return _booleans_as_numbers(frame.drop(columns=["parent_county", "_p_counted"]))


def school_stage_frame(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per school, year and 学段: enrollment, teachers, classes, grades, flows, last year's values."""
    key = ["school_id", "year", "stage"]
    parts = [
        t[key + [c for c in t.columns if c not in (*key, "county_code")]]
        for n in ("enrollment", "teachers")
        if (t := tables.get(n)) is not None
    ]
    frame = parts[0]
    for part in parts[1:]:
        frame = frame.merge(part, on=key, how="outer")
    schools = tables["schools"]
    info = schools[["school_id", "year", "county_code", "school_name", "township", "school_type"]]
    frame = frame.merge(info, on=["school_id", "year"], how="left")
    classes = schools.melt(
        id_vars=["school_id", "year"],
        value_vars=[f"{s}_class_count" for s in STAGES if f"{s}_class_count" in schools],
        var_name="stage",
        value_name="class_count",
    )
    classes["stage"] = classes["stage"].str.removesuffix("_class_count")
    frame = frame.merge(classes, on=key, how="left")
    if (grades := tables.get("grade_enrollment")) is not None:
        totals = grades.groupby(key, observed=True)["student_count"].agg(grade_student_total="sum").reset_index()
        first = grades[grades["grade"] == 1].groupby(key, observed=True)["student_count"].sum()
        frame = frame.merge(totals, on=key, how="left")
        frame["first_grade_student_count"] = frame.set_index(key).index.map(first).astype("Int64")
    if (flows := tables.get("student_flows")) is not None:
        wide = flows.pivot_table(index=key, columns="flow", values="student_count", aggfunc="sum", observed=True)
        wide = wide.reindex(columns=list(FLOWS)).add_prefix("flow_").reset_index()
        frame = frame.merge(wide, on=key, how="left")
    lag = [c for c in LAGGED if c in frame]
    prev = frame[key + lag].assign(year=frame["year"] + 1).rename(columns={c: f"prev_{c}" for c in lag})
    frame = frame.merge(prev, on=key, how="left")
    numeric = {c: "Int64" for c in frame.columns if c.startswith(("flow_", "prev_flow")) or c.endswith("_total")}
    return _booleans_as_numbers(frame.astype(numeric))


FRAMES: dict[str, Callable[[Mapping[str, pd.DataFrame]], pd.DataFrame]] = {
    "school": school_frame,
    "school_stage": school_stage_frame,
}


# --------------------------------------------------------------------------- step 2: the rules


def run_rules(tables: Mapping[str, pd.DataFrame], registry: Registry) -> tuple[pd.DataFrame, list[dict]]:
    """Every rule of the registry over its frame: the violations and one run record per rule."""
    built: dict[str, pd.DataFrame] = {}
    findings, runs = [], []
    for rule in registry.rules:
        absent = [t for t in rule.requires if t not in tables]
        run = {"check": rule.id, "kind": "rule", "importance": rule.importance}
        if absent:
            runs.append(
                {**run, "status": "not run", "reason": f"表 {absent[0]} 不在本次构建中 / table {absent[0]} absent"}
            )
            continue
        if rule.frame not in built:
            built[rule.frame] = FRAMES[rule.frame](tables)
        frame = built[rule.frame]
        need = columns_of(rule.left) | columns_of(rule.right) | (columns_of(rule.where) if rule.where else set())
        lacking = sorted(need - set(frame.columns))
        if lacking:
            reason = f"列 {', '.join(lacking)} 不在数据中 / column {', '.join(lacking)} absent"
            runs.append({**run, "status": "not run", "reason": reason})
            continue
        found, evaluated = violations(rule, frame)
        findings.append(found)
        runs.append({**run, "status": "run", "reason": "", "evaluated": evaluated, "violations": len(found)})
    return (pd.concat(findings, ignore_index=True) if findings else _empty()), runs


def violations(rule: Rule, frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The rows where the rule's comparison fails (NA on either side: not evaluated)."""
    applies = np.ones(len(frame), dtype=bool)
    if rule.where is not None:
        applies = _as_mask(evaluate(rule.where, frame), frame).to_numpy(dtype=bool)
    left = _as_float(evaluate(rule.left, frame), frame)
    right = _as_float(evaluate(rule.right, frame), frame)
    known = left.notna().to_numpy(dtype=bool) & right.notna().to_numpy(dtype=bool) & applies
    lhs, rhs = left[known].astype(float), right[known].astype(float)
    ok = OPERATORS[rule.operator](lhs, rhs)
    if rule.tolerance and rule.operator in ("==", "<=", ">="):
        ok |= {"==": (lhs - rhs).abs(), "<=": lhs - rhs, ">=": rhs - lhs}[rule.operator] <= rule.tolerance
    if ok.all():
        return _empty(), int(known.sum())
    bad = frame.iloc[np.flatnonzero(known)[~ok.to_numpy()]]
    lv, rv = lhs[~ok], rhs[~ok]
    op = rule.operator
    if rule.field in columns_of(rule.right) and rule.field not in columns_of(rule.left):
        lv, rv, op = rv, lv, MIRRORED[op]  # the suspicious cell is on the right: judge it against the left
    bounds = {"==": (rv, rv), "<=": (None, rv), "<": (None, rv), ">=": (rv, None), ">": (rv, None), "!=": (None, None)}
    low, high = bounds[op]
    out = _finding_base(bad, rule.id, "rule", rule.field, rule.importance)
    out["value"] = bad.get(rule.field, lv).astype("Float64").to_numpy()
    out["expected_low"] = pd.array(low.to_numpy() if low is not None else [pd.NA] * len(bad), dtype="Float64")
    out["expected_high"] = pd.array(high.to_numpy() if high is not None else [pd.NA] * len(bad), dtype="Float64")
    out["expected"] = [f"{SYMBOLS[op]} {b:g}" for b in rv]
    gap = (lv - rv).abs() / np.maximum(rv.abs(), 1.0)
    out["score"] = (IMPORTANCE_WEIGHT[rule.importance] * (1 + np.minimum(gap.to_numpy(), 10))).astype(float)
    formula = f"{rule.text['left']} {rule.operator} {rule.text['right']}".replace("\n", " ")
    out["detail"] = [
        f"{formula}：左边 left = {a:g}，右边 right = {b:g}" for a, b in zip(lhs[~ok], rhs[~ok], strict=True)
    ]
    return _typed(out), int(known.sum())


def _as_float(value: object, frame: pd.DataFrame) -> pd.Series:
    if isinstance(value, pd.Series):
        return value.astype("Float64")
    return pd.Series(float(value), index=frame.index, dtype="Float64")


def _finding_base(rows: pd.DataFrame, check: str, kind: str, field_name: str, importance: str) -> pd.DataFrame:
    cols = ["county_code", "year", "school_id", "school_name", "township", "stage"]
    out = pd.DataFrame({c: (rows[c].to_numpy() if c in rows else [pd.NA] * len(rows)) for c in cols})
    return out.assign(check=check, kind=kind, field=field_name, importance=importance)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in FINDING_COLUMNS.items()})


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for c in FINDING_COLUMNS:
        if c not in frame:
            frame[c] = pd.NA
    return frame[list(FINDING_COLUMNS)].astype(FINDING_COLUMNS)


# --------------------------------------------------------------------------- step 3: across years


def robust_band(
    d: pd.Series, groups: pd.Series, z_max: float, min_ratio: float, min_history: int
) -> tuple[pd.Series, pd.Series]:
    """Centre and half-width (log scale) of the band each value is judged against: its group's median
    ± z_max × MAD / 0.6745 (a modified z-score), never narrower than log(min_ratio). A group with fewer
    than ``min_history`` values is judged against all values."""
    codes, _ = pd.factorize(groups)  # integer group codes: grouping on them is far cheaper than on text
    values = pd.Series(d.to_numpy(float), index=codes)
    medians = values.groupby(level=0).median()
    sizes = values.groupby(level=0).size()
    median_of = medians.reindex(codes).to_numpy()
    mad = pd.Series(np.abs(values.to_numpy() - median_of), index=codes).groupby(level=0).median()
    overall_median = float(d.median()) if len(d) else 0.0
    overall_mad = float((d - overall_median).abs().median()) if len(d) else 0.0
    small = sizes.reindex(codes).to_numpy() < min_history
    centre = np.where(small, overall_median, median_of)
    spread = np.where(small, overall_mad, mad.reindex(codes).to_numpy())
    half = np.maximum(z_max * spread / MAD_CONSTANT, np.log(min_ratio))
    return pd.Series(centre, index=d.index), pd.Series(half, index=d.index)


def cohort_findings(tables: Mapping[str, pd.DataFrame], spec: dict) -> tuple[pd.DataFrame, dict]:
    """Grade g (age a) in year t against grade g+1 (age a+1) in year t+1, in a band the county's own
    history sets."""
    run = {"check": spec["id"], "kind": "cohort", "importance": spec.get("importance", "medium")}
    table = tables.get(spec["table"])
    if table is None:
        return _empty(), {**run, "status": "not run", "reason": f"表 {spec['table']} 不在本次构建中 / table absent"}
    unit, key = spec["unit"], ["school_id", *([spec["group"]] if spec.get("group") else [])]
    now = table[[*key, "county_code", "year", unit, "student_count"]]
    if "first_unit" in spec:
        now = now[now[unit] >= int(spec["first_unit"])]
    if "last_unit" in spec:
        now = now[now[unit] <= int(spec["last_unit"])]
    after = table[[*key, "year", unit, "student_count"]].assign(year=table["year"] - 1, **{unit: table[unit] - 1})
    pair = now.merge(after, on=[*key, "year", unit], suffixes=("_before", "_after"))
    before, later = pair["student_count_before"].astype(float), pair["student_count_after"].astype(float)
    pair = pair[(np.maximum(before, later) >= spec.get("min_students", 0)).to_numpy()].reset_index(drop=True)
    if pair.empty:
        return _empty(), {**run, "status": "run", "reason": "", "evaluated": 0, "violations": 0}
    before, later = pair["student_count_before"].astype(float), pair["student_count_after"].astype(float)
    d = pd.Series(np.log((later + 1) / (before + 1)), index=pair.index)
    groups = pair["county_code"].astype(str) + "|" + (pair[spec["group"]].astype(str) if spec.get("group") else "")
    centre, half = robust_band(d, groups, spec["z_max"], spec["min_ratio"], spec.get("min_history", 20))
    bad = ((d - centre).abs() > half).to_numpy()
    run |= {"status": "run", "reason": "", "evaluated": len(pair), "violations": int(bad.sum())}
    if not bad.any():
        return _empty(), run
    rows = pair[bad].assign(year=pair.loc[bad, "year"] + 1)
    rows = rows.merge(_school_info(tables), on=["school_id", "year"], how="left", suffixes=("", "_s"))
    low = (before[bad] + 1) * np.exp(centre[bad] - half[bad]) - 1
    high = (before[bad] + 1) * np.exp(centre[bad] + half[bad]) - 1
    out = _finding_base(rows, spec["id"], "cohort", "", run["importance"])
    label = "年级 grade" if unit == "grade" else "岁 age"
    out["field"] = [f"{label} {int(u) + 1}" for u in rows[unit]]
    out["value"] = rows["student_count_after"].astype(float).to_numpy()
    out["expected_low"], out["expected_high"] = np.floor(low.to_numpy()), np.ceil(high.to_numpy())
    out["expected"] = [f"{lo:.0f}–{hi:.0f}" for lo, hi in zip(out["expected_low"], out["expected_high"], strict=True)]
    z = ((d[bad] - centre[bad]).abs() / half[bad]).to_numpy()
    out["score"] = IMPORTANCE_WEIGHT[run["importance"]] * (1 + np.minimum(z, 10))
    out["detail"] = [
        f"上一学年 {label} {int(u)}: {int(b)} 人 → 本学年 {label} {int(u) + 1}: {int(a)} 人"
        for u, b, a in zip(rows[unit], rows["student_count_before"], rows["student_count_after"], strict=True)
    ]
    return _typed(out), run


def _school_info(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    return tables["schools"][["school_id", "year", "county_code", "school_name", "township"]]


ROSTER_KINDS = ("disappeared", "appeared", "id_changed", "type_changed")
ROSTER_COLUMNS = ("school_id", "year", "county_code", "school_name", "township", "school_type", "opened_year")


def year_pairs(schools: pd.DataFrame, closures: list[dict]) -> tuple[pd.DataFrame, np.ndarray]:
    """Each school and year beside the same school one year earlier (outer join, ``_merge`` says which
    side exists), and which rows can be judged: both years of the county reported, not a named closure."""
    cols = [*ROSTER_COLUMNS, *(["independent_year"] if "independent_year" in schools else [])]
    s = schools[cols]
    both = s.merge(
        s.assign(year=s["year"] + 1), on=["school_id", "year"], how="outer", suffixes=("", "_prev"), indicator=True
    )
    county = both["county_code"].fillna(both["county_code_prev"])
    reported = pd.MultiIndex.from_frame(s[["county_code", "year"]].drop_duplicates())
    judged = pd.MultiIndex.from_arrays([county, both["year"]]).isin(reported) & pd.MultiIndex.from_arrays(
        [county, both["year"] - 1]
    ).isin(reported)
    closed = pd.MultiIndex.from_tuples([(str(c["school_id"]), int(c["year"])) for c in closures] or [("", 0)])
    is_closed = pd.MultiIndex.from_arrays([both["school_id"], both["year"]]).isin(closed)
    return both, judged & ~is_closed


def roster_changes(both: pd.DataFrame, judged: np.ndarray) -> dict[str, pd.DataFrame]:
    """The rows of each roster change: gone, new (opened earlier), the same name under a new id, a new type."""
    gone = both[(both["_merge"] == "right_only").to_numpy() & judged]
    gone = gone.assign(
        county_code=gone["county_code_prev"], school_name=gone["school_name_prev"], township=gone["township_prev"]
    )
    new = both[(both["_merge"] == "left_only").to_numpy() & judged]
    # a school that became independent this year (was part of another) is new, not missing before
    became = new["independent_year"].eq(new["year"]) if "independent_year" in new else pd.Series(False, new.index)
    earlier = new["opened_year"].isna() | (new["opened_year"] < new["year"])
    new = new[(earlier & ~became.fillna(False).astype(bool)).to_numpy(dtype=bool)]
    name_key = ["county_code", "year", "school_name", "township"]
    gone_named = gone[name_key].astype(new[name_key].dtypes.to_dict()).assign(old_id=gone["school_id"])
    moved = new.merge(gone_named, on=name_key, how="inner")
    changed = both["school_type"].ne(both["school_type_prev"]).fillna(False).to_numpy(dtype=bool)
    return {
        "disappeared": gone[~gone["school_id"].isin(moved["old_id"])],
        "appeared": new[~new["school_id"].isin(moved["school_id"])],
        "id_changed": moved,
        "type_changed": both[(both["_merge"] == "both").to_numpy() & changed],
    }


ROSTER_DETAIL: dict[str, Callable[[dict], str]] = {
    "disappeared": lambda r: "本学年无此校的任何记录 / no row this year",
    "appeared": lambda r: f"开办年份 opened {r['opened_year'] if pd.notna(r['opened_year']) else '—'}",
    "id_changed": lambda r: f"原标识码 old id {r['old_id']}",
    "type_changed": lambda r: f"{r['school_type_prev']} → {r['school_type']}",
}


def roster_findings(tables: Mapping[str, pd.DataFrame], spec: dict) -> tuple[pd.DataFrame, list[dict]]:
    """Schools that disappear (unless named closed), appear having opened earlier, change id or type."""
    prefix = spec.get("id_prefix", "roster")
    runs = [{"check": f"{prefix}_{k}", "kind": "roster", "importance": spec[k].get("importance")} for k in ROSTER_KINDS]
    if "schools" not in tables:
        why = "表 schools 不在本次构建中 / table absent"
        return _empty(), [{**r, "status": "not run", "reason": why} for r in runs]
    both, judged = year_pairs(tables["schools"], spec.get("known_closures", []))
    parts = []
    for k, rows in roster_changes(both, judged).items():
        importance = spec[k].get("importance", "medium")
        field_name = "school_type" if k == "type_changed" else "school_id"
        out = _finding_base(rows, f"{prefix}_{k}", "roster", field_name, importance)
        out["score"] = float(IMPORTANCE_WEIGHT[importance] * 2)
        out["detail"] = [ROSTER_DETAIL[k](r) for r in rows.to_dict("records")]
        out["expected"] = "—"
        parts.append(_typed(out))
    evaluated = int(judged.sum())
    runs = [
        {**r, "status": "run", "reason": "", "evaluated": evaluated, "violations": len(p)}
        for r, p in zip(runs, parts, strict=True)
    ]
    return pd.concat(parts, ignore_index=True), runs


# --------------------------------------------------------------------------- step 4: outliers


def _values(tables: Mapping[str, pd.DataFrame], spec: dict) -> pd.DataFrame | None:
    """One value per school, year (and 学段 for the stage tables) of the field, with its students."""
    table = tables.get(spec["table"])
    if table is None or spec["column"] not in table:
        return None
    key = ["school_id", "year", *(["stage"] if "stage" in table else [])]
    frame = table[[*key, "county_code", spec["column"]]].rename(columns={spec["column"]: "value"})
    frame = frame.merge(tables["schools"][["school_id", "year", "school_type"]], on=["school_id", "year"], how="left")
    if spec.get("per_student"):
        enrollment = tables["enrollment"]
        students = (
            enrollment[["school_id", "year", "stage", "student_count"]]
            if "stage" in frame
            else enrollment.groupby(["school_id", "year"], as_index=False)["student_count"].sum()
        )
        frame = frame.merge(students, on=[k for k in key if k in students], how="left")
    frame = frame.assign(stage=frame["stage"] if "stage" in frame else frame["school_type"])
    keep = frame["value"].notna() & ~frame["stage"].isin(spec.get("exclude_stages", []))
    if spec.get("min_students"):
        keep &= frame["student_count"].astype(float) >= spec["min_students"]
    return frame[keep.to_numpy(dtype=bool)].reset_index(drop=True)


def history_outliers(frame: pd.DataFrame, spec: dict, defaults: dict) -> pd.DataFrame:
    """Each value against the median of the same school's other years; z-scored on the county's history."""
    wide = frame.pivot_table(index=["school_id", "stage"], columns="year", values="value", aggfunc="sum", observed=True)
    wide = wide.astype(float)
    medians = {}
    for year in wide.columns:
        others = wide.drop(columns=year)
        enough = others.notna().sum(axis=1) >= defaults.get("min_history_years", 2)
        medians[year] = others.median(axis=1).where(enough)
    reference = pd.DataFrame(medians).stack().rename("reference").reset_index().rename(columns={"level_2": "year"})
    frame = frame.merge(reference, on=["school_id", "stage", "year"], how="inner")
    value, ref = frame["value"].astype(float), frame["reference"].astype(float)
    d = pd.Series(np.log((value + 1) / (ref + 1)), index=frame.index)
    groups = frame["county_code"].astype(str) + "|" + frame["stage"].astype(str)
    z_max = spec.get("z_max", defaults.get("z_max", 3.5))
    centre, half = robust_band(d, groups, z_max, spec.get("min_ratio", 1.5), defaults.get("min_group", 20))
    bad = ((d - centre).abs() > half) & ((value - ref).abs() >= spec.get("min_change", 0))
    rows = frame[bad.to_numpy()]
    low = (ref[bad] + 1) * np.exp(centre[bad] - half[bad]) - 1
    high = (ref[bad] + 1) * np.exp(centre[bad] + half[bad]) - 1
    detail = [f"本校其他学年的中位数 median of the other years: {r:g}" for r in rows["reference"]]
    return _outlier_rows(rows, spec, low, high, ((d - centre).abs() / half)[bad], detail)


def peer_outliers(frame: pd.DataFrame, spec: dict, defaults: dict) -> pd.DataFrame:
    """The per-student value against schools of the same stage in the same county and year."""
    frame = frame[frame["student_count"].astype(float) > 0].reset_index(drop=True)
    per = frame["value"].astype(float) / frame["student_count"].astype(float)
    d = pd.Series(np.log(per.where(per > 0)), index=frame.index)
    known = d.notna()
    frame, d, per = (
        frame[known].reset_index(drop=True),
        d[known].reset_index(drop=True),
        per[known].reset_index(drop=True),
    )
    groups = frame["county_code"].astype(str) + "|" + frame["stage"].astype(str) + "|" + frame["year"].astype(str)
    size = groups.map(groups.value_counts())
    z_max = spec.get("z_max", defaults.get("z_max", 3.5))
    centre, half = robust_band(d, groups, z_max, spec.get("min_ratio", 2.0), 0)
    bad = ((d - centre).abs() > half) & (size >= defaults.get("min_group", 20))
    rows = frame[bad.to_numpy()]
    students = rows["student_count"].astype(float).to_numpy()
    low, high = np.exp(centre[bad] - half[bad]) * students, np.exp(centre[bad] + half[bad]) * students
    detail = [
        f"每生 per student {p:.3g}，本县同类学校中位数 county median {np.exp(c):.3g}"
        for p, c in zip(per[bad], centre[bad], strict=True)
    ]
    return _outlier_rows(rows, spec, low, high, ((d - centre).abs() / half)[bad], detail)


def _outlier_rows(rows: pd.DataFrame, spec: dict, low, high, z, detail: list[str]) -> pd.DataFrame:
    importance = spec.get("importance", "low")
    out = _finding_base(rows, spec["id"], "outlier", spec["column"], importance)
    out["value"] = rows["value"].astype(float).to_numpy()
    out["expected_low"] = np.floor(np.maximum(np.asarray(low, dtype=float), 0))
    out["expected_high"] = np.ceil(np.asarray(high, dtype=float))
    out["expected"] = [f"{a:g}–{b:g}" for a, b in zip(out["expected_low"], out["expected_high"], strict=True)]
    out["score"] = IMPORTANCE_WEIGHT[importance] * (1 + np.minimum(np.asarray(z, dtype=float), 10))
    out["detail"] = detail
    return out


def outlier_findings(tables: Mapping[str, pd.DataFrame], spec: dict) -> tuple[pd.DataFrame, list[dict]]:
    """Every outlier field of the registry (``history`` or ``peers``)."""
    parts, runs = [], []
    methods = {"history": history_outliers, "peers": peer_outliers}
    for f in spec.get("fields", []):
        run = {"check": f["id"], "kind": "outlier", "importance": f.get("importance", "low")}
        frame = (
            _values(tables, f) if "schools" in tables and (not f.get("per_student") or "enrollment" in tables) else None
        )
        if frame is None:
            runs.append(
                {**run, "status": "not run", "reason": f"表或列 {f['table']}.{f['column']} 不在数据中 / absent"}
            )
            continue
        found = methods[f["method"]](frame, f, spec)
        found = found.drop(columns=["school_name", "township"]).merge(
            _school_info(tables).drop(columns="county_code"), on=["school_id", "year"], how="left"
        )
        parts.append(_typed(found))
        runs.append({**run, "status": "run", "reason": "", "evaluated": len(frame), "violations": len(found)})
    return (pd.concat(parts, ignore_index=True) if parts else _empty()), runs


# --------------------------------------------------------------------------- step 5: completeness


def completeness(
    tables: Mapping[str, pd.DataFrame], spec: dict, findings: pd.DataFrame, closures: list[dict] | None = None
) -> pd.DataFrame:
    """Rates per county and year: last year's schools reported (or named closed), inputs present, required
    cells filled, and schools without a high or medium finding (consistency)."""
    rows: list[dict] = []
    schools = tables.get("schools")
    if schools is None:
        return _completeness_frame(rows)
    years = sorted(int(y) for y in schools["year"].unique())
    counties = sorted(schools["county_code"].unique())
    ids = {k: set(g) for k, g in schools.groupby(["county_code", "year"])["school_id"]}
    closed = {(str(c["school_id"]), int(c["year"])) for c in closures or []}
    serious = findings[findings["importance"].isin(["high", "medium"])]
    flagged = {k: set(g) for k, g in serious.groupby(["county_code", "year"])["school_id"]}
    kinds = spec.get("inputs", [])
    present = {
        name: set(zip(t["county_code"], t["year"], strict=True))
        for name in kinds
        if (t := tables.get(name)) is not None and "county_code" in t
    }
    filled, cells = _filled(tables, spec.get("required_cells", {}))
    for county in counties:
        for year in years:
            now, before = ids.get((county, year), set()), ids.get((county, year - 1))
            accounted = len(before & now) + sum((i, year) in closed for i in before - now) if before else 0
            reported = (accounted, len(before), "") if before else (pd.NA, pd.NA, "无上一学年 / no previous year")
            have = sum((county, year) in present.get(k, set()) for k in kinds)
            clean = len(now - flagged.get((county, year), set()))
            for measure, (num, den, why) in {
                "schools_reported_pct": reported,
                "inputs_present_pct": (have, len(kinds), ""),
                "required_cells_pct": (filled.get((county, year), 0), cells.get((county, year), 0), ""),
                "consistent_schools_pct": (clean, len(now), ""),
            }.items():
                rows.append(
                    {
                        "county_code": county,
                        "year": year,
                        "measure": measure,
                        "numerator": num,
                        "denominator": den,
                        "na_reason": why or pd.NA,
                    }
                )
    return _completeness_frame(rows)


def _filled(tables: Mapping[str, pd.DataFrame], required: dict) -> tuple[pd.Series, pd.Series]:
    """Required cells filled and required cells in all, per (county, year)."""
    filled, cells = [], []
    for name, cols in required.items():
        t = tables.get(name)
        present = [c for c in cols if t is not None and c in t]
        if not present:
            continue
        by = [t["county_code"], t["year"]]
        filled.append(t[present].notna().sum(axis=1).groupby(by).sum())
        cells.append(t.groupby(by).size() * len(present))
    if not filled:
        return pd.Series(dtype=float), pd.Series(dtype=float)
    return pd.concat(filled, axis=1).sum(axis=1), pd.concat(cells, axis=1).sum(axis=1)


def _completeness_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["county_code", "year", "measure", "numerator", "denominator", "na_reason"])
    frame = frame.astype(
        {
            "county_code": "string",
            "year": "Int64",
            "measure": "string",
            "numerator": "Float64",
            "denominator": "Float64",
            "na_reason": "string",
        }
    )
    value = (frame["numerator"] / frame["denominator"].where(frame["denominator"] > 0) * 100).round(2)
    frame.insert(3, "value", value.astype("Float64"))
    return frame


# --------------------------------------------------------------------------- the review


def review(tables: Mapping[str, pd.DataFrame], registry: Registry | None = None) -> dict[str, pd.DataFrame]:
    """The whole review of a build's cleaned tables: findings (ranked), the run of every check, completeness."""
    registry = registry or load_registry()
    if "schools" not in tables:  # a partial build: every check says why it did not run; the build goes on
        why = "表 schools 不在本次构建中 / table schools absent"
        runs = [
            {**{k: v for k, v in r.items() if k != "source"}, "status": "not run", "reason": why}
            for r in registry.names()[["check", "kind", "importance"]].to_dict("records")
        ]
        return _assemble([_empty()], runs, tables, registry)
    found, runs = run_rules(tables, registry)
    parts = [found]
    for spec in registry.cohorts:
        cohort, run = cohort_findings(tables, spec)
        parts.append(cohort)
        runs.append(run)
    roster, roster_runs = roster_findings(tables, registry.roster)
    outliers, outlier_runs = outlier_findings(tables, registry.outliers)
    parts += [roster, outliers]
    runs += roster_runs + outlier_runs
    return _assemble(parts, runs, tables, registry)


def _assemble(
    parts: list[pd.DataFrame], runs: list[dict], tables: Mapping[str, pd.DataFrame], registry: Registry
) -> dict[str, pd.DataFrame]:
    """The three stored tables: findings ranked by score, the run of every check, completeness."""
    findings = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else _empty()
    findings = _typed(findings).sort_values(["score", "county_code", "school_id"], ascending=[False, True, True])
    runs_frame = pd.DataFrame(runs).reindex(
        columns=["check", "kind", "importance", "status", "reason", "evaluated", "violations"]
    )
    runs_frame = runs_frame.astype({"evaluated": "Int64", "violations": "Int64"}).astype(
        {c: "string" for c in ("check", "kind", "importance", "status", "reason")}
    )
    return {
        "quality_findings": findings.reset_index(drop=True),
        "quality_rule_runs": runs_frame,
        "quality_completeness": completeness(
            tables, registry.completeness, findings, registry.roster.get("known_closures", [])
        ),
    }


#: The result tables :func:`review` adds to a processed build.
QUALITY_TABLES = ("quality_findings", "quality_rule_runs", "quality_completeness")
