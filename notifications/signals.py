"""What the notifications room tells the rooms above it.

`reminder_due(sender=None, organization=<Organization>, kind=<str>, key=<str>, text=<str>,
url=<str>, data=<dict>)` is sent once, after commit, each time a reminder is announced (a
reminder is announced once per due item, and again only when the item changes). `kind` is
one of "reassessment_due", "permissions_to_review", "drill_overdue", "budget_alert"; `data`
is plain JSON (ids, dates as ISO strings, figures) for webhooks and the like.
"""

from django.dispatch import Signal

reminder_due = Signal()
