"""Serializer fields shared by the API's serializers."""

import re

from rest_framework import serializers

SLUG = re.compile(r"^[-\w]+\Z")


class SlugLookupField(serializers.SlugRelatedField):
    """A SlugRelatedField that answers "does not exist" for a value no slug can be, without
    asking the database. PostgreSQL refuses a NUL byte in a query parameter with an error
    (a 500 the API fuzzer found: `category` with "\\x00"); no slug contains one anyway."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or not SLUG.match(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:100])
        return super().to_internal_value(data)
