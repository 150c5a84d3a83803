from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports.models import Report
from reports.services import report_verify


class Command(BaseCommand):
    help = "Exit 0 when FILE is the PDF that report REPORT_ID produced (its SHA-256 matches)."

    def add_arguments(self, parser):
        parser.add_argument("report_id")
        parser.add_argument("file")

    def handle(self, *args, report_id, file, **options):
        try:
            report = Report.objects.get(pk=int(report_id))
        except (ValueError, Report.DoesNotExist):
            raise CommandError(f"No report with id {report_id!r}.") from None
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file at {file!r}.")
        if report.status != Report.Status.DONE:
            raise CommandError(f"Report {report.pk} is {report.status}: it has produced no PDF.")
        if not report_verify(report=report, data=path.read_bytes()):
            raise CommandError(
                f"MISMATCH: {file} is not the PDF of report {report.pk} "
                f"(expected SHA-256 {report.sha256})."
            )
        self.stdout.write(
            f"OK: {file} is report {report.pk} “{report.title}” (SHA-256 {report.sha256})."
        )
