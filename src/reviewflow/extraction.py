"""Extraction: the codebook, a pandera schema built from it, and id resolution.

The codebook (``data/raw/extraction/codebook.yaml``) is the single description of what is
coded; the schema is generated from it so a new field or allowed value needs no code change.
``extraction.csv`` names each study by any of its record ids or by ``doi:<doi>``; rows are
mapped to study ids through ``dedup/studies.csv`` and checked one-to-one against the studies
included at full text. Every function here is pure; ``notebooks/extraction.ipynb`` calls them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from reviewflow.errors import ReviewflowError
from reviewflow.files import read_csv, read_yaml
from reviewflow.ids import DOI_ID_PREFIX, StudyResolver, normalise_doi

FIELD_TYPES = {"id", "string", "text", "category", "multi", "integer", "boolean"}
BOOLEAN_VALUES = ("true", "false")
# Bibliographic columns copied from dedup/studies.csv next to the coded fields.
BIB_COLUMNS = ["title", "authors", "year", "journal", "volume", "issue", "pages", "doi"]
# A row line in the CSV is its 0-based index + 2 (header is line 1).
HEADER_LINES = 2
_RECORD_ID = re.compile(r"^[a-z0-9_]+:\S+$")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    definition: str
    allowed: tuple[str, ...] = ()
    pattern: str | None = None
    minimum: int | None = None
    # For a controlled vocabulary: value -> group key, value -> slug key, synonym -> value.
    group: dict[str, str] = field(default_factory=dict)
    key: dict[str, str] = field(default_factory=dict)
    synonyms: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Codebook:
    fields: tuple[Field, ...]
    # Optional groupings of vocabulary terms (key, label, definition), in display order: how a
    # review reads its coded values (a theory's categories, outcome domains, ...).
    groups: tuple[dict[str, str], ...] = ()
    separator: str = "; "

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def id_field(self) -> str:
        return next(f.name for f in self.fields if f.type == "id")

    @property
    def categorical(self) -> list[Field]:
        """Fields with a closed list of values: what an evidence map or a count can show."""
        return [f for f in self.fields if f.type in {"category", "multi"}]

    def group_label(self, key: str) -> str:
        return next((g.get("label", key) for g in self.groups if g.get("key") == key), key)

    def split(self, value: str) -> list[str]:
        """A multi-valued cell as its list of values (empty cell -> [])."""
        return [v.strip() for v in value.split(self.separator.strip()) if v.strip()]


# --- Codebook -------------------------------------------------------------------------------


def parse_codebook(raw: Any, path: str | Path = "codebook.yaml") -> Codebook:
    """Check the codebook's own structure, so a typo in it is reported as such."""
    if not isinstance(raw, dict) or not isinstance(raw.get("fields"), list):
        raise ReviewflowError("expected a mapping with a list under 'fields'", path=path)
    groups = tuple(raw.get("groups") or ())
    group_keys = {g.get("key") for g in groups if isinstance(g, dict)}
    fields: list[Field] = []
    for i, spec in enumerate(raw["fields"], 1):
        where = f"field {i}"
        if not isinstance(spec, dict) or not spec.get("name"):
            raise ReviewflowError(f"{where}: expected a mapping with a 'name'", path=path)
        name = str(spec["name"])
        ftype = spec.get("type")
        if ftype not in FIELD_TYPES:
            raise ReviewflowError(
                f"field '{name}': type {ftype!r} is not one of {sorted(FIELD_TYPES)}", path=path
            )
        if not spec.get("definition"):
            raise ReviewflowError(f"field '{name}': has no definition", path=path)
        allowed = [str(a) for a in spec.get("allowed") or ()]
        group, key, synonyms = {}, {}, {}
        for term in spec.get("vocabulary") or ():
            value = str(term.get("value", "")) if isinstance(term, dict) else ""
            grouped = term.get("group") in group_keys if value else False
            if not value or not term.get("key") or (groups and not grouped):
                needs = f" and a group among {sorted(group_keys)}" if groups else ""
                raise ReviewflowError(
                    f"field '{name}': vocabulary term {term!r} needs a value, a key{needs}",
                    path=path,
                )
            allowed.append(value)
            if groups:
                group[value] = term["group"]
            key[value] = str(term["key"])
            for syn in term.get("synonyms") or ():
                synonyms[str(syn).casefold()] = value
        if ftype in {"category", "multi"} and not allowed:
            raise ReviewflowError(
                f"field '{name}': a {ftype} field needs allowed values", path=path
            )
        if len(set(allowed)) != len(allowed):
            raise ReviewflowError(f"field '{name}': allowed values repeat", path=path)
        fields.append(
            Field(
                name=name,
                type=ftype,
                required=bool(spec.get("required", True)),
                definition=str(spec["definition"]).strip(),
                allowed=tuple(allowed),
                pattern=spec.get("pattern"),
                minimum=spec.get("minimum"),
                group=group,
                key=key,
                synonyms=synonyms,
            )
        )
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise ReviewflowError("field names repeat", path=path)
    if [f.type for f in fields].count("id") != 1:
        raise ReviewflowError("exactly one field must have type 'id'", path=path)
    return Codebook(fields=tuple(fields), groups=groups, separator=raw.get("separator", "; "))


