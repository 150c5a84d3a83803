from django.http import Http404

from .models import Report


def report_list(*, organization):
    return (
        Report.objects.filter(organization=organization)
        .select_related("requested_by")
        .defer("snapshot")
    )


def report_page(*, organization, offset: int, limit: int) -> tuple[list[Report], int]:
    qs = report_list(organization=organization).order_by("-requested_at", "-id")
    return list(qs[offset : offset + limit]), qs.count()


def report_get(*, organization, pk) -> Report:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such report.") from None
    report = report_list(organization=organization).filter(pk=pk).first()
    if report is None:
        raise Http404("No such report.")
    return report


def report_previous_done(*, organization) -> Report | None:
    return (
        Report.objects.filter(organization=organization, status=Report.Status.DONE)
        .order_by("-requested_at", "-id")
        .first()
    )
