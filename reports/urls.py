from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/progress/", views.report_progress, name="progress"),
    path("<int:pk>/download/", views.report_download, name="download"),
    path("<int:pk>/verify/", views.report_verify, name="verify"),
    path("<int:pk>/retry/", views.report_retry, name="retry"),
]
