from django.db import migrations

from assessments.framework_data import load_framework, read_definition


def load_default(apps, schema_editor):
    load_framework(
        apps.get_model("assessments", "Framework"),
        apps.get_model("assessments", "Dimension"),
        apps.get_model("assessments", "Criterion"),
        read_definition(),
    )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]

    operations = [migrations.RunPython(load_default, migrations.RunPython.noop)]
