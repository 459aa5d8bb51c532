"""Demo data: accounts for every role, three reporting cycles and the reports of the
municipalities whose real practices ship in ``content/practices/`` (CC BY 4.0, with sources).

The reports are made through the real services (start, save, submit, return, accept, reopen),
so revisions, diffs, review comments and the audit trail are what users would have produced.
The indicator values are synthetic (drawn per municipality and cycle from ranges that depend
on population and degree of urbanisation) and every report carries the synthetic flag.

Deterministic: a fixed seed, practice ids derived with uuid5 from the file's ids, hashes
instead of Python's ``hash()``; two runs into fresh databases give identical documents.
Idempotent: an account, cycle or report that exists is left alone, so ``omk demo`` may run on
every ``make run`` (and never overwrites what someone did with the demo since).

How practices are spread over the cycles (documented in README.md and content/practices/):

* a practice is first reported in a cycle drawn from the seed (60 % the first cycle, 25 % the
  second, 15 % the third), never before the year it started or the year of its source, so no
  report describes facts later than its period;
* an active practice is continued in every later cycle with the same id (its lineage);
* an ended or planned practice is reported once, with the status of its source: the demo
  does not invent what became of it;
* a municipality reports in a cycle when it has at least one practice there; the others with
  a reporter account are the ones "expected, not yet reported".

The seeder in modules: :mod:`.data` (seed, accounts, cycles and flows to produce),
:mod:`.accounts`, :mod:`.practices` (the shipped practices and the plan drawn from them),
:mod:`.indicators` (synthetic values) and :mod:`.seeder` (the reports, one by one and all).
"""

from __future__ import annotations

from omk.demo.accounts import (
    demo_users,
    ensure_accounts,
    reporter_email,
    reviewer_email,
)
from omk.demo.data import (
    CLOSED_FLOWS,
    CYCLES,
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_REPORTER_KEY,
    DEMO_REVIEWER_SCOPE,
    EXPLAINS,
    LAND_SLUGS,
    OPEN_FLOWS,
    PRACTICE_NAMESPACE,
    SEED,
    DemoAccount,
    DemoCycle,
    Flow,
    log,
)
from omk.demo.indicators import (
    ACCOMMODATED_PER_ALLOCATED,
    ALLOCATIONS_PER_1000,
    DECENTRAL_SHARE,
    INHABITANTS_PER_MIGRANT_ORGANISATION,
    STAY_MONTHS,
    VOLUNTEERS_PER_1000,
    YEAR_FACTOR,
    Profile,
    profile_of,
    synthetic_indicators,
)
from omk.demo.practices import (
    SourcePractice,
    first_cycle,
    load_practices,
    plan_flows,
    plan_reports,
    practice_id,
    practices_path,
    to_practice,
)
from omk.demo.seeder import (
    CORRECTION_REASON,
    CORRECTION_REPLY,
    OPTIONAL_SLIPS,
    STATE_COUNT_LABELS,
    DemoResult,
    Progress,
    Slip,
    _document,
    create_demo,
)
from omk.services.reports import mark_synthetic

__all__ = [
    "ACCOMMODATED_PER_ALLOCATED",
    "ALLOCATIONS_PER_1000",
    "CLOSED_FLOWS",
    "CORRECTION_REASON",
    "CORRECTION_REPLY",
    "CYCLES",
    "DECENTRAL_SHARE",
    "DEMO_ACCOUNTS",
    "DEMO_PASSWORD",
    "DEMO_REPORTER_KEY",
    "DEMO_REVIEWER_SCOPE",
    "EXPLAINS",
    "INHABITANTS_PER_MIGRANT_ORGANISATION",
    "LAND_SLUGS",
    "OPEN_FLOWS",
    "OPTIONAL_SLIPS",
    "PRACTICE_NAMESPACE",
    "SEED",
    "STATE_COUNT_LABELS",
    "STAY_MONTHS",
    "VOLUNTEERS_PER_1000",
    "YEAR_FACTOR",
    "DemoAccount",
    "DemoCycle",
    "DemoResult",
    "Flow",
    "Profile",
    "Progress",
    "Slip",
    "SourcePractice",
    "_document",
    "create_demo",
    "demo_users",
    "ensure_accounts",
    "first_cycle",
    "load_practices",
    "log",
    "mark_synthetic",
    "plan_flows",
    "plan_reports",
    "practice_id",
    "practices_path",
    "profile_of",
    "reporter_email",
    "reviewer_email",
    "synthetic_indicators",
    "to_practice",
]
