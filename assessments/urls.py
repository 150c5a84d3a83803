from django.urls import path

from . import step_views, views

app_name = "assessments"

urlpatterns = [
    path("", views.assessment_list, name="list"),
    path("new/", views.assessment_new, name="new"),
    path("<int:pk>/", views.assessment_detail, name="detail"),
    path("<int:pk>/step/<int:step>/", step_views.assessment_step, name="step"),
    path("<int:pk>/preview/", step_views.assessment_preview, name="preview"),
    path("<int:pk>/submit/", views.assessment_submit, name="submit"),
]