def load_codebook(path: str | Path) -> Codebook:
    return parse_codebook(read_yaml(path), path)


def codebook_table(codebook: Codebook) -> pd.DataFrame:
    """The codebook as a table (one row per field) for the notebook and the supplement."""
    return pd.DataFrame(
        [
            {
                "field": f.name,
                "type": f.type,
                "required": "true" if f.required else "false",
                "allowed": codebook.separator.join(f.allowed),
                "definition": f.definition,
            }
            for f in codebook.fields
        ]
    )


def vocabulary_table(codebook: Codebook, field_name: str) -> pd.DataFrame:
    """A field's controlled vocabulary: value, key and the group each value belongs to."""
    f = codebook.field(field_name)
    return pd.DataFrame(
        {
            "value": list(f.allowed),
            "key": [f.key.get(v, "") for v in f.allowed],
            "group": [f.group.get(v, "") for v in f.allowed],
        }
    )


# --- Schema ---------------------------------------------------------------------------------


def _multi_check(allowed: tuple[str, ...], sep: str) -> pa.Check:
    allowed_set = set(allowed)

    def ok(cell: str) -> bool:
        parts = [p.strip() for p in cell.split(sep.strip())] if cell else []
        return all(p in allowed_set for p in parts) and len(set(parts)) == len(parts)

    return pa.Check(
        ok,
        element_wise=True,
        error=f"each value one of: {'; '.join(allowed)} (no repeats, joined with {sep!r})",
    )


def _field_checks(f: Field, sep: str) -> list[pa.Check]:
    checks = []
    if f.required:
        checks.append(pa.Check.str_length(min_value=1, error="a value (the field is required)"))
    if f.type == "id":
        checks.append(
            pa.Check.str_matches(
                r"^(doi:10\.\S+|[a-z0-9_]+:\S+)?$", error="a record id ('scopus:12') or 'doi:<doi>'"
            )
        )
    elif f.type == "category":
        checks.append(pa.Check.isin([*f.allowed, ""], error=f"one of: {'; '.join(f.allowed)}"))
    elif f.type == "multi":
        checks.append(_multi_check(f.allowed, sep))
    elif f.type == "integer":
        checks.append(pa.Check.str_matches(r"^(\d+)?$", error="a whole number (digits only)"))
        if f.minimum is not None:
            checks.append(
                pa.Check(
                    lambda s, m=f.minimum: (
                        ~s.str.fullmatch(r"\d+") | (pd.to_numeric(s, errors="coerce") >= m)
                    ),
                    error=f"at least {f.minimum}",
                )
            )
    elif f.type == "boolean":
        checks.append(pa.Check.isin([*BOOLEAN_VALUES, ""], error="true or false"))
    elif f.type in {"string", "text"}:
        if f.type == "string":
            checks.append(pa.Check.str_matches(r"^[^\n]*$", error="one line of text"))
        if f.pattern:
            checks.append(
                pa.Check(
                    lambda s, p=f.pattern: (s == "") | s.str.match(p),
                    error=f"text matching {f.pattern}",
                )
            )
    return checks


def build_schema(codebook: Codebook) -> pa.DataFrameSchema:
    """A pandera schema for extraction.csv read as strings: one column per codebook field."""
    columns = {
        f.name: pa.Column(str, checks=_field_checks(f, codebook.separator), nullable=False)
        for f in codebook.fields
    }
    return pa.DataFrameSchema(columns, strict=True, ordered=False, name="extraction")


def tidy(df: pd.DataFrame) -> pd.DataFrame:
    """Undo what spreadsheet programs add: a byte-order mark and spaces around cells."""
    df = df.rename(columns=lambda c: str(c).lstrip("\ufeff").strip())
    return df.apply(lambda col: col.str.strip()).reset_index(drop=True)


