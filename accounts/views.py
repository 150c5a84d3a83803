from django.http import HttpResponse

from .decorators import member_required


@member_required
def switch_organization(request):
    return HttpResponse("todo")


@member_required
def profile(request):
    return HttpResponse("todo")


@member_required
def audit_log(request):
    return HttpResponse("todo")
