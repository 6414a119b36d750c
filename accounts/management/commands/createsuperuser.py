"""Django's createsuperuser, refusing a blank telephone number when it prompts.

The number is optional on the model (a deleted account has none), so Django's prompt would
accept an empty answer and the manager would then fail; here it asks again instead.
"""

from django.contrib.auth.management.commands import createsuperuser


class Command(createsuperuser.Command):
    def get_input_data(self, field, message, default=None):
        value = super().get_input_data(field, message, default)
        if field is self.username_field and value == "":
            self.stderr.write("Error: Telephone number cannot be blank.")
            return None
        return value
