"""A model whose rows, once written, are never edited nor deleted one by one."""


class AppendOnly:
    """Mixin for models.Model: saving an existing row or deleting one raises. A later row
    supersedes an earlier one; history stays whole."""

    append_only_message = "These records are append-only."

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError(self.append_only_message)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError(self.append_only_message)
