"""The README's backup and restore for the embedded default: a copy made with SQLite's backup
API passes verify_audit_log, and the same check catches a tampered copy."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from assessments import services as assessment_services
from killswitch import services as killswitch_services
from overview import services as overview_services
from tests.conftest import scores_of

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.django_db(transaction=True)


def verify(database: Path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    env["DJANGO_SETTINGS_MODULE"] = "readiness.settings.dev"
    # The restored machine's own (empty) checkpoint folder, not this checkout's var/, which
    # other runs of the app on this machine may have filled under other keys.
    env["AUDIT_CHECKPOINT_STORAGE_OPTIONS"] = json.dumps(
        {"location": str(database.parent / "audit-checkpoints")}
    )
    # The key lives outside the database: the restoring machine is given the same one.
    env["AUDIT_HMAC_KEY"] = settings.AUDIT_HMAC_KEY
    return subprocess.run(
        [sys.executable, "manage.py", "verify_audit_log"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_sqlite_backup_restores_with_an_intact_audit_chain(assessor, operator, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the embedded default's backup; PostgreSQL uses pg_dump")
    assessment = assessment_services.assessment_create(membership=assessor, title="Backed up")
    assessment_services.assessment_set_scores(
        assessment=assessment, membership=assessor, scores=scores_of(4, 4, 4, 4)
    )
    assessment_services.assessment_submit(assessment=assessment, membership=assessor)
    agent = overview_services.agent_create(
        membership=assessor, data={"name": "Backed up agent", "owner": assessor.user.username}
    )
    killswitch_services.agent_suspend(agent=agent, membership=operator, reason="Before the backup")

    backup = tmp_path / "backup.sqlite3"
    source = sqlite3.connect(connection.settings_dict["NAME"])
    target = sqlite3.connect(backup)
    source.backup(target)
    source.close()

    restored = verify(backup)
    assert restored.returncode == 0, restored.stderr
    assert "every signature intact" in restored.stdout

    target.execute('UPDATE audit_auditentry SET after = \'{"reason": "edited"}\' WHERE seq = 2')
    target.commit()
    target.close()
    tampered = verify(backup)
    assert tampered.returncode != 0
    assert "#2" in tampered.stderr
