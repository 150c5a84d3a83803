from django.urls import path

from . import views

app_name = "sso"

urlpatterns = [
    path("login/", views.SsoLogin.as_view(), name="login"),
    path("callback/", views.SsoCallback.as_view(), name="callback"),
    path("no-role/", views.no_role, name="no_role"),
    path("mappings/", views.mappings, name="mappings"),
    path("mappings/<int:pk>/", views.mapping_edit, name="mapping_edit"),
    path("mappings/<int:pk>/delete/", views.mapping_delete, name="mapping_delete"),
    path("require/", views.require_sso, name="require"),
]