def validate_extraction(
    df: pd.DataFrame, codebook: Codebook, path: str | Path = "extraction.csv"
) -> pd.DataFrame:
    """Check every cell against the codebook; report the first failing line and all others."""
    df = tidy(df)
    id_col = codebook.id_field
    if id_col in df.columns:
        placeholders = df.index[df[id_col].str.upper().str.startswith("TODO")]
        if len(placeholders):
            i = int(placeholders[0])
            raise ReviewflowError(
                f"{id_col} {df.at[i, id_col]!r} is a placeholder: replace it with a record id of "
                "the study (e.g. 'scopus:12') or 'doi:<doi>'"
                + _others(df, placeholders[1:], id_col),
                path=path,
                line=i + HEADER_LINES,
                record=df.at[i, id_col],
            )
    try:
        build_schema(codebook).validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise _schema_error(exc.failure_cases, df, id_col, path) from None
    return df


def _others(df: pd.DataFrame, index: Any, id_col: str) -> str:
    if not len(index):
        return ""
    lines = ", ".join(f"{i + HEADER_LINES} ({df.at[i, id_col]})" for i in index)
    return f"; also on lines {lines}"


def _schema_error(
    cases: pd.DataFrame, df: pd.DataFrame, id_col: str, path: str | Path
) -> ReviewflowError:
    """Turn pandera's failure table into one message a person can act on."""
    table_level = cases[cases["index"].isna()]
    if len(table_level):
        missing = sorted(
            str(c) for c in table_level.loc[table_level.check == "column_in_dataframe"].failure_case
        )
        extra = sorted(
            str(c) for c in table_level.loc[table_level.check == "column_in_schema"].failure_case
        )
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if extra:
            parts.append(f"column(s) not in the codebook: {', '.join(extra)}")
        if not parts:
            parts = [f"{c.check}: {c.failure_case}" for c in table_level.itertuples()]
        return ReviewflowError("; ".join(parts), path=path, line=1)
    cases = cases.assign(row=cases["index"].astype(int)).sort_values(["row", "column"])
    messages = []
    for c in cases.itertuples():
        messages.append(
            f"line {c.row + HEADER_LINES}: {c.column} = {str(c.failure_case)!r}, expected {c.check}"
        )
    first = cases.iloc[0]
    i = int(first["row"])
    rest = (
        f" (and {len(messages) - 1} more: {'; '.join(messages[1:])})" if len(messages) > 1 else ""
    )
    return ReviewflowError(
        f"{first['column']} = {str(first['failure_case'])!r}, expected {first['check']}{rest}",
        path=path,
        line=i + HEADER_LINES,
        record=str(df.at[i, id_col]) if id_col in df.columns else None,
    )


# --- Id resolution --------------------------------------------------------------------------


def resolve_ids(
    df: pd.DataFrame,
    studies: pd.DataFrame,
    id_col: str = "id",
    path: str | Path = "extraction.csv",
) -> pd.Series:
    """The study id of each row; an unknown or ambiguous id names its line."""
    links = pd.DataFrame(
        [
            (rid.strip(), sid)
            for sid, rids in zip(studies["study_id"], studies["record_ids"], strict=True)
            for rid in str(rids).split(";")
            if rid.strip()
        ],
        columns=["record_id", "study_id"],
    )
    resolver = StudyResolver(links, studies)
    out = []
    for i, raw in enumerate(df[id_col]):
        key = raw.strip()
        where = {"path": path, "line": i + HEADER_LINES, "record": raw}
        found = resolver.study_of(key) or (studies["study_id"] == key).any() and key
        if found:
            out.append(found)
            continue
        if key.lower().startswith(DOI_ID_PREFIX):
            doi = key[len(DOI_ID_PREFIX) :]
            hits = sorted(resolver.by_doi.get(normalise_doi(doi), ()))
            if len(hits) > 1:
                raise ReviewflowError(
                    f"DOI {doi!r} belongs to several studies ({', '.join(hits)}): "
                    "name the study by a record id instead",
                    **where,
                )
            raise ReviewflowError(f"no study in studies.csv has DOI {doi!r}", **where)
        raise ReviewflowError(
            f"{key!r} is not a record id of any study in studies.csv (expected e.g. "
            "'scopus:12' or 'doi:<doi>')",
            **where,
        )
    return pd.Series(out, index=df.index, name="study_id", dtype=str)


