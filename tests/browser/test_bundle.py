"""The tracker script as a product: within its size budget, reproducible from source, typed, unit-tested.

These run node and the pinned devDependencies of tracker-script/ (`npm ci` there first).
"""

from __future__ import annotations

import gzip
import re
import subprocess
from pathlib import Path

import phonenumbers
import pytest
from phonenumbers import PhoneMetadata

ROOT = Path(__file__).resolve().parents[2] / "tracker-script"
BUNDLE = ROOT / "dist" / "ctrack.min.js"
BUDGET = 5120
MARKETS = ["RU", "KZ", "BG", "US", "CA", "GB", "DE"]


def npm(*args: str) -> subprocess.CompletedProcess[str]:
    if not (ROOT / "node_modules" / ".bin" / "esbuild").exists():
        pytest.fail("tracker-script/node_modules is missing: run `npm ci` in tracker-script/")
    return subprocess.run(
        ["npm", "run", "--silent", *args], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_the_bundle_is_within_5_kb_gzipped() -> None:
    assert len(gzip.compress(BUNDLE.read_bytes(), compresslevel=9)) <= BUDGET


def test_the_committed_bundle_is_what_the_source_builds(tmp_path: Path) -> None:
    rebuilt = tmp_path / "ctrack.min.js"
    built = npm("build", "--", str(rebuilt))
    assert built.returncode == 0, built.stderr
    assert rebuilt.read_bytes() == BUNDLE.read_bytes(), "stale bundle: run `npm run build` in tracker-script/"


def test_the_typescript_type_checks() -> None:
    checked = npm("typecheck")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_format_unit_tests_pass_under_node() -> None:
    tested = npm("test")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_market_table_matches_libphonenumber() -> None:
    source = (ROOT / "src" / "markets.ts").read_text()
    table = dict(re.findall(r'"(\d+)": "(\d+)"', source))
    expected = {}
    for region in MARKETS:
        metadata = PhoneMetadata.metadata_for_region(region)
        assert metadata is not None
        expected[str(phonenumbers.country_code_for_region(region))] = metadata.national_prefix
    assert table == expected
