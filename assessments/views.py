from django.http import HttpResponse

from accounts.decorators import member_required


@member_required
def home(request):
    return HttpResponse("todo")


@member_required
def assessment_list(request):
    return HttpResponse("todo")