def included_study_ids(full_text: pd.DataFrame) -> list[str]:
    """Studies included at full text (decision "include")."""
    return sorted(full_text.loc[full_text["decision"] == "include", "study_id"].unique())


def check_coverage(
    study_ids: pd.Series,
    df: pd.DataFrame,
    included: list[str],
    id_col: str = "id",
    path: str | Path = "extraction.csv",
) -> None:
    """Exactly one row per included study, and no row for a study that is not included."""
    seen: dict[str, int] = {}
    included_set = set(included)
    for i, sid in enumerate(study_ids):
        line = i + HEADER_LINES
        raw = df[id_col].iloc[i]
        if sid in seen:
            raise ReviewflowError(
                f"study {sid} already has an extraction row (line {seen[sid]}); each included "
                "study needs exactly one",
                path=path,
                line=line,
                record=raw,
            )
        seen[sid] = line
        if sid not in included_set:
            raise ReviewflowError(
                f"study {sid} is not included at full text (screening/full_text.csv), so it "
                "must not be extracted",
                path=path,
                line=line,
                record=raw,
            )
    missing = [s for s in included if s not in seen]
    if missing:
        raise ReviewflowError(
            f"{len(missing)} included stud{'y has' if len(missing) == 1 else 'ies have'} no "
            f"extraction row: {', '.join(missing)}",
            path=path,
        )


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def check_labels(
    df: pd.DataFrame,
    study_ids: pd.Series,
    studies: pd.DataFrame,
    id_col: str = "id",
    path: str | Path = "extraction.csv",
) -> None:
    """Each row's label must fit the study its id resolves to: first author and year.

    Record ids are positions in export files, so an edited export can silently shift an id to
    another work; this catches it. The year may differ by one (online-first vs print).
    """
    if "label" not in df.columns:
        return
    meta = studies.set_index("study_id")
    for i, (label, sid) in enumerate(zip(df["label"], study_ids, strict=True)):
        m = re.match(r"^(.+?)(?: and .+| et al\.?)? \((\d{4})\)$", label.strip())
        if not m:
            continue
        name, year = m.group(1).strip(), int(m.group(2))
        authors = str(meta.at[sid, "authors"]) if "authors" in meta.columns else ""
        got_year = str(meta.at[sid, "year"]) if "year" in meta.columns else ""
        problems = []
        if authors and _fold(name) not in _fold(authors):
            problems.append(f"authors are {authors[:80]!r}")
        if got_year.isdigit() and abs(int(got_year) - year) > 1:
            problems.append(f"year is {got_year}")
        if problems:
            raise ReviewflowError(
                f"label {label!r} does not fit study {sid} ({'; '.join(problems)}): is the id "
                "right? Record ids move when an export file changes",
                path=path,
                line=i + HEADER_LINES,
                record=df[id_col].iloc[i],
            )


# --- Output ---------------------------------------------------------------------------------


def included_studies_table(
    df: pd.DataFrame, study_ids: pd.Series, studies: pd.DataFrame, codebook: Codebook
) -> pd.DataFrame:
    """study_id, label, coded fields, bibliographic fields; one row per study, by study_id."""
    coded = [f.name for f in codebook.fields if f.type != "id"]
    out = df[coded].copy()
    out.insert(0, "study_id", study_ids.to_numpy())
    out["record_ids"] = out["study_id"].map(studies.set_index("study_id")["record_ids"])
    bib = studies.set_index("study_id").reindex(columns=BIB_COLUMNS, fill_value="")
    out = out.join(bib, on="study_id")
    first = ["study_id", "label"] if "label" in coded else ["study_id"]
    ordered = first + [c for c in out.columns if c not in first]
    return out[ordered].sort_values("study_id", kind="stable").reset_index(drop=True)


def build_included_studies(
    extraction_path: str | Path,
    codebook_path: str | Path,
    full_text_path: str | Path,
    studies_path: str | Path,
) -> pd.DataFrame:
    """Read, validate and resolve the extraction data: the whole stage as one call."""
    codebook = load_codebook(codebook_path)
    df = validate_extraction(read_csv(extraction_path), codebook, extraction_path)
    studies = read_csv(studies_path)
    included = included_study_ids(read_csv(full_text_path))
    id_col = codebook.id_field
    study_ids = resolve_ids(df, studies, id_col, extraction_path)
    check_coverage(study_ids, df, included, id_col, extraction_path)
    check_labels(df, study_ids, studies, id_col, extraction_path)
    return included_studies_table(df, study_ids, studies, codebook)
