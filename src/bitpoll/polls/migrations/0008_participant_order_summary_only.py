from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("polls", "0006_accounts_base"),
    ]

    operations = [
        migrations.AddField(
            model_name="poll",
            name="participant_order",
            field=models.CharField(
                choices=[("time", "In the order they answered"), ("name", "By name")],
                default="time",
                max_length=8,
                verbose_name="order of participants",
            ),
        ),
        migrations.AddField(
            model_name="poll",
            name="summary_only",
            field=models.BooleanField(default=False, verbose_name="show only the totals"),
        ),
    ]
